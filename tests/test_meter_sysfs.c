/*
 * test_meter_sysfs.c - the sysfs meters (rapl, amdgpu) over fake trees:
 * each test builds a tree in a fresh temporary directory, points
 * LLMC_SYSFS_ROOT at it, and checks energy against the counters it wrote.
 * Only the public meter API is used.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <check.h>
#include <grp.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "llmcarbon.h"
#include <jansson.h>

#include "testutil.h"
/* manual time: the test links the static archive */
#include "../lib/core/internal.h"

/* ---- the fake tree ------------------------------------------------------ */

static char root[64];

static void tree_new(void)
{
    snprintf(root, sizeof root, "/tmp/llmc-sysfs-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    ck_assert_int_eq(setenv("LLMC_SYSFS_ROOT", root, 1), 0);
    /* the library's time moves only when a test advances it */
    llmc__clock_manual(0);
}

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void tree_free(void)
{
    if (root[0])
        nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    root[0] = '\0';
}

static void mkdirs(const char *path)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0755);
            *p = '/';
        }
    mkdir(buf, 0755);
}

/* Writes text to root/rel in place: O_TRUNC on the same inode, so that a
 * descriptor the library keeps open sees the new content at offset 0. */
static void put(const char *rel, const char *text)
{
    char path[1024], dir[1024];
    char *slash;
    int fd;
    size_t len = strlen(text);

    snprintf(path, sizeof path, "%s/%s", root, rel);
    snprintf(dir, sizeof dir, "%s", path);
    slash = strrchr(dir, '/');
    *slash = '\0';
    mkdirs(dir);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
    ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
}

static void put_u64(const char *rel, uint64_t v)
{
    char text[32];
    snprintf(text, sizeof text, "%" PRIu64 "\n", v);
    put(rel, text);
}

/* A powercap zone: entry "intel-rapl:0:1", its name, its counter, and its
 * range (0: no max_energy_range_uj file). */
static void zone(const char *entry, const char *name, uint64_t energy_uj,
                 uint64_t range_uj)
{
    char rel[256], text[80];
    snprintf(rel, sizeof rel, "class/powercap/%s/name", entry);
    snprintf(text, sizeof text, "%s\n", name);
    put(rel, text);
    snprintf(rel, sizeof rel, "class/powercap/%s/energy_uj", entry);
    put_u64(rel, energy_uj);
    if (range_uj) {
        snprintf(rel, sizeof rel, "class/powercap/%s/max_energy_range_uj",
                 entry);
        put_u64(rel, range_uj);
    }
}

static void set_energy(const char *entry, uint64_t energy_uj)
{
    char rel[256];
    snprintf(rel, sizeof rel, "class/powercap/%s/energy_uj", entry);
    put_u64(rel, energy_uj);
}

static void zone_path(char *out, size_t size, const char *entry,
                      const char *file)
{
    snprintf(out, size, "%s/class/powercap/%s/%s", root, entry, file);
}

#define RANGE_UJ UINT64_C(262143328850)

/* Two packages, each with dram and core (and uncore on 0), and psys. */
static void two_socket_host(void)
{
    zone("intel-rapl:0", "package-0", 1000000, RANGE_UJ);
    zone("intel-rapl:0:0", "core", 500000, RANGE_UJ);
    zone("intel-rapl:0:1", "uncore", 300000, RANGE_UJ);
    zone("intel-rapl:0:2", "dram", 200000, 65712999613);
    zone("intel-rapl:1", "package-1", 2000000, RANGE_UJ);
    zone("intel-rapl:1:0", "core", 500000, RANGE_UJ);
    zone("intel-rapl:1:1", "dram", 200000, 65712999613);
    zone("intel-rapl:2", "psys", 9000000, RANGE_UJ);
}

/* An AMD GPU: card N with an amdgpu hwmon. */
static void amd_card(int n, const char *hwmon_name, const char *product)
{
    char rel[256];
    snprintf(rel, sizeof rel, "class/drm/card%d/device/hwmon/hwmon%d/name", n,
             n + 2);
    put(rel, hwmon_name);
    if (product) {
        snprintf(rel, sizeof rel, "class/drm/card%d/device/product_name", n);
        put(rel, product);
    }
    snprintf(rel, sizeof rel, "class/drm/card%d/device/uevent", n);
    put(rel, "DRIVER=amdgpu\nPCI_SLOT_NAME=0000:0c:00.0\n");
}

static void amd_file(int n, const char *file, uint64_t v)
{
    char rel[256];
    snprintf(rel, sizeof rel, "class/drm/card%d/device/hwmon/hwmon%d/%s", n,
             n + 2, file);
    put_u64(rel, v);
}

/* ---- meter helpers ------------------------------------------------------ */

static llmc_meter *meter_ok(const char *spec)
{
    llmc_meter *m = NULL;
    int rc = llmc_meter_open(&m, spec);
    ck_assert_msg(rc == LLMC_OK, "llmc_meter_open('%s') = %s: %s", spec,
                  llmc_status_name(rc), llmc_last_error());
    ck_assert_ptr_nonnull(m);
    return m;
}

static void expect_open_fails(const char *spec, int want)
{
    llmc_meter *m = NULL;
    ck_assert_status(llmc_meter_open(&m, spec), want);
    ck_assert_ptr_null(m);
}

