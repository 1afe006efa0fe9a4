/*
 * test_metrics.c - a tracker's figures as Prometheus text 0.0.4 and
 * OpenMetrics 1.0: each sample against the totals and channels the
 * tracker gives (a constant meter of known power, a constant grid, steps
 * and tokens in two phases), the labels of the process, escaping, and
 * unknown figures left out rather than written as 0.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

static char scratch[256];

static void make_scratch(void)
{
    scratch_make(scratch, sizeof scratch, "metrics");
}

static void remove_scratch(void)
{
    scratch_remove(scratch);
}

static llmc_tracker *tracker_with(const char *config)
{
    llmc_tracker *t = NULL;
    ck_assert_status(llmc_tracker_new(&t), LLMC_OK);
    ck_assert_status(llmc_tracker_configure(t, config), LLMC_OK);
    return t;
}

static char *metrics(llmc_tracker *t, unsigned flags)
{
    char *text = NULL;
    ck_assert_status(llmc_tracker_metrics_text(&text, t, flags), LLMC_OK);
    ck_assert_ptr_nonnull(text);
    return text;
}

#define ck_assert_has(text, line)                                             \
    ck_assert_msg(strstr((text), (line)) != NULL, "'%s' not in:\n%s", (line), \
                  (text))
#define ck_assert_lacks(text, part)                                           \
    ck_assert_msg(strstr((text), (part)) == NULL, "'%s' in:\n%s", (part),     \
                  (text))

static size_t count_of(const char *text, const char *part)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, part)) != NULL; p++)
        n++;
    return n;
}

/* The labels every sample starts with: node, rank, job_id. */
static void run_labels(char *buf, size_t size)
{
    char host[128] = "";
    gethostname(host, sizeof host - 1);
    snprintf(buf, size, "node=\"%s\",rank=\"3\",job_id=\"77\"", host);
}

