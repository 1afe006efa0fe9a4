/*
 * test_report_cli.c - `llmcarbon report` over logs as they are found after
 * a run: cut short by a killed writer, given twice, not logs at all,
 * damaged, unreadable, or holding energy that had no grid intensity.
 *
 * The logs are written here line by line in the tracker's format, with
 * round values: each sample is 1 kWh (3,600,000 J) at 300 gCO2e/kWh and
 * PUE 1, so 0.3 kgCO2e; a fill line prices 1 kWh at 500 g/kWh, 0.5 kg.
 * Each test runs $LLMC_CLI (never through a shell) and checks the exit
 * status, the values printed and what went to stderr.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

/* ---- running the CLI --------------------------------------------------- */

struct result {
    int status;
    char out[65536], err[65536];
    size_t out_len, err_len;
};

/* Runs $LLMC_CLI report with argv (NULL-terminated); unprivileged: as the
 * user nobody when the tests run as root. */
static void run_as(struct result *r, int unprivileged, const char *const argv[])
{
    const char *cli = getenv("LLMC_CLI");
    const char *full[32];
    int outp[2], errp[2], ws;
    size_t n = 0;
    struct pollfd fds[2];
    pid_t pid;

    ck_assert_msg(cli && *cli, "LLMC_CLI is not set");
    memset(r, 0, sizeof *r);
    full[n++] = cli;
    full[n++] = "report";
    for (size_t i = 0; argv[i]; i++)
        full[n++] = argv[i];
    full[n] = NULL;
    ck_assert_int_eq(pipe2(outp, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(errp, O_CLOEXEC), 0);
    fflush(NULL);
    ck_assert_int_ge(pid = fork(), 0);
    if (pid == 0) {
        if (dup2(outp[1], 1) < 0 || dup2(errp[1], 2) < 0)
            _exit(126);
        if (unprivileged && geteuid() == 0 &&
            (setgroups(0, NULL) != 0 || setgid(65534) != 0 ||
             setuid(65534) != 0))
            _exit(126);
        unsetenv("LLMC_DEBUG");
        execv(cli, (char *const *)full);
        _exit(127);
    }
    close(outp[1]);
    close(errp[1]);
    fds[0] = (struct pollfd){outp[0], POLLIN, 0};
    fds[1] = (struct pollfd){errp[0], POLLIN, 0};
    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        if (poll(fds, 2, -1) < 0) {
            ck_assert_int_eq(errno, EINTR);
            continue;
        }
        for (int i = 0; i < 2; i++) {
            char *buf = i ? r->err : r->out;
            size_t *len = i ? &r->err_len : &r->out_len;
            ssize_t got;
            if (fds[i].fd < 0 || !fds[i].revents)
                continue;
            got = read(fds[i].fd, buf + *len, sizeof r->out - 1 - *len);
            if (got < 0 && errno == EINTR)
                continue;
            ck_assert_int_ge(got, 0);
            if (got == 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
            }
            *len += (size_t)got;
        }
    }
    while (waitpid(pid, &ws, 0) < 0)
        ck_assert_int_eq(errno, EINTR);
    ck_assert_msg(WIFEXITED(ws), "killed by signal %d", WTERMSIG(ws));
    r->status = WEXITSTATUS(ws);
    ck_assert_msg(r->status != 126 && r->status != 127, "could not run %s",
                  cli);
}

#define REPORT(r, ...) run_as((r), 0, (const char *const[]){__VA_ARGS__, NULL})
/* The report --json of the arguments, parsed (the caller frees it). */
#define REPORT_JSON(r, ...) (REPORT((r), __VA_ARGS__, "--json"), report_json(r))

#define OUT_HAS(r, s)                                                         \
    ck_assert_msg(strstr((r)->out, (s)), "stdout lacks \"%s\":\n%s", (s),    \
                  (r)->out)
#define ERR_HAS(r, s)                                                         \
    ck_assert_msg(strstr((r)->err, (s)), "stderr lacks \"%s\":\n%s", (s),    \
                  (r)->err)

/* A refusal: exit 1, nothing on stdout (no "0 samples"), and a reason. */
static void expect_refused(const struct result *r)
{
    ck_assert_msg(r->status == 1, "exit %d, want 1; stdout:\n%s\nstderr:\n%s",
                  r->status, r->out, r->err);
    ck_assert_msg(r->out_len == 0, "refused but printed:\n%s", r->out);
    ck_assert_msg(strncmp(r->err, "llmcarbon report: ", 18) == 0,
                  "no message: %s", r->err);
}

