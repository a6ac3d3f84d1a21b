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

#include <archive.h>
#include <archive_entry.h>

#include "common/bag.h"
#include "common/bagread.h"
#include "common/cleanup.h"
#include "common/dl.h"
#include "common/hash.h"
#include "common/minisign.h"
#include "common/util.h"
#include "common/verify.h"

#define MEMBERS_MAX (1u << 18)	/* members of an archive: far more than any bag holds */
#define MEMBER_PATH_MAX 4096
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

/* A member of a bag packed into a tar (seal --archive): hashed as it streamed. */
struct member {
	char *path;		/* below the bag's own directory */
	char hex[CFIR_SHA256_HEX];
	uint64_t bytes;
	bool regular;
	bool kept;		/* a tag file verify reads, its first copy: text holds its bytes */
	bool too_large;		/* ... but it is larger than it may be */
	char *text;		/* the bytes of a tag file verify reads (tag_read) */
	size_t len;
};

/*
 * The tag files verify reads, and the most each may hold: their bytes are
 * kept when they stream by in an archive; everything else is only hashed.
 */
static const struct {
	const char *path;
	size_t max;
} tag_read[] = {
	{ "bag-info.txt", 1u << 20 },
	{ "bagit.txt", 4096 },
	{ "custody/log.jsonl", CFIR_BAG_TAGFILE_MAX },
	{ "manifest-sha256.txt", CFIR_BAG_TAGFILE_MAX },
	{ "tagmanifest-sha256.txt", CFIR_BAG_TAGFILE_MAX },
	{ "tagmanifest-sha256.txt.minisig", 64u << 10 },
};

#define TAG_READ_N (sizeof(tag_read) / sizeof(tag_read[0]))

static int
tag_read_cmp(const void *key, const void *t)
{
	return strcmp(key, *(const char *const *)t);
}

/* Which of them PATH is, or -1: a file that is only hashed. The table is in name order. */
static int
tag_index(const char *path)
{
	const void *t = bsearch(path, tag_read, TAG_READ_N, sizeof(tag_read[0]), tag_read_cmp);

	return t != NULL ? (int)(((const char *)t - (const char *)tag_read) / sizeof(tag_read[0])) : -1;
}

