/*
 * freezer.c - a container frozen and thawed through its cgroup, from the host
 *
 * What runc does for pause and resume, without the runtime or the engine:
 * cgroup v1 through freezer.state (FROZEN written and read back while the
 * kernel says FREEZING), cgroup v2 through cgroup.freeze and the "frozen"
 * key of cgroup.events. Which cgroup is the kernel's word, read from the
 * init's /proc/PID/cgroup through its checked fd; the names in it below the
 * container's own cgroup are the container's, and are taken as hostile.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/freezer.h"
#include "common/runtime.h"
#include "common/interrupt.h"
#include "common/util.h"

#define CGROUP_FILE_MAX (64u << 10)	/* /proc/PID/cgroup: a line a hierarchy */
#define STATE_MAX 4096			/* freezer.state, cgroup.events */
#define JIGGLE_EVERY 50			/* FROZEN writes between two THAWED ones */
#define NAP_MAX_US 10000

/* ---- /proc/PID/cgroup ---- */

struct cg_line {
	const char *path;
	size_t len;
	int count;
};

/* "N:controllers:/path" split; false for anything else (a forged fragment). */
static bool
split_line(const char *line, size_t len, const char **ctl, size_t *ctllen,
	   const char **path, size_t *pathlen)
{
	const char *c1 = memchr(line, ':', len), *c2;
	const char *q;

	if (c1 == NULL || c1 == line || memchr(line, '\0', len) != NULL)
		return false;
	for (q = line; q < c1; q++)
		if (!isdigit((unsigned char)*q))
			return false;
	c2 = memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line));
	if (c2 == NULL)
		return false;
	*ctl = c1 + 1;
	*ctllen = (size_t)(c2 - c1 - 1);
	*path = c2 + 1;
	*pathlen = len - (size_t)(c2 + 1 - line);
	return *pathlen > 0 && **path == '/';
}

/* Is "freezer" one of the comma-separated controllers? */
static bool
has_freezer(const char *ctl, size_t len)
{
	const char *p = ctl, *end = ctl + len;

	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		size_t n = comma ? (size_t)(comma - p) : (size_t)(end - p);

		if (n == 7 && memcmp(p, "freezer", 7) == 0)
			return true;
		p += n + 1;
	}
	return false;
}

/* Every component a name, none "." or ".." nor empty past the first '/'. */
static bool
path_ok(const char *path)
{
	const char *p = path;

	if (p[0] != '/')
		return false;
	while (*p == '/' && p[1] != '\0') {
		size_t n = strcspn(p + 1, "/");

		if (n == 0 || n > NAME_MAX || (n == 1 && p[1] == '.') ||
		    (n == 2 && p[1] == '.' && p[2] == '.'))
			return false;
		p += 1 + n;
	}
	return *p == '\0' || strcmp(p, "/") == 0;
}

/*
 * The path up to the end of the first component that names ID (ID,
 * PREFIX-ID, PREFIX-ID.scope: never one that merely holds it, as
 * "user.slice" holds "user"): the container's own cgroup, whatever
 * sub-cgroup its init moved to. The first is the host's part of the path,
 * where the runtime named the container.
 */
static int
cut(const struct cg_line *l, const char *id, char *out, size_t n)
{
	const char *c = l->path, *end = l->path + l->len, *slash;
	size_t keep;

	for (; c < end; c = slash + 1) {
		if ((slash = memchr(c, '/', (size_t)(end - c))) == NULL)
			slash = end;
		if (slash > c && cfir_runtime_cgroup_component(c, (size_t)(slash - c), id))
			break;
	}
	if (c >= end)
		return -1;
	keep = (size_t)(slash - l->path);
	if (keep >= n)
		return -1;
	memcpy(out, l->path, keep);
	out[keep] = '\0';
	return 0;
}

/* Count the freezer and "0::" lines; any malformed line is a forgery. */
static int
scan_lines(const char *text, size_t len, struct cg_line *v1, struct cg_line *v2,
	   struct cfir_err *err)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *ctl, *path;
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p), ctllen, pathlen;
		struct cg_line *l = NULL;

		if (!split_line(p, ll, &ctl, &ctllen, &path, &pathlen))
			return cfir_err_set(err, EX_DATAERR, 0,
					    "cgroup file: the line at byte %zu is malformed (a cgroup name forges lines?)",
					    (size_t)(p - text));
		if (has_freezer(ctl, ctllen))
			l = v1;
		else if (ctllen == 0 && ctl - p == 2 && p[0] == '0')
			l = v2;
		if (l != NULL) {
			l->path = path;
			l->len = pathlen;
			l->count++;
		}
		p = nl ? nl + 1 : end;
	}
	if (v1->count > 1 || v2->count > 1)
		return cfir_err_set(err, EX_DATAERR, 0,
				    "cgroup file: more than one %s line: a cgroup name forges one",
				    v1->count > 1 ? "freezer" : "'0::'");
	return 0;
}

