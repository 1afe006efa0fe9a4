/*
 * test_cli.c - the `llmcarbon` command line, run as a user runs it.
 *
 * Each test fork/execs $LLMC_CLI (never through a shell) with stdout and
 * stderr on separate pipes, and checks the exit status, what went to each
 * stream, and the values printed. Expected values come from the bundled
 * CSV files under $LLMC_SOURCE_ROOT/data, or are computed here from the
 * documented formulas:
 *
 *   operational = energy_kWh x PUE x intensity_g/kWh / 1000
 *   embodied    = embodied_kg x device_hours / (lifetime_years x 365.25 x 24)
 *
 * Output hygiene is checked everywhere: a command that succeeds writes
 * nothing on stderr; a command that fails writes nothing on stdout.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

/* ------------------------------------------------------------------------
 * Running the CLI
 * ------------------------------------------------------------------------ */

struct result {
    int exited;      /* 1 when the process exited (not killed by a signal) */
    int status;      /* exit status when exited; the signal number if not  */
    char *out;       /* everything written on stdout, NUL-terminated       */
    size_t out_len;
    char *err;       /* everything written on stderr, NUL-terminated       */
    size_t err_len;
    char cmdline[1024]; /* for failure messages                            */
};

struct buf {
    char *data;
    size_t len, cap;
};

