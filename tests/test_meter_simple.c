/*
 * test_meter_simple.c - meters that read no hardware (const, model, replay)
 * and the meter spec itself: known power in, known energy out, every bad
 * spec answered with its code and a message that names it. Time is the
 * library's manual time (lib/core/clock.c), which the tests advance: the
 * energies are exact.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
/* manual time: the test links the static archive */
#include "../lib/core/internal.h"

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/llmc-simple-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    llmc__clock_manual(0);
}

static void teardown(void)
{
    remove_tree(dir);
}

static void advance_ms(long ms)
{
    llmc__clock_advance_ns((int64_t)ms * 1000000);
}

static void write_text(const char *name, const char *text)
{
    char path[256];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    fputs(text, f);
    fclose(f);
}

static llmc_channel channel0(const llmc_meter *m)
{
    llmc_channel ch;
    llmc_channel_init(&ch, sizeof ch);
    ck_assert_status(llmc_meter_channel(&ch, m, 0), LLMC_OK);
    return ch;
}

/* A replay meter over the trace text (written as name in dir), read once
 * ms after it opens; the caller frees it. */
static llmc_meter *replay_read_after(const char *name, const char *text,
                                     long ms)
{
    llmc_meter *m;
    char spec[128];
    write_text(name, text);
    snprintf(spec, sizeof spec, "replay:%s/%s", dir, name);
    ck_assert_status(llmc_meter_open(&m, spec), LLMC_OK);
    advance_ms(ms);
    ck_assert_status(llmc_meter_read(m), LLMC_OK);
    return m;
}

START_TEST(test_const_meter_integrates_its_power)
{
    llmc_meter *m;
    llmc_channel ch;
    ck_assert_status(llmc_meter_open(&m, "const:1.5kW"), LLMC_OK);
    advance_ms(200);
    ck_assert_status(llmc_meter_read(m), LLMC_OK);
    ch = channel0(m);
    ck_assert_str_eq(ch.name, "const");
    ck_assert_int_eq(ch.method, LLMC_METHOD_CONST);
    ck_assert_double_eq(ch.power_w, 1500.0);
    /* 1.5 kW x 200 ms */
    ck_assert_rel(ch.energy_j, 300.0, 1e-12);
    llmc_meter_free(m);
}
END_TEST

START_TEST(test_replay_meter_integrates_the_trace)
{
    llmc_meter *m;
    llmc_channel ch;
    /* 100 W for 0.1 s, then 300 W until 10 s */
    write_text("trace.csv", "time_s,power_w\n# a comment\n0,100\n0.1,300\n10,0\n");
    {
        char spec[128];
        snprintf(spec, sizeof spec, "replay:%s/trace.csv", dir);
        ck_assert_status(llmc_meter_open(&m, spec), LLMC_OK);
    }
    advance_ms(300);
    ck_assert_status(llmc_meter_read(m), LLMC_OK);
    ch = channel0(m);
    ck_assert_str_eq(ch.name, "replay");
    ck_assert_int_eq(ch.method, LLMC_METHOD_CONST);
    ck_assert_msg(strstr(ch.detail, "3 rows") != NULL, "%s", ch.detail);
    /* 10 J for the first 0.1 s, then 300 W for 0.2 s */
    ck_assert_rel(ch.energy_j, 10.0 + 300.0 * 0.2, 1e-12);
    llmc_meter_free(m);
}
END_TEST

START_TEST(test_replay_meter_stops_at_the_end_of_the_trace)
{
    llmc_meter *m = replay_read_after("short.csv", "0,1000\n0.05,0\n", 150);
    llmc_channel ch = channel0(m);
    ck_assert_double_eq_tol(ch.energy_j, 50.0, 1e-9); /* 1 kW x 50 ms */
    ck_assert_msg(strstr(ch.detail, "ended") != NULL, "%s", ch.detail);
    llmc_meter_free(m);
}
END_TEST

