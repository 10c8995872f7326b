#pragma once

// What `layers` and `summary` print, as text and as JSON: one implementation
// for the full CLI (app/cli/summary.cpp) and the Qt-free one (cli_core/), so that the
// two cannot drift apart.

#include <cstddef>
#include <string>

namespace convscope {

class Model;
struct ModelSummary;

// JSON texts without a trailing newline; the tables end with one.
std::string layersJson(const Model& model);
std::string layersText(const Model& model);
std::string summaryJson(const Model& model, const ModelSummary& summary);
std::string summaryText(const Model& model, const ModelSummary& summary);

// `s` followed by spaces up to `width`, or by one space when it is as wide.
std::string padRight(const std::string& s, size_t width);

} // namespace convscope
