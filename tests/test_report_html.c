/*
 * test_report_html.c - the run drawn as HTML (llmc_runlog_report_html,
 * llmc_tracker_report_html) and what the log says of each sample's
 * intensity (intensity_kind): a page that fetches nothing, whose figures
 * are those of the totals written as the text report writes them, and
 * whose series keep a one-sample spike of a 30-day log in under 2 MB.
 *
 * Case "html": the page, the kinds, the tracker's form, and a running
 * tracker's log read, twice, only to where it ended when the call began,
 * keeping no sample. Case "long": the 30-day log at 1 s (2.59 million
 * samples), run as its own test.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "internal.h"
#include "llmcarbon.h"
#include "runlog.h"
#include "testutil.h"

static char scratch[64];

static const char *path_in(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", scratch, name);
    return buf;
}

static size_t count_of(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* Nothing in the page is fetched or run. */
static void assert_self_contained(const char *html)
{
    static const char *const banned[] = {"http://", "https://", "<script",
                                         "@import", "url(", "<link",
                                         "<img"};
    for (size_t i = 0; i < sizeof banned / sizeof banned[0]; i++)
        ck_assert_msg(!strstr(html, banned[i]), "the page holds '%s'",
                      banned[i]);
    ck_assert_msg(strstr(html, "@media print"), "no print style");
}

/* The text of the cell data-figure="name" (up to its '<'). */
static const char *figure(char *buf, size_t size, const char *html,
                          const char *name)
{
    char key[160];
    const char *p, *end;
    snprintf(key, sizeof key, "data-figure=\"%s\">", name);
    ck_assert_msg((p = strstr(html, key)) != NULL, "no figure %s", name);
    p += strlen(key);
    end = strchr(p, '<');
    ck_assert_ptr_nonnull(end);
    snprintf(buf, size, "%.*s", (int)(end - p), p);
    return buf;
}

/* A sample line of host node1 rank `rank`, pid 100 + rank: 1 kWh over
 * the minute ending at t, at the intensity ci ("null" when none), of the
 * kind given ("" leaves the key out, as older logs do). */
static void sample(FILE *f, int rank, double t, const char *phase,
                   const char *ci, const char *kind)
{
    char kind_key[64] = "";
    if (*kind)
        snprintf(kind_key, sizeof kind_key, "\"intensity_kind\":%s,", kind);
    fprintf(f,
            "{\"time\":\"2024-05-01T12:00:00Z\",\"time_unix_s\":%.2f,"
            "\"interval_s\":60.0,\"host\":\"node1\",\"job\":null,"
            "\"rank\":%d,\"local_rank\":0,\"world_size\":2,\"pid\":%d,"
            "\"phase\":\"%s\",\"step\":1,\"tokens\":10,"
            "\"energy_j\":3600000.0,\"meters\":[{\"name\":\"gpu0\","
            "\"method\":\"nvml-energy\",\"counted\":true,"
            "\"energy_j\":3600000.0}],\"intensity_gco2e_per_kwh\":%s,"
            "\"intensity_source\":\"const:300\","
            "\"intensity_basis\":\"unspecified\",%s\"pue\":1.0,"
            "\"operational_kgco2e\":%s,\"embodied_kgco2e\":0.01}\n",
            t, rank, 100 + rank, phase, ci, kind_key,
            strcmp(ci, "null") ? "0.3" : "null");
}

#define T0 1714564800.0 /* 2024-05-01T12:00:00Z */

/* Two ranks' logs: rank 0 measured, forecast, an old line without the
 * key, and one without intensity that a fill line prices at 200 g/kWh;
 * rank 1 two estimated samples of "eval"; a window on rank 0. */
