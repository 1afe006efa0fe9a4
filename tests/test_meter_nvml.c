/*
 * test_meter_nvml.c - the nvml meter against a fake libnvidia-ml.so.1
 * (tests/fake_nvml.c, found through LLMC_NVML_LIBRARY) whose counters
 * follow a known truth: energy_mJ = P_mW x elapsed_ms / 1000 since init.
 *
 * The library's time is manual (lib/core/clock.c): the test advances it,
 * and the fake follows the same clock (fake_nvml_use_clock), so that every
 * energy is checked against P x the time between the reads exactly, and no
 * test waits for, or depends on, the machine's clock.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <check.h>
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "llmcarbon.h"
#include "testutil.h"
/* manual time: the test links the static archive */
#include "../lib/core/internal.h"

static const char *fake_path;
static int (*fake_init_count)(void);
static void (*fake_use_clock)(int64_t (*now)(void));

/* Relative error of an energy: the counter's whole mJ are whole at these
 * powers and times, and the trapezoid rule is exact on a line, so what is
 * left is the rounding of doubles. */
#define EXACT 1e-9

/* ---- helpers ----------------------------------------------------------- */

/* Seconds from window a to window b. */
#define SECONDS(a, b) ((double)((b).at_ns - (a).at_ns) / 1e9)

static void advance_ms(long ms)
{
    llmc__clock_advance_ns((int64_t)ms * 1000000);
}

/* The manual time of a read (or an open). */
struct window {
    int64_t at_ns;
};

