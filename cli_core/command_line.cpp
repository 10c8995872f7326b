#include "cli_core/command_line.h"

#include "core/error.h"
#include "core/model_report.h"

#include <sstream>

namespace convscope {

void CommandLine::addOption(Option option)
{
    m_options.push_back(std::move(option));
}

const CommandLine::Option* CommandLine::find(const std::string& name) const
{
    for (const auto& option : m_options)
        if (option.name == name)
            return &option;
    return nullptr;
}

void CommandLine::parse(const std::vector<std::string>& arguments)
{
    bool optionsEnded = false;
    for (size_t i = 0; i < arguments.size(); ++i) {
        const std::string& argument = arguments[i];
        if (optionsEnded || argument.size() < 2 || argument[0] != '-') {
            m_positional.push_back(argument);
            continue;
        }
        if (argument == "--") {
            optionsEnded = true;
            continue;
        }
        if (argument == "-h" || argument == "--help" || argument == "-?") {
            m_values["help"];
            continue;
        }
        const size_t dashes = argument[1] == '-' ? 2 : 1;
        const size_t equals = argument.find('=');
        const std::string name
            = argument.substr(dashes, equals == std::string::npos ? std::string::npos : equals - dashes);
        const Option* option = find(name);
        if (!option)
            throw Error("Unknown option '" + name + "'.");
        if (option->valueName.empty()) {
            if (equals != std::string::npos)
                throw Error("Unexpected value after '" + argument.substr(0, equals) + "'.");
            m_values[name];
        } else if (equals != std::string::npos) {
            m_values[name] = argument.substr(equals + 1);
        } else if (i + 1 < arguments.size()) {
            m_values[name] = arguments[++i];
        } else {
            throw Error("Missing value after '" + argument + "'.");
        }
    }
}

bool CommandLine::isSet(const std::string& name) const
{
    return m_values.count(name) > 0;
}

std::optional<std::string> CommandLine::given(const std::string& name) const
{
    auto it = m_values.find(name);
    return it == m_values.end() ? std::nullopt : std::optional<std::string>(it->second);
}

std::string CommandLine::value(const std::string& name) const
{
    if (auto v = given(name))
        return *v;
    const Option* option = find(name);
    return option ? option->defaultValue : std::string();
}

std::string CommandLine::helpText(const std::string& usage, const std::string& summary) const
{
    std::ostringstream out;
    out << "Usage: convscope-core " << usage << "\n" << summary << "\n\nOptions:\n";
    out << "  " << padRight("-h, --help", 26) << "Displays help on commandline options.\n";
    for (const auto& option : m_options) {
        const std::string spec = "--" + option.name + (option.valueName.empty() ? "" : " <" + option.valueName + ">");
        out << "  " << padRight(spec, 26) << option.help << '\n';
    }
    return out.str();
}

} // namespace convscope
