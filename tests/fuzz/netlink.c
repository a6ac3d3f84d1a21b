/* fuzz: rtnetlink replies, the links of a namespace the container controls;
 * the first byte picks the parser (link dump or namespace id) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/netlink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
seen(void *ctx, const struct cfir_netlink_link *l)
{
	(void)ctx;
	if (strnlen(l->name, sizeof(l->name)) >= sizeof(l->name) ||
	    strnlen(l->kind, sizeof(l->kind)) >= sizeof(l->kind) || l->addrlen > sizeof(l->addr))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *copy;
	int nlerr, nsid;

	if (size == 0)
		return 0;
	/* an exact-size heap copy: ASan sees any read past the datagram */
	copy = malloc(size - 1 ? size - 1 : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data + 1, size - 1);
	if (data[0] & 1) {
		if (cfir_netlink_parse_nsid(copy, size - 1, 1, &nsid, &nlerr) == 0 && nsid < -1)
			abort();
	} else {
		cfir_netlink_parse_links(copy, size - 1, 1, seen, NULL, &nlerr);
	}
	free(copy);
	return 0;
}