START_TEST(test_replay_trace_starting_after_the_run_is_a_gap_not_0_j)
{
    /* absolute times, as a recorder writing the clock would: the run
     * never reaches the trace */
    llmc_meter *m = replay_read_after("late.csv",
                                      "1700000000,300\n1700000010,0\n", 100);
    llmc_channel ch = channel0(m);
    ck_assert_double_eq(ch.energy_j, 0.0);
    ck_assert_msg(ch.quality & LLMC_QUALITY_GAP, "quality 0x%x", ch.quality);
    ck_assert_status(ch.status, LLMC_ENODATA);
    ck_assert_msg(strstr(ch.detail, "starts at 1.7e+09 s") != NULL, "%s",
                  ch.detail);
    llmc_meter_free(m);
}
END_TEST

START_TEST(test_replay_trace_ending_before_the_run_flags_the_gap)
{
    llmc_meter *m = replay_read_after("short.csv", "0,1000\n0.05,0\n", 150);
    llmc_channel ch = channel0(m);
    ck_assert_double_eq_tol(ch.energy_j, 50.0, 1e-9);
    ck_assert_msg(ch.quality & LLMC_QUALITY_GAP, "quality 0x%x", ch.quality);
    ck_assert_status(ch.status, LLMC_ENODATA);
    ck_assert_msg(strstr(ch.detail, "no recorded power") != NULL, "%s",
                  ch.detail);
    llmc_meter_free(m);

    /* a trace that covers the run has no gap */
    m = replay_read_after("long.csv", "0,100\n1000,0\n", 50);
    ch = channel0(m);
    ck_assert_int_eq(ch.quality & LLMC_QUALITY_GAP, 0);
    ck_assert_status(ch.status, LLMC_OK);
    llmc_meter_free(m);
}
END_TEST

START_TEST(test_replay_rejects_bad_traces_with_line_numbers)
{
    llmc_meter *m = NULL;
    char spec[128];
    snprintf(spec, sizeof spec, "replay:%s/t.csv", dir);
    write_text("t.csv", "0,100\n5,200\n4,300\n");
    ck_assert_status(llmc_meter_open(&m, spec), LLMC_EFORMAT);
    ck_assert_error_mentions(":3:");
    ck_assert_error_mentions("increase");
    write_text("t.csv", "0,100\n1,watts\n");
    ck_assert_status(llmc_meter_open(&m, spec), LLMC_EFORMAT);
    ck_assert_error_mentions(":2:");
    write_text("t.csv", "0,100\n1,-5\n");
    ck_assert_status(llmc_meter_open(&m, spec), LLMC_ERANGE);
    write_text("t.csv", "0,100\n");
    ck_assert_status(llmc_meter_open(&m, spec), LLMC_EFORMAT);
    ck_assert_error_mentions("two rows");
    ck_assert_status(llmc_meter_open(&m, "replay:/nonexistent/trace.csv"),
                     LLMC_ENOTFOUND);
    ck_assert_error_mentions("/nonexistent/trace.csv");
    ck_assert_ptr_null(m);
}
END_TEST

/* replay names the file it needs; rows may be indented with blanks. */
START_TEST(test_replay_needs_a_file_and_takes_indented_rows)
{
    llmc_meter *m = NULL;
    llmc_channel ch;
    ck_assert_status(llmc_meter_open(&m, "replay"), LLMC_EPARSE);
    ck_assert_error_mentions("replay needs a trace file");
    ck_assert_status(llmc_meter_open(&m, "replay:"), LLMC_EPARSE);
    ck_assert_error_mentions("'replay:trace.csv'");
    ck_assert_ptr_null(m);

    m = replay_read_after("indented.csv", "  0,100\n\t10, 100\n", 100);
    ch = channel0(m);
    ck_assert_msg(strstr(ch.detail, "2 rows") != NULL, "%s", ch.detail);
    /* 100 W from the open to the read, 100 ms later */
    ck_assert_rel(ch.energy_j, 100.0 * 0.1, 1e-12);
    llmc_meter_free(m);
}
END_TEST

