/*
 * test_checkpoint.c - what a tracker does with the checkpoint it resumes
 * from and the one it writes: every field of a file read is checked, a
 * refused file is named with the field and value and left as it was, a
 * directory, an unreadable file and a failed allocation each say what they
 * are, and a write that cannot build the whole checkpoint keeps the old.
 */
#include <dlfcn.h>
#include <grp.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

static char scratch[64];
static char ck[300];

/* The fixture of every test: a scratch directory that holds ck. */
static void make_scratch(void)
{
    scratch_make(scratch, sizeof scratch, "checkpoint");
    snprintf(ck, sizeof ck, "%s/carbon.ckpt", scratch);
}

static void remove_scratch(void)
{
    scratch_remove(scratch);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = calloc(1, 1 << 16);
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(buf);
    ck_assert(fread(buf, 1, (1 << 16) - 1, f) < (1 << 16) - 1);
    fclose(f);
    return buf;
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* A valid checkpoint: 1000 J, 0.5 kg operational, 0.25 kg embodied, 10 s,
 * 5 steps and 50 tokens, all in the phase "train". */
#define TOTALS                                                                \
    "\"energy_j\": 1000, \"operational_kgco2e\": 0.5, "                       \
    "\"embodied_kgco2e\": 0.25, \"duration_s\": 10, \"ci_energy_j\": 300000, " \
    "\"steps\": 5, \"tokens\": 50, \"samples\": 10"
#define HEAD                                                                  \
    "\"format\": \"llmcarbon-checkpoint\", \"version\": 1, "                  \
    "\"written_unix_s\": 1700000000, \"identity\": {\"host\": \"h\", "        \
    "\"job\": null, \"rank\": null, \"local_rank\": null, "                   \
    "\"world_size\": null, \"pid\": 42}"

static void put_checkpoint(const char *head, const char *totals,
                           const char *phases)
{
    char text[4096];
    snprintf(text, sizeof text, "{%s, \"totals\": {%s}, \"phases\": [%s]}\n",
             head, totals, phases);
    put(ck, text);
}

static llmc_tracker *tracker(void)
{
    llmc_tracker *t = NULL;
    char config[600];
    snprintf(config, sizeof config,
             "meters=const:100W; grid=const:300; pue=1; interval=100ms; "
             "checkpoint=%s; checkpoint_interval=1h",
             ck);
    ck_assert_status(llmc_tracker_new(&t), LLMC_OK);
    ck_assert_status(llmc_tracker_configure(t, config), LLMC_OK);
    return t;
}

/* The start fails with code, its message names each of the needles, and
 * the file is exactly as it was. */
static void expect_refused(int code, const char *const needles[])
{
    char *before = slurp(ck), *after;
    llmc_tracker *t = tracker();
    ck_assert_status(llmc_tracker_start(t), code);
    ck_assert_error_mentions(ck);
    for (size_t i = 0; needles[i]; i++)
        ck_assert_error_mentions(needles[i]);
    llmc_tracker_free(t);
    after = slurp(ck);
    ck_assert_str_eq(after, before);
    free(before);
    free(after);
}

#define REFUSED(...) expect_refused(LLMC_EFORMAT, (const char *const[]){       \
                                        __VA_ARGS__, "left untouched", NULL})

START_TEST(test_checkpoint_refuses_negative_embodied)
{
    put_checkpoint(HEAD,
                   "\"energy_j\": 1000, \"operational_kgco2e\": 0.5, "
                   "\"embodied_kgco2e\": -1, \"duration_s\": 10, "
                   "\"ci_energy_j\": 0, \"steps\": 5, \"tokens\": 50, "
                   "\"samples\": 10",
                   "");
    REFUSED("totals.embodied_kgco2e", "-1");
}
END_TEST

START_TEST(test_checkpoint_refuses_negative_duration)
{
    put_checkpoint(HEAD,
                   "\"energy_j\": 1000, \"operational_kgco2e\": 0.5, "
                   "\"embodied_kgco2e\": 0, \"duration_s\": -3600, "
                   "\"ci_energy_j\": 0, \"steps\": 5, \"tokens\": 50, "
                   "\"samples\": 10",
                   "");
    REFUSED("totals.duration_s", "-3600");
}
END_TEST

START_TEST(test_checkpoint_refuses_energy_beyond_its_bound)
{
    put_checkpoint(HEAD,
                   "\"energy_j\": 1e308, \"operational_kgco2e\": 0.5, "
                   "\"embodied_kgco2e\": 0, \"duration_s\": 10, "
                   "\"ci_energy_j\": 0, \"steps\": 5, \"tokens\": 50, "
                   "\"samples\": 10",
                   "");
    REFUSED("totals.energy_j", "1e+308", "1e+15 J");
}
END_TEST

