/*
 * profile.c - hardware profiles: creation, reference counting, and typed
 * access to their numbers and texts. Unknown numbers are NAN internally and
 * LLMC_ENODATA at the interface, never 0.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/internal.h"
#include "profile.h"

static const char *const field_names[LLMC__PROFILE_NFIELDS] = {
    [LLMC_PROFILE_TDP_W] = "tdp_w",
    [LLMC_PROFILE_IDLE_W] = "idle_w",
    [LLMC_PROFILE_PEAK_FP32_FLOPS] = "peak_fp32_flops",
    [LLMC_PROFILE_PEAK_TF32_FLOPS] = "peak_tf32_flops",
    [LLMC_PROFILE_PEAK_BF16_FLOPS] = "peak_bf16_flops",
    [LLMC_PROFILE_PEAK_FP16_FLOPS] = "peak_fp16_flops",
    [LLMC_PROFILE_PEAK_FP8_FLOPS] = "peak_fp8_flops",
    [LLMC_PROFILE_MEMORY_GB] = "memory_gb",
    [LLMC_PROFILE_EMBODIED_KGCO2E] = "embodied_kgco2e",
    [LLMC_PROFILE_LIFETIME_S] = "lifetime_s",
    [LLMC_PROFILE_DIE_MM2] = "die_mm2",
    [LLMC_PROFILE_PROCESS_NM] = "process_nm",
    [LLMC_PROFILE_EMBODIED_DIE_KGCO2E] = "embodied_die_kgco2e",
    [LLMC_PROFILE_EMBODIED_PACKAGE_KGCO2E] = "embodied_package_kgco2e",
    [LLMC_PROFILE_EMBODIED_BOARD_KGCO2E] = "embodied_board_kgco2e",
    [LLMC_PROFILE_EMBODIED_SERVER_KGCO2E] = "embodied_server_kgco2e",
};

const char *llmc__profile_field_name(llmc_profile_field field)
{
    if ((int)field < 1 || (int)field >= LLMC__PROFILE_NFIELDS)
        return NULL;
    return field_names[field];
}

LLMC_API const char *llmc_profile_field_name(llmc_profile_field field)
{
    return llmc__profile_field_name(field);
}

int llmc__profile_field_from_name(const char *name)
{
    for (int i = 1; i < LLMC__PROFILE_NFIELDS; i++)
        if (strcmp(field_names[i], name) == 0)
            return i;
    return 0;
}

static int valid_text_field(llmc_profile_text f)
{
    return (int)f >= 1 && (int)f < LLMC__PROFILE_NTEXTS;
}

LLMC_API int llmc_profile_new(llmc_profile **out, const char *name)
{
    llmc_profile *p;

    if (!out)
        return llmc__fail(LLMC_EINVAL, "out is NULL");
    *out = NULL;
    if (!name || !*name)
        return llmc__fail(LLMC_EINVAL, "a profile needs a name");
    p = calloc(1, sizeof *p);
    if (!p)
        return llmc__fail(LLMC_ENOMEM, "out of memory for a profile");
    atomic_init(&p->refs, 1);
    for (int i = 0; i < LLMC__PROFILE_NFIELDS; i++)
        p->num[i] = NAN;
    if (!(p->text[LLMC_PROFILE_NAME] = llmc__strdup(name))) {
        llmc_profile_free(p);
        return llmc__fail(LLMC_ENOMEM, "out of memory for a profile");
    }
    *out = p;
    return LLMC_OK;
}

LLMC_API llmc_profile *llmc_profile_ref(llmc_profile *profile)
{
    if (profile)
        atomic_fetch_add(&profile->refs, 1);
    return profile;
}

LLMC_API void llmc_profile_free(llmc_profile *profile)
{
    if (!profile || atomic_fetch_sub(&profile->refs, 1) != 1)
        return;
    for (int i = 0; i < LLMC__PROFILE_NTEXTS; i++)
        free(profile->text[i]);
    free(profile);
}

LLMC_API int llmc_profile_get(double *out, const llmc_profile *profile,
                              llmc_profile_field field)
{
    const char *fname = llmc__profile_field_name(field);
    if (!out || !profile)
        return llmc__fail(LLMC_EINVAL, "out or profile is NULL");
    if (!fname)
        return llmc__fail(LLMC_EINVAL, "%d is not an llmc_profile_field",
                          (int)field);
    if (isnan(profile->num[field]))
        return llmc__fail(LLMC_ENODATA,
                          "'%s' has no %s: no source gives it; set it with "
                          "llmc_profile_set or a profile file",
                          profile->text[LLMC_PROFILE_NAME], fname);
    *out = profile->num[field];
    return LLMC_OK;
}

static int frozen(const llmc_profile *profile)
{
    if (atomic_load(&((llmc_profile *)profile)->refs) > 1)
        return llmc__fail(LLMC_EBUSY,
                          "profile '%s' is shared and no longer changes; "
                          "make a new profile to change it",
                          profile->text[LLMC_PROFILE_NAME]);
    return LLMC_OK;
}

LLMC_API int llmc_profile_set(llmc_profile *profile, llmc_profile_field field,
                              double value)
{
    const char *fname = llmc__profile_field_name(field);
    int rc;
    if (!profile)
        return llmc__fail(LLMC_EINVAL, "profile is NULL");
    if (!fname)
        return llmc__fail(LLMC_EINVAL, "%d is not an llmc_profile_field",
                          (int)field);
    if ((rc = frozen(profile)) != LLMC_OK)
        return rc;
    if (!isnan(value) && (!isfinite(value) || value < 0.0))
        return llmc__fail(LLMC_ERANGE,
                          "%s = %g is not allowed; give a finite value of 0 "
                          "or more (NaN marks it unknown)",
                          fname, value);
    if (field == LLMC_PROFILE_LIFETIME_S && value == 0.0)
        return llmc__fail(LLMC_ERANGE,
                          "lifetime_s = 0 is not allowed; embodied carbon is "
                          "amortised over the lifetime");
    profile->num[field] = value;
    return LLMC_OK;
}

LLMC_API const char *llmc_profile_get_text(const llmc_profile *profile,
                                           llmc_profile_text field)
{
    if (!profile || !valid_text_field(field))
        return NULL;
    return profile->text[field] ? profile->text[field] : "";
}

static int valid_kind(const char *v)
{
    static const char *const kinds[] = {"gpu", "tpu", "accelerator", "board",
                                        "cpu"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(v, kinds[i]) == 0)
            return 1;
    return 0;
}

static int valid_method(const char *v)
{
    static const char *const methods[] = {"pcf", "model", "model-bound",
                                          "pcf+model", "given"};
    if (!*v)
        return 1;
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (strcmp(v, methods[i]) == 0)
            return 1;
    return 0;
}

static int valid_basis(const char *v)
{
    return !*v || strcmp(v, "die-only") == 0 ||
           strcmp(v, "board-share") == 0 || strcmp(v, "board") == 0;
}

LLMC_API int llmc_profile_set_text(llmc_profile *profile,
                                   llmc_profile_text field, const char *value)
{
    char *copy;
    int rc;
    if (!profile || !value)
        return llmc__fail(LLMC_EINVAL, "profile or value is NULL");
    if (!valid_text_field(field))
        return llmc__fail(LLMC_EINVAL, "%d is not an llmc_profile_text",
                          (int)field);
    if ((rc = frozen(profile)) != LLMC_OK)
        return rc;
    if (field == LLMC_PROFILE_NAME && !*value)
        return llmc__fail(LLMC_EINVAL, "a profile name cannot be empty");
    if (field == LLMC_PROFILE_KIND && !valid_kind(value))
        return llmc__fail(LLMC_EINVAL,
                          "kind '%s' is not known; use gpu, tpu, accelerator, "
                          "board or cpu",
                          value);
    if (field == LLMC_PROFILE_EMBODIED_BASIS && !valid_basis(value))
        return llmc__fail(LLMC_EINVAL,
                          "embodied basis '%s' is not known; use die-only, "
                          "board-share or board",
                          value);
    if (field >= LLMC_PROFILE_EMBODIED_DIE_METHOD &&
        field <= LLMC_PROFILE_EMBODIED_SERVER_METHOD && !valid_method(value))
        return llmc__fail(LLMC_EINVAL,
                          "embodied method '%s' is not known; use pcf, "
                          "model, model-bound, pcf+model or given",
                          value);
    if (!(copy = llmc__strdup(value)))
        return llmc__fail(LLMC_ENOMEM, "out of memory");
    free(profile->text[field]);
    profile->text[field] = copy;
    return LLMC_OK;
}

/* Scope by scope: the figure's field and its method's field. */
static const struct {
    const char *name;
    llmc_profile_field figure;
    llmc_profile_text method;
} scopes[LLMC__SCOPE_COUNT] = {
    {"die", LLMC_PROFILE_EMBODIED_DIE_KGCO2E, LLMC_PROFILE_EMBODIED_DIE_METHOD},
    {"package", LLMC_PROFILE_EMBODIED_PACKAGE_KGCO2E,
     LLMC_PROFILE_EMBODIED_PACKAGE_METHOD},
    {"board", LLMC_PROFILE_EMBODIED_BOARD_KGCO2E,
     LLMC_PROFILE_EMBODIED_BOARD_METHOD},
    {"server", LLMC_PROFILE_EMBODIED_SERVER_KGCO2E,
     LLMC_PROFILE_EMBODIED_SERVER_METHOD},
};

