/* fuzz: a namespace's /proc/net/sockstat and sockstat6, read to skip the tables it shows empty */
#include <stdint.h>

#include "common/netsock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const tables[] = { "tcp", "tcp6", "udp", "udp6", "udplite", "udplite6", "raw", "raw6" };
	size_t i;

	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		cfir_netsock_sockstat_empty((const char *)data, size, tables[i]);
	return 0;
}
