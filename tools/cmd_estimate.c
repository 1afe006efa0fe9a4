/*
 * cmd_estimate.c - `llmcarbon estimate`: energy and CO2e of a run, with every
 * assumption and its source. The text report is drawn from the same JSON
 * that --json prints, so the two cannot disagree.
 */
#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help_head[] =
    "usage: llmcarbon estimate [OPTIONS]\n"
    "\n"
    "Energy and CO2e of a training run: from its energy, or from hardware,\n"
    "device count and time. Quantities take units (1000kWh, 700W, 720h,\n"
    "450g/kWh); a bare number is in the unit shown below.\n"
    "\n";

static const char help_tail[] =
    "Any number may be a range low..high (--mfu 0.3..0.5, --pue 1.1..1.4):\n"
    "the output is then the middle, with the bounds under \"range\".\n"
    "output:\n"
    "  --json              print one JSON object\n"
    "  --help              print this help\n"
    "\n"
    "example:\n"
    "  llmcarbon estimate --hardware \"NVIDIA H100 SXM5 80GB\" --count 1024 \\\n"
    "      --hours 720h --pue 1.1 --zone US\n";

/* The headings of the help, each before the key that starts its group. */
static const struct {
    const char *key, *heading;
} groups[] = {
    {"energy", "what ran:"},
    {"pue", "where:"},
    {"embodied", "embodied carbon:"},
    {"params", "planned from its compute (instead of --hours):"},
};

/* The help: the estimate's keys come from the library's table
 * (llmc_estimate_key_get), so every key is a flag and its help says what
 * the library does. */
static void print_help(void)
{
    llmc_key_info k;
    fputs(help_head, stdout);
    for (size_t i = 0; i < llmc_estimate_key_count(); i++) {
        llmc_key_info_init(&k, sizeof k);
        if (llmc_estimate_key_get(&k, i) != LLMC_OK)
            continue;
        for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++)
            if (strcmp(groups[g].key, k.name) == 0)
                printf("%s\n", groups[g].heading);
        cli_print_key(&k, 19);
    }
    fputs(help_tail, stdout);
}

enum { OPT_JSON = 1000, OPT_HELP, OPT_KEY = 2000 };

/* estimate's own flags, then one per estimate key (val OPT_KEY + its
 * index); a key without a placeholder is a switch, set to true. 64 in
 * all, the most cli_getopt tells apart (its seen[]). */
#define ESTIMATE_OWN 2
static struct option options[64] = {
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, OPT_HELP},
};

static void build_options(void)
{
    cli_key_options(options, ESTIMATE_OWN, sizeof options / sizeof options[0], llmc_estimate_key_count,
                    llmc_estimate_key_get, OPT_KEY);
}

/* Flags that cannot go together: the second would be silently ignored. */
static const struct {
    const char *a, *b, *why;
} conflicts[] = {
    {"power", "power-factor",
     "--power is the mean power per device, and --power-factor would scale "
     "the TDP it replaces; give one"},
    {"energy", "overhead-power",
     "--energy is the IT energy as measured, to which nothing is added; "
     "drop --overhead-power (or give --hardware and --hours instead of "
     "--energy)"},
    {"energy", "power-factor",
     "--energy is the IT energy as measured, which no power factor scales; "
     "drop --power-factor"},
    {"embodied", "no-embodied",
     "--embodied sets the embodied carbon and --no-embodied leaves it out; "
     "give one"},
};

static int given(const unsigned char *seen, const char *name)
{
    for (size_t i = 0; options[i].name; i++)
        if (strcmp(options[i].name, name) == 0)
            return seen[i];
    return 0;
}

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static double num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static void line(FILE *out, const char *label, double v, const char *unit,
                 const char *note)
{
    char buf[64];
    if (note && *note)
        fprintf(out, "  %-22s %16s %-10s  %s\n", label,
                cli_num(buf, sizeof buf, v),
                unit, note);
    else
        fprintf(out, "  %-22s %16s %s\n", label, cli_num(buf, sizeof buf, v),
                unit);
}

static void assumption(FILE *out, const char *label, const char *text)
{
    fprintf(out, "  %-12s", label);
    cli_wrapf(out, text, 14, 100);
}

