/*
 * test_profile.c - hardware profiles: forgiving catalogue lookup, the
 * bundled catalogue against data/hardware.csv, setters and freezing, and
 * profiles from JSON text and files.
 *
 * The values asserted here are those of data/hardware.csv, which the test
 * reads at run time (LLMC_SOURCE_ROOT), so the catalogue compiled into the
 * library is checked cell by cell against the table it was built from.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmcarbon.h"
#include "testutil.h"

#define LIFETIME_5Y_S (5.0 * 365.25 * 86400.0)

/* Evaluates the call once, so that its message is the one reported. */

/* ---- helpers ---------------------------------------------------------- */

static llmc_profile *lookup_ok(const char *name)
{
    llmc_profile *p = NULL;
    int rc = llmc_profile_lookup(&p, name);
    ck_assert_msg(rc == LLMC_OK, "lookup('%s') = %s: %s", name,
                  llmc_status_name(rc), llmc_last_error());
    ck_assert_ptr_nonnull(p);
    return p;
}

static double get_ok(const llmc_profile *p, llmc_profile_field f)
{
    double v = -12345.0;
    int rc = llmc_profile_get(&v, p, f);
    ck_assert_msg(rc == LLMC_OK, "get(%d) of '%s' = %s: %s", (int)f,
                  llmc_profile_get_text(p, LLMC_PROFILE_NAME),
                  llmc_status_name(rc), llmc_last_error());
    return v;
}

static void assert_unknown(const llmc_profile *p, llmc_profile_field f)
{
    double v = -12345.0;
    int rc = llmc_profile_get(&v, p, f);
    ck_assert_msg(rc == LLMC_ENODATA,
                  "field %d of '%s' should be unknown (LLMC_ENODATA), got %s "
                  "with %g",
                  (int)f, llmc_profile_get_text(p, LLMC_PROFILE_NAME),
                  llmc_status_name(rc), v);
    /* never a silent 0: the out-parameter is left alone */
    ck_assert_double_eq(v, -12345.0);
}

static const llmc_profile_field all_fields[] = {
    LLMC_PROFILE_TDP_W,           LLMC_PROFILE_IDLE_W,
    LLMC_PROFILE_PEAK_FP32_FLOPS, LLMC_PROFILE_PEAK_TF32_FLOPS,
    LLMC_PROFILE_PEAK_BF16_FLOPS, LLMC_PROFILE_PEAK_FP16_FLOPS,
    LLMC_PROFILE_PEAK_FP8_FLOPS,  LLMC_PROFILE_MEMORY_GB,
    LLMC_PROFILE_EMBODIED_KGCO2E, LLMC_PROFILE_LIFETIME_S,
    LLMC_PROFILE_DIE_MM2,         LLMC_PROFILE_PROCESS_NM,
};
#define NFIELDS (sizeof all_fields / sizeof all_fields[0])

static char *fixture_path(char *buf, size_t size, const char *name)
{
    const char *root = getenv("LLMC_SOURCE_ROOT");
    ck_assert_msg(root != NULL, "LLMC_SOURCE_ROOT is not set");
    snprintf(buf, size, "%s/tests/fixtures/profiles/%s", root, name);
    return buf;
}

static int load_text(llmc_profile **out, const char *json)
{
    return llmc_profile_load_json(out, json, strlen(json));
}

/* ---- lookup ----------------------------------------------------------- */

START_TEST(test_profile_lookup_exact_catalogue_name)
{
    llmc_profile *p = lookup_ok("NVIDIA H100 SXM5 80GB");
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_NAME),
                     "NVIDIA H100 SXM5 80GB");
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_VENDOR), "NVIDIA");
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_KIND), "gpu");
    llmc_profile_free(p);
}
END_TEST

static const struct {
    const char *query, *name;
} forgiving[] = {
    {"h100 sxm", "NVIDIA H100 SXM5 80GB"},
    {"h100-sxm", "NVIDIA H100 SXM5 80GB"},
    {"H100-SXM5-80GB", "NVIDIA H100 SXM5 80GB"},
    {"nvidia_h100_sxm5_80gb", "NVIDIA H100 SXM5 80GB"},
    {"  Nvidia  H100   sxm5 80gb ", "NVIDIA H100 SXM5 80GB"},
    {"h100 pcie", "NVIDIA H100 PCIe 80GB"},
    {"H100 NVL", "NVIDIA H100 NVL 94GB"},
    {"h200 sxm", "NVIDIA H200 SXM 141GB"},
    {"MI300X", "AMD Instinct MI300X"},
    {"amd mi300x", "AMD Instinct MI300X"},
    {"mi250x", "AMD Instinct MI250X"},
    {"tpu v4", "Google TPU v4 (chip)"},
    {"TPU-v3", "Google TPU v3 (chip)"},
    {"google tpu v5e", "Google TPU v5e (chip)"},
    {"tpu_v5p", "Google TPU v5p (chip)"},
    {"gaudi2", "Intel Gaudi2"},
    {"Gaudi 2", "Intel Gaudi2"},
    {"intel gaudi-2", "Intel Gaudi2"},
    {"L40S", "NVIDIA L40S"},
    {"l4", "NVIDIA L4"}, /* a whole name wins over "L40S" */
    {"T4", "NVIDIA T4"},
    {"rtx 4090", "NVIDIA GeForce RTX 4090"},
    {"geforce-rtx-4090", "NVIDIA GeForce RTX 4090"},
    {"xeon 8480+", "Intel Xeon Platinum 8480+"},
    {"epyc 9654", "AMD EPYC 9654"},
    {"v100 sxm2", "NVIDIA V100 SXM2 32GB"},
    {"V100-PCIE-16GB", "NVIDIA V100 PCIe 16GB"},
    {"a100 sxm4 40gb", "NVIDIA A100 SXM4 40GB"},
    {"A100-PCIE-80GB", "NVIDIA A100 PCIe 80GB"},
    {"a10 24gb", "NVIDIA A10 24GB"},
    {"hgx h100", "NVIDIA HGX H100 8-GPU baseboard"},
};

START_TEST(test_profile_lookup_ignores_case_separators_and_vendor)
{
    llmc_profile *p = lookup_ok(forgiving[_i].query);
    ck_assert_msg(strcmp(llmc_profile_get_text(p, LLMC_PROFILE_NAME),
                         forgiving[_i].name) == 0,
                  "'%s' found '%s', want '%s'", forgiving[_i].query,
                  llmc_profile_get_text(p, LLMC_PROFILE_NAME),
                  forgiving[_i].name);
    llmc_profile_free(p);
}
END_TEST

START_TEST(test_profile_lookup_h100_sxm5_values)
{
    llmc_profile *p = lookup_ok("h100 sxm");
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_TDP_W), 700.0);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_PEAK_BF16_FLOPS), 989e12);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_PEAK_FP16_FLOPS), 989e12);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_PEAK_TF32_FLOPS), 494.5e12);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_PEAK_FP32_FLOPS), 67e12);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_PEAK_FP8_FLOPS), 1979e12);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_MEMORY_GB), 80.0);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_DIE_MM2), 814.0);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_PROCESS_NM), 4.0);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_EMBODIED_KGCO2E), 164.0);
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_EMBODIED_BASIS),
                     "board-share");
    ck_assert_ptr_nonnull(
        strstr(llmc_profile_get_text(p, LLMC_PROFILE_SOURCE),
               "HGX-H100-PCF-Summary.pdf"));
    /* idle power: no source gives it */
    assert_unknown(p, LLMC_PROFILE_IDLE_W);
    llmc_profile_free(p);
}
END_TEST

START_TEST(test_profile_chiplet_embodied_by_hand)
{
    /* MI300X, data/dies.csv: 8 XCDs on 5 nm, each at half the I/O die's
     * bound (4.29 cm2 x 1.8 kg/cm2), and 4 I/O dies on 6 nm at the reticle
     * field (8.58 cm2 x 1.6 kg/cm2): 61.776 + 54.912 = 116.688 kg; package
     * + 192 GB x 0.4 kg/GB = 193.488; board + 117.348 = 310.836; server
     * + 970 / 8 = 432.086. No area is published, so every scope says
     * model-bound, and the device's own die_mm2 stays unknown. */
    llmc_profile *p = lookup_ok("MI300X");
    ck_assert_double_eq_tol(get_ok(p, LLMC_PROFILE_EMBODIED_DIE_KGCO2E),
                            116.688, 1e-9);
    ck_assert_double_eq_tol(get_ok(p, LLMC_PROFILE_EMBODIED_PACKAGE_KGCO2E),
                            193.488, 1e-9);
    ck_assert_double_eq_tol(get_ok(p, LLMC_PROFILE_EMBODIED_BOARD_KGCO2E),
                            310.836, 1e-9);
    ck_assert_double_eq_tol(get_ok(p, LLMC_PROFILE_EMBODIED_SERVER_KGCO2E),
                            432.086, 1e-9);
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_EMBODIED_DIE_METHOD),
                     "model-bound");
    ck_assert_str_eq(
        llmc_profile_get_text(p, LLMC_PROFILE_EMBODIED_SERVER_METHOD),
        "model-bound");
    assert_unknown(p, LLMC_PROFILE_DIE_MM2);
    llmc_profile_free(p);
    /* B200 (HGX): two dies at the bound on 4 nm below NVIDIA's own board
     * footprint, which the board scope keeps */
    p = lookup_ok("NVIDIA B200");
    ck_assert_double_eq_tol(get_ok(p, LLMC_PROFILE_EMBODIED_DIE_KGCO2E),
                            2 * 8.58 * 1.8, 1e-9);
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_EMBODIED_DIE_METHOD),
                     "model-bound");
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_EMBODIED_BOARD_KGCO2E), 284.25);
    ck_assert_str_eq(
        llmc_profile_get_text(p, LLMC_PROFILE_EMBODIED_BOARD_METHOD), "pcf");
    llmc_profile_free(p);
}
END_TEST

