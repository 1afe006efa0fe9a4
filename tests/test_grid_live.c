/*
 * test_grid_live.c - the live grid sources end to end, over real HTTP to a
 * server on 127.0.0.1 that answers like Electricity Maps, the UK Carbon
 * Intensity API and WattTime (tests/fake_grid_server.py): values, units,
 * the headers sent, the source labels, token handling, every failure shape
 * and the fallback of a chain.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

static pid_t server;
static char base[64];
static char cache_dir[64];

static void server_start(void)
{
    /* every test starts with an empty disk cache of its own */
    snprintf(cache_dir, sizeof cache_dir, "/tmp/llmc-cache-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(cache_dir));
    setenv("LLMC_CACHE_DIR", cache_dir, 1);
    snprintf(base, sizeof base, "http://127.0.0.1:%d",
             fake_grid_server_start(&server));
    setenv("LLMC_ELECTRICITYMAPS_URL", base, 1);
    setenv("LLMC_CARBONINTENSITY_UK_URL", base, 1);
    setenv("LLMC_WATTTIME_URL", base, 1);
    setenv("ELECTRICITYMAPS_API_TOKEN", "good-token", 1);
    setenv("WATTTIME_USERNAME", "wt-user", 1);
    setenv("WATTTIME_PASSWORD", "wt-pass", 1);
}

static void server_stop(void)
{
    fake_grid_server_stop(&server);
    remove_tree(cache_dir);
}

/* GET base/path with the stdlib server's stats, through the library's own
 * HTTP: the stats JSON. */
static json_t *stats(void)
{
    char cmd[256], buf[65536];
    FILE *p;
    size_t n;
    json_error_t err;
    json_t *j;
    snprintf(cmd, sizeof cmd,
             "python3 -c \"import urllib.request,sys;"
             "sys.stdout.write(urllib.request.urlopen('%s/_stats').read()"
             ".decode())\"",
             base);
    ck_assert_ptr_nonnull(p = popen(cmd, "r"));
    n = fread(buf, 1, sizeof buf - 1, p);
    pclose(p);
    buf[n] = '\0';
    j = json_loads(buf, 0, &err);
    ck_assert_msg(j != NULL, "stats: %s: %s", err.text, buf);
    return j;
}

static json_int_t requests_to(json_t *st, const char *path)
{
    return json_integer_value(
        json_object_get(json_object_get(st, "requests"), path));
}

/* Every request the server has counted since its start or the last
 * reset, whatever the path. */
static json_int_t requests_all(void)
{
    json_t *st = stats(), *v;
    const char *k;
    json_int_t n = 0;
    json_object_foreach(json_object_get(st, "requests"), k, v)
        n += json_integer_value(v);
    json_decref(st);
    return n;
}

static json_int_t logins(void)
{
    json_t *st = stats();
    json_int_t n = json_integer_value(json_object_get(st, "logins"));
    json_decref(st);
    return n;
}

static llmc_intensity at_now(llmc_grid *g, int want)
{
    llmc_intensity ci;
    llmc_intensity_init(&ci, sizeof ci);
    ck_assert_status(llmc_grid_intensity_at(&ci, g, (int64_t)time(NULL)), want);
    return ci;
}

static llmc_grid *grid(const char *spec)
{
    llmc_grid *g = NULL;
    ck_assert_status(llmc_grid_new(&g, spec), LLMC_OK);
    return g;
}

/* ---- Electricity Maps -------------------------------------------------- */

START_TEST(test_em_latest_value_labels_and_headers)
{
    llmc_grid *g = grid("electricitymaps:DE");
    llmc_intensity ci = at_now(g, LLMC_OK);
    int64_t now = (int64_t)time(NULL);
    json_t *st, *last;

    ck_assert_double_eq(ci.gco2e_per_kwh, 322.0);
    ck_assert_str_eq(ci.source, "electricitymaps");
    ck_assert_str_eq(ci.zone, "DE");
    ck_assert_int_eq(ci.basis, LLMC_BASIS_LIFECYCLE);
    ck_assert_int_eq(ci.duration_s, 3600);
    ck_assert_int_eq(ci.start_unix_s, now - now % 3600);
    ck_assert_str_eq(ci.fallback, "");
    ck_assert_ptr_nonnull(strstr(ci.provenance, "Electricity Maps"));
    st = stats();
    last = json_object_get(st, "last");
    ck_assert(json_is_true(json_object_get(last, "auth_token_present")));
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(
                                     last, "user_agent")),
                                 "libllmcarbon/"));
    ck_assert_str_eq(json_string_value(json_object_get(last, "accept")),
                     "application/json");
    ck_assert_int_eq(requests_to(st, "/v3/carbon-intensity/latest"), 1);
    json_decref(st);

    /* a second question within the hour comes from the cache */
    ci = at_now(g, LLMC_OK);
    st = stats();
    ck_assert_int_eq(requests_to(st, "/v3/carbon-intensity/latest"), 1);
    json_decref(st);
    llmc_grid_free(g);
}
END_TEST