START_TEST(test_model_meter_with_utilisation_is_tdp_times_u)
{
    llmc_meter *m;
    llmc_channel ch;
    ck_assert_status(llmc_meter_open(&m, "model:NVIDIA L4@0.5"), LLMC_OK);
    advance_ms(100);
    llmc_meter_read(m);
    ch = channel0(m);
    ck_assert_str_eq(ch.name, "model:NVIDIA L4");
    ck_assert_int_eq(ch.method, LLMC_METHOD_MODEL);
    ck_assert_double_eq(ch.power_w, 36.0); /* 72 W x 0.5 */
    ck_assert_msg(strstr(ch.detail, "0.5 (given)") != NULL, "%s", ch.detail);
    llmc_meter_free(m);

    /* no utilisation for a GPU: 1.0 assumed, and said to be an upper bound */
    ck_assert_status(llmc_meter_open(&m, "model:h100-sxm"), LLMC_OK);
    llmc_meter_read(m);
    ch = channel0(m);
    ck_assert_double_eq(ch.power_w, 700.0);
    ck_assert_msg(strstr(ch.detail, "upper bound") != NULL, "%s", ch.detail);
    llmc_meter_free(m);
}
END_TEST

static void write_stat(unsigned long long busy, unsigned long long idle)
{
    char text[256], name[64];
    mkdir(dir, 0755);
    /* user nice system idle iowait irq softirq steal */
    snprintf(text, sizeof text, "cpu  %llu 0 0 %llu 0 0 0 0 0 0\ncpu0 1 0 0 1\n",
             busy, idle);
    snprintf(name, sizeof name, "stat");
    write_text(name, text);
}

START_TEST(test_model_meter_for_a_cpu_follows_proc_stat)
{
    llmc_meter *m;
    llmc_channel ch;
    double e1;
    setenv("LLMC_PROCFS_ROOT", dir, 1);
    write_stat(1000, 1000);
    ck_assert_status(llmc_meter_open(&m, "model:AMD EPYC 7742"), LLMC_OK);
    /* the CPU was 25% busy over the next interval: 225 W x 0.25 */
    write_stat(1000 + 100, 1000 + 300);
    advance_ms(200);
    ck_assert_status(llmc_meter_read(m), LLMC_OK);
    ch = channel0(m);
    ck_assert_int_eq(ch.method, LLMC_METHOD_MODEL);
    ck_assert_double_eq_tol(ch.power_w, 225.0 * 0.25, 1e-9);
    ck_assert_msg(strstr(ch.detail, "0.250") != NULL, "%s", ch.detail);
    e1 = ch.energy_j;
    /* idle: nothing more */
    write_stat(1100, 1300 + 400);
    advance_ms(100);
    llmc_meter_read(m);
    ch = channel0(m);
    ck_assert_double_eq(ch.power_w, 0.0);
    ck_assert_double_eq(ch.energy_j, e1);
    llmc_meter_free(m);

    /* no /proc/stat: a failure with the remedy, never a silent 0 */
    setenv("LLMC_PROCFS_ROOT", "/nonexistent", 1);
    ck_assert_status(llmc_meter_open(&m, "model:AMD EPYC 7742"), LLMC_OK);
    ck_assert_status(llmc_meter_read(m), LLMC_EIO);
    ch = channel0(m);
    ck_assert(isnan(ch.energy_j));
    ck_assert_msg(strstr(ch.detail, "LLMC_PROCFS_ROOT") != NULL, "%s",
                  ch.detail);
    llmc_meter_free(m);
    unsetenv("LLMC_PROCFS_ROOT");
}
END_TEST

/* A /proc/stat that reads but is not one: malformed content, named as
 * such with what the file holds, not a failed read. */
START_TEST(test_model_meter_says_a_proc_stat_without_a_cpu_line_is_malformed)
{
    llmc_meter *m;
    llmc_channel ch;
    setenv("LLMC_PROCFS_ROOT", dir, 1);
    mkdir(dir, 0755);
    write_text("stat", "intr 12 34\ncpu0 1 0 0 1\n");
    ck_assert_status(llmc_meter_open(&m, "model:AMD EPYC 7742"), LLMC_OK);
    ck_assert_status(llmc_meter_read(m), LLMC_EFORMAT);
    ch = channel0(m);
    ck_assert_int_eq(ch.status, LLMC_EFORMAT);
    ck_assert(isnan(ch.energy_j));
    ck_assert_msg(strstr(ch.detail, "'intr 12 34'") != NULL &&
                      strstr(ch.detail, "\"cpu\" line") != NULL,
                  "%s", ch.detail);
    llmc_meter_free(m);
    unsetenv("LLMC_PROCFS_ROOT");
}
END_TEST


