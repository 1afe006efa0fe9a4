/*
 * test_runlog.c - llmc_runlog_read(3) over logs that trackers wrote here,
 * with a constant meter, so that the truth is known: energy is the power
 * times the time the samples cover, and the log must give back what the
 * tracker counted. Then the same logs as they are found after a job: cut
 * short, given twice, from two ranks, from a run resumed from its
 * checkpoint, and files that are not logs.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

static char scratch[64];

static void make_scratch(void)
{
    scratch_make(scratch, sizeof scratch, "runlog");
}

static void remove_scratch(void)
{
    scratch_remove(scratch);
    unsetenv("RANK");
}

static const char *path_in(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", scratch, name);
    return buf;
}

static llmc_totals totals_of(llmc_tracker *t, const char *phase)
{
    llmc_totals o;
    llmc_totals_init(&o, sizeof o);
    ck_assert_status(llmc_tracker_totals(&o, t, phase), LLMC_OK);
    return o;
}

/* A tracker of watts (a constant meter), at 300 g/kWh, logging to log;
 * more is added to its configuration. It runs about 350 ms: 500 tokens
 * of "train", then 200 of "eval". Its totals once stopped, and those of
 * "eval" in *eval (may be NULL). */
static llmc_totals tracked_run(const char *log, const char *watts,
                               const char *more, llmc_totals *eval)
{
    char config[600];
    llmc_tracker *t = NULL;
    llmc_totals o;

    snprintf(config, sizeof config,
             "meters=const:%s; grid=const:300; interval=100ms; log=%s%s",
             watts, log, more);
    ck_assert_status(llmc_tracker_new(&t), LLMC_OK);
    ck_assert_status(llmc_tracker_configure(t, config), LLMC_OK);
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    for (int i = 0; i < 5; i++)
        llmc_tracker_step(t, 100);
    sleep_ms(220);
    ck_assert_status(llmc_tracker_phase(t, "eval"), LLMC_OK);
    llmc_tracker_step(t, 200);
    sleep_ms(130);
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);
    o = totals_of(t, NULL);
    if (eval)
        *eval = totals_of(t, "eval");
    llmc_tracker_free(t);
    return o;
}

/* The reader without samples (LLMC_RUNLOG_NO_SAMPLES) gives the report
 * and warnings of log, the same paths read with every sample kept. */
static void same_without_samples(const llmc_runlog *log,
                                 const char *const *paths, size_t n,
                                 llmc_grid *g, double pue)
{
    llmc_runlog *lean = NULL;
    char *a, *b;
    ck_assert_status(llmc_runlog_read_flags(&lean, paths, n, g, pue,
                                            LLMC_RUNLOG_NO_SAMPLES),
                     LLMC_OK);
    ck_assert_uint_eq(llmc_runlog_sample_count(lean), 0);
    ck_assert_status(llmc_runlog_report_json(&a, log), LLMC_OK);
    ck_assert_status(llmc_runlog_report_json(&b, lean), LLMC_OK);
    ck_assert_str_eq(b, a);
    ck_assert_str_eq(llmc_runlog_warnings(lean), llmc_runlog_warnings(log));
    llmc_free(a);
    llmc_free(b);
    llmc_runlog_free(lean);
}

static llmc_runlog *read_logs(const char *const *paths, size_t n)
{
    llmc_runlog *log = NULL;
    ck_assert_status(llmc_runlog_read(&log, paths, n, NULL, 0), LLMC_OK);
    ck_assert_ptr_nonnull(log);
    same_without_samples(log, paths, n, NULL, 0);
    return log;
}

static llmc_run_totals whole(const llmc_runlog *log)
{
    llmc_run_totals o;
    llmc_run_totals_init(&o, sizeof o);
    ck_assert_status(llmc_runlog_totals(&o, log, NULL), LLMC_OK);
    return o;
}

