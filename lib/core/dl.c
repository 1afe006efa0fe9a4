/*
 * dl.c - the libraries loaded at run time (NVML for the nvml meter,
 * libcurl for live grid sources): found by an environment variable or
 * their usual name, and their functions taken out without the cast from
 * a data pointer that ISO C leaves undefined.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void *llmc__dlopen_env(const char *env_var, const char *default_name,
                       const char **path, char *reason, size_t reason_size)
{
    const char *env = getenv(env_var);
    const char *why;
    void *dl;

    *path = env && *env ? env : default_name;
    dlerror();
    if ((dl = dlopen(*path, RTLD_NOW | RTLD_LOCAL)) != NULL)
        return dl;
    why = dlerror();
    snprintf(reason, reason_size, "%s", why ? why : "not found");
    return NULL;
}

int llmc__dlsym_fn(void *fn_slot, size_t slot_size, void *dl,
                   const char *symbol)
{
    void *sym = dlsym(dl, symbol);
    /* a function pointer holds what dlsym returned, bit for bit (POSIX
     * requires a void * to convert to one) */
    memcpy(fn_slot, &sym, slot_size < sizeof sym ? slot_size : sizeof sym);
    return sym ? LLMC_OK : LLMC_ENOTSUP;
}