const char *llmc__scope_name(int scope)
{
    if (scope < 0 || scope >= LLMC__SCOPE_COUNT)
        return NULL;
    return scopes[scope].name;
}

int llmc__scope_parse(int *scope, const char *name, const char *key)
{
    for (int i = 0; name && i < LLMC__SCOPE_COUNT; i++)
        if (strcmp(scopes[i].name, name) == 0) {
            *scope = i;
            return LLMC_OK;
        }
    return llmc__fail(LLMC_EINVAL,
                      "%s '%s' is not known; use die, package, board or "
                      "server",
                      key, name ? name : "(null)");
}

const char *llmc__scope_basis(const llmc_profile *p, int scope)
{
    const char *basis = p ? p->text[LLMC_PROFILE_EMBODIED_BASIS] : NULL;
    switch (scope) {
    case LLMC__SCOPE_DIE:
        return "die-only";
    case LLMC__SCOPE_PACKAGE:
        return "package";
    case LLMC__SCOPE_SERVER:
        return "server-share";
    default:
        return basis && *basis && strcmp(basis, "die-only") != 0
                   ? basis
                   : "board-share";
    }
}

/* The scope an embodied_kgco2e set without scope fields covers, from its
 * embodied_basis: die-only is the die; board-share, board or no basis at
 * all is the board (what embodied_kgco2e has meant since scopes exist). */
