/*
 * amdgpu.c - AMD GPU energy through the amdgpu driver's hwmon files,
 * <sysfs>/class/drm/card<N>/device/hwmon/hwmon<M>/: energy1_input (uJ,
 * cumulative) when the driver has it, else power1_average (uW; power1_input
 * on parts without it) integrated with the trapezoid rule between reads.
 *
 * AMD energy counters are known to stick (ROCm/amdsmi issue 38,
 * ml-energy/zeus issue 113): a counter that has not moved for 200 ms while the
 * board draws more than 5 W is abandoned for power integration, flagged
 * LLMC_QUALITY_FALLBACK, with the reason in the channel's detail.
 *
 * Which cards "amdgpu" reads follows ROCm: ROCR_VISIBLE_DEVICES and
 * HIP_VISIBLE_DEVICES count GPUs in KFD topology order, which need not be
 * the order of the DRM card numbers; the render node of each KFD GPU ties
 * it to its card.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/internal.h"
#include "backend.h"
#include "sysfs.h"

#define STUCK_MIN_NS 200000000 /* 200 ms without a counter step ...   */
#define STUCK_MIN_W 5.0        /* ... while the board draws over 5 W */

enum amd_mode { MODE_COUNTER, MODE_POWER };

struct amd_state {
    int efd, pfd;           /* energy1_input, power file; -1 when absent */
    enum amd_mode mode;
    int checked;            /* the counter was seen to advance */
    int have_prev;
    uint64_t prev_uj;       /* counter mode */
    double prev_w;          /* power mode; NAN unknown */
    int64_t prev_ns;
    int64_t still_ns;       /* since when the counter has not moved */
    double still_w;         /* the power read then; NAN unknown */
    char epath[PATH_MAX], ppath[PATH_MAX];
    char note[240];         /* the channel's detail while it reads well */
};

struct card {
    long index;
    char hwmon[PATH_MAX];   /* .../card0/device/hwmon/hwmon3 */
    int wanted;
};


/* "card12" -> 12; connectors ("card0-DP-1") and others -> -1. */
static long card_index(const char *name, const char *prefix)
{
    size_t len = strlen(prefix);
    char *end;
    long v;
    if (strncmp(name, prefix, len) != 0 || name[len] < '0' || name[len] > '9')
        return -1;
    v = strtol(name + len, &end, 10);
    return *end ? -1 : v;
}

/* The lowest-numbered hwmon of card dir whose name is amdgpu: LLMC_OK,
 * or LLMC_ENOTFOUND (not a card this meter reads). */
static int find_hwmon(const char *card_dir, char *out, size_t size)
{
    char dir[PATH_MAX], path[PATH_MAX], name[64];
    DIR *d;
    struct dirent *de;
    long best = -1;

    if (snprintf(dir, sizeof dir, "%s/device/hwmon", card_dir) >=
            (int)sizeof dir ||
        !(d = opendir(dir)))
        return LLMC_ENOTFOUND;
    while ((de = readdir(d)) != NULL) {
        long k = card_index(de->d_name, "hwmon");
        if (k < 0 || (best >= 0 && k >= best))
            continue;
        if (snprintf(path, sizeof path, "%s/%s/name", dir, de->d_name) >=
                (int)sizeof path ||
            llmc__read_text(path, name, sizeof name) != 0 ||
            strcmp(name, "amdgpu") != 0)
            continue;
        if (snprintf(out, size, "%s/%s", dir, de->d_name) >= (int)size)
            continue;
        best = k;
    }
    closedir(d);
    return best >= 0 ? LLMC_OK : LLMC_ENOTFOUND;
}

