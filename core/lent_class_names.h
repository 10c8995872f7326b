#pragma once

// A dataset whose classes have names (an ImageFolder's folders) lends them to
// a model that has only numbers, so that predictions read "Sneaker", not "7".

#include <string>
#include <vector>

namespace convscope {

class Dataset;
struct ModelInfo;

// The dataset's class names when the model's labels are exactly "0".."n-1"
// (none were given, or numbers were), the dataset has n classes, and its
// names are not numbers themselves; else empty.
std::vector<std::string> lentClassNames(const ModelInfo& model, const Dataset& dataset);

// "class names from DATASET (the model's own are numbers)": the note that goes
// with them.
std::string lentClassNamesNote(const Dataset& dataset);

} // namespace convscope