int
cfir_freezer_parse(const char *text, size_t len, const char *id, int *kind,
		   char *path, size_t n, struct cfir_err *err)
{
	struct cg_line v1 = { 0 }, v2 = { 0 };

	if (id == NULL || id[0] == '\0' || strpbrk(id, "/\n") != NULL)
		return cfir_err_set(err, EX_SOFTWARE, 0, "freezer: no usable container ID");
	if (scan_lines(text, len, &v1, &v2, err) < 0)
		return -1;
	if (v1.count == 1 && cut(&v1, id, path, n) == 0)
		*kind = CFIR_FREEZER_V1;
	else if (v2.count == 1 && cut(&v2, id, path, n) == 0)
		*kind = CFIR_FREEZER_V2;
	else
		return cfir_err_set(err, EX_UNAVAILABLE, 0,
				    "no freezer cgroup names container '%.12s'", id);
	if (!path_ok(path))
		return cfir_err_set(err, EX_DATAERR, 0, "cgroup path of '%.12s' has '.', '..' or an empty name",
				    id);
	return 0;
}

/* ---- the cgroup's directory ---- */

static int
sys_exit(int sys)
{
	if (sys == ENOENT)
		return EX_UNAVAILABLE;	/* the cgroup, or its freezer, is not there */
	if (sys == ELOOP || sys == ENOTDIR)
		return EX_DATAERR;	/* a link where a cgroup should be */
	return cfir_err_sys_exit(sys);
}

/* Is FD's file system a cgroup hierarchy of KIND (or, in a test tree, like one)? */
static bool
is_hierarchy(int fd, int kind, bool real)
{
	struct statfs sf;

	if (!real)
		return kind == CFIR_FREEZER_V1 ||
		       faccessat(fd, "cgroup.controllers", F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	if (fstatfs(fd, &sf) < 0)
		return false;
	return kind == CFIR_FREEZER_V1 ? sf.f_type == CGROUP_SUPER_MAGIC
				       : sf.f_type == CGROUP2_SUPER_MAGIC;
}

/* The hierarchy's root: the host's own mounts, found by their usual names. */
static int
open_hierarchy(const char *root, int kind, struct cfir_err *err)
{
	static const char *const v1[] = { "freezer", NULL }, *const v2[] = { ".", "unified", NULL };
	const char *const *name = kind == CFIR_FREEZER_V1 ? v1 : v2;
	const char *r = root != NULL ? root : "/sys/fs/cgroup";
	char p[PATH_MAX];

	for (; *name != NULL; name++) {
		int fd;

		if (snprintf(p, sizeof(p), "%s/%s", r, *name) >= (int)sizeof(p))
			break;
		fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0 && is_hierarchy(fd, kind, root == NULL))
			return fd;
		if (fd >= 0)
			close(fd);
		else if (errno == EACCES || errno == EPERM)
			return cfir_err_set(err, EX_NOPERM, errno, "open '%s'", p);
	}
	return cfir_err_set(err, EX_UNAVAILABLE, 0, "no cgroup %s hierarchy under '%s'",
			    kind == CFIR_FREEZER_V1 ? "v1 freezer" : "v2", r);
}

/* Down PATH from FD (taken), a component at a time, no link followed. */
static int
descend(int fd, const char *path, struct cfir_err *err)
{
	const char *p = path;
	char comp[NAME_MAX + 1];

	while (*p != '\0') {
		size_t n;
		int next;

		p += strspn(p, "/");
		n = strcspn(p, "/");
		if (n == 0)
			break;
		memcpy(comp, p, n);	/* path_ok bounded it */
		comp[n] = '\0';
		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			int e = errno;

			close(fd);
			return cfir_err_set(err, sys_exit(e), e, "cgroup '%s': '%.*s'%s", path,
					    (int)(p + n - path), path,
					    e == ELOOP || e == ENOTDIR ? " is not a directory: not followed" : "");
		}
		close(fd);
		fd = next;
		p += n;
	}
	return fd;
}

int
cfir_freezer_open(const char *root, int kind, const char *path,
		  struct cfir_freezer *f, struct cfir_err *err)
{
	const char *ctl = kind == CFIR_FREEZER_V1 ? "freezer.state" : "cgroup.freeze";
	cleanup_close int fd = -1;
	struct stat st;