static size_t lines_of(const char *path)
{
    FILE *f = fopen(path, "r");
    size_t n = 0;
    int c;
    ck_assert_ptr_nonnull(f);
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

/* The log's samples: their intervals added up, each checked to be at
 * watts on its one device. */
static double covered_s(const llmc_runlog *log, double watts)
{
    double s = 0;
    for (size_t i = 0; i < llmc_runlog_sample_count(log); i++) {
        llmc_run_sample x;
        llmc_run_sample_init(&x, sizeof x);
        ck_assert_status(llmc_runlog_sample(&x, log, i), LLMC_OK);
        s += x.interval_s;
        /* the meter and the tracker read the clock microseconds apart */
        ck_assert_double_eq_tol(x.energy_j, watts * x.interval_s, watts * 1e-3);
        ck_assert_rel(x.power_w, x.energy_j / x.interval_s, 1e-12);
        ck_assert_double_eq_tol(x.power_w, watts, watts * 0.05);
        ck_assert_uint_eq(x.device_count, 1);
        ck_assert_str_eq(x.device_names[0], "const");
        ck_assert_rel(x.device_power_w[0], x.power_w, 1e-9);
        ck_assert_rel(x.intensity_gco2e_per_kwh, 300.0, 1e-12);
        ck_assert_rel(x.operational_kgco2e, x.energy_j / 3.6e6 * 0.3, 1e-9);
        ck_assert_msg(isnan(x.embodied_kgco2e), "no hardware: no embodied");
        ck_assert_int_eq(x.pid, getpid());
    }
    return s;
}

/* ---- what a tracker wrote, read back ------------------------------------ */

START_TEST(test_runlog_gives_back_what_the_tracker_counted)
{
    char path[128], *json;
    const char *paths[1];
    llmc_totals t, te;
    llmc_run_totals o, train, eval;
    llmc_runlog *log;
    double s;

    make_scratch();
    paths[0] = path_in(path, sizeof path, "run.jsonl");
    t = tracked_run(path, "100W", "", &te);
    log = read_logs(paths, 1);
    o = whole(log);

    /* every line a sample, each counted once */
    ck_assert_uint_eq(o.samples, lines_of(path));
    ck_assert_uint_eq(llmc_runlog_sample_count(log), o.samples);
    ck_assert_uint_ge(o.samples, 3);
    ck_assert_uint_eq(o.logs, 1);
    ck_assert_uint_eq(o.unmeasured_samples, 0);
    ck_assert_uint_eq(o.duplicate_lines, 0);
    ck_assert_uint_eq(o.torn_lines, 0);
    ck_assert_str_eq(llmc_runlog_warnings(log), "");
    /* the truth: 100 W over the time the samples cover */
    s = covered_s(log, 100.0);
    ck_assert_double_eq_tol(o.energy_j, 100.0 * s, 100.0 * 2e-3);
    /* first start to last end by the wall clock, the intervals by the
     * monotonic one */
    ck_assert_double_eq_tol(o.duration_s, s, 0.01);
    /* and what the tracker counted, to the log's 12 digits */
    ck_assert_rel(o.energy_j, t.energy_j, 1e-9);
    ck_assert_rel(o.operational_kgco2e, t.operational_kgco2e, 1e-9);
    ck_assert_rel(o.operational_kgco2e, o.energy_j / 3.6e6 * 0.3, 1e-9);
    ck_assert_uint_eq(o.tokens, 700);
    ck_assert_uint_eq(o.tokens, t.tokens);
    /* no hardware: embodied unknown, and the total is operational alone */
    ck_assert_msg(isnan(o.embodied_kgco2e), "embodied %g", o.embodied_kgco2e);
    ck_assert_ptr_nonnull(o.embodied_note);
    ck_assert_rel(o.total_kgco2e, o.operational_kgco2e, 1e-15);
    ck_assert_ptr_null(o.energy_unknown_reason);
    ck_assert_ptr_null(o.operational_unknown_reason);
    ck_assert_ptr_null(o.grid);
    ck_assert_msg(isnan(o.reweighted_kgco2e), "no grid, no reweighting");

    /* the phases in the order first seen, adding up to the whole */
    ck_assert_uint_eq(llmc_runlog_phase_count(log), 2);
    ck_assert_str_eq(llmc_runlog_phase_name(log, 0), "train");
    ck_assert_str_eq(llmc_runlog_phase_name(log, 1), "eval");
    ck_assert_ptr_null(llmc_runlog_phase_name(log, 2));
    llmc_run_totals_init(&train, sizeof train);
    llmc_run_totals_init(&eval, sizeof eval);
    ck_assert_status(llmc_runlog_totals(&train, log, "train"), LLMC_OK);
    ck_assert_status(llmc_runlog_totals(&eval, log, "eval"), LLMC_OK);
    ck_assert_str_eq(train.phase, "train");
    ck_assert_uint_eq(train.samples + eval.samples, o.samples);
    ck_assert_rel(train.energy_j + eval.energy_j, o.energy_j, 1e-12);
    ck_assert_rel(train.operational_kgco2e + eval.operational_kgco2e,
                  o.operational_kgco2e, 1e-12);
    /* a line names one phase: the log splits a sample that spans a
     * switch by its line, where the tracker splits it by time */
    {
        double eval_j = 0;
        for (size_t i = 0; i < llmc_runlog_sample_count(log); i++) {
            llmc_run_sample x;
            llmc_run_sample_init(&x, sizeof x);
            ck_assert_status(llmc_runlog_sample(&x, log, i), LLMC_OK);
            if (strcmp(x.phase, "eval") == 0)
                eval_j += x.energy_j;
        }
        ck_assert_double_gt(eval_j, 0);
        ck_assert_rel(eval.energy_j, eval_j, 1e-12);
        ck_assert_double_eq_tol(eval.energy_j, te.energy_j, 100.0 * 0.15);
    }

    /* one stream: this host, no rank */
    ck_assert_uint_eq(llmc_runlog_stream_count(log), 1);
    ck_assert_uint_eq(llmc_runlog_resume_count(log), 0);

    /* the report as JSON holds the same figures */
    ck_assert_status(llmc_runlog_report_json(&json, log), LLMC_OK);
    ck_assert_ptr_nonnull(strstr(json, "\"logs\": 1,"));
    ck_assert_ptr_nonnull(strstr(json, "\"tokens\": 700,"));
    llmc_free(json);
    llmc_runlog_free(log);
    remove_scratch();
}
END_TEST

/* ---- as logs are found after a job -------------------------------------- */

/* The figures two reads must agree on. */
static void same_figures(const llmc_run_totals *a, const llmc_run_totals *b)
{
    ck_assert_uint_eq(a->samples, b->samples);
    ck_assert_double_eq(a->energy_j, b->energy_j);
    ck_assert_double_eq(a->operational_kgco2e, b->operational_kgco2e);
    ck_assert_double_eq(a->duration_s, b->duration_s);
    ck_assert_uint_eq(a->tokens, b->tokens);
}

START_TEST(test_runlog_skips_a_torn_last_line_and_counts_a_log_given_twice_once)
{
    char path[128], torn[128], where[200];
    const char *paths[2];
    llmc_run_totals clean, o;
    llmc_runlog *log;
    FILE *f, *g;
    int c;

    make_scratch();
    paths[0] = path_in(path, sizeof path, "run.jsonl");
    tracked_run(path, "100W", "", NULL);
    log = read_logs(paths, 1);
    clean = whole(log);
    llmc_runlog_free(log);

    /* the same lines, and the start of one more, cut by a killed writer */
    path_in(torn, sizeof torn, "torn.jsonl");
    ck_assert_ptr_nonnull(f = fopen(path, "r"));
    ck_assert_ptr_nonnull(g = fopen(torn, "w"));
    while ((c = fgetc(f)) != EOF)
        fputc(c, g);
    fputs("{\"time\":\"2024-05-01T12:04:00Z\",\"time_unix_s\":17145", g);
    fclose(f);
    fclose(g);
    paths[0] = torn;
    log = read_logs(paths, 1);
    o = whole(log);
    same_figures(&o, &clean);
    ck_assert_uint_eq(o.torn_lines, 1);
    snprintf(where, sizeof where, "%s:%zu: the last line is cut short", torn,
             lines_of(path) + 1);
    ck_assert_msg(strstr(llmc_runlog_warnings(log), where), "%s",
                  llmc_runlog_warnings(log));
    llmc_runlog_free(log);

    /* the log given twice: every line of the second copy is dropped */
    paths[0] = paths[1] = path;
    log = read_logs(paths, 2);
    o = whole(log);
    same_figures(&o, &clean);
    ck_assert_uint_eq(o.logs, 2);
    ck_assert_uint_eq(o.duplicate_lines, clean.samples);
    ck_assert_uint_eq(llmc_runlog_sample_count(log), clean.samples);
    ck_assert_msg(strstr(llmc_runlog_warnings(log), "lines seen before"),
                  "%s", llmc_runlog_warnings(log));
    llmc_runlog_free(log);
    remove_scratch();
}
END_TEST

START_TEST(test_runlog_two_ranks_are_two_streams_that_add_up)
{
    char p0[128], p1[128];
    const char *paths[2] = {p0, p1};
    llmc_totals t0, t1;
    llmc_run_totals o, w[2];
    llmc_runlog *log;
    char host[256];

    make_scratch();
    path_in(p0, sizeof p0, "rank0.jsonl");
    path_in(p1, sizeof p1, "rank1.jsonl");
    setenv("RANK", "0", 1);
    t0 = tracked_run(p0, "100W", "", NULL);
    setenv("RANK", "1", 1);
    t1 = tracked_run(p1, "50W", "", NULL);
    log = read_logs(paths, 2);
    o = whole(log);
    ck_assert_uint_eq(llmc_runlog_stream_count(log), 2);
    ck_assert_int_eq(gethostname(host, sizeof host), 0);
    for (size_t i = 0; i < 2; i++) {
        llmc_run_totals_init(&w[i], sizeof w[i]);
        ck_assert_status(llmc_runlog_stream(&w[i], log, i), LLMC_OK);
        ck_assert_int_eq(w[i].rank, (int64_t)i);
        ck_assert_ptr_null(w[i].phase);
        ck_assert_uint_eq(w[i].samples, lines_of(i ? p1 : p0));
    }
    ck_assert_rel(w[0].energy_j, t0.energy_j, 1e-9);
    ck_assert_rel(w[1].energy_j, t1.energy_j, 1e-9);
    ck_assert_rel(w[0].operational_kgco2e, t0.operational_kgco2e, 1e-9);
    ck_assert_rel(w[1].operational_kgco2e, t1.operational_kgco2e, 1e-9);
    ck_assert_rel(o.energy_j, t0.energy_j + t1.energy_j, 1e-9);
    ck_assert_uint_eq(o.samples, w[0].samples + w[1].samples);
    ck_assert_uint_eq(o.tokens, 1400);
    ck_assert_status(llmc_runlog_stream(&w[0], log, 2), LLMC_ERANGE);
    llmc_runlog_free(log);
    remove_scratch();
}
END_TEST

START_TEST(test_runlog_a_resumed_run_says_so_and_counts_each_joule_once)
{
    char path[128], ck[128], more[200];
    const char *paths[1] = {path};
    llmc_totals a, b;
    llmc_run_totals o;
    llmc_run_resume r;
    llmc_runlog *log;

    make_scratch();
    path_in(path, sizeof path, "run.jsonl");
    snprintf(more, sizeof more, "; checkpoint=%s",
             path_in(ck, sizeof ck, "run.ckpt"));
    a = tracked_run(path, "100W", more, NULL);
    b = tracked_run(path, "100W", more, NULL);
    /* the second run's totals hold the first's */
    ck_assert_double_gt(b.energy_j, a.energy_j);
    log = read_logs(paths, 1);
    o = whole(log);
    ck_assert_rel(o.energy_j, b.energy_j, 1e-9);
    ck_assert_rel(o.operational_kgco2e, b.operational_kgco2e, 1e-9);
    ck_assert_uint_eq(o.samples, lines_of(path));
    /* tokens: the last count of the log, which the resumed run carries */
    ck_assert_uint_eq(o.tokens, 1400);
    ck_assert_uint_eq(llmc_runlog_resume_count(log), 1);
    llmc_run_resume_init(&r, sizeof r);
    ck_assert_status(llmc_runlog_resume(&r, log, 0), LLMC_OK);
    ck_assert_int_eq(r.pid, getpid());
    ck_assert_int_eq(r.rank, -1);
    ck_assert_rel(r.energy_j, a.energy_j, 1e-9);
    ck_assert_msg(isfinite(r.checkpoint_written_unix_s) &&
                      r.checkpoint_written_unix_s <= r.from_unix_s + 1,
                  "written %f, resumed %f", r.checkpoint_written_unix_s,
                  r.from_unix_s);
    ck_assert_status(llmc_runlog_resume(&r, log, 1), LLMC_ERANGE);
    llmc_runlog_free(log);
    remove_scratch();
}
END_TEST

START_TEST(test_runlog_reads_past_the_lines_of_named_windows)
{
    char path[128], config[300];
    const char *paths[1] = {path};
    llmc_tracker *t = NULL;
    llmc_totals counted, w;
    llmc_run_totals o;
    llmc_runlog *log;
    FILE *f;
    char line[4096];
    int windows = 0;

    make_scratch();
    path_in(path, sizeof path, "run.jsonl");
    snprintf(config, sizeof config,
             "meters=const:100W; grid=const:300; interval=100ms; log=%s",
             path);
    ck_assert_status(llmc_tracker_new(&t), LLMC_OK);
    ck_assert_status(llmc_tracker_configure(t, config), LLMC_OK);
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    ck_assert_status(llmc_tracker_window_begin(t, "warmup"), LLMC_OK);
    sleep_ms(250);
    llmc_totals_init(&w, sizeof w);
    ck_assert_status(llmc_tracker_window_end(&w, t, "warmup"), LLMC_OK);
    sleep_ms(100);
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);
    counted = totals_of(t, NULL);
    llmc_tracker_free(t);
    /* the tracker logged the window as a line of its own */
    ck_assert_ptr_nonnull(f = fopen(path, "r"));
    while (fgets(line, sizeof line, f))
        windows += strstr(line, "\"type\":\"window\"") != NULL;
    fclose(f);
    ck_assert_int_eq(windows, 1);

    log = read_logs(paths, 1);
    o = whole(log);
    /* its energy is the samples', counted once */
    ck_assert_uint_eq(o.samples, lines_of(path) - 1);
    ck_assert_rel(o.energy_j, counted.energy_j, 1e-9);
    ck_assert_double_lt(w.energy_j, o.energy_j);
    llmc_runlog_free(log);
    remove_scratch();
}
END_TEST

