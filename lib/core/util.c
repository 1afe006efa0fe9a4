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

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

/* Both distances use one row of the dynamic-programming table. With
 * free_start/free_end the needle may sit anywhere inside the haystack. */
static size_t distance(const char *a, const char *b, int semi_global)
{
    size_t la = strlen(a), lb = strlen(b), best;
    size_t *row = malloc((lb + 1) * sizeof *row);
    if (!row)
        return (size_t)-1;
    for (size_t j = 0; j <= lb; j++)
        row[j] = semi_global ? 0 : j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = tolower((unsigned char)a[i - 1]) !=
                          tolower((unsigned char)b[j - 1]);
            row[j] = min3(up + 1, row[j - 1] + 1, diag + cost);
            diag = up;
        }
    }
    best = row[lb];
    if (semi_global)
        for (size_t j = 0; j <= lb; j++)
            if (row[j] < best)
                best = row[j];
    free(row);
    return best;
}

size_t llmc__fuzzy_distance(const char *needle, const char *haystack)
{
    return distance(needle, haystack, 1);
}

size_t llmc__edit_distance(const char *a, const char *b)
{
    return distance(a, b, 0);
}