START_TEST(test_profile_v100_embodied_by_scope)
{
    /* data/embodied.csv's model: die 8.15 cm2 x 1.2 kg/cm2 = 9.78 (the
     * figure the catalogue used to give, die only); package + 32 GB x
     * 0.4 kg/GB; board + 117.348 kg; server + 970 kg / 8. embodied_kgco2e
     * is now the board scope. */
    llmc_profile *p = lookup_ok("NVIDIA V100 SXM2 32GB");
    ck_assert_double_eq_tol(get_ok(p, LLMC_PROFILE_EMBODIED_DIE_KGCO2E), 9.78,
                            1e-12);
    ck_assert_double_eq_tol(get_ok(p, LLMC_PROFILE_EMBODIED_PACKAGE_KGCO2E),
                            22.58, 1e-12);
    ck_assert_double_eq_tol(get_ok(p, LLMC_PROFILE_EMBODIED_BOARD_KGCO2E),
                            139.928, 1e-12);
    ck_assert_double_eq_tol(get_ok(p, LLMC_PROFILE_EMBODIED_SERVER_KGCO2E),
                            261.178, 1e-12);
    ck_assert_double_eq_tol(get_ok(p, LLMC_PROFILE_EMBODIED_KGCO2E), 139.928,
                            1e-12);
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_EMBODIED_BASIS),
                     "board-share");
    ck_assert_str_eq(
        llmc_profile_get_text(p, LLMC_PROFILE_EMBODIED_DIE_METHOD), "model");
    ck_assert_str_eq(
        llmc_profile_get_text(p, LLMC_PROFILE_EMBODIED_SERVER_METHOD), "model");
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_TDP_W), 300.0);
    /* the V100 has no BF16 */
    assert_unknown(p, LLMC_PROFILE_PEAK_BF16_FLOPS);
    llmc_profile_free(p);
}
END_TEST

START_TEST(test_profile_unknown_tdp_is_enodata_never_zero)
{
    llmc_profile *p = lookup_ok("NVIDIA A10 24GB");
    double v = -1.0;
    int rc = llmc_profile_get(&v, p, LLMC_PROFILE_TDP_W);
    ck_assert_status(rc, LLMC_ENODATA);
    ck_assert_double_eq(v, -1.0);
    ck_assert_error_mentions("NVIDIA A10 24GB");
    ck_assert_error_mentions("tdp_w");
    /* the rest of the row is there */
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_MEMORY_GB), 24.0);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_PEAK_BF16_FLOPS), 125e12);
    /* the embodied model needs no TDP: 6.28 cm2 at Samsung 8 nm */
    ck_assert_double_eq_tol(get_ok(p, LLMC_PROFILE_EMBODIED_DIE_KGCO2E), 7.85,
                            1e-12);
    llmc_profile_free(p);
    /* a CPU: no board of its own, so the board scope (and the legacy
     * figure and basis with it) is unknown, never 0; its server share is
     * known */
    p = lookup_ok("xeon 8480+");
    assert_unknown(p, LLMC_PROFILE_EMBODIED_KGCO2E);
    assert_unknown(p, LLMC_PROFILE_EMBODIED_DIE_KGCO2E);
    assert_unknown(p, LLMC_PROFILE_EMBODIED_PACKAGE_KGCO2E);
    assert_unknown(p, LLMC_PROFILE_EMBODIED_BOARD_KGCO2E);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_EMBODIED_SERVER_KGCO2E), 485.0);
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_EMBODIED_BASIS), "");
    ck_assert_str_eq(
        llmc_profile_get_text(p, LLMC_PROFILE_EMBODIED_BOARD_METHOD), "");
    llmc_profile_free(p);
}
END_TEST

START_TEST(test_profile_catalogue_lifetime_is_unknown_not_invented)
{
    /* No source in the catalogue gives a service life: the profile says so,
     * and the estimator applies (and names) its default instead. */
    llmc_profile *p = lookup_ok("h100 sxm");
    assert_unknown(p, LLMC_PROFILE_LIFETIME_S);
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_LIFETIME_SOURCE), "");
    llmc_profile_free(p);
}
END_TEST

START_TEST(test_profile_lookup_h100_is_ambiguous_and_lists_parts)
{
    llmc_profile *p = NULL;
    int rc = llmc_profile_lookup(&p, "H100");
    ck_assert_status(rc, LLMC_EAMBIGUOUS);
    ck_assert_error_mentions("NVIDIA H100 SXM5 80GB");
    ck_assert_error_mentions("NVIDIA H100 PCIe 80GB");
    ck_assert_error_mentions("NVIDIA H100 NVL 94GB");
    ck_assert_ptr_null(p);
}
END_TEST

START_TEST(test_profile_lookup_a100_is_ambiguous_and_lists_all_four)
{
    llmc_profile *p = NULL;
    ck_assert_status(llmc_profile_lookup(&p, "A100"), LLMC_EAMBIGUOUS);
    ck_assert_error_mentions("NVIDIA A100 SXM4 40GB");
    ck_assert_error_mentions("NVIDIA A100 SXM4 80GB");
    ck_assert_error_mentions("NVIDIA A100 PCIe 40GB");
    ck_assert_error_mentions("NVIDIA A100 PCIe 80GB");
    ck_assert_error_mentions("A100");
    ck_assert_ptr_null(p);
}
END_TEST

START_TEST(test_profile_lookup_v100_is_ambiguous_and_lists_both)
{
    llmc_profile *p = NULL;
    ck_assert_status(llmc_profile_lookup(&p, "v100"), LLMC_EAMBIGUOUS);
    ck_assert_error_mentions("NVIDIA V100 SXM2 32GB");
    ck_assert_error_mentions("NVIDIA V100 PCIe 16GB");
    ck_assert_ptr_null(p);
    /* a part that fits two memory sizes is just as ambiguous */
    ck_assert_status(llmc_profile_lookup(&p, "a100 80gb"), LLMC_EAMBIGUOUS);
    ck_assert_error_mentions("NVIDIA A100 SXM4 80GB");
    ck_assert_error_mentions("NVIDIA A100 PCIe 80GB");
    ck_assert_ptr_null(strstr(llmc_last_error(), "40GB"));
}
END_TEST

/* ---- names as drivers print them -------------------------------------- */

/* The exact strings nvidia-smi, NVML and rocm-smi/rocminfo print for each
 * accelerator (sources: the alias_source column of data/hardware.csv),
 * and the row each must find. Some already equal the catalogue name. */
static const struct {
    const char *query;
    const char *name;
} driver_names[] = {
    {"NVIDIA H100 80GB HBM3", "NVIDIA H100 SXM5 80GB"},
    {"NVIDIA H100 PCIe", "NVIDIA H100 PCIe 80GB"},
    {"NVIDIA H100 NVL", "NVIDIA H100 NVL 94GB"},
    {"NVIDIA A100-SXM4-80GB", "NVIDIA A100 SXM4 80GB"},
    {"NVIDIA A100-SXM4-40GB", "NVIDIA A100 SXM4 40GB"},
    {"NVIDIA A100 80GB PCIe", "NVIDIA A100 PCIe 80GB"},
    {"NVIDIA A100-PCIE-40GB", "NVIDIA A100 PCIe 40GB"},
    {"Tesla V100-SXM2-32GB", "NVIDIA V100 SXM2 32GB"},
    {"Tesla V100-PCIE-16GB", "NVIDIA V100 PCIe 16GB"},
    {"Tesla T4", "NVIDIA T4"},
    {"NVIDIA L4", "NVIDIA L4"},
    {"NVIDIA L40S", "NVIDIA L40S"},
    {"NVIDIA A10", "NVIDIA A10 24GB"},
    {"NVIDIA GeForce RTX 4090", "NVIDIA GeForce RTX 4090"},
    {"NVIDIA H200", "NVIDIA H200 SXM 141GB"},
    {"NVIDIA B200", "NVIDIA B200 SXM (HGX)"},
    {"NVIDIA GB200", "NVIDIA B200 in GB200 (per GPU)"},
    {"AMD Instinct MI300X", "AMD Instinct MI300X"},
    {"AMD Instinct MI250X/MI250", "AMD Instinct MI250X"},
    {"NVIDIA A40", "NVIDIA A40"},
    {"NVIDIA RTX A6000", "NVIDIA RTX A6000"},
    /* case and separators do not matter for driver names either */
    {"nvidia h100 80gb hbm3", "NVIDIA H100 SXM5 80GB"},
    {"tesla-t4", "NVIDIA T4"},
};

START_TEST(test_profile_lookup_finds_driver_names)
{
    llmc_profile *p = lookup_ok(driver_names[_i].query);
    ck_assert_msg(strcmp(llmc_profile_get_text(p, LLMC_PROFILE_NAME),
                         driver_names[_i].name) == 0,
                  "'%s' found '%s', want '%s'", driver_names[_i].query,
                  llmc_profile_get_text(p, LLMC_PROFILE_NAME),
                  driver_names[_i].name);
    llmc_profile_free(p);
}
END_TEST

/* What `llmcarbon hw show "NVIDIA H100 80GB HBM3"` looks up: the H100
 * SXM5 row with its own numbers, not a copy. */
START_TEST(test_profile_hw_show_nvml_name_of_h100_sxm5)
{
    llmc_profile *p = lookup_ok("NVIDIA H100 80GB HBM3");
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_NAME),
                     "NVIDIA H100 SXM5 80GB");
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_TDP_W), 700.0);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_MEMORY_GB), 80.0);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_PEAK_BF16_FLOPS), 989e12);
    llmc_profile_free(p);
}
END_TEST

static llmc_profile *device_ok(const char *name, double memory_gib,
                               double power_w)
{
    llmc_profile *p = NULL;
    int rc = llmc_profile_lookup_device(&p, name, memory_gib, power_w);
    ck_assert_msg(rc == LLMC_OK, "lookup_device('%s', %g GiB, %g W) = %s: %s",
                  name, memory_gib, power_w, llmc_status_name(rc),
                  llmc_last_error());
    ck_assert_ptr_nonnull(p);
    return p;
}