START_TEST(test_em_history_forecast_and_direct_factors)
{
    llmc_grid *g = grid("electricitymaps:DE");
    llmc_intensity ci;
    int64_t now = (int64_t)time(NULL), hour = now - now % 3600;
    struct tm tm;
    time_t tt;

    /* five hours ago: the day's history, 300 + hour of day */
    llmc_intensity_init(&ci, sizeof ci);
    tt = (time_t)(hour - 5 * 3600);
    gmtime_r(&tt, &tm);
    if (tm.tm_hour != 3) { /* the fake has no value at 03:00 */
        ck_assert_status(llmc_grid_intensity_at(&ci, g, hour - 5 * 3600 + 60),
                         LLMC_OK);
        ck_assert_double_eq(ci.gco2e_per_kwh, 300.0 + tm.tm_hour);
        ck_assert(!ci.is_forecast);
    }
    /* five hours ahead: the forecast, 200 + hour of day, flagged */
    tt = (time_t)(hour + 5 * 3600);
    gmtime_r(&tt, &tm);
    ck_assert_status(llmc_grid_intensity_at(&ci, g, hour + 5 * 3600 + 60),
                     LLMC_OK);
    ck_assert_double_eq(ci.gco2e_per_kwh, 200.0 + tm.tm_hour);
    ck_assert(ci.is_forecast);
    /* three days ago: past-range, 250 + hour of day */
    tt = (time_t)(hour - 72 * 3600);
    gmtime_r(&tt, &tm);
    ck_assert_status(llmc_grid_intensity_at(&ci, g, hour - 72 * 3600 + 60),
                     LLMC_OK);
    ck_assert_double_eq(ci.gco2e_per_kwh, 250.0 + tm.tm_hour);
    llmc_grid_free(g);

    g = grid("electricitymaps:DE?emission_factor_type=direct");
    ci = at_now(g, LLMC_OK);
    ck_assert_double_eq(ci.gco2e_per_kwh, 322.0 - 50);
    ck_assert_int_eq(ci.basis, LLMC_BASIS_DIRECT);
    llmc_grid_free(g);
}
END_TEST

START_TEST(test_em_token_problems_are_eauth_and_never_print_the_token)
{
    llmc_grid *g;
    setenv("ELECTRICITYMAPS_API_TOKEN", "s3cr3t-wrong-token", 1);
    g = grid("electricitymaps:DE");
    at_now(g, LLMC_EAUTH);
    ck_assert_error_mentions("401");
    ck_assert_error_mentions("Token unauthorized");
    ck_assert_ptr_null(strstr(llmc_last_error(), "s3cr3t"));
    llmc_grid_free(g);
    unsetenv("ELECTRICITYMAPS_API_TOKEN");
    g = grid("electricitymaps:DE");
    at_now(g, LLMC_EAUTH);
    ck_assert_error_mentions("ELECTRICITYMAPS_API_TOKEN");
    /* a token given to the grid works */
    ck_assert_status(llmc_grid_set(g, "token", "good-token"), LLMC_OK);
    ck_assert_double_eq(at_now(g, LLMC_OK).gco2e_per_kwh, 322.0);
    llmc_grid_free(g);
}
END_TEST

START_TEST(test_em_unknown_zone_and_wrong_zone_are_refused)
{
    llmc_grid *g = grid("electricitymaps:XX");
    at_now(g, LLMC_ENOTFOUND);
    ck_assert_error_mentions("404");
    llmc_grid_free(g);
    /* an answer for another zone is never taken */
    {
        char url[128];
        snprintf(url, sizeof url, "%s/_mode/wrongzone", base);
        setenv("LLMC_ELECTRICITYMAPS_URL", url, 1);
    }
    g = grid("electricitymaps:DE");
    at_now(g, LLMC_EFORMAT);
    ck_assert_error_mentions("'FR'");
    llmc_grid_free(g);
}
END_TEST

