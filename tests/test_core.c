/*
 * test_core.c - status codes and messages, thread-local errors, versions,
 * the quantity parser, and the accounting core.
 */
#include <check.h>
#include <ctype.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "llmcarbon.h"
#include "testutil.h"

/* values computed the same way agree to the last digits */
#define ck_assert_same(a, b) ck_assert_rel((a), (b), 1e-12)

/* ---- status codes ---------------------------------------------------- */

START_TEST(test_status_codes_have_fixed_values)
{
    /* These numbers are ABI: they may never change. */
    ck_assert_int_eq(LLMC_OK, 0);
    ck_assert_int_eq(LLMC_EINVAL, -1);
    ck_assert_int_eq(LLMC_ENOMEM, -2);
    ck_assert_int_eq(LLMC_EPARSE, -3);
    ck_assert_int_eq(LLMC_EUNIT, -4);
    ck_assert_int_eq(LLMC_ERANGE, -5);
    ck_assert_int_eq(LLMC_ENOTFOUND, -6);
    ck_assert_int_eq(LLMC_EAMBIGUOUS, -7);
    ck_assert_int_eq(LLMC_ENODATA, -8);
    ck_assert_int_eq(LLMC_EIO, -9);
    ck_assert_int_eq(LLMC_EFORMAT, -10);
    ck_assert_int_eq(LLMC_EBUSY, -11);
    ck_assert_int_eq(LLMC_ENOTSUP, -12);
    ck_assert_int_eq(LLMC_ENODEV, -13);
    ck_assert_int_eq(LLMC_EPERM, -14);
    ck_assert_int_eq(LLMC_ESTATE, -15);
    ck_assert_int_eq(LLMC_ENET, -16);
    ck_assert_int_eq(LLMC_ETIMEDOUT, -17);
    ck_assert_int_eq(LLMC_EHTTP, -18);
    ck_assert_int_eq(LLMC_ETLS, -19);
    ck_assert_int_eq(LLMC_EAUTH, -20);
}
END_TEST

START_TEST(test_status_names_and_messages_are_distinct)
{
    for (int a = 0; a >= LLMC_EAUTH; a--) {
        ck_assert_str_ne(llmc_status_name(a), "LLMC_E?");
        ck_assert_str_ne(llmc_strerror(a), "unknown status code");
        for (int b = a - 1; b >= LLMC_EAUTH; b--) {
            ck_assert_str_ne(llmc_status_name(a), llmc_status_name(b));
            ck_assert_str_ne(llmc_strerror(a), llmc_strerror(b));
        }
    }
    ck_assert_str_eq(llmc_status_name(LLMC_ENOTFOUND), "LLMC_ENOTFOUND");
    ck_assert_str_eq(llmc_status_name(LLMC_OK), "LLMC_OK");
}
END_TEST

/* llmc_strerror says what llmcarbon.h says of each code, word for word. */
START_TEST(test_status_texts_are_the_headers)
{
    const char *root = getenv("LLMC_SOURCE_ROOT");
    char path[600], line[400];
    int seen = 0;
    FILE *f;

    ck_assert_msg(root != NULL, "LLMC_SOURCE_ROOT is not set");
    snprintf(path, sizeof path, "%s/include/llmcarbon.h", root);
    ck_assert_ptr_nonnull(f = fopen(path, "r"));
    while (fgets(line, sizeof line, f)) {
        char name[40], text[200];
        int code, n;
        if (sscanf(line, "#define %39s (%d) /* %n", name, &code, &n) != 2 ||
            strncmp(name, "LLMC_E", 6) != 0)
            continue;
        snprintf(text, sizeof text, "%s", line + n);
        *strstr(text, "*/") = '\0';
        for (n = (int)strlen(text); n > 0 && text[n - 1] == ' '; n--)
            text[n - 1] = '\0';
        ck_assert_str_eq(llmc_status_name(code), name);
        ck_assert_str_eq(llmc_strerror(code), text);
        seen++;
    }
    fclose(f);
    ck_assert_int_eq(seen, 20);
}
END_TEST

START_TEST(test_unknown_status_is_never_null)
{
    ck_assert_ptr_nonnull(llmc_strerror(-9999));
    ck_assert_str_eq(llmc_strerror(-9999), "unknown status code");
    ck_assert_str_eq(llmc_status_name(12345), "LLMC_E?");
}
END_TEST

static void *fail_in_thread(void *arg)
{
    double v;
    (void)arg;
    llmc_quantity_parse(&v, LLMC_DIM_ENERGY, "7 bananas", "kWh");
    return strdup(llmc_last_error());
}

START_TEST(test_last_error_is_per_thread)
{
    pthread_t t;
    void *other;
    double v;

    ck_assert_int_eq(llmc_quantity_parse(&v, LLMC_DIM_POWER, "-3W", "W"),
                     LLMC_ERANGE);
    ck_assert_error_mentions("-3W");
    ck_assert_int_eq(pthread_create(&t, NULL, fail_in_thread, NULL), 0);
    pthread_join(t, &other);
    ck_assert_ptr_nonnull(strstr(other, "bananas"));
    /* the other thread's failure did not overwrite this thread's detail */
    ck_assert_error_mentions("-3W");
    ck_assert_ptr_null(strstr(llmc_last_error(), "bananas"));
    free(other);
}
END_TEST

/* A call that succeeds leaves the detail of the caller's last failure as
 * it was, even one that recovered from failures inside: a grid chain
 * whose first source fails, "auto" meters of which none is here, a
 * driver name found on a second try, a tracker that starts without a
 * meter that reads. */
