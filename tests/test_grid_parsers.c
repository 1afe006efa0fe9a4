/*
 * test_grid_parsers.c - the answers of Electricity Maps, the UK Carbon
 * Intensity API and WattTime, and a user's CSV or JSON series, into
 * intensity series: exact values, interval starts and lengths, flags, null
 * hours skipped, every malformed answer refused with its code and a message
 * that names the key and the item, and nothing appended after a failure.
 * Also the ISO 8601 forms the APIs write.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "series.h"
#include "testutil.h"

#define EM "electricitymaps:DE"
#define UK "ukci:national"
#define WT "watttime:CAISO_NORTH"
#define USER "intensity.csv"

/* 2018-01-20T12:00Z, the GB docs' slot */
#define GB_1200 INT64_C(1516449600)
#define T_2024_05_01_13 INT64_C(1714568400)

/* ---- helpers ---------------------------------------------------------- */

static void expect_point(const struct llmc__series *s, size_t i,
                         int64_t start, int64_t dur, double v, unsigned flags)
{
    const struct llmc__point *p;
    ck_assert_msg(i < s->count, "point %zu of %zu", i, s->count);
    p = &s->points[i];
    ck_assert_msg(p->start_unix_s == start, "point %zu starts at %lld, want %lld",
                  i, (long long)p->start_unix_s, (long long)start);
    ck_assert_msg(p->duration_s == dur, "point %zu lasts %lld s, want %lld", i,
                  (long long)p->duration_s, (long long)dur);
    ck_assert_msg(REL_OK(p->gco2e_per_kwh, v, 1e-12),
                  "point %zu is %.17g, want %.17g", i, p->gco2e_per_kwh, v);
    ck_assert_msg(p->flags == flags, "point %zu flags %u, want %u", i,
                  p->flags, flags);
}

/* A series that already holds one point, to see that a failure leaves it. */
static const struct llmc__point sentinel = {86400, 3600, 123.5,
                                            LLMC__POINT_ESTIMATED};

static void prefill(struct llmc__series *s)
{
    llmc__series_init(s);
    ck_assert_int_eq(llmc__series_put(s, &sentinel), LLMC_OK);
}

static void expect_untouched(const struct llmc__series *s)
{
    ck_assert_uint_eq(s->count, 1);
    ck_assert(memcmp(&s->points[0], &sentinel, sizeof sentinel) == 0);
}

static void expect_message(const char *what, const char *m1, const char *m2)
{
    const char *e = llmc_last_error();
    ck_assert_msg(strncmp(e, what, strlen(what)) == 0,
                  "message does not start with '%s': %s", what, e);
    if (m1)
        ck_assert_error_mentions(m1);
    if (m2)
        ck_assert_error_mentions(m2);
}

static int em(struct llmc__series *s, const char *body, char *zone,
              size_t zone_size)
{
    return llmc__parse_electricitymaps(s, body, strlen(body), EM, zone,
                                       zone_size);
}

static int uk(struct llmc__series *s, const char *body, int region)
{
    return llmc__parse_ukci(s, body, strlen(body), UK, region);
}

static int wt(struct llmc__series *s, const char *body, int is_forecast)
{
    return llmc__parse_watttime(s, body, strlen(body), WT, is_forecast);
}

static int user(struct llmc__series *s, const char *body)
{
    return llmc__parse_user_series(s, body, strlen(body), USER);
}

struct bad {
    const char *body;
    int want;
    const char *m1, *m2; /* what the message must mention */
    int arg;             /* UK region id, WattTime is_forecast */
};

/* ---- ISO 8601 --------------------------------------------------------- */

static const struct {
    const char *text;
    int64_t want;
} iso_good[] = {
    {"2023-01-23T17:00:00Z", INT64_C(1674493200)},
    {"2023-01-23T17:00:00.000Z", INT64_C(1674493200)},
    {"2023-01-23T17:00:00.794123Z", INT64_C(1674493200)},
    {"2022-07-15T00:00:00+00:00", INT64_C(1657843200)},
    {"2024-05-01T16:00:00+02:00", INT64_C(1714572000)},
    {"2024-05-01T09:00:00-05:00", INT64_C(1714572000)},
    {"2024-05-01T14:00:00+0000", INT64_C(1714572000)},
    {"2018-01-20T12:00Z", GB_1200},
    {"2018-01-20T12:30Z", GB_1200 + 1800},
    {"2024-02-29T00:00:00Z", INT64_C(1709164800)},
    {"1970-01-01T00:00:00Z", 0},
};

START_TEST(test_iso8601_accepts_the_forms_the_apis_write)
{
    int64_t t = -1;
    ck_assert_msg(llmc__parse_iso8601(&t, iso_good[_i].text) == LLMC_OK, "'%s'",
                  iso_good[_i].text);
    ck_assert_msg(t == iso_good[_i].want, "'%s' = %lld, want %lld",
                  iso_good[_i].text, (long long)t,
                  (long long)iso_good[_i].want);
}
END_TEST

static const char *const iso_bad[] = {
    "2024-05-01T14:00:00",      /* no offset: ambiguous */
    "2024-05-01T14:00",         /* no offset, minute precision */
    "2024-13-01T14:00:00Z",     /* month 13 */
    "2024-00-01T14:00:00Z",     /* month 0 */
    "2024-05-32T14:00:00Z",     /* day 32 */
    "2024-04-31T14:00:00Z",     /* April has 30 days */
    "2024-05-01T24:00:00Z",     /* hour 24 */
    "2024-05-01T14:60:00Z",     /* minute 60 */
    "2023-02-29T00:00:00Z",     /* no 29 February in 2023 */
    "2100-02-29T00:00:00Z",     /* nor in 2100 */
    "2024-05-01T14:00:60Z",     /* second 60: never in these APIs */
    "2024-05-01T14:00:00Zjunk", /* trailing garbage */
    "2024-05-01T14:00:00Z ",    /* trailing space */
    "2024-05-01T14:00:00+25:00",
    "2024-05-01T14:00:00.Z",    /* a dot without digits */
    "2024-05-01",               /* a date only */
    "24-05-01T14:00:00Z",
    "",
    "now",
};

START_TEST(test_iso8601_refuses_what_is_not_a_time_with_an_offset)
{
    int64_t t = 42;
    ck_assert_msg(llmc__parse_iso8601(&t, iso_bad[_i]) == LLMC_EPARSE,
                  "'%s' accepted", iso_bad[_i]);
    ck_assert_int_eq(t, 42);
}
END_TEST

/* ---- Electricity Maps ------------------------------------------------- */

/* the "latest" answer as the Electricity Maps v3 reference shows it (as
 * quoted in the Carbon Aware SDK's ADR 0012) */
static const char em_latest_fr[] =
    "{\"zone\":\"FR\",\"carbonIntensity\":103,"
    "\"datetime\":\"2023-01-23T17:00:00.000Z\","
    "\"updatedAt\":\"2023-01-23T16:53:20.794Z\","
    "\"emissionFactorType\":\"lifecycle\",\"isEstimated\":true,"
    "\"estimationMethod\":\"TIME_SLICER_AVERAGE\"}";

START_TEST(test_em_latest_is_one_estimated_hour)
{
    struct llmc__series s;
    char zone[16] = "unset";
    llmc__series_init(&s);
    ck_assert_status(em(&s, em_latest_fr, zone, sizeof zone), LLMC_OK);
    ck_assert_uint_eq(s.count, 1);
    expect_point(&s, 0, INT64_C(1674493200), 3600, 103,
                 LLMC__POINT_ESTIMATED);
    ck_assert_str_eq(zone, "FR");
    ck_assert_ptr_eq(llmc__series_at(&s, INT64_C(1674493200) + 3599),
                     &s.points[0]);
    ck_assert_ptr_null(llmc__series_at(&s, INT64_C(1674493200) + 3600));
    llmc__series_free(&s);
}
END_TEST

