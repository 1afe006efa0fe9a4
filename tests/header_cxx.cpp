// The public header compiles as C++ and links without name mangling.
#include <llmcarbon.h>

#include <cstring>

int main()
{
    llmc_grid *grid = nullptr;
    if (llmc_grid_new(&grid, "static:FR") != LLMC_OK)
        return 1;
    llmc_intensity ci;
    llmc_intensity_init(&ci, sizeof ci);
    int rc = llmc_grid_intensity_at(&ci, grid, 0);
    llmc_grid_free(grid);
    return rc == LLMC_OK && std::strcmp(ci.zone, "FRA") == 0 ? 0 : 1;
}
