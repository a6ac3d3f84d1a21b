/* verify.c - check a bag: every hash, extra and missing files, custody chain */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bag.h"
#include "common/cleanup.h"
#include "common/util.h"

#define LIST_MAX (1u << 30)
#define DEPTH_MAX 64
#define EFTYPE_NOTREG EMEDIUMTYPE	/* errno meaning "not a regular file" here */

struct entry {
	char *path;
	char hex[CFIR_SHA256_HEX];
	bool seen;
};

struct list {
	struct entry *e;
	size_t n;
};

struct vstate {
	int dirfd;
	struct cfir_verify_report *r;
	struct list payload, tags;
	uint64_t oxum_bytes;
	size_t oxum_count;
};

static void
item(struct vstate *v, const char *path, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
item(struct vstate *v, const char *path, bool ok, const char *fmt, ...)
{
	char why[512] = "";
	va_list ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(why, sizeof(why), fmt, ap);
		va_end(ap);
	}
	if (ok)
		v->r->ok++;
	else
		v->r->failed++;
	if (v->r->item != NULL)
		v->r->item(v->r->ctx, path, ok, why[0] ? why : NULL);
}

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->path, ((const struct entry *)b)->path);
}

static struct entry *
list_find(struct list *l, const char *path)
{
	struct entry key = { .path = (char *)path };

	if (l->n == 0)
		return NULL;
	return bsearch(&key, l->e, l->n, sizeof(key), entry_cmp);
}

static void
list_free(struct list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->e[i].path);
	free(l->e);
}

/* A path from a manifest names a file inside the bag, and nothing else. */
static bool
path_ok(const char *p)
{
	const char *c;

	if (*p == '/' || *p == '\0')
		return false;
	for (c = p; c != NULL; c = strchr(c, '/')) {
		if (*c == '/')
			c++;
		if (*c == '/' || *c == '\0' || strncmp(c, "./", 2) == 0 || strcmp(c, ".") == 0 ||
		    strncmp(c, "../", 3) == 0 || strcmp(c, "..") == 0)
			return false;
	}
	return true;
}

/* Open a file of the bag, never following a symbolic link on the way. */
static int
open_beneath(int dirfd, const char *path, struct stat *st)
{
	cleanup_free char *copy = strdup(path);
	char *p = copy, *comp, *next;
	int fd = dirfd, nfd, e;

	if (copy == NULL)
		return -1;
	comp = strsep(&p, "/");
	while (comp != NULL) {
		next = strsep(&p, "/");
		nfd = openat(fd, comp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK |
				       (next ? O_DIRECTORY : 0));
		e = errno;
		if (fd != dirfd)
			close(fd);
		if (nfd < 0) {
			errno = e;
			return -1;
		}
		fd = nfd;
		comp = next;
	}
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		errno = EFTYPE_NOTREG;
		return -1;
	}
	return fd;
}

static int
load_list(struct vstate *v, const char *name, struct list *l, bool payload)
{
	cleanup_free char *text = NULL;
	struct cfir_err err = { 0 };
	char *line, *save = NULL, *path, hex[CFIR_SHA256_HEX];
	size_t len = 0, lineno = 0, i;
	struct entry *ne;
	int bad = 0;

	if (cfir_read_file(v->dirfd, name, LIST_MAX, &text, &len, NULL, &err) < 0) {
		item(v, name, false, "%s", err.sys == ENOENT ? "missing" : cfir_err_str(&err));
		return -1;
	}
	if (len > 0 && text[len - 1] != '\n')
		bad++, item(v, name, false, "no newline at the end");
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (cfir_manifest_parse_line(line, &path, hex) < 0 || !path_ok(path) ||
		    (strncmp(path, "data/", 5) == 0) != payload) {
			bad++;
			item(v, name, false, "line %zu is malformed or names a path outside %s",
			     lineno, payload ? "data/" : "the tag files");
			continue;
		}
		ne = realloc(l->e, (l->n + 1) * sizeof(*ne));
		if (ne == NULL)
			return -1;
		l->e = ne;
		l->e[l->n].path = strdup(path);
		memcpy(l->e[l->n].hex, hex, CFIR_SHA256_HEX);
		l->e[l->n].seen = false;
		l->n++;
	}
	if (l->n > 1)
		qsort(l->e, l->n, sizeof(*l->e), entry_cmp);
	for (i = 1; i < l->n; i++)
		if (strcmp(l->e[i - 1].path, l->e[i].path) == 0)
			bad++, item(v, l->e[i].path, false, "listed twice in %s", name);
	return bad ? -1 : 0;
}

