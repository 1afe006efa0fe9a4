/*
 * nvml.c - NVIDIA GPUs through NVML (libnvidia-ml.so.1), loaded at run
 * time: the library neither links NVML nor needs nvml.h to build.
 *
 * One channel per GPU, named "nvml:<NVML index>". Each channel uses the
 * best method its device offers, decided when the meter opens:
 *
 *   counter  nvmlDeviceGetTotalEnergyConsumption (mJ since the driver
 *            loaded): energy is the sum of counter deltas. The counter is
 *            cumulative, so a failed read loses nothing: the next good
 *            read covers the interval. A counter that goes back means the
 *            driver reloaded: that interval is not counted (RESET).
 *   power    nvmlDeviceGetPowerUsage (mW), integrated with the trapezoid
 *            rule over the read times, only when the device has no energy
 *            counter (FALLBACK). NVML power is a 1 s average on Ampere and
 *            newer, so short windows are smoothed.
 *   none     neither works: the channel says why and its energy stays NaN.
 *
 * Selection: "nvml" and "nvml:all" read the GPUs this process can use
 * (CUDA_VISIBLE_DEVICES, by index or UUID, with CUDA's rules); "nvml:0,2"
 * reads those NVML indices whatever CUDA_VISIBLE_DEVICES says.
 *
 * NVML's init is reference-counted: each open that finds the library calls
 * nvmlInit_v2 once, and the last of its channels to close calls
 * nvmlShutdown and dlclose()s the library. Nothing here prints or aborts.
 */
#include <ctype.h>
#include <dlfcn.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/internal.h"
#include "backend.h"

/* ---- the few NVML types and codes, declared here ------------------------ */

typedef int nvml_ret;                      /* nvmlReturn_t */
typedef struct nvml_device_st *nvml_device; /* nvmlDevice_t */

#define NVML_SUCCESS 0
#define NVML_ERROR_UNINITIALIZED 1
#define NVML_ERROR_NOT_SUPPORTED 3
#define NVML_ERROR_NO_PERMISSION 4
#define NVML_ERROR_NOT_FOUND 6
#define NVML_ERROR_DRIVER_NOT_LOADED 9
#define NVML_ERROR_TIMEOUT 10
#define NVML_ERROR_LIBRARY_NOT_FOUND 12
#define NVML_ERROR_FUNCTION_NOT_FOUND 13
#define NVML_ERROR_GPU_IS_LOST 15
#define NVML_ERROR_RESET_REQUIRED 16
#define NVML_ERROR_LIB_RM_VERSION_MISMATCH 18
#define NVML_ERROR_MEMORY 20
#define NVML_ERROR_NOT_READY 27
#define NVML_ERROR_GPU_NOT_FOUND 28

/* NVML_DEVICE_NAME_V2_BUFFER_SIZE and NVML_DEVICE_UUID_V2_BUFFER_SIZE */
#define NVML_STR 96
#define NVML_MAX_DEVICES 64
#define NVML_DEFAULT_LIBRARY "libnvidia-ml.so.1"
/* The counter updates every 20-100 ms: a shorter window may read 0. */
#define NVML_MIN_WINDOW_NS 100000000LL

/* nvmlMemory_t: bytes (NVML API reference, nvmlDeviceGetMemoryInfo) */
struct nvml_memory {
    unsigned long long total, free, used;
};

/* ---- the loaded library, shared by the channels of one open ------------- */

struct nvml_api {
    void *dl;
    unsigned refs; /* the open itself while it runs, then one per channel */
    nvml_ret (*init)(void);
    nvml_ret (*shutdown)(void);
    nvml_ret (*count)(unsigned int *);
    nvml_ret (*handle)(unsigned int, nvml_device *);
    const char *(*error_string)(nvml_ret);
    /* optional */
    nvml_ret (*energy)(nvml_device, unsigned long long *);
    nvml_ret (*power)(nvml_device, unsigned int *);
    nvml_ret (*name)(nvml_device, char *, unsigned int);
    nvml_ret (*uuid)(nvml_device, char *, unsigned int);
    nvml_ret (*handle_by_uuid)(const char *, nvml_device *);
    nvml_ret (*mig_parent)(nvml_device, nvml_device *);
    nvml_ret (*memory)(nvml_device, struct nvml_memory *);
    nvml_ret (*default_limit)(nvml_device, unsigned int *);
};

#define RESOLVE(api, field, symbol)                                          \
    llmc__dlsym_fn(&(api)->field, sizeof (api)->field, (api)->dl, (symbol))

static void api_release(struct nvml_api *a)
{
    if (!a || --a->refs > 0)
        return;
    a->shutdown();
    dlclose(a->dl);
    free(a);
}

