/* fuzz: the socket tables of /proc/PID/net; the first byte picks the table */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/netsock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
seen(void *ctx, const struct cfir_sock *s)
{
	(void)ctx;
	if (s->proto == NULL || s->state == NULL || strlen(s->local) >= sizeof(s->local))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *tables[] = { "tcp", "tcp6", "udp", "udp6", "raw", "raw6", "unix", "packet" };
	char *text;

	if (size == 0)
		return 0;
	text = strndup((const char *)data + 1, size - 1);
	if (text != NULL)
		cfir_net_parse(tables[data[0] % 8], text, seen, NULL);
	free(text);
	return 0;
}