START_TEST(test_last_error_is_left_alone_by_calls_that_succeed)
{
    char before[256];
    llmc_grid *g = NULL;
    llmc_meter *m = NULL;
    llmc_profile *p = NULL;
    llmc_tracker *t = NULL;
    llmc_intensity ci;
    llmc_window w;
    double v;

    ck_assert_int_eq(llmc_quantity_parse(&v, LLMC_DIM_POWER, "-3W", "W"),
                     LLMC_ERANGE);
    snprintf(before, sizeof before, "%s", llmc_last_error());
    ck_assert_ptr_nonnull(strstr(before, "-3W"));

    /* a live source without credentials, then the bundled table */
    {
        char cache[] = "/tmp/llmc-core-cache-XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(cache));
        setenv("LLMC_CACHE_DIR", cache, 1);
        unsetenv("ELECTRICITYMAPS_API_TOKEN");
        setenv("LLMC_ELECTRICITYMAPS_URL", "http://127.0.0.1:1", 1);
        ck_assert_int_eq(llmc_grid_new(&g, "electricitymaps:ZZ,static:FR"),
                         LLMC_OK);
        llmc_intensity_init(&ci, sizeof ci);
        ck_assert_int_eq(llmc_grid_intensity_at(&ci, g, (int64_t)time(NULL)),
                         LLMC_OK);
        ck_assert_ptr_nonnull(strstr(ci.fallback, "electricitymaps"));
        unsetenv("LLMC_ELECTRICITYMAPS_URL");
        rmdir(cache);
    }
    ck_assert_str_eq(llmc_last_error(), before);
    llmc_window_init(&w, sizeof w);
    ck_assert_int_eq(llmc_grid_best_window(&w, g, (int64_t)time(NULL), 3600,
                                           86400),
                     LLMC_OK);
    ck_assert_str_eq(llmc_last_error(), before);
    llmc_grid_free(g);

    setenv("LLMC_SYSFS_ROOT", "/nonexistent-sysfs", 1);
    setenv("LLMC_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1", 1);
    ck_assert_int_eq(llmc_meter_open(&m, "auto"), LLMC_OK);
    ck_assert_uint_eq(llmc_meter_channel_count(m), 0);
    ck_assert_str_eq(llmc_last_error(), before);
    llmc_meter_free(m);

    ck_assert_int_eq(llmc_profile_lookup_device(&p, "AMD Instinct MI300X OAM",
                                                NAN, NAN),
                     LLMC_OK);
    ck_assert_str_eq(llmc_last_error(), before);
    llmc_profile_free(p);

    ck_assert_int_eq(llmc_tracker_new(&t), LLMC_OK);
    ck_assert_int_eq(llmc_tracker_configure(t, "grid=const:100g/kWh; "
                                               "sampler=inline"),
                     LLMC_OK);
    ck_assert_int_eq(llmc_tracker_start(t), LLMC_OK);
    ck_assert_str_eq(llmc_last_error(), before);
    llmc_tracker_free(t);
    unsetenv("LLMC_SYSFS_ROOT");
    unsetenv("LLMC_NVML_LIBRARY");
}
END_TEST

/* One parser decides what a time is, for the CLI and every caller. */
START_TEST(test_time_parse_reads_iso_8601_unix_seconds_and_now)
{
    static const struct {
        const char *text;
        int64_t unix_s;
    } good[] = {
        {"2026-12-04T15:00Z", 1796396400},
        {"2026-12-04T15:00:00Z", 1796396400},
        {"2026-12-04T16:00:00+01:00", 1796396400},
        {"2026-12-04T10:00:00-05:00", 1796396400},
        {"2026-12-04T15:00:00.250Z", 1796396400},
        {"2026-12-04 15:00Z", 1796396400},
        {"2024-02-29T00:00:00Z", 1709164800},
        {"1796396400", 1796396400},
        {"@1796396400", 1796396400},
        {"0", 0},
        {"9999-12-31T23:59:59Z", 253402300799LL},
    };
    static const struct {
        const char *text;
        int status;
    } bad[] = {
        {"2026-13-45T99:99Z", LLMC_EPARSE}, {"2026-04-31T00:00Z", LLMC_EPARSE},
        {"2025-02-29T00:00Z", LLMC_EPARSE}, {"2026-12-04T15:00", LLMC_EPARSE},
        {"2026-12-04", LLMC_EPARSE},        {"tomorrow", LLMC_EPARSE},
        {"", LLMC_EPARSE},                  {"17e8", LLMC_EPARSE},
        {"@", LLMC_EPARSE},                 {"-1", LLMC_ERANGE},
        {"253402300800", LLMC_ERANGE},      {"1969-12-31T23:59:59Z", LLMC_ERANGE},
        {"99999999999999999999", LLMC_ERANGE},
    };
    int64_t t, before;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        t = -7;
        ck_assert_msg(llmc_time_parse(&t, good[i].text) == LLMC_OK, "%s: %s",
                      good[i].text, llmc_last_error());
        ck_assert_msg(t == good[i].unix_s, "%s: %lld", good[i].text,
                      (long long)t);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        t = -7;
        ck_assert_msg(llmc_time_parse(&t, bad[i].text) == bad[i].status,
                      "'%s' was not refused with %s", bad[i].text,
                      llmc_status_name(bad[i].status));
        ck_assert_msg(t == -7, "'%s' changed the output", bad[i].text);
        ck_assert_msg(strstr(llmc_last_error(), bad[i].text) != NULL,
                      "'%s': %s", bad[i].text, llmc_last_error());
    }
    before = (int64_t)time(NULL);
    ck_assert_int_eq(llmc_time_parse(&t, "now"), LLMC_OK);
    ck_assert(t >= before && t <= (int64_t)time(NULL));
    ck_assert_int_eq(llmc_time_parse(NULL, "now"), LLMC_EINVAL);
    ck_assert_int_eq(llmc_time_parse(&t, NULL), LLMC_EINVAL);
}
END_TEST

START_TEST(test_time_format_writes_what_time_parse_reads)
{
    static const struct {
        int64_t unix_s;
        const char *text;
    } edges[] = {
        {0, "1970-01-01T00:00:00Z"},
        {59, "1970-01-01T00:00:59Z"},
        {1709164800, "2024-02-29T00:00:00Z"},
        {1709251199, "2024-02-29T23:59:59Z"},
        {1796396400, "2026-12-04T15:00:00Z"},
        {4107542400, "2100-03-01T00:00:00Z"},
        {4107542399, "2100-02-28T23:59:59Z"}, /* 2100 is a common year */
        {253402300799, "9999-12-31T23:59:59Z"},
    };
    char buf[LLMC_TIME_TEXT_SIZE + 4];
    int64_t back;

    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        ck_assert_int_eq(llmc_time_format(buf, sizeof buf, edges[i].unix_s),
                         LLMC_OK);
        ck_assert_str_eq(buf, edges[i].text);
        back = -7;
        ck_assert_int_eq(llmc_time_parse(&back, buf), LLMC_OK);
        ck_assert_int_eq(back, edges[i].unix_s);
    }
    /* exactly the room it needs, and a byte less */
    ck_assert_int_eq(llmc_time_format(buf, LLMC_TIME_TEXT_SIZE, 4107542400),
                     LLMC_OK);
    ck_assert_str_eq(buf, "2100-03-01T00:00:00Z");
    ck_assert_int_eq(strlen(buf) + 1, LLMC_TIME_TEXT_SIZE);
    ck_assert_int_eq(
        llmc_time_format(buf, LLMC_TIME_TEXT_SIZE - 1, 4107542400),
        LLMC_EINVAL);
    ck_assert_str_eq(buf, "");
    ck_assert_ptr_nonnull(strstr(llmc_last_error(), "LLMC_TIME_TEXT_SIZE"));
    ck_assert_int_eq(llmc_time_format(buf, 0, 0), LLMC_EINVAL);
    ck_assert_int_eq(llmc_time_format(NULL, sizeof buf, 0), LLMC_EINVAL);
    /* outside the years llmc_time_parse reads */
    ck_assert_int_eq(llmc_time_format(buf, sizeof buf, -1), LLMC_ERANGE);
    ck_assert_str_eq(buf, "");
    ck_assert_ptr_nonnull(strstr(llmc_last_error(), "-1"));
    ck_assert_int_eq(llmc_time_format(buf, sizeof buf, 253402300800),
                     LLMC_ERANGE);
    ck_assert_int_eq(llmc_time_format(buf, sizeof buf, INT64_MIN),
                     LLMC_ERANGE);
    ck_assert_int_eq(llmc_time_format(buf, sizeof buf, INT64_MAX),
                     LLMC_ERANGE);
}
END_TEST

