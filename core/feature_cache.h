#pragma once

#include "core/features.h"

#include <string>

namespace convscope {

// Part of every cache key and file: a file of an older layout is never read.
constexpr int kFeatureCacheVersion = 1;

// A header line of JSON, then the matrix (float32) and the three index
// columns (int64), in this machine's byte order (a cache never travels).
// Written under a temporary name and renamed; a cache that cannot be written
// is only slower next time, so failures are silent.
void writeFeatureCache(const std::string& path, const FeatureSet& set);

// False (and `set` untouched) for a missing, damaged or foreign file: the
// caller recomputes. Never throws for what a file holds, and allocates only
// what the file's size can back.
bool readFeatureCache(const std::string& path, FeatureSet& set);

} // namespace convscope
