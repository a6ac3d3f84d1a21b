/* test_netsock.c - sock_diag replies recorded in a container that binds
 * hostile unix names, every truncation of them, and the raw table fallback */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>

#include "common/cleanup.h"
#include "common/netsock.h"
#include "common/out.h"
#include "common/util.h"
#include "tests/unit/unit.h"

#define ROW "0000000000000000: 00000002 00000000 00010000 0001 01 424242 /forged/by/container"

struct got {
	char text[4096];
	size_t n;
	unsigned char name[8][128];
	size_t namelen[8];
	bool named[8];
};

static void
keep(void *ctx, const struct cfir_netsock *s)
{
	struct got *g = ctx;
	size_t used = strlen(g->text);

	if (s->proto == NULL || s->state == NULL || (s->type == NULL && strcmp(s->proto, "unix") == 0))
		abort();
	snprintf(g->text + used, sizeof(g->text) - used, "%s %s:%u %s:%u %s %s p%u if%u|", s->proto, s->local,
		 s->lport, s->remote, s->rport, s->state, s->type ? s->type : "-", s->protocol, s->ifindex);
	if (g->n < 8 && s->name != NULL && s->namelen <= sizeof(g->name[0])) {
		memcpy(g->name[g->n], s->name, s->namelen);
		g->namelen[g->n] = s->namelen;
		g->named[g->n] = true;
	}
	g->n++;
}

/* An exact-size heap copy of a recorded reply: ASan sees a read past it. */
static unsigned char *
fixture(const char *name, size_t *len)
{
	char path[128], *buf = NULL;

	snprintf(path, sizeof(path), "sock_diag/%s", name);
	if (cfir_util_read_file(AT_FDCWD, unit_fixture(path), 1 << 20, &buf, len, NULL, NULL) < 0)
		return NULL;
	return (unsigned char *)buf;
}

static int
parse(const char *name, int family, int protocol, struct got *g, int *nlerr)
{
	cleanup_free unsigned char *buf = NULL;
	size_t len = 0;

	buf = fixture(name, &len);
	CHECK(buf != NULL);
	if (buf == NULL)
		return -2;
	return cfir_netsock_parse(buf, len, 1, family, protocol, keep, g, nlerr);
}

static void
inet_recorded(void)
{
	struct got g = { 0 };
	int nlerr = 0;

	CHECK(parse("tcp", AF_INET, IPPROTO_TCP, &g, &nlerr) == 1 && g.n == 3);
	CHECK(parse("tcp6", AF_INET6, IPPROTO_TCP, &g, &nlerr) == 1 && g.n == 4);
	CHECK(parse("udp", AF_INET, IPPROTO_UDP, &g, &nlerr) == 1 && g.n == 5);
	CHECK(parse("udp6", AF_INET6, IPPROTO_UDP, &g, &nlerr) == 1 && g.n == 6);
	CHECK(strstr(g.text, "tcp 0.0.0.0:8080 0.0.0.0:0 LISTEN - p0 if0|") != NULL);
	CHECK(strstr(g.text, "tcp 0.0.0.0:9002 0.0.0.0:0 LISTEN") != NULL);
	CHECK(strstr(g.text, "tcp 127.0.0.1:47178 127.0.0.1:9000 ESTABLISHED") != NULL);
	CHECK(strstr(g.text, "tcp6 ::ffff:127.0.0.1:9000 ::ffff:127.0.0.1:47178 ESTABLISHED") != NULL);
	CHECK(strstr(g.text, "udp 0.0.0.0:37779 0.0.0.0:0 UNCONN") != NULL);
	CHECK(strstr(g.text, "udp6 :::5353 :::0 UNCONN") != NULL);
	/* the same bytes answer no other request */
	g.n = 0;
	CHECK(parse("tcp", AF_INET, IPPROTO_TCP, &g, &nlerr) == 1 && g.n == 3);
	CHECK(parse("tcp", AF_INET6, IPPROTO_TCP, &g, &nlerr) == -1 && nlerr == EBADMSG);
}

/* The container bound names with newlines and a forged /proc/net/unix row:
 * each is one socket, its name exact. */