START_TEST(test_checkpoint_refuses_nan_written_as_a_string)
{
    put_checkpoint(HEAD,
                   "\"energy_j\": \"NaN\", \"operational_kgco2e\": 0.5, "
                   "\"embodied_kgco2e\": 0, \"duration_s\": 10, "
                   "\"ci_energy_j\": 0, \"steps\": 5, \"tokens\": 50, "
                   "\"samples\": 10",
                   "");
    REFUSED("totals.energy_j", "the string \"NaN\"");
}
END_TEST

START_TEST(test_checkpoint_refuses_counts_that_are_not_whole)
{
    put_checkpoint(HEAD,
                   "\"energy_j\": 1, \"operational_kgco2e\": 0.5, "
                   "\"embodied_kgco2e\": 0, \"duration_s\": 10, "
                   "\"ci_energy_j\": 0, \"steps\": 5, \"tokens\": 1.5, "
                   "\"samples\": 10",
                   "");
    REFUSED("totals.tokens", "1.5");
    put_checkpoint(HEAD, TOTALS,
                   "{\"name\": \"train\", \"energy_j\": 1, "
                   "\"operational_kgco2e\": 0, \"embodied_kgco2e\": 0, "
                   "\"duration_s\": 1, \"ci_energy_j\": 0, \"steps\": -2, "
                   "\"tokens\": 0, \"samples\": 1}");
    REFUSED("phases[0].steps", "-2");
}
END_TEST

START_TEST(test_checkpoint_refuses_missing_format_and_other_versions)
{
    put_checkpoint("\"version\": 1, \"written_unix_s\": 1, \"identity\": "
                   "{\"host\": \"h\", \"job\": null, \"rank\": null, "
                   "\"local_rank\": null, \"world_size\": null, \"pid\": 1}",
                   TOTALS, "");
    REFUSED("not a libllmcarbon checkpoint", "format is missing");
    put_checkpoint("\"format\": \"llmcarbon-checkpoint\", \"version\": 2, "
                   "\"written_unix_s\": 1, \"identity\": {\"host\": \"h\", "
                   "\"job\": null, \"rank\": null, \"local_rank\": null, "
                   "\"world_size\": null, \"pid\": 1}",
                   TOTALS, "");
    REFUSED("version 1", "version is 2");
    put_checkpoint(HEAD, TOTALS, "");
    put(ck, "[1, 2]\n");
    REFUSED("not a libllmcarbon checkpoint", "an array");
}
END_TEST

START_TEST(test_checkpoint_refuses_a_phase_given_twice)
{
    put_checkpoint(HEAD, TOTALS,
                   "{\"name\": \"eval\", " TOTALS "}, "
                   "{\"name\": \"eval\", " TOTALS "}");
    REFUSED("'eval'", "twice");
    put_checkpoint(HEAD, TOTALS, "{\"name\": \"\", " TOTALS "}");
    REFUSED("phases[0].name");
}
END_TEST

#define ZEROS                                                                 \
    "\"operational_kgco2e\": 0, \"embodied_kgco2e\": 0, \"ci_energy_j\": 0, " \
    "\"tokens\": 0, \"samples\": 1"

/* A checkpoint of n phases "ph-0" to "ph-<n-1>", phase i with i + 1
 * steps and 10 J; the totals hold them all. */
static void put_phases(int n)
{
    size_t size = 4096 + (size_t)n * 300, len;
    char *text = malloc(size);
    ck_assert_ptr_nonnull(text);
    len = (size_t)snprintf(text, size,
                           "{" HEAD ", \"totals\": {\"energy_j\": %d, "
                           ZEROS ", \"duration_s\": %d, \"steps\": %d}, "
                           "\"phases\": [",
                           10 * n, n, n * (n + 1) / 2);
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, size - len,
                                "%s{\"name\": \"ph-%d\", \"energy_j\": 10, "
                                ZEROS ", \"duration_s\": 1, \"steps\": %d}",
                                i ? ", " : "", i, i + 1);
    snprintf(text + len, size - len, "]}\n");
    put(ck, text);
    free(text);
}

/* Any number of phases is kept: a checkpoint of 40 (more than the 16 of
 * old) resumes each with its own totals. */
START_TEST(test_checkpoint_resumes_more_than_sixteen_phases)
{
    llmc_tracker *t;
    llmc_totals o;
    char name[16];

    put_phases(40);
    t = tracker();
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    ck_assert_status(llmc_tracker_phase(t, "ph-39"), LLMC_OK);
    ck_assert_status(llmc_tracker_step(t, 1), LLMC_OK);
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "ph-%d", i);
        llmc_totals_init(&o, sizeof o);
        ck_assert_status(llmc_tracker_totals(&o, t, name), LLMC_OK);
        ck_assert_uint_eq(o.steps, (uint64_t)i + 1 + (i == 39));
        ck_assert_double_ge(o.energy_j, 10.0);
        if (i != 39)
            ck_assert_double_eq_tol(o.energy_j, 10.0, 1e-9);
    }
    llmc_totals_init(&o, sizeof o);
    ck_assert_status(llmc_tracker_totals(&o, t, NULL), LLMC_OK);
    ck_assert_uint_eq(o.steps, 40 * 41 / 2 + 1);
    llmc_tracker_free(t);

    /* and the checkpoint written holds all 40 again, and "train" */
    t = tracker();
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);
    llmc_totals_init(&o, sizeof o);
    ck_assert_status(llmc_tracker_totals(&o, t, "ph-39"), LLMC_OK);
    ck_assert_uint_eq(o.steps, 41);
    llmc_tracker_free(t);
}
END_TEST

