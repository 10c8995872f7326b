#include "core/sanity.h"

#include "core/error.h"
#include "core/model.h"

#include <algorithm>

namespace convscope {

torch::Tensor comparedMap(const SaliencyResult& result)
{
    return result.attribution.defined() ? result.attribution : result.heatmap;
}

SanityResult sanityCheck(Model& model, RandomizedModel& randomized, const torch::Tensor& pixels,
                         const SanityOptions& options, const ProgressFn& progress, const CancelFlag* cancel,
                         const SanityCellFn& onCell)
{
    if (options.methods.empty())
        throw Error("the sanity check needs at least one saliency method");
    const int last = static_cast<int>(randomized.steps().size());
    SanityResult result;
    result.mode = options.mode;
    result.methods = options.methods;
    result.steps = {0};
    for (int step : options.steps) {
        if (step < 1 || step > last)
            throw Error("randomization step " + std::to_string(step) + " is not between 1 and " + std::to_string(last));
        if (step > result.steps.back())
            result.steps.push_back(step);
    }
    if (options.steps.empty())
        for (int step = 1; step <= last; ++step)
            result.steps.push_back(step);
    result.stepNames.push_back("original");
    for (size_t i = 1; i < result.steps.size(); ++i)
        result.stepNames.push_back(randomized.steps()[static_cast<size_t>(result.steps[i] - 1)].name);
    result.cells.assign(options.methods.size(), {});

    const size_t total = options.methods.size() * result.steps.size();
    size_t done = 0;
    SaliencyOptions asked = options.saliency;
    for (size_t s = 0; s < result.steps.size(); ++s) {
        throwIfCancelled(cancel);
        Model* current = &model;
        if (s > 0) {
            randomized.setStep(options.mode, result.steps[s]);
            current = &randomized.model();
        }
        for (size_t m = 0; m < options.methods.size(); ++m) {
            throwIfCancelled(cancel);
            asked.method = options.methods[m];
            const std::string stage = saliencyMethodName(asked.method) + ", " + result.stepNames[s];
            const ProgressFn cellProgress = [&](double fraction, const std::string& text) {
                if (!progress)
                    return;
                if (fraction == kNote)
                    progress(kNote, text);
                else
                    progress((static_cast<double>(done) + std::min(1.0, fraction)) / static_cast<double>(total), stage);
            };
            const SaliencyResult map = saliency(*current, pixels, asked, cellProgress, cancel);
            if (s == 0 && m == 0) {
                // Every later map explains the trained model's class.
                result.target = map.target;
                result.predicted = map.predicted;
                asked.target = map.target;
            }
            if (!map.layer.empty())
                result.camLayer = map.layer;
            SanityCell cell;
            cell.heatmap = map.heatmap;
            cell.maps = sanityMaps(comparedMap(map));
            if (s > 0) // step 0 keeps MapSimilarity's 1s: a map is its own original
                cell.similarity = compareMaps(result.cells[m][0].maps, cell.maps);
            result.cells[m].push_back(cell);
            ++done;
            if (onCell)
                onCell(result, m, s);
            if (progress)
                progress(static_cast<double>(done) / static_cast<double>(total), stage);
        }
    }
    return result;
}

} // namespace convscope
