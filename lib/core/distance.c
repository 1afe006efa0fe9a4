/*
 * distance.c - how far apart two names are, for "did you mean" and
 * suggestions: zones, hardware, environment variables, the command line's
 * commands and options. Case does not count; swapping two neighbours
 * (LLMC_GIRD for LLMC_GRID) is one edit, as a typist makes it (optimal
 * string alignment). The command line compiles this file in as well.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

static int same(char x, char y)
{
    return tolower((unsigned char)x) == tolower((unsigned char)y);
}

/* Three rows of the dynamic-programming table (a swap looks two rows
 * back). semi_global: the needle a may sit anywhere inside b. (size_t)-1
 * when memory runs out. */
static size_t distance(const char *a, const char *b, int semi_global)
{
    size_t la = strlen(a), lb = strlen(b), best;
    size_t *mem = malloc(3 * (lb + 1) * sizeof *mem);
    size_t *prev2, *prev, *row;
    if (!mem)
        return (size_t)-1;
    prev2 = mem;
    prev = mem + lb + 1;
    row = mem + 2 * (lb + 1);
    for (size_t j = 0; j <= lb; j++)
        prev[j] = semi_global ? 0 : j;
    for (size_t i = 1; i <= la; i++) {
        size_t *t;
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            row[j] = min3(prev[j] + 1, row[j - 1] + 1,
                          prev[j - 1] + !same(a[i - 1], b[j - 1]));
            if (i > 1 && j > 1 && same(a[i - 1], b[j - 2]) &&
                same(a[i - 2], b[j - 1]) && prev2[j - 2] + 1 < row[j])
                row[j] = prev2[j - 2] + 1;
        }
        t = prev2;
        prev2 = prev;
        prev = row;
        row = t;
    }
    best = prev[lb];
    if (semi_global)
        for (size_t j = 0; j <= lb; j++)
            if (prev[j] < best)
                best = prev[j];
    free(mem);
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
