/* profile.h - the profile handle, shared inside the library. */
#ifndef LLMC_PROFILE_PROFILE_H
#define LLMC_PROFILE_PROFILE_H

#include <stdatomic.h>

#include "llmcarbon.h"

#define LLMC__PROFILE_NFIELDS 13 /* llmc_profile_field values 1..12 */
#define LLMC__PROFILE_NTEXTS 7   /* llmc_profile_text values 1..6 */

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
int llmc__profile_field_from_name(const char *name);

#endif
