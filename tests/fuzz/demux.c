/* fuzz: the engine's framed log stream, cut at fuzzer-chosen places */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/logs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
sink(void *ctx, int stream, const void *buf, size_t len, struct cfir_err *err)
{
	(void)err;
	if (stream < 0 || stream > 3 || (len > 0 && buf == NULL))
		abort();
	*(size_t *)ctx += len;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t out = 0, step, off = 0;
	struct cfir_demux d = { .out = sink, .ctx = &out };
	struct cfir_err err = { 0 };

	if (size == 0)
		return 0;
	/* the first byte chooses the chunk size the stream arrives in */
	step = (size_t)data[0] + 1;
	data++, size--;
	while (off < size) {
		size_t n = size - off < step ? size - off : step;

		cfir_demux_feed(&d, data + off, n, &err);
		off += n;
	}
	cfir_demux_finish(&d, &err);
	/* nothing lost, nothing made up: every byte but frame headers comes out once */
	if (out + 8 * d.frames != size)
		abort();
	return 0;
}