/* ---- exact figures, and what the log does not know ---------------------- */

#define T0 1714564800.0 /* 2024-05-01T12:00:00Z */

/* Sample i of 1 kWh in the minute ending at T0 + 60 (i + 1), at 300
 * g/kWh and PUE 1 (0.3 kg), or with op "null" when unpriced. */
static void sample(FILE *f, int i, const char *op_kgco2e)
{
    fprintf(f,
            "{\"time\":\"2024-05-01T12:00:00Z\",\"time_unix_s\":%.2f,"
            "\"interval_s\":60.0,\"host\":\"node1\",\"job\":null,\"rank\":0,"
            "\"local_rank\":0,\"world_size\":1,\"pid\":100,\"phase\":\"train\","
            "\"step\":%d,\"tokens\":%d,\"energy_j\":3600000.0,\"meters\":["
            "{\"name\":\"gpu0\",\"method\":\"measured\",\"counted\":true,"
            "\"energy_j\":3600000.0}],"
            "\"intensity_gco2e_per_kwh\":%s,\"intensity_source\":\"const:300\","
            "\"intensity_basis\":\"unspecified\",\"pue\":1.0,"
            "\"operational_kgco2e\":%s,\"embodied_kgco2e\":0.01}\n",
            T0 + 60.0 * (i + 1), i + 1, 10 * (i + 1),
            strcmp(op_kgco2e, "null") ? "300.0" : "null", op_kgco2e);
}

