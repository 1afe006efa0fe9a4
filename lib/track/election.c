/*
 * election.c - one reader per device per node, without a coordinator.
 *
 * Each physical thing a channel reads has a key ("gpu-<uuid>",
 * "rapl-package-0"); a process counts the channel only while it holds an
 * flock on <runtime dir>/<boot id>-<key>.lock. The kernel drops the lock
 * when the process dies, so no stale lock outlives a crash, and another
 * process takes the device over at its next sample. Trackers in the same
 * process share the locks they hold (flock would otherwise make the second
 * tracker of a process lose to the first).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/internal.h"
#include "tracker.h"

#define MAX_HELD 256

static struct {
    char path[800];
    int fd;
    int refs;
} held[MAX_HELD];
static pthread_mutex_t held_mu = PTHREAD_MUTEX_INITIALIZER;

static int lock_dir(char *buf, size_t size, const llmc_tracker *t)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    if (t->runtime_dir)
        snprintf(buf, size, "%s", t->runtime_dir);
    else if (xdg && *xdg)
        snprintf(buf, size, "%s/llmcarbon", xdg);
    else
        snprintf(buf, size, "/tmp/llmcarbon-%u", (unsigned)getuid());
    if (mkdir(buf, 0700) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

/* Returns a lock handle (>= 0) when this process now holds key, -1 when
 * another process does, -2 when no lock can be taken at all. */
int llmc__lock_try(const llmc_tracker *t, const char *key)
{
    char dir[400], path[800], name[200];
    size_t n = 0;
    int fd, slot = -1;

    for (const char *p = key; *p && n + 1 < sizeof name; p++)
        name[n++] = (*p == '/' || *p == ' ') ? '_' : *p;
    name[n] = '\0';
    if (lock_dir(dir, sizeof dir, t) != 0)
        return -2;
    snprintf(path, sizeof path, "%s/%s-%s.lock", dir, t->boot_id, name);

    pthread_mutex_lock(&held_mu);
    for (int i = 0; i < MAX_HELD; i++) {
        if (held[i].refs > 0 && strcmp(held[i].path, path) == 0) {
            held[i].refs++;
            pthread_mutex_unlock(&held_mu);
            return i;
        }
        if (held[i].refs == 0 && slot < 0)
            slot = i;
    }
    if (slot < 0) {
        pthread_mutex_unlock(&held_mu);
        return -2;
    }
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        pthread_mutex_unlock(&held_mu);
        return -2;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int busy = errno == EWOULDBLOCK;
        close(fd);
        pthread_mutex_unlock(&held_mu);
        return busy ? -1 : -2;
    }
    {   /* who holds it, for people looking at the directory */
        char pid[32];
        int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
        if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)len, 0) < 0)
            errno = 0;
    }
    snprintf(held[slot].path, sizeof held[slot].path, "%s", path);
    held[slot].fd = fd;
    held[slot].refs = 1;
    pthread_mutex_unlock(&held_mu);
    return slot;
}

void llmc__lock_release(int handle)
{
    if (handle < 0 || handle >= MAX_HELD)
        return;
    pthread_mutex_lock(&held_mu);
    if (held[handle].refs > 0 && --held[handle].refs == 0) {
        close(held[handle].fd); /* closing drops the flock */
        held[handle].path[0] = '\0';
    }
    pthread_mutex_unlock(&held_mu);
}
