/* report.c - a bag as one self-contained HTML page: the driver, the verdict, the index */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "common/bag.h"
#include "common/cleanup.h"
#include "common/hunt.h"
#include "common/report-private.h"
#include "common/util.h"
#include "common/verify.h"

/*
 * One style sheet, cfir's own. The page's Content-Security-Policy allows
 * exactly this text (by its hash) and nothing else: no script, no style
 * attribute, no image, font, frame or request of any kind.
 */
static const char style[] =
	"body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d1d1f;background:#f6f6f4}"
	"main{max-width:1180px;margin:0 auto;padding:0 20px 40px}"
	"header.top{padding:18px 20px;color:#fff;background:#2f6f3e}"
	"header.top.bad{background:#b3261e}header.top.warn{background:#8a6d00}"
	"header.top h1{margin:0 0 4px;font-size:22px}header.top p{margin:0}"
	"nav{padding:8px 20px;background:#e9e9e4;position:sticky;top:0}"
	"nav a{margin-right:14px;color:#1d1d1f}"
	"section{margin-top:28px}h2{border-bottom:2px solid #ccc;padding-bottom:4px}"
	"h3{margin:18px 0 6px;font-size:16px}"
	"table{border-collapse:collapse;width:100%;background:#fff;margin:6px 0}"
	"th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}"
	"th{background:#efefea}td.n{text-align:right;white-space:nowrap}"
	"code,.mono,td.m{font-family:ui-monospace,monospace;font-size:12.5px;word-break:break-all}"
	".sev{display:inline-block;min-width:60px;padding:0 6px;border-radius:3px;color:#fff;text-align:center}"
	".critical{background:#7a0f0a}.high{background:#c0392b}.medium{background:#d68910}"
	".low{background:#5d6d7e}.info{background:#95a5a6}"
	".ok{color:#2f6f3e;font-weight:bold}.fail{color:#b3261e;font-weight:bold}"
	".flag{display:inline-block;margin:0 3px 0 0;padding:0 4px;border-radius:3px;"
	"background:#fde2e1;color:#7a0f0a;font-size:12px}"
	".note{color:#555;font-style:italic}.art{color:#555;font-size:12px}"
	"ul.tree,ul.tree ul{list-style:none;margin:0;padding-left:22px}ul.tree{padding-left:0}"
	".proc{border:1px solid #bbb;border-left:4px solid #2f6f3e;background:#fff;margin:4px 0;padding:3px 8px}"
	".proc.hot{border-left-color:#b3261e;background:#fff5f4}"
	"details{margin-left:14px}details>div{margin-left:16px}summary{cursor:pointer}"
	"td.nw code{word-break:normal;white-space:nowrap}"
	".t{font-family:ui-monospace,monospace;font-size:12.5px;white-space:nowrap}"
	"svg{background:#fff;border:1px solid #ddd;max-width:100%}"
	".kA{color:#2f6f3e}.kC{color:#8a6d00}.kD{color:#b3261e}"
	".frz{fill:#9ec5fe;fill-opacity:.45}.st-ok{fill:#2f6f3e}.st-partial{fill:#d68910}"
	".st-failed{fill:#b3261e}.bar{fill:#5b7db1}.lbl{font:11px ui-monospace,monospace;fill:#333}";

static void
head(struct rep *r, const char *title)
{
	unsigned char md[EVP_MAX_MD_SIZE], b64[4 * EVP_MAX_MD_SIZE / 3 + 4];
	unsigned int mdlen = 0;

	EVP_Digest(style, strlen(style), md, &mdlen, EVP_sha256(), NULL);
	EVP_EncodeBlock(b64, md, (int)mdlen);
	cfir_html_raw(&r->h, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		      "style-src 'sha256-");
	cfir_html_raw(&r->h, (const char *)b64);
	cfir_html_raw(&r->h, "'; base-uri 'none'; form-action 'none'\">\n"
		      "<meta name=\"referrer\" content=\"no-referrer\">\n"
		      "<meta name=\"viewport\" content=\"width=device-width\">\n<title>");
	cfir_html_str(&r->h, title, REP_CELL);
	cfir_html_raw(&r->h, "</title>\n<style>");
	cfir_html_raw(&r->h, style);
	cfir_html_raw(&r->h, "</style></head>\n<body>\n");
}

