#include "tests/crash_report.h"

#include <algorithm>
#include <csignal>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iterator>

#include <dlfcn.h>
#include <execinfo.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

namespace convscope::test {

namespace {

// All of this runs in the signal handler of a process that is about to die.
// dladdr and snprintf are not async-signal-safe; should one of them fault in
// turn, the handler is gone by then (SA_RESETHAND) and only the report is cut
// short. Static buffers: the heap may be what broke.

struct Mapping {
    uintptr_t start = 0;
    uintptr_t end = 0;
    bool readable = false;
    bool executable = false;
    const char* path = ""; // into g_maps, whose line ends readMappings() overwrote with NULs
};

char g_maps[1 << 20];
Mapping g_mappings[8192];
int g_mappingCount = 0;
char g_alternateStack[64 * 1024]; // so that a stack overflow is reported too

void say(const char* format, ...)
{
    char text[1024];
    va_list arguments;
    va_start(arguments, format);
    const int length = std::vsnprintf(text, sizeof text, format, arguments);
    va_end(arguments);
    if (length > 0)
        (void)!write(STDERR_FILENO, text, std::min<size_t>(static_cast<size_t>(length), sizeof text - 1));
}

// /proc/self/maps as it is at the crash, parsed into g_mappings.
void readMappings()
{
    const int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    size_t size = 0;
    ssize_t got = 0;
    while (size < sizeof g_maps - 1 && (got = read(fd, g_maps + size, sizeof g_maps - 1 - size)) > 0)
        size += static_cast<size_t>(got);
    close(fd);
    g_maps[size] = '\0';
    for (char* line = g_maps; *line && g_mappingCount < static_cast<int>(std::size(g_mappings));) {
        char* next = std::strchr(line, '\n');
        if (next)
            *next = '\0';
        unsigned long start = 0, end = 0;
        char permissions[5] = {};
        int consumed = 0;
        if (std::sscanf(line, "%lx-%lx %4s %*s %*s %*s%n", &start, &end, permissions, &consumed) == 3) {
            Mapping& mapping = g_mappings[g_mappingCount++];
            mapping.start = start;
            mapping.end = end;
            mapping.readable = permissions[0] == 'r';
            mapping.executable = permissions[2] == 'x';
            const char* path = line + consumed;
            while (*path == ' ')
                ++path;
            mapping.path = path;
        }
        if (!next)
            break;
        line = next + 1;
    }
}

const Mapping* mappingOf(uintptr_t address)
{
    for (int i = 0; i < g_mappingCount; ++i)
        if (address >= g_mappings[i].start && address < g_mappings[i].end)
            return &g_mappings[i];
    return nullptr;
}

// "0x… libfoo.so+0x… (symbol+0x…)": the offset is what addr2line takes.
// Code outside every file is named as such: a JIT (oneDNN's, MKL's, the
// TorchScript fuser's) wrote it, and it has no symbols or unwind tables.
void describe(const char* label, uintptr_t address)
{
    const Mapping* mapping = mappingOf(address);
    Dl_info info{};
    if (mapping && mapping->path[0] == '/'
        && dladdr(reinterpret_cast<void*>(address), &info) && info.dli_fname) {
        const auto base = reinterpret_cast<uintptr_t>(info.dli_fbase);
        if (info.dli_sname)
            say("crash: %s 0x%lx %s+0x%lx (%s+0x%lx)\n", label, address, info.dli_fname, address - base,
                info.dli_sname, address - reinterpret_cast<uintptr_t>(info.dli_saddr));
        else
            say("crash: %s 0x%lx %s+0x%lx\n", label, address, info.dli_fname, address - base);
    } else if (mapping && mapping->path[0] == '\0' && mapping->executable) {
        say("crash: %s 0x%lx in anonymous executable memory 0x%lx-0x%lx (code written at run time, by a JIT)\n",
            label, address, mapping->start, mapping->end);
    } else if (mapping) {
        say("crash: %s 0x%lx in %s memory 0x%lx-0x%lx %s\n", label, address,
            mapping->executable ? "executable" : "non-executable", mapping->start, mapping->end, mapping->path);
    } else {
        say("crash: %s 0x%lx, which is not mapped\n", label, address);
    }
}

// The unwinder stops at code without unwind tables, JIT-written code above
// all, so the stack is also scanned for words that point into executable
// files: the return addresses of the callers (and some stale values).
void scanStack(uintptr_t sp)
{
    const Mapping* stack = mappingOf(sp);
    if (!stack || !stack->readable)
        return;
    say("crash: words on the stack that point into code (callers, and some stale values):\n");
    const uintptr_t end = std::min(stack->end, sp + 32 * 1024);
    int found = 0;
    for (uintptr_t at = sp & ~uintptr_t{7}; at + sizeof(uintptr_t) <= end && found < 40; at += sizeof(uintptr_t)) {
        const uintptr_t value = *reinterpret_cast<const uintptr_t*>(at);
        const Mapping* target = mappingOf(value);
        if (!target || !target->executable)
            continue;
        char label[32];
        std::snprintf(label, sizeof label, "  sp+0x%lx:", at - sp);
        describe(label, value);
        ++found;
    }
}

const char* signalName(int signal)
{
    switch (signal) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGILL: return "SIGILL";
    case SIGFPE: return "SIGFPE";
    default: return "signal";
    }
}

void onCrash(int signal, siginfo_t* info, void* context)
{
    readMappings();
    uintptr_t pc = 0;
    uintptr_t sp = 0;
    const auto* machine = &static_cast<const ucontext_t*>(context)->uc_mcontext;
#if defined(__x86_64__)
    pc = static_cast<uintptr_t>(machine->gregs[REG_RIP]);
    sp = static_cast<uintptr_t>(machine->gregs[REG_RSP]);
#elif defined(__aarch64__)
    pc = machine->pc;
    sp = machine->sp;
#else
    (void)machine;
#endif
    say("\ncrash: %s in a test, thread %ld (the main thread is %ld), fault address %p\n", signalName(signal),
        static_cast<long>(syscall(SYS_gettid)), static_cast<long>(getpid()), info->si_addr);
    if (pc) {
        describe("instruction at", pc);
        const Mapping* code = mappingOf(pc);
        if (code && code->readable && pc + 16 <= code->end) {
            const auto* bytes = reinterpret_cast<const unsigned char*>(pc);
            say("crash: its bytes:");
            for (int i = 0; i < 16; ++i)
                say(" %02x", bytes[i]);
            say("\n");
        }
    }
    void* frames[64];
    const int depth = backtrace(frames, 64);
    say("crash: unwound stack (it ends at code without unwind tables):\n");
    for (int i = 0; i < depth; ++i) {
        char label[32];
        std::snprintf(label, sizeof label, "  #%d", i);
        describe(label, reinterpret_cast<uintptr_t>(frames[i]));
    }
    if (sp)
        scanStack(sp);
    // SA_RESETHAND has restored the default action; the signal, blocked
    // while this runs, then ends the process the usual way (and a core dump
    // shows the original state).
    raise(signal);
}

} // namespace

bool installCrashReport()
{
    stack_t alternate{};
    alternate.ss_sp = g_alternateStack;
    alternate.ss_size = sizeof g_alternateStack;
    sigaltstack(&alternate, nullptr);
    struct sigaction action{};
    action.sa_sigaction = onCrash;
    action.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    for (int signal : {SIGSEGV, SIGBUS, SIGILL, SIGFPE})
        sigaction(signal, &action, nullptr);
    return true;
}

} // namespace convscope::test
