/*
 * units.c - the one parser for quantities with units ("1.5kWh", "300 W",
 * "550W..700W"), shared by the CLI, config strings and the bindings.
 *
 * Numbers are read in the C locale whatever the host program set, so that a
 * trainer running under de_DE does not read "1.5" as 1.
 */
#include <ctype.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

struct unit {
    llmc_dimension dim;
    const char *symbol;
    double to_canonical;
};

#define LB_KG 0.45359237 /* international avoirdupois pound, exact */

static const struct unit units[] = {
    {LLMC_DIM_POWER, "W", 1.0},
    {LLMC_DIM_POWER, "kW", 1e3},
    {LLMC_DIM_POWER, "MW", 1e6},
    {LLMC_DIM_ENERGY, "J", 1.0},
    {LLMC_DIM_ENERGY, "kJ", 1e3},
    {LLMC_DIM_ENERGY, "MJ", 1e6},
    {LLMC_DIM_ENERGY, "GJ", 1e9},
    {LLMC_DIM_ENERGY, "Wh", 3600.0},
    {LLMC_DIM_ENERGY, "kWh", 3.6e6},
    {LLMC_DIM_ENERGY, "MWh", 3.6e9},
    {LLMC_DIM_ENERGY, "GWh", 3.6e12},
    {LLMC_DIM_INTENSITY, "gCO2e/kWh", 1.0},
    {LLMC_DIM_INTENSITY, "g/kWh", 1.0},
    {LLMC_DIM_INTENSITY, "kgCO2e/kWh", 1e3},
    {LLMC_DIM_INTENSITY, "kg/kWh", 1e3},
    {LLMC_DIM_INTENSITY, "t/MWh", 1e3},
    {LLMC_DIM_INTENSITY, "tCO2e/MWh", 1e3},
    {LLMC_DIM_INTENSITY, "lb/MWh", LB_KG}, /* 453.59237 g / 1000 kWh */
    {LLMC_DIM_INTENSITY, "lbCO2e/MWh", LB_KG},
    {LLMC_DIM_DURATION, "ms", 1e-3},
    {LLMC_DIM_DURATION, "s", 1.0},
    {LLMC_DIM_DURATION, "min", 60.0},
    {LLMC_DIM_DURATION, "h", 3600.0},
    {LLMC_DIM_DURATION, "d", 86400.0},
    {LLMC_DIM_DURATION, "y", LLMC__SECONDS_PER_YEAR},
    {LLMC_DIM_MASS, "kgCO2e", 1.0},
    {LLMC_DIM_MASS, "kg", 1.0},
    {LLMC_DIM_MASS, "gCO2e", 1e-3},
    {LLMC_DIM_MASS, "g", 1e-3},
    {LLMC_DIM_MASS, "tCO2e", 1e3},
    {LLMC_DIM_MASS, "t", 1e3},
    {LLMC_DIM_MASS, "lb", LB_KG},
};

#define NUNITS (sizeof units / sizeof units[0])

static const char *dim_name(llmc_dimension dim)
{
    switch (dim) {
    case LLMC_DIM_POWER: return "power";
    case LLMC_DIM_ENERGY: return "energy";
    case LLMC_DIM_INTENSITY: return "carbon intensity";
    case LLMC_DIM_DURATION: return "duration";
    case LLMC_DIM_PUE: return "PUE";
    case LLMC_DIM_MASS: return "mass";
    }
    return "quantity";
}

static const char *dim_example(llmc_dimension dim)
{
    switch (dim) {
    case LLMC_DIM_POWER: return "700W";
    case LLMC_DIM_ENERGY: return "1000kWh";
    case LLMC_DIM_INTENSITY: return "450g/kWh";
    case LLMC_DIM_DURATION: return "720h";
    case LLMC_DIM_PUE: return "1.1";
    case LLMC_DIM_MASS: return "164kg";
    }
    return "1";
}

/* The unit values are held in ("J" for energy), for messages. */
static const char *canonical_symbol(llmc_dimension dim)
{
    for (size_t i = 0; i < NUNITS; i++)
        if (units[i].dim == dim && units[i].to_canonical == 1.0)
            return units[i].symbol;
    return "its base unit";
}

static int dim_valid(llmc_dimension dim)
{
    return dim >= LLMC_DIM_POWER && dim <= LLMC_DIM_MASS;
}

/* "W, kW, MW" for messages. */
static void list_units(char *buf, size_t size, llmc_dimension dim)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < NUNITS && used < size; i++) {
        if (units[i].dim != dim)
            continue;
        int n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "",
                         units[i].symbol);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* Units compare without case, except that a leading m/M must match exactly:
 * mW and MW differ by 10^9, and a forgiving parser must not confuse them. */