	f->dfd = -1;
	f->kind = kind;
	if (kind != CFIR_FREEZER_V1 && kind != CFIR_FREEZER_V2)
		return cfir_err_set(err, EX_SOFTWARE, 0, "freezer: no such cgroup version %d", kind);
	if (path == NULL || !path_ok(path) || strlen(path) >= sizeof(f->path))
		return cfir_err_set(err, EX_DATAERR, 0, "cgroup path is not a clean absolute path");
	if (strcmp(path, "/") == 0)
		return cfir_err_set(err, EX_UNAVAILABLE, 0, "the root cgroup is not frozen");
	fd = open_hierarchy(root, kind, err);
	if (fd < 0)
		return -1;
	fd = descend(cfir_steal_fd(&fd), path, err);
	if (fd < 0)
		return -1;
	if (fstatat(fd, ctl, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return cfir_err_set(err, sys_exit(errno), errno, "cgroup '%s' has no freezer ('%s')", path, ctl);
	if (S_ISLNK(st.st_mode) || S_ISDIR(st.st_mode))
		return cfir_err_set(err, EX_DATAERR, 0, "cgroup '%s': '%s' is not a file", path, ctl);
	snprintf(f->path, sizeof(f->path), "%s", path);
	f->dfd = cfir_steal_fd(&fd);
	return 0;
}

int
cfir_freezer_open_proc(int pfd, const char *id, const char *root,
		       struct cfir_freezer *f, struct cfir_err *err)
{
	cleanup_free char *text = NULL;
	char path[CFIR_FREEZER_PATH_MAX];
	bool truncated;
	size_t len;
	int kind;

	f->dfd = -1;
	if (cfir_util_read_file(pfd, "cgroup", CGROUP_FILE_MAX, &text, &len, &truncated, err) < 0)
		return cfir_err_wrap(err, "the init's cgroup");
	if (truncated)
		return cfir_err_set(err, EX_DATAERR, 0, "the init's cgroup file is over %u bytes",
				    CGROUP_FILE_MAX);
	if (cfir_freezer_parse(text, len, id, &kind, path, sizeof(path), err) < 0)
		return -1;
	return cfir_freezer_open(root, kind, path, f, err);
}

void
cfir_freezer_close(struct cfir_freezer *f)
{
	if (f->dfd >= 0)
		close(f->dfd);
	f->dfd = -1;
}

/* ---- the control files ---- */

static int
ctl_write(const struct cfir_freezer *f, const char *name, const char *val, struct cfir_err *err)
{
	int fd = openat(f->dfd, name, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	int e;

	if (fd < 0)
		return cfir_err_set(err, sys_exit(errno), errno, "cgroup '%s': open '%s'", f->path, name);
	if (cfir_util_write_all(fd, val, strlen(val)) < 0) {
		e = errno;
		close(fd);
		return cfir_err_set(err, sys_exit(e), e, "cgroup '%s': write %s to '%s'", f->path, val, name);
	}
	if (close(fd) < 0 && errno != EINTR)
		return cfir_err_set(err, sys_exit(errno), errno, "cgroup '%s': write %s to '%s'", f->path, val,
				    name);
	return 0;
}

/* A control file's text, its trailing white space cut. */
static int
ctl_read(const struct cfir_freezer *f, const char *name, char *out, size_t n, struct cfir_err *err)
{
	cleanup_free char *buf = NULL;
	size_t len;

	if (cfir_util_read_file(f->dfd, name, STATE_MAX, &buf, &len, NULL, err) < 0)
		return cfir_err_wrap(err, "cgroup '%s'", f->path);
	while (len > 0 && isspace((unsigned char)buf[len - 1]))
		buf[--len] = '\0';
	snprintf(out, n, "%s", buf);
	return 0;
}

/* cgroup.events' "frozen" key: '0' or '1'. */
static int
v2_frozen(const struct cfir_freezer *f, char *c, struct cfir_err *err)
{
	char buf[STATE_MAX + 1];
	const char *p;

	if (ctl_read(f, "cgroup.events", buf, sizeof(buf), err) < 0)
		return -1;
	for (p = buf; p != NULL; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, "frozen ", 7) == 0 && (p[7] == '0' || p[7] == '1')) {
			*c = p[7];
			return 0;
		}
	}
	return cfir_err_set(err, EX_UNAVAILABLE, 0, "cgroup '%s': no 'frozen' in cgroup.events", f->path);
}

int
cfir_freezer_state(const struct cfir_freezer *f, char *out, size_t n, struct cfir_err *err)
{
	char c;

	if (f->kind == CFIR_FREEZER_V1)
		return ctl_read(f, "freezer.state", out, n, err);
	if (v2_frozen(f, &c, err) < 0)
		return -1;
	snprintf(out, n, "frozen %c", c);
	return 0;
}

/* ---- freeze and thaw ---- */

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleep *US, and double it for the next time, up to NAP_MAX_US. */
static void
nap(unsigned *us)
{
	struct timespec ts = { 0, (long)*us * 1000 };

	nanosleep(&ts, NULL);
	*us = *us * 2 > NAP_MAX_US ? NAP_MAX_US : *us * 2;
}

/* Time is up or a stop was asked: EX_TEMPFAIL either way. */
static int
stop_now(const struct cfir_freezer *f, long long deadline, const char *state, int timeout_ms,
	 struct cfir_err *err)
{
	if (cfir_interrupt_pending())
		return cfir_err_interrupted(err);
	if (now_ms() < deadline)
		return 0;
	return cfir_err_set(err, EX_TEMPFAIL, 0, "cgroup '%s' still %s after %d ms", f->path, state,
			    timeout_ms);
}

/* v1: VAL written, then what the kernel says now read back into ST. */
static int
v1_set(const struct cfir_freezer *f, const char *val, char *st, size_t n, struct cfir_err *err)
{
	if (ctl_write(f, "freezer.state", val, err) < 0)
		return -1;
	return ctl_read(f, "freezer.state", st, n, err);
}

static int
v1_freeze(const struct cfir_freezer *f, int timeout_ms, bool *written, struct cfir_err *err)
{
	long long deadline = now_ms() + timeout_ms;
	unsigned us = 100, i;
	char st[64];

	for (i = 1;; i++) {
		/* a task caught mid-way (a vfork, a fault) may freeze after a thaw: runc's way */
		if (i % JIGGLE_EVERY == 0) {
			unsigned pause = NAP_MAX_US;

			if (v1_set(f, "THAWED", st, sizeof(st), err) < 0)
				return -1;
			nap(&pause);
		}
		if (v1_set(f, "FROZEN", st, sizeof(st), err) < 0)
			return -1;
		*written = true;
		if (strcmp(st, "FROZEN") == 0)
			return 0;
		if (strcmp(st, "FREEZING") != 0)
			return cfir_err_set(err, EX_DATAERR, 0, "cgroup '%s': freezer.state says '%.16s' after FROZEN",
					    f->path, st);
		if (stop_now(f, deadline, "FREEZING", timeout_ms, err) < 0)
			return -1;
		nap(&us);
	}
}

static int
v1_thaw(const struct cfir_freezer *f, int timeout_ms, struct cfir_err *err)
{
	long long deadline = now_ms() + timeout_ms;
	unsigned us = 100;
	char st[64];

	for (;;) {
		if (v1_set(f, "THAWED", st, sizeof(st), err) < 0)
			return -1;
		if (strcmp(st, "THAWED") == 0)
			return 0;
		/* a frozen parent cgroup keeps it FROZEN */
		if (stop_now(f, deadline, st[0] == 'F' ? st : "not THAWED", timeout_ms, err) < 0)
			return -1;
		nap(&us);
	}
}

/* v2: VAL written to cgroup.freeze, then cgroup.events polled for WANT. */
static int
v2_set(const struct cfir_freezer *f, const char *val, char want, int timeout_ms, bool *written,
       struct cfir_err *err)
{
	long long deadline = now_ms() + timeout_ms;
	unsigned us = 100;
	char c;