/* A list of phases longer than any run keeps (65,536) is a damaged file:
 * refused, named, and left as it was. */
START_TEST(test_checkpoint_refuses_phases_beyond_the_bound)
{
    enum { N = 65537 };
    size_t size = 4096 + (size_t)N * 4, len;
    char *text = malloc(size), *after;
    llmc_tracker *t;
    FILE *f;

    ck_assert_ptr_nonnull(text);
    len = (size_t)snprintf(text, size, "{" HEAD ", \"totals\": {" TOTALS
                                       "}, \"phases\": [");
    for (int i = 0; i < N; i++)
        len += (size_t)snprintf(text + len, size - len, "%s{}", i ? "," : "");
    snprintf(text + len, size - len, "]}\n");
    put(ck, text);

    t = tracker();
    ck_assert_status(llmc_tracker_start(t), LLMC_EFORMAT);
    ck_assert_error_mentions(ck);
    ck_assert_error_mentions("too long");
    ck_assert_error_mentions("65536");
    ck_assert_error_mentions("left untouched");
    llmc_tracker_free(t);

    after = calloc(1, size);
    ck_assert_ptr_nonnull(after);
    ck_assert_ptr_nonnull(f = fopen(ck, "rb"));
    ck_assert_uint_eq(fread(after, 1, size - 1, f), strlen(text));
    fclose(f);
    ck_assert_str_eq(after, text);
    free(after);
    free(text);
}
END_TEST

/* The start fails naming the checkpoint, and not as a malformed file. */
static void expect_start_fails(llmc_tracker *t)
{
    int rc = llmc_tracker_start(t);
    ck_assert_msg(rc != LLMC_OK && rc != LLMC_EFORMAT, "start: %s: %s",
                  llmc_status_name(rc), llmc_last_error());
    ck_assert_error_mentions(ck);
}

/* A path that is a directory is a mistake in the configuration, said as
 * such (not as a JSON syntax error), and nothing is removed. */