static void buf_append(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (b->len + n + 1 > cap)
            cap *= 2;
        b->data = realloc(b->data, cap);
        ck_assert_msg(b->data != NULL, "out of memory");
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static const char *cli_path(void)
{
    const char *p = getenv("LLMC_CLI");
    ck_assert_msg(p && *p, "LLMC_CLI is not set (path of the llmcarbon "
                           "executable)");
    return p;
}

static void result_free(struct result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

/* `llmcarbon run` passes on its command's status, 127 included. */
static int allow_127;
/* When set, the program's stdout is this file instead of a pipe. */
static const char *stdout_to;

/* Runs $LLMC_CLI with the arguments in argv (NULL-terminated, without
 * argv[0]); fills r. Reads stdout and stderr together with poll() so that
 * neither pipe can fill up and block the child. */
static void run(const char *const argv[], struct result *r)
{
    const char *cli = cli_path();
    const char *full[64];
    int outp[2], errp[2], wstatus;
    size_t n = 0, used;
    struct buf out = {0}, err = {0};
    struct pollfd fds[2];
    pid_t pid;

    memset(r, 0, sizeof *r);
    full[n++] = cli;
    used = (size_t)snprintf(r->cmdline, sizeof r->cmdline, "llmcarbon");
    for (size_t i = 0; argv[i]; i++) {
        ck_assert_msg(n + 1 < sizeof full / sizeof full[0], "too many args");
        full[n++] = argv[i];
        if (used < sizeof r->cmdline)
            used += (size_t)snprintf(r->cmdline + used,
                                     sizeof r->cmdline - used, " '%s'",
                                     argv[i]);
    }
    full[n] = NULL;

    ck_assert_msg(pipe2(outp, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
    ck_assert_msg(pipe2(errp, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
    fflush(NULL);
    pid = fork();
    ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        int out_fd = stdout_to ? open(stdout_to, O_WRONLY | O_CLOEXEC)
                               : outp[1];
        if (devnull < 0 || out_fd < 0 || dup2(devnull, STDIN_FILENO) < 0 ||
            dup2(out_fd, STDOUT_FILENO) < 0 ||
            dup2(errp[1], STDERR_FILENO) < 0)
            _exit(126);
        /* A user's plain environment: no library debug logging on stderr. */
        unsetenv("LLMC_DEBUG");
        /* and no credentials of the person running the tests */
        unsetenv("ELECTRICITYMAPS_API_TOKEN");
        unsetenv("WATTTIME_USERNAME");
        unsetenv("WATTTIME_PASSWORD");
        execv(cli, (char *const *)full);
        dprintf(STDERR_FILENO, "test_cli: exec %s: %s\n", cli,
                strerror(errno));
        _exit(127);
    }
    close(outp[1]);
    close(errp[1]);

    fds[0].fd = outp[0];
    fds[0].events = POLLIN;
    fds[1].fd = errp[0];
    fds[1].events = POLLIN;
    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        int rc = poll(fds, 2, -1);
        if (rc < 0) {
            ck_assert_msg(errno == EINTR, "poll: %s", strerror(errno));
            continue;
        }
        for (int i = 0; i < 2; i++) {
            char chunk[8192];
            ssize_t got;
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            got = read(fds[i].fd, chunk, sizeof chunk);
            if (got < 0 && errno == EINTR)
                continue;
            ck_assert_msg(got >= 0, "read: %s", strerror(errno));
            if (got == 0) {
                close(fds[i].fd);
                fds[i].fd = -1; /* poll ignores negative fds */
                continue;
            }
            buf_append(i == 0 ? &out : &err, chunk, (size_t)got);
        }
    }
    while (waitpid(pid, &wstatus, 0) < 0)
        ck_assert_msg(errno == EINTR, "waitpid: %s", strerror(errno));

    buf_append(&out, "", 0);
    buf_append(&err, "", 0);
    r->out = out.data;
    r->out_len = out.len;
    r->err = err.data;
    r->err_len = err.len;
    r->exited = WIFEXITED(wstatus);
    r->status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : WTERMSIG(wstatus);
    ck_assert_msg(r->exited, "%s was killed by signal %d; stderr:\n%s",
                  r->cmdline, r->status, r->err);
    ck_assert_msg(allow_127 || (r->status != 126 && r->status != 127),
                  "%s could not be started: %s", r->cmdline, r->err);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define RUN(r, ...) run(ARGS(__VA_ARGS__), (r))

/* A success: exit 0, something on stdout, nothing on stderr. */
static void expect_ok(const struct result *r)
{
    ck_assert_msg(r->status == 0, "%s: exit %d, want 0; stderr:\n%s",
                  r->cmdline, r->status, r->err);
    ck_assert_msg(r->err_len == 0, "%s: succeeded but wrote on stderr:\n%s",
                  r->cmdline, r->err);
    ck_assert_msg(r->out_len > 0, "%s: succeeded but printed nothing",
                  r->cmdline);
}

/* A failure: the given exit status, nothing on stdout, a message on
 * stderr that starts with the program's name. */
static void expect_fail(const struct result *r, int want)
{
    ck_assert_msg(r->status == want, "%s: exit %d, want %d; stdout:\n%s\nstderr:\n%s",
                  r->cmdline, r->status, want, r->out, r->err);
    ck_assert_msg(r->out_len == 0, "%s: failed but wrote on stdout:\n%s",
                  r->cmdline, r->out);
    ck_assert_msg(r->err_len > 0, "%s: failed without a message on stderr",
                  r->cmdline);
    ck_assert_msg(strncmp(r->err, "llmcarbon", 9) == 0 ||
                      strncmp(r->err, "usage: llmcarbon", 16) == 0,
                  "%s: message does not name the program:\n%s", r->cmdline,
                  r->err);
}

static void expect_contains(const struct result *r, const char *stream,
                            const char *text, const char *needle)
{
    ck_assert_msg(strstr(text, needle) != NULL,
                  "%s: %s does not contain \"%s\":\n%s", r->cmdline, stream,
                  needle, text);
}

#define OUT_HAS(r, s) expect_contains((r), "stdout", (r)->out, (s))
#define ERR_HAS(r, s) expect_contains((r), "stderr", (r)->err, (s))

/* The text with every run of whitespace made one space: wrapped output. */
static char *squeeze(const char *s)
{
    char *o = malloc(strlen(s) + 1), *w = o;
    int space = 0;
    ck_assert_ptr_nonnull(o);
    for (; *s; s++) {
        if (*s == ' ' || *s == '\n' || *s == '\t') {
            space = 1;
            continue;
        }
        if (space && w != o)
            *w++ = ' ';
        space = 0;
        *w++ = *s;
    }
    *w = '\0';
    return o;
}

/* ------------------------------------------------------------------------
 * JSON helpers
 * ------------------------------------------------------------------------ */

static json_t *parse_json(const struct result *r)
{
    json_error_t e;
    /* Flags 0: the whole of stdout must be one value (trailing whitespace
     * only). */
    json_t *j = json_loadb(r->out, r->out_len, 0, &e);
    ck_assert_msg(j != NULL, "%s: stdout is not one JSON value: %s (line %d)\n%s",
                  r->cmdline, e.text, e.line, r->out);
    return j;
}

static json_t *parse_object(const struct result *r)
{
    json_t *j = parse_json(r);
    ck_assert_msg(json_is_object(j), "%s: stdout is JSON but not an object",
                  r->cmdline);
    return j;
}

/* o["a"]["b"]... for a dotted path; NULL when a step is missing. */
static json_t *jget(json_t *o, const char *path)
{
    char key[128];
    while (o && *path) {
        size_t n = strcspn(path, ".");
        ck_assert_uint_lt(n, sizeof key);
        memcpy(key, path, n);
        key[n] = '\0';
        o = json_object_get(o, key);
        path += n;
        if (*path == '.')
            path++;
    }
    return o;
}

static double jnum(json_t *o, const char *path)
{
    json_t *v = jget(o, path);
    ck_assert_msg(json_is_number(v), "JSON %s is missing or not a number",
                  path);
    return json_number_value(v);
}

static const char *jstr(json_t *o, const char *path)
{
    json_t *v = jget(o, path);
    ck_assert_msg(json_is_string(v), "JSON %s is missing or not a string",
                  path);
    return json_string_value(v);
}

static void expect_rel(const char *what, double got, double want, double tol)
{
    double scale = fabs(want) > 1.0 ? fabs(want) : 1.0;
    ck_assert_msg(isfinite(got) && fabs(got - want) <= tol * scale,
                  "%s = %.17g, want %.17g (tolerance %g)", what, got, want,
                  tol);
}

#define NUM_IS(j, path, want, tol) expect_rel(path, jnum((j), path), (want), (tol))

static void expect_str(json_t *j, const char *path, const char *want)
{
    const char *got = jstr(j, path);
    ck_assert_msg(strcmp(got, want) == 0, "JSON %s = \"%s\", want \"%s\"",
                  path, got, want);
}

static void expect_nonempty(json_t *j, const char *path)
{
    ck_assert_msg(*jstr(j, path) != '\0', "JSON %s is empty", path);
}

/* Runs an estimate with --json appended; checks success and parses. */
static json_t *estimate_json(const char *const argv[])
{
    const char *full[64];
    size_t n = 0;
    struct result r;
    json_t *j;
    full[n++] = "estimate";
    for (size_t i = 0; argv[i]; i++) {
        ck_assert_uint_lt(n + 2, sizeof full / sizeof full[0]);
        full[n++] = argv[i];
    }
    full[n++] = "--json";
    full[n] = NULL;
    run(full, &r);
    expect_ok(&r);
    j = parse_object(&r);
    result_free(&r);
    return j;
}

#define ESTIMATE_JSON(...) estimate_json(ARGS(__VA_ARGS__))

/* Lines of a text, one by one: *line points into a copy owned by the
 * caller's buffer. */
static int next_line(char **cursor, char **line)
{
    char *nl;
    if (!*cursor || !**cursor)
        return 0;
    *line = *cursor;
    nl = strchr(*cursor, '\n');
    if (nl) {
        *nl = '\0';
        *cursor = nl + 1;
    } else {
        *cursor += strlen(*cursor);
    }
    return 1;
}

/* Does some line of text start with word followed by a space? */
static int has_line_starting(const char *text, const char *word)
{
    size_t n = strlen(word);
    const char *p = text;
    while (p && *p) {
        if (strncmp(p, word, n) == 0 && (p[n] == ' ' || p[n] == '\n'))
            return 1;
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Top level
 * ------------------------------------------------------------------------ */

START_TEST(test_version_prints_version_and_exits_0)
{
    struct result r;
    RUN(&r, "--version");
    expect_ok(&r);
    ck_assert_str_eq(r.out, "llmcarbon 0.1.0\n");
    result_free(&r);
}
END_TEST

START_TEST(test_help_exits_0_and_lists_commands)
{
    struct result r;
    RUN(&r, "--help");
    expect_ok(&r);
    OUT_HAS(&r, "usage: llmcarbon");
    OUT_HAS(&r, "estimate");
    OUT_HAS(&r, "hw");
    OUT_HAS(&r, "grid");
    OUT_HAS(&r, "  run ");
    OUT_HAS(&r, "  report ");
    OUT_HAS(&r, "grid get SPEC");
    OUT_HAS(&r, "grid forecast SPEC");
    result_free(&r);
}
END_TEST

/* A typo of a command, verb or option is a usage error that names the
 * nearest right one; a word near nothing gets no suggestion. */
START_TEST(test_typos_say_did_you_mean)
{
    static const struct {
        const char *args[6]; /* NULL-terminated */
        const char *want;
    } cases[] = {
        {{"estmate"}, "'estmate' is not a command; did you mean 'estimate'?"},
        {{"reprot"}, "did you mean 'report'?"},
        {{"--versoin"}, "did you mean '--version'?"},
        {{"estimate", "--enrgy", "1"},
         "'--enrgy' is not an option; did you mean '--energy'?"},
        {{"estimate", "--hardwre=h100-sxm"}, "did you mean '--hardware'?"},
        {{"grid", "shwo", "FR"}, "did you mean 'show'?"},
        {{"grid", "list", "--knid", "country"}, "did you mean '--kind'?"},
        {{"hw", "lsit"}, "did you mean 'list'?"},
        {{"hw", "list", "--jsno"}, "did you mean '--json'?"},
        {{"run", "--stirct", "--", "true"}, "did you mean '--strict'?"},
        {{"run", "--metres", "const:1W", "--", "true"},
         "did you mean '--meters'?"},
    };
    struct result r;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run(cases[i].args, &r);
        expect_fail(&r, 2);
        ERR_HAS(&r, cases[i].want);
        result_free(&r);
    }
    RUN(&r, "frobnicate");
    expect_fail(&r, 2);
    ck_assert_msg(!strstr(r.err, "did you mean"), "%s", r.err);
    result_free(&r);
}
END_TEST

/* An LLMC_* variable nobody reads is named, with the nearest known one;
 * those the tests themselves set (LLMC_CLI, ...) are known, or every
 * expect_ok here would fail. */
START_TEST(test_unknown_llmc_variable_is_named_with_the_nearest)
{
    struct result r;
    setenv("LLMC_GIRD", "FR", 1);
    RUN(&r, "hw", "show", "h100-sxm");
    unsetenv("LLMC_GIRD");
    ck_assert_msg(r.status == 0, "%s: exit %d\n%s", r.cmdline, r.status,
                  r.err);
    ck_assert_msg(r.out_len > 0, "%s printed nothing", r.cmdline);
    ERR_HAS(&r, "llmcarbon: warning: the environment variable LLMC_GIRD is "
                "not one llmcarbon reads, so it has no effect; did you mean "
                "LLMC_GRID?");
    result_free(&r);
    RUN(&r, "hw", "show", "h100-sxm");
    expect_ok(&r);
    result_free(&r);
}
END_TEST

START_TEST(test_no_arguments_is_usage_error_on_stderr)
{
    struct result r;
    run((const char *const[]){NULL}, &r);
    expect_fail(&r, 2);
    ERR_HAS(&r, "usage: llmcarbon");
    ERR_HAS(&r, "estimate");
    result_free(&r);
}
END_TEST

START_TEST(test_unknown_command_is_usage_error_naming_it)
{
    struct result r;
    RUN(&r, "frobnicate");
    expect_fail(&r, 2);
    ERR_HAS(&r, "frobnicate");
    result_free(&r);
}
END_TEST

/* ------------------------------------------------------------------------
 * estimate: the seed example and the README example
 * ------------------------------------------------------------------------ */

START_TEST(test_estimate_energy_intensity_json_is_500_kg)
{
    struct result r;
    json_t *j;
    RUN(&r, "estimate", "--energy", "1000kWh", "--intensity", "0.5kg/kWh",
        "--json");
    expect_ok(&r);
    j = parse_object(&r);
    NUM_IS(j, "total_kgco2e", 500.0, 1e-9);
    NUM_IS(j, "operational_kgco2e", 500.0, 1e-9);
    NUM_IS(j, "energy_kwh", 1000.0, 1e-9);
    NUM_IS(j, "intensity_gco2e_per_kwh", 500.0, 1e-9);
    ck_assert_msg(json_is_false(jget(j, "embodied_included")),
                  "embodied_included is not false");
    json_decref(j);
    result_free(&r);
}
END_TEST

START_TEST(test_estimate_energy_intensity_text_is_500_kg)
{
    struct result r;
    RUN(&r, "estimate", "--energy", "1000kWh", "--intensity", "0.5kg/kWh");
    expect_ok(&r);
    OUT_HAS(&r, "500");
    OUT_HAS(&r, "kgCO2e");
    ck_assert_msg(r.out[0] != '{', "text form printed JSON");
    result_free(&r);
}
END_TEST

#define README_ARGS                                                           \
    "estimate", "--hardware", "NVIDIA H100 SXM5 80GB", "--count", "1024",     \
        "--hours", "720h", "--pue", "1.1", "--zone", "US"

/* 164 kgCO2e per H100 SXM5 (board share), 5-year default lifetime. */
#define H100_EMBODIED_KG 164.0
#define HOURS_PER_YEAR (365.25 * 24.0)

START_TEST(test_estimate_readme_example_json_values)
{
    struct result r;
    json_t *j;
    double op = 516096.0 * 1.1 * 369.473 / 1000.0;
    double emb = H100_EMBODIED_KG * 737280.0 / (5.0 * HOURS_PER_YEAR);
    static const char *const keys[] = {
        "energy_kwh", "facility_energy_kwh", "device_hours", "power_w", "pue",
        "intensity_gco2e_per_kwh", "operational_kgco2e", "embodied_kgco2e",
        "embodied_included", "total_kgco2e", "assumptions"};

    RUN(&r, README_ARGS, "--json");
    expect_ok(&r);
    j = parse_object(&r);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        ck_assert_msg(json_object_get(j, keys[i]) != NULL,
                      "JSON key %s is missing", keys[i]);
    NUM_IS(j, "energy_kwh", 516096.0, 1e-9);
    NUM_IS(j, "facility_energy_kwh", 516096.0 * 1.1, 1e-9);
    NUM_IS(j, "device_hours", 737280.0, 1e-9);
    NUM_IS(j, "power_w", 700.0, 1e-9);
    NUM_IS(j, "pue", 1.1, 1e-9);
    NUM_IS(j, "intensity_gco2e_per_kwh", 369.473, 1e-9);
    NUM_IS(j, "operational_kgco2e", op, 1e-9);
    NUM_IS(j, "embodied_kgco2e", emb, 1e-9);
    NUM_IS(j, "total_kgco2e", op + emb, 1e-9);
    ck_assert_msg(json_is_true(jget(j, "embodied_included")),
                  "embodied_included is not true");

    ck_assert_msg(json_is_object(jget(j, "assumptions")),
                  "assumptions is not an object");
    expect_str(j, "assumptions.intensity.zone", "USA");
    ck_assert_msg(json_is_integer(jget(j, "assumptions.intensity.year")),
                  "assumptions.intensity.year is not an integer");
    ck_assert_int_eq(json_integer_value(jget(j, "assumptions.intensity.year")),
                     2023);
    expect_str(j, "assumptions.intensity.basis", "lifecycle");
    expect_nonempty(j, "assumptions.intensity.dataset");
    expect_nonempty(j, "assumptions.intensity.provenance");
    expect_nonempty(j, "assumptions.intensity.licence");
    NUM_IS(j, "assumptions.intensity.value_gco2e_per_kwh", 369.473, 1e-9);
    expect_str(j, "assumptions.pue.source", "given (--pue)");
    NUM_IS(j, "assumptions.pue.value", 1.1, 1e-9);
    expect_str(j, "assumptions.embodied.basis", "board-share");
    NUM_IS(j, "assumptions.embodied.kgco2e_per_device", H100_EMBODIED_KG, 1e-9);
    NUM_IS(j, "assumptions.embodied.lifetime_years", 5.0, 1e-9);
    expect_str(j, "assumptions.hardware.name", "NVIDIA H100 SXM5 80GB");
    json_decref(j);
    result_free(&r);
}
END_TEST

START_TEST(test_estimate_readme_example_text_states_assumptions)
{
    struct result r;
    json_t *j = estimate_json(ARGS("--hardware", "NVIDIA H100 SXM5 80GB",
                                   "--count", "1024", "--hours", "720h",
                                   "--pue", "1.1", "--zone", "US"));
    const char *dataset = jstr(j, "assumptions.intensity.dataset");
    char *flat;

    RUN(&r, README_ARGS);
    expect_ok(&r);
    ck_assert_msg(r.out[0] != '{', "text form printed JSON");
    OUT_HAS(&r, "USA");
    OUT_HAS(&r, "2023");
    OUT_HAS(&r, "PUE");
    OUT_HAS(&r, "1.1");
    OUT_HAS(&r, "default");
    OUT_HAS(&r, "NVIDIA H100 SXM5 80GB");
    OUT_HAS(&r, "kgCO2e");
    /* The report wraps long lines; the dataset must be there once the
     * wrapping is undone. */
    flat = squeeze(r.out);
    ck_assert_msg(strstr(flat, dataset) != NULL,
                  "text report does not name the dataset \"%s\":\n%s", dataset,
                  r.out);
    /* The lifetime is the default one, and the report says so. */
    ck_assert_msg(strstr(flat, "5 years (") != NULL &&
                      strstr(strstr(flat, "5 years ("), "default") != NULL,
                  "the lifetime is not stated as a default:\n%s", r.out);
    /* total 212,511 kgCO2e */
    OUT_HAS(&r, "212,511");
    free(flat);
    json_decref(j);
    result_free(&r);
}
END_TEST

/* ------------------------------------------------------------------------
 * estimate: bare numbers are read in the documented units
 * ------------------------------------------------------------------------ */

START_TEST(test_estimate_bare_energy_is_kwh)
{
    json_t *j = ESTIMATE_JSON("--energy", "1000", "--intensity", "500g/kWh");
    NUM_IS(j, "energy_kwh", 1000.0, 1e-12);
    NUM_IS(j, "operational_kgco2e", 500.0, 1e-12);
    json_decref(j);
}
END_TEST

START_TEST(test_estimate_bare_hours_is_hours)
{
    /* 700 W x 720 h = 504 kWh */
    json_t *j = ESTIMATE_JSON("--hardware", "h100-sxm", "--hours", "720",
                              "--intensity", "500g/kWh");
    NUM_IS(j, "device_hours", 720.0, 1e-12);
    NUM_IS(j, "energy_kwh", 504.0, 1e-12);
    json_decref(j);
    j = ESTIMATE_JSON("--hardware", "h100-sxm", "--hours", "30d",
                      "--intensity", "500g/kWh");
    NUM_IS(j, "device_hours", 720.0, 1e-12);
    json_decref(j);
}
END_TEST

START_TEST(test_estimate_bare_power_is_watts)
{
    /* 350 W x 10 h = 3.5 kWh */
    json_t *j = ESTIMATE_JSON("--power", "350", "--hours", "10h",
                              "--intensity", "100g/kWh");
    NUM_IS(j, "power_w", 350.0, 1e-12);
    NUM_IS(j, "energy_kwh", 3.5, 1e-12);
    NUM_IS(j, "operational_kgco2e", 0.35, 1e-12);
    expect_str(j, "assumptions.power.source", "given (--power)");
    json_decref(j);
    /* and --power overrides the profile's TDP */
    j = ESTIMATE_JSON("--hardware", "h100-sxm", "--power", "350", "--hours",
                      "10h", "--intensity", "100g/kWh");
    NUM_IS(j, "power_w", 350.0, 1e-12);
    NUM_IS(j, "energy_kwh", 3.5, 1e-12);
    json_decref(j);
}
END_TEST

START_TEST(test_estimate_bare_intensity_is_g_per_kwh)
{
    json_t *j = ESTIMATE_JSON("--energy", "1000kWh", "--intensity", "500");
    NUM_IS(j, "intensity_gco2e_per_kwh", 500.0, 1e-12);
    NUM_IS(j, "operational_kgco2e", 500.0, 1e-12);
    json_decref(j);
}
END_TEST

START_TEST(test_estimate_bare_lifetime_is_years)
{
    double emb4 = H100_EMBODIED_KG * 720.0 / (4.0 * HOURS_PER_YEAR);
    double emb5 = H100_EMBODIED_KG * 720.0 / (5.0 * HOURS_PER_YEAR);
    json_t *j = ESTIMATE_JSON("--hardware", "h100-sxm", "--hours", "720h",
                              "--intensity", "500", "--lifetime", "4");
    json_t *jy = ESTIMATE_JSON("--hardware", "h100-sxm", "--hours", "720h",
                               "--intensity", "500", "--lifetime", "4y");
    json_t *jd = ESTIMATE_JSON("--hardware", "h100-sxm", "--hours", "720h",
                               "--intensity", "500");

    NUM_IS(j, "embodied_kgco2e", emb4, 1e-9);
    NUM_IS(j, "assumptions.embodied.lifetime_years", 4.0, 1e-12);
    expect_str(j, "assumptions.embodied.lifetime_source", "given (--lifetime)");
    NUM_IS(j, "total_kgco2e", 504.0 * 500.0 / 1000.0 + emb4, 1e-9);
    NUM_IS(jy, "embodied_kgco2e", emb4, 1e-9);
    NUM_IS(jd, "embodied_kgco2e", emb5, 1e-9);
    NUM_IS(jd, "assumptions.embodied.lifetime_years", 5.0, 1e-12);
    ck_assert_msg(strstr(jstr(jd, "assumptions.embodied.lifetime_source"),
                         "default") != NULL,
                  "default lifetime is not called a default");
    json_decref(j);
    json_decref(jy);
    json_decref(jd);
}
END_TEST

START_TEST(test_estimate_default_pue_is_stated)
{
    json_t *j = ESTIMATE_JSON("--energy", "1000kWh", "--zone", "FR");
    NUM_IS(j, "pue", 1.0, 0.0);
    NUM_IS(j, "assumptions.pue.value", 1.0, 0.0);
    NUM_IS(j, "facility_energy_kwh", 1000.0, 1e-12);
    ck_assert_msg(strstr(jstr(j, "assumptions.pue.source"), "default") != NULL,
                  "assumptions.pue.source \"%s\" does not say default",
                  jstr(j, "assumptions.pue.source"));
    /* FR = FRA, 56.039 g/kWh */
    NUM_IS(j, "operational_kgco2e", 56.039, 1e-9);
    json_decref(j);
}
END_TEST

/* --embodied-scope: the figure of the scope chosen, said in the JSON and
 * the text; board by default; unknown where the device has none there. */
START_TEST(test_estimate_embodied_scope_flag)
{
    struct result r;
    /* 8 H100 SXM5 for 100 h: 800 device-hours of a 5-year life */
    double share = 800.0 / (5 * 365.25 * 24);
    json_t *j = ESTIMATE_JSON("--hardware", "h100-sxm", "--count", "8",
                              "--hours", "100h", "--intensity", "400",
                              "--embodied-scope", "server");
    expect_str(j, "embodied_scope", "server");
    expect_str(j, "embodied_method", "pcf+model");
    expect_str(j, "assumptions.embodied.scope", "server");
    NUM_IS(j, "assumptions.embodied.kgco2e_per_device", 164.0 + 970.0 / 8,
           1e-12);
    NUM_IS(j, "embodied_kgco2e", (164.0 + 970.0 / 8) * share, 1e-9);
    json_decref(j);
    j = ESTIMATE_JSON("--hardware", "h100-sxm", "--count", "8", "--hours",
                      "100h", "--intensity", "400");
    expect_str(j, "embodied_scope", "board");
    expect_str(j, "embodied_method", "pcf");
    NUM_IS(j, "assumptions.embodied.kgco2e_per_device", 164.0, 0.0);
    json_decref(j);
    /* the text says it too */
    RUN(&r, "estimate", "--hardware", "h100-sxm", "--count", "8", "--hours",
        "100h", "--intensity", "400", "--embodied-scope", "die");
    expect_ok(&r);
    OUT_HAS(&r, "scope die, method model");
    result_free(&r);
    /* a chiplet part whose die areas are not published: the model over
     * its dies at their bound (data/dies.csv), and the text says so */
    j = ESTIMATE_JSON("--hardware", "mi300x", "--count", "8", "--hours",
                      "100h", "--intensity", "400");
    expect_str(j, "embodied_method", "model-bound");
    NUM_IS(j, "assumptions.embodied.kgco2e_per_device", 310.836, 1e-12);
    NUM_IS(j, "embodied_kgco2e", 310.836 * share, 1e-9);
    json_decref(j);
    RUN(&r, "estimate", "--hardware", "mi300x", "--count", "8", "--hours",
        "100h", "--intensity", "400");
    expect_ok(&r);
    OUT_HAS(&r, "method model-bound, board-share");
    /* (the assumption is wrapped to the terminal width) */
    OUT_HAS(&r, "the die area or node is not published");
    OUT_HAS(&r, "upper bound; source: the bundled embodied table");
    result_free(&r);
    /* a device with no figure at that scope: not included, and why */
    j = ESTIMATE_JSON("--hardware", "tpu v3", "--power", "300W", "--count",
                      "4", "--hours", "10h", "--intensity", "400",
                      "--embodied-scope", "server");
    ck_assert_msg(json_is_null(jget(j, "embodied_kgco2e")),
                  "embodied_kgco2e is not null");
    ck_assert_msg(strstr(jstr(j, "embodied_note"),
                         "it has: die, package, board") != NULL,
                  "note: %s", jstr(j, "embodied_note"));
    json_decref(j);
    /* a scope that is not one */
    RUN(&r, "estimate", "--hardware", "h100-sxm", "--hours", "1h", "--zone",
        "FR", "--embodied-scope", "rack");
    expect_fail(&r, 1);
    ERR_HAS(&r, "'rack'");
    ERR_HAS(&r, "die, package, board or server");
    result_free(&r);
}
END_TEST

START_TEST(test_estimate_no_embodied_leaves_it_out)
{
    json_t *j = ESTIMATE_JSON("--hardware", "h100-sxm", "--count", "8",
                              "--hours", "100h", "--intensity", "400",
                              "--no-embodied");
    double op = 8 * 100 * 700 / 1000.0 * 400.0 / 1000.0;
    ck_assert_msg(json_is_false(jget(j, "embodied_included")),
                  "embodied_included is not false");
    ck_assert_msg(json_is_false(jget(j, "assumptions.embodied.included")),
                  "assumptions.embodied.included is not false");
    /* left out is not 0: null, with the reason */
    ck_assert_msg(json_is_null(jget(j, "embodied_kgco2e")),
                  "embodied_kgco2e is not null");
    ck_assert_msg(json_string_length(jget(j, "embodied_note")) > 0,
                  "embodied_note does not say why");
    NUM_IS(j, "operational_kgco2e", op, 1e-9);
    ck_assert_msg(jnum(j, "total_kgco2e") == jnum(j, "operational_kgco2e"),
                  "total %.17g != operational %.17g", jnum(j, "total_kgco2e"),
                  jnum(j, "operational_kgco2e"));
    json_decref(j);
}
END_TEST

/* ------------------------------------------------------------------------
 * estimate: errors
 * ------------------------------------------------------------------------ */

START_TEST(test_estimate_unknown_zone_fails_and_points_to_grid_list)
{
    struct result r;
    RUN(&r, "estimate", "--energy", "1kWh", "--zone", "XX");
    expect_fail(&r, 1);
    ERR_HAS(&r, "'XX'");
    ERR_HAS(&r, "llmcarbon grid list");
    result_free(&r);
}
END_TEST

START_TEST(test_estimate_ambiguous_hardware_lists_matches)
{
    struct result r;
    RUN(&r, "estimate", "--hardware", "H100", "--hours", "1h", "--zone", "FR");
    expect_fail(&r, 1);
    ERR_HAS(&r, "NVIDIA H100 SXM5 80GB");
    ERR_HAS(&r, "NVIDIA H100 PCIe 80GB");
    result_free(&r);
}
END_TEST

START_TEST(test_estimate_pue_below_1_fails)
{
    struct result r;
    RUN(&r, "estimate", "--energy", "1kWh", "--zone", "FR", "--pue", "0.9");
    expect_fail(&r, 1);
    ERR_HAS(&r, "0.9");
    ERR_HAS(&r, "--pue");
    result_free(&r);
}
END_TEST

START_TEST(test_estimate_negative_energy_fails)
{
    struct result r;
    RUN(&r, "estimate", "--energy", "-5kWh", "--zone", "FR");
    expect_fail(&r, 1);
    ERR_HAS(&r, "-5kWh");
    result_free(&r);
}
END_TEST

START_TEST(test_estimate_nan_energy_fails)
{
    struct result r;
    RUN(&r, "estimate", "--energy", "nan", "--zone", "FR");
    expect_fail(&r, 1);
    ERR_HAS(&r, "nan");
    result_free(&r);
    RUN(&r, "estimate", "--energy", "inf", "--zone", "FR");
    expect_fail(&r, 1);
    result_free(&r);
}
END_TEST

START_TEST(test_estimate_bad_unit_fails_naming_it)
{
    struct result r;
    RUN(&r, "estimate", "--energy", "5kWhx", "--zone", "FR");
    expect_fail(&r, 1);
    ERR_HAS(&r, "kWhx");
    ERR_HAS(&r, "kWh,"); /* lists the units it does accept */
    result_free(&r);
    /* a unit of the wrong dimension */
    RUN(&r, "estimate", "--energy", "5W", "--zone", "FR");
    expect_fail(&r, 1);
    ERR_HAS(&r, "5W");
    result_free(&r);
}
END_TEST

START_TEST(test_estimate_unknown_option_is_usage_error)
{
    struct result r;
    RUN(&r, "estimate", "--bogus");
    expect_fail(&r, 2);
    ERR_HAS(&r, "--bogus");
    ERR_HAS(&r, "not an option");
    result_free(&r);
}
END_TEST

START_TEST(test_estimate_unknown_short_option_is_not_an_option)
{
    /* -x is not an option at all; it does not "need a value". */
    struct result r;
    RUN(&r, "estimate", "-x", "--energy", "1kWh", "--zone", "FR");
    expect_fail(&r, 2);
    ERR_HAS(&r, "-x");
    ERR_HAS(&r, "not an option");
    ck_assert_msg(strstr(r.err, "needs a value") == NULL,
                  "%s: says an unknown option needs a value:\n%s", r.cmdline,
                  r.err);
    result_free(&r);
}
END_TEST

START_TEST(test_estimate_flag_given_a_value_is_usage_error)
{
    /* --json takes no value; the message must not claim it needs one. */
    struct result r;
    RUN(&r, "estimate", "--json=1", "--energy", "1kWh", "--zone", "FR");
    expect_fail(&r, 2);
    ERR_HAS(&r, "--json");
    ck_assert_msg(strstr(r.err, "needs a value") == NULL,
                  "%s: says a flag without a value needs one:\n%s", r.cmdline,
                  r.err);
    result_free(&r);
}
END_TEST

START_TEST(test_estimate_option_without_value_is_usage_error)
{
    struct result r;
    RUN(&r, "estimate", "--energy");
    expect_fail(&r, 2);
    ERR_HAS(&r, "--energy");
    ERR_HAS(&r, "needs a value");
    result_free(&r);
}
END_TEST

START_TEST(test_estimate_stray_argument_is_usage_error)
{
    struct result r;
    RUN(&r, "estimate", "--energy", "1kWh", "--zone", "FR", "stray");
    expect_fail(&r, 2);
    ERR_HAS(&r, "stray");
    result_free(&r);
}
END_TEST

START_TEST(test_estimate_without_inputs_says_give_energy)
{
    struct result r;
    run(ARGS("estimate"), &r);
    expect_fail(&r, 1);
    ERR_HAS(&r, "--energy");
    result_free(&r);
    RUN(&r, "estimate", "--zone", "FR");
    expect_fail(&r, 1);
    ERR_HAS(&r, "--energy");
    result_free(&r);
}
END_TEST

START_TEST(test_estimate_zone_and_intensity_conflict)
{
    struct result r;
    RUN(&r, "estimate", "--energy", "1kWh", "--zone", "FR", "--intensity",
        "500");
    expect_fail(&r, 1);
    ERR_HAS(&r, "--zone");
    ERR_HAS(&r, "--intensity");
    result_free(&r);
}
END_TEST

/* ------------------------------------------------------------------------
 * hw
 * ------------------------------------------------------------------------ */

START_TEST(test_hw_list_has_every_catalogue_name)
{
    struct csv c;
    struct result r;
    size_t name = 0, lines = 0;
    char *cursor, *line;

    csv_load(&c, "data/hardware.csv");
    name = csv_col(&c, "name");
    RUN(&r, "hw", "list");
    expect_ok(&r);
    for (size_t i = 0; i < c.nrows; i++)
        ck_assert_msg(has_line_starting(r.out, c.rows[i][name]),
                      "hw list has no line for '%s':\n%s", c.rows[i][name],
                      r.out);
    /* header, one line per profile, a blank line, a footer */
    cursor = r.out;
    while (next_line(&cursor, &line))
        lines++;
    ck_assert_uint_eq(lines, c.nrows + 3);
    result_free(&r);
    csv_free(&c);
}
END_TEST

START_TEST(test_hw_list_json_matches_the_csv)
{
    struct csv c;
    struct result r;
    json_t *arr;
    size_t name, tdp, mem;

    /* embodied figures come from data/embodied.csv (test_profile checks
     * them cell by cell), no longer from hardware.csv */
    csv_load(&c, "data/hardware.csv");
    name = csv_col(&c, "name");
    tdp = csv_col(&c, "tdp_w");
    mem = csv_col(&c, "memory_gb");
    RUN(&r, "hw", "list", "--json");
    expect_ok(&r);
    arr = parse_json(&r);
    ck_assert_msg(json_is_array(arr), "hw list --json is not an array");
    ck_assert_uint_eq(json_array_size(arr), c.nrows);
    for (size_t i = 0; i < c.nrows; i++) {
        json_t *o = json_array_get(arr, i);
        const struct {
            size_t col;
            const char *key;
        } nums[] = {{tdp, "tdp_w"}, {mem, "memory_gb"}};
        ck_assert_msg(json_is_object(o), "element %zu is not an object", i);
        expect_str(o, "name", c.rows[i][name]);
        for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++) {
            const char *want = c.rows[i][nums[k].col];
            json_t *v = json_object_get(o, nums[k].key);
            if (!*want) {
                ck_assert_msg(json_is_null(v), "%s %s: want null (unknown)",
                              c.rows[i][name], nums[k].key);
            } else {
                ck_assert_msg(json_is_number(v), "%s %s: want %s, got %s",
                              c.rows[i][name], nums[k].key, want,
                              v ? "a non-number" : "nothing");
                expect_rel(nums[k].key, json_number_value(v), strtod(want, NULL),
                           1e-12);
            }
        }
        if (strcmp(c.rows[i][name], "NVIDIA A10 24GB") == 0)
            ck_assert_msg(json_is_null(json_object_get(o, "tdp_w")),
                          "A10 tdp_w is not null");
        if (strcmp(c.rows[i][name], "NVIDIA H100 SXM5 80GB") == 0) {
            NUM_IS(o, "tdp_w", 700.0, 0.0);
            NUM_IS(o, "embodied_kgco2e", 164.0, 0.0);
            NUM_IS(o, "embodied_board_kgco2e", 164.0, 0.0);
            NUM_IS(o, "embodied_server_kgco2e", 285.25, 1e-12);
            expect_str(o, "embodied_board_method", "pcf");
            expect_str(o, "embodied_server_method", "pcf+model");
        }
        if (strcmp(c.rows[i][name], "AMD Instinct MI300X") == 0) {
            NUM_IS(o, "embodied_board_kgco2e", 310.836, 1e-12);
            expect_str(o, "embodied_board_method", "model-bound");
        }
        if (strcmp(c.rows[i][name], "Intel Xeon Platinum 8480+") == 0)
            ck_assert_msg(json_is_null(json_object_get(
                              o, "embodied_board_kgco2e")),
                          "8480+ embodied_board_kgco2e is not null");
    }
    json_decref(arr);
    result_free(&r);
    csv_free(&c);
}
END_TEST

START_TEST(test_hw_show_finds_h100_sxm)
{
    struct result r;
    RUN(&r, "hw", "show", "h100-sxm");
    expect_ok(&r);
    ck_assert_msg(strncmp(r.out, "NVIDIA H100 SXM5 80GB\n", 22) == 0,
                  "hw show does not start with the full name:\n%s", r.out);
    OUT_HAS(&r, "700");
    OUT_HAS(&r, "board-share");
    OUT_HAS(&r, "164");
    ck_assert_msg(strstr(r.out, "model-bound") == NULL,
                  "an H100 (published die) says model-bound:\n%s", r.out);
    result_free(&r);
    /* a part whose die areas are not published says what its figures
     * rest on */
    RUN(&r, "hw", "show", "mi300x");
    expect_ok(&r);
    OUT_HAS(&r, "emb. die       116.69 kgCO2e (model-bound)");
    OUT_HAS(&r, "  model-bound    the vendor publishes how many dies");
    OUT_HAS(&r, "(data/dies.csv)");
    result_free(&r);
}
END_TEST

START_TEST(test_hw_show_ambiguous_name_fails)
{
    struct result r;
    RUN(&r, "hw", "show", "H100");
    expect_fail(&r, 1);
    ERR_HAS(&r, "NVIDIA H100 SXM5 80GB");
    ERR_HAS(&r, "NVIDIA H100 PCIe 80GB");
    result_free(&r);
}
END_TEST

START_TEST(test_hw_show_without_name_is_usage_error)
{
    struct result r;
    RUN(&r, "hw", "show");
    expect_fail(&r, 2);
    ERR_HAS(&r, "NAME");
    result_free(&r);
}
END_TEST

START_TEST(test_hw_unknown_verb_is_usage_error)
{
    struct result r;
    RUN(&r, "hw", "frob");
    expect_fail(&r, 2);
    ERR_HAS(&r, "frob");
    result_free(&r);
}
END_TEST

/* ------------------------------------------------------------------------
 * grid
 * ------------------------------------------------------------------------ */

START_TEST(test_grid_list_has_every_zone)
{
    struct csv c;
    struct result r;
    size_t zone, lines = 0;
    char *cursor, *line, footer[64];

    csv_load(&c, "data/grid_intensity.csv");
    zone = csv_col(&c, "zone");
    ck_assert_uint_ge(c.nrows, 200);
    RUN(&r, "grid", "list");
    expect_ok(&r);
    for (size_t i = 0; i < c.nrows; i++)
        ck_assert_msg(has_line_starting(r.out, c.rows[i][zone]),
                      "grid list has no line for '%s'", c.rows[i][zone]);
    snprintf(footer, sizeof footer, "\n%zu zones from ", c.nrows);
    OUT_HAS(&r, footer);
    /* header, one line per zone, a blank line, a footer */
    cursor = r.out;
    while (next_line(&cursor, &line))
        lines++;
    ck_assert_uint_eq(lines, c.nrows + 3);
    result_free(&r);
    csv_free(&c);
}
END_TEST

START_TEST(test_grid_list_kind_us_state_json_has_51)
{
    struct csv c;
    struct result r;
    json_t *arr;
    size_t kind, want = 0;

    csv_load(&c, "data/grid_intensity.csv");
    kind = csv_col(&c, "kind");
    for (size_t i = 0; i < c.nrows; i++)
        want += strcmp(c.rows[i][kind], "us_state") == 0;
    ck_assert_uint_eq(want, 51);
    RUN(&r, "grid", "list", "--kind", "us_state", "--json");
    expect_ok(&r);
    arr = parse_json(&r);
    ck_assert_msg(json_is_array(arr), "grid list --json is not an array");
    ck_assert_uint_eq(json_array_size(arr), 51);
    for (size_t i = 0; i < json_array_size(arr); i++)
        expect_str(json_array_get(arr, i), "kind", "us_state");
    json_decref(arr);
    result_free(&r);
    csv_free(&c);
}
END_TEST

START_TEST(test_grid_list_unknown_kind_is_usage_error)
{
    struct result r;
    RUN(&r, "grid", "list", "--kind", "nope");
    expect_fail(&r, 2);
    ERR_HAS(&r, "nope");
    ERR_HAS(&r, "us_state");
    result_free(&r);
}
END_TEST

START_TEST(test_grid_show_fr_json)
{
    struct result r;
    json_t *j;
    RUN(&r, "grid", "show", "FR", "--json");
    expect_ok(&r);
    j = parse_object(&r);
    NUM_IS(j, "intensity_gco2e_per_kwh", 56.039, 1e-12);
    expect_str(j, "zone", "FRA");
    ck_assert_msg(json_is_integer(json_object_get(j, "year")),
                  "year is not an integer");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "year")), 2023);
    expect_str(j, "basis", "lifecycle");
    expect_nonempty(j, "dataset");
    expect_nonempty(j, "provenance");
    expect_nonempty(j, "licence");
    json_decref(j);
    result_free(&r);
}
END_TEST

START_TEST(test_grid_show_gcp_region_text)
{
    struct result r;
    RUN(&r, "grid", "show", "gcp:europe-west1");
    expect_ok(&r);
    OUT_HAS(&r, "103.37");
    OUT_HAS(&r, "2024");
    OUT_HAS(&r, "gcp:europe-west1");
    result_free(&r);
}
END_TEST

START_TEST(test_grid_show_const_json)
{
    struct result r;
    json_t *j;
    RUN(&r, "grid", "show", "const:450g/kWh", "--json");
    expect_ok(&r);
    j = parse_object(&r);
    NUM_IS(j, "intensity_gco2e_per_kwh", 450.0, 1e-12);
    json_decref(j);
    result_free(&r);
}
END_TEST

START_TEST(test_grid_show_typo_suggests_fra)
{
    struct result r;
    RUN(&r, "grid", "show", "Frnace");
    expect_fail(&r, 1);
    ERR_HAS(&r, "Frnace");
    ERR_HAS(&r, "'FRA'");
    result_free(&r);
}
END_TEST

START_TEST(test_grid_show_without_zone_is_usage_error)
{
    struct result r;
    RUN(&r, "grid", "show");
    expect_fail(&r, 2);
    ERR_HAS(&r, "ZONE");
    result_free(&r);
}
END_TEST

/* ------------------------------------------------------------------------
 * Subcommand help
 * ------------------------------------------------------------------------ */

START_TEST(test_subcommand_help_goes_to_stdout)
{
    static const char *const cmds[] = {"estimate", "hw", "grid", "run",
                                       "report"};
    struct result r;
    char usage[64];
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        RUN(&r, cmds[i], "--help");
        expect_ok(&r);
        snprintf(usage, sizeof usage, "usage: llmcarbon %s", cmds[i]);
        ck_assert_msg(strncmp(r.out, usage, strlen(usage)) == 0,
                      "%s: help does not start with \"%s\":\n%s", r.cmdline,
                      usage, r.out);
        result_free(&r);
    }
}
END_TEST

/* ------------------------------------------------------------------------ */

/* ------------------------------------------------------------------------
 * llmcarbon run
 * ------------------------------------------------------------------------ */

START_TEST(test_run_reports_energy_and_passes_on_the_exit_status)
{
    struct result r;
    json_t *j, *m;
    double dur, e;
    RUN(&r, "run", "--meters", "const:200W", "--grid", "FR", "--interval",
        "100ms", "--json", "--", "sh", "-c", "sleep 0.3; exit 7");
    ck_assert_msg(r.status == 7, "%s: exit %d, want 7\n%s", r.cmdline,
                  r.status, r.err);
    j = parse_object(&r);
    dur = json_number_value(json_object_get(j, "duration_s"));
    e = json_number_value(json_object_get(j, "energy_j"));
    ck_assert_double_ge(dur, 0.3);
    ck_assert_double_eq_tol(e, 200.0 * dur, 200.0 * 0.005);
    ck_assert_double_eq_tol(json_number_value(json_object_get(j, "energy_kwh")),
                            e / 3.6e6, 1e-12);
    ck_assert_double_eq_tol(
        json_number_value(json_object_get(j, "operational_kgco2e")),
        e / 3.6e6 * 56.039 / 1000, 1e-12);
    ck_assert_ptr_nonnull(json_object_get(j, "embodied_kgco2e"));
    ck_assert_ptr_nonnull(json_object_get(j, "total_kgco2e"));
    m = json_array_get(json_object_get(j, "meters"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(m, "name")), "const");
    ck_assert_str_eq(json_string_value(json_object_get(m, "method")), "const");
    ck_assert_double_eq_tol(json_number_value(json_object_get(m, "energy_j")), e,
                            1e-9);
    json_decref(j);
    result_free(&r);
}
END_TEST

START_TEST(test_run_text_report_follows_the_commands_output)
{
    struct result r;
    RUN(&r, "run", "--meters", "const:100W", "--grid", "const:400g/kWh",
        "--", "echo", "hello from the job");
    expect_ok(&r);
    ck_assert_msg(strncmp(r.out, "hello from the job\n", 19) == 0,
                  "the command's output comes first:\n%s", r.out);
    OUT_HAS(&r, "echo exited with status 0");
    OUT_HAS(&r, "kgCO2e");
    OUT_HAS(&r, "const");
    result_free(&r);
    /* the embodied line names its scope and method */
    RUN(&r, "run", "--meters", "const:100W", "--grid", "const:400g/kWh",
        "--hardware", "h100-sxm", "--embodied-scope", "server", "--", "true");
    expect_ok(&r);
    OUT_HAS(&r, "kgCO2e (scope server, method pcf+model)");
    result_free(&r);
}
END_TEST

/* Starts `llmcarbon run` (const:10W, the grid of France) of `sh -c
 * script` with its stdout in out, and waits, 5 s at most, until the script
 * has made pidfile; the pid of llmcarbon. */
static pid_t run_in_background(const char *script, const char *out,
                               const char *pidfile)
{
    const char *cli = cli_path();
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
            _exit(126);
        execl(cli, cli, "run", "--meters", "const:10W", "--grid", "FR", "--",
              "sh", "-c", script, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 500 && access(pidfile, F_OK) != 0; i++)
        usleep(10000);
    ck_assert_msg(access(pidfile, F_OK) == 0, "no %s after 5 s", pidfile);
    return pid;
}

START_TEST(test_run_forwards_signals_to_the_command)
{
    /* the job scheduler sends SIGTERM to llmcarbon run; the command must
     * get it, and the report must still come, with the status 128+15 */
    char dir[] = "/tmp/llmc-run-XXXXXX", pidfile[128], outfile[128], text[4096];
    pid_t pid;
    int status, fd;
    ssize_t n;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(pidfile, sizeof pidfile, "%s/pid", dir);
    snprintf(outfile, sizeof outfile, "%s/out", dir);
    snprintf(text, sizeof text, "echo $$ > %s; exec sleep 30", pidfile);
    pid = run_in_background(text, outfile, pidfile);
    usleep(50000);
    ck_assert_int_eq(kill(pid, SIGTERM), 0);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status), "llmcarbon run itself died of a signal");
    ck_assert_int_eq(WEXITSTATUS(status), 128 + SIGTERM);
    ck_assert_int_ge(fd = open(outfile, O_RDONLY), 0);
    n = read(fd, text, sizeof text - 1);
    close(fd);
    ck_assert_int_gt(n, 0);
    text[n] = '\0';
    ck_assert_msg(strstr(text, "ended by signal 15") != NULL, "%s", text);
    ck_assert_msg(strstr(text, "energy") != NULL, "%s", text);
    ck_assert_int_eq(remove_tree(dir), 0);
}
END_TEST