static int card_cmp(const void *a, const void *b)
{
    const struct card *x = a, *y = b;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* The AMD GPUs under <root>/class/drm, by card index. */
static int list_cards(const char *base, struct card **out, size_t *count)
{
    DIR *d = opendir(base);
    struct dirent *de;
    struct card *c = NULL;
    size_t n = 0, cap = 0;

    *out = NULL;
    *count = 0;
    if (!d)
        return LLMC_OK;
    while ((de = readdir(d)) != NULL) {
        char dir[PATH_MAX];
        struct card one;
        memset(&one, 0, sizeof one);
        if ((one.index = card_index(de->d_name, "card")) < 0 ||
            snprintf(dir, sizeof dir, "%s/%s", base, de->d_name) >=
                (int)sizeof dir ||
            find_hwmon(dir, one.hwmon, sizeof one.hwmon) != LLMC_OK)
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            struct card *grown = realloc(c, ncap * sizeof *grown);
            if (!grown) {
                free(c);
                closedir(d);
                return LLMC_ENOMEM;
            }
            c = grown;
            cap = ncap;
        }
        c[n++] = one;
    }
    closedir(d);
    if (n)
        qsort(c, n, sizeof *c, card_cmp);
    *out = c;
    *count = n;
    return LLMC_OK;
}

/* The PCI slot ("0000:03:00.0") from the device symlink, else from
 * uevent's PCI_SLOT_NAME; "" when neither says. */
static void pci_slot(const char *card_dir, char *out, size_t size)
{
    char path[PATH_MAX], link[PATH_MAX], uevent[2048];
    ssize_t n;
    const char *p;

    out[0] = '\0';
    if (snprintf(path, sizeof path, "%s/device", card_dir) < (int)sizeof path &&
        (n = readlink(path, link, sizeof link - 1)) > 0) {
        link[n] = '\0';
        p = strrchr(link, '/');
        p = p ? p + 1 : link;
        if (strchr(p, ':')) {
            llmc__put_text(out, size, "%s", p);
            return;
        }
    }
    if (snprintf(path, sizeof path, "%s/device/uevent", card_dir) >=
            (int)sizeof path ||
        llmc__read_text(path, uevent, sizeof uevent) != 0)
        return;
    for (p = uevent; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, "PCI_SLOT_NAME=", 14) == 0) {
            size_t len = strcspn(p + 14, "\n");
            llmc__put_text(out, size, "%.*s", (int)len, p + 14);
            return;
        }
}

/* ---- the channel -------------------------------------------------------- */

static int fail_read(struct llmc__channel *ch, int rc, const char *path,
                     const char *text, const char *unit)
{
    int e = errno;
    if (rc == LLMC_EFORMAT)
        return llmc__channel_fail(ch, LLMC_EFORMAT,
                                  "%s does not hold a number in %s: '%s'", path,
                                  unit, text);
    return llmc__channel_fail(ch,
                              e == EACCES || e == EPERM ? LLMC_EPERM : LLMC_EIO,
                              "%s: %s", path, strerror(e));
}

static void restore_note(struct llmc__channel *ch, const struct amd_state *s)
{
    if (ch->status != LLMC_OK)
        llmc__put_text(ch->detail, sizeof ch->detail, "%s", s->note);
}

static int power_step(struct llmc__channel *ch, struct amd_state *s,
                      int64_t now_ns)
{
    char text[64];
    uint64_t uw;
    double w, dt_s;
    int rc = llmc__pread_u64(s->pfd, &uw, text, sizeof text);

    if (rc != 0) {
        /* integration restarts at the next good reading: the gap is
         * missing, not filled by interpolation */
        s->have_prev = 0;
        return fail_read(ch, rc, s->ppath, text, "uW");
    }
    restore_note(ch, s);
    w = (double)uw / 1e6;
    if (!s->have_prev) {
        s->have_prev = 1;
        s->prev_w = w;
        s->prev_ns = now_ns;
        llmc__channel_add(ch, 0.0, 0.0);
        return LLMC_OK;
    }
    dt_s = (double)(now_ns - s->prev_ns) / 1e9;
    llmc__channel_add(ch, (s->prev_w + w) / 2.0 * dt_s, dt_s);
    s->prev_w = w;
    s->prev_ns = now_ns;
    return LLMC_OK;
}