/* Each broken answer: its status, and the chain falls back. */
static const struct {
    const char *mode;
    int code;
    const char *mention;
} broken[] = {
    {"drop", LLMC_ENET, "electricitymaps:DE"},
    {"truncate", LLMC_ENET, "cut short"},
    {"html500", LLMC_EHTTP, "500"},
    {"plain403", LLMC_EAUTH, "Access denied"},
    {"text200", LLMC_EFORMAT, "electricitymaps:DE"},
    {"badjson", LLMC_EFORMAT, "electricitymaps:DE"},
    {"empty", LLMC_EFORMAT, "electricitymaps:DE"},
    {"null", LLMC_ENODATA, "null"},
    {"missing", LLMC_EFORMAT, "carbonIntensity"},
    {"429", LLMC_EHTTP, "429"},
    {"redirect", LLMC_EHTTP, "redirect"},
    {"huge", LLMC_EFORMAT, "8 MiB"},
};

START_TEST(test_em_broken_answers_get_specific_codes_and_chains_fall_back)
{
    char url[128];
    llmc_grid *g;
    llmc_intensity ci;
    snprintf(url, sizeof url, "%s/_mode/%s", base, broken[_i].mode);
    setenv("LLMC_ELECTRICITYMAPS_URL", url, 1);
    g = grid("electricitymaps:DE");
    at_now(g, broken[_i].code);
    ck_assert_error_mentions(broken[_i].mention);
    ck_assert_ptr_null(strstr(llmc_last_error(), "good-token"));
    llmc_grid_free(g);

    g = grid("electricitymaps:DE,static:DE");
    ci = at_now(g, LLMC_OK);
    ck_assert_str_eq(ci.source, "static");
    ck_assert_double_eq(ci.gco2e_per_kwh, 380.95);
    ck_assert_ptr_nonnull(strstr(ci.fallback, "electricitymaps:DE"));
    llmc_grid_free(g);
}
END_TEST

START_TEST(test_slow_server_times_out_within_the_limit)
{
    char url[128];
    llmc_grid *g;
    struct timespec a, b;
    double s;
    snprintf(url, sizeof url, "%s/_mode/slow", base);
    setenv("LLMC_ELECTRICITYMAPS_URL", url, 1);
    g = grid("electricitymaps:DE?timeout=1s,static:DE");
    clock_gettime(CLOCK_MONOTONIC, &a);
    ck_assert_str_eq(at_now(g, LLMC_OK).source, "static");
    clock_gettime(CLOCK_MONOTONIC, &b);
    s = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
    ck_assert_double_ge(s, 0.9);
    ck_assert_double_lt(s, 3.0);
    llmc_grid_free(g);
}
END_TEST