static llmc_channel channel_at(const llmc_meter *m, size_t i)
{
    llmc_channel ch;
    llmc_channel_init(&ch, sizeof ch);
    ck_assert_status(llmc_meter_channel(&ch, m, i), LLMC_OK);
    return ch;
}

/* The channel called name; fails the test when there is none. */
static llmc_channel channel(const llmc_meter *m, const char *name)
{
    for (size_t i = 0; i < llmc_meter_channel_count(m); i++) {
        llmc_channel ch = channel_at(m, i);
        if (strcmp(ch.name, name) == 0)
            return ch;
    }
    ck_abort_msg("no channel %s in the meter (%zu channels)", name,
                 llmc_meter_channel_count(m));
    return channel_at(m, 0); /* not reached */
}

static size_t count_prefix(const llmc_meter *m, const char *prefix)
{
    size_t n = 0;
    for (size_t i = 0; i < llmc_meter_channel_count(m); i++)
        n += strncmp(channel_at(m, i).name, prefix, strlen(prefix)) == 0;
    return n;
}

static void expect_diag(const llmc_meter *m, const char *text)
{
    const char *d = llmc_meter_diagnostics(m);
    ck_assert_msg(strstr(d, text) != NULL, "'%s' not in diagnostics:\n%s",
                  text, d);
}

static void advance_ms(long ms)
{
    llmc__clock_advance_ns((int64_t)ms * 1000000);
}

/* ---- RAPL domains ------------------------------------------------------- */

START_TEST(test_rapl_default_reads_packages_only)
{
    llmc_meter *m;
    llmc_channel p0, p1;

    two_socket_host();
    m = meter_ok("rapl");
    ck_assert_uint_eq(llmc_meter_channel_count(m), 2);
    p0 = channel(m, "rapl:package-0");
    p1 = channel(m, "rapl:package-1");
    ck_assert_str_eq(p0.device, "package-0");
    ck_assert_int_eq(p0.method, LLMC_METHOD_COUNTER);
    ck_assert_int_eq(p0.node_level, 1);
    ck_assert_int_eq(p0.status, LLMC_OK);
    ck_assert_double_eq(p0.energy_j, 0.0); /* the open is the baseline */

    set_energy("intel-rapl:0", 1000000 + 5000000);
    set_energy("intel-rapl:1", 2000000 + 7000000);
    /* these must never be counted by the default spec */
    set_energy("intel-rapl:0:0", 99000000);
    set_energy("intel-rapl:0:1", 99000000);
    set_energy("intel-rapl:0:2", 99000000);
    set_energy("intel-rapl:2", 999000000);
    advance_ms(500);
    ck_assert_status(llmc_meter_read(m), LLMC_OK);
    p0 = channel(m, "rapl:package-0");
    p1 = channel(m, "rapl:package-1");
    ck_assert_double_eq(p0.energy_j, 5.0);
    ck_assert_double_eq(p1.energy_j, 7.0);
    ck_assert_uint_eq(p0.quality, 0);
    /* the counters' joules over the 500 ms between the reads */
    ck_assert_rel(p0.power_w, 10.0, 1e-12);
    ck_assert_rel(p1.power_w, 14.0, 1e-12);
    ck_assert_ptr_nonnull(strstr(p0.detail, "wraps every ~262 s"));
    expect_diag(m, "rapl: reading package-0, package-1");
    llmc_meter_free(m);
}
END_TEST

START_TEST(test_rapl_package_dram_adds_each_socket_dram)
{
    llmc_meter *m;
    llmc_channel d0, d1;

    two_socket_host();
    m = meter_ok("rapl:package,dram");
    ck_assert_uint_eq(llmc_meter_channel_count(m), 4);
    (void)channel(m, "rapl:package-0");
    (void)channel(m, "rapl:package-1");
    d0 = channel(m, "rapl:dram-0");
    d1 = channel(m, "rapl:dram-1");
    ck_assert_str_eq(d0.device, "dram-0");
    ck_assert_str_eq(d1.device, "dram-1");
    set_energy("intel-rapl:1:1", 200000 + 1500000);
    ck_assert_status(llmc_meter_read(m), LLMC_OK);
    ck_assert_double_eq(channel(m, "rapl:dram-0").energy_j, 0.0);
    ck_assert_double_eq(channel(m, "rapl:dram-1").energy_j, 1.5);
    ck_assert_double_eq(channel(m, "rapl:package-0").energy_j, 0.0);
    llmc_meter_free(m);
}
END_TEST

START_TEST(test_rapl_psys_alone_reads_psys)
{
    llmc_meter *m;
    two_socket_host();
    m = meter_ok("rapl:psys");
    ck_assert_uint_eq(llmc_meter_channel_count(m), 1);
    ck_assert_str_eq(channel_at(m, 0).name, "rapl:psys");
    set_energy("intel-rapl:2", 9000000 + 42000000);
    set_energy("intel-rapl:0", 77000000);
    ck_assert_status(llmc_meter_read(m), LLMC_OK);
    ck_assert_double_eq(channel_at(m, 0).energy_j, 42.0);
    llmc_meter_free(m);
}
END_TEST

START_TEST(test_rapl_refuses_nested_domains)
{
    two_socket_host();
    expect_open_fails("rapl:package,psys", LLMC_EINVAL);
    ck_assert_error_mentions("psys");
    ck_assert_error_mentions("contains package");
    ck_assert_error_mentions("twice");
    expect_open_fails("rapl:package,core", LLMC_EINVAL);
    ck_assert_error_mentions("package contains core and uncore");
    expect_open_fails("rapl:uncore,package", LLMC_EINVAL);
    ck_assert_error_mentions("twice");
}
END_TEST