START_TEST(test_runlog_exact_figures_repriced_at_another_grid_and_pue)
{
    char path[128];
    const char *paths[1] = {path};
    llmc_run_totals o;
    llmc_run_sample x;
    llmc_runlog *log = NULL;
    llmc_grid *g;
    FILE *f;

    make_scratch();
    ck_assert_ptr_nonnull(f = fopen(path_in(path, sizeof path, "r.jsonl"),
                                    "w"));
    for (int i = 0; i < 3; i++)
        sample(f, i, "0.3");
    sample(f, 3, "null");
    fclose(f);

    ck_assert_status(llmc_grid_new_const(&g, 500.0), LLMC_OK);
    ck_assert_status(llmc_runlog_read(&log, paths, 1, g, 2.0), LLMC_OK);
    same_without_samples(log, paths, 1, g, 2.0);
    llmc_grid_free(g); /* used during the call only */
    o = whole(log);
    ck_assert_uint_eq(o.samples, 4);
    ck_assert_double_eq(o.energy_j, 4 * 3.6e6);
    ck_assert_double_eq(o.duration_s, 240.0);
    ck_assert_uint_eq(o.tokens, 40);
    /* the last kWh had no intensity and no fill line prices it */
    ck_assert_msg(isnan(o.operational_kgco2e), "%g", o.operational_kgco2e);
    ck_assert_ptr_nonnull(strstr(o.operational_unknown_reason,
                                 "1 kWh in 1 samples had no grid intensity"));
    ck_assert_msg(isnan(o.total_kgco2e), "%g", o.total_kgco2e);
    ck_assert_uint_eq(o.unpriced_samples, 1);
    ck_assert_double_eq(o.unpriced_energy_j, 3.6e6);
    ck_assert_double_eq_tol(o.embodied_kgco2e, 0.04, 1e-15);
    /* at 500 g/kWh and PUE 2: 4 kWh x 2 x 0.5 kg/kWh */
    ck_assert_str_eq(o.grid, "const:500");
    ck_assert_double_eq_tol(o.reweighted_kgco2e, 4.0, 1e-12);
    ck_assert_double_eq_tol(o.reweighted_intensity_gco2e_per_kwh, 500.0,
                            1e-9);
    ck_assert_uint_eq(o.reweight_failures, 0);
    ck_assert_ptr_null(o.reweight_problem);
    /* a sample as read, its operational CO2e at the new PUE */
    llmc_run_sample_init(&x, sizeof x);
    ck_assert_status(llmc_runlog_sample(&x, log, 0), LLMC_OK);
    ck_assert_double_eq(x.time_unix_s, T0 + 60);
    ck_assert_double_eq(x.interval_s, 60.0);
    ck_assert_double_eq(x.power_w, 60000.0);
    ck_assert_double_eq_tol(x.operational_kgco2e, 0.6, 1e-15);
    ck_assert_str_eq(x.host, "node1");
    ck_assert_int_eq(x.rank, 0);
    ck_assert_int_eq(x.pid, 100);
    ck_assert_str_eq(x.phase, "train");
    ck_assert_uint_eq(x.step, 1);
    ck_assert_uint_eq(x.tokens, 10);
    ck_assert_uint_eq(x.device_count, 1);
    ck_assert_str_eq(x.device_names[0], "gpu0");
    ck_assert_double_eq(x.device_power_w[0], 60000.0);
    ck_assert_status(llmc_runlog_sample(&x, log, 3), LLMC_OK);
    ck_assert_msg(isnan(x.operational_kgco2e) &&
                      isnan(x.intensity_gco2e_per_kwh),
                  "an unpriced sample stays unpriced");
    ck_assert_status(llmc_runlog_sample(&x, log, 4), LLMC_ERANGE);
    llmc_runlog_free(log);
    remove_scratch();
}
END_TEST

