#include "core/dataset.h"

#include "core/error.h"

#include <map>
#include <numeric>
#include <random>

namespace convscope {

int64_t Dataset::skippedCount() const
{
    std::lock_guard<std::mutex> lock(m_skipMutex);
    return m_skipped;
}

std::string Dataset::skippedSummary() const
{
    std::lock_guard<std::mutex> lock(m_skipMutex);
    if (m_skipped == 0)
        return {};
    std::string text = std::to_string(m_skipped) + " unreadable item" + (m_skipped == 1 ? "" : "s") + " skipped: ";
    for (size_t i = 0; i < m_skippedNames.size(); ++i)
        text += (i ? ", " : "") + m_skippedNames[i];
    if (m_skipped > static_cast<int64_t>(m_skippedNames.size()))
        text += ", …";
    return text;
}

void Dataset::noteSkipped(const std::string& name)
{
    std::lock_guard<std::mutex> lock(m_skipMutex);
    ++m_skipped;
    if (m_skippedNames.size() < 5)
        m_skippedNames.push_back(name);
}

torch::Tensor loadBatch(Dataset& dataset, const std::vector<int64_t>& indices, std::vector<int64_t>* loaded)
{
    std::vector<torch::Tensor> images;
    images.reserve(indices.size());
    if (loaded)
        loaded->clear();
    for (int64_t index : indices) {
        try {
            images.push_back(dataset.image(index));
            if (loaded)
                loaded->push_back(index);
        } catch (const Error&) {
            dataset.noteSkipped(dataset.itemName(index));
        }
    }
    if (images.empty())
        return {};
    return torch::stack(images);
}

void seededShuffle(std::vector<int64_t>& items, uint64_t seed)
{
    std::mt19937_64 rng(seed);
    for (size_t i = items.size(); i > 1; --i) {
        const size_t j = static_cast<size_t>(rng() % i); // modulo bias is irrelevant here
        std::swap(items[i - 1], items[j]);
    }
}

void Dataset::renameClasses(std::vector<std::string> names)
{
    if (names.size() != m_classes.size())
        throw Error("the labels file has " + std::to_string(names.size()) + " names but " + name() + " has "
                    + std::to_string(m_classes.size()) + " classes");
    m_classes = std::move(names);
}

std::vector<int64_t> everyItem(const Dataset& dataset)
{
    std::vector<int64_t> items(static_cast<size_t>(dataset.size()));
    std::iota(items.begin(), items.end(), 0);
    return items;
}

std::vector<int64_t> walkedItems(const Dataset& dataset)
{
    std::vector<int64_t> test = splitDataset(dataset).test;
    return test.empty() ? everyItem(dataset) : test;
}

Split splitDataset(const Dataset& dataset, double testFraction, uint64_t seed)
{
    if (!(testFraction > 0 && testFraction < 1))
        throw Error("the test fraction must lie between 0 and 1");
    std::map<int64_t, std::vector<int64_t>> groups; // label -> indices, -1 for unlabeled
    for (int64_t i = 0; i < dataset.size(); ++i)
        groups[dataset.label(i)].push_back(i);
    Split split;
    std::vector<std::vector<int64_t>> tests; // per class, each in its own ascending order
    for (auto& [label, indices] : groups) {
        seededShuffle(indices, seed + static_cast<uint64_t>(label + 1) * 0x9E3779B97F4A7C15ull);
        const auto test = dataset.isTestSet()
                              ? indices.size()
                              : static_cast<size_t>(std::llround(static_cast<double>(indices.size()) * testFraction));
        tests.emplace_back(indices.begin(), indices.begin() + static_cast<std::ptrdiff_t>(test));
        std::sort(tests.back().begin(), tests.back().end());
        split.train.insert(split.train.end(), indices.begin() + static_cast<std::ptrdiff_t>(test), indices.end());
    }
    std::sort(split.train.begin(), split.train.end());
    // Class by class in turn (0, 1, 2, …, 0, 1, …): walking the test split
    // shows every class at once, not a hundred zeros first.
    for (size_t round = 0, added = 1; added > 0; ++round) {
        added = 0;
        for (const auto& test : tests)
            if (round < test.size()) {
                split.test.push_back(test[round]);
                ++added;
            }
    }
    return split;
}

} // namespace convscope