static void fake_env(void)
{
    static const char *const vars[] = {
        "FAKE_NVML_DEVICES", "FAKE_NVML_POWER_MW", "FAKE_NVML_NO_ENERGY",
        "FAKE_NVML_NO_POWER", "FAKE_NVML_NO_NAME_UUID", "FAKE_NVML_INIT_ERROR",
        "FAKE_NVML_UUIDS", "FAKE_NVML_MIG_UUIDS", "FAKE_NVML_NAME",
        "FAKE_NVML_RESET_AFTER_MS", "FAKE_NVML_COUNTER_STEP_MS",
        "FAKE_NVML_ENERGY_OFFSET_MJ", "FAKE_NVML_POWER_RAMP_MW_PER_S", "FAKE_NVML_ENERGY_ERROR",
        "FAKE_NVML_ENERGY_ERROR_AFTER_MS", "FAKE_NVML_ENERGY_ERROR_FOR_MS",
        "CUDA_VISIBLE_DEVICES"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
    setenv("LLMC_NVML_LIBRARY", fake_path, 1);
    /* "auto" also tries rapl and amdgpu: give them nothing to find */
    setenv("LLMC_SYSFS_ROOT", "/nonexistent/llmc-test-nvml-sysfs", 1);
    /* a counter far from 0, as after days of driver uptime */
    setenv("FAKE_NVML_ENERGY_OFFSET_MJ", "987654321", 1);
}

static void setup(void)
{
    fake_env();
    /* time moves when the test says, for the library and the fake */
    llmc__clock_manual(0);
    fake_use_clock(llmc__now_ns);
}

/* Meters a test opened and has not freed: with CK_FORK=no (valgrind), a
 * failed test must not leave NVML initialised for the next one. */
static llmc_meter *live[8];

static void close_meter(llmc_meter *m)
{
    for (size_t i = 0; i < sizeof live / sizeof live[0]; i++)
        if (live[i] == m)
            live[i] = NULL;
    llmc_meter_free(m);
}

static void teardown(void)
{
    for (size_t i = 0; i < sizeof live / sizeof live[0]; i++)
        if (live[i])
            close_meter(live[i]);
}

static llmc_meter *open_ok(const char *spec, struct window *w)
{
    llmc_meter *m = NULL;
    struct window tmp;
    if (!w)
        w = &tmp;
    w->at_ns = llmc__now_ns();
    ck_assert_status(llmc_meter_open(&m, spec), LLMC_OK);
    ck_assert_ptr_nonnull(m);
    for (size_t i = 0; i < sizeof live / sizeof live[0]; i++)
        if (!live[i]) {
            live[i] = m;
            break;
        }
    return m;
}

static void open_fails(const char *spec, int status)
{
    llmc_meter *m = NULL;
    ck_assert_status(llmc_meter_open(&m, spec), status);
    ck_assert_ptr_null(m);
    ck_assert_int_eq(fake_init_count(), 0);
}

static struct window read_now(llmc_meter *m, int want)
{
    struct window w;
    w.at_ns = llmc__now_ns();
    ck_assert_status(llmc_meter_read(m), want);
    return w;
}

static llmc_channel channel(const llmc_meter *m, size_t i)
{
    llmc_channel ch;
    llmc_channel_init(&ch, sizeof ch);
    ck_assert_status(llmc_meter_channel(&ch, m, i), LLMC_OK);
    return ch;
}

/* The channel called name; fails the test when there is none. */
static llmc_channel named(const llmc_meter *m, const char *name)
{
    for (size_t i = 0; i < llmc_meter_channel_count(m); i++) {
        llmc_channel ch = channel(m, i);
        if (strcmp(ch.name, name) == 0)
            return ch;
    }
    ck_abort_msg("no channel %s", name);
    return channel(m, 0);
}

static size_t nvml_channels(const llmc_meter *m)
{
    size_t n = 0;
    for (size_t i = 0; i < llmc_meter_channel_count(m); i++)
        if (strncmp(channel(m, i).name, "nvml:", 5) == 0)
            n++;
    return n;
}

/* energy_j over [a, b] at power_w: P x (b - a), exactly. */
static void assert_energy(double energy_j, double power_w, struct window a,
                          struct window b)
{
    double dt = SECONDS(a, b);
    ck_assert_msg(!isnan(energy_j), "energy is NaN");
    ck_assert_msg(REL_OK(energy_j, power_w * dt, EXACT),
                  "energy %.9f J, want %.9f J (%.1f W for %.3f s)", energy_j,
                  power_w * dt, power_w, dt);
}

#define ck_assert_mentions(text, part)                                        \
    ck_assert_msg(strstr((text), (part)) != NULL, "'%s' not in: %s", (part),  \
                  (text))

/* ---- counters ---------------------------------------------------------- */

START_TEST(test_nvml_two_gpus_counter_match_truth)
{
    static const double watts[] = {300.0, 450.0};
    struct window w0, w1, w2;
    double e1[2];
    llmc_meter *m;

    setenv("FAKE_NVML_DEVICES", "2", 1);
    setenv("FAKE_NVML_POWER_MW", "300000,450000", 1);
    m = open_ok("nvml:all", &w0);
    ck_assert_uint_eq(llmc_meter_channel_count(m), 2);
    for (size_t i = 0; i < 2; i++) {
        /* the open's read is the baseline: 0 J, not NaN */
        llmc_channel ch = channel(m, i);
        ck_assert_double_eq(ch.energy_j, 0.0);
        ck_assert_int_eq(ch.status, LLMC_OK);
    }
    advance_ms(200);
    w1 = read_now(m, LLMC_OK);
    for (size_t i = 0; i < 2; i++) {
        llmc_channel ch = channel(m, i);
        e1[i] = ch.energy_j;
        assert_energy(ch.energy_j, watts[i], w0, w1);
    }
    advance_ms(200);
    w2 = read_now(m, LLMC_OK);
    for (size_t i = 0; i < 2; i++) {
        llmc_channel ch = channel(m, i);
        char name[16];
        snprintf(name, sizeof name, "nvml:%zu", i);
        ck_assert_str_eq(ch.name, name);
        ck_assert_str_eq(ch.device, "NVIDIA H100 80GB HBM3");
        ck_assert_str_eq(llmc_method_name(ch.method), "counter");
        ck_assert_int_eq(ch.status, LLMC_OK);
        ck_assert_uint_eq(ch.quality, 0);
        ck_assert_int_eq(ch.node_level, 0);
        assert_energy(ch.energy_j - e1[i], watts[i], w1, w2);
        assert_energy(ch.energy_j, watts[i], w0, w2);
        /* the mean power over the last interval */
        ck_assert_rel(ch.power_w, watts[i], EXACT);
    }
    ck_assert_mentions(llmc_meter_diagnostics(m), "nvml: 2 GPUs");
    ck_assert_int_eq(fake_init_count(), 1);
    close_meter(m);
    ck_assert_int_eq(fake_init_count(), 0);
}
END_TEST

START_TEST(test_nvml_units_1000_mw_for_1_s_is_1_j)
{
    struct window w0, w1;
    llmc_meter *m;

    /* nvml:0 by the counter (mJ), nvml:1 by power (mW) */
    setenv("FAKE_NVML_DEVICES", "2", 1);
    setenv("FAKE_NVML_POWER_MW", "1000,1000", 1);
    setenv("FAKE_NVML_NO_ENERGY", "1", 1);
    m = open_ok("nvml:all", &w0);
    advance_ms(1000);
    w1 = read_now(m, LLMC_OK);
    for (size_t i = 0; i < 2; i++) {
        llmc_channel ch = channel(m, i);
        ck_assert_str_eq(llmc_method_name(ch.method),
                         i == 0 ? "counter" : "power");
        assert_energy(ch.energy_j, 1.0, w0, w1);
        ck_assert_msg(ch.energy_j == 1.0, "%s: %.17g J, want 1 J", ch.name,
                      ch.energy_j);
        ck_assert_rel(ch.power_w, 1.0, EXACT);
    }
    close_meter(m);
}
END_TEST

START_TEST(test_nvml_no_counter_falls_back_to_power)
{
    struct window w0, w1, w2;
    llmc_channel ch;
    double e1;
    llmc_meter *m;

    setenv("FAKE_NVML_DEVICES", "2", 1);
    setenv("FAKE_NVML_POWER_MW", "250000,400000", 1);
    setenv("FAKE_NVML_NO_ENERGY", "0", 1);
    m = open_ok("nvml:all", &w0);
    advance_ms(150);
    w1 = read_now(m, LLMC_OK);
    e1 = named(m, "nvml:0").energy_j;
    assert_energy(e1, 250.0, w0, w1);
    advance_ms(150);
    w2 = read_now(m, LLMC_OK);

    ch = named(m, "nvml:0");
    ck_assert_str_eq(llmc_method_name(ch.method), "power");
    ck_assert_uint_eq(ch.quality, LLMC_QUALITY_FALLBACK);
    ck_assert_int_eq(ch.status, LLMC_OK);
    ck_assert_mentions(ch.detail, "not supported");
    ck_assert_mentions(ch.detail, "trapezoid");
    assert_energy(ch.energy_j - e1, 250.0, w1, w2);
    assert_energy(ch.energy_j, 250.0, w0, w2);
    ck_assert_rel(ch.power_w, 250.0, 1e-9);

    ch = named(m, "nvml:1");
    ck_assert_str_eq(llmc_method_name(ch.method), "counter");
    ck_assert_uint_eq(ch.quality, 0);
    assert_energy(ch.energy_j, 400.0, w0, w2);
    close_meter(m);
}
END_TEST

START_TEST(test_nvml_method_power_forces_integration_for_comparison)
{
    struct window w0, w1;
    llmc_channel ch;
    llmc_meter *m;

    setenv("FAKE_NVML_DEVICES", "1", 1);
    setenv("FAKE_NVML_POWER_MW", "320000", 1);
    setenv("LLMC_NVML_METHOD", "power", 1);
    m = open_ok("nvml:0", &w0);
    advance_ms(200);
    w1 = read_now(m, LLMC_OK);
    ch = named(m, "nvml:0");
    ck_assert_str_eq(llmc_method_name(ch.method), "power");
    ck_assert_mentions(ch.detail, "LLMC_NVML_METHOD=power");
    assert_energy(ch.energy_j, 320.0, w0, w1);
    close_meter(m);
    unsetenv("LLMC_NVML_METHOD");
}
END_TEST

/* Energy of a ramp P0 + R x (t - t_init) over [a, b]. */
static double ramp_energy(double p0_w, double r_w_per_s, double t_init,
                          double a, double b)
{
    return p0_w * (b - a) +
           r_w_per_s / 2.0 * ((b - t_init) * (b - t_init) -
                              (a - t_init) * (a - t_init));
}

START_TEST(test_nvml_power_is_integrated_with_the_trapezoid_rule)
{
    /* 100 W growing by 1000 W/s: over 0.2 s, a one-sided sum is off by
     * 20 J; the trapezoid rule is exact on a line */
    struct window w[4];
    double e = 0.0, want;
    llmc_channel ch;
    llmc_meter *m;

    setenv("FAKE_NVML_POWER_MW", "100000", 1);
    setenv("FAKE_NVML_POWER_RAMP_MW_PER_S", "1000000", 1);
    setenv("FAKE_NVML_NO_ENERGY", "0", 1);
    m = open_ok("nvml:0", &w[0]);
    for (int i = 1; i < 4; i++) {
        advance_ms(200);
        w[i] = read_now(m, LLMC_OK);
        ch = channel(m, 0);
        ck_assert_str_eq(llmc_method_name(ch.method), "power");
        /* the init is at the open; the trapezoid is exact on the ramp */
        want = ramp_energy(100.0, 1000.0, 0.0, SECONDS(w[0], w[i - 1]),
                           SECONDS(w[0], w[i]));
        ck_assert_msg(REL_OK(ch.energy_j - e, want, EXACT),
                      "interval %d: %.9f J, want %.9f J", i, ch.energy_j - e,
                      want);
        /* the mean power of the interval, at its middle */
        ck_assert_rel(ch.power_w, want / SECONDS(w[i - 1], w[i]), EXACT);
        e = ch.energy_j;
    }
    close_meter(m);
}
END_TEST

START_TEST(test_nvml_neither_counter_nor_power_in_auto)
{
    struct window w0, w1;
    llmc_channel ch;
    llmc_meter *m;

    setenv("FAKE_NVML_DEVICES", "2", 1);
    setenv("FAKE_NVML_NO_ENERGY", "1", 1);
    setenv("FAKE_NVML_NO_POWER", "1", 1);
    m = open_ok("auto", &w0);
    ck_assert_uint_eq(nvml_channels(m), 2);
    advance_ms(100);
    w1 = read_now(m, LLMC_ENOTSUP);
    ck_assert_error_mentions("nvml:1");

    ch = named(m, "nvml:1");
    ck_assert_str_eq(llmc_method_name(ch.method), "none");
    ck_assert_int_eq(ch.status, LLMC_ENOTSUP);
    ck_assert_msg(isnan(ch.energy_j), "energy %g, want NaN", ch.energy_j);
    ck_assert_msg(isnan(ch.power_w), "power %g, want NaN", ch.power_w);
    ck_assert_mentions(ch.detail, "neither");
    ck_assert_mentions(ch.detail, "model:");

    /* the other GPU is still measured */
    ch = named(m, "nvml:0");
    ck_assert_int_eq(ch.status, LLMC_OK);
    assert_energy(ch.energy_j, 300.0, w0, w1);
    close_meter(m);
    ck_assert_int_eq(fake_init_count(), 0);
}
END_TEST

START_TEST(test_nvml_neither_counter_nor_power_explicit_fails)
{
    setenv("FAKE_NVML_DEVICES", "2", 1);
    setenv("FAKE_NVML_NO_ENERGY", "1", 1);
    setenv("FAKE_NVML_NO_POWER", "1", 1);
    open_fails("nvml:1", LLMC_ENOTSUP);
    ck_assert_error_mentions("GPU 1");
    ck_assert_error_mentions("neither");
    open_fails("nvml:all", LLMC_ENOTSUP);
    open_fails("nvml", LLMC_ENOTSUP);
    /* the GPU that works is fine on its own */
    close_meter(open_ok("nvml:0", NULL));
    ck_assert_int_eq(fake_init_count(), 0);
}
END_TEST

START_TEST(test_nvml_reset_is_flagged_and_not_counted)
{
    struct window w[5];
    double e[5];
    int reset_at = -1;
    double counted_s = 0.0;
    llmc_meter *m;

    setenv("FAKE_NVML_RESET_AFTER_MS", "250", 1);
    m = open_ok("nvml:0", &w[0]);
    e[0] = channel(m, 0).energy_j;
    for (int i = 1; i < 5; i++) {
        llmc_channel ch;
        advance_ms(120);
        w[i] = read_now(m, LLMC_OK);
        ch = channel(m, 0);
        e[i] = ch.energy_j;
        ck_assert_msg(e[i] >= e[i - 1], "energy went back: %.6f then %.6f",
                      e[i - 1], e[i]);
        if ((ch.quality & LLMC_QUALITY_RESET) && reset_at < 0) {
            reset_at = i;
            ck_assert_mentions(ch.detail, "driver reloaded");
            ck_assert_int_eq(ch.status, LLMC_OK);
            /* the interval with the reset is not counted */
            ck_assert_double_eq(e[i], e[i - 1]);
        } else {
            assert_energy(e[i] - e[i - 1], 300.0, w[i - 1], w[i]);
            counted_s += SECONDS(w[i - 1], w[i]);
        }
    }
    /* the reset at 250 ms is seen by the read at 360 ms */
    ck_assert_int_eq(reset_at, 3);
    ck_assert_str_eq(llmc_method_name(channel(m, 0).method), "counter");
    /* the truth minus the lost interval: 3 x 120 ms at 300 W */
    ck_assert_double_eq(counted_s, 0.360);
    ck_assert_rel(e[4], 300.0 * counted_s, EXACT);
    ck_assert(e[4] < 300.0 * SECONDS(w[0], w[4]));
    close_meter(m);
}
END_TEST

START_TEST(test_nvml_window_shorter_than_update_is_too_short)
{
    struct window w0, w;
    llmc_channel ch;
    llmc_meter *m;

    setenv("FAKE_NVML_COUNTER_STEP_MS", "50", 1);
    m = open_ok("nvml:0", &w0);
    for (int i = 0; i < 3; i++) {
        advance_ms(10);
        w = read_now(m, LLMC_OK);
    }
    ch = channel(m, 0);
    ck_assert_uint_eq(ch.quality & LLMC_QUALITY_TOO_SHORT,
                      LLMC_QUALITY_TOO_SHORT);
    ck_assert_int_eq(ch.status, LLMC_OK);
    ck_assert_mentions(ch.detail, "100 ms");
    /* 30 ms in, the counter has not moved from its first 50 ms step */
    ck_assert_double_eq(ch.energy_j, 0.0);
    (void)w;
    /* a long enough window counts all the counter says: at 230 ms, its
     * last step was at 200 ms */
    advance_ms(200);
    w = read_now(m, LLMC_OK);
    ck_assert_double_eq(SECONDS(w0, w), 0.230);
    ch = channel(m, 0);
    ck_assert_rel(ch.energy_j, 300.0 * 0.200, EXACT);
    close_meter(m);
}
END_TEST

/* ---- read failures ----------------------------------------------------- */

START_TEST(test_nvml_transient_failure_loses_nothing)
{
    struct window w0, w1, w2;
    llmc_channel ch;
    llmc_meter *m;

    setenv("FAKE_NVML_ENERGY_ERROR", "10", 1); /* NVML_ERROR_TIMEOUT */
    setenv("FAKE_NVML_ENERGY_ERROR_AFTER_MS", "50", 1);
    setenv("FAKE_NVML_ENERGY_ERROR_FOR_MS", "400", 1);
    m = open_ok("nvml:0", &w0);
    advance_ms(200);
    w1 = read_now(m, LLMC_EIO);
    ck_assert_error_mentions("Timeout");
    ch = channel(m, 0);
    ck_assert_int_eq(ch.status, LLMC_EIO);
    ck_assert_uint_eq(ch.quality, LLMC_QUALITY_GAP);
    ck_assert_double_eq(ch.energy_j, 0.0);
    ck_assert_mentions(ch.detail, "cumulative");
    advance_ms(350);
    w2 = read_now(m, LLMC_OK);
    ch = channel(m, 0);
    ck_assert_int_eq(ch.status, LLMC_OK);
    ck_assert_str_eq(llmc_method_name(ch.method), "counter");
    /* all of it, the failed interval included */
    assert_energy(ch.energy_j, 300.0, w0, w2);
    (void)w1;
    close_meter(m);
}
END_TEST

START_TEST(test_nvml_lost_gpu_stops_the_channel)
{
    struct window w0, w1;
    llmc_channel ch;
    double e1;
    llmc_meter *m;

    setenv("FAKE_NVML_ENERGY_ERROR", "15", 1); /* NVML_ERROR_GPU_IS_LOST */
    setenv("FAKE_NVML_ENERGY_ERROR_AFTER_MS", "100", 1);
    setenv("FAKE_NVML_ENERGY_ERROR_FOR_MS", "300", 1);
    m = open_ok("nvml:0", &w0);
    advance_ms(30);
    w1 = read_now(m, LLMC_OK);
    e1 = channel(m, 0).energy_j;
    assert_energy(e1, 300.0, w0, w1);
    advance_ms(200);
    read_now(m, LLMC_ENODEV);
    ch = channel(m, 0);
    ck_assert_int_eq(ch.status, LLMC_ENODEV);
    ck_assert_mentions(ch.detail, "lost");
    ck_assert_mentions(ch.detail, "stops counting");
    ck_assert_double_eq(ch.energy_j, e1);
    /* the fake answers again by now, but a lost GPU is not read again */
    advance_ms(400);
    read_now(m, LLMC_ENODEV);
    ck_assert_int_eq(channel(m, 0).status, LLMC_ENODEV);
    ck_assert_double_eq(channel(m, 0).energy_j, e1);
    close_meter(m);
    ck_assert_int_eq(fake_init_count(), 0);
}
END_TEST

START_TEST(test_nvml_counter_unsupported_later_switches_to_power)
{
    struct window w0, w1, w2, w3;
    llmc_channel ch;
    llmc_meter *m;

    setenv("FAKE_NVML_ENERGY_ERROR", "3", 1); /* NVML_ERROR_NOT_SUPPORTED */
    setenv("FAKE_NVML_ENERGY_ERROR_AFTER_MS", "150", 1);
    m = open_ok("nvml:0", &w0);
    advance_ms(50);
    w1 = read_now(m, LLMC_OK);
    ck_assert_str_eq(llmc_method_name(channel(m, 0).method), "counter");
    advance_ms(200);
    w2 = read_now(m, LLMC_OK);
    ch = channel(m, 0);
    ck_assert_str_eq(llmc_method_name(ch.method), "power");
    ck_assert_uint_eq(ch.quality & LLMC_QUALITY_FALLBACK,
                      LLMC_QUALITY_FALLBACK);
    ck_assert_mentions(ch.detail, "stopped working");
    advance_ms(150);
    w3 = read_now(m, LLMC_OK);
    /* constant power: the switch loses nothing */
    assert_energy(channel(m, 0).energy_j, 300.0, w0, w3);
    (void)w1;
    (void)w2;
    close_meter(m);
}
END_TEST

/* ---- which GPUs -------------------------------------------------------- */

START_TEST(test_nvml_cuda_visible_devices_by_index)
{
    struct window w0, w1;
    llmc_channel ch;
    llmc_meter *m;

    setenv("FAKE_NVML_DEVICES", "2", 1);
    setenv("FAKE_NVML_POWER_MW", "300000,450000", 1);
    setenv("CUDA_VISIBLE_DEVICES", "1", 1);
    m = open_ok("nvml:all", &w0);
    ck_assert_uint_eq(llmc_meter_channel_count(m), 1);
    advance_ms(100);
    w1 = read_now(m, LLMC_OK);
    ch = channel(m, 0);
    ck_assert_str_eq(ch.name, "nvml:1");
    assert_energy(ch.energy_j, 450.0, w0, w1);
    ck_assert_mentions(llmc_meter_diagnostics(m), "CUDA_VISIBLE_DEVICES=1");
    close_meter(m);

    /* the order is CUDA's; a token that matches nothing ends the list */
    setenv("CUDA_VISIBLE_DEVICES", "1,0", 1);
    m = open_ok("nvml", NULL);
    ck_assert_uint_eq(llmc_meter_channel_count(m), 2);
    ck_assert_str_eq(channel(m, 0).name, "nvml:1");
    ck_assert_str_eq(channel(m, 1).name, "nvml:0");
    close_meter(m);
    setenv("CUDA_VISIBLE_DEVICES", "1,7,0", 1);
    m = open_ok("nvml:all", NULL);
    ck_assert_uint_eq(llmc_meter_channel_count(m), 1);
    ck_assert_str_eq(channel(m, 0).name, "nvml:1");
    ck_assert_mentions(llmc_meter_diagnostics(m), "'7' matches no GPU");
    close_meter(m);

    /* explicit NVML indices ignore CUDA_VISIBLE_DEVICES */
    setenv("CUDA_VISIBLE_DEVICES", "", 1);
    m = open_ok("nvml:1", NULL);
    ck_assert_uint_eq(llmc_meter_channel_count(m), 1);
    ck_assert_str_eq(channel(m, 0).name, "nvml:1");
    close_meter(m);
}
END_TEST

START_TEST(test_nvml_cuda_visible_devices_by_uuid)
{
    llmc_meter *m;

    setenv("FAKE_NVML_DEVICES", "2", 1);
    setenv("CUDA_VISIBLE_DEVICES", "GPU-fake-0001", 1);
    m = open_ok("nvml:all", NULL);
    ck_assert_uint_eq(llmc_meter_channel_count(m), 1);
    ck_assert_str_eq(channel(m, 0).name, "nvml:1");
    close_meter(m);

    /* a unique prefix is enough; an ambiguous one matches nothing */
    setenv("FAKE_NVML_UUIDS",
           "GPU-8f3c1234-aaaa-bbbb-cccc-000000000000,"
           "GPU-77aa0000-dddd-eeee-ffff-111111111111",
           1);
    setenv("CUDA_VISIBLE_DEVICES", "GPU-77a", 1);
    m = open_ok("nvml:all", NULL);
    ck_assert_uint_eq(llmc_meter_channel_count(m), 1);
    ck_assert_str_eq(channel(m, 0).name, "nvml:1");
    close_meter(m);
    setenv("CUDA_VISIBLE_DEVICES", "GPU-", 1);
    open_fails("nvml:all", LLMC_ENODEV);
}
END_TEST

START_TEST(test_nvml_cuda_visible_devices_mig_reads_parent)
{
    llmc_channel ch;
    llmc_meter *m;

    setenv("FAKE_NVML_DEVICES", "2", 1);
    /* the pre-R470 form names the parent GPU */
    setenv("CUDA_VISIBLE_DEVICES",
           "MIG-GPU-fake-0001/1/0,MIG-GPU-fake-0001/2/0", 1);
    m = open_ok("nvml:all", NULL);
    ck_assert_uint_eq(llmc_meter_channel_count(m), 1); /* the GPU once */
    ch = channel(m, 0);
    ck_assert_str_eq(ch.name, "nvml:1");
    ck_assert_str_eq(llmc_method_name(ch.method), "counter");
    ck_assert_mentions(ch.detail, "whole GPU");
    close_meter(m);

    /* the current form is resolved through NVML */
    setenv("FAKE_NVML_MIG_UUIDS",
           ",MIG-5c2a9e4d-1111-2222-3333-444444444444", 1);
    setenv("CUDA_VISIBLE_DEVICES", "MIG-5c2a9e4d-1111-2222-3333-444444444444",
           1);
    m = open_ok("nvml:all", NULL);
    ck_assert_uint_eq(llmc_meter_channel_count(m), 1);
    ch = channel(m, 0);
    ck_assert_str_eq(ch.name, "nvml:1");
    ck_assert_mentions(ch.detail, "whole GPU");
    ck_assert_mentions(ch.detail, "GPU-fake-0001");
    close_meter(m);
}
END_TEST

static const char *const no_gpu_values[] = {"", "-1", "NoDevFiles"};

START_TEST(test_nvml_cuda_visible_devices_none)
{
    llmc_meter *m;

    setenv("FAKE_NVML_DEVICES", "2", 1);
    setenv("CUDA_VISIBLE_DEVICES", no_gpu_values[_i], 1);
    open_fails("nvml:all", LLMC_ENODEV);
    ck_assert_error_mentions("CUDA_VISIBLE_DEVICES");
    m = open_ok("auto", NULL);
    ck_assert_uint_eq(nvml_channels(m), 0);
    ck_assert_mentions(llmc_meter_diagnostics(m),
                       "nvml: CUDA_VISIBLE_DEVICES");
    close_meter(m);
    ck_assert_int_eq(fake_init_count(), 0);
}
END_TEST

START_TEST(test_nvml_explicit_indices)
{
    llmc_meter *m;

    setenv("FAKE_NVML_DEVICES", "2", 1);
    open_fails("nvml:0,5", LLMC_ENODEV);
    ck_assert_error_mentions("GPU 5");
    ck_assert_error_mentions("2 GPUs");
    open_fails("nvml:x", LLMC_EPARSE);
    ck_assert_error_mentions("'x'");
    open_fails("nvml:0,-1", LLMC_EPARSE);

    m = open_ok("nvml:1,0,1", NULL);
    ck_assert_uint_eq(llmc_meter_channel_count(m), 2);
    ck_assert_str_eq(channel(m, 0).name, "nvml:1");
    ck_assert_str_eq(channel(m, 1).name, "nvml:0");
    close_meter(m);
    ck_assert_int_eq(fake_init_count(), 0);
}
END_TEST

START_TEST(test_nvml_missing_name_and_uuid)
{
    llmc_meter *m;
    llmc_channel ch;

    setenv("FAKE_NVML_NO_NAME_UUID", "1", 1);
    m = open_ok("nvml:all", NULL);
    ch = channel(m, 0);
    ck_assert_str_eq(ch.device, "GPU 0");
    ck_assert_str_eq(llmc_method_name(ch.method), "counter");
    close_meter(m);
}
END_TEST

/* ---- no NVML ----------------------------------------------------------- */

START_TEST(test_nvml_library_missing)
{
    llmc_meter *m;

    setenv("LLMC_NVML_LIBRARY", "/nonexistent/llmc-test/libnvidia-ml.so.1",
           1);
    m = open_ok("auto", NULL);
    ck_assert_uint_eq(nvml_channels(m), 0);
    ck_assert_mentions(llmc_meter_diagnostics(m), "nvml: ");
    ck_assert_mentions(llmc_meter_diagnostics(m), "LLMC_NVML_LIBRARY");
    close_meter(m);
    open_fails("nvml", LLMC_ENODEV);
    ck_assert_error_mentions("nvml");
    ck_assert_error_mentions("/nonexistent/llmc-test/libnvidia-ml.so.1");
    open_fails("nvml:all", LLMC_ENODEV);

    /* not the fake but a library without NVML in it */
    setenv("LLMC_NVML_LIBRARY", "libc.so.6", 1);
    open_fails("nvml", LLMC_ENOTSUP);
    ck_assert_error_mentions("nvmlInit_v2");
}
END_TEST

START_TEST(test_nvml_driver_not_loaded)
{
    llmc_meter *m;

    setenv("FAKE_NVML_INIT_ERROR", "9", 1); /* DRIVER_NOT_LOADED */
    m = open_ok("auto", NULL);
    ck_assert_uint_eq(nvml_channels(m), 0);
    ck_assert_mentions(llmc_meter_diagnostics(m), "nvml: ");
    ck_assert_mentions(llmc_meter_diagnostics(m), "driver is not loaded");
    close_meter(m);
    open_fails("nvml", LLMC_ENODEV);
    ck_assert_error_mentions("driver");
    ck_assert_error_mentions("Driver Not Loaded");
    ck_assert_error_mentions("9");

    setenv("FAKE_NVML_INIT_ERROR", "18", 1); /* LIB_RM_VERSION_MISMATCH */
    open_fails("nvml", LLMC_ENODEV);
    ck_assert_error_mentions("reboot");

    setenv("FAKE_NVML_INIT_ERROR", "4", 1); /* NO_PERMISSION */
    open_fails("nvml", LLMC_EPERM);
    ck_assert_error_mentions("/dev/nvidia");
}
END_TEST

START_TEST(test_nvml_no_gpu)
{
    llmc_meter *m;

    setenv("FAKE_NVML_DEVICES", "0", 1);
    m = open_ok("auto", NULL);
    ck_assert_uint_eq(nvml_channels(m), 0);
    ck_assert_mentions(llmc_meter_diagnostics(m), "no GPU");
    close_meter(m);
    open_fails("nvml", LLMC_ENODEV);
    ck_assert_error_mentions("no GPU");
}
END_TEST

/* ---- init and shutdown pair -------------------------------------------- */

START_TEST(test_nvml_init_paired_with_shutdown)
{
    llmc_meter *a, *b;

    setenv("FAKE_NVML_DEVICES", "3", 1);
    a = open_ok("nvml:all", NULL);
    ck_assert_int_eq(fake_init_count(), 1);
    b = open_ok("nvml:0,2+nvml:1", NULL);
    ck_assert_int_eq(fake_init_count(), 3);
    ck_assert_uint_eq(llmc_meter_channel_count(b), 3);
    close_meter(a);
    ck_assert_int_eq(fake_init_count(), 2);
    /* b still reads after a's shutdown */
    read_now(b, LLMC_OK);
    close_meter(b);
    ck_assert_int_eq(fake_init_count(), 0);

    /* a failure after a good part of the spec closes that part too */
    open_fails("nvml:0+nvml:9", LLMC_ENODEV);
    open_fails("nvml:0+nosuchmeter", LLMC_EPARSE);
}
END_TEST

static Suite *nvml_suite(void)
{
    Suite *s = suite_create("meter-nvml");
    TCase *tc = tcase_create("nvml");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_nvml_two_gpus_counter_match_truth);
    tcase_add_test(tc, test_nvml_units_1000_mw_for_1_s_is_1_j);
    tcase_add_test(tc, test_nvml_no_counter_falls_back_to_power);
    tcase_add_test(tc, test_nvml_method_power_forces_integration_for_comparison);
    tcase_add_test(tc, test_nvml_power_is_integrated_with_the_trapezoid_rule);
    tcase_add_test(tc, test_nvml_neither_counter_nor_power_in_auto);
    tcase_add_test(tc, test_nvml_neither_counter_nor_power_explicit_fails);
    tcase_add_test(tc, test_nvml_reset_is_flagged_and_not_counted);
    tcase_add_test(tc, test_nvml_window_shorter_than_update_is_too_short);
    tcase_add_test(tc, test_nvml_transient_failure_loses_nothing);
    tcase_add_test(tc, test_nvml_lost_gpu_stops_the_channel);
    tcase_add_test(tc, test_nvml_counter_unsupported_later_switches_to_power);
    tcase_add_test(tc, test_nvml_cuda_visible_devices_by_index);
    tcase_add_test(tc, test_nvml_cuda_visible_devices_by_uuid);
    tcase_add_test(tc, test_nvml_cuda_visible_devices_mig_reads_parent);
    tcase_add_loop_test(tc, test_nvml_cuda_visible_devices_none, 0,
                        (int)(sizeof no_gpu_values / sizeof no_gpu_values[0]));
    tcase_add_test(tc, test_nvml_explicit_indices);
    tcase_add_test(tc, test_nvml_missing_name_and_uuid);
    tcase_add_test(tc, test_nvml_library_missing);
    tcase_add_test(tc, test_nvml_driver_not_loaded);
    tcase_add_test(tc, test_nvml_no_gpu);
    tcase_add_test(tc, test_nvml_init_paired_with_shutdown);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr;
    void *fake;
    int failed;

    fake_path = getenv("LLMC_NVML_LIBRARY");
    if (!fake_path || !*fake_path) {
        fprintf(stderr, "test_meter_nvml: set LLMC_NVML_LIBRARY to the fake "
                        "libnvidia-ml.so.1 built from tests/fake_nvml.c\n");
        return 1;
    }
    /* The same object the library will dlopen: its init count is ours. */
    if (!(fake = dlopen(fake_path, RTLD_NOW | RTLD_LOCAL))) {
        fprintf(stderr, "test_meter_nvml: %s\n", dlerror());
        return 1;
    }
    {
        void *sym = dlsym(fake, "fake_nvml_init_count");
        if (!sym) {
            fprintf(stderr, "test_meter_nvml: %s is not the fake NVML\n",
                    fake_path);
            return 1;
        }
        memcpy(&fake_init_count, &sym, sizeof sym);
        if (!(sym = dlsym(fake, "fake_nvml_use_clock"))) {
            fprintf(stderr, "test_meter_nvml: %s has no "
                            "fake_nvml_use_clock: rebuild it\n", fake_path);
            return 1;
        }
        memcpy(&fake_use_clock, &sym, sizeof sym);
    }
    sr = srunner_create(nvml_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    dlclose(fake);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