START_TEST(test_em_past_is_measured)
{
    static const char body[] =
        "{\"zone\":\"DE\",\"carbonIntensity\":322,"
        "\"datetime\":\"2019-05-21T00:00:00.000Z\","
        "\"updatedAt\":\"2022-04-07T15:32:21.002Z\","
        "\"createdAt\":\"2022-02-08T06:20:31.772Z\","
        "\"emissionFactorType\":\"lifecycle\",\"isEstimated\":false,"
        "\"estimationMethod\":null}";
    struct llmc__series s;
    char zone[16];
    llmc__series_init(&s);
    ck_assert_status(em(&s, body, zone, sizeof zone), LLMC_OK);
    ck_assert_uint_eq(s.count, 1);
    expect_point(&s, 0, INT64_C(1558396800), 3600, 322, 0);
    ck_assert_str_eq(zone, "DE");
    llmc__series_free(&s);
}
END_TEST

START_TEST(test_em_history_skips_a_null_hour)
{
    static const char body[] =
        "{\"zone\":\"DE\",\"history\":["
        "{\"carbonIntensity\":310,\"datetime\":\"2024-05-01T13:00:00.000Z\","
        "\"updatedAt\":\"2024-05-01T13:50:00.000Z\",\"createdAt\":\"x\","
        "\"emissionFactorType\":\"lifecycle\",\"isEstimated\":false,"
        "\"estimationMethod\":null},"
        "{\"carbonIntensity\":null,\"datetime\":\"2024-05-01T14:00:00.000Z\","
        "\"isEstimated\":true,\"estimationMethod\":null},"
        "{\"carbonIntensity\":298.5,\"datetime\":\"2024-05-01T15:00:00.000Z\","
        "\"isEstimated\":true}]}";
    struct llmc__series s;
    llmc__series_init(&s);
    ck_assert_status(em(&s, body, NULL, 0), LLMC_OK);
    ck_assert_uint_eq(s.count, 2);
    expect_point(&s, 0, T_2024_05_01_13, 3600, 310, 0);
    expect_point(&s, 1, T_2024_05_01_13 + 7200, 3600, 298.5,
                 LLMC__POINT_ESTIMATED);
    /* the null hour is a hole, never a zero */
    ck_assert_ptr_null(llmc__series_at(&s, T_2024_05_01_13 + 3600));
    ck_assert_ptr_null(llmc__series_at(&s, T_2024_05_01_13 + 7199));
    llmc__series_free(&s);
}
END_TEST

START_TEST(test_em_forecast_points_are_forecasts)
{
    static const char body[] =
        "{\"zone\":\"DE\",\"forecast\":["
        "{\"carbonIntensity\":295,\"datetime\":\"2024-05-01T15:00:00.000Z\"},"
        "{\"carbonIntensity\":301,\"datetime\":\"2024-05-01T16:00:00.000Z\"}],"
        "\"updatedAt\":\"2024-05-01T14:41:02.000Z\"}";
    struct llmc__series s;
    char zone[3];
    llmc__series_init(&s);
    ck_assert_status(em(&s, body, zone, sizeof zone), LLMC_OK);
    ck_assert_uint_eq(s.count, 2);
    expect_point(&s, 0, INT64_C(1714575600), 3600, 295, LLMC__POINT_FORECAST);
    expect_point(&s, 1, INT64_C(1714579200), 3600, 301, LLMC__POINT_FORECAST);
    ck_assert_str_eq(zone, "DE");
    llmc__series_free(&s);
}
END_TEST

START_TEST(test_em_past_range_follows_temporal_granularity)
{
    /* the top level says 5 minutes; an item may say otherwise */
    static const char body[] =
        "{\"zone\":\"DE\",\"temporalGranularity\":\"5_minutes\",\"data\":["
        "{\"carbonIntensity\":300,\"datetime\":\"2024-05-01T13:00:00Z\"},"
        "{\"carbonIntensity\":301,\"datetime\":\"2024-05-01T13:05:00Z\","
        "\"temporalGranularity\":\"15_minutes\"},"
        "{\"carbonIntensity\":302,\"datetime\":\"2024-05-02T00:00:00Z\","
        "\"temporalGranularity\":\"daily\"},"
        "{\"carbonIntensity\":303,\"datetime\":\"2024-02-01T00:00:00Z\","
        "\"temporalGranularity\":\"monthly\"},"
        "{\"carbonIntensity\":304,\"datetime\":\"2024-06-01T00:00:00Z\","
        "\"temporalGranularity\":\"hourly\"}]}";
    struct llmc__series s;
    llmc__series_init(&s);
    ck_assert_status(em(&s, body, NULL, 0), LLMC_OK);
    ck_assert_uint_eq(s.count, 5);
    /* sorted by start: February first */
    expect_point(&s, 0, INT64_C(1706745600), 29 * 86400, 303, 0);
    expect_point(&s, 1, T_2024_05_01_13, 300, 300, 0);
    expect_point(&s, 2, T_2024_05_01_13 + 300, 900, 301, 0);
    expect_point(&s, 3, T_2024_05_01_13 + 11 * 3600, 86400, 302, 0);
    expect_point(&s, 4, T_2024_05_01_13 + 31 * 86400 - 13 * 3600, 3600, 304,
                 0);
    llmc__series_free(&s);
}
END_TEST

START_TEST(test_em_empty_history_appends_nothing)
{
    struct llmc__series s;
    char zone[8] = "unset";
    prefill(&s);
    ck_assert_status(em(&s, "{\"zone\":\"DE\",\"history\":[]}", zone,
                        sizeof zone),
                     LLMC_OK);
    expect_untouched(&s);
    ck_assert_str_eq(zone, "DE");
    llmc__series_free(&s);
}
END_TEST

START_TEST(test_em_zone_is_cut_to_the_buffer)
{
    struct llmc__series s;
    char zone[5];
    llmc__series_init(&s);
    ck_assert_status(em(&s,
                        "{\"zone\":\"US-CAL-CISO\",\"carbonIntensity\":200,"
                        "\"datetime\":\"2024-05-01T13:00:00Z\"}",
                        zone, sizeof zone),
                     LLMC_OK);
    ck_assert_str_eq(zone, "US-C");
    /* no zone in the answer: an empty one */
    ck_assert_status(em(&s,
                        "{\"carbonIntensity\":200,"
                        "\"datetime\":\"2024-05-01T14:00:00Z\"}",
                        zone, sizeof zone),
                     LLMC_OK);
    ck_assert_str_eq(zone, "");
    ck_assert_uint_eq(s.count, 2);
    llmc__series_free(&s);
}
END_TEST

START_TEST(test_em_latest_null_is_no_data)
{
    struct llmc__series s;
    char zone[8] = "unset";
    prefill(&s);
    ck_assert_status(em(&s,
                        "{\"zone\":\"DE\",\"carbonIntensity\":null,"
                        "\"datetime\":\"2024-05-01T14:00:00.000Z\"}",
                        zone, sizeof zone),
                     LLMC_ENODATA);
    ck_assert_str_eq(llmc_last_error(),
                     EM " has no value for 2024-05-01T14:00:00.000Z "
                        "(carbonIntensity is null)");
    ck_assert_str_eq(zone, "DE");
    expect_untouched(&s);
    llmc__series_free(&s);
}
END_TEST

static const char html_502[] =
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n";