START_TEST(test_run_usage_errors)
{
    struct result r;
    RUN(&r, "run");
    expect_fail(&r, 2);
    ERR_HAS(&r, "no command to run");
    result_free(&r);
    RUN(&r, "run", "--pue", "0.5", "--", "true");
    expect_fail(&r, 1);
    ERR_HAS(&r, "0.5");
    result_free(&r);
    RUN(&r, "run", "--bogus", "--", "true");
    expect_fail(&r, 2);
    result_free(&r);
    RUN(&r, "run", "--interval", "1ms", "--", "true");
    expect_fail(&r, 1);
    ERR_HAS(&r, "100 ms");
    result_free(&r);
}
END_TEST

START_TEST(test_run_missing_command_exits_127_with_a_report)
{
    struct result r;
    allow_127 = 1;
    RUN(&r, "run", "--meters", "const:10W", "--grid", "FR", "--",
        "/nonexistent/command");
    allow_127 = 0;
    ck_assert_int_eq(r.status, 127);
    ERR_HAS(&r, "cannot run '/nonexistent/command'");
    OUT_HAS(&r, "exited with status 127");
    result_free(&r);
}
END_TEST

/* Runs `llmcarbon run` with the NVML library at nvml_library and no RAPL
 * or AMD GPU (an empty sysfs), restoring the environment after. */