static const char *errstr(const struct nvml_api *a, nvml_ret rc)
{
    const char *s = a->error_string ? a->error_string(rc) : NULL;
    return s && *s ? s : "unknown error";
}

/* The library's status for an NVML code (nvmlReturn_t, NVML API
 * reference). */
static int map_status(nvml_ret rc)
{
    switch (rc) {
    case NVML_ERROR_NOT_SUPPORTED:
    case NVML_ERROR_FUNCTION_NOT_FOUND:
        return LLMC_ENOTSUP;
    case NVML_ERROR_NO_PERMISSION:
        return LLMC_EPERM;
    case NVML_ERROR_DRIVER_NOT_LOADED:
    case NVML_ERROR_LIBRARY_NOT_FOUND:
    case NVML_ERROR_LIB_RM_VERSION_MISMATCH:
    case NVML_ERROR_GPU_IS_LOST:
    case NVML_ERROR_RESET_REQUIRED:
    case NVML_ERROR_GPU_NOT_FOUND:
    case NVML_ERROR_NOT_FOUND:
        return LLMC_ENODEV;
    case NVML_ERROR_MEMORY:
        return LLMC_ENOMEM;
    default:
        return LLMC_EIO;
    }
}

/* What an init (or device count) failure means and what to do about it. */
static const char *init_advice(nvml_ret rc)
{
    switch (rc) {
    case NVML_ERROR_DRIVER_NOT_LOADED:
        return "the NVIDIA kernel driver is not loaded (no GPU, or the driver "
               "is not installed: check nvidia-smi); GPU energy is not read";
    case NVML_ERROR_LIBRARY_NOT_FOUND:
        return "the NVIDIA driver installation is incomplete (NVML cannot "
               "find a library it needs); GPU energy is not read";
    case NVML_ERROR_LIB_RM_VERSION_MISMATCH:
        return "the NVIDIA driver and libnvidia-ml.so.1 differ in version "
               "(driver updated without a reboot, or a container carrying its "
               "own library); reboot or use the host's library; GPU energy is "
               "not read";
    case NVML_ERROR_NO_PERMISSION:
        return "no permission to open the NVIDIA device files "
               "(/dev/nvidiactl, /dev/nvidia*): run as a user of the group "
               "that owns them, or start the container with the GPUs "
               "(--gpus all, nvidia-container-toolkit)";
    case NVML_ERROR_GPU_IS_LOST:
    case NVML_ERROR_RESET_REQUIRED:
        return "a GPU has fallen off the bus or needs a reset (see "
               "nvidia-smi and the kernel log)";
    default:
        return "the NVIDIA driver is not usable here; GPU energy is not read";
    }
}

/* ---- one channel ------------------------------------------------------- */

struct nvml_dev {
    struct nvml_api *api;
    nvml_device dev;
    unsigned index;
    int stopped;             /* lost, or nothing left to read: no more calls */
    int have_base;           /* prev_* hold a good reading                   */
    unsigned long long prev_mj;
    unsigned int prev_mw;
    int64_t prev_ns;
};

static void nvml_close(struct llmc__channel *ch)
{
    struct nvml_dev *d = ch->state;
    if (!d)
        return;
    ch->state = NULL;
    api_release(d->api);
    free(d);
}

static int lost(struct llmc__channel *ch, struct nvml_dev *d, nvml_ret rc,
                const char *what)
{
    d->stopped = 1;
    return llmc__channel_fail(
        ch, LLMC_ENODEV,
        "%s read failed: %s (NVML error %d): the GPU is lost or needs a "
        "reset; this channel stops counting, its energy is what was read "
        "before",
        what, errstr(d->api, rc), rc);
}

static int is_lost(nvml_ret rc)
{
    return rc == NVML_ERROR_GPU_IS_LOST || rc == NVML_ERROR_RESET_REQUIRED;
}

static int is_transient(nvml_ret rc)
{
    return rc == NVML_ERROR_TIMEOUT || rc == NVML_ERROR_NOT_READY;
}

/* A power reading after a good one: trapezoid over [prev_ns, now_ns]. */
static void integrate_power(struct llmc__channel *ch, struct nvml_dev *d,
                            unsigned int mw, int64_t now_ns)
{
    if (!d->have_base) {
        llmc__channel_add(ch, 0.0, 0.0); /* baseline: energy counts from 0 */
    } else {
        double dt = (double)(now_ns - d->prev_ns) / 1e9;
        double mean_w = ((double)d->prev_mw + (double)mw) / 2.0 / 1000.0;
        llmc__channel_add(ch, dt > 0.0 ? mean_w * dt : 0.0,
                          dt > 0.0 ? dt : 0.0);
    }
    d->have_base = 1;
    d->prev_mw = mw;
    d->prev_ns = now_ns;
}