/* Names that fit several rows; the device's memory (GiB, NVML's total /
 * 2^30) or default power limit picks one. */
static const struct {
    const char *query;
    double memory_gib, power_w;
    const char *name;
} by_device[] = {
    {"H200", NAN, 700.0, "NVIDIA H200 SXM 141GB"},
    {"H200", NAN, 600.0, "NVIDIA H200 NVL"},
    {"H200", 140.4, 600.0, "NVIDIA H200 NVL"},
    /* 183359 MiB, as nvidia-smi shows for an HGX B200 */
    {"B200", 183359.0 / 1024.0, NAN, "NVIDIA B200 SXM (HGX)"},
    {"B200", 185.0, NAN, "NVIDIA B200 in GB200 (per GPU)"},
    {"B200", NAN, 1200.0, "NVIDIA B200 in GB200 (per GPU)"},
    /* 99961274368 bytes, an H100 NVL */
    {"H100", 99961274368.0 / 1073741824.0, NAN, "NVIDIA H100 NVL 94GB"},
    {"H100", 81559.0 / 1024.0, 700.0, "NVIDIA H100 SXM5 80GB"},
    {"H100", 81559.0 / 1024.0, 350.0, "NVIDIA H100 PCIe 80GB"},
    {"A100", 40.0, 250.0, "NVIDIA A100 PCIe 40GB"},
    {"A100", 80.0, 400.0, "NVIDIA A100 SXM4 80GB"},
    /* a name that fits one row is not second-guessed */
    {"NVIDIA H100 80GB HBM3", 80.0, 350.0, "NVIDIA H100 SXM5 80GB"},
    {"NVIDIA H100 80GB HBM3", NAN, NAN, "NVIDIA H100 SXM5 80GB"},
};

START_TEST(test_profile_lookup_device_memory_or_power_decides)
{
    llmc_profile *p = device_ok(by_device[_i].query, by_device[_i].memory_gib,
                                by_device[_i].power_w);
    ck_assert_msg(strcmp(llmc_profile_get_text(p, LLMC_PROFILE_NAME),
                         by_device[_i].name) == 0,
                  "'%s' with %g GiB and %g W found '%s', want '%s'",
                  by_device[_i].query, by_device[_i].memory_gib,
                  by_device[_i].power_w,
                  llmc_profile_get_text(p, LLMC_PROFILE_NAME),
                  by_device[_i].name);
    llmc_profile_free(p);
}
END_TEST

START_TEST(test_profile_lookup_device_takes_amd_form_factor_names)
{
    llmc_profile *p = NULL;
    /* rocm-smi's card series and amd-smi's product name end in "OAM" */
    ck_assert_status(llmc_profile_lookup_device(&p, "AMD Instinct MI300X OAM",
                                                192.0, 750.0),
                     LLMC_OK);
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_NAME),
                     "AMD Instinct MI300X");
    llmc_profile_free(p);
    ck_assert_status(llmc_profile_lookup_device(&p, "AMD Instinct MI325X OAM ",
                                                NAN, NAN),
                     LLMC_OK);
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_NAME),
                     "AMD Instinct MI325X");
    llmc_profile_free(p);
    /* rocminfo's marketing name is the catalogue's */
    ck_assert_status(llmc_profile_lookup_device(&p, "AMD Instinct MI300X", NAN,
                                                NAN),
                     LLMC_OK);
    llmc_profile_free(p);
    /* a name that is not there stays not found, with its own words */
    ck_assert_status(llmc_profile_lookup_device(&p, "AMD Instinct MI999 OAM",
                                                NAN, NAN),
                     LLMC_ENOTFOUND);
    ck_assert_error_mentions("MI999 OAM");
}
END_TEST

START_TEST(test_profile_lookup_device_undecided_is_eambiguous_with_candidates)
{
    llmc_profile *p = NULL;
    /* SXM5 and PCIe both have 80 GB; NVL is ruled out by its 94 GB */
    ck_assert_status(
        llmc_profile_lookup_device(&p, "H100", 81559.0 / 1024.0, NAN),
        LLMC_EAMBIGUOUS);
    ck_assert_ptr_null(p);
    ck_assert_error_mentions("matches 2 profiles");
    ck_assert_error_mentions("'NVIDIA H100 SXM5 80GB' (80 GB, 700 W)");
    ck_assert_error_mentions("'NVIDIA H100 PCIe 80GB' (80 GB, 350 W)");
    ck_assert_error_mentions("no power limit");
    ck_assert_ptr_null(strstr(llmc_last_error(), "NVL"));

    /* both H200 parts carry 141 GB, so memory alone cannot tell them apart */
    ck_assert_status(llmc_profile_lookup_device(&p, "H200", 140.4, NAN),
                     LLMC_EAMBIGUOUS);
    ck_assert_error_mentions("'NVIDIA H200 SXM 141GB' (141 GB, 700 W)");
    ck_assert_error_mentions("'NVIDIA H200 NVL' (141 GB, 600 W)");

    /* a limit halfway between two parts decides nothing */
    ck_assert_status(llmc_profile_lookup_device(&p, "H200", NAN, 650.0),
                     LLMC_EAMBIGUOUS);
    ck_assert_error_mentions("650 W");

    /* nothing known: as llmc_profile_lookup */
    ck_assert_status(llmc_profile_lookup_device(&p, "v100", NAN, NAN),
                     LLMC_EAMBIGUOUS);
    ck_assert_error_mentions("NVIDIA V100 SXM2 32GB");
    ck_assert_error_mentions("NVIDIA V100 PCIe 16GB");
    ck_assert_ptr_null(p);
}
END_TEST

START_TEST(test_profile_lookup_device_rejects_bad_arguments)
{
    llmc_profile *p = NULL;
    ck_assert_status(llmc_profile_lookup_device(NULL, "H100", 80.0, 700.0),
                     LLMC_EINVAL);
    ck_assert_status(llmc_profile_lookup_device(&p, NULL, 80.0, 700.0),
                     LLMC_EINVAL);
    ck_assert_status(llmc_profile_lookup_device(&p, "H100", -80.0, 700.0),
                     LLMC_ERANGE);
    ck_assert_error_mentions("memory_gib");
    ck_assert_status(llmc_profile_lookup_device(&p, "H100", 80.0, INFINITY),
                     LLMC_ERANGE);
    ck_assert_error_mentions("power_limit_w");
    ck_assert_status(llmc_profile_lookup_device(&p, "Tesla T5", NAN, NAN),
                     LLMC_ENOTFOUND);
    ck_assert_error_mentions("'NVIDIA T4'");
    ck_assert_ptr_null(p);
}
END_TEST

START_TEST(test_profile_lookup_typo_suggests_closest_name)
{
    llmc_profile *p = NULL;
    ck_assert_status(llmc_profile_lookup(&p, "h1OO-sxm"), LLMC_ENOTFOUND);
    ck_assert_error_mentions("'NVIDIA H100 SXM5 80GB'");
    ck_assert_error_mentions("h1OO-sxm");
    ck_assert_ptr_null(p);
}
END_TEST

START_TEST(test_profile_lookup_unknown_name_advises_hw_list)
{
    llmc_profile *p = NULL;
    ck_assert_status(llmc_profile_lookup(&p, "zzzz"), LLMC_ENOTFOUND);
    ck_assert_error_mentions("zzzz");
    ck_assert_error_mentions("llmcarbon hw list");
    ck_assert_ptr_null(p);
}
END_TEST

START_TEST(test_profile_lookup_every_word_of_the_name_counts)
{
    /* a word that fits no profile makes the name fit none, however many
     * words come before it */
    llmc_profile *p = NULL;
    ck_assert_status(llmc_profile_lookup(&p, "sxm5 quantum"), LLMC_ENOTFOUND);
    ck_assert_status(llmc_profile_lookup(&p, "sxm5 sxm5 sxm5 sxm5 sxm5 sxm5 "
                                             "sxm5 sxm5 sxm5 sxm5 sxm5 sxm5 "
                                             "sxm5 sxm5 sxm5 sxm5 quantum"),
                     LLMC_ENOTFOUND);
    ck_assert_ptr_null(p);
}
END_TEST

START_TEST(test_profile_lookup_rejects_null_and_empty)
{
    llmc_profile *p = NULL;
    ck_assert_status(llmc_profile_lookup(&p, NULL), LLMC_EINVAL);
    ck_assert_ptr_null(p);
    ck_assert_status(llmc_profile_lookup(&p, ""), LLMC_EINVAL);
    ck_assert_ptr_null(p);
    ck_assert_status(llmc_profile_lookup(NULL, "h100 sxm"), LLMC_EINVAL);
}
END_TEST

/* ---- the catalogue against data/hardware.csv -------------------------- */

START_TEST(test_profile_catalogue_count_matches_csv)
{
    struct csv c;
    csv_load(&c, "data/hardware.csv");
    ck_assert_uint_eq(c.nrows, 47);
    ck_assert_uint_eq(llmc_profile_catalogue_count(), c.nrows);
    csv_free(&c);
}
END_TEST

static void assert_cell_number(const llmc_profile *p, llmc_profile_field f,
                               const char *text, int tflops)
{
    char buf[128];
    double want, got;
    if (!*text) {
        assert_unknown(p, f);
        return;
    }
    /* "989" TFLOPS is 989e12 FLOP/s, rounded once */
    snprintf(buf, sizeof buf, "%s%s", text, tflops ? "e12" : "");
    want = strtod(buf, NULL);
    got = get_ok(p, f);
    ck_assert_msg(got == want, "'%s' field %d: %.17g, CSV says %s",
                  llmc_profile_get_text(p, LLMC_PROFILE_NAME), (int)f, got,
                  buf);
}

