/*
 * estimate.c - the footprint of a planned run, from C.
 *
 *   cc estimate.c $(pkg-config --cflags --libs llmcarbon) -o estimate
 *   ./estimate                      # 1024 H100 for 30 days in the US
 *   ./estimate "NVIDIA A100 SXM4 80GB" 512 240h FR
 */
#include <stdio.h>

#include <llmcarbon.h>

static int check(int rc, const char *what)
{
    if (rc != LLMC_OK)
        fprintf(stderr, "%s: %s (%s)\n", what, llmc_last_error(),
                llmc_status_name(rc));
    return rc;
}

int main(int argc, char **argv)
{
    const char *hardware = argc > 1 ? argv[1] : "NVIDIA H100 SXM5 80GB";
    const char *count = argc > 2 ? argv[2] : "1024";
    const char *hours = argc > 3 ? argv[3] : "720h";
    const char *zone = argc > 4 ? argv[4] : "US";
    llmc_estimate *e = NULL;
    llmc_estimate_result r;
    int rc;

    llmc_estimate_result_init(&r, sizeof r);
    if ((rc = check(llmc_estimate_new(&e), "new")) ||
        (rc = check(llmc_estimate_set(e, "hardware", hardware), hardware)) ||
        (rc = check(llmc_estimate_set(e, "count", count), count)) ||
        (rc = check(llmc_estimate_set(e, "hours", hours), hours)) ||
        (rc = check(llmc_estimate_set(e, "pue", "1.1"), "pue")) ||
        (rc = check(llmc_estimate_set(e, "zone", zone), zone)) ||
        (rc = check(llmc_estimate_compute(&r, e), "compute"))) {
        llmc_estimate_free(e);
        return 1;
    }
    printf("%s x %s for %s in %s\n", count, hardware, hours, zone);
    printf("energy_kwh %.1f\n", r.energy_kwh);
    printf("operational_kgco2e %.1f\n", r.operational_kgco2e);
    printf("embodied_kgco2e %.1f\n", r.embodied_kgco2e);
    printf("total_kgco2e %.1f\n", r.total_kgco2e);
    llmc_estimate_free(e);
    return 0;
}