/* The board power now in W, NAN when it cannot be read. */
static double power_now(const struct amd_state *s)
{
    uint64_t uw;
    if (s->pfd < 0 || llmc__pread_u64(s->pfd, &uw, NULL, 0) != 0)
        return NAN;
    return (double)uw / 1e6;
}

static int amd_read(struct llmc__channel *ch, int64_t now_ns)
{
    struct amd_state *s = ch->state;
    char text[64];
    uint64_t cur;
    double w = NAN, dt_s;
    int rc;

    if (s->mode == MODE_POWER)
        return power_step(ch, s, now_ns);
    if ((rc = llmc__pread_u64(s->efd, &cur, text, sizeof text)) != 0)
        return fail_read(ch, rc, s->epath, text, "uJ");
    restore_note(ch, s);
    if (!s->checked)
        w = power_now(s);
    if (!s->have_prev) {
        s->have_prev = 1;
        s->prev_uj = cur;
        s->prev_ns = s->still_ns = now_ns;
        s->still_w = w;
        llmc__channel_add(ch, 0.0, 0.0);
        return LLMC_OK;
    }
    dt_s = (double)(now_ns - s->prev_ns) / 1e9;
    if (cur < s->prev_uj) {
        /* no range is published: a counter that went back was reset */
        ch->quality |= LLMC_QUALITY_RESET;
        ch->power_w = NAN;
        s->prev_uj = cur;
        s->prev_ns = s->still_ns = now_ns;
        s->still_w = w;
        return LLMC_OK;
    }
    if (cur == s->prev_uj && !s->checked && w > STUCK_MIN_W &&
        now_ns - s->still_ns >= STUCK_MIN_NS) {
        double span_s = (double)(now_ns - s->still_ns) / 1e9;
        double w0 = isnan(s->still_w) ? w : s->still_w;
        llmc__put_text(s->note, sizeof s->note,
                 "energy1_input stayed at %llu uJ for %.2f s while %s read "
                 "%.0f W: the counter is stuck (a known AMD fault), so power "
                 "is integrated instead (trapezoid rule between reads)",
                 (unsigned long long)cur, span_s,
                 strrchr(s->ppath, '/') + 1, w);
        llmc__put_text(ch->detail, sizeof ch->detail, "%s", s->note);
        ch->method = LLMC_METHOD_POWER;
        ch->quality |= LLMC_QUALITY_FALLBACK;
        s->mode = MODE_POWER;
        s->prev_w = w;
        s->prev_ns = now_ns;
        /* the stuck span was counted as 0 J so far: give it its energy */
        llmc__channel_add(ch, (w0 + w) / 2.0 * span_s, span_s);
        return LLMC_OK;
    }
    if (cur > s->prev_uj) {
        s->checked = 1;
        s->still_ns = now_ns;
        s->still_w = w;
    }
    llmc__channel_add(ch, (double)(cur - s->prev_uj) / 1e6, dt_s);
    s->prev_uj = cur;
    s->prev_ns = now_ns;
    return LLMC_OK;
}

static void amd_close(struct llmc__channel *ch)
{
    struct amd_state *s = ch->state;
    if (!s)
        return;
    if (s->efd >= 0)
        close(s->efd);
    if (s->pfd >= 0)
        close(s->pfd);
    free(s);
    ch->state = NULL;
}

static const struct llmc__channel_ops amd_ops = {amd_read, amd_close};

/* ---- open --------------------------------------------------------------- */

/* Opens path into *fd and reads it once. LLMC_OK; LLMC_ENOTFOUND when the
 * file does not exist; LLMC_EPERM when this user may not read it;
 * LLMC_EIO otherwise; *why_errno says why, for the message. A file that
 * does not parse stays open: the channel reports LLMC_EFORMAT on every
 * read. */
