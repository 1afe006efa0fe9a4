/*
 * estimate.c - energy and CO2e of a run from what is known about it: the
 * energy itself, or hardware x count x hours (or device-hours) x power; then
 * PUE and grid intensity, and the embodied share of the devices.
 */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../core/internal.h"
#include "../core/tables.h"
#include "../profile/profile.h"
#include "estimate.h"

LLMC_API void llmc_estimate_result_init(llmc_estimate_result *out,
                                        size_t size)
{
    /* size is the caller's sizeof, which may differ from this library's */
    llmc__versioned_init(out, size);
}

LLMC_API int llmc_estimate_new(llmc_estimate **out)
{
    llmc_estimate *e;
    if (!out)
        return llmc__fail(LLMC_EINVAL, "out is NULL");
    *out = NULL;
    if (!(e = calloc(1, sizeof *e)))
        return llmc__fail(LLMC_ENOMEM, "out of memory for an estimate");
    e->count = 1;
    e->pue.lo = e->pue.hi = LLMC__DEFAULT_PUE;
    e->power_factor.lo = e->power_factor.hi = 1.0;
    e->embodied_scope = LLMC__SCOPE_DEFAULT;
    *out = e;
    return LLMC_OK;
}

LLMC_API void llmc_estimate_free(llmc_estimate *estimate)
{
    if (!estimate)
        return;
    llmc_profile_free(estimate->profile);
    llmc_grid_free(estimate->grid);
    free(estimate);
}

static const struct {
    const char *name;
    int field;
} precisions[] = {
    {"fp32", LLMC_PROFILE_PEAK_FP32_FLOPS}, {"tf32", LLMC_PROFILE_PEAK_TF32_FLOPS},
    {"bf16", LLMC_PROFILE_PEAK_BF16_FLOPS}, {"fp16", LLMC_PROFILE_PEAK_FP16_FLOPS},
    {"fp8", LLMC_PROFILE_PEAK_FP8_FLOPS},
};

const char *llmc__precision_name(int field)
{
    for (size_t i = 0; i < sizeof precisions / sizeof precisions[0]; i++)
        if (precisions[i].field == field)
            return precisions[i].name;
    return "";
}

static const char *flag_of(enum llmc__grid_key k)
{
    switch (k) {
    case LLMC__GRID_ZONE: return "--zone";
    case LLMC__GRID_INTENSITY: return "--intensity";
    case LLMC__GRID_SPEC: return "--grid";
    case LLMC__GRID_HANDLE: return "llmc_estimate_set_grid";
    case LLMC__GRID_NONE: break;
    }
    return "";
}

static int take_grid(llmc_estimate *e, llmc_grid *g, enum llmc__grid_key k)
{
    if (e->grid_key != LLMC__GRID_NONE && e->grid_key != k) {
        const char *was = flag_of(e->grid_key);
        llmc_grid_free(g);
        return llmc__fail(LLMC_EINVAL,
                          "the grid intensity is already given by %s; give "
                          "only one of --zone, --intensity and --grid",
                          was);
    }
    llmc_grid_free(e->grid);
    e->grid = g;
    e->grid_key = k;
    return LLMC_OK;
}

/* Words only: "1" and "0" are masses for the embodied key (1 kg, 0 kg). */
static int parse_bool(int *out, const char *v)
{
    static const char *const yes[] = {"true", "yes", "on"};
    static const char *const no[] = {"false", "no", "off"};
    for (size_t i = 0; i < 3; i++) {
        if (llmc__strcaseeq(v, yes[i])) {
            *out = 1;
            return 1;
        }
        if (llmc__strcaseeq(v, no[i])) {
            *out = 0;
            return 1;
        }
    }
    return 0;
}

static int parse_count(long long *out, const char *v)
{
    char *end;
    long long n;
    const char *p = v;
    while (isspace((unsigned char)*p))
        p++;
    if (!isdigit((unsigned char)*p))
        return llmc__fail(*p == '-' ? LLMC_ERANGE : LLMC_EPARSE,
                          "count '%s' is not a whole number of devices of 1 "
                          "or more",
                          v);
    errno = 0;
    n = strtoll(p, &end, 10);
    while (isspace((unsigned char)*end))
        end++;
    if (*end)
        return llmc__fail(LLMC_EPARSE,
                          "count '%s' is not a whole number of devices "
                          "(trailing '%s')",
                          v, end);
    if (errno == ERANGE || n < 1 || n > 100000000LL)
        return llmc__fail(LLMC_ERANGE,
                          "count '%s' is out of range; give 1 to 100000000 "
                          "devices",
                          v);
    *out = n;
    return LLMC_OK;
}

/* A plain number with an optional K, M, B (or G) or T suffix ("175B",
 * "1.4T", "6.7e9"), finite and above 0. */
static int parse_scaled(double *out, const char *text, const char *what,
                        const char *whole)
{
    char *end;
    double v, scale = 1.0;
    const char *p = text;
    while (isspace((unsigned char)*p))
        p++;
    if (!*p || strncasecmp(p, "nan", 3) == 0 || strncasecmp(p, "inf", 3) == 0 ||
        !(isdigit((unsigned char)*p) || *p == '.'))
        return llmc__fail(LLMC_EPARSE,
                          "%s '%s' is not a number above 0 (e.g. 70B, 1.4T, "
                          "6.7e9)",
                          what, whole);
    errno = 0;
    v = strtod(p, &end);
    switch (*end) {
    case 'k': case 'K': scale = 1e3; end++; break;
    case 'M': scale = 1e6; end++; break;
    case 'B': case 'G': scale = 1e9; end++; break;
    case 'T': scale = 1e12; end++; break;
    default: break;
    }
    while (isspace((unsigned char)*end))
        end++;
    if (*end)
        return llmc__fail(LLMC_EPARSE,
                          "%s '%s' is not a number (write 70B, 1.4T or 6.7e9; "
                          "trailing '%s')",
                          what, whole, end);
    if (!isfinite(v * scale) || (errno == ERANGE && fabs(v) >= 1.0))
        return llmc__fail(LLMC_ERANGE, "%s '%s' is too large to be a number",
                          what, whole);
    if (v != 0.0 && !isnormal(v * scale))
        return llmc__fail(LLMC_ERANGE,
                          "%s '%s' is too small (below %g); give a value "
                          "above it",
                          what, whole, DBL_MIN);
    if (v * scale <= 0.0)
        return llmc__fail(LLMC_ERANGE, "%s '%s' must be above 0", what, whole);
    *out = v * scale;
    return LLMC_OK;
}

