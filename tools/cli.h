/* cli.h - what the llmcarbon subcommands share. */
#ifndef LLMC_TOOLS_CLI_H
#define LLMC_TOOLS_CLI_H

#include <jansson.h>
#include <stdio.h>

#include "llmcarbon.h"
/* the library's exact JSON writer and reader, built into this program too
 * (tools/meson.build): jansson's own drop text when memory runs out */
#include "../lib/core/json.h"

/* Exit statuses, documented in llmcarbon(1). */
#define CLI_OK 0
#define CLI_FAILED 1 /* the library refused an input or an operation */
#define CLI_USAGE 2  /* the command line itself is wrong */
/* Not an exit status: what a step of a command answers when the command
 * goes on. */
#define CLI_CONTINUE (-1)

int cmd_estimate(int argc, char **argv);
int cmd_hw(int argc, char **argv);
int cmd_grid(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_report(int argc, char **argv);
/* The logs of a Slurm job's directory (JOBID under $LLMC_SLURM_LOG_DIR or
 * the plugin's default logdir, or a directory), in name order; CLI_OK, or
 * CLI_FAILED/CLI_USAGE after saying why. Release with report_slurm_free. */
int report_slurm_logs(char ***out, size_t *out_n, const char *job);
void report_slurm_free(char **paths, size_t n);
int cmd_exporter(int argc, char **argv);

/* "llmcarbon estimate: --zone 'XX': <library message>" on stderr. */
int cli_fail(const char *cmd, const char *what, int status);
/* llmc_tracker_set of a flag from the key table: CLI_CONTINUE, or the exit
 * status of the failure, said with the flag and its value. */
int cli_tracker_set(llmc_tracker *t, const char *cmd, const char *key,
                    const char *value);
int cli_usage(const char *cmd, const char *fmt, ...);
/* The command line of `hw` and `grid`: VERB [ARG] [--json] [--kind K].
 * Returns -1 when parsing succeeded, else the exit status to return (help
 * printed, or a usage error reported). kind is NULL when the command takes
 * no --kind. */
#define CLI_OPT_KIND 0x1
#define CLI_OPT_AT 0x2
#define CLI_OPT_DURATION 0x4
#define CLI_OPT_WITHIN 0x8
#define CLI_OPT_SBATCH 0x10 /* --sbatch, a switch */
struct cli_args {
    const char *verb;
    const char *arg;
    const char *kind;     /* --kind */
    const char *at;       /* --at */
    const char *duration; /* --duration */
    const char *within;   /* --within */
    int json;
    int sbatch;           /* --sbatch */
};
/* opts: the CLI_OPT_* value options the command takes. CLI_CONTINUE when
 * out holds the command line, else the command's exit status (CLI_OK
 * after --help, CLI_USAGE after a usage error, printed). */
int cli_parse_verb(struct cli_args *out, int argc, char **argv,
                   const char *cmd, const char *help, unsigned opts);

/* The one option parser of every subcommand: getopt_long with the rules
 * of llmcarbon(1): an option given twice, a value missing, a value given
 * to a flag, and an option that does not exist (with the nearest one) are
 * usage errors. shortopts is ":" (options anywhere, GNU order), "+:" (stop
 * at the first operand, as run does), and may add "h" for -h. */
struct option;
struct cli_getopt {
    const char *cmd;
    int argc;
    char **argv;
    const char *shortopts;
    const struct option *options;
    unsigned char seen[64]; /* by index into options */
};
void cli_getopt_init(struct cli_getopt *g, const char *cmd, int argc,
                     char **argv, const char *shortopts,
                     const struct option *options);
/* What cli_getopt_next answers besides an option's val (never negative). */
enum {
    CLI_GETOPT_END = -1,  /* no option left: optind indexes the first operand */
    CLI_GETOPT_USAGE = -2 /* a usage error, printed: return CLI_USAGE */
};
/* The next option's val (optarg holds its value), or CLI_GETOPT_END or
 * CLI_GETOPT_USAGE. */
int cli_getopt_next(struct cli_getopt *g);

/* The long name of the getopt option whose value is c, or "?". */
const char *cli_flag_name(const struct option *options, int c);
/* The usage error for arg, an option that does not exist ("--enrgy",
 * "--enrgy=1"): it names the nearest option of the getopt table options
 * when arg looks like a typo of one. */
int cli_not_an_option(const char *cmd, const char *arg,
                      const struct option *options);
/* " did you mean 'estimate'?" for a typo of one of names (count of them),
 * each written with prefix before it; "" when none is near. */
const char *cli_did_you_mean(char *buf, size_t size, const char *query,
                             const char *const *names, size_t count,
                             const char *prefix);

/* Prints a JSON value to stdout (indent 2, keys in insertion order) and
 * releases it; NULL (a value that could not be built) or a failure to
 * write it prints nothing on stdout, a message on stderr, and returns
 * CLI_FAILED. */
int cli_print_json(json_t *value);
/* A command's text output, built in memory and written at once, so that a
 * failure half-way (out of memory) leaves stdout empty: print to o->f,
 * then cli_out_close writes it all, or reports on stderr why not and
 * returns CLI_FAILED. cli_out_open returns NULL when out of memory; call
 * cli_out_close all the same. */
struct cli_out {
    FILE *f;
    char *buf;
    size_t len;
};
FILE *cli_out_open(struct cli_out *o);
/* Writes text to standard output (after what stdio holds): CLI_OK, or
 * CLI_FAILED when it could not (the caller says so). */
int cli_write(const char *text, size_t len);
/* len bytes to fd whole, across EINTR and short writes: 0, or the errno of
 * the failure (EIO for a write of nothing). Only write(2) and errno: a
 * signal handler may call it. */
int cli_write_fd(int fd, const void *data, size_t len);
int cli_out_close(struct cli_out *o, const char *cmd);
/* Releases an output that is not to be written (an error came first). */
void cli_out_discard(struct cli_out *o);
/* json_object_set_new and json_array_append_new that pass a failure on:
 * they return the object (array), or NULL, releasing it, when it or value
 * is NULL (out of memory) or the insertion fails. Chained, the last
 * result says whether the whole value was built. */
json_t *cli_set(json_t *o, const char *key, json_t *value);
json_t *cli_append(json_t *array, json_t *value);
/* A number in a readable form: grouping for large values, few decimals. */
const char *cli_num(char *buf, size_t size, double v);
/* A Unix time as "2026-12-04T15:00:00Z" (UTC); "unknown" when not one. */
const char *cli_utc(char *buf, size_t size, double unix_s);
/* Appends to options, from index n (the command's own flags come first),
 * one getopt option per key of a library table (count and get:
 * llmc_tracker_key_count/_get or llmc_estimate_key_count/_get), val
 * val_base + the key's index, taking a value unless the key has no
 * placeholder (a switch); ends the array within cap entries. */
void cli_key_options(struct option *options, size_t n, size_t cap,
                     size_t (*count)(void),
                     int (*get)(llmc_key_info *, size_t), int val_base);
/* One help line for a key of a library table (llmc_tracker_key_get,
 * llmc_estimate_key_get): "  --flag ARG" in a column of flag_width, then
 * the key's help, wrapped under itself. */
void cli_print_key(const llmc_key_info *k, int flag_width);
/* Writes s on stdout, wrapping after `width` columns with `indent`. */
void cli_wrap(const char *s, int indent, int width);
void cli_wrapf(FILE *out, const char *s, int indent, int width);

#endif