static int probe_file(const char *dir, const char *file, int *fd, char *path,
                      size_t size, int *why_errno)
{
    uint64_t v;
    int e = 0;

    *fd = -1;
    if (snprintf(path, size, "%s/%s", dir, file) >= (int)size)
        e = ENAMETOOLONG;
    else if ((*fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        e = errno;
    else if (llmc__pread_u64(*fd, &v, NULL, 0) == LLMC_EIO) {
        e = errno;
        close(*fd);
        *fd = -1;
    }
    *why_errno = e;
    return e == 0                        ? LLMC_OK
           : e == ENOENT                 ? LLMC_ENOTFOUND
           : e == EACCES || e == EPERM   ? LLMC_EPERM
                                         : LLMC_EIO;
}

/* Opens the files of one card into a new state. LLMC_OK; LLMC_ENOMEM;
 * LLMC_EPERM, with failed holding the path this user may not read;
 * LLMC_ENODEV (no file to read) or LLMC_EIO, with failed saying which
 * file and why. */
/* A whole number in a sysfs file (bytes, uW), or NAN. */
static double sysfs_number(const char *path)
{
    char text[64], *end;
    unsigned long long v;
    if (llmc__read_text(path, text, sizeof text) != 0 || !isdigit((unsigned char)text[0]))
        return NAN;
    errno = 0;
    v = strtoull(text, &end, 10);
    return *end || errno || v == 0 ? NAN : (double)v;
}

static int open_card(const struct card *c, struct amd_state **out,
                     char *failed, size_t failed_size)
{
    struct amd_state *s = calloc(1, sizeof *s);
    int e, pe, e_errno, pe_errno;

    *out = NULL;
    if (!s)
        return LLMC_ENOMEM;
    s->efd = s->pfd = -1;
    s->prev_w = s->still_w = NAN;
    e = probe_file(c->hwmon, "energy1_input", &s->efd, s->epath,
                   sizeof s->epath, &e_errno);
    pe = probe_file(c->hwmon, "power1_average", &s->pfd, s->ppath,
                    sizeof s->ppath, &pe_errno);
    if (pe == LLMC_ENOTFOUND)
        pe = probe_file(c->hwmon, "power1_input", &s->pfd, s->ppath,
                        sizeof s->ppath, &pe_errno);
    if (e == LLMC_OK) {
        s->mode = MODE_COUNTER;
        llmc__put_text(s->note, sizeof s->note,
                 "energy1_input counter (uJ)%s", s->pfd >= 0
                     ? "; checked against power until it is seen to advance"
                     : "");
    } else if (e == LLMC_ENOTFOUND && pe == LLMC_OK) {
        s->mode = MODE_POWER;
        llmc__put_text(s->note, sizeof s->note,
                 "%s (uW) integrated with the trapezoid rule between reads "
                 "(the driver has no energy counter)",
                 strrchr(s->ppath, '/') + 1);
    } else {
        /* the file that stops the card: the counter's, else the
         * power's; a denied one is named alone (the caller says what to
         * do), another with its reason */
        int bad = e != LLMC_ENOTFOUND ? e : pe;
        const char *path = e != LLMC_ENOTFOUND ? s->epath : s->ppath;
        int why = e != LLMC_ENOTFOUND ? e_errno : pe_errno;
        if (bad == LLMC_ENOTFOUND) {
            llmc__put_text(failed, failed_size,
                     "%s has no energy1_input, power1_average or power1_input",
                     c->hwmon);
            bad = LLMC_ENODEV;
        } else if (bad == LLMC_EPERM) {
            llmc__put_text(failed, failed_size, "%s", path);
        } else {
            llmc__put_text(failed, failed_size, "%s: %s", path,
                           strerror(why));
        }
        if (s->efd >= 0)
            close(s->efd);
        if (s->pfd >= 0)
            close(s->pfd);
        free(s);
        return bad;
    }
    *out = s;
    return LLMC_OK;
}

static void list_indices(char *buf, size_t size, const struct card *c,
                         size_t count)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < count && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%scard%ld",
                                 used ? ", " : "", c[i].index);
    if (!buf[0])
        llmc__put_text(buf, size, "none");
}