static void write_two_logs(char *a, char *b, size_t size)
{
    FILE *f;
    ck_assert_ptr_nonnull(f = fopen(path_in(a, size, "rank0.jsonl"), "w"));
    sample(f, 0, T0 + 60, "train", "300.0", "\"measured\"");
    sample(f, 0, T0 + 120, "train", "300.0", "\"forecast\"");
    sample(f, 0, T0 + 180, "train", "300.0", "");
    sample(f, 0, T0 + 240, "train", "null", "null");
    fprintf(f,
            "{\"type\":\"fill\",\"time\":\"2024-05-01T12:05:00Z\","
            "\"time_unix_s\":%.2f,\"host\":\"node1\",\"job\":null,"
            "\"rank\":0,\"local_rank\":0,\"world_size\":2,\"pid\":100,"
            "\"from_unix_s\":%.2f,\"to_unix_s\":%.2f,\"energy_j\":3600000.0,"
            "\"intensity_gco2e_per_kwh\":200.0,\"operational_kgco2e\":0.2,"
            "\"filled_by\":\"const:200\"}\n",
            T0 + 300, T0 + 180, T0 + 240);
    fprintf(f,
            "{\"type\":\"window\",\"time\":\"2024-05-01T12:05:00Z\","
            "\"time_unix_s\":%.2f,\"host\":\"node1\",\"job\":null,"
            "\"rank\":0,\"local_rank\":0,\"world_size\":2,\"pid\":100,"
            "\"window\":\"warmup\",\"begin_unix_s\":%.2f,"
            "\"end_unix_s\":%.2f,\"duration_s\":120.0,"
            "\"energy_j\":7200000.0,\"operational_kgco2e\":0.6,"
            "\"embodied_kgco2e\":0.02,\"total_kgco2e\":0.62,\"steps\":1,"
            "\"tokens\":10,\"samples\":2,\"unpriced_energy_j\":0.0}\n",
            T0 + 300, T0, T0 + 120);
    fclose(f);
    ck_assert_ptr_nonnull(f = fopen(path_in(b, size, "rank1.jsonl"), "w"));
    sample(f, 1, T0 + 60, "eval", "250.0", "\"estimated\"");
    sample(f, 1, T0 + 120, "eval", "250.0", "\"estimated\"");
    fclose(f);
}

START_TEST(test_html_a_tracker_logs_what_its_grid_said_of_the_intensity)
{
    char path[128], line[4096], want[64];
    const char *paths[1] = {path};
    llmc_tracker *t = NULL;
    llmc_runlog *log = NULL;
    llmc_grid *g = NULL;
    llmc_intensity ci;
    FILE *f;

    /* what const:300 says of itself */
    llmc_intensity_init(&ci, sizeof ci);
    ck_assert_status(llmc_grid_new(&g, "const:300"), LLMC_OK);
    ck_assert_status(llmc_grid_intensity_at(&ci, g, (int64_t)T0), LLMC_OK);
    snprintf(want, sizeof want, "\"intensity_kind\":\"%s\"",
             ci.is_forecast    ? "forecast"
             : ci.is_estimated ? "estimated"
                               : "measured");
    llmc_grid_free(g);

    path_in(path, sizeof path, "run.jsonl");
    snprintf(line, sizeof line,
             "meters=const:100W; grid=const:300; interval=100ms; log=%s",
             path);
    ck_assert_status(llmc_tracker_new(&t), LLMC_OK);
    ck_assert_status(llmc_tracker_configure(t, line), LLMC_OK);
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    sleep_ms(250);
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);
    llmc_tracker_free(t);
    ck_assert_ptr_nonnull(f = fopen(path, "r"));
    while (fgets(line, sizeof line, f))
        ck_assert_msg(strstr(line, want), "%s not in %s", want, line);
    fclose(f);

    ck_assert_status(llmc_runlog_read(&log, paths, 1, NULL, 0), LLMC_OK);
    ck_assert_uint_ge(llmc_runlog_sample_count(log), 2);
    for (size_t i = 0; i < llmc_runlog_sample_count(log); i++) {
        llmc_run_sample x;
        llmc_run_sample_init(&x, sizeof x);
        ck_assert_status(llmc_runlog_sample(&x, log, i), LLMC_OK);
        ck_assert_ptr_nonnull(x.intensity_kind);
        ck_assert_msg(strstr(want, x.intensity_kind), "%s", x.intensity_kind);
        ck_assert_str_eq(x.intensity_source, "const:300");
    }
    llmc_runlog_free(log);
}
END_TEST

