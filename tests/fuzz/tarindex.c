/* fuzz: the index builder over crafted tar input (what copy and export read) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tarindex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct counts {
	size_t lines, mtree;
};

static int
index_line(void *ctx, const void *buf, size_t len, struct cfir_err *err)
{
	struct counts *c = ctx;

	(void)err;
	/* one whole JSON line each time */
	if (len == 0 || ((const char *)buf)[len - 1] != '\n' || memchr(buf, '\n', len - 1) != NULL)
		abort();
	c->lines++;
	if (getenv("TARINDEX_PRINT"))
		fwrite(buf, 1, len, stdout);
	return 0;
}

static int
mtree(void *ctx, const void *buf, size_t len, struct cfir_err *err)
{
	struct counts *c = ctx;

	(void)buf, (void)err;
	c->mtree += len;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct counts c = { 0 };
	struct cfir_tarindex_sink s = { index_line, mtree, &c };
	struct cfir_tarindex_stats st;
	struct cfir_err err = { 0 };

	if (cfir_tarindex_memory(data, size, &s, &st, &err) == 0 && c.lines != st.members)
		abort();
	return 0;
}