static const struct bad em_bad[] = {
    {"{\"zone\":\"DE\",\"datetime\":\"2024-05-01T14:00:00.000Z\"}",
     LLMC_EFORMAT, "no carbonIntensity", NULL, 0},
    {"{\"error\":\"Token unauthorized for zoneKey DE\"}", LLMC_EFORMAT,
     "no carbonIntensity", "Token unauthorized for zoneKey DE", 0},
    {"{\"carbonIntensity\":100}", LLMC_EFORMAT, "no datetime", NULL, 0},
    {"{\"carbonIntensity\":\"100\",\"datetime\":\"2024-05-01T14:00:00Z\"}",
     LLMC_EFORMAT, "carbonIntensity is a string, not a number", NULL, 0},
    {"{\"carbonIntensity\":-1,\"datetime\":\"2024-05-01T14:00:00Z\"}",
     LLMC_EFORMAT, "carbonIntensity is -1", ">= 0", 0},
    {"{\"carbonIntensity\":true,\"datetime\":\"2024-05-01T14:00:00Z\"}",
     LLMC_EFORMAT, "carbonIntensity is true, not a number", NULL, 0},
    {"{\"carbonIntensity\":1e999,\"datetime\":\"2024-05-01T14:00:00Z\"}",
     LLMC_EFORMAT, "not finite", "column", 0},
    {"{\"carbonIntensity\":100,\"datetime\":\"2024-05-01T14:00:00\"}",
     LLMC_EFORMAT, "datetime \"2024-05-01T14:00:00\" is not an ISO 8601",
     NULL, 0},
    {"{\"carbonIntensity\":100,\"datetime\":1714572000}", LLMC_EFORMAT,
     "datetime is an integer, not an ISO 8601 date-time string", NULL, 0},
    {"{\"history\":[{\"carbonIntensity\":310,\"datetime\":"
     "\"2024-05-01T13:00:00Z\"},{\"carbonIntensity\":\"310\",\"datetime\":"
     "\"2024-05-01T14:00:00Z\"}]}",
     LLMC_EFORMAT, "history[1].carbonIntensity is a string", NULL, 0},
    {"{\"history\":[{\"carbonIntensity\":310,\"datetime\":"
     "\"2024-05-01T13:00:00Z\"},{\"carbonIntensity\":-5,\"datetime\":"
     "\"2024-05-01T14:00:00Z\"}]}",
     LLMC_EFORMAT, "history[1].carbonIntensity is -5", NULL, 0},
    {"{\"history\":[{\"datetime\":\"2024-05-01T13:00:00Z\"}]}", LLMC_EFORMAT,
     "history[0] has no carbonIntensity", NULL, 0},
    {"{\"history\":[{\"carbonIntensity\":3}]}", LLMC_EFORMAT,
     "history[0] has no datetime", NULL, 0},
    {"{\"history\":[{\"carbonIntensity\":3,\"datetime\":\"2024-13-01T00:00Z\""
     "}]}",
     LLMC_EFORMAT, "history[0].datetime \"2024-13-01T00:00Z\"", NULL, 0},
    {"{\"history\":[17]}", LLMC_EFORMAT,
     "history[0] is an integer, not an object", NULL, 0},
    {"{\"history\":{\"carbonIntensity\":3}}", LLMC_EFORMAT,
     "history is an object, not a list", NULL, 0},
    {"{\"forecast\":null}", LLMC_EFORMAT, "forecast is null, not a list", NULL,
     0},
    {"{\"data\":[{\"carbonIntensity\":3,\"datetime\":\"2024-05-01T13:00:00Z\","
     "\"isEstimated\":\"yes\"}]}",
     LLMC_EFORMAT, "data[0].isEstimated is a string", NULL, 0},
    {"{\"temporalGranularity\":\"fortnightly\",\"data\":[{\"carbonIntensity\""
     ":3,\"datetime\":\"2024-05-01T13:00:00Z\"}]}",
     LLMC_EFORMAT, "\"fortnightly\" is not one of", NULL, 0},
    /* a day and an hour inside it */
    {"{\"data\":[{\"carbonIntensity\":3,\"datetime\":\"2024-05-01T00:00:00Z\","
     "\"temporalGranularity\":\"daily\"},{\"carbonIntensity\":4,\"datetime\":"
     "\"2024-05-01T13:00:00Z\"}]}",
     LLMC_EFORMAT,
     "the interval from 2024-05-01T00:00:00Z (86400 s) overlaps the one from "
     "2024-05-01T13:00:00Z",
     NULL, 0},
    {"{\"zone\":7,\"history\":[]}", LLMC_EFORMAT,
     "zone is an integer, not a string", NULL, 0},
    {"[{\"carbonIntensity\":3,\"datetime\":\"2024-05-01T13:00:00Z\"}]",
     LLMC_EFORMAT, "the answer is a list, not an object", NULL, 0},
    {"\"DE\"", LLMC_EFORMAT, "the answer is a string, not an object", NULL,
     0},
    {"Access denied", LLMC_EFORMAT, "the answer is not JSON: \"Access denied\"",
     NULL, 0},
    {html_502, LLMC_EFORMAT,
     "the answer is not JSON: \"<html>  <head><title>502 Bad Gateway</title>"
     "</head>  <body> \"",
     NULL, 0},
    {"{\"zone\":\"DE\",\"carbonIntensity\":103,\"datetime\":\"2023-01-23T17",
     LLMC_EFORMAT, "malformed JSON at line 1, column 60 (byte 60 of 60)",
     "premature end of input", 0},
    {"{\"zone\":\"DE\",\"history\":[{\"carbonIntensity\":1,", LLMC_EFORMAT,
     "malformed JSON", "end of file", 0},
    {"{\"zone\":\"DE\",\"zone\":\"FR\",\"history\":[]}", LLMC_EFORMAT,
     "duplicate", NULL, 0},
    {"{\"history\":[]} trailing", LLMC_EFORMAT, "malformed JSON", NULL, 0},
    {"", LLMC_EFORMAT, "empty", NULL, 0},
    {" \r\n", LLMC_EFORMAT, "empty", NULL, 0},
};

START_TEST(test_em_refuses_malformed_answers)
{
    struct llmc__series s;
    char zone[8] = "unset";
    prefill(&s);
    ck_assert_status(em(&s, em_bad[_i].body, zone, sizeof zone),
                     em_bad[_i].want);
    expect_message(EM, em_bad[_i].m1, em_bad[_i].m2);
    expect_untouched(&s);
    ck_assert_str_eq(zone, "unset");
    llmc__series_free(&s);
}
END_TEST

START_TEST(test_em_not_json_body_is_quoted_printable_and_short)
{
    static const char body[] = "\x01\x02\xff<!DOCTYPE html>\t"
                               "0123456789012345678901234567890123456789"
                               "0123456789012345678901234567890123456789";
    struct llmc__series s;
    llmc__series_init(&s);
    ck_assert_status(em(&s, body, NULL, 0), LLMC_EFORMAT);
    ck_assert_str_eq(llmc_last_error(),
                     EM ": the answer is not JSON: \"?" "?" "?<!DOCTYPE html> "
                        "01234567890123456789012345678901234567890\"");
    llmc__series_free(&s);
}
END_TEST

/* ---- UK Carbon Intensity ---------------------------------------------- */

START_TEST(test_ukci_national_prefers_actual)
{
    /* the national answer as the API's documentation shows it */
    static const char body[] =
        "{\"data\":[{\"from\":\"2018-01-20T12:00Z\",\"to\":\"2018-01-20T12:30Z\","
        "\"intensity\":{\"forecast\":266,\"actual\":263,\"index\":\"moderate\""
        "}}]}";
    struct llmc__series s;
    llmc__series_init(&s);
    ck_assert_status(uk(&s, body, 0), LLMC_OK);
    ck_assert_uint_eq(s.count, 1);
    expect_point(&s, 0, GB_1200, 1800, 263, 0);
    llmc__series_free(&s);
}
END_TEST

START_TEST(test_ukci_national_forward_slots_are_forecasts)
{
    static const char body[] =
        "{\"data\":["
        "{\"from\":\"2018-01-20T12:00Z\",\"to\":\"2018-01-20T12:30Z\","
        "\"intensity\":{\"forecast\":266,\"actual\":263,\"index\":\"moderate\"}},"
        "{\"from\":\"2018-01-20T12:30Z\",\"to\":\"2018-01-20T13:00Z\","
        "\"intensity\":{\"forecast\":250.5,\"actual\":null,\"index\":\"low\"}},"
        "{\"from\":\"2018-01-20T13:00Z\",\"to\":\"2018-01-20T13:30Z\","
        "\"intensity\":{\"forecast\":null,\"actual\":null,\"index\":null}},"
        "{\"from\":\"2018-01-20T13:30:00+00:00\",\"to\":\"2018-01-20T14:00Z\","
        "\"intensity\":{\"forecast\":0,\"actual\":null}}]}";
    struct llmc__series s;
    llmc__series_init(&s);
    ck_assert_status(uk(&s, body, 0), LLMC_OK);
    ck_assert_uint_eq(s.count, 3);
    expect_point(&s, 0, GB_1200, 1800, 263, 0);
    expect_point(&s, 1, GB_1200 + 1800, 1800, 250.5, LLMC__POINT_FORECAST);
    /* 13:00 had neither: skipped */
    expect_point(&s, 2, GB_1200 + 5400, 1800, 0, LLMC__POINT_FORECAST);
    ck_assert_ptr_null(llmc__series_at(&s, GB_1200 + 3600));
    llmc__series_free(&s);
}
END_TEST

