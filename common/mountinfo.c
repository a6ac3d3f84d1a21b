/* mountinfo.c - parse mountinfo(5) lines and overlay mount options */
#include <errno.h>
#include <stdbool.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/mountinfo.h"
#include "common/util.h"

/* Decode the kernel's \NNN octal escapes in place. */
static void
unoctal(char *s)
{
	char *w = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
			s += 4;
		} else {
			*w++ = *s++;
		}
	}
	*w = '\0';
}

static char *
field(char **p)
{
	char *s = *p, *e;

	if (s == NULL || *s == '\0')
		return NULL;
	e = strchr(s, ' ');
	if (e != NULL) {
		*e = '\0';
		*p = e + 1;
	} else {
		*p = NULL;
	}
	return s;
}

static bool
parse_uint(const char *s, unsigned *v)
{
	char *end;
	unsigned long n;

	if (s == NULL || *s < '0' || *s > '9')
		return false;
	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || n > 0xffffffffUL)
		return false;
	*v = (unsigned)n;
	return true;
}

int
cfir_mountinfo_parse_line(char *line, struct cfir_mount *m)
{
	char *p = line, *f, *majmin;

	memset(m, 0, sizeof(*m));
	if (!parse_uint(field(&p), &m->id) || !parse_uint(field(&p), &m->parent))
		return -1;
	majmin = field(&p);
	m->majmin = majmin;
	m->root = field(&p);
	m->mountpoint = field(&p);
	m->opts = field(&p);
	if (majmin == NULL || m->opts == NULL)
		return -1;
	/* optional fields up to the lone "-" */
	while ((f = field(&p)) != NULL && strcmp(f, "-") != 0)
		;
	if (f == NULL)
		return -1;
	m->fstype = field(&p);
	m->source = field(&p);
	m->superopts = p ? p : (char *)"";
	if (m->fstype == NULL || m->source == NULL)
		return -1;
	unoctal(m->root);
	unoctal(m->mountpoint);
	unoctal(m->fstype);
	unoctal(m->source);
	/* superopts keep their escapes: split on ',' first (cfir_mountinfo_overlay_opts) */
	return 0;
}

void
cfir_mountinfo_rootfs_free(struct cfir_rootfs *r)
{
	cfir_util_free_strv(r->lower, r->nlower);
	free(r->fstype);
	free(r->source);
	free(r->upper);
	free(r->work);
	memset(r, 0, sizeof(*r));
}

static int
add_lower(struct cfir_rootfs *r, const char *s, size_t n)
{
	char **nl, *d;
	size_t i, j;

	if (n == 0)
		return 0;
	if (r->nlower >= 4096)
		return -1;
	nl = realloc(r->lower, (r->nlower + 1) * sizeof(*nl));
	if (nl == NULL)
		return -1;
	r->lower = nl;
	d = malloc(n + 1);
	if (d == NULL)
		return -1;
	/* "\:" and "\\" escape the separator inside one lowerdir */
	for (i = j = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n)
			i++;
		d[j++] = s[i];
	}
	d[j] = '\0';
	r->lower[r->nlower++] = d;
	return 0;
}

static int
split_lower(struct cfir_rootfs *r, const char *v)
{
	size_t i, start = 0, n = strlen(v);

	for (i = 0; i <= n; i++) {
		if (i < n && v[i] == '\\' && i + 1 < n) {
			i++;
			continue;
		}
		if (i == n || v[i] == ':') {
			if (add_lower(r, v + start, i - start) < 0)
				return -1;
			start = i + 1;
		}
	}
	return 0;
}

int
cfir_mountinfo_overlay_opts(const char *superopts, struct cfir_rootfs *r,
		  struct cfir_err *err)
{
	cleanup_free char *copy = strdup(superopts);
	char *p = copy, *opt;

	if (copy == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "overlay options");
	/* the kernel shows ',' inside a value as \054, so ',' splits options */
	while ((opt = strsep(&p, ",")) != NULL) {
		unoctal(opt);
		if (strncmp(opt, "lowerdir=", 9) == 0) {
			if (split_lower(r, opt + 9) < 0)
				return cfir_err_set(err, EX_DATAERR, 0, "overlay lowerdir list");
		} else if (strncmp(opt, "lowerdir+=", 10) == 0) {
			if (add_lower(r, opt + 10, strlen(opt + 10)) < 0)
				return cfir_err_set(err, EX_DATAERR, 0, "overlay lowerdir list");
		} else if (strncmp(opt, "upperdir=", 9) == 0) {
			free(r->upper);
			r->upper = strdup(opt + 9);
		} else if (strncmp(opt, "workdir=", 8) == 0) {
			free(r->work);
			r->work = strdup(opt + 8);
		}
	}
	return 0;
}

