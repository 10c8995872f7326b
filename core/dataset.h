#pragma once

#include <torch/script.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace convscope {

// The size and channel count images are delivered in; zeros mean "as stored".
struct ImageFormat {
    int64_t channels = 0;
    int64_t height = 0;
    int64_t width = 0;
};

// Images in [0, 1] with optional labels, read on demand. Readers of files
// live in io/ (OpenCV); core/ only sees this interface.
class Dataset {
public:
    virtual ~Dataset() = default;

    virtual int64_t size() const = 0;
    // [C, H, W] float32 in [0, 1]. Throws Error if the item cannot be read.
    virtual torch::Tensor image(int64_t index) = 0;
    // Class index, or -1 for an unlabeled dataset.
    virtual int64_t label(int64_t index) const = 0;
    // Per-pixel class labels [H, W] int64 (segmentation data such as the
    // digit canvases); undefined where the dataset has none.
    virtual torch::Tensor labelMap(int64_t /*index*/) { return {}; }
    // A name a person recognises: file name, "digit #123", "frame 17".
    virtual std::string itemName(int64_t index) const = 0;

    const std::vector<std::string>& classes() const { return m_classes; }
    bool labeled() const { return !m_classes.empty(); }
    // Names for the classes (`--labels FILE`): Error unless one per class.
    void renameClasses(std::vector<std::string> names);
    // An official test set (Fashion-MNIST's t10k): walked whole, never split.
    bool isTestSet() const { return m_testSet; }
    // "handwritten digits sheet".
    const std::string& name() const { return m_name; }
    // "handwritten digits sheet (5000 images, 10 classes)".
    std::string description() const { return m_details.empty() ? m_name : m_name + " (" + m_details + ")"; }
    // Stable key of the data (kind, path, count): caches and metadata use it.
    const std::string& identity() const { return m_identity; }

    // Items that could not be read, found when scanning or when first read.
    int64_t skippedCount() const;
    std::string skippedSummary() const; // "2 unreadable files skipped: a.png, b.png"
    void noteSkipped(const std::string& name);

protected:
    std::vector<std::string> m_classes;
    std::string m_name;
    std::string m_details; // counts, shown after the name
    std::string m_identity;
    bool m_testSet = false;

private:
    mutable std::mutex m_skipMutex;
    int64_t m_skipped = 0;
    std::vector<std::string> m_skippedNames; // the first few
};

// Reads `indices` into one [N, C, H, W] batch; items that fail are skipped
// (and noted on the dataset). `loaded` receives the indices actually read.
torch::Tensor loadBatch(Dataset& dataset, const std::vector<int64_t>& indices, std::vector<int64_t>* loaded = nullptr);

// A fixed, seeded split: the same indices on every machine. Labeled datasets
// are split per class (stratified), each class's test share rounded. `train`
// is ascending; `test` takes the classes in turn (the first test image of
// each class in label order, then the second of each, …), so that walking it
// cycles through the classes: the GUI's ◀ ▶ and the CLI's --index.
struct Split {
    std::vector<int64_t> train, test;
};
// An official test set (isTestSet) is all test, in the same class-cycling order.
Split splitDataset(const Dataset& dataset, double testFraction = 0.2, uint64_t seed = 0);

// 0, 1, …, size - 1.
std::vector<int64_t> everyItem(const Dataset& dataset);
// What --index and the Input dock walk: the test split, or every item of a
// set too small to split.
std::vector<int64_t> walkedItems(const Dataset& dataset);

// Portable Fisher–Yates shuffle: std::shuffle's algorithm differs between
// standard libraries, and the split must not.
void seededShuffle(std::vector<int64_t>& items, uint64_t seed);

} // namespace convscope
