/* profile.h - the profile handle, shared inside the library. */
#ifndef LLMC_PROFILE_PROFILE_H
#define LLMC_PROFILE_PROFILE_H

#include <stdatomic.h>

#include "llmcarbon.h"

#define LLMC__PROFILE_NFIELDS 17 /* llmc_profile_field values 1..16 */
#define LLMC__PROFILE_NTEXTS 11  /* llmc_profile_text values 1..10 */

struct llmc_profile {
    atomic_int refs;
    double num[LLMC__PROFILE_NFIELDS];
    char *text[LLMC__PROFILE_NTEXTS];
    int from_catalogue;
};

/* For each row of llmc__hw_rows, in the same order: the names drivers print
 * for it (nvidia-smi, NVML, rocm-smi), ';'-separated, or "". Generated from
 * the aliases column of data/hardware.csv with the tables. */
extern const char *const llmc__hw_aliases[];

const char *llmc__profile_field_name(llmc_profile_field field);

/* Embodied carbon scopes, narrowest first; names as the estimate key
 * embodied_scope and the tracker key embodied_scope take them. */
enum llmc__embodied_scope {
    LLMC__SCOPE_DIE = 0,
    LLMC__SCOPE_PACKAGE = 1,
    LLMC__SCOPE_BOARD = 2,
    LLMC__SCOPE_SERVER = 3,
    LLMC__SCOPE_COUNT = 4
};
/* The default scope: the board (or module), the basis of the vendor
 * footprints the catalogue had before scopes existed. */
#define LLMC__SCOPE_DEFAULT LLMC__SCOPE_BOARD

/* "die", "package", "board", "server"; NULL out of range. */
const char *llmc__scope_name(int scope);
/* The scope named (exactly, lower case) into *scope: LLMC_OK, or
 * LLMC_EINVAL with the message naming the scopes there are (key is the
 * setting's name in it, "embodied_scope"). */
int llmc__scope_parse(int *scope, const char *name, const char *key);
/* The basis of a figure at scope, in embodied_basis's words: "die-only",
 * "package", the profile's basis for the board ("board-share" or "board";
 * "board-share" when it gives none), "server-share". */
const char *llmc__scope_basis(const llmc_profile *profile, int scope);
/* The embodied figure of profile at scope: LLMC_OK with *kgco2e and
 * *method ("pcf", "model", "model-bound", "pcf+model", or "given" for a figure without a
 * stated method), or LLMC_ENODATA with note saying which scopes the profile
 * has instead. */
int llmc__profile_embodied(const llmc_profile *profile, int scope,
                           double *kgco2e, const char **method, char *note,
                           size_t note_size);
int llmc__profile_field_from_name(const char *name);

#endif
