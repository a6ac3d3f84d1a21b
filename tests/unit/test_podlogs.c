/* test_podlogs.c - pod log directories with hostile names, CRI log lines */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/out.h"
#include "common/podlogs.h"
#include "tests/unit/unit.h"

#define POD "var/log/pods/prod_web-0_1111-2222"

static void
mkdirs(const char *root, const char *sub)
{
	char path[512], *p;

	snprintf(path, sizeof(path), "%s/%s/", root, sub);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		CHECK(mkdir(path, 0755) == 0 || errno == EEXIST);
		*p = '/';
	}
}

static void
link_at(const char *root, const char *sub, const char *target)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, sub);
	CHECK(symlink(target, path) == 0);
}

/* A pod of one container "app": live logs, rotated ones, a link, a stray file and directory. */
static const char *
pods_tree(void)
{
	static char root[256];
	char dir[400];

	snprintf(root, sizeof(root), "%s", unit_tmpdir());
	mkdirs(root, POD "/app/sub");
	snprintf(dir, sizeof(dir), "%s/" POD "/app", root);
	unit_write(dir, "0.log", "2026-11-30T18:00:00.5Z stdout F hello\n");
	unit_write(dir, "1.log", "2026-11-30T18:05:00Z stderr F after a restart\n");
	unit_write(dir, "0.log.20261130-100000.gz", "\x1f\x8b");
	unit_write(dir, "0.log.20261130-090000", "2026-11-30T09:00:00Z stdout F old\n");
	unit_write(dir, "notes.txt", "not a log");
	unit_write(root, "secret", "the host's");
	link_at(root, POD "/app/2.log", "../../../../../secret");
	/* another pod's directory reached through a link, a container directory that is one */
	link_at(root, "var/log/pods/prod_evil_3333", "prod_web-0_1111-2222");
	link_at(root, POD "/linked", "app");
	return root;
}

static void
listing(void)
{
	const char *root = pods_tree();
	struct cfir_podlogs_id id = { "prod", "web-0", "1111-2222", "app" };
	struct cfir_podlogs pl;
	struct cfir_err err = { 0 };
	static const char *order[] = { "0.log.20261130-090000", "0.log.20261130-100000.gz", "0.log", "1.log" };
	size_t i;

	CHECK(cfir_podlogs_open(root, &id, &pl, &err) == 0);
	CHECK(pl.n == 4);
	for (i = 0; i < pl.n && i < 4; i++)
		CHECK_STR(pl.v[i].name, order[i]);
	CHECK(pl.links == 1);
	CHECK(pl.skipped == 2);	/* notes.txt, sub */
	CHECK(pl.n == 4 && pl.v[1].rotated && pl.v[1].compressed && !pl.v[2].rotated && pl.v[3].restart == 1);
	CHECK_STR(pl.dir, "/var/log/pods/prod_web-0_1111-2222/app");
	cfir_podlogs_close(&pl);
	CHECK(pl.dirfd == -1 && pl.v == NULL);
}

/* Each file's exact bytes through its descriptor; a file turned into a link meanwhile refused. */
static void
file_open(void)
{
	const char *root = pods_tree();
	struct cfir_podlogs_id id = { "prod", "web-0", "1111-2222", "app" };
	struct cfir_podlogs pl;
	struct cfir_err err = { 0 };
	struct stat st;
	char buf[128], path[512];
	ssize_t n;
	int fd;

	CHECK(cfir_podlogs_open(root, &id, &pl, &err) == 0);
	if (pl.n != 4)
		goto out;
	fd = cfir_podlogs_file_open(&pl, 2, &st, &err);
	CHECK(fd >= 0 && S_ISREG(st.st_mode) && st.st_ino == pl.v[2].ino);
	n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
	CHECK(n == 38 && memcmp(buf, "2026-11-30T18:00:00.5Z stdout F hello\n", 38) == 0);
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "%s/" POD "/app/1.log", root);
	CHECK(unlink(path) == 0 && symlink("/etc/passwd", path) == 0);
	CHECK(cfir_podlogs_file_open(&pl, 3, &st, &err) < 0 && err.exit == EX_DATAERR);
	CHECK(cfir_podlogs_file_open(&pl, 9, &st, &err) < 0 && err.exit == EX_SOFTWARE);
out:
	cfir_podlogs_close(&pl);
}