START_TEST(test_version_matches_header)
{
    ck_assert_int_eq(llmc_version_num(), LLMC_VERSION_NUM);
    ck_assert_int_eq(LLMC_VERSION_NUM, 100);
    ck_assert_str_eq(llmc_version_string(), "0.1.0");
}
END_TEST

START_TEST(test_free_null_is_a_no_op)
{
    llmc_free(NULL);
    llmc_profile_free(NULL);
    llmc_grid_free(NULL);
    llmc_estimate_free(NULL);
    ck_assert_ptr_null(llmc_profile_ref(NULL));
    ck_assert_ptr_null(llmc_grid_ref(NULL));
}
END_TEST

/* ---- log callback ---------------------------------------------------- */

static int log_calls;
static char log_last[1024];

static void capture_log(int level, const char *message, void *userdata)
{
    (void)level;
    *(int *)userdata += 1;
    snprintf(log_last, sizeof log_last, "%s", message);
}

START_TEST(test_log_callback_sees_failures_and_can_be_removed)
{
    double v;
    log_calls = 0;
    llmc_log_set(capture_log, &log_calls);
    llmc_quantity_parse(&v, LLMC_DIM_ENERGY, "12 parsecs", "kWh");
    ck_assert_int_ge(log_calls, 1);
    ck_assert_ptr_nonnull(strstr(log_last, "parsecs"));
    llmc_log_set(NULL, NULL);
    log_calls = 0;
    llmc_quantity_parse(&v, LLMC_DIM_ENERGY, "12 parsecs", "kWh");
    ck_assert_int_eq(log_calls, 0);
}
END_TEST

/* Two callbacks, each with its own userdata: a message must never reach
 * one callback with the other's userdata while llmc_log_set swaps them. */
struct sink_tag {
    int id;
    atomic_int calls, mismatched;
};

static void sink_a(int level, const char *message, void *userdata)
{
    struct sink_tag *tag = userdata;
    (void)level, (void)message;
    atomic_fetch_add(&tag->calls, 1);
    if (tag->id != 1)
        atomic_fetch_add(&tag->mismatched, 1);
}

static void sink_b(int level, const char *message, void *userdata)
{
    struct sink_tag *tag = userdata;
    (void)level, (void)message;
    atomic_fetch_add(&tag->calls, 1);
    if (tag->id != 2)
        atomic_fetch_add(&tag->mismatched, 1);
}

static atomic_int logging_done;

static void *log_failures(void *arg)
{
    double v;
    (void)arg;
    for (int i = 0; i < 20000; i++)
        llmc_quantity_parse(&v, LLMC_DIM_ENERGY, "12 parsecs", "kWh");
    atomic_store(&logging_done, 1);
    return NULL;
}

START_TEST(test_log_set_swaps_callback_and_userdata_together)
{
    static struct sink_tag a = {.id = 1}, b = {.id = 2};
    pthread_t th;
    atomic_store(&logging_done, 0);
    llmc_log_set(sink_a, &a);
    ck_assert_int_eq(pthread_create(&th, NULL, log_failures, NULL), 0);
    for (unsigned i = 0; !atomic_load(&logging_done); i++) {
        if (i & 1)
            llmc_log_set(sink_a, &a);
        else
            llmc_log_set(sink_b, &b);
    }
    pthread_join(th, NULL);
    llmc_log_set(NULL, NULL);
    ck_assert_int_eq(atomic_load(&a.calls) + atomic_load(&b.calls), 20000);
    ck_assert_int_eq(atomic_load(&a.mismatched), 0);
    ck_assert_int_eq(atomic_load(&b.mismatched), 0);
}
END_TEST

/* ---- quantities ------------------------------------------------------ */

struct case_ok {
    llmc_dimension dim;
    const char *text;
    const char *bare;
    double want;
};

static const struct case_ok ok_cases[] = {
    {LLMC_DIM_POWER, "700W", NULL, 700.0},
    {LLMC_DIM_POWER, "0.7 kW", NULL, 700.0},
    {LLMC_DIM_POWER, "1.5MW", NULL, 1.5e6},
    {LLMC_DIM_POWER, "300", "W", 300.0},
    {LLMC_DIM_POWER, "0.3", "kW", 300.0},
    {LLMC_DIM_POWER, "2kw", NULL, 2000.0},
    {LLMC_DIM_ENERGY, "5J", NULL, 5.0},
    {LLMC_DIM_ENERGY, "2kJ", NULL, 2e3},
    {LLMC_DIM_ENERGY, "3 MJ", NULL, 3e6},
    {LLMC_DIM_ENERGY, "1Wh", NULL, 3600.0},
    {LLMC_DIM_ENERGY, "1.5kWh", NULL, 5.4e6},
    {LLMC_DIM_ENERGY, "2MWh", NULL, 7.2e9},
    {LLMC_DIM_ENERGY, "1GWh", NULL, 3.6e12},
    {LLMC_DIM_ENERGY, "1000", "kWh", 3.6e9},
    {LLMC_DIM_ENERGY, "1000kwh", NULL, 3.6e9},
    {LLMC_DIM_ENERGY, "1e3kWh", NULL, 3.6e9},
    {LLMC_DIM_ENERGY, "+1.0e+3 kWh", NULL, 3.6e9},
    {LLMC_DIM_ENERGY, ".5kWh", NULL, 1.8e6},
    {LLMC_DIM_ENERGY, "0kWh", NULL, 0.0},
    {LLMC_DIM_INTENSITY, "450g/kWh", NULL, 450.0},
    {LLMC_DIM_INTENSITY, "0.5kg/kWh", NULL, 500.0},
    {LLMC_DIM_INTENSITY, "450gCO2e/kWh", NULL, 450.0},
    {LLMC_DIM_INTENSITY, "0.45 kgCO2e/kWh", NULL, 450.0},
    {LLMC_DIM_INTENSITY, "0.3t/MWh", NULL, 300.0},
    {LLMC_DIM_INTENSITY, "1000lb/MWh", NULL, 453.59237},
    {LLMC_DIM_INTENSITY, "1000 lbCO2e/MWh", NULL, 453.59237},
    {LLMC_DIM_INTENSITY, "56", "gCO2e/kWh", 56.0},
    {LLMC_DIM_DURATION, "250ms", NULL, 0.25},
    {LLMC_DIM_DURATION, "15s", NULL, 15.0},
    {LLMC_DIM_DURATION, "2min", NULL, 120.0},
    {LLMC_DIM_DURATION, "720h", NULL, 2592000.0},
    {LLMC_DIM_DURATION, "14.8d", NULL, 14.8 * 86400.0},
    {LLMC_DIM_DURATION, "720", "h", 2592000.0},
    {LLMC_DIM_DURATION, "4y", NULL, 4 * 365.25 * 86400.0},
    {LLMC_DIM_DURATION, "5", "y", 5 * 365.25 * 86400.0},
    {LLMC_DIM_PUE, "1.1", NULL, 1.1},
    {LLMC_DIM_PUE, "1", NULL, 1.0},
    {LLMC_DIM_PUE, " 1.58 ", NULL, 1.58},
    {LLMC_DIM_MASS, "164kg", NULL, 164.0},
    {LLMC_DIM_MASS, "164 kgCO2e", NULL, 164.0},
    {LLMC_DIM_MASS, "1.312t", NULL, 1312.0},
    {LLMC_DIM_MASS, "2tCO2e", NULL, 2000.0},
    {LLMC_DIM_MASS, "500g", NULL, 0.5},
    {LLMC_DIM_MASS, "100lb", NULL, 45.359237},
    {LLMC_DIM_MASS, "9.78", "kg", 9.78},
};