START_TEST(test_metrics_const_meter_exact_in_both_formats)
{
    llmc_tracker *t;
    llmc_totals o, train, eval;
    llmc_channel ch;
    char *prom, *om, want[512], labels[200];

    make_scratch();
    setenv("RANK", "3", 1);
    setenv("SLURM_JOB_ID", "77", 1);
    run_labels(labels, sizeof labels);
    t = tracker_with("meters=const:250W; grid=const:400g/kWh; "
                     "interval=100ms; pue=1.5");
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    for (int i = 0; i < 3; i++)
        llmc_tracker_step(t, 1000);
    sleep_ms(250);
    ck_assert_status(llmc_tracker_phase(t, "eval"), LLMC_OK);
    llmc_tracker_step(t, 7);
    llmc_tracker_step(t, 8);
    sleep_ms(150);
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);

    llmc_totals_init(&o, sizeof o);
    llmc_totals_init(&train, sizeof train);
    llmc_totals_init(&eval, sizeof eval);
    ck_assert_status(llmc_tracker_totals(&o, t, NULL), LLMC_OK);
    ck_assert_status(llmc_tracker_totals(&train, t, "train"), LLMC_OK);
    ck_assert_status(llmc_tracker_totals(&eval, t, "eval"), LLMC_OK);
    llmc_channel_init(&ch, sizeof ch);
    ck_assert_status(llmc_tracker_channel(&ch, t, 0), LLMC_OK);
    /* the figures are the tracker's own: 250 W over the run */
    ck_assert_double_eq_tol(ch.energy_j, 250.0 * o.duration_s, 250.0 * 2e-3);
    ck_assert_double_eq(ch.power_w, 250.0);

    prom = metrics(t, 0);
    snprintf(want, sizeof want,
             "\nllmcarbon_energy_joules_total{%s,channel=\"const\","
             "device=\"250 W\",method=\"const\"} %.17g\n",
             labels, ch.energy_j);
    ck_assert_has(prom, want);
    snprintf(want, sizeof want,
             "\nllmcarbon_power_watts{%s,channel=\"const\",device=\"250 W\","
             "method=\"const\"} 250\n",
             labels);
    ck_assert_has(prom, want);
    snprintf(want, sizeof want,
             "\nllmcarbon_co2e_grams_total{%s,kind=\"operational\"} "
             "%.17g\n",
             labels, o.operational_kgco2e * 1000.0);
    ck_assert_has(prom, want);
    ck_assert_rel(o.operational_kgco2e, ch.energy_j / 3.6e6 * 1.5 * 0.4,
                  1e-12);
    snprintf(want, sizeof want,
             "\nllmcarbon_grid_intensity_grams_per_kilowatt_hour{%s,"
             "source=\"const\",zone=\"\"} 400\n",
             labels);
    ck_assert_has(prom, want);
    snprintf(want, sizeof want,
             "\nllmcarbon_steps_total{%s,phase=\"train\"} 3\n"
             "llmcarbon_steps_total{%s,phase=\"eval\"} 2\n",
             labels, labels);
    ck_assert_has(prom, want);
    snprintf(want, sizeof want,
             "\nllmcarbon_tokens_total{%s,phase=\"train\"} 3000\n"
             "llmcarbon_tokens_total{%s,phase=\"eval\"} 15\n",
             labels, labels);
    ck_assert_has(prom, want);
    ck_assert_uint_eq(train.tokens, 3000);
    ck_assert_uint_eq(eval.steps, 2);
    /* no hardware: embodied carbon is not counted, so not written */
    ck_assert_lacks(prom, "kind=\"embodied\"");
    /* 0.0.4: families named as their samples, no UNIT, no EOF */
    ck_assert(strncmp(prom, "# HELP llmcarbon_energy_joules_total ", 37) == 0);
    ck_assert_has(prom, "\n# TYPE llmcarbon_energy_joules_total counter\n");
    ck_assert_has(prom, "\n# TYPE llmcarbon_co2e_grams_total counter\n");
    ck_assert_has(prom, "\n# TYPE llmcarbon_power_watts gauge\n");
    ck_assert_has(prom, "\n# TYPE llmcarbon_grid_intensity_grams_per_"
                        "kilowatt_hour gauge\n");
    ck_assert_has(prom, "\n# TYPE llmcarbon_steps_total counter\n");
    ck_assert_has(prom, "\n# TYPE llmcarbon_tokens_total counter\n");
    ck_assert_uint_eq(count_of(prom, "# HELP "), 6);
    ck_assert_uint_eq(count_of(prom, "# TYPE "), 6);
    ck_assert_lacks(prom, "# UNIT");
    ck_assert_lacks(prom, "# EOF");
    ck_assert(prom[strlen(prom) - 1] == '\n');

    /* OpenMetrics: the same samples; a counter's family without _total */
    om = metrics(t, LLMC_METRICS_OPENMETRICS);
    ck_assert_has(om, "# TYPE llmcarbon_energy_joules counter\n"
                      "# UNIT llmcarbon_energy_joules joules\n");
    ck_assert_has(om, "# TYPE llmcarbon_co2e_grams counter\n"
                      "# UNIT llmcarbon_co2e_grams grams\n");
    ck_assert_has(om, "# TYPE llmcarbon_power_watts gauge\n"
                      "# UNIT llmcarbon_power_watts watts\n");
    ck_assert_has(om, "# TYPE llmcarbon_grid_intensity_grams_per_kilowatt_"
                      "hour gauge\n# UNIT llmcarbon_grid_intensity_grams_"
                      "per_kilowatt_hour grams_per_kilowatt_hour\n");
    ck_assert_has(om, "# TYPE llmcarbon_steps counter\n"
                      "# UNIT llmcarbon_steps steps\n");
    ck_assert_has(om, "# TYPE llmcarbon_tokens counter\n"
                      "# UNIT llmcarbon_tokens tokens\n");
    ck_assert_uint_eq(count_of(om, "# HELP "), 6);
    ck_assert_uint_eq(count_of(om, "# UNIT "), 6);
    snprintf(want, sizeof want,
             "\nllmcarbon_energy_joules_total{%s,channel=\"const\","
             "device=\"250 W\",method=\"const\"} %.17g\n",
             labels, ch.energy_j);
    ck_assert_has(om, want);
    snprintf(want, sizeof want,
             "\nllmcarbon_tokens_total{%s,phase=\"eval\"} 15\n# EOF\n",
             labels);
    ck_assert_has(om, want);
    ck_assert_str_eq(om + strlen(om) - 6, "# EOF\n");
    ck_assert_uint_eq(count_of(om, "# EOF"), 1);

    /* without steps: the same families less steps and tokens */
    llmc_free(om);
    om = metrics(t, LLMC_METRICS_NO_STEPS | LLMC_METRICS_OPENMETRICS);
    ck_assert_lacks(om, "steps");
    ck_assert_lacks(om, "tokens");
    ck_assert_uint_eq(count_of(om, "# HELP "), 4);
    ck_assert_str_eq(om + strlen(om) - 6, "# EOF\n");

    llmc_free(prom);
    llmc_free(om);
    llmc_tracker_free(t);
    unsetenv("RANK");
    unsetenv("SLURM_JOB_ID");
    remove_scratch();
}
END_TEST