START_TEST(test_rapl_unknown_domain_lists_zones_present)
{
    two_socket_host();
    expect_open_fails("rapl:gpu", LLMC_EINVAL);
    ck_assert_error_mentions("'gpu' is not a RAPL domain");
    ck_assert_error_mentions("package-0, core-0, uncore-0, dram-0");
    ck_assert_error_mentions("psys");
}
END_TEST

START_TEST(test_rapl_core_and_dram_are_disjoint)
{
    llmc_meter *m;
    two_socket_host();
    m = meter_ok("rapl:core,dram");
    ck_assert_uint_eq(llmc_meter_channel_count(m), 4);
    (void)channel(m, "rapl:core-0");
    (void)channel(m, "rapl:core-1");
    llmc_meter_free(m);
}
END_TEST

START_TEST(test_rapl_missing_domain_is_enodev)
{
    /* an AMD host: packages and core only */
    zone("intel-rapl:0", "package-0", 0, RANGE_UJ);
    zone("intel-rapl:0:0", "core", 0, RANGE_UJ);
    expect_open_fails("rapl:package,dram", LLMC_ENODEV);
    ck_assert_error_mentions("no dram zone");
    ck_assert_error_mentions("package-0, core-0");
}
END_TEST

START_TEST(test_rapl_sums_multi_die_packages_separately)
{
    llmc_meter *m;
    zone("intel-rapl:0", "package-0-die-0", 0, RANGE_UJ);
    zone("intel-rapl:1", "package-0-die-1", 0, RANGE_UJ);
    m = meter_ok("rapl");
    ck_assert_uint_eq(llmc_meter_channel_count(m), 2);
    set_energy("intel-rapl:0", 3000000);
    set_energy("intel-rapl:1", 4000000);
    ck_assert_status(llmc_meter_read(m), LLMC_OK);
    ck_assert_double_eq(channel(m, "rapl:package-0-die-0").energy_j, 3.0);
    ck_assert_double_eq(channel(m, "rapl:package-0-die-1").energy_j, 4.0);
    llmc_meter_free(m);
}
END_TEST

/* ---- RAPL counters ------------------------------------------------------ */

START_TEST(test_rapl_counter_wraps_once)
{
    llmc_meter *m;
    llmc_channel ch;

    zone("intel-rapl:0", "package-0", RANGE_UJ - 1000000, RANGE_UJ);
    m = meter_ok("rapl");
    set_energy("intel-rapl:0", 2000000);
    ck_assert_status(llmc_meter_read(m), LLMC_OK);
    ch = channel_at(m, 0);
    ck_assert_double_eq(ch.energy_j, 3.0);
    ck_assert_uint_eq(ch.quality, LLMC_QUALITY_WRAPPED);
    set_energy("intel-rapl:0", 2500000);
    ck_assert_status(llmc_meter_read(m), LLMC_OK);
    ck_assert_double_eq(channel_at(m, 0).energy_j, 3.5);
    llmc_meter_free(m);
}
END_TEST

START_TEST(test_rapl_decrease_without_range_is_reset)
{
    llmc_meter *m;
    llmc_channel ch;

    zone("intel-rapl:0", "package-0", 10000000, 0);
    m = meter_ok("rapl");
    ck_assert_ptr_nonnull(strstr(channel_at(m, 0).detail, "reset"));
    set_energy("intel-rapl:0", 4000000);
    ck_assert_status(llmc_meter_read(m), LLMC_OK);
    ch = channel_at(m, 0);
    ck_assert_double_eq(ch.energy_j, 0.0);
    ck_assert_uint_eq(ch.quality, LLMC_QUALITY_RESET);
    ck_assert(isnan(ch.power_w));
    set_energy("intel-rapl:0", 5000000);
    ck_assert_status(llmc_meter_read(m), LLMC_OK);
    ck_assert_double_eq(channel_at(m, 0).energy_j, 1.0);
    llmc_meter_free(m);
}
END_TEST

START_TEST(test_rapl_garbage_counter_is_eformat_and_nan)
{
    llmc_meter *m;
    llmc_channel ch;

    zone("intel-rapl:0", "package-0", 0, RANGE_UJ);
    put("class/powercap/intel-rapl:0/energy_uj", "abc\n");
    m = meter_ok("rapl");
    ch = channel_at(m, 0);
    ck_assert_int_eq(ch.status, LLMC_EFORMAT);
    ck_assert(isnan(ch.energy_j)); /* never a silent 0 */
    ck_assert_ptr_nonnull(strstr(ch.detail, "intel-rapl:0/energy_uj"));
    ck_assert_ptr_nonnull(strstr(ch.detail, "'abc'"));
    ck_assert(ch.quality & LLMC_QUALITY_GAP);
    ck_assert_status(llmc_meter_read(m), LLMC_EFORMAT);
    ck_assert_error_mentions("energy_uj");
    ck_assert(isnan(channel_at(m, 0).energy_j));
    /* once it reads, it counts from there, and the note comes back */
    set_energy("intel-rapl:0", 7000000);
    ck_assert_status(llmc_meter_read(m), LLMC_OK);
    ch = channel_at(m, 0);
    ck_assert_double_eq(ch.energy_j, 0.0);
    ck_assert_int_eq(ch.status, LLMC_OK);
    ck_assert_ptr_nonnull(strstr(ch.detail, "wraps every"));
    set_energy("intel-rapl:0", 8000000);
    ck_assert_status(llmc_meter_read(m), LLMC_OK);
    ck_assert_double_eq(channel_at(m, 0).energy_j, 1.0);
    llmc_meter_free(m);
}
END_TEST

