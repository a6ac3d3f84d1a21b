/* test_freezer.c - the cgroup freezer on fake v1 and v2 trees, and on a real container when one is named */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/freezer.h"
#include "tests/unit/unit.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* DIR/SUB made, parents and all; the whole path in OUT. */
static void
mkdirs(const char *dir, const char *sub, char *out, size_t n)
{
	char *p;

	snprintf(out, n, "%s/%s", dir, sub);
	for (p = out + strlen(dir) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		mkdir(out, 0755);
		*p = '/';
	}
	mkdir(out, 0755);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static int
parse(const char *text, int *kind, char *path, size_t n, struct cfir_err *err)
{
	return cfir_freezer_parse(text, strlen(text), ID, kind, path, n, err);
}

static void
parse_lines(void)
{
	struct cfir_err err = { 0 };
	char path[CFIR_FREEZER_PATH_MAX];
	int kind = 0;

	/* hybrid: the v1 freezer wins; an init moved below its cgroup still names the whole */
	CHECK(parse("6:freezer:/docker/" ID "/sub/deeper\n4:memory:/docker/" ID "\n0::/\n", &kind, path,
		    sizeof(path), &err) == 0);
	CHECK(kind == CFIR_FREEZER_V1);
	CHECK_STR(path, "/docker/" ID);
	CHECK(parse("3:cpu,freezer:/" ID "\n", &kind, path, sizeof(path), &err) == 0);
	CHECK(kind == CFIR_FREEZER_V1);
	CHECK_STR(path, "/" ID);
	/* a freezer that does not name the container gives way to the unified line */
	CHECK(parse("6:freezer:/\n0::/system.slice/docker-" ID ".scope/init\n", &kind, path, sizeof(path),
		    &err) == 0);
	CHECK(kind == CFIR_FREEZER_V2);
	CHECK_STR(path, "/system.slice/docker-" ID ".scope");
	CHECK(parse("0::/kubepods/pod1/crio-" ID ".scope", &kind, path, sizeof(path), &err) == 0);
	CHECK_STR(path, "/kubepods/pod1/crio-" ID ".scope");
}

static void
parse_hostile(void)
{
	struct cfir_err err = { 0 };
	char path[CFIR_FREEZER_PATH_MAX];
	int kind = 0;

	/* a sub-cgroup named "x\n6:freezer:/" forges a second freezer line */
	CHECK(parse("4:memory:/docker/" ID "/x\n6:freezer:/\n6:freezer:/docker/" ID "\n0::/\n", &kind, path,
		    sizeof(path), &err) < 0);
	CHECK(err.exit == EX_DATAERR);
	CHECK(parse("0::/docker-" ID ".scope/x\n0::/\n", &kind, path, sizeof(path), &err) < 0);
	CHECK(err.exit == EX_DATAERR);
	/* or a fragment that is no line at all */
	CHECK(parse("6:freezer:/docker/" ID "/a\nb\n", &kind, path, sizeof(path), &err) < 0);
	CHECK(err.exit == EX_DATAERR);
	CHECK(parse("6:freezer:/docker/" ID "\n\n0::/\n", &kind, path, sizeof(path), &err) < 0);
	CHECK(err.exit == EX_DATAERR);
	CHECK(parse("6:freezer:/../" ID "\n", &kind, path, sizeof(path), &err) < 0);
	CHECK(err.exit == EX_DATAERR);
	CHECK(parse("6:freezer:/a//" ID "\n", &kind, path, sizeof(path), &err) < 0);
	CHECK(err.exit == EX_DATAERR);
	/* nothing names the container */
	CHECK(parse("6:freezer:/docker/other\n0::/\n", &kind, path, sizeof(path), &err) < 0);
	CHECK(err.exit == EX_UNAVAILABLE);
	CHECK(parse("", &kind, path, sizeof(path), &err) < 0);
	CHECK(err.exit == EX_UNAVAILABLE);
	CHECK(cfir_freezer_parse("0::/a\n", 6, "", &kind, path, sizeof(path), &err) < 0);
	CHECK(cfir_freezer_parse("0::/a\n", 6, "a/b", &kind, path, sizeof(path), &err) < 0);
	/* a path over the room given */
	CHECK(parse("0::/docker-" ID ".scope\n", &kind, path, 20, &err) < 0);
	/* a short ID names a component whole, never the slice that holds its letters */
	CHECK(cfir_freezer_parse("0::/system.slice/runc-s.scope\n", 30, "s", &kind, path, sizeof(path), &err) == 0);
	CHECK_STR(path, "/system.slice/runc-s.scope");
	CHECK(cfir_freezer_parse("0::/user.slice/user-1000.slice\n", 31, "user", &kind, path, sizeof(path), &err) < 0);
	CHECK(err.exit == EX_UNAVAILABLE);
	CHECK(cfir_freezer_parse("0::/kubepods/besteffort/pod12/abc\n", 34, "12", &kind, path, sizeof(path), &err) < 0);
	CHECK(cfir_freezer_parse("0::/kubepods/besteffort/pod12/abc\n", 34, "abc", &kind, path, sizeof(path), &err) == 0);
	CHECK_STR(path, "/kubepods/besteffort/pod12/abc");
	/* conmon's cgroup is named after the container and is not it */
	CHECK(cfir_freezer_parse("0::/machine.slice/libpod-conmon-c1.scope\n", 41, "c1", &kind, path, sizeof(path), &err) < 0);
}

/* A v1 tree under a fresh directory: ROOT/freezer/docker/ID/freezer.state saying STATE. */
static const char *
v1_tree(const char *state, char *dir, size_t n)
{
	const char *root = unit_tmpdir();

	mkdirs(root, "freezer/docker/" ID, dir, n);
	if (state != NULL)
		unit_write(dir, "freezer.state", state);
	return root;
}

static void
v1_plain(void)
{
	struct cfir_freezer f;
	struct cfir_err err = { 0 };
	char dir[PATH_MAX], st[64];
	const char *root = v1_tree("THAWED\n", dir, sizeof(dir));
	cleanup_free char *after = NULL;

	CHECK(cfir_freezer_open(root, CFIR_FREEZER_V1, "/docker/" ID, &f, &err) == 0);
	CHECK(cfir_freezer_state(&f, st, sizeof(st), &err) == 0);
	CHECK_STR(st, "THAWED");
	CHECK(cfir_freezer_freeze(&f, 1000, &err) == 0);
	CHECK(cfir_freezer_state(&f, st, sizeof(st), &err) == 0);
	CHECK_STR(st, "FROZEN");
	CHECK(cfir_freezer_thaw(&f, 1000, &err) == 0);
	after = unit_read(dir, "freezer.state");
	CHECK_STR(after, "THAWED");
	cfir_freezer_close(&f);
	CHECK(f.dfd == -1);
}

static void
v1_missing(void)
{
	struct cfir_freezer f;
	struct cfir_err err = { 0 };
	char dir[PATH_MAX];
	const char *root = v1_tree(NULL, dir, sizeof(dir));

	/* the cgroup without its freezer, a cgroup that is gone, the root */
	CHECK(cfir_freezer_open(root, CFIR_FREEZER_V1, "/docker/" ID, &f, &err) < 0);
	CHECK(err.exit == EX_UNAVAILABLE);
	CHECK(cfir_freezer_open(root, CFIR_FREEZER_V1, "/docker/gone", &f, &err) < 0);
	CHECK(err.exit == EX_UNAVAILABLE);
	CHECK(cfir_freezer_open(root, CFIR_FREEZER_V1, "/", &f, &err) < 0);
	CHECK(err.exit == EX_UNAVAILABLE);
	CHECK(cfir_freezer_open(root, CFIR_FREEZER_V2, "/docker/" ID, &f, &err) < 0);
	CHECK(err.exit == EX_UNAVAILABLE);
	CHECK(cfir_freezer_open(root, CFIR_FREEZER_V1, "/docker/../docker/" ID, &f, &err) < 0);
	CHECK(err.exit == EX_DATAERR);
	CHECK(f.dfd == -1);
}

static void
v1_links(void)
{
	struct cfir_freezer f;
	struct cfir_err err = { 0 };
	char dir[PATH_MAX], other[PATH_MAX], link[PATH_MAX + 32];
	const char *root = unit_tmpdir();
	cleanup_free char *st = NULL;

	/* a directory on the way that is a link: not followed */
	mkdirs(root, "freezer/real", dir, sizeof(dir));
	mkdirs(root, "elsewhere/" ID, other, sizeof(other));
	unit_write(other, "freezer.state", "THAWED\n");
	snprintf(link, sizeof(link), "%s/freezer/docker", root);
	CHECK(symlink("../elsewhere", link) == 0);
	CHECK(cfir_freezer_open(root, CFIR_FREEZER_V1, "/docker/" ID, &f, &err) < 0);
	CHECK(err.exit == EX_DATAERR);
	CHECK(strstr(err.msg, "not followed") != NULL);
	/* the control file a link */
	mkdirs(root, "freezer/real/" ID, dir, sizeof(dir));
	snprintf(link, sizeof(link), "%s/freezer.state", dir);
	CHECK(symlink("../../../elsewhere/" ID "/freezer.state", link) == 0);
	CHECK(cfir_freezer_open(root, CFIR_FREEZER_V1, "/real/" ID, &f, &err) < 0);
	CHECK(err.exit == EX_DATAERR);
	st = unit_read(other, "freezer.state");
	CHECK_STR(st, "THAWED\n");
}

/*
 * A scripted kernel behind a FIFO in place of freezer.state: every value
 * the freezer writes is read here and answered on the next open for
 * reading, so the sequence is exact whatever the timing.
 */
struct script {
	char fifo[PATH_MAX + 16];
	int freezing;		/* FREEZING answers to FROZEN before FROZEN; -1 for ever */
	int frozen_seen;
	char log[8192];
};

/* The FIFO opened for writing once a reader is there, for at most 5 s. */
static int
open_writer(const char *fifo)
{
	int i, fd;

	for (i = 0; i < 5000; i++) {
		fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0 || errno != ENXIO)
			return fd;
		sleep_ms(1);
	}
	return -1;
}

