/* util.c - small string helpers shared by the modules. */
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
