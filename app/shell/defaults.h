#pragma once

#include <QString>

namespace convscope {

// The model `convscope` opens with no arguments, and every command uses when
// none is given: LeNet-5 trained on the digits sheet by `convscope train`
// (models/lenet5_digits.pt). $CONVSCOPE_DEFAULT_MODEL overrides it.
QString defaultModelPath();
// Its dataset, as openDataset() names it.
QString defaultDatasetSpec();
// A model the project ships (models/FILE), installed beside the binary or in
// the source tree it was built from.
QString shippedModelPath(const QString& file);
// Where analyses of KIND ("topk", "features") are cached:
// $XDG_CACHE_HOME/convscope/KIND, or ~/.cache/convscope/KIND; empty (no
// cache) without a home.
QString cacheDir(const QString& kind);

} // namespace convscope
