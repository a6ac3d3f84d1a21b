/* test_proc.c - /proc parsers on recorded and crafted text */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "common/caps.h"
#include "common/cleanup.h"
#include "common/proc.h"
#include "common/util.h"
#include "tests/unit/unit.h"

static const char status_text[] =
	"Name:\t[kworker/0:1]\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t30861\nPid:\t30861\n"
	"PPid:\t30827\nUid:\t0\t1000\t0\t1000\nGid:\t0\t0\t0\t0\nNSpid:\t30861\t7\n"
	"CapInh:\t0000000000000000\nCapPrm:\t00000000a80425fb\nCapEff:\t00000000a80425fb\n"
	"CapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000000\nNoNewPrivs:\t1\nSeccomp:\t2\n";

static void
status(void)
{
	struct cfir_proc_status s;
	cleanup_cjson cJSON *caps = NULL;
	cleanup_free char *text = NULL;

	CHECK(cfir_proc_status_parse(status_text, sizeof(status_text) - 1, &s) == 0);
	CHECK(s.state == 'S' && s.ppid == 30827);
	CHECK(s.uid[0] == 0 && s.uid[1] == 1000 && s.uid[3] == 1000);
	CHECK(s.nnspid == 2 && s.nspid[0] == 30861 && s.nspid[1] == 7);
	CHECK(s.cap_eff == 0xa80425fb && s.seccomp == 2 && s.no_new_privs == 1);
	caps = cfir_caps_describe(s.cap_eff);
	text = cJSON_PrintUnformatted(caps);
	/* docker's default set */
	CHECK_STR(text, "[\"CAP_CHOWN\",\"CAP_DAC_OVERRIDE\",\"CAP_FOWNER\",\"CAP_FSETID\",\"CAP_KILL\","
			"\"CAP_SETGID\",\"CAP_SETUID\",\"CAP_SETPCAP\",\"CAP_NET_BIND_SERVICE\","
			"\"CAP_NET_RAW\",\"CAP_SYS_CHROOT\",\"CAP_MKNOD\",\"CAP_AUDIT_WRITE\",\"CAP_SETFCAP\"]");
	CHECK(cfir_proc_status_parse("Name:\tx\nState:\tR\n", 17, &s) < 0);
}

static void
stat_comm_with_parens(void)
{
	const char *t = "4242 (a) (b) S 1 x) R 17 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 987654 1 2 3\n";
	struct cfir_proc_stat s;

	/* the comm "a) (b) S 1 x" ends at the last ')' */
	CHECK(cfir_proc_stat_parse(t, strlen(t), &s) == 0);
	CHECK(s.state == 'R' && s.ppid == 17 && s.starttime == 987654);
	CHECK(s.commlen == 12 && memcmp(s.comm, "a) (b) S 1 x", 12) == 0);
	CHECK(cfir_proc_stat_parse("4242 (x) S 1", 12, &s) < 0);
	CHECK(cfir_proc_stat_parse("no parens", 9, &s) < 0);
	/* the fuzzer's find: a second "(comm)" later on, too few fields after it */
	{
		cleanup_free char *f = unit_read("tests/fuzz/corpus/proc_stat", "parens-again-short");

		CHECK(f != NULL && cfir_proc_stat_parse(f, strlen(f), &s) < 0);
	}
}

/* comm from stat is the bytes /proc/PID/comm has, whatever the process named itself */
static void
stat_comm_is_comm(void)
{
	static const char name[] = "a) (b\n) \xff";
	char old[17] = { 0 };
	cleanup_free char *st = NULL, *comm = NULL;
	struct cfir_proc_stat s;
	size_t stlen = 0, commlen = 0;

	CHECK(prctl(PR_GET_NAME, old) == 0);
	CHECK(prctl(PR_SET_NAME, name) == 0);
	CHECK(cfir_util_read_file(AT_FDCWD, "/proc/thread-self/stat", 4096, &st, &stlen, NULL, NULL) == 0);
	CHECK(cfir_util_read_file(AT_FDCWD, "/proc/thread-self/comm", 64, &comm, &commlen, NULL, NULL) == 0);
	prctl(PR_SET_NAME, old);
	CHECK(st != NULL && cfir_proc_stat_parse(st, stlen, &s) == 0);
	CHECK(comm != NULL && commlen == sizeof(name) && comm[commlen - 1] == '\n');
	CHECK(s.commlen == sizeof(name) - 1 && memcmp(s.comm, comm, s.commlen) == 0);
}

static void
maps(void)
{
	char a[] = "55d0c8a00000-55d0c8a2a000 r-xp 00001000 fd:01 1234567                    /tmp/d/busybox (deleted)";
	char b[] = "7ffd1b5e0000-7ffd1b601000 rwxp 00000000 00:00 0 ";
	char c[] = "7f00-7e00 r--p 0 00:00 0";
	char d[] = "garbage";
	struct cfir_proc_map m;

	CHECK(cfir_proc_maps_line(a, &m) == 0);
	CHECK(m.start == 0x55d0c8a00000ull && m.end == 0x55d0c8a2a000ull && m.offset == 0x1000);
	CHECK(strcmp(m.perms, "r-xp") == 0 && m.inode == 1234567 && m.deleted);
	CHECK_STR(m.path, "/tmp/d/busybox (deleted)");
	CHECK(cfir_proc_maps_line(b, &m) == 0 && m.path[0] == '\0' && m.perms[2] == 'x');
	CHECK(cfir_proc_maps_line(c, &m) < 0);	/* end before start */
	CHECK(cfir_proc_maps_line(d, &m) < 0);
}

static void
link_inode(void)
{
	unsigned long ino = 7;

	CHECK(cfir_proc_link_inode("net:[4026531840]", "net", &ino) == 0 && ino == 4026531840ul);
	CHECK(cfir_proc_link_inode("socket:[12345]", "socket", &ino) == 0 && ino == 12345);
	CHECK(cfir_proc_link_inode("pid:[4026531836]", "pid", &ino) == 0 && ino == 4026531836ul);
	ino = 7;
	CHECK(cfir_proc_link_inode("pipe:[12345]", "socket", &ino) < 0);
	CHECK(cfir_proc_link_inode("net:[4026531840]", "ne", &ino) < 0);
	CHECK(cfir_proc_link_inode("socket:[12345]x", "socket", &ino) < 0);
	CHECK(cfir_proc_link_inode("socket:[]", "socket", &ino) < 0);
	CHECK(cfir_proc_link_inode("socket:[-1]", "socket", &ino) < 0);
	CHECK(cfir_proc_link_inode("socket:[99999999999999999999999]", "socket", &ino) < 0);
	CHECK(cfir_proc_link_inode("/etc/passwd", "mnt", &ino) < 0 && ino == 7);
	CHECK(cfir_proc_inode_at(AT_FDCWD, "/proc/self/ns/net", "net") != 0);
	CHECK(cfir_proc_inode_at(AT_FDCWD, "/proc/self/ns/net", "pid") == 0);
}

UNIT_SUITE(proc_tests) = {
	{ "proc: namespace and socket inodes of /proc links, nothing else", link_inode },
	{ "proc: status fields, NSpid chain, capabilities by name", status },
	{ "proc: stat after the last ')' of a hostile comm", stat_comm_with_parens },
	{ "proc: comm from stat, the same bytes as /proc/PID/comm", stat_comm_is_comm },
	{ "proc: maps lines, deleted files, anonymous executable", maps },
	UNIT_END,
};