/* ---- RAPL duplicates, permissions, absence ------------------------------ */

START_TEST(test_rapl_mmio_duplicate_is_read_once)
{
    llmc_meter *m;

    zone("intel-rapl:0", "package-0", 1000000, RANGE_UJ);
    zone("intel-rapl-mmio:0", "package-0", 3000000, RANGE_UJ);
    m = meter_ok("rapl");
    ck_assert_uint_eq(llmc_meter_channel_count(m), 1);
    ck_assert_str_eq(channel_at(m, 0).name, "rapl:package-0");
    expect_diag(m, "package-0 is under both intel-rapl:0 and "
                   "intel-rapl-mmio:0; reading intel-rapl-mmio:0 only, so "
                   "that it is not counted twice (intel-rapl:0 dropped)");
    /* MMIO is the one read */
    set_energy("intel-rapl-mmio:0", 3000000 + 2000000);
    set_energy("intel-rapl:0", 1000000 + 9000000);
    ck_assert_status(llmc_meter_read(m), LLMC_OK);
    ck_assert_double_eq(channel_at(m, 0).energy_j, 2.0);
    llmc_meter_free(m);
}
END_TEST

START_TEST(test_rapl_unreadable_mmio_falls_back_to_msr)
{
    llmc_meter *m;
    char path[1024];

    zone("intel-rapl:0", "package-0", 1000000, RANGE_UJ);
    zone("intel-rapl-mmio:0", "package-0", 3000000, RANGE_UJ);
    zone_path(path, sizeof path, "intel-rapl-mmio:0", "energy_uj");
    ck_assert_int_eq(unlink(path), 0); /* unreadable even for root */
    m = meter_ok("rapl");
    ck_assert_uint_eq(llmc_meter_channel_count(m), 1);
    expect_diag(m, "package-0 is under both intel-rapl:0 and "
                   "intel-rapl-mmio:0; reading intel-rapl:0 only");
    expect_diag(m, "(intel-rapl-mmio:0 dropped: its energy_uj is "
                   "unreadable)");
    set_energy("intel-rapl:0", 1000000 + 4000000);
    ck_assert_status(llmc_meter_read(m), LLMC_OK);
    ck_assert_double_eq(channel_at(m, 0).energy_j, 4.0);
    llmc_meter_free(m);
}
END_TEST

/* A zone whose counter cannot be read for a reason other than permission
 * (here energy_uj is a directory: EISDIR) is skipped with the reason, the
 * others still read; with no other zone, explicit rapl is LLMC_EIO and
 * auto says why in its diagnostics. */
START_TEST(test_rapl_unreadable_zone_is_skipped_with_its_error)
{
    llmc_meter *m;
    char path[1024];

    zone("intel-rapl:0", "package-0", 1000000, RANGE_UJ);
    zone_path(path, sizeof path, "intel-rapl:0", "energy_uj");
    ck_assert_int_eq(remove(path), 0);
    ck_assert_int_eq(mkdir(path, 0755), 0);

    expect_open_fails("rapl", LLMC_EIO);
    ck_assert_error_mentions("rapl: no readable zone: ");
    ck_assert_error_mentions(path);
    ck_assert_error_mentions(strerror(EISDIR));
    m = meter_ok("auto");
    ck_assert_uint_eq(count_prefix(m, "rapl:"), 0);
    expect_diag(m, "rapl: no readable zone: ");
    expect_diag(m, strerror(EISDIR));
    llmc_meter_free(m);

    zone("intel-rapl:1", "package-1", 2000000, RANGE_UJ);
    m = meter_ok("rapl");
    ck_assert_uint_eq(llmc_meter_channel_count(m), 1);
    ck_assert_str_eq(channel_at(m, 0).name, "rapl:package-1");
    expect_diag(m, "rapl: reading package-1");
    expect_diag(m, "; zone skipped");
    set_energy("intel-rapl:1", 2000000 + 4500000);
    ck_assert_status(llmc_meter_read(m), LLMC_OK);
    ck_assert_double_eq(channel_at(m, 0).energy_j, 4.5);
    llmc_meter_free(m);
}
END_TEST

/* Mode bits do not stop root, and CI runs as root: the permission tests
 * give the fake tree to nobody and drop to that user. Check runs each test
 * in a process of its own, so nothing else runs unprivileged. */
static void become_unprivileged(void)
{
    char cmd[1200];
    if (geteuid() != 0)
        return;
    snprintf(cmd, sizeof cmd, "chown -R 65534:65534 '%s'", root);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(setgroups(0, NULL), 0);
    ck_assert_int_eq(setgid(65534), 0);
    ck_assert_int_eq(setuid(65534), 0);
    ck_assert_int_ne(geteuid(), 0);
}

