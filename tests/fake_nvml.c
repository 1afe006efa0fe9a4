/*
 * fake_nvml.c - a fake libnvidia-ml.so.1 with a known truth, for
 * test_meter_nvml.c. It exports the NVML entry points the nvml backend
 * resolves, under their real (versioned) names, and nothing links it: the
 * library dlopen()s it through LLMC_NVML_LIBRARY.
 *
 * Configuration, read by nvmlInit_v2 when the init count goes from 0 to 1
 * (so a test sets the variables before opening a meter):
 *
 *   FAKE_NVML_DEVICES            device count (default 1, at most 16)
 *   FAKE_NVML_POWER_MW           comma list of powers in mW, one per device
 *                                (default and missing entries: 300000)
 *   FAKE_NVML_NO_ENERGY          comma list of device indices whose energy
 *                                counter returns NOT_SUPPORTED (3)
 *   FAKE_NVML_NO_POWER           likewise for nvmlDeviceGetPowerUsage
 *   FAKE_NVML_NO_NAME_UUID       "1": GetName and GetUUID return
 *                                NOT_SUPPORTED on every device
 *   FAKE_NVML_INIT_ERROR         an nvmlReturn_t for nvmlInit_v2 to return
 *   FAKE_NVML_UUIDS              comma list (default GPU-fake-0000, ...)
 *   FAKE_NVML_MIG_UUIDS          comma list: the UUID of one MIG instance of
 *                                each device ("" or missing: none), found by
 *                                nvmlDeviceGetHandleByUUID
 *   FAKE_NVML_NAME               device name (default NVIDIA H100 80GB HBM3)
 *   FAKE_NVML_MEMORY_MIB         total memory (default 81559, an H100 SXM5
 *                                80GB's; 0: GetMemoryInfo not supported)
 *   FAKE_NVML_DEFAULT_LIMIT_MW   default power limit (default 700000; 0: not
 *                                supported)
 *   FAKE_NVML_RESET_AFTER_MS     device 0's counter jumps back to 0 once,
 *                                that many ms after init (driver reload)
 *   FAKE_NVML_COUNTER_STEP_MS    the counter advances only in steps of this
 *                                many ms (default 0: continuous)
 *   FAKE_NVML_POWER_RAMP_MW_PER_S  every device's power grows by this many
 *                                mW per second after init (default 0)
 *   FAKE_NVML_ENERGY_OFFSET_MJ   what every counter reads at init (default
 *                                0); a real counter counts since the driver
 *                                loaded, so it is large when a meter opens
 *   FAKE_NVML_ENERGY_ERROR       an nvmlReturn_t that device 0's energy
 *                                counter returns ...
 *   FAKE_NVML_ENERGY_ERROR_AFTER_MS   ... from that many ms after init
 *   FAKE_NVML_ENERGY_ERROR_FOR_MS     ... for that many ms (default: ever)
 *
 * Truth: device i's counter reads
 *   OFFSET + P_mW[i] x (t - t_init) / 1000   mJ,  t in ms
 * on CLOCK_MONOTONIC, or on the clock a test gave fake_nvml_use_clock (the
 * library's manual time: then the truth is exact, to the counter's mJ)
 * (t - t_init counted from the reset for device 0 after the reset, and
 * rounded down to the step), and its power reads P_mW[i]. With a ramp R,
 * power is P + R x s and energy OFFSET + P x s + R x s^2 / 2 (s = seconds
 * since init): the trapezoid rule is exact on it, a one-sided sum is not.
 *
 * Every call but nvmlInit_v2 and nvmlErrorString returns UNINITIALIZED (1)
 * while the init count is 0, and an unbalanced nvmlShutdown does too;
 * fake_nvml_init_count() lets a test check that inits and shutdowns pair.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__GNUC__)
#define FAKE_API __attribute__((visibility("default")))
#else
#define FAKE_API
#endif

typedef int nvmlReturn_t;
typedef struct fake_device *nvmlDevice_t;

enum {
    NVML_SUCCESS = 0,
    NVML_ERROR_UNINITIALIZED = 1,
    NVML_ERROR_INVALID_ARGUMENT = 2,
    NVML_ERROR_NOT_SUPPORTED = 3,
    NVML_ERROR_INSUFFICIENT_SIZE = 7,
    NVML_ERROR_NOT_FOUND = 6
};

#define FAKE_MAX 16
#define FAKE_STR 96

struct fake_device {
    unsigned index;
    int is_mig;             /* a MIG instance handle, parent in .parent */
    struct fake_device *parent;
    unsigned long long power_mw;
    int no_energy, no_power;
    char uuid[FAKE_STR];
    char mig_uuid[FAKE_STR];
};

