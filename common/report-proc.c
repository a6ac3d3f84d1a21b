/* report-proc.c - the process tree as nested boxes, and the executables recovered */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/hunt.h"
#include "common/report-private.h"
#include "common/util.h"

#define CMD_KEPT 4096		/* bytes of a command line kept for the page */
#define EXE_KEPT 1024
#define ENV_KEPT 2048		/* bytes of a process's environment kept */
#define DEPTH_MAX 24		/* boxes nested deeper are drawn at this depth */

struct pnode {
	long pid, ppid;
	double uid;
	char start[40];
	struct cfir_text cmd, exe, comm;
	struct cfir_text env;	/* its strings, each ending in NUL */
	size_t nenv;
	bool deleted, upper;
	size_t child, next;	/* indices + 1; 0: none */
	bool drawn;
	char sha[65];
};

struct ptree {
	struct rep *r;
	const char *cont;
	struct pnode *n;
	size_t nn, cap, total;
	const char **exes;	/* the executables' paths, sorted, for the writable layer's check */
	size_t nexes;
};

/* Hex twin: the exact bytes of a string whose JSON form replaced some (cfir_json_add_bytes). */
/* Hex twin: the exact bytes of a string whose JSON form replaced some (cfir_json_add_bytes). */
static bool
twin(const char *shown, const char *hex, struct cfir_text *out)
{
	struct cfir_text raw = { 0 };
	size_t i, k = 0, len;
	unsigned cp;
	bool ok = cfir_text_unhex(&raw, hex);

	/* what the printer made of those bytes must be the string before it */
	for (i = 0; ok && i < raw.len; i += len) {
		const unsigned char *b = (const unsigned char *)raw.p + i;
		const char *as = *b == 0 ? "\x1a" : "\xef\xbf\xbd";

		len = cfir_utf8_decode(b, raw.len - i, &cp);
		if (len == 0 || *b == 0) {
			ok = strncmp(shown + k, as, strlen(as)) == 0;
			k += strlen(as);
			len = 1;
		} else {
			ok = strncmp(shown + k, (const char *)b, len) == 0;
			k += len;
		}
	}
	ok = ok && shown[k] == '\0';
	if (ok)
		cfir_text_add(out, raw.p, raw.len);
	free(raw.p);
	return ok;
}

/*
 * The strings of argv or environ, their exact bytes where the JSON kept them
 * beside, each followed by SEP; *N counts them, past MAX bytes too.
 */
static void
strings(const cJSON *list, struct cfir_text *t, char sep, size_t max, size_t *n)
{
	const cJSON *a;

	cJSON_ArrayForEach(a, list) {
		if (!cJSON_IsString(a))
			continue;
		(*n)++;
		if (t->len > max)
			continue;
		if (a->next != NULL && cJSON_IsString(a->next) && twin(a->valuestring, a->next->valuestring, t))
			a = a->next;
		else
			cfir_text_add(t, a->valuestring, strlen(a->valuestring));
		cfir_text_add(t, &sep, 1);
	}
}

static void
exact(const cJSON *o, const char *key, struct cfir_text *t, size_t max)
{
	char hkey[64];
	const char *s = cfir_json_str(o, key), *hx;

	snprintf(hkey, sizeof(hkey), "%s_hex", key);
	hx = cfir_json_str(o, hkey);
	if (s == NULL || hx == NULL || !twin(s, hx, t)) {
		if (s != NULL)
			cfir_text_add(t, s, strlen(s) < max ? strlen(s) : max);
	}
}

