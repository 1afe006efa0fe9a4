/*
 * cmd_grid.c - `llmcarbon grid list|show ZONE`: the bundled grid-intensity
 * table with the provenance of each value.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "run_wait.h"

static const char help[] =
    "usage: llmcarbon grid list [--kind KIND] [--json]\n"
    "       llmcarbon grid show ZONE [--json]\n"
    "       llmcarbon grid get SPEC [--at TIME] [--json]\n"
    "       llmcarbon grid forecast SPEC --duration DUR [--within DUR] [--json]\n"
    "       llmcarbon grid forecast SPEC --duration DUR [--within DUR] --sbatch\n"
    "\n"
    "The bundled yearly grid carbon intensity, with dataset, year, basis,\n"
    "source and licence for each zone. ZONE is any grid spec: FR or FRA,\n"
    "France, US-CA, CA-QC, AU-NSW, US-NERC-WECC, gcp:europe-west1,\n"
    "aws:us-east-1, azure:westeurope, WORLD, static:DE, const:450g/kWh.\n"
    "KIND is country, world, us_state, ca_province, au_state, us_nerc_region\n"
    "or cloud_region.\n"
    "\n"
    "get: the intensity that applies at TIME (ISO 8601 with an offset, or\n"
    "Unix seconds; default now) from any source: electricitymaps:DE,\n"
    "ukci:national, ukci:region/13, watttime:CAISO_NORTH, file:ci.csv, or a\n"
    "chain a,b,c (the first that answers wins, and the output says why the\n"
    "others did not). Tokens come from ELECTRICITYMAPS_API_TOKEN,\n"
    "WATTTIME_USERNAME and WATTTIME_PASSWORD; a CA bundle from LLMC_CA_BUNDLE.\n"
    "\n"
    "forecast: the lowest-carbon window of DUR within the next DUR (default\n"
    "24h) of the forecast, its mean intensity, and the saving against\n"
    "starting now. --sbatch prints only the window's start as sbatch's\n"
    "--begin= argument, in this host's local time (sbatch reads a date\n"
    "without a zone as local time), or --begin=now:\n"
    "  sbatch $(llmcarbon grid forecast SPEC --duration 6h --sbatch) job.sh\n";

static json_t *intensity_json(const llmc_intensity *ci, const char *kind,
                              const char *spec)
{
    json_t *o = json_object();
    o = cli_set(o, "zone", json_string(ci->zone ? ci->zone : ""));
    if (kind)
        o = cli_set(o, "kind", json_string(kind));
    if (spec)
        o = cli_set(o, "spec", json_string(spec));
    o = cli_set(o, "intensity_gco2e_per_kwh", json_real(ci->gco2e_per_kwh));
    o = cli_set(o, "year", ci->year ? json_integer(ci->year) : json_null());
    o = cli_set(o, "basis", json_string(llmc_basis_name(ci->basis)));
    o = cli_set(o, "source", json_string(ci->source ? ci->source : ""));
    o = cli_set(o, "dataset", json_string(ci->dataset ? ci->dataset : ""));
    o = cli_set(o, "provenance",
                json_string(ci->provenance ? ci->provenance : ""));
    o = cli_set(o, "licence", json_string(ci->licence ? ci->licence : ""));
    return o;
}

/* Whether kind is a kind of the bundled table's rows; else, in list, the
 * kinds there are ("country, world, ..."), read from the table itself. */
static int known_kind(const char *kind, char *list, size_t size)
{
    size_t used = 0;
    list[0] = '\0';
    for (size_t i = 0; i < llmc_grid_zone_count(); i++) {
        llmc_intensity ci;
        const char *k = "";
        llmc_intensity_init(&ci, sizeof ci);
        if (llmc_grid_zone_get(&ci, &k, i) != LLMC_OK)
            continue;
        if (strcmp(k, kind) == 0)
            return 1;
        /* each kind once, in the table's order */
        {
            char word[40];
            snprintf(word, sizeof word, "%s, ", k);
            if (!strstr(list, word) && used + strlen(word) < size)
                used += (size_t)snprintf(list + used, size - used, "%s",
                                         word);
        }
    }
    if (used >= 2)
        list[used - 2] = '\0';
    return 0;
}