static struct {
    int inits;
    unsigned count;
    struct fake_device dev[FAKE_MAX];
    struct fake_device mig[FAKE_MAX];
    char name[FAKE_STR];
    int no_name_uuid;
    int64_t t0_ns;
    int64_t reset_after_ns;  /* 0: never */
    int64_t step_ns;         /* 0: continuous */
    unsigned long long offset_mj;
    double ramp_mw_per_s;
    int energy_error;
    int64_t energy_error_after_ns, energy_error_for_ns; /* for < 0: ever */
} fake;

/* The test's clock, when it gave one: the library's time source, so that
 * a test that drives the library's time drives the fake's too. */
static int64_t (*test_clock)(void);

static int64_t now_ns(void)
{
    struct timespec ts;
    if (test_clock)
        return test_clock();
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The clock the fake's truth follows from the next init on (NULL:
 * CLOCK_MONOTONIC); a test finds this entry point with dlsym. */
FAKE_API void fake_nvml_use_clock(int64_t (*now)(void))
{
    test_clock = now;
}

static long long env_ll(const char *name, long long dflt)
{
    const char *v = getenv(name);
    char *end;
    long long x;
    if (!v || !*v)
        return dflt;
    x = strtoll(v, &end, 10);
    return *end ? dflt : x;
}

/* The i-th field of a comma list into out (""), 1 when there is one. */
static int list_item(const char *list, unsigned i, char *out, size_t size)
{
    const char *p = list, *comma;
    size_t n;
    out[0] = '\0';
    if (!list)
        return 0;
    for (; i > 0; i--) {
        if (!(p = strchr(p, ',')))
            return 0;
        p++;
    }
    comma = strchr(p, ',');
    n = comma ? (size_t)(comma - p) : strlen(p);
    if (n >= size)
        n = size - 1;
    memcpy(out, p, n);
    out[n] = '\0';
    return 1;
}

static int list_has(const char *list, unsigned index)
{
    char item[32];
    for (unsigned i = 0; list_item(list, i, item, sizeof item); i++)
        if (*item && strtoul(item, NULL, 10) == index)
            return 1;
    return 0;
}

static void configure(void)
{
    const char *power = getenv("FAKE_NVML_POWER_MW");
    const char *uuids = getenv("FAKE_NVML_UUIDS");
    const char *migs = getenv("FAKE_NVML_MIG_UUIDS");
    const char *no_energy = getenv("FAKE_NVML_NO_ENERGY");
    const char *no_power = getenv("FAKE_NVML_NO_POWER");
    const char *name = getenv("FAKE_NVML_NAME");
    long long count = env_ll("FAKE_NVML_DEVICES", 1);
    char item[FAKE_STR];

    memset(fake.dev, 0, sizeof fake.dev);
    memset(fake.mig, 0, sizeof fake.mig);
    fake.count = count < 0 ? 0 : count > FAKE_MAX ? FAKE_MAX : (unsigned)count;
    for (unsigned i = 0; i < FAKE_MAX; i++) {
        struct fake_device *d = &fake.dev[i];
        d->index = i;
        d->power_mw = 300000;
        if (list_item(power, i, item, sizeof item) && *item)
            d->power_mw = strtoull(item, NULL, 10);
        d->no_energy = list_has(no_energy, i);
        d->no_power = list_has(no_power, i);
        if (list_item(uuids, i, item, sizeof item) && *item)
            snprintf(d->uuid, sizeof d->uuid, "%s", item);
        else
            snprintf(d->uuid, sizeof d->uuid, "GPU-fake-%04u", i);
        if (list_item(migs, i, item, sizeof item))
            snprintf(d->mig_uuid, sizeof d->mig_uuid, "%s", item);
        fake.mig[i] = *d;
        fake.mig[i].is_mig = 1;
        fake.mig[i].parent = d;
    }
    snprintf(fake.name, sizeof fake.name, "%s",
             name && *name ? name : "NVIDIA H100 80GB HBM3");
    fake.no_name_uuid = env_ll("FAKE_NVML_NO_NAME_UUID", 0) != 0;
    fake.reset_after_ns = env_ll("FAKE_NVML_RESET_AFTER_MS", 0) * 1000000;
    fake.step_ns = env_ll("FAKE_NVML_COUNTER_STEP_MS", 0) * 1000000;
    fake.offset_mj = (unsigned long long)env_ll("FAKE_NVML_ENERGY_OFFSET_MJ", 0);
    fake.ramp_mw_per_s = (double)env_ll("FAKE_NVML_POWER_RAMP_MW_PER_S", 0);
    fake.energy_error = (int)env_ll("FAKE_NVML_ENERGY_ERROR", 0);
    fake.energy_error_after_ns =
        env_ll("FAKE_NVML_ENERGY_ERROR_AFTER_MS", 0) * 1000000;
    fake.energy_error_for_ns =
        env_ll("FAKE_NVML_ENERGY_ERROR_FOR_MS", -1) * 1000000;
    if (fake.energy_error_for_ns < 0)
        fake.energy_error_for_ns = -1;
    fake.t0_ns = now_ns();
}