static void print_report(FILE *out, json_t *j)
{
    json_t *a = json_object_get(j, "assumptions");
    json_t *hw = json_object_get(a, "hardware");
    json_t *pw = json_object_get(a, "power");
    json_t *dh = json_object_get(a, "device_hours");
    json_t *ci = json_object_get(a, "intensity");
    json_t *emb = json_object_get(a, "embodied");
    char buf[2048], n1[64], n2[64];
    double total = num(j, "total_kgco2e");

    fputs("Estimate\n", out);
    if (json_is_number(json_object_get(j, "flops"))) {
        json_t *c = json_object_get(a, "compute");
        snprintf(buf, sizeof buf, "at MFU %s of %s TFLOP/s %s",
                 cli_num(n1, sizeof n1, num(c, "mfu")),
                 cli_num(n2, sizeof n2, num(c, "peak_flops_per_device") / 1e12),
                 str(c, "precision"));
        fprintf(out, "  %-22s %16.4g %-10s  %s\n", "training compute",
                num(j, "flops"), "FLOPs", buf);
    }
    if (json_is_number(json_object_get(j, "device_hours")))
        line(out, "device time", num(j, "device_hours"), "hours", "");
    if (json_is_number(json_object_get(j, "days")))
        line(out, "wall-clock", num(j, "days"), "days", "");
    line(out, "IT energy", num(j, "energy_kwh"), "kWh", "");
    snprintf(buf, sizeof buf, "x PUE %s", cli_num(n1, sizeof n1, num(j, "pue")));
    line(out, "facility energy", num(j, "facility_energy_kwh"), "kWh", buf);
    line(out, "grid intensity", num(j, "intensity_gco2e_per_kwh"), "gCO2e/kWh",
         "");
    line(out, "operational", num(j, "operational_kgco2e"), "kgCO2e", "");
    if (json_is_true(json_object_get(j, "embodied_included")))
        line(out, "embodied", num(j, "embodied_kgco2e"), "kgCO2e", "");
    else
        fprintf(out, "  %-22s %16s %-10s  %s\n", "embodied", "not included", "",
                str(emb, "note"));
    snprintf(buf, sizeof buf, "= %s tCO2e", cli_num(n1, sizeof n1, total / 1000.0));
    line(out, "total", total, "kgCO2e", buf);
    if (json_is_number(json_object_get(j, "gco2e_per_mtoken")))
        line(out, "per million tokens", num(j, "gco2e_per_mtoken"), "gCO2e",
             "");
    {
        json_t *range = json_object_get(j, "range");
        if (json_is_object(range)) {
            const char *keys[] = {"days", "energy_kwh", "total_kgco2e"};
            const char *labels[] = {"range: wall-clock", "range: IT energy",
                                    "range: total"};
            const char *units[] = {"days", "kWh", "kgCO2e"};
            for (int k = 0; k < 3; k++) {
                json_t *pair = json_object_get(range, keys[k]);
                snprintf(buf, sizeof buf, "%s .. %s %s",
                         cli_num(n1, sizeof n1,
                                 json_number_value(json_array_get(pair, 0))),
                         cli_num(n2, sizeof n2,
                                 json_number_value(json_array_get(pair, 1))),
                         units[k]);
                fprintf(out, "  %-22s %16s %s\n", labels[k], "", buf);
            }
        }
    }

    fputs("\nAssumptions\n", out);
    snprintf(buf, sizeof buf, "%s", str(json_object_get(a, "energy"), "source"));
    assumption(out, "energy", buf);
    if (json_is_object(hw)) {
        snprintf(buf, sizeof buf, "%s (%s %s) from %s; sources: %s",
                 str(hw, "name"), str(hw, "vendor"), str(hw, "kind"),
                 str(hw, "dataset"), str(hw, "source"));
        assumption(out, "hardware", buf);
    }
    if (json_is_object(pw)) {
        const char *basis = str(j, "power_basis");
        snprintf(buf, sizeof buf, "%s W per device: %s",
                 cli_num(n1, sizeof n1, num(pw, "value_w")),
                 strcmp(basis, "given (--power)") == 0 ? "given (--power)"
                 : strcmp(basis, "TDP") == 0           ? "the hardware's TDP"
                                                       : "its typical "
                                                         "training power");
        assumption(out, "power", buf);
        assumption(out, "power basis", basis);
    }
    if (json_is_object(dh)) {
        snprintf(buf, sizeof buf, "%s device-hours: %s",
                 cli_num(n1, sizeof n1, num(dh, "value_h")), str(dh, "source"));
        assumption(out, "device time", buf);
    }
    snprintf(buf, sizeof buf, "%s: %s",
             cli_num(n1, sizeof n1, num(json_object_get(a, "pue"), "value")),
             str(json_object_get(a, "pue"), "source"));
    assumption(out, "PUE", buf);
    {
        json_t *year = json_object_get(ci, "year");
        char yr[16] = "year unknown";
        if (json_is_integer(year))
            snprintf(yr, sizeof yr, "%lld", (long long)json_integer_value(year));
        if (strcmp(str(ci, "source"), "static") == 0)
            snprintf(buf, sizeof buf,
                     "%s gCO2e/kWh for zone %s (%s, %s basis) from %s; "
                     "source: %s; licence: %s",
                     cli_num(n1, sizeof n1, num(ci, "value_gco2e_per_kwh")),
                     str(ci, "zone"), yr, str(ci, "basis"), str(ci, "dataset"),
                     str(ci, "provenance"), str(ci, "licence"));
        else
            snprintf(buf, sizeof buf, "%s gCO2e/kWh: %s (%s)",
                     cli_num(n1, sizeof n1, num(ci, "value_gco2e_per_kwh")),
                     str(ci, "provenance"), str(ci, "spec"));
        assumption(out, "intensity", buf);
    }
    if (json_is_true(json_object_get(emb, "included"))) {
        const char *basis = str(emb, "basis");
        const char *src = str(emb, "source");
        if (json_is_object(hw) && strcmp(src, str(hw, "source")) == 0)
            src = "the hardware's sources above";
        /* model-bound: say in words what the method name means */
        snprintf(buf, sizeof buf,
                 "%s kgCO2e per device (scope %s, method %s%s%s), amortised "
                 "over %s years (%s)%s; source: %s",
                 cli_num(n1, sizeof n1, num(emb, "kgco2e_per_device")),
                 str(emb, "scope"), str(emb, "method"), *basis ? ", " : "",
                 basis,
                 cli_num(n2, sizeof n2, num(emb, "lifetime_years")),
                 str(emb, "lifetime_source"),
                 strcmp(str(emb, "method"), "model-bound") == 0
                     ? "; the die area or node is not published and is "
                       "taken at its upper bound"
                     : "",
                 src);
        assumption(out, "embodied", buf);
    }
}

