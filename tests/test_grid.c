/*
 * test_grid.c - grid carbon intensity: zone specs in every accepted form,
 * constants, errors with their advice, the bundled table against
 * data/grid_intensity.csv, the versioned llmc_intensity, and references.
 */
#include <check.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "llmcarbon.h"
#include "testutil.h"

/* Evaluates the call once, so that its message is the one reported. */

/* ---- helpers ---------------------------------------------------------- */

static llmc_grid *grid_ok(const char *spec)
{
    llmc_grid *g = NULL;
    int rc = llmc_grid_new(&g, spec);
    ck_assert_msg(rc == LLMC_OK, "llmc_grid_new('%s') = %s: %s", spec,
                  llmc_status_name(rc), llmc_last_error());
    ck_assert_ptr_nonnull(g);
    return g;
}

static llmc_intensity answer(llmc_grid *g)
{
    llmc_intensity ci;
    int rc;
    llmc_intensity_init(&ci, sizeof ci);
    rc = llmc_grid_intensity_at(&ci, g, 1767225600); /* 2026-01-01 */
    ck_assert_msg(rc == LLMC_OK, "intensity of '%s' = %s: %s",
                  llmc_grid_spec(g), llmc_status_name(rc), llmc_last_error());
    ck_assert_uint_eq(ci.size, sizeof ci);
    return ci;
}

static void expect_not_found(const char *spec)
{
    llmc_grid *g = NULL;
    ck_assert_status(llmc_grid_new(&g, spec), LLMC_ENOTFOUND);
    ck_assert_ptr_null(g);
}

/* ---- France in every spelling ------------------------------------------ */

static const char *const france[] = {"FR",        "fr",         "FRA",
                                     "fra",       "France",     "france",
                                     "static:FR", " static:FR ", "STATIC:fra",
                                     "static:France"};

START_TEST(test_grid_france_in_every_spelling_is_fra)
{
    llmc_grid *g = grid_ok(france[_i]);
    llmc_intensity ci = answer(g);
    ck_assert_double_eq(ci.gco2e_per_kwh, 56.039);
    ck_assert_str_eq(ci.zone, "FRA");
    ck_assert_int_eq(ci.year, 2023);
    ck_assert_int_eq(ci.basis, LLMC_BASIS_LIFECYCLE);
    ck_assert_str_eq(llmc_grid_spec(g), "static:FRA");
    llmc_grid_free(g);
}
END_TEST

START_TEST(test_grid_static_answer_carries_provenance)
{
    llmc_grid *g = grid_ok("FR");
    llmc_intensity ci = answer(g);
    ck_assert_str_eq(ci.source, "static");
    ck_assert_msg(strncmp(ci.dataset, "llmcarbon-grid ", 15) == 0,
                  "dataset '%s'", ci.dataset);
    ck_assert_ptr_nonnull(strstr(ci.dataset, "sha256:"));
    ck_assert_ptr_nonnull(strstr(ci.provenance, "codecarbon"));
    ck_assert_ptr_nonnull(strstr(ci.provenance, "OWID"));
    ck_assert_ptr_nonnull(strstr(ci.licence, "CC-BY-4.0"));
    /* a yearly value is not bound to an interval, nor estimated */
    ck_assert_int_eq(ci.start_unix_s, 0);
    ck_assert_int_eq(ci.duration_s, 0);
    ck_assert_int_eq(ci.is_estimated, 0);
    ck_assert_int_eq(ci.is_forecast, 0);
    llmc_grid_free(g);
}
END_TEST

START_TEST(test_grid_static_value_is_the_same_at_any_time)
{
    llmc_grid *g = grid_ok("US-CA");
    llmc_intensity a, b;
    llmc_intensity_init(&a, sizeof a);
    llmc_intensity_init(&b, sizeof b);
    ck_assert_int_eq(llmc_grid_intensity_at(&a, g, 0), LLMC_OK);
    ck_assert_int_eq(llmc_grid_intensity_at(&b, g, 4102444800LL), LLMC_OK);
    ck_assert_double_eq(a.gco2e_per_kwh, 216.43);
    ck_assert_double_eq(b.gco2e_per_kwh, 216.43);
    ck_assert_int_eq(a.year, b.year);
    llmc_grid_free(g);
}
END_TEST

/* ---- a zone of each kind ------------------------------------------------ */

static const struct {
    const char *spec, *zone;
    double value;
    int year;
    llmc_basis basis;
} zones[] = {
    {"US", "USA", 369.473, 2023, LLMC_BASIS_LIFECYCLE},
    {"usa", "USA", 369.473, 2023, LLMC_BASIS_LIFECYCLE},
    {"US-CA", "US-CA", 216.43, 2020, LLMC_BASIS_OPERATIONAL_GENERATION},
    {"us-ca", "US-CA", 216.43, 2020, LLMC_BASIS_OPERATIONAL_GENERATION},
    {"CA-QC", "CA-QC", 1.5, 2019, LLMC_BASIS_OPERATIONAL_GENERATION},
    {"CA-MB", "CA-MT", 1.3, 2019, LLMC_BASIS_OPERATIONAL_GENERATION},
    {"CA-MT", "CA-MT", 1.3, 2019, LLMC_BASIS_OPERATIONAL_GENERATION},
    {"AU-NSW", "AU-NSW", 870.0, 2019, LLMC_BASIS_OPERATIONAL_GENERATION},
    {"US-NERC-WECC", "US-NERC-WECC", 322.167, 2020, LLMC_BASIS_DIRECT},
    {"gcp:europe-west1", "gcp:europe-west1", 103.37, 2024, LLMC_BASIS_DIRECT},
    {"GCP:Europe-West1", "gcp:europe-west1", 103.37, 2024, LLMC_BASIS_DIRECT},
    {"static:gcp:europe-west1", "gcp:europe-west1", 103.37, 2024,
     LLMC_BASIS_DIRECT},
    {"aws:us-east-1", "aws:us-east-1", 379.069, 2020, LLMC_BASIS_DIRECT},
    {"azure:westeurope", "azure:westeurope", 328.4, 0, LLMC_BASIS_DIRECT},
    {"WORLD", "WORLD", 481.65, 2023, LLMC_BASIS_LIFECYCLE},
    {"world", "WORLD", 481.65, 2023, LLMC_BASIS_LIFECYCLE},
    {"UK", "GBR", 237.589, 2023, LLMC_BASIS_LIFECYCLE},
    {"GB", "GBR", 237.589, 2023, LLMC_BASIS_LIFECYCLE},
};