static void run_with_nvml(const char *nvml_library, const char *const argv[],
                          struct result *r)
{
    char sysfs[] = "/tmp/llmc-sysfs-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(sysfs));
    setenv("LLMC_NVML_LIBRARY", nvml_library, 1);
    setenv("LLMC_SYSFS_ROOT", sysfs, 1);
    run(argv, r);
    unsetenv("LLMC_NVML_LIBRARY");
    unsetenv("LLMC_SYSFS_ROOT");
    unsetenv("FAKE_NVML_INIT_ERROR");
    ck_assert_int_eq(remove_tree(sysfs), 0);
}

START_TEST(test_run_with_an_unopenable_meter_warns_and_runs_on_the_others)
{
    /* no NVML here: the job runs, on the other meter named, and run exits
     * with the command's status */
    struct result r;
    json_t *j, *meters, *m;
    run_with_nvml("/nonexistent/libnvidia-ml.so.1",
                  ARGS("run", "--meters", "nvml+const:50W", "--grid", "FR",
                       "--json", "--", "sh", "-c", "sleep 0.2; exit 5"),
                  &r);
    ck_assert_msg(r.status == 5, "%s: exit %d, want 5\n%s", r.cmdline,
                  r.status, r.err);
    ERR_HAS(&r, "llmcarbon run: warning: meter 'nvml' cannot be opened: ");
    ERR_HAS(&r, "/nonexistent/libnvidia-ml.so.1");
    ERR_HAS(&r, "sh runs measured by const:50W only");
    j = parse_object(&r);
    meters = json_object_get(j, "meters");
    ck_assert_uint_eq(json_array_size(meters), 1);
    m = json_array_get(meters, 0);
    ck_assert_str_eq(json_string_value(json_object_get(m, "name")), "const");
    ck_assert_double_eq_tol(
        json_number_value(json_object_get(j, "energy_j")),
        50.0 * json_number_value(json_object_get(j, "duration_s")), 0.5);
    json_decref(j);
    result_free(&r);
}
END_TEST

START_TEST(test_run_with_no_meter_left_runs_the_command_unmeasured)
{
    /* an NVML whose init fails (NVML_ERROR_DRIVER_NOT_LOADED, 9), no RAPL,
     * no AMD GPU: the command runs, and its energy is not a 0 */
    const char *fake = getenv("LLMC_FAKE_NVML");
    struct result r;
    json_t *j, *e;
    ck_assert_msg(fake != NULL, "LLMC_FAKE_NVML is not set");
    setenv("FAKE_NVML_INIT_ERROR", "9", 1);
    run_with_nvml(fake, ARGS("run", "--meters", "nvml", "--grid", "FR",
                             "--fallback", "none", "--json", "--", "sh", "-c",
                             "exit 4"),
                  &r);
    ck_assert_msg(r.status == 4, "%s: exit %d, want 4\n%s", r.cmdline,
                  r.status, r.err);
    ERR_HAS(&r, "llmcarbon run: warning: meter 'nvml' cannot be opened: ");
    ERR_HAS(&r, "sh runs with meters=auto instead");
    ERR_HAS(&r, "--strict");
    ERR_HAS(&r, "llmcarbon run: warning: no meter can read energy here: ");
    ERR_HAS(&r, "stays unknown (fallback=none)");
    j = parse_object(&r);
    ck_assert_msg(!json_is_true(json_object_get(j, "measured")), "%s", r.out);
    e = json_object_get(j, "energy_j");
    ck_assert_msg(json_is_null(e), "energy_j is not unknown: %s", r.out);
    json_decref(j);
    result_free(&r);
}
END_TEST

