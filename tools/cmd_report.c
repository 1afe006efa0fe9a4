/*
 * cmd_report.c - `llmcarbon report LOG... [--grid SPEC] [--json]`: one job
 * report from the per-sample logs of its ranks, and, with --grid, the
 * operational CO2e weighted again by another grid source: the history a
 * provider published after the run, or another basis.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help[] =
    "usage: llmcarbon report LOG... [--grid SPEC] [--pue X] [--json]\n"
    "\n"
    "Sums the JSON-lines logs of a run (log=FILE of the tracker or\n"
    "llmcarbon run --log; one per rank) into one report: energy, CO2e as\n"
    "recorded, per host and rank. With --grid, the energy of every sample\n"
    "is weighted again by the intensity SPEC gives for that sample's time\n"
    "(for example the history Electricity Maps published after the run),\n"
    "and both figures are shown. --pue replaces the PUE the logs recorded.\n";

struct who {
    char host[128];
    long long rank;
    double energy_j, kgco2e;
    long long samples;
};

struct sums {
    double energy_j, recorded_kgco2e, reweighted_kgco2e, ci_energy;
    double first_t, last_t;
    long long samples, unmeasured, reweight_failures;
    long long tokens;
    struct who who[256];
    size_t nwho;
    char problem[400];
};

static struct who *who_of(struct sums *s, const char *host, long long rank)
{
    for (size_t i = 0; i < s->nwho; i++)
        if (s->who[i].rank == rank && strcmp(s->who[i].host, host) == 0)
            return &s->who[i];
    if (s->nwho == sizeof s->who / sizeof s->who[0])
        return NULL;
    snprintf(s->who[s->nwho].host, sizeof s->who[0].host, "%s", host);
    s->who[s->nwho].rank = rank;
    return &s->who[s->nwho++];
}

static int read_log(struct sums *s, const char *path, llmc_grid *g,
                    double pue_override)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    long long last_tokens = 0;

    if (!f) {
        fprintf(stderr, "llmcarbon report: cannot open '%s'\n", path);
        return CLI_FAILED;
    }
    while (getline(&line, &cap, f) > 0) {
        json_error_t err;
        json_t *j;
        double e, t, dt, pue, op;
        const char *host;
        long long rank;
        struct who *w;

        lineno++;
        if (!(j = json_loads(line, 0, &err))) {
            fprintf(stderr,
                    "llmcarbon report: %s:%zu: not a JSON line (%s); is it a "
                    "log of llmcarbon?\n",
                    path, lineno, err.text);
            free(line);
            fclose(f);
            return CLI_FAILED;
        }
        t = json_number_value(json_object_get(j, "time_unix_s"));
        dt = json_number_value(json_object_get(j, "interval_s"));
        pue = json_is_number(json_object_get(j, "pue"))
                  ? json_number_value(json_object_get(j, "pue"))
                  : 1.0;
        if (pue_override > 0)
            pue = pue_override;
        host = json_string_value(json_object_get(j, "host"));
        rank = json_is_integer(json_object_get(j, "rank"))
                   ? (long long)json_integer_value(json_object_get(j, "rank"))
                   : -1;
        if (json_is_integer(json_object_get(j, "tokens")))
            last_tokens = (long long)json_integer_value(json_object_get(j, "tokens"));
        s->samples++;
        if (s->first_t == 0 || t - dt < s->first_t)
            s->first_t = t - dt;
        if (t > s->last_t)
            s->last_t = t;
        if (!json_is_number(json_object_get(j, "energy_j"))) {
            s->unmeasured++;
            json_decref(j);
            continue;
        }
        e = json_number_value(json_object_get(j, "energy_j"));
        op = json_number_value(json_object_get(j, "operational_kgco2e"));
        if (pue_override > 0 && json_is_number(json_object_get(j, "pue")) &&
            json_number_value(json_object_get(j, "pue")) > 0)
            op *= pue_override / json_number_value(json_object_get(j, "pue"));
        s->energy_j += e;
        s->recorded_kgco2e += op;
        if ((w = who_of(s, host ? host : "?", rank)) != NULL) {
            w->energy_j += e;
            w->kgco2e += op;
            w->samples++;
        }
        if (g) {
            llmc_intensity ci;
            llmc_intensity_init(&ci, sizeof ci);
            /* the intensity in the middle of the sample's interval */
            if (llmc_grid_intensity_at(&ci, g, (int64_t)(t - dt / 2)) == LLMC_OK) {
                double kg;
                llmc_account_operational(&kg, e, pue, ci.gco2e_per_kwh);
                s->reweighted_kgco2e += kg;
                s->ci_energy += e * ci.gco2e_per_kwh;
            } else {
                s->reweight_failures++;
                snprintf(s->problem, sizeof s->problem, "%s", llmc_last_error());
            }
        }
        json_decref(j);
    }
    s->tokens += last_tokens;
    free(line);
    fclose(f);
    return CLI_OK;
}