static void *
kernel_v1(void *arg)
{
	struct script *s = arg;

	for (;;) {
		char buf[64];
		const char *reply;
		size_t got = 0;
		ssize_t r;
		int fd = open(s->fifo, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			break;
		while (got < sizeof(buf) - 1 && (r = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
			got += (size_t)r;
		close(fd);
		buf[got] = '\0';
		if (got == 0)	/* the test is done */
			break;
		snprintf(s->log + strlen(s->log), sizeof(s->log) - strlen(s->log), "%s%s",
			 s->log[0] ? "," : "", buf);
		reply = buf;
		if (strcmp(buf, "FROZEN") == 0 && (s->freezing < 0 || s->frozen_seen++ < s->freezing))
			reply = "FREEZING";
		fd = open_writer(s->fifo);
		if (fd < 0 || write(fd, reply, strlen(reply)) < 0)
			break;
		close(fd);
	}
	return NULL;
}

/* Run FREEZE (or a thaw) against a scripted kernel; its log of writes in S. */
static int
scripted(struct script *s, bool freeze, int timeout_ms, struct cfir_err *err)
{
	struct cfir_freezer f;
	char dir[PATH_MAX];
	const char *root = v1_tree(NULL, dir, sizeof(dir));
	pthread_t th;
	int r, fd;

	snprintf(s->fifo, sizeof(s->fifo), "%s/freezer.state", dir);
	if (mkfifo(s->fifo, 0600) < 0 || cfir_freezer_open(root, CFIR_FREEZER_V1, "/docker/" ID, &f, err) < 0)
		return -2;
	pthread_create(&th, NULL, kernel_v1, s);
	r = freeze ? cfir_freezer_freeze(&f, timeout_ms, err) : cfir_freezer_thaw(&f, timeout_ms, err);
	fd = open_writer(s->fifo);	/* an empty write ends the script */
	if (fd >= 0)
		close(fd);
	pthread_join(th, NULL);
	cfir_freezer_close(&f);
	return r;
}

static void
v1_freezing(void)
{
	struct script s = { .freezing = 2 };
	struct cfir_err err = { 0 };

	CHECK(scripted(&s, true, 2000, &err) == 0);
	CHECK_STR(s.log, "FROZEN,FROZEN,FROZEN");
	memset(&s, 0, sizeof(s));
	CHECK(scripted(&s, false, 2000, &err) == 0);
	CHECK_STR(s.log, "THAWED");
}

static void
v1_stuck(void)
{
	struct script s = { .freezing = 60 };
	struct cfir_err err = { 0 };
	const char *thaw;

	/* long in FREEZING: a THAWED between FROZEN writes now and then, then FROZEN */
	CHECK(scripted(&s, true, 5000, &err) == 0);
	thaw = strstr(s.log, "THAWED");
	CHECK(thaw != NULL && strstr(thaw, "FROZEN") != NULL);
	/* FREEZING for ever: bounded, left THAWED, said */
	memset(&s, 0, sizeof(s));
	s.freezing = -1;
	CHECK(scripted(&s, true, 200, &err) < 0);
	CHECK(err.exit == EX_TEMPFAIL);
	CHECK(strstr(err.msg, "FREEZING") != NULL && strstr(err.msg, "thawed again") != NULL);
	CHECK(strlen(s.log) >= 7 && strcmp(s.log + strlen(s.log) - 7, ",THAWED") == 0);
}

/* A v2 tree: ROOT[/unified]/system.slice/docker-ID.scope with its files. */
static const char *
v2_tree(bool hybrid, char *dir, size_t n)
{
	const char *root = unit_tmpdir();
	char top[PATH_MAX];

	mkdirs(root, hybrid ? "unified/system.slice/docker-" ID ".scope" : "system.slice/docker-" ID ".scope",
	       dir, n);
	snprintf(top, sizeof(top), "%s%s", root, hybrid ? "/unified" : "");
	unit_write(top, "cgroup.controllers", "cpu memory pids\n");
	unit_write(dir, "cgroup.freeze", "0\n");
	unit_write(dir, "cgroup.events", "populated 1\nfrozen 0\n");
	return root;
}

/* The kernel's side of cgroup.freeze: cgroup.events follows it 20 ms later. */
struct kernel2 {
	const char *dir;
	atomic_int stop;
};

static void *
kernel_v2(void *arg)
{
	struct kernel2 *k = arg;

	while (!atomic_load(&k->stop)) {
		cleanup_free char *want = unit_read(k->dir, "cgroup.freeze");
		cleanup_free char *ev = unit_read(k->dir, "cgroup.events");
		char line[64], tmp[PATH_MAX + 16], dst[PATH_MAX + 16];
		FILE *fp;

		const char *now = ev != NULL ? strstr(ev, "frozen ") : NULL;

		if (want != NULL && now != NULL && (want[0] == '0' || want[0] == '1') && now[7] != want[0]) {
			sleep_ms(20);
			snprintf(line, sizeof(line), "populated 1\nfrozen %c\n", want[0]);
			snprintf(tmp, sizeof(tmp), "%s/.events", k->dir);
			snprintf(dst, sizeof(dst), "%s/cgroup.events", k->dir);
			if ((fp = fopen(tmp, "w")) != NULL) {
				fputs(line, fp);
				fclose(fp);
				rename(tmp, dst);
			}
		}
		sleep_ms(2);
	}
	return NULL;
}

static void
v2_one(bool hybrid)
{
	struct cfir_freezer f;
	struct cfir_err err = { 0 };
	char dir[PATH_MAX], st[64];
	const char *root = v2_tree(hybrid, dir, sizeof(dir));
	struct kernel2 k = { .dir = dir };
	pthread_t th;

	CHECK(cfir_freezer_open(root, CFIR_FREEZER_V2, "/system.slice/docker-" ID ".scope", &f, &err) == 0);
	CHECK(cfir_freezer_state(&f, st, sizeof(st), &err) == 0);
	CHECK_STR(st, "frozen 0");
	/* no kernel to answer: bounded, and cgroup.freeze put back */
	CHECK(cfir_freezer_freeze(&f, 100, &err) < 0);
	CHECK(err.exit == EX_TEMPFAIL && strstr(err.msg, "thawed again") != NULL);
	{
		cleanup_free char *back = unit_read(dir, "cgroup.freeze");

		CHECK_STR(back, "0");
	}
	pthread_create(&th, NULL, kernel_v2, &k);
	CHECK(cfir_freezer_freeze(&f, 2000, &err) == 0);
	CHECK(cfir_freezer_state(&f, st, sizeof(st), &err) == 0);
	CHECK_STR(st, "frozen 1");
	CHECK(cfir_freezer_thaw(&f, 2000, &err) == 0);
	CHECK(cfir_freezer_state(&f, st, sizeof(st), &err) == 0);
	CHECK_STR(st, "frozen 0");
	atomic_store(&k.stop, 1);
	pthread_join(th, NULL);
	cfir_freezer_close(&f);
}

static void
v2_unified(void)
{
	v2_one(false);
}

static void
v2_hybrid(void)
{
	v2_one(true);
}

static void
v2_no_freeze(void)
{
	struct cfir_freezer f;
	struct cfir_err err = { 0 };
	char dir[PATH_MAX], path[PATH_MAX + 16];
	const char *root = v2_tree(false, dir, sizeof(dir));

	/* a kernel before 5.2 has no cgroup.freeze */
	snprintf(path, sizeof(path), "%s/cgroup.freeze", dir);
	unlink(path);
	CHECK(cfir_freezer_open(root, CFIR_FREEZER_V2, "/system.slice/docker-" ID ".scope", &f, &err) < 0);
	CHECK(err.exit == EX_UNAVAILABLE);
}

static void
from_proc(void)
{
	struct cfir_freezer f;
	struct cfir_err err = { 0 };
	char dir[PATH_MAX], pdir[PATH_MAX], root[PATH_MAX];
	cleanup_close int pfd = -1;

	snprintf(root, sizeof(root), "%s", v1_tree("THAWED\n", dir, sizeof(dir)));	/* unit_tmpdir's buffer is reused */

	mkdirs(unit_tmpdir(), "proc/4242", pdir, sizeof(pdir));
	unit_write(pdir, "cgroup", "9:pids:/docker/" ID "/moved\n6:freezer:/docker/" ID "/moved\n0::/\n");
	pfd = open(pdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(cfir_freezer_open_proc(pfd, ID, root, &f, &err) == 0);
	CHECK(f.kind == CFIR_FREEZER_V1);
	CHECK_STR(f.path, "/docker/" ID);
	cfir_freezer_close(&f);
	CHECK(cfir_freezer_open_proc(pfd, "fedcba9876543210", root, &f, &err) < 0);
	CHECK(err.exit == EX_UNAVAILABLE);
}

/*
 * A real container, named by the environment (tests/e2e/t-freezer.sh):
 * CFIR_FREEZER_PID (its init), CFIR_FREEZER_ID, CFIR_FREEZER_DO "freeze"
 * or "thaw" (the script checks the runtime's view in between).
 */
static void
real(void)
{
	const char *pid = getenv("CFIR_FREEZER_PID"), *id = getenv("CFIR_FREEZER_ID");
	const char *what = getenv("CFIR_FREEZER_DO");
	struct cfir_freezer f;
	struct cfir_err err = { 0 };
	char path[64], st[64];
	cleanup_close int pfd = -1;
	bool freeze = what != NULL && strcmp(what, "freeze") == 0;

	if (pid == NULL || id == NULL || what == NULL) {
		unit_skip("CFIR_FREEZER_PID, CFIR_FREEZER_ID and CFIR_FREEZER_DO name no container");
		return;
	}
	snprintf(path, sizeof(path), "/proc/%s", pid);
	pfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(pfd >= 0);
	if (cfir_freezer_open_proc(pfd, id, NULL, &f, &err) < 0) {
		fprintf(stderr, "    %s\n", err.msg);
		CHECK(!"opened");
		return;
	}
	if ((freeze ? cfir_freezer_freeze(&f, 5000, &err) : cfir_freezer_thaw(&f, 5000, &err)) < 0) {
		fprintf(stderr, "    %s\n", err.msg);
		CHECK(!"done");
	}
	CHECK(cfir_freezer_state(&f, st, sizeof(st), &err) == 0);
	fprintf(stderr, "    cgroup %s: %s\n", f.path, st);
	if (f.kind == CFIR_FREEZER_V1)
		CHECK_STR(st, freeze ? "FROZEN" : "THAWED");
	else
		CHECK_STR(st, freeze ? "frozen 1" : "frozen 0");
	cfir_freezer_close(&f);
}

UNIT_SUITE(freezer_tests) = {
	{ "freezer: the container's cgroup from its init's cgroup lines", parse_lines },
	{ "freezer: forged lines, dot names and no container refused", parse_hostile },
	{ "freezer: v1 freeze, state and thaw on a fake tree", v1_plain },
	{ "freezer: v1 without a freezer, a cgroup or a clean path", v1_missing },
	{ "freezer: v1 links on the way and as the file, not followed", v1_links },
	{ "freezer: v1 FREEZING twice then FROZEN", v1_freezing },
	{ "freezer: v1 stuck in FREEZING, thawed between and at the end", v1_stuck },
	{ "freezer: v2 cgroup.freeze and cgroup.events", v2_unified },
	{ "freezer: v2 under a hybrid host's unified mount", v2_hybrid },
	{ "freezer: v2 without cgroup.freeze", v2_no_freeze },
	{ "freezer: from a /proc/PID fd to the open freezer", from_proc },
	{ "freezer: a real container (CFIR_FREEZER_PID)", real },
	UNIT_END,
};