/* A count-like input, single or "low..high". */
static int parse_scaled_range(struct llmc__range *r, const char *text,
                              const char *what)
{
    const char *dots = strstr(text, "..");
    char lo[64];
    double a, b;
    int rc;
    if (!dots) {
        if ((rc = parse_scaled(&a, text, what, text)) != LLMC_OK)
            return rc;
        r->lo = r->hi = a;
        r->set = 1;
        return LLMC_OK;
    }
    if ((size_t)(dots - text) >= sizeof lo)
        return llmc__fail(LLMC_EPARSE, "%s '%.60s' is too long", what, text);
    memcpy(lo, text, (size_t)(dots - text));
    lo[dots - text] = '\0';
    if ((rc = parse_scaled(&a, lo, what, text)) != LLMC_OK ||
        (rc = parse_scaled(&b, dots + 2, what, text)) != LLMC_OK)
        return rc;
    if (a > b)
        return llmc__fail(LLMC_ERANGE,
                          "range '%s' has its low end above its high end",
                          text);
    r->lo = a;
    r->hi = b;
    r->set = 1;
    return LLMC_OK;
}

static int parse_quantity_range(struct llmc__range *r, llmc_dimension dim,
                                const char *text, const char *bare)
{
    double lo, hi;
    int rc = llmc_quantity_parse_range(&lo, &hi, dim, text, bare);
    if (rc != LLMC_OK)
        return rc;
    r->lo = lo;
    r->hi = hi;
    r->set = 1;
    return LLMC_OK;
}

/* ---- the inputs that need more than a parser: their setters ----------- */

static int set_hardware(llmc_estimate *e, const char *value)
{
    llmc_profile *p;
    int rc;
    if ((rc = llmc_profile_lookup(&p, value)))
        return rc;
    llmc_profile_free(e->profile);
    e->profile = p;
    return LLMC_OK;
}

/* A power per device (a quantity or range), or the words tdp (the
 * default: the profile's TDP, scaled by power_factor) and typical (the
 * device's typical training power, data/power_typical.csv). */
static int set_power(llmc_estimate *e, const char *value)
{
    struct llmc__range r = {0, 0, 0};
    const char *p = value;
    int rc;
    while (isspace((unsigned char)*p))
        p++;
    if (llmc__strcaseeq(p, "tdp") || llmc__strcaseeq(p, "typical")) {
        e->power_basis = llmc__strcaseeq(p, "tdp") ? LLMC__POWER_TDP
                                                   : LLMC__POWER_TYPICAL;
        e->power_w.set = 0;
        return LLMC_OK;
    }
    if (isalpha((unsigned char)*p))
        return llmc__fail(LLMC_EPARSE,
                          "power '%s' is not a power per device (e.g. 350W), "
                          "tdp or typical",
                          value);
    if ((rc = parse_quantity_range(&r, LLMC_DIM_POWER, value, "W")) != LLMC_OK)
        return rc;
    e->power_w = r;
    e->power_basis = LLMC__POWER_TDP;
    return LLMC_OK;
}

static int set_count(llmc_estimate *e, const char *value)
{
    int rc;
    if ((rc = parse_count(&e->count, value)))
        return rc;
    e->have_count = 1;
    return LLMC_OK;
}

static int set_zone(llmc_estimate *e, const char *value)
{
    llmc_grid *g;
    int rc;
    if (strchr(value, ',') || llmc__strcaseeq(value, "const") ||
        strncmp(value, "const:", 6) == 0)
        return llmc__fail(LLMC_EINVAL,
                          "zone '%s' is not a zone; use --intensity for a "
                          "constant or --grid for a source spec",
                          value);
    if ((rc = llmc_grid_new(&g, value)))
        return rc;
    e->intensity.set = 0;
    return take_grid(e, g, LLMC__GRID_ZONE);
}

static int set_intensity(llmc_estimate *e, const char *value)
{
    struct llmc__range r = {0, 0, 0};
    llmc_grid *g;
    int rc;
    /* the middle as halves summed: lo + hi would overflow past half the
     * largest double, which the table's bound admits */
    if ((rc = parse_quantity_range(&r, LLMC_DIM_INTENSITY, value,
                                   "gCO2e/kWh")) ||
        (rc = llmc_grid_new_const(&g, r.lo / 2 + r.hi / 2)))
        return rc;
    if ((rc = take_grid(e, g, LLMC__GRID_INTENSITY)) != LLMC_OK)
        return rc;
    e->intensity = r;
    return LLMC_OK;
}

static int set_grid(llmc_estimate *e, const char *value)
{
    llmc_grid *g;
    int rc;
    if ((rc = llmc_grid_new(&g, value)))
        return rc;
    e->intensity.set = 0;
    return take_grid(e, g, LLMC__GRID_SPEC);
}

static int set_embodied(llmc_estimate *e, const char *value)
{
    int rc, b;
    if (parse_bool(&b, value)) {
        e->embodied_mode = b ? LLMC__EMBODIED_AUTO : LLMC__EMBODIED_OFF;
        return LLMC_OK;
    }
    if ((rc = parse_quantity_range(&e->embodied_kg, LLMC_DIM_MASS, value,
                                   "kg")))
        return rc;
    e->embodied_mode = LLMC__EMBODIED_OVERRIDE;
    return LLMC_OK;
}

static int set_embodied_scope(llmc_estimate *e, const char *value)
{
    return llmc__scope_parse(&e->embodied_scope, value, "embodied_scope");
}