static int
try(const char *root, const char *ns, const char *pod, const char *uid, const char *ctr)
{
	struct cfir_podlogs_id id = { ns, pod, uid, ctr };
	struct cfir_podlogs pl;
	struct cfir_err err = { 0 };

	if (cfir_podlogs_open(root, &id, &pl, &err) == 0) {
		cfir_podlogs_close(&pl);
		return 0;
	}
	CHECK(pl.dirfd == -1 && pl.v == NULL && pl.dir == NULL);
	return err.exit;
}

static void
hostile(void)
{
	const char *root = pods_tree();
	char *big = malloc((1u << 20) + 1);

	CHECK(big != NULL);
	if (big == NULL)
		return;
	memset(big, 'a', 1u << 20);
	big[1u << 20] = '\0';
	CHECK(try(root, "prod", "..", "1111-2222", "app") == EX_DATAERR);
	CHECK(try(root, "prod", "web-0", "1111-2222", "..") == EX_DATAERR);
	CHECK(try(root, "prod", "web-0", "1111-2222", ".") == EX_DATAERR);
	CHECK(try(root, "prod", "web-0/../web-0", "1111-2222", "app") == EX_DATAERR);
	CHECK(try(root, "prod", "web-0", "1111-2222", "../app") == EX_DATAERR);
	CHECK(try(root, "prod", "web\n0", "1111-2222", "app") == EX_DATAERR);
	CHECK(try(root, "prod", "web-0", "1111-2222", "ap\x1bp") == EX_DATAERR);
	CHECK(try(root, "prod", big, "1111-2222", "app") == EX_DATAERR);
	CHECK(try(root, "prod", "web-0", "1111-2222", big) == EX_DATAERR);
	CHECK(try(root, "", "web-0", "1111-2222", "app") == EX_DATAERR);
	CHECK(try(root, "prod", NULL, "1111-2222", "app") == EX_DATAERR);
	/* "prod_web" + "0" would spell another pod's directory */
	CHECK(try(root, "prod_web-0", "1111", "2222", "app") == EX_DATAERR);
	/* links on the way: never followed */
	CHECK(try(root, "prod", "evil", "3333", "app") == EX_DATAERR);
	CHECK(try(root, "prod", "web-0", "1111-2222", "linked") == EX_DATAERR);
	CHECK(try(root, "prod", "web-0", "9999", "app") == EX_NOINPUT);
	CHECK(try(root, "prod", "web-0", "1111-2222", "db") == EX_NOINPUT);
	CHECK(try(root, "prod", "web-0", "1111-2222", "app") == 0);
	free(big);
}

static void
parse_line(void)
{
	static const char ok1[] = "2016-10-06T00:17:09.669794202Z stdout F hello world";
	static const char ok2[] = "2016-10-06T02:17:09.6+02:00 stderr P:x,y part";
	static const char ok3[] = "2024-02-29T23:59:59Z stdout F ";
	static const char nul[] = "2016-10-06T00:17:09Z stdout F a\0b";
	struct cfir_crilog_line l;
	const char *why = NULL;

	CHECK(cfir_crilog_parse(ok1, sizeof(ok1) - 1, &l, &why) == 0);
	CHECK(l.stream == CFIR_CRILOG_STDOUT && !l.partial && l.time.tv_sec == 1475713029 &&
	      l.time.tv_nsec == 669794202 && l.msg_len == 11 && memcmp(l.msg, "hello world", 11) == 0);
	CHECK(l.time_len == 30 && l.time_text == ok1);
	CHECK(cfir_crilog_parse(ok2, sizeof(ok2) - 1, &l, &why) == 0);
	CHECK(l.stream == CFIR_CRILOG_STDERR && l.partial && l.time.tv_sec == 1475713029 &&
	      l.time.tv_nsec == 600000000 && l.msg_len == 4);
	CHECK(cfir_crilog_parse(ok3, sizeof(ok3) - 1, &l, &why) == 0 && l.msg_len == 0);
	CHECK(cfir_crilog_parse(nul, sizeof(nul) - 1, &l, &why) == 0 && l.msg_len == 3 && l.msg[1] == '\0');
	CHECK(cfir_crilog_parse("", 0, &l, &why) < 0 && why != NULL);
	CHECK(cfir_crilog_parse("2016-10-06T00:17:09Z stdout F", 29, &l, &why) < 0);	/* no space after the tag */
	CHECK(cfir_crilog_parse("2016-10-06T00:17:09Z stdout X m", 31, &l, &why) < 0);
	CHECK(cfir_crilog_parse("2016-10-06T00:17:09Z stdout FF m", 32, &l, &why) < 0);
	CHECK(cfir_crilog_parse("2016-10-06T00:17:09Z stdin F m", 30, &l, &why) < 0);
	CHECK(cfir_crilog_parse("2016-10-06T00:17:09Z  stdout F m", 32, &l, &why) < 0);
	CHECK(cfir_crilog_parse("2023-02-29T00:17:09Z stdout F m", 31, &l, &why) < 0);
	CHECK(cfir_crilog_parse("2016-10-06T24:17:09Z stdout F m", 31, &l, &why) < 0);
	CHECK(cfir_crilog_parse("2016-10-06T00:17:09.Z stdout F m", 32, &l, &why) < 0);
	CHECK(cfir_crilog_parse("2016-10-06T00:17:09.1234567890Z stdout F m", 41, &l, &why) < 0);
	CHECK(cfir_crilog_parse("2016-10-06T00:17:09+0200 stdout F m", 35, &l, &why) < 0);
	CHECK(cfir_crilog_parse("2016-10-06 00:17:09Z stdout F m", 31, &l, &why) < 0);
	/* the length, not a NUL, ends the line */
	CHECK(cfir_crilog_parse(ok1, 35, &l, &why) < 0);
}