/* /regional: one entry per half hour with every region */
static const char uk_regional_body[] =
    "{\"data\":[{\"from\":\"2018-01-20T12:00Z\",\"to\":\"2018-01-20T12:30Z\","
    "\"regions\":["
    "{\"regionid\":1,\"dnoregion\":\"Scottish Hydro Electric Power "
    "Distribution\",\"shortname\":\"North Scotland\",\"intensity\":{"
    "\"forecast\":12,\"index\":\"very low\"},\"generationmix\":[]},"
    "{\"regionid\":3,\"dnoregion\":\"Electricity North West\","
    "\"shortname\":\"North West England\",\"intensity\":{\"forecast\":266,"
    "\"index\":\"moderate\"},\"generationmix\":[{\"fuel\":\"gas\",\"perc\":"
    "43.6},{\"fuel\":\"coal\",\"perc\":0.7}]}]},"
    "{\"from\":\"2018-01-20T12:30Z\",\"to\":\"2018-01-20T13:00Z\","
    "\"regions\":[{\"regionid\":3,\"intensity\":{\"forecast\":270}}]}]}";

START_TEST(test_ukci_regional_picks_the_region)
{
    struct llmc__series s;
    llmc__series_init(&s);
    ck_assert_status(uk(&s, uk_regional_body, 3), LLMC_OK);
    ck_assert_uint_eq(s.count, 2);
    expect_point(&s, 0, GB_1200, 1800, 266, LLMC__POINT_FORECAST);
    expect_point(&s, 1, GB_1200 + 1800, 1800, 270, LLMC__POINT_FORECAST);
    llmc__series_free(&s);
    llmc__series_init(&s);
    ck_assert_status(uk(&s, uk_regional_body, 1), LLMC_OK);
    ck_assert_uint_eq(s.count, 1);
    expect_point(&s, 0, GB_1200, 1800, 12, LLMC__POINT_FORECAST);
    llmc__series_free(&s);
}
END_TEST

START_TEST(test_ukci_region_missing_from_the_answer_is_no_data)
{
    struct llmc__series s;
    prefill(&s);
    ck_assert_status(uk(&s, uk_regional_body, 13), LLMC_ENODATA);
    ck_assert_str_eq(llmc_last_error(), UK ": region 13 is not in the answer");
    expect_untouched(&s);
    llmc__series_free(&s);
}
END_TEST

/* /regional/regionid/3 and /regional/postcode/RG10: data is a list of one
 * region whose own data is a list of half hours */
static const char uk_postcode_list[] =
    "{\"data\":[{\"regionid\":3,\"dnoregion\":\"Electricity North West\","
    "\"shortname\":\"North West England\",\"postcode\":\"RG10\",\"data\":["
    "{\"from\":\"2018-01-20T12:00Z\",\"to\":\"2018-01-20T12:30Z\","
    "\"intensity\":{\"forecast\":266,\"index\":\"moderate\"},"
    "\"generationmix\":[{\"fuel\":\"gas\",\"perc\":43.6}]},"
    "{\"from\":\"2018-01-20T12:30Z\",\"to\":\"2018-01-20T13:00Z\","
    "\"intensity\":{\"forecast\":null,\"index\":null}},"
    "{\"from\":\"2018-01-20T13:00Z\",\"to\":\"2018-01-20T13:30Z\","
    "\"intensity\":{\"forecast\":240,\"index\":\"moderate\"}}]}]}";

/* /regional/intensity/{from}/fw48h/postcode/{pc}: data is one object */
static const char uk_postcode_object[] =
    "{\"data\":{\"regionid\":11,\"dnoregion\":\"WPD South West\","
    "\"shortname\":\"South West England\",\"postcode\":\"BS16\",\"data\":["
    "{\"from\":\"2025-10-22T23:30Z\",\"to\":\"2025-10-23T00:00Z\","
    "\"intensity\":{\"forecast\":85,\"index\":\"low\"},\"generationmix\":[]},"
    "{\"from\":\"2025-10-23T00:00Z\",\"to\":\"2025-10-23T00:30Z\","
    "\"intensity\":{\"forecast\":90,\"index\":\"low\"},\"generationmix\":[]}"
    "]}}";

/* the inner data as one object rather than a list */
static const char uk_inner_object[] =
    "{\"data\":[{\"regionid\":3,\"shortname\":\"North West England\","
    "\"data\":{\"from\":\"2018-01-20T12:00Z\",\"to\":\"2018-01-20T12:30Z\","
    "\"intensity\":{\"forecast\":266,\"index\":\"moderate\"}}}]}";

START_TEST(test_ukci_postcode_form_accepts_lists_and_objects)
{
    struct llmc__series s;
    llmc__series_init(&s);
    ck_assert_status(uk(&s, uk_postcode_list, 3), LLMC_OK);
    ck_assert_uint_eq(s.count, 2);
    expect_point(&s, 0, GB_1200, 1800, 266, LLMC__POINT_FORECAST);
    expect_point(&s, 1, GB_1200 + 3600, 1800, 240, LLMC__POINT_FORECAST);
    llmc__series_free(&s);

    llmc__series_init(&s);
    ck_assert_status(uk(&s, uk_postcode_object, 11), LLMC_OK);
    ck_assert_uint_eq(s.count, 2);
    expect_point(&s, 0, INT64_C(1761175800), 1800, 85, LLMC__POINT_FORECAST);
    expect_point(&s, 1, INT64_C(1761175800) + 1800, 1800, 90,
                 LLMC__POINT_FORECAST);
    llmc__series_free(&s);

    llmc__series_init(&s);
    ck_assert_status(uk(&s, uk_inner_object, 3), LLMC_OK);
    ck_assert_uint_eq(s.count, 1);
    expect_point(&s, 0, GB_1200, 1800, 266, LLMC__POINT_FORECAST);
    llmc__series_free(&s);
}
END_TEST

START_TEST(test_ukci_empty_data_appends_nothing)
{
    struct llmc__series s;
    prefill(&s);
    ck_assert_status(uk(&s, "{\"data\":[]}", 0), LLMC_OK);
    ck_assert_status(uk(&s, "{\"data\":[]}", 5), LLMC_OK);
    expect_untouched(&s);
    llmc__series_free(&s);
}
END_TEST

