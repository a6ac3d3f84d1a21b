/* report-custody.c - the custody chain drawn as a timeline, and hunt's findings */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

#include "common/cleanup.h"
#include "common/hunt.h"
#include "common/report-private.h"
#include "common/util.h"

#define LOG "custody/log.jsonl"
#define LOG_LINE (17u << 20)	/* a record is at most 16 MiB */

static void
copy(char *dst, size_t n, const char *s)
{
	snprintf(dst, n, "%s", s ? s : "");
}

/* a pause opens a window for its target, an unpause closes the open one */
static void
freeze_note(struct rep *r, const cJSON *j, const struct rep_rec *rec)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "details");
	int64_t when = rep_time(cfir_json_str(d, "confirmed"));
	size_t i;

	if (strcmp(rec->status, "ok") != 0 || rec->target[0] == '\0')
		return;
	if (when == 0)
		when = rec->end;
	if (strcmp(rec->action, "unpause") == 0) {
		for (i = r->nfz; i-- > 0;)
			if (strcmp(r->fz[i].target, rec->target) == 0 && r->fz[i].to == 0) {
				r->fz[i].to = when;
				break;
			}
		return;
	}
	if (strcmp(rec->action, "pause") != 0 ||
	    !cfir_util_grow((void **)&r->fz, &r->fzcap, r->nfz, sizeof(*r->fz), 16, 1024))
		return;
	memset(&r->fz[r->nfz], 0, sizeof(r->fz[0]));
	copy(r->fz[r->nfz].target, sizeof(r->fz[0].target), rec->target);
	r->fz[r->nfz].from = when;
	r->fz[r->nfz].already = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "already"));
	r->nfz++;
}

/* a pod's container: its namespace, pod and name, from the target a record describes */
static void
k8s_note(struct rep *r, const cJSON *j, const struct rep_rec *rec)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "details"), *k;

	k = cfir_json_get(d, "target.kubernetes");
	if (k == NULL && strcmp(rec->action, "pause") == 0)
		k = cfir_json_get(d, "kubernetes");
	if (!cJSON_IsObject(k) || rec->target[0] == '\0' || cJSON_GetArraySize(r->k8s) >= 256 ||
	    cJSON_GetObjectItemCaseSensitive(r->k8s, rec->target) != NULL)
		return;
	cJSON_AddItemToObject(r->k8s, rec->target, cJSON_Duplicate(k, true));
}

static int
custody_line(void *ctx, const cJSON *j)
{
	struct rep *r = ctx;
	struct rep_rec rec = { 0 };

	r->recs_total++;
	rec.seq = (size_t)cfir_json_int(cJSON_GetObjectItemCaseSensitive(j, "seq"), 0, 1LL << 53, 0);
	rec.start = rep_time(cfir_json_str(j, "started"));
	rec.end = rep_time(cfir_json_str(j, "time"));
	copy(rec.action, sizeof(rec.action), cfir_json_str(j, "action"));
	copy(rec.status, sizeof(rec.status), cfir_json_str(j, "status"));
	copy(rec.target, sizeof(rec.target), cfir_json_str(j, "target"));
	rec.artifacts = (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "artifacts"));
	freeze_note(r, j, &rec);
	k8s_note(r, j, &rec);
	if (r->nrec < REP_RECS &&
	    cfir_util_grow((void **)&r->recs, &r->reccap, r->nrec, sizeof(*r->recs), 64, REP_RECS))
		r->recs[r->nrec++] = rec;
	return 0;
}

int
rep_custody_read(struct rep *r)
{
	cleanup_close int fd = cfir_bagread_open(r->dirfd, LOG);
	struct cfir_bagread_stats st = { 0 };
	struct cfir_err e = { 0 };

	r->k8s = cJSON_CreateObject();
	if (fd < 0)
		return 0;	/* said in the custody section */
	if (cfir_bagread_jsonl(fd, LOG_LINE, custody_line, r, &st, &e) < 0 && e.exit == EX_OSERR) {
		*r->err = e;
		return -1;
	}
	r->recs_bad = st.bad;
	return 0;
}