/* --- helpers the sections share --- */

static int
cite_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rep_cite *)a)->path, ((const struct rep_cite *)b)->path);
}

/* the manifest's lines, for the hash beside each artifact cited */
static int
manifest_line(void *ctx, char *line, size_t len)
{
	struct rep *r = ctx;
	char *path, hex[65];

	(void)len;
	if (cfir_manifest_parse_line(line, &path, hex) < 0)
		return 0;
	if (!cfir_util_grow((void **)&r->man, &r->mancap, r->nman, sizeof(*r->man), 64, 1u << 20))
		return 0;
	r->man[r->nman].path = strdup(path);
	if (r->man[r->nman].path == NULL)
		return 0;
	memcpy(r->man[r->nman].sha, hex, 65);
	r->nman++;
	return 0;
}

static void
manifest_load(struct rep *r)
{
	cleanup_close int fd = cfir_bagread_open(r->dirfd, "manifest-sha256.txt");
	struct cfir_err e = { 0 };

	if (fd < 0 || cfir_util_lines(fd, 1u << 16, manifest_line, r, &e) < 0)
		return;
	qsort(r->man, r->nman, sizeof(*r->man), cite_cmp);
}

/* "from data/x/fs/diff.json (sha256 ...)": a link to the file and the manifest's hash */
void
rep_cite(struct rep *r, const char *path)
{
	struct rep_cite key = { .path = (char *)path }, *c;

	c = r->nman ? bsearch(&key, r->man, r->nman, sizeof(*r->man), cite_cmp) : NULL;
	if (c == NULL) {
		/* a path the manifest lacks is no link: it could lead out of the bag */
		cfir_html_raw(&r->h, "<p class=\"art\">from <code>");
		cfir_html_str(&r->h, path, 0);
		cfir_html_raw(&r->h, "</code> <span class=\"fail\">not in the manifest</span></p>\n");
		return;
	}
	cfir_html_raw(&r->h, "<p class=\"art\">from <a href=\"");
	cfir_html_url(&r->h, r->o->href ? r->o->href : "");
	cfir_html_url(&r->h, path);
	cfir_html_raw(&r->h, "\"><code>");
	cfir_html_str(&r->h, path, 0);
	cfir_html_raw(&r->h, "</code></a> sha256 ");
	rep_hash(r, c->sha, 64);
	cfir_html_raw(&r->h, "</p>\n");
}

/* An artifact that is not there or cannot be read: said where it would be. */
void
rep_missing(struct rep *r, const char *path, const struct cfir_err *e)
{
	cfir_html_raw(&r->h, "<p class=\"note\"><code>");
	cfir_html_str(&r->h, path, 0);
	cfir_html_raw(&r->h, "</code>: ");
	cfir_html_str(&r->h, e->sys == ENOENT ? "not in this bag"
			     : e->sys == EMEDIUMTYPE ? "not a regular file: not read"
			     : e->sys == ELOOP || e->sys == ENOTDIR ? "a symbolic link on its path: not followed"
			     : e->msg[0] ? cfir_err_str(e) : strerror(e->sys), REP_CELL);
	cfir_html_raw(&r->h, "</p>\n");
}

void
rep_more(struct rep *r, size_t shown, size_t total, const char *what, const char *path)
{
	if (total <= shown)
		return;
	cfir_html_printf(&r->h, "<p class=\"note\">%zu of %zu %s shown; every one is in <code>", shown,
			 total, what);
	cfir_html_str(&r->h, path, 0);
	cfir_html_raw(&r->h, "</code>.</p>\n");
}

int
rep_path(char *buf, size_t n, const char *cont, const char *rel)
{
	int w = snprintf(buf, n, "data/%s/%s", cont, rel);

	return w < 0 || (size_t)w >= n ? -1 : 0;
}

/* A SHA-256 from the bag, its first N digits, the whole in a tooltip; escaped when it is no hash. */
void
rep_hash(struct rep *r, const char *hex, size_t n)
{
	if (hex == NULL || strlen(hex) != 64 || strspn(hex, "0123456789abcdef") != 64) {
		cfir_html_str(&r->h, hex, 64);
		return;
	}
	cfir_html_printf(&r->h, "<span class=\"mono\" title=\"%s\">%.*s</span>", hex, (int)n, hex);
}