static int read_power(struct llmc__channel *ch, struct nvml_dev *d,
                      int64_t now_ns)
{
    unsigned int mw = 0;
    nvml_ret rc = d->api->power(d->dev, &mw);
    if (rc == NVML_SUCCESS) {
        integrate_power(ch, d, mw, now_ns);
        return LLMC_OK;
    }
    if (is_lost(rc))
        return lost(ch, d, rc, "power");
    /* The previous reading is kept: the next good one integrates across
     * the gap (linearly between the readings on either side). */
    return llmc__channel_fail(
        ch, is_transient(rc) ? LLMC_EIO : map_status(rc),
        "power read failed: %s (NVML error %d); the next good read "
        "integrates across this gap",
        errstr(d->api, rc), rc);
}

/* The counter said NOT_SUPPORTED after it had worked: integrate power from
 * now on, counting the interval since the last counter read at the power
 * read now (the only reading there is for it). */
static int counter_to_power(struct llmc__channel *ch, struct nvml_dev *d,
                            nvml_ret why, int64_t now_ns)
{
    unsigned int mw = 0;
    nvml_ret rc = d->api->power ? d->api->power(d->dev, &mw)
                                : NVML_ERROR_FUNCTION_NOT_FOUND;
    if (rc != NVML_SUCCESS) {
        d->stopped = 1;
        return llmc__channel_fail(
            ch, LLMC_ENOTSUP,
            "the energy counter stopped working (%s, NVML error %d) and "
            "power cannot be read either (%s, NVML error %d); this channel "
            "stops counting, its energy is what was read before",
            errstr(d->api, why), why, errstr(d->api, rc), rc);
    }
    if (d->have_base) {
        double dt = (double)(now_ns - d->prev_ns) / 1e9;
        if (dt > 0.0)
            llmc__channel_add(ch, (double)mw / 1000.0 * dt, dt);
    }
    d->have_base = 1;
    d->prev_mw = mw;
    d->prev_ns = now_ns;
    ch->method = LLMC_METHOD_POWER;
    ch->quality |= LLMC_QUALITY_FALLBACK;
    snprintf(ch->detail, sizeof ch->detail,
             "the energy counter stopped working (%s, NVML error %d), so "
             "power (mW) is integrated with the trapezoid rule over the read "
             "times from now on; the interval before was counted at the "
             "power read then",
             errstr(d->api, why), why);
    return LLMC_OK;
}

static int read_counter(struct llmc__channel *ch, struct nvml_dev *d,
                        int64_t now_ns)
{
    unsigned long long mj = 0;
    nvml_ret rc = d->api->energy(d->dev, &mj);
    int64_t dt_ns = now_ns - d->prev_ns;

    if (rc != NVML_SUCCESS) {
        if (is_lost(rc))
            return lost(ch, d, rc, "energy counter");
        if (rc == NVML_ERROR_NOT_SUPPORTED && d->have_base &&
            dt_ns < NVML_MIN_WINDOW_NS) {
            /* Polled faster than the counter updates (Zeus PR #186):
             * nothing is lost, the next read covers this window. */
            ch->quality |= LLMC_QUALITY_TOO_SHORT;
            snprintf(ch->detail, sizeof ch->detail,
                     "read %.0f ms after the previous one, faster than the "
                     "energy counter updates (20-100 ms), and the counter "
                     "answered Not Supported; read at least 100 ms apart",
                     (double)dt_ns / 1e6);
            return LLMC_OK;
        }
        if (rc == NVML_ERROR_NOT_SUPPORTED ||
            rc == NVML_ERROR_FUNCTION_NOT_FOUND)
            return counter_to_power(ch, d, rc, now_ns);
        /* Timeouts, not ready and the rest: the baseline is kept, and as
         * the counter is cumulative the next good read counts this
         * interval too; nothing is lost. */
        return llmc__channel_fail(
            ch, is_transient(rc) ? LLMC_EIO : map_status(rc),
            "energy counter read failed: %s (NVML error %d)%s; the "
            "counter is cumulative, so the next good read counts this "
            "interval too",
            errstr(d->api, rc), rc,
            is_transient(rc) ? ", transient" : "");
    }
    if (!d->have_base) {
        llmc__channel_add(ch, 0.0, 0.0); /* baseline: energy counts from 0 */
    } else if (mj < d->prev_mj) {
        ch->quality |= LLMC_QUALITY_RESET;
        ch->power_w = NAN;
        ch->status = LLMC_OK;
        snprintf(ch->detail, sizeof ch->detail,
                 "the energy counter went back from %llu to %llu mJ: the "
                 "driver reloaded (or the GPU was reset); the %.3f s since "
                 "the previous read are not counted",
                 d->prev_mj, mj, (double)dt_ns / 1e9);
    } else if (mj == d->prev_mj && dt_ns < NVML_MIN_WINDOW_NS) {
        /* The counter has not updated yet (every 20-100 ms): 0 J is not a
         * measurement here. The baseline time stays, so that the next
         * interval's mean power spans this one too. */
        ch->quality |= LLMC_QUALITY_TOO_SHORT;
        llmc__channel_add(ch, 0.0, 0.0);
        snprintf(ch->detail, sizeof ch->detail,
                 "read %.0f ms after the previous one, shorter than the "
                 "energy counter's update period (20-100 ms), and the "
                 "counter had not moved; read at least 100 ms apart",
                 (double)dt_ns / 1e6);
        return LLMC_OK;
    } else {
        double dt = (double)dt_ns / 1e9;
        llmc__channel_add(ch, (double)(mj - d->prev_mj) / 1000.0,
                          dt > 0.0 ? dt : 0.0);
    }
    d->have_base = 1;
    d->prev_mj = mj;
    d->prev_ns = now_ns;
    return LLMC_OK;
}