static json_t *report_json(const struct result *r)
{
    json_error_t e;
    json_t *j;
    ck_assert_msg(r->status == 0, "exit %d; stderr:\n%s", r->status, r->err);
    j = json_loadb(r->out, r->out_len, 0, &e);
    ck_assert_msg(json_is_object(j), "not one JSON object (%s):\n%s", e.text,
                  r->out);
    return j;
}

static double num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    ck_assert_msg(json_is_number(v), "\"%s\" is not a number", key);
    return json_number_value(v);
}

static json_int_t integer(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    ck_assert_msg(json_is_integer(v), "\"%s\" is not an integer", key);
    return json_integer_value(v);
}

/* ---- logs -------------------------------------------------------------- */

static char dir[64];
static char rank0[128]; /* dir/rank0.jsonl, the log of rank 0 */

/* The fixture of every test: a directory for its logs. */
static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/llmc-report-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(chmod(dir, 0755), 0);
    snprintf(rank0, sizeof rank0, "%s/rank0.jsonl", dir);
}

static void remove_dir(void)
{
    ck_assert_int_eq(remove_tree(dir), 0);
}

static const char *path_of(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", dir, name);
    return buf;
}

#define T0 1714564800.0 /* 2024-05-01T12:00:00Z */

/* Sample i of process pid: the minute ending at T0 + 60 (i + 1). */
static void sample(FILE *f, int pid, int i, const char *energy_j,
                   const char *op_kgco2e)
{
    fprintf(f,
            "{\"time\":\"2024-05-01T12:00:00Z\",\"time_unix_s\":%.2f,"
            "\"interval_s\":60.0,\"host\":\"node1\",\"job\":null,\"rank\":0,"
            "\"local_rank\":0,\"world_size\":1,\"pid\":%d,\"phase\":\"train\","
            "\"step\":%d,\"tokens\":%d,\"energy_j\":%s,\"meters\":[],"
            "\"intensity_gco2e_per_kwh\":%s,\"intensity_source\":\"const:300\","
            "\"intensity_basis\":\"unspecified\",\"pue\":1.0,"
            "\"operational_kgco2e\":%s,\"embodied_kgco2e\":0.0}\n",
            T0 + 60.0 * (i + 1), pid, i + 1, 10 * (i + 1), energy_j,
            strcmp(op_kgco2e, "null") ? "300.0" : "null", op_kgco2e);
}

/* A fill line of process pid pricing samples from..to (inclusive). */
static void fill(FILE *f, int pid, int from, int to, const char *energy_j,
                 const char *op_kgco2e)
{
    fprintf(f,
            "{\"type\":\"fill\",\"time\":\"2024-05-01T13:00:00Z\","
            "\"time_unix_s\":%.2f,\"host\":\"node1\",\"job\":null,\"rank\":0,"
            "\"local_rank\":0,\"world_size\":1,\"pid\":%d,\"from_unix_s\":%.2f,"
            "\"to_unix_s\":%.2f,\"energy_j\":%s,"
            "\"intensity_gco2e_per_kwh\":500.0,\"operational_kgco2e\":%s,"
            "\"filled_by\":\"grid\"}\n",
            T0 + 3600, pid, T0 + 60.0 * from, T0 + 60.0 * (to + 1), energy_j,
            op_kgco2e);
}

/* Sample i of process pid in a phase, with its embodied CO2e: "null" where
 * the tracker counted none (no hardware, or no figure for it). */
static void sample_in(FILE *f, int pid, int i, const char *phase,
                      const char *op_kgco2e, const char *emb_kgco2e)
{
    fprintf(f,
            "{\"time\":\"2024-05-01T12:00:00Z\",\"time_unix_s\":%.2f,"
            "\"interval_s\":60.0,\"host\":\"node1\",\"job\":null,\"rank\":0,"
            "\"local_rank\":0,\"world_size\":1,\"pid\":%d,\"phase\":\"%s\","
            "\"step\":%d,\"tokens\":%d,\"energy_j\":3600000.0,\"meters\":[],"
            "\"intensity_gco2e_per_kwh\":300.0,\"intensity_source\":\"const:300\","
            "\"intensity_basis\":\"unspecified\",\"pue\":1.0,"
            "\"operational_kgco2e\":%s,\"embodied_kgco2e\":%s}\n",
            T0 + 60.0 * (i + 1), pid, phase, i + 1, 10 * (i + 1), op_kgco2e,
            emb_kgco2e);
}

static FILE *create(const char *path)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    return f;
}