START_TEST(test_quantity_parses_every_documented_unit)
{
    const struct case_ok *c = &ok_cases[_i];
    double v = -1.0;
    int rc = llmc_quantity_parse(&v, c->dim, c->text, c->bare);
    ck_assert_msg(rc == LLMC_OK, "'%s': %s", c->text, llmc_last_error());
    ck_assert_msg(REL_OK(v, c->want, 1e-12), "'%s' -> %.17g, want %.17g", c->text, v,
                  c->want);
}
END_TEST

struct case_bad {
    llmc_dimension dim;
    const char *text;
    const char *bare;
    int want;
    const char *mention;
};

static const struct case_bad bad_cases[] = {
    {LLMC_DIM_ENERGY, "nan", "kWh", LLMC_ERANGE, "'nan'"},
    {LLMC_DIM_ENERGY, "NaN kWh", "kWh", LLMC_ERANGE, "NaN kWh"},
    {LLMC_DIM_ENERGY, "inf", "kWh", LLMC_ERANGE, "'inf'"},
    {LLMC_DIM_ENERGY, "-infinity", "kWh", LLMC_ERANGE, "-infinity"},
    {LLMC_DIM_ENERGY, "1e400kWh", NULL, LLMC_ERANGE, "1e400kWh"},
    {LLMC_DIM_ENERGY, "-5kWh", NULL, LLMC_ERANGE, "-5kWh"},
    {LLMC_DIM_POWER, "-1W", NULL, LLMC_ERANGE, "-1W"},
    {LLMC_DIM_DURATION, "-2h", NULL, LLMC_ERANGE, "-2h"},
    {LLMC_DIM_INTENSITY, "-3g/kWh", NULL, LLMC_ERANGE, "-3g/kWh"},
    {LLMC_DIM_PUE, "0.9", NULL, LLMC_ERANGE, "0.9"},
    {LLMC_DIM_PUE, "-1.2", NULL, LLMC_ERANGE, "-1.2"},
    {LLMC_DIM_PUE, "1.1x", NULL, LLMC_EPARSE, "1.1x"},
    {LLMC_DIM_ENERGY, "5kWhx", NULL, LLMC_EUNIT, "kWhx"},
    {LLMC_DIM_ENERGY, "5 W", NULL, LLMC_EUNIT, "'W'"},
    {LLMC_DIM_POWER, "5kWh", NULL, LLMC_EUNIT, "W, kW, MW"},
    {LLMC_DIM_POWER, "5mW", NULL, LLMC_EUNIT, "mW"}, /* milli, not mega */
    {LLMC_DIM_ENERGY, "5mwh", NULL, LLMC_EUNIT, "mwh"},
    {LLMC_DIM_INTENSITY, "5g/MWh", NULL, LLMC_EUNIT, "g/MWh"},
    {LLMC_DIM_ENERGY, "kWh", NULL, LLMC_EPARSE, "'kWh'"},
    {LLMC_DIM_ENERGY, "", "kWh", LLMC_EPARSE, "no number"},
    {LLMC_DIM_ENERGY, "   ", "kWh", LLMC_EPARSE, "no number"},
    {LLMC_DIM_ENERGY, "1,000kWh", NULL, LLMC_EUNIT, "1,000kWh"},
    {LLMC_DIM_ENERGY, "1000", NULL, LLMC_EUNIT, "no unit"},
    {LLMC_DIM_ENERGY, "1.5.2kWh", NULL, LLMC_EUNIT, "1.5.2kWh"},
    {LLMC_DIM_ENERGY, "0x10kWh", NULL, LLMC_EUNIT, "0x10kWh"},
    {LLMC_DIM_ENERGY, "1..2kWh", NULL, LLMC_EPARSE, "range"},
};

START_TEST(test_quantity_rejects_bad_input_with_named_text)
{
    const struct case_bad *c = &bad_cases[_i];
    double v = 42.0;
    int rc = llmc_quantity_parse(&v, c->dim, c->text, c->bare);
    ck_assert_msg(rc == c->want, "'%s': got %s, want %s (%s)", c->text,
                  llmc_status_name(rc), llmc_status_name(c->want),
                  llmc_last_error());
    ck_assert_error_mentions(c->mention);
    ck_assert_msg(v == 42.0, "'%s' wrote the output on failure", c->text);
}
END_TEST

START_TEST(test_quantity_rejects_null_and_bad_dimension)
{
    double v;
    ck_assert_int_eq(llmc_quantity_parse(NULL, LLMC_DIM_POWER, "1W", NULL),
                     LLMC_EINVAL);
    ck_assert_int_eq(llmc_quantity_parse(&v, LLMC_DIM_POWER, NULL, NULL),
                     LLMC_EINVAL);
    ck_assert_int_eq(llmc_quantity_parse(&v, (llmc_dimension)99, "1W", NULL),
                     LLMC_EINVAL);
    ck_assert_error_mentions("99");
    ck_assert_int_eq(llmc_quantity_parse(&v, LLMC_DIM_POWER, "1", "parsec"),
                     LLMC_EINVAL);
    ck_assert_error_mentions("parsec");
}
END_TEST

START_TEST(test_quantity_reads_numbers_in_any_locale)
{
    double v;
    /* A host program under a comma-decimal locale must not change parsing. */
    const char *loc = setlocale(LC_NUMERIC, "de_DE.UTF-8");
    if (!loc)
        loc = setlocale(LC_NUMERIC, "fr_FR.UTF-8");
    ck_assert_int_eq(llmc_quantity_parse(&v, LLMC_DIM_ENERGY, "1.5kWh", NULL),
                     LLMC_OK);
    ck_assert_same(v, 5.4e6);
    {
        char buf[64];
        ck_assert_int_eq(llmc_quantity_format(buf, sizeof buf, LLMC_DIM_ENERGY,
                                              5.4e6),
                         LLMC_OK);
        ck_assert_str_eq(buf, "1.5 kWh");
    }
    setlocale(LC_NUMERIC, "C");
}
END_TEST