/* data/<CONT>/REL opened into *FD, its bag path in PATH; when it cannot be, the page says why. */
bool
rep_artifact(struct rep *r, const char *cont, const char *rel, char *path, size_t n, int *fd)
{
	struct cfir_err e = { 0 };

	*fd = -1;
	if (rep_path(path, n, cont, rel) < 0)
		return false;
	if ((*fd = cfir_bagread_open(r->dirfd, path)) < 0) {
		e.sys = errno;
		rep_missing(r, path, &e);
		return false;
	}
	return true;
}

int64_t
rep_time(const char *s)
{
	struct timespec ts;

	if (s == NULL || !cfir_util_time_parse(s, strlen(s), &ts))
		return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* a time as the bag has it, shortened to the second's fraction the eye needs */
void
rep_time_html(struct rep *r, const char *s)
{
	char buf[40];
	struct timespec ts;
	struct tm tm;

	if (s == NULL || !cfir_util_time_parse(s, strlen(s), &ts) || gmtime_r(&ts.tv_sec, &tm) == NULL) {
		cfir_html_str(&r->h, s, 64);
		return;
	}
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
	cfir_html_printf(&r->h, "<span class=\"t\">%s.%03ldZ</span>", buf, ts.tv_nsec / 1000000);
}

void
rep_bytes(struct rep *r, double n)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;

	while (n >= 1024 && u < 4) {
		n /= 1024;
		u++;
	}
	cfir_html_printf(&r->h, u ? "%.1f %s" : "%.0f %s", n, unit[u]);
}

static const char *
name_of(const cJSON *line, const char *id, size_t n)
{
	const char *sp = cJSON_IsString(line) ? strchr(line->valuestring, ' ') : NULL;

	return sp != NULL && strncmp(line->valuestring, id, n) == 0 ? sp + 1 : NULL;
}

/* A container's name from bag-info.txt's "Container: ID NAME" lines; ID may be a prefix. */
const char *
rep_container_name(const struct rep *r, const char *id)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(r->info, "Container"), *it;
	const char *name = NULL;
	size_t n = id ? strlen(id) : 0;

	if (n == 0 || c == NULL)
		return NULL;
	if (!cJSON_IsArray(c))
		return name_of(c, id, n);
	cJSON_ArrayForEach(it, c)
		if ((name = name_of(it, id, n)) != NULL)
			break;
	return name;
}

/* --- the verdict --- */

static void
verify_item(void *ctx, const char *path, bool ok, const char *why)
{
	struct rep *r = ctx;

	if (strcmp(path, "tagmanifest-sha256.txt.minisig") == 0) {
		r->sum->sig_checked = true;
		r->sum->sig_ok = ok;
	}
	if (ok || r->nfail++ >= 100)
		return;
	cfir_text_add(&r->fails, "<li><code>", 10);
	cfir_html_escape(&r->fails, path, strlen(path), REP_CELL);
	cfir_text_add(&r->fails, "</code>: ", 9);
	if (why != NULL)
		cfir_html_escape(&r->fails, why, strlen(why), REP_LONG);
	cfir_text_add(&r->fails, "</li>\n", 6);
}

static void
verify_now(struct rep *r)
{
	struct cfir_verify_report vr = { .item = verify_item, .ctx = r, .pub = r->o->pub };
	struct cfir_err e = { 0 };

	if (cfir_bag_verify(r->o->dir, &vr, &e) < 0) {
		verify_item(r, "bag", false, cfir_err_str(&e));
		vr.failed++;
	}
	r->sum->ok = vr.ok;
	r->sum->failed = vr.failed;
	r->sum->verified = vr.failed == 0;
}

static const char *
info(const struct rep *r, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->info, key);

	if (cJSON_IsArray(v))
		v = cJSON_GetArrayItem(v, 0);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void
