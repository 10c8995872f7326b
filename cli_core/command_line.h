#pragma once

// The few bits of QCommandLineParser that convscope-core needs, without Qt:
// --name VALUE, --name=VALUE, flags, positional arguments, -h/--help, and
// its error texts, so that both CLIs fail the same way on a bad option.

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace convscope {

class CommandLine final {
public:
    struct Option {
        std::string name;         // without the dashes
        std::string help;
        std::string valueName;    // empty: a flag that takes no value
        std::string defaultValue; // what value() gives when the option is absent
    };

    void addOption(Option option);
    // Parses the arguments after the command name; throws Error on an
    // unknown option or a missing or unexpected value.
    void parse(const std::vector<std::string>& arguments);

    bool isSet(const std::string& name) const;
    std::string value(const std::string& name) const;
    // The value only when given on the command line.
    std::optional<std::string> given(const std::string& name) const;
    const std::vector<std::string>& positional() const { return m_positional; }

    std::string helpText(const std::string& usage, const std::string& summary) const;

private:
    const Option* find(const std::string& name) const;

    std::vector<Option> m_options;
    std::map<std::string, std::string> m_values;
    std::vector<std::string> m_positional;
};

} // namespace convscope
