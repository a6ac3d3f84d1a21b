/* test_capture.c - rtnetlink replies, the pcap header, sizes, the capture ring's discard */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include "common/bag.h"
#include "common/caps.h"
#include "common/capture.h"
#include "common/cleanup.h"
#include "common/dl.h"
#include "common/netlink.h"
#include "common/util.h"
#include "common/verify.h"
#include "tests/unit/unit.h"

struct seen {
	struct cfir_netlink_link l[8];
	size_t n;
};

static void
keep(void *ctx, const struct cfir_netlink_link *l)
{
	struct seen *s = ctx;

	if (s->n < 8)
		s->l[s->n] = *l;
	s->n++;
}

static unsigned char *
fixture(const char *name, size_t *len)
{
	char *buf = NULL;

	if (cfir_util_read_file(AT_FDCWD, unit_fixture(name), 1 << 20, &buf, len, NULL, NULL) < 0)
		return NULL;
	return (unsigned char *)buf;
}

/* Recorded inside a Docker container: lo, then eth0, the veth whose peer is on the host. */
static void
links_recorded(void)
{
	cleanup_free unsigned char *buf = NULL, *done = NULL;
	struct seen s = { 0 };
	size_t len = 0, dlen = 0;
	int nlerr = 0;

	buf = fixture("netlink/container-links", &len);
	done = fixture("netlink/done", &dlen);
	CHECK(buf != NULL && done != NULL);
	if (buf == NULL || done == NULL)
		return;
	CHECK(cfir_netlink_parse_links(buf, len, 1, keep, &s, &nlerr) == 0);
	CHECK(s.n == 2);
	CHECK_STR(s.l[0].name, "lo");
	CHECK(s.l[0].flags & IFF_LOOPBACK);
	CHECK_STR(s.l[1].name, "eth0");
	CHECK_STR(s.l[1].kind, "veth");
	CHECK(s.l[1].index == 1119 && s.l[1].link == 1120 && s.l[1].link_netnsid == 0);
	CHECK(s.l[1].addrlen == 6 && s.l[1].addr[0] == 0x02 && s.l[1].addr[1] == 0x42);
	CHECK(s.l[0].link_netnsid == -1);
	/* a reply to somebody else's request is not ours */
	s.n = 0;
	CHECK(cfir_netlink_parse_links(buf, len, 2, keep, &s, &nlerr) == 0 && s.n == 0);
	CHECK(cfir_netlink_parse_links(done, dlen, 1, keep, &s, &nlerr) == 1);
}

static void
links_malformed(void)
{
	cleanup_free unsigned char *buf = NULL;
	struct seen s = { 0 };
	size_t len = 0, cut;
	int nlerr = 0;
	struct {
		struct nlmsghdr h;
		int error;
	} e = { { sizeof(e), NLMSG_ERROR, 0, 1, 0 }, -EPERM };

	buf = fixture("netlink/container-links", &len);
	if (buf == NULL)
		return;
	/* a datagram cut anywhere: never a read past it, an error or fewer links */
	for (cut = 0; cut < len; cut++) {
		s.n = 0;
		nlerr = 0;
		if (cfir_netlink_parse_links(buf, cut, 1, keep, &s, &nlerr) < 0)
			CHECK(nlerr == EBADMSG);
		CHECK(s.n <= 2);
	}
	/* a message longer than the datagram */
	((struct nlmsghdr *)buf)->nlmsg_len = (uint32_t)len + 4;
	CHECK(cfir_netlink_parse_links(buf, len, 1, keep, &s, &nlerr) == -1 && nlerr == EBADMSG);
	/* the kernel's refusal carries its errno */
	CHECK(cfir_netlink_parse_links(&e, sizeof(e), 1, keep, &s, &nlerr) == -1 && nlerr == EPERM);
}

/* The libraries cfir opens when first called are there, under the names dl.c gives. */
static void
dl_libraries(void)
{
	CHECK(cfir_dl_unavailable("libarchive") == NULL);
	CHECK(cfir_dl_unavailable("libpcap") == NULL);
	CHECK(cfir_dl_unavailable("libmagic") == NULL);
	CHECK(cfir_dl_unavailable("libnothing") != NULL);
}

