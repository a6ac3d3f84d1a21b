/* timeline.c - every time in a bag as one sorted event a line, for Timesketch or a spreadsheet */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/timeline.h"
#include "tools/tool.h"

struct timeline_opts {
	const char *output;
	enum cfir_tl_format format;
};

/* --format: jsonl (json too) or csv; text is refused, a timeline has no aligned view */
static int
check(struct tool_step *s, void *opts, int argc, char **argv)
{
	struct timeline_opts *o = opts;
	const char *f = s->g->format;

	(void)argc;
	(void)argv;
	if (f == NULL || strcmp(f, "jsonl") == 0 || strcmp(f, "json") == 0)
		o->format = CFIR_TL_JSONL;
	else if (strcmp(f, "csv") == 0)
		o->format = CFIR_TL_CSV;
	else
		return cfir_err_set(&s->err, EX_USAGE, 0, "timeline: --format takes jsonl, json or csv, not '%s'", f);
	return 0;
}

/* Whether the directory DIRFD is BAG or below it: its parents walked up to the root. */
static bool
below(int dirfd, const struct stat *bag)
{
	struct stat st, up;
	int fd = dup(dirfd), nfd, depth;

	for (depth = 0; fd >= 0 && depth < 4096; depth++) {
		if (fstat(fd, &st) < 0)
			break;
		if (st.st_dev == bag->st_dev && st.st_ino == bag->st_ino) {
			close(fd);
			return true;
		}
		nfd = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (nfd < 0 || fstat(nfd, &up) < 0 || (up.st_dev == st.st_dev && up.st_ino == st.st_ino)) {
			if (nfd >= 0)
				close(nfd);
			break;
		}
		close(fd);
		fd = nfd;
	}
	if (fd >= 0)
		close(fd);
	return false;
}

/* DIR (a directory) inside the bag: nothing is ever written there. */
static int
outside(const char *dir, const struct stat *bag, const char *what, struct cfir_err *err)
{
	cleanup_close int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return cfir_err_set(err, cfir_err_sys_exit(errno), errno, "%s '%s'", what, dir);
	if (below(fd, bag))
		return cfir_err_set(err, EX_USAGE, 0, "%s '%s' is inside the bag: a bag is only read", what, dir);
	return 0;
}

/* The bag at PATH: 66 when it is not there, 65 when it is no bag. */
static int
open_bag(const char *path, struct stat *st, struct cfir_err *err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat b;

	if (fd < 0 && errno == ENOTDIR)
		return cfir_err_set(err, EX_DATAERR, 0, "'%s': not a bag directory", path);
	if (fd < 0)
		return cfir_err_set(err, errno == ENOENT ? EX_NOINPUT : cfir_err_sys_exit(errno), errno, "bag '%s'", path);
	if (fstatat(fd, "bagit.txt", &b, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(b.st_mode)) {
		close(fd);
		return cfir_err_set(err, EX_DATAERR, 0, "'%s': not a bag (no bagit.txt)", path);
	}
	fstat(fd, st);
	return fd;
}

static FILE *
open_output(const char *path, const struct stat *bag, struct cfir_err *err)
{
	cleanup_free char *copy = strdup(path);
	int fd;
	FILE *f;

	if (copy == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "output"), NULL;
	if (outside(dirname(copy), bag, "the output's directory", err) < 0)
		return NULL;
	/* no link followed: it could lead into the bag */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return cfir_err_set(err, errno == ENOENT ? EX_CANTCREAT : cfir_err_sys_exit(errno), errno,
				    "output '%s'", path), NULL;
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		return cfir_err_set(err, EX_OSERR, errno, "output '%s'", path), NULL;
	}
	return f;
}

static void
failed(void *ctx, const struct cfir_err *e)
{
	tool_soft_fail(ctx, e);
}

/* What the events left out, said (stderr) without failing the command. */
static void
said(struct tool_step *s, const struct cfir_tl_stats *st)
{
	if (st->untimed)
		tool_warn(s, "%llu log lines without a time that parses: not in the timeline",
			  (unsigned long long)st->untimed);
	if (st->orphans)
		tool_warn(s, "%llu findings in a file no custody record lists: no time to give them",
			  (unsigned long long)st->orphans);
	if (st->bad)
		tool_warn(s, "%llu elements or lines that are not JSON objects skipped", (unsigned long long)st->bad);
	if (st->compressed)
		tool_warn(s, "%llu compressed pod logs not read", (unsigned long long)st->compressed);
	if (st->cut)
		tool_warn(s, "%zu log lines over 1 MiB: their events hold the first MiB", st->cut);
}

static int
finish(struct tool_step *s, FILE *f, bool own, const char *path)
{
	int bad = fflush(f) != 0 || ferror(f);
	int e = errno;

	if (own && fclose(f) != 0 && !bad) {
		bad = 1;
		e = errno;
	}
	if (bad && !own && e == EPIPE)
		return 0;	/* the reader had enough */
	if (bad)
		return cfir_err_set(&s->err, EX_IOERR, e, "write to '%s'",
				    own ? path : "standard output");
	return 0;
}

static int
run(struct tool_step *s, void *opts, int argc, char **argv)
{
	struct timeline_opts *o = opts;
	const char *tmp = getenv("TMPDIR");
	struct cfir_tl_opts to = { .format = o->format, .fail = failed, .ctx = s };
	struct cfir_tl_stats st;
	struct stat bag;
	cleanup_close int fd = open_bag(argv[0], &bag, &s->err);
	FILE *out = s->out->fp;
	int r;

	(void)argc;
	to.tmpdir = tmp != NULL && *tmp != '\0' ? tmp : "/tmp";
	if (fd < 0 || outside(to.tmpdir, &bag, "the temporary directory", &s->err) < 0)
		return -1;
	if (o->output != NULL && (out = open_output(o->output, &bag, &s->err)) == NULL)
		return -1;
	r = cfir_timeline_write(fd, out, &to, &st, &s->err);
	if (r < 0 && s->err.sys == EPIPE && o->output == NULL) {
		memset(&s->err, 0, sizeof(s->err));
		r = 0;
	}
	if (finish(s, out, o->output != NULL, o->output) < 0 || r < 0)
		return -1;
	said(s, &st);
	return 0;
}

static const struct tool_opt opts[] = {
	TOOL_OPT("output", 'o', TOOL_OPT_STRING, struct timeline_opts, output),
	{ 0 },
};

static const char timeline_usage[] =
	"usage: cfir timeline [-h] [--format jsonl|csv] [-o file] bag\n";

const struct tool_cmd cmd_timeline = {
	.name = "timeline", .usage = timeline_usage, .min_args = 1, .max_args = 1, .opts = opts,
	.summary = "every time in a bag as sorted events (Timesketch JSONL or CSV)",
	.needs = TOOL_OWN_FORMAT, .opts_size = sizeof(struct timeline_opts), .check = check, .run = run,
};