static void
unix_recorded(void)
{
	static const char abs1[] = "\0evil\n" ROW, abs2[] = "\0bin\xff\0ary\n" ROW;
	static const char path[] = "/tmp/s\n0000000000000000: 00000002 00000000 00010000 0001 01 434343 @forged";
	struct got g = { 0 };
	size_t i, seen = 0;
	int nlerr = 0;

	CHECK(parse("unix", AF_UNIX, 0, &g, &nlerr) == 1);
	CHECK(g.n == 4);
	for (i = 0; i < g.n && i < 8; i++) {
		if (g.namelen[i] == sizeof(abs1) - 1 && memcmp(g.name[i], abs1, sizeof(abs1) - 1) == 0)
			seen |= 1;
		if (g.namelen[i] == sizeof(abs2) - 1 && memcmp(g.name[i], abs2, sizeof(abs2) - 1) == 0)
			seen |= 2;
		if (g.namelen[i] == sizeof(path) - 1 && memcmp(g.name[i], path, sizeof(path) - 1) == 0)
			seen |= 4;
		if (g.namelen[i] == 8 && memcmp(g.name[i], "/dev/log", 8) == 0)
			seen |= 8;
	}
	CHECK(seen == 15);
	CHECK(strstr(g.text, "unix :0 :0 LISTEN STREAM") != NULL);
	CHECK(strstr(g.text, "unix :0 :0 UNCONNECTED DGRAM") != NULL);
	CHECK(strstr(g.text, "424242") == NULL);
}

static void
packet_recorded(void)
{
	struct got g = { 0 };
	int nlerr = 0;

	CHECK(parse("packet", AF_PACKET, 0, &g, &nlerr) == 1 && g.n == 2);
	CHECK(strstr(g.text, "packet :0 :0  DGRAM p2048 if1|") != NULL);
	CHECK(strstr(g.text, "packet :0 :0  RAW p3 if0|") != NULL);
}

/* A kernel without raw_diag ends the dump with ENOENT: no complete answer. */
static void
raw_refused(void)
{
	struct got g = { 0 };
	int nlerr = 0;

	CHECK(parse("raw", AF_INET, IPPROTO_RAW, &g, &nlerr) == -1 && nlerr == ENOENT && g.n == 0);
}

static void
truncations(void)
{
	static const struct {
		const char *name;
		int family, protocol;
		size_t n;
	} f[] = {
		{ "tcp", AF_INET, IPPROTO_TCP, 3 }, { "tcp6", AF_INET6, IPPROTO_TCP, 1 },
		{ "udp", AF_INET, IPPROTO_UDP, 1 }, { "udp6", AF_INET6, IPPROTO_UDP, 1 },
		{ "unix", AF_UNIX, 0, 4 }, { "packet", AF_PACKET, 0, 2 }, { "raw", AF_INET, IPPROTO_RAW, 0 },
	};
	size_t i, cut, len;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		cleanup_free unsigned char *buf = fixture(f[i].name, &len);

		CHECK(buf != NULL);
		if (buf == NULL)
			continue;
		for (cut = 0; cut < len; cut++) {
			unsigned char *copy = malloc(cut ? cut : 1);
			struct got g = { 0 };
			int nlerr = 0, r;

			if (copy == NULL)
				abort();
			memcpy(copy, buf, cut);
			r = cfir_netsock_parse(copy, cut, 1, f[i].family, f[i].protocol, keep, &g, &nlerr);
			/* never the end of the dump, never more sockets than there are */
			CHECK(r == 0 || (r == -1 && nlerr == EBADMSG));
			CHECK(g.n <= f[i].n);
			free(copy);
		}
	}
}