START_TEST(test_profile_embodied_scopes_match_embodied_csv)
{
    static const struct {
        const char *scope;
        llmc_profile_field figure;
        llmc_profile_text method;
    } scopes[] = {
        {"die", LLMC_PROFILE_EMBODIED_DIE_KGCO2E,
         LLMC_PROFILE_EMBODIED_DIE_METHOD},
        {"package", LLMC_PROFILE_EMBODIED_PACKAGE_KGCO2E,
         LLMC_PROFILE_EMBODIED_PACKAGE_METHOD},
        {"board", LLMC_PROFILE_EMBODIED_BOARD_KGCO2E,
         LLMC_PROFILE_EMBODIED_BOARD_METHOD},
        {"server", LLMC_PROFILE_EMBODIED_SERVER_KGCO2E,
         LLMC_PROFILE_EMBODIED_SERVER_METHOD},
    };
    struct csv c, dies;
    csv_load(&c, "data/embodied.csv");
    /* a device whose data/dies.csv rows take an area or node at its bound
     * has model-bound figures; every other model figure is model */
    csv_load(&dies, "data/dies.csv");
    /* four scopes for each catalogue row */
    ck_assert_uint_eq(c.nrows, 4 * llmc_profile_catalogue_count());
    for (size_t i = 0; i < c.nrows; i++) {
        const char *method = csv_cell(&c, i, "method");
        llmc_profile *p = lookup_ok(csv_cell(&c, i, "name"));
        size_t k = 0;
        while (k < 4 && strcmp(scopes[k].scope, csv_cell(&c, i, "scope")) != 0)
            k++;
        ck_assert_uint_lt(k, 4);
        if (strcmp(method, "none") == 0) {
            assert_unknown(p, scopes[k].figure);
            ck_assert_str_eq(llmc_profile_get_text(p, scopes[k].method), "");
        } else if (strcmp(method, "pcf") == 0) {
            ck_assert_double_eq(get_ok(p, scopes[k].figure),
                                strtod(csv_cell(&c, i, "kgco2e"), NULL));
            ck_assert_str_eq(llmc_profile_get_text(p, scopes[k].method), "pcf");
        } else {
            const char *m = llmc_profile_get_text(p, scopes[k].method);
            const char *want = "model";
            for (size_t d = 0; d < dies.nrows; d++)
                if (strcmp(csv_cell(&dies, d, "name"),
                           csv_cell(&c, i, "name")) == 0 &&
                    (strcmp(csv_cell(&dies, d, "area_basis"), "bound") == 0 ||
                     strcmp(csv_cell(&dies, d, "node_basis"), "bound") == 0))
                    want = "model-bound";
            ck_assert_double_gt(get_ok(p, scopes[k].figure), 0.0);
            ck_assert_msg(strcmp(m, want) == 0 || strcmp(m, "pcf+model") == 0,
                          "%s %s: method '%s', not '%s'",
                          csv_cell(&c, i, "name"), scopes[k].scope, m, want);
        }
        llmc_profile_free(p);
    }
    csv_free(&dies);
    csv_free(&c);
}
END_TEST

START_TEST(test_profile_embodied_scope_fields_load_and_validate)
{
    llmc_profile *p = NULL;
    ck_assert_int_eq(
        load_text(&p, "{\"name\": \"site\", \"embodied_die_kgco2e\": 12.5, "
                      "\"embodied_die_method\": \"model\", "
                      "\"embodied_server_kgco2e\": 300}"),
        LLMC_OK);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_EMBODIED_DIE_KGCO2E), 12.5);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_EMBODIED_SERVER_KGCO2E), 300.0);
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_EMBODIED_DIE_METHOD),
                     "model");
    assert_unknown(p, LLMC_PROFILE_EMBODIED_BOARD_KGCO2E);
    ck_assert_str_eq(llmc_profile_field_name(LLMC_PROFILE_EMBODIED_BOARD_KGCO2E),
                     "embodied_board_kgco2e");
    ck_assert_str_eq(llmc_profile_text_name(LLMC_PROFILE_EMBODIED_SERVER_METHOD),
                     "embodied_server_method");
    ck_assert_status(llmc_profile_set_text(
                         p, LLMC_PROFILE_EMBODIED_BOARD_METHOD, "guess"),
                     LLMC_EINVAL);
    ck_assert_error_mentions("pcf, model, model-bound, pcf+model or given");
    ck_assert_int_eq(llmc_profile_set_text(p, LLMC_PROFILE_EMBODIED_BOARD_METHOD,
                                           "model-bound"),
                     LLMC_OK);
    llmc_profile_free(p);
}
END_TEST

START_TEST(test_profile_catalogue_matches_csv_cell_by_cell)
{
    static const struct {
        const char *column;
        llmc_profile_field field;
        int tflops;
    } numbers[] = {
        {"tdp_w", LLMC_PROFILE_TDP_W, 0},
        {"idle_w", LLMC_PROFILE_IDLE_W, 0},
        {"bf16_dense_tflops", LLMC_PROFILE_PEAK_BF16_FLOPS, 1},
        {"fp16_dense_tflops", LLMC_PROFILE_PEAK_FP16_FLOPS, 1},
        {"tf32_tflops", LLMC_PROFILE_PEAK_TF32_FLOPS, 1},
        {"fp32_tflops", LLMC_PROFILE_PEAK_FP32_FLOPS, 1},
        {"fp8_dense_tflops", LLMC_PROFILE_PEAK_FP8_FLOPS, 1},
        {"memory_gb", LLMC_PROFILE_MEMORY_GB, 0},
        {"die_mm2", LLMC_PROFILE_DIE_MM2, 0},
        {"process_nm", LLMC_PROFILE_PROCESS_NM, 0},
    };
    struct csv c;
    csv_load(&c, "data/hardware.csv");
    ck_assert_uint_eq(llmc_profile_catalogue_count(), c.nrows);
    for (size_t i = 0; i < c.nrows; i++) {
        const char *name = csv_cell(&c, i, "name");
        llmc_profile *byname = lookup_ok(name), *byindex = NULL;

        /* a catalogue name finds itself, not a longer or shorter one */
        ck_assert_str_eq(llmc_profile_get_text(byname, LLMC_PROFILE_NAME), name);
        /* the catalogue keeps CSV order */
        ck_assert_int_eq(llmc_profile_catalogue_get(&byindex, i), LLMC_OK);
        ck_assert_str_eq(llmc_profile_get_text(byindex, LLMC_PROFILE_NAME),
                         name);

        ck_assert_str_eq(llmc_profile_get_text(byname, LLMC_PROFILE_VENDOR),
                         csv_cell(&c, i, "vendor"));
        ck_assert_str_eq(llmc_profile_get_text(byname, LLMC_PROFILE_KIND),
                         csv_cell(&c, i, "kind"));
        ck_assert_str_eq(llmc_profile_get_text(byname, LLMC_PROFILE_SOURCE),
                         csv_cell(&c, i, "source"));
        for (size_t k = 0; k < sizeof numbers / sizeof numbers[0]; k++) {
            assert_cell_number(byname, numbers[k].field,
                               csv_cell(&c, i, numbers[k].column),
                               numbers[k].tflops);
            assert_cell_number(byindex, numbers[k].field,
                               csv_cell(&c, i, numbers[k].column),
                               numbers[k].tflops);
        }
        assert_unknown(byname, LLMC_PROFILE_LIFETIME_S);
        llmc_profile_free(byindex);
        llmc_profile_free(byname);
    }
    csv_free(&c);
}
END_TEST

START_TEST(test_profile_catalogue_get_past_the_end_is_erange)
{
    llmc_profile *p = NULL;
    size_t n = llmc_profile_catalogue_count();
    /* llmc_profile_lookup(3): ERANGE when index is not below the count */
    ck_assert_status(llmc_profile_catalogue_get(&p, n), LLMC_ERANGE);
    ck_assert_ptr_null(p);
    ck_assert_status(llmc_profile_catalogue_get(&p, (size_t)-1), LLMC_ERANGE);
    ck_assert_ptr_null(p);
    ck_assert_status(llmc_profile_catalogue_get(NULL, 0), LLMC_EINVAL);
}
END_TEST

START_TEST(test_profile_catalogue_tdp_is_plausible)
{
    size_t n = llmc_profile_catalogue_count(), known = 0;
    for (size_t i = 0; i < n; i++) {
        llmc_profile *p = NULL;
        double tdp;
        ck_assert_int_eq(llmc_profile_catalogue_get(&p, i), LLMC_OK);
        if (llmc_profile_get(&tdp, p, LLMC_PROFILE_TDP_W) == LLMC_OK) {
            ck_assert_msg(tdp > 0.0 && tdp < 2000.0, "'%s' TDP %g W",
                          llmc_profile_get_text(p, LLMC_PROFILE_NAME), tdp);
            known++;
        } else {
            ck_assert_int_eq(llmc_profile_get(&tdp, p, LLMC_PROFILE_TDP_W),
                             LLMC_ENODATA);
        }
        llmc_profile_free(p);
    }
    /* blank only for GH200 141GB, A10, TPU v5e, v5p, v6e, Trainium2 and
     * the two boards */
    ck_assert_uint_eq(known, n - 8);
}
END_TEST

START_TEST(test_profile_catalogue_kinds_are_documented)
{
    static const char *const kinds[] = {"gpu", "tpu", "accelerator", "board",
                                        "cpu"};
    size_t n = llmc_profile_catalogue_count(), cpus = 0;
    for (size_t i = 0; i < n; i++) {
        llmc_profile *p = NULL;
        const char *kind;
        int ok = 0;
        ck_assert_int_eq(llmc_profile_catalogue_get(&p, i), LLMC_OK);
        kind = llmc_profile_get_text(p, LLMC_PROFILE_KIND);
        for (size_t k = 0; k < 5; k++)
            ok |= strcmp(kind, kinds[k]) == 0;
        ck_assert_msg(ok, "'%s' has kind '%s'",
                      llmc_profile_get_text(p, LLMC_PROFILE_NAME), kind);
        cpus += strcmp(kind, "cpu") == 0;
        ck_assert_str_ne(llmc_profile_get_text(p, LLMC_PROFILE_SOURCE), "");
        llmc_profile_free(p);
    }
    ck_assert_uint_ge(cpus, 5);
}
END_TEST

