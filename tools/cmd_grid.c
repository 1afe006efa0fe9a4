/*
 * cmd_grid.c - `llmcarbon grid list|show ZONE`: the bundled grid-intensity
 * table with the provenance of each value.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static const char help[] =
    "usage: llmcarbon grid list [--kind KIND] [--json]\n"
    "       llmcarbon grid show ZONE [--json]\n"
    "\n"
    "The bundled yearly grid carbon intensity, with dataset, year, basis,\n"
    "source and licence for each zone. ZONE is any grid spec: FR or FRA,\n"
    "France, US-CA, CA-QC, AU-NSW, US-NERC-WECC, gcp:europe-west1,\n"
    "aws:us-east-1, azure:westeurope, WORLD, static:DE, const:450g/kWh.\n"
    "KIND is country, world, us_state, ca_province, au_state, us_nerc_region\n"
    "or cloud_region.\n";

static json_t *intensity_json(const llmc_intensity *ci, const char *kind,
                              const char *spec)
{
    json_t *o = json_object();
    json_object_set_new(o, "zone", json_string(ci->zone));
    if (kind)
        json_object_set_new(o, "kind", json_string(kind));
    if (spec)
        json_object_set_new(o, "spec", json_string(spec));
    json_object_set_new(o, "intensity_gco2e_per_kwh", json_real(ci->gco2e_per_kwh));
    json_object_set_new(o, "year", ci->year ? json_integer(ci->year) : json_null());
    json_object_set_new(o, "basis", json_string(llmc_basis_name(ci->basis)));
    json_object_set_new(o, "source", json_string(ci->source));
    json_object_set_new(o, "dataset", json_string(ci->dataset));
    json_object_set_new(o, "provenance", json_string(ci->provenance));
    json_object_set_new(o, "licence", json_string(ci->licence));
    return o;
}

static const char *kinds[] = {"country", "world", "us_state", "ca_province",
                              "au_state", "us_nerc_region", "cloud_region"};

static int list(const char *kind, int json)
{
    size_t n = llmc_grid_zone_count(), shown = 0;
    json_t *arr = json ? json_array() : NULL;

    if (kind) {
        int ok = 0;
        for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
            ok |= strcmp(kind, kinds[i]) == 0;
        if (!ok) {
            json_decref(arr);
            return cli_usage("grid", "'%s' is not a zone kind; use country, "
                             "world, us_state, ca_province, au_state, "
                             "us_nerc_region or cloud_region", kind);
        }
    }
    if (!json)
        printf("%-32s %-15s %12s %6s  %s\n", "ZONE", "KIND", "gCO2e/kWh",
               "YEAR", "BASIS");
    for (size_t i = 0; i < n; i++) {
        llmc_intensity ci;
        const char *k;
        char buf[32], yr[8] = "-";
        int rc;
        llmc_intensity_init(&ci, sizeof ci);
        if ((rc = llmc_grid_zone_get(&ci, &k, i)) != LLMC_OK) {
            json_decref(arr);
            return cli_fail("grid list", "", rc);
        }
        if (kind && strcmp(kind, k) != 0)
            continue;
        shown++;
        if (json) {
            json_array_append_new(arr, intensity_json(&ci, k, NULL));
            continue;
        }
        if (ci.year)
            snprintf(yr, sizeof yr, "%d", ci.year);
        printf("%-32s %-15s %12s %6s  %s\n", ci.zone, k,
               cli_num(buf, sizeof buf, ci.gco2e_per_kwh), yr,
               llmc_basis_name(ci.basis));
    }
    if (json)
        return cli_print_json(arr);
    if (n > 0) {
        llmc_intensity ci;
        llmc_intensity_init(&ci, sizeof ci);
        llmc_grid_zone_get(&ci, NULL, 0);
        printf("\n%zu zones from %s. `llmcarbon grid show ZONE` gives the "
               "source and licence.\n", shown, ci.dataset);
    }
    return CLI_OK;
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
        printf("%s\n", llmc_grid_spec(g));
        printf("  %-14s %s gCO2e/kWh\n", "intensity",
               cli_num(buf, sizeof buf, ci.gco2e_per_kwh));
        if (*ci.zone)
            printf("  %-14s %s\n", "zone", ci.zone);
        if (ci.year)
            printf("  %-14s %d (the year the data describe)\n", "year", ci.year);
        printf("  %-14s %s\n", "basis", llmc_basis_name(ci.basis));
        printf("  %-14s %s\n", "source", ci.source);
        if (*ci.dataset)
            printf("  %-14s %s\n", "dataset", ci.dataset);
        printf("  %-14s ", "provenance");
        cli_wrap(ci.provenance, 17, 100);
        if (*ci.licence) {
            printf("  %-14s ", "licence");
            cli_wrap(ci.licence, 17, 100);
        }
        rc = CLI_OK;
    }
    llmc_grid_free(g);
    return rc;
}

int cmd_grid(int argc, char **argv)
{
    struct cli_args a;
    int rc = cli_parse_verb(&a, argc, argv, "grid", help, 1);

    if (rc >= 0)
        return rc;
    if (!a.verb)
        return cli_usage("grid", "say `grid list` or `grid show ZONE`");
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
    return cli_usage("grid", "'%s' is not a grid command; use list or show", a.verb);
}