START_TEST(test_refused_connection_falls_back_and_backs_off)
{
    llmc_grid *g;
    llmc_intensity ci;
    struct timespec a, b;
    setenv("LLMC_ELECTRICITYMAPS_URL", "http://127.0.0.1:1", 1);
    g = grid("electricitymaps:DE,static:DE");
    /* the backoff's jitter leaves the program's rand() sequence alone */
    srand(12345);
    {
        int first = rand(), again;
        srand(12345);
        ci = at_now(g, LLMC_OK);
        again = rand();
        ck_assert_int_eq(again, first);
    }
    ck_assert_ptr_nonnull(strstr(ci.fallback, "refused"));
    /* the next question does not knock again at once: it fails fast */
    clock_gettime(CLOCK_MONOTONIC, &a);
    ci = at_now(g, LLMC_OK);
    clock_gettime(CLOCK_MONOTONIC, &b);
    ck_assert_ptr_nonnull(strstr(ci.fallback, "backing off"));
    ck_assert_int_lt((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000,
                     100);
    llmc_grid_free(g);
}
END_TEST

START_TEST(test_disk_cache_serves_a_restart_and_offline_nodes)
{
    llmc_grid *g = grid("electricitymaps:DE");
    llmc_intensity ci;
    json_t *st;
    char path[256], text[512];
    int64_t now = (int64_t)time(NULL), hour = now - now % 3600;
    FILE *f;

    ck_assert_double_eq(at_now(g, LLMC_OK).gco2e_per_kwh, 322.0);
    llmc_grid_free(g);
    /* a new grid (a restarted job) answers from the disk, no request */
    g = grid("electricitymaps:DE");
    ck_assert_double_eq(at_now(g, LLMC_OK).gco2e_per_kwh, 322.0);
    st = stats();
    ck_assert_int_eq(requests_to(st, "/v3/carbon-intensity/latest"), 1);
    json_decref(st);
    llmc_grid_free(g);
    /* the cache holds no secret */
    snprintf(path, sizeof path, "%s/electricitymaps_DE-lifecycle.json",
             cache_dir);
    ck_assert_ptr_nonnull(f = fopen(path, "r"));
    text[fread(text, 1, sizeof text - 1, f)] = '\0';
    fclose(f);
    ck_assert_ptr_null(strstr(text, "good-token"));

    /* a compute node without network, whose cache was filled an hour ago
     * on a login node: the value is used, and labelled stale */
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    fprintf(f, "{\"format\": \"llmcarbon-grid-cache\", \"version\": 1, "
               "\"source\": \"electricitymaps:DE\", \"basis\": \"lifecycle\", "
               "\"fetched_recent_unix_s\": %lld, \"fetched_future_unix_s\": 0, "
               "\"points\": [[%lld, 3600, 111.0, 0]]}",
            (long long)(now - 3600), (long long)hour);
    fclose(f);
    setenv("LLMC_ELECTRICITYMAPS_URL", "http://127.0.0.1:1", 1);
    g = grid("electricitymaps:DE");
    ci = at_now(g, LLMC_OK);
    ck_assert_double_eq(ci.gco2e_per_kwh, 111.0);
    ck_assert_ptr_nonnull(strstr(ci.provenance, "STALE"));
    ck_assert_ptr_nonnull(strstr(ci.provenance, "refused"));
    llmc_grid_free(g);
}
END_TEST

/* A cache file for electricitymaps:DE fetched at fetched_unix_s holding
 * one hour from hour_unix_s. */
static void write_em_cache(const char *body_points, int64_t fetched_unix_s)
{
    char path[256];
    FILE *f;
    snprintf(path, sizeof path, "%s/electricitymaps_DE-lifecycle.json",
             cache_dir);
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    fprintf(f, "{\"format\": \"llmcarbon-grid-cache\", \"version\": 1, "
               "\"source\": \"electricitymaps:DE\", \"basis\": \"lifecycle\", "
               "\"fetched_recent_unix_s\": %lld, \"fetched_future_unix_s\": 0, "
               "\"points\": %s}",
            (long long)fetched_unix_s, body_points);
    fclose(f);
}

/* A new electricitymaps:DE grid answers now with want: a fresh value when
 * stale_because is NULL, else one marked STALE that says why. */
static void expect_em_answer(double want, const char *stale_because)
{
    llmc_grid *g = grid("electricitymaps:DE");
    llmc_intensity ci = at_now(g, LLMC_OK);
    ck_assert_double_eq(ci.gco2e_per_kwh, want);
    if (stale_because) {
        ck_assert_ptr_nonnull(strstr(ci.provenance, "STALE"));
        ck_assert_ptr_nonnull(strstr(ci.provenance, stale_because));
    } else {
        ck_assert_ptr_null(strstr(ci.provenance, "STALE"));
    }
    llmc_grid_free(g);
}

START_TEST(test_cache_from_the_future_is_not_fresh)
{
    json_t *st;
    char points[128];
    int64_t now = (int64_t)time(NULL), hour = now - now % 3600;

    /* written a day ahead by a node with a fast clock: the server is asked */
    snprintf(points, sizeof points, "[[%lld, 3600, 99999.0, 0]]",
             (long long)hour);
    write_em_cache(points, now + 86400);
    expect_em_answer(322.0, NULL);
    st = stats();
    ck_assert_int_eq(requests_to(st, "/v3/carbon-intensity/latest"), 1);
    json_decref(st);

    /* with the server down it is served only as stale, saying why */
    write_em_cache(points, now + 86400);
    setenv("LLMC_ELECTRICITYMAPS_URL", "http://127.0.0.1:1", 1);
    expect_em_answer(99999.0, "in the future");

    /* a minute ahead is ordinary skew between nodes: still fresh */
    snprintf(points, sizeof points, "[[%lld, 3600, 111.0, 0]]",
             (long long)hour);
    write_em_cache(points, now + 60);
    expect_em_answer(111.0, NULL);
}
END_TEST

START_TEST(test_cache_with_extreme_times_is_ignored_not_overflowed)
{
    llmc_grid *g;
    llmc_intensity ci;
    char points[512];
    int64_t now = (int64_t)time(NULL), hour = now - now % 3600;

    /* times no clock can reach, an interval past the year 9999 and a fetch
     * time at the end of int64_t: none of it is fresh or answers, and
     * nothing overflows (UBSan); the one sound point is served only as
     * stale, as its fetch time is not a time */
    snprintf(points, sizeof points,
             "[[9223372036854775807, 9223372036854775807, 5.0, 0], "
             "[-9223372036854775807, 3600, 6.0, 0], "
             "[%lld, 3600, 7.0, 0], "
             "[253402300000, 3600, 8.0, 0]]",
             (long long)hour);
    write_em_cache(points, INT64_C(9223372036854775807));
    setenv("LLMC_ELECTRICITYMAPS_URL", "http://127.0.0.1:1", 1);
    g = grid("electricitymaps:DE");
    ci = at_now(g, LLMC_OK);
    ck_assert_double_eq(ci.gco2e_per_kwh, 7.0);
    ck_assert_ptr_nonnull(strstr(ci.provenance, "STALE"));
    llmc_intensity_init(&ci, sizeof ci);
    ck_assert_int_eq(llmc_grid_intensity_at(&ci, g, INT64_MAX), LLMC_ERANGE);
    ck_assert_int_eq(llmc_grid_intensity_at(&ci, g, INT64_MIN), LLMC_ERANGE);
    llmc_grid_free(g);
}
END_TEST

/* ---- UK Carbon Intensity ------------------------------------------------- */

START_TEST(test_ukci_actual_for_the_past_forecast_for_later)
{
    llmc_grid *g = grid("ukci:national");
    llmc_intensity ci;
    int64_t now = (int64_t)time(NULL), slot = now - now % 1800;
    int index = (int)((slot % 86400) / 1800);

    ci = at_now(g, LLMC_OK);
    ck_assert_double_eq(ci.gco2e_per_kwh, 100.0 + index); /* the actual */
    ck_assert(!ci.is_forecast);
    ck_assert_int_eq(ci.duration_s, 1800);
    ck_assert_int_eq(ci.start_unix_s, slot);
    ck_assert_int_eq(ci.basis, LLMC_BASIS_OPERATIONAL_GENERATION);
    ck_assert_str_eq(ci.source, "ukci");
    ck_assert_ptr_nonnull(strstr(ci.licence, "CC BY 4.0"));
    llmc_intensity_init(&ci, sizeof ci);
    ck_assert_status(llmc_grid_intensity_at(&ci, g, slot + 4 * 3600), LLMC_OK);
    ck_assert_double_eq(ci.gco2e_per_kwh, 150.0);
    ck_assert(ci.is_forecast);
    ck_assert_ptr_nonnull(strstr(ci.provenance, "forecast"));
    llmc_grid_free(g);

    /* a region: forecast only (no actual), national forecast + region id */
    g = grid("ukci:region/13");
    ci = at_now(g, LLMC_OK);
    ck_assert_double_eq(ci.gco2e_per_kwh, 100.0 + index + 5 + 13);
    ck_assert(ci.is_forecast);
    llmc_grid_free(g);
}
END_TEST

START_TEST(test_best_window_from_the_ukci_forecast)
{
    /* the fake's actuals (100..147) are below its forecasts (150): the best
     * two hours start now, and the saving against now is 0 */
    llmc_grid *g = grid("ukci:national");
    llmc_window w;
    int64_t now = (int64_t)time(NULL);
    llmc_window_init(&w, sizeof w);
    ck_assert_status(llmc_grid_best_window(&w, g, now, 7200, 6 * 3600), LLMC_OK);
    ck_assert_int_eq(w.start_unix_s, now);
    ck_assert_double_le(w.mean_gco2e_per_kwh, w.now_mean_gco2e_per_kwh);
    ck_assert_int_eq(w.searched_until_unix_s, now + 8 * 3600);
    llmc_grid_free(g);
    /* a constant: nothing to gain */
    g = grid("const:300");
    llmc_window_init(&w, sizeof w);
    ck_assert_status(llmc_grid_best_window(&w, g, now, 3600, 3600), LLMC_OK);
    ck_assert_double_eq(w.saving_fraction, 0.0);
    ck_assert_status(llmc_grid_best_window(&w, g, now, 10, 3600), LLMC_ERANGE);
    llmc_grid_free(g);
}
END_TEST

/* ---- WattTime ----------------------------------------------------------- */

START_TEST(test_watttime_login_once_convert_and_label_marginal)
{
    llmc_grid *g = grid("watttime:CAISO_NORTH");
    llmc_intensity ci;
    json_t *st;
    int64_t now = (int64_t)time(NULL);

    ci = at_now(g, LLMC_OK);
    /* 1000 lbs/MWh x 0.45359237 */
    ck_assert_double_eq_tol(ci.gco2e_per_kwh, 453.59237, 1e-9);
    ck_assert_int_eq(ci.basis, LLMC_BASIS_MARGINAL);
    ck_assert_int_eq(ci.duration_s, 300);
    ck_assert_ptr_nonnull(strstr(ci.provenance, "marginal"));
    llmc_intensity_init(&ci, sizeof ci);
    ck_assert_status(llmc_grid_intensity_at(&ci, g, now + 3600), LLMC_OK);
    st = stats();
    ck_assert_int_eq(json_integer_value(json_object_get(st, "logins")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(st, "last"), "authorization_scheme")),
                     "Bearer");
    json_decref(st);
    /* the past: historical, with the same token */
    ck_assert_status(llmc_grid_intensity_at(&ci, g, now - 7200), LLMC_OK);
    ck_assert(!ci.is_forecast);
    st = stats();
    ck_assert_int_eq(json_integer_value(json_object_get(st, "logins")), 1);
    json_decref(st);
    llmc_grid_free(g);
}
END_TEST