/* One link asked by index: this namespace's loopback, and an index no link has. */
static void
link_one(void)
{
	struct seen s = { 0 };
	struct cfir_err err = { 0 };
	cleanup_close int fd = cfir_netlink_open(&err);
	int lo = (int)if_nametoindex("lo");

	CHECK(fd >= 0 && lo > 0);
	if (fd < 0 || lo <= 0)
		return;
	CHECK(cfir_netlink_link(fd, lo, keep, &s, &err) == 0);
	CHECK(s.n == 1 && s.l[0].index == lo && strcmp(s.l[0].name, "lo") == 0 && (s.l[0].flags & IFF_LOOPBACK));
	s.n = 0;
	CHECK(cfir_netlink_link(fd, 0x7ffffff0, keep, &s, &err) == 0 && s.n == 0);
}

static void
nsid_recorded(void)
{
	cleanup_free unsigned char *buf = NULL;
	size_t len = 0;
	int nsid = 7, nlerr = 0;

	buf = fixture("netlink/nsid", &len);
	CHECK(buf != NULL);
	if (buf == NULL)
		return;
	CHECK(cfir_netlink_parse_nsid(buf, len, 1, &nsid, &nlerr) == 0 && nsid == 0);
	CHECK(cfir_netlink_parse_nsid(buf, len, 9, &nsid, &nlerr) == -1 && nlerr == EBADMSG);
	CHECK(cfir_netlink_parse_nsid(buf, len - 4, 1, &nsid, &nlerr) == -1);
}

static void
pcap_header(void)
{
	unsigned char h[24];
	uint32_t v;
	uint16_t s;

	cfir_capture_pcap_header(h, CFIR_SNAPLEN, 1);
	memcpy(&v, h, 4);
	CHECK(v == 0xa1b23c4d);
	memcpy(&s, h + 4, 2);
	CHECK(s == 2);
	memcpy(&s, h + 6, 2);
	CHECK(s == 4);
	memcpy(&v, h + 16, 4);
	CHECK(v == CFIR_SNAPLEN);
	memcpy(&v, h + 20, 4);
	CHECK(v == 1);
}

static void
sizes(void)
{
	uint64_t v = 0;

	CHECK(cfir_util_parse_size("4096", &v) == 0 && v == 4096);
	CHECK(cfir_util_parse_size("100M", &v) == 0 && v == 100ull << 20);
	CHECK(cfir_util_parse_size("2k", &v) == 0 && v == 2048);
	CHECK(cfir_util_parse_size("1GiB", &v) == 0 && v == 1ull << 30);
	CHECK(cfir_util_parse_size("3KB", &v) == 0 && v == 3072);
	CHECK(cfir_util_parse_size("", &v) < 0);
	CHECK(cfir_util_parse_size("M", &v) < 0);
	CHECK(cfir_util_parse_size("1 M", &v) < 0);
	CHECK(cfir_util_parse_size("1MX", &v) < 0);
	CHECK(cfir_util_parse_size("-1", &v) < 0);
	CHECK(cfir_util_parse_size("99999999999T", &v) < 0);
}

static char arg0[] = "cfir";
static char *argv0[] = { arg0, NULL };
static const struct cfir_bag_meta meta = { "CASE-1", "examiner", 1, argv0 };

/* The ring drops its oldest file: gone from disk, manifest and custody; the bag verifies. */
static void
discard(void)
{
	cleanup_free char *dir = NULL, *man = NULL, *log = NULL;
	struct cfir_verify_report r = { 0 };
	struct cfir_bag *b = NULL;
	struct cfir_err err = { 0 };
	struct stat st;
	cJSON *gone;
	char path[600];

	CHECK(asprintf(&dir, "%s/ring", unit_tmpdir()) > 0);
	CHECK(cfir_bag_open(&b, dir, &meta, &err) == 0);
	if (b == NULL)
		return;
	CHECK(cfir_bag_begin(b, "capture", NULL, &err) == 0);
	CHECK(cfir_bag_add_buffer(b, "net", "eth0-000001.pcap", "one", 3, &err) == 0);
	CHECK(cfir_bag_add_buffer(b, "net", "eth0-000002.pcap", "two", 3, &err) == 0);
	gone = cfir_bag_discard(b, "data/net/eth0-000001.pcap", &err);
	CHECK(gone != NULL);
	CHECK(gone != NULL && strcmp(cJSON_GetObjectItem(gone, "sha256")->valuestring,
				     "7692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add73ff431ed") == 0);
	CHECK(cfir_bag_discard(b, "data/net/eth0-000001.pcap", &err) == NULL);
	CHECK(cfir_bag_discard(b, "manifest-sha256.txt", &err) == NULL);
	CHECK(cfir_bag_end(b, "ok", NULL, gone, &err) == 0);
	CHECK(cfir_bag_close(b, &err) == 0);
	snprintf(path, sizeof(path), "%s/data/net/eth0-000001.pcap", dir);
	CHECK(stat(path, &st) < 0 && errno == ENOENT);
	man = unit_read(dir, "manifest-sha256.txt");
	CHECK(man != NULL && strstr(man, "eth0-000001") == NULL && strstr(man, "eth0-000002") != NULL);
	log = unit_read(dir, "custody/log.jsonl");
	CHECK(log != NULL && strstr(log, "\"artifacts\":[{\"path\":\"data/net/eth0-000002.pcap\"") != NULL);
	CHECK(cfir_bag_verify(dir, &r, &err) == 0 && r.failed == 0);
}