START_TEST(test_range_parses_bounds_with_shared_units)
{
    double lo, hi;
    ck_assert_int_eq(llmc_quantity_parse_range(&lo, &hi, LLMC_DIM_POWER,
                                               "550W..700W", NULL),
                     LLMC_OK);
    ck_assert_same(lo, 550.0);
    ck_assert_same(hi, 700.0);
    ck_assert_int_eq(llmc_quantity_parse_range(&lo, &hi, LLMC_DIM_POWER,
                                               "0.55..0.7kW", NULL),
                     LLMC_OK);
    ck_assert_same(lo, 550.0); /* the bare low takes the high's unit: kW */
    ck_assert_same(hi, 700.0);
    /* ...so "550..0.7kW" is 550 kW..700 W, which is inverted */
    ck_assert_int_eq(llmc_quantity_parse_range(&lo, &hi, LLMC_DIM_POWER,
                                               "550..0.7kW", NULL),
                     LLMC_ERANGE);
    ck_assert_int_eq(llmc_quantity_parse_range(&lo, &hi, LLMC_DIM_PUE,
                                               "1.1..1.4", NULL),
                     LLMC_OK);
    ck_assert_same(lo, 1.1);
    ck_assert_same(hi, 1.4);
    ck_assert_int_eq(llmc_quantity_parse_range(&lo, &hi, LLMC_DIM_DURATION,
                                               "10..20", "d"),
                     LLMC_OK);
    ck_assert_same(lo, 864000.0);
    ck_assert_same(hi, 1728000.0);
    ck_assert_int_eq(llmc_quantity_parse_range(&lo, &hi, LLMC_DIM_ENERGY,
                                               "5kWh", NULL),
                     LLMC_OK);
    ck_assert_same(lo, 1.8e7);
    ck_assert_same(hi, 1.8e7);
}
END_TEST

START_TEST(test_range_rejects_inverted_and_malformed)
{
    double lo = 1, hi = 2;
    ck_assert_int_eq(llmc_quantity_parse_range(&lo, &hi, LLMC_DIM_POWER,
                                               "700W..550W", NULL),
                     LLMC_ERANGE);
    ck_assert_error_mentions("700W..550W");
    ck_assert_int_eq(llmc_quantity_parse_range(&lo, &hi, LLMC_DIM_POWER,
                                               "1W..2W..3W", NULL),
                     LLMC_EPARSE);
    ck_assert_int_eq(llmc_quantity_parse_range(&lo, &hi, LLMC_DIM_POWER,
                                               "..700W", NULL),
                     LLMC_EPARSE);
    ck_assert_int_eq(llmc_quantity_parse_range(&lo, &hi, LLMC_DIM_PUE,
                                               "0.9..1.2", NULL),
                     LLMC_ERANGE);
    ck_assert_int_eq(llmc_quantity_parse_range(&lo, &hi, LLMC_DIM_POWER,
                                               "5W..nan", NULL),
                     LLMC_ERANGE);
    ck_assert_int_eq(llmc_quantity_parse_range(&lo, &hi, LLMC_DIM_POWER,
                                               "5kWh..6kWh", NULL),
                     LLMC_EUNIT);
    ck_assert(lo == 1 && hi == 2);
}
END_TEST

static const struct {
    llmc_dimension dim;
    double value;
    const char *text;
} formats[] = {
    {LLMC_DIM_POWER, 700.0, "700 W"},
    {LLMC_DIM_POWER, 1500.0, "1.5 kW"},
    {LLMC_DIM_POWER, 2.5e6, "2.5 MW"},
    {LLMC_DIM_ENERGY, 10.0, "10 J"},
    {LLMC_DIM_ENERGY, 7200.0, "2 Wh"},
    {LLMC_DIM_ENERGY, 3.6e9, "1 MWh"},
    {LLMC_DIM_ENERGY, 1.8e9, "500 kWh"},
    {LLMC_DIM_ENERGY, 1.2874e15 * 3.6, "1287.4 GWh"},
    {LLMC_DIM_INTENSITY, 429.0, "429 gCO2e/kWh"},
    {LLMC_DIM_DURATION, 0.25, "250 ms"},
    {LLMC_DIM_DURATION, 90.0, "90 s"},
    {LLMC_DIM_DURATION, 600.0, "10 min"},
    {LLMC_DIM_DURATION, 72 * 3600.0, "72 h"},
    {LLMC_DIM_DURATION, 2592000.0, "30 d"},
    {LLMC_DIM_DURATION, 14.8 * 86400, "14.8 d"},
    {LLMC_DIM_DURATION, 5 * 365.25 * 86400, "5 y"},
    {LLMC_DIM_PUE, 1.1, "1.1"},
    {LLMC_DIM_MASS, 0.5, "500 g"},
    {LLMC_DIM_MASS, 552100.0, "552.1 t"},
};

START_TEST(test_format_writes_readable_units)
{
    char buf[64];
    ck_assert_int_eq(llmc_quantity_format(buf, sizeof buf, formats[_i].dim,
                                          formats[_i].value),
                     LLMC_OK);
    ck_assert_str_eq(buf, formats[_i].text);
}
END_TEST

START_TEST(test_format_then_parse_round_trips)
{
    static const llmc_dimension dims[] = {LLMC_DIM_POWER, LLMC_DIM_ENERGY,
                                          LLMC_DIM_INTENSITY, LLMC_DIM_DURATION,
                                          LLMC_DIM_MASS};
    /* values spread over many magnitudes, including awkward fractions */
    for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++)
        for (double v = 1e-3; v < 1e16; v *= 7.3) {
            char buf[64];
            double back;
            ck_assert_int_eq(llmc_quantity_format(buf, sizeof buf, dims[d], v),
                             LLMC_OK);
            ck_assert_msg(llmc_quantity_parse(&back, dims[d], buf, NULL) ==
                              LLMC_OK,
                          "'%s': %s", buf, llmc_last_error());
            ck_assert_msg(fabs(back - v) <= 1e-13 * v, "%.17g -> '%s' -> %.17g",
                          v, buf, back);
        }
}
END_TEST

START_TEST(test_format_of_the_largest_values_parses_back)
{
    /* 15 digits of DBL_MAX round up to 1.79769313486232e308, which is no
     * double: each dimension, in its largest unit, must still write text
     * that parses back to a finite value next to the one formatted. */
    static const llmc_dimension dims[] = {LLMC_DIM_POWER,    LLMC_DIM_ENERGY,
                                          LLMC_DIM_INTENSITY, LLMC_DIM_DURATION,
                                          LLMC_DIM_MASS,     LLMC_DIM_PUE};
    static const double values[] = {DBL_MAX, 0.99999999999999999 * DBL_MAX,
                                    1.7976931348623e308, 1e308};
    for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++)
        for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
            char buf[64];
            double back;
            ck_assert_int_eq(llmc_quantity_format(buf, sizeof buf, dims[d],
                                                  values[i]),
                             LLMC_OK);
            ck_assert_msg(llmc_quantity_parse(&back, dims[d], buf, NULL) ==
                              LLMC_OK,
                          "%.17g -> '%s': %s", values[i], buf,
                          llmc_last_error());
            ck_assert_msg(isfinite(back) &&
                              fabs(back - values[i]) <= 1e-14 * values[i],
                          "%.17g -> '%s' -> %.17g", values[i], buf, back);
        }
}
END_TEST

