#pragma once

#include <optional>
#include <string>
#include <vector>

namespace convscope {

// Names of the entries of a zip archive, read from its central directory.
// Used to tell "not a zip", "a torch.save() file" and "TorchScript" apart
// before handing the file to LibTorch, whose errors are hard to read.
// Returns nullopt when the bytes are not a readable zip archive.
std::optional<std::vector<std::string>> readZipEntryNames(const std::string& path);
std::optional<std::vector<std::string>> parseZipEntryNames(const std::string& bytesTail, unsigned long long fileSize);

} // namespace convscope