static int nvml_read(struct llmc__channel *ch, int64_t now_ns)
{
    struct nvml_dev *d = ch->state;
    if (!d || d->stopped)
        return ch->status;
    switch (ch->method) {
    case LLMC_METHOD_COUNTER:
        return read_counter(ch, d, now_ns);
    case LLMC_METHOD_POWER:
        return read_power(ch, d, now_ns);
    default:
        return ch->status; /* method none: says why, energy stays NaN */
    }
}

static const struct llmc__channel_ops nvml_ops = {nvml_read, nvml_close};

/* ---- opening ----------------------------------------------------------- */

/* What an open found about one GPU before any channel is added. */
struct probe {
    unsigned index;
    nvml_device dev;
    int mig;                 /* selected through a MIG instance's UUID */
    char mig_uuid[NVML_STR];
    char name[NVML_STR];
    char uuid[NVML_STR];
    double memory_gib;       /* NAN unknown */
    double power_limit_w;    /* the default limit; NAN unknown */
    llmc_method method;
    int status;              /* LLMC_OK, or why the method is none */
    char detail[320];
};

struct selection {
    struct probe *dev;       /* NVML_MAX_DEVICES of them */
    size_t n;
    char note[256];          /* how CUDA_VISIBLE_DEVICES was applied */
};

/* Reports "nothing to read": a diagnostic line and LLMC_OK with is_auto, an
 * error without it. */
static int nothing(struct llmc_meter *m, int is_auto, int status,
                   const char *fmt, ...) LLMC__PRINTF(4, 5);
static int nothing(struct llmc_meter *m, int is_auto, int status,
                   const char *fmt, ...)
{
    char text[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (is_auto) {
        llmc__meter_diag(m, "nvml", "%s", text);
        return LLMC_OK;
    }
    return llmc__fail(status, "nvml: %s", text);
}

static int has_index(const struct selection *s, unsigned index)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->dev[i].index == index)
            return 1;
    return 0;
}

static void select_index(struct selection *s, unsigned index, int mig,
                         const char *mig_uuid)
{
    struct probe *p;
    if (has_index(s, index) || s->n >= NVML_MAX_DEVICES)
        return; /* several MIG instances of one GPU: read it once */
    p = &s->dev[s->n++];
    memset(p, 0, sizeof *p);
    p->index = index;
    p->mig = mig;
    if (mig_uuid)
        snprintf(p->mig_uuid, sizeof p->mig_uuid, "%s", mig_uuid);
}

/* Parses a decimal index: 1 when all of s is one, in *out. */
static int parse_index(const char *s, unsigned long *out)
{
    char *end;
    if (!isdigit((unsigned char)*s))
        return 0;
    *out = strtoul(s, &end, 10);
    return *end == '\0';
}

