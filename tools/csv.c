/*
 * csv.c - a run's row of `--csv FILE`, for `llmcarbon run` and `llmcarbon
 * report` alike: the columns are the JSON report's keys, in its units, after
 * the run's identity. Rows are appended by many jobs to one file: each row
 * is built in memory and added with one write(2) on an O_APPEND descriptor,
 * and a new file's header is written under flock(2), so that neither a row
 * nor the header is ever interleaved or doubled.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "tables.h"

/* The identity columns, then the figures: each a key of the JSON reports
 * of run and report (report's JSON lacks steps, intensity and the
 * per-token figures; tools/report_tables.c adds them the way the tracker
 * computes them). */
static const char *const identity_columns[] = {
    "name", "job", "host", "start_time", "grid", "pue", "measurement",
};
static const char *const figure_columns[] = {
    "duration_s",         "energy_j",        "energy_kwh",
    "operational_kgco2e", "embodied_kgco2e", "total_kgco2e",
    "intensity_gco2e_per_kwh", "steps",      "tokens",
    "j_per_token",        "gco2e_per_token",
};
#define NIDENTITY (sizeof identity_columns / sizeof identity_columns[0])
#define NFIGURES (sizeof figure_columns / sizeof figure_columns[0])

static void put(struct csv_buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        char *p;
        while (cap < b->len + n + 1)
            cap *= 2;
        if (!(p = realloc(b->p, cap))) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* One field, quoted as RFC 4180 says. */
static void cell(struct csv_buf *b, int first, const char *text)
{
    if (!first)
        put(b, ",", 1);
    if (!text)
        return;
    if (!text[strcspn(text, ",\"\r\n")]) {
        put(b, text, strlen(text));
        return;
    }
    put(b, "\"", 1);
    for (const char *q; (q = strchr(text, '"')) != NULL; text = q + 1) {
        put(b, text, (size_t)(q - text) + 1);
        put(b, "\"", 1); /* a quote is doubled */
    }
    put(b, text, strlen(text));
    put(b, "\"", 1);
}

void csv_text(struct csv_buf *b, int first, const char *text)
{
    char *guarded;
    size_t n;
    /* A spreadsheet runs a cell that begins with one of these as a
     * formula (=HYPERLINK(...), +cmd|...): a text cell from a host name,
     * job, phase, command or path gets a leading ' so that it shows as the
     * text it is. Numbers are written by csv_num and csv_int, never here. */
    if (!text || !*text || !strchr("=+-@\t\r", *text)) {
        cell(b, first, text);
        return;
    }
    n = strlen(text);
    if (!(guarded = malloc(n + 2))) {
        b->failed = 1;
        return;
    }
    guarded[0] = '\'';
    memcpy(guarded + 1, text, n + 1);
    cell(b, first, guarded);
    free(guarded);
}

void csv_num(struct csv_buf *b, int first, double v)
{
    char text[64] = "";
    if (isfinite(v))
        snprintf(text, sizeof text, "%.15g", v);
    cell(b, first, text);
}

void csv_int(struct csv_buf *b, int first, long long v)
{
    char text[32];
    snprintf(text, sizeof text, "%lld", v);
    cell(b, first, text);
}

void csv_uint(struct csv_buf *b, int first, unsigned long long v)
{
    char text[32];
    snprintf(text, sizeof text, "%llu", v);
    cell(b, first, text);
}

void csv_end(struct csv_buf *b)
{
    put(b, "\r\n", 2);
}

const char *csv_run_header(void)
{
    static char header[512];
    if (!*header) {
        size_t n = 0;
        for (size_t i = 0; i < NIDENTITY + NFIGURES; i++)
            n += (size_t)snprintf(header + n, sizeof header - n, "%s%s",
                                  i ? "," : "",
                                  i < NIDENTITY
                                      ? identity_columns[i]
                                      : figure_columns[i - NIDENTITY]);
    }
    return header;
}

/* A figure of the JSON report: integers as integers, null or absent as an
 * empty cell. */
static void figure(struct csv_buf *b, json_t *figures, const char *key)
{
    json_t *v = json_object_get(figures, key);
    if (json_is_integer(v)) {
        csv_int(b, 0, (long long)json_integer_value(v));
    } else {
        csv_num(b, 0, json_is_number(v) ? json_number_value(v) : NAN);
    }
}

/* The first line of the file open at fd matches our header: 1; another
 * header (or no line end within its first kilobytes): 0, with what it
 * holds in seen; -1 with errno when it cannot be read. */
static int header_matches(int fd, char *seen, size_t size)
{
    const char *ours = csv_run_header();
    char line[4096];
    ssize_t got;
    size_t n;

    while ((got = pread(fd, line, sizeof line - 1, 0)) < 0 && errno == EINTR)
        ;
    if (got < 0)
        return -1;
    line[got] = '\0';
    n = strcspn(line, "\r\n");
    line[n] = '\0';
    snprintf(seen, size, "%.80s%s", line, n > 80 ? "..." : "");
    return strcmp(line, ours) == 0;
}

/* What a row needs before it. */
enum before {
    BEFORE_NOTHING,
    BEFORE_HEADER,  /* a new or empty file, or not a regular file (a pipe,
                       /dev/stdout: new each time) */
    BEFORE_LINE_END /* the last line was cut short (a full disk): the row
                       starts a line of its own, not the end of that one */
};

/* Opens path to append rows, locked (flock, released by close), and
 * checks its header; *before says what the row needs before it. The open
 * descriptor, or -1 after saying why on stderr. */
static int open_table(const char *cmd, const char *path, enum before *before)
{
    char seen[128], last = '\n';
    struct stat st;
    int fd, m;

    if ((fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0666)) <
        0) {
        fprintf(stderr, "llmcarbon %s: --csv %s: cannot open it: %s; no row "
                "was written\n", cmd, path, strerror(errno));
        return -1;
    }
    /* The lock makes "empty, so write the header" one step: two runs that
     * start on a new file would otherwise both write it. A file system
     * without locks still gets whole rows (one write each). */
    while (flock(fd, LOCK_EX) != 0 && errno == EINTR)
        ;
    if (fstat(fd, &st) != 0) {
        fprintf(stderr, "llmcarbon %s: --csv %s: %s; no row was written\n",
                cmd, path, strerror(errno));
        close(fd);
        return -1;
    }
    *before = BEFORE_NOTHING;
    if (!S_ISREG(st.st_mode) || st.st_size == 0) {
        *before = BEFORE_HEADER;
        return fd;
    }
    if ((m = header_matches(fd, seen, sizeof seen)) < 0)
        fprintf(stderr, "llmcarbon %s: --csv %s: cannot read its header: "
                "%s; no row was written\n", cmd, path, strerror(errno));
    else if (m == 0)
        fprintf(stderr, "llmcarbon %s: --csv %s: its first line is not this "
                "version's header (it starts \"%s\"); no row was written, "
                "since it would not line up with those columns: give a new "
                "file (or move this one away)\n", cmd, path, seen);
    if (m != 1) {
        close(fd);
        return -1;
    }
    if (pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n')
        *before = BEFORE_LINE_END;
    return fd;
}

int csv_check(const char *cmd, const char *path)
{
    enum before before;
    int fd = open_table(cmd, path, &before);
    if (fd < 0)
        return CLI_FAILED;
    close(fd);
    return CLI_OK;
}

int csv_append_run(const char *cmd, const char *path,
                   const struct csv_identity *id, json_t *figures)
{
    struct csv_buf row = {0}, all = {0};
    char when[32] = "";
    enum before before;
    int fd, rc = CLI_FAILED;
    ssize_t wrote;

    if (!isnan(id->start_unix_s))
        cli_utc(when, sizeof when, id->start_unix_s);
    csv_text(&row, 1, id->name);
    csv_text(&row, 0, id->job);
    csv_text(&row, 0, id->host);
    csv_text(&row, 0, strcmp(when, "unknown") ? when : "");
    csv_text(&row, 0, id->grid);
    csv_num(&row, 0, id->pue);
    csv_text(&row, 0, id->measurement);
    for (size_t i = 0; i < NFIGURES; i++)
        figure(&row, figures, figure_columns[i]);
    csv_end(&row);
    if (row.failed) {
        free(row.p);
        fprintf(stderr, "llmcarbon %s: --csv %s: out of memory; no row "
                "was written (LLMC_ENOMEM)\n", cmd, path);
        return CLI_FAILED;
    }
    if ((fd = open_table(cmd, path, &before)) < 0) {
        free(row.p);
        return CLI_FAILED;
    }
    if (before == BEFORE_HEADER)
        put(&all, csv_run_header(), strlen(csv_run_header()));
    if (before != BEFORE_NOTHING)
        csv_end(&all);
    put(&all, row.p, row.len);
    if (all.failed) {
        fprintf(stderr, "llmcarbon %s: --csv %s: out of memory; no row was "
                "written (LLMC_ENOMEM)\n", cmd, path);
        goto out;
    }
    while ((wrote = write(fd, all.p, all.len)) < 0 && errno == EINTR)
        ;
    if (wrote < 0) {
        fprintf(stderr, "llmcarbon %s: --csv %s: cannot write the row: %s\n",
                cmd, path, strerror(errno));
        goto out;
    }
    if ((size_t)wrote != all.len) {
        fprintf(stderr, "llmcarbon %s: --csv %s: only %zd of the row's %zu "
                "bytes were written (is the file system full?); the file's "
                "last line is cut short\n", cmd, path, wrote, all.len);
        goto out;
    }
    rc = CLI_OK;
out:
    /* closing releases the lock; a file system may report a failed write
     * only now (NFS) */
    if (close(fd) != 0 && rc == CLI_OK) {
        fprintf(stderr, "llmcarbon %s: --csv %s: cannot write the row: %s\n",
                cmd, path, strerror(errno));
        rc = CLI_FAILED;
    }
    free(row.p);
    free(all.p);
    return rc;
}