static const struct bad uk_bad[] = {
    {"{\"error\":{\"code\":\"400 Bad Request\",\"message\":\"Please enter a "
     "valid date\"}}",
     LLMC_EFORMAT, "400 Bad Request: Please enter a valid date", NULL, 0},
    {"{\"data\":[{\"from\":\"2018-01-20T12:00Z\",\"to\":\"2018-01-20T12:30Z\"}"
     "]}",
     LLMC_EFORMAT, "data[0] has no intensity", NULL, 0},
    {"{\"data\":[{\"from\":\"2018-01-20T12:00Z\",\"to\":\"2018-01-20T12:30Z\","
     "\"intensity\":{\"actual\":\"263\"}}]}",
     LLMC_EFORMAT, "data[0].intensity.actual is a string, not a number", NULL,
     0},
    {"{\"data\":[{\"from\":\"2018-01-20T12:00Z\",\"to\":\"2018-01-20T12:30Z\","
     "\"intensity\":{\"actual\":null}}]}",
     LLMC_EFORMAT, "data[0].intensity has no forecast", NULL, 0},
    {"{\"data\":[{\"from\":\"2018-01-20T12:00Z\",\"to\":\"2018-01-20T12:30Z\","
     "\"intensity\":{\"forecast\":-3,\"actual\":null}}]}",
     LLMC_EFORMAT, "data[0].intensity.forecast is -3", NULL, 0},
    {"{\"data\":[{\"from\":\"2018-01-20T12:00Z\",\"to\":\"2018-01-20T12:30Z\","
     "\"intensity\":266}]}",
     LLMC_EFORMAT, "data[0].intensity is an integer, not an object", NULL, 0},
    {"{\"data\":[{\"from\":\"2018-01-20T12:30Z\",\"to\":\"2018-01-20T12:30Z\","
     "\"intensity\":{\"forecast\":1}}]}",
     LLMC_EFORMAT, "data[0]: \"to\" is not after \"from\"", NULL, 0},
    {"{\"data\":[{\"from\":\"2018-01-20 12:00\",\"to\":\"2018-01-20T12:30Z\","
     "\"intensity\":{\"forecast\":1}}]}",
     LLMC_EFORMAT, "data[0].from \"2018-01-20 12:00\" is not an ISO 8601",
     NULL, 0},
    {"{\"data\":[{\"from\":\"2018-01-20T12:00Z\",\"intensity\":{"
     "\"forecast\":1}}]}",
     LLMC_EFORMAT, "data[0] has no to", NULL, 0},
    {"{\"data\":[{\"from\":\"2018-01-20T12:00Z\",\"to\":\"2018-01-20T12:30Z\","
     "\"intensity\":{\"forecast\":1}},\"x\"]}",
     LLMC_EFORMAT, "data[1] is a string, not an object", NULL, 0},
    {"{\"data\":[{\"from\":\"2018-01-20T12:00Z\",\"to\":\"2018-01-20T13:00Z\","
     "\"intensity\":{\"forecast\":1}},{\"from\":\"2018-01-20T12:30Z\",\"to\":"
     "\"2018-01-20T13:00Z\",\"intensity\":{\"forecast\":1}}]}",
     LLMC_EFORMAT, "2018-01-20T12:00:00Z (3600 s) overlaps", NULL, 0},
    {"{\"data\":{\"from\":\"2018-01-20T12:00Z\"}}", LLMC_EFORMAT,
     "data is an object, not a list", NULL, 0},
    {"[]", LLMC_EFORMAT, "the answer is a list, not an object", NULL, 0},
    {"{}", LLMC_EFORMAT, "no data in the answer", NULL, 0},
    {"<html><body>503 Service Temporarily Unavailable</body></html>",
     LLMC_EFORMAT,
     "not JSON: \"<html><body>503 Service Temporarily Unavailable</body></html"
     "\"",
     NULL, 0},
    {"{\"data\":[{\"from\":\"2018-01-20T12:00Z\",\"to\":\"2018-01-20T12:30Z\","
     "\"intensity\":{\"forecast\":266,",
     LLMC_EFORMAT, "malformed JSON at line 1", NULL, 0},
    /* national asked, regional answered */
    {uk_regional_body, LLMC_EFORMAT, "data[0] is regional (it has regions)",
     NULL, 0},
    {uk_postcode_list, LLMC_EFORMAT, "data[0] is regional (it has regionid)",
     NULL, 0},
    /* a region asked, national answered */
    {"{\"data\":[{\"from\":\"2018-01-20T12:00Z\",\"to\":\"2018-01-20T12:30Z\","
     "\"intensity\":{\"forecast\":266,\"actual\":263}}]}",
     LLMC_EFORMAT, "data[0] has neither regions nor regionid", NULL, 3},
    {"{\"data\":[{\"regionid\":\"3\",\"data\":[]}]}", LLMC_EFORMAT,
     "data[0].regionid is a string, not an integer", NULL, 3},
    {"{\"data\":[{\"from\":\"2018-01-20T12:00Z\",\"to\":\"2018-01-20T12:30Z\","
     "\"regions\":[{\"regionid\":3,\"intensity\":{\"forecast\":\"high\"}}]}]}",
     LLMC_EFORMAT, "data[0].regions[0].intensity.forecast is a string", NULL,
     3},
    {"{\"data\":[{\"from\":\"2018-01-20T12:00Z\",\"to\":\"2018-01-20T12:30Z\","
     "\"regions\":[{\"intensity\":{\"forecast\":1}}]}]}",
     LLMC_EFORMAT, "data[0].regions[0] has no regionid", NULL, 3},
    {"{\"data\":[{\"from\":\"2018-01-20T12:00Z\",\"to\":\"2018-01-20T12:30Z\","
     "\"regions\":{\"regionid\":3}}]}",
     LLMC_EFORMAT, "data[0].regions is an object, not a list", NULL, 3},
    {"{\"data\":[{\"regionid\":3,\"data\":[{\"from\":\"2018-01-20T12:00Z\","
     "\"to\":\"2018-01-20T12:30Z\",\"intensity\":{\"forecast\":1}},"
     "{\"from\":\"2018-01-20T12:30Z\",\"to\":\"2018-01-20T13:00Z\"}]}]}",
     LLMC_EFORMAT, "data[0].data[1] has no intensity", NULL, 3},
    {"{\"data\":[{\"regionid\":3,\"data\":\"none\"}]}", LLMC_EFORMAT,
     "data[0].data is a string, not a list", NULL, 3},
    {"{\"data\":[{\"regionid\":3}]}", LLMC_EFORMAT, "data[0] has no data",
     NULL, 3},
    {"{\"data\":[{\"regionid\":3,\"data\":[]}]}", LLMC_EINVAL, "negative",
     NULL, -1},
};

START_TEST(test_ukci_refuses_malformed_answers)
{
    struct llmc__series s;
    prefill(&s);
    ck_assert_status(uk(&s, uk_bad[_i].body, uk_bad[_i].arg), uk_bad[_i].want);
    expect_message(UK, uk_bad[_i].m1, uk_bad[_i].m2);
    expect_untouched(&s);
    llmc__series_free(&s);
}
END_TEST

/* ---- WattTime --------------------------------------------------------- */

/* WattTime's v3 documentation: its forecast example (two points) */
static const char wt_forecast[] =
    "{\"data\":[{\"point_time\":\"2022-07-15T00:00:00+00:00\",\"value\":"
    "1048.41},{\"point_time\":\"2022-07-15T00:05:00+00:00\",\"value\":1045},"
    "{\"point_time\":\"2022-07-15T00:10:00+00:00\",\"value\":null}],"
    "\"meta\":{\"data_point_period_seconds\":300,\"region\":\"CAISO_NORTH\","
    "\"warnings\":[{\"type\":\"EXAMPLE\",\"message\":\"example\"}],"
    "\"signal_type\":\"co2_moer\",\"model\":{\"date\":\"2023-03-01\"},"
    "\"units\":\"lbs_co2_per_mwh\",\"generated_at_period_seconds\":300,"
    "\"generated_at\":\"2022-07-15T00:00:00+00:00\"}}";

START_TEST(test_watttime_forecast_converts_pounds_per_mwh)
{
    struct llmc__series s;
    llmc__series_init(&s);
    ck_assert_status(wt(&s, wt_forecast, 1), LLMC_OK);
    ck_assert_uint_eq(s.count, 2); /* the null point is skipped */
    expect_point(&s, 0, INT64_C(1657843200), 300, 1048.41 * 0.45359237,
                 LLMC__POINT_FORECAST);
    expect_point(&s, 1, INT64_C(1657843500), 300, 474.00402665,
                 LLMC__POINT_FORECAST);
    ck_assert_ptr_null(llmc__series_at(&s, INT64_C(1657843800)));
    llmc__series_free(&s);
}
END_TEST

START_TEST(test_watttime_historical_is_not_a_forecast)
{
    static const char body[] =
        "{\"data\":[{\"point_time\":\"2024-06-18T20:40:00+02:00\",\"value\":"
        "1000}],\"meta\":{\"data_point_period_seconds\":900,\"region\":"
        "\"CAISO_NORTH\",\"warnings\":[],\"signal_type\":\"co2_moer\","
        "\"model\":{\"type\":\"binned_regression\",\"date\":\"2023-03-01\"},"
        "\"units\":\"lbs_co2_per_mwh\"}}";
    struct llmc__series s;
    llmc__series_init(&s);
    ck_assert_status(wt(&s, body, 0), LLMC_OK);
    ck_assert_uint_eq(s.count, 1);
    expect_point(&s, 0, INT64_C(1718736000), 900, 453.59237, 0);
    llmc__series_free(&s);
}
END_TEST

START_TEST(test_watttime_forecast_historical_newer_forecast_wins)
{
    static const char body[] =
        "{\"data\":["
        "{\"generated_at\":\"2022-07-15T00:00:00+00:00\",\"forecast\":["
        "{\"point_time\":\"2022-07-15T00:00:00+00:00\",\"value\":1000},"
        "{\"point_time\":\"2022-07-15T00:05:00+00:00\",\"value\":1000}]},"
        "{\"generated_at\":\"2022-07-15T00:05:00+00:00\",\"forecast\":["
        "{\"point_time\":\"2022-07-15T00:05:00+00:00\",\"value\":2000},"
        "{\"point_time\":\"2022-07-15T00:10:00+00:00\",\"value\":2000}]}],"
        "\"meta\":{\"data_point_period_seconds\":300,"
        "\"units\":\"lbs_co2_per_mwh\"}}";
    struct llmc__series s;
    llmc__series_init(&s);
    ck_assert_status(wt(&s, body, 1), LLMC_OK);
    ck_assert_uint_eq(s.count, 3);
    expect_point(&s, 0, INT64_C(1657843200), 300, 453.59237,
                 LLMC__POINT_FORECAST);
    expect_point(&s, 1, INT64_C(1657843500), 300, 907.18474,
                 LLMC__POINT_FORECAST);
    expect_point(&s, 2, INT64_C(1657843800), 300, 907.18474,
                 LLMC__POINT_FORECAST);
    llmc__series_free(&s);
}
END_TEST