/* "nvml:0,2": those NVML indices, each checked against count. */
static int select_args(struct llmc_meter *m, struct selection *s,
                       const char *args, unsigned count, int is_auto)
{
    char buf[256], *tok, *save = NULL;
    if (strlen(args) >= sizeof buf)
        return llmc__fail(LLMC_EPARSE, "nvml: device list '%.40s...' is too "
                                       "long", args);
    snprintf(buf, sizeof buf, "%s", args);
    for (tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        unsigned long index;
        while (*tok == ' ')
            tok++;
        for (char *e = tok + strlen(tok); e > tok && e[-1] == ' ';)
            *--e = '\0';
        if (!parse_index(tok, &index))
            return llmc__fail(LLMC_EPARSE,
                              "nvml: '%s' in 'nvml:%s' is not a device index; "
                              "write nvml:all or NVML indices such as "
                              "nvml:0,1 (nvidia-smi -L lists them)",
                              tok, args);
        if (index >= count)
            return nothing(m, is_auto, LLMC_ENODEV,
                           "GPU %lu does not exist: NVML sees %u GPU%s "
                           "(indices 0 to %u); nvidia-smi -L lists them",
                           index, count, count == 1 ? "" : "s",
                           count ? count - 1 : 0);
        select_index(s, (unsigned)index, 0, NULL);
    }
    if (s->n == 0)
        return llmc__fail(LLMC_EPARSE, "nvml: 'nvml:%s' names no device; "
                                       "write nvml:all or nvml:0,1", args);
    return LLMC_OK;
}

/* The NVML index of the one GPU whose UUID starts with prefix, or -1 (none,
 * or several: CUDA wants a unique prefix). */
static long index_by_uuid(struct nvml_api *a, unsigned count,
                          const char *prefix, size_t len)
{
    long found = -1;
    if (!a->uuid || len == 0)
        return -1;
    for (unsigned i = 0; i < count; i++) {
        nvml_device dev;
        char uuid[NVML_STR];
        if (a->handle(i, &dev) != NVML_SUCCESS ||
            a->uuid(dev, uuid, sizeof uuid) != NVML_SUCCESS)
            continue;
        uuid[sizeof uuid - 1] = '\0';
        if (strncmp(uuid, prefix, len) == 0) {
            if (found >= 0)
                return -1;
            found = (long)i;
        }
    }
    return found;
}

/* The parent GPU of a MIG instance: "MIG-GPU-<uuid>/gi/ci" (drivers before
 * R470) names it; "MIG-<uuid>" is asked of NVML. -1 when unknown. */
static long index_by_mig(struct nvml_api *a, unsigned count, const char *tok)
{
    nvml_device mig, parent;
    char uuid[NVML_STR];
    if (strncmp(tok, "MIG-GPU-", 8) == 0)
        return index_by_uuid(a, count, tok + 4, strcspn(tok + 4, "/"));
    if (!a->handle_by_uuid || !a->mig_parent || !a->uuid ||
        a->handle_by_uuid(tok, &mig) != NVML_SUCCESS ||
        a->mig_parent(mig, &parent) != NVML_SUCCESS ||
        a->uuid(parent, uuid, sizeof uuid) != NVML_SUCCESS)
        return -1;
    uuid[sizeof uuid - 1] = '\0';
    return index_by_uuid(a, count, uuid, strlen(uuid));
}

/* CUDA_VISIBLE_DEVICES with CUDA's rules: indices or UUID prefixes, in
 * order, up to the first token that matches no GPU; "" means none. Indices
 * are taken as NVML's, which are CUDA's under CUDA_DEVICE_ORDER=PCI_BUS_ID
 * and on nodes of identical GPUs. */
static void select_cuda(struct selection *s, struct nvml_api *a,
                        unsigned count, const char *cvd)
{
    char buf[1024], *tok, *save = NULL;
    snprintf(buf, sizeof buf, "%s", cvd);
    for (tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        unsigned long index;
        long found = -1;
        while (isspace((unsigned char)*tok))
            tok++;
        for (char *e = tok + strlen(tok);
             e > tok && isspace((unsigned char)e[-1]);)
            *--e = '\0';
        if (parse_index(tok, &index))
            found = index < count ? (long)index : -1;
        else if (strncmp(tok, "GPU-", 4) == 0)
            found = index_by_uuid(a, count, tok, strlen(tok));
        else if (strncmp(tok, "MIG-", 4) == 0)
            found = index_by_mig(a, count, tok);
        if (found < 0) {
            if (*tok && strcmp(tok, "NoDevFiles") != 0)
                snprintf(s->note, sizeof s->note,
                         "; CUDA_VISIBLE_DEVICES entry '%.64s' matches no "
                         "GPU, so the list stops there as in CUDA",
                         tok);
            return;
        }
        select_index(s, (unsigned)found, strncmp(tok, "MIG-", 4) == 0,
                     strncmp(tok, "MIG-", 4) == 0 ? tok : NULL);
    }
}