/* Marks the cards args asks for; LLMC_EINVAL or LLMC_ENODEV. */
static int select_cards(const char *args, struct card *c, size_t count,
                        const char *base)
{
    const char *p = args;
    while (*p) {
        char *end;
        long k;
        size_t i;
        k = strtol(p, &end, 10);
        if (*p < '0' || *p > '9' || (*end != ',' && *end != '\0'))
            return llmc__fail(LLMC_EINVAL,
                              "amdgpu: '%s' is not a list of card indices; "
                              "write amdgpu:0,1 (N of /sys/class/drm/cardN) "
                              "or amdgpu:all",
                              args);
        for (i = 0; i < count && c[i].index != k; i++)
            ;
        if (i == count) {
            char present[256];
            list_indices(present, sizeof present, c, count);
            return llmc__fail(LLMC_ENODEV,
                              "amdgpu: no AMD GPU card%ld under %s (AMD GPUs "
                              "there: %s)",
                              k, base, present);
        }
        c[i].wanted = 1;
        p = *end ? end + 1 : end;
    }
    return LLMC_OK;
}

/* ---- ROCm's device visibility ------------------------------------------ */

/* A GPU as ROCm counts it: a KFD topology node with SIMDs, in node order,
 * and the card it drives (an index into the cards, -1 when none). */
struct rocm_gpu {
    long node;
    long card;
    uint64_t unique_id;
};

static int rocm_cmp(const void *a, const void *b)
{
    const struct rocm_gpu *x = a, *y = b;
    return x->node < y->node ? -1 : x->node > y->node;
}

/* The value of "key value" in a KFD properties text; 0 when absent. */
static int kfd_prop(const char *props, const char *key, uint64_t *out)
{
    size_t len = strlen(key);
    for (const char *p = props; p && *p;
         p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, key, len) == 0 && p[len] == ' ') {
            *out = strtoull(p + len + 1, NULL, 10);
            return 1;
        }
    return 0;
}

/* The GPUs of <root>/class/kfd/kfd/topology/nodes in ROCm's order, each
 * matched to its card through the render node of the same PCI device.
 * LLMC_ENODEV when the topology is not there. */
static int rocm_gpus(const struct card *c, size_t count, const char *base,
                     struct rocm_gpu **out, size_t *n)
{
    char dir[PATH_MAX], path[PATH_MAX + 64], props[4096];
    char want[PATH_MAX], have[PATH_MAX];
    struct rocm_gpu *g = NULL;
    struct dirent *de;
    size_t cap = 0;
    DIR *d;

    *out = NULL;
    *n = 0;
    llmc__put_text(dir, sizeof dir, "%s/class/kfd/kfd/topology/nodes",
                   llmc__sysfs_root());
    if (!(d = opendir(dir)))
        return LLMC_ENODEV;
    while ((de = readdir(d)) != NULL) {
        struct rocm_gpu one = {card_index(de->d_name, ""), -1, 0};
        uint64_t simds = 0, minor = 0;
        if (one.node < 0)
            continue;
        llmc__put_text(path, sizeof path, "%s/%s/properties", dir, de->d_name);
        if (llmc__read_text(path, props, sizeof props) != 0 ||
            !kfd_prop(props, "simd_count", &simds) || simds == 0)
            continue; /* a CPU node */
        kfd_prop(props, "unique_id", &one.unique_id);
        kfd_prop(props, "drm_render_minor", &minor);
        llmc__put_text(path, sizeof path, "%s/renderD%" PRIu64 "/device", base,
                       minor);
        if (minor && realpath(path, want))
            for (size_t i = 0; i < count && one.card < 0; i++) {
                llmc__put_text(path, sizeof path, "%s/card%ld/device", base,
                               c[i].index);
                if (realpath(path, have) && strcmp(want, have) == 0)
                    one.card = (long)i;
            }
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            struct rocm_gpu *grown = realloc(g, ncap * sizeof *grown);
            if (!grown) {
                free(g);
                closedir(d);
                return LLMC_ENOMEM;
            }
            g = grown;
            cap = ncap;
        }
        g[(*n)++] = one;
    }
    closedir(d);
    if (*n)
        qsort(g, *n, sizeof *g, rocm_cmp);
    *out = g;
    return LLMC_OK;
}

