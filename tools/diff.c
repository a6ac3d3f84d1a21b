/* diff.c - what changed in the writable layer: typed, hashed, collected, on a timeline */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fileflags.h"
#include "common/filetype.h"
#include "common/hash.h"
#include "common/overlay.h"
#include "common/tarout.h"
#include "common/typeq.h"
#include "common/util.h"
#include "tools/tool.h"

/*
 * The walk's thread reads, hashes and collects each entry and hands it to
 * the type queue; libmagic types it on a worker, and its record, its
 * bodyfile line and its row are written there, in walk order (emit).
 */
struct ctx {
	struct tool_step *s;
	const struct diff_opts *o;
	struct cfir_writer *json, *body;
	struct cfir_tarout *tar;
	struct cfir_typeq *q;
	/* the walk's */
	uint64_t collected;
	size_t counts[3], skipped_collect;
	struct cfir_hash *h;
	unsigned char buf[1 << 16];
	/* the emitter's */
	size_t n;
	struct keys *keys;	/* "K /path" of every entry, for the engine cross-check */
	bool text_header;
};

/* An entry on its way to the emitter: a copy, its strings in BYTES. */
struct item {
	struct cfir_overlay_entry e;
	const char *why;	/* not collected, or NULL */
	bool hashed, short_read;
	char sha256[CFIR_SHA256_HEX];
	char bytes[];
};

struct keys;
static int keys_match(struct keys *ks, char kind, const char *p, size_t n);

/* TSK's mode string: "r/rrwxr-xr-x", "d/drwxr-xr-x", "l/lrwxrwxrwx"... */
static void
tsk_mode(mode_t m, char *out)
{
	char t = S_ISREG(m) ? 'r' : S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : S_ISCHR(m) ? 'c' :
		 S_ISBLK(m) ? 'b' : S_ISFIFO(m) ? 'p' : S_ISSOCK(m) ? 's' : '-';
	const char *rwx = "rwxrwxrwx";
	int i;

	out[0] = t, out[1] = '/', out[2] = t;
	for (i = 0; i < 9; i++)
		out[3 + i] = (m & (0400 >> i)) ? rwx[i] : '-';
	if (m & 04000)
		out[5] = (m & 0100) ? 's' : 'S';
	if (m & 02000)
		out[8] = (m & 010) ? 's' : 'S';
	if (m & 01000)
		out[11] = (m & 01) ? 't' : 'T';
	out[12] = '\0';
}

static void
add_time(cJSON *o, const char *key, const struct timespec *ts)
{
	char t[CFIR_TIME_LEN];

	cfir_util_time_rfc3339(ts, t);
	cfir_json_add_str(o, key, t);
}

/* What a responder scans for in what changed. */
#define DIFF_FLAGS (CFIR_FILEFLAG_SETUID | CFIR_FILEFLAG_SETGID | CFIR_FILEFLAG_WORLD_WRITABLE | \
		    CFIR_FILEFLAG_EXECUTABLE | CFIR_FILEFLAG_ELF | CFIR_FILEFLAG_ELF_OUTSIDE_BIN | \
		    CFIR_FILEFLAG_SCRIPT | CFIR_FILEFLAG_TMP | CFIR_FILEFLAG_HIDDEN | CFIR_FILEFLAG_LARGE)

static cJSON *
flags_of(const struct cfir_overlay_entry *e, const unsigned char *head, size_t headlen,
	 uint64_t large)
{
	return cfir_fileflags_json(cfir_fileflags_get(&(struct cfir_fileflags_of){
		.path = e->path, .mode = e->st.st_mode, .size = (uint64_t)e->st.st_size,
		.large = large, .head = head, .headlen = headlen }, DIFF_FLAGS));
}