START_TEST(test_run_without_a_readable_meter_says_so_first_and_estimates)
{
    /* nothing reads here: the warning comes on stderr before anything the
     * command writes, and the energy is the labelled CPU-time estimate of
     * a command that keeps a CPU busy for 0.3 s */
    struct result r;
    json_t *j, *meters, *m, *q;
    const char *err_warning, *err_command;
    double e;
    run_with_nvml("/nonexistent/libnvidia-ml.so.1",
                  ARGS("run", "--grid", "FR", "--json", "--", "sh", "-c",
                       "echo command-starts >&2; "
                       "end=$(($(date +%s%N) + 300000000)); "
                       "while [ $(date +%s%N) -lt $end ]; do :; done"),
                  &r);
    ck_assert_msg(r.status == 0, "%s: exit %d\n%s", r.cmdline, r.status,
                  r.err);
    err_warning = strstr(r.err, "llmcarbon run: warning: no meter can read "
                                "energy here: ");
    err_command = strstr(r.err, "command-starts");
    ck_assert_msg(err_warning && err_command && err_warning < err_command,
                  "the warning does not come first:\n%s", r.err);
    ERR_HAS(&r, "nvml: ");
    ERR_HAS(&r, "rapl: ");
    ERR_HAS(&r, "energy is estimated instead");
    j = parse_object(&r);
    meters = json_object_get(j, "meters");
    ck_assert_uint_eq(json_array_size(meters), 1);
    m = json_array_get(meters, 0);
    ck_assert_str_eq(json_string_value(json_object_get(m, "name")),
                     "model:cputime");
    ck_assert_str_eq(json_string_value(json_object_get(m, "method")), "model");
    q = json_object_get(j, "quality");
    ck_assert_str_eq(json_string_value(json_array_get(q, 0)), "estimated");
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(j, "measurement"), "status")),
                     "LLMC_ENODEV");
    /* a busy shell for 0.3 s: between 0.2 and 2 CPU-seconds, at a per-core
     * share of a TDP (12 W per core for a CPU the catalogue lacks, up to
     * ~45 W for the catalogue's CPUs) */
    e = json_number_value(json_object_get(j, "energy_j"));
    ck_assert_msg(e > 0.2 * 2.0 && e < 2.0 * 50.0, "energy %g J\n%s", e,
                  r.out);
    json_decref(j);
    result_free(&r);
    /* and the text report says it is an estimate */
    run_with_nvml("/nonexistent/libnvidia-ml.so.1",
                  ARGS("run", "--grid", "FR", "--", "true"), &r);
    ck_assert_msg(r.status == 0, "%s: exit %d\n%s", r.cmdline, r.status,
                  r.err);
    OUT_HAS(&r, "(estimated, not measured: see meters)");
    result_free(&r);
}
END_TEST

START_TEST(test_run_strict_refuses_an_unopenable_meter)
{
    char dir[] = "/tmp/llmc-run-XXXXXX", marker[128], script[200];
    struct result r;
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(marker, sizeof marker, "%s/ran", dir);
    snprintf(script, sizeof script, "touch %s", marker);
    run_with_nvml("/nonexistent/libnvidia-ml.so.1",
                  ARGS("run", "--strict", "--meters", "nvml", "--grid", "FR",
                       "--", "sh", "-c", script),
                  &r);
    expect_fail(&r, 1);
    ERR_HAS(&r, "nvml");
    ERR_HAS(&r, "/nonexistent/libnvidia-ml.so.1");
    ck_assert_msg(access(marker, F_OK) != 0, "the command ran");
    result_free(&r);
    ck_assert_int_eq(remove_tree(dir), 0);
}
END_TEST

/* The text report says where the embodied figure's hardware came from,
 * and, for a run nothing could measure, that its energy and CO2e are not
 * known: words, never a 0. */
START_TEST(test_run_text_says_what_was_and_was_not_measured)
{
    const char *fake = getenv("LLMC_FAKE_NVML");
    struct result r;
    ck_assert_msg(fake != NULL, "LLMC_FAKE_NVML is not set");
    run_with_nvml(fake, ARGS("run", "--strict", "--meters", "nvml", "--grid",
                             "FR", "--interval", "100ms", "--", "true"),
                  &r);
    expect_ok(&r);
    OUT_HAS(&r, "NVIDIA H100 SXM5 80GB, found from the meters: 1 device as "
                "nvml:0 reports it: 'NVIDIA H100 80GB HBM3', 79.65 GiB, 700 W "
                "limit");
    OUT_HAS(&r, "counter");
    result_free(&r);

    setenv("FAKE_NVML_INIT_ERROR", "9", 1);
    run_with_nvml(fake, ARGS("run", "--meters", "nvml", "--grid", "FR",
                             "--fallback", "none", "--", "true"),
                  &r);
    ck_assert_msg(r.status == 0, "%s: exit %d\n%s", r.cmdline, r.status,
                  r.err);
    OUT_HAS(&r, "  energy         not measured (see below)\n");
    OUT_HAS(&r, "  operational    unknown: energy was not measured\n");
    OUT_HAS(&r, "  total          unknown: energy was not measured\n");
    OUT_HAS(&r, "  meters\n    (none)\n");
    OUT_HAS(&r, "nvmlInit_v2 failed: Driver Not Loaded (NVML error 9)");
    ck_assert_msg(strstr(r.out, " 0 J") == NULL && strstr(r.out, " 0 kg") ==
                  NULL, "an unmeasured run printed a zero:\n%s", r.out);
    result_free(&r);
}
END_TEST

START_TEST(test_run_strict_with_a_working_nvml_measures_it)
{
    /* the fake NVML: one GPU at 300 W, read by its energy counter */
    const char *fake = getenv("LLMC_FAKE_NVML");
    struct result r;
    json_t *j, *m;
    double dur;
    ck_assert_msg(fake != NULL, "LLMC_FAKE_NVML is not set");
    run_with_nvml(fake, ARGS("run", "--strict", "--meters", "nvml", "--grid",
                             "FR", "--interval", "100ms", "--json", "--",
                             "sleep", "0.3"),
                  &r);
    expect_ok(&r);
    j = parse_object(&r);
    ck_assert(json_is_true(json_object_get(j, "measured")));
    dur = json_number_value(json_object_get(j, "duration_s"));
    ck_assert_double_eq_tol(json_number_value(json_object_get(j, "energy_j")),
                            300.0 * dur, 300.0 * 0.05);
    m = json_array_get(json_object_get(j, "meters"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(m, "method")),
                     "counter");
    json_decref(j);
    result_free(&r);
}
END_TEST

START_TEST(test_run_without_grid_says_which_grid_it_uses)
{
    llmc_grid *g;
    llmc_intensity ci;
    char want[200];
    struct result r;

    ck_assert_int_eq(llmc_grid_new(&g, "static:WORLD"), LLMC_OK);
    llmc_intensity_init(&ci, sizeof ci);
    ck_assert_int_eq(llmc_grid_intensity_at(&ci, g, (int64_t)time(NULL)),
                     LLMC_OK);
    snprintf(want, sizeof want, "llmcarbon run: no --grid given: using "
             "static:WORLD, %.0f gCO2e/kWh (%d, %s); give --grid ZONE for "
             "your site", ci.gco2e_per_kwh, ci.year,
             llmc_basis_name(ci.basis));
    llmc_grid_free(g);
    unsetenv("LLMC_GRID");
    RUN(&r, "run", "--meters", "const:10W", "--", "true");
    ck_assert_msg(r.status == 0, "%s: exit %d\n%s", r.cmdline, r.status,
                  r.err);
    ERR_HAS(&r, want);
    result_free(&r);
    /* a grid given, by flag or by LLMC_GRID: nothing to say */
    RUN(&r, "run", "--meters", "const:10W", "--grid", "FR", "--", "true");
    expect_ok(&r);
    result_free(&r);
    setenv("LLMC_GRID", "FR", 1);
    RUN(&r, "run", "--meters", "const:10W", "--", "true");
    unsetenv("LLMC_GRID");
    expect_ok(&r);
    result_free(&r);
}
END_TEST

START_TEST(test_run_resumed_from_a_checkpoint_says_when_and_from_when)
{
    char dir[] = "/tmp/llmc-run-XXXXXX", ckpt[128];
    struct result r;
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(ckpt, sizeof ckpt, "%s/run.ckpt", dir);
    RUN(&r, "run", "--meters", "const:10W", "--grid", "FR", "--checkpoint",
        ckpt, "--", "true");
    expect_ok(&r);
    ck_assert_ptr_null(strstr(r.out, "resumed"));
    result_free(&r);
    RUN(&r, "run", "--meters", "const:10W", "--grid", "FR", "--checkpoint",
        ckpt, "--", "true");
    expect_ok(&r);
    OUT_HAS(&r, "  resumed        at 20");
    OUT_HAS(&r, "Z, from a checkpoint written at 20");
    result_free(&r);
    ck_assert_int_eq(remove_tree(dir), 0);
}
END_TEST

START_TEST(test_estimate_takes_every_estimate_key_as_a_flag)
{
    /* every key of the library's estimate table is a flag of estimate,
     * and its help line is the table's */
    struct result r;
    size_t n = llmc_estimate_key_count();
    ck_assert_uint_ge(n, 25);
    RUN(&r, "estimate", "--help");
    expect_ok(&r);
    for (size_t i = 0; i < n; i++) {
        llmc_key_info k;
        char line[80], first_words[40];
        llmc_key_info_init(&k, sizeof k);
        ck_assert_int_eq(llmc_estimate_key_get(&k, i), LLMC_OK);
        snprintf(line, sizeof line, "  %s%s%s ", k.flag, *k.arg ? " " : "",
                 k.arg);
        OUT_HAS(&r, line);
        snprintf(first_words, sizeof first_words, "%.20s", k.help);
        OUT_HAS(&r, first_words);
    }
    OUT_HAS(&r, "  --json ");
    result_free(&r);
    /* a switch takes no value */
    RUN(&r, "estimate", "--recompute=yes", "--energy", "1kWh", "--zone", "FR");
    expect_fail(&r, 2);
    ERR_HAS(&r, "'--recompute' takes no value");
    result_free(&r);
}
END_TEST

START_TEST(test_run_takes_every_tracker_key_as_a_flag)
{
    /* the README: "llmcarbon run takes --key value" for every key of the
     * library's table, and its help line is the table's */
    char dir[] = "/tmp/llmc-run-XXXXXX", locks[128];
    struct result r;
    size_t n = llmc_tracker_key_count();
    ck_assert_uint_ge(n, 15);
    RUN(&r, "run", "--help");
    expect_ok(&r);
    for (size_t i = 0; i < n; i++) {
        llmc_key_info k;
        char line[80], first_words[40];
        llmc_key_info_init(&k, sizeof k);
        ck_assert_int_eq(llmc_tracker_key_get(&k, i), LLMC_OK);
        snprintf(line, sizeof line, "  %s %s ", k.flag, k.arg);
        OUT_HAS(&r, line);
        snprintf(first_words, sizeof first_words, "%.20s", k.help);
        OUT_HAS(&r, first_words);
    }
    OUT_HAS(&r, "--strict");
    result_free(&r);
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(locks, sizeof locks, "%s/locks", dir);
    RUN(&r, "run", "--meters", "const:10W", "--grid", "FR", "--sampler",
        "inline", "--runtime-dir", locks, "--strict", "--json", "--", "true");
    expect_ok(&r);
    result_free(&r);
    RUN(&r, "run", "--sampler", "sometimes", "--", "true");
    expect_fail(&r, 1);
    ERR_HAS(&r, "sampler 'sometimes' is not known");
    result_free(&r);
    RUN(&r, "run", "--strict=yes", "--", "true");
    expect_fail(&r, 2);
    ERR_HAS(&r, "'--strict' takes no value");
    result_free(&r);
    ck_assert_int_eq(remove_tree(dir), 0);
}
END_TEST

/* ------------------------------------------------------------------------
 * grid get, grid forecast, report
 * ------------------------------------------------------------------------ */

START_TEST(test_grid_get_answers_with_provenance_and_time)
{
    struct result r;
    json_t *j;
    RUN(&r, "grid", "get", "static:FR", "--at", "2024-05-01T12:00:00+02:00",
        "--json");
    expect_ok(&r);
    j = parse_object(&r);
    ck_assert_double_eq(json_number_value(json_object_get(j,
                                                          "intensity_gco2e_per_kwh")),
                        56.039);
    ck_assert_str_eq(json_string_value(json_object_get(j, "at")),
                     "2024-05-01T10:00:00Z");
    ck_assert_str_eq(json_string_value(json_object_get(j, "spec")), "static:FRA");
    ck_assert_str_eq(json_string_value(json_object_get(j, "fallback")), "");
    ck_assert(json_is_null(json_object_get(j, "interval_start")));
    json_decref(j);
    result_free(&r);

    /* a chain whose first source has no token falls back, and says so */
    RUN(&r, "grid", "get", "electricitymaps:DE,static:DE");
    expect_ok(&r);
    OUT_HAS(&r, "380.95");
    OUT_HAS(&r, "fallback");
    OUT_HAS(&r, "ELECTRICITYMAPS_API_TOKEN");
    result_free(&r);

    RUN(&r, "grid", "get", "static:FR", "--at", "yesterday");
    expect_fail(&r, 2);
    ERR_HAS(&r, "yesterday");
    result_free(&r);
    RUN(&r, "grid", "get", "electricitymaps:DE");
    expect_fail(&r, 1);
    ERR_HAS(&r, "LLMC_EAUTH");
    result_free(&r);
}
END_TEST

/* `grid get` over the user's own series: the row that holds at --at, with
 * its interval (offsets taken), in JSON and in text; a time the file does
 * not cover is an error that names the times, not a number. */