/* Keeps the GPUs a visibility list names, in its order: indices into the
 * list so far, or GPU-<unique id in hex>. As in ROCm, the first entry that
 * names none ends the list; it is copied to bad. */
static void rocm_narrow(struct rocm_gpu *g, size_t *n, const char *list,
                        char *bad, size_t bad_size)
{
    struct rocm_gpu *kept = malloc((*n ? *n : 1) * sizeof *kept);
    const char *p = list;
    size_t k = 0;

    bad[0] = '\0';
    if (!kept) {
        *n = 0;
        llmc__put_text(bad, bad_size, "(out of memory)");
        return;
    }
    while (*p) {
        size_t len = strcspn(p, ","), i = *n;
        char entry[64], *end;
        llmc__put_text(entry, sizeof entry, "%.*s", (int)len, p);
        if (strncmp(entry, "GPU-", 4) == 0) {
            uint64_t id = strtoull(entry + 4, &end, 16);
            if (entry[4] && !*end)
                for (i = 0; i < *n && g[i].unique_id != id; i++)
                    ;
        } else {
            unsigned long v = strtoul(entry, &end, 10);
            if (entry[0] >= '0' && entry[0] <= '9' && !*end && v < *n)
                i = v;
        }
        if (i == *n) {
            llmc__put_text(bad, bad_size, "%s", entry);
            break;
        }
        for (size_t j = 0; j < k && i < *n; j++)
            if (kept[j].node == g[i].node)
                i = *n; /* named twice: once is enough */
        if (i < *n)
            kept[k++] = g[i];
        p += len;
        if (*p == ',')
            p++;
    }
    memcpy(g, kept, k * sizeof *kept);
    *n = k;
    free(kept);
}

/* Marks the cards that ROCR_VISIBLE_DEVICES, then HIP_VISIBLE_DEVICES (or
 * CUDA_VISIBLE_DEVICES, which HIP reads in its place), leave visible, as
 * ROCm does; 1 when either is set, 0 when neither is. note says how. */
static int rocm_select(struct card *c, size_t count, const char *base,
                       char *note, size_t note_size)
{
    const char *rocr = getenv("ROCR_VISIBLE_DEVICES");
    const char *hip = getenv("HIP_VISIBLE_DEVICES");
    const char *hip_name = "HIP_VISIBLE_DEVICES";
    struct rocm_gpu *g;
    size_t n, used = 0;
    char bad[64];
    int rc;

    if (!hip && (hip = getenv("CUDA_VISIBLE_DEVICES")) != NULL)
        hip_name = "CUDA_VISIBLE_DEVICES";
    note[0] = '\0';
    if (!rocr && !hip)
        return 0;
    if ((rc = rocm_gpus(c, count, base, &g, &n)) != LLMC_OK) {
        for (size_t i = 0; i < count; i++)
            c[i].wanted = 1;
        /* the node is still counted once: every rank's reads of a card
         * are elected down to one reader */
        llmc__put_text(note, note_size,
                       "%s%s%s is set, but %s: reading every card",
                       rocr ? "ROCR_VISIBLE_DEVICES" : "",
                       rocr && hip ? " and " : "", hip ? hip_name : "",
                       rc == LLMC_ENOMEM
                           ? "memory ran out mapping it to cards"
                           : "there is no /sys/class/kfd topology to map it "
                             "to cards");
        return 1;
    }
    for (int pass = 0; pass < 2; pass++) {
        const char *list = pass ? hip : rocr;
        if (!list)
            continue;
        rocm_narrow(g, &n, list, bad, sizeof bad);
        if (bad[0] && used < note_size)
            used += (size_t)snprintf(note + used, note_size - used,
                                     "%s%s entry '%s' names no GPU: it and "
                                     "those after it are ignored",
                                     used ? "; " : "",
                                     pass ? hip_name : "ROCR_VISIBLE_DEVICES",
                                     bad);
    }
    for (size_t i = 0; i < n; i++)
        if (g[i].card >= 0)
            c[g[i].card].wanted = 1;
    free(g);
    return 1;
}