static nvmlReturn_t check_device(nvmlDevice_t d)
{
    if (fake.inits <= 0)
        return NVML_ERROR_UNINITIALIZED;
    if (!d)
        return NVML_ERROR_INVALID_ARGUMENT;
    return NVML_SUCCESS;
}

FAKE_API int fake_nvml_init_count(void)
{
    return fake.inits;
}

FAKE_API nvmlReturn_t nvmlInit_v2(void)
{
    if (fake.inits == 0) {
        long long err = env_ll("FAKE_NVML_INIT_ERROR", 0);
        if (err != 0)
            return (nvmlReturn_t)err;
        configure();
    }
    fake.inits++;
    return NVML_SUCCESS;
}

FAKE_API nvmlReturn_t nvmlShutdown(void)
{
    if (fake.inits <= 0)
        return NVML_ERROR_UNINITIALIZED;
    fake.inits--;
    return NVML_SUCCESS;
}

FAKE_API nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count)
{
    if (fake.inits <= 0)
        return NVML_ERROR_UNINITIALIZED;
    if (!count)
        return NVML_ERROR_INVALID_ARGUMENT;
    *count = fake.count;
    return NVML_SUCCESS;
}

FAKE_API nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index,
                                                    nvmlDevice_t *device)
{
    if (fake.inits <= 0)
        return NVML_ERROR_UNINITIALIZED;
    if (!device || index >= fake.count)
        return NVML_ERROR_INVALID_ARGUMENT;
    *device = &fake.dev[index];
    return NVML_SUCCESS;
}

FAKE_API nvmlReturn_t nvmlDeviceGetHandleByUUID(const char *uuid,
                                                nvmlDevice_t *device)
{
    if (fake.inits <= 0)
        return NVML_ERROR_UNINITIALIZED;
    if (!uuid || !device)
        return NVML_ERROR_INVALID_ARGUMENT;
    for (unsigned i = 0; i < fake.count; i++) {
        if (strcmp(fake.dev[i].uuid, uuid) == 0) {
            *device = &fake.dev[i];
            return NVML_SUCCESS;
        }
        if (*fake.dev[i].mig_uuid && strcmp(fake.dev[i].mig_uuid, uuid) == 0) {
            *device = &fake.mig[i];
            return NVML_SUCCESS;
        }
    }
    return NVML_ERROR_NOT_FOUND;
}

FAKE_API nvmlReturn_t
nvmlDeviceGetDeviceHandleFromMigDeviceHandle(nvmlDevice_t mig,
                                             nvmlDevice_t *device)
{
    nvmlReturn_t rc = check_device(mig);
    if (rc != NVML_SUCCESS)
        return rc;
    if (!device || !mig->is_mig)
        return NVML_ERROR_INVALID_ARGUMENT;
    *device = mig->parent;
    return NVML_SUCCESS;
}