int cmd_report(int argc, char **argv)
{
    const char *grid_spec = NULL, *pue_text = NULL;
    const char *logs[256];
    size_t nlogs = 0;
    int json = 0, rc;
    double pue = -1;
    llmc_grid *g = NULL;
    struct sums *s;
    char a[64], b[64];

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(help, stdout);
            return CLI_OK;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--grid") == 0 || strcmp(argv[i], "--pue") == 0) {
            if (i + 1 >= argc)
                return cli_usage("report", "'%s' needs a value", argv[i]);
            if (argv[i][2] == 'g')
                grid_spec = argv[++i];
            else
                pue_text = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage("report", "'%s' is not an option", argv[i]);
        } else if (nlogs < sizeof logs / sizeof logs[0]) {
            logs[nlogs++] = argv[i];
        } else {
            return cli_usage("report", "too many logs (at most 256)");
        }
    }
    if (nlogs == 0)
        return cli_usage("report", "no log given; write `llmcarbon report "
                         "run.jsonl [rank1.jsonl ...]`");
    if (pue_text && (rc = llmc_quantity_parse(&pue, LLMC_DIM_PUE, pue_text,
                                              NULL)) != LLMC_OK)
        return cli_fail("report", "--pue", rc);
    if (grid_spec && (rc = llmc_grid_new(&g, grid_spec)) != LLMC_OK)
        return cli_fail("report", "--grid", rc);
    if (!(s = calloc(1, sizeof *s))) {
        llmc_grid_free(g);
        return CLI_FAILED;
    }
    for (size_t i = 0; i < nlogs; i++)
        if ((rc = read_log(s, logs[i], g, pue)) != CLI_OK) {
            free(s);
            llmc_grid_free(g);
            return rc;
        }
    if (json) {
        json_t *o = json_object(), *ranks = json_array();
        json_object_set_new(o, "logs", json_integer((json_int_t)nlogs));
        json_object_set_new(o, "samples", json_integer(s->samples));
        json_object_set_new(o, "unmeasured_samples", json_integer(s->unmeasured));
        json_object_set_new(o, "duration_s", json_real(s->last_t - s->first_t));
        json_object_set_new(o, "energy_j", json_real(s->energy_j));
        json_object_set_new(o, "energy_kwh", json_real(s->energy_j / 3.6e6));
        json_object_set_new(o, "tokens", json_integer(s->tokens));
        json_object_set_new(o, "operational_kgco2e", json_real(s->recorded_kgco2e));
        if (g) {
            json_t *r = json_object();
            json_object_set_new(r, "grid", json_string(llmc_grid_spec(g)));
            json_object_set_new(r, "operational_kgco2e",
                                s->reweight_failures ? json_null()
                                                     : json_real(s->reweighted_kgco2e));
            json_object_set_new(r, "intensity_gco2e_per_kwh",
                                s->energy_j > 0 && !s->reweight_failures
                                    ? json_real(s->ci_energy / s->energy_j)
                                    : json_null());
            json_object_set_new(r, "samples_without_intensity",
                                json_integer(s->reweight_failures));
            if (s->reweight_failures)
                json_object_set_new(r, "problem", json_string(s->problem));
            json_object_set_new(o, "reweighted", r);
        }
        for (size_t i = 0; i < s->nwho; i++)
            json_array_append_new(
                ranks, json_pack("{s:s, s:o, s:f, s:f, s:I}", "host",
                                 s->who[i].host, "rank",
                                 s->who[i].rank >= 0 ? json_integer(s->who[i].rank)
                                                     : json_null(),
                                 "energy_j", s->who[i].energy_j,
                                 "operational_kgco2e", s->who[i].kgco2e,
                                 "samples", (json_int_t)s->who[i].samples));
        json_object_set_new(o, "ranks", ranks);
        rc = cli_print_json(o);
    } else {
        printf("llmcarbon report: %zu log%s, %lld samples over %s s\n", nlogs,
               nlogs == 1 ? "" : "s", s->samples,
               cli_num(a, sizeof a, s->last_t - s->first_t));
        printf("  %-24s %s J = %s kWh\n", "energy",
               cli_num(a, sizeof a, s->energy_j),
               cli_num(b, sizeof b, s->energy_j / 3.6e6));
        if (s->unmeasured)
            printf("  %-24s %lld samples had no energy reading\n", "unmeasured",
                   s->unmeasured);
        printf("  %-24s %s kgCO2e\n", "operational, as recorded",
               cli_num(a, sizeof a, s->recorded_kgco2e));
        if (g) {
            if (s->reweight_failures)
                printf("  %-24s incomplete: %lld samples had no intensity "
                       "(%s)\n", "reweighted", s->reweight_failures, s->problem);
            else
                printf("  %-24s %s kgCO2e at a mean %s gCO2e/kWh (%s)\n",
                       "reweighted", cli_num(a, sizeof a, s->reweighted_kgco2e),
                       cli_num(b, sizeof b,
                               s->energy_j > 0 ? s->ci_energy / s->energy_j : 0),
                       llmc_grid_spec(g));
        }
        for (size_t i = 0; i < s->nwho; i++)
            printf("    %s rank %lld: %s J\n", s->who[i].host, s->who[i].rank,
                   cli_num(a, sizeof a, s->who[i].energy_j));
        rc = CLI_OK;
    }
    free(s);
    llmc_grid_free(g);
    return rc;
}