START_TEST(test_watttime_logs_in_again_once_when_the_token_is_refused)
{
    /* someone else logs in with the same account: the fake then accepts
     * only the newest token, so ours is refused (401), and the source logs
     * in once more and retries */
    llmc_grid *g = grid("watttime:CAISO_NORTH");
    llmc_intensity ci;
    json_t *st;
    char cmd[512];
    int64_t now = (int64_t)time(NULL);

    at_now(g, LLMC_OK);
    snprintf(cmd, sizeof cmd,
             "python3 -c \"import urllib.request,base64;"
             "r=urllib.request.Request('%s/login');"
             "r.add_header('Authorization','Basic '+base64.b64encode("
             "b'wt-user:wt-pass').decode());urllib.request.urlopen(r).read()\"",
             base);
    ck_assert_int_eq(system(cmd), 0);
    llmc_intensity_init(&ci, sizeof ci);
    /* a time the cache does not hold, so a request is made */
    ck_assert_status(llmc_grid_intensity_at(&ci, g, now - 3 * 86400), LLMC_OK);
    st = stats();
    ck_assert_int_eq(json_integer_value(json_object_get(st, "logins")), 3);
    json_decref(st);
    llmc_grid_free(g);
}
END_TEST

START_TEST(test_watttime_bad_credentials_and_units)
{
    llmc_grid *g;
    setenv("WATTTIME_PASSWORD", "s3cr3t-wrong", 1);
    g = grid("watttime:CAISO_NORTH");
    at_now(g, LLMC_EAUTH);
    ck_assert_error_mentions("403");
    ck_assert_ptr_null(strstr(llmc_last_error(), "s3cr3t"));
    llmc_grid_free(g);
    setenv("WATTTIME_PASSWORD", "wt-pass", 1);
    /* a percentile is not an intensity */
    g = grid("watttime:PERCENTILE");
    at_now(g, LLMC_EUNIT);
    ck_assert_error_mentions("percentile");
    llmc_grid_free(g);
    unsetenv("WATTTIME_USERNAME");
    g = grid("watttime:CAISO_NORTH");
    at_now(g, LLMC_EAUTH);
    ck_assert_error_mentions("WATTTIME_USERNAME");
    llmc_grid_free(g);
}
END_TEST

