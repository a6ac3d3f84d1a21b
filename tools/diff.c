/* diff.c - what changed in the writable layer: typed, hashed, collected, on a timeline */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/filetype.h"
#include "common/hash.h"
#include "common/overlay.h"
#include "common/tarout.h"
#include "common/util.h"
#include "tools/tool.h"

static const char usage[] =
	"usage: cfir diff [-h] [-o bag] [--case case] [--examiner name] [--no-collect]\n"
	"                 [--max-file-size bytes] [--max-total bytes] [--large bytes]\n"
	"                 container\n";

enum { OPT_NO_COLLECT = 0x400, OPT_MAX_FILE, OPT_MAX_TOTAL, OPT_LARGE };

struct ctx {
	struct cfir_global *g;
	struct cfir_bag *bag;
	struct cfir_writer *json, *body;
	struct cfir_tarout *tar;
	unsigned long max_file, max_total, large;
	uint64_t collected;
	size_t counts[3], skipped_collect, n;
	struct cfir_hash *h;
	struct keys *keys;	/* "K /path" of every entry, for the engine cross-check */
	unsigned char buf[1 << 16];
	bool text_header;
};

struct keys;
static int keys_match(struct keys *ks, char kind, const char *p, size_t n);

static const char *
type_of(mode_t m)
{
	return S_ISREG(m) ? "file" : S_ISDIR(m) ? "dir" : S_ISLNK(m) ? "symlink" : S_ISCHR(m) ? "char" :
	       S_ISBLK(m) ? "block" : S_ISFIFO(m) ? "fifo" : S_ISSOCK(m) ? "socket" : "unknown";
}

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