START_TEST(test_format_rejects_small_buffer_and_non_finite)
{
    char buf[4];
    ck_assert_int_eq(llmc_quantity_format(buf, sizeof buf, LLMC_DIM_ENERGY,
                                          3.6e9),
                     LLMC_ERANGE);
    ck_assert_int_eq(llmc_quantity_format(buf, sizeof buf, LLMC_DIM_ENERGY,
                                          NAN),
                     LLMC_ERANGE);
    ck_assert_int_eq(llmc_quantity_format(NULL, 0, LLMC_DIM_ENERGY, 1.0),
                     LLMC_EINVAL);
}
END_TEST

/* ---- accounting ------------------------------------------------------ */

START_TEST(test_operational_is_energy_times_pue_times_intensity)
{
    double kg;
    /* the seed example: 1000 kWh at 0.5 kg/kWh is 500 kg */
    ck_assert_int_eq(llmc_account_operational(&kg, 3.6e9, 1.0, 500.0), LLMC_OK);
    ck_assert_same(kg, 500.0);
    /* GPT-3 (Patterson et al. 2021, Table 4): 1,287 MWh incl. PUE 1.1 at
     * 0.429 kg/kWh is 552 tCO2e; the IT energy is 1287/1.1 MWh */
    ck_assert_int_eq(llmc_account_operational(&kg, 1287e3 / 1.1 * 3.6e6, 1.1,
                                              429.0),
                     LLMC_OK);
    ck_assert_same(kg, 1287e3 * 0.429);
    ck_assert_int_eq(llmc_account_operational(&kg, 0.0, 1.5, 300.0), LLMC_OK);
    ck_assert(kg == 0.0);
}
END_TEST

START_TEST(test_operational_rejects_bad_numbers)
{
    double kg = 7.0;
    ck_assert_int_eq(llmc_account_operational(&kg, -1.0, 1.0, 100.0), LLMC_ERANGE);
    ck_assert_error_mentions("energy");
    ck_assert_int_eq(llmc_account_operational(&kg, NAN, 1.0, 100.0), LLMC_ERANGE);
    ck_assert_int_eq(llmc_account_operational(&kg, 1.0, 0.99, 100.0), LLMC_ERANGE);
    ck_assert_error_mentions("PUE");
    ck_assert_int_eq(llmc_account_operational(&kg, 1.0, INFINITY, 100.0),
                     LLMC_ERANGE);
    ck_assert_int_eq(llmc_account_operational(&kg, 1.0, 1.0, -5.0), LLMC_ERANGE);
    ck_assert_error_mentions("intensity");
    ck_assert_int_eq(llmc_account_operational(NULL, 1.0, 1.0, 5.0), LLMC_EINVAL);
    ck_assert(kg == 7.0);
}
END_TEST

START_TEST(test_embodied_is_amortised_over_lifetime)
{
    double kg;
    double lifetime_s = 5 * 365.25 * 86400;
    /* 1024 H100 for 720 h: 164 kg x 737,280 h / 43,830 h */
    ck_assert_int_eq(llmc_account_embodied(&kg, 164.0, 737280.0 * 3600,
                                           lifetime_s),
                     LLMC_OK);
    ck_assert_same(kg, 164.0 * 737280.0 / (5 * 365.25 * 24));
    /* a whole lifetime of use carries the whole figure */
    ck_assert_int_eq(llmc_account_embodied(&kg, 164.0, lifetime_s, lifetime_s),
                     LLMC_OK);
    ck_assert_same(kg, 164.0);
    ck_assert_int_eq(llmc_account_embodied(&kg, 164.0, 0.0, lifetime_s), LLMC_OK);
    ck_assert(kg == 0.0);
}
END_TEST

START_TEST(test_embodied_rejects_bad_numbers)
{
    double kg = 3.0;
    ck_assert_int_eq(llmc_account_embodied(&kg, -1.0, 10.0, 100.0), LLMC_ERANGE);
    ck_assert_int_eq(llmc_account_embodied(&kg, 1.0, -10.0, 100.0), LLMC_ERANGE);
    ck_assert_int_eq(llmc_account_embodied(&kg, 1.0, 10.0, 0.0), LLMC_ERANGE);
    ck_assert_error_mentions("lifetime");
    ck_assert_int_eq(llmc_account_embodied(&kg, NAN, 10.0, 100.0), LLMC_ERANGE);
    ck_assert_int_eq(llmc_account_embodied(&kg, 1.0, 10.0, INFINITY), LLMC_ERANGE);
    ck_assert(kg == 3.0);
}
END_TEST

START_TEST(test_quantity_overflow_and_underflow_are_erange_saying_which)
{
    double v = 42;
    /* 1e305 kWh is a double, but not in J */
    ck_assert_int_eq(llmc_quantity_parse(&v, LLMC_DIM_ENERGY, "1e305kWh", NULL),
                     LLMC_ERANGE);
    ck_assert_msg(strstr(llmc_last_error(), "too large") != NULL, "%s",
                  llmc_last_error());
    ck_assert_int_eq(llmc_quantity_parse(&v, LLMC_DIM_ENERGY, "1e999", "kWh"),
                     LLMC_ERANGE);
    ck_assert_msg(strstr(llmc_last_error(), "too large") != NULL, "%s",
                  llmc_last_error());
    /* a denormal, and a value the unit takes below the doubles' range */
    ck_assert_int_eq(llmc_quantity_parse(&v, LLMC_DIM_POWER, "1e-320W", NULL),
                     LLMC_ERANGE);
    ck_assert_msg(strstr(llmc_last_error(), "too small") != NULL, "%s",
                  llmc_last_error());
    ck_assert_int_eq(llmc_quantity_parse(&v, LLMC_DIM_DURATION, "1e-307ms",
                                         NULL),
                     LLMC_ERANGE);
    ck_assert_msg(strstr(llmc_last_error(), "too small") != NULL, "%s",
                  llmc_last_error());
    ck_assert_double_eq(v, 42);
    ck_assert_int_eq(llmc_quantity_parse(&v, LLMC_DIM_POWER, "0W", NULL),
                     LLMC_OK);
    ck_assert_double_eq(v, 0.0);
}
END_TEST