static int set_no_embodied(llmc_estimate *e, const char *value)
{
    int b;
    if (!parse_bool(&b, value))
        return llmc__fail(LLMC_EPARSE,
                          "no_embodied takes true or false, not '%s'", value);
    /* false undoes a true, and leaves a figure given by embodied */
    if (b)
        e->embodied_mode = LLMC__EMBODIED_OFF;
    else if (e->embodied_mode == LLMC__EMBODIED_OFF)
        e->embodied_mode = LLMC__EMBODIED_AUTO;
    return LLMC_OK;
}

static int set_lifetime(llmc_estimate *e, const char *value)
{
    struct llmc__range r = {0, 0, 0};
    int rc;
    if ((rc = parse_quantity_range(&r, LLMC_DIM_DURATION, value, "y")))
        return rc;
    if (r.lo <= 0.0)
        return llmc__fail(LLMC_ERANGE,
                          "lifetime '%s' is not above 0; embodied carbon "
                          "is amortised over the lifetime",
                          value);
    e->lifetime_s = r;
    return LLMC_OK;
}

static int set_precision(llmc_estimate *e, const char *value)
{
    for (size_t i = 0; i < sizeof precisions / sizeof precisions[0]; i++)
        if (llmc__strcaseeq(value, precisions[i].name)) {
            e->precision = precisions[i].field;
            return LLMC_OK;
        }
    return llmc__fail(LLMC_EINVAL,
                      "precision '%s' is not known; use fp32, tf32, bf16, "
                      "fp16 or fp8",
                      value);
}

#define MAX_MFU 1.0
#define MAX_POWER_FACTOR 2.0

static int set_mfu(llmc_estimate *e, const char *value)
{
    struct llmc__range r = {0, 0, 0};
    int rc;
    if ((rc = parse_scaled_range(&r, value, "mfu")) != LLMC_OK)
        return rc;
    if (r.hi > MAX_MFU)
        return llmc__fail(LLMC_ERANGE,
                          "mfu '%s' is above 1; it is the share of peak "
                          "throughput reached (e.g. 0.4)",
                          value);
    e->mfu = r;
    return LLMC_OK;
}

static int set_power_factor(llmc_estimate *e, const char *value)
{
    struct llmc__range r = {0, 0, 0};
    int rc;
    if ((rc = parse_scaled_range(&r, value, "power_factor")) != LLMC_OK)
        return rc;
    if (r.hi > MAX_POWER_FACTOR)
        return llmc__fail(LLMC_ERANGE,
                          "power_factor '%s' is above 2; it is the mean "
                          "power over the TDP (e.g. 0.8)",
                          value);
    e->power_factor = r;
    return LLMC_OK;
}

static int set_recompute(llmc_estimate *e, const char *value)
{
    int b;
    if (!parse_bool(&b, value))
        return llmc__fail(LLMC_EPARSE,
                          "recompute takes true or false, not '%s'", value);
    e->recompute = b;
    return LLMC_OK;
}

/* The estimate's inputs, one row per key: its name (the CLI flag is the
 * name with '-' for '_'; there is no environment variable), the value's
 * placeholder ("" for a switch: the flag takes no value, the key true or
 * false), unit and inclusive bounds where it is a number (NaN where not;
 * quantities in the unit they are held in, whatever unit they are written
 * in), a one-line summary, and its setter. llmc_estimate_set, the flags of
 * `llmcarbon estimate` and llmc_estimate_key_get read this table. */
enum how {
    BY_SETTER,    /* set() does it */
    QUANTITY_AT,  /* a quantity or range of dim, bare numbers in bare */
    SCALED_AT,    /* a number or range with an SI suffix (70B, 0.3..0.5) */
    SIZE_AT       /* one number with an SI suffix, above 0 */
};

struct key_row {
    const char *name, *flag, *arg, *unit;
    double min, max;
    const char *help;
    int (*set)(llmc_estimate *e, const char *value);
    enum how how;
    size_t at;               /* the field's offset in llmc_estimate */
    llmc_dimension dim;
    const char *bare;
};

#define NUM(lo, hi) (lo), (hi)
#define TEXT NAN, NAN
/* a quantity: from 0 (a smaller magnitude is refused as too small) to
 * the largest double; a count-like number: above 0 */
#define QUANTITY NUM(0.0, DBL_MAX)
#define ABOVE_0 NUM(DBL_MIN, DBL_MAX)
/* how the value is read and where it goes */
#define SETTER(fn) fn, BY_SETTER, 0, (llmc_dimension)0, NULL
#define QUANTITY_IN(field, dim, bare)                                        \
    NULL, QUANTITY_AT, offsetof(llmc_estimate, field), dim, bare
#define SCALED_IN(field) NULL, SCALED_AT, offsetof(llmc_estimate, field),    \
                         (llmc_dimension)0, NULL
#define SIZE_IN(field) NULL, SIZE_AT, offsetof(llmc_estimate, field),        \
                       (llmc_dimension)0, NULL