START_TEST(test_grid_get_from_a_file_gives_the_rows_interval)
{
    char path[] = "/tmp/llmc-series-XXXXXX", spec[64];
    int fd = mkstemp(path);
    FILE *f;
    struct result r;
    json_t *j;

    ck_assert_int_ge(fd, 0);
    f = fdopen(fd, "w");
    fputs("datetime,intensity_gco2e_per_kwh\n"
          "2026-01-01T00:00:00+00:00,250\n"
          "2026-01-01T02:00:00+01:00,300\n" /* 01:00Z */
          "2026-01-01T02:00:00Z,100\n", f);
    ck_assert_int_eq(fclose(f), 0);
    snprintf(spec, sizeof spec, "file:%s", path);

    RUN(&r, "grid", "get", spec, "--at", "2026-01-01T01:30:00Z", "--json");
    expect_ok(&r);
    j = parse_object(&r);
    expect_rel("intensity", jnum(j, "intensity_gco2e_per_kwh"), 300.0, 0);
    expect_str(j, "interval_start", "2026-01-01T01:00:00Z");
    expect_str(j, "interval_end", "2026-01-01T02:00:00Z");
    expect_str(j, "basis", "unspecified");
    ck_assert(json_is_false(json_object_get(j, "is_forecast")));
    json_decref(j);
    result_free(&r);

    RUN(&r, "grid", "get", spec, "--at", "2026-01-01T01:30:00Z");
    expect_ok(&r);
    OUT_HAS(&r, "  intensity      300 gCO2e/kWh\n");
    OUT_HAS(&r, "  applies        2026-01-01T01:00:00Z to 2026-01-01T02:00:00Z\n");
    result_free(&r);

    RUN(&r, "grid", "get", spec, "--at", "2026-01-01T05:30:00Z");
    expect_fail(&r, 1);
    ERR_HAS(&r, "has no row for 2026-01-01T05:30:00Z; it covers "
                "2026-01-01T00:00:00Z to 2026-01-01T03:00:00Z");
    ERR_HAS(&r, ",static:ZONE");
    ERR_HAS(&r, "(LLMC_ENODATA)");
    result_free(&r);
    unlink(path);
}
END_TEST

/* Each verb of `grid` without what it needs, or with what belongs to
 * another, is a usage error (exit 2) that says what to write. */
START_TEST(test_grid_usage_errors_say_what_to_write)
{
    static const struct {
        const char *args[4];
        const char *says;
    } cases[] = {
        {{"grid", NULL}, "`grid get SPEC` or `grid forecast SPEC`"},
        {{"grid", "list", "FR", NULL}, "`grid list` takes no zone ('FR')"},
        {{"grid", "show", "FR", "--kind=country"}, "--kind goes with `grid list`"},
        {{"grid", "get", NULL}, "`grid get` needs a SPEC"},
        {{"grid", "forecast", NULL}, "`grid forecast` needs a SPEC"},
        {{"grid", "show", NULL}, "`grid show` needs a ZONE"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct result r;
        const char *argv[5] = {0};
        memcpy(argv, cases[i].args, sizeof cases[i].args);
        run(argv, &r);
        expect_fail(&r, 2);
        ERR_HAS(&r, cases[i].says);
        ERR_HAS(&r, "Try `llmcarbon grid --help`.");
        result_free(&r);
    }
}
END_TEST

/* The exporter without anything to serve, with an address that is none,
 * with an operand or a bad interval: usage errors that say what to write,
 * before anything starts. */
START_TEST(test_exporter_usage_errors_say_what_to_write)
{
    static const struct {
        const char *args[5];
        int status;
        const char *says;
    } cases[] = {
        {{"exporter", NULL}, 2, "nothing to serve: give --listen ADDR:PORT"},
        {{"exporter", "--listen", "nonsense", NULL}, 2,
         "--listen 'nonsense' is not an address to listen on; write "
         "HOST:PORT"},
        {{"exporter", "--listen", "127.0.0.1:99999", NULL}, 2,
         "is not an address to listen on"},
        {{"exporter", "--listen", "::1:9400", NULL}, 2,
         "[::1]:9400"},
        {{"exporter", "extra", "--listen", ":0", NULL}, 2,
         "'extra' is not an option; the exporter takes no operands"},
        {{"exporter", "--listen", "127.0.0.1:0", "--interval", "5ms"}, 1,
         "interval '5ms' is below the 100 ms minimum"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct result r;
        const char *argv[6] = {0};
        memcpy(argv, cases[i].args, sizeof cases[i].args);
        run(argv, &r);
        expect_fail(&r, cases[i].status);
        ERR_HAS(&r, cases[i].says);
        result_free(&r);
    }
}
END_TEST

START_TEST(test_grid_forecast_of_a_constant_says_start_now)
{
    struct result r;
    json_t *j;
    RUN(&r, "grid", "forecast", "const:300", "--duration", "6h", "--within",
        "12h", "--json");
    expect_ok(&r);
    j = parse_object(&r);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "delay_s")), 0);
    ck_assert_double_eq(json_number_value(json_object_get(j, "saving_fraction")),
                        0.0);
    ck_assert_double_eq(json_number_value(json_object_get(j,
                                                          "mean_gco2e_per_kwh")),
                        300.0);
    /* no forecast chose that start: said in the JSON */
    ck_assert(json_is_false(json_object_get(j, "forecast")));
    ck_assert_msg(strstr(json_string_value(json_object_get(j, "note")),
                         "has no forecast to choose a start from"),
                  "note: %s", r.out);
    json_decref(j);
    result_free(&r);
    RUN(&r, "grid", "forecast", "const:300");
    expect_fail(&r, 2);
    ERR_HAS(&r, "--duration");
    result_free(&r);
}
END_TEST

/* Output that cannot be written (a full disk: /dev/full) is a failure
 * with a message on stderr, never a cut figure and exit 0: every verb, its
 * text and its JSON, and the help and version texts too. */
/* ---- Prometheus: run --metrics and --textfile, exporter ------------- */

/* The whole of a file, NUL-terminated (free it); fails the test when it
 * cannot be read. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    struct buf b = {0};
    char chunk[4096];
    size_t n;
    ck_assert_msg(f != NULL, "cannot read %s: %s", path, strerror(errno));
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&b, chunk, n);
    fclose(f);
    if (!b.data)
        buf_append(&b, "", 0);
    return b.data;
}

/* The value of the sample whose line starts with prefix; NaN if none. */
static double sample_value(const char *text, const char *prefix)
{
    const char *at = text;
    while ((at = strstr(at, prefix)) != NULL) {
        if (at == text || at[-1] == '\n') {
            const char *sp = strchr(at, '}');
            return sp ? strtod(sp + 1, NULL) : NAN;
        }
        at++;
    }
    return NAN;
}

/* Names in dir other than keep: what a writer left behind. */
static int other_files(const char *dir, const char *keep)
{
    char cmd[600];
    FILE *p;
    int n = 0;
    char line[512];
    snprintf(cmd, sizeof cmd, "ls -A '%s'", dir);
    ck_assert_ptr_nonnull(p = popen(cmd, "r"));
    while (fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = '\0';
        if (strcmp(line, keep) != 0)
            n++;
    }
    pclose(p);
    return n;
}

START_TEST(test_run_textfile_holds_the_final_figures)
{
    char dir[] = "/tmp/llmc-prom-XXXXXX", path[128], *text;
    struct result r;
    json_t *j, *m;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/llmcarbon.prom", dir);
    RUN(&r, "run", "--textfile", path, "--meters", "const:250W", "--grid",
        "const:400", "--interval", "100ms", "--json", "--", "sleep", "0.3");
    expect_ok(&r);
    j = parse_object(&r);
    m = json_array_get(json_object_get(j, "meters"), 0);
    text = slurp(path);
    /* written after the stop: the report's own figures */
    expect_rel("energy", sample_value(text, "llmcarbon_energy_joules_total{"),
               jnum(m, "energy_j"), 1e-12);
    ck_assert_double_eq(sample_value(text, "llmcarbon_power_watts{"), 250.0);
    expect_rel("operational",
               sample_value(text, "llmcarbon_co2e_grams_total{"),
               jnum(j, "operational_kgco2e") * 1000.0, 1e-12);
    ck_assert_double_eq(
        sample_value(text, "llmcarbon_grid_intensity_grams_per_kilowatt_"
                           "hour{"),
        400.0);
    ck_assert_msg(strstr(text, "channel=\"const\",device=\"250 W\","
                               "method=\"const\"}") != NULL, "%s", text);
    /* the text format 0.0.4 for the textfile collector; no steps: the
     * command's are its own */
    ck_assert_msg(strstr(text, "# EOF") == NULL, "%s", text);
    ck_assert_msg(strstr(text, "steps") == NULL, "%s", text);
    /* written through a temporary file that is gone */
    ck_assert_int_eq(other_files(dir, "llmcarbon.prom"), 0);
    {
        struct stat st;
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_int_eq(st.st_mode & 0777, 0644);
    }
    free(text);
    json_decref(j);
    result_free(&r);
    ck_assert_int_eq(remove_tree(dir), 0);
}
END_TEST