static void
malformed(void)
{
	struct {
		struct nlmsghdr h;
		struct unix_diag_msg m;
		struct rtattr a;
		char name[8];
	} msg;
	struct got g = { 0 };
	int nlerr = 0;

	memset(&msg, 0, sizeof(msg));
	msg.h.nlmsg_len = sizeof(msg);
	msg.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.h.nlmsg_seq = 1;
	msg.m.udiag_family = AF_UNIX;
	msg.m.udiag_type = SOCK_STREAM;
	msg.m.udiag_state = 10;
	msg.m.udiag_ino = 77;
	msg.a.rta_type = UNIX_DIAG_NAME;
	msg.a.rta_len = RTA_LENGTH(8);
	memcpy(msg.name, "\0a\nb\nc\n", 8);
	CHECK(cfir_netsock_parse(&msg, sizeof(msg), 1, AF_UNIX, 0, keep, &g, &nlerr) == 0);
	CHECK(g.n == 1 && g.namelen[0] == 8 && memcmp(g.name[0], "\0a\nb\nc\n", 8) == 0);
	/* an attribute longer than its message: the socket without a name */
	msg.a.rta_len = RTA_LENGTH(9);
	g.n = 0;
	g.named[0] = false;
	CHECK(cfir_netsock_parse(&msg, sizeof(msg), 1, AF_UNIX, 0, keep, &g, &nlerr) == 0);
	CHECK(g.n == 1 && !g.named[0]);
	/* a message longer than the datagram */
	msg.a.rta_len = RTA_LENGTH(8);
	msg.h.nlmsg_len = sizeof(msg) + 4;
	g.n = 0;
	CHECK(cfir_netsock_parse(&msg, sizeof(msg), 1, AF_UNIX, 0, keep, &g, &nlerr) == -1 && nlerr == EBADMSG);
	CHECK(g.n == 0);
	/* a socket of another family than asked for */
	msg.h.nlmsg_len = sizeof(msg);
	msg.m.udiag_family = AF_INET;
	CHECK(cfir_netsock_parse(&msg, sizeof(msg), 1, AF_UNIX, 0, keep, &g, &nlerr) == -1 && g.n == 0);
	/* a path is cut at its NUL */
	msg.m.udiag_family = AF_UNIX;
	memcpy(msg.name, "/p\0q\0\0\0\0", 8);
	CHECK(cfir_netsock_parse(&msg, sizeof(msg), 1, AF_UNIX, 0, keep, &g, &nlerr) == 0);
	CHECK(g.n == 1 && g.namelen[0] == 2);
}

static void
raw_table(void)
{
	cleanup_free char *raw = NULL, *raw6 = NULL;
	struct got g = { 0 };
	size_t len = 0, len6 = 0;
	char forged[] = " 1: 00000000:00FD 00000000:0000 07 00000000:00000000 00:00000000 00000000 0 0 99x 2 0 0\n"
			" 2: 0000000:00FD 00000000:0000 07 00000000:00000000 00:00000000 00000000 0 0 99 2 0 0\n"
			"junk\n 3: 00000000:00FD 00000000:0000 07 0\n";

	CHECK(cfir_util_read_file(AT_FDCWD, unit_fixture("sock_diag/proc-raw"), 1 << 20, &raw, &len, NULL, NULL) == 0);
	CHECK(cfir_util_read_file(AT_FDCWD, unit_fixture("sock_diag/proc-raw6"), 1 << 20, &raw6, &len6, NULL, NULL) == 0);
	if (raw == NULL || raw6 == NULL)
		return;
	CHECK(cfir_netsock_parse_raw(raw, len, false, keep, &g) == 2);
	CHECK(cfir_netsock_parse_raw(raw6, len6, true, keep, &g) == 1);
	CHECK(strstr(g.text, "raw 0.0.0.0:253 0.0.0.0:0 UNCONN - p253 if0|") != NULL);
	CHECK(strstr(g.text, "raw 0.0.0.0:1 0.0.0.0:0 UNCONN - p1 if0|") != NULL);
	CHECK(strstr(g.text, "raw6 :::58 :::0 UNCONN - p58 if0|") != NULL);
	CHECK(cfir_netsock_parse_raw(forged, sizeof(forged) - 1, false, keep, &g) == 0);
}

/*
 * This process in a cgroup of its own named ID, as a runtime puts a
 * container's init (a target is checked by the cgroup that names it); the
 * hierarchy it went into in *DIR. -1 when it cannot (not root).
 */
static int
own_cgroup(char *id, size_t n, char *dir, size_t dn)
{
	static const char *const roots[] = { "/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };
	char path[256], pid[32];
	size_t i;

	snprintf(id, n, "cfir-unit-%d", (int)getpid());
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", roots[i], id);
		if (mkdir(path, 0755) < 0)
			continue;
		snprintf(dir, dn, "%s", roots[i]);
		unit_write(path, "cgroup.procs", pid);
		return 0;
	}
	return -1;
}

static void
own_cgroup_leave(const char *id, const char *dir)
{
	char path[256], pid[32];

	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	unit_write(dir, "cgroup.procs", pid);
	snprintf(path, sizeof(path), "%s/%s", dir, id);
	rmdir(path);
}