	if (ctl_write(f, "cgroup.freeze", val, err) < 0)
		return -1;
	*written = true;
	for (;;) {
		if (v2_frozen(f, &c, err) < 0)
			return -1;
		if (c == want)
			return 0;
		if (stop_now(f, deadline, c == '1' ? "frozen" : "not frozen", timeout_ms, err) < 0)
			return -1;
		nap(&us);
	}
}

/* After a freeze that failed half-way: thawed again, and the error says so. */
static void
undo(struct cfir_freezer *f, int timeout_ms, struct cfir_err *err)
{
	struct cfir_err terr = { 0 };
	size_t len = strlen(err->msg);

	if (cfir_freezer_thaw(f, timeout_ms, &terr) == 0)
		snprintf(err->msg + len, sizeof(err->msg) - len, "; thawed again");
	else
		snprintf(err->msg + len, sizeof(err->msg) - len, "; not thawed: %s", terr.msg);
}

int
cfir_freezer_freeze(struct cfir_freezer *f, int timeout_ms, struct cfir_err *err)
{
	bool written = false;
	int r;

	if (f->dfd < 0)
		return cfir_err_set(err, EX_SOFTWARE, 0, "freezer: not open");
	if (f->kind == CFIR_FREEZER_V1)
		r = v1_freeze(f, timeout_ms, &written, err);
	else
		r = v2_set(f, "1", '1', timeout_ms, &written, err);
	if (r < 0 && written)
		undo(f, timeout_ms, err);
	return r;
}

int
cfir_freezer_thaw(struct cfir_freezer *f, int timeout_ms, struct cfir_err *err)
{
	bool written = false;

	if (f->dfd < 0)
		return cfir_err_set(err, EX_SOFTWARE, 0, "freezer: not open");
	if (f->kind == CFIR_FREEZER_V1)
		return v1_thaw(f, timeout_ms, err);
	return v2_set(f, "0", '0', timeout_ms, &written, err);
}