static int
take(void *ctx, const cJSON *j)
{
	struct ptree *pt = ctx;
	struct pnode *p;
	const cJSON *uids = cJSON_GetObjectItemCaseSensitive(j, "uids");

	pt->total++;
	if (pt->nn >= pt->r->rows ||
	    !cfir_util_grow((void **)&pt->n, &pt->cap, pt->nn, sizeof(*pt->n), 64, pt->r->rows))
		return 0;
	p = &pt->n[pt->nn++];
	memset(p, 0, sizeof(*p));
	p->pid = (long)cfir_json_int(cJSON_GetObjectItemCaseSensitive(j, "pid"), -1, 1LL << 31, -1);
	p->ppid = (long)cfir_json_int(cJSON_GetObjectItemCaseSensitive(j, "ppid"), -1, 1LL << 31, -1);
	p->uid = cJSON_IsNumber(cJSON_GetArrayItem(uids, 0)) ? cJSON_GetArrayItem(uids, 0)->valuedouble : -1;
	snprintf(p->start, sizeof(p->start), "%s", cfir_json_str(j, "start") ? cfir_json_str(j, "start") : "");
	snprintf(p->sha, sizeof(p->sha), "%s", cfir_json_str(j, "exe_sha256") ? cfir_json_str(j, "exe_sha256") : "");
	strings(cJSON_GetObjectItemCaseSensitive(j, "cmdline"), &p->cmd, ' ', CMD_KEPT, &(size_t){ 0 });
	strings(cJSON_GetObjectItemCaseSensitive(j, "environ"), &p->env, '\0', ENV_KEPT, &p->nenv);
	exact(j, "exe", &p->exe, EXE_KEPT);
	exact(j, "comm", &p->comm, 64);
	p->deleted = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "exe_deleted"));
	return 0;
}

static int
by_pid(const void *a, const void *b)
{
	return CFIR_UTIL_CMP(((const struct pnode *)a)->pid, ((const struct pnode *)b)->pid);
}

/* children chained under their parents, in PID order */
static void
link_tree(struct ptree *pt)
{
	size_t i;

	qsort(pt->n, pt->nn, sizeof(*pt->n), by_pid);
	for (i = pt->nn; i-- > 0;) {
		struct pnode key = { .pid = pt->n[i].ppid }, *par;

		if (pt->n[i].ppid == pt->n[i].pid)
			continue;
		par = bsearch(&key, pt->n, pt->nn, sizeof(*pt->n), by_pid);
		if (par == NULL)
			continue;
		pt->n[i].next = par->child;
		par->child = i + 1;
	}
}

/* --- executables in the writable layer: diff.json read once for the processes' exe paths --- */

struct exe_mark {
	char *path;
	bool upper;
};

struct marks {
	struct exe_mark *m;
	size_t n;
};

static int
mark_cmp(const void *a, const void *b)
{
	return strcmp(((const struct exe_mark *)a)->path, ((const struct exe_mark *)b)->path);
}

static int
mark_entry(void *ctx, const cJSON *e)
{
	struct marks *mk = ctx;
	const char *kind = cfir_json_str(e, "kind"), *path = cfir_json_str(e, "path");
	struct exe_mark key = { .path = (char *)path }, *hit;

	if (kind == NULL || path == NULL || strcmp(kind, "D") == 0)
		return 0;
	hit = bsearch(&key, mk->m, mk->n, sizeof(*mk->m), mark_cmp);
	if (hit != NULL)
		hit->upper = true;
	return 0;
}

static void
mark_upper(struct ptree *pt)
{
	struct marks mk = { calloc(pt->nn + 1, sizeof(struct exe_mark)), 0 };
	struct cfir_err e = { 0 };
	char path[512];
	size_t i;
	int fd;

	if (mk.m == NULL || rep_path(path, sizeof(path), pt->cont, "fs/diff.json") < 0 ||
	    (fd = cfir_bagread_open(pt->r->dirfd, path)) < 0)
		goto out;
	for (i = 0; i < pt->nn; i++) {
		const char *x = pt->n[i].exe.p;
		size_t len = pt->n[i].exe.len;

		if (x == NULL || len == 0)
			continue;
		if (pt->n[i].deleted && len > 10 && strcmp(x + len - 10, " (deleted)") == 0)
			len -= 10;
		if ((mk.m[mk.n].path = strndup(x, len)) != NULL)
			mk.n++;
	}
	qsort(mk.m, mk.n, sizeof(*mk.m), mark_cmp);
	cfir_bagread_stream(fd, "entries", REP_LINE, mark_entry, &mk, NULL, NULL, &e);
	close(fd);
	for (i = 0; i < pt->nn; i++) {
		struct exe_mark key = { .path = pt->n[i].exe.p }, *hit;
		cleanup_free char *x = pt->n[i].exe.p ? strdup(pt->n[i].exe.p) : NULL;

		if (x != NULL && pt->n[i].deleted && strlen(x) > 10 && strcmp(x + strlen(x) - 10, " (deleted)") == 0)
			x[strlen(x) - 10] = '\0';
		key.path = x;
		hit = x ? bsearch(&key, mk.m, mk.n, sizeof(*mk.m), mark_cmp) : NULL;
		pt->n[i].upper = hit != NULL && hit->upper;
	}
out:
	for (i = 0; i < mk.n; i++)
		free(mk.m[i].path);
	free(mk.m);
}