START_TEST(test_checkpoint_directory_says_it_is_a_directory)
{
    llmc_tracker *t;
    struct stat st;
    ck_assert_int_eq(mkdir(ck, 0755), 0);
    t = tracker();
    expect_start_fails(t);
    ck_assert_error_mentions("is a directory");
    ck_assert_ptr_null(strstr(llmc_last_error(), "expected"));
    llmc_tracker_free(t);
    ck_assert_int_eq(stat(ck, &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
}
END_TEST

/* A component of the path that is a file: the reason, not a fresh start
 * that would count from zero. */
START_TEST(test_checkpoint_below_a_file_says_why)
{
    llmc_tracker *t;
    char file[200];
    snprintf(file, sizeof file, "%s/plain", scratch);
    put(file, "x");
    snprintf(ck, sizeof ck, "%s/carbon.ckpt", file);
    t = tracker();
    expect_start_fails(t);
    ck_assert_msg(strcasestr(llmc_last_error(), "not a directory"),
                  "no reason: %s", llmc_last_error());
    llmc_tracker_free(t);
}
END_TEST

/* A file the job may not read may be the only record of a long run: the
 * message names the path and the fix, and never says to move it away. */
START_TEST(test_checkpoint_unreadable_is_eperm_with_the_fix)
{
    llmc_tracker *t;
    char *before, cmd[400];
    put_checkpoint(HEAD, TOTALS, "");
    before = slurp(ck);
    if (geteuid() == 0) {
        /* mode bits do not stop root: give the files to nobody and become
         * nobody (Check runs each test in a process of its own) */
        snprintf(cmd, sizeof cmd, "chown -R 65534:65534 '%s'", scratch);
        ck_assert_int_eq(system(cmd), 0);
    }
    ck_assert_int_eq(chmod(ck, 0), 0);
    if (geteuid() == 0) {
        ck_assert_int_eq(setgroups(0, NULL), 0);
        ck_assert_int_eq(setgid(65534), 0);
        ck_assert_int_eq(setuid(65534), 0);
    }
    ck_assert_msg(access(ck, R_OK) != 0, "this user reads a file of mode 0 "
                  "(a capability?); run the tests as root or a plain user");
    t = tracker();
    ck_assert_status(llmc_tracker_start(t), LLMC_EPERM);
    ck_assert_error_mentions(ck);
    ck_assert_error_mentions("Permission denied");
    ck_assert_error_mentions("chmod");
    ck_assert_error_mentions("not changed");
    ck_assert_ptr_null(strstr(llmc_last_error(), "move the file away"));
    llmc_tracker_free(t);
    if (geteuid() != 0) { /* the test's own file: it reads it back */
        char *after;
        ck_assert_int_eq(chmod(ck, 0600), 0);
        after = slurp(ck);
        ck_assert_str_eq(after, before);
        free(after);
    }
    free(before);
}
END_TEST

/* Resuming over a valid checkpoint adds the new run to what it holds. */
START_TEST(test_checkpoint_resumed_run_adds_up)
{
    llmc_tracker *t;
    llmc_totals o, train;
    double new_j;

    put_checkpoint(HEAD, TOTALS, "{\"name\": \"train\", " TOTALS "}");
    t = tracker();
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    for (int i = 0; i < 3; i++)
        ck_assert_status(llmc_tracker_step(t, 10), LLMC_OK);
    sleep_ms(300);
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);
    llmc_totals_init(&o, sizeof o);
    llmc_totals_init(&train, sizeof train);
    ck_assert_status(llmc_tracker_totals(&o, t, NULL), LLMC_OK);
    ck_assert_status(llmc_tracker_totals(&train, t, "train"), LLMC_OK);
    llmc_tracker_free(t);

    ck_assert_uint_eq(o.steps, 8);
    ck_assert_uint_eq(o.tokens, 80);
    ck_assert_uint_eq(train.steps, 8);
    ck_assert_double_gt(o.duration_s, 10.25);
    new_j = o.energy_j - 1000;
    /* 100 W over the new run's time, on top of the 1000 J */
    ck_assert_double_eq_tol(new_j, 100.0 * (o.duration_s - 10), 100 * 4e-3);
    /* 300 g/kWh, PUE 1, on top of the 0.5 kg */
    ck_assert_double_eq_tol(o.operational_kgco2e - 0.5,
                            new_j / 3.6e6 * 300 / 1000, 1e-12);
    ck_assert_double_ge(o.embodied_kgco2e, 0.25);
    ck_assert_double_eq_tol(train.energy_j, o.energy_j, 1e-9);

    /* and what it wrote holds the sum */
    {
        json_t *root = json_load_file(ck, 0, NULL);
        json_t *tot = json_object_get(root, "totals");
        ck_assert_ptr_nonnull(root);
        ck_assert_double_eq_tol(json_number_value(json_object_get(tot,
                                                                  "energy_j")),
                                o.energy_j, 1e-6);
        ck_assert_int_eq(json_integer_value(json_object_get(tot, "tokens")),
                         80);
        json_decref(root);
    }
}
END_TEST

/* ---- what the report says of embodied carbon and of the resume -------- */

static llmc_tracker *tracker_with_log(const char *log)
{
    llmc_tracker *t = tracker();
    char config[400];
    snprintf(config, sizeof config, "log=%s", log);
    ck_assert_status(llmc_tracker_configure(t, config), LLMC_OK);
    return t;
}

static json_t *report_of(llmc_tracker *t)
{
    char *text = NULL;
    json_t *root;
    ck_assert_status(llmc_tracker_report_json(&text, t), LLMC_OK);
    root = json_loads(text, 0, NULL);
    ck_assert_msg(json_is_object(root), "not a JSON object: %s", text);
    llmc_free(text);
    return root;
}

static json_t *first_log_line(const char *log)
{
    char *text = slurp(log), *nl = strchr(text, '\n');
    json_t *line;
    ck_assert_ptr_nonnull(nl);
    *nl = '\0';
    line = json_loads(text, 0, NULL);
    ck_assert_msg(json_is_object(line), "not a JSON line: %s", text);
    free(text);
    return line;
}

/* A first run without hardware counts no embodied carbon: the report says
 * null and why, never 0, and the total is the operational figure. */
START_TEST(test_checkpoint_first_run_report_embodied_unknown_not_zero)
{
    llmc_tracker *t;
    llmc_totals o;
    json_t *r, *line;
    char log[400];

    snprintf(log, sizeof log, "%s/run.jsonl", scratch);
    t = tracker_with_log(log);
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    sleep_ms(300);
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);
    llmc_totals_init(&o, sizeof o);
    ck_assert_status(llmc_tracker_totals(&o, t, NULL), LLMC_OK);
    /* the C totals keep 0 beside the report's flag */
    ck_assert_double_eq(o.embodied_kgco2e, 0.0);
    r = report_of(t);
    llmc_tracker_free(t);
    ck_assert_msg(json_is_null(json_object_get(r, "embodied_kgco2e")),
                  "embodied_kgco2e is not null");
    ck_assert(json_is_false(json_object_get(r, "embodied_included")));
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(
                                     r, "embodied_note")),
                                 "no hardware given"));
    ck_assert_double_gt(json_number_value(json_object_get(r, "total_kgco2e")),
                        0.0);
    ck_assert_double_eq(json_number_value(json_object_get(r, "total_kgco2e")),
                        json_number_value(json_object_get(
                            r, "operational_kgco2e")));
    ck_assert(json_is_null(json_object_get(
        json_object_get(json_object_get(r, "phases"), "train"),
        "embodied_kgco2e")));
    ck_assert(json_is_null(json_object_get(r, "resumed")));
    json_decref(r);

    line = first_log_line(log);
    ck_assert(json_is_null(json_object_get(line, "embodied_kgco2e")));
    ck_assert_ptr_null(json_object_get(line, "resumed"));
    json_decref(line);
}
END_TEST

