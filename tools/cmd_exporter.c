/*
 * cmd_exporter.c - `llmcarbon exporter --listen ADDR:PORT`: a node's
 * meters and grid for Prometheus, as a daemon (one per node, as sites run
 * DCGM's exporter), until SIGTERM or SIGINT.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "serve.h"

static const char help[] =
    "usage: llmcarbon exporter --listen ADDR:PORT [--textfile PATH] "
    "[OPTIONS]\n"
    "       llmcarbon exporter --textfile PATH [OPTIONS]\n"
    "\n"
    "Measures this node's devices and asks the grid, and serves the figures\n"
    "for Prometheus at http://ADDR:PORT/metrics (OpenMetrics when the\n"
    "scraper asks for it, else the text format 0.0.4), until SIGTERM or\n"
    "SIGINT; it then exits with status 0. No steps or tokens: those are a\n"
    "training run's (llmcarbon run --metrics, llmc_tracker_metrics_text).\n"
    "The exporter reads every device itself, beside any run on the node:\n"
    "it never takes a device from a job's tracker, and its energy is the\n"
    "node's, not to be added to the jobs'.\n"
    "\n"
    "options:\n"
    "  --listen ADDR:PORT  serve on ADDR:PORT (127.0.0.1:9400, [::1]:9400,\n"
    "                      :9400 for every address)\n"
    "  --textfile PATH     write the figures to PATH every interval, for\n"
    "                      node_exporter's textfile collector (PATH ends in\n"
    "                      .prom; replaced atomically)\n"
    "  --meters SPEC       what to measure (default auto: what this node\n"
    "                      has), as for llmcarbon run\n"
    "  --grid SPEC         grid intensity (default: the world average)\n"
    "  --pue X             power usage effectiveness (default 1)\n"
    "  --interval DUR      sampling and textfile interval (default 1s)\n"
    "  --hardware NAME     the devices' profile, for embodied carbon\n"
    "  --devices N         how many devices that profile counts\n"
    "  --help              print this help\n"
    "\n"
    "Each option but --listen and --textfile is also an LLMC_* environment\n"
    "variable (LLMC_METERS for --meters); a flag wins over its variable.\n";

enum { OPT_LISTEN = 1000, OPT_TEXTFILE, OPT_HELP, OPT_KEY };

static const struct option options[] = {
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"textfile", required_argument, NULL, OPT_TEXTFILE},
    {"help", no_argument, NULL, OPT_HELP},
    /* tracker keys, set by their names */
    {"meters", required_argument, NULL, OPT_KEY},
    {"grid", required_argument, NULL, OPT_KEY + 1},
    {"pue", required_argument, NULL, OPT_KEY + 2},
    {"interval", required_argument, NULL, OPT_KEY + 3},
    {"hardware", required_argument, NULL, OPT_KEY + 4},
    {"devices", required_argument, NULL, OPT_KEY + 5},
    {NULL, 0, NULL, 0},
};

/* The exporter's own directory of device locks, so that it never holds
 * the lock of a device that a job's tracker would then not count (the
 * one reader per device of llmc_tracker_new(3) is for the processes of
 * runs); removed at the end. */
static int private_runtime_dir(llmc_tracker *t, char *dir, size_t size)
{
    const char *tmp = getenv("TMPDIR");
    int rc;
    snprintf(dir, size, "%s/llmcarbon-exporter-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "llmcarbon exporter: cannot create a directory in "
                "%s: %s; set TMPDIR to a directory of yours\n",
                tmp && *tmp ? tmp : "/tmp", strerror(errno));
        dir[0] = '\0';
        return CLI_FAILED;
    }
    if ((rc = llmc_tracker_set(t, "runtime_dir", dir)) != LLMC_OK)
        return cli_fail("exporter", "runtime_dir", rc);
    return CLI_OK;
}

/* Removes the lock files the tracker left (one per device) and dir. */
static void remove_runtime_dir(const char *dir)
{
    DIR *d;
    struct dirent *e;
    if (!dir[0])
        return;
    if ((d = opendir(dir)) != NULL) {
        while ((e = readdir(d)) != NULL) {
            size_t n = strlen(e->d_name);
            if (n > 5 && strcmp(e->d_name + n - 5, ".lock") == 0)
                unlinkat(dirfd(d), e->d_name, 0);
        }
        closedir(d);
    }
    if (rmdir(dir) != 0)
        fprintf(stderr, "llmcarbon exporter: cannot remove '%s': %s\n", dir,
                strerror(errno));
}