START_TEST(test_profile_catalogue_has_required_parts)
{
    static const char *const required[] = {
        "NVIDIA V100 SXM2 32GB",
        "NVIDIA A100 SXM4 40GB",
        "NVIDIA A100 SXM4 80GB",
        "NVIDIA A100 PCIe 40GB",
        "NVIDIA A100 PCIe 80GB",
        "NVIDIA H100 SXM5 80GB",
        "NVIDIA H100 PCIe 80GB",
        "NVIDIA H100 NVL 94GB",
        "NVIDIA H200 SXM 141GB",
        "NVIDIA B200 SXM (HGX)",
        "NVIDIA GH200 96GB (Hopper GPU of superchip)",
        "NVIDIA L4",
        "NVIDIA L40S",
        "NVIDIA A10 24GB",
        "NVIDIA T4",
        "NVIDIA GeForce RTX 4090",
        "AMD Instinct MI250X",
        "AMD Instinct MI300X",
        "Google TPU v3 (chip)",
        "Google TPU v4 (chip)",
        "Google TPU v5e (chip)",
        "Google TPU v5p (chip)",
        "Intel Gaudi2",
        "NVIDIA A40",
        "NVIDIA RTX A6000",
        "NVIDIA B300 SXM (HGX)",
        "NVIDIA B300 in GB300 (per GPU)",
        "AMD Instinct MI325X",
        "Google TPU v6e Trillium (chip)",
        "Intel Gaudi 3 OAM",
        "AWS Trainium2 (chip)",
    };
    size_t n = llmc_profile_catalogue_count();
    for (size_t r = 0; r < sizeof required / sizeof required[0]; r++) {
        int found = 0;
        for (size_t i = 0; i < n && !found; i++) {
            llmc_profile *p = NULL;
            ck_assert_int_eq(llmc_profile_catalogue_get(&p, i), LLMC_OK);
            found = strcmp(llmc_profile_get_text(p, LLMC_PROFILE_NAME),
                           required[r]) == 0;
            llmc_profile_free(p);
        }
        ck_assert_msg(found, "'%s' is missing from the catalogue", required[r]);
    }
}
END_TEST

/* The devices the catalogue gained with the newer parts, found by the short
 * names users type, with the values data/hardware.csv gives them; NAN
 * where no source gives one (the profile then says LLMC_ENODATA). */
static const struct {
    const char *query, *name;
    double tdp_w, bf16_flops, memory_gb;
} added[] = {
    {"A40", "NVIDIA A40", 300.0, 149.7e12, 48.0},
    {"RTX A6000", "NVIDIA RTX A6000", 300.0, 154.8e12, 48.0},
    {"B300 SXM", "NVIDIA B300 SXM (HGX)", 1000.0, 2250e12, 288.0},
    {"GB300", "NVIDIA B300 in GB300 (per GPU)", 1400.0, 2500e12, 288.0},
    {"MI325X", "AMD Instinct MI325X", 1000.0, 1300e12, 256.0},
    {"TPU v6e", "Google TPU v6e Trillium (chip)", NAN, 918e12, 32.0},
    {"Trillium", "Google TPU v6e Trillium (chip)", NAN, 918e12, 32.0},
    {"Gaudi 3", "Intel Gaudi 3 OAM", 900.0, 1835e12, 128.0},
    {"Trainium2", "AWS Trainium2 (chip)", NAN, 667e12, 96.0},
};

static void assert_value(const llmc_profile *p, llmc_profile_field f,
                         double want)
{
    if (isnan(want))
        assert_unknown(p, f);
    else
        ck_assert_double_eq(get_ok(p, f), want);
}

START_TEST(test_profile_lookup_finds_added_devices)
{
    llmc_profile *p = lookup_ok(added[_i].query);
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_NAME),
                     added[_i].name);
    assert_value(p, LLMC_PROFILE_TDP_W, added[_i].tdp_w);
    assert_value(p, LLMC_PROFILE_PEAK_BF16_FLOPS, added[_i].bf16_flops);
    assert_value(p, LLMC_PROFILE_MEMORY_GB, added[_i].memory_gb);
    ck_assert_str_ne(llmc_profile_get_text(p, LLMC_PROFILE_SOURCE), "");
    /* embodied_kgco2e is the board scope, known or not */
    {
        double legacy = NAN, board = NAN;
        int a = llmc_profile_get(&legacy, p, LLMC_PROFILE_EMBODIED_KGCO2E);
        int b = llmc_profile_get(&board, p, LLMC_PROFILE_EMBODIED_BOARD_KGCO2E);
        ck_assert_int_eq(a, b);
        if (a == LLMC_OK)
            ck_assert_double_eq(legacy, board);
    }
    llmc_profile_free(p);
}
END_TEST

START_TEST(test_profile_lookup_b300_is_ambiguous_and_lists_both)
{
    llmc_profile *p = NULL;
    ck_assert_status(llmc_profile_lookup(&p, "B300"), LLMC_EAMBIGUOUS);
    ck_assert_error_mentions("NVIDIA B300 SXM (HGX)");
    ck_assert_error_mentions("NVIDIA B300 in GB300 (per GPU)");
    ck_assert_ptr_null(p);
    /* the per-GPU power limit decides, as for the B200 */
    p = device_ok("B300", NAN, 1400.0);
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_NAME),
                     "NVIDIA B300 in GB300 (per GPU)");
    llmc_profile_free(p);
    p = device_ok("B300", NAN, 1000.0);
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_NAME),
                     "NVIDIA B300 SXM (HGX)");
    llmc_profile_free(p);
}
END_TEST

/* Values corrected by the row-by-row audit (data/README.md, "Row-by-row
 * check"), as the library carries them. */
START_TEST(test_profile_catalogue_carries_audited_values)
{
    llmc_profile *p = lookup_ok("Google TPU v3 (chip)");
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_TDP_W), 450.0);
    llmc_profile_free(p);
    /* the measured maximum; the 170 W mean is not the TDP */
    p = lookup_ok("Google TPU v4 (chip)");
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_TDP_W), 192.0);
    ck_assert_ptr_nonnull(
        strstr(llmc_profile_get_text(p, LLMC_PROFILE_SOURCE), "90/170/192 W"));
    llmc_profile_free(p);
    p = lookup_ok("NVIDIA B200 SXM (HGX)");
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_PEAK_TF32_FLOPS), 1100e12);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_PEAK_FP32_FLOPS), 75e12);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_PEAK_BF16_FLOPS), 2250e12);
    llmc_profile_free(p);
    /* the whole module, and the row says so */
    p = lookup_ok("NVIDIA GH200 96GB (Hopper GPU of superchip)");
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_TDP_W), 1000.0);
    ck_assert_ptr_nonnull(strstr(llmc_profile_get_text(p, LLMC_PROFILE_SOURCE),
                                 "WHOLE superchip module"));
    llmc_profile_free(p);
}
END_TEST

START_TEST(test_profile_changes_never_reach_the_catalogue)
{
    llmc_profile *p = lookup_ok("h100 sxm");
    ck_assert_int_eq(llmc_profile_set(p, LLMC_PROFILE_TDP_W, 500.0), LLMC_OK);
    ck_assert_int_eq(llmc_profile_set_text(p, LLMC_PROFILE_NAME, "capped"),
                     LLMC_OK);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_TDP_W), 500.0);
    llmc_profile_free(p);
    p = lookup_ok("NVIDIA H100 SXM5 80GB");
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_TDP_W), 700.0);
    llmc_profile_free(p);
}
END_TEST

/* ---- new, setters, freezing ------------------------------------------- */

START_TEST(test_profile_new_starts_unknown)
{
    llmc_profile *p = NULL;
    ck_assert_int_eq(llmc_profile_new(&p, "lab workstation"), LLMC_OK);
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_NAME),
                     "lab workstation");
    for (size_t i = 0; i < NFIELDS; i++)
        if (all_fields[i] != LLMC_PROFILE_LIFETIME_S)
            assert_unknown(p, all_fields[i]);
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_VENDOR), "");
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_KIND), "");
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_SOURCE), "");
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_EMBODIED_BASIS), "");
    llmc_profile_free(p);
}
END_TEST

START_TEST(test_profile_new_lifetime_starts_unknown)
{
    /* llmc_profile_new(3): "Every number starts unknown, and every text
     * other than the name starts empty" - the lifetime included */
    llmc_profile *p = NULL;
    ck_assert_int_eq(llmc_profile_new(&p, "lab workstation"), LLMC_OK);
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_LIFETIME_SOURCE),
                     "");
    assert_unknown(p, LLMC_PROFILE_LIFETIME_S);
    llmc_profile_free(p);
}
END_TEST

START_TEST(test_profile_json_left_out_lifetime_is_unknown)
{
    /* llmc_profile_new(3): "A key that is left out leaves its field
     * unknown" */
    llmc_profile *p = NULL;
    ck_assert_int_eq(load_text(&p, "{\"name\": \"no lifetime\"}"), LLMC_OK);
    assert_unknown(p, LLMC_PROFILE_LIFETIME_S);
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_LIFETIME_SOURCE),
                     "");
    llmc_profile_free(p);
}
END_TEST

START_TEST(test_profile_new_rejects_null_and_empty_name)
{
    llmc_profile *p = NULL;
    ck_assert_status(llmc_profile_new(&p, NULL), LLMC_EINVAL);
    ck_assert_ptr_null(p);
    ck_assert_status(llmc_profile_new(&p, ""), LLMC_EINVAL);
    ck_assert_ptr_null(p);
    ck_assert_status(llmc_profile_new(NULL, "x"), LLMC_EINVAL);
}
END_TEST