/* A fake procfs under dir: cpuinfo (model, cores per package, packages)
 * and one stat file per process. */
static void write_cpuinfo(const char *model, int cores, int packages)
{
    char text[4096];
    size_t n = 0;
    for (int pkg = 0; pkg < packages; pkg++)
        for (int c = 0; c < 2; c++)
            n += (size_t)snprintf(text + n, sizeof text - n,
                                  "processor\t: %d\nmodel name\t: %s\n"
                                  "physical id\t: %d\ncpu cores\t: %d\n\n",
                                  pkg * 2 + c, model, pkg, cores);
    write_text("cpuinfo", text);
}

static void write_proc(long pid, long ppid, long utime, long stime,
                       long cutime, long cstime)
{
    char name[64], text[512];
    snprintf(name, sizeof name, "%ld", pid);
    {
        char path[256];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        mkdir(path, 0755);
    }
    /* a command name with a space and a ')' as real ones may have */
    snprintf(text, sizeof text,
             "%ld (py) worker) S %ld %ld %ld 0 -1 4194304 100 0 0 0 %ld %ld "
             "%ld %ld 20 0 1 0 100 1000 100\n",
             pid, ppid, ppid, ppid, utime, stime, cutime, cstime);
    snprintf(name, sizeof name, "%ld/stat", pid);
    write_text(name, text);
}

static void drop_proc(long pid)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%ld/stat", dir, pid);
    unlink(path);
    snprintf(path, sizeof path, "%s/%ld", dir, pid);
    rmdir(path);
}

START_TEST(test_cputime_meter_counts_this_process_and_its_children)
{
    long me = (long)getpid(), tck = sysconf(_SC_CLK_TCK);
    llmc_meter *m;
    llmc_channel ch;
    double e1;

    setenv("LLMC_PROCFS_ROOT", dir, 1);
    /* two packages of a 56-core CPU of 350 W: 6.25 W per core */
    write_cpuinfo("Intel(R) Xeon(R) Platinum 8480+ CPU @ 2.00GHz", 56, 2);
    write_proc(me, 1, 500, 100, 0, 0);
    write_proc(900001, me, 50, 50, 0, 0);     /* a child */
    write_proc(900002, 900001, 10, 0, 0, 0);  /* its child */
    write_proc(900003, 1, 7000, 0, 0, 0);     /* not ours */
    ck_assert_status(llmc_meter_open(&m, "cputime"), LLMC_OK);
    ch = channel0(m);
    ck_assert_int_eq(ch.method, LLMC_METHOD_MODEL);
    ck_assert_str_eq(ch.name, "model:cputime");
    ck_assert_str_eq(ch.device, "Intel Xeon Platinum 8480+");
    ck_assert(ch.quality & LLMC_QUALITY_ESTIMATED);
    ck_assert_msg(strstr(ch.detail, "6.25 W per core") != NULL &&
                      strstr(ch.detail, "TDP 350 W / 56 cores") != NULL,
                  "%s", ch.detail);
    ck_assert_status(llmc_meter_read(m), LLMC_OK);
    ck_assert_double_eq(channel0(m).energy_j, 0.0);

    /* 1 + 2 + 1 CPU-seconds in the tree, 100 outside it */
    write_proc(me, 1, 500 + tck, 100, 0, 0);
    write_proc(900001, me, 50 + tck, 50 + tck, 0, 0);
    write_proc(900002, 900001, 10 + tck, 0, 0, 0);
    write_proc(900003, 1, 7000 + 100 * tck, 0, 0, 0);
    advance_ms(100);
    ck_assert_status(llmc_meter_read(m), LLMC_OK);
    ch = channel0(m);
    ck_assert_double_eq_tol(ch.energy_j, 4 * 6.25, 1e-9);
    e1 = ch.energy_j;

    /* the grandchild ends and is reaped: its time moves into its
     * parent's cutime, and nothing is counted twice or lost */
    drop_proc(900002);
    write_proc(900001, me, 50 + tck, 50 + tck, 10 + tck, 0);
    advance_ms(20);
    ck_assert_status(llmc_meter_read(m), LLMC_OK);
    ck_assert_double_eq_tol(channel0(m).energy_j, e1, 1e-9);

    /* the child is re-parented away with its time: nothing, not less */
    write_proc(900001, 1, 50 + tck, 50 + tck, 10 + tck, 0);
    advance_ms(20);
    ck_assert_status(llmc_meter_read(m), LLMC_OK);
    ck_assert_double_eq_tol(channel0(m).energy_j, e1, 1e-9);
    ck_assert_double_eq(channel0(m).power_w, 0.0);

    /* never more than every package at its TDP: 2 x 350 W */
    write_proc(me, 1, 500 + 100000 * tck, 100, 0, 0);
    advance_ms(100);
    ck_assert_status(llmc_meter_read(m), LLMC_OK);
    ch = channel0(m);
    ck_assert_double_eq_tol(ch.power_w, 700.0, 1e-6);
    ck_assert_rel(ch.energy_j, e1 + 700.0 * 0.1, 1e-12);
    llmc_meter_free(m);
    unsetenv("LLMC_PROCFS_ROOT");
}
END_TEST