/* While the tracker runs, steps since the last sample count already, as
 * in llmc_tracker_totals. */
START_TEST(test_metrics_live_steps_before_a_sample)
{
    llmc_tracker *t;
    char *text;

    make_scratch();
    t = tracker_with("meters=const:10W; grid=const:1; interval=1h");
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    for (int i = 0; i < 5; i++)
        llmc_tracker_step(t, 2);
    text = metrics(t, 0);
    ck_assert_msg(strstr(text, ",phase=\"train\"} 5\n") != NULL, "%s", text);
    ck_assert_msg(strstr(text, ",phase=\"train\"} 10\n") != NULL, "%s", text);
    llmc_free(text);
    llmc_tracker_free(t);
    remove_scratch();
}
END_TEST

START_TEST(test_metrics_label_values_are_escaped)
{
    llmc_tracker *t;
    char *prom, *om;

    make_scratch();
    /* a job id with a quote, a backslash and a line feed; a phase name
     * that is not UTF-8 */
    setenv("SLURM_JOB_ID", "a\"b\\c\nd", 1);
    unsetenv("RANK");
    t = tracker_with("meters=const:10W; grid=const:1; interval=1h");
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    ck_assert_status(llmc_tracker_phase(t, "ev\"al\\x"), LLMC_OK);
    llmc_tracker_step(t, 1);
    ck_assert_status(llmc_tracker_phase(t, "bad\xff\xc3x\xe2\x82\xac"),
                     LLMC_OK);
    llmc_tracker_step(t, 1);
    prom = metrics(t, 0);
    om = metrics(t, LLMC_METRICS_OPENMETRICS);
    ck_assert_has(prom, ",job_id=\"a\\\"b\\\\c\\nd\",");
    ck_assert_has(prom, ",phase=\"ev\\\"al\\\\x\"} 1\n");
    /* the bad bytes become '?'; the euro sign, valid UTF-8, stays */
    ck_assert_has(prom, ",phase=\"bad??x\xe2\x82\xac\"} 1\n");
    ck_assert_has(om, ",job_id=\"a\\\"b\\\\c\\nd\",");
    ck_assert_has(om, ",phase=\"ev\\\"al\\\\x\"} 1\n");
    /* no rank given: the label is left out, not written empty */
    ck_assert_lacks(prom, "rank=");
    llmc_free(prom);
    llmc_free(om);
    llmc_tracker_free(t);
    unsetenv("SLURM_JOB_ID");
    remove_scratch();
}
END_TEST

/* Nothing measured: no energy, power or CO2e sample, never a 0; the
 * families stay declared. */
