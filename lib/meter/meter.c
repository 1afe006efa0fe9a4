/*
 * meter.c - llmc_meter: opens the backends a spec names ("nvml:all+rapl",
 * "auto"), reads every channel, and reports each channel with its method,
 * status and the reason for any failure.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/internal.h"
#include "backend.h"
#include "meter.h"

LLMC_API const char *llmc_method_name(llmc_method method)
{
    switch (method) {
    case LLMC_METHOD_COUNTER: return "counter";
    case LLMC_METHOD_POWER: return "power";
    case LLMC_METHOD_MODEL: return "model";
    case LLMC_METHOD_CONST: return "const";
    case LLMC_METHOD_NONE: break;
    }
    return "none";
}

LLMC_API void llmc_channel_init(llmc_channel *out, size_t size)
{
    llmc__versioned_init(out, size);
}

struct llmc__channel *llmc__meter_add(struct llmc_meter *m,
                                      const struct llmc__channel_ops *ops,
                                      void *state, const char *name,
                                      const char *device, const char *lock_key,
                                      llmc_method method)
{
    struct llmc__channel *ch;
    if (m->count == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 4;
        struct llmc__channel *grown = realloc(m->channels, cap * sizeof *grown);
        if (!grown)
            return NULL;
        m->channels = grown;
        m->cap = cap;
    }
    ch = &m->channels[m->count++];
    memset(ch, 0, sizeof *ch);
    snprintf(ch->name, sizeof ch->name, "%s", name ? name : "");
    snprintf(ch->device, sizeof ch->device, "%s", device ? device : "");
    snprintf(ch->lock_key, sizeof ch->lock_key, "%s", lock_key ? lock_key : "");
    ch->method = method;
    ch->energy_j = NAN;
    ch->power_w = NAN;
    ch->wrap_s = NAN;
    ch->memory_gib = NAN;
    ch->power_limit_w = NAN;
    ch->status = LLMC_OK;
    ch->ops = ops;
    ch->state = state;
    return ch;
}

void llmc__meter_diag(struct llmc_meter *m, const char *source,
                      const char *fmt, ...)
{
    char line[1024];
    size_t n;
    va_list ap;
    int used = snprintf(line, sizeof line, "%s: ", source);

    va_start(ap, fmt);
    vsnprintf(line + used, sizeof line - (size_t)used, fmt, ap);
    va_end(ap);
    n = strlen(line);
    if (m->diag_len + n + 2 > m->diag_cap) {
        size_t cap = (m->diag_cap + n + 2) * 2;
        char *grown = realloc(m->diagnostics, cap);
        if (!grown)
            return; /* a lost diagnostic line is better than a failed open */
        m->diagnostics = grown;
        m->diag_cap = cap;
    }
    memcpy(m->diagnostics + m->diag_len, line, n);
    m->diag_len += n;
    m->diagnostics[m->diag_len++] = '\n';
    m->diagnostics[m->diag_len] = '\0';
    llmc__log(LLMC_LOG_INFO, "%s", line);
}

int llmc__channel_fail(struct llmc__channel *ch, int status, const char *fmt,
                       ...)
{
    va_list ap;
    if (ch->status == LLMC_OK) /* keep the note of a channel that read well */
        memcpy(ch->saved_note, ch->detail, sizeof ch->saved_note);
    va_start(ap, fmt);
    vsnprintf(ch->detail, sizeof ch->detail, fmt, ap);
    va_end(ap);
    ch->status = status;
    ch->quality |= LLMC_QUALITY_GAP;
    return status;
}

void llmc__channel_add(struct llmc__channel *ch, double delta_j, double dt_s)
{
    if (isnan(ch->energy_j))
        ch->energy_j = 0.0;
    if (delta_j > 0.0)
        ch->energy_j += delta_j;
    if (dt_s > 0.0)
        ch->power_w = delta_j / dt_s;
    if (ch->status != LLMC_OK) { /* recovered: the failure is history */
        memcpy(ch->detail, ch->saved_note, sizeof ch->detail);
        ch->status = LLMC_OK;
    }
}