START_TEST(test_quantity_long_numbers_parse_or_are_too_long)
{
    char text[400];
    double v = 0;
    /* 150 digits: 1 followed by 149 zeros, in W */
    text[0] = '1';
    memset(text + 1, '0', 149);
    snprintf(text + 150, sizeof text - 150, "W");
    ck_assert_msg(llmc_quantity_parse(&v, LLMC_DIM_POWER, text, NULL) ==
                      LLMC_OK,
                  "%s", llmc_last_error());
    ck_assert_double_eq_tol(v, 1e149, 1e135);
    /* 0.000...0015 kWh: 128 zeros after the point, 1.5e-129 kWh */
    memcpy(text, "0.", 2);
    memset(text + 2, '0', 128);
    snprintf(text + 130, sizeof text - 130, "15kWh");
    ck_assert_msg(llmc_quantity_parse(&v, LLMC_DIM_ENERGY, text, NULL) ==
                      LLMC_OK,
                  "%s", llmc_last_error());
    ck_assert_double_eq_tol(v, 1.5e-129 * 3.6e6, 1e-136);
    /* past what a quantity may hold: said so, not "not a number" */
    memset(text, '9', 300);
    text[300] = '\0';
    ck_assert_int_eq(llmc_quantity_parse(&v, LLMC_DIM_POWER, text, "W"),
                     LLMC_EPARSE);
    ck_assert_msg(strstr(llmc_last_error(), "too long") != NULL, "%s",
                  llmc_last_error());
}
END_TEST

START_TEST(test_tracker_interval_above_a_day_is_erange)
{
    llmc_tracker *t = NULL;
    static const char *const keys[] = {"interval", "checkpoint_interval"};
    ck_assert_int_eq(llmc_tracker_new(&t), LLMC_OK);
    for (size_t i = 0; i < 2; i++) {
        ck_assert_int_eq(llmc_tracker_set(t, keys[i], "1e10"), LLMC_ERANGE);
        ck_assert_msg(strstr(llmc_last_error(), "1 day") != NULL, "%s",
                      llmc_last_error());
        ck_assert_int_eq(llmc_tracker_set(t, keys[i], "25h"), LLMC_ERANGE);
        ck_assert_int_eq(llmc_tracker_set(t, keys[i], "1d"), LLMC_OK);
    }
    ck_assert_int_eq(llmc_tracker_configure(t, "interval=1e10"), LLMC_ERANGE);
    ck_assert_int_eq(llmc_tracker_set_interval(t, 1e10), LLMC_ERANGE);
    ck_assert_msg(strstr(llmc_last_error(), "1 day") != NULL, "%s",
                  llmc_last_error());
    ck_assert_int_eq(llmc_tracker_set_interval(t, 86400.0), LLMC_OK);
    llmc_tracker_free(t);
    /* the environment is refused the same way, at creation */
    setenv("LLMC_INTERVAL", "1e10", 1);
    t = NULL;
    ck_assert_int_eq(llmc_tracker_new(&t), LLMC_ERANGE);
    ck_assert_msg(strstr(llmc_last_error(), "LLMC_INTERVAL") != NULL, "%s",
                  llmc_last_error());
    ck_assert_ptr_null(t);
    unsetenv("LLMC_INTERVAL");
}
END_TEST

START_TEST(test_tracker_with_the_longest_interval_stops_promptly)
{
    llmc_tracker *t = NULL;
    struct timespec a, b;
    double s;
    ck_assert_int_eq(llmc_tracker_new(&t), LLMC_OK);
    ck_assert_int_eq(llmc_tracker_configure(t, "meters=const:100W;"
                                               "interval=1d;grid=FR"),
                     LLMC_OK);
    ck_assert_msg(llmc_tracker_start(t) == LLMC_OK, "%s", llmc_last_error());
    clock_gettime(CLOCK_MONOTONIC, &a);
    ck_assert_int_eq(llmc_tracker_stop(t), LLMC_OK);
    clock_gettime(CLOCK_MONOTONIC, &b);
    s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    ck_assert_msg(s < 2.0, "stop took %.3f s", s);
    llmc_tracker_free(t);
}
END_TEST

/* ---- what a tracker says at start ----------------------------------- */

/* The warnings logged while a test runs, one per line. */
static pthread_mutex_t warned_mu = PTHREAD_MUTEX_INITIALIZER;
static char warned[16384];

static void keep_warnings(int level, const char *message, void *userdata)
{
    (void)userdata;
    if (level != LLMC_LOG_WARN)
        return;
    pthread_mutex_lock(&warned_mu);
    size_t used = strlen(warned);
    snprintf(warned + used, sizeof warned - used, "%s\n", message);
    pthread_mutex_unlock(&warned_mu);
}

/* Starts and stops a tracker with config, returning what it warned. */
static const char *warnings_of_a_run(const char *config)
{
    llmc_tracker *t = NULL;
    warned[0] = '\0';
    ck_assert_int_eq(llmc_tracker_new(&t), LLMC_OK);
    ck_assert_msg(llmc_tracker_configure(t, config) == LLMC_OK, "%s",
                  llmc_last_error());
    llmc_log_set(keep_warnings, NULL);
    ck_assert_msg(llmc_tracker_start(t) == LLMC_OK, "%s", llmc_last_error());
    ck_assert_int_eq(llmc_tracker_stop(t), LLMC_OK);
    llmc_log_set(NULL, NULL);
    llmc_tracker_free(t);
    return warned;
}

START_TEST(test_tracker_start_names_an_unknown_llmc_variable)
{
    const char *w;
    setenv("LLMC_GIRD", "FR", 1);
    setenv("LLMC_XYZZY_PLUGH", "1", 1);
    w = warnings_of_a_run("meters=const:10W;grid=FR");
    unsetenv("LLMC_GIRD");
    unsetenv("LLMC_XYZZY_PLUGH");
    ck_assert_msg(strstr(w, "environment variable LLMC_GIRD is not one "
                            "llmcarbon reads, so it has no effect; did you "
                            "mean LLMC_GRID?"),
                  "warnings:\n%s", w);
    /* nothing near: named, without a made-up suggestion */
    ck_assert_msg(strstr(w, "LLMC_XYZZY_PLUGH is not one llmcarbon reads"),
                  "warnings:\n%s", w);
    ck_assert_msg(!strstr(w, "XYZZY_PLUGH is not one llmcarbon reads, so it "
                             "has no effect; did you mean"),
                  "warnings:\n%s", w);
    /* without them, nothing is said about them (the caller's environment
     * may hold other LLMC_* names: only ours are asserted on) */
    w = warnings_of_a_run("meters=const:10W;grid=FR");
    ck_assert_msg(!strstr(w, "LLMC_GIRD") && !strstr(w, "LLMC_XYZZY_PLUGH"),
                  "warnings:\n%s", w);
}
END_TEST

/* The build's and the test suite's variables are never offered to a user
 * as the name meant, and are never warned about themselves. */