static int list(const char *kind, int json)
{
    size_t n = llmc_grid_zone_count(), shown = 0;
    json_t *arr = NULL;
    struct cli_out co = {NULL, NULL, 0};
    char kinds[300];

    if (kind && !known_kind(kind, kinds, sizeof kinds))
        return cli_usage("grid", "'%s' is not a zone kind; use one of: %s",
                         kind, kinds);
    if (json)
        arr = json_array();
    else if (!cli_out_open(&co))
        return cli_out_close(&co, "grid list");
    else
        fprintf(co.f, "%-32s %-15s %12s %6s  %s\n", "ZONE", "KIND",
                "gCO2e/kWh", "YEAR", "BASIS");
    for (size_t i = 0; i < n; i++) {
        llmc_intensity ci;
        const char *k;
        char buf[32], yr[8] = "-";
        int rc;
        llmc_intensity_init(&ci, sizeof ci);
        if ((rc = llmc_grid_zone_get(&ci, &k, i)) != LLMC_OK) {
            json_decref(arr);
            cli_out_discard(&co);
            return cli_fail("grid list", "", rc);
        }
        if (kind && strcmp(kind, k) != 0)
            continue;
        shown++;
        if (json) {
            arr = cli_append(arr, intensity_json(&ci, k, NULL));
            continue;
        }
        if (ci.year)
            snprintf(yr, sizeof yr, "%d", ci.year);
        fprintf(co.f, "%-32s %-15s %12s %6s  %s\n", ci.zone, k,
                cli_num(buf, sizeof buf, ci.gco2e_per_kwh), yr,
                llmc_basis_name(ci.basis));
    }
    if (json)
        return cli_print_json(arr);
    if (n > 0) {
        llmc_intensity ci;
        llmc_intensity_init(&ci, sizeof ci);
        llmc_grid_zone_get(&ci, NULL, 0);
        fprintf(co.f, "\n%zu zones from %s. `llmcarbon grid show ZONE` gives "
                "the source and licence.\n", shown, ci.dataset);
    }
    return cli_out_close(&co, "grid list");
}

static int show(const char *spec, int json)
{
    llmc_grid *g;
    llmc_intensity ci;
    char what[300], buf[32];
    int rc;

    snprintf(what, sizeof what, "'%s'", spec);
    if ((rc = llmc_grid_new(&g, spec)) != LLMC_OK)
        return cli_fail("grid show", what, rc);
    llmc_intensity_init(&ci, sizeof ci);
    if ((rc = llmc_grid_intensity_at(&ci, g, (int64_t)time(NULL))) != LLMC_OK) {
        llmc_grid_free(g);
        return cli_fail("grid show", what, rc);
    }
    if (json) {
        rc = cli_print_json(intensity_json(&ci, NULL, llmc_grid_spec(g)));
    } else {
        struct cli_out co;
        FILE *out = cli_out_open(&co);
        if (out) {
            fprintf(out, "%s\n", llmc_grid_spec(g));
            fprintf(out, "  %-14s %s gCO2e/kWh\n", "intensity",
                    cli_num(buf, sizeof buf, ci.gco2e_per_kwh));
            if (*ci.zone)
                fprintf(out, "  %-14s %s\n", "zone", ci.zone);
            if (ci.year)
                fprintf(out, "  %-14s %d (the year the data describe)\n", "year", ci.year);
            fprintf(out, "  %-14s %s\n", "basis", llmc_basis_name(ci.basis));
            fprintf(out, "  %-14s %s\n", "source", ci.source);
            if (*ci.dataset)
                fprintf(out, "  %-14s %s\n", "dataset", ci.dataset);
            fprintf(out, "  %-14s ", "provenance");
            cli_wrapf(out, ci.provenance, 17, 100);
            if (*ci.licence) {
                fprintf(out, "  %-14s ", "licence");
                cli_wrapf(out, ci.licence, 17, 100);
            }
        }
        rc = cli_out_close(&co, "grid show");
    }
    llmc_grid_free(g);
    return rc;
}

