// The report a crashing test prints (crash_report.cpp) must name the code
// that faulted, most of all when a JIT wrote it: that is how the crash on
// pip's LibTorch 2.11 showed itself (docs/RELIABILITY.md), with no stack.

#include "tests/crash_report.h"

#include <gtest/gtest.h>

#include <cstring>

#include <sys/mman.h>

using Kernel = void (*)();

// Exported (the tests link with -rdynamic), so that dladdr can name them.
extern "C" __attribute__((noinline)) void convscopeCallKernel(Kernel kernel)
{
    kernel();
    asm volatile(""); // keeps the call a call, not a jump: its return address stays on the stack
}

extern "C" __attribute__((noinline)) void convscopeWriteThroughNull()
{
    volatile int* volatile target = nullptr; // the compiler can neither see it is null nor drop the write
    *target = 1;
    asm volatile("");
}

namespace {

// Code written at run time, as oneDNN and MKL write their kernels: it reads
// address 0.
Kernel writeFaultingKernel()
{
    static const unsigned char kCode[] = {0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x00, 0x00, 0xc3}; // mov rax, [0]; ret
    void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED)
        return nullptr;
    std::memcpy(page, kCode, sizeof kCode);
    if (mprotect(page, 4096, PROT_READ | PROT_EXEC) != 0)
        return nullptr;
    return reinterpret_cast<Kernel>(page);
}

class CrashReport : public testing::Test {
protected:
    void SetUp() override
    {
#if defined(__SANITIZE_ADDRESS__)
        GTEST_SKIP() << "AddressSanitizer reports faults itself";
#endif
        GTEST_FLAG_SET(death_test_style, "threadsafe");
        // Here, not from a static: nothing else links tiny_models.cpp into this program.
        convscope::test::installCrashReport();
    }
};

TEST_F(CrashReport, NamesJitWrittenCodeAndItsCaller)
{
#if !defined(__x86_64__)
    GTEST_SKIP() << "the kernel is x86-64 code";
#endif
    const Kernel kernel = writeFaultingKernel();
    ASSERT_NE(kernel, nullptr);
    // The unwinder cannot pass the kernel; the stack scan finds its caller.
    EXPECT_DEATH(convscopeCallKernel(kernel),
                 "crash: SIGSEGV in a test.*fault address (0x0|\\(nil\\))\n"
                 "crash: instruction at 0x[0-9a-f]+ in anonymous executable memory .*by a JIT\\)\n"
                 "crash: its bytes: 48 8b 04 25 00 00 00 00 c3.*"
                 "crash: words on the stack that point into code.*"
                 "crash:   sp\\+0x0: 0x[0-9a-f]+ [^ ]*test_crash_report\\+0x[0-9a-f]+ \\(convscopeCallKernel\\+0x[0-9a-f]+\\)");
}

TEST_F(CrashReport, NamesTheFunctionThatFaulted)
{
    EXPECT_DEATH(convscopeWriteThroughNull(),
                 "crash: SIGSEGV in a test.*\n"
                 "crash: instruction at 0x[0-9a-f]+ [^ ]*test_crash_report\\+0x[0-9a-f]+ \\(convscopeWriteThroughNull\\+0x[0-9a-f]+\\)\n"
                 ".*crash: unwound stack.*\\(convscopeWriteThroughNull\\+0x");
}

} // namespace