/* A resumed run says when it took over and what: in its report and on
 * every line of its log. */
/* A "resumed" object: taken over between before and after, from a
 * checkpoint of 1000 J. */
static void expect_resumed(const json_t *res, json_int_t before,
                           json_int_t after)
{
    json_int_t from = json_integer_value(json_object_get(res, "from_unix_s"));
    json_int_t written = json_integer_value(
        json_object_get(res, "checkpoint_written_unix_s"));
    ck_assert_int_ge(from, before);
    ck_assert_int_le(from, after);
    /* when the run before wrote it (HEAD's written_unix_s) */
    ck_assert_int_eq(written, 1700000000);
    ck_assert_double_eq(json_number_value(json_object_get(res, "energy_j")),
                        1000.0);
}

START_TEST(test_checkpoint_resumed_run_says_when_it_resumed)
{
    llmc_tracker *t;
    json_t *r, *res, *line;
    char log[400];
    time_t before, after;

    put_checkpoint(HEAD, TOTALS, "{\"name\": \"train\", " TOTALS "}");
    snprintf(log, sizeof log, "%s/run.jsonl", scratch);
    t = tracker_with_log(log);
    before = time(NULL);
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    after = time(NULL);
    sleep_ms(300);
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);
    r = report_of(t);
    llmc_tracker_free(t);
    ck_assert(json_is_true(json_object_get(r, "resumed_from_checkpoint")));
    res = json_object_get(r, "resumed");
    ck_assert_msg(json_is_object(res), "resumed is not an object");
    expect_resumed(res, before, after);
    ck_assert_double_eq(json_number_value(json_object_get(res, "duration_s")),
                        10.0);
    /* the checkpoint's embodied figure is counted; this run adds none */
    ck_assert(json_is_true(json_object_get(r, "embodied_included")));
    ck_assert_double_eq(json_number_value(json_object_get(r,
                                                          "embodied_kgco2e")),
                        0.25);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(
                                     r, "embodied_note")),
                                 "no hardware given"));
    json_decref(r);

    line = first_log_line(log);
    res = json_object_get(line, "resumed");
    ck_assert_msg(json_is_object(res), "the log line has no resumed object");
    expect_resumed(res, before, after);
    json_decref(line);
}
END_TEST

/* ---- a failed allocation while writing -------------------------------- */

static atomic_long fail_at; /* fails the allocation of this number; -1: none */
static atomic_long allocations;

static void *failing_malloc(size_t n)
{
    if (atomic_fetch_add(&allocations, 1) == atomic_load(&fail_at))
        return NULL;
    return malloc(n);
}

/* Failing each allocation of jansson in turn while a run stops and writes
 * its checkpoint: the stop says so (LLMC_ENOMEM) or succeeds, and the file
 * is always a whole checkpoint that the next run resumes, the old one or
 * the new one. */
START_TEST(test_checkpoint_failed_allocation_keeps_the_previous_checkpoint)
{
    long n, failures = 0;
    put_checkpoint(HEAD, TOTALS, "{\"name\": \"train\", " TOTALS "}");
    for (n = 0;; n++) {
        llmc_tracker *t = tracker();
        char *before = slurp(ck), *after;
        int rc;
        ck_assert_status(llmc_tracker_start(t), LLMC_OK);
        llmc_tracker_step(t, 1);
        atomic_store(&allocations, 0);
        atomic_store(&fail_at, n);
        json_set_alloc_funcs(failing_malloc, free);
        rc = llmc_tracker_stop(t);
        json_set_alloc_funcs(malloc, free);
        atomic_store(&fail_at, -1);
        ck_assert_msg(rc == LLMC_OK || rc == LLMC_ENOMEM,
                      "allocation %ld: %s: %s", n, llmc_status_name(rc),
                      llmc_last_error());
        after = slurp(ck);
        if (rc == LLMC_ENOMEM) {
            failures++;
            ck_assert_msg(strcmp(after, before) == 0,
                          "allocation %ld: the checkpoint changed", n);
            ck_assert_error_mentions("previous checkpoint was kept");
        }
        llmc_tracker_free(t);
        free(before);
        free(after);
        /* the next run resumes whatever is there */
        t = tracker();
        ck_assert_msg(llmc_tracker_start(t) == LLMC_OK,
                      "allocation %ld: the checkpoint left does not load: %s",
                      n, llmc_last_error());
        llmc_tracker_free(t);
        if (atomic_load(&allocations) <= n)
            break; /* every allocation of the stop was failed once */
    }
    ck_assert_int_gt(failures, 0);
}
END_TEST

