/* grid.h - the grid handle, shared inside the library. */
#ifndef LLMC_GRID_GRID_H
#define LLMC_GRID_GRID_H

#include <stdatomic.h>

#include "../core/tables.h"
#include "llmcarbon.h"

enum llmc__grid_kind { LLMC__GRID_STATIC = 1, LLMC__GRID_CONST = 2 };

struct llmc_grid {
    atomic_int refs;
    enum llmc__grid_kind kind;
    const struct llmc__zone_row *row; /* static */
    double const_gco2e_per_kwh;       /* const */
    char *spec;                       /* canonical spec */
};

/* Finds the bundled row for a zone written in any accepted form. */
int llmc__zone_resolve(const struct llmc__zone_row **out, const char *zone);
/* Fills a full-size llmc_intensity for a bundled row. */
void llmc__zone_answer(llmc_intensity *full, const struct llmc__zone_row *row);
/* Copies full into the caller's struct, as far as its size reaches. */
int llmc__intensity_copy_out(llmc_intensity *out, const llmc_intensity *full);

#endif
