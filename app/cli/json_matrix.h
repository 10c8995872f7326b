#pragma once

#include <nlohmann/json.hpp>
#include <torch/script.h>

#include <string>
#include <vector>

namespace convscope::cli {

// A 2-D tensor as nested lists of numbers, a row each, for --json.
nlohmann::ordered_json jsonMatrix(const torch::Tensor& t);
// The same for whole numbers (class maps, classes per window).
nlohmann::ordered_json jsonIntMatrix(const torch::Tensor& t);
// {name: value} in order, null where the value is NaN (a class's IoU when it
// is in neither map).
nlohmann::ordered_json namedValues(const std::vector<double>& values, const std::vector<std::string>& names);

} // namespace convscope::cli