/* One card's channel, opened as s: named after the card ("amdgpu:1"),
 * its product name as the device, its PCI slot as the device lock, and
 * the memory and default power cap that tell its profile apart.
 * LLMC_ENOMEM (s closed then) or LLMC_OK. */
static int add_card(struct llmc_meter *m, const struct card *c,
                    const char *card_dir, struct amd_state *s)
{
    char path[PATH_MAX + 32], product[128], slot[96], name[32], device[128];
    char lock[160];
    struct llmc__channel *ch;

    llmc__put_text(path, sizeof path, "%s/device/product_name", card_dir);
    if (llmc__read_text(path, product, sizeof product) == 0 && product[0])
        llmc__put_text(device, sizeof device, "%s", product);
    else
        llmc__put_text(device, sizeof device, "AMD GPU card%ld", c->index);
    pci_slot(card_dir, slot, sizeof slot);
    if (slot[0])
        llmc__put_text(lock, sizeof lock, "amdgpu-%s", slot);
    else
        llmc__put_text(lock, sizeof lock, "amdgpu-card%ld", c->index);
    llmc__put_text(name, sizeof name, "amdgpu:%ld", c->index);
    ch = llmc__meter_add(m, &amd_ops, s, name, device, lock,
                         s->mode == MODE_COUNTER ? LLMC_METHOD_COUNTER
                                                 : LLMC_METHOD_POWER);
    if (!ch) {
        amd_close(&(struct llmc__channel){.state = s});
        return llmc__fail(LLMC_ENOMEM, "amdgpu: out of memory");
    }
    ch->node_level = 0;
    /* what tells apart the profiles one product name may have */
    llmc__put_text(path, sizeof path, "%s/device/mem_info_vram_total",
                   card_dir);
    ch->memory_gib = sysfs_number(path) / 1073741824.0;
    llmc__put_text(path, sizeof path, "%s/power1_cap_default",
                   c->hwmon);
    ch->power_limit_w = sysfs_number(path) / 1e6;
    llmc__put_text(ch->detail, sizeof ch->detail, "%s", s->note);
    return LLMC_OK;
}