START_TEST(test_rapl_permission_denied_names_cve_and_remedies)
{
    llmc_meter *m;
    char path[1024];

    become_unprivileged();
    zone("intel-rapl:0", "package-0", 1000000, RANGE_UJ);
    zone_path(path, sizeof path, "intel-rapl:0", "energy_uj");
    ck_assert_int_eq(chmod(path, 0), 0);

    /* explicit, nothing readable: one actionable error */
    expect_open_fails("rapl", LLMC_EPERM);
    ck_assert_error_mentions(path);
    ck_assert_error_mentions("CVE-2020-8694");
    ck_assert_error_mentions("udev");
    ck_assert_error_mentions("SUBSYSTEM==\"powercap\"");
    ck_assert_error_mentions("/sys%p/energy_uj");
    ck_assert_error_mentions("CAP_DAC_READ_SEARCH");
    /* and no remedy this library cannot use (the perf power PMU) */
    ck_assert_ptr_null(strstr(llmc_last_error(), "PMU"));

    /* auto, nothing readable: no channel, one diagnostic line */
    m = meter_ok("auto");
    ck_assert_uint_eq(count_prefix(m, "rapl:"), 0);
    expect_diag(m, "CVE-2020-8694");
    llmc_meter_free(m);

    /* a readable second package is still used, in auto and explicit */
    zone("intel-rapl:1", "package-1", 2000000, RANGE_UJ);
    m = meter_ok("auto");
    ck_assert_uint_eq(count_prefix(m, "rapl:"), 1);
    ck_assert_str_eq(channel(m, "rapl:package-1").device, "package-1");
    expect_diag(m, path);
    expect_diag(m, "CVE-2020-8694");
    llmc_meter_free(m);
    m = meter_ok("rapl");
    ck_assert_uint_eq(llmc_meter_channel_count(m), 1);
    set_energy("intel-rapl:1", 2000000 + 6000000);
    ck_assert_status(llmc_meter_read(m), LLMC_OK);
    ck_assert_double_eq(channel_at(m, 0).energy_j, 6.0);
    expect_diag(m, "udev");
    llmc_meter_free(m);
}
END_TEST

START_TEST(test_rapl_absent_tree)
{
    llmc_meter *m = meter_ok("auto");
    ck_assert_uint_eq(count_prefix(m, "rapl:"), 0);
    expect_diag(m, "rapl: no powercap RAPL zones under");
    expect_diag(m, "mount it read-only");
    llmc_meter_free(m);
    expect_open_fails("rapl", LLMC_ENODEV);
    ck_assert_error_mentions("powercap");
    ck_assert_error_mentions(root);
}
END_TEST

/* ---- amdgpu ------------------------------------------------------------- */

START_TEST(test_amdgpu_counter_reads_energy)
{
    llmc_meter *m;
    llmc_channel ch;

    amd_card(0, "amdgpu", "AMD Instinct MI300X\n");
    amd_file(0, "energy1_input", 10000000);
    m = meter_ok("amdgpu");
    ck_assert_uint_eq(llmc_meter_channel_count(m), 1);
    ch = channel_at(m, 0);
    ck_assert_str_eq(ch.name, "amdgpu:0");
    ck_assert_str_eq(ch.device, "AMD Instinct MI300X");
    ck_assert_int_eq(ch.method, LLMC_METHOD_COUNTER);
    ck_assert_int_eq(ch.node_level, 0);
    amd_file(0, "energy1_input", 10000000 + 2500000);
    ck_assert_status(llmc_meter_read(m), LLMC_OK);
    ch = channel_at(m, 0);
    ck_assert_double_eq(ch.energy_j, 2.5);
    ck_assert_uint_eq(ch.quality, 0);
    /* no range file: a decrease is a reset */
    amd_file(0, "energy1_input", 100);
    ck_assert_status(llmc_meter_read(m), LLMC_OK);
    ch = channel_at(m, 0);
    ck_assert_double_eq(ch.energy_j, 2.5);
    ck_assert_uint_eq(ch.quality, LLMC_QUALITY_RESET);
    llmc_meter_free(m);
}
END_TEST

START_TEST(test_amdgpu_tells_a_tracker_the_devices_memory_and_limit)
{
    /* rocm-smi's name, 192 GiB and a 750 W default cap: the tracker finds
     * the MI300X from the meter and says from what */
    llmc_tracker *t;
    char *report, rel[256];
    json_t *root, *e;
    json_error_t err;

    amd_card(0, "amdgpu", "AMD Instinct MI300X\n");
    amd_file(0, "energy1_input", 10000000);
    amd_file(0, "power1_cap_default", 750000000);
    snprintf(rel, sizeof rel, "class/drm/card0/device/mem_info_vram_total");
    put_u64(rel, UINT64_C(192) << 30);
    ck_assert_status(llmc_tracker_new(&t), LLMC_OK);
    ck_assert_status(llmc_tracker_configure(t, "meters=amdgpu; "
                                               "grid=const:500g/kWh; "
                                               "sampler=inline"),
                     LLMC_OK);
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    ck_assert_status(llmc_tracker_report_json(&report, t), LLMC_OK);
    ck_assert_ptr_nonnull(root = json_loads(report, 0, &err));
    e = json_object_get(root, "embodied");
    ck_assert_str_eq(json_string_value(json_object_get(e, "hardware")),
                     "AMD Instinct MI300X");
    ck_assert_str_eq(json_string_value(json_object_get(e, "hardware_from")),
                     "1 device as amdgpu:0 reports it: 'AMD Instinct "
                     "MI300X', 192 GiB, 750 W limit");
    json_decref(root);
    llmc_free(report);
    llmc_tracker_free(t);
}
END_TEST

