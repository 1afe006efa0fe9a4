/* estimate.h - the estimate handle, shared by estimate.c and its JSON. */
#ifndef LLMC_ESTIMATE_ESTIMATE_H
#define LLMC_ESTIMATE_ESTIMATE_H

#include "llmcarbon.h"

enum llmc__embodied_mode {
    LLMC__EMBODIED_AUTO = 0,     /* from the profile, when it has a figure */
    LLMC__EMBODIED_OFF = 1,      /* --no-embodied */
    LLMC__EMBODIED_OVERRIDE = 2  /* --embodied 164kg */
};

/* Which input supplied the grid, for the report and for conflicts. */
enum llmc__grid_key { LLMC__GRID_NONE = 0, LLMC__GRID_ZONE, LLMC__GRID_INTENSITY,
                      LLMC__GRID_SPEC, LLMC__GRID_HANDLE };

/* An input that may be a range; lo == hi for a single value. */
struct llmc__range {
    double lo, hi;
    int set;
};

/* Which power stands for the device's when no --power figure is given:
 * its TDP (scaled by power_factor) or its typical training power from
 * data/power_typical.csv. */
enum llmc__power_basis { LLMC__POWER_TDP = 0, LLMC__POWER_TYPICAL };

struct llmc__power_typical_row;

/* How the training compute was obtained. */
enum llmc__flops_from { LLMC__FLOPS_NONE = 0, LLMC__FLOPS_6ND,
                        LLMC__FLOPS_LAYERS };

struct llmc_estimate {
    struct llmc__range energy_j, hours_s, device_s, power_w, pue, lifetime_s,
        params, active_params, tokens, mfu, power_factor, overhead_w,
        intensity, embodied_kg;
    double layers, hidden, seq_len, vocab;
    int recompute;
    int precision;              /* an llmc_profile_field PEAK_*, 0 unset */
    llmc_profile *profile;
    long long count;
    int have_count;
    llmc_grid *grid;
    enum llmc__grid_key grid_key;
    enum llmc__embodied_mode embodied_mode;
    enum llmc__power_basis power_basis;
    int embodied_scope;         /* an llmc__embodied_scope */

    /* filled by llmc_estimate_compute */
    int computed, ranged;
    llmc_estimate_result result, low, high;
    llmc_intensity intensity_answer;  /* the grid's, for the middle */
    double device_s_used;       /* 0 when unknown */
    double embodied_per_device_kgco2e;
    const char *embodied_method; /* "pcf", "model", ...: static or the
                                    profile's text */
    double lifetime_s_used;
    int lifetime_from_profile;  /* else given, or the default */
    enum llmc__flops_from flops_from;
    double peak_flops;          /* per device, at the precision used */
    /* the typical-power row used, NULL unless power_basis is typical and
     * no --power or --energy is given */
    const struct llmc__power_typical_row *typical;
    char embodied_note[512];    /* why embodied was left out */
};

/* The name of a precision field ("bf16"). */
const char *llmc__precision_name(int field);

#endif