START_TEST(test_html_the_reader_gives_each_samples_kind_old_logs_unknown)
{
    char a[128], b[128];
    const char *paths[2] = {a, b};
    static const char *const kinds[] = {"measured", "forecast", NULL,
                                        "filled", "estimated", "estimated"};
    llmc_runlog *log = NULL;
    struct {
        llmc_run_sample x;
        char guard[64];
    } old;

    write_two_logs(a, b, sizeof a);
    ck_assert_status(llmc_runlog_read(&log, paths, 2, NULL, 0), LLMC_OK);
    ck_assert_uint_eq(llmc_runlog_sample_count(log), 6);
    for (size_t i = 0; i < 6; i++) {
        llmc_run_sample x;
        llmc_run_sample_init(&x, sizeof x);
        ck_assert_status(llmc_runlog_sample(&x, log, i), LLMC_OK);
        if (kinds[i])
            ck_assert_str_eq(x.intensity_kind, kinds[i]);
        else
            ck_assert_ptr_null(x.intensity_kind);
    }
    /* the filled sample carries the fill's intensity */
    {
        llmc_run_sample x;
        llmc_run_sample_init(&x, sizeof x);
        ck_assert_status(llmc_runlog_sample(&x, log, 3), LLMC_OK);
        ck_assert_rel(x.intensity_gco2e_per_kwh, 200.0, 1e-12);
        ck_assert_msg(isnan(x.operational_kgco2e), "as logged: unpriced");
    }
    /* a caller built before the new fields: filled up to its size only */
    memset(&old, 0x5a, sizeof old);
    llmc_run_sample_init(&old.x,
                         offsetof(llmc_run_sample, intensity_kind));
    ck_assert_status(llmc_runlog_sample(&old.x, log, 0), LLMC_OK);
    ck_assert_rel(old.x.energy_j, 3.6e6, 1e-12);
    for (size_t k = offsetof(llmc_run_sample, intensity_kind);
         k < sizeof old.x; k++)
        ck_assert_int_eq(((unsigned char *)&old.x)[k], 0x5a);
    llmc_runlog_free(log);
}
END_TEST

START_TEST(test_html_the_page_is_whole_self_contained_and_says_the_figures)
{
    char a[128], b[128], buf[400];
    const char *paths[2] = {a, b};
    llmc_runlog *log = NULL, *lean = NULL;
    char *html = NULL, *json = NULL;

    write_two_logs(a, b, sizeof a);
    ck_assert_status(llmc_runlog_read(&log, paths, 2, NULL, 0), LLMC_OK);
    ck_assert_status(llmc_runlog_report_html(&html, log, 1), LLMC_EINVAL);
    ck_assert_ptr_null(html);
    ck_assert_status(llmc_runlog_report_html(NULL, log, 0), LLMC_EINVAL);
    ck_assert_status(llmc_runlog_report_html(&html, log, 0), LLMC_OK);
    ck_assert_ptr_nonnull(html);
    assert_self_contained(html);
    ck_assert_msg(strncmp(html, "<!DOCTYPE html>", 15) == 0, "a page");
    ck_assert_msg(strstr(html, "</html>\n"), "a whole page");

    /* 6 kWh, 0.3 kg x 5 + 0.2 filled, 0.06 embodied: as the text report
     * writes them */
    ck_assert_str_eq(figure(buf, sizeof buf, html, "energy_j"),
                     "21,600,000");
    ck_assert_str_eq(figure(buf, sizeof buf, html, "energy_kwh"), "6");
    ck_assert_str_eq(figure(buf, sizeof buf, html, "operational_kgco2e"),
                     "1.7");
    ck_assert_str_eq(figure(buf, sizeof buf, html, "embodied_kgco2e"),
                     "0.06");
    ck_assert_str_eq(figure(buf, sizeof buf, html, "total_kgco2e"), "1.76");
    ck_assert_str_eq(figure(buf, sizeof buf, html, "samples"), "6");
    ck_assert_str_eq(figure(buf, sizeof buf, html, "logs"), "2");
    ck_assert_str_eq(figure(buf, sizeof buf, html, "phase:eval:energy_j"),
                     "7,200,000");
    /* a phase whose sample a fill priced: unknown, with the reason */
    ck_assert_str_eq(
        figure(buf, sizeof buf, html, "phase:train:operational_kgco2e"),
        "unknown: ");
    ck_assert_str_eq(figure(buf, sizeof buf, html, "rank:node1:1:energy_j"),
                     "7,200,000");
    ck_assert_str_eq(figure(buf, sizeof buf, html, "node:node1:energy_j"),
                     "21,600,000");
    ck_assert_str_eq(
        figure(buf, sizeof buf, html, "window:warmup:node1:0:energy_j"),
        "7,200,000");

    /* the charts: one power series per rank's device, the intensity by
     * kind (measured, estimated, forecast, filled, not logged), the
     * cumulative CO2e operational and embodied */
    ck_assert_msg(strstr(html, "data-chart=\"power\" data-series-count=\"2\""),
                  "power series");
    ck_assert_msg(
        strstr(html, "data-chart=\"intensity\" data-series-count=\"5\""),
        "intensity series");
    ck_assert_msg(strstr(html, "data-chart=\"co2e\" data-series-count=\"2\""),
                  "CO2e series");
    ck_assert_msg(strstr(html, "data-series=\"filled\" data-points=\"1\""),
                  "the filled sample");
    ck_assert_msg(strstr(html, "data-series=\"node1 rank 0 gpu0\" "
                               "data-points=\"4\" data-samples=\"4\" "
                               "data-min=\"60000\" data-max=\"60000\""),
                  "rank 0's device: 1 kWh a minute, 60 kW");
    ck_assert_msg(strstr(html, "const:300"), "the source named");
    ck_assert_msg(strstr(html, "nvml-energy"), "the meter's method");
    ck_assert_msg(strstr(html, "Not drawn: the log records no plan "
                               "(target_tokens was not set)"),
                  "no plan in a log, said");
    llmc_free(html);

    /* the same figures as the JSON report */
    ck_assert_status(llmc_runlog_report_json(&json, log), LLMC_OK);
    ck_assert_msg(strstr(json, "\"energy_j\": 21600000"), "%s", json);
    llmc_free(json);

    /* read without samples: the files read again to draw the same charts
     * and windows (the filled intensity at the fill's own interval) */
    ck_assert_status(llmc_runlog_read_flags(&lean, paths, 2, NULL, 0,
                                            LLMC_RUNLOG_NO_SAMPLES),
                     LLMC_OK);
    ck_assert_status(llmc_runlog_report_html(&html, lean, 0), LLMC_OK);
    assert_self_contained(html);
    ck_assert_msg(strstr(html, "data-series=\"node1 rank 0 gpu0\" "
                               "data-points=\"4\" data-samples=\"4\" "
                               "data-min=\"60000\" data-max=\"60000\""),
                  "the samples, read again");
    ck_assert_msg(
        strstr(html, "data-chart=\"intensity\" data-series-count=\"5\""),
        "intensity series");
    ck_assert_msg(strstr(html, "data-series=\"filled\" data-points=\"1\""),
                  "the fill");
    ck_assert_str_eq(
        figure(buf, sizeof buf, html, "window:warmup:node1:0:energy_j"),
        "7,200,000");
    ck_assert_str_eq(figure(buf, sizeof buf, html, "energy_j"),
                     "21,600,000");
    llmc_free(html);
    /* a log that changed since: its figures as read, and no chart */
    {
        FILE *f = fopen(b, "a");
        ck_assert_ptr_nonnull(f);
        sample(f, 1, T0 + 180, "eval", "250.0", "\"estimated\"");
        fclose(f);
    }
    ck_assert_status(llmc_runlog_report_html(&html, lean, 0), LLMC_OK);
    ck_assert_uint_eq(count_of(html, "<polyline"), 0);
    ck_assert_msg(strstr(html, "the logs changed after they were read"),
                  "says why");
    ck_assert_str_eq(figure(buf, sizeof buf, html, "energy_j"),
                     "21,600,000");
    llmc_free(html);
    /* and one removed */
    ck_assert_int_eq(unlink(b), 0);
    ck_assert_status(llmc_runlog_report_html(&html, lean, 0), LLMC_OK);
    ck_assert_uint_eq(count_of(html, "<polyline"), 0);
    ck_assert_msg(strstr(html, "could not be read again"), "says why");
    llmc_free(html);
    llmc_runlog_free(lean);
    llmc_runlog_free(log);
}
END_TEST

