/*
 * llmcarbon.c - the command line: dispatch to subcommands, shared helpers.
 * Output goes to stdout; errors to stderr with a non-zero exit status.
 */
#include <getopt.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
    fputs("usage: llmcarbon COMMAND [OPTIONS]\n"
          "\n"
          "Energy and CO2e of machine-learning training runs.\n"
          "\n"
          "commands:\n"
          "  estimate   energy and CO2e of a run from energy, or hardware and time\n"
          "  hw         the hardware catalogue: hw list, hw show NAME\n"
          "  grid       grid carbon intensity: grid list, grid show ZONE\n"
          "  run        run a command and measure its energy and CO2e\n"
          "  report     one report from the logs of a run, reweighted if asked\n"
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

int cli_fail(const char *cmd, const char *what, int status)
{
    const char *detail = llmc_last_error();
    fprintf(stderr, "llmcarbon %s: %s%s%s (%s)\n", cmd, what ? what : "",
            what && *what ? ": " : "", *detail ? detail : llmc_strerror(status),
            llmc_status_name(status));
    return CLI_FAILED;
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "llmcarbon %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry `llmcarbon %s --help`.\n", cmd);
    return CLI_USAGE;
}

int cli_parse_verb(struct cli_args *out, int argc, char **argv,
                   const char *cmd, const char *help, unsigned opts)
{
    static const struct {
        unsigned bit;
        const char *flag;
        size_t offset;
    } value_opts[] = {
        {CLI_OPT_KIND, "--kind", offsetof(struct cli_args, kind)},
        {CLI_OPT_AT, "--at", offsetof(struct cli_args, at)},
        {CLI_OPT_DURATION, "--duration", offsetof(struct cli_args, duration)},
        {CLI_OPT_WITHIN, "--within", offsetof(struct cli_args, within)},
    };
    memset(out, 0, sizeof *out);
    for (int i = 1; i < argc; i++) {
        size_t k, nk = sizeof value_opts / sizeof value_opts[0];
        for (k = 0; k < nk; k++)
            if ((opts & value_opts[k].bit) &&
                strcmp(argv[i], value_opts[k].flag) == 0)
                break;
        if (k < nk) {
            if (++i >= argc)
                return cli_usage(cmd, "'%s' needs a value", value_opts[k].flag);
            *(const char **)((char *)out + value_opts[k].offset) = argv[i];
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(help, stdout);
            return CLI_OK;
        } else if (strcmp(argv[i], "--json") == 0) {
            out->json = 1;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return cli_usage(cmd, "'%s' is not an option", argv[i]);
        } else if (!out->verb) {
            out->verb = argv[i];
        } else if (!out->arg) {
            out->arg = argv[i];
        } else {
            return cli_usage(cmd, "unexpected argument '%s'", argv[i]);
        }
    }
    return -1;
}

int cli_print_json(json_t *value)
{
    char *text;
    if (!value)
        return CLI_FAILED;
    text = json_dumps(value, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                 JSON_REAL_PRECISION(15));
    json_decref(value);
    if (!text)
        return CLI_FAILED;
    puts(text);
    free(text);
    return CLI_OK;
}

const char *cli_num(char *buf, size_t size, double v)
{
    char raw[64];
    const char *dot;
    size_t len, digits, out = 0;

    if (!isfinite(v)) {
        snprintf(buf, size, "unknown");
        return buf;
    }
    if (fabs(v) >= 1000.0)
        snprintf(raw, sizeof raw, "%.0f", v);
    else if (fabs(v) >= 1.0)
        snprintf(raw, sizeof raw, "%.2f", v);
    else if (v == 0.0)
        snprintf(raw, sizeof raw, "0");
    else {
        /* three significant digits, never in exponent form */
        int decimals = 2 - (int)floor(log10(fabs(v)));
        snprintf(raw, sizeof raw, "%.*f", decimals > 15 ? 15 : decimals, v);
    }
    /* 700.00 -> 700, 1.10 -> 1.1 */
    if (strchr(raw, '.') && !strchr(raw, 'e')) {
        char *end = raw + strlen(raw) - 1;
        while (*end == '0')
            *end-- = '\0';
        if (*end == '.')
            *end = '\0';
    }
    /* group thousands in the integer part: 1234567.5 -> 1,234,567.5 */
    dot = strchr(raw, '.');
    len = strlen(raw);
    digits = dot ? (size_t)(dot - raw) : len;
    for (size_t i = 0; i < len && out + 2 < size; i++) {
        size_t left = digits - i;
        buf[out++] = raw[i];
        if (i < digits && raw[i] != '-' && left > 1 && (left - 1) % 3 == 0)
            buf[out++] = ',';
    }
    buf[out] = '\0';
    return buf;
}

void cli_wrap(const char *s, int indent, int width)
{
    int col = indent;
    while (*s) {
        const char *w = s;
        int len;
        while (*s && *s != ' ')
            s++;
        len = (int)(s - w);
        if (col > indent && col + 1 + len > width) {
            printf("\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            putchar(' ');
            col++;
        }
        printf("%.*s", len, w);
        col += len;
        while (*s == ' ')
            s++;
    }
    putchar('\n');
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "C");
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
    fprintf(stderr,
            "llmcarbon: '%s' is not a command; the commands are estimate, run, "
            "report, hw and grid.\nTry `llmcarbon --help`.\n",
            argv[1]);
    return CLI_USAGE;
}