START_TEST(test_run_metrics_on_a_port_in_use_fails_before_the_command)
{
    char dir[] = "/tmp/llmc-prom-XXXXXX", marker[128], addr[64];
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    struct result r;
    int fd;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(marker, sizeof marker, "%s/ran", dir);
    ck_assert_int_ge(fd = socket(AF_INET, SOCK_STREAM, 0), 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(fd, 1), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    snprintf(addr, sizeof addr, "127.0.0.1:%d", ntohs(sa.sin_port));
    RUN(&r, "run", "--metrics", addr, "--meters", "const:1W", "--grid",
        "const:1", "--", "touch", marker);
    expect_fail(&r, 1);
    if (strstr(r.err, "built without an HTTP server")) {
        /* a build without libmicrohttpd: it says what to install */
        ERR_HAS(&r, "libmicrohttpd-dev");
    } else {
        char want[128];
        snprintf(want, sizeof want, "--metrics %s: the address is in use",
                 addr);
        ERR_HAS(&r, want);
        ERR_HAS(&r, "give another port");
    }
    ck_assert_msg(access(marker, F_OK) != 0, "the command ran");
    close(fd);
    result_free(&r);
    RUN(&r, "run", "--metrics", "localhost", "--", "true");
    expect_fail(&r, 2);
    ERR_HAS(&r, "'localhost' is not an address to listen on");
    result_free(&r);
    ck_assert_int_eq(remove_tree(dir), 0);
}
END_TEST

START_TEST(test_exporter_writes_its_textfile_until_sigterm)
{
    char dir[] = "/tmp/llmc-prom-XXXXXX", path[128], errpath[128], *text;
    const char *cli = cli_path();
    struct result r;
    pid_t pid;
    int status;

    RUN(&r, "exporter", "--meters", "const:1W");
    expect_fail(&r, 2);
    ERR_HAS(&r, "nothing to serve: give --listen ADDR:PORT");
    result_free(&r);

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/node.prom", dir);
    /* beside the directory: the test counts what is left in it */
    snprintf(errpath, sizeof errpath, "%s.err", dir);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
            _exit(126);
        /* its lock directory goes in TMPDIR, to be removed at the end */
        setenv("TMPDIR", dir, 1);
        execl(cli, cli, "exporter", "--textfile", path, "--meters",
              "const:100W", "--grid", "const:300", "--interval", "100ms",
              (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 500 && access(path, F_OK) != 0; i++)
        usleep(10000);
    ck_assert_msg(access(path, F_OK) == 0, "no %s after 5 s", path);
    usleep(300000);
    ck_assert_int_eq(kill(pid, SIGTERM), 0);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the exporter did not exit 0 on SIGTERM (%d)", status);
    text = slurp(errpath);
    ck_assert_msg(strstr(text, "llmcarbon exporter: SIGTERM: stopping\n"),
                  "stderr:\n%s", text);
    free(text);
    unlink(errpath);
    text = slurp(path);
    ck_assert_double_eq(sample_value(text, "llmcarbon_power_watts{"), 100.0);
    ck_assert_double_ge(sample_value(text, "llmcarbon_energy_joules_total{"),
                        100.0 * 0.3);
    ck_assert_double_eq(
        sample_value(text, "llmcarbon_grid_intensity_grams_per_kilowatt_"
                           "hour{"),
        300.0);
    ck_assert_msg(strstr(text, "steps") == NULL, "%s", text);
    /* the textfile, and nothing else: no temporary file, no lock dir */
    ck_assert_int_eq(other_files(dir, "node.prom"), 0);
    free(text);
    ck_assert_int_eq(remove_tree(dir), 0);
}
END_TEST

START_TEST(test_output_that_cannot_be_written_fails_every_verb)
{
    static const char *const cases[][14] = {
        {"estimate", "--energy", "1000kWh", "--intensity", "500", NULL},
        {"estimate", "--energy", "1000kWh", "--intensity", "500", "--json",
         NULL},
        {"hw", "list", NULL},
        {"hw", "list", "--json", NULL},
        {"hw", "show", "h100-sxm", NULL},
        {"grid", "list", NULL},
        {"grid", "show", "FR", NULL},
        {"grid", "show", "FR", "--json", NULL},
        {"grid", "forecast", "const:300", "--duration", "6h", NULL},
        {"run", "--meters", "const:100W", "--grid", "const:100", "--", "true",
         NULL},
        {"run", "--json", "--meters", "const:100W", "--grid", "const:100",
         "--", "true", NULL},
        {"--help", NULL},
        {"--version", NULL},
        {"estimate", "--help", NULL},
        {"run", "--help", NULL},
        {"exporter", "--help", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct result r;
        stdout_to = "/dev/full";
        run(cases[i], &r);
        stdout_to = NULL;
        ck_assert_msg(r.status == 1, "%s > /dev/full: exit %d, want 1; "
                      "stderr:\n%s", r.cmdline, r.status, r.err);
        ck_assert_msg(strstr(r.err, "cannot write the"), "%s > /dev/full: "
                      "stderr does not say so:\n%s", r.cmdline, r.err);
        result_free(&r);
    }
}
END_TEST

/* The numbers of the line that starts with label, commas dropped: n of
 * them into v; returns how many were read. */
static int line_numbers(const char *text, const char *label, double *v, int n)
{
    const char *at = strstr(text, label);
    char line[512], *p, *end;
    int got = 0;
    size_t len;
    if (!at)
        return 0;
    at += strlen(label);
    len = strcspn(at, "\n");
    ck_assert(len < sizeof line);
    p = line;
    for (size_t i = 0; i < len; i++)
        if (at[i] != ',')
            *p++ = at[i];
    *p = '\0';
    for (p = line; *p && got < n; ) {
        double d = strtod(p, &end);
        if (end == p) {
            p++;
            continue;
        }
        v[got++] = d;
        p = end;
    }
    return got;
}

/* The text of an estimate from a model, with ranges, says what its JSON
 * says: the compute in FLOPs, and the low and high of each range. */
START_TEST(test_estimate_text_of_a_model_with_ranges_agrees_with_its_json)
{
    static const char *const labels[] = {"range: wall-clock",
                                         "range: IT energy", "range: total"};
    static const char *const keys[] = {"range.days", "range.energy_kwh",
                                       "range.total_kgco2e"};
    struct result r;
    json_t *j;
    double v[2];

    j = estimate_json(ARGS("--hardware", "h100-sxm", "--count", "1024",
                           "--params", "70B", "--tokens", "2T", "--mfu",
                           "0.35..0.45", "--pue", "1.1..1.3", "--zone", "US"));
    /* 6 x 70e9 parameters x 2e12 tokens */
    expect_rel("flops", jnum(j, "flops"), 8.4e23, 1e-12);
    RUN(&r, "estimate", "--hardware", "h100-sxm", "--count", "1024",
        "--params", "70B", "--tokens", "2T", "--mfu", "0.35..0.45", "--pue",
        "1.1..1.3", "--zone", "US");
    expect_ok(&r);
    OUT_HAS(&r, "8.4e+23 FLOPs       at MFU 0.4 of 989 TFLOP/s bf16");
    for (int k = 0; k < 3; k++) {
        json_t *pair = jget(j, keys[k]);
        ck_assert_msg(line_numbers(r.out, labels[k], v, 2) == 2,
                      "no '%s' line with two numbers:\n%s", labels[k], r.out);
        expect_rel(labels[k], v[0],
                   json_number_value(json_array_get(pair, 0)), 5e-4);
        expect_rel(labels[k], v[1],
                   json_number_value(json_array_get(pair, 1)), 5e-4);
        ck_assert(v[0] < v[1]);
    }
    json_decref(j);
    result_free(&r);
}
END_TEST

/* A forecast whose best window is ahead: the text names its start and the
 * saving that the JSON gives, from the user's own series. */
START_TEST(test_grid_forecast_text_names_the_window_ahead)
{
    char path[] = "/tmp/llmc-forecast-XXXXXX", spec[64], iso[32];
    time_t now = time(NULL), t0 = now / 3600 * 3600 - 3600, start;
    double delay, now_mean;
    FILE *f;
    int fd = mkstemp(path);
    struct result r;
    json_t *j;
    double v[1];
    struct tm tm;

    ck_assert_int_ge(fd, 0);
    f = fdopen(fd, "w");
    fputs("datetime,intensity_gco2e_per_kwh\n", f);
    /* 400 g/kWh, but 100 for the two hours from t0 + 3 h */
    for (int h = 0; h < 30; h++) {
        time_t at = t0 + 3600 * h;
        gmtime_r(&at, &tm);
        strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
        fprintf(f, "%s,%d\n", iso, h == 3 || h == 4 ? 100 : 400);
    }
    ck_assert_int_eq(fclose(f), 0);
    snprintf(spec, sizeof spec, "file:%s", path);

    RUN(&r, "grid", "forecast", spec, "--duration", "2h", "--within", "12h",
        "--json");
    expect_ok(&r);
    j = parse_object(&r);
    result_free(&r);
    /* the window starts when the low hours do, and its means are over
     * its seconds: starting now (delay_s before them) it has delay_s at
     * 400 and the rest at 100 */
    start = (time_t)json_integer_value(json_object_get(j, "start_unix_s"));
    ck_assert_int_eq(start, t0 + 3 * 3600);
    delay = (double)json_integer_value(json_object_get(j, "delay_s"));
    ck_assert(delay > 3600 && delay <= 7200);
    expect_rel("mean", jnum(j, "mean_gco2e_per_kwh"), 100.0, 1e-12);
    now_mean = (400.0 * delay + 100.0 * (7200.0 - delay)) / 7200.0;
    expect_rel("now mean", jnum(j, "now_mean_gco2e_per_kwh"), now_mean,
               1e-12);
    expect_rel("saving", jnum(j, "saving_fraction"), 1.0 - 100.0 / now_mean,
               1e-12);

    RUN(&r, "grid", "forecast", spec, "--duration", "2h", "--within", "12h");
    expect_ok(&r);
    gmtime_r(&start, &tm);
    strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
    OUT_HAS(&r, "the best 2 h window starts at");
    OUT_HAS(&r, iso);
    ck_assert_int_eq(line_numbers(r.out, "mean intensity then", v, 1), 1);
    expect_rel("mean intensity then", v[0], 100.0, 1e-12);
    /* "now" moved on since the JSON's run (by a second or a few on a slow
     * machine): 300 g/kWh / 7200 s, 0.04 g/kWh a second */
    ck_assert_int_eq(line_numbers(r.out, "starting now", v, 1), 1);
    expect_rel("starting now", v[0], jnum(j, "now_mean_gco2e_per_kwh"), 2e-3);
    ck_assert_int_eq(line_numbers(r.out, "saving", v, 1), 1);
    expect_rel("saving %", v[0], 100 * jnum(j, "saving_fraction"), 2e-3);
    json_decref(j);
    result_free(&r);
    unlink(path);
}
END_TEST

START_TEST(test_report_merges_rank_logs_and_reweights)
{
    char dir[] = "/tmp/llmc-report-XXXXXX", log0[128], log1[128];
    struct result r;
    json_t *j, *rw;
    double e;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(log0, sizeof log0, "%s/rank0.jsonl", dir);
    snprintf(log1, sizeof log1, "%s/rank1.jsonl", dir);
    RUN(&r, "run", "--meters", "const:100W", "--grid", "FR", "--interval",
        "100ms", "--log", log0, "--", "sleep", "0.3");
    ck_assert_int_eq(r.status, 0);
    result_free(&r);
    RUN(&r, "run", "--meters", "const:300W", "--grid", "FR", "--interval",
        "100ms", "--log", log1, "--", "sleep", "0.3");
    ck_assert_int_eq(r.status, 0);
    result_free(&r);

    RUN(&r, "report", log0, log1, "--grid", "const:500", "--json");
    expect_ok(&r);
    j = parse_object(&r);
    e = json_number_value(json_object_get(j, "energy_j"));
    ck_assert_double_ge(e, 400.0 * 0.3);
    ck_assert_double_le(e, 400.0 * 0.6);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "logs")), 2);
    /* as recorded: France, 56.039 g/kWh */
    ck_assert_double_eq_tol(json_number_value(json_object_get(
                                j, "operational_kgco2e")),
                            e / 3.6e6 * 56.039 / 1000, 1e-12);
    /* reweighted: 500 g/kWh for every sample */
    rw = json_object_get(j, "reweighted");
    ck_assert_double_eq_tol(json_number_value(json_object_get(
                                rw, "operational_kgco2e")),
                            e / 3.6e6 * 500 / 1000, 1e-12);
    ck_assert_double_eq(json_number_value(json_object_get(
                            rw, "intensity_gco2e_per_kwh")),
                        500.0);
    json_decref(j);
    result_free(&r);

    RUN(&r, "report");
    expect_fail(&r, 2);
    result_free(&r);
    RUN(&r, "report", "/nonexistent.jsonl");
    expect_fail(&r, 1);
    result_free(&r);
    ck_assert_int_eq(remove_tree(dir), 0);
}
END_TEST

/* ------------------------------------------------------------------------
 * Flags that conflict, flags given twice, values out of range
 * ------------------------------------------------------------------------ */

/* Exit status want: a success (0) whose stdout says text, or a failure
 * whose message says it; and also, when that is given (NULL: nothing
 * more). */
static void expect_exit_saying(const char *const argv[], int want,
                               const char *text, const char *also)
{
    struct result r;
    const char *stream = want == 0 ? "stdout" : "stderr";
    run(argv, &r);
    if (want == 0)
        expect_ok(&r);
    else
        expect_fail(&r, want);
    expect_contains(&r, stream, want == 0 ? r.out : r.err, text);
    if (also)
        expect_contains(&r, stream, want == 0 ? r.out : r.err, also);
    result_free(&r);
}

/* A usage error (exit 2) whose message names both flags. */
static void expect_conflict(const char *const argv[], const char *a,
                            const char *b)
{
    expect_exit_saying(argv, 2, a, b);
}

START_TEST(test_estimate_conflicting_flags_are_errors_naming_both)
{
    expect_conflict(ARGS("estimate", "--hardware", "h100-sxm", "--hours", "10",
                         "--power", "500W", "--power-factor", "0.5",
                         "--intensity", "400"),
                    "--power'", "--power-factor");
    expect_conflict(ARGS("estimate", "--energy", "100kWh", "--overhead-power",
                         "100W", "--intensity", "400"),
                    "--energy", "--overhead-power");
    expect_conflict(ARGS("estimate", "--energy", "100kWh", "--power-factor",
                         "0.5", "--intensity", "400"),
                    "--energy", "--power-factor");
    expect_conflict(ARGS("estimate", "--energy", "100kWh", "--intensity", "400",
                         "--no-embodied", "--embodied", "100kg"),
                    "--embodied'", "--no-embodied");
}
END_TEST

/* --power takes tdp and typical as well as a figure; the words name a
 * basis, so --power tdp goes with --power-factor and the library refuses
 * typical with it, naming both; the output says which basis it used. */
START_TEST(test_estimate_power_typical_and_tdp)
{
    json_t *j = ESTIMATE_JSON("--hardware", "h100-sxm", "--hours", "10h",
                              "--intensity", "100", "--power", "typical");
    /* 0.76 of 700 W: Newkirk et al. 2025, arXiv:2506.14551 */
    NUM_IS(j, "power_w", 532.0, 1e-12);
    ck_assert_msg(strncmp(jstr(j, "power_basis"), "typical: 0.76 of TDP", 20) ==
                      0,
                  "power_basis %s", jstr(j, "power_basis"));
    json_decref(j);
    j = ESTIMATE_JSON("--hardware", "h100-sxm", "--hours", "10h",
                      "--intensity", "100", "--power", "tdp",
                      "--power-factor", "0.5");
    NUM_IS(j, "power_w", 350.0, 1e-12);
    expect_str(j, "power_basis", "TDP");
    json_decref(j);
    expect_exit_saying(ARGS("estimate", "--hardware", "h100-sxm", "--hours",
                            "10h", "--intensity", "100", "--power",
                            "typical"),
                       0, "power basis typical: 0.76 of TDP", NULL);
    expect_exit_saying(ARGS("estimate", "--hardware", "h100-sxm", "--hours",
                            "10h", "--intensity", "100", "--power", "typical",
                            "--power-factor", "0.5"),
                       1, "--power typical", "--power-factor");
    expect_exit_saying(ARGS("estimate", "--hardware", "mi300x", "--hours",
                            "10h", "--intensity", "100", "--power",
                            "typical"),
                       1, "no typical training power is known", "--power");
}
END_TEST

START_TEST(test_any_flag_given_twice_is_an_error_naming_it)
{
    expect_exit_saying(ARGS("estimate", "--energy", "1kWh", "--intensity",
                            "400", "--pue", "1.1", "--pue", "1.2"),
                       2, "'--pue' is given twice", NULL);
    expect_exit_saying(ARGS("estimate", "--energy", "1kWh", "--intensity",
                            "400", "--json", "--json"),
                       2, "'--json' is given twice", NULL);
    expect_exit_saying(ARGS("run", "--interval", "1s", "--interval", "2s",
                            "--", "true"),
                       2, "'--interval' is given twice", NULL);
    expect_exit_saying(ARGS("grid", "get", "static:FR", "--at", "0", "--at",
                            "1"),
                       2, "'--at' is given twice", NULL);
    expect_exit_saying(ARGS("grid", "list", "--kind", "country", "--kind",
                            "world"),
                       2, "'--kind' is given twice", NULL);
    expect_exit_saying(ARGS("hw", "list", "--json", "--json"), 2,
                       "'--json' is given twice", NULL);
    expect_exit_saying(ARGS("report", "--pue", "1.1", "--pue", "1.2",
                            "/nonexistent.jsonl"),
                       2, "'--pue' is given twice", NULL);
}
END_TEST

START_TEST(test_grid_get_at_outside_1970_to_9999_is_an_error)
{
    static const char *const bad[] = {
        "99999999999999", "-1", "253402300800", "99999999999999999999",
        "1969-12-31T23:59:59Z", "1970-01-01T00:30:00+01:00", "0000-01-01T00:00Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_exit_saying(ARGS("grid", "get", "static:FR", "--at", bad[i]),
                           2, "outside the years 1970 to 9999", NULL);
    /* a date that does not exist is not a time */
    expect_exit_saying(ARGS("grid", "get", "static:FR", "--at",
                            "2024-04-31T00:00:00Z"),
                       2, "is not a time", NULL);
    /* the last representable second still answers */
    expect_exit_saying(ARGS("grid", "get", "static:FR", "--at",
                            "9999-12-31T23:59:59Z", "--json"),
                       0, "\"9999-12-31T23:59:59Z\"", NULL);
}
END_TEST

