#include "core/command_run.h"

#include "core/error.h"

#include <iostream>
#include <new>

namespace convscope {

int runCommand(const std::string& prefix, const std::function<int()>& command)
{
    try {
        return command();
    } catch (const Error& e) {
        std::cerr << prefix << ": " << e.what() << '\n';
    } catch (const std::bad_alloc&) {
        std::cerr << prefix << ": out of memory\n";
    } catch (const std::exception& e) {
        std::cerr << prefix << ": " << torchMessage(e) << '\n';
    }
    return 1;
}

} // namespace convscope
