/* fuzz: bytes from a container on their way to a terminal or a JSON line */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/out.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *o = cJSON_CreateObject(), *back;
	char *s, *vis = NULL;
	size_t len = 0, i;
	FILE *f;

	cfir_json_add_bytes(o, "v", data, size);
	s = cfir_json_print(o, NULL);
	/* whatever went in, valid JSON comes out */
	back = s ? cJSON_Parse(s) : NULL;
	if (s != NULL && back == NULL)
		abort();
	cJSON_Delete(back);
	free(s);
	cJSON_Delete(o);

	f = open_memstream(&vis, &len);
	if (f == NULL)
		return 0;
	cfir_vis(f, data, size);
	fclose(f);
	/* and the text shows no byte a terminal would act on */
	for (i = 0; i < len; i++)
		if ((unsigned char)vis[i] < 0x20 || vis[i] == 0x7f)
			abort();
	free(vis);
	return 0;
}