static int get(const char *spec, const char *at, int json)
{
    llmc_grid *g;
    llmc_intensity ci;
    int64_t t;
    char what[300], a[32], b[32], buf[32];
    int rc;

    /* the library decides what a time is (llmc_time_parse(3)); a bad
     * one is a usage error, as before */
    if ((rc = llmc_time_parse(&t, at ? at : "now")) != LLMC_OK)
        return cli_usage("grid", "--at: %s", llmc_last_error());
    snprintf(what, sizeof what, "'%s'", spec);
    if ((rc = llmc_grid_new(&g, spec)) != LLMC_OK)
        return cli_fail("grid get", what, rc);
    llmc_intensity_init(&ci, sizeof ci);
    if ((rc = llmc_grid_intensity_at(&ci, g, t)) != LLMC_OK) {
        llmc_grid_free(g);
        return cli_fail("grid get", what, rc);
    }
    cli_utc(a, sizeof a, t);
    if (json) {
        json_t *o = intensity_json(&ci, NULL, llmc_grid_spec(g));
        o = cli_set(o, "at", json_string(a));
        if (ci.duration_s > 0) {
            cli_utc(a, sizeof a, ci.start_unix_s);
            cli_utc(b, sizeof b, ci.start_unix_s + ci.duration_s);
            o = cli_set(o, "interval_start", json_string(a));
            o = cli_set(o, "interval_end", json_string(b));
        } else {
            o = cli_set(o, "interval_start", json_null());
            o = cli_set(o, "interval_end", json_null());
        }
        o = cli_set(o, "is_estimated", json_boolean(ci.is_estimated));
        o = cli_set(o, "is_forecast", json_boolean(ci.is_forecast));
        o = cli_set(o, "fallback",
                    json_string(ci.fallback ? ci.fallback : ""));
        rc = cli_print_json(o);
    } else {
        struct cli_out co;
        FILE *out = cli_out_open(&co);
        if (out) {
            fprintf(out, "%s at %s\n", llmc_grid_spec(g), a);
            fprintf(out, "  %-14s %s gCO2e/kWh%s%s\n", "intensity",
                    cli_num(buf, sizeof buf, ci.gco2e_per_kwh),
                    ci.is_forecast ? " (forecast)" : "",
                    ci.is_estimated ? " (estimated by the provider)" : "");
            if (ci.duration_s > 0) {
                cli_utc(a, sizeof a, ci.start_unix_s);
                cli_utc(b, sizeof b, ci.start_unix_s + ci.duration_s);
                fprintf(out, "  %-14s %s to %s\n", "applies", a, b);
            }
            fprintf(out, "  %-14s %s (%s basis)\n", "source", ci.source,
                    llmc_basis_name(ci.basis));
            if (*ci.zone)
                fprintf(out, "  %-14s %s\n", "zone", ci.zone);
            if (ci.year)
                fprintf(out, "  %-14s %d\n", "year", ci.year);
            fprintf(out, "  %-14s ", "provenance");
            cli_wrapf(out, ci.provenance, 17, 100);
            if (ci.fallback && *ci.fallback) {
                fprintf(out, "  %-14s ", "fallback");
                cli_wrapf(out, ci.fallback, 17, 100);
            }
        }
        rc = cli_out_close(&co, "grid get");
    }
    llmc_grid_free(g);
    return rc;
}

