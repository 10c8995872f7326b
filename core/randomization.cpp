#include "core/randomization.h"

#include "core/error.h"
#include "core/model.h"
#include "core/training_model.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <set>

namespace convscope {

namespace {

bool weighted(const LayerInfo& layer)
{
    return layer.category == "conv" || layer.category == "linear";
}

// fan_in as torch.nn.init computes it for a stored weight: size(1) times the
// kernel's taps.
int64_t fanIn(const torch::Tensor& weight)
{
    int64_t fan = weight.dim() > 1 ? weight.size(1) : weight.size(0);
    for (int64_t d = 2; d < weight.dim(); ++d)
        fan *= weight.size(d);
    return fan;
}

} // namespace

Randomization randomizationFromName(const std::string& name)
{
    if (name == "cascading")
        return Randomization::Cascading;
    if (name == "independent")
        return Randomization::Independent;
    throw Error("unknown randomization '" + name + "': use cascading or independent");
}

std::string randomizationName(Randomization mode)
{
    return mode == Randomization::Cascading ? "cascading" : "independent";
}

std::vector<RandomizationStep> randomizationSteps(const Model& model)
{
    const auto& layers = model.layers();
    const LayerGraph& graph = model.graph();
    std::vector<RandomizationStep> steps; // graph order first
    std::vector<int> stepOfLayer(layers.size(), -1);
    std::set<const void*> seen; // a module called twice reads the same tensors
    for (size_t i = 0; i < layers.size(); ++i) {
        const LayerInfo& layer = layers[i];
        if (!weighted(layer) && layer.category != "norm")
            continue;
        std::vector<std::string> names;
        for (const auto& p : graph.parameters(static_cast<int>(i)))
            if (seen.insert(p.tensor.unsafeGetTensorImpl()).second)
                names.push_back(p.name);
        if (names.empty())
            continue;
        const int input = graph.inputLayer(static_cast<int>(i));
        // A norm right after a convolution or linear layer belongs to its step.
        if (layer.category == "norm" && input >= 0 && stepOfLayer[static_cast<size_t>(input)] >= 0
            && weighted(layers[static_cast<size_t>(input)])) {
            RandomizationStep& step = steps[static_cast<size_t>(stepOfLayer[static_cast<size_t>(input)])];
            step.name += " + " + layer.name;
            step.layers.push_back(static_cast<int>(i));
            step.parameters.insert(step.parameters.end(), names.begin(), names.end());
            stepOfLayer[i] = stepOfLayer[static_cast<size_t>(input)];
            continue;
        }
        stepOfLayer[i] = static_cast<int>(steps.size());
        steps.push_back({layer.name, {static_cast<int>(i)}, names});
    }
    return {steps.rbegin(), steps.rend()};
}

RandomizedModel::RandomizedModel(const Model& model, uint64_t seed)
    : m_copy(model.copy()), m_seed(seed)
{
    m_steps = randomizationSteps(*m_copy);
    if (m_steps.empty())
        throw Error("the model has no convolution, linear or normalization layer with weights to randomize");
    const LayerGraph& graph = m_copy->graph();
    for (const RandomizationStep& step : m_steps) {
        std::vector<Tensor> tensors;
        for (int layer : step.layers) {
            int64_t fan = 0;
            for (const auto& p : graph.parameters(layer)) {
                if (p.role == "weight" && p.tensor.dim() > 1)
                    fan = fanIn(p.tensor); // a norm's 1-D weight leaves 0: its bias is zeroed

                if (std::find(step.parameters.begin(), step.parameters.end(), p.name) == step.parameters.end())
                    continue; // drawn by a step above (a shared module)
                tensors.push_back({p.tensor, p.tensor.clone(), p.role, fan});
            }
        }
        m_tensors.push_back(std::move(tensors));
    }
    m_randomized.assign(m_steps.size(), false);
}

RandomizedModel::~RandomizedModel() = default;

void RandomizedModel::setStep(Randomization mode, int step)
{
    if (step < 0 || step > static_cast<int>(m_steps.size()))
        throw Error("randomization step " + std::to_string(step) + " is not between 0 and "
                    + std::to_string(m_steps.size()));
    for (size_t k = 0; k < m_steps.size(); ++k) {
        const bool wanted = mode == Randomization::Cascading ? static_cast<int>(k) < step : static_cast<int>(k) == step - 1;
        if (wanted && !m_randomized[k])
            reinitialize(k);
        else if (!wanted && m_randomized[k])
            restore(k);
    }
}

void RandomizedModel::reinitialize(size_t step)
{
    torch::NoGradGuard noGrad;
    auto generator = at::make_generator<at::CPUGeneratorImpl>(m_seed + step);
    for (Tensor& t : m_tensors[step]) {
        torch::Tensor fresh = torch::empty(t.live.sizes(), t.live.options().device(torch::kCPU));
        if (t.role == "running_var" || (t.role == "weight" && t.live.dim() == 1)) {
            fresh.fill_(1); // a norm's scale and variance
        } else if (t.role == "running_mean" || (t.role == "bias" && t.fanIn == 0)) {
            fresh.zero_(); // a norm's shift and mean
        } else if (t.role == "weight") {
            // kaiming_uniform_(w, a=math.sqrt(5)), in torch.nn.init's own arithmetic.
            const double a = std::sqrt(5.0);
            const double gain = std::sqrt(2.0 / (1 + a * a));
            const double bound = std::sqrt(3.0) * (gain / std::sqrt(static_cast<double>(t.fanIn)));
            fresh.uniform_(-bound, bound, generator);
        } else {
            const double bound = 1 / std::sqrt(static_cast<double>(t.fanIn));
            fresh.uniform_(-bound, bound, generator);
        }
        t.live.copy_(fresh);
    }
    m_randomized[step] = true;
}

void RandomizedModel::save(const std::string& path, const std::string& name)
{
    const ModelInfo& info = m_copy->info();
    nlohmann::ordered_json metadata;
    metadata["name"] = name;
    metadata["input"] = info.input;
    metadata["mean"] = info.mean;
    metadata["std"] = info.std;
    metadata["labels"] = info.labels;
    saveCheckpoint(m_copy->module(), path, metadata);
    m_copy->module().eval(); // saveCheckpoint leaves a training module in training mode
}

void RandomizedModel::restore(size_t step)
{
    torch::NoGradGuard noGrad;
    for (Tensor& t : m_tensors[step])
        t.live.copy_(t.original);
    m_randomized[step] = false;
}

} // namespace convscope