/* This process as the target: its own namespace, its own sockets. */
static int
own_sockets(const char *id, cJSON **doc, struct cfir_err *err)
{
	char name[] = "self", status[] = "running";
	struct cfir_target t = { .pid = getpid(), .name = name, .status = status };

	snprintf(t.id, sizeof(t.id), "%s", id);
	return cfir_netsock_list(&t, "/proc", doc, err);
}

static void
own_namespace(void)
{
	static const char abs[] = "\0unit\nrow 424242 /forged";
	struct sockaddr_un su = { .sun_family = AF_UNIX };
	cleanup_close int u = socket(AF_UNIX, SOCK_STREAM, 0);
	cleanup_cjson cJSON *doc = NULL;
	struct cfir_err err = { 0 };
	const cJSON *s, *h;
	int found = 0, st = 0, r;
	char id[64], cgdir[128];
	pid_t child;

	memcpy(su.sun_path, abs, sizeof(abs) - 1);
	CHECK(u >= 0 && bind(u, (struct sockaddr *)&su, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + sizeof(abs) - 1)) == 0);
	if (own_cgroup(id, sizeof(id), cgdir, sizeof(cgdir)) < 0) {
		unit_skip("no cgroup of its own for this process (needs root)");
		return;
	}
	r = own_sockets(id, &doc, &err);
	if (r < 0 && err.exit == EX_NOPERM) {
		printf("    (skipped: %s)\n", err.msg);
		own_cgroup_leave(id, cgdir);
		return;
	}
	CHECK(r == 0 && doc != NULL);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(doc, "host_netns")) && cJSON_IsTrue(cJSON_GetObjectItem(doc, "complete")));
	cJSON_ArrayForEach(s, cJSON_GetObjectItem(doc, "sockets")) {
		const cJSON *p = cJSON_GetObjectItem(s, "path");

		if (!cJSON_IsString(p) || strcmp(p->valuestring, "@unit\nrow 424242 /forged") != 0)
			continue;
		found++;
		cJSON_ArrayForEach(h, cJSON_GetObjectItem(s, "holders"))
			CHECK(cJSON_GetObjectItem(h, "pid")->valueint == getpid() && cJSON_GetObjectItem(h, "fd")->valueint == u);
		CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(s, "holders")) == 1);
	}
	CHECK(found == 1);
	/* interrupted (in a child: the flag stays set): what was read, partial */
	child = fork();
	if (child == 0) {
		cJSON *d = NULL;

		cfir_interrupt_raise(false);
		r = own_sockets(id, &d, &err);
		_exit(r == -1 && err.exit == EX_TEMPFAIL && d != NULL && cJSON_IsFalse(cJSON_GetObjectItem(d, "complete")) ? 0 : 1);
	}
	CHECK(child > 0 && waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	own_cgroup_leave(id, cgdir);
}

static int
inocmp(const void *a, const void *b)
{
	const unsigned long *x = a, *y = b;

	return CFIR_UTIL_CMP(*x, *y);
}

/* Each of the N sockets in INO (inode, fd; sorted) listed once in DOC, with this process and its fd as its one holder. */
static bool
held_exactly(unsigned long (*ino)[2], int n, const cJSON *doc)
{
	const cJSON *s, *h;
	unsigned long *hit;
	int found = 0, wrong = 0;

	cJSON_ArrayForEach(s, cJSON_GetObjectItem(doc, "sockets")) {
		unsigned long key = (unsigned long)cfir_json_num(s, "inode");

		hit = bsearch(&key, ino, (size_t)n, sizeof(ino[0]), inocmp);
		if (hit == NULL)
			continue;
		found++;
		h = cJSON_GetArrayItem(cJSON_GetObjectItem(s, "holders"), 0);
		if (cJSON_GetArraySize(cJSON_GetObjectItem(s, "holders")) != 1 || cfir_json_num(h, "pid") != getpid() ||
		    cfir_json_num(h, "fd") != (double)hit[1])
			wrong++;
	}
	return found == n && wrong == 0;
}

/*
 * Thousands of sockets in one process: more fds than one getdents buffer
 * holds, read by every worker there is, then by one alone (this process
 * bound to one CPU). Each socket once, with this process and its own fd
 * as its one holder.
 */