/* The window's start as sbatch's argument, alone on stdout: a date and
 * time without a zone, which sbatch reads in the local time zone of the
 * host it runs on (sbatch(1), --begin), so it is written in this host's
 * (TZ); "now" when the best window starts now. A local time that names
 * two instants (the hour a clock is set back) or none (the hour it skips)
 * is written relative instead, "now+N" seconds, which sbatch counts from
 * its own start, a moment after this one. */
static int print_sbatch_begin(int64_t start_unix_s, int64_t now_unix_s)
{
    char line[64];
    time_t t = (time_t)start_unix_s;
    struct tm tm, back;
    int one_instant = 0;

    if (localtime_r(&t, &tm)) {
        /* what sbatch's own reading (mktime, the zone's rules) gives */
        back = tm;
        back.tm_isdst = -1;
        one_instant = mktime(&back) == t;
    }
    if (start_unix_s <= now_unix_s) {
        snprintf(line, sizeof line, "--begin=now\n");
    } else if (one_instant) {
        strftime(line, sizeof line, "--begin=%Y-%m-%dT%H:%M:%S\n", &tm);
    } else {
        snprintf(line, sizeof line, "--begin=now+%lld\n",
                 (long long)(start_unix_s - now_unix_s));
    }
    if (cli_write(line, strlen(line)) != CLI_OK) {
        fputs("llmcarbon grid forecast: cannot write the output\n", stderr);
        return CLI_FAILED;
    }
    return CLI_OK;
}

static int forecast(const char *spec, const char *duration, const char *within,
                    int json, int sbatch)
{
    llmc_grid *g;
    llmc_window w;
    double dur, win = 86400;
    int64_t now = (int64_t)time(NULL);
    char what[300], a[32], b[32], n1[32], n2[32], why[600];
    char no_forecast[800] = "";
    int rc;

    if (!duration)
        return cli_usage("grid", "`grid forecast` needs --duration DUR (the "
                         "length of the job, e.g. 6h)");
    if ((rc = llmc_quantity_parse(&dur, LLMC_DIM_DURATION, duration, "h")) ||
        (within && (rc = llmc_quantity_parse(&win, LLMC_DIM_DURATION, within,
                                             "h"))))
        return cli_fail("grid forecast", duration, rc);
    snprintf(what, sizeof what, "'%s'", spec);
    if ((rc = llmc_grid_new(&g, spec)) != LLMC_OK)
        return cli_fail("grid forecast", what, rc);
    llmc_window_init(&w, sizeof w);
    if ((rc = llmc_grid_best_window(&w, g, now, dur, win)) != LLMC_OK) {
        llmc_grid_free(g);
        return cli_fail("grid forecast", what, rc);
    }
    /* a static or const source (or a chain whose live source failed and
     * whose static end answered) has no forecast: the window is the
     * first, not a forecast's choice, and that is said (in the JSON, or
     * on stderr), as run says it before it starts at once */
    if (answered_without_forecast(g, w.start_unix_s, why, sizeof why)) {
        snprintf(no_forecast, sizeof no_forecast, "%s has no forecast to "
                 "choose a start from: %s; the window given is to start "
                 "now", llmc_grid_spec(g), why);
        if (!json)
            fprintf(stderr, "llmcarbon grid forecast: %s\n", no_forecast);
    }
    cli_utc(a, sizeof a, w.start_unix_s);
    cli_utc(b, sizeof b, w.searched_until_unix_s);
    if (sbatch) {
        rc = print_sbatch_begin(w.start_unix_s, now);
    } else if (json) {
        json_t *o = json_object();
        o = cli_set(o, "spec", json_string(llmc_grid_spec(g)));
        o = cli_set(o, "duration_s", json_real(dur));
        o = cli_set(o, "start", json_string(a));
        o = cli_set(o, "start_unix_s", json_integer(w.start_unix_s));
        o = cli_set(o, "delay_s", json_integer(w.start_unix_s - now));
        o = cli_set(o, "mean_gco2e_per_kwh", json_real(w.mean_gco2e_per_kwh));
        o = cli_set(o, "now_mean_gco2e_per_kwh",
                            json_real(w.now_mean_gco2e_per_kwh));
        o = cli_set(o, "saving_fraction", json_real(w.saving_fraction));
        o = cli_set(o, "searched_until", json_string(b));
        o = cli_set(o, "forecast", json_boolean(!*no_forecast));
        o = cli_set(o, "note", *no_forecast ? json_string(no_forecast)
                                             : json_null());
        rc = cli_print_json(o);
    } else {
        struct cli_out co;
        FILE *out = cli_out_open(&co);
        if (out) {
            fprintf(out, "%s: the best %s h window starts at %s (in %s h)\n",
                    llmc_grid_spec(g), cli_num(n1, sizeof n1, dur / 3600), a,
                    cli_num(n2, sizeof n2, (double)(w.start_unix_s - now) / 3600));
            fprintf(out, "  %-22s %s gCO2e/kWh\n", "mean intensity then",
                    cli_num(n1, sizeof n1, w.mean_gco2e_per_kwh));
            fprintf(out, "  %-22s %s gCO2e/kWh\n", "starting now",
                    cli_num(n1, sizeof n1, w.now_mean_gco2e_per_kwh));
            fprintf(out, "  %-22s %s%%\n", "saving",
                    cli_num(n1, sizeof n1, 100 * w.saving_fraction));
            fprintf(out, "  %-22s %s\n", "data searched until", b);
        }
        rc = cli_out_close(&co, "grid forecast");
    }
    llmc_grid_free(g);
    return rc;
}