static const struct key_row rows[] = {
    {"energy", "--energy", "E", "J", QUANTITY, "IT energy used (bare: kWh)",
     QUANTITY_IN(energy_j, LLMC_DIM_ENERGY, "kWh")},
    {"hardware", "--hardware", "NAME", "", TEXT,
     "a catalogue profile (see `llmcarbon hw list`)", SETTER(set_hardware)},
    {"count", "--count", "N", "", NUM(1, 100000000),
     "number of devices (default 1)", SETTER(set_count)},
    {"hours", "--hours", "H", "s", QUANTITY,
     "wall-clock time, with --count (bare: hours)", QUANTITY_IN(hours_s, LLMC_DIM_DURATION, "h")},
    {"device_hours", "--device-hours", "H", "s", QUANTITY,
     "device-hours in all (bare: hours)", QUANTITY_IN(device_s, LLMC_DIM_DURATION, "h")},
    {"power", "--power", "P", "W", QUANTITY,
     "power per device (bare: W), or tdp (default) or typical",
     SETTER(set_power)},
    {"pue", "--pue", "X", "", NUM(1.0, DBL_MAX),
     "data-centre PUE (default 1.0: no overhead counted)", QUANTITY_IN(pue, LLMC_DIM_PUE, NULL)},
    {"zone", "--zone", "Z", "", TEXT,
     "bundled grid zone: FR, US-CA, gcp:europe-west1, ...", SETTER(set_zone)},
    {"intensity", "--intensity", "I", "gCO2e/kWh", QUANTITY,
     "grid intensity (bare: gCO2e/kWh)", SETTER(set_intensity)},
    {"grid", "--grid", "SPEC", "", TEXT,
     "any grid source spec (static:FR, const:450g/kWh)", SETTER(set_grid)},
    {"embodied", "--embodied", "KG", "kg", QUANTITY,
     "embodied CO2e per device, not the profile's (bare: kg)",
     SETTER(set_embodied)},
    {"embodied_scope", "--embodied-scope", "SCOPE", "", TEXT,
     "what the embodied figure covers: die, package, board (default) or "
     "server", SETTER(set_embodied_scope)},
    {"no_embodied", "--no-embodied", "", "", TEXT,
     "leave embodied carbon out", SETTER(set_no_embodied)},
    {"lifetime", "--lifetime", "Y", "s", NUM(DBL_MIN, DBL_MAX),
     "lifetime to amortise over (bare: years; default 5)",
     SETTER(set_lifetime)},
    {"params", "--params", "N", "", ABOVE_0, "parameters (70B, 175e9)",
     SCALED_IN(params)},
    {"active_params", "--active-params", "N", "", ABOVE_0,
     "parameters active per token, for MoE (13B)",
     SCALED_IN(active_params)},
    {"tokens", "--tokens", "N", "tokens", ABOVE_0,
     "training tokens (300B, 2T)", SCALED_IN(tokens)},
    {"precision", "--precision", "P", "", TEXT,
     "fp32, tf32, bf16 (default), fp16, fp8", SETTER(set_precision)},
    {"mfu", "--mfu", "U", "", NUM(DBL_MIN, MAX_MFU),
     "model FLOPs utilisation, 0..1 (e.g. 0.4)", SETTER(set_mfu)},
    {"power_factor", "--power-factor", "F", "", NUM(DBL_MIN, MAX_POWER_FACTOR),
     "mean power / TDP (default 1.0, an upper bound)", SETTER(set_power_factor)},
    {"overhead_power", "--overhead-power", "P", "W", QUANTITY,
     "host, CPU and network power per device (bare: W)", QUANTITY_IN(overhead_w, LLMC_DIM_POWER, "W")},
    {"layers", "--layers", "L", "", ABOVE_0,
     "layers, for the detailed FLOPs formula with attention", SIZE_IN(layers)},
    {"hidden", "--hidden", "H", "", ABOVE_0,
     "hidden size, for the detailed FLOPs formula", SIZE_IN(hidden)},
    {"seq_len", "--seq-len", "S", "tokens", ABOVE_0,
     "sequence length, for the detailed FLOPs formula", SIZE_IN(seq_len)},
    {"vocab", "--vocab", "V", "tokens", ABOVE_0,
     "vocabulary size, for the detailed FLOPs formula", SIZE_IN(vocab)},
    {"recompute", "--recompute", "", "", TEXT,
     "activations recomputed, for the detailed FLOPs formula",
     SETTER(set_recompute)},
};
#define NKEYS (sizeof rows / sizeof rows[0])

/* The row of key, written with '-' or '_' and in any case, after any
 * leading '-' (a flag: "--device-hours"); NULL if none. */
static const struct key_row *find_row(const char *key)
{
    char k[32];
    size_t n = 0;
    while (*key == '-')
        key++;
    for (; *key && n + 1 < sizeof k; key++)
        k[n++] = *key == '-' ? '_' : (char)tolower((unsigned char)*key);
    k[n] = '\0';
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(rows[i].name, k) == 0)
            return &rows[i];
    return NULL;
}

static int unknown_key(const char *key)
{
    char list[400];
    size_t used = 0;
    for (size_t i = 0; i < NKEYS && used < sizeof list; i++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                                 i ? ", " : "", rows[i].name);
    return llmc__fail(LLMC_EINVAL,
                      "'%s' is not an estimate input; use one of: %s", key,
                      list);
}

static int set_one(llmc_estimate *e, const char *key, const char *value)
{
    const struct key_row *row = find_row(key);
    void *field;
    if (!row)
        return unknown_key(key);
    field = (char *)e + row->at;
    switch (row->how) {
    case QUANTITY_AT:
        return parse_quantity_range(field, row->dim, value, row->bare);
    case SCALED_AT:
        return parse_scaled_range(field, value, row->name);
    case SIZE_AT:
        return parse_scaled(field, value, row->name, value);
    case BY_SETTER:
        break;
    }
    return row->set(e, value);
}

static int row_out(llmc_key_info *out, const struct key_row *row)
{
    llmc_key_info full;
    memset(&full, 0, sizeof full);
    full.size = sizeof full;
    full.name = row->name;
    full.flag = row->flag;
    full.env = "";
    full.arg = row->arg;
    full.unit = row->unit;
    full.min = row->min;
    full.max = row->max;
    full.while_running = 0;
    full.help = row->help;
    return llmc__versioned_copy(out, &full, sizeof full,
                                LLMC__FIELD_END(llmc_key_info, name),
                                "llmc_key_info");
}

LLMC_API size_t llmc_estimate_key_count(void)
{
    return NKEYS;
}

LLMC_API int llmc_estimate_key_get(llmc_key_info *out, size_t index)
{
    if (!out)
        return llmc__fail(LLMC_EINVAL, "out is NULL");
    if (index >= NKEYS)
        return llmc__fail(LLMC_ERANGE,
                          "key index %zu is past the %zu estimate keys", index,
                          NKEYS);
    return row_out(out, &rows[index]);
}

