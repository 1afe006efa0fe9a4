/*
 * llmcarbon.c - the command line: dispatch to subcommands, shared helpers.
 * Output goes to stdout; errors to stderr with a non-zero exit status.
 */
#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "../lib/core/envcheck.h"
#include "../lib/core/numtext.h"
/* the library's redaction, built into this program too (tools/meson.build):
 * an argument echoed in a message may hold a token or password */
void llmc__redact(char *text, size_t size);

static void usage(FILE *f)
{
    fputs("usage: llmcarbon COMMAND [OPTIONS]\n"
          "\n"
          "Energy and CO2e of machine-learning training runs.\n"
          "\n"
          "commands:\n"
          "  estimate   energy and CO2e of a run from energy, or hardware and time\n"
          "  hw         the hardware catalogue: hw list, hw show NAME\n"
          "  grid       grid carbon intensity: grid list, grid show ZONE,\n"
          "             grid get SPEC, grid forecast SPEC --duration DUR\n"
          "  run        run a command and measure its energy and CO2e\n"
          "  report     one report from the logs of a run, reweighted if asked\n"
          "  exporter   serve this node's energy and CO2e for Prometheus\n"
          "\n"
          "options:\n"
          "  --version  print the version and exit\n"
          "  --help     print this help and exit\n"
          "\n"
          "`llmcarbon COMMAND --help` describes a command; see llmcarbon(1).\n",
          f);
}

const char *cli_flag_name(const struct option *options, int c)
{
    for (const struct option *o = options; o->name; o++)
        if (o->val == c)
            return o->name;
    return "?";
}

const char *cli_did_you_mean(char *buf, size_t size, const char *query,
                             const char *const *names, size_t count,
                             const char *prefix)
{
    const char *near = llmc__nearest(query, names, count);
    if (near)
        snprintf(buf, size, " did you mean '%s%s'?", prefix, near);
    else if (size > 0)
        buf[0] = '\0';
    return buf;
}

int cli_not_an_option(const char *cmd, const char *arg,
                      const struct option *options)
{
    const char *names[64];
    char query[64], hint[128];
    size_t n = 0, len;
    const char *q = arg;

    for (const struct option *o = options; o->name && n < 64; o++)
        names[n++] = o->name;
    while (*q == '-')
        q++;
    len = strcspn(q, "=");
    if (len >= sizeof query)
        len = sizeof query - 1;
    memcpy(query, q, len);
    query[len] = '\0';
    cli_did_you_mean(hint, sizeof hint, query, names, n, "--");
    return cli_usage(cmd, "'%s' is not an option;%s", arg,
                     *hint ? hint : " the options are in the help");
}

int cli_fail(const char *cmd, const char *what, int status)
{
    const char *detail = llmc_last_error();
    char line[4096];
    snprintf(line, sizeof line, "llmcarbon %s: %s%s%s (%s)", cmd,
             what ? what : "", what && *what ? ": " : "",
             *detail ? detail : llmc_strerror(status),
             llmc_status_name(status));
    llmc__redact(line, sizeof line);
    fprintf(stderr, "%s\n", line);
    return CLI_FAILED;
}

