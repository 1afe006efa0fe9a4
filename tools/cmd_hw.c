/*
 * cmd_hw.c - `llmcarbon hw list|show NAME`: the hardware catalogue, each
 * number with where it comes from.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char help[] =
    "usage: llmcarbon hw list [--json]\n"
    "       llmcarbon hw show NAME [--json]\n"
    "\n"
    "The bundled hardware catalogue. NAME is forgiving: case, spaces, dashes,\n"
    "underscores and the vendor prefix do not matter (h100-sxm, MI300X).\n"
    "Unknown values are shown as unknown, never as 0.\n";

static const struct {
    llmc_profile_field field; /* its JSON key: llmc_profile_field_name */
    const char *label;
    double scale; /* displayed value = stored / scale */
    const char *unit;
} fields[] = {
    {LLMC_PROFILE_TDP_W, "TDP", 1, "W"},
    {LLMC_PROFILE_IDLE_W, "idle power", 1, "W"},
    {LLMC_PROFILE_PEAK_FP32_FLOPS, "peak FP32", 1e12, "TFLOP/s"},
    {LLMC_PROFILE_PEAK_TF32_FLOPS, "peak TF32", 1e12, "TFLOP/s"},
    {LLMC_PROFILE_PEAK_BF16_FLOPS, "peak BF16", 1e12, "TFLOP/s"},
    {LLMC_PROFILE_PEAK_FP16_FLOPS, "peak FP16", 1e12, "TFLOP/s"},
    {LLMC_PROFILE_PEAK_FP8_FLOPS, "peak FP8", 1e12, "TFLOP/s"},
    {LLMC_PROFILE_MEMORY_GB, "memory", 1, "GB"},
    {LLMC_PROFILE_EMBODIED_KGCO2E, "embodied", 1, "kgCO2e"},
    {LLMC_PROFILE_LIFETIME_S, "lifetime", 365.25 * 86400, "years"},
    {LLMC_PROFILE_DIE_MM2, "die area", 1, "mm2"},
    {LLMC_PROFILE_PROCESS_NM, "process", 1, "nm"},
    {LLMC_PROFILE_EMBODIED_DIE_KGCO2E, "emb. die", 1, "kgCO2e"},
    {LLMC_PROFILE_EMBODIED_PACKAGE_KGCO2E, "emb. package", 1, "kgCO2e"},
    {LLMC_PROFILE_EMBODIED_BOARD_KGCO2E, "emb. board", 1, "kgCO2e"},
    {LLMC_PROFILE_EMBODIED_SERVER_KGCO2E, "emb. server", 1, "kgCO2e"},
};

/* The method of a scope's embodied figure, or 0 for other fields. */
static llmc_profile_text method_of(llmc_profile_field f)
{
    switch (f) {
    case LLMC_PROFILE_EMBODIED_DIE_KGCO2E:
        return LLMC_PROFILE_EMBODIED_DIE_METHOD;
    case LLMC_PROFILE_EMBODIED_PACKAGE_KGCO2E:
        return LLMC_PROFILE_EMBODIED_PACKAGE_METHOD;
    case LLMC_PROFILE_EMBODIED_BOARD_KGCO2E:
        return LLMC_PROFILE_EMBODIED_BOARD_METHOD;
    case LLMC_PROFILE_EMBODIED_SERVER_KGCO2E:
        return LLMC_PROFILE_EMBODIED_SERVER_METHOD;
    default:
        return (llmc_profile_text)0;
    }
}

#define NFIELDS (sizeof fields / sizeof fields[0])

static double get(const llmc_profile *p, llmc_profile_field f)
{
    double v;
    return llmc_profile_get(&v, p, f) == LLMC_OK ? v : NAN;
}

static json_t *text_json(const llmc_profile *p, llmc_profile_text field)
{
    return json_string(llmc_profile_get_text(p, field));
}

/* A profile as JSON under the library's own keys, the ones
 * llmc_profile_load reads back. */
static json_t *profile_json(const llmc_profile *p)
{
    static const llmc_profile_text head[] = {
        LLMC_PROFILE_NAME, LLMC_PROFILE_VENDOR, LLMC_PROFILE_KIND};
    static const llmc_profile_text tail[] = {
        LLMC_PROFILE_EMBODIED_BASIS, LLMC_PROFILE_EMBODIED_DIE_METHOD,
        LLMC_PROFILE_EMBODIED_PACKAGE_METHOD, LLMC_PROFILE_EMBODIED_BOARD_METHOD,
        LLMC_PROFILE_EMBODIED_SERVER_METHOD, LLMC_PROFILE_LIFETIME_SOURCE,
        LLMC_PROFILE_SOURCE};
    json_t *o = json_object();
    for (size_t i = 0; i < sizeof head / sizeof head[0]; i++)
        o = cli_set(o, llmc_profile_text_name(head[i]), text_json(p, head[i]));
    for (size_t i = 0; i < NFIELDS; i++) {
        double v = get(p, fields[i].field);
        o = cli_set(o, llmc_profile_field_name(fields[i].field),
                    isnan(v) ? json_null() : json_real(v));
    }
    for (size_t i = 0; i < sizeof tail / sizeof tail[0]; i++)
        o = cli_set(o, llmc_profile_text_name(tail[i]), text_json(p, tail[i]));
    return o;
}

static const char *cell(char *buf, size_t size, double v, double scale)
{
    if (isnan(v))
        return "-";
    return cli_num(buf, size, v / scale);
}