/* Three samples of 1 kWh, 0.3 kg each; 30 tokens at the end. */
static void three_samples(FILE *f)
{
    for (int i = 0; i < 3; i++)
        sample(f, 100, i, "3600000.0", "0.3");
}


/* ---- a torn last line, a torn line in the middle ----------------------- */

START_TEST(test_report_skips_a_torn_last_line_and_names_it)
{
    char where[160];
    struct result r;
    json_t *j;
    FILE *f;

    f = create(rank0);
    three_samples(f);
    fputs("{\"time\":\"2024-05-01T12:04:00Z\",\"time_unix_s\":17145", f);
    fclose(f);

    j = REPORT_JSON(&r, rank0);
    snprintf(where, sizeof where, "%s:4:", rank0);
    ERR_HAS(&r, where);
    ERR_HAS(&r, "cut short");
    ck_assert_int_eq(integer(j, "samples"), 3);
    ck_assert_int_eq(integer(j, "torn_lines_skipped"), 1);
    ck_assert_double_eq_tol(num(j, "energy_kwh"), 3.0, 1e-12);
    ck_assert_double_eq_tol(num(j, "operational_kgco2e"), 0.9, 1e-12);
    ck_assert_int_eq(integer(j, "tokens"), 30);
    json_decref(j);

    REPORT(&r, rank0);
    ck_assert_int_eq(r.status, 0);
    OUT_HAS(&r, "3 samples");
    ERR_HAS(&r, where);
}
END_TEST

START_TEST(test_report_refuses_a_torn_line_in_the_middle_naming_it)
{
    char where[160];
    struct result r;
    FILE *f;

    f = create(rank0);
    three_samples(f);
    /* a killed run, and a resumed one appending after its torn line */
    fputs("{\"time\":\"2024-05-01T12:04:00Z\",\"time_unix_s\":17145", f);
    sample(f, 101, 4, "3600000.0", "0.3");
    fclose(f);
    REPORT(&r, rank0);
    expect_refused(&r);
    snprintf(where, sizeof where, "%s:4:", rank0);
    ERR_HAS(&r, where);

    /* a last line that ends with its newline was written whole: damaged,
     * not torn */
    f = create(rank0);
    three_samples(f);
    fputs("{\"time\": 12}}\n", f);
    fclose(f);
    REPORT(&r, rank0);
    expect_refused(&r);
    ERR_HAS(&r, where);
}
END_TEST

/* ---- the same samples twice ------------------------------------------- */

START_TEST(test_report_counts_a_log_given_twice_once_and_warns)
{
    char copy[128];
    struct result r;
    json_t *j;
    FILE *f;

    f = create(rank0);
    three_samples(f);
    fclose(f);
    j = REPORT_JSON(&r, rank0, rank0);
    ck_assert_double_eq_tol(num(j, "energy_kwh"), 3.0, 1e-12);
    ck_assert_double_eq_tol(num(j, "operational_kgco2e"), 0.9, 1e-12);
    ck_assert_int_eq(integer(j, "samples"), 3);
    ck_assert_int_eq(integer(j, "tokens"), 30);
    ck_assert_int_eq(integer(j, "duplicate_lines_dropped"), 3);
    ERR_HAS(&r, "warning: 3 lines seen before");
    json_decref(j);

    /* a line repeated inside one log, and a copy of the log */
    f = create(path_of(copy, sizeof copy, "copy.jsonl"));
    three_samples(f);
    sample(f, 100, 1, "3600000.0", "0.3");
    fclose(f);
    j = REPORT_JSON(&r, copy);
    ck_assert_double_eq_tol(num(j, "energy_kwh"), 3.0, 1e-12);
    ck_assert_int_eq(integer(j, "duplicate_lines_dropped"), 1);
    ERR_HAS(&r, "warning: 1 line seen before");
    json_decref(j);

    /* samples that differ in any counter are different samples */
    f = create(copy);
    three_samples(f);
    sample(f, 100, 1, "3600001.0", "0.3");
    fclose(f);
    j = REPORT_JSON(&r, copy);
    ck_assert_int_eq(integer(j, "samples"), 4);
    ck_assert_uint_eq(r.err_len, 0);
    json_decref(j);
}
END_TEST

/* ---- what is not a log -------------------------------------------------- */

START_TEST(test_report_option_typo_says_did_you_mean)
{
    struct result r;
    REPORT(&r, "--gird", "FR", "x.jsonl");
    ck_assert_int_eq(r.status, 2);
    ERR_HAS(&r, "'--gird' is not an option");
    ERR_HAS(&r, "did you mean '--grid'?");
    REPORT(&r, "--colour", "x.jsonl");
    ck_assert_int_eq(r.status, 2);
    ck_assert_msg(!strstr(r.err, "did you mean"), "%s", r.err);
}
END_TEST