START_TEST(test_html_a_tracker_draws_its_log_or_says_it_keeps_none)
{
    char path[128], config[300];
    llmc_tracker *t = NULL;
    char *html = (char *)1;

    /* no log: nothing to draw, and a status that says so */
    ck_assert_status(llmc_tracker_new(&t), LLMC_OK);
    ck_assert_status(llmc_tracker_configure(
                         t, "meters=const:100W; grid=const:300; "
                            "interval=100ms"),
                     LLMC_OK);
    ck_assert_status(llmc_tracker_report_html(&html, t), LLMC_ESTATE);
    ck_assert_ptr_null(html);
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    ck_assert_status(llmc_tracker_report_html(&html, t), LLMC_ENODATA);
    ck_assert_error_mentions("log=FILE");
    ck_assert_ptr_null(html);
    llmc_tracker_free(t);

    snprintf(config, sizeof config,
             "meters=const:100W; grid=const:300; interval=100ms; "
             "target_tokens=1000000; log=%s",
             path_in(path, sizeof path, "tracked.jsonl"));
    ck_assert_status(llmc_tracker_new(&t), LLMC_OK);
    ck_assert_status(llmc_tracker_configure(t, config), LLMC_OK);
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    llmc_tracker_step(t, 1000);
    sleep_ms(250);
    /* while it runs: what it has sampled so far */
    ck_assert_status(llmc_tracker_report_html(&html, t), LLMC_OK);
    assert_self_contained(html);
    ck_assert_msg(strstr(html, "data-figure=\"projection:target_tokens\">"
                               "1,000,000<"),
                  "the plan");
    ck_assert_msg(strstr(html, "data-series=\"") != NULL, "a series");
    llmc_free(html);
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);
    ck_assert_status(llmc_tracker_report_html(&html, t), LLMC_OK);
    ck_assert_msg(strstr(html, "data-series=\"") != NULL, "a series");
    /* stopped, the log is read without its samples and again to draw:
     * the page is that of the log read by report --html, the plan aside */
    {
        const char *paths[1] = {path};
        llmc_runlog *log = NULL;
        char *page = NULL;
        const char *a, *b;
        ck_assert_status(llmc_runlog_read(&log, paths, 1, NULL, 0), LLMC_OK);
        ck_assert_status(llmc_runlog_report_html(&page, log, 0), LLMC_OK);
        a = strstr(html, "<h2>Power per device</h2>");
        b = strstr(page, "<h2>Power per device</h2>");
        ck_assert_ptr_nonnull(a);
        ck_assert_ptr_nonnull(b);
        ck_assert_int_eq(strncmp(a, b, (size_t)(strstr(b, "<h2>By window") ?
                                                strstr(b, "<h2>By window") - b
                                              : 2000)), 0);
        llmc_free(page);
        llmc_runlog_free(log);
    }
    llmc_free(html);
    llmc_tracker_free(t);
}
END_TEST

