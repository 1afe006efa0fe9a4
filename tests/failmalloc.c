/*
 * failmalloc.c - an LD_PRELOAD library that fails one chosen allocation, so
 * that a test can fail every allocation of a command in turn (as SQLite's
 * and jansson's test suites do) and check that none of them leads to a
 * truncated answer with exit status 0.
 *
 *   LLMC_FAILMALLOC_N=N             fail the Nth allocation after main
 *                                   starts (1-based); 0 fails none, counts only
 *   LLMC_FAILMALLOC_COUNT_FILE=F    write the number of allocations counted
 *                                   to F when the process exits
 *
 * Only allocations after main starts are counted: the C runtime and the
 * dynamic loader allocate before it, and a failure there is no failure of
 * the program under test. Only the first process that starts main with the
 * variables set counts; it removes them from its environment, so a command
 * it runs (llmcarbon run -- COMMAND) is left alone, and a child between fork
 * and exec is never failed.
 *
 * glibc only: it reaches the real allocator through __libc_malloc and its
 * siblings, which exist for this purpose and never call back into us.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t align, size_t size);

static int armed;              /* counting in this process */
static pid_t armed_pid;        /* the process that counts */
static unsigned long fail_at;  /* 0: count only */
static unsigned long counted;  /* allocations since main started */
static char count_file[4096];

/* Whether this call is the one to fail; every call counts once. */
static int should_fail(void)
{
    unsigned long n;
    if (!__atomic_load_n(&armed, __ATOMIC_ACQUIRE))
        return 0;
    n = __atomic_add_fetch(&counted, 1, __ATOMIC_RELAXED);
    return fail_at != 0 && n == fail_at;
}

void *malloc(size_t size)
{
    if (should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    if (should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    if (should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_realloc(p, size);
}

void *reallocarray(void *p, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, n * size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
    void *p;
    if (align < sizeof(void *) || (align & (align - 1)) != 0)
        return EINVAL;
    if (should_fail())
        return ENOMEM;
    if (!(p = __libc_memalign(align, size)))
        return ENOMEM;
    *out = p;
    return 0;
}

void *aligned_alloc(size_t align, size_t size)
{
    if (should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_memalign(align, size);
}

void *memalign(size_t align, size_t size)
{
    return aligned_alloc(align, size);
}

/* A child of the counting process (fork, then exec or _exit) is not the
 * program under test. */
static void child_after_fork(void)
{
    __atomic_store_n(&armed, 0, __ATOMIC_RELEASE);
}

static void write_count(void)
{
    char text[32];
    int fd, len;
    if (!armed_pid || getpid() != armed_pid || !count_file[0])
        return;
    len = snprintf(text, sizeof text, "%lu\n",
                   __atomic_load_n(&counted, __ATOMIC_RELAXED));
    fd = open(count_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    if (write(fd, text, (size_t)len) != len)
        (void)unlink(count_file);
    close(fd);
}

/* Runs after every atexit handler of the program, so that its allocations
 * at exit are counted too. */
__attribute__((destructor)) static void at_unload(void)
{
    write_count();
}

typedef int (*main_fn)(int, char **, char **);
typedef int (*start_main_fn)(main_fn, int, char **, void (*)(void),
                             void (*)(void), void (*)(void), void *);

static main_fn real_main;

static int counting_main(int argc, char **argv, char **envp)
{
    const char *n = getenv("LLMC_FAILMALLOC_N");
    const char *file = getenv("LLMC_FAILMALLOC_COUNT_FILE");

    if (n) {
        fail_at = strtoul(n, NULL, 10);
        if (file)
            snprintf(count_file, sizeof count_file, "%s", file);
        unsetenv("LLMC_FAILMALLOC_N");
        unsetenv("LLMC_FAILMALLOC_COUNT_FILE");
        pthread_atfork(NULL, NULL, child_after_fork);
        armed_pid = getpid();
        __atomic_store_n(&armed, 1, __ATOMIC_RELEASE);
    }
    return real_main(argc, argv, envp);
}

int __libc_start_main(main_fn main, int argc, char **argv,
                      void (*init)(void), void (*fini)(void),
                      void (*rtld_fini)(void), void *stack_end)
{
    start_main_fn next = (start_main_fn)(uintptr_t)dlsym(RTLD_NEXT,
                                                         "__libc_start_main");
    if (!next)
        abort();
    real_main = main;
    return next(counting_main, argc, argv, init, fini, rtld_fini, stack_end);
}
