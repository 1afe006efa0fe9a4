/*
 * tables.h - the CSV tables of `llmcarbon run --csv` and `llmcarbon report
 * --csv/--csv-samples`, and report's --compare: one row format, written
 * by one function, so that run and report agree on a run's figures.
 */
#ifndef LLMC_TOOLS_TABLES_H
#define LLMC_TOOLS_TABLES_H

#include <jansson.h>
#include <stddef.h>

#include "llmcarbon.h"

/* A text growing in memory: a row is built whole, then written at once.
 * failed is set when memory ran out; every function then does nothing. */
struct csv_buf {
    char *p;
    size_t len, cap;
    int failed;
};
/* One text field, quoted as RFC 4180 says where it holds a comma, a
 * quote, CR or LF (a quote doubled); first says whether it opens the
 * record. NULL is an empty field. A text that begins with =, +, -, @, TAB
 * or CR, which a spreadsheet would run as a formula, is written after a
 * '. */
void csv_text(struct csv_buf *b, int first, const char *text);
/* A number as the JSON report writes it (15 significant digits); NaN and
 * infinities are an empty field, never 0. */
void csv_num(struct csv_buf *b, int first, double v);
/* A whole number, written as it is. */
void csv_int(struct csv_buf *b, int first, long long v);
void csv_uint(struct csv_buf *b, int first, unsigned long long v);
/* The end of a record: CRLF (RFC 4180). */
void csv_end(struct csv_buf *b);

/* Who a run's row is about. NULL strings and NaN numbers are empty cells. */
struct csv_identity {
    const char *name;        /* run: the command; report: its logs      */
    const char *job;
    const char *host;        /* report: the hosts, space-separated      */
    double start_unix_s;     /* the measurement's start                 */
    const char *grid;        /* the grid spec that priced the energy    */
    double pue;
    const char *measurement; /* "measured", "estimated" or "unmeasured" */
};

/* The header of a run's row (no line end). */
const char *csv_run_header(void);
/* Appends one row to path: identity, then the figures named by the
 * columns, read by key from figures (a JSON report's object; null or
 * absent is an empty cell). The file gets the header first when it is new
 * or empty; a file whose header is another one is refused (rows are never
 * written under other columns). The row (with the header, if any) is one
 * write(2) on an O_APPEND descriptor, under flock(2), so that concurrent
 * appenders each add one whole row and one header only is written.
 * CLI_OK, or CLI_FAILED after saying why on stderr ("llmcarbon CMD: ..."). */
int csv_append_run(const char *cmd, const char *path,
                   const struct csv_identity *id, json_t *figures);

/* Before a run: path can take rows (it is created when absent, and a
 * file that has rows has our header). CLI_OK or CLI_FAILED after saying
 * why, as csv_append_run would. */
int csv_check(const char *cmd, const char *path);

/* The reader's warnings on stderr, one "llmcarbon report: warning: "
 * line each (tools/cmd_report.c). */
void report_print_warnings(const llmc_runlog *log);

/* report's tables (tools/report_tables.c). paths: the logs read (npaths),
 * name: the row's name. CLI_OK or CLI_FAILED after saying why. */
int report_csv_run(const char *path, const llmc_runlog *log,
                   const char *const *paths, size_t npaths, const char *name,
                   double pue_override);
int report_csv_samples(const char *path, const llmc_runlog *log);
/* --compare: the logs are A's, then B's after the operand "vs"; or two
 * logs, A and B. */
int report_compare(const char *const *logs, size_t nlogs, llmc_grid *grid,
                   double pue, int json);

/* Says on stderr that memory ran out and nothing was written; CLI_FAILED. */
int report_out_of_memory(void);

#endif