START_TEST(test_watttime_empty_data_appends_nothing)
{
    struct llmc__series s;
    prefill(&s);
    ck_assert_status(wt(&s,
                        "{\"data\":[],\"meta\":{\"units\":\"lbs_co2_per_mwh\","
                        "\"data_point_period_seconds\":300}}",
                        0),
                     LLMC_OK);
    expect_untouched(&s);
    llmc__series_free(&s);
}
END_TEST

/* the signal-index answer recorded in aiowatttime's tests */
static const char wt_percentile[] =
    "{\"data\":[{\"point_time\":\"2024-06-18T18:40:00+00:00\",\"value\":96.0}],"
    "\"meta\":{\"data_point_period_seconds\":300,\"region\":\"PSCO\","
    "\"signal_type\":\"co2_moer\",\"units\":\"percentile\",\"warnings\":[],"
    "\"model\":{\"date\":\"2022-10-01\"}}}";

#define WT_META "\"meta\":{\"units\":\"lbs_co2_per_mwh\",\"data_point_period_seconds\":300}"

static const struct bad wt_bad[] = {
    {wt_percentile, LLMC_EUNIT, "unit \"percentile\" is not an intensity",
     NULL, 0},
    {"{\"data\":[],\"meta\":{\"units\":\"kg_co2_per_mwh\","
     "\"data_point_period_seconds\":300}}",
     LLMC_EUNIT, "\"kg_co2_per_mwh\"", NULL, 1},
    {"{\"data\":[],\"meta\":{\"data_point_period_seconds\":300}}",
     LLMC_EFORMAT, "meta has no units", NULL, 0},
    {"{\"data\":[],\"meta\":{\"units\":7,\"data_point_period_seconds\":300}}",
     LLMC_EFORMAT, "meta.units is an integer, not a string", NULL, 0},
    {"{\"data\":[],\"meta\":{\"units\":\"lbs_co2_per_mwh\"}}", LLMC_EFORMAT,
     "meta has no data_point_period_seconds", NULL, 0},
    {"{\"data\":[],\"meta\":{\"units\":\"lbs_co2_per_mwh\","
     "\"data_point_period_seconds\":0}}",
     LLMC_EFORMAT, "data_point_period_seconds is 0", NULL, 0},
    {"{\"data\":[],\"meta\":{\"units\":\"lbs_co2_per_mwh\","
     "\"data_point_period_seconds\":\"300\"}}",
     LLMC_EFORMAT, "data_point_period_seconds is a string", NULL, 0},
    {"{\"data\":[]}", LLMC_EFORMAT, "no meta in the answer", NULL, 0},
    {"{\"data\":[],\"meta\":[]}", LLMC_EFORMAT, "meta is a list", NULL, 0},
    {"{\"error\":\"Unauthorized\"}", LLMC_EFORMAT,
     "the answer is an error: \"Unauthorized\"", NULL, 0},
    {"{\"meta\":{}}", LLMC_EFORMAT, "no data in the answer", NULL, 0},
    {"{\"data\":{}," WT_META "}", LLMC_EFORMAT,
     "data is an object, not a list", NULL, 0},
    {"{\"data\":[{\"point_time\":\"2022-07-15T00:00:00+00:00\",\"value\":1},"
     "{\"point_time\":\"2022-07-15T00:05:00+00:00\",\"value\":\"high\"}]," WT_META
     "}",
     LLMC_EFORMAT, "data[1].value is a string, not a number", NULL, 0},
    {"{\"data\":[{\"point_time\":\"2022-07-15T00:00:00+00:00\",\"value\":-1}],"
     WT_META "}",
     LLMC_EFORMAT, "data[0].value is -1", NULL, 0},
    {"{\"data\":[{\"point_time\":\"2022-07-15T00:00:00+00:00\"}]," WT_META "}",
     LLMC_EFORMAT, "data[0] has no value", NULL, 0},
    {"{\"data\":[{\"point_time\":\"2022-07-15T00:00:00\",\"value\":1}],"
     WT_META "}",
     LLMC_EFORMAT, "data[0].point_time \"2022-07-15T00:00:00\"", NULL, 0},
    {"{\"data\":[{\"value\":1}]," WT_META "}", LLMC_EFORMAT,
     "data[0] has no point_time", NULL, 0},
    {"{\"data\":[[1]]," WT_META "}", LLMC_EFORMAT,
     "data[0] is a list, not an object", NULL, 0},
    {"{\"data\":[{\"generated_at\":\"x\",\"forecast\":7}]," WT_META "}",
     LLMC_EFORMAT, "data[0].forecast is an integer, not a list", NULL, 1},
    {"{\"data\":[{\"generated_at\":\"x\",\"forecast\":[{\"point_time\":"
     "\"2022-07-15T00:00:00Z\",\"value\":1e999}]}]," WT_META "}",
     LLMC_EFORMAT, "not finite", NULL, 1},
    {"{\"data\":[{\"generated_at\":\"x\",\"forecast\":[{\"point_time\":"
     "\"2022-07-15T00:00:00Z\",\"value\":false}]}]," WT_META "}",
     LLMC_EFORMAT, "data[0].forecast[0].value is false", NULL, 1},
    {"null", LLMC_EFORMAT, "the answer is null, not an object", NULL, 0},
    {"{\"data\":[{\"point_time\":\"2022-07-15T00:00:00+00:00\",\"value\":1}",
     LLMC_EFORMAT, "malformed JSON", "line 1", 0},
    {"upstream connect error or disconnect/reset before headers. reset reason:"
     " connection termination",
     LLMC_EFORMAT,
     "not JSON: \"upstream connect error or disconnect/reset before headers. "
     "r\"",
     NULL, 0},
};

START_TEST(test_watttime_refuses_malformed_answers)
{
    struct llmc__series s;
    prefill(&s);
    ck_assert_status(wt(&s, wt_bad[_i].body, wt_bad[_i].arg), wt_bad[_i].want);
    expect_message(WT, wt_bad[_i].m1, wt_bad[_i].m2);
    expect_untouched(&s);
    llmc__series_free(&s);
}
END_TEST

START_TEST(test_watttime_token)
{
    static const char body[] = "{\"token\":\"eyJhbGciOi.secret.sig\"}";
    char token[64] = "unset", small[8] = "unset";
    ck_assert_status(llmc__parse_watttime_token(token, sizeof token, body,
                                                strlen(body), "watttime"),
                     LLMC_OK);
    ck_assert_str_eq(token, "eyJhbGciOi.secret.sig");
    /* too long for the buffer: refused, and never quoted */
    ck_assert_status(llmc__parse_watttime_token(small, sizeof small, body,
                                                strlen(body), "watttime"),
                     LLMC_ERANGE);
    ck_assert_str_eq(small, "unset");
    ck_assert_ptr_null(strstr(llmc_last_error(), "secret"));
    ck_assert_status(llmc__parse_watttime_token(token, sizeof token,
                                                "{\"error\":\"x\"}", 13,
                                                "watttime"),
                     LLMC_EFORMAT);
    ck_assert_error_mentions("watttime: no token");
    ck_assert_status(llmc__parse_watttime_token(token, sizeof token,
                                                "{\"token\":\"\"}", 12,
                                                "watttime"),
                     LLMC_EFORMAT);
    ck_assert_status(llmc__parse_watttime_token(token, sizeof token,
                                                "{\"token\":5}", 11,
                                                "watttime"),
                     LLMC_EFORMAT);
    ck_assert_error_mentions("an integer");
    ck_assert_status(llmc__parse_watttime_token(token, sizeof token,
                                                "Unauthorized", 12,
                                                "watttime"),
                     LLMC_EFORMAT);
    ck_assert_error_mentions("not JSON");
    ck_assert_str_eq(token, "eyJhbGciOi.secret.sig");
}
END_TEST

