#pragma once

#include <stdexcept>
#include <string>

namespace convscope {

// Every failure a user can cause (bad file, wrong shape, bad metadata) is thrown
// as an Error whose message is one line meant to be shown as it is.
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message);
};

// First line of a LibTorch exception, without its C++ backtrace.
std::string torchMessage(const std::exception& e);

} // namespace convscope