LLMC_API int llmc_estimate_key_find(llmc_key_info *out, const char *name)
{
    const struct key_row *row;
    if (!out || !name)
        return llmc__fail(LLMC_EINVAL, "out or name is NULL");
    if (!(row = find_row(name)))
        return unknown_key(name);
    return row_out(out, row);
}

LLMC_API int llmc_estimate_set(llmc_estimate *e, const char *key,
                               const char *value)
{
    int rc;
    if (!e || !key || !value)
        return llmc__fail(LLMC_EINVAL, "estimate, key or value is NULL");
    /* a refused input leaves the estimate, and its last result, as they were */
    if ((rc = set_one(e, key, value)) == LLMC_OK)
        e->computed = 0;
    return rc;
}

LLMC_API int llmc_estimate_set_profile(llmc_estimate *e, llmc_profile *profile)
{
    if (!e || !profile)
        return llmc__fail(LLMC_EINVAL, "estimate or profile is NULL");
    llmc_profile_ref(profile);
    llmc_profile_free(e->profile);
    e->profile = profile;
    e->computed = 0;
    return LLMC_OK;
}

LLMC_API int llmc_estimate_set_grid(llmc_estimate *e, llmc_grid *grid)
{
    int rc;
    if (!e || !grid)
        return llmc__fail(LLMC_EINVAL, "estimate or grid is NULL");
    llmc_grid_ref(grid);
    if ((rc = take_grid(e, grid, LLMC__GRID_HANDLE)) == LLMC_OK) {
        e->computed = 0;
        e->intensity.set = 0;
    }
    return rc;
}

/* ---- the model ----------------------------------------------------------- */

enum corner { MIDDLE, LOW, HIGH };

/* The value of an input at a corner; `rising` says whether a larger input
 * makes a larger footprint (power) or a smaller one (mfu, lifetime). */
static double at(const struct llmc__range *r, enum corner c, int rising)
{
    if (c == MIDDLE)
        return (r->lo + r->hi) / 2;
    return (c == LOW) == rising ? r->lo : r->hi;
}

static int flops_path(const llmc_estimate *e)
{
    return (e->params.set || e->active_params.set || e->layers > 0) &&
           e->tokens.set;
}

/* Training FLOPs: 6 x N x D (Kaplan et al. 2020, "Scaling Laws for Neural
 * Language Models", C = 6ND), N the active parameters of a mixture of
 * experts; or, with layers, hidden size, sequence length and vocabulary,
 * from the counts of Narayanan et al. 2021 ("Efficient Large-Scale Language
 * Model Training on GPU Clusters Using Megatron-LM", SC21, sec. 5.1), which
 * count attention and the logit layer. Per sequence of s tokens, the
 * forward pass of a layer is 24 s h^2 + 4 s^2 h FLOPs and of the logit
 * layer 2 s h V; the backward pass is twice the forward. Without
 * recomputation that is 3 forwards, per token
 *     72 l h^2 + 12 l s h + 6 h V = 72 l h^2 (1 + s / 6h + V / 12 l h);
 * with activation recomputation the layers run one forward more (4), the
 * logit layer does not, which is their eq. 3:
 *     96 l h^2 + 16 l s h + 6 h V = 96 l h^2 (1 + s / 6h + V / 16 l h).
 * The recomputed forward is work done, not model FLOPs: an mfu given with
 * recompute is a hardware FLOPs utilisation. */
static double flops_of(const llmc_estimate *e, enum corner c)
{
    double d = at(&e->tokens, c, 1);
    if (e->layers > 0 && e->hidden > 0 && e->seq_len > 0 && e->vocab > 0) {
        double l = e->layers, h = e->hidden, s = e->seq_len, v = e->vocab;
        if (e->recompute)
            return d * 96.0 * l * h * h *
                   (1.0 + s / (6.0 * h) + v / (16.0 * l * h));
        return d * 72.0 * l * h * h *
               (1.0 + s / (6.0 * h) + v / (12.0 * l * h));
    }
    return 6.0 * at(e->active_params.set ? &e->active_params : &e->params, c, 1) *
           d;
}

/* Pairs of inputs that exclude each other: given both, one would be
 * ignored. */
static const struct {
    size_t a, b;
    const char *flag_a, *flag_b, *fix;
} exclusive[] = {
    {offsetof(llmc_estimate, hours_s), offsetof(llmc_estimate, device_s),
     "--hours", "--device-hours",
     "give --hours (wall-clock, with --count) or --device-hours, not both"},
    {offsetof(llmc_estimate, energy_j), offsetof(llmc_estimate, power_w),
     "--energy", "--power",
     "the energy is used as given, so drop --power (or --energy)"},
    {offsetof(llmc_estimate, power_w), offsetof(llmc_estimate, power_factor),
     "--power", "--power-factor",
     "--power is the mean power per device and replaces the TDP that "
     "--power-factor would scale: give one"},
    {offsetof(llmc_estimate, energy_j), offsetof(llmc_estimate, overhead_w),
     "--energy", "--overhead-power",
     "the energy is used as measured, nothing is added to it: drop "
     "--overhead-power (or give --hardware and --hours instead of --energy)"},
    {offsetof(llmc_estimate, energy_j), offsetof(llmc_estimate, power_factor),
     "--energy", "--power-factor",
     "the energy is used as measured, no power factor scales it: drop "
     "--power-factor"},
};

static const struct llmc__range *range_at(const llmc_estimate *e, size_t off)
{
    return (const struct llmc__range *)(const void *)((const char *)e + off);
}

