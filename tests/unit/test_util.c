/* test_util.c - the small helpers every module leans on */
#include <stdint.h>
#include <stdlib.h>

#include "common/cleanup.h"
#include "common/err.h"
#include "common/util.h"
#include "tests/unit/unit.h"

static void
grow(void)
{
	int *v = NULL;
	size_t cap = 0, n;

	for (n = 0; n < 5; n++) {
		CHECK(cfir_util_grow((void **)&v, &cap, n, sizeof(*v), 2, 4) == (n < 4));
		if (n < 4)
			v[n] = (int)n;
	}
	CHECK(cap == 4 && v != NULL && v[3] == 3);
	free(v);
	CHECK(CFIR_UTIL_CMP(1u, 2u) == -1 && CFIR_UTIL_CMP(2, 2) == 0 && CFIR_UTIL_CMP(UINT64_MAX, 1ull) == 1);
}

static void
notices(void)
{
	cleanup_free char *n = NULL;

	cfir_err_notice(&n, "pcap on %s: %s", "veth1", "promiscuous mode not supported");
	cfir_err_notice(&n, "second");
	CHECK_STR(n, "pcap on veth1: promiscuous mode not supported\nsecond\n");
}

UNIT_SUITE(util_tests) = {
	{ "util: an array grows by doubling up to its bound, never past", grow },
	{ "err: notices for the runner, a line each", notices },
	UNIT_END
};