/* --- drawing --- */

/* hunt's findings on this process, as flags; how many */
static size_t
flags_of(struct ptree *pt, const struct pnode *p, bool draw)
{
	struct rep *r = pt->r;
	size_t i, n = strlen(pt->cont), found = 0;

	for (i = 0; i < r->npf; i++) {
		if (r->pf[i].pid != p->pid || strncmp(r->pf[i].container, pt->cont, n) != 0)
			continue;
		found++;
		if (!draw)
			continue;
		cfir_html_printf(&r->h, " <span class=\"flag\">%s: ", cfir_severity_name(r->pf[i].severity));
		cfir_html_str(&r->h, r->pf[i].check, 40);
		cfir_html_raw(&r->h, "</span>");
	}
	return found;
}

static void
environ_of(struct cfir_html *h, const struct pnode *p)
{
	size_t off = 0, n;

	if (p->nenv == 0)
		return;
	cfir_html_printf(h, "<details><summary>environment (%zu)</summary>", p->nenv);
	while (off < p->env.len) {
		n = strlen(p->env.p + off);
		cfir_html_raw(h, "<div class=\"mono\">");
		cfir_html_text(h, p->env.p + off, n, REP_CELL);
		cfir_html_raw(h, "</div>");
		off += n + 1;
	}
	if (p->env.len > ENV_KEPT)
		cfir_html_raw(h, "<div class=\"note\">the rest is in processes.json</div>");
	cfir_html_raw(h, "</details>");
}

static void
box(struct ptree *pt, struct pnode *p)
{
	struct cfir_html *h = &pt->r->h;
	bool hot = p->deleted || p->upper || flags_of(pt, p, false) > 0;

	cfir_html_printf(h, "<div class=\"proc%s\"><strong>%ld</strong> <code>", hot ? " hot" : "", p->pid);
	cfir_html_text(h, p->comm.p ? p->comm.p : "", p->comm.len, 64);
	cfir_html_printf(h, "</code> uid %.0f, started ", p->uid);
	rep_time_html(pt->r, p->start[0] ? p->start : NULL);
	flags_of(pt, p, true);
	cfir_html_raw(h, "<div class=\"mono\">");
	cfir_html_text(h, p->cmd.p ? p->cmd.p : "", p->cmd.len ? p->cmd.len - 1 : 0, REP_LONG);
	cfir_html_raw(h, "</div><div>exe <code>");
	cfir_html_text(h, p->exe.p ? p->exe.p : "-", p->exe.p ? p->exe.len : 1, REP_CELL);
	cfir_html_raw(h, "</code>");
	if (p->deleted)
		cfir_html_raw(h, " <span class=\"flag\">deleted</span>");
	if (p->upper)
		cfir_html_raw(h, " <span class=\"flag\">in the writable layer</span>");
	if (p->sha[0]) {
		cfir_html_raw(h, " sha256 ");
		rep_hash(pt->r, p->sha, 16);
	}
	cfir_html_raw(h, "</div>");
	environ_of(h, p);
	cfir_html_raw(h, "</div>");
}

/* A box and its children's, nested up to DEPTH_MAX; each process drawn once. */
static void
draw(struct ptree *pt, size_t i, unsigned depth)
{
	struct pnode *p = &pt->n[i];
	size_t c;

	if (p->drawn)
		return;
	p->drawn = true;
	cfir_html_raw(&pt->r->h, "<li>");
	box(pt, p);
	if (p->child && depth < DEPTH_MAX)
		cfir_html_raw(&pt->r->h, "<ul>");
	if (depth >= DEPTH_MAX)
		cfir_html_raw(&pt->r->h, "</li>\n");
	for (c = p->child; c; c = pt->n[c - 1].next)
		draw(pt, c - 1, depth + 1);
	if (p->child && depth < DEPTH_MAX)
		cfir_html_raw(&pt->r->h, "</ul>");
	if (depth < DEPTH_MAX)
		cfir_html_raw(&pt->r->h, "</li>\n");
}