START_TEST(test_estimate_numbers_out_of_range_say_too_large_or_too_small)
{
    const struct {
        const char *const *argv;
        const char *says, *never; /* never: NULL when nothing is ruled out */
    } cases[] = {
        {ARGS("estimate", "--energy", "1e305kWh", "--intensity", "400"),
         "too large", "memory"},
        /* each input fits, their product does not */
        {ARGS("estimate", "--energy", "1e300kWh", "--intensity", "1e9",
              "--json"),
         "too large", "memory"},
        {ARGS("estimate", "--hardware", "h100-sxm", "--params", "70B",
              "--tokens", "1T", "--mfu", "1e-320", "--intensity", "400"),
         "too small", "trailing"},
        {ARGS("run", "--interval", "1e10", "--", "true"), "1 day", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct result r;
        run(cases[i].argv, &r);
        expect_fail(&r, 1);
        ERR_HAS(&r, cases[i].says);
        if (cases[i].never)
            ck_assert_msg(!strstr(r.err, cases[i].never), "%s: says %s:\n%s",
                          r.cmdline, cases[i].never, r.err);
        result_free(&r);
    }
}
END_TEST

START_TEST(test_estimate_text_never_cuts_the_digits_of_a_large_number)
{
    expect_exit_saying(ARGS("estimate", "--energy", "1e60kWh",
                            "--intensity", "400"),
                       0, " 1e+60 kWh", " 4e+59 kgCO2e");
    expect_exit_saying(ARGS("estimate", "--energy", "1234567kWh",
                            "--intensity", "400"),
                       0, " 1,234,567 kWh", NULL);
}
END_TEST

/* The state of process pid from /proc: 'Z' for a zombie, 0 when gone. */
static char proc_state(pid_t pid)
{
    char path[64], text[512], *close_paren;
    FILE *f;
    size_t n;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (!(f = fopen(path, "r")))
        return 0;
    n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    close_paren = strrchr(text, ')');
    return close_paren && close_paren[1] == ' ' ? close_paren[2] : 0;
}

START_TEST(test_run_killed_with_sigkill_takes_its_command_with_it)
{
    char dir[] = "/tmp/llmc-run-XXXXXX", pidfile[128], script[512];
    pid_t pid, child = 0;
    int status;
    FILE *f;
    char state = 'R';

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(pidfile, sizeof pidfile, "%s/pid", dir);
    /* the pid file appears whole */
    snprintf(script, sizeof script,
             "echo $$ > %s.tmp && mv %s.tmp %s; exec sleep 60", pidfile,
             pidfile, pidfile);
    pid = run_in_background(script, "/dev/null", pidfile);
    ck_assert_ptr_nonnull(f = fopen(pidfile, "r"));
    ck_assert_int_eq(fscanf(f, "%d", &child), 1);
    fclose(f);
    ck_assert_int_gt(child, 0);
    ck_assert_int_eq(kill(pid, SIGKILL), 0);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    for (int i = 0; i < 200; i++) { /* 2 s */
        state = proc_state(child);
        if (state == 0 || state == 'Z')
            break;
        usleep(10000);
    }
    if (state != 0 && state != 'Z')
        kill(child, SIGKILL); /* leave nothing behind, then fail */
    ck_assert_msg(state == 0 || state == 'Z',
                  "the command (pid %d) still runs 2 s after llmcarbon run "
                  "was killed (state %c)",
                  (int)child, state);
    ck_assert_int_eq(remove_tree(dir), 0);
}
END_TEST

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

START_TEST(test_run_starts_its_command_at_once_when_the_grid_hangs)
{
    /* a grid API that accepts and never answers: the command starts at
     * once, and the wait is in neither the time nor the energy */
    char dir[] = "/tmp/llmc-run-XXXXXX", stamp[128], url[128], cache[128];
    char script[300];
    struct result r;
    json_t *j;
    pid_t server;
    double t0, child_at = 0, wall, dur;
    FILE *f;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(url, sizeof url, "http://127.0.0.1:%d/_mode/hang",
             fake_grid_server_start(&server));
    snprintf(cache, sizeof cache, "%s/cache", dir);
    snprintf(stamp, sizeof stamp, "%s/started", dir);
    snprintf(script, sizeof script, "date +%%s.%%N > %s; sleep 2", stamp);
    setenv("LLMC_ELECTRICITYMAPS_URL", url, 1);
    setenv("LLMC_CACHE_DIR", cache, 1);
    t0 = wall_s();
    RUN(&r, "run", "--meters", "const:100W", "--grid",
        "electricitymaps:DE?token=good-token", "--json", "--", "sh", "-c",
        script);
    wall = wall_s() - t0;
    fake_grid_server_stop(&server);
    unsetenv("LLMC_ELECTRICITYMAPS_URL");
    expect_ok(&r);
    ck_assert_ptr_nonnull(f = fopen(stamp, "r"));
    ck_assert_int_eq(fscanf(f, "%lf", &child_at), 1);
    fclose(f);
    ck_assert_msg(child_at - t0 < 0.5, "the command started %.3f s late",
                  child_at - t0);
    j = parse_object(&r);
    dur = json_number_value(json_object_get(j, "duration_s"));
    ck_assert_msg(dur >= 1.8 && dur <= 2.6, "duration_s %.3f", dur);
    /* 100 W over the run, however long a loaded machine made it */
    ck_assert_double_eq_tol(json_number_value(json_object_get(j, "energy_j")),
                            100.0 * dur, 100.0 * dur * 0.01);
    ck_assert(json_is_null(json_object_get(j, "operational_kgco2e")));
    /* the run, its last sample, and a second for the fetch's cancel */
    ck_assert_msg(wall < 4.5, "llmcarbon run took %.3f s", wall);
    json_decref(j);
    result_free(&r);
    ck_assert_int_eq(remove_tree(dir), 0);
}
END_TEST

START_TEST(test_run_text_says_why_operational_is_unknown)
{
    /* a grid API that only fails: energy is measured, the intensity never
     * known; the text says so, names the grid's failure, and prints no
     * operational or total figure (not 0, not a made-up average) */
    char dir[] = "/tmp/llmc-run-XXXXXX", url[128], cache[128];
    struct result r;
    pid_t server;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(url, sizeof url, "http://127.0.0.1:%d/_mode/html500",
             fake_grid_server_start(&server));
    snprintf(cache, sizeof cache, "%s/cache", dir);
    setenv("LLMC_ELECTRICITYMAPS_URL", url, 1);
    setenv("LLMC_CACHE_DIR", cache, 1);
    RUN(&r, "run", "--meters", "const:100W", "--grid",
        "electricitymaps:DE?token=good-token", "--", "sleep", "1");
    fake_grid_server_stop(&server);
    unsetenv("LLMC_ELECTRICITYMAPS_URL");
    expect_ok(&r);
    ck_assert_msg(strstr(r.out, "intensity      unknown (electricitymaps:DE"),
                  "%s", r.out);
    ck_assert_msg(strstr(r.out, "500"), "the grid's failure is named: %s",
                  r.out);
    ck_assert_msg(strstr(r.out, "operational    unknown: no grid intensity "
                                "was known for"),
                  "%s", r.out);
    ck_assert_msg(strstr(r.out, "total          unknown: no grid intensity"),
                  "%s", r.out);
    ck_assert_msg(!strstr(r.out, "energy was not measured"), "%s", r.out);
    ck_assert_msg(!strstr(r.out, "kgCO2e (x PUE"), "%s", r.out);
    ck_assert_msg(!strstr(r.out, "good-token"), "%s", r.out);
    result_free(&r);
    ck_assert_int_eq(remove_tree(dir), 0);
}
END_TEST

static Suite *cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *top = tcase_create("top");
    TCase *est = tcase_create("estimate");
    TCase *err = tcase_create("estimate-errors");
    TCase *hw = tcase_create("hw");
    TCase *grid = tcase_create("grid");

    tcase_add_test(top, test_version_prints_version_and_exits_0);
    tcase_add_test(top, test_help_exits_0_and_lists_commands);
    tcase_add_test(top, test_no_arguments_is_usage_error_on_stderr);
    tcase_add_test(top, test_unknown_command_is_usage_error_naming_it);
    tcase_add_test(top, test_subcommand_help_goes_to_stdout);
    tcase_add_test(top, test_typos_say_did_you_mean);
    tcase_add_test(top, test_unknown_llmc_variable_is_named_with_the_nearest);

    tcase_add_test(est, test_estimate_energy_intensity_json_is_500_kg);
    tcase_add_test(est, test_estimate_energy_intensity_text_is_500_kg);
    tcase_add_test(est, test_estimate_readme_example_json_values);
    tcase_add_test(est, test_estimate_readme_example_text_states_assumptions);
    tcase_add_test(est, test_estimate_bare_energy_is_kwh);
    tcase_add_test(est, test_estimate_bare_hours_is_hours);
    tcase_add_test(est, test_estimate_bare_power_is_watts);
    tcase_add_test(est, test_estimate_bare_intensity_is_g_per_kwh);
    tcase_add_test(est, test_estimate_bare_lifetime_is_years);
    tcase_add_test(est, test_estimate_default_pue_is_stated);
    tcase_add_test(est, test_estimate_no_embodied_leaves_it_out);
    tcase_add_test(est, test_estimate_embodied_scope_flag);

    tcase_add_test(err, test_estimate_unknown_zone_fails_and_points_to_grid_list);
    tcase_add_test(err, test_estimate_ambiguous_hardware_lists_matches);
    tcase_add_test(err, test_estimate_pue_below_1_fails);
    tcase_add_test(err, test_estimate_negative_energy_fails);
    tcase_add_test(err, test_estimate_nan_energy_fails);
    tcase_add_test(err, test_estimate_bad_unit_fails_naming_it);
    tcase_add_test(err, test_estimate_unknown_option_is_usage_error);
    tcase_add_test(err, test_estimate_unknown_short_option_is_not_an_option);
    tcase_add_test(err, test_estimate_flag_given_a_value_is_usage_error);
    tcase_add_test(err, test_estimate_option_without_value_is_usage_error);
    tcase_add_test(err, test_estimate_stray_argument_is_usage_error);
    tcase_add_test(err, test_estimate_without_inputs_says_give_energy);
    tcase_add_test(err, test_estimate_zone_and_intensity_conflict);

    tcase_add_test(hw, test_hw_list_has_every_catalogue_name);
    tcase_add_test(hw, test_hw_list_json_matches_the_csv);
    tcase_add_test(hw, test_hw_show_finds_h100_sxm);
    tcase_add_test(hw, test_hw_show_ambiguous_name_fails);
    tcase_add_test(hw, test_hw_show_without_name_is_usage_error);
    tcase_add_test(hw, test_hw_unknown_verb_is_usage_error);

    tcase_add_test(grid, test_grid_list_has_every_zone);
    tcase_add_test(grid, test_grid_list_kind_us_state_json_has_51);
    tcase_add_test(grid, test_grid_list_unknown_kind_is_usage_error);
    tcase_add_test(grid, test_grid_show_fr_json);
    tcase_add_test(grid, test_grid_show_gcp_region_text);
    tcase_add_test(grid, test_grid_show_const_json);
    tcase_add_test(grid, test_grid_show_typo_suggests_fra);
    tcase_add_test(grid, test_grid_show_without_zone_is_usage_error);

    suite_add_tcase(s, top);
    suite_add_tcase(s, est);
    suite_add_tcase(s, err);
    suite_add_tcase(s, hw);
    suite_add_tcase(s, grid);
    {
        TCase *runc = tcase_create("run");
        tcase_set_timeout(runc, 30);
        tcase_add_test(runc, test_run_reports_energy_and_passes_on_the_exit_status);
        tcase_add_test(runc, test_run_text_report_follows_the_commands_output);
        tcase_add_test(runc, test_run_forwards_signals_to_the_command);
        tcase_add_test(runc, test_run_usage_errors);
        tcase_add_test(runc, test_run_missing_command_exits_127_with_a_report);
        tcase_add_test(runc, test_run_with_an_unopenable_meter_warns_and_runs_on_the_others);
        tcase_add_test(runc, test_run_with_no_meter_left_runs_the_command_unmeasured);
        tcase_add_test(runc, test_run_strict_refuses_an_unopenable_meter);
        tcase_add_test(runc, test_run_strict_with_a_working_nvml_measures_it);
        tcase_add_test(runc, test_run_without_grid_says_which_grid_it_uses);
        tcase_add_test(runc, test_run_takes_every_tracker_key_as_a_flag);
        tcase_add_test(runc, test_estimate_takes_every_estimate_key_as_a_flag);
        tcase_add_test(runc, test_run_resumed_from_a_checkpoint_says_when_and_from_when);
        tcase_add_test(runc, test_run_without_a_readable_meter_says_so_first_and_estimates);
        tcase_add_test(runc, test_grid_get_answers_with_provenance_and_time);
        tcase_add_test(runc, test_grid_forecast_of_a_constant_says_start_now);
        tcase_add_test(runc, test_output_that_cannot_be_written_fails_every_verb);
        tcase_add_test(runc, test_exporter_usage_errors_say_what_to_write);
        tcase_add_test(runc, test_grid_get_from_a_file_gives_the_rows_interval);
        tcase_add_test(runc, test_grid_usage_errors_say_what_to_write);
        tcase_add_test(runc, test_run_text_says_what_was_and_was_not_measured);
        tcase_add_test(runc, test_estimate_text_of_a_model_with_ranges_agrees_with_its_json);
        tcase_add_test(runc, test_grid_forecast_text_names_the_window_ahead);
        tcase_add_test(runc, test_report_merges_rank_logs_and_reweights);
        tcase_add_test(runc, test_run_textfile_holds_the_final_figures);
        tcase_add_test(runc, test_run_metrics_on_a_port_in_use_fails_before_the_command);
        tcase_add_test(runc, test_exporter_writes_its_textfile_until_sigterm);
        suite_add_tcase(s, runc);
    }
    {
        TCase *flags = tcase_create("flags");
        tcase_set_timeout(flags, 30);
        tcase_add_test(flags, test_estimate_conflicting_flags_are_errors_naming_both);
        tcase_add_test(flags, test_estimate_power_typical_and_tdp);
        tcase_add_test(flags, test_any_flag_given_twice_is_an_error_naming_it);
        tcase_add_test(flags, test_grid_get_at_outside_1970_to_9999_is_an_error);
        tcase_add_test(flags, test_estimate_numbers_out_of_range_say_too_large_or_too_small);
        tcase_add_test(flags, test_estimate_text_never_cuts_the_digits_of_a_large_number);
        tcase_add_test(flags, test_run_killed_with_sigkill_takes_its_command_with_it);
        suite_add_tcase(s, flags);
    }
    {
        TCase *hung = tcase_create("run-grid");
        tcase_set_timeout(hung, 30);
        tcase_add_test(hung, test_run_starts_its_command_at_once_when_the_grid_hangs);
        tcase_add_test(hung, test_run_text_says_why_operational_is_unknown);
        suite_add_tcase(s, hung);
    }
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(cli_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