static int open_one(struct llmc_meter *m, const char *part)
{
    char name[32];
    const char *colon = strchr(part, ':');
    const char *args = colon ? colon + 1 : NULL;
    size_t n = colon ? (size_t)(colon - part) : strlen(part);

    if (n == 0 || n >= sizeof name)
        return llmc__fail(LLMC_EPARSE,
                          "'%s' is not a meter; use nvml, rapl, amdgpu, "
                          "model:PROFILE, cputime, const:POWER, replay:FILE or auto",
                          part);
    memcpy(name, part, n);
    name[n] = '\0';
    if (args && !*args)
        args = NULL;
    if (strcmp(name, "auto") == 0) {
        int rc;
        if (args)
            return llmc__fail(LLMC_EPARSE, "'auto' takes no arguments ('%s')",
                              part);
        /* each source on its own: one that fails says so and the others
         * are still tried; only running out of memory stops the open */
        int (*const sources[])(struct llmc_meter *, const char *, int) = {
            llmc__nvml_open, llmc__rapl_open, llmc__amdgpu_open};
        static const char *const names[] = {"nvml", "rapl", "amdgpu"};
        for (size_t i = 0; i < 3; i++) {
            rc = sources[i](m, NULL, 1);
            if (rc == LLMC_ENOMEM)
                return rc;
            if (rc != LLMC_OK)
                llmc__meter_diag(m, names[i], "%s", llmc_last_error());
        }
        if (m->count == 0)
            llmc__meter_diag(m, "auto",
                             "no meter can read on this machine; fix a cause "
                             "above, or name a labelled estimate: "
                             "meters=cputime or model:PROFILE@U");
        return LLMC_OK;
    }
    if (strcmp(name, "nvml") == 0)
        return llmc__nvml_open(m, args, 0);
    if (strcmp(name, "rapl") == 0)
        return llmc__rapl_open(m, args, 0);
    if (strcmp(name, "amdgpu") == 0)
        return llmc__amdgpu_open(m, args, 0);
    if (strcmp(name, "const") == 0)
        return llmc__const_open(m, args);
    if (strcmp(name, "model") == 0)
        return llmc__model_open(m, args);
    if (strcmp(name, "replay") == 0)
        return llmc__replay_open(m, args);
    if (strcmp(name, "cputime") == 0)
        return llmc__cputime_open(m, args);
    return llmc__fail(LLMC_EPARSE,
                      "'%s' is not a meter; use nvml, rapl, amdgpu, "
                      "model:PROFILE, cputime, const:POWER, replay:FILE or auto",
                      name);
}

int llmc__meter_extend(llmc_meter *m, const char *part)
{
    return open_one(m, part);
}

static int meter_open(llmc_meter **out, const char *spec)
{
    struct llmc_meter *m;
    char *copy, *part, *save = NULL;
    int rc = LLMC_OK;

    if (!out)
        return llmc__fail(LLMC_EINVAL, "out is NULL");
    *out = NULL;
    if (!spec || !*spec)
        return llmc__fail(LLMC_EPARSE,
                          "empty meter spec; write e.g. 'auto', 'nvml:all' "
                          "or 'const:300W'");
    if (!(m = calloc(1, sizeof *m)) || !(m->spec = llmc__strdup(spec)) ||
        !(copy = llmc__strdup(spec))) {
        if (m)
            free(m->spec);
        free(m);
        return llmc__fail(LLMC_ENOMEM, "out of memory for a meter");
    }
    /* "nvml:all+rapl": '+' joins meters, since ',' lists devices */
    for (part = strtok_r(copy, "+", &save); part && rc == LLMC_OK;
         part = strtok_r(NULL, "+", &save)) {
        while (*part == ' ')
            part++;
        rc = open_one(m, part);
    }
    free(copy);
    if (rc != LLMC_OK) {
        llmc_meter_free(m);
        return rc;
    }
    /* the first read is every channel's baseline: energy counts from now */
    llmc_meter_read(m);
    *out = m;
    return LLMC_OK;
}

/* A call that succeeds leaves the caller's llmc_last_error() as it was
 * (the sources tried and recovered from write their own). */
