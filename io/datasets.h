#pragma once

#include "core/dataset.h"

#include <memory>
#include <string>
#include <vector>

namespace convscope::io {

// Where Debian's opencv-doc puts 5000 handwritten 20x20 digits, 500 per class.
extern const char* const kDigitsSheet;

// Opens what `spec` names, in `format` (zeros keep each item as stored):
//   "digits"                    the opencv-doc digits sheet, padded to 28x28
//   "digit-canvas"              500 fixed 64x64 digit canvases with per-pixel labels (the
//                               canvas side follows the format's height when it is square)
//   "fashion-mnist"             Debian's Fashion-MNIST training set (60,000), named classes
//   "fashion-mnist-test"        its official test set (10,000), walked whole
//   a folder with class subfolders   torchvision ImageFolder layout, labeled
//   a folder of images          unlabeled
//   *images-idx3-ubyte[.gz]     MNIST / Fashion-MNIST, labels from the sibling labels file
//   a video file                its frames
//   an image file               that one image
// Throws Error for a missing, empty or unrecognisable dataset.
std::unique_ptr<Dataset> openDataset(const std::string& spec, const ImageFormat& format = {});

// Digit canvases (core/digit_canvas) made from the digits sheet: the
// training ones from its training split, the test ones ("digit-canvas":
// kCanvasTestCount canvases of sequence kCanvasTestSeed) from its test split.
// `size` is the canvas side.
std::unique_ptr<Dataset> openDigitCanvases(bool training, int64_t count, uint64_t seed, int64_t size = 64);

std::unique_ptr<Dataset> openDigitsSheet(const ImageFormat& format = {}, const std::string& path = kDigitsSheet);
std::unique_ptr<Dataset> openImageFolder(const std::string& folder, const ImageFormat& format = {});
std::unique_ptr<Dataset> openImageFiles(const std::vector<std::string>& files, const ImageFormat& format = {});
// What a known idx dataset is called: its name, class names, and whether it is an official test set.
struct IdxNames {
    std::string name;
    std::vector<std::string> classes;
    bool testSet = false;
};
std::unique_ptr<Dataset> openIdx(const std::string& imagesFile, const ImageFormat& format = {}, const IdxNames& names = {});

// Where Debian's dataset-fashion-mnist puts the files.
inline const std::string kFashionMnistFolder = "/usr/share/datasets/fashion-mnist";
// The official test set of a named dataset ("fashion-mnist" -> "fashion-mnist-test"); empty if none.
std::string officialTestSet(const std::string& spec);
std::unique_ptr<Dataset> openVideoFrames(const std::string& file, const ImageFormat& format = {});

bool isImageFileName(const std::string& path);
bool isVideoFileName(const std::string& path);

} // namespace convscope::io