START_TEST(test_report_refuses_what_is_not_a_log)
{
    static const struct {
        const char *text;
        int json; /* asked for --json */
        const char *says;
    } not_logs[] = {
        {"", 0, "is empty"},
        {"{\"a\": 1}\n{\"a\": 2}\n", 0, ":1:"},
        /* a checkpoint: JSON, but not one object a line */
        {"{\n  \"format\": \"llmcarbon-checkpoint\",\n  \"version\": 1\n}\n",
         1, ":1:"},
        /* only a torn line: no whole sample */
        {"{\"time\":\"2024-05-01T12:04:00Z\",\"time_unix_s\":17145", 0,
         "no whole sample"},
    };
    char path[128];
    struct result r;
    FILE *f;

    REPORT(&r, dir);
    expect_refused(&r);
    ERR_HAS(&r, "is a directory");

    path_of(path, sizeof path, "not-a-log.jsonl");
    for (size_t i = 0; i < sizeof not_logs / sizeof not_logs[0]; i++) {
        f = create(path);
        fputs(not_logs[i].text, f);
        fclose(f);
        if (not_logs[i].json)
            REPORT(&r, path, "--json");
        else
            REPORT(&r, path);
        expect_refused(&r);
        ERR_HAS(&r, not_logs[i].says);
    }

    /* a line of a kind this version does not know */
    f = create(path);
    three_samples(f);
    fputs("{\"type\":\"forecast\",\"energy_j\":1}\n", f);
    fclose(f);
    REPORT(&r, path);
    expect_refused(&r);
    ERR_HAS(&r, ":4:");
    ERR_HAS(&r, "'forecast'");
}
END_TEST

START_TEST(test_report_refuses_negative_or_non_finite_energy_naming_the_line)
{
    static const char *const bad[] = {"-5.0", "\"NaN\"", "1e999", "1e300"};
    char where[160];
    struct result r;

    snprintf(where, sizeof where, "%s:2:", rank0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        FILE *f = create(rank0);
        sample(f, 100, 0, "3600000.0", "0.3");
        sample(f, 100, 1, bad[i], "0.3");
        sample(f, 100, 2, "3600000.0", "0.3");
        fclose(f);
        REPORT(&r, rank0);
        expect_refused(&r);
        ERR_HAS(&r, where);
    }
    {   /* and negative CO2e */
        FILE *f = create(rank0);
        sample(f, 100, 0, "3600000.0", "0.3");
        sample(f, 100, 1, "3600000.0", "-0.3");
        fclose(f);
        REPORT(&r, rank0);
        expect_refused(&r);
        ERR_HAS(&r, where);
        ERR_HAS(&r, "operational_kgco2e");
    }
}
END_TEST

START_TEST(test_report_unreadable_file_says_why)
{
    char below[160];
    struct result r;
    FILE *f;

    f = create(rank0);
    three_samples(f);
    fclose(f);

    snprintf(below, sizeof below, "%s/rank1.jsonl", rank0);
    REPORT(&r, below);
    expect_refused(&r);
    ERR_HAS(&r, below);
    ERR_HAS(&r, "Not a directory");

    path_of(below, sizeof below, "missing.jsonl");
    REPORT(&r, below);
    expect_refused(&r);
    ERR_HAS(&r, "No such file or directory");

    /* mode bits do not stop root: the report runs as nobody then */
    ck_assert_int_eq(chmod(rank0, 0), 0);
    run_as(&r, 1, (const char *const[]){rank0, NULL});
    expect_refused(&r);
    ERR_HAS(&r, rank0);
    ERR_HAS(&r, "Permission denied");
}
END_TEST

/* ---- energy without intensity ------------------------------------------ */

/* 1 kWh priced (0.3 kg), then 1 kWh that had no intensity. */
static void one_unpriced(FILE *f)
{
    sample(f, 100, 0, "3600000.0", "0.3");
    sample(f, 100, 1, "3600000.0", "null");
}