top(struct rep *r, const char *name)
{
	const struct cfir_report_summary *s = r->sum;

	cfir_html_printf(&r->h, "<header class=\"top%s\" id=\"top\"><h1>cfir report: ",
			 !s->verified ? " bad" : !s->sealed ? " warn" : "");
	cfir_html_str(&r->h, name, REP_CELL);
	cfir_html_raw(&r->h, "</h1>\n<p>");
	if (!s->verified)
		cfir_html_printf(&r->h, "<strong>EVIDENCE FAILED VERIFICATION</strong>: %zu check%s failed; "
				 "this bag was altered or is incomplete since it was written", s->failed,
				 s->failed == 1 ? "" : "s");
	else
		cfir_html_printf(&r->h, "Evidence verified now: %zu checks passed", s->ok);
	if (s->sig_checked)
		cfir_html_raw(&r->h, s->sig_ok ? "; signature good" : "; <strong>SIGNATURE BAD</strong>");
	cfir_html_raw(&r->h, s->sealed ? "; sealed" : "; not sealed");
	if (s->worst >= 0) {
		cfir_html_printf(&r->h, "; worst finding: %s (", cfir_severity_name(s->worst));
		cfir_html_str(&r->h, s->worst_check, 64);
		cfir_html_raw(&r->h, ")");
	}
	cfir_html_raw(&r->h, "</p></header>\n<nav><a href=\"#verdict\">Verdict</a><a href=\"#findings\">"
		      "Findings</a><a href=\"#processes\">Processes</a><a href=\"#network\">Network</a>"
		      "<a href=\"#filesystem\">Filesystem</a><a href=\"#custody\">Custody</a></nav>\n<main>\n");
}

static void
row_str(struct rep *r, const char *label, const char *value)
{
	cfir_html_printf(&r->h, "<tr><th>%s</th><td>", label);
	cfir_html_str(&r->h, value, REP_LONG);
	cfir_html_raw(&r->h, "</td></tr>\n");
}

static void
verdict_evidence(struct rep *r)
{
	const struct cfir_report_summary *s = r->sum;

	cfir_html_raw(&r->h, "<tr><th>Evidence</th><td>");
	if (s->verified)
		cfir_html_printf(&r->h, "<span class=\"ok\">verified</span> at report time: %zu checks "
				 "(every file's SHA-256, the manifests, Payload-Oxum, the custody chain)", s->ok);
	else
		cfir_html_printf(&r->h, "<span class=\"fail\">FAILED</span>: %zu of %zu checks<ul>%s</ul>%s",
				 s->failed, s->ok + s->failed, r->fails.p ? r->fails.p : "",
				 r->nfail > 100 ? "<p class=\"note\">the first 100 are listed; cfir verify lists all</p>" : "");
	cfir_html_raw(&r->h, "</td></tr>\n<tr><th>Signature</th><td>");
	if (s->sig_checked)
		cfir_html_raw(&r->h, s->sig_ok ? "<span class=\"ok\">good</span> for the key given"
					       : "<span class=\"fail\">BAD or missing</span> for the key given");
	else
		cfir_html_raw(&r->h, s->signed_ ? "signed; not checked (give <code>-p PUBKEY</code>)"
						: "not signed");
	cfir_html_raw(&r->h, "</td></tr>\n<tr><th>Sealed</th><td>");
	if (s->sealed)
		rep_time_html(r, info(r, "Cfir-Sealed"));
	else
		cfir_html_raw(&r->h, "<span class=\"fail\">no</span>: evidence can still be added");
	cfir_html_raw(&r->h, "</td></tr>\n");
}

/* the OCI spec's annotations (a pod's: what kubelet and the user put there), as the runtime kept them */
static void
annotations(struct rep *r, const char *id)
{
	cleanup_cjson cJSON *spec = NULL;
	struct cfir_err e = { 0 };
	const cJSON *a, *it;
	char path[512];
	size_t n = 0;

	if (snprintf(path, sizeof(path), "data/%.12s/runtime/config.json", id) >= (int)sizeof(path) ||
	    cfir_bagread_json(r->dirfd, path, 16u << 20, &spec, &e) < 0)
		return;
	a = cJSON_GetObjectItemCaseSensitive(spec, "annotations");
	if (cJSON_GetArraySize(a) == 0)
		return;
	cfir_html_printf(&r->h, "<details><summary>annotations (%d)</summary>", cJSON_GetArraySize(a));
	cJSON_ArrayForEach(it, a) {
		if (n++ == 100) {
			cfir_html_raw(&r->h, "<div class=\"note\">the rest are in ");
			cfir_html_str(&r->h, path, 0);
			cfir_html_raw(&r->h, "</div>");
			break;
		}
		cfir_html_raw(&r->h, "<div class=\"mono\">");
		cfir_html_str(&r->h, it->string, REP_CELL);
		cfir_html_raw(&r->h, " = ");
		if (cJSON_IsString(it))
			cfir_html_str(&r->h, it->valuestring, REP_LONG);
		else
			cfir_html_json(&r->h, it, REP_LONG);
		cfir_html_raw(&r->h, "</div>");
	}
	cfir_html_raw(&r->h, "</details>");
}

