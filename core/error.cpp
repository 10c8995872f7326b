#include "core/error.h"

#include <c10/util/Exception.h>

#include <regex>
#include <sstream>

namespace convscope {

namespace {
std::string firstLine(const std::string& text)
{
    size_t begin = text.find_first_not_of(" \n\t");
    if (begin == std::string::npos)
        return {};
    size_t end = text.find('\n', begin);
    std::string line = text.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r'))
        line.pop_back();
    return line;
}
} // namespace

Error::Error(const std::string& message)
    : std::runtime_error(firstLine(message))
{
}

std::string torchMessage(const std::exception& e)
{
    auto* c10error = dynamic_cast<const c10::Error*>(&e);
    const std::string text = c10error ? c10error->what_without_backtrace() : e.what();
    // Errors raised inside TorchScript arrive wrapped: "The following operation
    // failed in the TorchScript interpreter. Traceback ... RuntimeError: <what
    // went wrong>". The last "SomethingError: " line is the one to show.
    static const std::regex kind("^[A-Za-z_.]*(Error|Exception): (.*)$");
    std::istringstream lines(text);
    std::string line, found;
    std::smatch match;
    while (std::getline(lines, line))
        if (std::regex_match(line, match, kind))
            found = match[2];
    return firstLine(found.empty() ? text : found);
}

} // namespace convscope