/* ---- requests made: polite to rate-limited APIs ----------------------- */

/* Waits out the last 15 s of a clock hour: a count of requests that
 * spans the turn of the hour would count the next hour's, rightly asked. */
/* Waits out the last 15 s of a period of the wall clock, so that the
 * test's "now" and the server's fall in the same hour (or five minutes:
 * WattTime's points start at the server's current 5-minute period, which
 * a request made at hh:04:59.9 and answered at hh:05:00.1 would miss). */
static void clear_of_the_turn(int64_t period_s)
{
    int64_t left = period_s - (int64_t)time(NULL) % period_s;
    if (left <= 15)
        sleep_ms((long)(left + 1) * 1000);
}

static void clear_of_the_hour_turn(void)
{
    clear_of_the_turn(3600);
}

static void clear_of_the_five_minute_turn(void)
{
    clear_of_the_turn(300);
}

START_TEST(test_grid_get_asks_once_and_a_repeat_asks_nothing)
{
    /* the newest published hour lags the clock (lag): it answers for now,
     * and a repeat within its validity is no new request, in this grid or
     * in a new one (the disk cache) */
    char url[160];
    llmc_grid *g;
    clear_of_the_hour_turn();
    snprintf(url, sizeof url, "%s/_mode/lag", base);
    setenv("LLMC_ELECTRICITYMAPS_URL", url, 1);
    g = grid("electricitymaps:DE");
    ck_assert_double_eq(at_now(g, LLMC_OK).gco2e_per_kwh, 322.0);
    ck_assert_int_eq(requests_all(), 1);
    for (int i = 0; i < 5; i++)
        ck_assert_double_eq(at_now(g, LLMC_OK).gco2e_per_kwh, 322.0);
    ck_assert_int_eq(requests_all(), 1);
    llmc_grid_free(g);
    g = grid("electricitymaps:DE");
    ck_assert_double_eq(at_now(g, LLMC_OK).gco2e_per_kwh, 322.0);
    ck_assert_int_eq(requests_all(), 1);
    llmc_grid_free(g);
}
END_TEST

