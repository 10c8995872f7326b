#pragma once

#include <QString>

namespace convscope {

// The model `convscope` opens with no arguments, and every command uses when
// none is given: LeNet-5 trained on the digits sheet by `convscope train`
// (models/lenet5_digits.pt). $CONVSCOPE_DEFAULT_MODEL overrides it.
QString defaultModelPath();
// Its dataset, as openDataset() names it.
QString defaultDatasetSpec();

} // namespace convscope
