/* test_proc.c - /proc parsers on recorded and crafted text */
#include <stdlib.h>

#include "common/cleanup.h"
#include "common/netsock.h"
#include "common/proc.h"
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
	caps = cfir_caps_json(s.cap_eff);
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
	CHECK(cfir_proc_stat_parse("4242 (x) S 1", 12, &s) < 0);
	CHECK(cfir_proc_stat_parse("no parens", 9, &s) < 0);
}

static void
maps(void)
{
	char a[] = "55d0c8a00000-55d0c8a2a000 r-xp 00001000 fd:01 1234567                    /tmp/d/busybox (deleted)";
	char b[] = "7ffd1b5e0000-7ffd1b601000 rwxp 00000000 00:00 0 ";
	char c[] = "7f00-7e00 r--p 0 00:00 0";
	char d[] = "garbage";
	struct cfir_map m;

	CHECK(cfir_proc_maps_line(a, &m) == 0);
	CHECK(m.start == 0x55d0c8a00000ull && m.end == 0x55d0c8a2a000ull && m.offset == 0x1000);
	CHECK(strcmp(m.perms, "r-xp") == 0 && m.inode == 1234567 && m.deleted);
	CHECK_STR(m.path, "/tmp/d/busybox (deleted)");
	CHECK(cfir_proc_maps_line(b, &m) == 0 && m.path[0] == '\0' && m.perms[2] == 'x');
	CHECK(cfir_proc_maps_line(c, &m) < 0);	/* end before start */
	CHECK(cfir_proc_maps_line(d, &m) < 0);
}

struct seen {
	char text[2048];
};

static void
on_sock(void *ctx, const struct cfir_sock *s)
{
	struct seen *v = ctx;
	size_t n = strlen(v->text);

	snprintf(v->text + n, sizeof(v->text) - n, "%s %s:%u %s:%u %s %lu %s|", s->proto, s->local,
		 s->lport, s->remote, s->rport, s->state, s->inode, s->path ? s->path : "");
}

static void
net_tables(void)
{
	char tcp[] = "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1684 1 0 100 0 0 10 0\n"
		     "   1: 030011AC:2328 040011AC:A766 01 00000000:00000000 00:00000000 00000000     0        0 1700 1 0 20 4 30 10 -1\n"
		     "garbage line\n";
	char tcp6[] = "   0: 00000000000000000000000000000000:2329 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1800 1 0 100 0 0 10 0\n"
		      "   1: 0000000000000000FFFF0000030011AC:2328 0000000000000000FFFF0000040011AC:A766 01 00000000:00000000 00:00000000 00000000 0 0 1801 1\n";
	char udp[] = "  5: 00000000:AD50 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1900 2 0 0\n";
	char unx[] = "0000000000000000: 00000002 00000000 00010000 0001 01 2000 /run/sock with space\n"
		     "0000000000000000: 00000002 00000000 00000000 0002 01 2001 @abstract\n";
	char pkt[] = "ffff8881 3 3 0003 2 1 0 0 2100\n";
	struct seen v = { "" };

	CHECK(cfir_net_parse("tcp", tcp, on_sock, &v) == 2);
	CHECK(cfir_net_parse("tcp6", tcp6, on_sock, &v) == 2);
	CHECK(cfir_net_parse("udp", udp, on_sock, &v) == 1);
	CHECK(cfir_net_parse("unix", unx, on_sock, &v) == 2);
	CHECK(cfir_net_parse("packet", pkt, on_sock, &v) == 1);
	CHECK_STR(v.text,
		  "tcp 127.0.0.1:8080 0.0.0.0:0 LISTEN 1684 |"
		  "tcp 172.17.0.3:9000 172.17.0.4:42854 ESTABLISHED 1700 |"
		  "tcp6 :::9001 :::0 LISTEN 1800 |"
		  "tcp6 ::ffff:172.17.0.3:9000 ::ffff:172.17.0.4:42854 ESTABLISHED 1801 |"
		  "udp 0.0.0.0:44368 0.0.0.0:0 UNCONN 1900 |"
		  "unix :0 :0 LISTEN 2000 /run/sock with space|"
		  "unix :0 :0 UNCONNECTED 2001 @abstract|"
		  "packet :0 :0  2100 |");
}

UNIT_SUITE(proc_tests) = {
	{ "proc: status fields, NSpid chain, capabilities by name", status },
	{ "proc: stat after the last ')' of a hostile comm", stat_comm_with_parens },
	{ "proc: maps lines, deleted files, anonymous executable", maps },
	{ "proc: tcp, tcp6, udp, unix, packet tables; byte order and states", net_tables },
	UNIT_END,
};