/* The best 3 h within a day: the forecast (24 h from the next hour) does
 * not reach the end of the search, which stops where it ends. */
/* The best 3 h window within a day of now; how far the search looked. */
static int64_t best_3h_searched_until(llmc_grid *g, int64_t now)
{
    llmc_window w;
    llmc_window_init(&w, sizeof w);
    ck_assert_status(llmc_grid_best_window(&w, g, now, 3 * 3600, 86400),
                     LLMC_OK);
    return w.searched_until_unix_s;
}

static void best_3h_within_a_day(llmc_grid *g, int64_t now)
{
    int64_t until = best_3h_searched_until(g, now);
    ck_assert_int_ge(until, now + 24 * 3600);
    ck_assert_int_lt(until, now + 27 * 3600);
}

START_TEST(test_forecast_asks_at_most_twice_and_not_again_when_short)
{
    llmc_grid *g;
    llmc_intensity ci;
    json_t *st;
    int64_t now;

    clear_of_the_hour_turn();
    g = grid("electricitymaps:DE");
    now = (int64_t)time(NULL);

    best_3h_within_a_day(g, now);
    st = stats();
    ck_assert_int_eq(requests_to(st, "/v3/carbon-intensity/latest"), 1);
    ck_assert_int_eq(requests_to(st, "/v3/carbon-intensity/forecast"), 1);
    json_decref(st);
    ck_assert_int_eq(requests_all(), 2);
    /* again: the same answer, no request; the time past the forecast's end
     * is not asked again within its validity */
    best_3h_within_a_day(g, now);
    llmc_intensity_init(&ci, sizeof ci);
    ck_assert_status(llmc_grid_intensity_at(&ci, g, now + 26 * 3600),
                     LLMC_ENODATA);
    ck_assert_error_mentions("forecast");
    ck_assert_int_eq(requests_all(), 2);
    llmc_grid_free(g);
    /* a new process: the disk cache remembers how far the forecast reached */
    g = grid("electricitymaps:DE");
    best_3h_within_a_day(g, now);
    ck_assert_status(llmc_grid_intensity_at(&ci, g, now + 26 * 3600),
                     LLMC_ENODATA);
    ck_assert_int_eq(requests_all(), 2);
    llmc_grid_free(g);
}
END_TEST

START_TEST(test_ukci_forecast_asks_once)
{
    llmc_grid *g = grid("ukci:national");
    int64_t now = (int64_t)time(NULL);

    ck_assert_int_eq(best_3h_searched_until(g, now), now + 27 * 3600);
    ck_assert_int_eq(requests_all(), 1);
    best_3h_searched_until(g, now);
    ck_assert_int_eq(requests_all(), 1);
    llmc_grid_free(g);
    g = grid("ukci:national");
    best_3h_searched_until(g, now);
    ck_assert_int_eq(requests_all(), 1);
    llmc_grid_free(g);
}
END_TEST

START_TEST(test_watttime_forecast_is_one_login_and_one_request)
{
    llmc_grid *g = grid("watttime:CAISO_NORTH");
    int64_t now = (int64_t)time(NULL);

    ck_assert_int_eq(best_3h_searched_until(g, now), now + 27 * 3600);
    ck_assert_int_eq(logins(), 1);
    ck_assert_int_eq(requests_all(), 2); /* the login and the forecast */
    best_3h_searched_until(g, now);
    at_now(g, LLMC_OK);
    ck_assert_int_eq(requests_all(), 2);
    llmc_grid_free(g);
    /* a new process within the data's validity: no login, no request */
    g = grid("watttime:CAISO_NORTH");
    at_now(g, LLMC_OK);
    ck_assert_int_eq(requests_all(), 2);
    llmc_grid_free(g);
}
END_TEST

/* ---- the tracker with a live grid -------------------------------------- */

START_TEST(test_tracker_weights_energy_by_the_live_intensity)
{
    llmc_tracker *t = NULL;
    llmc_totals o;
    ck_assert_status(llmc_tracker_new(&t), LLMC_OK);
    ck_assert_status(llmc_tracker_configure(
                         t, "meters=const:100W; grid=electricitymaps:DE,static:DE;"
                            "interval=100ms"),
                     LLMC_OK);
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    sleep_ms(250);
    llmc_tracker_stop(t);
    llmc_totals_init(&o, sizeof o);
    ck_assert_status(llmc_tracker_totals(&o, t, NULL), LLMC_OK);
    ck_assert_double_eq_tol(o.intensity_gco2e_per_kwh, 322.0, 1e-9);
    ck_assert_rel(o.operational_kgco2e, o.energy_j / 3.6e6 * 322.0 / 1000, 1e-9);
    llmc_tracker_free(t);
}
END_TEST