START_TEST(test_cputime_meter_names_its_cpu_or_says_it_is_a_default)
{
    long me = (long)getpid(), tck = sysconf(_SC_CLK_TCK);
    llmc_meter *m;
    llmc_channel ch;

    setenv("LLMC_PROCFS_ROOT", dir, 1);
    write_proc(me, 1, 0, 0, 0, 0);
    /* AMD's name carries a core count and "Processor" */
    write_cpuinfo("AMD EPYC 7763 64-Core Processor", 64, 1);
    ck_assert_status(llmc_meter_open(&m, "cputime"), LLMC_OK);
    ch = channel0(m);
    ck_assert_str_eq(ch.device, "AMD EPYC 7763");
    ck_assert_msg(strstr(ch.detail, "4.375 W per core") != NULL, "%s",
                  ch.detail);
    llmc_meter_free(m);

    /* a CPU the catalogue does not know: 12 W per core, said so */
    write_cpuinfo("Fictional Cores 9000", 8, 1);
    ck_assert_status(llmc_meter_open(&m, "cputime"), LLMC_OK);
    ck_assert_status(llmc_meter_read(m), LLMC_OK);
    write_proc(me, 1, tck / 2, 0, 0, 0); /* at most 96 W x 100 ms */
    advance_ms(100);
    ck_assert_status(llmc_meter_read(m), LLMC_OK);
    ch = channel0(m);
    ck_assert_str_eq(ch.device, "Fictional Cores 9000");
    ck_assert_msg(strstr(ch.detail, "12 W per core, a default") != NULL &&
                      strstr(ch.detail, "cputime:CPU") != NULL,
                  "%s", ch.detail);
    ck_assert_double_eq_tol(ch.energy_j, 0.5 * 12.0, 1e-9);
    llmc_meter_free(m);

    /* a CPU given by name wins over cpuinfo: 225 W / 8 cores here */
    ck_assert_status(llmc_meter_open(&m, "cputime:AMD EPYC 7742"), LLMC_OK);
    ch = channel0(m);
    ck_assert_str_eq(ch.device, "AMD EPYC 7742");
    ck_assert_msg(strstr(ch.detail, "28.12 W per core") != NULL &&
                      strstr(ch.detail, "given") != NULL,
                  "%s", ch.detail);
    llmc_meter_free(m);
    ck_assert_status(llmc_meter_open(&m, "cputime:H100 SXM"), LLMC_EINVAL);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(llmc_last_error(), "not a CPU") != NULL, "%s",
                  llmc_last_error());
    ck_assert_status(llmc_meter_open(&m, "cputime:Nonesuch 1"),
                     LLMC_ENOTFOUND);

    /* no cpuinfo at all: the default, for an unnamed CPU */
    {
        char path[256];
        snprintf(path, sizeof path, "%s/cpuinfo", dir);
        ck_assert_int_eq(unlink(path), 0);
    }
    ck_assert_status(llmc_meter_open(&m, "cputime"), LLMC_OK);
    ch = channel0(m);
    ck_assert_str_eq(ch.device, "an unnamed CPU");
    ck_assert_msg(strstr(ch.detail, "12 W per core, a default") != NULL, "%s",
                  ch.detail);
    llmc_meter_free(m);

    /* the process cannot be read: a failure, never a silent 0 */
    drop_proc(me);
    ck_assert_status(llmc_meter_open(&m, "cputime"), LLMC_OK);
    ck_assert_status(llmc_meter_read(m), LLMC_EIO);
    ch = channel0(m);
    ck_assert(isnan(ch.energy_j));
    ck_assert_msg(strstr(ch.detail, "/stat") != NULL, "%s", ch.detail);
    llmc_meter_free(m);
    unsetenv("LLMC_PROCFS_ROOT");
}
END_TEST