static void
many_fds(void)
{
	enum { N = 3000 };
	struct rlimit old, rl;
	unsigned long ino[N][2];
	struct cfir_err err = { 0 };
	char id[64], cgdir[128];
	cpu_set_t cpus, one;
	int n = 0, pass, r;
	bool cg;
	struct stat st;

	if (getrlimit(RLIMIT_NOFILE, &old) < 0 || old.rlim_max < N + 256) {
		unit_skip("the fd limit is below 3,256");
		return;
	}
	rl = old;
	rl.rlim_cur = N + 256;
	CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	for (n = 0; n < N; n++) {
		int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		if (fd < 0 || fstat(fd, &st) < 0)
			break;
		ino[n][0] = st.st_ino;
		ino[n][1] = (unsigned long)fd;
	}
	CHECK(n == N);
	qsort(ino, (size_t)n, sizeof(ino[0]), inocmp);
	CHECK(sched_getaffinity(0, sizeof(cpus), &cpus) == 0);
	cg = own_cgroup(id, sizeof(id), cgdir, sizeof(cgdir)) == 0;
	if (!cg)
		unit_skip("no cgroup of its own for this process (needs root)");
	for (pass = 0; cg && pass < 2; pass++) {
		cleanup_cjson cJSON *doc = NULL;

		if (pass == 1) {	/* one CPU: one worker, no thread */
			CPU_ZERO(&one);
			CPU_SET(sched_getcpu() >= 0 ? sched_getcpu() : 0, &one);
			if (sched_setaffinity(0, sizeof(one), &one) < 0)
				break;
		}
		r = own_sockets(id, &doc, &err);
		if (r < 0 && err.exit == EX_NOPERM) {
			printf("    (skipped: %s)\n", err.msg);
			break;
		}
		CHECK(r == 0 && doc != NULL && cJSON_IsTrue(cJSON_GetObjectItem(doc, "complete")));
		CHECK(held_exactly(ino, n, doc));
	}
	if (cg)
		own_cgroup_leave(id, cgdir);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	while (n-- > 0)
		close((int)ino[n][1]);
	setrlimit(RLIMIT_NOFILE, &old);
}

/* FN says no at the 100th socket: none after it, the rest freed, "complete": false. */
static int
refuse_100th(void *ctx, const cJSON *head, cJSON *sock)
{
	int *n = ctx;

	(void)head;
	cJSON_Delete(sock);
	return ++*n >= 100 ? -1 : 0;
}

static void
fn_refuses(void)
{
	enum { N = 300 };
	char name[] = "self", status[] = "running", id[64], cgdir[128];
	struct cfir_target t = { .pid = getpid(), .name = name, .status = status };
	cleanup_cjson cJSON *head = cJSON_CreateObject();
	struct cfir_err err = { 0 };
	int fds[N], n = 0, calls = 0, r;

	for (n = 0; n < N && (fds[n] = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) >= 0; n++)
		;
	if (own_cgroup(id, sizeof(id), cgdir, sizeof(cgdir)) < 0) {
		unit_skip("no cgroup of its own for this process (needs root)");
	} else {
		snprintf(t.id, sizeof(t.id), "%s", id);
		r = cfir_netsock_each(&t, "/proc", head, refuse_100th, &calls, &err);
		if (r < 0 && err.exit == EX_NOPERM) {
			printf("    (skipped: %s)\n", err.msg);
		} else {
			CHECK(r == -1 && err.exit == EX_IOERR && calls == 100);
			CHECK(cJSON_IsFalse(cJSON_GetObjectItem(head, "complete")));
			CHECK(cfir_json_num(head, "sockets_total") >= 100);
		}
		own_cgroup_leave(id, cgdir);
	}
	while (n-- > 0)
		close(fds[n]);
}

UNIT_SUITE(netsock_tests) = {
	{ "netsock: tcp, tcp6, udp, udp6 dumps recorded in a container", inet_recorded },
	{ "netsock: unix names with newlines and a forged row, one socket each, exact", unix_recorded },
	{ "netsock: packet sockets with protocol and interface", packet_recorded },
	{ "netsock: a dump the kernel cannot do ends in its errno", raw_refused },
	{ "netsock: every truncation of every recorded reply", truncations },
	{ "netsock: attributes and messages longer than what holds them", malformed },
	{ "netsock: the numbers-only raw tables, strictly", raw_table },
	{ "netsock: this process's own namespace, its socket and holder; interrupted, partial", own_namespace },
	{ "netsock: 3,000 sockets of one process, each with its one holder", many_fds },
	{ "netsock: FN that says no: nothing handed on after it, not complete", fn_refuses },
	UNIT_END,
};
