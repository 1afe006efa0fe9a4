/*
 * runlog_read_bench.c - reads a run's logs once, as report_bench.py asks,
 * and prints what it counted as one JSON line:
 *
 *   runlog_read_bench keep LOG...     llmc_runlog_read (every sample kept)
 *   runlog_read_bench totals LOG...   llmc_runlog_read_flags with
 *                                     LLMC_RUNLOG_NO_SAMPLES
 *   runlog_read_bench measure OUT COMMAND...
 *                                     runs COMMAND and writes its wall
 *                                     time and peak memory to OUT
 *   runlog_read_bench tracker-html LOG
 *                                     a tracker logging to LOG (after the
 *                                     lines it holds) writes its page
 *                                     while it runs
 *                                     (llmc_tracker_report_html)
 *
 * The reader with flags is looked up when the program runs, so that
 * `keep` also runs against a library built before it existed
 * (LD_LIBRARY_PATH naming that build): the reader before and after in
 * one benchmark. The figures printed let report_bench.py check that the
 * modes agree.
 *
 * measure is the parent that times a read: Linux keeps a process's peak
 * resident memory across exec (ru_maxrss), so a child forked from a
 * Python interpreter would start at the interpreter's size; forked from
 * this small program it starts at about a megabyte.
 */
#include <dlfcn.h>
#include <llmcarbon.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

typedef int read_flags_fn(llmc_runlog **, const char *const *, size_t,
                          llmc_grid *, double, unsigned);

/* runlog_read_bench measure OUT COMMAND...: COMMAND's exit status, wall
 * time and peak resident memory, as one JSON line in OUT. */
static int measure(int argc, char **argv)
{
    struct rusage ru;
    double t0;
    pid_t pid;
    int status;
    FILE *out;

    if (argc < 4) {
        fputs("usage: runlog_read_bench measure OUT COMMAND...\n", stderr);
        return 2;
    }
    t0 = now_s();
    if ((pid = fork()) < 0) {
        perror("runlog_read_bench: fork");
        return 1;
    }
    if (pid == 0) {
        execv(argv[3], argv + 3);
        perror("runlog_read_bench: exec");
        _exit(127);
    }
    if (wait4(pid, &status, 0, &ru) != pid) {
        perror("runlog_read_bench: wait4");
        return 1;
    }
    if (!(out = fopen(argv[2], "w"))) {
        perror("runlog_read_bench: the output file");
        return 1;
    }
    fprintf(out, "{\"status\":%d,\"wall_s\":%.6f,\"peak_rss_kib\":%ld}\n",
            WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
            now_s() - t0, ru.ru_maxrss);
    return fclose(out) == 0 ? 0 : 1;
}

/* runlog_read_bench tracker-html LOG: the samples the page counts and
 * its size, as one JSON line. */
static int tracker_html(const char *path)
{
    static const char key[] = "data-figure=\"samples\">";
    char config[4200];
    llmc_tracker *t = NULL;
    char *html = NULL;
    const char *n;
    int rc;

    snprintf(config, sizeof config,
             "meters=const:100W; grid=const:380; interval=1s; log=%s", path);
    if ((rc = llmc_tracker_new(&t)) != LLMC_OK ||
        (rc = llmc_tracker_configure(t, config)) != LLMC_OK ||
        (rc = llmc_tracker_start(t)) != LLMC_OK ||
        (rc = llmc_tracker_report_html(&html, t)) != LLMC_OK) {
        fprintf(stderr, "runlog_read_bench: %s (%s)\n", llmc_last_error(),
                llmc_strerror(rc));
        llmc_tracker_free(t);
        return 1;
    }
    n = strstr(html, key);
    printf("{\"samples\":\"%.*s\",\"page_bytes\":%zu}\n",
           n ? (int)strcspn(n + sizeof key - 1, "<") : 0,
           n ? n + sizeof key - 1 : "", strlen(html));
    llmc_free(html);
    llmc_tracker_stop(t);
    llmc_tracker_free(t);
    return n ? 0 : 1;
}

int main(int argc, char **argv)
{
    llmc_runlog *log = NULL;
    llmc_run_totals t;
    int rc;

    if (argc > 1 && strcmp(argv[1], "measure") == 0)
        return measure(argc, argv);
    if (argc == 3 && strcmp(argv[1], "tracker-html") == 0)
        return tracker_html(argv[2]);
    if (argc < 3 || (strcmp(argv[1], "keep") && strcmp(argv[1], "totals"))) {
        fputs("usage: runlog_read_bench keep|totals LOG...\n"
              "       runlog_read_bench measure OUT COMMAND...\n"
              "       runlog_read_bench tracker-html LOG\n", stderr);
        return 2;
    }
    if (strcmp(argv[1], "keep") == 0) {
        rc = llmc_runlog_read(&log, (const char *const *)argv + 2,
                              (size_t)argc - 2, NULL, 0);
    } else {
        read_flags_fn *f;
        *(void **)&f = dlsym(RTLD_DEFAULT, "llmc_runlog_read_flags");
        if (!f) {
            fputs("runlog_read_bench: this libllmcarbon has no "
                  "llmc_runlog_read_flags; run `totals` against a newer "
                  "build\n", stderr);
            return 2;
        }
        rc = f(&log, (const char *const *)argv + 2, (size_t)argc - 2, NULL,
               0, 0x1u /* LLMC_RUNLOG_NO_SAMPLES */);
    }
    if (rc != LLMC_OK) {
        fprintf(stderr, "runlog_read_bench: %s (%s)\n", llmc_last_error(),
                llmc_strerror(rc));
        return 1;
    }
    llmc_run_totals_init(&t, sizeof t);
    if ((rc = llmc_runlog_totals(&t, log, NULL)) != LLMC_OK) {
        fprintf(stderr, "runlog_read_bench: %s\n", llmc_last_error());
        llmc_runlog_free(log);
        return 1;
    }
    printf("{\"samples\":%llu,\"duplicates\":%llu,\"streams\":%zu,"
           "\"energy_j\":%.17g,\"operational_kgco2e\":%.17g}\n",
           (unsigned long long)t.samples,
           (unsigned long long)t.duplicate_lines,
           llmc_runlog_stream_count(log), t.energy_j, t.operational_kgco2e);
    llmc_runlog_free(log);
    return 0;
}
