/*
 * rapl.c - CPU package (and, on request, dram, psys, core, uncore) energy
 * from the Linux powercap RAPL tree, <sysfs>/class/powercap/intel-rapl:*
 * and intel-rapl-mmio:*. One channel per zone read; each keeps energy_uj
 * open and preads it at offset 0, unwrapping with max_energy_range_uj.
 *
 * Why the rules (the kernel's powercap documentation,
 * Documentation/power/powercap/powercap.rst, and CVE-2020-8694):
 *   - psys contains package, which contains core and uncore: the levels are
 *     never added, so a spec that would add them is refused;
 *   - the same domain may appear under intel-rapl and intel-rapl-mmio:
 *     read one (MMIO when it is readable, as CodeCarbon does);
 *   - energy_uj is root-only since Linux 5.10 (CVE-2020-8694): say so once,
 *     with the remedies, and still use whatever zones are readable.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

/* A generous bound on one zone's power, to size the wrap period: no
 * package or platform draws 1 kW today. */
#define RAPL_POWER_BOUND_W 1000.0

enum rapl_domain {
    DOM_OTHER = 0,
    DOM_PACKAGE = 1 << 0,
    DOM_DRAM = 1 << 1,
    DOM_PSYS = 1 << 2,
    DOM_CORE = 1 << 3,
    DOM_UNCORE = 1 << 4
};

static const struct {
    const char *word;
    unsigned bit;
} domain_words[] = {
    {"package", DOM_PACKAGE}, {"dram", DOM_DRAM},     {"psys", DOM_PSYS},
    {"core", DOM_CORE},       {"uncore", DOM_UNCORE},
};

struct zone {
    char entry[64];    /* "intel-rapl:0:1" */
    char name[64];     /* its name file: "dram" */
    char display[96];  /* "dram-0": unique on the node */
    int mmio;          /* under intel-rapl-mmio */
    long n, m;         /* intel-rapl:N[:M]; m < 0 at the top level */
    unsigned dom;
    int selected;
    int fd;            /* energy_uj, open when readable */
    int err;           /* errno of opening or reading energy_uj, 0 when ok */
    int parses;        /* energy_uj held a number when probed */
};

struct rapl_state {
    int fd;
    uint64_t range_uj; /* 0: unknown, a decrease is a reset */
    uint64_t prev_uj;
    int64_t prev_ns;
    int have_prev;
    char path[PATH_MAX];
    char note[200];    /* the channel's detail while it reads well */
};


static uint64_t read_range_uj(const char *dir)
{
    char path[PATH_MAX];
    uint64_t v = 0;
    int fd;
    if (snprintf(path, sizeof path, "%s/max_energy_range_uj", dir) >=
        (int)sizeof path)
        return 0;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return 0;
    if (llmc__pread_u64(fd, &v, NULL, 0) != LLMC_OK)
        v = 0;
    close(fd);
    return v;
}

/* ---- the zone tree ------------------------------------------------------ */

/* intel-rapl:N or intel-rapl:N:M (and -mmio); deeper levels do not exist. */
static int parse_entry(const char *e, int *mmio, long *n, long *m)
{
    const char *p;
    char *end;
    if (strncmp(e, "intel-rapl-mmio:", 16) == 0) {
        *mmio = 1;
        p = e + 16;
    } else if (strncmp(e, "intel-rapl:", 11) == 0) {
        *mmio = 0;
        p = e + 11;
    } else {
        return 0;
    }
    if (*p < '0' || *p > '9')
        return 0;
    *n = strtol(p, &end, 10);
    *m = -1;
    if (*end == ':') {
        p = end + 1;
        if (*p < '0' || *p > '9')
            return 0;
        *m = strtol(p, &end, 10);
    }
    return *end == '\0';
}

static unsigned domain_of(const char *name)
{
    if (strncmp(name, "package-", 8) == 0)
        return DOM_PACKAGE;
    for (size_t i = 0; i < sizeof domain_words / sizeof domain_words[0]; i++)
        if (strcmp(name, domain_words[i].word) == 0 &&
            domain_words[i].bit != DOM_PACKAGE)
            return domain_words[i].bit;
    return DOM_OTHER;
}

static int zone_cmp(const void *a, const void *b)
{
    const struct zone *x = a, *y = b;
    if (x->mmio != y->mmio)
        return x->mmio - y->mmio;
    if (x->n != y->n)
        return x->n < y->n ? -1 : 1;
    if (x->m != y->m)
        return x->m < y->m ? -1 : 1;
    return 0;
}