/* ---- what is not a log --------------------------------------------------- */

START_TEST(test_runlog_refuses_what_is_not_a_log_with_a_status_each)
{
    static const struct {
        const char *text;
        int status;
        const char *says;
    } not_logs[] = {
        {"", LLMC_ENODATA, "is empty"},
        {"hello\n", LLMC_EFORMAT, ":1: not a JSON line"},
        {"{\"a\": 1}\n", LLMC_EFORMAT, ":1: a line without host, pid and rank"},
        {"[1]\n", LLMC_EFORMAT, ":1: a JSON line that is not an object"},
        {"{\"type\":\"forecast\"}\n", LLMC_ENOTSUP, ":1: a line of type "
                                                   "'forecast'"},
        {"{\"time_unix_s\":1", LLMC_ENODATA, "holds no whole sample"},
    };
    char path[128], where[200];
    const char *paths[1] = {path};
    llmc_runlog *log = (llmc_runlog *)1;
    llmc_run_totals o;
    FILE *f;

    make_scratch();
    path_in(path, sizeof path, "not-a-log.jsonl");
    for (size_t i = 0; i < sizeof not_logs / sizeof not_logs[0]; i++) {
        ck_assert_ptr_nonnull(f = fopen(path, "w"));
        fputs(not_logs[i].text, f);
        fclose(f);
        ck_assert_status(llmc_runlog_read(&log, paths, 1, NULL, 0),
                         not_logs[i].status);
        ck_assert_ptr_null(log);
        ck_assert_error_mentions(not_logs[i].says);
        ck_assert_error_mentions(path);
    }
    /* a value out of bounds names its file, line and key */
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    sample(f, 0, "0.3");
    sample(f, 1, "-0.3");
    fclose(f);
    ck_assert_status(llmc_runlog_read(&log, paths, 1, NULL, 0), LLMC_EFORMAT);
    snprintf(where, sizeof where, "%s:2: \"operational_kgco2e\"", path);
    ck_assert_error_mentions(where);

    /* files that cannot be read, and calls that are wrong */
    paths[0] = scratch;
    ck_assert_status(llmc_runlog_read(&log, paths, 1, NULL, 0), LLMC_EINVAL);
    ck_assert_error_mentions("is a directory");
    paths[0] = path_in(where, sizeof where, "missing.jsonl");
    ck_assert_status(llmc_runlog_read(&log, paths, 1, NULL, 0),
                     LLMC_ENOTFOUND);
    ck_assert_error_mentions("No such file or directory");
    ck_assert_status(llmc_runlog_read(&log, paths, 0, NULL, 0), LLMC_EINVAL);
    ck_assert_status(llmc_runlog_read(NULL, paths, 1, NULL, 0), LLMC_EINVAL);
    ck_assert_status(llmc_runlog_read(&log, paths, 1, NULL, 0.5), LLMC_ERANGE);
    ck_assert_status(llmc_runlog_read(&log, paths, 1, NULL, NAN), LLMC_ERANGE);

    /* an unknown phase, and a struct not prepared */
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    sample(f, 0, "0.3");
    fclose(f);
    paths[0] = path;
    ck_assert_status(llmc_runlog_read(&log, paths, 1, NULL, 0), LLMC_OK);
    llmc_run_totals_init(&o, sizeof o);
    ck_assert_status(llmc_runlog_totals(&o, log, "eval"), LLMC_ENOTFOUND);
    ck_assert_error_mentions("'eval'");
    memset(&o, 0, sizeof o);
    ck_assert_status(llmc_runlog_totals(&o, log, NULL), LLMC_EINVAL);
    ck_assert_error_mentions("llmc_run_totals_init");
    llmc_runlog_free(log);
    llmc_runlog_free(NULL);
    ck_assert_uint_eq(llmc_runlog_sample_count(NULL), 0);
    remove_scratch();
}
END_TEST