static int legacy_scope(const llmc_profile *p)
{
    const char *basis = p->text[LLMC_PROFILE_EMBODIED_BASIS];
    if (basis && strcmp(basis, "die-only") == 0)
        return LLMC__SCOPE_DIE;
    return LLMC__SCOPE_BOARD;
}

int llmc__profile_embodied(const llmc_profile *p, int scope, double *kgco2e,
                           const char **method, char *note, size_t note_size)
{
    size_t used = 0;
    int any = 0;

    if (scope < 0 || scope >= LLMC__SCOPE_COUNT)
        return LLMC_EINVAL;
    if (!isnan(p->num[scopes[scope].figure])) {
        const char *m = p->text[scopes[scope].method];
        *kgco2e = p->num[scopes[scope].figure];
        *method = m && *m ? m : "given";
        return LLMC_OK;
    }
    if (!isnan(p->num[LLMC_PROFILE_EMBODIED_KGCO2E]) &&
        legacy_scope(p) == scope) {
        *kgco2e = p->num[LLMC_PROFILE_EMBODIED_KGCO2E];
        *method = "given";
        return LLMC_OK;
    }
    if (note && note_size) {
        int n = snprintf(note, note_size,
                         "no embodied figure at scope '%s' for '%s'",
                         scopes[scope].name, p->text[LLMC_PROFILE_NAME]);
        used = n > 0 && (size_t)n < note_size ? (size_t)n : note_size - 1;
        for (int i = 0; i < LLMC__SCOPE_COUNT; i++) {
            int has = !isnan(p->num[scopes[i].figure]) ||
                      (!isnan(p->num[LLMC_PROFILE_EMBODIED_KGCO2E]) &&
                       legacy_scope(p) == i);
            if (!has || i == scope)
                continue;
            n = snprintf(note + used, note_size - used, "%s%s",
                         any ? ", " : "; it has: ", scopes[i].name);
            used += n > 0 && (size_t)n < note_size - used
                        ? (size_t)n
                        : note_size - 1 - used;
            any = 1;
        }
        if (!any)
            snprintf(note + used, note_size - used, "; it has none");
    }
    return LLMC_ENODATA;
}
