/*
 * html_rank.c - one rank of the job that tests/check_html.py draws: a
 * tracker configured by argv[1] (its log among the keys) through a named
 * window "warmup", then "train", then "eval", about 1.3 s in all. Its
 * rank is the environment's (RANK).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "llmcarbon.h"

static void ok(int rc, const char *what)
{
    if (rc != LLMC_OK) {
        fprintf(stderr, "html_rank: %s: %s: %s\n", what,
                llmc_status_name(rc), llmc_last_error());
        exit(1);
    }
}

static void sleep_ms(long ms)
{
    struct timespec d = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&d, NULL);
}

int main(int argc, char **argv)
{
    llmc_tracker *t = NULL;

    if (argc != 2) {
        fputs("usage: html_rank CONFIG\n", stderr);
        return 2;
    }
    ok(llmc_tracker_new(&t), "new");
    ok(llmc_tracker_configure(t, argv[1]), "configure");
    ok(llmc_tracker_start(t), "start");
    ok(llmc_tracker_window_begin(t, "warmup"), "window");
    for (int i = 0; i < 4; i++) {
        llmc_tracker_step(t, 1000);
        sleep_ms(100);
    }
    ok(llmc_tracker_window_end(NULL, t, "warmup"), "window end");
    for (int i = 0; i < 4; i++) {
        llmc_tracker_step(t, 1000);
        sleep_ms(100);
    }
    ok(llmc_tracker_phase(t, "eval"), "phase");
    sleep_ms(450);
    ok(llmc_tracker_stop(t), "stop");
    llmc_tracker_free(t);
    return 0;
}