/* Decides the method of one selected GPU. */
static void probe_device(struct nvml_api *a, struct probe *p)
{
    nvml_ret rc = a->handle(p->index, &p->dev), erc, prc;
    unsigned long long mj;
    int force_power;
    unsigned int mw;

    snprintf(p->name, sizeof p->name, "GPU %u", p->index);
    p->memory_gib = p->power_limit_w = NAN;
    if (rc != NVML_SUCCESS) {
        p->method = LLMC_METHOD_NONE;
        p->status = map_status(rc);
        snprintf(p->detail, sizeof p->detail,
                 "cannot open GPU %u: %s (NVML error %d)%s", p->index,
                 errstr(a, rc), rc,
                 rc == NVML_ERROR_NO_PERMISSION
                     ? "; the device files /dev/nvidia* are not accessible "
                       "to this user"
                     : "");
        return;
    }
    if (a->name && a->name(p->dev, p->name, sizeof p->name) == NVML_SUCCESS)
        p->name[sizeof p->name - 1] = '\0';
    else
        snprintf(p->name, sizeof p->name, "GPU %u", p->index);
    if (!a->uuid || a->uuid(p->dev, p->uuid, sizeof p->uuid) != NVML_SUCCESS)
        p->uuid[0] = '\0';
    p->uuid[sizeof p->uuid - 1] = '\0';
    /* what tells apart the profiles one name may have (H100 SXM5 80GB and
     * H100 NVL print alike on some drivers) */
    {
        struct nvml_memory mem;
        unsigned int limit_mw;
        p->memory_gib = a->memory && a->memory(p->dev, &mem) == NVML_SUCCESS
                            ? (double)mem.total / 1073741824.0
                            : NAN;
        p->power_limit_w = a->default_limit &&
                                   a->default_limit(p->dev, &limit_mw) ==
                                       NVML_SUCCESS
                               ? limit_mw / 1000.0
                               : NAN;
    }

    erc = a->energy ? a->energy(p->dev, &mj) : NVML_ERROR_FUNCTION_NOT_FOUND;
    /* LLMC_NVML_METHOD=power: integrate power even where the counter works,
     * to compare the two methods on the same GPU (a diagnostic) */
    force_power = getenv("LLMC_NVML_METHOD") &&
                  strcmp(getenv("LLMC_NVML_METHOD"), "power") == 0;
    if (force_power && a->power && a->power(p->dev, &mw) == NVML_SUCCESS) {
        p->method = LLMC_METHOD_POWER;
        snprintf(p->detail, sizeof p->detail,
                 "power (mW) integrated with the trapezoid rule because "
                 "LLMC_NVML_METHOD=power (a diagnostic; the energy counter "
                 "is preferred); NVML power is a 1 s average on Ampere and "
                 "newer");
        return;
    }
    if (erc == NVML_SUCCESS || is_transient(erc)) {
        p->method = LLMC_METHOD_COUNTER;
        return;
    }
    if (is_lost(erc)) {
        p->method = LLMC_METHOD_NONE;
        p->status = LLMC_ENODEV;
        snprintf(p->detail, sizeof p->detail,
                 "GPU %u (%s): %s (NVML error %d): the GPU is lost or needs "
                 "a reset; nothing is read from it",
                 p->index, p->name, errstr(a, erc), erc);
        return;
    }
    prc = a->power ? a->power(p->dev, &mw) : NVML_ERROR_FUNCTION_NOT_FOUND;
    if (prc == NVML_SUCCESS || is_transient(prc)) {
        p->method = LLMC_METHOD_POWER;
        snprintf(p->detail, sizeof p->detail,
                 "the energy counter is not supported on this device (%s, "
                 "NVML error %d), so power (mW) is integrated with the "
                 "trapezoid rule over the read times; NVML power is a 1 s "
                 "average on Ampere and newer",
                 errstr(a, erc), erc);
        return;
    }
    p->method = LLMC_METHOD_NONE;
    p->status = LLMC_ENOTSUP;
    snprintf(p->detail, sizeof p->detail,
             "GPU %u (%s) has neither an energy counter (%s, NVML error %d) "
             "nor a power reading (%s, NVML error %d); its energy is not "
             "measured (use model:PROFILE for a labelled estimate)",
             p->index, p->name, errstr(a, erc), erc, errstr(a, prc), prc);
}

/* Loads the library and resolves its symbols; an error or diagnostic when
 * it cannot. *out is NULL when there is nothing to read (and LLMC_OK in
 * auto). */