START_TEST(test_report_energy_without_intensity_makes_operational_unknown)
{
    struct result r;
    json_t *j, *rank;
    FILE *f;

    f = create(rank0);
    one_unpriced(f);
    fclose(f);

    j = REPORT_JSON(&r, rank0);
    ck_assert_double_eq_tol(num(j, "energy_kwh"), 2.0, 1e-12);
    ck_assert(json_is_null(json_object_get(j, "operational_kgco2e")));
    ck_assert_double_eq_tol(num(j, "unpriced_energy_kwh"), 1.0, 1e-12);
    ck_assert_int_eq(integer(j, "unpriced_samples"), 1);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(
                                     j, "operational_unknown_reason")),
                                 "1 kWh"));
    rank = json_array_get(json_object_get(j, "ranks"), 0);
    ck_assert(json_is_null(json_object_get(rank, "operational_kgco2e")));
    ck_assert_double_eq_tol(num(rank, "energy_j"), 7.2e6, 1e-6);
    json_decref(j);

    REPORT(&r, rank0);
    ck_assert_int_eq(r.status, 0);
    OUT_HAS(&r, "unknown: 1 kWh in 1 samples had no grid intensity");
    ck_assert_ptr_null(strstr(r.out, "0.3 kgCO2e"));

    /* reweighting prices every sample again: the null one too */
    j = REPORT_JSON(&r, rank0, "--grid", "const:500");
    ck_assert(json_is_null(json_object_get(j, "operational_kgco2e")));
    ck_assert_double_eq_tol(num(json_object_get(j, "reweighted"),
                                "operational_kgco2e"),
                            1.0, 1e-12);
    json_decref(j);
}
END_TEST

START_TEST(test_report_fill_lines_price_energy_without_adding_it)
{
    struct result r;
    json_t *j;
    FILE *f;

    f = create(rank0);
    one_unpriced(f);
    fill(f, 100, 1, 1, "3600000.0", "0.5");
    fclose(f);

    j = REPORT_JSON(&r, rank0);
    ck_assert_double_eq_tol(num(j, "energy_kwh"), 2.0, 1e-12);
    ck_assert_double_eq_tol(num(j, "operational_kgco2e"), 0.8, 1e-12);
    ck_assert_double_eq_tol(num(j, "filled_energy_kwh"), 1.0, 1e-12);
    ck_assert_double_eq_tol(num(j, "filled_operational_kgco2e"), 0.5, 1e-12);
    ck_assert_int_eq(integer(j, "fill_lines"), 1);
    ck_assert_double_eq(num(j, "unpriced_energy_kwh"), 0.0);
    ck_assert(json_is_null(json_object_get(j, "operational_unknown_reason")));
    ck_assert_double_eq_tol(num(json_array_get(json_object_get(j, "ranks"), 0),
                                "operational_kgco2e"),
                            0.8, 1e-12);
    json_decref(j);

    REPORT(&r, rank0);
    ck_assert_int_eq(r.status, 0);
    OUT_HAS(&r, "0.8 kgCO2e");
    OUT_HAS(&r, "filled");
    OUT_HAS(&r, "1 kWh priced after its interval");

    /* another PUE prices the filled energy again: 2 x (0.3 + 0.5) */
    j = REPORT_JSON(&r, rank0, "--pue", "2");
    ck_assert_double_eq_tol(num(j, "operational_kgco2e"), 1.6, 1e-12);
    json_decref(j);

    /* a fill of another process, or of another time, prices nothing */
    f = create(rank0);
    one_unpriced(f);
    fill(f, 999, 1, 1, "3600000.0", "0.5");
    fill(f, 100, 5, 6, "3600000.0", "0.5");
    fclose(f);
    j = REPORT_JSON(&r, rank0);
    ck_assert(json_is_null(json_object_get(j, "operational_kgco2e")));
    ck_assert_double_eq_tol(num(j, "unpriced_energy_kwh"), 1.0, 1e-12);
    ck_assert_double_eq_tol(num(j, "energy_kwh"), 2.0, 1e-12);
    json_decref(j);
}
END_TEST

/* A run resumed from a checkpoint prices the energy its killed
 * predecessor left without intensity in a fill line with an empty
 * interval, at its own start, in its own process. */
