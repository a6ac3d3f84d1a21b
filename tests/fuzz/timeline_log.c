/* fuzz: the log lines a timeline reads (Docker's "TIME text", the json-file log) and its CSV cells */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/timeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
one_line(const char *p, size_t n)
{
	struct timespec ts;
	const char *text, *stream;
	size_t tlen;
	cJSON *j;

	if (cfir_timeline_logline(p, n, &ts, &text, &tlen) && (text < p || text + tlen > p + n))
		__builtin_trap();
	j = cJSON_ParseWithLength(p, n);
	if (j != NULL && cfir_timeline_jsonlog(j, &ts, &text, &stream) && (text == NULL || stream == NULL))
		__builtin_trap();
	cJSON_Delete(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl;
	struct cfir_text t = { 0 };

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		one_line(p, (size_t)(nl - p));
	}
	/* a cell is one quoted line, whatever the bytes */
	cfir_timeline_csv_cell(&t, data, size);
	if (t.len < 2 || t.p[0] != '"' || t.p[t.len - 1] != '"' || memchr(t.p, '\n', t.len) != NULL ||
	    memchr(t.p, '\r', t.len) != NULL)
		__builtin_trap();
	free(t.p);
	return 0;
}