struct vstate {
	int dirfd;		/* the bag directory, or -1 for an archive */
	struct member *m;	/* the archive's members, sorted by path */
	size_t nm;
	struct cfir_verify_report *r;
	struct list payload, tags;
	uint64_t oxum_bytes;
	size_t oxum_count;
	bool kept[TAG_READ_N];	/* the archive: a tag_read file's bytes are kept */
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

static int
member_cmp(const void *a, const void *b)
{
	return strcmp(((const struct member *)a)->path, ((const struct member *)b)->path);
}

static struct member *
member_find(const struct vstate *v, const char *path)
{
	struct member key = { .path = (char *)path };

	return v->nm ? bsearch(&key, v->m, v->nm, sizeof(key), member_cmp) : NULL;
}

/* A tag file's bytes, from the directory or the archive; a larger one than it may be fails. */
static int
vread(struct vstate *v, const char *name, char **text, size_t *len, struct cfir_err *err)
{
	int ti = tag_index(name);
	size_t max = ti >= 0 ? tag_read[ti].max : 4096;
	struct member *m;
	bool more = false;

	if (v->dirfd >= 0) {
		struct stat st;

		/* a FIFO would block the open for ever, a device read up to MAX */
		if (fstatat(v->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode))
			return cfir_err_set(err, EX_DATAERR, 0, "'%s' is not a regular file", name);
		if (cfir_util_read_file(v->dirfd, name, max, text, len, &more, err) < 0)
			return -1;
		if (!more)
			return 0;
		free(steal_pointer(text));
		return cfir_err_set(err, EX_DATAERR, 0, "'%s' is larger than the %zu bytes it may hold",
				    name, max);
	}
	m = member_find(v, name);
	/* twice in the archive (that fails): the copy whose bytes were kept */
	while (m != NULL && !m->kept && m > v->m && strcmp(m[-1].path, name) == 0)
		m--;
	while (m != NULL && !m->kept && m + 1 < v->m + v->nm && strcmp(m[1].path, name) == 0)
		m++;
	if (m == NULL || !m->regular)
		return cfir_err_set(err, EX_NOINPUT, ENOENT, "'%s' is not in the archive", name);
	if (m->too_large || m->text == NULL)
		return cfir_err_set(err, EX_DATAERR, 0, "'%s' is larger than the %zu bytes it may hold",
				    name, max);
	*text = malloc(m->len + 1);
	if (*text == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "verify");
	memcpy(*text, m->text, m->len);
	(*text)[m->len] = '\0';
	if (len != NULL)
		*len = m->len;
	return 0;
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



static int
load_list(struct vstate *v, const char *name, struct list *l, bool payload)
{
	cleanup_free char *text = NULL;
	struct cfir_err err = { 0 };
	char *line, *save = NULL, *path, hex[CFIR_SHA256_HEX];
	size_t len = 0, lineno = 0, i;
	struct entry *ne;
	int bad = 0;

	if (vread(v, name, &text, &len, &err) < 0) {
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

/* Every file L lists, hashed; -1 (ERR) only when interrupted. */
static int
check_list(struct vstate *v, struct list *l, bool payload, struct cfir_err *err)
{
	char hex[CFIR_SHA256_HEX];
	struct cfir_err ferr = { 0 };
	struct stat st;
	uint64_t bytes = 0;
	size_t i;
	int fd;

	for (i = 0; i < l->n; i++) {
		struct entry *e = &l->e[i];

		if (cfir_interrupt_pending())
			return cfir_err_interrupted(err);
		if (v->dirfd < 0) {
			struct member *m = member_find(v, e->path);

			if (m == NULL || !m->regular) {
				item(v, e->path, false, "%s", m == NULL ? "missing" : "not a regular file");
				continue;
			}
			memcpy(hex, m->hex, sizeof(hex));
			bytes = m->bytes;
			goto hashed;
		}
		fd = cfir_bagread_open(v->dirfd, e->path);	/* no link followed, a regular file */
		if (fd >= 0 && fstat(fd, &st) < 0) {
			close(fd);
			fd = -1;
		}
		if (fd < 0) {
			item(v, e->path, false, "%s", errno == ENOENT ? "missing" :
			     errno == EFTYPE_NOTREG || errno == ELOOP || errno == ENOTDIR
				     ? "not a regular file" : strerror(errno));
			continue;
		}
		if (cfir_sha256_fd_stoppable(fd, hex, &bytes, &ferr) < 0) {
			close(fd);
			if (cfir_interrupt_pending())
				return cfir_err_interrupted(err);
			item(v, e->path, false, "%s", cfir_err_str(&ferr));
			continue;
		}
		close(fd);
hashed:
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
	return 0;
}

/* One entry of the bag or of the archive, by the walk's rules: each file listed where it lives. */
static void
check_entry(struct vstate *v, const char *path, enum cfir_bag_kind kind, int sys)
{
	switch (kind) {
	case CFIR_BAG_DIR:
	case CFIR_BAG_TAGMANIFEST:
		break;
	case CFIR_BAG_PAYLOAD:
		if (list_find(&v->payload, path) == NULL && v->dirfd < 0)
			item(v, path, false, "extra: not in the manifest");
		else if (list_find(&v->payload, path) == NULL)
			item(v, path, false, "extra: not in the manifest; if a cfir ended before it "
			     "recorded this file, the next cfir command on the bag (cfir seal, say) records it");
		break;
	case CFIR_BAG_TAG:
		if (strcmp(path, "bagit.txt") != 0 && list_find(&v->tags, path) == NULL)
			item(v, path, false, "extra: not in the tag manifest");
		break;
	case CFIR_BAG_LEFTOVER:
		item(v, path, false, "left by a cfir that ended while it replaced a tag file; "
		     "the next cfir command on the bag (cfir seal, say) records and removes it");
		break;
	case CFIR_BAG_SPECIAL:
		item(v, path, false, "not a regular file");
		break;
	case CFIR_BAG_UNREADABLE:
		item(v, path, false, "%s", sys == ELOOP ? "directories nested too deep" : strerror(sys));
		break;
	}
}

static int
walk_entry(void *ctx, const struct cfir_bag_entry *e, struct cfir_err *err)
{
	if (cfir_interrupt_pending())
		return cfir_err_interrupted(err);
	check_entry(ctx, e->path, e->kind, e->sys);
	return 0;
}

/* The archive's members: each one listed where it lives, nothing else. */
static void
walk_members(struct vstate *v)
{
	size_t i;

	for (i = 0; i < v->nm; i++)
		if (!cfir_bag_skipped(v->m[i].path))
			check_entry(v, v->m[i].path,
				    cfir_bag_classify(v->m[i].path, v->m[i].regular ? S_IFREG : S_IFLNK), 0);
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
	char head[CFIR_SHA256_HEX], why[200], val[128] = "";
	struct xcheck x = { v, 0 };
	size_t len = 0, count = 0;

	if (vread(v, "custody/log.jsonl", &text, &len, &err) < 0) {
		item(v, "custody chain", false, "%s", cfir_err_str(&err));
		return;
	}
	if (cfir_custody_check(text, len, head, &count, why, sizeof(why)) < 0) {
		if (len > 0 && text[len - 1] != '\n' && memchr(text, '\n', len) != NULL &&
		    cfir_custody_check(text, (size_t)((char *)memrchr(text, '\n', len) - text) + 1, head, &count,
				       why, sizeof(why)) == 0)
			item(v, "custody chain", false, "record %zu: no newline at the end of the log: "
			     "a cfir ended while it wrote it; the next cfir command on the bag (cfir seal, say) "
			     "cuts it off and records that", count + 1);
		else
			item(v, "custody chain", false, "%s", why);
		return;
	}
	if (info == NULL || info_get(info, "Custody-Head", val, sizeof(val)) == NULL ||
	    strcmp(val, head) != 0) {
		char at[CFIR_SHA256_HEX], recs[32];
		unsigned long n = 0;

		if (info != NULL && val[0] != '\0' && info_get(info, "Custody-Records", recs, sizeof(recs)) != NULL &&
		    cfir_util_parse_ulong(recs, count, &n) == 0 && n < count &&
		    cfir_custody_head_at(text, len, n, at) == 0 && strcmp(at, val) == 0)
			item(v, "custody chain", false,
			     "bag-info.txt is %zu record%s behind the custody log: a cfir ended before it "
			     "brought the tag files up to date; the next cfir command on the bag "
			     "(cfir seal, say) records that", count - n, count - n == 1 ? "" : "s");
		else
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

/* The signature over the tag manifest names the custody head bag-info names. */
static void
check_signature(struct vstate *v, const char *info)
{
	static const char *name = "tagmanifest-sha256.txt.minisig";
	cleanup_free char *tm = NULL, *sig = NULL;
	struct cfir_err err = { 0 };
	char trusted[CFIR_MINISIGN_COMMENT_MAX + 1], head[128];
	unsigned char h[64];
	size_t tl = 0, sl = 0, hl;
	const char *hp;

	if (vread(v, name, &sig, &sl, &err) < 0) {
		item(v, name, false, "the bag is not signed");
		return;
	}
	if (vread(v, "tagmanifest-sha256.txt", &tm, &tl, &err) < 0) {
		item(v, name, false, "%s", cfir_err_str(&err));
		return;
	}
	cfir_blake2b(h, 64, tm, tl);
	if (cfir_minisign_verify(v->r->pub, sig, sl, h, NULL, 0, trusted, sizeof(trusted), &err) < 0) {
		item(v, name, false, "%s", err.msg);
		return;
	}
	hp = strstr(trusted, "custody-head ");
	if (info == NULL || info_get(info, "Custody-Head", head, sizeof(head)) == NULL || hp == NULL ||
	    strncmp(hp + 13, head, (hl = strlen(head))) != 0 || (hp[13 + hl] != ' ' && hp[13 + hl] != '\0')) {
		item(v, name, false, "the signature names another custody head: %s", trusted);
		return;
	}
	item(v, name, true, "signed: %s", trusted);
}

/*
 * Every check, in turn; ^C stops it between two files (or two blocks of one)
 * and it fails with EX_TEMPFAIL: nothing it did not check is said to be OK.
 */
static int
verify(struct vstate *v, const char *what, struct cfir_err *err)
{
	static const char *required[] = { "bag-info.txt", "manifest-sha256.txt",
					  "custody/log.jsonl" };
	cleanup_free char *bagit = NULL, *info = NULL;
	struct cfir_err ferr = { 0 };
	struct stat st;
	size_t i;
	int rc = -1;

	if (vread(v, "bagit.txt", &bagit, NULL, &ferr) < 0)
		return cfir_err_set(err, EX_NOINPUT, 0, "'%s' is not an evidence bag (no bagit.txt)", what);
	if (strcmp(bagit, CFIR_BAGIT_TXT) != 0)
		item(v, "bagit.txt", false, "not a BagIt 1.0 declaration");

	if ((load_list(v, "manifest-sha256.txt", &v->payload, true) == 0 || v->payload.n > 0) &&
	    check_list(v, &v->payload, true, err) < 0)
		goto out;
	if ((load_list(v, "tagmanifest-sha256.txt", &v->tags, false) == 0 || v->tags.n > 0) &&
	    check_list(v, &v->tags, false, err) < 0)
		goto out;
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (list_find(&v->tags, required[i]) == NULL)
			item(v, required[i], false, "not in the tag manifest");
	if (v->dirfd >= 0) {
		if (fstatat(v->dirfd, "data", &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
			item(v, "data", false, "payload directory missing");
		if (cfir_bag_walk(v->dirfd, 0, walk_entry, v, err) < 0)
			goto out;
	} else {
		walk_members(v);
	}

	if (vread(v, "bag-info.txt", &info, NULL, &ferr) < 0) {
		if (ferr.sys != ENOENT)
			item(v, "bag-info.txt", false, "%s", cfir_err_str(&ferr));
		info = NULL;
	}
	check_oxum(v, info);
	check_custody(v, info);
	if (v->r->pub != NULL)
		check_signature(v, info);
	rc = 0;
out:
	if (rc < 0 && cfir_interrupt_pending())
		cfir_err_set(err, EX_TEMPFAIL, 0, "verify of '%s' interrupted after %zu OK, %zu FAIL; "
			     "the rest was not checked", what, v->r->ok, v->r->failed);
	list_free(&v->payload);
	list_free(&v->tags);
	return rc;
}

int
cfir_bag_verify(const char *dir, struct cfir_verify_report *r, struct cfir_err *err)
{
	struct vstate v = { .r = r };
	int rc;

	v.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (v.dirfd < 0)
		return cfir_err_set(err, cfir_err_sys_exit(errno), errno, "bag '%s'", dir);
	rc = verify(&v, dir, err);
	close(v.dirfd);
	return rc;
}

static void
members_free(struct vstate *v)
{
	size_t i;

	for (i = 0; i < v->nm; i++) {
		free(v->m[i].path);
		free(v->m[i].text);
	}
	free(v->m);
}

/* A new member REST at the end of V's list, grown as needed. */
static struct member *
member_new(struct vstate *v, const char *rest, size_t *cap, struct cfir_err *err)
{
	struct member *m;

	if (v->nm == MEMBERS_MAX) {
		cfir_err_set(err, EX_DATAERR, 0, "more than %u members: not a bag that seal --archive packed",
			     MEMBERS_MAX);
		return NULL;
	}
	if (v->nm == *cap) {
		size_t nc = *cap ? 2 * *cap : 256;
		struct member *nm = realloc(v->m, nc * sizeof(*nm));

		if (nm == NULL) {
			cfir_err_set(err, EX_OSERR, ENOMEM, "verify");
			return NULL;
		}
		v->m = nm;
		*cap = nc;
	}
	m = &v->m[v->nm];
	memset(m, 0, sizeof(*m));
	m->path = strdup(rest);
	if (m->path == NULL) {
		cfir_err_set(err, EX_OSERR, ENOMEM, "verify");
		return NULL;
	}
	v->nm++;
	return m;
}

/* LEN more bytes of a kept tag file: at most KEEP in all, else too large and nothing held. */
static int
member_keep(struct member *m, const void *buf, size_t len, size_t keep, size_t *cap_text)
{
	char *nt;

	if (m->len + len > keep) {
		/* a clear failure later, never a silent truncation */
		m->too_large = true;
		free(steal_pointer(&m->text));
		m->len = 0;
		return 0;
	}
	if (m->text == NULL || m->len + len > *cap_text) {
		if (m->len + len > *cap_text)
			*cap_text = m->len + len;
		nt = realloc(m->text, *cap_text + 1);
		if (nt == NULL)
			return -1;
		m->text = nt;
	}
	memcpy(m->text + m->len, buf, len);
	m->len += len;
	return 0;
}

/* M's bytes, hashed as they stream; the first KEEP of a tag file verify reads kept. */
static int
member_read(struct archive *a, struct member *m, size_t keep, size_t cap_text, struct cfir_err *err)
{
	struct cfir_hash *h = cfir_hash_new();
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;

	if (h == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "verify");
	while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
		if (cfir_interrupt_pending()) {
			cfir_hash_free(h);
			return cfir_err_interrupted(err);
		}
		cfir_hash_update(h, buf, len);
		m->bytes += len;
		if (keep > 0 && !m->too_large && member_keep(m, buf, len, keep, &cap_text) < 0) {
			cfir_hash_free(h);
			return cfir_err_set(err, EX_OSERR, ENOMEM, "verify");
		}
	}
	cfir_hash_final_hex(h, m->hex);
	cfir_hash_free(h);
	if (keep > 0 && !m->too_large && m->text == NULL)
		m->text = calloc(1, 1);
	if (r != ARCHIVE_EOF)
		return cfir_err_set(err, EX_DATAERR, 0, "archive: %s", archive_error_string(a));
	return 0;
}

/*
 * One member: its path below the bag's directory and its hash, computed as
 * it streams; nothing of it is held but the bytes of a tag file verify
 * reads, up to the most that file may hold (and only its first copy).
 */
static int
add_member(struct vstate *v, struct archive *a, struct archive_entry *e, const char *rest, size_t *cap,
	   struct cfir_err *err)
{
	struct member *m = member_new(v, rest, cap, err);
	size_t keep = 0, cap_text = 0;
	int ti;

	if (m == NULL)
		return -1;
	m->regular = archive_entry_filetype(e) == AE_IFREG;
	if (!m->regular)
		return 0;
	ti = tag_index(m->path);
	if (ti >= 0 && !v->kept[ti]) {
		/* only its first copy: twice in the archive fails anyway */
		v->kept[ti] = true;
		m->kept = true;
		keep = tag_read[ti].max;
	}
	/* the header says how large it is: a tag file larger than it may be is never held */
	if (keep > 0 && archive_entry_size_is_set(e) && archive_entry_size(e) >= 0 &&
	    (uint64_t)archive_entry_size(e) > keep)
		m->too_large = true;
	else if (keep > 0 && archive_entry_size_is_set(e) && archive_entry_size(e) >= 0)
		cap_text = (size_t)archive_entry_size(e);
	return member_read(a, m, keep, cap_text, err);
}

/* REST, below the bag's directory, names a place inside it (a directory may end in '/'). */
static bool
member_path_ok(struct archive_entry *e, const char *rest)
{
	cleanup_free char *d = NULL;
	size_t n;

	if (archive_entry_filetype(e) != AE_IFDIR)
		return path_ok(rest);
	if ((d = strdup(rest)) == NULL)
		return false;
	for (n = strlen(d); n > 0 && d[n - 1] == '/'; n--)
		d[n - 1] = '\0';
	return *d == '\0' || path_ok(d);
}

/*
 * Every member of the archive, each below one top directory (the bag's):
 * -1 with ERR when the archive cannot be read on, or ^C stopped it.
 */
static int
read_members(struct vstate *v, struct archive *a, const char *path, struct cfir_err *err)
{
	struct archive_entry *e;
	cleanup_free char *top = NULL;
	size_t cap = 0;
	int ar;

	while ((ar = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e), *slash;
		size_t tl;

		if (cfir_interrupt_pending())
			break;
		if (name != NULL && strlen(name) > MEMBER_PATH_MAX) {
			item(v, "archive", false, "a member's name is longer than %u bytes", MEMBER_PATH_MAX);
			continue;
		}
		if (name == NULL || (slash = strchr(name, '/')) == NULL || slash == name) {
			if (name != NULL && archive_entry_filetype(e) == AE_IFDIR && strchr(name, '/') == NULL)
				continue;	/* the bag's own directory */
			item(v, name ? name : "?", false, "outside the bag's directory");
			continue;
		}
		tl = (size_t)(slash - name);
		if (top == NULL && (top = strndup(name, tl)) == NULL)
			return cfir_err_set(err, EX_OSERR, ENOMEM, "verify");
		if (strlen(top) != tl || strncmp(top, name, tl) != 0 || !member_path_ok(e, slash + 1)) {
			item(v, name, false, "outside the bag's directory");
			continue;
		}
		if (archive_entry_filetype(e) == AE_IFDIR)
			continue;
		if (add_member(v, a, e, slash + 1, &cap, err) < 0) {
			if (cfir_interrupt_pending())
				break;
			return -1;
		}
	}
	if (cfir_interrupt_pending())
		return cfir_err_set(err, EX_TEMPFAIL, 0, "verify of '%s' interrupted while it read the archive; "
				    "nothing was checked", path);
	if (ar != ARCHIVE_EOF)
		return cfir_err_set(err, EX_DATAERR, 0, "archive '%s': %s", path, archive_error_string(a));
	return 0;
}

int
cfir_bag_verify_archive(const char *path, struct cfir_verify_report *r, struct cfir_err *err)
{
	struct vstate v = { .dirfd = -1, .r = r };
	struct archive *a = archive_read_new();
	size_t i;
	int rc = -1;

	/* a tar and nothing else: the archive is as hostile as any input */
	if (a == NULL) {
		cfir_dl_fail(err, "libarchive", "archive reader");
		goto out;
	}
	if (archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
		cfir_err_set(err, EX_NOINPUT, 0, "archive '%s': %s", path, archive_error_string(a));
		goto out;
	}
	if (read_members(&v, a, path, err) < 0)
		goto out;
	if (v.nm > 1)
		qsort(v.m, v.nm, sizeof(*v.m), member_cmp);
	for (i = 1; i < v.nm; i++)
		if (strcmp(v.m[i - 1].path, v.m[i].path) == 0)
			item(&v, v.m[i].path, false, "twice in the archive");
	rc = verify(&v, path, err);
out:
	members_free(&v);
	if (a != NULL)
		archive_read_free(a);
	return rc;
}