/* A log that lost lines (a full disk) undercounts: the page is refused
 * with the status the stop gives, never drawn from what reached it. */
START_TEST(test_html_a_log_that_lost_lines_is_refused)
{
    llmc_tracker *t = NULL;
    char *html = (char *)1;

    ck_assert_status(llmc_tracker_new(&t), LLMC_OK);
    ck_assert_status(llmc_tracker_configure(
                         t, "meters=const:100W; grid=const:300; "
                            "interval=100ms; log=/dev/full"),
                     LLMC_OK);
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    llmc_tracker_step(t, 100);
    sleep_ms(350);
    ck_assert_status(llmc_tracker_report_html(&html, t), LLMC_EIO);
    ck_assert_error_mentions("could not be written");
    ck_assert_ptr_null(html);
    ck_assert_status(llmc_tracker_stop(t), LLMC_EIO);
    ck_assert_status(llmc_tracker_report_html(&html, t), LLMC_EIO);
    ck_assert_ptr_null(html);
    llmc_tracker_free(t);
}
END_TEST

/* Of the first n lines of the log at path: their bytes. */
static long long bytes_of_lines(const char *path, int n)
{
    FILE *f = fopen(path, "r");
    long long bytes = 0;
    int c;
    ck_assert_ptr_nonnull(f);
    while (n > 0 && (c = fgetc(f)) != EOF) {
        bytes++;
        n -= c == '\n';
    }
    fclose(f);
    return bytes;
}

/* A log of 3 samples: a bounded reading counts the lines that end with
 * their newline within the bound, never one cut by it. */