/* ---- the reader without samples ---------------------------------------- */

/* A sample line of host/pid/rank 0 at T0 + t seconds: 60 s of energy_j,
 * priced at 300 g/kWh unless op_kgco2e is "null". */
#define T0 1714564800.0
static void line_of(FILE *f, const char *host, int pid, double t,
                    const char *energy_j, const char *op_kgco2e)
{
    fprintf(f,
            "{\"time\":\"2024-05-01T12:00:00Z\",\"time_unix_s\":%.2f,"
            "\"interval_s\":60.0,\"host\":\"%s\",\"job\":null,"
            "\"rank\":0,\"local_rank\":0,\"world_size\":1,\"pid\":%d,"
            "\"phase\":\"train\",\"step\":%d,\"tokens\":%d,"
            "\"energy_j\":%s,\"meters\":[],"
            "\"intensity_gco2e_per_kwh\":%s,\"pue\":1.0,"
            "\"operational_kgco2e\":%s,\"embodied_kgco2e\":0.0}\n",
            T0 + t, host, pid, (int)(t / 60), 10 * (int)(t / 60), energy_j,
            strcmp(op_kgco2e, "null") ? "300.0" : "null", op_kgco2e);
}

static void line(FILE *f, int pid, double t, const char *energy_j,
                 const char *op_kgco2e)
{
    line_of(f, "node1", pid, t, energy_j, op_kgco2e);
}

/* Samples first..last (each 60 s, 1 kWh, 0.3 kg) of pid into f. */
static void lines(FILE *f, int pid, int first, int last)
{
    for (int i = first; i <= last; i++)
        line(f, pid, 60.0 * i, "3600000.0", "0.3");
}

static FILE *create(char *buf, size_t size, const char *name)
{
    FILE *f = fopen(path_in(buf, size, name), "w");
    ck_assert_ptr_nonnull(f);
    return f;
}

/* Reads paths both ways (read_logs compares them); the whole figures. */
static llmc_run_totals both_ways(const char *const *paths, size_t n)
{
    llmc_runlog *log = read_logs(paths, n);
    llmc_run_totals o = whole(log);
    llmc_runlog_free(log);
    return o;
}

/* A plan line of node1/pid/rank 0: target and range as JSON text. */
static void plan_of(FILE *f, int pid, const char *target, const char *range)
{
    fprintf(f,
            "{\"type\":\"plan\",\"time\":\"2024-05-01T12:00:00Z\","
            "\"time_unix_s\":%.2f,\"host\":\"node1\",\"job\":null,"
            "\"rank\":0,\"local_rank\":0,\"world_size\":1,\"pid\":%d,"
            "\"target_tokens\":%s,\"plan_range_kgco2e\":%s,"
            "\"warmup_samples\":2}\n",
            T0, pid, target, range);
}

START_TEST(test_runlog_projects_against_the_plan_the_log_records)
{
    /* ten minutes of 1 kWh and 10 tokens each, at 300 g/kWh: 0.03 kg a
     * token, so 1000 tokens come to 30 kg; the J/token never varies, so
     * the range is the figure */
    char planned[128], old[128], two[128], bad[128];
    const char *paths[1];
    llmc_runlog *log = NULL;
    llmc_run_totals o;
    char *json;
    FILE *f;

    make_scratch();
    f = create(planned, sizeof planned, "planned.jsonl");
    plan_of(f, 7, "1000", "[20.0, 40.0]");
    lines(f, 7, 1, 10);
    fclose(f);
    paths[0] = planned;
    log = read_logs(paths, 1);
    o = whole(log);
    ck_assert_ptr_null(o.projection_note);
    ck_assert_uint_eq(o.target_tokens, 1000);
    ck_assert_double_eq_tol(o.projected_total_kgco2e, 30.0, 1e-9);
    ck_assert_double_eq_tol(o.projected_low_kgco2e, 30.0, 1e-9);
    ck_assert_double_eq_tol(o.projected_high_kgco2e, 30.0, 1e-9);
    ck_assert_double_eq(o.plan_low_kgco2e, 20.0);
    ck_assert_double_eq(o.plan_high_kgco2e, 40.0);
    ck_assert_status(llmc_runlog_report_json(&json, log), LLMC_OK);
    ck_assert_msg(strstr(json, "\"projection\": {\n    \"target_tokens\": "
                               "1000,\n    \"total_kgco2e\": 30"),
                  "%s", json);
    ck_assert_msg(strstr(json, "\"plan_total_kgco2e\": 30"), "%s", json);
    llmc_free(json);
    llmc_runlog_free(log);

    /* a log written before plan lines: read as ever, and it says why no
     * projection */
    f = create(old, sizeof old, "old.jsonl");
    lines(f, 7, 1, 10);
    fclose(f);
    paths[0] = old;
    log = read_logs(paths, 1);
    o = whole(log);
    ck_assert_double_eq_tol(o.energy_j, 3.6e7, 1e-6);
    ck_assert_double_eq_tol(o.total_kgco2e, 3.0, 1e-12);
    ck_assert(isnan(o.projected_total_kgco2e));
    ck_assert_uint_eq(o.target_tokens, 0);
    ck_assert_ptr_nonnull(o.projection_note);
    ck_assert_msg(strstr(o.projection_note, "records no plan (target_tokens "
                                            "was not set)"),
                  "%s", o.projection_note);
    ck_assert_status(llmc_runlog_report_json(&json, log), LLMC_OK);
    ck_assert_msg(strstr(json, "\"target_tokens\": null"), "%s", json);
    ck_assert_msg(strstr(json, "records no plan"), "%s", json);
    llmc_free(json);
    llmc_runlog_free(log);

    /* two processes, each with its plan: target_tokens is each one's
     * own, so no figure is the run's, and the note says so */
    f = create(two, sizeof two, "two.jsonl");
    plan_of(f, 7, "1000", "null");
    lines(f, 7, 1, 5);
    plan_of(f, 8, "1000", "null");
    lines(f, 8, 6, 10);
    fclose(f);
    paths[0] = two;
    log = read_logs(paths, 1);
    o = whole(log);
    ck_assert(isnan(o.projected_total_kgco2e));
    ck_assert_msg(o.projection_note &&
                      strstr(o.projection_note, "the samples of 2 processes"),
                  "%s", o.projection_note);
    llmc_runlog_free(log);

    /* a plan line with a bad value: LLMC_EFORMAT naming file and line */
    {
        static const struct {
            const char *target, *range, *says;
        } bad_plans[] = {
            {"\"many\"", "null", "\"target_tokens\" of a plan line is not "
                                 "an integer"},
            {"0", "null", "\"target_tokens\" of a plan line is below 1"},
            {"1000", "[40.0, 20.0]", "\"plan_range_kgco2e\" of a plan line"},
            {"1000", "\"2g\"", "\"plan_range_kgco2e\" of a plan line"},
        };
        char where[160];
        for (size_t i = 0; i < sizeof bad_plans / sizeof bad_plans[0]; i++) {
            f = create(bad, sizeof bad, "bad.jsonl");
            lines(f, 7, 1, 2);
            plan_of(f, 7, bad_plans[i].target, bad_plans[i].range);
            fclose(f);
            paths[0] = bad;
            ck_assert_status(llmc_runlog_read(&log, paths, 1, NULL, 0),
                             LLMC_EFORMAT);
            ck_assert_ptr_null(log);
            snprintf(where, sizeof where, "%s:3: ", bad);
            ck_assert_error_mentions(where);
            ck_assert_error_mentions(bad_plans[i].says);
        }
    }
    remove_scratch();
}
END_TEST