/* With sampler=inline the samples run inside llmc_tracker_step, which
 * never waits for the network: the live source answers only from its
 * cache (empty here) and the chain falls back to its next source, with
 * no request made at start, in the steps, or at stop. */
START_TEST(test_inline_sampler_never_asks_the_network)
{
    llmc_tracker *t = NULL;
    llmc_grid *fallback = grid("static:DE");
    llmc_intensity want = at_now(fallback, LLMC_OK);
    llmc_totals o;
    ck_assert_status(llmc_tracker_new(&t), LLMC_OK);
    ck_assert_status(llmc_tracker_configure(
                         t, "meters=const:100W; grid=electricitymaps:DE,static:DE;"
                            "interval=100ms; sampler=inline"),
                     LLMC_OK);
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    for (int i = 0; i < 4; i++) {
        sleep_ms(120);
        for (int k = 0; k < 8; k++) /* the clock is looked at every 8th */
            llmc_tracker_step(t, 1);
    }
    llmc_totals_init(&o, sizeof o);
    ck_assert_status(llmc_tracker_totals(&o, t, NULL), LLMC_OK);
    ck_assert_uint_ge(o.samples, 3); /* before stop: the steps sampled */
    llmc_tracker_stop(t);
    ck_assert_status(llmc_tracker_totals(&o, t, NULL), LLMC_OK);
    ck_assert_double_eq_tol(o.intensity_gco2e_per_kwh, want.gco2e_per_kwh,
                            1e-9);
    ck_assert_double_ne_tol(o.intensity_gco2e_per_kwh, 322.0, 1e-9);
    ck_assert_int_eq(requests_all(), 0);
    llmc_tracker_free(t);
    llmc_grid_free(fallback);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("grid_live");
    TCase *em = tcase_create("electricitymaps"), *uk = tcase_create("ukci"),
          *wt = tcase_create("watttime");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(em, server_start, server_stop);
    tcase_add_checked_fixture(uk, server_start, server_stop);
    tcase_add_checked_fixture(wt, server_start, server_stop);
    tcase_add_checked_fixture(wt, clear_of_the_five_minute_turn, NULL);
    tcase_set_timeout(em, 30);
    tcase_add_test(em, test_em_latest_value_labels_and_headers);
    tcase_add_test(em, test_em_history_forecast_and_direct_factors);
    tcase_add_test(em, test_em_token_problems_are_eauth_and_never_print_the_token);
    tcase_add_test(em, test_em_unknown_zone_and_wrong_zone_are_refused);
    tcase_add_loop_test(em,
                        test_em_broken_answers_get_specific_codes_and_chains_fall_back,
                        0, sizeof broken / sizeof broken[0]);
    tcase_add_test(em, test_slow_server_times_out_within_the_limit);
    tcase_add_test(em, test_refused_connection_falls_back_and_backs_off);
    tcase_add_test(em, test_tracker_weights_energy_by_the_live_intensity);
    tcase_add_test(em, test_inline_sampler_never_asks_the_network);
    tcase_add_test(em, test_disk_cache_serves_a_restart_and_offline_nodes);
    tcase_add_test(em, test_cache_from_the_future_is_not_fresh);
    tcase_add_test(em, test_cache_with_extreme_times_is_ignored_not_overflowed);
    tcase_add_test(em, test_grid_get_asks_once_and_a_repeat_asks_nothing);
    tcase_add_test(em, test_forecast_asks_at_most_twice_and_not_again_when_short);
    tcase_add_test(uk, test_ukci_forecast_asks_once);
    tcase_add_test(wt, test_watttime_forecast_is_one_login_and_one_request);
    tcase_add_test(uk, test_ukci_actual_for_the_past_forecast_for_later);
    tcase_add_test(uk, test_best_window_from_the_ukci_forecast);
    tcase_add_test(wt, test_watttime_login_once_convert_and_label_marginal);
    tcase_add_test(wt, test_watttime_bad_credentials_and_units);
    tcase_add_test(wt, test_watttime_logs_in_again_once_when_the_token_is_refused);
    suite_add_tcase(s, em);
    suite_add_tcase(s, uk);
    suite_add_tcase(s, wt);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
