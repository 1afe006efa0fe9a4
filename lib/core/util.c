/* util.c - small helpers every module uses: strings, and the roots of
 * sysfs and procfs (tests point them at fake trees). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

LLMC_API void llmc_free(void *ptr)
{
    free(ptr);
}

char *llmc__strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

char *llmc__normalize(const char *s)
{
    char *d = malloc(strlen(s) + 1), *p = d;
    if (!d)
        return NULL;
    for (; *s; s++)
        if (isalnum((unsigned char)*s))
            *p++ = (char)tolower((unsigned char)*s);
    *p = '\0';
    return d;
}

int llmc__strcaseeq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return 0;
    return *a == *b;
}

static const char *root_from_env(const char *var, const char *dflt)
{
    const char *v = getenv(var);
    return v && *v ? v : dflt;
}

const char *llmc__sysfs_root(void)
{
    return root_from_env("LLMC_SYSFS_ROOT", "/sys");
}

const char *llmc__procfs_root(void)
{
    return root_from_env("LLMC_PROCFS_ROOT", "/proc");
}

void llmc__versioned_init(void *out, size_t size)
{
    uint32_t size32;
    if (!out || size < sizeof size32 || size > UINT32_MAX)
        return;
    memset(out, 0, size);
    size32 = (uint32_t)size;
    memcpy(out, &size32, sizeof size32);
}

int llmc__versioned_check(const void *out, size_t min_size, const char *type)
{
    uint32_t size;
    memcpy(&size, out, sizeof size);
    if (size < min_size)
        return llmc__fail(LLMC_EINVAL,
                          "%s.size is %u; call %s_init before passing it",
                          type, (unsigned)size, type);
    return LLMC_OK;
}

int llmc__versioned_copy(void *out, const void *full, size_t full_size,
                         size_t min_size, const char *type)
{
    uint32_t size;
    int rc = llmc__versioned_check(out, min_size, type);
    if (rc != LLMC_OK)
        return rc;
    memcpy(&size, out, sizeof size);
    memcpy(out, full, size < full_size ? size : full_size);
    memcpy(out, &size, sizeof size);
    return LLMC_OK;
}