static const char log_text[] =
	"2026-11-30T18:00:00Z stdout F one\n"
	"2026-11-30T18:00:01Z stderr P two-\n"
	"2026-11-30T18:00:01Z stderr F two\n"
	"garbage\n"
	"\n"
	"2026-11-30T17:00:00Z stdout F back in time\n"
	"2026-11-30T18:00:02.25Z stdout F last";

static void
check_summary(const struct cfir_crilog_summary *s)
{
	CHECK(s->lines == 7 && s->out == 3 && s->err == 2 && s->partial == 1);
	CHECK(s->malformed == 2 && s->first_malformed == 4 && s->first_why != NULL);
	CHECK(s->backwards == 1 && s->unterminated && s->bytes == sizeof(log_text) - 1);
	CHECK(s->has_time && s->first.tv_sec == 1796061600 && s->last.tv_sec == 1796061602 &&
	      s->last.tv_nsec == 250000000);
}

/* The same summary however the bytes arrive; a 1 MiB line costs no memory. */
static void
summary(void)
{
	struct cfir_crilog_summary s;
	cleanup_cjson cJSON *j = NULL;
	size_t i;
	char *big;

	cfir_crilog_summary_init(&s);
	cfir_crilog_summary_feed(&s, log_text, sizeof(log_text) - 1);
	cfir_crilog_summary_end(&s);
	check_summary(&s);
	cfir_crilog_summary_init(&s);
	for (i = 0; i < sizeof(log_text) - 1; i++)
		cfir_crilog_summary_feed(&s, log_text + i, 1);
	cfir_crilog_summary_end(&s);
	check_summary(&s);
	j = cfir_crilog_summary_json(&s);
	CHECK_STR(cfir_json_str(j, "first"), "2026-11-30T18:00:00.000000000Z");
	CHECK(cfir_json_num(j, "malformed") == 2 && cfir_json_num(j, "first_malformed_line") == 4);
	if ((big = malloc(1u << 20)) == NULL)
		return;
	memset(big, 'x', 1u << 20);
	memcpy(big, "2026-11-30T18:00:00Z stdout F ", 30);
	big[(1u << 20) - 1] = '\n';
	cfir_crilog_summary_init(&s);
	cfir_crilog_summary_feed(&s, big, 1u << 20);
	cfir_crilog_summary_end(&s);
	CHECK(s.lines == 1 && s.out == 1 && s.malformed == 0 && !s.unterminated);
	free(big);
}

UNIT_SUITE(podlogs_tests) = {
	{ "podlogs: a container's log files in the order written; a link skipped", listing },
	{ "podlogs: a log file opened by its descriptor, a link put in its place refused", file_open },
	{ "podlogs: hostile names (.., /, newline, 1 MiB, _) and links never escape", hostile },
	{ "podlogs: CRI log lines parsed, malformed ones said", parse_line },
	{ "podlogs: a log summed up whatever its chunks, a 1 MiB line included", summary },
	UNIT_END,
};