int cmd_exporter(int argc, char **argv)
{
    llmc_tracker *t = NULL;
    struct metrics_out *m = NULL;
    const char *listen = NULL, *textfile = NULL, *interval = NULL;
    char dir[512] = "";
    struct cli_getopt g;
    sigset_t stop_set, before;
    int c, rc, sig = 0;

    if ((rc = llmc_tracker_new(&t)) != LLMC_OK)
        return cli_fail("exporter", "", rc);
    cli_getopt_init(&g, "exporter", argc, argv, ":", options);
    while ((c = cli_getopt_next(&g)) != -1) {
        if (c == -2) {
            llmc_tracker_free(t);
            return CLI_USAGE;
        }
        if (c == OPT_HELP) {
            fputs(help, stdout);
            llmc_tracker_free(t);
            return CLI_OK;
        }
        if (c == OPT_LISTEN) {
            listen = optarg;
        } else if (c == OPT_TEXTFILE) {
            textfile = optarg;
        } else {
            const char *key = cli_flag_name(options, c);
            if (strcmp(key, "interval") == 0)
                interval = optarg;
            if ((rc = cli_tracker_set(t, "exporter", key, optarg)) !=
                CLI_CONTINUE) {
                llmc_tracker_free(t);
                return rc;
            }
        }
    }
    if (optind < argc) {
        llmc_tracker_free(t);
        return cli_usage("exporter", "'%s' is not an option; the exporter "
                         "takes no operands", argv[optind]);
    }
    if (!listen && !textfile) {
        llmc_tracker_free(t);
        return cli_usage("exporter", "nothing to serve: give --listen "
                         "ADDR:PORT (e.g. 127.0.0.1:9400), --textfile PATH, "
                         "or both");
    }
    if ((rc = metrics_check_listen("exporter", "--listen", listen)) >= 0) {
        llmc_tracker_free(t);
        return rc;
    }
    if (!interval)
        interval = getenv("LLMC_INTERVAL");
    /* a node with nothing that reads is unmeasured: the estimate from
     * this process's own CPU time would say nothing of the node */
    if ((rc = llmc_tracker_set(t, "fallback", "none")) != LLMC_OK) {
        llmc_tracker_free(t);
        return cli_fail("exporter", "fallback", rc);
    }
    if ((rc = private_runtime_dir(t, dir, sizeof dir)) != CLI_OK) {
        llmc_tracker_free(t);
        remove_runtime_dir(dir);
        return rc;
    }
    /* SIGTERM and SIGINT end it: taken by sigwait below, blocked before
     * any thread starts so that none of them takes one */
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGTERM);
    sigaddset(&stop_set, SIGINT);
    sigprocmask(SIG_BLOCK, &stop_set, &before);
    if ((rc = llmc_tracker_start(t)) != LLMC_OK) {
        rc = cli_fail("exporter", "", rc);
        goto out;
    }
    {
        const char *why = NULL;
        if (llmc_tracker_status(&why, t) != LLMC_OK && why)
            fprintf(stderr, "llmcarbon exporter: warning: %s\n", why);
    }
    if ((rc = metrics_out_start(&m, "exporter", t, "--listen", listen,
                                textfile, metrics_interval_s(interval),
                                LLMC_METRICS_NO_STEPS)) != CLI_OK)
        goto out;
    while (sigwait(&stop_set, &sig) != 0)
        ;
    fprintf(stderr, "llmcarbon exporter: %s: stopping\n",
            sig == SIGTERM ? "SIGTERM" : "SIGINT");
    if ((rc = llmc_tracker_stop(t)) != LLMC_OK)
        rc = cli_fail("exporter", "stop", rc);
    else
        rc = CLI_OK;
    if (metrics_out_stop(m) != CLI_OK)
        rc = CLI_FAILED;
    m = NULL;
out:
    metrics_out_stop(m);
    llmc_tracker_free(t);
    remove_runtime_dir(dir);
    sigprocmask(SIG_SETMASK, &before, NULL);
    return rc;
}
