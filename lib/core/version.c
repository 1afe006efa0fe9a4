/* version.c - the version of the running library. */
#include "internal.h"

#define STR_(x) #x
#define STR(x) STR_(x)

LLMC_API const char *llmc_version_string(void)
{
    return STR(LLMC_VERSION_MAJOR) "." STR(LLMC_VERSION_MINOR) "." STR(
        LLMC_VERSION_PATCH);
}

LLMC_API int llmc_version_num(void)
{
    return LLMC_VERSION_NUM;
}