START_TEST(test_html_a_bounded_reading_stops_at_its_bound)
{
    char path[128];
    const char *paths[1] = {path};
    long long two, all;
    struct {
        long long bound;
        uint64_t samples;
    } cases[6];
    FILE *f;

    ck_assert_ptr_nonnull(f = fopen(path_in(path, sizeof path, "three.jsonl"),
                                    "w"));
    sample(f, 0, T0 + 60, "train", "300.0", "\"measured\"");
    sample(f, 0, T0 + 120, "train", "300.0", "\"measured\"");
    sample(f, 0, T0 + 180, "train", "300.0", "\"measured\"");
    fclose(f);
    two = bytes_of_lines(path, 2);
    all = bytes_of_lines(path, 3);
    cases[0].bound = -1, cases[0].samples = 3;
    cases[1].bound = all, cases[1].samples = 3;
    /* the last line without its newline: being written */
    cases[2].bound = all - 1, cases[2].samples = 2;
    cases[3].bound = two + 10, cases[3].samples = 2;
    cases[4].bound = two, cases[4].samples = 2;
    cases[5].bound = two - 1, cases[5].samples = 1;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        llmc_runlog *log = NULL, *again = NULL;
        llmc_run_totals o;
        const char *const *kept;
        double pue;
        ck_assert_status(llmc__runlog_read_upto(&log, paths, &cases[i].bound,
                                                1, NULL, 0,
                                                LLMC_RUNLOG_NO_SAMPLES),
                         LLMC_OK);
        llmc_run_totals_init(&o, sizeof o);
        ck_assert_status(llmc_runlog_totals(&o, log, NULL), LLMC_OK);
        ck_assert_msg(o.samples == cases[i].samples,
                      "bound %lld: %llu samples, not %llu", cases[i].bound,
                      (unsigned long long)o.samples,
                      (unsigned long long)cases[i].samples);
        ck_assert_rel(o.energy_j, 3600000.0 * (double)cases[i].samples,
                      1e-12);
        ck_assert_uint_eq(llmc_runlog_sample_count(log), 0);
        ck_assert_str_eq(llmc_runlog_warnings(log), "");
        /* the bound is kept for the reading again */
        ck_assert_uint_eq(llmc__runlog_paths(&kept, &pue, log), 1);
        ck_assert_ptr_nonnull(llmc__runlog_limits(log));
        ck_assert_int_eq(llmc__runlog_limits(log)[0], cases[i].bound);
        ck_assert_status(llmc__runlog_read_each_upto(
                             &again, kept, llmc__runlog_limits(log), 1, pue,
                             NULL, NULL),
                         LLMC_OK);
        llmc_run_totals_init(&o, sizeof o);
        ck_assert_status(llmc_runlog_totals(&o, again, NULL), LLMC_OK);
        ck_assert_uint_eq(o.samples, cases[i].samples);
        llmc_runlog_free(again);
        llmc_runlog_free(log);
    }
    /* unbounded, nothing is kept for the reading again */
    {
        llmc_runlog *log = NULL;
        ck_assert_status(llmc_runlog_read_flags(&log, paths, 1, NULL, 0,
                                                LLMC_RUNLOG_NO_SAMPLES),
                         LLMC_OK);
        ck_assert_ptr_null(llmc__runlog_limits(log));
        llmc_runlog_free(log);
    }
}
END_TEST

static int appended;

/* Between the two readings of a running tracker's log: three more
 * samples, copies of its last at the next times, as its sampler would
 * have written them meanwhile. */
static void append_three(const char *path)
{
    char line[8192], last[8192] = "";
    json_error_t err;
    json_t *j;
    double t;
    FILE *f = fopen(path, "r");

    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof line, f))
        if (!strstr(line, "\"type\""))
            snprintf(last, sizeof last, "%s", line);
    fclose(f);
    ck_assert_ptr_nonnull(j = json_loads(last, 0, &err));
    t = json_number_value(json_object_get(j, "time_unix_s"));
    ck_assert_ptr_nonnull(f = fopen(path, "a"));
    for (int i = 1; i <= 3; i++) {
        char *text;
        json_object_set_new(j, "time_unix_s", json_real(t + 0.1 * i));
        ck_assert_ptr_nonnull(text = json_dumps(j, JSON_COMPACT));
        fprintf(f, "%s\n", text);
        free(text);
    }
    fclose(f);
    json_decref(j);
    appended++;
}

/* The samples of the log at path, read whole. */
static uint64_t samples_in(const char *path)
{
    const char *paths[1] = {path};
    llmc_runlog *log = NULL;
    llmc_run_totals o;
    ck_assert_status(llmc_runlog_read_flags(&log, paths, 1, NULL, 0,
                                            LLMC_RUNLOG_NO_SAMPLES),
                     LLMC_OK);
    llmc_run_totals_init(&o, sizeof o);
    ck_assert_status(llmc_runlog_totals(&o, log, NULL), LLMC_OK);
    llmc_runlog_free(log);
    return o.samples;
}