int cmd_grid(int argc, char **argv)
{
    struct cli_args a;
    int rc = cli_parse_verb(&a, argc, argv, "grid", help,
                            CLI_OPT_KIND | CLI_OPT_AT | CLI_OPT_DURATION |
                                CLI_OPT_WITHIN | CLI_OPT_SBATCH);

    if (rc != CLI_CONTINUE)
        return rc;
    if (!a.verb)
        return cli_usage("grid", "say `grid list`, `grid show ZONE`, `grid get "
                         "SPEC` or `grid forecast SPEC`");
    if (a.sbatch && strcmp(a.verb, "forecast") != 0)
        return cli_usage("grid", "--sbatch goes with `grid forecast`");
    if (strcmp(a.verb, "list") == 0) {
        if (a.arg)
            return cli_usage("grid", "`grid list` takes no zone ('%s')", a.arg);
        return list(a.kind, a.json);
    }
    if (strcmp(a.verb, "show") == 0) {
        if (!a.arg)
            return cli_usage("grid", "`grid show` needs a ZONE, e.g. `grid show FR`");
        if (a.kind)
            return cli_usage("grid", "--kind goes with `grid list`");
        return show(a.arg, a.json);
    }
    if (strcmp(a.verb, "get") == 0) {
        if (!a.arg)
            return cli_usage("grid", "`grid get` needs a SPEC, e.g. `grid get "
                             "electricitymaps:DE,static:DE`");
        return get(a.arg, a.at, a.json);
    }
    if (strcmp(a.verb, "forecast") == 0) {
        if (!a.arg)
            return cli_usage("grid", "`grid forecast` needs a SPEC, e.g. "
                             "`grid forecast ukci:national --duration 6h`");
        if (a.sbatch && a.json)
            return cli_usage("grid", "--sbatch prints sbatch's --begin= "
                             "argument alone; it does not go with --json");
        return forecast(a.arg, a.duration, a.within, a.json, a.sbatch);
    }
    {
        static const char *const verbs[] = {"list", "show", "get", "forecast"};
        char hint[128];
        cli_did_you_mean(hint, sizeof hint, a.verb, verbs, 4, "");
        return cli_usage("grid", "'%s' is not a grid command;%s %s list, "
                         "show, get or forecast", a.verb, hint,
                         *hint ? "Use" : "use");
    }
}