/* "Kubernetes: namespace/pod/container" for the verdict's container line */
void
rep_k8s_html(struct rep *r, const char *target)
{
	const cJSON *k, *it;
	size_t n = strlen(target);

	cJSON_ArrayForEach(it, r->k8s)
		if (n > 0 && strncmp(it->string, target, n) == 0)
			break;
	if ((k = it) == NULL)
		return;
	cfir_html_raw(&r->h, " Kubernetes <code>");
	cfir_html_field(&r->h, k, "namespace", 64);
	cfir_html_raw(&r->h, "/");
	cfir_html_field(&r->h, k, "pod", 128);
	cfir_html_raw(&r->h, "/");
	cfir_html_field(&r->h, k, "container", 64);
	cfir_html_raw(&r->h, "</code>");
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(k, "sandbox")))
		cfir_html_raw(&r->h, " (the pod's sandbox)");
	cfir_html_raw(&r->h, ";");
}

/* "frozen from 19:22:09.973 to 19:22:10.1" for the verdict's container line */
void
rep_freeze_html(struct rep *r, const char *target)
{
	size_t i, n = strlen(target), shown = 0;

	for (i = 0; i < r->nfz && n > 0; i++) {
		const struct rep_freeze *f = &r->fz[i];
		char a[CFIR_TIME_LEN], b[CFIR_TIME_LEN];
		struct timespec ts;

		if (strncmp(f->target, target, n) != 0)
			continue;
		ts = (struct timespec){ f->from / 1000000000, f->from % 1000000000 };
		cfir_util_time_rfc3339(&ts, a);
		ts = (struct timespec){ f->to / 1000000000, f->to % 1000000000 };
		cfir_util_time_rfc3339(&ts, b);
		cfir_html_raw(&r->h, shown++ ? "; frozen " : "frozen ");
		if (f->already)
			cfir_html_raw(&r->h, "(already paused when cfir came) ");
		cfir_html_raw(&r->h, "from ");
		rep_time_html(r, a);
		cfir_html_raw(&r->h, " to ");
		if (f->to)
			rep_time_html(r, b);
		else
			cfir_html_raw(&r->h, "the last record (still frozen)");
	}
	if (shown == 0)
		cfir_html_raw(&r->h, "not frozen by cfir");
}

/* --- the picture --- */

#define X0 190
#define XW 860
#define ROW 16

static double
xpos(int64_t t, int64_t t0, int64_t t1)
{
	if (t1 <= t0)
		return X0;
	return X0 + (double)(t - t0) * XW / (double)(t1 - t0);
}

static void
span(const struct rep *r, size_t n, int64_t *t0, int64_t *t1)
{
	size_t i;

	*t0 = *t1 = 0;
	for (i = 0; i < n; i++) {
		int64_t a = r->recs[i].start ? r->recs[i].start : r->recs[i].end, b = r->recs[i].end;

		if (a && (*t0 == 0 || a < *t0))
			*t0 = a;
		if (b > *t1)
			*t1 = b;
	}
}

static void
picture_freeze(struct rep *r, int64_t t0, int64_t t1, unsigned height)
{
	size_t i;

	for (i = 0; i < r->nfz; i++) {
		int64_t from = r->fz[i].from < t0 ? t0 : r->fz[i].from;
		int64_t to = r->fz[i].to ? r->fz[i].to : t1;
		double x = xpos(from, t0, t1), w = xpos(to, t0, t1) - x;

		cfir_html_printf(&r->h, "<rect class=\"frz\" x=\"%.1f\" y=\"0\" width=\"%.1f\" height=\"%u\">"
				 "<title>frozen</title></rect>\n", x, w < 1 ? 1 : w, height);
	}
}