START_TEST(test_html_a_running_tracker_draws_what_it_counts_keeping_none)
{
    char path[128], config[300], want[64], buf[64];
    llmc_tracker *t = NULL;
    char *html = NULL;
    uint64_t before;
    size_t drawn = 0;

    /* manual time: the sampler writes only when the test lets time pass */
    llmc__clock_manual((int64_t)time(NULL) * 1000000000);
    snprintf(config, sizeof config,
             "meters=const:100W; grid=const:300; interval=100ms; log=%s",
             path_in(path, sizeof path, "running.jsonl"));
    ck_assert_status(llmc_tracker_new(&t), LLMC_OK);
    ck_assert_status(llmc_tracker_configure(t, config), LLMC_OK);
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    for (int i = 0; i < 500; i++)
        llmc__clock_advance_ns(1000000);
    llmc__html_between_readings = append_three;
    llmc__html_samples_kept = 12345;
    appended = 0;
    ck_assert_status(llmc_tracker_report_html(&html, t), LLMC_OK);
    llmc__html_between_readings = NULL;
    ck_assert_int_eq(appended, 1);
    /* the log grew between the readings; the page counts and draws the
     * samples it held when the call began */
    before = samples_in(path) - 3;
    ck_assert_uint_ge(before, 4);
    ck_assert_uint_eq(llmc__html_samples_kept, 0);
    snprintf(want, sizeof want, "%llu", (unsigned long long)before);
    ck_assert_str_eq(figure(buf, sizeof buf, html, "samples"), want);
    ck_assert_msg(!strstr(html, "changed after they were read") &&
                      !strstr(html, "could not be read again"),
                  "the charts drawn");
    snprintf(want, sizeof want, "data-samples=\"%llu\"",
             (unsigned long long)before);
    for (const char *p = html; (p = strstr(p, "data-samples=\"")) != NULL;
         p++) {
        ck_assert_msg(strncmp(p, want, strlen(want)) == 0, "%.40s, not %s", p,
                      want);
        drawn++;
    }
    ck_assert_uint_ge(drawn, 1);
    llmc_free(html);
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);
    llmc_tracker_free(t);
    llmc__clock_real();
}
END_TEST