static int check_inputs(llmc_estimate *e)
{
    int flops = flops_path(e);
    if ((e->layers > 0 || e->hidden > 0 || e->seq_len > 0 || e->vocab > 0) &&
        !(e->layers > 0 && e->hidden > 0 && e->seq_len > 0 && e->vocab > 0))
        return llmc__fail(LLMC_EINVAL,
                          "the detailed FLOPs formula needs all of --layers, "
                          "--hidden, --seq-len and --vocab");
    if ((e->params.set || e->active_params.set) && !e->tokens.set)
        return llmc__fail(LLMC_EINVAL,
                          "--params goes with --tokens: training compute is "
                          "6 x params x tokens");
    if (e->tokens.set && !flops && !e->energy_j.set && !e->hours_s.set &&
        !e->device_s.set)
        return llmc__fail(LLMC_EINVAL,
                          "--tokens alone says nothing about the compute; add "
                          "--params (or --layers, --hidden, --seq-len, "
                          "--vocab)");
    if (e->power_basis == LLMC__POWER_TYPICAL && !e->power_w.set) {
        if (e->energy_j.set)
            return llmc__fail(LLMC_EINVAL,
                              "both --energy and --power typical are given; "
                              "the energy is used as given, so drop --power "
                              "(or --energy)");
        if (e->power_factor.set)
            return llmc__fail(LLMC_EINVAL,
                              "both --power typical and --power-factor are "
                              "given; the typical figure is a measured share "
                              "of the TDP that --power-factor would replace: "
                              "give one");
        if (!e->profile)
            return llmc__fail(LLMC_EINVAL,
                              "--power typical is the typical training power "
                              "of a device: give --hardware");
    }
    /* inputs of which one would be ignored: refused, naming both */
    for (size_t i = 0; i < sizeof exclusive / sizeof exclusive[0]; i++)
        if (range_at(e, exclusive[i].a)->set && range_at(e, exclusive[i].b)->set)
            return llmc__fail(LLMC_EINVAL, "both %s and %s are given; %s",
                              exclusive[i].flag_a, exclusive[i].flag_b,
                              exclusive[i].fix);
    if (flops && (e->hours_s.set || e->device_s.set))
        return llmc__fail(LLMC_EINVAL,
                          "the time is given (--hours or --device-hours) and "
                          "would also follow from --params and --tokens; give "
                          "one or the other");
    if (e->device_s.set && e->have_count)
        return llmc__fail(LLMC_EINVAL,
                          "--count goes with --hours (wall-clock); "
                          "--device-hours already counts every device");
    if (e->have_count && !e->hours_s.set && !flops)
        return llmc__fail(LLMC_EINVAL,
                          "--count goes with --hours (wall-clock); without "
                          "--hours it would change nothing");
    if (!e->energy_j.set && !e->power_w.set && !e->profile)
        return llmc__fail(LLMC_EINVAL,
                          "nothing to estimate from; give --energy, or "
                          "--hardware (or --power) with --hours or "
                          "--device-hours, or --hardware with --params, "
                          "--tokens and --mfu");
    if (!e->energy_j.set && !flops && !e->hours_s.set && !e->device_s.set)
        return llmc__fail(LLMC_EINVAL,
                          "how long did it run? give --hours (wall-clock, "
                          "with --count) or --device-hours, or --params and "
                          "--tokens with --mfu");
    if (flops) {
        if (!e->profile)
            return llmc__fail(LLMC_EINVAL,
                              "the time follows from the compute only with "
                              "the hardware's peak throughput: give "
                              "--hardware");
        if (!e->mfu.set)
            return llmc__fail(LLMC_EINVAL,
                              "give --mfu, the share of peak throughput the "
                              "run reaches (e.g. 0.4; PaLM reported 0.462, and "
                              "GPT-3's published figures imply about 0.2)");
    }
    return LLMC_OK;
}

/* Peak FLOP/s per device at the chosen precision: bf16 by default, else
 * an error that lists what the hardware has. */
static int peak_of(llmc_estimate *e)
{
    int field = e->precision ? e->precision : LLMC_PROFILE_PEAK_BF16_FLOPS;
    char have[128] = "";
    size_t used = 0;
    if (llmc_profile_get(&e->peak_flops, e->profile,
                         (llmc_profile_field)field) == LLMC_OK)
        return LLMC_OK;
    for (size_t i = 0; i < sizeof precisions / sizeof precisions[0]; i++) {
        double v;
        if (llmc_profile_get(&v, e->profile,
                             (llmc_profile_field)precisions[i].field) == LLMC_OK)
            used += (size_t)snprintf(have + used, sizeof have - used, "%s%s",
                                     used ? ", " : "", precisions[i].name);
    }
    return llmc__fail(LLMC_ENODATA,
                      "'%s' has no %s throughput in the catalogue%s%s; give "
                      "--precision with one it has",
                      llmc_profile_get_text(e->profile, LLMC_PROFILE_NAME),
                      llmc__precision_name(field), *have ? "; it has " : "",
                      have);
}

/* The typical-power row for the hardware: its own row (by catalogue
 * name), else its class (vendor and kind), else its kind's; an error that
 * says why and what to give where there is none or it has no figure. */
static int typical_of(llmc_estimate *e)
{
    const char *name = llmc_profile_get_text(e->profile, LLMC_PROFILE_NAME);
    const char *vendor = llmc_profile_get_text(e->profile, LLMC_PROFILE_VENDOR);
    const char *kind = llmc_profile_get_text(e->profile, LLMC_PROFILE_KIND);
    const struct llmc__power_typical_row *own = NULL, *cls = NULL, *any = NULL;
    const struct llmc__power_typical_row *row;
    for (size_t i = 0; i < llmc__power_typical_count; i++) {
        row = &llmc__power_typical_rows[i];
        if (!*row->kind) {
            if (strcmp(row->applies_to, name) == 0)
                own = row;
        } else if (strcmp(row->kind, kind) == 0) {
            if (!*row->vendor)
                any = row;
            else if (llmc__strcaseeq(row->vendor, vendor))
                cls = row;
        }
    }
    row = own ? own : cls ? cls : any;
    if (!row)
        return llmc__fail(LLMC_ENODATA,
                          "no typical training power is known for '%s' (%s "
                          "%s): no measured study in the typical-power table "
                          "covers it; give --power with the mean power per "
                          "device, or --power-factor with the share of the "
                          "TDP it draws",
                          name, vendor, kind);
    if (isnan(row->fraction_of_tdp) && isnan(row->mean_w))
        return llmc__fail(LLMC_ENODATA,
                          "no typical training power is known for '%s' "
                          "(class '%s': %s); give --power with the mean "
                          "power per device, or --power-factor with the "
                          "share of the TDP it draws",
                          name, row->applies_to, row->source);
    if (e->overhead_w.set && strcmp(row->scope, "device") != 0)
        return llmc__fail(LLMC_EINVAL,
                          "the typical power of '%s' is a %s figure that "
                          "includes the host (%s); --overhead-power would "
                          "count the host twice: drop it, or give --power",
                          name, row->scope, row->applies_to);
    e->typical = row;
    return LLMC_OK;
}