START_TEST(test_profile_set_get_round_trip_every_field)
{
    llmc_profile *p = NULL;
    ck_assert_int_eq(llmc_profile_new(&p, "round trip"), LLMC_OK);
    for (size_t i = 0; i < NFIELDS; i++)
        ck_assert_int_eq(llmc_profile_set(p, all_fields[i], 10.5 + (double)i),
                         LLMC_OK);
    for (size_t i = 0; i < NFIELDS; i++)
        ck_assert_double_eq(get_ok(p, all_fields[i]), 10.5 + (double)i);
    /* 0 is a value like any other (a device that draws nothing at idle) */
    ck_assert_int_eq(llmc_profile_set(p, LLMC_PROFILE_IDLE_W, 0.0), LLMC_OK);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_IDLE_W), 0.0);
    llmc_profile_free(p);
}
END_TEST

START_TEST(test_profile_set_negative_is_erange_and_keeps_value)
{
    llmc_profile *p = NULL;
    ck_assert_int_eq(llmc_profile_new(&p, "neg"), LLMC_OK);
    ck_assert_int_eq(llmc_profile_set(p, LLMC_PROFILE_TDP_W, 300.0), LLMC_OK);
    ck_assert_status(llmc_profile_set(p, LLMC_PROFILE_TDP_W, -1.0), LLMC_ERANGE);
    ck_assert_error_mentions("tdp_w");
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_TDP_W), 300.0);
    ck_assert_status(llmc_profile_set(p, LLMC_PROFILE_TDP_W, INFINITY),
                     LLMC_ERANGE);
    ck_assert_status(llmc_profile_set(p, LLMC_PROFILE_TDP_W, -INFINITY),
                     LLMC_ERANGE);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_TDP_W), 300.0);
    llmc_profile_free(p);
}
END_TEST

START_TEST(test_profile_set_nan_marks_unknown_again)
{
    llmc_profile *p = lookup_ok("h100 sxm");
    ck_assert_int_eq(llmc_profile_set(p, LLMC_PROFILE_EMBODIED_KGCO2E, NAN),
                     LLMC_OK);
    assert_unknown(p, LLMC_PROFILE_EMBODIED_KGCO2E);
    ck_assert_int_eq(llmc_profile_set(p, LLMC_PROFILE_TDP_W, NAN), LLMC_OK);
    assert_unknown(p, LLMC_PROFILE_TDP_W);
    ck_assert_error_mentions("tdp_w");
    llmc_profile_free(p);
}
END_TEST

START_TEST(test_profile_set_zero_lifetime_is_erange)
{
    llmc_profile *p = NULL;
    ck_assert_int_eq(llmc_profile_new(&p, "life"), LLMC_OK);
    ck_assert_status(llmc_profile_set(p, LLMC_PROFILE_LIFETIME_S, 0.0),
                     LLMC_ERANGE);
    ck_assert_error_mentions("lifetime_s");
    assert_unknown(p, LLMC_PROFILE_LIFETIME_S); /* unchanged by the refusal */
    ck_assert_int_eq(llmc_profile_set(p, LLMC_PROFILE_LIFETIME_S, 126230400.0),
                     LLMC_OK);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_LIFETIME_S), 126230400.0);
    llmc_profile_free(p);
}
END_TEST

START_TEST(test_profile_invalid_field_is_einval)
{
    llmc_profile *p = NULL;
    double v = 0;
    ck_assert_int_eq(llmc_profile_new(&p, "fields"), LLMC_OK);
    ck_assert_status(llmc_profile_set(p, (llmc_profile_field)0, 1.0),
                     LLMC_EINVAL);
    ck_assert_status(llmc_profile_set(p, (llmc_profile_field)17, 1.0),
                     LLMC_EINVAL);
    ck_assert_status(llmc_profile_set(p, (llmc_profile_field)-1, 1.0),
                     LLMC_EINVAL);
    ck_assert_status(llmc_profile_get(&v, p, (llmc_profile_field)0),
                     LLMC_EINVAL);
    ck_assert_status(llmc_profile_get(&v, p, (llmc_profile_field)17),
                     LLMC_EINVAL);
    ck_assert_status(llmc_profile_get(NULL, p, LLMC_PROFILE_TDP_W),
                     LLMC_EINVAL);
    ck_assert_status(llmc_profile_get(&v, NULL, LLMC_PROFILE_TDP_W),
                     LLMC_EINVAL);
    ck_assert_status(llmc_profile_set(NULL, LLMC_PROFILE_TDP_W, 1.0),
                     LLMC_EINVAL);
    ck_assert_ptr_null(llmc_profile_get_text(p, (llmc_profile_text)0));
    ck_assert_ptr_null(llmc_profile_get_text(p, (llmc_profile_text)11));
    ck_assert_ptr_null(llmc_profile_get_text(NULL, LLMC_PROFILE_NAME));
    ck_assert_status(llmc_profile_set_text(p, (llmc_profile_text)11, "x"),
                     LLMC_EINVAL);
    ck_assert_status(llmc_profile_set_text(p, LLMC_PROFILE_VENDOR, NULL),
                     LLMC_EINVAL);
    ck_assert_status(llmc_profile_set_text(NULL, LLMC_PROFILE_VENDOR, "x"),
                     LLMC_EINVAL);
    llmc_profile_free(p);
}
END_TEST

START_TEST(test_profile_set_text_validates_kind)
{
    static const char *const good[] = {"gpu", "tpu", "accelerator", "board",
                                       "cpu"};
    llmc_profile *p = NULL;
    ck_assert_int_eq(llmc_profile_new(&p, "kinds"), LLMC_OK);
    for (size_t i = 0; i < 5; i++) {
        ck_assert_int_eq(llmc_profile_set_text(p, LLMC_PROFILE_KIND, good[i]),
                         LLMC_OK);
        ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_KIND), good[i]);
    }
    ck_assert_status(llmc_profile_set_text(p, LLMC_PROFILE_KIND, "quantum"),
                     LLMC_EINVAL);
    ck_assert_error_mentions("quantum");
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_KIND), "cpu");
    ck_assert_status(llmc_profile_set_text(p, LLMC_PROFILE_KIND, "GPU "),
                     LLMC_EINVAL);
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_KIND), "cpu");
    llmc_profile_free(p);
}
END_TEST

START_TEST(test_profile_set_text_validates_embodied_basis)
{
    static const char *const good[] = {"die-only", "board-share", "board"};
    llmc_profile *p = NULL;
    ck_assert_int_eq(llmc_profile_new(&p, "basis"), LLMC_OK);
    for (size_t i = 0; i < 3; i++) {
        ck_assert_int_eq(
            llmc_profile_set_text(p, LLMC_PROFILE_EMBODIED_BASIS, good[i]),
            LLMC_OK);
        ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_EMBODIED_BASIS),
                         good[i]);
    }
    ck_assert_status(
        llmc_profile_set_text(p, LLMC_PROFILE_EMBODIED_BASIS, "chip"),
        LLMC_EINVAL);
    ck_assert_error_mentions("chip");
    ck_assert_status(
        llmc_profile_set_text(p, LLMC_PROFILE_EMBODIED_BASIS, "die only"),
        LLMC_EINVAL);
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_EMBODIED_BASIS),
                     "board");
    llmc_profile_free(p);
}
END_TEST

START_TEST(test_profile_set_text_round_trip_and_empty_name_refused)
{
    llmc_profile *p = NULL;
    ck_assert_int_eq(llmc_profile_new(&p, "texts"), LLMC_OK);
    ck_assert_int_eq(llmc_profile_set_text(p, LLMC_PROFILE_VENDOR, "Acme"),
                     LLMC_OK);
    ck_assert_int_eq(llmc_profile_set_text(p, LLMC_PROFILE_SOURCE, "site"),
                     LLMC_OK);
    ck_assert_int_eq(
        llmc_profile_set_text(p, LLMC_PROFILE_LIFETIME_SOURCE, "refresh"),
        LLMC_OK);
    ck_assert_int_eq(llmc_profile_set_text(p, LLMC_PROFILE_NAME, "renamed"),
                     LLMC_OK);
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_VENDOR), "Acme");
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_SOURCE), "site");
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_LIFETIME_SOURCE),
                     "refresh");
    ck_assert_status(llmc_profile_set_text(p, LLMC_PROFILE_NAME, ""),
                     LLMC_EINVAL);
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_NAME), "renamed");
    llmc_profile_free(p);
}
END_TEST

START_TEST(test_profile_ref_freezes_setters_with_ebusy)
{
    llmc_profile *p = lookup_ok("h100 sxm"), *r;
    r = llmc_profile_ref(p);
    ck_assert_ptr_eq(r, p);
    ck_assert_status(llmc_profile_set(p, LLMC_PROFILE_TDP_W, 500.0), LLMC_EBUSY);
    ck_assert_error_mentions("NVIDIA H100 SXM5 80GB");
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_TDP_W), 700.0);
    /* NaN would make it unknown: refused all the same */
    ck_assert_status(llmc_profile_set(p, LLMC_PROFILE_TDP_W, NAN), LLMC_EBUSY);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_TDP_W), 700.0);
    ck_assert_status(llmc_profile_set_text(p, LLMC_PROFILE_NAME, "other"),
                     LLMC_EBUSY);
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_NAME),
                     "NVIDIA H100 SXM5 80GB");
    /* reading a frozen profile still works */
    ck_assert_double_eq(get_ok(r, LLMC_PROFILE_MEMORY_GB), 80.0);
    llmc_profile_free(r);
    /* back to one reference: the owner may change it again */
    ck_assert_int_eq(llmc_profile_set(p, LLMC_PROFILE_TDP_W, 500.0), LLMC_OK);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_TDP_W), 500.0);
    llmc_profile_free(p);
}
END_TEST

