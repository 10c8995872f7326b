#pragma once

#include <nlohmann/json.hpp>
#include <torch/script.h>

namespace convscope::cli {

// A 2-D tensor as nested lists of numbers, a row each, for --json.
nlohmann::ordered_json jsonMatrix(const torch::Tensor& t);

} // namespace convscope::cli