START_TEST(test_grid_zone_of_each_kind_resolves_with_its_value)
{
    llmc_grid *g = grid_ok(zones[_i].spec);
    llmc_intensity ci = answer(g);
    char spec[128];
    ck_assert_msg(ci.gco2e_per_kwh == zones[_i].value, "'%s': %.17g, want %g",
                  zones[_i].spec, ci.gco2e_per_kwh, zones[_i].value);
    ck_assert_str_eq(ci.zone, zones[_i].zone);
    ck_assert_int_eq(ci.year, zones[_i].year);
    ck_assert_int_eq(ci.basis, zones[_i].basis);
    ck_assert_str_eq(ci.source, "static");
    snprintf(spec, sizeof spec, "static:%s", zones[_i].zone);
    ck_assert_str_eq(llmc_grid_spec(g), spec);
    llmc_grid_free(g);
}
END_TEST

START_TEST(test_grid_canonical_spec_gives_the_same_grid)
{
    static const char *const specs[] = {"fr", "us-ca", "CA-MB", "uk",
                                        "GCP:europe-west1", "const:0.5kg/kWh",
                                        "const:0.1", "const:900lb/MWh"};
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        llmc_grid *a = grid_ok(specs[i]);
        llmc_grid *b = grid_ok(llmc_grid_spec(a));
        llmc_intensity x = answer(a), y = answer(b);
        ck_assert_str_eq(llmc_grid_spec(b), llmc_grid_spec(a));
        ck_assert_double_eq(x.gco2e_per_kwh, y.gco2e_per_kwh);
        ck_assert_str_eq(x.source, y.source);
        llmc_grid_free(b);
        llmc_grid_free(a);
    }
}
END_TEST

/* ---- constants ---------------------------------------------------------- */

static const struct {
    const char *spec;
    double value;
} consts[] = {
    {"const:450g/kWh", 450.0},
    {"const:450 gCO2e/kWh", 450.0},
    {"const:0.5kg/kWh", 500.0},
    {"const:0.2kgCO2e/kWh", 200.0},
    {"const:0.3t/MWh", 300.0},
    {"const:450", 450.0}, /* bare: gCO2e/kWh */
    {"CONST:12.5", 12.5},
    {"const:0", 0.0},
};

START_TEST(test_grid_const_reads_units_and_bare_numbers)
{
    llmc_grid *g = grid_ok(consts[_i].spec);
    llmc_intensity ci = answer(g);
    ck_assert_double_eq_tol(ci.gco2e_per_kwh, consts[_i].value, 1e-12);
    ck_assert_str_eq(ci.source, "const");
    ck_assert_int_eq(ci.basis, LLMC_BASIS_UNSPECIFIED);
    ck_assert_int_eq(ci.year, 0);
    ck_assert_msg(strncmp(llmc_grid_spec(g), "const:", 6) == 0, "spec %s",
                  llmc_grid_spec(g));
    llmc_grid_free(g);
}
END_TEST

START_TEST(test_grid_const_pounds_per_mwh)
{
    llmc_grid *g = grid_ok("const:900lb/MWh");
    llmc_intensity ci = answer(g);
    /* 900 lb x 453.59237 g / 1000 kWh */
    ck_assert_double_eq_tol(ci.gco2e_per_kwh, 408.233133, 1e-9);
    llmc_grid_free(g);
}
END_TEST

START_TEST(test_grid_new_const_matches_the_spec_form)
{
    llmc_grid *g = NULL;
    llmc_intensity ci;
    ck_assert_int_eq(llmc_grid_new_const(&g, 450.0), LLMC_OK);
    ci = answer(g);
    ck_assert_double_eq(ci.gco2e_per_kwh, 450.0);
    ck_assert_str_eq(ci.source, "const");
    ck_assert_int_eq(ci.basis, LLMC_BASIS_UNSPECIFIED);
    ck_assert_str_eq(llmc_grid_spec(g), "const:450");
    llmc_grid_free(g);
}
END_TEST

START_TEST(test_grid_const_rejects_bad_values)
{
    llmc_grid *g = NULL;
    ck_assert_status(llmc_grid_new(&g, "const:-1"), LLMC_ERANGE);
    ck_assert_ptr_null(g);
    ck_assert_status(llmc_grid_new(&g, "const:-0.5kg/kWh"), LLMC_ERANGE);
    ck_assert_status(llmc_grid_new(&g, "const:abc"), LLMC_EPARSE);
    ck_assert_status(llmc_grid_new(&g, "const:"), LLMC_EPARSE);
    ck_assert_status(llmc_grid_new(&g, "const:nan"), LLMC_ERANGE);
    ck_assert_status(llmc_grid_new(&g, "const:450W"), LLMC_EUNIT);
    ck_assert_status(llmc_grid_new(&g, "const:100..200"), LLMC_EPARSE);
    ck_assert_ptr_null(g);
    ck_assert_status(llmc_grid_new_const(&g, NAN), LLMC_ERANGE);
    ck_assert_status(llmc_grid_new_const(&g, INFINITY), LLMC_ERANGE);
    ck_assert_status(llmc_grid_new_const(&g, -1.0), LLMC_ERANGE);
    ck_assert_ptr_null(g);
    ck_assert_status(llmc_grid_new_const(NULL, 1.0), LLMC_EINVAL);
}
END_TEST

