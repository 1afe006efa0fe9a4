/* grid_now.c - the grid intensity of a zone now, from a meson project. */
#include <stdio.h>
#include <time.h>

#include <llmcarbon.h>

int main(int argc, char **argv)
{
    llmc_grid *g;
    llmc_intensity ci;
    if (llmc_grid_new(&g, argc > 1 ? argv[1] : "FR") != LLMC_OK) {
        fprintf(stderr, "%s\n", llmc_last_error());
        return 1;
    }
    llmc_intensity_init(&ci, sizeof ci);
    if (llmc_grid_intensity_at(&ci, g, (int64_t)time(NULL)) != LLMC_OK) {
        fprintf(stderr, "%s\n", llmc_last_error());
        llmc_grid_free(g);
        return 1;
    }
    printf("%s %.3f gCO2e/kWh\n", llmc_grid_spec(g), ci.gco2e_per_kwh);
    llmc_grid_free(g);
    return 0;
}
