/*
 * fuzz: runc's state.json or crun's status. Whatever the whole parse reads,
 * the slimmed one reads the same; what is malformed only in the members it
 * leaves out of "config" it may read where the whole parse refuses.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/oci.h"
#include "common/out.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *
json_of(const char *buf, size_t len, bool slim)
{
	struct cfir_oci_state s;
	struct cfir_err err = { 0 };
	cleanup_cjson cJSON *j = NULL;

	if (cfir_oci_state_parse_with(&s, buf, len, slim, &err) < 0)
		return NULL;
	j = cfir_oci_state_json(&s);
	cfir_oci_state_free(&s);
	return cfir_json_print(j, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cleanup_free char *whole = json_of((const char *)data, size, false);
	cleanup_free char *slim = json_of((const char *)data, size, true);

	if (whole != NULL && (slim == NULL || strcmp(whole, slim) != 0))
		abort();
	return 0;
}