static const struct zone *find_zone(const struct zone *z, size_t count,
                                    int mmio, long n, long m)
{
    for (size_t i = 0; i < count; i++)
        if (z[i].mmio == mmio && z[i].n == n && z[i].m == m)
            return &z[i];
    return NULL;
}

/* Lists the zones with a name; *out is NULL when there are none. Returns
 * LLMC_OK or LLMC_ENOMEM. */
static int list_zones(const char *base, struct zone **out, size_t *count)
{
    DIR *d = opendir(base);
    struct dirent *de;
    struct zone *z = NULL;
    size_t n = 0, cap = 0;

    *out = NULL;
    *count = 0;
    if (!d)
        return LLMC_OK;
    while ((de = readdir(d)) != NULL) {
        struct zone one;
        char path[PATH_MAX];
        memset(&one, 0, sizeof one);
        if (strlen(de->d_name) >= sizeof one.entry ||
            !parse_entry(de->d_name, &one.mmio, &one.n, &one.m))
            continue;
        /* real sysfs has symlinks into /sys/devices/virtual/powercap:
         * opening through them follows them */
        if (snprintf(path, sizeof path, "%s/%s/name", base, de->d_name) >=
                (int)sizeof path ||
            llmc__read_text(path, one.name, sizeof one.name) != 0 || !one.name[0])
            continue;
        llmc__put_text(one.entry, sizeof one.entry, "%s", de->d_name);
        one.dom = domain_of(one.name);
        one.fd = -1;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            struct zone *grown = realloc(z, ncap * sizeof *grown);
            if (!grown) {
                free(z);
                closedir(d);
                return LLMC_ENOMEM;
            }
            z = grown;
            cap = ncap;
        }
        z[n++] = one;
    }
    closedir(d);
    if (n)
        qsort(z, n, sizeof *z, zone_cmp);
    /* sub-zones share names ("dram" under every package): suffix the
     * parent package's index so that names are unique on the node */
    for (size_t i = 0; i < n; i++) {
        const char *suffix = NULL;
        char num[24];
        if (z[i].dom == DOM_PACKAGE || z[i].dom == DOM_PSYS ||
            z[i].dom == DOM_OTHER) {
            llmc__put_text(z[i].display, sizeof z[i].display, "%s", z[i].name);
            continue;
        }
        if (z[i].m >= 0) {
            const struct zone *p = find_zone(z, n, z[i].mmio, z[i].n, -1);
            if (p && p->dom == DOM_PACKAGE)
                suffix = p->name + 8;
        }
        if (!suffix) {
            llmc__put_text(num, sizeof num, "%ld", z[i].n);
            suffix = num;
        }
        llmc__put_text(z[i].display, sizeof z[i].display, "%s-%s", z[i].name,
                 suffix);
    }
    *out = z;
    *count = n;
    return LLMC_OK;
}

