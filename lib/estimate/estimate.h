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

struct llmc_estimate {
    int have_energy;
    double energy_j;
    llmc_profile *profile;
    long long count;
    int have_count;
    int have_hours;
    double hours_s;
    int have_device_hours;
    double device_s;
    int have_power;
    double power_w;
    int have_pue;
    double pue;
    llmc_grid *grid;
    enum llmc__grid_key grid_key;
    enum llmc__embodied_mode embodied_mode;
    double embodied_override_kgco2e;
    int have_lifetime;
    double lifetime_s;

    /* filled by llmc_estimate_compute */
    int computed;
    llmc_estimate_result result;
    llmc_intensity intensity;
    double device_s_used;       /* 0 when unknown */
    double embodied_per_device_kgco2e;
    double lifetime_s_used;
    int lifetime_from_profile;  /* else given, or the default */
    char embodied_note[256];    /* why embodied was left out */
};

#endif