/* ---- a user's series -------------------------------------------------- */

START_TEST(test_user_csv_rows_hold_until_the_next_row)
{
    static const char body[] = "datetime,intensity_gco2e_per_kwh\n"
                               "2024-05-01T13:00:00Z,310\n"
                               "2024-05-01T14:00:00Z,305.25\n"
                               "2024-05-01T15:00:00Z,0\n";
    struct llmc__series s;
    llmc__series_init(&s);
    ck_assert_status(user(&s, body), LLMC_OK);
    ck_assert_uint_eq(s.count, 3);
    expect_point(&s, 0, T_2024_05_01_13, 3600, 310, 0);
    expect_point(&s, 1, T_2024_05_01_13 + 3600, 3600, 305.25, 0);
    expect_point(&s, 2, T_2024_05_01_13 + 7200, 3600, 0, 0);
    llmc__series_free(&s);
}
END_TEST

START_TEST(test_user_csv_tolerates_bom_crlf_blanks_and_spaces)
{
    static const char body[] = "\xEF\xBB\xBF DateTime , Intensity_gCO2e_per_kWh \r\n"
                               "\r\n"
                               "  2024-05-01T15:00:00+02:00 ,\t310 \r\n"
                               "2024-05-01T13:30:00.000Z,2.5e2\r\n"
                               "\r\n";
    struct llmc__series s;
    llmc__series_init(&s);
    ck_assert_status(user(&s, body), LLMC_OK);
    ck_assert_uint_eq(s.count, 2);
    expect_point(&s, 0, T_2024_05_01_13, 1800, 310, 0);
    expect_point(&s, 1, T_2024_05_01_13 + 1800, 1800, 250, 0);
    llmc__series_free(&s);
}
END_TEST

START_TEST(test_user_csv_last_row_holds_the_median_spacing)
{
    /* spacings 1800, 3600, 1800: the last row holds 1800 s */
    static const char body[] = "datetime,intensity_gco2e_per_kwh\n"
                               "2024-05-01T13:00:00Z,1\n"
                               "2024-05-01T13:30:00Z,2\n"
                               "2024-05-01T14:30:00Z,3\n"
                               "2024-05-01T15:00:00Z,4\n";
    static const char one[] = "datetime,intensity_gco2e_per_kwh\n"
                              "2024-05-01T13:00:00Z,42\n";
    struct llmc__series s;
    llmc__series_init(&s);
    ck_assert_status(user(&s, body), LLMC_OK);
    ck_assert_uint_eq(s.count, 4);
    expect_point(&s, 0, T_2024_05_01_13, 1800, 1, 0);
    expect_point(&s, 1, T_2024_05_01_13 + 1800, 3600, 2, 0);
    expect_point(&s, 2, T_2024_05_01_13 + 5400, 1800, 3, 0);
    expect_point(&s, 3, T_2024_05_01_13 + 7200, 1800, 4, 0);
    llmc__series_free(&s);
    /* one row: one hour */
    llmc__series_init(&s);
    ck_assert_status(user(&s, one), LLMC_OK);
    ck_assert_uint_eq(s.count, 1);
    expect_point(&s, 0, T_2024_05_01_13, 3600, 42, 0);
    llmc__series_free(&s);
}
END_TEST

START_TEST(test_user_csv_empty_value_is_a_hole)
{
    static const char body[] = "datetime,intensity_gco2e_per_kwh\n"
                               "2024-05-01T13:00:00Z,100\n"
                               "2024-05-01T14:00:00Z,\n"
                               "2024-05-01T15:00:00Z,200\n";
    struct llmc__series s;
    llmc__series_init(&s);
    ck_assert_status(user(&s, body), LLMC_OK);
    ck_assert_uint_eq(s.count, 2);
    expect_point(&s, 0, T_2024_05_01_13, 3600, 100, 0);
    expect_point(&s, 1, T_2024_05_01_13 + 7200, 3600, 200, 0);
    ck_assert_ptr_null(llmc__series_at(&s, T_2024_05_01_13 + 3600));
    llmc__series_free(&s);
}
END_TEST

START_TEST(test_user_csv_header_only_appends_nothing)
{
    struct llmc__series s;
    prefill(&s);
    ck_assert_status(user(&s, "datetime,intensity_gco2e_per_kwh\n"), LLMC_OK);
    ck_assert_status(user(&s, "datetime,intensity_gco2e_per_kwh"), LLMC_OK);
    ck_assert_status(user(&s, "[]"), LLMC_OK);
    expect_untouched(&s);
    llmc__series_free(&s);
}
END_TEST

START_TEST(test_user_json_list)
{
    static const char body[] =
        "\xEF\xBB\xBF[{\"datetime\":\"2024-05-01T13:00:00Z\","
        "\"intensity_gco2e_per_kwh\":310,\"note\":\"ignored\"},"
        "{\"datetime\":\"2024-05-01T14:00:00+00:00\","
        "\"intensity_gco2e_per_kwh\":null},"
        "{\"datetime\":\"2024-05-01T16:00:00+01:00\","
        "\"intensity_gco2e_per_kwh\":290.5}]";
    struct llmc__series s;
    llmc__series_init(&s);
    ck_assert_status(user(&s, body), LLMC_OK);
    ck_assert_uint_eq(s.count, 2);
    expect_point(&s, 0, T_2024_05_01_13, 3600, 310, 0);
    expect_point(&s, 1, T_2024_05_01_13 + 7200, 3600, 290.5, 0);
    llmc__series_free(&s);
}
END_TEST

#define HDR "datetime,intensity_gco2e_per_kwh\n"

static const struct bad user_bad[] = {
    {"2024-05-01T13:00:00Z,310\n2024-05-01T14:00:00Z,305\n", LLMC_EFORMAT,
     "line 1: \"2024-05-01T13:00:00Z,310\" is not the header row",
     "datetime,intensity_gco2e_per_kwh", 0},
    {"time,gco2e\n2024-05-01T13:00:00Z,310\n", LLMC_EFORMAT,
     "line 1: \"time,gco2e\" is not the header row", NULL, 0},
    {"", LLMC_EFORMAT, "the file is empty", NULL, 0},
    {"\n\r\n  \n", LLMC_EFORMAT, "the file is empty", NULL, 0},
    {HDR "2024-05-01T13:00:00Z,310\n2024-05-1T14:00:00Z,305\n", LLMC_EFORMAT,
     "line 3: \"2024-05-1T14:00:00Z\" is not an ISO 8601 date-time", NULL, 0},
    {HDR "2024-05-01T13:00:00,310\n", LLMC_EFORMAT,
     "line 2: \"2024-05-01T13:00:00\" is not an ISO 8601 date-time with an "
     "offset",
     NULL, 0},
    {HDR "2024-05-01T13:00:00Z,310\n2024-05-01T14:00:00Z,305\n"
         "2024-05-01T12:00:00Z,300\n",
     LLMC_EFORMAT,
     "line 4: 2024-05-01T12:00:00Z is not after line 3", NULL, 0},
    {HDR "2024-05-01T13:00:00Z,310\n\n2024-05-01T15:00:00+02:00,305\n",
     LLMC_EFORMAT, "line 4: 2024-05-01T15:00:00+02:00 is not after line 2",
     NULL, 0},
    {HDR "2024-05-01T13:00:00Z,310,1\n", LLMC_EFORMAT,
     "line 2 has 3 columns, not 2", NULL, 0},
    {HDR "2024-05-01T13:00:00Z;310\n", LLMC_EFORMAT,
     "line 2 has 1 column, not 2", NULL, 0},
    {HDR "2024-05-01T13:00:00Z,-1\n", LLMC_EFORMAT,
     "line 2: intensity_gco2e_per_kwh \"-1\" is not a finite number >= 0",
     NULL, 0},
    {HDR "2024-05-01T13:00:00Z,nan\n", LLMC_EFORMAT, "line 2", "\"nan\"", 0},
    {HDR "2024-05-01T13:00:00Z,1e999\n", LLMC_EFORMAT, "line 2", "\"1e999\"",
     0},
    {HDR "2024-05-01T13:00:00Z,310g\n", LLMC_EFORMAT, "line 2", "\"310g\"", 0},
    {HDR "2024-05-01T13:00:00Z,0x10\n", LLMC_EFORMAT, "line 2", "\"0x10\"", 0},
    {HDR "2024-05-01T13:00:00Z,\"310\"\n", LLMC_EFORMAT, "line 2", NULL, 0},
    {HDR "2024-05-01T13:00:00Z,3\x01" "10\n", LLMC_EFORMAT,
     "line 2: a control character", NULL, 0},
    {"[{\"datetime\":\"2024-05-01T13:00:00Z\",\"intensity_gco2e_per_kwh\":1},"
     "{\"datetime\":\"2024-05-01T13:00:00Z\",\"intensity_gco2e_per_kwh\":2}]",
     LLMC_EFORMAT, "[1].datetime is not after [0].datetime", NULL, 0},
    {"[{\"datetime\":\"2024-05-01T13:00:00Z\",\"intensity_gco2e_per_kwh\":"
     "\"1\"}]",
     LLMC_EFORMAT, "[0].intensity_gco2e_per_kwh is a string, not a number",
     NULL, 0},
    {"[{\"datetime\":\"2024-05-01T13:00:00Z\"}]", LLMC_EFORMAT,
     "[0] has no intensity_gco2e_per_kwh", NULL, 0},
    {"[{\"datetime\":\"2024-05-01\",\"intensity_gco2e_per_kwh\":1}]",
     LLMC_EFORMAT, "[0].datetime \"2024-05-01\" is not an ISO 8601", NULL, 0},
    {"[{\"datetime\":\"2024-05-01T13:00:00Z\",\"intensity_gco2e_per_kwh\":-2}]",
     LLMC_EFORMAT, "[0].intensity_gco2e_per_kwh is -2", NULL, 0},
    {"[1]", LLMC_EFORMAT, "[0] is an integer, not an object", NULL, 0},
    {"{\"datetime\":\"2024-05-01T13:00:00Z\",\"intensity_gco2e_per_kwh\":1}",
     LLMC_EFORMAT, "the file is an object, not a list", NULL, 0},
    {"[{\"datetime\":\"2024-05-01T13:00:00Z\",", LLMC_EFORMAT,
     "malformed JSON at line 1", NULL, 0},
};

