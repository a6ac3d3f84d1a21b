/* util.c - small helpers */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/mount.h>
#include <sys/syscall.h>

#include "common/cleanup.h"
#include "common/util.h"

int
cfir_util_read_file(int dirfd, const char *path, size_t max, char **buf,
	       size_t *len, bool *truncated, struct cfir_err *err)
{
	cleanup_close int fd = -1;
	cleanup_free char *p = NULL;
	size_t cap = max < 4096 ? max + 1 : 4096, n = 0;
	char *np, c;
	ssize_t r;

	*buf = NULL;
	if (truncated != NULL)
		*truncated = false;
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return cfir_err_set(err, cfir_err_sys_exit(errno), errno, "open '%s'", path);
	p = malloc(cap);
	if (p == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "read '%s'", path);
	while (n < max) {
		if (n + 1 >= cap) {
			cap = cap > max / 2 ? max + 1 : cap * 2;
			np = realloc(p, cap);
			if (np == NULL)
				return cfir_err_set(err, EX_OSERR, ENOMEM, "read '%s'", path);
			p = np;
		}
		r = read(fd, p + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return cfir_err_set(err, cfir_err_sys_exit(errno), errno,
					    "read '%s'", path);
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n == max && truncated != NULL && read(fd, &c, 1) == 1)
		*truncated = true;
	p[n] = '\0';
	if (len != NULL)
		*len = n;
	*buf = steal_pointer(&p);
	return 0;
}

void
cfir_util_time_rfc3339(const struct timespec *ts, char *buf)
{
	struct tm tm;

	char date[32];
	size_t n;

	if (gmtime_r(&ts->tv_sec, &tm) == NULL || tm.tm_year > 9999 - 1900 ||
	    tm.tm_year < -1900) {
		/* a time no calendar line can hold (hostile tar headers have them) */
		snprintf(buf, CFIR_TIME_LEN, "@%lld", (long long)ts->tv_sec);
		return;
	}
	n = strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, CFIR_TIME_LEN, "%.*s.%09uZ", (int)n, date,
		 (unsigned)(ts->tv_nsec % 1000000000));
}

void
cfir_util_now_rfc3339(char *buf)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	cfir_util_time_rfc3339(&ts, buf);
}

void
cfir_util_time_stamp(char *buf, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y%m%dT%H%M%SZ", &tm);
}

char *
cfir_util_safe_name(const char *s, size_t max)
{
	size_t i, n = strlen(s);
	char *out;

	if (n > max)
		n = max;
	out = malloc(n + 1);
	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		char c = s[i];

		out[i] = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')
				 ? c : '_';
	}
	if (n > 0 && out[0] == '.')
		out[0] = '_';
	out[n] = '\0';
	return out;
}