START_TEST(test_model_meters_are_flagged_estimated)
{
    llmc_meter *m;
    ck_assert_status(llmc_meter_open(&m, "model:H100 SXM@0.5+const:10W"),
                     LLMC_OK);
    ck_assert_uint_eq(llmc_meter_channel_count(m), 2);
    {
        llmc_channel a, b;
        llmc_channel_init(&a, sizeof a);
        llmc_channel_init(&b, sizeof b);
        ck_assert_status(llmc_meter_channel(&a, m, 0), LLMC_OK);
        ck_assert_status(llmc_meter_channel(&b, m, 1), LLMC_OK);
        ck_assert(a.quality & LLMC_QUALITY_ESTIMATED);
        ck_assert(!(b.quality & LLMC_QUALITY_ESTIMATED)); /* given */
    }
    llmc_meter_free(m);
}
END_TEST

START_TEST(test_model_meter_errors)
{
    llmc_meter *m = NULL;
    ck_assert_status(llmc_meter_open(&m, "model:NVIDIA A10 24GB@0.5"),
                     LLMC_ENODATA);
    ck_assert_error_mentions("TDP");
    ck_assert_status(llmc_meter_open(&m, "model:NVIDIA L4@1.5"), LLMC_ERANGE);
    ck_assert_error_mentions("1.5");
    ck_assert_status(llmc_meter_open(&m, "model:NVIDIA L4@half"), LLMC_ERANGE);
    ck_assert_status(llmc_meter_open(&m, "model:H100@0.5"), LLMC_EAMBIGUOUS);
    ck_assert_status(llmc_meter_open(&m, "model:"), LLMC_EPARSE);
    ck_assert_ptr_null(m);
}
END_TEST

START_TEST(test_meter_spec_errors_name_the_spec)
{
    llmc_meter *m = NULL;
    ck_assert_status(llmc_meter_open(&m, ""), LLMC_EPARSE);
    ck_assert_status(llmc_meter_open(&m, NULL), LLMC_EPARSE);
    ck_assert_status(llmc_meter_open(&m, "wattmeter"), LLMC_EPARSE);
    ck_assert_error_mentions("'wattmeter'");
    ck_assert_error_mentions("nvml");
    ck_assert_status(llmc_meter_open(&m, "auto:everything"), LLMC_EPARSE);
    ck_assert_status(llmc_meter_open(&m, "const"), LLMC_EPARSE);
    ck_assert_status(llmc_meter_open(&m, "const:-5W"), LLMC_ERANGE);
    ck_assert_status(llmc_meter_open(&m, "const:5kWh"), LLMC_EUNIT);
    ck_assert_status(llmc_meter_open(&m, "const:5W+bogus"), LLMC_EPARSE);
    ck_assert_ptr_null(m);
    ck_assert_status(llmc_meter_open(NULL, "const:5W"), LLMC_EINVAL);
    ck_assert_str_eq(llmc_meter_diagnostics(NULL), "");
    ck_assert_uint_eq(llmc_meter_channel_count(NULL), 0);
    llmc_meter_free(NULL);
}
END_TEST