START_TEST(test_profile_free_releases_each_reference_and_accepts_null)
{
    llmc_profile *p = NULL;
    ck_assert_int_eq(llmc_profile_new(&p, "refs"), LLMC_OK);
    ck_assert_ptr_eq(llmc_profile_ref(p), p);
    ck_assert_ptr_eq(llmc_profile_ref(p), p);
    llmc_profile_free(p);
    llmc_profile_free(p);
    /* one reference is left: the profile is alive and readable */
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_NAME), "refs");
    llmc_profile_free(p);
    llmc_profile_free(NULL);
    ck_assert_ptr_null(llmc_profile_ref(NULL));
}
END_TEST

/* ---- JSON --------------------------------------------------------------- */

START_TEST(test_profile_json_full_object_reads_back)
{
    static const char json[] =
        "{\n"
        "  \"name\": \"Acme X1\",\n"
        "  \"vendor\": \"Acme\",\n"
        "  \"kind\": \"accelerator\",\n"
        "  \"source\": \"Acme X1 datasheet rev 3\",\n"
        "  \"embodied_basis\": \"board\",\n"
        "  \"lifetime_source\": \"site refresh cycle, 4 years\",\n"
        "  \"tdp_w\": 450,\n"
        "  \"idle_w\": 55.5,\n"
        "  \"peak_fp32_flops\": 6.1e13,\n"
        "  \"peak_tf32_flops\": 2.5e14,\n"
        "  \"peak_bf16_flops\": 9.89e14,\n"
        "  \"peak_fp16_flops\": 9.9e14,\n"
        "  \"peak_fp8_flops\": 1.979e15,\n"
        "  \"memory_gb\": 96,\n"
        "  \"embodied_kgco2e\": 210.25,\n"
        "  \"lifetime_s\": 126230400,\n"
        "  \"die_mm2\": 640.5,\n"
        "  \"process_nm\": 5\n"
        "}\n";
    llmc_profile *p = NULL;
    ck_assert_int_eq(load_text(&p, json), LLMC_OK);
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_NAME), "Acme X1");
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_VENDOR), "Acme");
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_KIND), "accelerator");
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_SOURCE),
                     "Acme X1 datasheet rev 3");
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_EMBODIED_BASIS),
                     "board");
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_LIFETIME_SOURCE),
                     "site refresh cycle, 4 years");
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_TDP_W), 450.0);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_IDLE_W), 55.5);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_PEAK_FP32_FLOPS), 6.1e13);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_PEAK_TF32_FLOPS), 2.5e14);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_PEAK_BF16_FLOPS), 9.89e14);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_PEAK_FP16_FLOPS), 9.9e14);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_PEAK_FP8_FLOPS), 1.979e15);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_MEMORY_GB), 96.0);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_EMBODIED_KGCO2E), 210.25);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_LIFETIME_S), 126230400.0);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_DIE_MM2), 640.5);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_PROCESS_NM), 5.0);
    /* a loaded profile has one reference and may still be adjusted */
    ck_assert_int_eq(llmc_profile_set(p, LLMC_PROFILE_TDP_W, 400.0), LLMC_OK);
    llmc_profile_free(p);
}
END_TEST

START_TEST(test_profile_json_null_and_missing_keys_mean_unknown)
{
    llmc_profile *p = NULL;
    ck_assert_int_eq(load_text(&p, "{\"name\": \"partial\", \"tdp_w\": null, "
                                   "\"vendor\": null, \"memory_gb\": 16}"),
                     LLMC_OK);
    assert_unknown(p, LLMC_PROFILE_TDP_W);
    assert_unknown(p, LLMC_PROFILE_PEAK_BF16_FLOPS);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_MEMORY_GB), 16.0);
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_VENDOR), "");
    llmc_profile_free(p);
}
END_TEST

START_TEST(test_profile_json_missing_name_is_eformat)
{
    llmc_profile *p = NULL;
    ck_assert_status(load_text(&p, "{\"tdp_w\": 300}"), LLMC_EFORMAT);
    ck_assert_error_mentions("name");
    ck_assert_ptr_null(p);
    ck_assert_status(load_text(&p, "{\"name\": \"\"}"), LLMC_EFORMAT);
    ck_assert_error_mentions("name");
    ck_assert_status(load_text(&p, "{\"name\": null}"), LLMC_EFORMAT);
    ck_assert_status(load_text(&p, "{\"name\": 42}"), LLMC_EFORMAT);
    ck_assert_status(load_text(&p, "{}"), LLMC_EFORMAT);
    ck_assert_ptr_null(p);
}
END_TEST

START_TEST(test_profile_json_unknown_key_is_eformat_naming_it)
{
    llmc_profile *p = NULL;
    ck_assert_status(load_text(&p, "{\"name\": \"x\", \"tdp\": 300}"),
                     LLMC_EFORMAT);
    ck_assert_error_mentions("\"tdp\"");
    ck_assert_ptr_null(p);
    ck_assert_status(load_text(&p, "{\"name\": \"x\", \"tdp_watts\": 300}"),
                     LLMC_EFORMAT);
    ck_assert_error_mentions("tdp_watts");
    /* keys are exact: case matters in a file format */
    ck_assert_status(load_text(&p, "{\"name\": \"x\", \"TDP_W\": 300}"),
                     LLMC_EFORMAT);
    ck_assert_error_mentions("TDP_W");
    ck_assert_ptr_null(p);
}
END_TEST

START_TEST(test_profile_json_wrong_type_is_eformat_naming_key)
{
    llmc_profile *p = NULL;
    ck_assert_status(load_text(&p, "{\"name\": \"x\", \"tdp_w\": \"300\"}"),
                     LLMC_EFORMAT);
    ck_assert_error_mentions("tdp_w");
    ck_assert_status(load_text(&p, "{\"name\": \"x\", \"tdp_w\": \"300 W\"}"),
                     LLMC_EFORMAT);
    ck_assert_status(load_text(&p, "{\"name\": \"x\", \"memory_gb\": true}"),
                     LLMC_EFORMAT);
    ck_assert_error_mentions("memory_gb");
    ck_assert_status(load_text(&p, "{\"name\": \"x\", \"vendor\": 7}"),
                     LLMC_EFORMAT);
    ck_assert_error_mentions("vendor");
    ck_assert_status(load_text(&p, "{\"name\": \"x\", \"tdp_w\": [300]}"),
                     LLMC_EFORMAT);
    ck_assert_ptr_null(p);
}
END_TEST

START_TEST(test_profile_json_negative_number_is_erange_naming_key)
{
    llmc_profile *p = NULL;
    ck_assert_status(load_text(&p, "{\"name\": \"x\", \"tdp_w\": -5}"),
                     LLMC_ERANGE);
    ck_assert_error_mentions("tdp_w");
    ck_assert_ptr_null(p);
    ck_assert_status(
        load_text(&p, "{\"name\": \"x\", \"embodied_kgco2e\": -0.5}"),
        LLMC_ERANGE);
    ck_assert_error_mentions("embodied_kgco2e");
    ck_assert_status(load_text(&p, "{\"name\": \"x\", \"lifetime_s\": 0}"),
                     LLMC_ERANGE);
    ck_assert_error_mentions("lifetime_s");
    ck_assert_ptr_null(p);
}
END_TEST

START_TEST(test_profile_json_malformed_reports_line_and_column)
{
    llmc_profile *p = NULL;
    ck_assert_status(load_text(&p, "{\"name\": \"x\""), LLMC_EFORMAT);
    ck_assert_error_mentions(":1:12:");
    ck_assert_error_mentions("malformed JSON");
    ck_assert_ptr_null(p);
    ck_assert_status(load_text(&p, "{\"name\": \"x\",}"), LLMC_EFORMAT);
    ck_assert_error_mentions(":1:14:");
    ck_assert_status(load_text(&p, "{\n  \"name\": \"x\",\n  \"tdp_w\": ,\n}"),
                     LLMC_EFORMAT);
    ck_assert_error_mentions(":3:");
    ck_assert_status(load_text(&p, ""), LLMC_EFORMAT);
    ck_assert_status(load_text(&p, "{\"name\": \"x\"} trailing"),
                     LLMC_EFORMAT);
    ck_assert_ptr_null(p);
}
END_TEST

START_TEST(test_profile_json_duplicate_keys_are_eformat)
{
    llmc_profile *p = NULL;
    ck_assert_status(
        load_text(&p, "{\"name\": \"x\", \"tdp_w\": 300, \"tdp_w\": 400}"),
        LLMC_EFORMAT);
    ck_assert_error_mentions("tdp_w");
    ck_assert_ptr_null(p);
    ck_assert_status(load_text(&p, "{\"name\": \"x\", \"name\": \"y\"}"),
                     LLMC_EFORMAT);
    ck_assert_ptr_null(p);
}
END_TEST

START_TEST(test_profile_json_non_object_is_eformat)
{
    llmc_profile *p = NULL;
    ck_assert_status(load_text(&p, "[{\"name\": \"x\"}]"), LLMC_EFORMAT);
    ck_assert_error_mentions("object");
    ck_assert_status(load_text(&p, "\"x\""), LLMC_EFORMAT);
    ck_assert_status(load_text(&p, "42"), LLMC_EFORMAT);
    ck_assert_status(load_text(&p, "null"), LLMC_EFORMAT);
    ck_assert_ptr_null(p);
}
END_TEST

START_TEST(test_profile_json_reads_only_length_bytes)
{
    /* the text need not end with a NUL byte */
    static const char buf[] = "{\"name\": \"bounded\"}GARBAGE";
    llmc_profile *p = NULL;
    ck_assert_int_eq(llmc_profile_load_json(&p, buf, 19), LLMC_OK);
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_NAME), "bounded");
    llmc_profile_free(p);
    p = NULL;
    ck_assert_status(llmc_profile_load_json(&p, buf, 10), LLMC_EFORMAT);
    ck_assert_ptr_null(p);
}
END_TEST

