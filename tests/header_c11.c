/* The public header alone compiles as strict C11 (see tests/meson.build). */
#include <llmcarbon.h>

int main(void)
{
    llmc_intensity ci;
    llmc_intensity_init(&ci, sizeof ci);
    return llmc_version_num() == LLMC_VERSION_NUM && ci.size == sizeof ci ? 0 : 1;
}