START_TEST(test_amdgpu_power_is_integrated_and_stuck_counter_falls_back)
{
    llmc_meter *m;
    llmc_channel ch;
    double e0;

    amd_card(1, "amdgpu", NULL);
    amd_file(1, "power1_average", 150000000); /* 150 W */
    amd_card(3, "amdgpu", "AMD Instinct MI100");
    amd_file(3, "energy1_input", 123456);     /* stuck */
    amd_file(3, "power1_average", 100000000); /* 100 W */

    m = meter_ok("amdgpu:all"); /* its first read is the baseline */
    ck_assert_uint_eq(llmc_meter_channel_count(m), 2);
    ch = channel(m, "amdgpu:1");
    ck_assert_str_eq(ch.device, "AMD GPU card1");
    ck_assert_int_eq(ch.method, LLMC_METHOD_POWER);
    ck_assert_ptr_nonnull(strstr(ch.detail, "integrated"));
    ck_assert_int_eq(channel(m, "amdgpu:3").method, LLMC_METHOD_COUNTER);
    ck_assert_status(llmc_meter_read(m), LLMC_OK);
    e0 = channel(m, "amdgpu:1").energy_j;
    /* not yet 200 ms: the unmoved counter is still trusted */
    ck_assert_int_eq(channel(m, "amdgpu:3").method, LLMC_METHOD_COUNTER);
    advance_ms(210);
    ck_assert_status(llmc_meter_read(m), LLMC_OK);

    ch = channel(m, "amdgpu:1");
    ck_assert_int_eq(ch.method, LLMC_METHOD_POWER);
    ck_assert_uint_eq(ch.quality, 0); /* the normal path, not a fallback */
    ck_assert_rel(ch.energy_j - e0, 150.0 * 0.210, 1e-9);
    ck_assert_rel(ch.power_w, 150.0, 1e-9);

    /* the stuck span runs from the open's baseline read to the last read */
    ch = channel(m, "amdgpu:3");
    ck_assert_int_eq(ch.method, LLMC_METHOD_POWER);
    ck_assert_uint_eq(ch.quality, LLMC_QUALITY_FALLBACK);
    ck_assert_rel(ch.power_w, 100.0, 1e-9);
    ck_assert_rel(ch.energy_j, 100.0 * 0.210, 1e-9);
    ck_assert_ptr_nonnull(strstr(ch.detail, "stuck"));
    ck_assert_ptr_nonnull(strstr(ch.detail, "100 W"));
    llmc_meter_free(m);
}
END_TEST

START_TEST(test_amdgpu_advancing_counter_is_kept_under_load)
{
    llmc_meter *m;
    llmc_channel ch;

    amd_card(0, "amdgpu", NULL);
    amd_file(0, "energy1_input", 0);
    amd_file(0, "power1_average", 300000000);
    m = meter_ok("amdgpu:0");
    amd_file(0, "energy1_input", 1000000);
    ck_assert_status(llmc_meter_read(m), LLMC_OK);
    advance_ms(210);
    /* stuck only after it was seen advancing: still the counter */
    ck_assert_status(llmc_meter_read(m), LLMC_OK);
    ch = channel_at(m, 0);
    ck_assert_int_eq(ch.method, LLMC_METHOD_COUNTER);
    ck_assert_uint_eq(ch.quality, 0);
    ck_assert_double_eq(ch.energy_j, 1.0);
    llmc_meter_free(m);
}
END_TEST

START_TEST(test_amdgpu_ignores_other_hwmon_and_missing_cards)
{
    llmc_meter *m;

    amd_card(0, "amdgpu", NULL);
    amd_file(0, "energy1_input", 0);
    amd_card(2, "nouveau", NULL);
    amd_file(2, "power1_average", 50000000);
    m = meter_ok("amdgpu");
    ck_assert_uint_eq(llmc_meter_channel_count(m), 1);
    ck_assert_str_eq(channel_at(m, 0).name, "amdgpu:0");
    expect_diag(m, "amdgpu: reading card0 (energy counter)");
    llmc_meter_free(m);
    expect_open_fails("amdgpu:2", LLMC_ENODEV);
    ck_assert_error_mentions("card2");
    expect_open_fails("amdgpu:3", LLMC_ENODEV);
    ck_assert_error_mentions("no AMD GPU card3");
    ck_assert_error_mentions("card0");
    expect_open_fails("amdgpu:x", LLMC_EINVAL);
}
END_TEST

/* Two MI300X on cards 0 and 1 that ROCm counts the other way round: KFD
 * node 1 (GPU 0 to ROCm) drives card1 through renderD129, node 2 (GPU 1)
 * card0 through renderD128; node 0 is the CPU. */
static void rocm_node(int node, const char *props)
{
    char rel[128];
    snprintf(rel, sizeof rel, "class/kfd/kfd/topology/nodes/%d/properties",
             node);
    put(rel, props);
}

static void render_node(int minor, int card)
{
    char link[1024], target[64];
    snprintf(link, sizeof link, "%s/class/drm/renderD%d", root, minor);
    mkdirs(link);
    snprintf(link, sizeof link, "%s/class/drm/renderD%d/device", root, minor);
    snprintf(target, sizeof target, "../card%d/device", card);
    ck_assert_int_eq(symlink(target, link), 0);
}