/* A bodyfile field: '|' and anything a line could break on, escaped. */
static void
body_name(FILE *f, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '|' || c == '\\' || c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

static void
add_time(cJSON *o, const char *key, const struct timespec *ts)
{
	char t[CFIR_TIME_LEN];

	cfir_util_time_rfc3339(ts, t);
	cfir_json_add_str(o, key, t);
}

static const char *
basename_of(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static bool
under(const char *p, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(p, dir, n) == 0 && p[n] == '/';
}

static cJSON *
flags_of(const struct cfir_ovl_entry *e, const unsigned char *head, size_t headlen,
	 unsigned long large)
{
	cJSON *f = cJSON_CreateArray();
	mode_t m = e->st.st_mode;

#define FLAG(cond, name) \
	if (cond) \
		cJSON_AddItemToArray(f, cJSON_CreateString(name))
	FLAG(S_ISREG(m) && (m & 04000), "setuid");
	FLAG(S_ISREG(m) && (m & 02000), "setgid");
	FLAG(S_ISREG(m) && (m & 0111), "executable");
	FLAG(headlen >= 4 && memcmp(head, "\x7f" "ELF", 4) == 0, "elf");
	FLAG(headlen >= 2 && head[0] == '#' && head[1] == '!', "script");
	FLAG(under(e->path, "/tmp") || under(e->path, "/var/tmp") || under(e->path, "/dev/shm"), "tmp");
	FLAG(basename_of(e->path)[0] == '.', "hidden");
	FLAG(S_ISREG(m) && (unsigned long)e->st.st_size > large, "large");
#undef FLAG
	return f;
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
content(struct ctx *c, const struct cfir_ovl_entry *e, bool collect, cJSON *o,
	unsigned char *head, size_t *headlen, struct cfir_err *err)
{
	char hex[CFIR_SHA256_HEX];
	uint64_t left = (uint64_t)e->st.st_size, got = 0;
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
	cfir_hash_final_hex(c->h, hex);
	cfir_json_add_str(o, "sha256", hex);
	/* the tar holds the size the header promised; say when the file did not */
	if (got != (uint64_t)e->st.st_size)
		cfir_json_add_str(o, "note", "the file changed size while it was read");
	return 0;
}

static int
on_entry(void *ctx, const struct cfir_ovl_entry *e, struct cfir_err *err)
{
	struct ctx *c = ctx;
	cleanup_cjson cJSON *o = cJSON_CreateObject();
	unsigned char head[CFIR_FILETYPE_BYTES];
	size_t headlen = 0;
	const char *why = NULL;
	bool collect = c->tar != NULL && e->kind != 'D';
	char k[2] = { e->kind, '\0' }, mode[16];
	FILE *bf;
	cleanup_free char *line = NULL;
	size_t linelen = 0;

	c->counts[e->kind == 'A' ? 0 : e->kind == 'C' ? 1 : 2]++;
	cfir_json_add_bytes(o, "path", e->path, e->pathlen);
	cfir_json_add_str(o, "kind", k);
	cfir_json_add_str(o, "type", e->kind == 'D' ? "whiteout" : type_of(e->st.st_mode));
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

	if (collect && S_ISREG(e->st.st_mode)) {
		if (e->fd < 0)
			why = "could not be opened as a regular file";
		else if ((unsigned long)e->st.st_size > c->max_file)
			why = "larger than --max-file-size";
		else if (c->collected + (uint64_t)e->st.st_size > c->max_total)
			why = "past --max-total";
	} else if (collect && !S_ISDIR(e->st.st_mode) && !S_ISLNK(e->st.st_mode)) {
		why = "not a file, directory or symlink: listed, never opened";
	}
	collect = collect && why == NULL;
	if (collect && cfir_tarout_header(c->tar, e->path + 1, &e->st, e->link, err) < 0)
		return -1;
	if (S_ISREG(e->st.st_mode) && e->kind != 'D' && e->fd >= 0) {
		if (content(c, e, collect, o, head, &headlen, err) < 0)
			return -1;
		if (headlen > 0)
			cfir_filetype_json(o, head, headlen);
	}
	if (collect && S_ISREG(e->st.st_mode))
		c->collected += (uint64_t)e->st.st_size;
	if (why != NULL && c->tar != NULL && e->kind != 'D') {
		cfir_json_add_str(o, "not_collected", why);
		c->skipped_collect++;
	}
	cJSON_AddItemToObject(o, "flags", flags_of(e, head, headlen, c->large));

	/* the timeline: MD5|name|inode|mode|UID|GID|size|atime|mtime|ctime|crtime */
	bf = open_memstream(&line, &linelen);
	if (bf == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "bodyfile");
	tsk_mode(e->st.st_mode, mode);
	fputs("0|", bf);
	body_name(bf, e->path, e->pathlen);
	if (e->kind == 'D')
		fputs(" (deleted)", bf);
	fprintf(bf, "|%llu|%s|%u|%u|%lld|%lld|%lld|%lld|0\n", (unsigned long long)e->st.st_ino, mode,
		(unsigned)e->st.st_uid, (unsigned)e->st.st_gid, (long long)e->st.st_size,
		(long long)e->st.st_atim.tv_sec, (long long)e->st.st_mtim.tv_sec,
		(long long)e->st.st_ctim.tv_sec);
	fclose(bf);
	if (cfir_writer_write(c->body, line, linelen, err) < 0)
		return -1;

	if (keys_match(c->keys, e->kind, e->path, e->pathlen) < 0)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "diff");
	if (emit_json(c, o, err) < 0)
		return -1;
	if (c->g->out.format == CFIR_FORMAT_JSON) {
		cfir_out_record(&c->g->out, o, NULL, NULL);
	} else if (!c->g->out.quiet) {
		const cJSON *sha = cJSON_GetObjectItem(o, "sha256"), *f;

		if (!c->text_header) {
			fprintf(c->g->out.fp, "%s %-8s %-4s %10s %-16s %s\n", "K", "TYPE", "MODE", "SIZE",
				"SHA256", "PATH");
			c->text_header = true;
		}
		fprintf(c->g->out.fp, "%c %-8s %s %10lld %-16.16s ", e->kind,
			tool_jstr(o, "type"), tool_jstr(o, "mode"), (long long)e->st.st_size,
			cJSON_IsString(sha) ? sha->valuestring : "-");
		cfir_vis(c->g->out.fp, e->path, e->pathlen);
		if (e->link != NULL) {
			fputs(" -> ", c->g->out.fp);
			cfir_vis_str(c->g->out.fp, e->link);
		}
		cJSON_ArrayForEach(f, cJSON_GetObjectItem(o, "flags"))
			fprintf(c->g->out.fp, " [%s]", f->valuestring);
		fputc('\n', c->g->out.fp);
	}
	return 0;
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
	char **k;
	bool *seen;
	size_t n, cap;
	bool loaded;
	char *err;
	cJSON *walk_only;
	size_t nwalk_only;
	char *buf;		/* "K /path" of the entry being matched */
	size_t bufcap;
};

static int
keys_add(struct keys *ks, char kind, const char *p, size_t n)
{
	char **nk;

	if (ks->n == ks->cap) {
		ks->cap = ks->cap ? 2 * ks->cap : 1024;
		nk = realloc(ks->k, ks->cap * sizeof(*nk));
		if (nk == NULL)
			return -1;
		ks->k = nk;
	}
	if (asprintf(&ks->k[ks->n], "%c %.*s", kind, (int)n, p) < 0)
		return -1;
	ks->n++;
	return 0;
}

static void
keys_free(struct keys *ks)
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		free(ks->k[i]);
	free(ks->k);
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

/* The engine's change list, before the walk. */
static void
keys_load(struct cfir_engine *e, const struct cfir_target *t, struct keys *ks)
{
	static const char kinds[] = "CAD";	/* the engine's 0, 1, 2 */
	cleanup_free char *path = NULL;
	cleanup_cjson cJSON *changes = NULL;
	struct cfir_err err = { 0 };
	const cJSON *c;

	ks->walk_only = cJSON_CreateArray();
	if (asprintf(&path, "/containers/%s/changes", t->id) < 0 ||
	    cfir_engine_json(e, "GET", path, NULL, &changes, &err) < 0) {
		ks->err = strdup(err.msg[0] ? err.msg : "out of memory");
		return;
	}
	cJSON_ArrayForEach(c, changes) {
		const cJSON *p = cJSON_GetObjectItem(c, "Path"), *k = cJSON_GetObjectItem(c, "Kind");

		if (cJSON_IsString(p) && cJSON_IsNumber(k) && k->valueint >= 0 && k->valueint <= 2 &&
		    keys_add(ks, kinds[k->valueint], p->valuestring, strlen(p->valuestring)) < 0) {
			ks->err = strdup("out of memory");
			return;
		}
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

int
cmd_diff(int argc, char **argv, struct cfir_global *g)
{
	static const struct option longopts[] = {
		TOOL_BAG_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ "large", required_argument, NULL, OPT_LARGE },
		{ "max-file-size", required_argument, NULL, OPT_MAX_FILE },
		{ "max-total", required_argument, NULL, OPT_MAX_TOTAL },
		{ "no-collect", no_argument, NULL, OPT_NO_COLLECT },
		{ NULL, 0, NULL, 0 },
	};
	struct cfir_engine *e = NULL;
	struct cfir_target *t = NULL;
	struct cfir_bag *bag = NULL;
	struct cfir_err err = { 0 }, cerr = { 0 }, werr = { 0 };
	struct tool_bagopts bo;
	struct cfir_ovl_stats st = { 0 };
	struct ctx *c = calloc(1, sizeof(*c));
	struct keys walk = { 0 };
	const struct cfir_rootfs *rootfs;
	bool no_collect = false, intr = false;
	cJSON *details = NULL, *check = NULL, *x;
	unsigned long *dst;
	int opt, rc = 0, r = 0;

	if (c == NULL)
		return cfir_err_report(&(struct cfir_err){ EX_OSERR, ENOMEM, "out of memory" });
	c->g = g;
	c->max_file = 64ul << 20;
	c->max_total = 1ul << 30;
	c->large = 10ul << 20;
	tool_bagopts_init(&bo, g);
	while ((opt = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		if (tool_bagopt(&bo, opt, optarg))
			continue;
		if (opt == OPT_NO_COLLECT) {
			no_collect = true;
			continue;
		}
		dst = opt == OPT_MAX_FILE ? &c->max_file : opt == OPT_MAX_TOTAL ? &c->max_total :
		      opt == OPT_LARGE ? &c->large : NULL;
		if (dst != NULL && cfir_util_parse_ulong(optarg, ~0ul, dst) == 0)
			continue;
		if (dst != NULL)
			cfir_err_print("'%s' is not a number of bytes", optarg);
		free(c);
		return tool_usage(usage, opt != 'h');
	}
	if (argc - optind != 1) {
		free(c);
		return tool_usage(usage, true);
	}
	if (tool_target(g, argv[optind], &e, &t, &err) < 0)
		goto out;
	if (cfir_target_rootfs(t, "/proc", &err) < 0)
		goto out;
	/* the layers as the engine made them; the container's mount table is only compared */
	rootfs = &t->rootfs;
	if (t->rootfs_mismatch)
		cfir_err_warn("container '%s': %s; the engine's upper directory is read", t->name,
			  t->rootfs_check);
	if (tool_bag_open(&bo, t->name, &bag, &err) < 0 || cfir_bag_begin(bag, "diff", t, &err) < 0)
		goto out;
	c->bag = bag;
	c->h = cfir_hash_new();
	if (c->h == NULL || cfir_writer_open(bag, "fs", "diff.json", &c->json, &err) < 0 ||
	    cfir_writer_open(bag, "fs", "bodyfile", &c->body, &err) < 0 ||
	    (!no_collect && cfir_tarout_open(bag, "fs", "upper", &c->tar, &err) < 0)) {
		rc = -1;
		goto end;
	}
	{
		cJSON *hd = cJSON_CreateObject();
		size_t len;
		char *s;

		cfir_json_add_str(hd, "container", t->id);
		cfir_json_add_str(hd, "upperdir", rootfs->upper);
		cfir_json_add_str(hd, "rootfs_from", t->rootfs_from);
		if (t->rootfs_check != NULL)
			cfir_json_add_bytes(hd, "rootfs_check", t->rootfs_check, strlen(t->rootfs_check));
		cJSON_AddBoolToObject(hd, "frozen", t->paused);
		s = cfir_json_print(hd, &len);
		cJSON_Delete(hd);
		/* {"container":...,"entries":[ ... streamed ... ],"engine_check":...} */
		if (s == NULL || cfir_writer_write(c->json, s, len - 1, &err) < 0 ||
		    cfir_writer_write(c->json, ",\"entries\":[", 12, &err) < 0) {
			free(s);
			rc = -1;
			goto end;
		}
		free(s);
	}
	keys_load(e, t, &walk);
	c->keys = &walk;
	rc = cfir_overlay_walk(rootfs, on_entry, c, &st, &err);
	/* interrupted: the entries so far are a whole document, the record says partial */
	intr = rc < 0 && cfir_interrupt_pending();
	check = intr ? NULL : keys_report(&walk);
	if (rc == 0 || intr) {
		cJSON *tail = cJSON_CreateObject();
		int wr;
		size_t len;
		char *s;

		if (check != NULL)
			cJSON_AddItemToObject(tail, "engine_check", cJSON_Duplicate(check, true));
		if (intr)
			cJSON_AddBoolToObject(tail, "interrupted", true);
		cfir_json_add_num(tail, "skipped_subtrees", (double)st.skipped);
		if (st.skipped)
			cfir_json_add_str(tail, "first_skipped", st.first_skip);
		s = cfir_json_print(tail, &len);
		cJSON_Delete(tail);
		/* "],": then the tail object's members */
		wr = s == NULL || cfir_writer_write(c->json, "\n],", 3, &werr) < 0 ||
		     cfir_writer_write(c->json, s + 1, len - 1, &werr) < 0 ||
		     cfir_writer_write(c->json, "\n", 1, &werr) < 0 ? -1 : 0;
		if (wr < 0 && rc == 0) {
			rc = -1;
			err = werr;
		}
		free(s);
	}
	cJSON_ArrayForEach(x, cJSON_GetObjectItem(check, "engine_only"))
		cfir_err_warn("the engine lists '%s', the layer does not show it", x->valuestring);
	cJSON_ArrayForEach(x, cJSON_GetObjectItem(check, "walk_only"))
		cfir_err_warn("the layer shows '%s', the engine does not list it", x->valuestring);
	if (st.skipped)
		cfir_err_warn("%zu subtrees not walked; the first: %s", st.skipped, st.first_skip);
end:
	/* an interrupted walk still closes its files whole: what was walked is complete */
	if (c->tar != NULL && cfir_tarout_close(c->tar, rc == 0 || intr, rc == 0 ? &err : &cerr) < 0 && rc == 0)
		rc = -1;
	if (c->json != NULL) {
		if ((rc == 0 || intr) && cfir_writer_commit(c->json, rc == 0 ? &err : &cerr) < 0)
			rc = -1;
		else if (rc != 0 && !intr)
			cfir_writer_abort(c->json);
	}
	if (c->body != NULL) {
		if ((rc == 0 || intr) && cfir_writer_commit(c->body, rc == 0 ? &err : &cerr) < 0)
			rc = -1;
		else if (rc != 0 && !intr)
			cfir_writer_abort(c->body);
	}
	details = cJSON_CreateObject();
	cfir_json_add_num(details, "added", (double)c->counts[0]);
	cfir_json_add_num(details, "changed", (double)c->counts[1]);
	cfir_json_add_num(details, "deleted", (double)c->counts[2]);
	cfir_json_add_num(details, "collected_bytes", (double)c->collected);
	cfir_json_add_num(details, "not_collected", (double)c->skipped_collect);
	cJSON_AddBoolToObject(details, "collect", !no_collect);
	cfir_json_add_str(details, "upperdir", rootfs ? rootfs->upper : NULL);
	cfir_json_add_str(details, "rootfs_from", t->rootfs_from);
	cfir_json_add_str(details, "access", st.access);
	if (intr)
		cJSON_AddBoolToObject(details, "interrupted", true);
	if (t->rootfs_check != NULL)
		cfir_json_add_bytes(details, "rootfs_check", t->rootfs_check, strlen(t->rootfs_check));
	if (t->rootfs_mismatch)
		cJSON_AddBoolToObject(details, "rootfs_mismatch", true);
	cJSON_AddBoolToObject(details, "frozen", t->paused);
	if (check != NULL)
		cJSON_AddItemToObject(details, "engine_check", check);
	check = NULL;
	if (tool_end(bag, rc, cJSON_GetArraySize(cfir_bag_artifacts(bag)) > 0, &err, details) < 0)
		goto out;
out:
	cJSON_Delete(check);
	keys_free(&walk);
	cfir_hash_free(c->h);
	free(c);
	return tool_done(e, t, bag, &err, r);
}