/* Opens and reads energy_uj once: fd kept open when readable. */
static void probe(struct zone *z, const char *base)
{
    char path[PATH_MAX];
    uint64_t v;
    int rc;

    z->fd = -1;
    z->err = 0;
    z->parses = 0;
    if (snprintf(path, sizeof path, "%s/%s/energy_uj", base, z->entry) >=
        (int)sizeof path) {
        z->err = ENAMETOOLONG;
        return;
    }
    if ((z->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        z->err = errno;
        return;
    }
    rc = llmc__pread_u64(z->fd, &v, NULL, 0);
    if (rc == LLMC_EIO) {
        z->err = errno;
        close(z->fd);
        z->fd = -1;
        return;
    }
    z->parses = rc == LLMC_OK;
}

/* ---- the channel -------------------------------------------------------- */

static int rapl_read(struct llmc__channel *ch, int64_t now_ns)
{
    struct rapl_state *s = ch->state;
    char text[64];
    uint64_t cur, delta_uj;
    double dt_s;
    int was_ok = ch->status == LLMC_OK;
    int rc = llmc__pread_u64(s->fd, &cur, text, sizeof text);

    if (rc == LLMC_EIO) {
        int e = errno;
        return llmc__channel_fail(ch,
                                  e == EACCES || e == EPERM ? LLMC_EPERM
                                                            : LLMC_EIO,
                                  "%s: %s", s->path, strerror(e));
    }
    if (rc == LLMC_EFORMAT)
        return llmc__channel_fail(ch, LLMC_EFORMAT,
                                  "%s does not hold a counter in uJ: '%s'",
                                  s->path, text);
    if (!was_ok)
        llmc__put_text(ch->detail, sizeof ch->detail, "%s", s->note);
    if (!s->have_prev) {
        /* the baseline: energy counts from here */
        s->have_prev = 1;
        s->prev_uj = cur;
        s->prev_ns = now_ns;
        llmc__channel_add(ch, 0.0, 0.0);
        return LLMC_OK;
    }
    dt_s = (double)(now_ns - s->prev_ns) / 1e9;
    if (cur >= s->prev_uj) {
        delta_uj = cur - s->prev_uj;
    } else if (s->range_uj && s->prev_uj <= s->range_uj) {
        /* one wrap; two cannot be told from one, hence the sampling rule */
        delta_uj = (s->range_uj - s->prev_uj) + cur;
        ch->quality |= LLMC_QUALITY_WRAPPED;
    } else {
        /* no range to unwrap with: the counter was reset; this interval
         * is not counted, and its power is unknown */
        ch->quality |= LLMC_QUALITY_RESET;
        ch->power_w = NAN;
        ch->status = LLMC_OK;
        s->prev_uj = cur;
        s->prev_ns = now_ns;
        return LLMC_OK;
    }
    s->prev_uj = cur;
    s->prev_ns = now_ns;
    llmc__channel_add(ch, (double)delta_uj / 1e6, dt_s);
    return LLMC_OK;
}

static void rapl_close(struct llmc__channel *ch)
{
    struct rapl_state *s = ch->state;
    if (!s)
        return;
    if (s->fd >= 0)
        close(s->fd);
    free(s);
    ch->state = NULL;
}

static const struct llmc__channel_ops rapl_ops = {rapl_read, rapl_close};

static int add_channel(struct llmc_meter *m, struct zone *z, const char *base)
{
    static const char *const kind[] = {"package", "dram", "psys", "core",
                                       "uncore"};
    struct rapl_state *s = calloc(1, sizeof *s);
    struct llmc__channel *ch;
    char name[128], dir[PATH_MAX], lock[160];
    const char *what = "zone";

    if (!s)
        return llmc__fail(LLMC_ENOMEM, "out of memory for a RAPL channel");
    for (unsigned i = 0; i < 5; i++)
        if (z->dom == (1u << i))
            what = kind[i];
    llmc__put_text(dir, sizeof dir, "%s/%s", base, z->entry);
    llmc__put_text(s->path, sizeof s->path, "%s/energy_uj", dir);
    s->fd = z->fd;
    s->range_uj = read_range_uj(dir);
    if (s->range_uj) {
        double wrap_s = (double)s->range_uj / 1e6 / RAPL_POWER_BOUND_W;
        llmc__put_text(s->note, sizeof s->note,
                 "%s counter (%s); wraps every ~%.0f s at %.0f W; sampling "
                 "interval must stay below half of that (%.0f s)",
                 what, z->entry, wrap_s, RAPL_POWER_BOUND_W, wrap_s / 2);
    } else {
        llmc__put_text(s->note, sizeof s->note,
                 "%s counter (%s); no max_energy_range_uj, so a counter that "
                 "goes back is taken as a reset, not a wrap",
                 what, z->entry);
    }
    llmc__put_text(name, sizeof name, "rapl:%s", z->display);
    llmc__put_text(lock, sizeof lock, "rapl-%s", z->display);
    ch = llmc__meter_add(m, &rapl_ops, s, name, z->display, lock,
                         LLMC_METHOD_COUNTER);
    if (!ch) {
        free(s);
        return llmc__fail(LLMC_ENOMEM, "out of memory for a RAPL channel");
    }
    z->fd = -1; /* the channel owns it now */
    ch->node_level = 1;
    if (s->range_uj)
        ch->wrap_s = (double)s->range_uj / 1e6 / RAPL_POWER_BOUND_W;
    llmc__put_text(ch->detail, sizeof ch->detail, "%s", s->note);
    return LLMC_OK;
}

/* ---- messages ----------------------------------------------------------- */

/* The CVE-2020-8694 explanation with its remedies; "%p" is udev's. */
static void perm_message(char *buf, size_t size, const char *file,
                         size_t more)
{
    char others[64] = "";
    if (more)
        llmc__put_text(others, sizeof others, " (and %zu more energy_uj file%s)",
                 more, more == 1 ? "" : "s");
    llmc__put_text(buf, size,
             "%s%s is readable only by root since Linux 5.10 "
             "(CVE-2020-8694); remedies: a udev rule giving the powercap "
             "energy_uj files to a group with mode 0440, e.g. in "
             "/etc/udev/rules.d/99-powercap.rules: SUBSYSTEM==\"powercap\", "
             "ACTION==\"add\", RUN+=\"/bin/chgrp powercap /sys%%p/energy_uj\", "
             "RUN+=\"/bin/chmod 0440 /sys%%p/energy_uj\" (then add the user "
             "to group powercap and run udevadm trigger); or run the reader "
             "with CAP_DAC_READ_SEARCH",
             file, others);
}

static void list_present(char *buf, size_t size, const struct zone *z,
                         size_t count)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < count && used < size; i++) {
        int dup = 0;
        for (size_t j = 0; j < i; j++)
            dup |= strcmp(z[i].display, z[j].display) == 0;
        if (dup)
            continue;
        used += (size_t)snprintf(buf + used, size - used, "%s%s",
                                 used ? ", " : "", z[i].display);
    }
    if (!buf[0])
        llmc__put_text(buf, size, "none");
}