static void
picture(struct rep *r)
{
	size_t i, n = r->nrec < 300 ? r->nrec : 300;
	unsigned height = (unsigned)(n * ROW + 30);
	int64_t t0, t1;

	if (n == 0)
		return;
	span(r, n, &t0, &t1);
	cfir_html_printf(&r->h, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1080\" height=\"%u\" "
			 "viewBox=\"0 0 1080 %u\" role=\"img\" aria-label=\"custody timeline\">\n",
			 height, height);
	picture_freeze(r, t0, t1, height - 24);
	for (i = 0; i < n; i++) {
		const struct rep_rec *c = &r->recs[i];
		double x = xpos(c->start ? c->start : c->end, t0, t1), w = xpos(c->end, t0, t1) - x;
		unsigned y = (unsigned)(i * ROW);

		cfir_html_printf(&r->h, "<text x=\"4\" y=\"%u\" class=\"lbl\">%zu ", y + 12, c->seq);
		cfir_html_str(&r->h, c->action, 24);
		cfir_html_printf(&r->h, "</text><rect class=\"st-%s\" x=\"%.1f\" y=\"%u\" width=\"%.1f\" "
				 "height=\"12\"><title>", strcmp(c->status, "ok") == 0 ? "ok"
				 : strcmp(c->status, "partial") == 0 ? "partial" : "failed",
				 x, y + 2, w < 2 ? 2 : w);
		cfir_html_str(&r->h, c->action, 24);
		cfir_html_raw(&r->h, " ");
		cfir_html_str(&r->h, c->status, 12);
		cfir_html_raw(&r->h, "</title></rect>\n");
	}
	cfir_html_printf(&r->h, "<text x=\"%d\" y=\"%u\" class=\"lbl\">0 s</text><text x=\"%d\" y=\"%u\" "
			 "class=\"lbl\" text-anchor=\"end\">%.3f s</text></svg>\n", X0, height - 6, X0 + XW,
			 height - 6, (double)(t1 - t0) / 1e9);
	cfir_html_raw(&r->h, "<p class=\"note\">each action from its start to its record; "
		      "the shaded band is the time the container was frozen</p>\n");
	if (r->recs_total > n)
		cfir_html_printf(&r->h, "<p class=\"note\">the first %zu of %zu actions are drawn; the table "
				 "below and <code>" LOG "</code> have the rest</p>\n", n, r->recs_total);
}

/* --- the table, a second pass over the log --- */

struct table {
	struct rep *r;
	size_t rows;
};

static void
artifacts(struct rep *r, const cJSON *arts)
{
	const cJSON *a;
	size_t n = 0, all = (size_t)cJSON_GetArraySize(arts);

	cJSON_ArrayForEach(a, arts) {
		if (n++ == 20) {
			cfir_html_printf(&r->h, "<div class=\"note\">and %zu more</div>", all - 20);
			break;
		}
		cfir_html_raw(&r->h, "<div><code>");
		cfir_html_field(&r->h, a, "path", REP_CELL);
		cfir_html_raw(&r->h, "</code> ");
		rep_hash(r, cfir_json_str(a, "sha256"), 12);
		cfir_html_raw(&r->h, " ");
		rep_bytes(r, cfir_json_num(a, "bytes"));
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "partial")))
			cfir_html_raw(&r->h, " <span class=\"fail\">partial</span>");
		cfir_html_raw(&r->h, "</div>");
	}
}

static int
table_line(void *ctx, const cJSON *j)
{
	struct table *t = ctx;
	struct rep *r = t->r;
	const char *st = cfir_json_str(j, "status"), *err = cfir_json_str(j, "error");
	size_t seq = (size_t)cfir_json_int(cJSON_GetObjectItemCaseSensitive(j, "seq"), 0, 1LL << 53, 0);

	if (t->rows++ >= r->rows)
		return CFIR_BAGREAD_STOP;
	cfir_html_printf(&r->h, "<tr id=\"rec-%zu\"><td class=\"n\">%zu</td><td>", seq, seq);
	rep_time_html(r, cfir_json_str(j, "time"));
	cfir_html_raw(&r->h, "</td><td>");
	cfir_html_str(&r->h, cfir_json_str(j, "action"), 32);
	cfir_html_printf(&r->h, "</td><td class=\"%s\">", st && strcmp(st, "ok") == 0 ? "ok" : "fail");
	cfir_html_str(&r->h, st, 16);
	if (err != NULL) {
		cfir_html_raw(&r->h, ": ");
		cfir_html_str(&r->h, err, REP_CELL);
	}
	cfir_html_raw(&r->h, "</td><td>");
	cfir_html_field(&r->h, j, "target_name", 64);
	cfir_html_raw(&r->h, "</td><td>");
	artifacts(r, cJSON_GetObjectItemCaseSensitive(j, "artifacts"));
	cfir_html_printf(&r->h, "</td><td><a href=\"#rec-%zu\">", seq > 1 ? seq - 1 : 1);
	rep_hash(r, cfir_json_str(j, "prev"), 12);
	cfir_html_raw(&r->h, "</a></td></tr>\n");
	return 0;
}

