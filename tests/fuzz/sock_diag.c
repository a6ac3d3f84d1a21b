/* fuzz: sock_diag replies, the sockets of a namespace the container controls
 * (unix names are its own bytes); the first byte picks the request the reply
 * answers, or with its top bit set the numbers-only raw table fallback */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include "common/netsock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile unsigned char sink;

static void
seen(void *ctx, const struct cfir_netsock *s)
{
	(void)ctx;
	if (s->proto == NULL || s->state == NULL || strnlen(s->local, sizeof(s->local)) >= sizeof(s->local) ||
	    strnlen(s->remote, sizeof(s->remote)) >= sizeof(s->remote) || (s->name == NULL && s->namelen != 0))
		abort();
	if (s->namelen > 0)	/* touch the last byte: ASan checks it is inside */
		sink = ((const volatile unsigned char *)s->name)[s->namelen - 1];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct {
		int family, protocol;
	} req[] = {
		{ AF_INET, IPPROTO_TCP }, { AF_INET6, IPPROTO_TCP }, { AF_INET, IPPROTO_UDP },
		{ AF_INET6, IPPROTO_UDP }, { AF_INET, IPPROTO_RAW }, { AF_INET6, IPPROTO_RAW },
		{ AF_UNIX, 0 }, { AF_PACKET, 0 },
	};
	unsigned char *copy;
	int nlerr;

	if (size == 0)
		return 0;
	/* an exact-size heap copy: ASan sees any read past the datagram */
	copy = malloc(size - 1 ? size - 1 : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data + 1, size - 1);
	if (data[0] & 0x80)
		cfir_netsock_parse_raw((const char *)copy, size - 1, data[0] & 1, seen, NULL);
	else
		cfir_netsock_parse(copy, size - 1, 1, req[data[0] % 8].family, req[data[0] % 8].protocol,
				   seen, NULL, &nlerr);
	free(copy);
	return 0;
}