/* Parses "package,dram" into domain bits; LLMC_EINVAL on an unknown word
 * or an overlapping pair. */
static int parse_domains(const char *args, unsigned *want, const struct zone *z,
                         size_t count)
{
    const char *p = args;
    *want = 0;
    while (*p) {
        size_t len = strcspn(p, ",");
        unsigned bit = 0;
        for (size_t i = 0; i < sizeof domain_words / sizeof domain_words[0];
             i++)
            if (strlen(domain_words[i].word) == len &&
                strncmp(p, domain_words[i].word, len) == 0)
                bit = domain_words[i].bit;
        if (!bit) {
            char present[512];
            list_present(present, sizeof present, z, count);
            return llmc__fail(LLMC_EINVAL,
                              "rapl: '%.*s' is not a RAPL domain; use a comma "
                              "list of package, dram, psys, core, uncore "
                              "(zones present here: %s)",
                              (int)len, p, present);
        }
        *want |= bit;
        p += len;
        if (*p == ',')
            p++;
    }
    if (*want == 0)
        return llmc__fail(LLMC_EINVAL,
                          "rapl: empty domain list; use e.g. rapl:package,dram");
    if ((*want & DOM_PSYS) && (*want & ~(unsigned)(DOM_PSYS)))
        return llmc__fail(LLMC_EINVAL,
                          "rapl: psys cannot be read with other domains: psys "
                          "(the whole platform) contains package, core and "
                          "uncore, and on most platforms dram, so adding them "
                          "would count energy twice; ask for rapl:psys alone "
                          "or for rapl:package,dram");
    if ((*want & DOM_PACKAGE) && (*want & (DOM_CORE | DOM_UNCORE)))
        return llmc__fail(LLMC_EINVAL,
                          "rapl: %s cannot be read with package: package "
                          "contains core and uncore, so adding them would "
                          "count energy twice; ask for rapl:package[,dram] or "
                          "for rapl:core,uncore",
                          (*want & DOM_CORE) ? "core" : "uncore");
    return LLMC_OK;
}

/* ---- open --------------------------------------------------------------- */

static void close_probes(struct zone *z, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (z[i].fd >= 0) {
            close(z[i].fd);
            z[i].fd = -1;
        }
}

/* Of the selected zones with the same display name, keeps one: MMIO when
 * it reads, else MSR when it reads, else the first (for the message). */
static void drop_duplicates(struct llmc_meter *m, struct zone *z, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        size_t best = i;
        int score_best;
        if (!z[i].selected)
            continue;
#define SCORE(k) ((z[k].err == 0) * 4 + z[k].parses * 2 + z[k].mmio)
        score_best = SCORE(i);
        for (size_t j = i + 1; j < count; j++)
            if (z[j].selected && strcmp(z[j].display, z[i].display) == 0 &&
                SCORE(j) > score_best) {
                best = j;
                score_best = SCORE(j);
            }
        for (size_t j = i; j < count; j++) {
            if (j == best || !z[j].selected ||
                strcmp(z[j].display, z[i].display) != 0)
                continue;
            z[j].selected = 0;
            if (z[j].fd >= 0) {
                close(z[j].fd);
                z[j].fd = -1;
            }
            llmc__meter_diag(m, "rapl",
                             "%s is under both %s and %s; reading %s only, "
                             "so that it is not counted twice (%s dropped%s)",
                             z[i].display, z[j < best ? j : best].entry,
                             z[j < best ? best : j].entry, z[best].entry,
                             z[j].entry,
                             z[j].err ? ": its energy_uj is unreadable" : "");
        }
#undef SCORE
    }
}

