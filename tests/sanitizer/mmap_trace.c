// Logs every mmap and mremap of at least 64 KiB made through libc, with 14
// return addresses, and every munmap, to $MMTRACE_FILE.PID: which library maps
// the anonymous memory a process holds. ASan makes most of its own mappings
// (its stack depot, its large blocks) with direct system calls, which are not
// logged; a few go through libc and are.
// mmap_owners.py matches the log against a copy of /proc/PID/smaps.
//
//   gcc -O1 -g -fPIC -shared -o mmap_trace.so mmap_trace.c -ldl
//   export LD_PRELOAD="$(gcc -print-file-name=libasan.so) $PWD/mmap_trace.so"
//   MMTRACE_FILE=/tmp/mm CONVSCOPE_MONKEY_SMAPS_DIR=/tmp ... ./test_monkey
//
// Lines: "M address length fd frames..." and "U address length -1". Writes
// with write(2) under a lock, and no malloc once loaded, so it is safe inside allocators.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <execinfo.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <pthread.h>

static void* (*real_mmap)(void*, size_t, int, int, int, off_t);
static int (*real_munmap)(void*, size_t);
static void* (*real_mremap)(void*, size_t, size_t, int, ...);
static int fd = -1;
static __thread int inside;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

__attribute__((constructor)) static void init(void)
{
    real_mmap = dlsym(RTLD_NEXT, "mmap");
    real_munmap = dlsym(RTLD_NEXT, "munmap");
    real_mremap = dlsym(RTLD_NEXT, "mremap");
    void* frames[2];
    backtrace(frames, 2); // loads libgcc_s now, not inside mmap
    const char* path = getenv("MMTRACE_FILE");
    if (path) {
        char name[512];
        snprintf(name, sizeof name, "%s.%d", path, (int)getpid());
        fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    }
}

static void logit(char kind, void* addr, size_t len, int fdarg, int withStack)
{
    if (fd < 0 || inside)
        return;
    inside = 1;
    char buf[1024];
    int n = snprintf(buf, sizeof buf, "%c %p %zu %d", kind, addr, len, fdarg);
    if (withStack) {
        void* frames[16];
        int depth = backtrace(frames, 16);
        for (int i = 2; i < depth && n < (int)sizeof buf - 24; ++i)
            n += snprintf(buf + n, sizeof buf - n, " %p", frames[i]);
    }
    buf[n++] = '\n';
    pthread_mutex_lock(&lock);
    write(fd, buf, n);
    pthread_mutex_unlock(&lock);
    inside = 0;
}

void* mmap(void* addr, size_t len, int prot, int flags, int f, off_t off)
{
    if (!real_mmap) real_mmap = dlsym(RTLD_NEXT, "mmap");
    void* r = real_mmap(addr, len, prot, flags, f, off);
    if (r != MAP_FAILED && len >= 65536)
        logit('M', r, len, f, 1);
    return r;
}
void* mmap64(void* addr, size_t len, int prot, int flags, int f, off_t off) __attribute__((alias("mmap")));

int munmap(void* addr, size_t len)
{
    if (!real_munmap) real_munmap = dlsym(RTLD_NEXT, "munmap");
    int r = real_munmap(addr, len);
    if (r == 0 && len >= 4096)
        logit('U', addr, len, -1, 0);
    return r;
}

void* mremap(void* old, size_t oldLen, size_t newLen, int flags, ...)
{
    if (!real_mremap) real_mremap = dlsym(RTLD_NEXT, "mremap");
    va_list ap;
    va_start(ap, flags);
    void* target = va_arg(ap, void*);
    va_end(ap);
    void* r = real_mremap(old, oldLen, newLen, flags, target);
    if (r != MAP_FAILED) {
        logit('U', old, oldLen, -1, 0);
        logit('M', r, newLen, -2, 1);
    }
    return r;
}
