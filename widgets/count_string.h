#pragma once

#include <QString>

#include <cstdint>
#include <vector>

namespace convscope {

// Short human counts for tables and tooltips: "512", "9.4K", "11.7M", "1.8G".
QString countString(qint64 count);
// An output shape as shown in the views: "64×56×56".
QString shapeString(const std::vector<int64_t>& shape);

} // namespace convscope