static void
verdict_containers(struct rep *r)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(r->info, "Container"), *it;
	cleanup_cjson cJSON *one = NULL;

	if (cJSON_IsString(c)) {
		one = cJSON_CreateArray();
		cJSON_AddItemToArray(one, cJSON_Duplicate(c, false));
		c = one;
	}
	cfir_html_raw(&r->h, "<tr><th>Containers</th><td>");
	if (cJSON_GetArraySize(c) == 0)
		cfir_html_raw(&r->h, "none named in bag-info.txt");
	cJSON_ArrayForEach(it, c) {
		const char *sp = cJSON_IsString(it) ? strchr(it->valuestring, ' ') : NULL;
		char id[72] = "";

		if (!cJSON_IsString(it))
			continue;
		snprintf(id, sizeof(id), "%.*s", sp ? (int)(sp - it->valuestring) : 64, it->valuestring);
		cfir_html_raw(&r->h, "<div><code>");
		cfir_html_text(&r->h, id, strlen(id) < 12 ? strlen(id) : 12, 0);
		cfir_html_raw(&r->h, "</code> <strong>");
		cfir_html_str(&r->h, sp ? sp + 1 : "-", REP_CELL);
		cfir_html_raw(&r->h, "</strong>:");
		rep_k8s_html(r, id);
		cfir_html_raw(&r->h, " ");
		rep_freeze_html(r, id);
		annotations(r, id);
		cfir_html_raw(&r->h, "</div>\n");
	}
	cfir_html_raw(&r->h, "</td></tr>\n");
}

static void
verdict(struct rep *r)
{
	cfir_html_raw(&r->h, "<section id=\"verdict\"><h2>Verdict</h2>\n<table>\n");
	verdict_evidence(r);
	row_str(r, "Case", info(r, "Case-Number"));
	row_str(r, "Examiner", info(r, "Examiner"));
	row_str(r, "Host", info(r, "Source-Host"));
	verdict_containers(r);
	cfir_html_raw(&r->h, "<tr><th>Findings</th><td>");
	if (r->sum->findings == 0)
		cfir_html_raw(&r->h, "none in this bag");
	for (int i = 4; i >= 0; i--)
		if (r->sev[i])
			cfir_html_printf(&r->h, "<span class=\"sev %s\">%zu %s</span> ", cfir_severity_name(i),
					 r->sev[i], cfir_severity_name(i));
	cfir_html_printf(&r->h, "</td></tr>\n<tr><th>Custody</th><td>%zu records, head <code>",
			 r->recs_total);
	cfir_html_str(&r->h, info(r, "Custody-Head"), 64);
	cfir_html_raw(&r->h, "</code></td></tr>\n");
	row_str(r, "Bagged", info(r, "Bagging-Date"));
	row_str(r, "Collected by", info(r, "Bag-Software-Agent"));
	cfir_html_raw(&r->h, "<tr><th>This page</th><td>made ");
	rep_time_html(r, r->o->now);
	cfir_html_raw(&r->h, " by cfir " CFIR_VERSION "; every value from the bag is shown as "
		      "inert text</td></tr>\n</table>\n<p class=\"art\">from <code>bag-info.txt</code> and "
		      "<code>custody/log.jsonl</code> (tag files: their hashes are in "
		      "<code>tagmanifest-sha256.txt</code>)</p>\n</section>\n");
}

/* --- the page --- */