static void
send_udp(int n)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(47123) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), i;

	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < n; i++)
		CHECK(sendto(fd, "cfir", 4, 0, (struct sockaddr *)&to, sizeof(to)) == 4);
	close(fd);
}

static double
captured(const cJSON *d)
{
	return cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(d, "interfaces"), 0), "packets")->valuedouble;
}

/*
 * The capture thread on the host's loopback (root only): a count bound, and
 * a stop from another thread that still writes what the kernel held.
 */
static void
capture_lo(void)
{
	struct cfir_capture_iface lo = { .name = "lo", .dev = "lo", .kind = "host" };
	struct cfir_capture_opts o = { .filter = "udp dst port 47123", .seconds = 20, .packets = 3 };
	struct cfir_capture *c = NULL;
	cleanup_free char *dir = NULL;
	struct cfir_bag *b = NULL;
	struct cfir_err err = { 0 };
	cJSON *d = NULL;

	if (geteuid() != 0 || cfir_caps_missing(false) != NULL) {
		unit_skip("needs root with CAP_NET_RAW and CAP_SYS_ADMIN");
		return;
	}
	lo.index = lo.dev_index = (int)if_nametoindex("lo");
	CHECK(asprintf(&dir, "%s/cap", unit_tmpdir()) > 0);
	CHECK(cfir_bag_open(&b, dir, &meta, &err) == 0);
	if (b == NULL)
		return;
	CHECK(cfir_bag_begin(b, "capture", NULL, &err) == 0);
	CHECK(cfir_capture_start(&c, b, &o, &lo, 1, &err) == 0);
	if (c != NULL) {
		send_udp(5);
		CHECK(cfir_capture_wait(c, &d, &err) == 0);
		CHECK(d != NULL && captured(d) == 3);
		CHECK(d != NULL && strcmp(cJSON_GetObjectItem(d, "ended")->valuestring, "packets") == 0);
		cJSON_Delete(d);
	}
	o.packets = 0;
	CHECK(cfir_capture_start(&c, b, &o, &lo, 1, &err) == 0);
	if (c != NULL) {
		send_udp(2);
		cfir_capture_stop(c);
		CHECK(cfir_capture_wait(c, &d, &err) == 0);
		CHECK(d != NULL && captured(d) == 2);
		CHECK(d != NULL && strcmp(cJSON_GetObjectItem(d, "ended")->valuestring, "stopped") == 0);
	}
	CHECK(cfir_bag_end(b, "ok", NULL, d, &err) == 0);
	CHECK(cfir_bag_close(b, &err) == 0);
}

UNIT_SUITE(capture_tests) = {
	{ "netlink: a recorded link dump gives lo and the veth with its peer", links_recorded },
	{ "netlink: cut or lying replies are errors, never reads past the end", links_malformed },
	{ "netlink: a recorded namespace id", nsid_recorded },
	{ "netlink: one link asked by its index, none for an index no link has", link_one },
	{ "dl: libarchive, libpcap and libmagic load when first called", dl_libraries },
	{ "capture: the pcap header is nanosecond pcap 2.4", pcap_header },
	{ "util: sizes with K, M, G suffixes", sizes },
	{ "bag: the capture ring discards its oldest file cleanly", discard },
	{ "capture: loopback, a count bound and a stop from another thread", capture_lo },
	UNIT_END,
};
