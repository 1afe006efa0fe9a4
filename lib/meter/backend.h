/*
 * backend.h - how a meter backend plugs into llmc_meter. Each backend
 * (nvml.c, rapl.c, amdgpu.c, simple.c) opens its channels into a meter and
 * advances their cumulative energy on every read.
 *
 * Rules every backend keeps:
 *   - device units are converted here, once: NVML mJ and mW, sysfs uJ and uW;
 *   - energy_j is cumulative since the channel was opened and never goes
 *     back; a counter that went back is a reset (flag it, count nothing for
 *     that interval), a counter below its previous value with a known range
 *     is a wrap (unwrap it once, flag it);
 *   - a read that fails leaves energy_j as it was, sets status and detail,
 *     and flags LLMC_QUALITY_GAP; energy_j stays NaN until a first good
 *     read: never a silent 0;
 *   - no backend prints, exits, or blocks for long.
 *
 * Only lib/meter includes this file; other modules use meter.h.
 */
#ifndef LLMC_METER_BACKEND_H
#define LLMC_METER_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "llmcarbon.h"

struct llmc__channel;

struct llmc__channel_ops {
    /* Advances ch->energy_j to now (monotonic ns); returns LLMC_OK or the
     * failure also stored in ch->status/ch->detail. */
    int (*read)(struct llmc__channel *ch, int64_t now_ns);
    /* Releases ch->state (may be NULL). */
    void (*close)(struct llmc__channel *ch);
};

struct llmc__channel {
    char name[64];       /* "nvml:0", "rapl:package-0" */
    char device[128];    /* "NVIDIA H100 80GB HBM3", "package-0" */
    /* Identity of the physical thing read, for one-reader-per-device
     * election across processes: "gpu-<uuid>", "rapl-package-0"; "" when
     * the channel reads nothing physical (const, model, replay). */
    char lock_key[160];
    llmc_method method;
    double energy_j;     /* NAN until the first good read */
    double power_w;      /* mean over the last interval; NAN unknown */
    int status;          /* LLMC_OK or the last failure */
    char detail[320];    /* the last failure's message, or a note */
    unsigned quality;    /* LLMC_QUALITY_* seen so far */
    int node_level;      /* node-wide (RAPL) rather than one device */
    /* What the driver says of the device, for finding its profile
     * (llmc_profile_lookup_device): memory in GiB and the default power
     * limit in W; NAN when not known or not a device. */
    double memory_gib;
    double power_limit_w;
    /* Seconds until the counter wraps at its power bound, NAN when it does
     * not wrap: samples must come at least twice per wrap period. */
    double wrap_s;
    /* The detail of a channel that reads well, kept while a failure's
     * message stands in detail and put back when reads recover. */
    char saved_note[320];
    const struct llmc__channel_ops *ops;
    void *state;         /* the backend's */
};

struct llmc_meter {
    struct llmc__channel *channels;
    size_t count, cap;
    char *spec;
    char *diagnostics;   /* lines, "" when none */
    size_t diag_len, diag_cap;
};

/* Adds a channel; returns it (zeroed but for what is given), NULL on ENOMEM.
 * energy_j and power_w start NAN, status LLMC_OK. */
struct llmc__channel *llmc__meter_add(struct llmc_meter *m,
                                      const struct llmc__channel_ops *ops,
                                      void *state, const char *name,
                                      const char *device, const char *lock_key,
                                      llmc_method method);
/* Appends "source: text" as one line to the meter's diagnostics. */
void llmc__meter_diag(struct llmc_meter *m, const char *source,
                      const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Records a failed read on ch (status, detail, GAP) and returns status.
 * The note that detail held is put back by the next llmc__channel_add. */
int llmc__channel_fail(struct llmc__channel *ch, int status, const char *fmt,
                       ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Adds delta_j (>= 0) to ch->energy_j (starting from 0 after the first
 * good read) and sets power_w = delta_j / dt_s when dt_s > 0. */
void llmc__channel_add(struct llmc__channel *ch, double delta_j, double dt_s);

/* The public view of a channel (strings point into ch); other modules get
 * it through llmc__meter_view (meter.h). */
void llmc__channel_export(llmc_channel *full, const struct llmc__channel *ch);


/* Backends. args is what follows "name:" in the spec, or NULL. With
 * is_auto, a backend that finds nothing adds no channel, writes one
 * diagnostic line saying why, and returns LLMC_OK; without it, finding
 * nothing is an error (LLMC_ENODEV, LLMC_EPERM, ...) with a message that
 * says what to do. */
int llmc__nvml_open(struct llmc_meter *m, const char *args, int is_auto);
int llmc__rapl_open(struct llmc_meter *m, const char *args, int is_auto);
int llmc__amdgpu_open(struct llmc_meter *m, const char *args, int is_auto);
int llmc__const_open(struct llmc_meter *m, const char *args);
int llmc__model_open(struct llmc_meter *m, const char *args);
int llmc__replay_open(struct llmc_meter *m, const char *args);
int llmc__cputime_open(struct llmc_meter *m, const char *args);

#endif
