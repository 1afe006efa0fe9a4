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

/* Opens the lock directory, made 0700 when missing. A directory that
 * exists must be a real one (not a symlink), ours, and 0700: anyone else
 * who can write there could plant a symlink named like a lock (and have us
 * write over the file it points to) or hold our locks. Returns an fd, or -1
 * with why filled (what is wrong and what to do). */
static int lock_dir(char *buf, size_t size, char *why, size_t why_size,
                    const llmc_tracker *t)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    struct stat st;
    int fd, made;

    if (t->runtime_dir)
        snprintf(buf, size, "%s", t->runtime_dir);
    else if (xdg && *xdg)
        snprintf(buf, size, "%s/llmcarbon", xdg);
    else
        snprintf(buf, size, "/tmp/llmcarbon-%u", (unsigned)geteuid());
    made = mkdir(buf, 0700) == 0;
    if (!made && errno != EEXIST) {
        snprintf(why, why_size, "cannot create '%s': %s; set runtime_dir to "
                 "a directory of yours", buf, strerror(errno));
        return -1;
    }
    fd = open(buf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (lstat(buf, &st) == 0 && S_ISLNK(st.st_mode))
            snprintf(why, why_size, "'%s' is a symbolic link, not a "
                     "directory: remove it or set runtime_dir", buf);
        else
            snprintf(why, why_size, "cannot open '%s': %s; remove it or set "
                     "runtime_dir", buf, strerror(e));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(why, why_size, "'%s' is not a directory: remove it or set "
                 "runtime_dir", buf);
        close(fd);
        return -1;
    }
    if (st.st_uid != geteuid()) {
        snprintf(why, why_size, "'%s' is owned by uid %u, not you (uid %u): "
                 "remove it or set runtime_dir", buf, (unsigned)st.st_uid,
                 (unsigned)geteuid());
        close(fd);
        return -1;
    }
    /* a fresh directory gets 0700 whatever the umask */
    if (made && (st.st_mode & 07777) != 0700 && fchmod(fd, 0700) == 0)
        st.st_mode = (st.st_mode & ~(mode_t)07777) | 0700;
    if ((st.st_mode & 07777) != 0700) {
        snprintf(why, why_size, "'%s' has mode %04o, not 0700, so others may "
                 "plant files in it: chmod 700 it, or set runtime_dir", buf,
                 (unsigned)(st.st_mode & 07777));
        close(fd);
        return -1;
    }
    return fd;
}

/* Opens (creating it if need be) the lock file name in dirfd, never
 * through a symlink, and only when it is a regular file of ours with one
 * link. Returns an fd, or -1 with why filled. */
static int lock_file(int dirfd, const char *dir, const char *name, char *why,
                     size_t why_size)
{
    struct stat st;
    int fd = openat(dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
                                     O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST)
        fd = openat(dirfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ELOOP)
            snprintf(why, why_size, "the lock '%s/%s' is a symbolic link: "
                     "remove it (a lock is a plain file)", dir, name);
        else
            snprintf(why, why_size, "cannot open the lock '%s/%s': %s", dir,
                     name, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_uid != geteuid() || st.st_nlink != 1) {
        snprintf(why, why_size, "the lock '%s/%s' is not a plain file of "
                 "yours with one link: remove it", dir, name);
        close(fd);
        return -1;
    }
    return fd;
}

int llmc__lock_try(const llmc_tracker *t, const char *key, int *handle,
                   char *why, size_t why_size)
{
    char dir[400], path[800], name[200], file[300];
    size_t n = 0;
    int fd, dirfd, slot = -1;

    *handle = LLMC__LOCK_NONE;
    snprintf(why, why_size, "no free lock slot in this process");
    for (const char *p = key; *p && n + 1 < sizeof name; p++)
        name[n++] = (*p == '/' || *p == ' ') ? '_' : *p;
    name[n] = '\0';
    if ((dirfd = lock_dir(dir, sizeof dir, why, why_size, t)) < 0)
        return LLMC_EIO;
    snprintf(file, sizeof file, "%s-%s.lock", t->boot_id, name);
    snprintf(path, sizeof path, "%s/%s", dir, file);

    pthread_mutex_lock(&held_mu);
    for (int i = 0; i < MAX_HELD; i++) {
        if (held[i].refs > 0 && strcmp(held[i].path, path) == 0) {
            held[i].refs++;
            pthread_mutex_unlock(&held_mu);
            close(dirfd);
            why[0] = '\0';
            *handle = i;
            return LLMC_OK;
        }
        if (held[i].refs == 0 && slot < 0)
            slot = i;
    }
    if (slot < 0) {
        pthread_mutex_unlock(&held_mu);
        close(dirfd);
        return LLMC_EBUSY;
    }
    fd = lock_file(dirfd, dir, file, why, why_size);
    close(dirfd);
    if (fd < 0) {
        pthread_mutex_unlock(&held_mu);
        return LLMC_EIO;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int busy = errno == EWOULDBLOCK;
        if (!busy)
            snprintf(why, why_size, "cannot lock '%s': %s", path,
                     strerror(errno));
        close(fd);
        pthread_mutex_unlock(&held_mu);
        if (!busy)
            return LLMC_EIO;
        why[0] = '\0';
        return LLMC_OK; /* another process reads the device */
    }
    {   /* who holds it, for people looking at the directory: the file is
         * ours (checked above), so rewriting it harms nothing */
        char pid[32];
        int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
        if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)len, 0) < 0)
            errno = 0;
    }
    snprintf(held[slot].path, sizeof held[slot].path, "%s", path);
    held[slot].fd = fd;
    held[slot].refs = 1;
    pthread_mutex_unlock(&held_mu);
    why[0] = '\0';
    *handle = slot;
    return LLMC_OK;
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