int llmc__rapl_open(struct llmc_meter *m, const char *args, int is_auto)
{
    char base[PATH_MAX], present[512], first_denied[PATH_MAX] = "";
    char first_other[PATH_MAX + 64] = "", used[512] = "";
    struct zone *z = NULL;
    size_t count = 0, denied = 0, others = 0, added = 0, usedlen = 0;
    unsigned want = DOM_PACKAGE, have = 0;
    int rc;

    if (snprintf(base, sizeof base, "%s/class/powercap", llmc__sysfs_root()) >=
        (int)sizeof base)
        return llmc__fail(LLMC_EINVAL, "rapl: LLMC_SYSFS_ROOT is too long");
    if ((rc = list_zones(base, &z, &count)) != LLMC_OK)
        return llmc__fail(rc, "rapl: out of memory listing zones");
    if (args && *args &&
        (rc = parse_domains(args, &want, z, count)) != LLMC_OK) {
        free(z);
        return rc;
    }
    if (count == 0) {
        static const char fmt[] =
            "no powercap RAPL zones under %s (not an Intel/AMD host, or "
            "/sys/class/powercap is not mounted in this container: mount it "
            "read-only)";
        free(z);
        if (is_auto) {
            llmc__meter_diag(m, "rapl", fmt, base);
            return LLMC_OK;
        }
        return llmc__fail(LLMC_ENODEV, "rapl: no powercap RAPL zones under %s "
                          "(not an Intel/AMD host, or /sys/class/powercap is "
                          "not mounted in this container: mount it read-only)",
                          base);
    }
    list_present(present, sizeof present, z, count);
    for (size_t i = 0; i < count; i++) {
        z[i].selected = (z[i].dom & want) != 0;
        have |= z[i].dom;
    }
    if ((have & want) != want) {
        unsigned missing = want & ~have;
        const char *word = "package";
        for (size_t i = 0; i < sizeof domain_words / sizeof domain_words[0];
             i++)
            if (missing & domain_words[i].bit) {
                word = domain_words[i].word;
                break;
            }
        free(z);
        if (is_auto) {
            llmc__meter_diag(m, "rapl", "no %s zone under %s (zones: %s)",
                             word, base, present);
            return LLMC_OK;
        }
        return llmc__fail(LLMC_ENODEV,
                          "rapl: no %s zone under %s (zones present: %s; AMD "
                          "CPUs have no dram or psys domain)",
                          word, base, present);
    }
    for (size_t i = 0; i < count; i++)
        if (z[i].selected)
            probe(&z[i], base);
    drop_duplicates(m, z, count);

    for (size_t i = 0; i < count; i++) {
        if (!z[i].selected)
            continue;
        if (z[i].err == EACCES || z[i].err == EPERM) {
            if (!denied++)
                llmc__put_text(first_denied, sizeof first_denied, "%s/%s/energy_uj",
                         base, z[i].entry);
            continue;
        }
        if (z[i].err) {
            if (!others++)
                llmc__put_text(first_other, sizeof first_other,
                         "%s/%s/energy_uj: %s", base, z[i].entry,
                         strerror(z[i].err));
            continue;
        }
        if ((rc = add_channel(m, &z[i], base)) != LLMC_OK) {
            close_probes(z, count);
            free(z);
            return rc;
        }
        added++;
        if (usedlen < sizeof used)
            usedlen += (size_t)snprintf(used + usedlen, sizeof used - usedlen,
                                        "%s%s", usedlen ? ", " : "",
                                        z[i].display);
    }
    close_probes(z, count);
    free(z);

    if (added) {
        char msg[900];
        llmc__meter_diag(m, "rapl", "reading %s", used);
        if (denied) {
            perm_message(msg, sizeof msg, first_denied, denied - 1);
            llmc__meter_diag(m, "rapl", "%s", msg);
        }
        if (others)
            llmc__meter_diag(m, "rapl", "%s%s; zone skipped", first_other,
                             others > 1 ? " (and others)" : "");
        return LLMC_OK;
    }
    if (denied) {
        char msg[900];
        perm_message(msg, sizeof msg, first_denied, denied - 1);
        if (is_auto) {
            llmc__meter_diag(m, "rapl", "%s", msg);
            return LLMC_OK;
        }
        return llmc__fail(LLMC_EPERM, "rapl: %s", msg);
    }
    if (is_auto) {
        llmc__meter_diag(m, "rapl", "no readable zone: %s", first_other);
        return LLMC_OK;
    }
    return llmc__fail(LLMC_EIO, "rapl: no readable zone: %s", first_other);
}