START_TEST(test_runlog_without_samples_counts_what_the_keeping_reader_counts)
{
    char a[128], b[128], ab[128], ba[128], odd[128], un[128];
    const char *paths[4];
    llmc_runlog *log = NULL;
    llmc_run_totals o;
    FILE *f;

    make_scratch();
    /* one process split over two files: a holds samples 1-10, b 11-20 */
    f = create(a, sizeof a, "a.jsonl");
    lines(f, 100, 1, 10);
    fclose(f);
    f = create(b, sizeof b, "b.jsonl");
    lines(f, 100, 11, 20);
    fclose(f);

    /* given later part first, then again: nothing of a is taken for a
     * repeat of b, each line of the second b is one */
    paths[0] = b;
    paths[1] = a;
    paths[2] = b;
    o = both_ways(paths, 3);
    ck_assert_uint_eq(o.samples, 20);
    ck_assert_uint_eq(o.duplicate_lines, 10);
    ck_assert_double_eq_tol(o.energy_j, 20 * 3.6e6, 1e-3);

    /* one file holding b, then a, then a again, then a line of b */
    f = create(ba, sizeof ba, "ba.jsonl");
    lines(f, 100, 11, 20);
    lines(f, 100, 1, 10);
    lines(f, 100, 1, 10);
    lines(f, 100, 15, 15);
    fclose(f);
    paths[0] = ba;
    o = both_ways(paths, 1);
    ck_assert_uint_eq(o.samples, 20);
    ck_assert_uint_eq(o.duplicate_lines, 11);
    /* and with a and b beside it: every line of theirs seen before */
    paths[1] = a;
    paths[2] = b;
    o = both_ways(paths, 3);
    ck_assert_uint_eq(o.samples, 20);
    ck_assert_uint_eq(o.duplicate_lines, 31);

    /* a sample at a time already counted, with other counts, is another
     * sample; given again, it is a repeat */
    f = create(odd, sizeof odd, "odd.jsonl");
    lines(f, 100, 1, 10);
    line(f, 100, 60.0 * 4, "3600001.0", "0.3");
    line(f, 100, 60.0 * 4, "3600000.0", "0.3");
    line(f, 100, 60.0 * 4, "3600001.0", "0.3");
    fclose(f);
    paths[0] = odd;
    paths[1] = a;
    o = both_ways(paths, 2);
    ck_assert_uint_eq(o.samples, 11);
    ck_assert_uint_eq(o.duplicate_lines, 12);
    ck_assert_double_eq_tol(o.energy_j, 11 * 3.6e6 + 1, 1e-3);

    /* two processes (a resumed run) in one file, the same times: the
     * pid tells them apart */
    f = create(ab, sizeof ab, "ab.jsonl");
    lines(f, 100, 1, 5);
    lines(f, 200, 1, 5);
    lines(f, 100, 1, 5);
    fclose(f);
    paths[0] = ab;
    o = both_ways(paths, 1);
    ck_assert_uint_eq(o.samples, 10);
    ck_assert_uint_eq(o.duplicate_lines, 5);

    /* energy without an intensity, priced by a fill line; the file twice */
    f = create(un, sizeof un, "unpriced.jsonl");
    lines(f, 100, 1, 2);
    line(f, 100, 180.0, "3600000.0", "null");
    line(f, 100, 240.0, "3600000.0", "null");
    fprintf(f,
            "{\"type\":\"fill\",\"time\":\"2024-05-01T13:00:00Z\","
            "\"time_unix_s\":%.2f,\"host\":\"node1\",\"job\":null,"
            "\"rank\":0,\"local_rank\":0,\"world_size\":1,\"pid\":100,"
            "\"from_unix_s\":%.2f,\"to_unix_s\":%.2f,"
            "\"energy_j\":7200000.0,\"intensity_gco2e_per_kwh\":500.0,"
            "\"operational_kgco2e\":1.0,\"filled_by\":\"grid\"}\n",
            T0 + 300.0, T0 + 120.0, T0 + 240.0);
    fclose(f);
    paths[0] = paths[1] = un;
    o = both_ways(paths, 2);
    ck_assert_uint_eq(o.samples, 4);
    ck_assert_uint_eq(o.fill_lines, 1);
    ck_assert_uint_eq(o.duplicate_lines, 5);
    ck_assert_double_eq_tol(o.operational_kgco2e, 0.6 + 1.0, 1e-12);

    /* a host longer than the 127 bytes kept is one stream, not one per
     * line */
    {
        char host[201], lh[128];
        memset(host, 'h', 200);
        host[200] = '\0';
        f = create(lh, sizeof lh, "longhost.jsonl");
        for (int i = 1; i <= 5; i++)
            line_of(f, host, 100, 60.0 * i, "3600000.0", "0.3");
        lines(f, 100, 1, 2);
        fclose(f);
        paths[0] = lh;
        log = read_logs(paths, 1);
        ck_assert_uint_eq(llmc_runlog_stream_count(log), 2);
        ck_assert_uint_eq(whole(log).samples, 7);
        llmc_runlog_free(log);
        log = NULL;
    }

    /* a flag this version does not know */
    paths[0] = a;
    ck_assert_status(llmc_runlog_read_flags(&log, paths, 1, NULL, 0, 0x2),
                     LLMC_EINVAL);
    ck_assert_ptr_null(log);
    ck_assert_status(llmc_runlog_read_flags(&log, paths, 1, NULL, 0, 0),
                     LLMC_OK);
    ck_assert_uint_eq(llmc_runlog_sample_count(log), 10);
    llmc_runlog_free(log);
    remove_scratch();
}
END_TEST