FAKE_API nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(
    nvmlDevice_t d, unsigned long long *energy_mj)
{
    nvmlReturn_t rc = check_device(d);
    int64_t since;
    double sec;
    int reset;
    if (rc != NVML_SUCCESS)
        return rc;
    if (!energy_mj)
        return NVML_ERROR_INVALID_ARGUMENT;
    if (d->is_mig || d->no_energy)
        return NVML_ERROR_NOT_SUPPORTED;
    since = now_ns() - fake.t0_ns;
    if (d->index == 0 && fake.energy_error != 0 &&
        since >= fake.energy_error_after_ns &&
        (fake.energy_error_for_ns < 0 ||
         since < fake.energy_error_after_ns + fake.energy_error_for_ns))
        return fake.energy_error;
    reset = d->index == 0 && fake.reset_after_ns > 0 &&
            since >= fake.reset_after_ns;
    if (reset)
        since -= fake.reset_after_ns; /* counts again from 0, no offset */
    if (fake.step_ns > 0)
        since -= since % fake.step_ns;
    sec = (double)since / 1e9;
    /* mW x s = mJ */
    *energy_mj = (reset ? 0 : fake.offset_mj) +
                 (unsigned long long)((double)d->power_mw * sec +
                                      fake.ramp_mw_per_s * sec * sec / 2.0);
    return NVML_SUCCESS;
}

FAKE_API nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t d,
                                              unsigned int *power_mw)
{
    nvmlReturn_t rc = check_device(d);
    if (rc != NVML_SUCCESS)
        return rc;
    if (!power_mw)
        return NVML_ERROR_INVALID_ARGUMENT;
    if (d->is_mig || d->no_power)
        return NVML_ERROR_NOT_SUPPORTED;
    *power_mw = (unsigned int)((double)d->power_mw +
                               fake.ramp_mw_per_s *
                                   (double)(now_ns() - fake.t0_ns) / 1e9);
    return NVML_SUCCESS;
}

static nvmlReturn_t copy_out(char *out, unsigned int length, const char *s)
{
    if (!out)
        return NVML_ERROR_INVALID_ARGUMENT;
    if (strlen(s) + 1 > length)
        return NVML_ERROR_INSUFFICIENT_SIZE;
    memcpy(out, s, strlen(s) + 1);
    return NVML_SUCCESS;
}

FAKE_API nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t d, char *name,
                                        unsigned int length)
{
    nvmlReturn_t rc = check_device(d);
    if (rc != NVML_SUCCESS)
        return rc;
    if (fake.no_name_uuid)
        return NVML_ERROR_NOT_SUPPORTED;
    return copy_out(name, length, fake.name);
}

typedef struct {
    unsigned long long total, free, used;
} nvmlMemory_t;

FAKE_API nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t d,
                                              nvmlMemory_t *memory)
{
    nvmlReturn_t rc = check_device(d);
    long long mib = env_ll("FAKE_NVML_MEMORY_MIB", 81559);
    if (rc != NVML_SUCCESS)
        return rc;
    if (mib <= 0)
        return NVML_ERROR_NOT_SUPPORTED;
    memory->total = (unsigned long long)mib << 20;
    memory->used = memory->total / 4;
    memory->free = memory->total - memory->used;
    return NVML_SUCCESS;
}

FAKE_API nvmlReturn_t nvmlDeviceGetPowerManagementDefaultLimit(
    nvmlDevice_t d, unsigned int *limit_mw)
{
    nvmlReturn_t rc = check_device(d);
    long long mw = env_ll("FAKE_NVML_DEFAULT_LIMIT_MW", 700000);
    if (rc != NVML_SUCCESS)
        return rc;
    if (mw <= 0)
        return NVML_ERROR_NOT_SUPPORTED;
    *limit_mw = (unsigned int)mw;
    return NVML_SUCCESS;
}

FAKE_API nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t d, char *uuid,
                                        unsigned int length)
{
    nvmlReturn_t rc = check_device(d);
    if (rc != NVML_SUCCESS)
        return rc;
    if (fake.no_name_uuid)
        return NVML_ERROR_NOT_SUPPORTED;
    return copy_out(uuid, length, d->is_mig ? d->mig_uuid : d->uuid);
}

FAKE_API const char *nvmlErrorString(nvmlReturn_t result)
{
    switch (result) {
    case 0: return "Success";
    case 1: return "Uninitialized";
    case 2: return "Invalid Argument";
    case 3: return "Not Supported";
    case 4: return "Insufficient Permissions";
    case 5: return "Already Initialized";
    case 6: return "Not Found";
    case 7: return "Insufficient Size";
    case 9: return "Driver Not Loaded";
    case 10: return "Timeout";
    case 12: return "NVML Shared Library Not Found";
    case 13: return "Function Not Found";
    case 15: return "GPU is lost";
    case 16: return "GPU requires restart";
    case 18: return "RM has detected an NVML/RM version mismatch.";
    case 27: return "Not Ready";
    case 999: return "Unknown Error";
    default: return "Unknown Error";
    }
}
