/* testutil.c - the CSV reader, the scratch directories, the fake RAPL
 * package and the fake grid server of testutil.h. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

/* Every test program starts from the environment tests/meson.build gives
 * it, whatever the caller's shell holds: an LLMC_* variable of the
 * caller's (LLMC_GRID=FR, a typo the library warns about) would change
 * what the library measures and says. Runs before main. */
__attribute__((constructor)) static void llmc_environment_of_the_tests(void)
{
    static const char *const kept[] = {"LLMC_CLI", "LLMC_SOURCE_ROOT",
                                       "LLMC_CACHE_DIR", "LLMC_FAKE_NVML",
                                       "LLMC_NVML_LIBRARY",
                                       "LLMC_CURL_LIBRARY"};
    extern char **environ;
    char name[256];
    int again = 1;
    while (again) { /* unsetenv reorders environ: rescan after each */
        again = 0;
        for (char **e = environ; *e; e++) {
            const char *eq = strchr(*e, '=');
            size_t n = eq ? (size_t)(eq - *e) : strlen(*e), k;
            if (strncmp(*e, "LLMC_", 5) != 0 || n >= sizeof name)
                continue;
            memcpy(name, *e, n);
            name[n] = '\0';
            for (k = 0; k < sizeof kept / sizeof kept[0]; k++)
                if (strcmp(name, kept[k]) == 0)
                    break;
            if (k == sizeof kept / sizeof kept[0]) {
                unsetenv(name);
                again = 1;
                break;
            }
        }
    }
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf)
        buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Reads one record at *p into fields (malloc'd strings); returns the field
 * count, 0 at the end of the text. */
static size_t csv_record(const char **p, char ***out)
{
    const char *s = *p;
    size_t nf = 0, cap = 8;
    char **fields;
    if (!*s)
        return 0;
    fields = malloc(cap * sizeof *fields);
    for (;;) {
        size_t len = 0, fcap = 64;
        char *f = malloc(fcap);
        if (*s == '"') {
            s++;
            for (;;) {
                if (*s == '"' && s[1] == '"') {
                    f[len++] = '"';
                    s += 2;
                } else if (*s == '"') {
                    s++;
                    break;
                } else if (!*s) {
                    break;
                } else {
                    f[len++] = *s++;
                }
                if (len + 1 >= fcap)
                    f = realloc(f, fcap *= 2);
            }
        } else {
            while (*s && *s != ',' && *s != '\n') {
                f[len++] = *s++;
                if (len + 1 >= fcap)
                    f = realloc(f, fcap *= 2);
            }
        }
        f[len] = '\0';
        if (nf == cap)
            fields = realloc(fields, (cap *= 2) * sizeof *fields);
        fields[nf++] = f;
        if (*s == ',') {
            s++;
            continue;
        }
        if (*s == '\n')
            s++;
        break;
    }
    *p = s;
    *out = fields;
    return nf;
}

void csv_free(struct csv *c)
{
    for (size_t j = 0; j < c->ncols; j++)
        free(c->header[j]);
    free(c->header);
    for (size_t i = 0; i < c->nrows; i++) {
        for (size_t j = 0; j < c->ncols; j++)
            free(c->rows[i][j]);
        free(c->rows[i]);
    }
    free(c->rows);
}

void csv_load(struct csv *c, const char *relpath)
{
    const char *root = getenv("LLMC_SOURCE_ROOT");
    char path[4096];
    char *text;
    const char *p;
    char **fields;
    size_t n, cap = 64;

    ck_assert_msg(root != NULL, "LLMC_SOURCE_ROOT is not set");
    snprintf(path, sizeof path, "%s/%s", root, relpath);
    text = slurp(path);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    p = text;
    memset(c, 0, sizeof *c);
    c->ncols = csv_record(&p, &c->header);
    ck_assert_uint_gt(c->ncols, 0);
    c->rows = malloc(cap * sizeof *c->rows);
    while ((n = csv_record(&p, &fields)) != 0) {
        ck_assert_msg(n == c->ncols, "%s: row %zu has %zu fields, not %zu",
                      path, c->nrows + 2, n, c->ncols);
        if (c->nrows == cap)
            c->rows = realloc(c->rows, (cap *= 2) * sizeof *c->rows);
        c->rows[c->nrows++] = fields;
    }
    free(text);
}

size_t csv_col(const struct csv *c, const char *name)
{
    for (size_t j = 0; j < c->ncols; j++)
        if (strcmp(c->header[j], name) == 0)
            return j;
    ck_abort_msg("column %s is missing from the CSV", name);
    return 0;
}

const char *csv_cell(const struct csv *c, size_t row, const char *column)
{
    return c->rows[row][csv_col(c, column)];
}

int remove_tree(const char *dir)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'",
             dir, dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", dir);
        return -1;
    }
    return 0;
}

