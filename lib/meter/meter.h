/*
 * meter.h - the meter as the rest of the library sees it: an open meter's
 * channels, each asked for by index through functions, and one more source
 * opened into a meter already open. How a backend fills a channel is
 * backend.h's, and no module outside lib/meter includes it.
 *
 * The sampler asks every channel at every interval: each function here
 * reads the channel in place, allocating nothing and taking no lock; the
 * caller keeps llmc_meter_read and llmc__meter_extend from running
 * meanwhile, as for the meter's other calls. Strings point into the meter:
 * a read may rewrite them (a failure's detail), llmc__meter_extend may move
 * them and llmc_meter_free frees them. An index must be below
 * llmc__meter_count.
 */
#ifndef LLMC_METER_METER_H
#define LLMC_METER_METER_H

#include <stddef.h>
#include <stdint.h>

#include "llmcarbon.h"

/* llmc_meter_read at the caller's clock reading now (llmc__now_ns): the
 * sampler passes the instant that ends its interval, so that a meter
 * that counts time itself (const, model) covers exactly that interval. */
int llmc__meter_read_at(llmc_meter *m, int64_t now);
/* How many channels the meter has; 0 for NULL. */
size_t llmc__meter_count(const llmc_meter *m);
/* Channel i as the public llmc_channel (full size; strings point into the
 * meter): name, device, method, energy_j, power_w, status, detail, quality
 * and node_level. */
void llmc__meter_view(llmc_channel *view, const llmc_meter *m, size_t i);
/* Copies a full-size view into the caller's versioned llmc_channel, as far
 * as its size reaches. */
int llmc__channel_copy_out(llmc_channel *out, const llmc_channel *full);

/* Cumulative energy of channel i since it was opened, NAN until its first
 * good read; and the LLMC_QUALITY_* bits it has seen so far. */
double llmc__meter_energy_j(const llmc_meter *m, size_t i);
unsigned llmc__meter_quality(const llmc_meter *m, size_t i);
/* 1 when channel i reads the whole node (RAPL), not one device. */
int llmc__meter_node_level(const llmc_meter *m, size_t i);
/* The identity of the physical thing channel i reads ("gpu-<uuid>",
 * "rapl-package-0"), for one reader per device across processes; "" when
 * it reads nothing physical (const, model, replay). */
const char *llmc__meter_lock_key(const llmc_meter *m, size_t i);
/* Seconds until channel i's counter wraps at its power bound, NAN when it
 * does not wrap: samples must come at least twice per wrap period. */
double llmc__meter_wrap_s(const llmc_meter *m, size_t i);
/* What the driver says of channel i's device, for finding its profile
 * (llmc_profile_lookup_device): memory in GiB and the default power limit
 * in W, each NAN when not known or not a device. */
void llmc__meter_device_facts(const llmc_meter *m, size_t i,
                              double *memory_gib, double *power_limit_w);

/* Opens one more source ("cputime", "const:300W") into an open meter: its
 * channels come after those already there. */
int llmc__meter_extend(llmc_meter *m, const char *part);

#endif
