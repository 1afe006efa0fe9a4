/*
 * fuzz_env.h - what the targets that go through files and the public API
 * share: an environment that cannot reach the user's files, hardware or
 * the network, a private scratch directory, and input turned into text
 * or into a file.
 *
 * LLVMFuzzerInitialize, defined here, calls fuzz_env_setup() and then the
 * target's fuzz_target_init() if it defines one (for its own files). Then:
 *   - no LLMC_* variable, token or password of the caller's environment
 *     is seen; LLMC_CACHE_DIR, LLMC_SYSFS_ROOT, LLMC_PROCFS_ROOT and
 *     LLMC_RUNTIME_DIR are empty directories of the scratch directory, and
 *     LLMC_NVML_LIBRARY is the tests' fake NVML (FUZZ_FAKE_NVML, set by
 *     run.sh) or a path that does not exist;
 *   - the scratch directory is removed at exit (not after a crash). It is
 *     made in FUZZ_SCRATCH, else in /dev/shm, else in TMPDIR: a file
 *     rewritten for every input on a disk file system is flushed to the
 *     disk on each close (ext4's auto_da_alloc), a hundred times slower.
 */
#ifndef LLMC_FUZZ_ENV_H
#define LLMC_FUZZ_ENV_H

#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "llmcarbon.h"

static char fuzz_dir[512];

__attribute__((noreturn)) static inline void fuzz_die(const char *what)
{
    fprintf(stderr, "fuzz: %s\n", what);
    abort();
}

/* fuzz_dir/name, in buf. */
static inline const char *fuzz_path(char *buf, size_t size, const char *name)
{
    if ((size_t)snprintf(buf, size, "%s/%s", fuzz_dir, name) >= size)
        fuzz_die("scratch path too long");
    return buf;
}