START_TEST(test_report_carried_fill_prices_the_energy_of_the_killed_run)
{
    struct result r;
    json_t *j;
    FILE *f;

    f = create(rank0);
    one_unpriced(f);                         /* pid 100, killed */
    sample(f, 200, 3, "3600000.0", "0.3");   /* pid 200, resumed */
    fprintf(f,
            "{\"type\":\"fill\",\"time\":\"2024-05-01T12:05:00Z\","
            "\"time_unix_s\":%.2f,\"host\":\"node1\",\"job\":null,"
            "\"rank\":0,\"local_rank\":0,\"world_size\":1,\"pid\":200,"
            "\"from_unix_s\":%.2f,\"to_unix_s\":%.2f,\"energy_j\":3600000.0,"
            "\"intensity_gco2e_per_kwh\":500.0,\"operational_kgco2e\":0.5,"
            "\"filled_by\":\"grid\"}\n",
            T0 + 300, T0 + 200, T0 + 200);
    fclose(f);
    j = REPORT_JSON(&r, rank0);
    ck_assert_double_eq_tol(num(j, "energy_kwh"), 3.0, 1e-12);
    ck_assert_double_eq_tol(num(j, "operational_kgco2e"), 1.1, 1e-12);
    ck_assert_double_eq(num(j, "unpriced_energy_kwh"), 0.0);
    json_decref(j);

    /* a second unpriced kWh of the killed run, after its checkpoint: the
     * carried fill does not cover it */
    f = fopen(rank0, "a");
    ck_assert_ptr_nonnull(f);
    sample(f, 100, 2, "3600000.0", "null");
    fclose(f);
    j = REPORT_JSON(&r, rank0);
    ck_assert(json_is_null(json_object_get(j, "operational_kgco2e")));
    ck_assert_double_eq_tol(num(j, "unpriced_energy_kwh"), 2.0, 1e-12);
    json_decref(j);
}
END_TEST

START_TEST(test_report_unmeasured_energy_is_unknown)
{
    struct result r;
    json_t *j;
    FILE *f;

    f = create(rank0);
    sample(f, 100, 0, "3600000.0", "0.3");
    sample(f, 100, 1, "null", "null");
    fclose(f);
    j = REPORT_JSON(&r, rank0);
    ck_assert(json_is_null(json_object_get(j, "energy_j")));
    ck_assert(json_is_null(json_object_get(j, "operational_kgco2e")));
    ck_assert_int_eq(integer(j, "unmeasured_samples"), 1);
    json_decref(j);
    REPORT(&r, rank0);
    ck_assert_int_eq(r.status, 0);
    OUT_HAS(&r, "unknown: 1 of 2 samples had no energy reading");
}
END_TEST

/* ---- embodied, total and phases, as run prints them --------------------- */

/* A run whose tracker counted no embodied carbon: unknown, not 0; the
 * total is the operational figure, and says so. */
START_TEST(test_report_embodied_not_counted_is_null_not_zero)
{
    struct result r;
    json_t *j;
    FILE *f;

    f = create(rank0);
    sample_in(f, 100, 0, "train", "0.3", "null");
    sample_in(f, 100, 1, "train", "0.3", "null");
    fclose(f);
    j = REPORT_JSON(&r, rank0);
    ck_assert_msg(json_is_null(json_object_get(j, "embodied_kgco2e")),
                  "embodied_kgco2e is not null:\n%s", r.out);
    ck_assert(json_is_false(json_object_get(j, "embodied_included")));
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(
                                     j, "embodied_note")),
                                 "2 of 2 samples"));
    ck_assert_double_eq_tol(num(j, "total_kgco2e"), 0.6, 1e-12);
    ck_assert(json_is_null(json_object_get(
        json_object_get(json_object_get(j, "phases"), "train"),
        "embodied_kgco2e")));
    json_decref(j);

    REPORT(&r, rank0);
    ck_assert_int_eq(r.status, 0);
    OUT_HAS(&r, "embodied       not included: 2 of 2 samples");
    OUT_HAS(&r, "total          0.6 kgCO2e (operational only; embodied not "
                "included)");
}
END_TEST