int cmd_estimate(int argc, char **argv)
{
    llmc_estimate *e = NULL;
    llmc_estimate_result r;
    int json = 0, c, rc, exit_status = CLI_OK, power_word = 0;
    char *text = NULL;
    struct cli_getopt g;

    if ((rc = llmc_estimate_new(&e)) != LLMC_OK)
        return cli_fail("estimate", "", rc);
    build_options();
    cli_getopt_init(&g, "estimate", argc, argv, ":", options);
    while ((c = cli_getopt_next(&g)) != CLI_GETOPT_END) {
        char what[256];
        switch (c) {
        case CLI_GETOPT_USAGE:
            exit_status = CLI_USAGE;
            goto out;
        case OPT_HELP:
            print_help();
            goto out;
        case OPT_JSON:
            json = 1;
            break;
        default: {
            llmc_key_info k;
            const char *value = optarg;
            llmc_key_info_init(&k, sizeof k);
            if (c < OPT_KEY ||
                llmc_estimate_key_get(&k, (size_t)(c - OPT_KEY)) != LLMC_OK)
                break;
            if (!*k.arg)
                value = "true";
            /* --power tdp or typical names a basis, not a figure: the
             * library says what conflicts with it */
            if (strcmp(k.name, "power") == 0)
                power_word = isalpha((unsigned char)*value);
            if ((rc = llmc_estimate_set(e, k.name, value)) != LLMC_OK) {
                snprintf(what, sizeof what, "%s '%s'", k.flag, value);
                exit_status = cli_fail("estimate", what, rc);
                goto out;
            }
        }
        }
    }
    if (optind < argc) {
        exit_status = cli_usage("estimate", "unexpected argument '%s'",
                                argv[optind]);
        goto out;
    }
    for (size_t i = 0; i < sizeof conflicts / sizeof conflicts[0]; i++)
        if (given(g.seen, conflicts[i].a) && given(g.seen, conflicts[i].b) &&
            !(power_word && strcmp(conflicts[i].a, "power") == 0)) {
            exit_status = cli_usage("estimate",
                                    "'--%s' and '--%s' conflict: %s",
                                    conflicts[i].a, conflicts[i].b,
                                    conflicts[i].why);
            goto out;
        }
    llmc_estimate_result_init(&r, sizeof r);
    if ((rc = llmc_estimate_compute(&r, e)) != LLMC_OK ||
        (rc = llmc_estimate_json(&text, e)) != LLMC_OK) {
        exit_status = cli_fail("estimate", "", rc);
        goto out;
    }
    if (json) {
        if (cli_write(text, strlen(text)) != CLI_OK ||
            cli_write("\n", 1) != CLI_OK) {
            fputs("llmcarbon estimate: cannot write the output\n", stderr);
            exit_status = CLI_FAILED;
        }
    } else {
        json_error_t err;
        struct cli_out o;
        json_t *j = llmc__json_loadb(text, strlen(text), 0, &err);
        if (!j) {
            fprintf(stderr, "llmcarbon estimate: %s\n",
                    json_error_code(&err) == json_error_out_of_memory
                        ? "out of memory reading the estimate; nothing was "
                          "written (LLMC_ENOMEM)"
                        : err.text);
            exit_status = CLI_FAILED;
            goto out;
        }
        if (cli_out_open(&o))
            print_report(o.f, j);
        json_decref(j);
        exit_status = cli_out_close(&o, "estimate");
    }
out:
    llmc_free(text);
    llmc_estimate_free(e);
    return exit_status;
}
