/*
 * profile_grid.c - read a hardware profile and a grid source, as a
 * program that plans where to run would.
 *
 *   cc profile_grid.c $(pkg-config --cflags --libs llmcarbon) -o profile_grid
 *   ./profile_grid "h100 sxm" "electricitymaps:DE,static:DE"
 */
#include <stdio.h>
#include <time.h>

#include <llmcarbon.h>

int main(int argc, char **argv)
{
    const char *name = argc > 1 ? argv[1] : "NVIDIA H100 SXM5 80GB";
    const char *spec = argc > 2 ? argv[2] : "FR";
    llmc_profile *p = NULL;
    llmc_grid *g = NULL;
    llmc_intensity ci;
    double tdp;
    int rc = 1;

    if (llmc_profile_lookup(&p, name) != LLMC_OK ||
        llmc_grid_new(&g, spec) != LLMC_OK) {
        fprintf(stderr, "%s\n", llmc_last_error());
        goto out;
    }
    llmc_intensity_init(&ci, sizeof ci);
    if (llmc_grid_intensity_at(&ci, g, (int64_t)time(NULL)) != LLMC_OK) {
        fprintf(stderr, "%s\n", llmc_last_error());
        goto out;
    }
    printf("%s\n", llmc_profile_get_text(p, LLMC_PROFILE_NAME));
    if (llmc_profile_get(&tdp, p, LLMC_PROFILE_TDP_W) == LLMC_OK)
        printf("  tdp_w %.0f\n", tdp);
    else
        printf("  tdp_w unknown\n");
    printf("%s: %.3f gCO2e/kWh (%s, %s basis)\n", llmc_grid_spec(g),
           ci.gco2e_per_kwh, ci.source, llmc_basis_name(ci.basis));
    /* one device for one hour at its TDP, here */
    if (llmc_profile_get(&tdp, p, LLMC_PROFILE_TDP_W) == LLMC_OK) {
        double kg;
        llmc_account_operational(&kg, tdp * 3600.0, 1.0, ci.gco2e_per_kwh);
        printf("one device-hour at TDP: %.1f gCO2e\n", kg * 1000);
    }
    rc = 0;
out:
    llmc_profile_free(p);
    llmc_grid_free(g);
    return rc;
}
