#pragma once

// ImageNet's 1000 class names (torchvision's list, resources/imagenet_classes.txt,
// compiled in): what a 1000-output head without labels is assumed to mean.

#include <string>
#include <vector>

namespace convscope {

const std::vector<std::string>& imagenetClassNames();

} // namespace convscope