void
rep_custody(struct rep *r)
{
	cleanup_close int fd = cfir_bagread_open(r->dirfd, LOG);
	struct table t = { r, 0 };
	struct cfir_err e = { 0 };

	cfir_html_raw(&r->h, "<section id=\"custody\"><h2>Custody</h2>\n");
	if (fd < 0) {
		e.sys = errno;
		rep_missing(r, LOG, &e);
		cfir_html_raw(&r->h, "</section>\n");
		return;
	}
	cfir_html_printf(&r->h, "<p>%zu records, each chained to the one before by the SHA-256 of its "
			 "line (<em>prev</em>); the chain %s at report time.</p>\n", r->recs_total,
			 r->sum->verified ? "<span class=\"ok\">verified</span>" : "was checked with the rest: see the verdict");
	picture(r);
	cfir_html_raw(&r->h, "<table class=\"custody\">\n<tr><th>#</th><th>Time</th><th>Action</th><th>Status</th>"
		      "<th>Container</th><th>Artifacts (sha256, size)</th><th>prev</th></tr>\n");
	if (cfir_bagread_jsonl(fd, LOG_LINE, table_line, &t, NULL, &e) < 0)
		rep_missing(r, LOG, &e);
	cfir_html_raw(&r->h, "</table>\n");
	rep_more(r, t.rows > r->rows ? r->rows : t.rows, r->recs_total, "records", LOG);
	if (r->recs_bad)
		cfir_html_printf(&r->h, "<p class=\"fail\">%zu lines of the log are not JSON</p>\n", r->recs_bad);
	cfir_html_raw(&r->h, "<p class=\"art\">from <code>" LOG "</code> (a tag file: its hash is in "
		      "<code>tagmanifest-sha256.txt</code>)</p>\n</section>\n");
}

/* --- findings --- */

/* The I-th findings file: data/<c>/hunt/ of each container, then data/hunt/. */
static int
findings_path(const struct rep *r, size_t i, char *path, size_t n)
{
	if (i == r->ncont)
		return snprintf(path, n, "data/hunt/findings.jsonl") < 0 ? -1 : 0;
	return rep_path(path, n, r->cont[i], "hunt/findings.jsonl");
}

static int
each_findings(struct rep *r, cfir_bagread_json_fn fn, void *ctx)
{
	char path[512];
	size_t i;
	int rc;

	for (i = 0; i <= r->ncont; i++) {
		cleanup_close int fd = -1;

		if (findings_path(r, i, path, sizeof(path)) < 0 || (fd = cfir_bagread_open(r->dirfd, path)) < 0)
			continue;
		rc = cfir_bagread_jsonl(fd, REP_LINE, fn, ctx, NULL, r->err);
		if (rc < 0)
			return -1;
		if (rc == CFIR_BAGREAD_STOP)
			return rc;
	}
	return 0;
}

static void
pidflag(struct rep *r, const cJSON *f, const cJSON *pid, int sev)
{
	struct rep_pidflag *p;

	if (!cJSON_IsNumber(pid) || r->npf >= REP_PIDFLAGS ||
	    !cfir_util_grow((void **)&r->pf, &r->pfcap, r->npf, sizeof(*r->pf), 64, REP_PIDFLAGS))
		return;
	p = &r->pf[r->npf++];
	copy(p->container, sizeof(p->container), cfir_json_str(f, "container"));
	copy(p->check, sizeof(p->check), cfir_json_str(f, "check"));
	p->pid = (long)cfir_json_int(pid, -1, 1LL << 31, -1);
	p->severity = sev;
}