START_TEST(test_user_refuses_malformed_series)
{
    struct llmc__series s;
    prefill(&s);
    ck_assert_status(user(&s, user_bad[_i].body), user_bad[_i].want);
    expect_message(USER, user_bad[_i].m1, user_bad[_i].m2);
    expect_untouched(&s);
    llmc__series_free(&s);
}
END_TEST

START_TEST(test_user_nul_byte_is_refused)
{
    static const char body[] = HDR "2024-05-01T13:00:00Z,1\0\n";
    struct llmc__series s;
    prefill(&s);
    ck_assert_status(llmc__parse_user_series(&s, body, sizeof body - 1, USER),
                     LLMC_EFORMAT);
    ck_assert_error_mentions("line 2: a control character (byte 0x00)");
    expect_untouched(&s);
    llmc__series_free(&s);
}
END_TEST

/* ---- all parsers ------------------------------------------------------ */

START_TEST(test_parsers_merge_newer_points_over_older)
{
    /* a forecast, then the measured value of the same hour: it replaces */
    static const char fc[] =
        "{\"zone\":\"DE\",\"forecast\":[{\"carbonIntensity\":295,"
        "\"datetime\":\"2024-05-01T13:00:00.000Z\"}]}";
    static const char hist[] =
        "{\"zone\":\"DE\",\"history\":[{\"carbonIntensity\":310,"
        "\"datetime\":\"2024-05-01T13:00:00.000Z\",\"isEstimated\":false}]}";
    struct llmc__series s;
    prefill(&s);
    ck_assert_status(em(&s, fc, NULL, 0), LLMC_OK);
    ck_assert_status(em(&s, hist, NULL, 0), LLMC_OK);
    ck_assert_uint_eq(s.count, 2);
    ck_assert(memcmp(&s.points[0], &sentinel, sizeof sentinel) == 0);
    expect_point(&s, 1, T_2024_05_01_13, 3600, 310, 0);
    llmc__series_free(&s);
}
END_TEST

START_TEST(test_parsers_refuse_null_arguments)
{
    struct llmc__series s;
    llmc__series_init(&s);
    ck_assert_status(llmc__parse_electricitymaps(NULL, "{}", 2, EM, NULL, 0),
                     LLMC_EINVAL);
    ck_assert_status(llmc__parse_ukci(&s, NULL, 2, UK, 0), LLMC_EINVAL);
    ck_assert_status(llmc__parse_watttime(&s, "{}", 2, NULL, 0), LLMC_EINVAL);
    ck_assert_status(llmc__parse_user_series(NULL, "", 0, USER), LLMC_EINVAL);
    /* NULL with no length is an empty body */
    ck_assert_status(llmc__parse_user_series(&s, NULL, 0, USER), LLMC_EFORMAT);
    ck_assert_uint_eq(s.count, 0);
    llmc__series_free(&s);
}
END_TEST

/* ---- suite ------------------------------------------------------------ */

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *parsers_suite(void)
{
    Suite *s = suite_create("grid_parsers");
    TCase *t;

    t = tcase_create("iso8601");
    tcase_add_loop_test(t, test_iso8601_accepts_the_forms_the_apis_write, 0,
                        N(iso_good));
    tcase_add_loop_test(t,
                        test_iso8601_refuses_what_is_not_a_time_with_an_offset,
                        0, N(iso_bad));
    suite_add_tcase(s, t);

    t = tcase_create("electricitymaps");
    tcase_add_test(t, test_em_latest_is_one_estimated_hour);
    tcase_add_test(t, test_em_past_is_measured);
    tcase_add_test(t, test_em_history_skips_a_null_hour);
    tcase_add_test(t, test_em_forecast_points_are_forecasts);
    tcase_add_test(t, test_em_past_range_follows_temporal_granularity);
    tcase_add_test(t, test_em_empty_history_appends_nothing);
    tcase_add_test(t, test_em_zone_is_cut_to_the_buffer);
    tcase_add_test(t, test_em_latest_null_is_no_data);
    tcase_add_loop_test(t, test_em_refuses_malformed_answers, 0, N(em_bad));
    tcase_add_test(t, test_em_not_json_body_is_quoted_printable_and_short);
    suite_add_tcase(s, t);

    t = tcase_create("ukci");
    tcase_add_test(t, test_ukci_national_prefers_actual);
    tcase_add_test(t, test_ukci_national_forward_slots_are_forecasts);
    tcase_add_test(t, test_ukci_regional_picks_the_region);
    tcase_add_test(t, test_ukci_region_missing_from_the_answer_is_no_data);
    tcase_add_test(t, test_ukci_postcode_form_accepts_lists_and_objects);
    tcase_add_test(t, test_ukci_empty_data_appends_nothing);
    tcase_add_loop_test(t, test_ukci_refuses_malformed_answers, 0, N(uk_bad));
    suite_add_tcase(s, t);

    t = tcase_create("watttime");
    tcase_add_test(t, test_watttime_forecast_converts_pounds_per_mwh);
    tcase_add_test(t, test_watttime_historical_is_not_a_forecast);
    tcase_add_test(t, test_watttime_forecast_historical_newer_forecast_wins);
    tcase_add_test(t, test_watttime_empty_data_appends_nothing);
    tcase_add_loop_test(t, test_watttime_refuses_malformed_answers, 0,
                        N(wt_bad));
    tcase_add_test(t, test_watttime_token);
    suite_add_tcase(s, t);

    t = tcase_create("user");
    tcase_add_test(t, test_user_csv_rows_hold_until_the_next_row);
    tcase_add_test(t, test_user_csv_tolerates_bom_crlf_blanks_and_spaces);
    tcase_add_test(t, test_user_csv_last_row_holds_the_median_spacing);
    tcase_add_test(t, test_user_csv_empty_value_is_a_hole);
    tcase_add_test(t, test_user_csv_header_only_appends_nothing);
    tcase_add_test(t, test_user_json_list);
    tcase_add_loop_test(t, test_user_refuses_malformed_series, 0,
                        N(user_bad));
    tcase_add_test(t, test_user_nul_byte_is_refused);
    suite_add_tcase(s, t);

    t = tcase_create("all");
    tcase_add_test(t, test_parsers_merge_newer_points_over_older);
    tcase_add_test(t, test_parsers_refuse_null_arguments);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(parsers_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