/* ---- a filesystem that stalls --------------------------------------- */

/* fflush and fsync of this program stand in for the C library's: the
 * library's calls find them first. While a stall is armed, the first
 * call on a file whose path begins with stall_prefix waits until the test
 * lets it go, as a write to a hung NFS or Lustre server waits; every other
 * call passes through at once. */
static pthread_mutex_t stall_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stall_cv = PTHREAD_COND_INITIALIZER;
static char stall_prefix[PATH_MAX + 64]; /* armed while not empty */
static int stall_held;              /* a call waits in the stall */
static int stall_released;
static pthread_once_t real_once = PTHREAD_ONCE_INIT;
static int (*real_fflush)(FILE *);
static int (*real_fsync)(int);

static void find_real(void)
{
    *(void **)&real_fflush = dlsym(RTLD_NEXT, "fflush");
    *(void **)&real_fsync = dlsym(RTLD_NEXT, "fsync");
}

static void stall_if_armed(int fd)
{
    char link[64], path[PATH_MAX];
    ssize_t n;

    if (fd < 0)
        return;
    pthread_mutex_lock(&stall_mu);
    if (stall_prefix[0]) {
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        n = readlink(link, path, sizeof path - 1);
        if (n > 0) {
            path[n] = '\0';
            if (strncmp(path, stall_prefix, strlen(stall_prefix)) == 0) {
                stall_prefix[0] = '\0'; /* once */
                stall_held = 1;
                pthread_cond_broadcast(&stall_cv);
                while (!stall_released)
                    pthread_cond_wait(&stall_cv, &stall_mu);
                stall_held = 0;
            }
        }
    }
    pthread_mutex_unlock(&stall_mu);
}

int fflush(FILE *f)
{
    pthread_once(&real_once, find_real);
    if (f)
        stall_if_armed(fileno(f));
    return real_fflush(f);
}

int fsync(int fd)
{
    pthread_once(&real_once, find_real);
    stall_if_armed(fd);
    return real_fsync(fd);
}

/* Arms the stall for the files under path (made absolute and resolved, as
 * /proc/self/fd names them). */
static void stall_arm(const char *dir, const char *name)
{
    char real[PATH_MAX];
    ck_assert_ptr_nonnull(realpath(dir, real));
    pthread_mutex_lock(&stall_mu);
    stall_released = 0;
    snprintf(stall_prefix, sizeof stall_prefix, "%s/%.60s", real, name);
    pthread_mutex_unlock(&stall_mu);
}

/* Waits until a write is held in the stall. A bound against a test that
 * would hang, never a measure: the write is reached within one sample. */
static void stall_wait_held(void)
{
    struct timespec due;
    int held;
    clock_gettime(CLOCK_REALTIME, &due);
    due.tv_sec += 20;
    pthread_mutex_lock(&stall_mu);
    while (!stall_held &&
           pthread_cond_timedwait(&stall_cv, &stall_mu, &due) == 0)
        ;
    held = stall_held;
    pthread_mutex_unlock(&stall_mu);
    /* Check's own assertions flush: never under stall_mu */
    ck_assert_msg(held, "no write of the tracker reached the stall");
}

static int stall_is_held(void)
{
    int held;
    pthread_mutex_lock(&stall_mu);
    held = stall_held;
    pthread_mutex_unlock(&stall_mu);
    return held;
}

static void stall_release(void)
{
    pthread_mutex_lock(&stall_mu);
    stall_prefix[0] = '\0';
    stall_released = 1;
    pthread_cond_broadcast(&stall_cv);
    pthread_mutex_unlock(&stall_mu);
}

/* What a training thread does while the write is stalled: phase switches
 * and totals, then says it is done. */
struct trainer {
    llmc_tracker *t;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done, failed;
    uint64_t steps;
};

static void *trainer_main(void *arg)
{
    struct trainer *tr = arg;
    int failed = 0;
    for (int i = 0; i < 20; i++) {
        llmc_totals o;
        llmc_totals_init(&o, sizeof o);
        failed |= llmc_tracker_phase(tr->t, i % 2 ? "eval" : "train") != 0;
        failed |= llmc_tracker_totals(&o, tr->t, NULL) != 0;
        if (i > 0) /* "eval" exists from the second switch on */
            failed |= llmc_tracker_totals(&o, tr->t, "eval") != 0;
    }
    pthread_mutex_lock(&tr->mu);
    tr->done = 1;
    tr->failed = failed;
    pthread_cond_broadcast(&tr->cv);
    pthread_mutex_unlock(&tr->mu);
    return NULL;
}