int llmc__amdgpu_open(struct llmc_meter *m, const char *args, int is_auto)
{
    char base[PATH_MAX], first_denied[PATH_MAX] = "";
    char first_other[PATH_MAX + 64] = "", used[512] = "", visible[300];
    struct card *c = NULL;
    size_t count = 0, denied = 0, others = 0, added = 0, usedlen = 0;
    int rc;

    if (snprintf(base, sizeof base, "%s/class/drm", llmc__sysfs_root()) >=
        (int)sizeof base)
        return llmc__fail(LLMC_EINVAL, "amdgpu: LLMC_SYSFS_ROOT is too long");
    if ((rc = list_cards(base, &c, &count)) != LLMC_OK)
        return llmc__fail(rc, "amdgpu: out of memory listing cards");
    if (count == 0) {
        free(c);
        if (is_auto) {
            llmc__meter_diag(m, "amdgpu",
                             "no AMD GPU under %s (no card*/device/hwmon/"
                             "hwmon*/name reading amdgpu)",
                             base);
            return LLMC_OK;
        }
        return llmc__fail(LLMC_ENODEV,
                          "amdgpu: no AMD GPU under %s (no card*/device/"
                          "hwmon/hwmon*/name reading amdgpu): is the amdgpu "
                          "driver loaded, and is /sys/class/drm mounted in "
                          "this container?",
                          base);
    }
    if (args && *args && strcmp(args, "all") != 0) {
        /* explicit card numbers: the ROCm variables do not apply */
        if ((rc = select_cards(args, c, count, base)) != LLMC_OK) {
            free(c);
            return rc;
        }
    } else if (rocm_select(c, count, base, visible, sizeof visible)) {
        size_t wanted = 0;
        for (size_t i = 0; i < count; i++)
            wanted += (size_t)c[i].wanted;
        if (visible[0])
            llmc__meter_diag(m, "amdgpu", "%s", visible);
        if (wanted == 0) {
            char present[256];
            list_indices(present, sizeof present, c, count);
            free(c);
            if (is_auto) {
                llmc__meter_diag(m, "amdgpu",
                                 "ROCR_VISIBLE_DEVICES/HIP_VISIBLE_DEVICES "
                                 "select none of the AMD GPUs (%s)",
                                 present);
                return LLMC_OK;
            }
            return llmc__fail(LLMC_ENODEV,
                              "amdgpu: ROCR_VISIBLE_DEVICES/"
                              "HIP_VISIBLE_DEVICES select none of the AMD "
                              "GPUs (%s)%s%s; unset them, or name cards with "
                              "amdgpu:0,1",
                              present, visible[0] ? ": " : "", visible);
        }
    } else {
        for (size_t i = 0; i < count; i++)
            c[i].wanted = 1;
    }
    for (size_t i = 0; i < count; i++) {
        char card_dir[PATH_MAX], failed[PATH_MAX + 64];
        struct amd_state *s;
        int e;

        if (!c[i].wanted)
            continue;
        llmc__put_text(card_dir, sizeof card_dir, "%s/card%ld", base, c[i].index);
        if ((e = open_card(&c[i], &s, failed, sizeof failed)) != LLMC_OK) {
            if (e == LLMC_ENOMEM) {
                free(c);
                return llmc__fail(LLMC_ENOMEM, "amdgpu: out of memory");
            }
            if (e == LLMC_EPERM) {
                if (!denied++)
                    llmc__put_text(first_denied, sizeof first_denied, "%s", failed);
            } else if (!others++) {
                llmc__put_text(first_other, sizeof first_other, "%s", failed);
            }
            continue;
        }
        if (add_card(m, &c[i], card_dir, s) != LLMC_OK) {
            free(c);
            return LLMC_ENOMEM;
        }
        added++;
        if (usedlen < sizeof used)
            usedlen += (size_t)snprintf(
                used + usedlen, sizeof used - usedlen, "%scard%ld (%s)",
                usedlen ? ", " : "", c[i].index,
                s->mode == MODE_COUNTER ? "energy counter" : "power");
    }
    free(c);

    if (added) {
        llmc__meter_diag(m, "amdgpu", "reading %s", used);
        if (denied)
            llmc__meter_diag(m, "amdgpu",
                             "%s%s is not readable by this user: give it to "
                             "a group the user is in (udev rule on "
                             "SUBSYSTEM==\"hwmon\" with chgrp and chmod g+r)",
                             first_denied, denied > 1 ? " (and others)" : "");
        if (others)
            llmc__meter_diag(m, "amdgpu", "%s%s; card skipped", first_other,
                             others > 1 ? " (and others)" : "");
        return LLMC_OK;
    }
    if (denied) {
        if (is_auto) {
            llmc__meter_diag(m, "amdgpu",
                             "%s is not readable by this user: give it to a "
                             "group the user is in (udev rule on "
                             "SUBSYSTEM==\"hwmon\" with chgrp and chmod g+r)",
                             first_denied);
            return LLMC_OK;
        }
        return llmc__fail(LLMC_EPERM,
                          "amdgpu: %s is not readable by this user: give it "
                          "to a group the user is in (udev rule on "
                          "SUBSYSTEM==\"hwmon\" with chgrp and chmod g+r)",
                          first_denied);
    }
    if (is_auto) {
        llmc__meter_diag(m, "amdgpu", "no readable AMD GPU: %s", first_other);
        return LLMC_OK;
    }
    return llmc__fail(LLMC_ENODEV, "amdgpu: no readable AMD GPU: %s",
                      first_other);
}
