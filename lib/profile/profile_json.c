/*
 * profile_json.c - hardware profiles from JSON (jansson): one object whose
 * keys are the field names of llmc_profile_new(3), numbers in the units
 * their names carry, null for unknown.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/internal.h"
#include "../core/json.h"
#include "profile.h"

static const struct {
    const char *key;
    llmc_profile_text field;
} text_keys[] = {
    {"name", LLMC_PROFILE_NAME},
    {"vendor", LLMC_PROFILE_VENDOR},
    {"kind", LLMC_PROFILE_KIND},
    {"source", LLMC_PROFILE_SOURCE},
    {"embodied_basis", LLMC_PROFILE_EMBODIED_BASIS},
    {"lifetime_source", LLMC_PROFILE_LIFETIME_SOURCE},
    {"embodied_die_method", LLMC_PROFILE_EMBODIED_DIE_METHOD},
    {"embodied_package_method", LLMC_PROFILE_EMBODIED_PACKAGE_METHOD},
    {"embodied_board_method", LLMC_PROFILE_EMBODIED_BOARD_METHOD},
    {"embodied_server_method", LLMC_PROFILE_EMBODIED_SERVER_METHOD},
};

LLMC_API const char *llmc_profile_text_name(llmc_profile_text field)
{
    for (size_t i = 0; i < sizeof text_keys / sizeof text_keys[0]; i++)
        if (text_keys[i].field == field)
            return text_keys[i].key;
    return NULL;
}

static int text_field(const char *key)
{
    for (size_t i = 0; i < sizeof text_keys / sizeof text_keys[0]; i++)
        if (strcmp(text_keys[i].key, key) == 0)
            return (int)text_keys[i].field;
    return 0;
}

/* Re-labels the last error with where it happened. */
static int with_origin(int rc, const char *origin)
{
    char detail[900];
    snprintf(detail, sizeof detail, "%s", llmc_last_error());
    return llmc__fail(rc, "%s: %s", origin, detail);
}

static int from_object(llmc_profile **out, json_t *root, const char *origin)
{
    llmc_profile *p = NULL;
    json_t *name, *value;
    const char *key;
    int rc;

    if (!json_is_object(root))
        return llmc__fail(LLMC_EFORMAT,
                          "%s: a profile is a JSON object, not this value",
                          origin);
    name = json_object_get(root, "name");
    if (!json_is_string(name) || !*json_string_value(name))
        return llmc__fail(LLMC_EFORMAT,
                          "%s: the profile has no \"name\" string; add "
                          "\"name\": \"My accelerator\"",
                          origin);
    if ((rc = llmc_profile_new(&p, json_string_value(name))) != LLMC_OK)
        return rc;

    json_object_foreach(root, key, value) {
        int field;
        if ((field = text_field(key)) != 0) {
            if (json_is_null(value))
                continue;
            if (!json_is_string(value)) {
                rc = llmc__fail(LLMC_EFORMAT, "%s: \"%s\" must be a string",
                                origin, key);
                goto fail;
            }
            if ((rc = llmc_profile_set_text(p, (llmc_profile_text)field,
                                            json_string_value(value))) !=
                LLMC_OK) {
                rc = with_origin(rc, origin);
                goto fail;
            }
        } else if ((field = llmc__profile_field_from_name(key)) != 0) {
            if (json_is_null(value))
                continue;
            if (!json_is_number(value)) {
                rc = llmc__fail(LLMC_EFORMAT,
                                "%s: \"%s\" must be a number (in the unit its "
                                "name carries) or null",
                                origin, key);
                goto fail;
            }
            if ((rc = llmc_profile_set(p, (llmc_profile_field)field,
                                       json_number_value(value))) != LLMC_OK) {
                rc = with_origin(rc, origin);
                goto fail;
            }
        } else {
            rc = llmc__fail(LLMC_EFORMAT,
                            "%s: unknown key \"%s\"; see llmc_profile_new(3) "
                            "for the keys a profile takes",
                            origin, key);
            goto fail;
        }
    }
    *out = p;
    return LLMC_OK;
fail:
    llmc_profile_free(p);
    return rc;
}

static int json_failure(const json_error_t *err, const char *origin)
{
    if (json_error_code(err) == json_error_out_of_memory)
        return llmc__fail(LLMC_ENOMEM, "%s: out of memory reading the "
                          "profile; the file itself may be fine", origin);
    return llmc__fail(LLMC_EFORMAT, "%s:%d:%d: malformed JSON: %s", origin,
                      err->line, err->column, err->text);
}

LLMC_API int llmc_profile_load_json(llmc_profile **out, const char *json,
                                    size_t length)
{
    json_error_t err;
    json_t *root;
    int rc;

    if (!out)
        return llmc__fail(LLMC_EINVAL, "out is NULL");
    *out = NULL;
    if (!json)
        return llmc__fail(LLMC_EINVAL, "json is NULL");
    root = llmc__json_loadb(json, length, JSON_REJECT_DUPLICATES, &err);
    if (!root)
        return json_failure(&err, "profile JSON");
    rc = from_object(out, root, "profile JSON");
    json_decref(root);
    return rc;
}

LLMC_API int llmc_profile_load(llmc_profile **out, const char *path)
{
    json_error_t err;
    json_t *root;
    FILE *f;
    int rc;

    if (!out)
        return llmc__fail(LLMC_EINVAL, "out is NULL");
    *out = NULL;
    if (!path)
        return llmc__fail(LLMC_EINVAL, "path is NULL");
    f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        return llmc__fail(e == ENOENT ? LLMC_ENOTFOUND
                          : e == EACCES ? LLMC_EPERM : LLMC_EIO,
                          "cannot open profile file '%s': %s", path,
                          strerror(e));
    }
    {
        struct stat st;
        if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
            fclose(f);
            return llmc__fail(LLMC_EIO,
                              "'%s' is a directory; give the path of a "
                              "profile JSON file",
                              path);
        }
    }
    root = llmc__json_loadf(f, JSON_REJECT_DUPLICATES, &err);
    fclose(f);
    if (!root)
        return json_failure(&err, path);
    rc = from_object(out, root, path);
    json_decref(root);
    return rc;
}