/* Runs the trainer beside a stalled write: its calls return while the
 * write still waits (it is let go only after they do). */
static void calls_return_while_stalled(llmc_tracker *t)
{
    struct trainer tr = {.t = t};
    struct timespec due;
    pthread_t th;
    int done;

    pthread_mutex_init(&tr.mu, NULL);
    pthread_cond_init(&tr.cv, NULL);
    stall_wait_held();
    ck_assert_int_eq(pthread_create(&th, NULL, trainer_main, &tr), 0);
    clock_gettime(CLOCK_REALTIME, &due);
    due.tv_sec += 20; /* the bound of a hang, as above */
    pthread_mutex_lock(&tr.mu);
    while (!tr.done && pthread_cond_timedwait(&tr.cv, &tr.mu, &due) == 0)
        ;
    done = tr.done;
    pthread_mutex_unlock(&tr.mu);
    ck_assert_msg(done, "llmc_tracker_phase or llmc_tracker_totals waited "
                        "for a stalled write");
    ck_assert_msg(stall_is_held(), "the stall ended before the calls did");
    ck_assert_int_eq(tr.failed, 0);
    stall_release();
    pthread_join(th, NULL);
}

/* The log's lines, checked: each whole JSON, in the order of the samples;
 * their number and energy are the totals'. */
static void log_matches(const char *path, const llmc_totals *o)
{
    FILE *f = fopen(path, "r");
    char line[8192];
    size_t lines = 0;
    double sum_j = 0, last_time = 0;
    json_int_t last_step = -1;

    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof line, f)) {
        json_error_t err;
        json_t *j = json_loads(line, 0, &err);
        double at;
        json_int_t step;
        ck_assert_msg(j != NULL, "line %zu is not whole: %s", lines + 1,
                      err.text);
        at = json_number_value(json_object_get(j, "time_unix_s"));
        step = json_integer_value(json_object_get(j, "step"));
        ck_assert_msg(at >= last_time && step >= last_step,
                      "line %zu comes before the line above it", lines + 1);
        last_time = at;
        last_step = step;
        sum_j += json_number_value(json_object_get(j, "energy_j"));
        json_decref(j);
        lines++;
    }
    fclose(f);
    ck_assert_uint_eq(lines, o->samples);
    ck_assert_rel(sum_j, o->energy_j, 1e-9);
}

/* The checkpoint holds the totals of the run, as the report gives them. */
static void checkpoint_matches(const llmc_totals *o)
{
    char *text = slurp(ck);
    json_error_t err;
    json_t *root = json_loads(text, 0, &err), *totals;
    ck_assert_msg(root != NULL, "%s", err.text);
    totals = json_object_get(root, "totals");
    ck_assert_rel(json_number_value(json_object_get(totals, "energy_j")),
                  o->energy_j, 1e-12);
    ck_assert_int_eq(json_integer_value(json_object_get(totals, "steps")),
                     (json_int_t)o->steps);
    ck_assert_int_eq(json_integer_value(json_object_get(totals, "samples")),
                     (json_int_t)o->samples);
    json_decref(root);
    free(text);
}

static llmc_tracker *stall_tracker(const char *log, const char *more)
{
    llmc_tracker *t = NULL;
    char config[1200];
    snprintf(config, sizeof config,
             "meters=const:100W; grid=const:300; pue=1; interval=100ms; "
             "log=%s; checkpoint=%s; %s",
             log, ck, more);
    ck_assert_status(llmc_tracker_new(&t), LLMC_OK);
    ck_assert_status(llmc_tracker_configure(t, config), LLMC_OK);
    return t;
}

START_TEST(test_checkpoint_stalled_log_holds_up_no_phase_switch_or_totals)
{
    char log[400];
    llmc_tracker *t;
    llmc_totals o;

    snprintf(log, sizeof log, "%s/run.jsonl", scratch);
    t = stall_tracker(log, "checkpoint_interval=1h");
    stall_arm(scratch, "run.jsonl");
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    llmc_tracker_step(t, 10);
    calls_return_while_stalled(t);
    llmc_tracker_step(t, 10);
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);
    llmc_totals_init(&o, sizeof o);
    ck_assert_status(llmc_tracker_totals(&o, t, NULL), LLMC_OK);
    ck_assert_uint_eq(o.steps, 2);
    log_matches(log, &o);
    checkpoint_matches(&o);
    /* the trainer's last switch, to "eval", was taken during the stall */
    llmc_totals_init(&o, sizeof o);
    ck_assert_status(llmc_tracker_totals(&o, t, "eval"), LLMC_OK);
    ck_assert_double_gt(o.duration_s, 0.0);
    llmc_tracker_free(t);
}
END_TEST