START_TEST(test_profile_json_null_arguments_are_einval)
{
    llmc_profile *p = NULL;
    ck_assert_status(llmc_profile_load_json(&p, NULL, 3), LLMC_EINVAL);
    ck_assert_status(llmc_profile_load_json(NULL, "{}", 2), LLMC_EINVAL);
    ck_assert_status(llmc_profile_load(&p, NULL), LLMC_EINVAL);
    ck_assert_status(llmc_profile_load(NULL, "x.json"), LLMC_EINVAL);
    ck_assert_ptr_null(p);
}
END_TEST

START_TEST(test_profile_load_fixture_file)
{
    char path[4096];
    llmc_profile *p = NULL;
    ck_assert_int_eq(
        llmc_profile_load(&p, fixture_path(path, sizeof path, "site-h100.json")),
        LLMC_OK);
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_NAME),
                     "H100 SXM5 capped at 500 W");
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_VENDOR), "NVIDIA");
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_KIND), "gpu");
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_TDP_W), 500.0);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_PEAK_BF16_FLOPS), 9.89e14);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_MEMORY_GB), 80.0);
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_EMBODIED_KGCO2E), 164.0);
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_EMBODIED_BASIS),
                     "board-share");
    /* 126230400 s = 4 years of 365.25 days */
    ck_assert_double_eq(get_ok(p, LLMC_PROFILE_LIFETIME_S),
                        4.0 * 365.25 * 86400.0);
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_LIFETIME_SOURCE),
                     "site hardware refresh cycle, 4 years");
    assert_unknown(p, LLMC_PROFILE_IDLE_W);
    assert_unknown(p, LLMC_PROFILE_DIE_MM2);
    llmc_profile_free(p);

    ck_assert_int_eq(
        llmc_profile_load(&p, fixture_path(path, sizeof path, "minimal.json")),
        LLMC_OK);
    ck_assert_str_eq(llmc_profile_get_text(p, LLMC_PROFILE_NAME),
                     "lab workstation");
    assert_unknown(p, LLMC_PROFILE_TDP_W);
    assert_unknown(p, LLMC_PROFILE_MEMORY_GB);
    llmc_profile_free(p);
}
END_TEST

START_TEST(test_profile_load_bad_fixture_names_file_and_key)
{
    char path[4096];
    llmc_profile *p = NULL;
    fixture_path(path, sizeof path, "misspelt-key.json");
    ck_assert_status(llmc_profile_load(&p, path), LLMC_EFORMAT);
    ck_assert_error_mentions(path);
    ck_assert_error_mentions("tdp_watts");
    ck_assert_ptr_null(p);

    fixture_path(path, sizeof path, "malformed.json");
    ck_assert_status(llmc_profile_load(&p, path), LLMC_EFORMAT);
    ck_assert_error_mentions(path);
    /* the stray comma closes at line 4, column 1 */
    ck_assert_error_mentions("malformed.json:4:1:");
    ck_assert_ptr_null(p);
}
END_TEST

START_TEST(test_profile_load_missing_file_is_enotfound_with_path)
{
    char path[4096];
    llmc_profile *p = NULL;
    fixture_path(path, sizeof path, "no-such-profile.json");
    ck_assert_status(llmc_profile_load(&p, path), LLMC_ENOTFOUND);
    ck_assert_error_mentions(path);
    ck_assert_ptr_null(p);
}
END_TEST

START_TEST(test_profile_load_directory_is_eio)
{
    /* llmc_profile_new(3): LLMC_EIO when the file could not be read; a
     * directory opens but cannot be read (EISDIR), it is not malformed JSON */
    char path[4096];
    llmc_profile *p = NULL;
    const char *root = getenv("LLMC_SOURCE_ROOT");
    ck_assert_ptr_nonnull(root);
    snprintf(path, sizeof path, "%s/tests/fixtures/profiles", root);
    ck_assert_status(llmc_profile_load(&p, path), LLMC_EIO);
    ck_assert_error_mentions(path);
    ck_assert_ptr_null(p);
}
END_TEST

/* ---- runner ------------------------------------------------------------- */

static Suite *profile_suite(void)
{
    Suite *s = suite_create("profile");
    TCase *lookup = tcase_create("lookup");
    TCase *catalogue = tcase_create("catalogue");
    TCase *setters = tcase_create("setters");
    TCase *json = tcase_create("json");

    tcase_add_test(lookup, test_profile_lookup_exact_catalogue_name);
    tcase_add_loop_test(lookup,
                        test_profile_lookup_ignores_case_separators_and_vendor,
                        0, (int)(sizeof forgiving / sizeof forgiving[0]));
    tcase_add_test(lookup, test_profile_lookup_h100_sxm5_values);
    tcase_add_test(lookup, test_profile_v100_embodied_by_scope);
    tcase_add_test(lookup, test_profile_chiplet_embodied_by_hand);
    tcase_add_test(lookup, test_profile_unknown_tdp_is_enodata_never_zero);
    tcase_add_test(lookup, test_profile_catalogue_lifetime_is_unknown_not_invented);
    tcase_add_test(lookup, test_profile_lookup_h100_is_ambiguous_and_lists_parts);
    tcase_add_test(lookup, test_profile_lookup_a100_is_ambiguous_and_lists_all_four);
    tcase_add_test(lookup, test_profile_lookup_v100_is_ambiguous_and_lists_both);
    tcase_add_test(lookup, test_profile_lookup_typo_suggests_closest_name);
    tcase_add_test(lookup, test_profile_lookup_unknown_name_advises_hw_list);
    tcase_add_test(lookup, test_profile_lookup_every_word_of_the_name_counts);
    tcase_add_test(lookup, test_profile_lookup_rejects_null_and_empty);
    tcase_add_loop_test(lookup, test_profile_lookup_finds_driver_names, 0,
                        (int)(sizeof driver_names / sizeof driver_names[0]));
    tcase_add_test(lookup, test_profile_hw_show_nvml_name_of_h100_sxm5);
    tcase_add_loop_test(lookup, test_profile_lookup_device_memory_or_power_decides,
                        0, (int)(sizeof by_device / sizeof by_device[0]));
    tcase_add_test(lookup,
                   test_profile_lookup_device_undecided_is_eambiguous_with_candidates);
    tcase_add_test(lookup, test_profile_lookup_device_takes_amd_form_factor_names);
    tcase_add_test(lookup, test_profile_lookup_device_rejects_bad_arguments);
    suite_add_tcase(s, lookup);

    tcase_add_test(catalogue, test_profile_catalogue_count_matches_csv);
    tcase_add_test(catalogue, test_profile_catalogue_matches_csv_cell_by_cell);
    tcase_add_test(catalogue, test_profile_embodied_scopes_match_embodied_csv);
    tcase_add_test(catalogue,
                   test_profile_embodied_scope_fields_load_and_validate);
    tcase_add_test(catalogue, test_profile_catalogue_get_past_the_end_is_erange);
    tcase_add_test(catalogue, test_profile_catalogue_tdp_is_plausible);
    tcase_add_test(catalogue, test_profile_catalogue_kinds_are_documented);
    tcase_add_test(catalogue, test_profile_catalogue_has_required_parts);
    tcase_add_loop_test(catalogue, test_profile_lookup_finds_added_devices, 0,
                        (int)(sizeof added / sizeof added[0]));
    tcase_add_test(catalogue, test_profile_lookup_b300_is_ambiguous_and_lists_both);
    tcase_add_test(catalogue, test_profile_changes_never_reach_the_catalogue);
    tcase_add_test(catalogue, test_profile_catalogue_carries_audited_values);
    suite_add_tcase(s, catalogue);

    tcase_add_test(setters, test_profile_new_starts_unknown);
    tcase_add_test(setters, test_profile_new_lifetime_starts_unknown);
    tcase_add_test(setters, test_profile_new_rejects_null_and_empty_name);
    tcase_add_test(setters, test_profile_set_get_round_trip_every_field);
    tcase_add_test(setters, test_profile_set_negative_is_erange_and_keeps_value);
    tcase_add_test(setters, test_profile_set_nan_marks_unknown_again);
    tcase_add_test(setters, test_profile_set_zero_lifetime_is_erange);
    tcase_add_test(setters, test_profile_invalid_field_is_einval);
    tcase_add_test(setters, test_profile_set_text_validates_kind);
    tcase_add_test(setters, test_profile_set_text_validates_embodied_basis);
    tcase_add_test(setters, test_profile_set_text_round_trip_and_empty_name_refused);
    tcase_add_test(setters, test_profile_ref_freezes_setters_with_ebusy);
    tcase_add_test(setters, test_profile_free_releases_each_reference_and_accepts_null);
    suite_add_tcase(s, setters);

    tcase_add_test(json, test_profile_json_full_object_reads_back);
    tcase_add_test(json, test_profile_json_null_and_missing_keys_mean_unknown);
    tcase_add_test(json, test_profile_json_left_out_lifetime_is_unknown);
    tcase_add_test(json, test_profile_json_missing_name_is_eformat);
    tcase_add_test(json, test_profile_json_unknown_key_is_eformat_naming_it);
    tcase_add_test(json, test_profile_json_wrong_type_is_eformat_naming_key);
    tcase_add_test(json, test_profile_json_negative_number_is_erange_naming_key);
    tcase_add_test(json, test_profile_json_malformed_reports_line_and_column);
    tcase_add_test(json, test_profile_json_duplicate_keys_are_eformat);
    tcase_add_test(json, test_profile_json_non_object_is_eformat);
    tcase_add_test(json, test_profile_json_reads_only_length_bytes);
    tcase_add_test(json, test_profile_json_null_arguments_are_einval);
    tcase_add_test(json, test_profile_load_fixture_file);
    tcase_add_test(json, test_profile_load_bad_fixture_names_file_and_key);
    tcase_add_test(json, test_profile_load_missing_file_is_enotfound_with_path);
    tcase_add_test(json, test_profile_load_directory_is_eio);
    suite_add_tcase(s, json);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(profile_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
