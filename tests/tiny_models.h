#pragma once

#include <functional>
#include <string>

namespace convscope::test {

// The one-line message of the convscope::Error that `call` throws, or
// "(no error)".
std::string errorOf(const std::function<void()>& call);

// A temporary folder removed when the object goes away.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return m_path; }
    std::string file(const std::string& name) const { return m_path + "/" + name; }

private:
    std::string m_path;
};

// TinyNet, built and saved from C++ (no Python needed), for a 1x12x12 input:
//   conv1  Conv2d(1, 4, k3, s1, p1)   -> 4x12x12
//   relu   ReLU                       -> 4x12x12
//   pool   MaxPool2d(k2, s2)          -> 4x6x6
//   conv2  Conv2d(4, 8, k3, s2, p0)   -> 8x2x2
//   flatten (functional, in forward)  -> 32
//   fc     Linear(32, 10)             -> 10
// `metadataJson` is embedded as convscope.json when not empty.
void writeTinyNet(const std::string& path, const std::string& metadataJson = {});

void writeText(const std::string& path, const std::string& text);

} // namespace convscope::test
