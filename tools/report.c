/* report.c - a bag, or a case directory of bags, as HTML pages for people */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/hunt.h"
#include "common/minisign.h"
#include "common/report.h"
#include "common/util.h"
#include "tools/tool.h"

#define BAGS_MAX 10000		/* bags of one case directory */

struct report_opts {
	const char *output;
	const char *pubkey;
	struct cfir_minisign_pub pk;
	bool have_pk;
	char now[CFIR_TIME_LEN];
};

static bool
is_bag(int dirfd, const char *name)
{
	cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	return fd >= 0 && fstatat(fd, "bagit.txt", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

/* TO as a URL relative to the directory FROM (both absolute and resolved): "../case/web-1/" */
static char *
relative(const char *from, const char *to)
{
	cleanup_free char *f = strdup(from), *t = strdup(to);
	char *fs = NULL, *ts = NULL, *fc, *tc;
	struct cfir_text out = { 0 };

	if (f == NULL || t == NULL)
		return NULL;
	fc = strtok_r(f, "/", &fs);
	tc = strtok_r(t, "/", &ts);
	while (fc != NULL && tc != NULL && strcmp(fc, tc) == 0) {
		fc = strtok_r(NULL, "/", &fs);
		tc = strtok_r(NULL, "/", &ts);
	}
	for (; fc != NULL; fc = strtok_r(NULL, "/", &fs))
		cfir_text_add(&out, "../", 3);
	for (; tc != NULL; tc = strtok_r(NULL, "/", &ts)) {
		cfir_text_add(&out, tc, strlen(tc));
		cfir_text_add(&out, "/", 1);
	}
	if (out.oom) {
		free(out.p);
		return NULL;
	}
	return out.p ? out.p : strdup("./");
}

/* The page's directory, resolved: the parent of PAGE, which need not exist yet as a file. */
static char *
page_dir(const char *page)
{
	cleanup_free char *copy = strdup(page);

	return copy ? realpath(dirname(copy), NULL) : NULL;
}

/*
 * An unnamed file in PAGE's directory (O_TMPFILE): nothing shows there
 * while the page is made, which matters when the page goes into the bag
 * that verify is reading. Else a named temporary file; *TMP names it.
 */
static int
open_unnamed(const char *page, char **tmp)
{
	cleanup_free char *copy = strdup(page);
	int fd;

	*tmp = NULL;
	if (copy == NULL)
		return -1;
	fd = open(dirname(copy), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
	if (asprintf(tmp, "%s.tmp-XXXXXX", page) < 0)
		return -1;
	fd = mkostemp(*tmp, O_CLOEXEC);
	if (fd >= 0 && fchmod(fd, 0600) == 0)
		return fd;
	if (fd >= 0) {
		close(fd);
		unlink(*tmp);
	}
	return -1;
}

/* The unnamed file FD under PAGE: linked to a name of its own beside it, renamed over PAGE. */
static int
name_it(int fd, const char *page, char **tmp)
{
	char self[64];
	unsigned i;

	if (*tmp == NULL) {
		snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
		for (i = 0; i < 100; i++) {
			free(*tmp);
			if (asprintf(tmp, "%s.tmp-%d-%u", page, (int)getpid(), i) < 0) {
				*tmp = NULL;
				return -1;
			}
			if (linkat(AT_FDCWD, self, AT_FDCWD, *tmp, AT_SYMLINK_FOLLOW) == 0)
				break;
			if (errno != EEXIST)
				return -1;
		}
	}
	return rename(*tmp, page);
}

/* The page written whole or not at all. */
static int
write_page(const char *page, int (*fn)(FILE *f, void *ctx, struct cfir_err *err), void *ctx,
	   struct cfir_err *err)
{
	cleanup_free char *tmp = NULL;
	FILE *f;
	int fd, r;

	fd = open_unnamed(page, &tmp);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		r = cfir_err_set(err, EX_CANTCREAT, errno, "'%s'", page);
		if (fd >= 0)
			close(fd);
		if (tmp != NULL)
			unlink(tmp);
		return r;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 16);
	r = fn(f, ctx, err);
	if (r == 0 && (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) < 0))
		r = cfir_err_set(err, EX_IOERR, errno, "write '%s'", page);
	if (r == 0 && name_it(fileno(f), page, &tmp) < 0)
		r = cfir_err_set(err, EX_CANTCREAT, errno, "'%s'", page);
	if (fclose(f) != 0 && r == 0)
		r = cfir_err_set(err, EX_IOERR, errno, "write '%s'", page);
	if (r != 0 && tmp != NULL)
		unlink(tmp);
	return r;
}

struct one {
	struct cfir_report_opts ro;
	struct cfir_report_summary sum;
};

static int
bag_page(FILE *f, void *ctx, struct cfir_err *err)
{
	struct one *o = ctx;

	return cfir_report_write(f, &o->ro, &o->sum, err);
}

/* One bag's page at PAGE; its links reach the bag from there. */
static int
report_bag(struct tool_step *s, const struct report_opts *o, const char *bag, const char *page,
	   struct cfir_report_summary *sum)
{
	cleanup_free char *dir = page_dir(page), *real = realpath(bag, NULL), *href = NULL;
	struct one one = { .ro = { .dir = bag, .pub = o->have_pk ? &o->pk : NULL, .now = o->now } };
	size_t n;

	if (real == NULL)
		return cfir_err_set(&s->err, cfir_err_sys_exit(errno), errno, "bag '%s'", bag);
	if (dir == NULL)
		return cfir_err_set(&s->err, EX_CANTCREAT, errno, "'%s'", page);
	n = strlen(real);
	if (strncmp(dir, real, n) == 0 && (dir[n] == '/' || dir[n] == '\0'))
		tool_warn(s, "'%s' is inside the bag: verify will call it a file the manifest lacks", page);
	href = relative(dir, real);
	if (href == NULL)
		return cfir_err_set(&s->err, EX_OSERR, ENOMEM, "report");
	one.ro.href = href;
	if (write_page(page, bag_page, &one, &s->err) < 0)
		return -1;
	*sum = one.sum;
	return 0;
}

static void
said(struct cfir_text *t, const cJSON *rec)
{
	const char *w = cfir_json_str(rec, "worst");

	cfir_text_printf(t, "%s: %s, %s", cfir_json_str(rec, "report"),
			 cJSON_IsTrue(cJSON_GetObjectItem(rec, "verified")) ? "verified" : "FAILED verification",
			 cJSON_IsTrue(cJSON_GetObjectItem(rec, "sealed")) ? "sealed" : "not sealed");
	if (cJSON_GetObjectItem(rec, "signature") != NULL)
		cfir_text_printf(t, ", signature %s", cJSON_IsTrue(cJSON_GetObjectItem(rec, "signature")) ? "good" : "BAD");
	if (w != NULL)
		cfir_text_printf(t, ", worst finding %s", w);
}

static const struct cfir_view said_view = { said, NULL };

static void
tell(struct tool_step *s, const char *bag, const char *page, const struct cfir_report_summary *sum)
{
	cleanup_cjson cJSON *rec = cJSON_CreateObject();

	cfir_json_add_text(rec, "bag", bag);
	cfir_json_add_text(rec, "report", page);
	if (sum != NULL) {
		cJSON_AddBoolToObject(rec, "verified", sum->verified);
		cJSON_AddBoolToObject(rec, "sealed", sum->sealed);
		if (sum->sig_checked)
			cJSON_AddBoolToObject(rec, "signature", sum->sig_ok);
		cfir_json_add_num(rec, "findings", (double)sum->findings);
		cfir_json_add_str(rec, "worst", sum->worst >= 0 ? cfir_severity_name(sum->worst) : NULL);
		if (!sum->verified || (sum->sig_checked && !sum->sig_ok))
			s->status = CFIR_EX_NEGATIVE;
	}
	cfir_out_record(s->out, rec, &said_view);
}

/*
 * The page beside the bag: "<parent>/<bag>-report.html", from the bag's
 * resolved path, so that "." or "bag/." never puts it inside the bag.
 */
static char *
default_page(const char *bag)
{
	cleanup_free char *real = realpath(bag, NULL);
	char *page = NULL, *slash;

	if (real == NULL || (slash = strrchr(real, '/')) == NULL || slash[1] == '\0')
		return NULL;
	*slash = '\0';
	return asprintf(&page, "%s/%s-report.html", real, slash + 1) < 0 ? NULL : page;
}

static int
one_bag(struct tool_step *s, const struct report_opts *o, const char *arg)
{
	cleanup_free char *bag = strdup(arg), *page = NULL;
	struct cfir_report_summary sum;

	if (bag == NULL)
		return cfir_err_set(&s->err, EX_OSERR, ENOMEM, "report");
	if ((page = o->output ? strdup(o->output) : default_page(bag)) == NULL)
		return cfir_err_set(&s->err, errno == ENOMEM ? EX_OSERR : EX_CANTCREAT, errno,
				    "bag '%s': no directory beside it for its page (give -o)", bag);
	if (report_bag(s, o, bag, page, &sum) < 0)
		return -1;
	tell(s, bag, page, &sum);
	return 0;
}

/* --- a case directory --- */

struct case_dir {
	char **bags;		/* relative to the case directory: "web-1", "host-a/web-1" */
	size_t n, cap;
};

static int
add_bag(struct case_dir *c, const char *prefix, const char *name)
{
	char *rel = NULL;

	if (c->n >= BAGS_MAX || !cfir_util_grow((void **)&c->bags, &c->cap, c->n, sizeof(char *), 16, BAGS_MAX) ||
	    asprintf(&rel, "%s%s%s", prefix ? prefix : "", prefix ? "/" : "", name) < 0)
		return -1;
	c->bags[c->n++] = rel;
	return 0;
}

/* The bags in DIRFD, and in its directories that are not bags themselves (a fleet's hosts). */
static int
find_bags(struct case_dir *c, int dirfd, const char *prefix)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;
	int r = 0;

	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (r == 0 && (de = readdir(d)) != NULL) {
		cleanup_close int sub = -1;

		if (de->d_name[0] == '.')
			continue;
		if (is_bag(dirfd, de->d_name))
			r = add_bag(c, prefix, de->d_name);
		else if (prefix == NULL &&
			 (sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0)
			r = find_bags(c, sub, de->d_name);
	}
	closedir(d);
	return r;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct index {
	const char *title;
	struct cfir_report_row *rows;
	size_t n;
	const char *now;
};

static int
index_page(FILE *f, void *ctx, struct cfir_err *err)
{
	struct index *ix = ctx;

	return cfir_report_index(f, ix->title, ix->rows, ix->n, ix->now, err);
}

/*
 * Bag I's page name: its safe name, with "-2", "-3", ... when an earlier
 * bag's safe name was the same ("host-a/web-1" and "host-a_web-1"): one
 * page a bag, never one bag's row linking to another's page.
 */
static int
page_name(struct cfir_report_row *rows, size_t i, const char *safe)
{
	size_t j, k;

	for (k = 1;; k++) {
		char *name = NULL;

		if ((k == 1 ? asprintf(&name, "%s-report.html", safe)
			    : asprintf(&name, "%s-%zu-report.html", safe, k)) < 0)
			return -1;
		for (j = 0; j < i && strcmp(rows[j].page, name) != 0; j++)
			;
		if (j == i) {
			rows[i].page = name;
			return 0;
		}
		free(name);
	}
}

/* every bag's page beside the index, then the index */
static int
case_pages(struct tool_step *s, const struct report_opts *o, const char *dir, const char *index,
	   struct case_dir *c, struct cfir_report_summary *sums, struct cfir_report_row *rows)
{
	cleanup_free char *idir = page_dir(index);
	size_t i;

	if (idir == NULL)
		return cfir_err_set(&s->err, EX_CANTCREAT, errno, "'%s'", index);
	for (i = 0; i < c->n; i++) {
		cleanup_free char *bag = NULL, *page = NULL;
		char *safe = cfir_util_safe_name(c->bags[i], 200);

		rows[i].bag = c->bags[i];
		if (safe == NULL || page_name(rows, i, safe) < 0 ||
		    asprintf(&bag, "%s/%s", dir, c->bags[i]) < 0 ||
		    asprintf(&page, "%s/%s", idir, rows[i].page) < 0) {
			free(safe);
			return cfir_err_set(&s->err, EX_OSERR, ENOMEM, "report");
		}
		free(safe);
		if (report_bag(s, o, bag, page, &sums[i]) < 0) {
			tool_soft_fail(s, &s->err);
			rows[i].error = strdup(cfir_err_str(&s->err));
			memset(&s->err, 0, sizeof(s->err));
			continue;
		}
		rows[i].sum = &sums[i];
		tell(s, bag, page, &sums[i]);
	}
	return 0;
}

static int
case_dir(struct tool_step *s, const struct report_opts *o, const char *dir)
{
	struct case_dir c = { 0 };
	cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_free char *index = NULL;
	cleanup_free struct cfir_report_summary *sums = NULL;
	cleanup_free struct cfir_report_row *rows = NULL;
	struct index ix = { .title = dir, .now = o->now };
	size_t i;
	int r = -1;

	if (fd < 0)
		return cfir_err_set(&s->err, cfir_err_sys_exit(errno), errno, "'%s'", dir);
	if (find_bags(&c, fd, NULL) < 0)
		return cfir_err_set(&s->err, EX_OSERR, errno, "'%s'", dir);
	if (c.n == 0) {
		r = cfir_err_set(&s->err, EX_DATAERR, 0, "'%s' is neither a bag nor a directory of bags", dir);
		goto out;
	}
	qsort(c.bags, c.n, sizeof(char *), by_name);
	sums = calloc(c.n, sizeof(*sums));
	rows = calloc(c.n, sizeof(*rows));
	index = o->output ? strdup(o->output) : NULL;
	if (sums == NULL || rows == NULL || (index == NULL && asprintf(&index, "%s/index.html", dir) < 0)) {
		r = cfir_err_set(&s->err, EX_OSERR, ENOMEM, "report");
		goto out;
	}
	if (case_pages(s, o, dir, index, &c, sums, rows) < 0)
		goto out;
	ix.rows = rows;
	ix.n = c.n;
	if ((r = write_page(index, index_page, &ix, &s->err)) == 0)
		tell(s, dir, index, NULL);
out:
	for (i = 0; rows != NULL && i < c.n; i++) {
		free((char *)rows[i].page);
		free((char *)rows[i].error);
	}
	cfir_util_free_strv(c.bags, c.n);
	return r;
}

static int
run(struct tool_step *s, void *opts, int argc, char **argv)
{
	struct report_opts *o = opts;
	struct stat st;

	(void)argc;
	cfir_util_now_rfc3339(o->now);
	if (o->pubkey != NULL) {
		if (tool_pubkey_load(o->pubkey, &o->pk, &s->err) < 0)
			return -1;
		o->have_pk = true;
	}
	if (stat(argv[0], &st) < 0)
		return cfir_err_set(&s->err, cfir_err_sys_exit(errno), errno, "'%s'", argv[0]);
	if (!S_ISDIR(st.st_mode))
		return cfir_err_set(&s->err, EX_DATAERR, 0, "'%s' is not a bag directory", argv[0]);
	if (is_bag(AT_FDCWD, argv[0]))
		return one_bag(s, o, argv[0]);
	return case_dir(s, o, argv[0]);
}

static const struct tool_opt opts[] = {
	TOOL_OPT("output", 'o', TOOL_OPT_STRING, struct report_opts, output),
	TOOL_OPT("pubkey", 'p', TOOL_OPT_STRING, struct report_opts, pubkey),
	{ 0 },
};

static const char report_usage[] =
	"usage: cfir report [-h] [-o file] [-p pubkey] bag|case-dir\n";

const struct tool_cmd cmd_report = {
	.name = "report", .usage = report_usage, .min_args = 1, .max_args = 1, .opts = opts,
	.summary = "a bag, or a case directory of bags, as one self-contained HTML page each",
	.opts_size = sizeof(struct report_opts), .run = run,
};