static void
section(struct rep *r, const char *id, const char *title, void (*fn)(struct rep *, const char *))
{
	size_t i;

	cfir_html_printf(&r->h, "<section id=\"%s\"><h2>%s</h2>\n", id, title);
	if (r->ncont == 0)
		cfir_html_raw(&r->h, "<p class=\"note\">no container's evidence in this bag</p>\n");
	for (i = 0; i < r->ncont; i++) {
		const char *name = rep_container_name(r, r->cont[i]);

		if (r->ncont > 1 || name != NULL) {
			cfir_html_raw(&r->h, "<h3><code>");
			cfir_html_str(&r->h, r->cont[i], 64);
			cfir_html_raw(&r->h, "</code> ");
			cfir_html_str(&r->h, name, REP_CELL);
			cfir_html_raw(&r->h, "</h3>\n");
		}
		fn(r, r->cont[i]);
	}
	cfir_html_raw(&r->h, "</section>\n");
}

static void
summarize(struct rep *r)
{
	const char *c = info(r, "Case-Number");
	const cJSON *it, *cs = cJSON_GetObjectItemCaseSensitive(r->info, "Container");
	const cJSON *list = cJSON_IsArray(cs) ? cs : NULL;
	struct stat st;
	size_t off = 0;

	r->sum->sealed = info(r, "Cfir-Sealed") != NULL;
	r->sum->signed_ = fstatat(r->dirfd, "tagmanifest-sha256.txt.minisig", &st, AT_SYMLINK_NOFOLLOW) == 0;
	r->sum->containers = r->ncont;
	snprintf(r->sum->case_id, sizeof(r->sum->case_id), "%s", c ? c : "");
	cJSON_ArrayForEach(it, list) {
		const char *sp = cJSON_IsString(it) ? strchr(it->valuestring, ' ') : NULL;
		int w;

		if (sp == NULL || off >= sizeof(r->sum->names))
			continue;
		w = snprintf(r->sum->names + off, sizeof(r->sum->names) - off, "%s%s", off ? ", " : "", sp + 1);
		off += w > 0 ? (size_t)w : 0;
	}
	if (cJSON_IsString(cs) && strchr(cs->valuestring, ' '))
		snprintf(r->sum->names, sizeof(r->sum->names), "%s", strchr(cs->valuestring, ' ') + 1);
}