static void
check_list(struct vstate *v, struct list *l, bool payload)
{
	char hex[CFIR_SHA256_HEX];
	struct cfir_err err = { 0 };
	struct stat st;
	uint64_t bytes;
	size_t i;
	int fd;

	for (i = 0; i < l->n; i++) {
		struct entry *e = &l->e[i];

		fd = open_beneath(v->dirfd, e->path, &st);
		if (fd < 0) {
			item(v, e->path, false, "%s", errno == ENOENT ? "missing" :
			     errno == EFTYPE_NOTREG || errno == ELOOP || errno == ENOTDIR
				     ? "not a regular file" : strerror(errno));
			continue;
		}
		if (cfir_sha256_fd(fd, hex, &bytes, &err) < 0) {
			close(fd);
			item(v, e->path, false, "%s", cfir_err_str(&err));
			continue;
		}
		close(fd);
		e->seen = true;
		if (payload) {
			v->oxum_bytes += bytes;
			v->oxum_count++;
		}
		if (strcmp(hex, e->hex) != 0)
			item(v, e->path, false, "altered: sha256 is %s, the manifest says %s", hex, e->hex);
		else
			item(v, e->path, true, NULL);
	}
}

/* Every file below REL is listed in L; nothing else lives there. */
static void
walk(struct vstate *v, int dfd, const char *rel, struct list *l, int depth,
     bool top)
{
	struct dirent *de;
	struct stat st;
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		item(v, rel, false, "cannot read directory");
		return;
	}
	while ((de = readdir(d)) != NULL) {
		cleanup_free char *path = NULL;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (asprintf(&path, "%s%s%s", rel, *rel ? "/" : "", de->d_name) < 0)
			break;
		if (top && (strcmp(path, "data") == 0 || strcmp(path, "bagit.txt") == 0 ||
			    strcmp(path, ".cfir-reserve") == 0 ||
			    strcmp(path, "tagmanifest-sha256.txt") == 0 ||
			    strcmp(path, "tagmanifest-sha256.txt.minisig") == 0))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			item(v, path, false, "%s", strerror(errno));
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			int sub;

			if (depth >= DEPTH_MAX) {
				item(v, path, false, "directories nested too deep");
				continue;
			}
			sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				item(v, path, false, "%s", strerror(errno));
				continue;
			}
			walk(v, sub, path, l, depth + 1, false);
			close(sub);
		} else if (!S_ISREG(st.st_mode)) {
			item(v, path, false, "not a regular file");
		} else if (list_find(l, path) == NULL) {
			item(v, path, false, "extra: not in the %smanifest", l == &v->tags ? "tag " : "");
		}
	}
	closedir(d);
}