static int load(struct llmc_meter *m, int is_auto, struct nvml_api **out)
{
    const char *env = getenv("LLMC_NVML_LIBRARY"), *path;
    struct nvml_api *a;
    const char *missing = NULL;
    char reason[256];
    void *dl;

    *out = NULL;
    if (!(dl = llmc__dlopen_env("LLMC_NVML_LIBRARY", NVML_DEFAULT_LIBRARY,
                                &path, reason, sizeof reason))) {
        if (env && *env)
            return nothing(m, is_auto, LLMC_ENODEV,
                           "LLMC_NVML_LIBRARY=%.200s cannot be loaded (%s); "
                           "fix the path or unset it to use %s",
                           env, reason, NVML_DEFAULT_LIBRARY);
        if (strstr(reason, "No such file"))
            return nothing(m, is_auto, LLMC_ENODEV,
                           "%s not found (no NVIDIA driver here); set "
                           "LLMC_NVML_LIBRARY to its path if it is elsewhere",
                           NVML_DEFAULT_LIBRARY);
        return nothing(m, is_auto, LLMC_ENODEV,
                       "%s not loaded (%s); set LLMC_NVML_LIBRARY to its "
                       "path if it is elsewhere",
                       NVML_DEFAULT_LIBRARY, reason);
    }
    if (!(a = calloc(1, sizeof *a))) {
        dlclose(dl);
        return llmc__fail(LLMC_ENOMEM, "nvml: out of memory");
    }
    a->dl = dl;
    a->refs = 1;
    RESOLVE(a, init, "nvmlInit_v2");
    RESOLVE(a, shutdown, "nvmlShutdown");
    RESOLVE(a, count, "nvmlDeviceGetCount_v2");
    RESOLVE(a, handle, "nvmlDeviceGetHandleByIndex_v2");
    RESOLVE(a, error_string, "nvmlErrorString");
    RESOLVE(a, energy, "nvmlDeviceGetTotalEnergyConsumption");
    RESOLVE(a, power, "nvmlDeviceGetPowerUsage");
    RESOLVE(a, name, "nvmlDeviceGetName");
    RESOLVE(a, uuid, "nvmlDeviceGetUUID");
    RESOLVE(a, handle_by_uuid, "nvmlDeviceGetHandleByUUID");
    RESOLVE(a, mig_parent, "nvmlDeviceGetDeviceHandleFromMigDeviceHandle");
    RESOLVE(a, memory, "nvmlDeviceGetMemoryInfo");
    RESOLVE(a, default_limit, "nvmlDeviceGetPowerManagementDefaultLimit");
    if (!a->init)
        missing = "nvmlInit_v2";
    else if (!a->shutdown)
        missing = "nvmlShutdown";
    else if (!a->count)
        missing = "nvmlDeviceGetCount_v2";
    else if (!a->handle)
        missing = "nvmlDeviceGetHandleByIndex_v2";
    else if (!a->error_string)
        missing = "nvmlErrorString";
    else if (!a->energy && !a->power)
        missing = "nvmlDeviceGetTotalEnergyConsumption and "
                  "nvmlDeviceGetPowerUsage";
    if (missing) {
        dlclose(dl);
        free(a);
        return nothing(m, is_auto, LLMC_ENOTSUP,
                       "%.200s lacks %s: the NVIDIA driver is too old, or "
                       "this is not NVML",
                       path, missing);
    }
    *out = a;
    return LLMC_OK;
}

