/* fuzz: the streamed documents of a bag (diff.json, processes.json), which a tampered bag makes anything */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/bagread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	size_t n;
};

static int
each(void *ctx, const cJSON *j)
{
	struct seen *s = ctx;

	if (!cJSON_IsObject(j))
		__builtin_trap();
	s->n++;
	return 0;
}

/*
 * The objects of the top object's one "entries" array, when the input is
 * such JSON, strictly (cJSON also takes raw control bytes, and a name cut
 * at a NUL): else -1.
 */
static size_t
whole_count(const uint8_t *data, size_t size)
{
	cJSON *j = NULL, *e, *it, *arr;
	size_t n = 0, keys = 0, i;

	for (i = 0; i < size; i++)
		if ((data[i] < 0x20 && data[i] != '\n' && data[i] != '\r' && data[i] != '\t') ||
		    (i + 5 < size && memcmp(data + i, "\\u0000", 6) == 0))
			return (size_t)-1;
	j = cJSON_ParseWithLength((const char *)data, size);
	arr = cJSON_IsObject(j) ? j : NULL;
	cJSON_ArrayForEach(it, arr)
		if (it->string != NULL && strlen(it->string) > 64)
			n = (size_t)-1;
	if (n == (size_t)-1 || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return (size_t)-1;
	}
	cJSON_ArrayForEach(it, j)
		keys += it->string != NULL && strcmp(it->string, "entries") == 0;
	e = cJSON_GetObjectItemCaseSensitive(j, "entries");
	arr = cJSON_IsArray(e) ? e : NULL;
	cJSON_ArrayForEach(it, arr)
		n += cJSON_IsObject(it) ? 1 : 0;
	cJSON_Delete(j);
	return keys == 1 && cJSON_IsArray(e) ? n : (size_t)-1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfir_bagread_stats st = { 0 };
	struct seen s = { 0 };
	struct cfir_err err = { 0 };
	cJSON *doc = NULL;
	int r;

	r = cfir_bagread_stream_buf(data, size, "entries", 4096, each, &s, &doc, &st, &err);
	if (r == 0 && (st.items != s.n || (doc != NULL && !cJSON_IsObject(doc))))
		__builtin_trap();
	/* a whole JSON object with one "entries" array of objects: every one of them handed on */
	if (r == 0 && whole_count(data, size) != (size_t)-1 && whole_count(data, size) != s.n)
		__builtin_trap();
	cJSON_Delete(doc);
	return 0;
}