static int
emit_json(struct ctx *c, cJSON *o, struct cfir_err *err)
{
	size_t len;
	char *s = cfir_json_print(o, &len);
	const char *sep;
	int r;

	if (s == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "diff");
	sep = c->n++ > 0 ? ",\n" : "\n";
	r = cfir_writer_write(c->json, sep, strlen(sep), err);
	if (r == 0)
		r = cfir_writer_write(c->json, s, len, err);
	free(s);
	return r;
}

/* Read a regular file once: hash, first bytes, and into the tar when collected. */
static int
content(struct ctx *c, const struct cfir_overlay_entry *e, bool collect, struct item *it,
	unsigned char *head, size_t *headlen, struct cfir_err *err)
{
	uint64_t left = (uint64_t)e->st.st_size, got = 0;
	unsigned char md[CFIR_SHA256_LEN];
	ssize_t n;

	*headlen = 0;
	while (left > 0) {
		n = read(e->fd, c->buf, left < sizeof(c->buf) ? (size_t)left : sizeof(c->buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		cfir_hash_update(c->h, c->buf, (size_t)n);
		if (*headlen < CFIR_FILETYPE_BYTES) {
			size_t take = CFIR_FILETYPE_BYTES - *headlen < (size_t)n ? CFIR_FILETYPE_BYTES - *headlen : (size_t)n;

			memcpy(head + *headlen, c->buf, take);
			*headlen += take;
		}
		if (collect && cfir_tarout_data(c->tar, c->buf, (size_t)n, err) < 0)
			return -1;
		got += (uint64_t)n;
		left -= (uint64_t)n;
	}
	cfir_hash_final(c->h, md);
	cfir_hex(md, sizeof(md), it->sha256);
	if (collect)
		cfir_tarout_digest(c->tar, md);
	it->hashed = true;
	/* the tar holds the size the header promised; say when the file did not */
	it->short_read = got != (uint64_t)e->st.st_size;
	return 0;
}

/* The entry as the record and diff.json hold it: everything but its content. */
static void
entry_json(cJSON *o, const struct cfir_overlay_entry *e)
{
	char k[2] = { e->kind, '\0' }, mode[16];

	cfir_json_add_bytes(o, "path", e->path, e->pathlen);
	cfir_json_add_str(o, "kind", k);
	cfir_json_add_str(o, "type", e->kind == 'D' ? "whiteout" : cfir_filetype_name(e->st.st_mode));
	snprintf(mode, sizeof(mode), "%04o", (unsigned)(e->st.st_mode & 07777));
	cfir_json_add_str(o, "mode", mode);
	cfir_json_add_num(o, "uid", e->st.st_uid);
	cfir_json_add_num(o, "gid", e->st.st_gid);
	cfir_json_add_num(o, "size", (double)e->st.st_size);
	add_time(o, "atime", &e->st.st_atim);
	add_time(o, "mtime", &e->st.st_mtim);
	add_time(o, "ctime", &e->st.st_ctim);
	cfir_json_add_num(o, "inode", (double)e->st.st_ino);
	if (e->link != NULL)
		cfir_json_add_bytes(o, "link", e->link, strlen(e->link));
	if (e->opaque)
		cJSON_AddBoolToObject(o, "opaque", true);
	if (e->redirect != NULL)
		cfir_json_add_bytes(o, "redirect", e->redirect, strlen(e->redirect));
	if (e->metacopy)
		cJSON_AddBoolToObject(o, "metacopy", true);
}

/* Why the entry's content stays out of upper.tar, or NULL to take it. */
static const char *
not_taken(const struct ctx *c, const struct cfir_overlay_entry *e)
{
	if (c->tar == NULL || e->kind == 'D')
		return NULL;
	if (S_ISREG(e->st.st_mode)) {
		if (e->fd < 0)
			return "could not be opened as a regular file";
		if ((uint64_t)e->st.st_size > c->o->max_file)
			return "larger than --max-file-size";
		if (c->collected + (uint64_t)e->st.st_size > c->o->max_total)
			return "past --max-total";
	} else if (!S_ISDIR(e->st.st_mode) && !S_ISLNK(e->st.st_mode)) {
		return "not a file, directory or symlink: listed, never opened";
	}
	return NULL;
}

/* the timeline: MD5|name|inode|mode|UID|GID|size|atime|mtime|ctime|crtime */
static int
body_line(struct ctx *c, const struct cfir_overlay_entry *e, struct cfir_err *err)
{
	struct cfir_text t = { 0 };
	char mode[16];
	int r;

	tsk_mode(e->st.st_mode, mode);
	cfir_text_printf(&t, "0|");
	cfir_vis_text(&t, e->path, e->pathlen, CFIR_VIS_FIELD);
	cfir_text_printf(&t, "%s|%llu|%s|%u|%u|%lld|%lld|%lld|%lld|0\n", e->kind == 'D' ? " (deleted)" : "",
			 (unsigned long long)e->st.st_ino, mode, (unsigned)e->st.st_uid, (unsigned)e->st.st_gid,
			 (long long)e->st.st_size, (long long)e->st.st_atim.tv_sec,
			 (long long)e->st.st_mtim.tv_sec, (long long)e->st.st_ctim.tv_sec);
	r = t.oom ? cfir_err_set(err, EX_OSERR, ENOMEM, "bodyfile") : cfir_writer_write(c->body, t.p, t.len, err);
	free(t.p);
	return r;
}

static void
sha16(struct cfir_text *t, const cJSON *o)
{
	const char *sha = cfir_json_str(o, "sha256");

	cfir_text_printf(t, "%.16s", sha ? sha : "-");
}

/* the path, where a link points, and the flags */
static void
path_cell(struct cfir_text *t, const cJSON *o)
{
	static const struct cfir_field path = { "path", NULL, CFIR_FMT_BYTES, 0, 0, NULL };
	static const struct cfir_field link = { "link", NULL, CFIR_FMT_BYTES, 0, 0, NULL };
	const cJSON *f;

	cfir_field_text(t, o, &path);
	if (cJSON_GetObjectItem(o, "link") != NULL) {
		cfir_text_printf(t, " -> ");
		cfir_field_text(t, o, &link);
	}
	cJSON_ArrayForEach(f, cJSON_GetObjectItem(o, "flags"))
		cfir_text_printf(t, " [%s]", f->valuestring);
}

static const struct cfir_field columns[] = {
	{ "kind", "K", CFIR_FMT_STR, 1, 0, NULL },
	{ "type", "TYPE", CFIR_FMT_STR, 8, 0, NULL },
	{ "mode", "MODE", CFIR_FMT_STR, 4, 0, NULL },
	{ "size", "SIZE", CFIR_FMT_NUM, 10, CFIR_FIELD_RIGHT, NULL },
	{ NULL, "SHA256", CFIR_FMT_STR, 16, 0, sha16 },
	{ NULL, "PATH", CFIR_FMT_STR, 0, 0, path_cell },
	{ 0 },
};

/* The entry kept for the emitter: the walk reuses its strings. */
static struct item *
item_new(const struct cfir_overlay_entry *e)
{
	size_t nl = e->link ? strlen(e->link) + 1 : 0, nr = e->redirect ? strlen(e->redirect) + 1 : 0;
	struct item *it = malloc(sizeof(*it) + e->pathlen + 1 + nl + nr);
	char *p;

	if (it == NULL)
		return NULL;
	memset(it, 0, sizeof(*it));
	it->e = *e;
	it->e.fd = -1;
	p = it->bytes;
	memcpy(p, e->path, e->pathlen);
	p[e->pathlen] = '\0';
	it->e.path = p;
	p += e->pathlen + 1;
	if (e->link != NULL) {
		memcpy(p, e->link, nl);
		it->e.link = p;
		p += nl;
	}
	if (e->redirect != NULL) {
		memcpy(p, e->redirect, nr);
		it->e.redirect = p;
	}
	return it;
}

/* The walk's part: collected, read, hashed, queued. */
static int
on_entry(void *ctx, const struct cfir_overlay_entry *e, struct cfir_err *err)
{
	struct ctx *c = ctx;
	struct item *it = item_new(e);
	unsigned char head[CFIR_FILETYPE_BYTES];
	size_t headlen = 0;
	const char *why = not_taken(c, e);
	bool collect = c->tar != NULL && e->kind != 'D' && why == NULL;

	if (it == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "diff");
	c->counts[e->kind == 'A' ? 0 : e->kind == 'C' ? 1 : 2]++;
	if ((collect && cfir_tarout_header(c->tar, e->path + 1, &e->st, e->link, err) < 0) ||
	    (S_ISREG(e->st.st_mode) && e->kind != 'D' && e->fd >= 0 &&
	     content(c, e, collect, it, head, &headlen, err) < 0)) {
		free(it);
		return -1;
	}
	if (collect && S_ISREG(e->st.st_mode))
		c->collected += (uint64_t)e->st.st_size;
	it->why = why;
	if (why != NULL)
		c->skipped_collect++;
	return cfir_typeq_put(c->q, head, headlen, it, err);
}

/* The emitter's part, in walk order: the record, the bodyfile line, the row. */
static int
emit(void *ctx, void *payload, const unsigned char *head, size_t headlen, bool typed,
     const char *mime, const char *desc, struct cfir_err *err)
{
	struct ctx *c = ctx;
	struct item *it = payload;
	const struct cfir_overlay_entry *e = &it->e;
	cleanup_cjson cJSON *o = cJSON_CreateObject();
	int r = -1;

	entry_json(o, e);
	if (it->hashed) {
		cfir_json_add_str(o, "sha256", it->sha256);
		if (it->short_read)
			cfir_json_add_str(o, "note", "the file changed size while it was read");
	}
	if (typed)
		cfir_filetype_json_add(o, mime, desc);
	if (it->why != NULL)
		cfir_json_add_str(o, "not_collected", it->why);
	cJSON_AddItemToObject(o, "flags", flags_of(e, head, headlen, c->o->large));
	if (body_line(c, e, err) < 0)
		goto out;
	if (keys_match(c->keys, e->kind, e->path, e->pathlen) < 0) {
		cfir_err_set(err, EX_OSERR, ENOMEM, "diff");
		goto out;
	}
	if (emit_json(c, o, err) < 0)
		goto out;
	if (!c->text_header)
		cfir_out_head(c->s->out, columns);
	c->text_header = true;
	cfir_out_row(c->s->out, o, columns);
	r = 0;
out:
	free(it);
	return r;
}

static void
drop(void *ctx, void *payload)
{
	(void)ctx;
	free(payload);
}

/*
 * The engine's change list, sorted, each entry marked when the walk meets
 * it: walk-only entries are said as they come, engine-only ones after.
 * Nothing is kept per walked entry, so memory does not grow with the
 * number or length of the paths the container made (the engine's reply
 * is bounded by CFIR_ENGINE_REPLY_MAX).
 */
#define CHECK_LISTED 1000

struct keys {
	char **k;		/* into POOL, one allocation for them all */
	char *pool;
	bool *seen;
	size_t n;
	bool loaded;
	char *err;
	cJSON *walk_only;
	size_t nwalk_only;
	char *buf;		/* "K /path" of the entry being matched */
	size_t bufcap;
};

static void
keys_free(struct keys *ks)
{
	free(ks->k);
	free(ks->pool);
	free(ks->seen);
	free(ks->err);
	free(ks->buf);
	cJSON_Delete(ks->walk_only);
}

static int
kcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A change the engine listed as one of its three kinds, or NULL. */
static const char *
change_path(const cJSON *c, char *kind)
{
	static const char kinds[] = "CAD";	/* the engine's 0, 1, 2 */
	const cJSON *p = cJSON_GetObjectItem(c, "Path"), *k = cJSON_GetObjectItem(c, "Kind");

	if (!cJSON_IsString(p) || !cJSON_IsNumber(k) || k->valueint < 0 || k->valueint > 2)
		return NULL;
	*kind = kinds[k->valueint];
	return p->valuestring;
}

/* The keys "K /path", all in one pool: sized first, then filled. */
static int
keys_fill(struct keys *ks, const cJSON *changes)
{
	const cJSON *c;
	const char *p;
	size_t n = 0, bytes = 0, len;
	char kind, *at;

	cJSON_ArrayForEach(c, changes)
		if ((p = change_path(c, &kind)) != NULL) {
			n++;
			bytes += strlen(p) + 3;
		}
	ks->k = malloc((n ? n : 1) * sizeof(*ks->k));
	ks->pool = malloc(bytes ? bytes : 1);
	if (ks->k == NULL || ks->pool == NULL)
		return -1;
	at = ks->pool;
	cJSON_ArrayForEach(c, changes)
		if ((p = change_path(c, &kind)) != NULL) {
			len = strlen(p);
			at[0] = kind;
			at[1] = ' ';
			memcpy(at + 2, p, len + 1);
			ks->k[ks->n++] = at;
			at += len + 3;
		}
	return 0;
}

/* The engine's change list, before the walk. */
static void
keys_load(struct tool_step *s, bool keep, struct keys *ks)
{
	cleanup_free char *path = NULL, *reply = NULL;
	cleanup_cjson cJSON *changes = NULL;
	struct cfir_err err = { 0 };
	size_t len = 0;

	ks->walk_only = cJSON_CreateArray();
	if (s->e == NULL || s->t->inspect == NULL) {
		ks->err = strdup("not compared: no engine (the runtime state on the host described the container)");
		return;
	}
	if (asprintf(&path, "/containers/%s/changes", s->t->id) < 0 ||
	    cfir_engine_call(s->e, "GET", path, NULL, &reply, &len, &err) < 0) {
		ks->err = strdup(err.msg[0] ? err.msg : "out of memory");
		if (keep) {	/* evidence missing, not only a comparison */
			cfir_err_wrap(&err, "changes.json");
			tool_soft_fail(s, &err);
		}
		return;
	}
	/* what it was compared with, as the engine said it: collect's inspect leaves it to the diff */
	if (keep && cfir_bag_add_buffer(s->bag, "engine", "changes.json", reply, len, &err) < 0)
		tool_soft_fail(s, &err);
	changes = cJSON_ParseWithLength(reply, len);
	if (changes == NULL) {
		ks->err = strdup("the engine's change list is not JSON");
		return;
	}
	if (keys_fill(ks, changes) < 0) {
		ks->err = strdup("out of memory");
		return;
	}
	if (ks->n > 1)
		qsort(ks->k, ks->n, sizeof(*ks->k), kcmp);
	ks->seen = calloc(ks->n ? ks->n : 1, sizeof(*ks->seen));
	ks->loaded = ks->seen != NULL;
}

/* One walked entry against the engine's list. */
static int
keys_match(struct keys *ks, char kind, const char *p, size_t n)
{
	char *key = NULL, **hit;

	if (!ks->loaded)
		return 0;
	if (n + 3 > ks->bufcap) {
		char *nb = realloc(ks->buf, n + 3);

		if (nb == NULL)
			return -1;
		ks->buf = nb;
		ks->bufcap = n + 3;
	}
	ks->buf[0] = kind;
	ks->buf[1] = ' ';
	memcpy(ks->buf + 2, p, n);
	ks->buf[n + 2] = '\0';
	key = ks->buf;
	hit = ks->n ? bsearch(&key, ks->k, ks->n, sizeof(*ks->k), kcmp) : NULL;
	if (hit != NULL) {
		ks->seen[hit - ks->k] = true;
		return 0;
	}
	if (ks->nwalk_only++ < CHECK_LISTED) {
		cJSON *o = cJSON_CreateObject();

		cfir_json_add_bytes(o, "k", ks->buf, n + 2);	/* escaped where it is not UTF-8 */
		cJSON_AddItemToArray(ks->walk_only, cJSON_DetachItemFromObject(o, "k"));
		cJSON_Delete(o);
	}
	return 0;
}

/* The engine's change list against the walk: what one has and the other not (bounded lists). */
static cJSON *
keys_report(struct keys *ks)
{
	cJSON *out = cJSON_CreateObject(), *only_e, *only_w, *x;
	size_t i, ne = 0;

	if (!ks->loaded) {
		cfir_json_add_str(out, "error", ks->err ? ks->err : "out of memory");
		return out;
	}
	only_e = cJSON_AddArrayToObject(out, "engine_only");
	for (i = 0; i < ks->n; i++)
		if (!ks->seen[i] && ne++ < CHECK_LISTED)
			cJSON_AddItemToArray(only_e, cJSON_CreateString(ks->k[i]));
	only_w = cJSON_AddArrayToObject(out, "walk_only");
	cJSON_ArrayForEach(x, ks->walk_only)
		cJSON_AddItemToArray(only_w, cJSON_Duplicate(x, true));
	cfir_json_add_num(out, "engine_changes", (double)ks->n);
	if (ne > CHECK_LISTED)
		cfir_json_add_num(out, "engine_only_total", (double)ne);
	if (ks->nwalk_only > CHECK_LISTED)
		cfir_json_add_num(out, "walk_only_total", (double)ks->nwalk_only);
	return out;
}

static void
init(void *opts)
{
	struct diff_opts *o = opts;

	o->max_file = 64ull << 20;
	o->max_total = 1ull << 30;
	o->large = 10ull << 20;
}

/* the layers as the engine made them; the container's mount table is only compared */
static int
prepare(struct tool_step *s, void *opts, int argc, char **argv)
{
	(void)opts, (void)argc, (void)argv;
	if (tool_target_rootfs(s) < 0)
		return -1;
	if (s->t->rootfs_from == NULL)
		return cfir_err_set(&s->err, EX_UNAVAILABLE, 0, "container '%s': no writable layer to read: %s",
				    s->t->name, s->t->rootfs_check ? s->t->rootfs_check : "none is known");
	if (s->t->rootfs_mismatch)
		tool_warn(s, "container '%s': %s; the engine's upper directory is read", s->t->name,
			  s->t->rootfs_check);
	return 0;
}

/* {"container":...,"entries":[ ... streamed ... ],"engine_check":...} */
static int
open_files(struct ctx *c)
{
	struct tool_step *s = c->s;
	cleanup_cjson cJSON *hd = cJSON_CreateObject();
	cleanup_free char *js = NULL;
	size_t len;

	c->h = cfir_hash_new();
	if (c->h == NULL)
		return cfir_err_set(&s->err, EX_OSERR, ENOMEM, "diff");
	if (cfir_writer_open(s->bag, "fs", "diff.json", &c->json, &s->err) < 0 ||
	    cfir_writer_open(s->bag, "fs", "bodyfile", &c->body, &s->err) < 0 ||
	    (!c->o->no_collect && cfir_tarout_open(s->bag, "fs", "upper", &c->tar, &s->err) < 0))
		return -1;
	cfir_json_add_str(hd, "container", s->t->id);
	cfir_json_add_str(hd, "upperdir", s->t->rootfs.upper);
	cfir_json_add_str(hd, "rootfs_from", s->t->rootfs_from);
	if (s->t->rootfs_check != NULL)
		cfir_json_add_bytes(hd, "rootfs_check", s->t->rootfs_check, strlen(s->t->rootfs_check));
	cJSON_AddBoolToObject(hd, "frozen", s->t->paused);
	js = cfir_json_print(hd, &len);
	if (js == NULL)
		return cfir_err_set(&s->err, EX_OSERR, ENOMEM, "diff");
	if (cfir_writer_write(c->json, js, len - 1, &s->err) < 0 ||
	    cfir_writer_write(c->json, ",\"entries\":[", 12, &s->err) < 0)
		return -1;
	return 0;
}

/* "],": then the tail object's members */
static int
close_json(struct ctx *c, const cJSON *check, bool intr, const struct cfir_overlay_stats *st,
	   struct cfir_err *err)
{
	cleanup_cjson cJSON *tail = cJSON_CreateObject();
	cleanup_free char *js = NULL;
	size_t len;

	if (check != NULL)
		cJSON_AddItemToObject(tail, "engine_check", cJSON_Duplicate(check, true));
	if (intr)
		cJSON_AddBoolToObject(tail, "interrupted", true);
	cfir_json_add_num(tail, "skipped_subtrees", (double)st->skipped);
	if (st->skipped)
		cfir_json_add_str(tail, "first_skipped", st->first_skip);
	js = cfir_json_print(tail, &len);
	if (js == NULL || cfir_writer_write(c->json, "\n],", 3, err) < 0 ||
	    cfir_writer_write(c->json, js + 1, len - 1, err) < 0 || cfir_writer_write(c->json, "\n", 1, err) < 0)
		return js == NULL ? cfir_err_set(err, EX_OSERR, ENOMEM, "diff") : -1;
	return 0;
}

/* One writer kept when KEEP (whole, or cut short by an interrupt), dropped otherwise. */
static int
finish(struct cfir_writer *w, bool keep, struct cfir_err *err)
{
	if (w == NULL)
		return 0;
	if (keep)
		return cfir_writer_commit(w, err);
	cfir_writer_abort(w);
	return 0;
}

/* an interrupted walk still closes its files whole: what was walked is complete */
static int
close_files(struct ctx *c, int rc, bool intr)
{
	struct cfir_err cerr = { 0 }, *err = rc == 0 ? &c->s->err : &cerr;

	if (c->tar != NULL && cfir_tarout_close(c->tar, rc == 0 || intr, err) < 0)
		rc = -1;
	if (finish(c->json, rc == 0 || intr, err) < 0)
		rc = -1;
	if (finish(c->body, rc == 0 || intr, err) < 0)
		rc = -1;
	return rc;
}

static cJSON *
details_of(const struct ctx *c, const struct cfir_overlay_stats *st, bool intr, cJSON *check)
{
	const struct cfir_target *t = c->s->t;
	cJSON *d = cJSON_CreateObject();

	cfir_json_add_num(d, "added", (double)c->counts[0]);
	cfir_json_add_num(d, "changed", (double)c->counts[1]);
	cfir_json_add_num(d, "deleted", (double)c->counts[2]);
	cfir_json_add_num(d, "collected_bytes", (double)c->collected);
	cfir_json_add_num(d, "not_collected", (double)c->skipped_collect);
	cJSON_AddBoolToObject(d, "collect", !c->o->no_collect);
	cfir_json_add_str(d, "upperdir", t->rootfs.upper);
	cfir_json_add_str(d, "rootfs_from", t->rootfs_from);
	cfir_json_add_str(d, "access", st->access);
	if (intr)
		cJSON_AddBoolToObject(d, "interrupted", true);
	if (t->rootfs_check != NULL)
		cfir_json_add_bytes(d, "rootfs_check", t->rootfs_check, strlen(t->rootfs_check));
	if (t->rootfs_mismatch)
		cJSON_AddBoolToObject(d, "rootfs_mismatch", true);
	cJSON_AddBoolToObject(d, "frozen", t->paused);
	if (check != NULL)
		cJSON_AddItemToObject(d, "engine_check", check);
	return d;
}

/* what the engine and the layer disagree on */
static void
disagreements(struct tool_step *s, const cJSON *check, const struct cfir_overlay_stats *st)
{
	const cJSON *x;

	cJSON_ArrayForEach(x, cJSON_GetObjectItem(check, "engine_only"))
		tool_warn(s, "the engine lists '%s', the layer does not show it", x->valuestring);
	cJSON_ArrayForEach(x, cJSON_GetObjectItem(check, "walk_only"))
		tool_warn(s, "the layer shows '%s', the engine does not list it", x->valuestring);
	if (st->skipped)
		tool_warn(s, "%zu subtrees not walked; the first: %s", st->skipped, st->first_skip);
}

/* The walk, its entries typed on workers and emitted in order; every one out when it returns. */
static int
walk_typed(struct ctx *c, struct cfir_overlay_stats *st)
{
	const struct cfir_typeq_ops ops = { emit, drop, c };
	struct cfir_typeq_stats qs;
	struct cfir_err qerr = { 0 };
	struct tool_step *s = c->s;
	int rc;

	if (cfir_typeq_open(&c->q, 0, true, &ops, &s->err) < 0)
		return -1;
	rc = cfir_overlay_walk(&s->t->rootfs, on_entry, c, st, &s->err);
	if (cfir_typeq_close(c->q, &qs, &qerr) < 0 && rc == 0) {
		s->err = qerr;
		rc = -1;
	}
	c->q = NULL;
	if (qs.untyped[0] != '\0')
		tool_warn(s, "%s", qs.untyped);	/* the entries are listed untyped */
	return rc;
}

static int
run(struct tool_step *s, void *opts, int argc, char **argv)
{
	struct cfir_overlay_stats st = { 0 };
	struct ctx *c = calloc(1, sizeof(*c));
	struct keys walk = { 0 };
	struct cfir_err werr = { 0 };
	cJSON *check = NULL;
	bool intr = false;
	int rc;

	(void)argc, (void)argv;
	if (c == NULL)
		return cfir_err_set(&s->err, EX_OSERR, ENOMEM, "out of memory");
	c->s = s;
	c->o = opts;
	rc = open_files(c);
	if (rc == 0) {
		keys_load(s, c->o->keep_changes, &walk);
		c->keys = &walk;
		rc = walk_typed(c, &st);
		/* interrupted: the entries so far are a whole document, the record says partial */
		intr = rc < 0 && cfir_interrupt_pending();
		check = intr ? NULL : keys_report(&walk);
		if ((rc == 0 || intr) && close_json(c, check, intr, &st, &werr) < 0 && rc == 0) {
			rc = -1;
			s->err = werr;
		}
		disagreements(s, check, &st);
	}
	rc = close_files(c, rc, intr);
	s->details = details_of(c, &st, intr, check);
	keys_free(&walk);
	cfir_hash_free(c->h);
	free(c);
	return rc;
}

static const struct tool_opt opts[] = {
	TOOL_OPT("large", 0, TOOL_OPT_SIZE, struct diff_opts, large),
	TOOL_OPT("max-file-size", 0, TOOL_OPT_SIZE, struct diff_opts, max_file),
	TOOL_OPT("max-total", 0, TOOL_OPT_SIZE, struct diff_opts, max_total),
	TOOL_OPT("no-collect", 0, TOOL_OPT_FLAG, struct diff_opts, no_collect),
	{ 0 },
};

static const char diff_usage[] =
	"usage: cfir diff [-h] [-o bag] [--case case] [--examiner name] [--no-collect]\n"
	"                 [--max-file-size size] [--max-total size] [--large size]\n"
	"                 container\n";

const struct tool_cmd cmd_diff = {
	.name = "diff", .usage = diff_usage, .needs = TOOL_TARGET | TOOL_BAG, .min_args = 1, .max_args = 1,
	.summary = "what changed in the writable layer: typed, hashed, collected, timeline",
	.opts = opts, .opts_size = sizeof(struct diff_opts), .init = init, .prepare = prepare, .run = run,
};
