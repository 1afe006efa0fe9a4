/*
 * src_file.c - a user's intensity time series ("file:ci.csv"): CSV
 * "datetime,intensity_gco2e_per_kwh" or the same as JSON, read once when
 * the grid is made; each row holds until the next row's datetime.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/internal.h"
#include "grid.h"

#define MAX_FILE_BYTES (64L << 20)

struct file_source {
    struct llmc__series series;
    char path[512];
    char provenance[600];
};

static int file_at(struct llmc__source *s, int64_t t,
                   const struct llmc__grid_ask *ask, llmc_intensity *out)
{
    struct file_source *f = s->state;
    const struct llmc__point *p = llmc__series_at(&f->series, t);
    (void)ask; /* a file is always at hand */
    if (!p) {
        const struct llmc__point *first = &f->series.points[0];
        const struct llmc__point *last = &f->series.points[f->series.count - 1];
        char at[32], from[32], to[32];
        llmc__format_iso8601(at, sizeof at, t);
        llmc__format_iso8601(from, sizeof from, first->start_unix_s);
        llmc__format_iso8601(to, sizeof to,
                             last->start_unix_s + last->duration_s);
        return llmc__fail(LLMC_ENODATA,
                          "%s has no row for %s; it covers %s to %s: add rows "
                          "for that time, or name a source after it for "
                          "times it does not cover (%s,static:ZONE)",
                          s->spec, at, from, to, s->spec);
    }
    llmc__point_answer(out, p, LLMC_BASIS_UNSPECIFIED, "", "file", f->path,
                       f->provenance, "");
    return LLMC_OK;
}

static int file_set(struct llmc__source *s, const char *key, const char *value)
{
    (void)s;
    (void)key;
    (void)value;
    return LLMC_ENOTFOUND;
}

static void file_free(struct llmc__source *s)
{
    struct file_source *f = s->state;
    if (f) {
        llmc__series_free(&f->series);
        free(f);
    }
    s->state = NULL;
}

static const struct llmc__source_ops file_ops = {
    .at = file_at, .set = file_set, .free = file_free, .network = 0};

int llmc__source_file(struct llmc__source *s, const char *path)
{
    struct file_source *f;
    struct stat st;
    char *body;
    FILE *fp;
    size_t n;
    int rc;

    if (!path || !*path)
        return llmc__fail(LLMC_EPARSE, "file needs a path, e.g. 'file:ci.csv'");
    if (!(fp = fopen(path, "rb"))) {
        int e = errno;
        return llmc__fail(e == ENOENT ? LLMC_ENOTFOUND
                          : e == EACCES ? LLMC_EPERM : LLMC_EIO,
                          "cannot open the intensity series '%s': %s", path,
                          strerror(e));
    }
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_size > MAX_FILE_BYTES) {
        fclose(fp);
        return llmc__fail(LLMC_EIO,
                          "'%s' is not a regular file of at most 64 MiB", path);
    }
    if (!(body = malloc((size_t)st.st_size + 1))) {
        fclose(fp);
        return llmc__fail(LLMC_ENOMEM, "out of memory reading '%s'", path);
    }
    n = fread(body, 1, (size_t)st.st_size, fp);
    fclose(fp);
    body[n] = '\0';
    if (!(f = calloc(1, sizeof *f))) {
        free(body);
        return llmc__fail(LLMC_ENOMEM, "out of memory for a grid");
    }
    llmc__series_init(&f->series);
    rc = llmc__parse_user_series(&f->series, body, n, path);
    free(body);
    if (rc == LLMC_OK && f->series.count == 0)
        rc = llmc__fail(LLMC_EFORMAT, "'%s' holds no rows", path);
    if (rc != LLMC_OK) {
        llmc__series_free(&f->series);
        free(f);
        return rc;
    }
    snprintf(f->path, sizeof f->path, "%s", path);
    snprintf(f->provenance, sizeof f->provenance,
             "a time series given by the user (%zu rows from %s)",
             f->series.count, path);
    s->ops = &file_ops;
    s->state = f;
    snprintf(s->spec, sizeof s->spec, "file:%s", path);
    return LLMC_OK;
}
