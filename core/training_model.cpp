#include "core/training_model.h"

#include "core/error.h"

#include <torch/torch.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>

#include <unistd.h>
#include <filesystem>
#include <optional>

namespace convscope {

namespace {

// The first child that holds a 4-D weight: conv1 in the built-in architectures.
std::optional<torch::jit::Module> firstConvolution(const torch::jit::Module& module)
{
    for (const auto& child : module.named_children())
        for (const auto& parameter : child.value.named_parameters(false))
            if (parameter.name == "weight" && parameter.value.dim() == 4)
                return child.value;
    return std::nullopt;
}

} // namespace

TrainingModel::TrainingModel(torch::jit::Module& module, const torch::Tensor& mean, const torch::Tensor& stdev,
                             const nlohmann::ordered_json& metadata)
    : m_module(module)
    , m_mean(mean)
    , m_stdev(stdev)
    , m_metadata(metadata)
{
}

torch::Tensor TrainingModel::firstLayerWeights() const
{
    auto first = firstConvolution(m_module);
    if (!first)
        return {};
    return first->attr("weight").toTensor().detach().to(torch::kCPU).clone();
}

std::pair<torch::Tensor, torch::Tensor> TrainingModel::look(const torch::Tensor& pixels) const
{
    torch::NoGradGuard noGrad;
    m_module.eval();
    const auto x = (pixels.unsqueeze(0).to(m_mean.device()) - m_mean) / m_stdev;
    torch::Tensor maps;
    if (auto first = firstConvolution(m_module))
        maps = first->forward({x}).toTensor()[0].to(torch::kCPU);
    const auto probabilities = m_module.forward({x}).toTensor().softmax(1)[0].to(torch::kCPU);
    m_module.train();
    return {maps, probabilities};
}

void TrainingModel::save(const std::string& path) const
{
    saveCheckpoint(m_module, path, m_metadata);
}

void saveCheckpoint(torch::jit::Module& module, const std::string& path, const nlohmann::ordered_json& metadata)
{
    namespace fs = std::filesystem;
    // Serialized in memory first: LibTorch's file writer, when a write fails
    // (a full disk), throws again from its destructor and ends the process.
    std::ostringstream bytes;
    module.eval();
    try {
        module.save(bytes, {{"convscope.json", metadata.dump(1)}});
    } catch (const std::exception& e) {
        module.train();
        throw Error("cannot write " + path + ": " + torchMessage(e));
    }
    module.train();
    const std::string data = bytes.str();
    const std::string temporary = path + ".partial";
    std::FILE* file = std::fopen(temporary.c_str(), "wb");
    if (!file)
        throw Error("cannot write " + path + ": " + std::strerror(errno));
    const bool written = std::fwrite(data.data(), 1, data.size(), file) == data.size();
    const int writeError = errno;
    const bool flushed = std::fflush(file) == 0 && ::fsync(fileno(file)) == 0;
    const int flushError = errno;
    const bool closed = std::fclose(file) == 0;
    if (!written || !flushed || !closed) {
        std::remove(temporary.c_str());
        throw Error("cannot write " + path + ": " + std::strerror(!written ? writeError : flushError));
    }
    std::error_code ec;
    fs::rename(temporary, path, ec);
    if (ec) {
        std::remove(temporary.c_str());
        throw Error("cannot write " + path + ": " + ec.message());
    }
}

} // namespace convscope