int
cfir_util_parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGT";
	const char *u;
	char num[32];
	unsigned long v;
	size_t n = strspn(s, "0123456789");
	unsigned shift = 0;

	if (n == 0 || n >= sizeof(num))
		return -1;
	if (s[n] != '\0') {
		u = strchr(units, s[n] & ~0x20);
		if (u == NULL || *u == '\0' ||
		    (s[n + 1] != '\0' && strcmp(s + n + 1, "iB") != 0 && strcmp(s + n + 1, "B") != 0))
			return -1;
		shift = 10 * (unsigned)(u - units + 1);
	}
	memcpy(num, s, n);
	num[n] = '\0';
	if (cfir_util_parse_ulong(num, ~0ul, &v) < 0 || (shift && v > (~0ull >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

int
cfir_util_parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno == ERANGE || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

int
cfir_util_thread_create(pthread_t *th, void *(*fn)(void *), void *arg)
{
	sigset_t old;
	int r;

	/* the new thread inherits the mask it was made under */
	cfir_interrupt_hold(&old);
	r = pthread_create(th, NULL, fn, arg);
	cfir_interrupt_release(&old);
	return r;
}

bool
cfir_util_grow(void **v, size_t *cap, size_t n, size_t size, size_t first, size_t max)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return true;
	if (n >= max)
		return false;
	ncap = *cap ? 2 * *cap : first;
	if (ncap > max)
		ncap = max;
	nv = realloc(*v, ncap * size);
	if (nv == NULL)
		return false;
	*v = nv;
	*cap = ncap;
	return true;
}

int
cfir_util_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static volatile unsigned long noatime_refused;

int
cfir_util_open_noatime(int dirfd, const char *path, int flags)
{
	int fd = openat(dirfd, path, flags | O_NOATIME);

	/* not the owner and no CAP_FOWNER: opened all the same, and counted */
	if (fd < 0 && errno == EPERM) {
		fd = openat(dirfd, path, flags);
		if (fd >= 0)
			__atomic_add_fetch(&noatime_refused, 1, __ATOMIC_RELAXED);
	}
	return fd;
}

unsigned long
cfir_util_noatime_refused(void)
{
	return __atomic_load_n(&noatime_refused, __ATOMIC_RELAXED);
}

int
cfir_util_open_tree_ro(const char *path, const char **how)
{
	struct mount_attr attr = {
		.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOATIME | MOUNT_ATTR_NOSUID |
			    MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
		.attr_clr = MOUNT_ATTR__ATIME,
	};
	int fd, e;

	fd = (int)syscall(SYS_open_tree, AT_FDCWD, path,
			  OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW);
	if (fd >= 0 && syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) == 0) {
		/* open_tree gives an O_PATH fd: the directory opened through it, for reading */
		int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOATIME);

		e = errno;
		close(fd);
		if (dfd >= 0) {
			*how = "a private read-only noatime mount";
			return dfd;
		}
		fd = -1;
	} else {
		e = errno;
	}
	if (fd >= 0)
		close(fd);
	/* no CAP_SYS_ADMIN, or an old kernel: O_NOATIME on every file, directories too */
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	*how = fd >= 0 ? "O_NOATIME (no private mount: symbolic links read may get a new atime)" : NULL;
	if (fd < 0 && errno == 0)
		errno = e;
	return fd;
}

int
cfir_util_lines(int fd, size_t linemax, cfir_util_line_fn fn, void *ctx, struct cfir_err *err)
{
	size_t cap = linemax < (64u << 10) ? linemax + 1 : 64u << 10, len = 0, n;
	cleanup_free char *buf = malloc(cap);
	char *nl, *p, *nb;
	ssize_t got;
	int r;

	if (buf == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "read");
	for (;;) {
		if (len == cap) {
			if (cap > linemax)
				return cfir_err_set(err, EX_DATAERR, 0, "a line longer than %zu bytes", linemax);
			nb = realloc(buf, cap * 2 > linemax + 1 ? linemax + 1 : cap * 2);
			if (nb == NULL)
				return cfir_err_set(err, EX_OSERR, ENOMEM, "read");
			buf = nb;
			cap = cap * 2 > linemax + 1 ? linemax + 1 : cap * 2;
		}
		got = read(fd, buf + len, cap - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return cfir_err_set(err, cfir_err_sys_exit(errno), errno, "read");
		if (got == 0 && len == 0)
			return 0;
		if (got == 0)
			buf[len++] = '\n';	/* the last line, without its newline */
		else
			len += (size_t)got;
		p = buf;
		while ((nl = memchr(p, '\n', len - (size_t)(p - buf))) != NULL) {
			n = (size_t)(nl - p);
			if (n > linemax)
				return cfir_err_set(err, EX_DATAERR, 0, "a line longer than %zu bytes", linemax);
			*nl = '\0';
			r = fn(ctx, p, n);
			if (r != 0)
				return r;
			p = nl + 1;
		}
		len -= (size_t)(p - buf);
		memmove(buf, p, len);
		if (got == 0)
			return 0;
	}
}

void
cfir_util_free_strv(char **v, size_t n)
{
	while (n > 0)
		free(v[--n]);
	free(v);
}