START_TEST(test_metrics_unknown_figures_are_left_out_not_zero)
{
    llmc_tracker *t;
    char *text;
    llmc_totals o;

    make_scratch();
    setenv("LLMC_SYSFS_ROOT", scratch, 1); /* no powercap, no GPUs */
    setenv("LLMC_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1", 1);
    t = tracker_with("meters=auto; grid=const:300; interval=100ms; "
                     "fallback=none");
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    llmc_tracker_step(t, 4);
    sleep_ms(150);
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);
    llmc_totals_init(&o, sizeof o);
    ck_assert_status(llmc_tracker_totals(&o, t, NULL), LLMC_OK);
    ck_assert(isnan(o.energy_j));
    ck_assert(isnan(o.operational_kgco2e));
    text = metrics(t, 0);
    ck_assert_has(text, "# TYPE llmcarbon_energy_joules_total counter\n");
    ck_assert_lacks(text, "llmcarbon_energy_joules_total{");
    ck_assert_lacks(text, "llmcarbon_power_watts{");
    ck_assert_lacks(text, "llmcarbon_co2e_grams_total{");
    /* what is known is still written */
    ck_assert_has(text, ",phase=\"train\"} 4\n");
    ck_assert_has(text, ",source=\"const\",zone=\"\"} 300\n");
    llmc_free(text);
    llmc_tracker_free(t);
    unsetenv("LLMC_SYSFS_ROOT");
    remove_scratch();
}
END_TEST

/* Embodied carbon counted: its series, equal to the totals' figure; two
 * channels of one name stay two series. */
START_TEST(test_metrics_embodied_and_two_channels_of_one_name)
{
    llmc_tracker *t;
    char *text, want[256];
    llmc_totals o;
    llmc_channel a, b;

    make_scratch();
    t = tracker_with("meters=const:100W+const:50W; grid=FR; interval=100ms; "
                     "hardware=NVIDIA H100 SXM5 80GB; devices=8");
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    sleep_ms(250);
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);
    llmc_totals_init(&o, sizeof o);
    ck_assert_status(llmc_tracker_totals(&o, t, NULL), LLMC_OK);
    llmc_channel_init(&a, sizeof a);
    ck_assert_status(llmc_tracker_channel(&a, t, 0), LLMC_OK);
    text = metrics(t, 0);
    snprintf(want, sizeof want, ",kind=\"embodied\"} %.17g\n",
             o.embodied_kgco2e * 1000.0);
    ck_assert_has(text, want);
    ck_assert_double_gt(o.embodied_kgco2e, 0);
    snprintf(want, sizeof want,
             ",channel=\"const\",device=\"100 W\",method=\"const\"} %.17g\n",
             a.energy_j);
    ck_assert_has(text, want);
    llmc_channel_init(&b, sizeof b);
    ck_assert_status(llmc_tracker_channel(&b, t, 1), LLMC_OK);
    snprintf(want, sizeof want,
             ",channel=\"const#2\",device=\"50 W\",method=\"const\"} %.17g\n",
             b.energy_j);
    ck_assert_has(text, want);
    ck_assert_has(text, ",channel=\"const#2\",device=\"50 W\","
                        "method=\"const\"} 50\n");
    ck_assert_has(text, ",source=");
    llmc_free(text);
    llmc_tracker_free(t);
    remove_scratch();
}
END_TEST

START_TEST(test_metrics_errors)
{
    llmc_tracker *t;
    char *text = (char *)"untouched";

    make_scratch();
    t = tracker_with("meters=const:10W; grid=const:1");
    ck_assert_status(llmc_tracker_metrics_text(NULL, t, 0), LLMC_EINVAL);
    ck_assert_status(llmc_tracker_metrics_text(&text, NULL, 0), LLMC_EINVAL);
    ck_assert_status(llmc_tracker_metrics_text(&text, t, 0), LLMC_ESTATE);
    ck_assert_ptr_null(text);
    ck_assert_error_mentions("not started");
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    ck_assert_status(llmc_tracker_metrics_text(&text, t, 0x4), LLMC_EINVAL);
    ck_assert_error_mentions("LLMC_METRICS_OPENMETRICS");
    ck_assert_ptr_null(text);
    llmc_tracker_free(t);
    remove_scratch();
}
END_TEST

static Suite *metrics_suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("text");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_metrics_const_meter_exact_in_both_formats);
    tcase_add_test(tc, test_metrics_live_steps_before_a_sample);
    tcase_add_test(tc, test_metrics_label_values_are_escaped);
    tcase_add_test(tc, test_metrics_unknown_figures_are_left_out_not_zero);
    tcase_add_test(tc, test_metrics_embodied_and_two_channels_of_one_name);
    tcase_add_test(tc, test_metrics_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(metrics_suite());
    int failed;
    setenv("LLMC_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1", 1);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