static void rocm_host(int with_topology)
{
    for (int n = 0; n < 2; n++) {
        amd_card(n, "amdgpu", NULL);
        amd_file(n, "energy1_input", 1000);
    }
    render_node(128, 0);
    render_node(129, 1);
    if (!with_topology)
        return;
    rocm_node(0, "cpu_cores_count 96\nsimd_count 0\nunique_id 0\n");
    rocm_node(1, "cpu_cores_count 0\nsimd_count 1216\ndrm_render_minor 129\n"
                 "unique_id 3735928559\n"); /* GPU-deadbeef */
    rocm_node(2, "cpu_cores_count 0\nsimd_count 1216\ndrm_render_minor 128\n"
                 "unique_id 4660\n"); /* GPU-1234 */
}

/* The channels of meter spec as "amdgpu:0 amdgpu:1", under the given
 * ROCR_VISIBLE_DEVICES, HIP_VISIBLE_DEVICES and CUDA_VISIBLE_DEVICES
 * (NULL: unset). */
static const char *visible(const char *spec, const char *rocr,
                           const char *hip, const char *cuda)
{
    static char names[128];
    const char *vars[] = {"ROCR_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES",
                          "CUDA_VISIBLE_DEVICES"};
    const char *vals[] = {rocr, hip, cuda};
    size_t used = 0;
    llmc_meter *m;
    for (int i = 0; i < 3; i++)
        if (vals[i])
            setenv(vars[i], vals[i], 1);
        else
            unsetenv(vars[i]);
    m = meter_ok(spec);
    names[0] = '\0';
    for (size_t i = 0; i < llmc_meter_channel_count(m); i++)
        used += (size_t)snprintf(names + used, sizeof names - used, "%s%s",
                                 i ? " " : "", channel_at(m, i).name);
    llmc_meter_free(m);
    return names;
}

START_TEST(test_amdgpu_follows_rocm_visible_devices)
{
    rocm_host(1);
    ck_assert_str_eq(visible("amdgpu", NULL, NULL, NULL),
                     "amdgpu:0 amdgpu:1");
    /* ROCm's GPU 0 is card1, its GPU 1 card0 */
    ck_assert_str_eq(visible("amdgpu", "0", NULL, NULL), "amdgpu:1");
    ck_assert_str_eq(visible("amdgpu", NULL, "1", NULL), "amdgpu:0");
    ck_assert_str_eq(visible("amdgpu:all", NULL, NULL, "1"), "amdgpu:0");
    /* HIP counts within what ROCR leaves: [card0, card1], then its 1 */
    ck_assert_str_eq(visible("amdgpu", "1,0", "1", NULL), "amdgpu:1");
    /* HIP_VISIBLE_DEVICES wins over CUDA_VISIBLE_DEVICES */
    ck_assert_str_eq(visible("amdgpu", NULL, "0", "1"), "amdgpu:1");
    /* by unique id */
    ck_assert_str_eq(visible("amdgpu", "GPU-1234", NULL, NULL), "amdgpu:0");
    ck_assert_str_eq(visible("amdgpu", "GPU-deadbeef,GPU-1234", "0", NULL),
                     "amdgpu:1");
    /* the first entry that names no GPU ends the list, and is reported */
    ck_assert_str_eq(visible("amdgpu", NULL, "0,7,1", NULL), "amdgpu:1");
    {
        llmc_meter *m = meter_ok("amdgpu");
        expect_diag(m, "HIP_VISIBLE_DEVICES entry '7' names no GPU");
        llmc_meter_free(m);
    }
    /* explicit card numbers are what they say, whatever ROCm is told */
    ck_assert_str_eq(visible("amdgpu:0", "0", "0", NULL), "amdgpu:0");
    /* nothing visible: a specific failure */
    setenv("HIP_VISIBLE_DEVICES", "5", 1);
    expect_open_fails("amdgpu", LLMC_ENODEV);
    ck_assert_error_mentions("select none of the AMD GPUs (card0, card1)");
    ck_assert_error_mentions("'5' names no GPU");
    setenv("HIP_VISIBLE_DEVICES", "", 1);
    expect_open_fails("amdgpu", LLMC_ENODEV);
    unsetenv("ROCR_VISIBLE_DEVICES");
    unsetenv("HIP_VISIBLE_DEVICES");
    unsetenv("CUDA_VISIBLE_DEVICES");
}
END_TEST

START_TEST(test_amdgpu_without_kfd_topology_reads_every_card_and_says_so)
{
    llmc_meter *m;
    rocm_host(0);
    ck_assert_str_eq(visible("amdgpu", NULL, "1", NULL), "amdgpu:0 amdgpu:1");
    m = meter_ok("amdgpu");
    expect_diag(m, "HIP_VISIBLE_DEVICES is set, but there is no "
                   "/sys/class/kfd topology");
    llmc_meter_free(m);
    unsetenv("HIP_VISIBLE_DEVICES");
}
END_TEST

START_TEST(test_amdgpu_absent)
{
    llmc_meter *m = meter_ok("auto");
    ck_assert_uint_eq(count_prefix(m, "amdgpu:"), 0);
    expect_diag(m, "amdgpu: no AMD GPU under");
    llmc_meter_free(m);
    expect_open_fails("amdgpu", LLMC_ENODEV);
    ck_assert_error_mentions("amdgpu driver");
}
END_TEST