static const char *
info_get(const char *info, const char *key, char *buf, size_t n)
{
	size_t kl = strlen(key);
	const char *p = info;

	while (p != NULL && *p) {
		if (strncmp(p, key, kl) == 0 && p[kl] == ':' && p[kl + 1] == ' ') {
			snprintf(buf, n, "%.*s", (int)strcspn(p + kl + 2, "\n"), p + kl + 2);
			return buf;
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return NULL;
}

struct xcheck {
	struct vstate *v;
	int bad;
};

static int
artifact_check(void *ctx, size_t seq, const char *path, const char *sha)
{
	struct xcheck *x = ctx;
	struct entry *e = list_find(&x->v->payload, path);
	char what[64];

	snprintf(what, sizeof(what), "custody record %zu", seq);
	if (e == NULL) {
		item(x->v, what, false, "lists '%s', which the manifest lacks", path);
		x->bad++;
	} else if (strcmp(e->hex, sha) != 0) {
		item(x->v, what, false, "gives '%s' a sha256 the manifest does not", path);
		x->bad++;
	}
	return 0;
}

static void
check_custody(struct vstate *v, const char *info)
{
	cleanup_free char *text = NULL;
	struct cfir_err err = { 0 };
	char head[CFIR_SHA256_HEX], why[200], val[128];
	struct xcheck x = { v, 0 };
	size_t len = 0, count = 0;

	if (cfir_read_file(v->dirfd, "custody/log.jsonl", LIST_MAX, &text, &len, NULL, &err) < 0) {
		item(v, "custody chain", false, "%s", cfir_err_str(&err));
		return;
	}
	if (cfir_custody_check(text, len, head, &count, why, sizeof(why)) < 0) {
		item(v, "custody chain", false, "%s", why);
		return;
	}
	if (info == NULL || info_get(info, "Custody-Head", val, sizeof(val)) == NULL ||
	    strcmp(val, head) != 0) {
		item(v, "custody chain", false,
		     "the last record's hash is not the Custody-Head of bag-info.txt "
		     "(records removed or added at the end)");
		return;
	}
	cfir_custody_artifacts(text, len, artifact_check, &x);
	if (x.bad == 0)
		item(v, "custody chain", true, "%zu records, head %.16s", count, head);
}

static void
check_oxum(struct vstate *v, const char *info)
{
	char val[64], want[64];

	if (info == NULL || info_get(info, "Payload-Oxum", val, sizeof(val)) == NULL) {
		item(v, "Payload-Oxum", false, "missing from bag-info.txt");
		return;
	}
	snprintf(want, sizeof(want), "%llu.%zu", (unsigned long long)v->oxum_bytes, v->oxum_count);
	if (strcmp(val, want) != 0)
		item(v, "Payload-Oxum", false, "bag-info.txt says %s, the payload is %s", val, want);
	else
		item(v, "Payload-Oxum", true, NULL);
}

int
cfir_bag_verify(const char *dir, struct cfir_verify_report *r, struct cfir_err *err)
{
	static const char *required[] = { "bag-info.txt", "manifest-sha256.txt",
					  "custody/log.jsonl" };
	struct vstate v = { .r = r };
	cleanup_free char *bagit = NULL, *info = NULL;
	cleanup_close int dfd = -1;
	struct cfir_err ferr = { 0 };
	size_t i;

	v.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (v.dirfd < 0)
		return cfir_err_set(err, cfir_err_sys_exit(errno), errno, "bag '%s'", dir);
	if (cfir_read_file(v.dirfd, "bagit.txt", 4096, &bagit, NULL, NULL, &ferr) < 0) {
		close(v.dirfd);
		return cfir_err_set(err, EX_NOINPUT, 0, "'%s' is not an evidence bag (no bagit.txt)", dir);
	}
	if (strcmp(bagit, CFIR_BAGIT_TXT) != 0)
		item(&v, "bagit.txt", false, "not a BagIt 1.0 declaration");

	if (load_list(&v, "manifest-sha256.txt", &v.payload, true) == 0 || v.payload.n > 0)
		check_list(&v, &v.payload, true);
	dfd = openat(v.dirfd, "data", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		item(&v, "data", false, "payload directory missing");
	else
		walk(&v, dfd, "data", &v.payload, 0, false);

	if (load_list(&v, "tagmanifest-sha256.txt", &v.tags, false) == 0 || v.tags.n > 0)
		check_list(&v, &v.tags, false);
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (list_find(&v.tags, required[i]) == NULL)
			item(&v, required[i], false, "not in the tag manifest");
	walk(&v, v.dirfd, "", &v.tags, 0, true);

	if (cfir_read_file(v.dirfd, "bag-info.txt", 1 << 20, &info, NULL, NULL, &ferr) < 0)
		info = NULL;
	check_oxum(&v, info);
	check_custody(&v, info);

	list_free(&v.payload);
	list_free(&v.tags);
	close(v.dirfd);
	return 0;
}