static int
rep_open(struct rep *r, struct cfir_err *err)
{
	struct cfir_err e = { 0 };
	struct stat st;

	r->dirfd = open(r->o->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (r->dirfd < 0)
		return cfir_err_set(err, errno == ENOTDIR ? EX_DATAERR : cfir_err_sys_exit(errno), errno,
				    "bag '%s'", r->o->dir);
	if (fstatat(r->dirfd, "bagit.txt", &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
		return cfir_err_set(err, EX_DATAERR, 0, "'%s' is not a bag: no bagit.txt", r->o->dir);
	/* a bag without its bag-info.txt is still shown: verify says what is missing */
	if (cfir_bagread_info(r->dirfd, &r->info, &e) < 0 && (r->info = cJSON_CreateObject()) == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "report");
	return cfir_bagread_containers(r->dirfd, &r->cont, &r->ncont, err);
}

static void
rep_free(struct rep *r)
{
	size_t i;

	if (r->dirfd >= 0)
		close(r->dirfd);
	cJSON_Delete(r->info);
	cfir_util_free_strv(r->cont, r->ncont);
	for (i = 0; i < r->nman; i++)
		free(r->man[i].path);
	free(r->man);
	free(r->fails.p);
	free(r->recs);
	free(r->fz);
	free(r->pf);
	cJSON_Delete(r->k8s);
}

int
cfir_report_write(FILE *out, const struct cfir_report_opts *o, struct cfir_report_summary *sum,
		  struct cfir_err *err)
{
	struct rep r = { .h = { out }, .dirfd = -1, .o = o, .sum = sum, .err = err };
	const char *base = strrchr(o->dir, '/');
	int rc = -1;

	memset(sum, 0, sizeof(*sum));
	sum->worst = -1;
	r.rows = o->rows ? o->rows : 2000;
	if (rep_open(&r, err) < 0)
		goto out;
	summarize(&r);
	manifest_load(&r);
	verify_now(&r);
	if (rep_custody_read(&r) < 0 || rep_findings_read(&r) < 0)
		goto out;
	head(&r, base && base[1] ? base + 1 : o->dir);
	top(&r, o->dir);
	verdict(&r);
	rep_findings(&r);
	section(&r, "processes", "Processes", rep_processes);
	section(&r, "network", "Network", rep_network);
	section(&r, "filesystem", "Filesystem", rep_filesystem);
	rep_custody(&r);
	cfir_html_raw(&r.h, "</main>\n</body></html>\n");
	rc = 0;
out:
	rep_free(&r);
	return rc;
}

/* --- a case directory's index --- */

static int
row_rank(const struct cfir_report_row *a)
{
	if (a->sum == NULL)
		return 100;
	return (!a->sum->verified ? 50 : 0) + a->sum->worst + 1;
}

static int
row_cmp(const void *pa, const void *pb)
{
	const struct cfir_report_row *a = *(const struct cfir_report_row *const *)pa;
	const struct cfir_report_row *b = *(const struct cfir_report_row *const *)pb;
	int c = CFIR_UTIL_CMP(row_rank(b), row_rank(a));

	return c ? c : strcmp(a->bag, b->bag);
}

static void
index_row(struct rep *r, const struct cfir_report_row *row)
{
	const struct cfir_report_summary *s = row->sum;

	cfir_html_raw(&r->h, "<tr><td><a href=\"");
	cfir_html_url(&r->h, row->page);
	cfir_html_raw(&r->h, "\">");
	cfir_html_str(&r->h, row->bag, REP_CELL);
	cfir_html_raw(&r->h, "</a></td><td>");
	if (s == NULL) {
		cfir_html_raw(&r->h, "<span class=\"fail\">unreadable</span>: ");
		cfir_html_str(&r->h, row->error, REP_CELL);
		cfir_html_raw(&r->h, "</td><td></td><td></td><td></td></tr>\n");
		return;
	}
	cfir_html_printf(&r->h, "%s%s%s</td><td>", s->verified ? "<span class=\"ok\">verified</span>"
						      : "<span class=\"fail\">FAILED</span>",
			 s->sealed ? ", sealed" : ", not sealed",
			 s->sig_checked ? (s->sig_ok ? ", signature good" : ", <span class=\"fail\">signature bad</span>") : "");
	cfir_html_str(&r->h, s->names[0] ? s->names : NULL, REP_CELL);
	cfir_html_raw(&r->h, "</td><td>");
	if (s->worst >= 0) {
		cfir_html_printf(&r->h, "<span class=\"sev %s\">%s</span> ", cfir_severity_name(s->worst),
				 cfir_severity_name(s->worst));
		cfir_html_str(&r->h, s->worst_check, 64);
	} else
		cfir_html_raw(&r->h, "none");
	cfir_html_printf(&r->h, "</td><td class=\"n\">%zu</td></tr>\n", s->findings);
}

int
cfir_report_index(FILE *out, const char *title, const struct cfir_report_row *rows, size_t n,
		  const char *now, struct cfir_err *err)
{
	struct cfir_report_opts o = { .now = now };
	struct cfir_report_summary sum = { .worst = -1 };
	struct rep r = { .h = { out }, .dirfd = -1, .o = &o, .sum = &sum, .err = err };
	cleanup_free const struct cfir_report_row **order = calloc(n + 1, sizeof(*order));
	size_t i, bad = 0;

	if (order == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "report");
	for (i = 0; i < n; i++) {
		order[i] = &rows[i];
		bad += rows[i].sum == NULL || !rows[i].sum->verified;
	}
	qsort(order, n, sizeof(*order), row_cmp);
	head(&r, title);
	cfir_html_printf(&r.h, "<header class=\"top%s\" id=\"top\"><h1>cfir case: ", bad ? " bad" : "");
	cfir_html_str(&r.h, title, REP_CELL);
	cfir_html_printf(&r.h, "</h1>\n<p>%zu bag%s; %s</p></header>\n<main>\n<section id=\"bags\">"
			 "<h2>Bags</h2>\n<table class=\"bags\">\n<tr><th>Bag</th><th>Evidence</th><th>Containers</th>"
			 "<th>Worst finding</th><th>Findings</th></tr>\n", n, n == 1 ? "" : "s",
			 bad ? "SOME FAILED VERIFICATION" : "every one verified");
	for (i = 0; i < n; i++)
		index_row(&r, order[i]);
	cfir_html_raw(&r.h, "</table>\n<p class=\"note\">made ");
	rep_time_html(&r, now);
	cfir_html_raw(&r.h, " by cfir " CFIR_VERSION "; worst first</p>\n</section>\n</main>\n</body></html>\n");
	return 0;
}