static int unit_matches(const char *text, const char *symbol)
{
    if ((symbol[0] == 'm' || symbol[0] == 'M' || text[0] == 'm' ||
         text[0] == 'M') &&
        text[0] != symbol[0])
        return 0;
    return llmc__strcaseeq(text, symbol);
}

static const struct unit *find_unit(llmc_dimension dim, const char *symbol)
{
    for (size_t i = 0; i < NUNITS; i++)
        if (units[i].dim == dim && strcmp(units[i].symbol, symbol) == 0)
            return &units[i];
    for (size_t i = 0; i < NUNITS; i++)
        if (units[i].dim == dim && unit_matches(symbol, units[i].symbol))
            return &units[i];
    return NULL;
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void make_c_locale(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* Reads a decimal number at s: [+-]digits[.digits][e[+-]digits]. Returns
 * the number of characters used, 0 when there is no number. */
static size_t scan_number(const char *s, double *out)
{
    const char *p = s;
    char buf[256]; /* as long as parse_one's part: any number it holds */
    size_t n;

    if (*p == '+' || *p == '-')
        p++;
    if (!isdigit((unsigned char)*p) &&
        !(*p == '.' && isdigit((unsigned char)p[1])))
        return 0;
    while (isdigit((unsigned char)*p))
        p++;
    /* "1..2" is a range: the '.' before another '.' is not a decimal point */
    if (*p == '.' && p[1] != '.') {
        p++;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if ((*p == 'e' || *p == 'E') &&
        (isdigit((unsigned char)p[1]) ||
         ((p[1] == '+' || p[1] == '-') && isdigit((unsigned char)p[2])))) {
        p += 2;
        while (isdigit((unsigned char)*p))
            p++;
    }
    n = (size_t)(p - s);
    if (n >= sizeof buf)
        return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';

    pthread_once(&c_locale_once, make_c_locale);
    if (c_locale != (locale_t)0) {
        locale_t old = uselocale(c_locale);
        *out = strtod(buf, NULL);
        uselocale(old);
    } else {
        *out = strtod(buf, NULL);
    }
    return n;
}

static int looks_non_finite(const char *s)
{
    while (*s == '+' || *s == '-')
        s++;
    return strncasecmp(s, "nan", 3) == 0 || strncasecmp(s, "inf", 3) == 0;
}

/* Parses one value without range checks. *unit_out gets the unit used,
 * NULL for a bare number. whole is the caller's full text, for messages. */
static int parse_one(double *out, const struct unit **unit_out,
                     llmc_dimension dim, const char *text, size_t len,
                     const char *whole)
{
    char part[256], sym[64];
    double num;
    size_t used, si = 0;
    const char *p;

    if (len >= sizeof part)
        return llmc__fail(LLMC_EPARSE, "'%.60s...' is too long for a %s",
                          whole, dim_name(dim));
    memcpy(part, text, len);
    part[len] = '\0';
    p = part;
    while (isspace((unsigned char)*p))
        p++;
    if (*p == '\0')
        return llmc__fail(LLMC_EPARSE, "'%s' has no number; write %s like '%s'",
                          whole, dim_name(dim), dim_example(dim));
    if (looks_non_finite(p))
        return llmc__fail(LLMC_ERANGE,
                          "'%s' is not a finite number; write %s as a real "
                          "value like '%s'",
                          whole, dim_name(dim), dim_example(dim));
    used = scan_number(p, &num);
    if (used == 0)
        return llmc__fail(LLMC_EPARSE,
                          "'%s' is not a number with a unit; write %s like '%s'",
                          whole, dim_name(dim), dim_example(dim));
    if (!isfinite(num))
        return llmc__fail(LLMC_ERANGE, "'%s' is too large to be a %s", whole,
                          dim_name(dim));
    if (num != 0.0 && !isnormal(num))
        return llmc__fail(LLMC_ERANGE,
                          "'%s' is too small to be a %s (below %g); write 0 "
                          "or a larger value",
                          whole, dim_name(dim), DBL_MIN);
    p += used;
    for (; *p; p++) {
        if (isspace((unsigned char)*p))
            continue;
        if (si + 1 >= sizeof sym)
            return llmc__fail(LLMC_EUNIT, "'%s' has an overlong unit", whole);
        sym[si++] = *p;
    }
    sym[si] = '\0';

    *unit_out = NULL;
    if (si == 0) {
        *out = num;
        return LLMC_OK;
    }
    {
        char list[160];
        const struct unit *u = dim == LLMC_DIM_PUE ? NULL : find_unit(dim, sym);
        if (!u) {
            if (dim == LLMC_DIM_PUE)
                return llmc__fail(LLMC_EPARSE,
                                  "'%s' is not a PUE; write a plain number "
                                  "like '1.1' (trailing '%s')",
                                  whole, sym);
            list_units(list, sizeof list, dim);
            return llmc__fail(LLMC_EUNIT,
                              "'%s' in '%s' is not a unit of %s; use one of: %s",
                              sym, whole, dim_name(dim), list);
        }
        *unit_out = u;
        *out = num;
    }
    return LLMC_OK;
}

static int apply_unit(double *value, const struct unit *u, llmc_dimension dim,
                      const char *bare_unit, const char *whole)
{
    if (dim == LLMC_DIM_PUE)
        return LLMC_OK;
    if (!u) {
        if (!bare_unit)
            return llmc__fail(LLMC_EUNIT,
                              "'%s' has no unit; write %s with its unit, "
                              "like '%s'",
                              whole, dim_name(dim), dim_example(dim));
        u = find_unit(dim, bare_unit);
        if (!u)
            return llmc__fail(LLMC_EINVAL, "'%s' is not a unit of %s for bare numbers",
                              bare_unit, dim_name(dim));
    }
    /* the conversion itself may leave the doubles: 1e300 kWh in J */
    if (isfinite(*value) && !isfinite(*value * u->to_canonical))
        return llmc__fail(LLMC_ERANGE,
                          "'%s' is too large: in %s it exceeds %g; write a "
                          "smaller value",
                          whole, canonical_symbol(dim), DBL_MAX);
    if (*value != 0.0 && !isnormal(*value * u->to_canonical))
        return llmc__fail(LLMC_ERANGE,
                          "'%s' is too small: in %s it is below %g; write 0 "
                          "or a larger value",
                          whole, canonical_symbol(dim), DBL_MIN);
    *value *= u->to_canonical;
    return LLMC_OK;
}

static int check_value(double v, llmc_dimension dim, const char *whole)
{
    if (!isfinite(v))
        return llmc__fail(LLMC_ERANGE, "'%s' is too large to be a %s", whole,
                          dim_name(dim));
    if (dim == LLMC_DIM_PUE) {
        if (v < 1.0)
            return llmc__fail(LLMC_ERANGE,
                              "PUE '%s' is below 1; PUE is facility energy "
                              "over IT energy, so at least 1 (e.g. '1.1')",
                              whole);
        return LLMC_OK;
    }
    if (v < 0.0)
        return llmc__fail(LLMC_ERANGE, "'%s' is negative; %s cannot be below 0",
                          whole, dim_name(dim));
    return LLMC_OK;
}

static int check_args(llmc_dimension dim, const char *text)
{
    if (!dim_valid(dim))
        return llmc__fail(LLMC_EINVAL, "dimension %d is not an llmc_dimension",
                          (int)dim);
    if (!text)
        return llmc__fail(LLMC_EINVAL, "no text to parse (NULL)");
    return LLMC_OK;
}

LLMC_API int llmc_quantity_parse(double *out, llmc_dimension dim,
                                 const char *text, const char *bare_unit)
{
    const struct unit *u;
    double v;
    int rc;

    if (!out)
        return llmc__fail(LLMC_EINVAL, "out is NULL");
    if ((rc = check_args(dim, text)) != LLMC_OK)
        return rc;
    if (strstr(text, ".."))
        return llmc__fail(LLMC_EPARSE,
                          "'%s' is a range; this %s takes a single value",
                          text, dim_name(dim));
    if ((rc = parse_one(&v, &u, dim, text, strlen(text), text)) != LLMC_OK ||
        (rc = apply_unit(&v, u, dim, bare_unit, text)) != LLMC_OK ||
        (rc = check_value(v, dim, text)) != LLMC_OK)
        return rc;
    *out = v;
    return LLMC_OK;
}

LLMC_API int llmc_quantity_parse_range(double *out_low, double *out_high,
                                       llmc_dimension dim, const char *text,
                                       const char *bare_unit)
{
    const struct unit *ul, *uh;
    const char *dots;
    double lo, hi;
    int rc;

    if (!out_low || !out_high)
        return llmc__fail(LLMC_EINVAL, "out_low or out_high is NULL");
    if ((rc = check_args(dim, text)) != LLMC_OK)
        return rc;
    dots = strstr(text, "..");
    if (!dots) {
        if ((rc = llmc_quantity_parse(&lo, dim, text, bare_unit)) != LLMC_OK)
            return rc;
        *out_low = *out_high = lo;
        return LLMC_OK;
    }
    if (strstr(dots + 2, ".."))
        return llmc__fail(LLMC_EPARSE,
                          "'%s' has more than one '..'; write a range as "
                          "'low..high'",
                          text);
    if ((rc = parse_one(&lo, &ul, dim, text, (size_t)(dots - text), text)) !=
            LLMC_OK ||
        (rc = parse_one(&hi, &uh, dim, dots + 2, strlen(dots + 2), text)) !=
            LLMC_OK)
        return rc;
    /* "550..700W": a bare bound takes the other bound's unit */
    if (!ul)
        ul = uh;
    if (!uh)
        uh = ul;
    if ((rc = apply_unit(&lo, ul, dim, bare_unit, text)) != LLMC_OK ||
        (rc = apply_unit(&hi, uh, dim, bare_unit, text)) != LLMC_OK ||
        (rc = check_value(lo, dim, text)) != LLMC_OK ||
        (rc = check_value(hi, dim, text)) != LLMC_OK)
        return rc;
    if (lo > hi)
        return llmc__fail(LLMC_ERANGE,
                          "range '%s' has its low end above its high end; "
                          "write 'low..high'",
                          text);
    *out_low = lo;
    *out_high = hi;
    return LLMC_OK;
}

static const struct unit *pick_unit(llmc_dimension dim, double v)
{
    const char *sym = NULL;
    double a = fabs(v);
    switch (dim) {
    case LLMC_DIM_POWER:
        sym = a < 1e3 ? "W" : a < 1e6 ? "kW" : "MW";
        break;
    case LLMC_DIM_ENERGY:
        sym = a < 3600.0 ? "J" : a < 3.6e6 ? "Wh" : a < 3.6e9 ? "kWh"
            : a < 3.6e12 ? "MWh" : "GWh";
        break;
    case LLMC_DIM_INTENSITY:
        sym = "gCO2e/kWh";
        break;
    case LLMC_DIM_DURATION:
        sym = a < 1.0 ? "ms" : a < 120.0 ? "s" : a < 7200.0 ? "min"
            : a < 864000.0 ? "h" : a < 2 * LLMC__SECONDS_PER_YEAR ? "d" : "y";
        break;
    case LLMC_DIM_MASS:
        sym = a < 1.0 ? "g" : a < 1e3 ? "kg" : "t";
        break;
    case LLMC_DIM_PUE:
        return NULL;
    }
    return sym ? find_unit(dim, sym) : NULL;
}

/* v as 15 significant digits read back; +-HUGE_VAL where those digits round
 * past the largest double. Called with the C locale in use. */
static double strtod_15(double v)
{
    char text[32];
    snprintf(text, sizeof text, "%.15g", v);
    return strtod(text, NULL);
}

LLMC_API int llmc_quantity_format(char *buf, size_t size, llmc_dimension dim,
                                  double value)
{
    const struct unit *u;
    double factor, scaled;
    int n;

    if (!buf || size == 0)
        return llmc__fail(LLMC_EINVAL, "no buffer to write into");
    if (!dim_valid(dim))
        return llmc__fail(LLMC_EINVAL, "dimension %d is not an llmc_dimension",
                          (int)dim);
    if (!isfinite(value))
        return llmc__fail(LLMC_ERANGE, "cannot format a value that is not finite");
    u = pick_unit(dim, value);
    factor = u ? u->to_canonical : 1.0;
    scaled = value / factor;
    /* Near DBL_MAX the quotient may round so that scaled * factor, which is
     * what the parser computes, overflows: step one ulp towards zero. */
    if (!isfinite(scaled * factor))
        scaled = nextafter(scaled, 0.0);
    pthread_once(&c_locale_once, make_c_locale);
    {
        locale_t old = c_locale != (locale_t)0 ? uselocale(c_locale) : (locale_t)0;
        /* 15 significant digits read well; where they round up past the
         * largest double the text would not parse back, so write the 17
         * that reproduce the value exactly. */
        int digits = isfinite(strtod_15(scaled) * factor) ? 15 : 17;
        if (u)
            n = snprintf(buf, size, "%.*g %s", digits, scaled, u->symbol);
        else
            n = snprintf(buf, size, "%.*g", digits, scaled);
        if (old != (locale_t)0)
            uselocale(old);
    }
    if (n < 0 || (size_t)n >= size)
        return llmc__fail(LLMC_ERANGE, "buffer of %zu bytes is too small", size);
    return LLMC_OK;
}