LLMC_API int llmc_meter_open(llmc_meter **out, const char *spec)
{
    struct llmc__error_saved saved;
    int rc;
    llmc__error_save(&saved);
    if ((rc = meter_open(out, spec)) == LLMC_OK)
        llmc__error_restore(&saved);
    return rc;
}

LLMC_API void llmc_meter_free(llmc_meter *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->count; i++)
        if (m->channels[i].ops && m->channels[i].ops->close)
            m->channels[i].ops->close(&m->channels[i]);
    free(m->channels);
    free(m->diagnostics);
    free(m->spec);
    free(m);
}

LLMC_API int llmc_meter_read(llmc_meter *m)
{
    if (!m)
        return llmc__fail(LLMC_EINVAL, "meter is NULL");
    return llmc__meter_read_at(m, llmc__now_ns());
}

int llmc__meter_read_at(llmc_meter *m, int64_t now)
{
    int first = LLMC_OK;
    if (!m)
        return llmc__fail(LLMC_EINVAL, "meter is NULL");
    for (size_t i = 0; i < m->count; i++) {
        struct llmc__channel *ch = &m->channels[i];
        int rc;
        if (!ch->ops || !ch->ops->read)
            continue;
        rc = ch->ops->read(ch, now);
        if (rc != LLMC_OK && first == LLMC_OK) {
            first = rc;
            llmc__fail(rc, "%s: %s", ch->name, ch->detail);
        }
    }
    return first;
}

LLMC_API size_t llmc_meter_channel_count(const llmc_meter *m)
{
    return m ? m->count : 0;
}

void llmc__channel_export(llmc_channel *full, const struct llmc__channel *ch)
{
    memset(full, 0, sizeof *full);
    full->size = sizeof *full;
    full->name = ch->name;
    full->device = ch->device;
    full->method = ch->method;
    full->energy_j = ch->energy_j;
    full->power_w = ch->power_w;
    full->status = ch->status;
    full->detail = ch->detail;
    full->quality = ch->quality;
    full->node_level = ch->node_level;
}

size_t llmc__meter_count(const llmc_meter *m)
{
    return m ? m->count : 0;
}

void llmc__meter_view(llmc_channel *view, const llmc_meter *m, size_t i)
{
    llmc__channel_export(view, &m->channels[i]);
}

double llmc__meter_energy_j(const llmc_meter *m, size_t i)
{
    return m->channels[i].energy_j;
}

unsigned llmc__meter_quality(const llmc_meter *m, size_t i)
{
    return m->channels[i].quality;
}

int llmc__meter_node_level(const llmc_meter *m, size_t i)
{
    return m->channels[i].node_level;
}

const char *llmc__meter_lock_key(const llmc_meter *m, size_t i)
{
    return m->channels[i].lock_key;
}

double llmc__meter_wrap_s(const llmc_meter *m, size_t i)
{
    return m->channels[i].wrap_s;
}

void llmc__meter_device_facts(const llmc_meter *m, size_t i,
                              double *memory_gib, double *power_limit_w)
{
    *memory_gib = m->channels[i].memory_gib;
    *power_limit_w = m->channels[i].power_limit_w;
}

int llmc__channel_copy_out(llmc_channel *out, const llmc_channel *full)
{
    return llmc__versioned_copy(out, full, sizeof *full,
                                LLMC__FIELD_END(llmc_channel, name),
                                "llmc_channel");
}

LLMC_API int llmc_meter_channel(llmc_channel *out, const llmc_meter *m,
                                size_t index)
{
    llmc_channel full;
    if (!out || !m)
        return llmc__fail(LLMC_EINVAL, "out or meter is NULL");
    if (index >= m->count)
        return llmc__fail(LLMC_ERANGE, "channel %zu is past the meter's %zu",
                          index, m->count);
    llmc__channel_export(&full, &m->channels[index]);
    return llmc__channel_copy_out(out, &full);
}

LLMC_API const char *llmc_meter_diagnostics(const llmc_meter *m)
{
    return m && m->diagnostics ? m->diagnostics : "";
}
