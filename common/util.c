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

/* The rest of a line cut at LINEMAX: dropped up to its newline; true when that came. */
static bool
skip_rest(char *buf, size_t *len)
{
	char *nl = memchr(buf, '\n', *len);

	if (nl == NULL) {
		*len = 0;
		return false;
	}
	*len -= (size_t)(nl + 1 - buf);
	memmove(buf, nl + 1, *len);
	return true;
}

/* The whole lines in BUF to FN; what is left of a line stays at its start. */
static int
each_line(char *buf, size_t *len, size_t linemax, cfir_util_line_fn fn, void *ctx, struct cfir_err *err)
{
	char *nl, *p = buf;
	size_t n;
	int r;

	while ((nl = memchr(p, '\n', *len - (size_t)(p - buf))) != NULL) {
		n = (size_t)(nl - p);
		if (n > linemax)
			return cfir_err_set(err, EX_DATAERR, 0, "a line longer than %zu bytes", linemax);
		*nl = '\0';
		if ((r = fn(ctx, p, n)) != 0)
			return r;
		p = nl + 1;
	}
	*len -= (size_t)(p - buf);
	memmove(buf, p, *len);
	return 0;
}

/*
 * The lines of FD; a line over LINEMAX is an error, or with CUT (not NULL)
 * handed on cut at LINEMAX bytes, counted, and the rest of it dropped.
 */
static int
lines(int fd, size_t linemax, cfir_util_line_fn fn, void *ctx, size_t *cut, struct cfir_err *err)
{
	size_t cap = linemax < (64u << 10) ? linemax + 1 : 64u << 10, len = 0;
	cleanup_free char *buf = malloc(cap);
	bool skipping = false;
	ssize_t got;
	char *nb;
	int r;

	if (buf == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "read");
	for (;;) {
		if (len == cap && cap > linemax) {
			if (cut == NULL)
				return cfir_err_set(err, EX_DATAERR, 0, "a line longer than %zu bytes", linemax);
			buf[linemax] = '\0';
			if ((r = fn(ctx, buf, linemax)) != 0)
				return r;
			(*cut)++;
			len = 0;
			skipping = true;
		} else if (len == cap) {
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
		if (got == 0 && (len == 0 || skipping))
			return 0;
		if (got == 0)
			buf[len++] = '\n';	/* the last line, without its newline */
		else
			len += (size_t)got;
		if (skipping && (skipping = !skip_rest(buf, &len)))
			continue;
		if ((r = each_line(buf, &len, linemax, fn, ctx, err)) != 0)
			return r;
		if (got == 0)
			return 0;
	}
}

int
cfir_util_lines(int fd, size_t linemax, cfir_util_line_fn fn, void *ctx, struct cfir_err *err)
{
	return lines(fd, linemax, fn, ctx, NULL, err);
}

int
cfir_util_lines_cut(int fd, size_t linemax, cfir_util_line_fn fn, void *ctx, size_t *cut,
		    struct cfir_err *err)
{
	return lines(fd, linemax, fn, ctx, cut, err);
}

void
cfir_util_free_strv(char **v, size_t n)
{
	while (n > 0)
		free(v[--n]);
	free(v);
}

/* N decimal digits at P into *V. */
static bool
digits(const char *p, size_t n, unsigned *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		*v = *v * 10 + (unsigned)(p[i] - '0');
	}
	return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool
date_ok(unsigned y, unsigned m, unsigned d)
{
	static const unsigned char mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	return m != 2 || d < 29 || leap;
}

/* The zone: "Z" or "+HH:MM" / "-HH:MM", into seconds east of UTC. */
static bool
zone(const char *p, size_t n, long *off)
{
	unsigned h, m;

	*off = 0;
	if (n == 1 && p[0] == 'Z')
		return true;
	if (n != 6 || (p[0] != '+' && p[0] != '-') || p[3] != ':' || !digits(p + 1, 2, &h) ||
	    !digits(p + 4, 2, &m) || h > 23 || m > 59)
		return false;
	*off = (long)(h * 3600 + m * 60) * (p[0] == '-' ? -1 : 1);
	return true;
}

bool
cfir_util_time_parse(const char *s, size_t len, struct timespec *ts)
{
	unsigned y, mo, d, h, mi, sec, frac = 0, nd = 0;
	size_t i = 19;
	long off;

	if (len < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
	    s[13] != ':' || s[16] != ':' || !digits(s, 4, &y) || !digits(s + 5, 2, &mo) ||
	    !digits(s + 8, 2, &d) || !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) ||
	    !digits(s + 17, 2, &sec) || !date_ok(y, mo, d) || h > 23 || mi > 59 || sec > 59)
		return false;
	if (s[i] == '.') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9' && nd < 9; i++, nd++)
			frac = frac * 10 + (unsigned)(s[i] - '0');
		if (nd == 0)
			return false;
		for (; nd < 9; nd++)
			frac *= 10;
	}
	if (!zone(s + i, len - i, &off))
		return false;
	ts->tv_sec = (time_t)(days_from_civil(y, (int)mo, (int)d) * 86400 + h * 3600 + mi * 60 + sec - off);
	ts->tv_nsec = (long)frac;
	return true;
}