int cli_tracker_set(llmc_tracker *t, const char *cmd, const char *key,
                    const char *value)
{
    char what[300];
    int rc = llmc_tracker_set(t, key, value);
    if (rc == LLMC_OK)
        return CLI_CONTINUE;
    snprintf(what, sizeof what, "--%s '%s'", key, value);
    return cli_fail(cmd, what, rc);
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    char line[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    llmc__redact(line, sizeof line);
    fprintf(stderr, "llmcarbon %s: %s\nTry `llmcarbon %s --help`.\n", cmd,
            line, cmd);
    return CLI_USAGE;
}

void cli_getopt_init(struct cli_getopt *g, const char *cmd, int argc,
                     char **argv, const char *shortopts,
                     const struct option *options)
{
    memset(g, 0, sizeof *g);
    g->cmd = cmd;
    g->argc = argc;
    g->argv = argv;
    g->shortopts = shortopts;
    g->options = options;
    for (size_t n = 0; options[n].name; n++)
        assert(n < sizeof g->seen); /* room to tell each option twice */
    opterr = 0; /* the messages are ours */
    optind = 1;
}

int cli_getopt_next(struct cli_getopt *g)
{
    int idx = -1;
    int c = getopt_long(g->argc, g->argv, g->shortopts, g->options, &idx);

    if (c == -1)
        return CLI_GETOPT_END;
    if (c == ':') {
        cli_usage(g->cmd, "'%s' needs a value", g->argv[optind - 1]);
        return CLI_GETOPT_USAGE;
    }
    if (c == '?') {
        /* a flag given a value ("--json=1"), or no such option */
        for (const struct option *o = g->options; optopt && o->name; o++)
            if (o->val == optopt && o->has_arg == no_argument) {
                cli_usage(g->cmd, "'--%s' takes no value", o->name);
                return CLI_GETOPT_USAGE;
            }
        cli_not_an_option(g->cmd, g->argv[optind - 1], g->options);
        return CLI_GETOPT_USAGE;
    }
    if (idx < 0) /* a short option: its long twin counts as the same */
        for (int k = 0; g->options[k].name; k++)
            if (g->options[k].val == c) {
                idx = k;
                break;
            }
    if (idx >= 0 && idx < (int)sizeof g->seen) {
        if (g->seen[idx]) {
            cli_usage(g->cmd, "'--%s' is given twice; give it once",
                      g->options[idx].name);
            return CLI_GETOPT_USAGE;
        }
        g->seen[idx] = 1;
    }
    return c;
}

int cli_parse_verb(struct cli_args *out, int argc, char **argv,
                   const char *cmd, const char *help, unsigned opts)
{
    enum { OPT_JSON = 1000, OPT_HELP, OPT_SBATCH };
    static const struct {
        unsigned bit;
        struct option opt;
        size_t offset;
    } value_opts[] = {
        {CLI_OPT_KIND, {"kind", required_argument, NULL, 'k'},
         offsetof(struct cli_args, kind)},
        {CLI_OPT_AT, {"at", required_argument, NULL, 'a'},
         offsetof(struct cli_args, at)},
        {CLI_OPT_DURATION, {"duration", required_argument, NULL, 'd'},
         offsetof(struct cli_args, duration)},
        {CLI_OPT_WITHIN, {"within", required_argument, NULL, 'w'},
         offsetof(struct cli_args, within)},
    };
    struct option options[8];
    struct cli_getopt g;
    size_t n = 0;
    int c;

    memset(out, 0, sizeof *out);
    memset(options, 0, sizeof options);
    for (size_t k = 0; k < sizeof value_opts / sizeof value_opts[0]; k++)
        if (opts & value_opts[k].bit)
            options[n++] = value_opts[k].opt;
    if (opts & CLI_OPT_SBATCH)
        options[n++] = (struct option){"sbatch", no_argument, NULL, OPT_SBATCH};
    options[n++] = (struct option){"json", no_argument, NULL, OPT_JSON};
    options[n++] = (struct option){"help", no_argument, NULL, OPT_HELP};
    cli_getopt_init(&g, cmd, argc, argv, ":h", options);
    while ((c = cli_getopt_next(&g)) != CLI_GETOPT_END) {
        if (c == CLI_GETOPT_USAGE)
            return CLI_USAGE;
        if (c == OPT_HELP || c == 'h') {
            fputs(help, stdout);
            return CLI_OK;
        }
        if (c == OPT_JSON) {
            out->json = 1;
            continue;
        }
        if (c == OPT_SBATCH) {
            out->sbatch = 1;
            continue;
        }
        for (size_t k = 0; k < sizeof value_opts / sizeof value_opts[0]; k++)
            if (value_opts[k].opt.val == c)
                *(const char **)((char *)out + value_opts[k].offset) = optarg;
    }
    for (int i = optind; i < argc; i++) {
        if (!out->verb)
            out->verb = argv[i];
        else if (!out->arg)
            out->arg = argv[i];
        else
            return cli_usage(cmd, "unexpected argument '%s'", argv[i]);
    }
    return CLI_CONTINUE;
}

int cli_print_json(json_t *value)
{
    char *text;
    if (!value) {
        fputs("llmcarbon: out of memory building the JSON output; nothing "
              "was written (LLMC_ENOMEM)\n", stderr);
        return CLI_FAILED;
    }
    text = llmc__json_text(value, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                      JSON_REAL_PRECISION(15));
    json_decref(value);
    if (!text) {
        fputs("llmcarbon: out of memory writing the JSON output; nothing "
              "was written (LLMC_ENOMEM)\n", stderr);
        return CLI_FAILED;
    }
    if (cli_write(text, strlen(text)) != CLI_OK ||
        cli_write("\n", 1) != CLI_OK) {
        free(text);
        fputs("llmcarbon: cannot write the output\n", stderr);
        return CLI_FAILED;
    }
    free(text);
    return CLI_OK;
}

int cli_write(const char *text, size_t len)
{
    /* not through stdio: stdout's buffer is allocated on its first use, and
     * when that fails glibc drops what it was given and reports success */
    if (fflush(stdout) != 0)
        return CLI_FAILED;
    return cli_write_fd(STDOUT_FILENO, text, len) == 0 ? CLI_OK : CLI_FAILED;
}

int cli_write_fd(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? errno : EIO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

json_t *cli_set(json_t *o, const char *key, json_t *value)
{
    /* json_object_set_new releases value when it fails, also for a NULL o */
    if (json_object_set_new(o, key, value) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *cli_append(json_t *array, json_t *value)
{
    if (json_array_append_new(array, value) != 0) {
        json_decref(array);
        return NULL;
    }
    return array;
}

FILE *cli_out_open(struct cli_out *o)
{
    o->buf = NULL;
    o->len = 0;
    o->f = open_memstream(&o->buf, &o->len);
    return o->f;
}

void cli_out_discard(struct cli_out *o)
{
    if (o->f)
        fclose(o->f);
    o->f = NULL;
    free(o->buf);
    o->buf = NULL;
}

int cli_out_close(struct cli_out *o, const char *cmd)
{
    int built = o->f && !ferror(o->f);
    if (o->f && fclose(o->f) != 0)
        built = 0;
    /* glibc's fclose shrinks the buffer to fit: when that realloc fails it
     * releases the text, leaves NULL and still returns 0 */
    if (!o->buf)
        built = 0;
    o->f = NULL;
    if (!built) {
        free(o->buf);
        o->buf = NULL;
        fprintf(stderr, "llmcarbon %s: out of memory building the output; "
                "nothing was written (LLMC_ENOMEM)\n", cmd);
        return CLI_FAILED;
    }
    if (cli_write(o->buf, o->len) != CLI_OK) {
        free(o->buf);
        o->buf = NULL;
        fprintf(stderr, "llmcarbon %s: cannot write the output\n", cmd);
        return CLI_FAILED;
    }
    free(o->buf);
    o->buf = NULL;
    return CLI_OK;
}

const char *cli_utc(char *buf, size_t size, double unix_s)
{
    /* the bounds keep the conversion to int64_t defined; the library
     * refuses what lies outside its years */
    if (unix_s > -1e15 && unix_s < 1e15 &&
        llmc_time_format(buf, size, (int64_t)unix_s) == LLMC_OK)
        return buf;
    snprintf(buf, size, "unknown");
    return buf;
}

const char *cli_num(char *buf, size_t size, double v)
{
    return llmc__num_text(buf, size, v);
}

void cli_key_options(struct option *options, size_t n, size_t cap,
                     size_t (*count)(void),
                     int (*get)(llmc_key_info *, size_t), int val_base)
{
    size_t keys = count();
    llmc_key_info k;
    for (size_t i = 0; i < keys && n + 1 < cap; i++) {
        llmc_key_info_init(&k, sizeof k);
        if (get(&k, i) != LLMC_OK)
            continue;
        options[n++] = (struct option){
            k.flag + 2, *k.arg ? required_argument : no_argument, NULL,
            val_base + (int)i};
    }
    options[n] = (struct option){NULL, 0, NULL, 0};
}

void cli_print_key(const llmc_key_info *k, int flag_width)
{
    char left[96];
    snprintf(left, sizeof left, "%s%s%s", k->flag, *k->arg ? " " : "",
             k->arg);
    printf("  %-*s ", flag_width, left);
    cli_wrap(k->help, flag_width + 3, 78);
}

void cli_wrap(const char *s, int indent, int width)
{
    cli_wrapf(stdout, s, indent, width);
}

void cli_wrapf(FILE *out, const char *s, int indent, int width)
{
    int col = indent;
    while (*s) {
        const char *w = s;
        int len;
        while (*s && *s != ' ')
            s++;
        len = (int)(s - w);
        if (col > indent && col + 1 + len > width) {
            fprintf(out, "\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            putc(' ', out);
            col++;
        }
        fprintf(out, "%.*s", len, w);
        col += len;
        while (*s == ' ')
            s++;
    }
    putc('\n', out);
}

static void warn_env(const char *message, void *userdata)
{
    (void)userdata;
    fprintf(stderr, "llmcarbon: warning: %s\n", message);
}

static int dispatch(int argc, char **argv)
{
    static const char *const commands[] = {"estimate", "hw", "grid", "run",
                                           "report", "exporter", "help"};
    char hint[128];

    setlocale(LC_ALL, "C");
    llmc__env_check(warn_env, NULL);
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("llmcarbon %s\n", llmc_version_string());
        return CLI_OK;
    }
    if (strcmp(argv[1], "estimate") == 0)
        return cmd_estimate(argc - 1, argv + 1);
    if (strcmp(argv[1], "hw") == 0)
        return cmd_hw(argc - 1, argv + 1);
    if (strcmp(argv[1], "grid") == 0)
        return cmd_grid(argc - 1, argv + 1);
    if (strcmp(argv[1], "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(argv[1], "report") == 0)
        return cmd_report(argc - 1, argv + 1);
    if (strcmp(argv[1], "exporter") == 0)
        return cmd_exporter(argc - 1, argv + 1);
    if (argv[1][0] == '-' && argv[1][1] != '\0') {
        static const char *const top_options[] = {"help", "version"};
        const char *q = argv[1] + strspn(argv[1], "-");
        cli_did_you_mean(hint, sizeof hint, q, top_options, 2, "--");
        fprintf(stderr, "llmcarbon: '%s' is not an option;%s %s options "
                "before a command are --help and --version.\n"
                "Try `llmcarbon --help`.\n", argv[1], hint,
                *hint ? "The" : "the");
        return CLI_USAGE;
    }
    cli_did_you_mean(hint, sizeof hint, argv[1], commands,
                     sizeof commands / sizeof commands[0], "");
    fprintf(stderr,
            "llmcarbon: '%s' is not a command;%s %s commands are "
            "estimate, run, report, exporter, hw and grid.\n"
            "Try `llmcarbon --help`.\n",
            argv[1], hint, *hint ? "The" : "the");
    return CLI_USAGE;
}

int main(int argc, char **argv)
{
    int rc = dispatch(argc, argv), flushed = fflush(stdout) == 0 ? 0 : errno;
    /* What went through stdio (help, version) and could not be written, on
     * a full disk or a closed pipe, is a failure like any other output. */
    if (rc == CLI_OK && (flushed || ferror(stdout))) {
        fprintf(stderr, "llmcarbon: cannot write the output%s%s\n",
                flushed ? ": " : "", flushed ? strerror(flushed) : "");
        rc = CLI_FAILED;
    }
    return rc;
}
