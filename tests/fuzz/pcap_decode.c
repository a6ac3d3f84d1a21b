/* fuzz: one packet of the container's traffic decoded to its conversation key */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <netinet/in.h>
#include <pcap/pcap.h>

#include "common/pcapsum.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int links[] = {
	DLT_EN10MB, DLT_RAW, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_NULL, DLT_LOOP, 228, 229,
};

static void
check_key(bool ok, const struct cfir_pcap_key *k)
{
	static const struct cfir_pcap_key zero;
	int c;

	if (!ok) {
		if (memcmp(k, &zero, sizeof(zero)) != 0)
			__builtin_trap();
		return;
	}
	if (k->family != 4 && k->family != 6)
		__builtin_trap();
	if (k->family == 4 && (memcmp(k->a + 4, zero.a, 12) != 0 || memcmp(k->b + 4, zero.b, 12) != 0))
		__builtin_trap();
	if ((k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6) && (k->aport || k->bport))
		__builtin_trap();
	c = memcmp(k->a, k->b, sizeof(k->a));
	if (c > 0 || (c == 0 && k->aport > k->bport))
		__builtin_trap();
}

/* The whole input after a first byte of 0xff as a capture file: every packet counted once. */
static void
check_file(const uint8_t *data, size_t size)
{
	struct cfir_pcap_summary s;
	struct cfir_err err = { 0 };
	uint64_t packets, bytes;
	size_t i;
	int fd = memfd_create("pcap", 0);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		if (fd >= 0)
			close(fd);
		return;
	}
	if (cfir_pcap_summarize(fd, SIZE_MAX, &s, &err) == 0) {
		packets = s.not_ip + s.untracked_packets;
		bytes = s.untracked_bytes;
		for (i = 0; i < s.ntop; i++) {
			packets += s.top[i].packets;
			bytes += s.top[i].bytes;
			if (i > 0 && s.top[i].bytes > s.top[i - 1].bytes)
				__builtin_trap();
		}
		if (packets != s.packets || bytes > s.bytes || s.ntop != s.conversations)
			__builtin_trap();
		cfir_pcap_summary_free(&s);
	}
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfir_pcap_key k;
	char buf[64];
	bool ok;

	if (size < 1)
		return 0;
	ok = cfir_pcap_decode(links[data[0] % 8], data + 1, size - 1, &k);
	check_key(ok, &k);
	cfir_pcap_addr(&k, false, buf);
	cfir_pcap_addr(&k, true, buf);
	cfir_pcap_proto_name(k.proto, buf);
	if (data[0] == 0xff)
		check_file(data + 1, size - 1);
	return 0;
}