START_TEST(test_a_typo_is_never_told_a_test_only_variable)
{
    const char *w;
    setenv("LLMC_FAKE_NVM", "1", 1);
    setenv("LLMC_FAILMALLOC_M", "1", 1);
    setenv("LLMC_FAKE_NVML", "/nonexistent", 1);
    w = warnings_of_a_run("meters=const:10W;grid=FR");
    unsetenv("LLMC_FAKE_NVM");
    unsetenv("LLMC_FAILMALLOC_M");
    unsetenv("LLMC_FAKE_NVML");
    ck_assert_msg(strstr(w, "LLMC_FAKE_NVM is not one llmcarbon reads") &&
                      strstr(w, "LLMC_FAILMALLOC_M is not one llmcarbon "
                                "reads"),
                  "warnings:\n%s", w);
    ck_assert_msg(!strstr(w, "did you mean LLMC_FAKE_NVML") &&
                      !strstr(w, "did you mean LLMC_FAILMALLOC"),
                  "warnings:\n%s", w);
    ck_assert_msg(!strstr(w, "LLMC_FAKE_NVML is not"), "warnings:\n%s", w);
}
END_TEST

START_TEST(test_every_tracker_key_has_a_known_variable)
{
    /* the keys the tracker itself lists, each as LLMC_<KEY>: none of them
     * may be called unknown (set after llmc_tracker_new, which would
     * apply them) */
    llmc_tracker *t = NULL;
    char list[600], *key, *save = NULL, vars[32][64];
    const char *msg;
    size_t nkeys = 0;

    ck_assert_int_eq(llmc_tracker_new(&t), LLMC_OK);
    ck_assert_int_eq(llmc_tracker_set(t, "no_such_key", "1"), LLMC_EINVAL);
    msg = strstr(llmc_last_error(), "use one of: ");
    ck_assert_msg(msg != NULL, "%s", llmc_last_error());
    snprintf(list, sizeof list, "%s", msg + strlen("use one of: "));
    ck_assert_int_eq(llmc_tracker_configure(t, "meters=const:10W;grid=FR"),
                     LLMC_OK);
    for (key = strtok_r(list, ", ", &save); key && nkeys < 32;
         key = strtok_r(NULL, ", ", &save)) {
        char *var = vars[nkeys++];
        size_t n = (size_t)snprintf(var, sizeof vars[0], "LLMC_");
        for (const char *p = key; *p && n + 1 < sizeof vars[0]; p++)
            var[n++] = (char)toupper((unsigned char)*p);
        var[n] = '\0';
        setenv(var, "x", 1);
    }
    ck_assert_uint_ge(nkeys, 14);
    warned[0] = '\0';
    llmc_log_set(keep_warnings, NULL);
    ck_assert_msg(llmc_tracker_start(t) == LLMC_OK, "%s", llmc_last_error());
    llmc_log_set(NULL, NULL);
    llmc_tracker_stop(t);
    llmc_tracker_free(t);
    for (size_t i = 0; i < nkeys; i++) {
        char named[96];
        unsetenv(vars[i]);
        snprintf(named, sizeof named, "variable %.63s is not", vars[i]);
        ck_assert_msg(!strstr(warned, named), "warnings:\n%s", warned);
    }
}
END_TEST

START_TEST(test_tracker_without_a_grid_says_which_it_uses)
{
    llmc_grid *g;
    llmc_intensity ci;
    char want[200];
    const char *w;

    ck_assert_int_eq(llmc_grid_new(&g, "static:WORLD"), LLMC_OK);
    llmc_intensity_init(&ci, sizeof ci);
    ck_assert_int_eq(llmc_grid_intensity_at(&ci, g, (int64_t)time(NULL)),
                     LLMC_OK);
    snprintf(want, sizeof want, "no grid given: using static:WORLD, %.0f "
             "gCO2e/kWh (%d, %s); give grid=ZONE",
             ci.gco2e_per_kwh, ci.year, llmc_basis_name(ci.basis));
    llmc_grid_free(g);
    unsetenv("LLMC_GRID");
    w = warnings_of_a_run("meters=const:10W");
    ck_assert_msg(strstr(w, want), "want \"%s\" in:\n%s", want, w);
    w = warnings_of_a_run("meters=const:10W;grid=FR");
    ck_assert_msg(!strstr(w, "no grid given"), "warnings:\n%s", w);
}
END_TEST

static Suite *core_suite(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("status");
    tcase_add_test(tc, test_status_codes_have_fixed_values);
    tcase_add_test(tc, test_status_names_and_messages_are_distinct);
    tcase_add_test(tc, test_unknown_status_is_never_null);
    tcase_add_test(tc, test_status_texts_are_the_headers);
    tcase_add_test(tc, test_last_error_is_per_thread);
    tcase_add_test(tc, test_last_error_is_left_alone_by_calls_that_succeed);
    tcase_add_test(tc, test_time_parse_reads_iso_8601_unix_seconds_and_now);
    tcase_add_test(tc, test_time_format_writes_what_time_parse_reads);
    tcase_add_test(tc, test_version_matches_header);
    tcase_add_test(tc, test_free_null_is_a_no_op);
    tcase_add_test(tc, test_log_callback_sees_failures_and_can_be_removed);
    tcase_add_test(tc, test_log_set_swaps_callback_and_userdata_together);
    suite_add_tcase(s, tc);

    tc = tcase_create("units");
    tcase_add_loop_test(tc, test_quantity_parses_every_documented_unit, 0,
                        sizeof ok_cases / sizeof ok_cases[0]);
    tcase_add_loop_test(tc, test_quantity_rejects_bad_input_with_named_text, 0,
                        sizeof bad_cases / sizeof bad_cases[0]);
    tcase_add_test(tc, test_quantity_rejects_null_and_bad_dimension);
    tcase_add_test(tc, test_quantity_reads_numbers_in_any_locale);
    tcase_add_test(tc, test_range_parses_bounds_with_shared_units);
    tcase_add_test(tc, test_range_rejects_inverted_and_malformed);
    tcase_add_loop_test(tc, test_format_writes_readable_units, 0,
                        sizeof formats / sizeof formats[0]);
    tcase_add_test(tc, test_format_then_parse_round_trips);
    tcase_add_test(tc, test_format_of_the_largest_values_parses_back);
    tcase_add_test(tc, test_format_rejects_small_buffer_and_non_finite);
    tcase_add_test(tc, test_quantity_overflow_and_underflow_are_erange_saying_which);
    tcase_add_test(tc, test_quantity_long_numbers_parse_or_are_too_long);
    suite_add_tcase(s, tc);

    tc = tcase_create("tracker-config");
    tcase_add_test(tc, test_tracker_interval_above_a_day_is_erange);
    tcase_add_test(tc, test_tracker_with_the_longest_interval_stops_promptly);
    tcase_add_test(tc, test_tracker_start_names_an_unknown_llmc_variable);
    tcase_add_test(tc, test_every_tracker_key_has_a_known_variable);
    tcase_add_test(tc, test_a_typo_is_never_told_a_test_only_variable);
    tcase_add_test(tc, test_tracker_without_a_grid_says_which_it_uses);
    suite_add_tcase(s, tc);

    tc = tcase_create("account");
    tcase_add_test(tc, test_operational_is_energy_times_pue_times_intensity);
    tcase_add_test(tc, test_operational_rejects_bad_numbers);
    tcase_add_test(tc, test_embodied_is_amortised_over_lifetime);
    tcase_add_test(tc, test_embodied_rejects_bad_numbers);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(core_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