/* Copies src into dst of size bytes, cut to fit. */
static void copy_text(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Adds the channels of the probed GPUs, and one diagnostic line. */
static int add_channels(struct llmc_meter *m, struct nvml_api *a,
                        const struct selection *s, const char *cvd)
{
    char summary[768];
    size_t used = 0;

    summary[0] = '\0';
    for (size_t i = 0; i < s->n; i++) {
        const struct probe *p = &s->dev[i];
        struct llmc__channel *ch;
        struct nvml_dev *d;
        char name[32], key[NVML_STR + 16];

        if (!(d = calloc(1, sizeof *d)))
            return llmc__fail(LLMC_ENOMEM, "nvml: out of memory");
        d->api = a;
        d->dev = p->dev;
        d->index = p->index;
        d->stopped = p->method == LLMC_METHOD_NONE;
        snprintf(name, sizeof name, "nvml:%u", p->index);
        if (p->uuid[0])
            snprintf(key, sizeof key, "gpu-%s", p->uuid);
        else
            snprintf(key, sizeof key, "gpu-index-%u", p->index);
        /* ch is only valid until the next add (the array may move) */
        if (!(ch = llmc__meter_add(m, &nvml_ops, d, name, p->name, key,
                                   p->method))) {
            free(d);
            return llmc__fail(LLMC_ENOMEM, "nvml: out of memory");
        }
        a->refs++;
        ch->node_level = 0;
        ch->memory_gib = p->memory_gib;
        ch->power_limit_w = p->power_limit_w;
        ch->status = p->status;
        if (p->method == LLMC_METHOD_POWER)
            ch->quality |= LLMC_QUALITY_FALLBACK;
        if (p->mig) {
            char text[768]; /* cut to the detail's size below */
            snprintf(text, sizeof text,
                     "selected by CUDA_VISIBLE_DEVICES through MIG instance "
                     "%s: NVML has no energy reading per MIG instance, so "
                     "this is the energy of the whole GPU %s, shared with "
                     "its other instances%s%s",
                     p->mig_uuid, p->uuid[0] ? p->uuid : p->name,
                     p->detail[0] ? "; " : "", p->detail);
            copy_text(ch->detail, sizeof ch->detail, text);
        } else {
            snprintf(ch->detail, sizeof ch->detail, "%s", p->detail);
        }
        if (used < sizeof summary)
            used += (size_t)snprintf(
                summary + used, sizeof summary - used, "%s%s %s (%s%s)",
                i ? ", " : "", name, p->name, llmc_method_name(p->method),
                p->status != LLMC_OK ? ": not measured"
                : p->mig            ? ", whole GPU of a MIG instance"
                                    : "");
    }
    llmc__meter_diag(m, "nvml", "%zu GPU%s%s%s%s: %s%s", s->n,
                     s->n == 1 ? "" : "s", cvd ? " (CUDA_VISIBLE_DEVICES=" : "",
                     cvd ? cvd : "", cvd ? ")" : "", summary, s->note);
    return LLMC_OK;
}

int llmc__nvml_open(struct llmc_meter *m, const char *args, int is_auto)
{
    struct nvml_api *a = NULL;
    struct selection sel;
    const char *cvd = NULL;
    unsigned count = 0;
    nvml_ret rc;
    int status;

    memset(&sel, 0, sizeof sel);
    if ((status = load(m, is_auto, &a)) != LLMC_OK || !a)
        return status;
    if ((rc = a->init()) != NVML_SUCCESS) {
        status = nothing(m, is_auto,
                         rc == NVML_ERROR_NO_PERMISSION ? LLMC_EPERM
                         : map_status(rc) == LLMC_EIO   ? LLMC_ENODEV
                                                        : map_status(rc),
                         "nvmlInit_v2 failed: %s (NVML error %d): %s",
                         errstr(a, rc), rc, init_advice(rc));
        dlclose(a->dl);
        free(a);
        return status;
    }
    /* From here the init is paired with api_release's shutdown. */
    if ((rc = a->count(&count)) != NVML_SUCCESS) {
        status = nothing(m, is_auto,
                         map_status(rc) == LLMC_EIO ? LLMC_ENODEV
                                                    : map_status(rc),
                         "nvmlDeviceGetCount_v2 failed: %s (NVML error %d): "
                         "%s",
                         errstr(a, rc), rc, init_advice(rc));
        goto done;
    }
    if (count == 0) {
        status = nothing(m, is_auto, LLMC_ENODEV,
                         "the NVIDIA driver is loaded but reports no GPU");
        goto done;
    }
    if (count > NVML_MAX_DEVICES)
        count = NVML_MAX_DEVICES;
    if (!(sel.dev = calloc(NVML_MAX_DEVICES, sizeof *sel.dev))) {
        status = llmc__fail(LLMC_ENOMEM, "nvml: out of memory");
        goto done;
    }
    if (args && *args && strcmp(args, "all") != 0) {
        /* explicit NVML indices: CUDA_VISIBLE_DEVICES does not apply */
        if ((status = select_args(m, &sel, args, count, is_auto)) != LLMC_OK ||
            sel.n == 0)
            goto done;
    } else if ((cvd = getenv("CUDA_VISIBLE_DEVICES")) != NULL) {
        select_cuda(&sel, a, count, cvd);
        if (sel.n == 0) {
            status = nothing(m, is_auto, LLMC_ENODEV,
                             "CUDA_VISIBLE_DEVICES='%.128s' selects none of "
                             "the %u GPU%s%s; unset it, or name GPUs with "
                             "nvml:0,1",
                             cvd, count, count == 1 ? "" : "s", sel.note);
            goto done;
        }
    } else {
        for (unsigned i = 0; i < count; i++)
            select_index(&sel, i, 0, NULL);
    }
    for (size_t i = 0; i < sel.n; i++) {
        probe_device(a, &sel.dev[i]);
        if (!is_auto && sel.dev[i].status != LLMC_OK) {
            status = llmc__fail(sel.dev[i].status, "nvml: %s",
                                sel.dev[i].detail);
            goto done;
        }
    }
    status = add_channels(m, a, &sel, cvd);
done:
    free(sel.dev);
    api_release(a); /* the open's own reference */
    return status;
}