/* ---- errors ------------------------------------------------------------- */

START_TEST(test_grid_unknown_zone_points_to_grid_list)
{
    expect_not_found("XY");
    ck_assert_error_mentions("'XY'");
    ck_assert_error_mentions("llmcarbon grid list");
    expect_not_found("static:Atlantis");
    ck_assert_error_mentions("Atlantis");
    ck_assert_error_mentions("llmcarbon grid list");
}
END_TEST

START_TEST(test_grid_misspelt_country_suggests_its_key)
{
    expect_not_found("Frnace");
    ck_assert_error_mentions("'FRA'");
    ck_assert_error_mentions("llmcarbon grid list");
}
END_TEST

START_TEST(test_grid_incomplete_cloud_region_suggests_full_name)
{
    expect_not_found("gcp:europe-west");
    ck_assert_error_mentions("'gcp:europe-west1'");
    expect_not_found("aws:us-east-9");
    ck_assert_error_mentions("'aws:us-east-1'");
}
END_TEST

START_TEST(test_grid_real_country_missing_from_table_is_named)
{
    expect_not_found("LU");
    ck_assert_error_mentions("Luxembourg");
    ck_assert_error_mentions("--intensity");
    expect_not_found("LUX");
    ck_assert_error_mentions("Luxembourg");
}
END_TEST

