/* testutil.c - the CSV reader of testutil.h. */
#include <stdio.h>
#include <stdlib.h>

#include "testutil.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf)
        buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Reads one record at *p into fields (malloc'd strings); returns the field
 * count, 0 at the end of the text. */
static size_t csv_record(const char **p, char ***out)
{
    const char *s = *p;
    size_t nf = 0, cap = 8;
    char **fields;
    if (!*s)
        return 0;
    fields = malloc(cap * sizeof *fields);
    for (;;) {
        size_t len = 0, fcap = 64;
        char *f = malloc(fcap);
        if (*s == '"') {
            s++;
            for (;;) {
                if (*s == '"' && s[1] == '"') {
                    f[len++] = '"';
                    s += 2;
                } else if (*s == '"') {
                    s++;
                    break;
                } else if (!*s) {
                    break;
                } else {
                    f[len++] = *s++;
                }
                if (len + 1 >= fcap)
                    f = realloc(f, fcap *= 2);
            }
        } else {
            while (*s && *s != ',' && *s != '\n') {
                f[len++] = *s++;
                if (len + 1 >= fcap)
                    f = realloc(f, fcap *= 2);
            }
        }
        f[len] = '\0';
        if (nf == cap)
            fields = realloc(fields, (cap *= 2) * sizeof *fields);
        fields[nf++] = f;
        if (*s == ',') {
            s++;
            continue;
        }
        if (*s == '\n')
            s++;
        break;
    }
    *p = s;
    *out = fields;
    return nf;
}

void csv_free(struct csv *c)
{
    for (size_t j = 0; j < c->ncols; j++)
        free(c->header[j]);
    free(c->header);
    for (size_t i = 0; i < c->nrows; i++) {
        for (size_t j = 0; j < c->ncols; j++)
            free(c->rows[i][j]);
        free(c->rows[i]);
    }
    free(c->rows);
}

void csv_load(struct csv *c, const char *relpath)
{
    const char *root = getenv("LLMC_SOURCE_ROOT");
    char path[4096];
    char *text;
    const char *p;
    char **fields;
    size_t n, cap = 64;

    ck_assert_msg(root != NULL, "LLMC_SOURCE_ROOT is not set");
    snprintf(path, sizeof path, "%s/%s", root, relpath);
    text = slurp(path);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    p = text;
    memset(c, 0, sizeof *c);
    c->ncols = csv_record(&p, &c->header);
    ck_assert_uint_gt(c->ncols, 0);
    c->rows = malloc(cap * sizeof *c->rows);
    while ((n = csv_record(&p, &fields)) != 0) {
        ck_assert_msg(n == c->ncols, "%s: row %zu has %zu fields, not %zu",
                      path, c->nrows + 2, n, c->ncols);
        if (c->nrows == cap)
            c->rows = realloc(c->rows, (cap *= 2) * sizeof *c->rows);
        c->rows[c->nrows++] = fields;
    }
    free(text);
}

size_t csv_col(const struct csv *c, const char *name)
{
    for (size_t j = 0; j < c->ncols; j++)
        if (strcmp(c->header[j], name) == 0)
            return j;
    ck_abort_msg("column %s is missing from the CSV", name);
    return 0;
}

const char *csv_cell(const struct csv *c, size_t row, const char *column)
{
    return c->rows[row][csv_col(c, column)];
}