/* overlay2 mounts with short "l/ID" lowerdirs relative to its home. */
static int
resolve_lower(struct cfir_rootfs *r)
{
	size_t i, baselen;
	const char *slash;
	char *abs;

	if (r->upper == NULL || r->upper[0] != '/')
		return 0;
	/* .../overlay2/<id>/diff -> .../overlay2 */
	slash = strrchr(r->upper, '/');
	while (slash > r->upper && slash[-1] != '/')
		slash--;
	if (slash <= r->upper + 1)
		return 0;
	baselen = (size_t)(slash - r->upper - 1);
	for (i = 0; i < r->nlower; i++) {
		if (r->lower[i][0] == '/')
			continue;
		r->relative_lower = true;
		if (asprintf(&abs, "%.*s/%s", (int)baselen, r->upper, r->lower[i]) < 0)
			return -1;
		free(r->lower[i]);
		r->lower[i] = abs;
	}
	return 0;
}

int
cfir_mountinfo_overlay(char *line, struct cfir_mount *m, struct cfir_rootfs *r,
		       struct cfir_err *err)
{
	memset(r, 0, sizeof(*r));
	if (cfir_mountinfo_parse_line(line, m) < 0)
		return cfir_err_set(err, EX_DATAERR, 0, "mountinfo: malformed line");
	r->fstype = strdup(m->fstype);
	r->source = strdup(m->source);
	if (r->fstype == NULL || r->source == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "mountinfo");
	if (strcmp(m->fstype, "overlay") != 0)
		return 0;
	if (cfir_mountinfo_overlay_opts(m->superopts, r, err) < 0)
		return -1;
	if (resolve_lower(r) < 0)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "mountinfo");
	return 0;
}

/* Is LINE (N bytes, no newline) a mount on MOUNTPOINT? */
static bool
on_mountpoint(const char *p, size_t n, const char *mountpoint)
{
	cleanup_free char *line = NULL;
	struct cfir_mount m;

	if (memchr(p, '\0', n) != NULL || (line = strndup(p, n)) == NULL)
		return false;
	return cfir_mountinfo_parse_line(line, &m) == 0 && strcmp(m.mountpoint, mountpoint) == 0;
}

int
cfir_mountinfo_rootfs(const char *text, size_t len, struct cfir_rootfs *r,
		      struct cfir_err *err)
{
	cleanup_free char *best = NULL;
	const char *p = text, *end = text + len, *nl;
	struct cfir_mount m;
	size_t n;

	memset(r, 0, sizeof(*r));
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		/* later lines are mounted on top: the last one wins */
		if (on_mountpoint(p, n, "/")) {
			free(best);
			best = strndup(p, n);
			if (best == NULL)
				return cfir_err_set(err, EX_OSERR, ENOMEM, "mountinfo");
		}
		p += n + 1;
	}
	if (best == NULL)
		return cfir_err_set(err, EX_DATAERR, 0, "mountinfo has no mount on '/'");
	return cfir_mountinfo_overlay(best, &m, r, err);
}

struct last {
	const char *mountpoint;
	char *line;
};

static int
last_line(void *ctx, char *line, size_t n)
{
	struct last *l = ctx;

	if (on_mountpoint(line, n, l->mountpoint)) {
		free(l->line);
		l->line = strndup(line, n);
		if (l->line == NULL)
			return -2;	/* cfir_util_lines's own failures are -1 */
	}
	return 0;
}

int
cfir_mountinfo_last(int fd, const char *mountpoint, char **line, struct cfir_err *err)
{
	struct last l = { mountpoint, NULL };
	int r = cfir_util_lines(fd, CFIR_MOUNTINFO_LINE_MAX, last_line, &l, err);

	if (r != 0) {
		free(l.line);
		*line = NULL;
		return r == -2 ? cfir_err_set(err, EX_OSERR, ENOMEM, "mountinfo") : -1;
	}
	*line = l.line;
	return 0;
}