START_TEST(test_report_sums_embodied_total_and_phases)
{
    struct result r;
    json_t *j, *ph;
    FILE *f;

    f = create(rank0);
    sample_in(f, 100, 0, "train", "0.3", "0.01");
    sample_in(f, 100, 1, "train", "0.3", "0.01");
    sample_in(f, 100, 2, "eval", "0.3", "0.01");
    fclose(f);
    j = REPORT_JSON(&r, rank0);
    ck_assert_double_eq_tol(num(j, "embodied_kgco2e"), 0.03, 1e-12);
    ck_assert(json_is_true(json_object_get(j, "embodied_included")));
    ck_assert(json_is_null(json_object_get(j, "embodied_note")));
    ck_assert_double_eq_tol(num(j, "total_kgco2e"), 0.93, 1e-12);
    ph = json_object_get(j, "phases");
    ck_assert_int_eq(json_object_size(ph), 2);
    ck_assert_double_eq_tol(num(json_object_get(ph, "train"), "energy_j"),
                            7.2e6, 1e-6);
    ck_assert_double_eq_tol(
        num(json_object_get(ph, "train"), "operational_kgco2e"), 0.6, 1e-12);
    ck_assert_double_eq_tol(
        num(json_object_get(ph, "train"), "embodied_kgco2e"), 0.02, 1e-12);
    ck_assert_double_eq_tol(num(json_object_get(ph, "train"), "total_kgco2e"),
                            0.62, 1e-12);
    ck_assert_double_eq_tol(num(json_object_get(ph, "eval"), "total_kgco2e"),
                            0.31, 1e-12);
    ck_assert_int_eq(integer(json_object_get(ph, "eval"), "samples"), 1);
    json_decref(j);

    REPORT(&r, rank0);
    ck_assert_int_eq(r.status, 0);
    OUT_HAS(&r, "embodied       0.03 kgCO2e");
    OUT_HAS(&r, "total          0.93 kgCO2e");
    OUT_HAS(&r, "  phases\n");
    OUT_HAS(&r, "    train      7,200,000 J, 0.6 kgCO2e operational, 0.02 "
                "kgCO2e embodied, 0.62 kgCO2e total");
    OUT_HAS(&r, "    eval       3,600,000 J, 0.3 kgCO2e operational, 0.01 "
                "kgCO2e embodied, 0.31 kgCO2e total");
}
END_TEST

/* A run resumed from its checkpoint says so on its lines; the report says
 * who resumed, when, and what it took over, once per process. */
START_TEST(test_report_says_when_a_run_resumed)
{
    struct result r;
    json_t *j, *res;
    FILE *f;

    f = create(rank0);
    sample(f, 100, 0, "3600000.0", "0.3");
    for (int i = 1; i < 3; i++)
        fprintf(f,
                "{\"time\":\"2024-05-01T12:00:00Z\",\"time_unix_s\":%.2f,"
                "\"interval_s\":60.0,\"host\":\"node1\",\"job\":null,"
                "\"rank\":0,\"local_rank\":0,\"world_size\":1,\"pid\":200,"
                "\"phase\":\"train\",\"step\":%d,\"tokens\":%d,"
                "\"energy_j\":3600000.0,\"meters\":[],"
                "\"intensity_gco2e_per_kwh\":300.0,"
                "\"intensity_source\":\"const:300\","
                "\"intensity_basis\":\"unspecified\",\"pue\":1.0,"
                "\"operational_kgco2e\":0.3,\"embodied_kgco2e\":0.0,"
                "\"resumed\":{\"from_unix_s\":%d,"
                "\"checkpoint_written_unix_s\":%d,\"energy_j\":3600000.0}}\n",
                T0 + 60.0 * (i + 1), i + 1, 10 * (i + 1), (int)T0 + 60,
                (int)T0 + 30);
    fclose(f);
    j = REPORT_JSON(&r, rank0);
    res = json_object_get(j, "resumed");
    ck_assert_msg(json_is_array(res) && json_array_size(res) == 1,
                  "resumed is not an array of one:\n%s", r.out);
    res = json_array_get(res, 0);
    ck_assert_str_eq(json_string_value(json_object_get(res, "host")), "node1");
    ck_assert_int_eq(integer(res, "rank"), 0);
    ck_assert_int_eq(integer(res, "pid"), 200);
    ck_assert_double_eq(num(res, "from_unix_s"), T0 + 60);
    ck_assert_double_eq(num(res, "checkpoint_written_unix_s"), T0 + 30);
    ck_assert_double_eq(num(res, "energy_j"), 3600000.0);
    ck_assert_double_eq_tol(num(j, "energy_kwh"), 3.0, 1e-12);
    json_decref(j);

    REPORT(&r, rank0);
    ck_assert_int_eq(r.status, 0);
    OUT_HAS(&r, "node1 rank 0: resumed at 2024-05-01T12:01:00Z (pid 200), "
                "from a checkpoint written at 2024-05-01T12:00:30Z of "
                "3,600,000 J");
}
END_TEST

START_TEST(test_report_without_a_resume_says_none)
{
    struct result r;
    json_t *j;
    FILE *f;

    f = create(rank0);
    three_samples(f);
    fclose(f);
    j = REPORT_JSON(&r, rank0);
    ck_assert_msg(json_is_array(json_object_get(j, "resumed")) &&
                      json_array_size(json_object_get(j, "resumed")) == 0,
                  "resumed is not an empty array:\n%s", r.out);
    json_decref(j);
}
END_TEST

/* ---- a Slurm job's directory ------------------------------------------ */