static int
count_finding(void *ctx, const cJSON *f)
{
	struct rep *r = ctx;
	const char *type = cfir_json_str(f, "type"), *sev = cfir_json_str(f, "severity");
	const cJSON *v = cfir_json_get(f, "evidence.value"), *h;
	int s;

	if (type == NULL || strcmp(type, "finding") != 0 || sev == NULL || (s = cfir_severity_parse(sev)) < 0)
		return 0;
	r->sev[s]++;
	r->sum->findings++;
	if (s > r->sum->worst) {
		r->sum->worst = s;
		copy(r->sum->worst_check, sizeof(r->sum->worst_check), cfir_json_str(f, "check"));
	}
	pidflag(r, f, cJSON_GetObjectItemCaseSensitive(v, "pid"), s);
	cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(v, "holders"))
		pidflag(r, f, cJSON_GetObjectItemCaseSensitive(h, "pid"), s);
	return 0;
}

int
rep_findings_read(struct rep *r)
{
	struct cfir_err e = { 0 }, *keep = r->err;
	int rc;

	r->err = &e;
	rc = each_findings(r, count_finding, r);
	r->err = keep;
	if (rc < 0 && e.exit == EX_OSERR) {
		*r->err = e;
		return -1;
	}
	return 0;
}

struct frows {
	struct rep *r;
	int sev;
	size_t rows;
};

static int
finding_row(void *ctx, const cJSON *f)
{
	struct frows *t = ctx;
	struct rep *r = t->r;
	const char *type = cfir_json_str(f, "type"), *sev = cfir_json_str(f, "severity");
	const cJSON *ev = cJSON_GetObjectItemCaseSensitive(f, "evidence");

	if (type == NULL || strcmp(type, "finding") != 0 || sev == NULL || cfir_severity_parse(sev) != t->sev)
		return 0;
	if (t->rows++ >= r->rows)
		return CFIR_BAGREAD_STOP;
	cfir_html_printf(&r->h, "<tr><td><span class=\"sev %s\">%s</span></td><td class=\"nw\"><code>",
			 cfir_severity_name(t->sev), cfir_severity_name(t->sev));
	cfir_html_str(&r->h, cfir_json_str(f, "check"), 40);
	cfir_html_raw(&r->h, "</code></td><td>");
	cfir_html_field(&r->h, f, "name", 64);
	cfir_html_raw(&r->h, "</td><td>");
	cfir_html_str(&r->h, cfir_json_str(f, "title"), REP_CELL);
	cfir_html_raw(&r->h, "</td><td><code>");
	cfir_html_str(&r->h, cfir_json_str(ev, "field"), 64);
	cfir_html_raw(&r->h, "</code>: <span class=\"mono\">");
	cfir_html_json(&r->h, cJSON_GetObjectItemCaseSensitive(ev, "value"), REP_LONG);
	cfir_html_raw(&r->h, "</span></td><td>");
	cfir_html_str(&r->h, cfir_json_str(f, "remedy"), REP_CELL);
	cfir_html_raw(&r->h, "</td></tr>\n");
	return 0;
}

void
rep_findings(struct rep *r)
{
	struct frows t = { r, 4, 0 };
	char path[512];
	size_t i;

	cfir_html_printf(&r->h, "<section id=\"findings\"><h2>Findings</h2>\n");
	if (r->sum->findings == 0)
		cfir_html_raw(&r->h, "<p>hunt left no finding in this bag.</p>\n");
	else
		cfir_html_raw(&r->h, "<table class=\"findings\">\n<tr><th>Severity</th><th>Check</th><th>Container</th>"
			      "<th>Finding</th><th>Evidence</th><th>Remedy</th></tr>\n");
	for (t.sev = 4; t.sev >= 0 && r->sum->findings > 0 && t.rows <= r->rows; t.sev--)
		if (r->sev[t.sev] && each_findings(r, finding_row, &t) == CFIR_BAGREAD_STOP)
			break;
	if (r->sum->findings > 0)
		cfir_html_raw(&r->h, "</table>\n");
	for (i = 0; i <= r->ncont; i++) {
		int fd = -1;

		if (findings_path(r, i, path, sizeof(path)) < 0 || (fd = cfir_bagread_open(r->dirfd, path)) < 0)
			continue;
		close(fd);
		rep_more(r, t.rows > r->rows ? r->rows : t.rows, r->sum->findings, "findings", path);
		rep_cite(r, path);
	}
	cfir_html_raw(&r->h, "</section>\n");
}