START_TEST(test_checkpoint_stalled_checkpoint_holds_up_no_phase_switch_or_totals)
{
    char log[400];
    llmc_tracker *t;
    llmc_totals o;

    snprintf(log, sizeof log, "%s/run.jsonl", scratch);
    /* a checkpoint at every sample: the first one's fsync stalls */
    t = stall_tracker(log, "checkpoint_interval=100ms");
    stall_arm(scratch, "carbon.ckpt.tmp.");
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    llmc_tracker_step(t, 10);
    calls_return_while_stalled(t);
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);
    llmc_totals_init(&o, sizeof o);
    ck_assert_status(llmc_tracker_totals(&o, t, NULL), LLMC_OK);
    log_matches(log, &o);
    checkpoint_matches(&o);
    /* the trainer's last switch, to "eval", was taken during the stall */
    llmc_totals_init(&o, sizeof o);
    ck_assert_status(llmc_tracker_totals(&o, t, "eval"), LLMC_OK);
    ck_assert_double_gt(o.duration_s, 0.0);
    llmc_tracker_free(t);
}
END_TEST

/* The thread whose step takes an inline sample writes the disk; another
 * thread's phase switch and totals do not wait for it. */
static void *inline_stepper(void *arg)
{
    llmc_tracker *t = arg;
    for (int i = 0; i < 100000 && !stall_is_held(); i++) {
        llmc_tracker_step(t, 1);
        if (i % 64 == 0) {
            struct timespec d = {0, 2000000};
            nanosleep(&d, NULL);
        }
    }
    return NULL;
}

START_TEST(test_checkpoint_stalled_inline_sample_holds_up_no_other_thread)
{
    char log[400];
    llmc_tracker *t;
    llmc_totals o;
    pthread_t th;

    snprintf(log, sizeof log, "%s/run.jsonl", scratch);
    t = stall_tracker(log, "checkpoint_interval=1h; sampler=inline");
    stall_arm(scratch, "run.jsonl");
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    ck_assert_int_eq(pthread_create(&th, NULL, inline_stepper, t), 0);
    calls_return_while_stalled(t);
    pthread_join(th, NULL);
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);
    llmc_totals_init(&o, sizeof o);
    ck_assert_status(llmc_tracker_totals(&o, t, NULL), LLMC_OK);
    log_matches(log, &o);
    checkpoint_matches(&o);
    llmc_tracker_free(t);
}
END_TEST

static Suite *checkpoint_suite(void)
{
    Suite *s = suite_create("checkpoint");
    TCase *tc = tcase_create("read");
    tcase_add_checked_fixture(tc, make_scratch, remove_scratch);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_checkpoint_refuses_negative_embodied);
    tcase_add_test(tc, test_checkpoint_refuses_negative_duration);
    tcase_add_test(tc, test_checkpoint_refuses_energy_beyond_its_bound);
    tcase_add_test(tc, test_checkpoint_refuses_nan_written_as_a_string);
    tcase_add_test(tc, test_checkpoint_refuses_counts_that_are_not_whole);
    tcase_add_test(tc, test_checkpoint_refuses_missing_format_and_other_versions);
    tcase_add_test(tc, test_checkpoint_refuses_a_phase_given_twice);
    tcase_add_test(tc, test_checkpoint_resumes_more_than_sixteen_phases);
    tcase_add_test(tc, test_checkpoint_refuses_phases_beyond_the_bound);
    tcase_add_test(tc, test_checkpoint_directory_says_it_is_a_directory);
    tcase_add_test(tc, test_checkpoint_below_a_file_says_why);
    tcase_add_test(tc, test_checkpoint_unreadable_is_eperm_with_the_fix);
    tcase_add_test(tc, test_checkpoint_resumed_run_adds_up);
    tcase_add_test(tc, test_checkpoint_first_run_report_embodied_unknown_not_zero);
    tcase_add_test(tc, test_checkpoint_resumed_run_says_when_it_resumed);
    suite_add_tcase(s, tc);

    tc = tcase_create("write");
    tcase_add_checked_fixture(tc, make_scratch, remove_scratch);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_checkpoint_failed_allocation_keeps_the_previous_checkpoint);
    suite_add_tcase(s, tc);

    tc = tcase_create("stall");
    tcase_add_checked_fixture(tc, make_scratch, remove_scratch);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_checkpoint_stalled_log_holds_up_no_phase_switch_or_totals);
    tcase_add_test(tc, test_checkpoint_stalled_checkpoint_holds_up_no_phase_switch_or_totals);
    tcase_add_test(tc, test_checkpoint_stalled_inline_sample_holds_up_no_other_thread);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(checkpoint_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