/* The job directory of llmcarbon_spank.so: every *.jsonl in it is one of
 * the job's logs, whatever else it holds; found by its id under
 * $LLMC_SLURM_LOG_DIR, or given itself. */
START_TEST(test_report_slurm_job_reads_every_log_of_the_job_directory)
{
    struct result r;
    char jobs[128], job[160], path[256], other[256];
    FILE *f;
    json_t *j;

    snprintf(jobs, sizeof jobs, "%s/jobs", dir);
    snprintf(job, sizeof job, "%s/42", jobs);
    ck_assert_int_eq(mkdir(jobs, 0755), 0);
    ck_assert_int_eq(mkdir(job, 0755), 0);
    snprintf(path, sizeof path, "%s/node1.step-batch.jsonl", job);
    f = create(path);
    three_samples(f);
    fclose(f);
    snprintf(path, sizeof path, "%s/node2.step-0.jsonl", job);
    f = create(path);
    sample(f, 200, 0, "7200000.0", "0.6");
    fclose(f);
    snprintf(path, sizeof path, "%s/summary.json", job);
    f = create(path);
    fputs("{\"not\": \"a log\"}\n", f);
    fclose(f);

    ck_assert_int_eq(setenv("LLMC_SLURM_LOG_DIR", jobs, 1), 0);
    j = REPORT_JSON(&r, "--slurm-job", "42");
    ck_assert_int_eq(integer(j, "logs"), 2);
    ck_assert_double_eq_tol(num(j, "energy_j"), 5 * 3600000.0, 1e-6);
    ck_assert_double_eq_tol(num(j, "operational_kgco2e"), 1.5, 1e-9);
    json_decref(j);

    REPORT(&r, "--slurm-job", "43");
    expect_refused(&r);
    ERR_HAS(&r, "cannot open the job directory");
    ERR_HAS(&r, "LLMC_SLURM_LOG_DIR");
    ck_assert_int_eq(unsetenv("LLMC_SLURM_LOG_DIR"), 0);

    j = REPORT_JSON(&r, "--slurm-job", job);
    ck_assert_int_eq(integer(j, "logs"), 2);
    ck_assert_double_eq_tol(num(j, "energy_j"), 5 * 3600000.0, 1e-6);
    json_decref(j);

    /* a directory without a log says so; logs and a job are not mixed */
    REPORT(&r, "--slurm-job", jobs);
    expect_refused(&r);
    ERR_HAS(&r, "no log (*.jsonl)");
    REPORT(&r, "--slurm-job", job, path_of(other, sizeof other, "x.jsonl"));
    ck_assert_int_eq(r.status, 2);
    ERR_HAS(&r, "not both");
}
END_TEST

static Suite *report_suite(void)
{
    Suite *s = suite_create("report_cli");
    TCase *tc = tcase_create("logs");
    tcase_add_checked_fixture(tc, make_dir, remove_dir);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_report_skips_a_torn_last_line_and_names_it);
    tcase_add_test(tc, test_report_refuses_a_torn_line_in_the_middle_naming_it);
    tcase_add_test(tc, test_report_counts_a_log_given_twice_once_and_warns);
    tcase_add_test(tc, test_report_refuses_what_is_not_a_log);
    tcase_add_test(tc, test_report_option_typo_says_did_you_mean);
    tcase_add_test(tc, test_report_refuses_negative_or_non_finite_energy_naming_the_line);
    tcase_add_test(tc, test_report_unreadable_file_says_why);
    suite_add_tcase(s, tc);

    tc = tcase_create("intensity");
    tcase_add_checked_fixture(tc, make_dir, remove_dir);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_report_energy_without_intensity_makes_operational_unknown);
    tcase_add_test(tc, test_report_fill_lines_price_energy_without_adding_it);
    tcase_add_test(tc, test_report_carried_fill_prices_the_energy_of_the_killed_run);
    tcase_add_test(tc, test_report_unmeasured_energy_is_unknown);
    suite_add_tcase(s, tc);

    tc = tcase_create("embodied");
    tcase_add_checked_fixture(tc, make_dir, remove_dir);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_report_embodied_not_counted_is_null_not_zero);
    tcase_add_test(tc, test_report_sums_embodied_total_and_phases);
    tcase_add_test(tc, test_report_says_when_a_run_resumed);
    tcase_add_test(tc, test_report_without_a_resume_says_none);
    suite_add_tcase(s, tc);

    tc = tcase_create("slurm");
    tcase_add_checked_fixture(tc, make_dir, remove_dir);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_report_slurm_job_reads_every_log_of_the_job_directory);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(report_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