/* One evaluation of the model at a corner of the ranged inputs. */
/* Inputs each within range can still multiply past the doubles (1e300 kWh
 * at 1e9 g/kWh): that is an overflow, said as one, never an answer of inf
 * or a failure to write it out. */
static int check_finite(const llmc_estimate_result *r)
{
    static const struct {
        size_t offset;
        const char *name;
    } fields[] = {
        {offsetof(llmc_estimate_result, energy_kwh), "the IT energy"},
        {offsetof(llmc_estimate_result, facility_energy_kwh),
         "the facility energy"},
        {offsetof(llmc_estimate_result, device_hours), "the device-hours"},
        {offsetof(llmc_estimate_result, operational_kgco2e),
         "the operational CO2e"},
        {offsetof(llmc_estimate_result, embodied_kgco2e), "the embodied CO2e"},
        {offsetof(llmc_estimate_result, total_kgco2e), "the total CO2e"},
        {offsetof(llmc_estimate_result, flops), "the training compute"},
        {offsetof(llmc_estimate_result, days), "the wall-clock time"},
        {offsetof(llmc_estimate_result, gco2e_per_mtoken),
         "the CO2e per million tokens"},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        double v;
        memcpy(&v, (const char *)r + fields[i].offset, sizeof v);
        if (!isfinite(v))
            return llmc__fail(LLMC_ERANGE,
                              "%s is too large to compute (over %g): the "
                              "inputs multiply past the largest number; "
                              "check their units and sizes",
                              fields[i].name, DBL_MAX);
    }
    return LLMC_OK;
}

static int evaluate(llmc_estimate *e, enum corner c, llmc_estimate_result *r,
                    double ci_middle)
{
    double device_s = 0.0, wall_s = 0.0, power = 0.0, energy_j, pue, ci, emb = 0;
    double flops = 0.0;

    llmc_estimate_result_init(r, sizeof *r);
    if (flops_path(e)) {
        flops = flops_of(e, c);
        device_s = flops / (e->peak_flops * at(&e->mfu, c, 0));
        wall_s = device_s / (double)e->count;
    } else if (e->device_s.set) {
        device_s = at(&e->device_s, c, 1);
    } else if (e->hours_s.set) {
        wall_s = at(&e->hours_s, c, 1);
        device_s = wall_s * (double)e->count;
    }

    if (e->energy_j.set) {
        energy_j = at(&e->energy_j, c, 1);
    } else {
        if (!e->power_w.set && !e->profile)
            return llmc__fail(LLMC_EINVAL,
                              "nothing to estimate from; give --energy, or "
                              "--hardware (or --power) with --hours or "
                              "--device-hours, or --hardware with --params, "
                              "--tokens and --mfu");
        if (device_s <= 0.0)
            return llmc__fail(LLMC_EINVAL,
                              "how long did it run? give --hours (wall-clock, "
                              "with --count) or --device-hours, or --params "
                              "and --tokens with --mfu");
        if (e->power_w.set) {
            power = at(&e->power_w, c, 1);
        } else if (e->typical && !isnan(e->typical->mean_w)) {
            power = e->typical->mean_w;
        } else {
            double tdp;
            if (llmc_profile_get(&tdp, e->profile, LLMC_PROFILE_TDP_W) != LLMC_OK)
                return llmc__fail(LLMC_ENODATA,
                                  "'%s' has no TDP in the catalogue (no source "
                                  "gives it); pass --power with the power per "
                                  "device",
                                  llmc_profile_get_text(e->profile,
                                                        LLMC_PROFILE_NAME));
            power = tdp * (e->typical ? e->typical->fraction_of_tdp
                                      : at(&e->power_factor, c, 1));
        }
        if (e->overhead_w.set)
            power += at(&e->overhead_w, c, 1);
        energy_j = power * device_s;
    }
    pue = at(&e->pue, c, 1);
    ci = e->intensity.set ? at(&e->intensity, c, 1) : ci_middle;

    r->energy_kwh = energy_j / LLMC__J_PER_KWH;
    r->power_w = e->energy_j.set ? 0.0 : power;
    r->device_hours = device_s / 3600.0;
    r->pue = pue;
    r->facility_energy_kwh = r->energy_kwh * pue;
    r->intensity_gco2e_per_kwh = ci;
    {
        int rc = llmc_account_operational(&r->operational_kgco2e, energy_j, pue,
                                          ci);
        if (rc != LLMC_OK)
            return rc;
    }
    /* embodied: whether it is included was decided for the middle */
    if (c == MIDDLE) {
        double per_device = 0;
        e->embodied_note[0] = '\0';
        e->embodied_per_device_kgco2e = NAN;
        e->embodied_method = "";
        e->lifetime_s_used = NAN;
        if (e->embodied_mode == LLMC__EMBODIED_OFF)
            snprintf(e->embodied_note, sizeof e->embodied_note,
                     "left out on request (--no-embodied)");
        else if (device_s <= 0.0)
            snprintf(e->embodied_note, sizeof e->embodied_note,
                     "left out: no device time to amortise over; give --hours "
                     "or --device-hours");
        else if (e->embodied_mode == LLMC__EMBODIED_OVERRIDE)
            e->embodied_method = "given";
        else if (!e->profile)
            snprintf(e->embodied_note, sizeof e->embodied_note,
                     "left out: no hardware given; give --hardware or "
                     "--embodied KG per device");
        else {
            char why[300];
            if (llmc__profile_embodied(e->profile, e->embodied_scope,
                                       &per_device, &e->embodied_method, why,
                                       sizeof why) != LLMC_OK)
                snprintf(e->embodied_note, sizeof e->embodied_note,
                         "left out (unknown): %s; choose another "
                         "--embodied-scope or give --embodied KG per device",
                         why);
        }
    }
    if (!e->embodied_note[0]) {
        double per_device, lifetime;
        const char *method_unused;
        if (e->embodied_mode == LLMC__EMBODIED_OVERRIDE)
            per_device = at(&e->embodied_kg, c, 1);
        else
            llmc__profile_embodied(e->profile, e->embodied_scope, &per_device,
                                   &method_unused, NULL, 0);
        if (e->lifetime_s.set) {
            lifetime = at(&e->lifetime_s, c, 0);
            e->lifetime_from_profile = 0;
        } else if (e->profile && llmc_profile_get(&lifetime, e->profile,
                                                  LLMC_PROFILE_LIFETIME_S) ==
                                     LLMC_OK) {
            e->lifetime_from_profile = 1;
        } else {
            lifetime = LLMC__DEFAULT_LIFETIME_Y * LLMC__SECONDS_PER_YEAR;
            e->lifetime_from_profile = 0;
        }
        llmc_account_embodied(&emb, per_device, device_s, lifetime);
        r->embodied_included = 1;
        if (c == MIDDLE) {
            e->embodied_per_device_kgco2e = per_device;
            e->lifetime_s_used = lifetime;
        }
    }
    r->embodied_kgco2e = emb;
    r->total_kgco2e = r->operational_kgco2e + emb;
    r->flops = flops;
    r->days = wall_s / 86400.0;
    if (e->tokens.set)
        r->gco2e_per_mtoken = r->total_kgco2e * 1000.0 /
                              (at(&e->tokens, c, 1) / 1e6);
    if (c == MIDDLE)
        e->device_s_used = device_s;
    return LLMC_OK;
}