/* A card whose amdgpu hwmon has no energy or power file is skipped and
 * said to be; alone it leaves nothing to read (LLMC_ENODEV explicit, a
 * diagnostic in auto). A card with no product name or PCI slot is named
 * by its index. */
START_TEST(test_amdgpu_card_without_readings_is_skipped_and_named)
{
    llmc_meter *m;
    llmc_channel ch;

    amd_card(0, "amdgpu", NULL); /* a hwmon with nothing to read */
    expect_open_fails("amdgpu", LLMC_ENODEV);
    ck_assert_error_mentions("amdgpu: no readable AMD GPU: ");
    ck_assert_error_mentions(
        "hwmon2 has no energy1_input, power1_average or power1_input");
    m = meter_ok("auto");
    ck_assert_uint_eq(count_prefix(m, "amdgpu:"), 0);
    expect_diag(m, "amdgpu: no readable AMD GPU: ");
    llmc_meter_free(m);

    amd_card(1, "amdgpu", NULL);
    put("class/drm/card1/device/uevent", "DRIVER=amdgpu\n");
    amd_file(1, "energy1_input", 1000000);
    m = meter_ok("amdgpu");
    ck_assert_uint_eq(llmc_meter_channel_count(m), 1);
    ch = channel_at(m, 0);
    ck_assert_str_eq(ch.name, "amdgpu:1");
    ck_assert_str_eq(ch.device, "AMD GPU card1");
    ck_assert_int_eq(ch.method, LLMC_METHOD_COUNTER);
    expect_diag(m, "amdgpu: reading card1 (energy counter)");
    expect_diag(m, "has no energy1_input, power1_average or power1_input; "
                   "card skipped");
    amd_file(1, "energy1_input", 1000000 + 2500000);
    ck_assert_status(llmc_meter_read(m), LLMC_OK);
    ck_assert_double_eq(channel_at(m, 0).energy_j, 2.5);
    llmc_meter_free(m);
}
END_TEST

START_TEST(test_amdgpu_permission_denied)
{
    char path[1024];
    become_unprivileged();
    amd_card(0, "amdgpu", NULL);
    amd_file(0, "energy1_input", 0);
    snprintf(path, sizeof path,
             "%s/class/drm/card0/device/hwmon/hwmon2/energy1_input", root);
    ck_assert_int_eq(chmod(path, 0), 0);
    expect_open_fails("amdgpu", LLMC_EPERM);
    ck_assert_error_mentions(path);
}
END_TEST

static Suite *meter_sysfs_suite(void)
{
    Suite *s = suite_create("meter_sysfs");
    TCase *rapl = tcase_create("rapl");
    TCase *amd = tcase_create("amdgpu");

    tcase_add_checked_fixture(rapl, tree_new, tree_free);
    tcase_add_test(rapl, test_rapl_default_reads_packages_only);
    tcase_add_test(rapl, test_rapl_package_dram_adds_each_socket_dram);
    tcase_add_test(rapl, test_rapl_psys_alone_reads_psys);
    tcase_add_test(rapl, test_rapl_refuses_nested_domains);
    tcase_add_test(rapl, test_rapl_unknown_domain_lists_zones_present);
    tcase_add_test(rapl, test_rapl_core_and_dram_are_disjoint);
    tcase_add_test(rapl, test_rapl_missing_domain_is_enodev);
    tcase_add_test(rapl, test_rapl_sums_multi_die_packages_separately);
    tcase_add_test(rapl, test_rapl_counter_wraps_once);
    tcase_add_test(rapl, test_rapl_decrease_without_range_is_reset);
    tcase_add_test(rapl, test_rapl_garbage_counter_is_eformat_and_nan);
    tcase_add_test(rapl, test_rapl_mmio_duplicate_is_read_once);
    tcase_add_test(rapl, test_rapl_unreadable_mmio_falls_back_to_msr);
    tcase_add_test(rapl, test_rapl_permission_denied_names_cve_and_remedies);
    tcase_add_test(rapl, test_rapl_absent_tree);
    tcase_add_test(rapl, test_rapl_unreadable_zone_is_skipped_with_its_error);
    suite_add_tcase(s, rapl);

    tcase_add_checked_fixture(amd, tree_new, tree_free);
    tcase_add_test(amd, test_amdgpu_counter_reads_energy);
    tcase_add_test(amd, test_amdgpu_tells_a_tracker_the_devices_memory_and_limit);
    tcase_add_test(amd,
                   test_amdgpu_power_is_integrated_and_stuck_counter_falls_back);
    tcase_add_test(amd, test_amdgpu_advancing_counter_is_kept_under_load);
    tcase_add_test(amd, test_amdgpu_ignores_other_hwmon_and_missing_cards);
    tcase_add_test(amd, test_amdgpu_follows_rocm_visible_devices);
    tcase_add_test(amd, test_amdgpu_without_kfd_topology_reads_every_card_and_says_so);
    tcase_add_test(amd, test_amdgpu_absent);
    tcase_add_test(amd, test_amdgpu_permission_denied);
    tcase_add_test(amd, test_amdgpu_card_without_readings_is_skipped_and_named);
    suite_add_tcase(s, amd);
    return s;
}

int main(void)
{
    int failed;
    SRunner *sr = srunner_create(meter_sysfs_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
