/*
 * tables.h - the bundled data tables, generated at build time from data/ (CSV files)
 * by data/gen_tables.py. Unknown numbers are NAN, never 0.
 */
#ifndef LLMC_CORE_TABLES_H
#define LLMC_CORE_TABLES_H

#include <stddef.h>

struct llmc__hw_row {
    const char *name;
    const char *vendor;
    const char *kind;           /* gpu, tpu, accelerator, board, cpu */
    double tdp_w;
    double idle_w;
    double fp32_flops;          /* FLOP/s, dense */
    double tf32_flops;
    double bf16_flops;
    double fp16_flops;
    double fp8_flops;
    double memory_gb;
    double die_mm2;
    double process_nm;
    /* Embodied carbon by scope (data/embodied.csv), kg CO2e per device;
     * each method is "pcf", "model", "model-bound" (modelled over a die
     * area or node taken at its upper bound), "pcf+model" or ""
     * (unknown). */
    double embodied_die_kgco2e;
    const char *embodied_die_method;
    double embodied_package_kgco2e;
    const char *embodied_package_method;
    double embodied_board_kgco2e;
    const char *embodied_board_method;
    double embodied_server_kgco2e;
    const char *embodied_server_method;
    const char *source;
};

struct llmc__zone_row {
    const char *zone;           /* as in the CSV: "FRA", "US-CA", "gcp:europe-west1" */
    const char *kind;           /* country, world, us_state, ... */
    double gco2e_per_kwh;
    int year;                   /* 0 when the source gives none */
    int basis;                  /* an llmc_basis value */
    const char *source;
    const char *licence;
};

struct llmc__country {
    const char *alpha2;
    const char *alpha3;
    const char *name;
};

extern const struct llmc__hw_row llmc__hw_rows[];
extern const size_t llmc__hw_count;
extern const struct llmc__zone_row llmc__zone_rows[];
extern const size_t llmc__zone_count;
extern const struct llmc__country llmc__countries[];
extern const size_t llmc__country_count;
/* "llmcarbon-hardware 2026.11 sha256:0123456789ab" and the grid equivalent */
extern const char llmc__hw_dataset[];
extern const char llmc__grid_dataset[];

/* Typical training power (data/power_typical.csv): a device row (vendor
 * and kind "", applies_to a hardware row's name) or a class row (kind
 * set, vendor "" for any, applies_to its label); fraction_of_tdp or mean_w, the other NAN; both NAN for a class
 * no measured study covers, the source saying so. */
struct llmc__power_typical_row {
    const char *applies_to;
    const char *vendor;
    const char *kind;
    double fraction_of_tdp;
    double mean_w;
    const char *scope;          /* device, system, node; "" with no figure */
    const char *source;
};

extern const struct llmc__power_typical_row llmc__power_typical_rows[];
extern const size_t llmc__power_typical_count;

#endif