void scratch_make(char *dir, size_t size, const char *name)
{
    snprintf(dir, size, "/tmp/llmc-%s-XXXXXX", name);
    ck_assert_ptr_nonnull(mkdtemp(dir));
    setenv("LLMC_RUNTIME_DIR", dir, 1);
}

void scratch_remove(const char *dir)
{
    ck_assert_int_eq(remove_tree(dir), 0);
    unsetenv("LLMC_RUNTIME_DIR");
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

void fake_rapl_package(const char *root, char *counter, size_t size)
{
    static const char *const dirs[] = {"sys", "sys/class",
                                       "sys/class/powercap",
                                       "sys/class/powercap/intel-rapl:0"};
    char path[600];
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        snprintf(path, sizeof path, "%s/%s", root, dirs[i]);
        ck_assert_msg(mkdir(path, 0755) == 0 || errno == EEXIST, "%s: %s",
                      path, strerror(errno));
    }
    /* path is the package's directory */
    snprintf(counter, size, "%s/name", path);
    write_text(counter, "package-0\n");
    snprintf(counter, size, "%s/max_energy_range_uj", path);
    write_text(counter, "262143328850\n");
    snprintf(counter, size, "%s/energy_uj", path);
    write_text(counter, "1000000\n");
    snprintf(path, sizeof path, "%s/sys", root);
    setenv("LLMC_SYSFS_ROOT", path, 1);
}

int fake_grid_server_start(pid_t *pid)
{
    char port_file[] = "/tmp/llmc-port-XXXXXX", script[512];
    const char *root = getenv("LLMC_SOURCE_ROOT");
    int fd = mkstemp(port_file), port = 0;
    FILE *f;

    ck_assert_msg(root != NULL, "LLMC_SOURCE_ROOT is not set");
    ck_assert_int_ge(fd, 0);
    close(fd);
    unlink(port_file); /* the server writes it when it listens */
    snprintf(script, sizeof script, "%s/tests/fake_grid_server.py", root);
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    fflush(NULL);
    *pid = fork();
    ck_assert_int_ge(*pid, 0);
    if (*pid == 0) {
        execlp("python3", "python3", script, "--port-file", port_file,
               (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 1000 && access(port_file, F_OK) != 0; i++) {
        struct timespec d = {0, 10 * 1000000L};
        int status = 0;
        ck_assert_msg(waitpid(*pid, &status, WNOHANG) != *pid,
                      "%s exited with status %d before it listened", script,
                      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        while (nanosleep(&d, &d) != 0 && errno == EINTR)
            ;
    }
    if (!(f = fopen(port_file, "r")))
        fake_grid_server_stop(pid); /* leave nothing behind, then fail */
    ck_assert_msg(f != NULL, "%s did not listen within 10 s", script);
    ck_assert_int_eq(fscanf(f, "%d", &port), 1);
    fclose(f);
    unlink(port_file);
    return port;
}

void fake_grid_server_stop(pid_t *pid)
{
    if (*pid > 0) {
        kill(*pid, SIGTERM);
        waitpid(*pid, NULL, 0);
        *pid = 0;
    }
}

void sleep_ms(long ms)
{
    struct timespec d = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&d, &d) != 0 && errno == EINTR)
        ;
}
