/* report-fs.c - the writable layer's changes as a tree, flagged ones first; the export summed up */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/report-private.h"
#include "common/util.h"

#define FLAGGED_MAX 500		/* rows of the flagged table */
#define NEST_MAX 48		/* directories nested in the tree; deeper ones listed flat */

static bool
has_flag(const cJSON *e, const char *const *which)
{
	const cJSON *f;
	size_t i;

	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(e, "flags"))
		for (i = 0; cJSON_IsString(f) && which[i] != NULL; i++)
			if (strcmp(f->valuestring, which[i]) == 0)
				return true;
	return false;
}

static const char *const hot_flags[] = { "setuid", "setgid", "executable", "elf", "elf-outside-bin-dirs",
					 "script", NULL };
static const char *const suid_flags[] = { "setuid", "setgid", NULL };

static void
flags(struct rep *r, const cJSON *e)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(e, "flags")) {
		cfir_html_raw(&r->h, "<span class=\"flag\">");
		cfir_html_str(&r->h, cJSON_IsString(f) ? f->valuestring : NULL, 32);
		cfir_html_raw(&r->h, "</span>");
	}
}

/* kind, type, mode, owner, size, mtime, flags, hash: the cells of one change */
static void
cells(struct rep *r, const cJSON *e, const char *sep)
{
	const char *k = cfir_json_str(e, "kind");
	char kc = k && (k[0] == 'A' || k[0] == 'C' || k[0] == 'D') ? k[0] : '?';

	cfir_html_printf(&r->h, "<span class=\"k%c\">%c</span>%s", kc, kc, sep);
	cfir_html_str(&r->h, cfir_json_str(e, "type"), 12);
	cfir_html_raw(&r->h, sep);
	cfir_html_str(&r->h, cfir_json_str(e, "mode"), 8);
	cfir_html_printf(&r->h, "%s%.0f:%.0f%s", sep, cfir_json_num(e, "uid"), cfir_json_num(e, "gid"), sep);
	rep_bytes(r, cfir_json_num(e, "size"));
	cfir_html_raw(&r->h, sep);
	rep_time_html(r, cfir_json_str(e, "mtime"));
	cfir_html_raw(&r->h, sep);
	flags(r, e);
	cfir_html_raw(&r->h, sep);
	rep_hash(r, cfir_json_str(e, "sha256"), 16);
}

struct pass {
	struct rep *r;
	size_t total, shown, hot, suid;
	/* the tree: the innermost open directory's path, and each open one's length in it */
	struct cfir_text cur;
	size_t lens[NEST_MAX], depth;
	bool open_all;
};

static int
flagged_row(void *ctx, const cJSON *e)
{
	struct pass *p = ctx;

	p->total++;
	if (!has_flag(e, hot_flags))
		return 0;
	p->suid += has_flag(e, suid_flags);
	if (p->hot++ >= FLAGGED_MAX)
		return 0;
	cfir_html_raw(&p->r->h, "<tr><td><code>");
	cfir_html_field(&p->r->h, e, "path", REP_CELL);
	cfir_html_raw(&p->r->h, "</code></td><td>");
	cells(p->r, e, "</td><td>");
	cfir_html_raw(&p->r->h, "</td></tr>\n");
	return 0;
}

/* --- the tree, streamed: directories as <details>, closed when the walk leaves them --- */

static bool
under(const struct pass *p, const char *path, size_t len)
{
	size_t n = p->lens[p->depth - 1];

	return len > n && memcmp(path, p->cur.p, n) == 0 && (path[n] == '/' || n == 1);
}

static void
tree_row(struct pass *p, const cJSON *e, const char *path, size_t len)
{
	struct rep *r = p->r;
	const char *type = cfir_json_str(e, "type");
	bool dir = type != NULL && strcmp(type, "dir") == 0 && p->depth < NEST_MAX;
	size_t skip = p->depth ? p->lens[p->depth - 1] + (p->lens[p->depth - 1] > 1) : 0;

	if (dir)
		cfir_html_printf(&r->h, "<details class=\"fe\"%s><summary>", p->open_all || p->depth < 2 ? " open" : "");
	else
		cfir_html_raw(&r->h, "<div class=\"fe\">");
	cfir_html_raw(&r->h, "<code>");
	cfir_html_text(&r->h, path + skip, len - skip, REP_CELL);
	cfir_html_raw(&r->h, "</code> ");
	cells(r, e, " ");
	cfir_html_raw(&r->h, dir ? "</summary>\n" : "</div>\n");
	if (!dir)
		return;
	p->cur.len = 0;
	cfir_text_add(&p->cur, path, len);
	p->lens[p->depth++] = len;
}

static int
tree_entry(void *ctx, const cJSON *e)
{
	struct pass *p = ctx;
	struct cfir_text exact = { 0 };
	const char *hx = cfir_json_str(e, "path_hex"), *path = cfir_json_str(e, "path");
	size_t len;

	if (p->shown >= p->r->rows || path == NULL)
		return p->shown >= p->r->rows ? CFIR_BAGREAD_STOP : 0;
	p->shown++;
	/* the exact bytes of a name JSON could not hold, for the tree's nesting and the page */
	if (cfir_text_unhex(&exact, hx))
		path = exact.p;
	len = path == exact.p ? exact.len : strlen(path);
	while (p->depth > 0 && !under(p, path, len)) {
		cfir_html_raw(&p->r->h, "</details>\n");
		p->depth--;
	}
	tree_row(p, e, path, len);
	free(exact.p);
	return 0;
}