/* Reads the file src through the FIFO fifo, which a child writes. */
static int read_through_fifo(llmc_runlog **out, const char *fifo,
                             const char *src, unsigned flags)
{
    const char *paths[1] = {fifo};
    pid_t pid;
    int rc, ws;

    ck_assert_int_ge(pid = fork(), 0);
    if (pid == 0) {
        FILE *in = fopen(src, "r"), *w = fopen(fifo, "w");
        int c;
        if (!in || !w)
            _exit(1);
        while ((c = fgetc(in)) != EOF)
            fputc(c, w);
        _exit(fclose(w) == 0 ? 0 : 1);
    }
    rc = llmc_runlog_read_flags(out, paths, 1, NULL, 0, flags);
    ck_assert_int_eq(waitpid(pid, &ws, 0), pid);
    ck_assert_msg(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "writer %d", ws);
    return rc;
}

START_TEST(test_runlog_without_samples_reads_a_pipe_by_its_times)
{
    char odd[128], fifo[128];
    llmc_runlog *log;
    llmc_run_totals o;
    FILE *f;

    make_scratch();
    f = create(odd, sizeof odd, "odd.jsonl");
    lines(f, 100, 1, 10);
    lines(f, 100, 1, 10);
    line(f, 100, 60.0 * 4, "3600001.0", "0.3");
    fclose(f);
    ck_assert_int_eq(mkfifo(path_in(fifo, sizeof fifo, "fifo"), 0600), 0);

    /* kept: every line checked; the sample of other counts is another */
    ck_assert_status(read_through_fifo(&log, fifo, odd, 0), LLMC_OK);
    o = whole(log);
    ck_assert_uint_eq(o.samples, 11);
    ck_assert_uint_eq(o.duplicate_lines, 10);
    llmc_runlog_free(log);

    /* without samples a pipe cannot be read again: a sample at a time
     * its process counted is taken for a repeat, as the man page says */
    ck_assert_status(read_through_fifo(&log, fifo, odd,
                                       LLMC_RUNLOG_NO_SAMPLES),
                     LLMC_OK);
    o = whole(log);
    ck_assert_uint_eq(o.samples, 10);
    ck_assert_uint_eq(o.duplicate_lines, 11);
    ck_assert_double_eq_tol(o.energy_j, 10 * 3.6e6, 1e-3);
    llmc_runlog_free(log);
    remove_scratch();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("runlog");
    TCase *tc = tcase_create("runlog");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_runlog_gives_back_what_the_tracker_counted);
    tcase_add_test(
        tc,
        test_runlog_skips_a_torn_last_line_and_counts_a_log_given_twice_once);
    tcase_add_test(tc, test_runlog_two_ranks_are_two_streams_that_add_up);
    tcase_add_test(tc,
                   test_runlog_a_resumed_run_says_so_and_counts_each_joule_once);
    tcase_add_test(tc, test_runlog_reads_past_the_lines_of_named_windows);
    tcase_add_test(tc,
                   test_runlog_exact_figures_repriced_at_another_grid_and_pue);
    tcase_add_test(tc, test_runlog_refuses_what_is_not_a_log_with_a_status_each);
    tcase_add_test(
        tc, test_runlog_without_samples_counts_what_the_keeping_reader_counts);
    tcase_add_test(tc, test_runlog_without_samples_reads_a_pipe_by_its_times);
    tcase_add_test(tc, test_runlog_projects_against_the_plan_the_log_records);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