START_TEST(test_meters_join_with_plus)
{
    llmc_meter *m;
    llmc_channel ch;
    ck_assert_status(llmc_meter_open(&m, "const:10W+const:20W+model:NVIDIA T4@1"),
                     LLMC_OK);
    ck_assert_uint_eq(llmc_meter_channel_count(m), 3);
    llmc_channel_init(&ch, sizeof ch);
    ck_assert_status(llmc_meter_channel(&ch, m, 2), LLMC_OK);
    ck_assert_str_eq(ch.name, "model:NVIDIA T4");
    ck_assert_status(llmc_meter_channel(&ch, m, 3), LLMC_ERANGE);
    ck_assert_str_eq(llmc_method_name(LLMC_METHOD_COUNTER), "counter");
    ck_assert_str_eq(llmc_method_name(LLMC_METHOD_POWER), "power");
    ck_assert_str_eq(llmc_method_name(LLMC_METHOD_MODEL), "model");
    ck_assert_str_eq(llmc_method_name((llmc_method)42), "none");
    llmc_meter_free(m);
}
END_TEST

START_TEST(test_channel_struct_honours_the_callers_size)
{
    llmc_meter *m;
    unsigned char buf[sizeof(llmc_channel) + 16];
    llmc_channel *ch = (llmc_channel *)buf;
    size_t small = offsetof(llmc_channel, method);
    ck_assert_status(llmc_meter_open(&m, "const:10W"), LLMC_OK);
    memset(buf, 0xAB, sizeof buf);
    llmc_channel_init(ch, small);
    for (size_t i = small; i < sizeof buf; i++)
        ck_assert_uint_eq(buf[i], 0xAB);
    ck_assert_status(llmc_meter_channel(ch, m, 0), LLMC_OK);
    ck_assert_str_eq(ch->name, "const");
    for (size_t i = small; i < sizeof buf; i++)
        ck_assert_uint_eq(buf[i], 0xAB); /* nothing written past size */
    ch->size = 2;
    ck_assert_status(llmc_meter_channel(ch, m, 0), LLMC_EINVAL);
    ck_assert_error_mentions("llmc_channel_init");
    llmc_meter_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("meter_simple");
    TCase *tc = tcase_create("simple");
    SRunner *sr;
    int failed;
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_const_meter_integrates_its_power);
    tcase_add_test(tc, test_replay_meter_integrates_the_trace);
    tcase_add_test(tc, test_replay_meter_stops_at_the_end_of_the_trace);
    tcase_add_test(tc, test_replay_rejects_bad_traces_with_line_numbers);
    tcase_add_test(tc, test_replay_needs_a_file_and_takes_indented_rows);
    tcase_add_test(tc, test_replay_trace_starting_after_the_run_is_a_gap_not_0_j);
    tcase_add_test(tc, test_replay_trace_ending_before_the_run_flags_the_gap);
    tcase_add_test(tc, test_model_meter_with_utilisation_is_tdp_times_u);
    tcase_add_test(tc, test_model_meter_for_a_cpu_follows_proc_stat);
    tcase_add_test(tc, test_model_meter_says_a_proc_stat_without_a_cpu_line_is_malformed);
    tcase_add_test(tc, test_model_meter_errors);
    tcase_add_test(tc, test_cputime_meter_counts_this_process_and_its_children);
    tcase_add_test(tc, test_cputime_meter_names_its_cpu_or_says_it_is_a_default);
    tcase_add_test(tc, test_model_meters_are_flagged_estimated);
    tcase_add_test(tc, test_meter_spec_errors_name_the_spec);
    tcase_add_test(tc, test_meters_join_with_plus);
    tcase_add_test(tc, test_channel_struct_honours_the_callers_size);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
