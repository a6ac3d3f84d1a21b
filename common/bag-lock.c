/* bag-lock.c - the bag's lock: one cfir writes a bag at a time */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/bag.h"
#include "common/bag-internal.h"
#include "common/cleanup.h"
#include "common/util.h"

/*
 * The bag's lock (OP: LOCK_EX to write it, LOCK_SH to read a sealed one),
 * waiting as long as asked. Why it waits is said through META's say before
 * the wait starts: the examiner sees why cfir sits still.
 */
static int
lock_dir(int fd, const char *dir, int op, const struct cfir_bag_meta *meta, struct cfir_err *err)
{
	const char *env = getenv("CFIR_LOCK_TIMEOUT");
	unsigned long timeout = 60, waited = 0;

	if (env != NULL && cfir_util_parse_ulong(env, 86400, &timeout) < 0)
		return cfir_err_set(err, EX_USAGE, 0, "CFIR_LOCK_TIMEOUT '%s' is not a number of seconds", env);
	while (flock(fd, op | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return cfir_err_set(err, EX_IOERR, errno, "lock bag '%s'", dir);
		if (cfir_interrupt_pending())
			return cfir_err_interrupted(err);
		if (waited == 0 && meta != NULL && meta->say != NULL)
			meta->say("bag '%s' is in use by another cfir; waiting up to %lus",
				  dir, timeout);
		if (waited >= timeout * 10)
			return cfir_err_set(err, EX_TEMPFAIL, 0,
					    "bag '%s' is still locked by another cfir after %lus",
					    dir, timeout);
		usleep(100000);
		waited++;
	}
	return 0;
}

int
cfir_bag_lock(struct cfir_bag *b, struct cfir_err *err)
{
	return lock_dir(b->dirfd, b->dir, LOCK_EX, b->meta, err);
}

int
cfir_bag_open_sealed(const char *dir, const struct cfir_bag_meta *meta, int *dirfd,
		     struct cfir_err *err)
{
	cleanup_free char *info = NULL;
	cleanup_close int fd = -1;

	*dirfd = -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return cfir_err_set(err, cfir_err_sys_exit(errno), errno, "open bag '%s'", dir);
	if (cfir_util_read_file(fd, "bag-info.txt", 1 << 20, &info, NULL, NULL, err) < 0)
		return err->sys == ENOENT ? (cfir_err_clear(err), 0) : cfir_err_wrap(err, "bag '%s'", dir);
	if (strncmp(info, "Cfir-Sealed: ", 13) != 0 && strstr(info, "\nCfir-Sealed: ") == NULL)
		return 0;
	/* a seal still in progress holds the lock for writing: wait for it */
	if (lock_dir(fd, dir, LOCK_SH, meta, err) < 0)
		return -1;
	*dirfd = cfir_steal_fd(&fd);
	return 1;
}
