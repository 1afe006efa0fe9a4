/*
 * fuzz_report.c - libFuzzer target: per-sample logs (JSON lines) read by
 * `llmcarbon report`. The input is written to a scratch file and the
 * command line's own entry point runs on it (tools/llmcarbon.c is
 * compiled in with its main renamed llmc_cli_main), so the target follows
 * whatever functions the report command is made of:
 *
 *   llmcarbon report --json FILE
 *   llmcarbon report FILE FILE --grid const:300g/kWh --pue 1.2
 *
 * (the second reads the same log twice, as a user who passes it twice).
 * stdout is captured in memory; stderr is libFuzzer's to discard
 * (-close_fd_mask=2). Checks: the exit status is 0 or 1; with status 0,
 * --json prints one JSON object whose energy and CO2e are null or finite
 * numbers >= 0; every sample the library kept (llmc_runlog_sample) reads
 * back, with a power >= 0 or unknown and a name for each device.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_env.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int llmc_cli_main(int argc, char **argv);

static char log_path[600];
static int out_fd = -1;

/* Runs the CLI with stdout going to out_fd, emptied first. */
static int run_cli(int argc, char **argv)
{
    fflush(stdout);
    if (ftruncate(out_fd, 0) != 0 || lseek(out_fd, 0, SEEK_SET) != 0 ||
        dup2(out_fd, STDOUT_FILENO) < 0)
        fuzz_die("cannot capture stdout");
    optind = 0; /* getopt starts afresh, as in a new process */
    return llmc_cli_main(argc, argv);
}

/* What the run printed, NUL-terminated; free it. */
static char *captured(void)
{
    off_t end;
    char *text;
    fflush(stdout);
    end = lseek(out_fd, 0, SEEK_CUR);
    if (end < 0 || !(text = malloc((size_t)end + 1)))
        fuzz_die("cannot read the captured stdout");
    if (pread(out_fd, text, (size_t)end, 0) != (ssize_t)end)
        fuzz_die("cannot read the captured stdout");
    text[end] = '\0';
    return text;
}

static void check_figure(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    if (v && !json_is_null(v) &&
        !(json_is_number(v) && isfinite(json_number_value(v)) &&
          json_number_value(v) >= 0))
        __builtin_trap();
}

/* The samples the library kept of the log, each read back. */
static void walk_samples(size_t size)
{
    const char *paths[1] = {log_path};
    llmc_runlog *log;

    if (llmc_runlog_read(&log, paths, 1, NULL, 0) != LLMC_OK)
        return;
    for (size_t i = 0; i < llmc_runlog_sample_count(log); i++) {
        llmc_run_sample x;
        llmc_run_sample_init(&x, sizeof x);
        if (llmc_runlog_sample(&x, log, i) != LLMC_OK || !x.host ||
            !x.phase || !(isnan(x.power_w) || x.power_w >= 0))
            __builtin_trap();
        /* a device's energy is not checked on reading: any number */
        for (size_t k = 0; k < x.device_count; k++)
            if (!x.device_names[k] ||
                strlen(x.device_names[k]) > size * 2 + 16)
                __builtin_trap();
    }
    llmc_runlog_free(log);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *json_argv[] = {"llmcarbon", "report", "--json", log_path, NULL};
    char *text_argv[] = {"llmcarbon", "report",  log_path, log_path,
                         "--grid",    "const:300g/kWh", "--pue", "1.2",
                         NULL};
    int rc;

    if (fuzz_write(log_path, data, size) != 0)
        fuzz_die("cannot write the scratch log");

    rc = run_cli(4, json_argv);
    if (rc != 0 && rc != 1)
        __builtin_trap();
    if (rc == 0) {
        char *out = captured();
        json_t *o = json_loads(out, 0, NULL);
        if (!json_is_object(o))
            __builtin_trap(); /* exit 0 with no report, or a torn one */
        check_figure(o, "energy_j");
        check_figure(o, "energy_kwh");
        check_figure(o, "operational_kgco2e");
        check_figure(o, "duration_s");
        json_decref(o);
        free(out);
    }

    rc = run_cli(8, text_argv);
    if (rc != 0 && rc != 1)
        __builtin_trap();
    walk_samples(size);
    return 0;
}

/* Once, before the first input (see fuzz_env.h). */
void fuzz_target_init(void)
{
    fuzz_path(log_path, sizeof log_path, "run.jsonl");
    if ((out_fd = memfd_create("llmc-fuzz-stdout", MFD_CLOEXEC)) < 0)
        fuzz_die("memfd_create failed");
}
