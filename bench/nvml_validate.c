/*
 * nvml_validate.c - on a real NVIDIA GPU: the energy of one window of load
 * measured three ways, side by side. Opens nvml:GPU twice, once with the
 * total-energy counter and once integrating power (LLMC_NVML_METHOD=power),
 * reads both every 100 ms while COMMAND runs, and prints both energies
 * and their ratio as JSON. scripts/validate-nvml-gpu adds nvidia-smi.
 *
 *   nvml_validate GPU -- COMMAND [ARGS...]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <llmcarbon.h>

static double read_energy(llmc_meter *m, const char **method)
{
    llmc_channel ch;
    llmc_meter_read(m);
    llmc_channel_init(&ch, sizeof ch);
    if (llmc_meter_channel(&ch, m, 0) != LLMC_OK)
        return -1;
    *method = llmc_method_name(ch.method);
    return ch.energy_j;
}

int main(int argc, char **argv)
{
    char spec[32];
    llmc_meter *counter, *power;
    const char *mc = "", *mp = "";
    struct timespec t0, t1, tick = {0, 100000000};
    double ec = 0, ep = 0;
    int status;
    pid_t pid;

    if (argc < 4 || strcmp(argv[2], "--") != 0) {
        fprintf(stderr, "usage: nvml_validate GPU -- COMMAND [ARGS...]\n");
        return 2;
    }
    snprintf(spec, sizeof spec, "nvml:%s", argv[1]);
    if (llmc_meter_open(&counter, spec) != LLMC_OK) {
        fprintf(stderr, "nvml_validate: %s\n", llmc_last_error());
        return 1;
    }
    setenv("LLMC_NVML_METHOD", "power", 1);
    if (llmc_meter_open(&power, spec) != LLMC_OK) {
        fprintf(stderr, "nvml_validate: %s\n", llmc_last_error());
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if ((pid = fork()) == 0) {
        execvp(argv[3], &argv[3]);
        _exit(127);
    }
    while (waitpid(pid, &status, WNOHANG) == 0) {
        nanosleep(&tick, NULL);
        ec = read_energy(counter, &mc);
        ep = read_energy(power, &mp);
    }
    ec = read_energy(counter, &mc);
    ep = read_energy(power, &mp);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("{\"seconds\": %.3f, \"counter_j\": %.3f, \"counter_method\": \"%s\", "
           "\"power_j\": %.3f, \"power_method\": \"%s\", "
           "\"power_over_counter\": %.5f, \"load_status\": %d}\n",
           (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
           ec, mc, ep, mp, ec > 0 ? ep / ec : -1.0,
           WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    llmc_meter_free(counter);
    llmc_meter_free(power);
    return 0;
}