static void fuzz_rm_tree(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    if (d) {
        while ((e = readdir(d)) != NULL) {
            char sub[1024];
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            fuzz_rm_tree(sub);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static void fuzz_cleanup(void)
{
    if (*fuzz_dir)
        fuzz_rm_tree(fuzz_dir);
}

static inline void fuzz_env_setup(void)
{
    extern char **environ;
    const char *base = getenv("FUZZ_SCRATCH");
    char path[600];
    char *drop[256];
    size_t ndrop = 0;

    if (!base || !*base)
        base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
    snprintf(fuzz_dir, sizeof fuzz_dir, "%s/llmc-target.XXXXXX",
             base && *base ? base : "/tmp");
    if (!mkdtemp(fuzz_dir))
        fuzz_die("cannot make a scratch directory");
    atexit(fuzz_cleanup);

    /* the caller's configuration, credentials and rank must not steer a
     * target: the same input does the same thing everywhere */
    for (char **e = environ; *e && ndrop < 256; e++)
        if (strncmp(*e, "LLMC_", 5) == 0 ||
            strncmp(*e, "ELECTRICITYMAPS_", 16) == 0 ||
            strncmp(*e, "WATTTIME_", 9) == 0 ||
            strncmp(*e, "CUDA_VISIBLE_DEVICES=", 21) == 0 ||
            strncmp(*e, "HIP_VISIBLE_DEVICES=", 20) == 0 ||
            strncmp(*e, "ROCR_VISIBLE_DEVICES=", 21) == 0 ||
            strncmp(*e, "SLURM_", 6) == 0 || strncmp(*e, "OMPI_", 5) == 0 ||
            strncmp(*e, "PMI_", 4) == 0 || strncmp(*e, "RANK=", 5) == 0 ||
            strncmp(*e, "LOCAL_RANK=", 11) == 0 ||
            strncmp(*e, "WORLD_SIZE=", 11) == 0 ||
            strncmp(*e, "LOCAL_WORLD_SIZE=", 17) == 0 ||
            strncmp(*e, "FAKE_NVML_", 10) == 0 ||
            strncmp(*e, "https_proxy=", 12) == 0 ||
            strncmp(*e, "http_proxy=", 11) == 0 ||
            strncmp(*e, "HTTPS_PROXY=", 12) == 0 ||
            strncmp(*e, "ALL_PROXY=", 10) == 0)
            drop[ndrop++] = strndup(*e, strcspn(*e, "="));
    for (size_t i = 0; i < ndrop; i++) {
        if (drop[i])
            unsetenv(drop[i]);
        free(drop[i]);
    }
    mkdir(fuzz_path(path, sizeof path, "cache"), 0700);
    setenv("LLMC_CACHE_DIR", path, 1);
    mkdir(fuzz_path(path, sizeof path, "sys"), 0700);
    setenv("LLMC_SYSFS_ROOT", path, 1);
    mkdir(fuzz_path(path, sizeof path, "proc"), 0700);
    setenv("LLMC_PROCFS_ROOT", path, 1);
    mkdir(fuzz_path(path, sizeof path, "run"), 0700);
    setenv("LLMC_RUNTIME_DIR", path, 1);
    if (getenv("FUZZ_FAKE_NVML") && *getenv("FUZZ_FAKE_NVML")) {
        setenv("LLMC_NVML_LIBRARY", getenv("FUZZ_FAKE_NVML"), 1);
        setenv("FAKE_NVML_DEVICES", "4", 1);
        setenv("FAKE_NVML_MIG_UUIDS", ",MIG-fake-1", 1);
    } else {
        setenv("LLMC_NVML_LIBRARY", fuzz_path(path, sizeof path, "none.so"),
               1);
    }
    /* hashes of JSON objects in a fixed order, run after run */
    json_object_seed(1);
}

/* The input as a NUL-terminated string (cut at its first NUL), or NULL. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return NULL;
    memcpy(text, data, size);
    text[size] = '\0';
    return text;
}

/* Replaces the file at path with the input; 0 when done. */
static inline int fuzz_write(const char *path, const uint8_t *data,
                             size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    size_t off = 0;
    if (fd < 0)
        return -1;
    while (off < size) {
        ssize_t n = pwrite(fd, data + off, size - off, (off_t)off);
        if (n <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)n;
    }
    /* cut after writing, not before: see the scratch directory above */
    if (ftruncate(fd, (off_t)size) != 0) {
        close(fd);
        return -1;
    }
    return close(fd);
}

/* A credential no input holds (fuzz_with_secret skips inputs that do): it
 * must never be shown. Its first six characters are what a message that
 * cuts it short would still show. */
#define FUZZ_SECRET "Qz7vSecretXw31"
#define FUZZ_SECRET_START "Qz7vSe"

/* The input as text; when its last source or item (after the last ',' or
 * ';') has options ("...?key=value"), with a credential added to them: a
 * token or a password, by the input's length. NULL for an input that
 * holds the credential itself, or when memory runs out. */
static inline char *fuzz_with_secret(const uint8_t *data, size_t size)
{
    const char *opt = size % 2 ? "token=" FUZZ_SECRET
                               : "password=" FUZZ_SECRET;
    const char *last;
    char *text, *out;
    if (memmem(data, size, FUZZ_SECRET_START, strlen(FUZZ_SECRET_START)) ||
        !(text = fuzz_text(data, size)))
        return NULL;
    last = text + strlen(text);
    while (last > text && last[-1] != ',' && last[-1] != ';')
        last--;
    if (!strchr(last, '?'))
        return text;
    if ((out = malloc(strlen(text) + strlen(opt) + 2)) != NULL)
        sprintf(out, "%s&%s", text, opt);
    free(text);
    return out;
}

/* fuzz_with_secret for a grid spec, or a configuration holding one: NULL
 * also for an input naming a file: source, which would open whatever path
 * it names (the user's files, a FIFO that blocks). */
static inline char *fuzz_spec_with_secret(const uint8_t *data, size_t size)
{
    char *text = fuzz_with_secret(data, size);
    if (text && strcasestr(text, "file:")) {
        free(text);
        return NULL;
    }
    return text;
}

static inline void fuzz_check_no_secret(const char *shown)
{
    if (shown && strstr(shown, FUZZ_SECRET_START))
        __builtin_trap(); /* a credential in a message or a spec */
}

/* A failure always leaves a message saying what was wrong. */
static inline void fuzz_check_message(int rc)
{
    if (rc != LLMC_OK && !*llmc_last_error())
        __builtin_trap();
}

/* What a target prepares once, after the environment: optional. */
void fuzz_target_init(void) __attribute__((weak));

/* Each target is a program of its own that includes this header once. */
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_env_setup();
    if (fuzz_target_init)
        fuzz_target_init();
    return 0;
}

#endif