/* `cmd` through the shell: its exit status. */
static int shell(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(test_html_the_command_line_writes_the_page_whole_or_not_at_all)
{
    char a[128], b[128], page[128], dir[128], cmd[1200], out[128];
    const char *cli = getenv("LLMC_CLI");
    FILE *f;
    char head[16] = "";

    ck_assert_ptr_nonnull(cli);
    write_two_logs(a, b, sizeof a);
    path_in(page, sizeof page, "run.html");
    path_in(out, sizeof out, "out.txt");
    snprintf(cmd, sizeof cmd, "'%s' report '%s' '%s' --html '%s' > '%s'",
             cli, a, b, page, out);
    ck_assert_int_eq(shell(cmd), 0);
    ck_assert_ptr_nonnull(f = fopen(page, "r"));
    ck_assert_uint_eq(fread(head, 1, 15, f), 15);
    fclose(f);
    ck_assert_str_eq(head, "<!DOCTYPE html>");
    /* the text report on stdout as ever */
    snprintf(cmd, sizeof cmd,
             "grep -q '^  energy  *21,600,000 J = 6 kWh$' '%s'", out);
    ck_assert_int_eq(shell(cmd), 0);

    /* a FILE that cannot be replaced (a directory): exit 1 with the
     * reason, the directory as it was, no temporary file left */
    path_in(dir, sizeof dir, "adir");
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    snprintf(cmd, sizeof cmd,
             "'%s' report '%s' --html '%s' >/dev/null 2>'%s'", cli, a, dir,
             out);
    ck_assert_int_eq(shell(cmd), 1);
    snprintf(cmd, sizeof cmd, "grep -q 'was left as it was' '%s'", out);
    ck_assert_int_eq(shell(cmd), 0);
    snprintf(cmd, sizeof cmd, "test -d '%s' && ! ls '%s'/*.tmp.* "
                              ">/dev/null 2>&1", dir, scratch);
    ck_assert_int_eq(shell(cmd), 0);
    /* a directory that does not exist */
    snprintf(cmd, sizeof cmd,
             "'%s' report '%s' --html '%s/no/such.html' >/dev/null 2>'%s'",
             cli, a, scratch, out);
    ck_assert_int_eq(shell(cmd), 1);
    snprintf(cmd, sizeof cmd, "grep -q 'No such file or directory; the "
                              "file was left as it was' '%s'", out);
    ck_assert_int_eq(shell(cmd), 0);
    /* a symbolic link: its target replaced, the link kept */
    snprintf(cmd, sizeof cmd,
             "cd '%s' && echo old > target.html && ln -s target.html "
             "link.html && '%s' report '%s' --html link.html >/dev/null && "
             "test -L link.html && grep -q '^<!DOCTYPE html>' target.html",
             scratch, cli, a);
    ck_assert_int_eq(shell(cmd), 0);
    /* a pipe is written into, not replaced */
    snprintf(cmd, sizeof cmd,
             "cd '%s' && mkfifo page.fifo && { cat page.fifo > piped.html & "
             "'%s' report '%s' --html page.fifo >/dev/null; wait; } && "
             "test -p page.fifo && grep -q '^<!DOCTYPE html>' piped.html",
             scratch, cli, a);
    ck_assert_int_eq(shell(cmd), 0);
}
END_TEST

/* ---- a 30-day log at 1 s ------------------------------------------------ */

#define DAY_S 86400
#define LONG_N (30 * DAY_S)
#define BASE_W 400.0
#define SPIKE_AT 1234567

START_TEST(test_html_a_30_day_log_stays_under_2_mb_and_keeps_its_spike)
{
    char path[128], want[64];
    const char *paths[1] = {path};
    llmc_runlog *log = NULL;
    char *html = NULL;
    struct timespec t0, t1, t2;
    FILE *f;

    ck_assert_ptr_nonnull(f = fopen(path_in(path, sizeof path, "30d.jsonl"),
                                    "w"));
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    for (long i = 0; i < LONG_N; i++) {
        /* a base of 400 W with a slow ripple, and one sample at 10x */
        double w = i == SPIKE_AT ? 10 * BASE_W
                                 : BASE_W + (double)(i % 600) / 10.0;
        fprintf(f,
                "{\"time_unix_s\":%ld.0,\"interval_s\":1.0,\"host\":\"n1\","
                "\"rank\":0,\"pid\":7,\"phase\":\"%s\",\"energy_j\":%g,"
                "\"meters\":[{\"name\":\"gpu0\",\"method\":\"nvml-energy\","
                "\"energy_j\":%g}],\"intensity_gco2e_per_kwh\":300.0,"
                "\"intensity_source\":\"const:300\",\"intensity_kind\":"
                "\"measured\",\"pue\":1.0,\"operational_kgco2e\":%.9g,"
                "\"embodied_kgco2e\":null}\n",
                1796400001L + i, i % 3600 < 3000 ? "train" : "eval", w, w,
                w / 3.6e6 * 0.3);
    }
    ck_assert_int_eq(fclose(f), 0);
    /* as report --html reads it: no sample kept, the file read again to
     * draw it */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_status(llmc_runlog_read_flags(&log, paths, 1, NULL, 0,
                                            LLMC_RUNLOG_NO_SAMPLES),
                     LLMC_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert_status(llmc_runlog_report_html(&html, log, 0), LLMC_OK);
    clock_gettime(CLOCK_MONOTONIC, &t2);
    fprintf(stderr,
            "30-day log: %d samples, read in %.1f s, read again and drawn "
            "in %.1f s, "
            "page %zu bytes\n",
            LONG_N,
            (double)(t1.tv_sec - t0.tv_sec) +
                (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
            (double)(t2.tv_sec - t1.tv_sec) +
                (double)(t2.tv_nsec - t1.tv_nsec) / 1e9,
            strlen(html));
    ck_assert_uint_lt(strlen(html), 2u << 20);
    assert_self_contained(html);
    /* the spike is the series' highest, in the page's data, and the page
     * says how the samples were bucketed */
    snprintf(want, sizeof want, "data-max=\"%.12g\"", 10 * BASE_W);
    ck_assert_msg(strstr(html, want), "%s not in the page", want);
    ck_assert_msg(strstr(html, "data-samples=\"2592000\""), "samples");
    ck_assert_msg(strstr(html, "2,592,000 samples -&gt; 1,000 buckets"),
                  "the downsampling, said");
    llmc_free(html);
    llmc_runlog_free(log);
}
END_TEST

static void setup(void)
{
    scratch_make(scratch, sizeof scratch, "html");
}

static void teardown(void)
{
    scratch_remove(scratch);
}

int main(void)
{
    Suite *s = suite_create("report_html");
    TCase *tc = tcase_create("html"), *tl = tcase_create("long");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc,
                   test_html_a_tracker_logs_what_its_grid_said_of_the_intensity);
    tcase_add_test(tc,
                   test_html_the_reader_gives_each_samples_kind_old_logs_unknown);
    tcase_add_test(
        tc, test_html_the_page_is_whole_self_contained_and_says_the_figures);
    tcase_add_test(tc,
                   test_html_a_tracker_draws_its_log_or_says_it_keeps_none);
    tcase_add_test(tc, test_html_a_bounded_reading_stops_at_its_bound);
    tcase_add_test(tc, test_html_a_log_that_lost_lines_is_refused);
    tcase_add_test(
        tc, test_html_a_running_tracker_draws_what_it_counts_keeping_none);
    tcase_add_test(
        tc, test_html_the_command_line_writes_the_page_whole_or_not_at_all);
    suite_add_tcase(s, tc);
    tcase_add_checked_fixture(tl, setup, teardown);
    tcase_set_timeout(tl, 600);
    tcase_add_test(tl,
                   test_html_a_30_day_log_stays_under_2_mb_and_keeps_its_spike);
    suite_add_tcase(s, tl);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