static void
changes(struct rep *r, const char *cont)
{
	struct pass p = { .r = r };
	struct cfir_err e = { 0 };
	char path[512];
	int fd;

	cfir_html_raw(&r->h, "<h4>Changes in the writable layer</h4>\n");
	if (!rep_artifact(r, cont, "fs/diff.json", path, sizeof(path), &fd))
		return;
	cfir_html_raw(&r->h, "<table class=\"flagged\">\n<tr><th>Flagged first: path</th><th></th><th>Type</th><th>Mode</th>"
		      "<th>Owner</th><th>Size</th><th>Modified</th><th>Flags</th><th>sha256</th></tr>\n");
	if (cfir_bagread_stream(fd, "entries", REP_LINE, flagged_row, &p, NULL, NULL, &e) < 0)
		rep_missing(r, path, &e);
	cfir_html_raw(&r->h, "</table>\n");
	if (p.hot == 0)
		cfir_html_raw(&r->h, "<p>no setuid, setgid, executable or script file among the changes</p>\n");
	rep_more(r, p.hot < FLAGGED_MAX ? p.hot : FLAGGED_MAX, p.hot, "flagged changes", path);
	cfir_html_printf(&r->h, "<p>%zu changes (A added, C changed, D deleted), %zu flagged, %zu setuid or "
			 "setgid:</p>\n<div class=\"mono\">\n", p.total, p.hot, p.suid);
	p.open_all = p.total <= 200;
	if (lseek(fd, 0, SEEK_SET) == 0 &&
	    cfir_bagread_stream(fd, "entries", REP_LINE, tree_entry, &p, NULL, NULL, &e) < 0)
		rep_missing(r, path, &e);
	close(fd);
	for (; p.depth > 0; p.depth--)
		cfir_html_raw(&r->h, "</details>\n");
	cfir_html_raw(&r->h, "</div>\n");
	rep_more(r, p.shown, p.total, "changes", path);
	rep_cite(r, path);
	free(p.cur.p);
}

/* --- the export, summed up from its index --- */

struct members {
	struct rep *r;
	size_t n, shown;
	double bytes;
	size_t elf_out, suid;
	size_t types[6];	/* file, dir, symlink, hardlink, other */
};

static int
member(void *ctx, const cJSON *m)
{
	static const char *const elf_out[] = { "elf-outside-bin-dirs", NULL };
	struct members *t = ctx;
	const char *type = cfir_json_str(m, "type");
	bool out = has_flag(m, elf_out), su = has_flag(m, suid_flags);

	t->n++;
	t->bytes += cfir_json_num(m, "size");
	t->types[!type ? 4 : !strcmp(type, "file") ? 0 : !strcmp(type, "dir") ? 1 : !strcmp(type, "symlink") ? 2
		 : !strcmp(type, "hardlink") ? 3 : 4]++;
	t->elf_out += out;
	t->suid += su;
	if ((!out && !su) || t->shown++ >= FLAGGED_MAX)
		return 0;
	cfir_html_raw(&t->r->h, "<tr><td><code>");
	cfir_html_field(&t->r->h, m, "path", REP_CELL);
	cfir_html_raw(&t->r->h, "</code></td><td>");
	cfir_html_str(&t->r->h, cfir_json_str(m, "mode"), 8);
	cfir_html_raw(&t->r->h, "</td><td class=\"n\">");
	rep_bytes(t->r, cfir_json_num(m, "size"));
	cfir_html_raw(&t->r->h, "</td><td>");
	flags(t->r, m);
	cfir_html_raw(&t->r->h, "</td><td>");
	rep_hash(t->r, cfir_json_str(m, "sha256"), 16);
	cfir_html_raw(&t->r->h, "</td></tr>\n");
	return 0;
}

static void
export_summary(struct rep *r, const char *cont)
{
	struct members t = { .r = r };
	struct cfir_err e = { 0 };
	char path[512], tar[512];
	int fd;

	if (rep_path(tar, sizeof(tar), cont, "export/rootfs.tar") < 0)
		return;
	cfir_html_raw(&r->h, "<h4>The filesystem export</h4>\n");
	if (!rep_artifact(r, cont, "export/rootfs.index.jsonl", path, sizeof(path), &fd))
		return;
	cfir_html_raw(&r->h, "<table class=\"members\">\n<tr><th>setuid, setgid, or ELF outside the bin dirs</th><th>Mode</th>"
		      "<th>Size</th><th>Flags</th><th>sha256</th></tr>\n");
	if (cfir_bagread_jsonl(fd, REP_LINE, member, &t, NULL, &e) < 0)
		rep_missing(r, path, &e);
	close(fd);
	cfir_html_raw(&r->h, "</table>\n");
	rep_more(r, t.shown < FLAGGED_MAX ? t.shown : FLAGGED_MAX, t.shown, "flagged members", path);
	cfir_html_printf(&r->h, "<p>%zu members (%zu files, %zu directories, %zu symbolic links, %zu hard "
			 "links, %zu other), ", t.n, t.types[0], t.types[1], t.types[2], t.types[3], t.types[4]);
	rep_bytes(r, t.bytes);
	cfir_html_printf(&r->h, " of file data; %zu ELF files outside the bin dirs, %zu setuid or setgid</p>\n",
			 t.elf_out, t.suid);
	rep_cite(r, path);
	rep_cite(r, tar);
}

void
rep_filesystem(struct rep *r, const char *cont)
{
	changes(r, cont);
	export_summary(r, cont);
}
