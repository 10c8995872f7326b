#pragma once

// A class as the views name it, for every tab and its pictures.

#include <QString>

#include <cstdint>

namespace convscope
{

class Model;

// "281: tabby", or "3" where the label is only the number.
QString classText(const Model& model, int64_t index);

} // namespace convscope