static int list(int json)
{
    size_t n = llmc_profile_catalogue_count();
    json_t *arr = NULL;
    struct cli_out co = {NULL, NULL, 0};

    if (json)
        arr = json_array();
    else if (!cli_out_open(&co))
        return cli_out_close(&co, "hw list");
    else
        fprintf(co.f, "%-44s %-7s %-11s %7s %10s %8s %10s\n", "NAME",
                "VENDOR", "KIND", "TDP W", "BF16 TF/s", "MEM GB",
                "EMB kgCO2e");
    for (size_t i = 0; i < n; i++) {
        llmc_profile *p;
        char a[32], b[32], c[32], d[32];
        int rc = llmc_profile_catalogue_get(&p, i);
        if (rc != LLMC_OK) {
            json_decref(arr);
            cli_out_discard(&co);
            return cli_fail("hw list", "", rc);
        }
        if (json) {
            arr = cli_append(arr, profile_json(p));
        } else {
            fprintf(co.f, "%-44s %-7s %-11s %7s %10s %8s %10s\n",
                    llmc_profile_get_text(p, LLMC_PROFILE_NAME),
                    llmc_profile_get_text(p, LLMC_PROFILE_VENDOR),
                    llmc_profile_get_text(p, LLMC_PROFILE_KIND),
                    cell(a, sizeof a, get(p, LLMC_PROFILE_TDP_W), 1),
                    cell(b, sizeof b, get(p, LLMC_PROFILE_PEAK_BF16_FLOPS),
                         1e12),
                    cell(c, sizeof c, get(p, LLMC_PROFILE_MEMORY_GB), 1),
                    cell(d, sizeof d, get(p, LLMC_PROFILE_EMBODIED_KGCO2E),
                         1));
        }
        llmc_profile_free(p);
    }
    if (json)
        return cli_print_json(arr);
    fprintf(co.f, "\n%zu profiles; '-' = no source gives the value. "
            "`llmcarbon hw show NAME` lists sources.\n", n);
    return cli_out_close(&co, "hw list");
}

static void print_profile(FILE *out, const llmc_profile *p)
{
    fprintf(out, "%s\n", llmc_profile_get_text(p, LLMC_PROFILE_NAME));
    fprintf(out, "  %-14s %s\n", "vendor",
            llmc_profile_get_text(p, LLMC_PROFILE_VENDOR));
    fprintf(out, "  %-14s %s\n", "kind",
            llmc_profile_get_text(p, LLMC_PROFILE_KIND));
    for (size_t i = 0; i < NFIELDS; i++) {
        char buf[32];
        double v = get(p, fields[i].field);
        fprintf(out, "  %-14s %s%s%s", fields[i].label,
                isnan(v) ? "unknown"
                         : cli_num(buf, sizeof buf, v / fields[i].scale),
                isnan(v) ? "" : " ", isnan(v) ? "" : fields[i].unit);
        if (fields[i].field == LLMC_PROFILE_EMBODIED_KGCO2E && !isnan(v))
            fprintf(out, " (%s)",
                    llmc_profile_get_text(p, LLMC_PROFILE_EMBODIED_BASIS));
        if (method_of(fields[i].field) && !isnan(v) &&
            *llmc_profile_get_text(p, method_of(fields[i].field)))
            fprintf(out, " (%s)",
                    llmc_profile_get_text(p, method_of(fields[i].field)));
        putc('\n', out);
    }
    if (strcmp(llmc_profile_get_text(p, LLMC_PROFILE_EMBODIED_DIE_METHOD),
               "model-bound") == 0) {
        fprintf(out, "  %-14s ", "model-bound");
        cli_wrapf(out,
                  "the vendor publishes how many dies and on which node, "
                  "not their area (or not the node): each is taken at its "
                  "upper bound, so the die term is an upper estimate "
                  "(data/dies.csv)",
                  17, 100);
    }
    if (*llmc_profile_get_text(p, LLMC_PROFILE_LIFETIME_SOURCE)) {
        fprintf(out, "  %-14s ", "lifetime from");
        cli_wrapf(out, llmc_profile_get_text(p, LLMC_PROFILE_LIFETIME_SOURCE),
                  17, 100);
    }
    fprintf(out, "  %-14s ", "sources");
    cli_wrapf(out, llmc_profile_get_text(p, LLMC_PROFILE_SOURCE), 17, 100);
}

static int show(const char *name, int json)
{
    llmc_profile *p;
    int rc = llmc_profile_lookup(&p, name);
    char what[300];
    struct cli_out co;

    if (rc != LLMC_OK) {
        snprintf(what, sizeof what, "'%s'", name);
        return cli_fail("hw show", what, rc);
    }
    if (json) {
        rc = cli_print_json(profile_json(p));
    } else {
        if (cli_out_open(&co))
            print_profile(co.f, p);
        rc = cli_out_close(&co, "hw show");
    }
    llmc_profile_free(p);
    return rc;
}

int cmd_hw(int argc, char **argv)
{
    struct cli_args a;
    int rc = cli_parse_verb(&a, argc, argv, "hw", help, 0u);

    if (rc != CLI_CONTINUE)
        return rc;
    if (!a.verb)
        return cli_usage("hw", "say `hw list` or `hw show NAME`");
    if (strcmp(a.verb, "list") == 0) {
        if (a.arg)
            return cli_usage("hw", "`hw list` takes no name ('%s')", a.arg);
        return list(a.json);
    }
    if (strcmp(a.verb, "show") == 0) {
        if (!a.arg)
            return cli_usage("hw", "`hw show` needs a NAME, e.g. `hw show h100-sxm`");
        return show(a.arg, a.json);
    }
    {
        static const char *const verbs[] = {"list", "show"};
        char hint[128];
        cli_did_you_mean(hint, sizeof hint, a.verb, verbs, 2, "");
        return cli_usage("hw", "'%s' is not a hw command;%s %s list or show",
                         a.verb, hint, *hint ? "Use" : "use");
    }
}