static int any_range(const llmc_estimate *e)
{
    const struct llmc__range *all[] = {
        &e->energy_j, &e->hours_s, &e->device_s, &e->power_w, &e->pue,
        &e->lifetime_s, &e->params, &e->active_params, &e->tokens, &e->mfu,
        &e->power_factor, &e->overhead_w, &e->intensity, &e->embodied_kg};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (all[i]->set && all[i]->lo != all[i]->hi)
            return 1;
    return 0;
}

#define RESULT_MIN LLMC__FIELD_END(llmc_estimate_result, energy_kwh)

static void copy_out(llmc_estimate_result *out, const llmc_estimate_result *r)
{
    /* the size was checked before anything was computed */
    llmc__versioned_copy(out, r, sizeof *r, RESULT_MIN, "llmc_estimate_result");
}

LLMC_API int llmc_estimate_compute(llmc_estimate_result *out, llmc_estimate *e)
{
    int rc;

    if (!out || !e)
        return llmc__fail(LLMC_EINVAL, "out or estimate is NULL");
    if ((rc = llmc__versioned_check(out, RESULT_MIN,
                                    "llmc_estimate_result")) != LLMC_OK)
        return rc;
    e->computed = 0;
    e->flops_from = LLMC__FLOPS_NONE;
    e->typical = NULL;
    if ((rc = check_inputs(e)) != LLMC_OK)
        return rc;
    if (e->power_basis == LLMC__POWER_TYPICAL && !e->power_w.set &&
        (rc = typical_of(e)) != LLMC_OK)
        return rc;
    if (flops_path(e)) {
        if ((rc = peak_of(e)) != LLMC_OK)
            return rc;
        e->flops_from = e->layers > 0 ? LLMC__FLOPS_LAYERS : LLMC__FLOPS_6ND;
    }
    if (!e->grid)
        return llmc__fail(LLMC_EINVAL,
                          "no grid intensity; give --zone (e.g. FR, US-CA, "
                          "gcp:europe-west1), --intensity (e.g. 450g/kWh) or "
                          "--grid");
    llmc_intensity_init(&e->intensity_answer, sizeof e->intensity_answer);
    if ((rc = llmc_grid_intensity_at(&e->intensity_answer, e->grid,
                                     llmc__unix_s())) != LLMC_OK)
        return rc;
    if ((rc = evaluate(e, MIDDLE, &e->result,
                       e->intensity_answer.gco2e_per_kwh)) != LLMC_OK ||
        (rc = evaluate(e, LOW, &e->low, e->intensity_answer.gco2e_per_kwh)) !=
            LLMC_OK ||
        (rc = evaluate(e, HIGH, &e->high, e->intensity_answer.gco2e_per_kwh)) !=
            LLMC_OK)
        return rc;
    if ((rc = check_finite(&e->result)) != LLMC_OK ||
        (rc = check_finite(&e->low)) != LLMC_OK ||
        (rc = check_finite(&e->high)) != LLMC_OK)
        return rc;
    e->ranged = any_range(e);
    e->computed = 1;
    copy_out(out, &e->result);
    return LLMC_OK;
}

LLMC_API int llmc_estimate_range(llmc_estimate_result *out_low,
                                 llmc_estimate_result *out_high,
                                 const llmc_estimate *e)
{
    int rc;

    if (!out_low || !out_high || !e)
        return llmc__fail(LLMC_EINVAL, "an argument is NULL");
    if (!e->computed)
        return llmc__fail(LLMC_ESTATE,
                          "the estimate has not been computed since its last "
                          "change; call llmc_estimate_compute first");
    if ((rc = llmc__versioned_check(out_low, RESULT_MIN,
                                    "llmc_estimate_result")) != LLMC_OK ||
        (rc = llmc__versioned_check(out_high, RESULT_MIN,
                                    "llmc_estimate_result")) != LLMC_OK)
        return rc;
    copy_out(out_low, &e->low);
    copy_out(out_high, &e->high);
    return LLMC_OK;
}