static bool
has_parent(const struct ptree *pt, const struct pnode *p)
{
	struct pnode key = { .pid = p->ppid };

	return p->ppid != p->pid && bsearch(&key, pt->n, pt->nn, sizeof(*pt->n), by_pid) != NULL;
}

static void
tree(struct ptree *pt)
{
	size_t i;

	cfir_html_raw(&pt->r->h, "<ul class=\"tree\">\n");
	for (i = 0; i < pt->nn; i++)
		if (!has_parent(pt, &pt->n[i]))
			draw(pt, i, 0);
	for (i = 0; i < pt->nn; i++)	/* what a loop of parents kept from every root */
		draw(pt, i, 0);
	cfir_html_raw(&pt->r->h, "</ul>\n");
}

static void
executables(struct rep *r, const cJSON *doc, const char *path)
{
	const cJSON *x, *list = cJSON_GetObjectItemCaseSensitive(doc, "executables"), *p;
	size_t n = 0;

	if (cJSON_GetArraySize(list) == 0)
		return;
	cfir_html_raw(&r->h, "<h4>Executables recovered</h4>\n<table class=\"exes\">\n<tr><th>sha256</th><th>Paths</th>"
		      "<th>PIDs</th><th>Size</th><th>Type</th><th>In the bag</th></tr>\n");
	cJSON_ArrayForEach(x, list) {
		if (n++ >= r->rows)
			break;
		cfir_html_raw(&r->h, "<tr><td>");
		rep_hash(r, cfir_json_str(x, "sha256"), 64);
		cfir_html_raw(&r->h, "</td><td>");
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(x, "exe_paths")) {
			cfir_html_raw(&r->h, "<div><code>");
			cfir_html_str(&r->h, cJSON_IsString(p) ? p->valuestring : NULL, REP_CELL);
			cfir_html_raw(&r->h, "</code></div>");
		}
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "deleted")))
			cfir_html_raw(&r->h, "<span class=\"flag\">deleted</span>");
		cfir_html_raw(&r->h, "</td><td class=\"m\">");
		cfir_html_json(&r->h, cJSON_GetObjectItemCaseSensitive(x, "pids"), REP_CELL);
		cfir_html_raw(&r->h, "</td><td class=\"n\">");
		rep_bytes(r, cfir_json_num(x, "bytes"));
		cfir_html_raw(&r->h, "</td><td>");
		cfir_html_str(&r->h, cfir_json_str(x, "magic"), REP_CELL);
		cfir_html_raw(&r->h, "</td><td>");
		if (cfir_json_str(x, "path") != NULL)
			rep_cite(r, cfir_json_str(x, "path"));
		cfir_html_raw(&r->h, "</td></tr>\n");
	}
	cfir_html_raw(&r->h, "</table>\n");
	rep_more(r, r->rows, (size_t)cJSON_GetArraySize(list), "executables", path);
}

static void
ptree_free(struct ptree *pt)
{
	size_t i;

	for (i = 0; i < pt->nn; i++) {
		free(pt->n[i].cmd.p);
		free(pt->n[i].exe.p);
		free(pt->n[i].comm.p);
		free(pt->n[i].env.p);
	}
	free(pt->n);
}

void
rep_processes(struct rep *r, const char *cont)
{
	struct ptree pt = { .r = r, .cont = cont };
	cleanup_cjson cJSON *doc = NULL;
	struct cfir_err e = { 0 };
	char path[512];
	int fd;

	if (!rep_artifact(r, cont, "proc/processes.json", path, sizeof(path), &fd))
		return;
	if (cfir_bagread_stream(fd, "processes", REP_LINE, take, &pt, &doc, NULL, &e) < 0)
		rep_missing(r, path, &e);
	close(fd);
	link_tree(&pt);
	mark_upper(&pt);
	cfir_html_printf(&r->h, "<p>%zu processes%s; membership by <code>", pt.total,
			 cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "frozen")) ? ", read while frozen" : "");
	cfir_html_str(&r->h, cfir_json_str(doc, "membership"), 40);
	cfir_html_raw(&r->h, "</code>. Red: a deleted executable, one in the writable layer, or a finding.</p>\n");
	tree(&pt);
	rep_more(r, pt.nn, pt.total, "processes", path);
	rep_cite(r, path);
	executables(r, doc, path);
	ptree_free(&pt);
}