START_TEST(test_grid_live_sources_are_made_without_the_network)
{
    /* making a grid never touches the network: only asking does */
    static const struct {
        const char *spec, *canonical;
    } ok[] = {
        {"electricitymaps:DE", "electricitymaps:DE"},
        {"ukci:national", "ukci:national"},
        {"ukci:region/13", "ukci:region/13"},
        {"watttime:CAISO_NORTH", "watttime:CAISO_NORTH"},
        {"electricitymaps:FR, static:FR", "electricitymaps:FR,static:FRA"},
        {"electricitymaps:DE?emission_factor_type=direct", "electricitymaps:DE"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        llmc_grid *g = NULL;
        ck_assert_status(llmc_grid_new(&g, ok[i].spec), LLMC_OK);
        ck_assert_str_eq(llmc_grid_spec(g), ok[i].canonical);
        llmc_grid_free(g);
    }
}
END_TEST

START_TEST(test_grid_bad_specs_name_what_is_wrong)
{
    llmc_grid *g = NULL;
    ck_assert_status(llmc_grid_new(&g, "ukci:bogus"), LLMC_EPARSE);
    ck_assert_error_mentions("ukci:national");
    ck_assert_status(llmc_grid_new(&g, "ukci:region/x"), LLMC_EPARSE);
    ck_assert_status(llmc_grid_new(&g, "electricitymaps:"), LLMC_EPARSE);
    ck_assert_status(llmc_grid_new(&g, "electricitymaps:D E"), LLMC_EPARSE);
    ck_assert_status(llmc_grid_new(&g, "watttime:"), LLMC_EPARSE);
    ck_assert_status(llmc_grid_new(&g, "a,b"), LLMC_ENOTFOUND);
    ck_assert_status(llmc_grid_new(&g, "FR,,DE"), LLMC_OK); /* ",," skipped */
    llmc_grid_free(g);
    g = NULL;
    /* a shared grid no longer changes */
    ck_assert_status(llmc_grid_new(&g, "electricitymaps:DE"), LLMC_OK);
    ck_assert_status(llmc_grid_set(g, "timeout", "2s"), LLMC_OK);
    llmc_grid_ref(g);
    ck_assert_status(llmc_grid_set(g, "timeout", "1s"), LLMC_EBUSY);
    ck_assert_error_mentions("shared");
    llmc_grid_free(g);
    llmc_grid_free(g);
    g = NULL;
    ck_assert_status(llmc_grid_new(&g, "electricitymaps:DE?colour=blue"),
                     LLMC_EINVAL);
    ck_assert_error_mentions("colour");
    ck_assert_status(llmc_grid_new(&g, "electricitymaps:DE?emission_factor_type=x"),
                     LLMC_EINVAL);
    ck_assert_status(llmc_grid_new(&g, "file:/nonexistent/ci.csv"),
                     LLMC_ENOTFOUND);
    ck_assert_error_mentions("/nonexistent/ci.csv");
    ck_assert_ptr_null(g);
}
END_TEST

START_TEST(test_grid_chain_falls_back_and_says_why)
{
    /* no token: Electricity Maps refuses before any request, and the chain
     * answers from the bundled table, saying so */
    llmc_grid *g = NULL;
    llmc_intensity ci;
    unsetenv("ELECTRICITYMAPS_API_TOKEN");
    ck_assert_status(llmc_grid_new(&g, "electricitymaps:DE,static:DE"), LLMC_OK);
    llmc_intensity_init(&ci, sizeof ci);
    ck_assert_status(llmc_grid_intensity_at(&ci, g, 1700000000), LLMC_OK);
    ck_assert_double_eq(ci.gco2e_per_kwh, 380.95);
    ck_assert_str_eq(ci.source, "static");
    ck_assert_ptr_nonnull(strstr(ci.fallback, "electricitymaps:DE"));
    ck_assert_ptr_nonnull(strstr(ci.fallback, "ELECTRICITYMAPS_API_TOKEN"));
    llmc_grid_free(g);

    /* every source failing: the error lists each reason */
    ck_assert_status(llmc_grid_new(&g, "electricitymaps:DE,watttime:X"), LLMC_OK);
    llmc_intensity_init(&ci, sizeof ci);
    unsetenv("WATTTIME_USERNAME");
    ck_assert_status(llmc_grid_intensity_at(&ci, g, 1700000000), LLMC_EAUTH);
    ck_assert_error_mentions("no source of 'electricitymaps:DE,watttime:X'");
    ck_assert_error_mentions("WATTTIME_USERNAME");
    llmc_grid_free(g);
}
END_TEST

START_TEST(test_grid_file_series_rows_hold_until_the_next)
{
    char dir[] = "/tmp/llmc-file-XXXXXX", path[128], spec[160];
    llmc_grid *g = NULL;
    llmc_intensity ci;
    FILE *f;
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/ci.csv", dir);
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    fputs("datetime,intensity_gco2e_per_kwh\n"
          "2024-05-01T00:00:00Z,100\n"
          "2024-05-01T01:00:00+00:00,250.5\n"
          "2024-05-01T04:00:00+02:00,50\n", f); /* = 02:00Z */
    fclose(f);
    snprintf(spec, sizeof spec, "file:%s", path);
    ck_assert_status(llmc_grid_new(&g, spec), LLMC_OK);
    llmc_intensity_init(&ci, sizeof ci);
    /* 2024-05-01T00:30:00Z = 1714523400 */
    ck_assert_status(llmc_grid_intensity_at(&ci, g, 1714523400), LLMC_OK);
    ck_assert_double_eq(ci.gco2e_per_kwh, 100.0);
    ck_assert_int_eq(ci.start_unix_s, 1714521600);
    ck_assert_int_eq(ci.duration_s, 3600);
    ck_assert_str_eq(ci.source, "file");
    ck_assert_status(llmc_grid_intensity_at(&ci, g, 1714521600 + 5400), LLMC_OK);
    ck_assert_double_eq(ci.gco2e_per_kwh, 250.5);
    ck_assert_status(llmc_grid_intensity_at(&ci, g, 1714521600 + 7200), LLMC_OK);
    ck_assert_double_eq(ci.gco2e_per_kwh, 50.0);
    /* before the first row: no value, never a made-up one */
    ck_assert_status(llmc_grid_intensity_at(&ci, g, 1714521600 - 1),
                     LLMC_ENODATA);
    llmc_grid_free(g);
    unlink(path);
    rmdir(dir);
}
END_TEST

/* A series file in dir with body; returns the grid's status. */
static int file_grid(llmc_grid **g, const char *dir, const char *body)
{
    char path[128], spec[160];
    FILE *f;
    snprintf(path, sizeof path, "%s/ci.csv", dir);
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    fputs(body, f);
    fclose(f);
    snprintf(spec, sizeof spec, "file:%s", path);
    *g = NULL;
    return llmc_grid_new(g, spec);
}

/* The best window starts when a lower value does (a 5-minute step's
 * start, or now), and its means are over its seconds: hourly rows, a
 * search from 12:07:30, windows of one hour and of an hour and a half. */
START_TEST(test_grid_best_window_starts_with_the_low_hour_and_means_its_seconds)
{
    char dir[] = "/tmp/llmc-file-XXXXXX", path[160];
    const int64_t noon = 1714564800; /* 2024-05-01T12:00:00Z */
    const int64_t from = noon + 450; /* 12:07:30 */
    llmc_grid *g = NULL;
    llmc_window w;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_status(file_grid(&g, dir,
                               "datetime,intensity_gco2e_per_kwh\n"
                               "2024-05-01T12:00:00Z,300\n"
                               "2024-05-01T13:00:00Z,300\n"
                               "2024-05-01T14:00:00Z,60\n"
                               "2024-05-01T15:00:00Z,300\n"
                               "2024-05-01T16:00:00Z,300\n"
                               "2024-05-01T17:00:00Z,300\n"),
                     LLMC_OK);
    llmc_window_init(&w, sizeof w);
    ck_assert_status(llmc_grid_best_window(&w, g, from, 3600, 3 * 3600),
                     LLMC_OK);
    ck_assert_int_eq(w.start_unix_s, noon + 2 * 3600);
    ck_assert_double_eq(w.mean_gco2e_per_kwh, 60.0);
    ck_assert_double_eq(w.now_mean_gco2e_per_kwh, 300.0);
    ck_assert_rel(w.saving_fraction, 0.8, 1e-12);
    /* read to the end of the last window that may start in the search */
    ck_assert_int_eq(w.searched_until_unix_s, from + 4 * 3600);

    /* 90 minutes: 13:30 to 15:00 and 14:00 to 15:30 hold the same carbon
     * (30 min at 300, 60 at 60); the earlier wins */
    ck_assert_status(llmc_grid_best_window(&w, g, from, 5400, 3 * 3600),
                     LLMC_OK);
    ck_assert_int_eq(w.start_unix_s, noon + 3600 + 1800);
    ck_assert_rel(w.mean_gco2e_per_kwh, (1800 * 300.0 + 3600 * 60.0) / 5400,
                  1e-12);

    /* starting now, 12:07:30 to 14:07:30: 112.5 min at 300, 7.5 at 60 */
    ck_assert_status(llmc_grid_best_window(&w, g, from, 7200, 0), LLMC_OK);
    ck_assert_int_eq(w.start_unix_s, from);
    ck_assert_rel(w.now_mean_gco2e_per_kwh, (6750 * 300.0 + 450 * 60.0) / 7200,
                  1e-12);
    ck_assert_double_eq(w.saving_fraction, 0.0);

    /* the data end at 18:00: a window of 6 h from 12:07:30 is not known */
    ck_assert_status(llmc_grid_best_window(&w, g, from, 6 * 3600, 0),
                     LLMC_ENODATA);
    ck_assert_ptr_nonnull(strstr(llmc_last_error(), "do not cover"));
    llmc_grid_free(g);
    snprintf(path, sizeof path, "%s/ci.csv", dir);
    unlink(path);
    rmdir(dir);
}
END_TEST

START_TEST(test_grid_file_series_times_outside_1970_to_9999_are_refused)
{
    char dir[] = "/tmp/llmc-file-XXXXXX", path[160];
    llmc_grid *g = NULL;
    llmc_intensity ci;
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_status(file_grid(&g, dir,
                               "datetime,intensity_gco2e_per_kwh\n"
                               "0001-01-01T00:00:00Z,100\n"
                               "2024-05-01T00:00:00Z,200\n"),
                     LLMC_EFORMAT);
    ck_assert_ptr_nonnull(strstr(llmc_last_error(), "line 2"));
    ck_assert_ptr_nonnull(strstr(llmc_last_error(), "1970 to 9999"));
    ck_assert_status(file_grid(&g, dir,
                               "[{\"datetime\": \"1970-01-01T00:30:00+01:00\","
                               " \"intensity_gco2e_per_kwh\": 1}]"),
                     LLMC_EFORMAT);
    ck_assert_ptr_nonnull(strstr(llmc_last_error(), "1970 to 9999"));
    /* the extremes of the range: any time asked answers or is ENODATA,
     * with no overflow (UBSan) */
    ck_assert_status(file_grid(&g, dir,
                               "datetime,intensity_gco2e_per_kwh\n"
                               "1970-01-01T00:00:00Z,100\n"
                               "9999-12-31T23:00:00Z,200\n"),
                     LLMC_OK);
    llmc_intensity_init(&ci, sizeof ci);
    ck_assert_status(llmc_grid_intensity_at(&ci, g, 0), LLMC_OK);
    ck_assert_double_eq(ci.gco2e_per_kwh, 100.0);
    ck_assert_status(llmc_grid_intensity_at(&ci, g, INT64_C(253402300799)),
                     LLMC_OK);
    ck_assert_double_eq(ci.gco2e_per_kwh, 200.0);
    ck_assert_status(llmc_grid_intensity_at(&ci, g, INT64_MAX), LLMC_ERANGE);
    ck_assert_error_mentions("1970 to 9999");
    ck_assert_status(llmc_grid_intensity_at(&ci, g, INT64_MIN), LLMC_ERANGE);
    ck_assert_status(llmc_grid_intensity_at(&ci, g, -1), LLMC_ERANGE);
    {
        llmc_window w;
        llmc_window_init(&w, sizeof w);
        ck_assert_status(llmc_grid_best_window(&w, g, INT64_MAX - 10, 3600.0,
                                               3600.0),
                         LLMC_ERANGE);
    }
    llmc_grid_free(g);
    snprintf(path, sizeof path, "%s/ci.csv", dir);
    unlink(path);
    rmdir(dir);
}
END_TEST

START_TEST(test_grid_unknown_source_prefix_is_eparse)
{
    llmc_grid *g = NULL;
    ck_assert_status(llmc_grid_new(&g, "bogus:FR"), LLMC_EPARSE);
    ck_assert_error_mentions("bogus");
    ck_assert_ptr_null(g);
}
END_TEST

START_TEST(test_grid_empty_spec_is_eparse)
{
    /* empty text is a spec that does not parse, as for quantities */
    llmc_grid *g = NULL;
    ck_assert_status(llmc_grid_new(&g, ""), LLMC_EPARSE);
    ck_assert_error_mentions("static:FR");
    ck_assert_ptr_null(g);
    ck_assert_status(llmc_grid_new(&g, "   "), LLMC_EPARSE);
    ck_assert_ptr_null(g);
}
END_TEST

START_TEST(test_grid_null_arguments_are_einval)
{
    llmc_grid *g = NULL;
    llmc_intensity ci;
    ck_assert_status(llmc_grid_new(&g, NULL), LLMC_EINVAL);
    ck_assert_ptr_null(g);
    ck_assert_status(llmc_grid_new(NULL, "FR"), LLMC_EINVAL);
    g = grid_ok("FR");
    ck_assert_status(llmc_grid_intensity_at(NULL, g, 0), LLMC_EINVAL);
    llmc_intensity_init(&ci, sizeof ci);
    ck_assert_status(llmc_grid_intensity_at(&ci, NULL, 0), LLMC_EINVAL);
    ck_assert_ptr_null(llmc_grid_spec(NULL));
    llmc_grid_free(g);
}
END_TEST

/* ---- the bundled table -------------------------------------------------- */

static const char *const kinds[] = {"country",     "world",
                                    "us_state",    "ca_province",
                                    "au_state",    "us_nerc_region",
                                    "cloud_region"};
#define NKINDS (sizeof kinds / sizeof kinds[0])

START_TEST(test_grid_every_zone_is_well_formed)
{
    size_t n = llmc_grid_zone_count();
    ck_assert_uint_ge(n, 200);
    for (size_t i = 0; i < n; i++) {
        llmc_intensity ci;
        const char *kind = NULL;
        int known = 0;
        llmc_intensity_init(&ci, sizeof ci);
        ck_assert_int_eq(llmc_grid_zone_get(&ci, &kind, i), LLMC_OK);
        ck_assert_msg(isfinite(ci.gco2e_per_kwh) && ci.gco2e_per_kwh >= 0.0 &&
                          ci.gco2e_per_kwh <= 1300.0,
                      "%s: %g gCO2e/kWh", ci.zone, ci.gco2e_per_kwh);
        ck_assert_msg(ci.basis != LLMC_BASIS_UNSPECIFIED, "%s has no basis",
                      ci.zone);
        ck_assert_str_ne(llmc_basis_name(ci.basis), "unspecified");
        ck_assert_msg(ci.year == 0 || (ci.year >= 1990 && ci.year <= 2030),
                      "%s: year %d", ci.zone, ci.year);
        ck_assert_ptr_nonnull(ci.zone);
        ck_assert_str_ne(ci.zone, "");
        ck_assert_str_eq(ci.source, "static");
        ck_assert_msg(strncmp(ci.dataset, "llmcarbon-grid ", 15) == 0,
                      "dataset '%s'", ci.dataset);
        ck_assert_str_ne(ci.provenance, "");
        ck_assert_str_ne(ci.licence, "");
        ck_assert_ptr_nonnull(kind);
        for (size_t k = 0; k < NKINDS; k++)
            known |= strcmp(kind, kinds[k]) == 0;
        ck_assert_msg(known, "%s has kind '%s'", ci.zone, kind);
    }
}
END_TEST

START_TEST(test_grid_every_zone_key_resolves_to_itself)
{
    size_t n = llmc_grid_zone_count();
    for (size_t i = 0; i < n; i++) {
        llmc_intensity ci, back;
        llmc_grid *g;
        const char *kind = NULL;
        char spec[160];
        llmc_intensity_init(&ci, sizeof ci);
        ck_assert_int_eq(llmc_grid_zone_get(&ci, &kind, i), LLMC_OK);
        snprintf(spec, sizeof spec, "static:%s", ci.zone);
        g = grid_ok(spec);
        ck_assert_str_eq(llmc_grid_spec(g), spec);
        back = answer(g);
        ck_assert_str_eq(back.zone, ci.zone);
        ck_assert_double_eq(back.gco2e_per_kwh, ci.gco2e_per_kwh);
        ck_assert_int_eq(back.year, ci.year);
        ck_assert_int_eq(back.basis, ci.basis);
        ck_assert_str_eq(back.provenance, ci.provenance);
        llmc_grid_free(g);
        /* the bare key is the same spec */
        g = grid_ok(ci.zone);
        ck_assert_str_eq(llmc_grid_spec(g), spec);
        llmc_grid_free(g);
    }
}
END_TEST

static llmc_basis basis_from_name(const char *name)
{
    static const llmc_basis all[] = {
        LLMC_BASIS_LIFECYCLE, LLMC_BASIS_DIRECT,
        LLMC_BASIS_OPERATIONAL_GENERATION, LLMC_BASIS_MARGINAL};
    for (size_t i = 0; i < 4; i++)
        if (strcmp(llmc_basis_name(all[i]), name) == 0)
            return all[i];
    return LLMC_BASIS_UNSPECIFIED;
}

START_TEST(test_grid_zone_table_matches_csv_row_by_row)
{
    struct csv c;
    csv_load(&c, "data/grid_intensity.csv");
    ck_assert_uint_eq(c.nrows, 245);
    ck_assert_uint_eq(llmc_grid_zone_count(), c.nrows);
    for (size_t i = 0; i < c.nrows; i++) {
        llmc_intensity ci;
        const char *kind = NULL, *year = csv_cell(&c, i, "year");
        llmc_intensity_init(&ci, sizeof ci);
        ck_assert_int_eq(llmc_grid_zone_get(&ci, &kind, i), LLMC_OK);
        ck_assert_str_eq(ci.zone, csv_cell(&c, i, "zone"));
        ck_assert_str_eq(kind, csv_cell(&c, i, "kind"));
        ck_assert_msg(ci.gco2e_per_kwh ==
                          strtod(csv_cell(&c, i, "gco2_per_kwh"), NULL),
                      "%s: %.17g, CSV says %s", ci.zone, ci.gco2e_per_kwh,
                      csv_cell(&c, i, "gco2_per_kwh"));
        ck_assert_int_eq(ci.year, *year ? atoi(year) : 0);
        ck_assert_int_eq(ci.basis, basis_from_name(csv_cell(&c, i, "basis")));
        ck_assert_str_eq(ci.provenance, csv_cell(&c, i, "source"));
        ck_assert_str_eq(ci.licence, csv_cell(&c, i, "licence"));
    }
    csv_free(&c);
}
END_TEST

START_TEST(test_grid_zone_counts_per_kind_match_data_readme)
{
    static const size_t want[NKINDS] = {60, 1, 51, 13, 10, 5, 105};
    size_t got[NKINDS] = {0}, n = llmc_grid_zone_count();
    for (size_t i = 0; i < n; i++) {
        llmc_intensity ci;
        const char *kind = NULL;
        llmc_intensity_init(&ci, sizeof ci);
        ck_assert_int_eq(llmc_grid_zone_get(&ci, &kind, i), LLMC_OK);
        for (size_t k = 0; k < NKINDS; k++)
            if (strcmp(kind, kinds[k]) == 0)
                got[k]++;
    }
    for (size_t k = 0; k < NKINDS; k++)
        ck_assert_msg(got[k] == want[k], "%zu zones of kind %s, want %zu",
                      got[k], kinds[k], want[k]);
    ck_assert_uint_eq(n, 245);
}
END_TEST

START_TEST(test_grid_zone_get_past_the_end_is_erange)
{
    /* llmc_grid_intensity_at(3): ERANGE when index is not below the count */
    llmc_intensity ci;
    const char *kind = NULL;
    llmc_intensity_init(&ci, sizeof ci);
    ck_assert_status(llmc_grid_zone_get(&ci, &kind, llmc_grid_zone_count()),
                     LLMC_ERANGE);
    ck_assert_ptr_null(kind);
    ck_assert_double_eq(ci.gco2e_per_kwh, 0.0);
    ck_assert_status(llmc_grid_zone_get(&ci, &kind, (size_t)-1), LLMC_ERANGE);
    ck_assert_status(llmc_grid_zone_get(NULL, &kind, 0), LLMC_EINVAL);
}
END_TEST

START_TEST(test_grid_zone_get_kind_pointer_is_optional)
{
    /* llmc_grid_intensity_at(3): out_kind may be NULL when the kind is not
     * wanted */
    llmc_intensity ci, with_kind;
    const char *kind = NULL;
    llmc_intensity_init(&ci, sizeof ci);
    llmc_intensity_init(&with_kind, sizeof with_kind);
    ck_assert_int_eq(llmc_grid_zone_get(&ci, NULL, 0), LLMC_OK);
    ck_assert_int_eq(llmc_grid_zone_get(&with_kind, &kind, 0), LLMC_OK);
    ck_assert_str_eq(ci.zone, with_kind.zone);
    ck_assert_double_eq(ci.gco2e_per_kwh, with_kind.gco2e_per_kwh);
    ck_assert_ptr_nonnull(kind);
}
END_TEST

/* ---- the versioned llmc_intensity --------------------------------------- */

START_TEST(test_grid_intensity_fills_only_what_size_covers)
{
    unsigned char buf[sizeof(llmc_intensity) + 64];
    llmc_intensity *ci = (llmc_intensity *)(void *)buf;
    const size_t small = offsetof(llmc_intensity, basis);
    llmc_grid *g = grid_ok("FR");

    memset(buf, 0xAB, sizeof buf);
    llmc_intensity_init(ci, small);
    ck_assert_uint_eq(ci->size, small);
    for (size_t i = small; i < sizeof buf; i++)
        ck_assert_msg(buf[i] == 0xAB, "init wrote byte %zu", i);
    ck_assert_int_eq(llmc_grid_intensity_at(ci, g, 0), LLMC_OK);
    ck_assert_uint_eq(ci->size, small);
    ck_assert_double_eq(ci->gco2e_per_kwh, 56.039);
    ck_assert_int_eq(ci->start_unix_s, 0);
    ck_assert_int_eq(ci->duration_s, 0);
    for (size_t i = small; i < sizeof buf; i++)
        ck_assert_msg(buf[i] == 0xAB, "byte %zu past size %zu was written", i,
                      small);

    /* the same for the table listing */
    memset(buf, 0xAB, sizeof buf);
    llmc_intensity_init(ci, small);
    ck_assert_int_eq(llmc_grid_zone_get(ci, &(const char *){NULL}, 0), LLMC_OK);
    for (size_t i = small; i < sizeof buf; i++)
        ck_assert_msg(buf[i] == 0xAB, "zone_get wrote byte %zu", i);
    llmc_grid_free(g);
}
END_TEST

START_TEST(test_grid_intensity_larger_caller_struct_keeps_its_tail)
{
    /* a caller built against a newer header passes a bigger struct */
    unsigned char buf[sizeof(llmc_intensity) + 64];
    llmc_intensity *ci = (llmc_intensity *)(void *)buf;
    llmc_grid *g = grid_ok("US-CA");
    memset(buf, 0xCD, sizeof buf);
    llmc_intensity_init(ci, sizeof buf);
    ck_assert_uint_eq(ci->size, sizeof buf);
    memset(buf + sizeof(llmc_intensity), 0xCD, 64);
    ck_assert_int_eq(llmc_grid_intensity_at(ci, g, 0), LLMC_OK);
    ck_assert_uint_eq(ci->size, sizeof buf);
    ck_assert_double_eq(ci->gco2e_per_kwh, 216.43);
    ck_assert_str_eq(ci->zone, "US-CA");
    ck_assert_str_eq(ci->licence, "CC-BY-4.0");
    for (size_t i = sizeof(llmc_intensity); i < sizeof buf; i++)
        ck_assert_msg(buf[i] == 0xCD, "byte %zu past the library's struct", i);
    llmc_grid_free(g);
}
END_TEST

START_TEST(test_grid_intensity_size_zero_is_einval_naming_init)
{
    llmc_intensity ci;
    llmc_grid *g = grid_ok("FR");
    memset(&ci, 0, sizeof ci);
    ck_assert_status(llmc_grid_intensity_at(&ci, g, 0), LLMC_EINVAL);
    ck_assert_error_mentions("llmc_intensity_init");
    ck_assert_double_eq(ci.gco2e_per_kwh, 0.0);
    /* too small to hold the value itself */
    ci.size = (uint32_t)offsetof(llmc_intensity, gco2e_per_kwh);
    ck_assert_status(llmc_grid_intensity_at(&ci, g, 0), LLMC_EINVAL);
    ck_assert_status(llmc_grid_zone_get(&ci, &(const char *){NULL}, 0),
                     LLMC_EINVAL);
    llmc_grid_free(g);
}
END_TEST

START_TEST(test_grid_basis_names)
{
    ck_assert_str_eq(llmc_basis_name(LLMC_BASIS_UNSPECIFIED), "unspecified");
    ck_assert_str_eq(llmc_basis_name(LLMC_BASIS_LIFECYCLE), "lifecycle");
    ck_assert_str_eq(llmc_basis_name(LLMC_BASIS_DIRECT), "direct");
    ck_assert_str_eq(llmc_basis_name(LLMC_BASIS_OPERATIONAL_GENERATION),
                     "operational-generation");
    ck_assert_str_eq(llmc_basis_name(LLMC_BASIS_MARGINAL), "marginal");
    ck_assert_str_eq(llmc_basis_name((llmc_basis)42), "unspecified");
    ck_assert_str_eq(llmc_basis_name((llmc_basis)-1), "unspecified");
}
END_TEST

/* ---- references --------------------------------------------------------- */

START_TEST(test_grid_ref_and_free_are_balanced)
{
    llmc_grid *g = grid_ok("FR");
    llmc_intensity ci;
    ck_assert_ptr_eq(llmc_grid_ref(g), g);
    ck_assert_ptr_eq(llmc_grid_ref(g), g);
    llmc_grid_free(g);
    llmc_grid_free(g);
    /* one reference left: still usable */
    ci = answer(g);
    ck_assert_double_eq(ci.gco2e_per_kwh, 56.039);
    ck_assert_str_eq(llmc_grid_spec(g), "static:FRA");
    llmc_grid_free(g);
    llmc_grid_free(NULL);
    ck_assert_ptr_null(llmc_grid_ref(NULL));
}
END_TEST

START_TEST(test_grid_strings_live_as_long_as_the_grid)
{
    llmc_grid *g = NULL;
    llmc_intensity ci;
    ck_assert_int_eq(llmc_grid_new_const(&g, 123.0), LLMC_OK);
    llmc_grid_ref(g);
    ci = answer(g);
    llmc_grid_free(g);
    /* still referenced once: the answer's strings are valid */
    ck_assert_str_eq(ci.source, "const");
    ck_assert_str_eq(llmc_grid_spec(g), "const:123");
    llmc_grid_free(g);
}
END_TEST

static Suite *grid_suite(void)
{
    Suite *s = suite_create("grid");
    TCase *specs = tcase_create("specs");
    TCase *errors = tcase_create("errors");
    TCase *table = tcase_create("table");
    TCase *structs = tcase_create("structs");

    tcase_add_loop_test(specs, test_grid_france_in_every_spelling_is_fra, 0,
                        (int)(sizeof france / sizeof france[0]));
    tcase_add_test(specs, test_grid_static_answer_carries_provenance);
    tcase_add_test(specs, test_grid_static_value_is_the_same_at_any_time);
    tcase_add_loop_test(specs, test_grid_zone_of_each_kind_resolves_with_its_value,
                        0, (int)(sizeof zones / sizeof zones[0]));
    tcase_add_test(specs, test_grid_canonical_spec_gives_the_same_grid);
    tcase_add_loop_test(specs, test_grid_const_reads_units_and_bare_numbers, 0,
                        (int)(sizeof consts / sizeof consts[0]));
    tcase_add_test(specs, test_grid_const_pounds_per_mwh);
    tcase_add_test(specs, test_grid_new_const_matches_the_spec_form);
    suite_add_tcase(s, specs);

    tcase_add_test(errors, test_grid_const_rejects_bad_values);
    tcase_add_test(errors, test_grid_unknown_zone_points_to_grid_list);
    tcase_add_test(errors, test_grid_misspelt_country_suggests_its_key);
    tcase_add_test(errors, test_grid_incomplete_cloud_region_suggests_full_name);
    tcase_add_test(errors, test_grid_real_country_missing_from_table_is_named);
    tcase_add_test(errors, test_grid_live_sources_are_made_without_the_network);
    tcase_add_test(errors, test_grid_bad_specs_name_what_is_wrong);
    tcase_add_test(errors, test_grid_chain_falls_back_and_says_why);
    tcase_add_test(errors, test_grid_file_series_rows_hold_until_the_next);
    tcase_add_test(errors, test_grid_best_window_starts_with_the_low_hour_and_means_its_seconds);
    tcase_add_test(errors, test_grid_file_series_times_outside_1970_to_9999_are_refused);
    tcase_add_test(errors, test_grid_unknown_source_prefix_is_eparse);
    tcase_add_test(errors, test_grid_empty_spec_is_eparse);
    tcase_add_test(errors, test_grid_null_arguments_are_einval);
    suite_add_tcase(s, errors);

    tcase_add_test(table, test_grid_every_zone_is_well_formed);
    tcase_add_test(table, test_grid_every_zone_key_resolves_to_itself);
    tcase_add_test(table, test_grid_zone_table_matches_csv_row_by_row);
    tcase_add_test(table, test_grid_zone_counts_per_kind_match_data_readme);
    tcase_add_test(table, test_grid_zone_get_past_the_end_is_erange);
    tcase_add_test(table, test_grid_zone_get_kind_pointer_is_optional);
    suite_add_tcase(s, table);

    tcase_add_test(structs, test_grid_intensity_fills_only_what_size_covers);
    tcase_add_test(structs, test_grid_intensity_larger_caller_struct_keeps_its_tail);
    tcase_add_test(structs, test_grid_intensity_size_zero_is_einval_naming_init);
    tcase_add_test(structs, test_grid_basis_names);
    tcase_add_test(structs, test_grid_ref_and_free_are_balanced);
    tcase_add_test(structs, test_grid_strings_live_as_long_as_the_grid);
    suite_add_tcase(s, structs);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(grid_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
