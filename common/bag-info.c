/* bag-info.c - bag-info.txt: what the bag holds, for whom, and its custody head */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include <sys/utsname.h>

#include "common/bag.h"
#include "common/bag-internal.h"
#include "common/cleanup.h"
#include "common/util.h"

static char *
info_value(const char *s)
{
	return cfir_manifest_encode(s ? s : "");
}

void
cfir_bag_info_free(struct cfir_bag *b)
{
	size_t i;

	free(b->case_id);
	free(b->examiner);
	for (i = 0; i < b->ncontainers; i++)
		free(b->containers[i]);
	free(b->containers);
}

int
cfir_bag_info_load(struct cfir_bag *b, struct cfir_err *err)
{
	cleanup_free char *text = NULL;
	char *line, *save = NULL, *v;
	char **nc;

	if (cfir_util_read_file(b->dirfd, "bag-info.txt", 1 << 20, &text, NULL, NULL, err) < 0)
		return err->sys == ENOENT ? (cfir_err_clear(err), 0) : -1;
	b->info_found = true;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		v = strstr(line, ": ");
		if (v == NULL)
			continue;
		*v = '\0';
		v += 2;
		if (strcmp(line, "Bagging-Date") == 0)
			snprintf(b->date, sizeof(b->date), "%s", v);
		else if (strcmp(line, "Case-Number") == 0 && b->case_id == NULL)
			b->case_id = strdup(v);
		else if (strcmp(line, "Examiner") == 0 && b->examiner == NULL)
			b->examiner = strdup(v);
		else if (strcmp(line, "Custody-Records") == 0)
			b->info_chain = sscanf(v, "%" SCNu64, &b->info_records) == 1;
		else if (strcmp(line, "Custody-Head") == 0)
			snprintf(b->info_head, sizeof(b->info_head), "%s", v);
		else if (strcmp(line, "Cfir-Sealed") == 0)
			return cfir_err_set(err, EX_DATAERR, 0,
					    "bag '%s' is sealed; it takes no more evidence", b->dir);
		else if (strcmp(line, "Container") == 0) {
			nc = realloc(b->containers, (b->ncontainers + 1) * sizeof(*nc));
			if (nc == NULL)
				return cfir_err_set(err, EX_OSERR, ENOMEM, "bag-info");
			b->containers = nc;
			b->containers[b->ncontainers++] = strdup(v);
		}
	}
	return 0;
}

int
cfir_bag_info_write(struct cfir_bag *b, struct cfir_err *err)
{
	cleanup_free char *out = NULL;
	struct utsname u;
	uint64_t oxum = 0;
	size_t len = 0, i;
	FILE *f;

	for (i = 0; i < b->nm; i++)
		oxum += b->m[i].bytes;
	uname(&u);
	f = open_memstream(&out, &len);
	if (f == NULL)
		return cfir_err_set(err, EX_OSERR, errno, "bag-info");
	fprintf(f, "Bag-Software-Agent: cfir %s\n", CFIR_VERSION);
	fprintf(f, "Bagging-Date: %s\n", b->date);
	if (b->case_id != NULL) {
		cleanup_free char *v = info_value(b->case_id);
		fprintf(f, "Case-Number: %s\n", v);
	}
	if (b->examiner != NULL) {
		cleanup_free char *v = info_value(b->examiner);
		fprintf(f, "Examiner: %s\n", v);
	}
	fprintf(f, "Source-Host: %s\n", u.nodename);
	for (i = 0; i < b->ncontainers; i++)
		fprintf(f, "Container: %s\n", b->containers[i]);
	fprintf(f, "Payload-Oxum: %llu.%zu\n", (unsigned long long)oxum, b->nm);
	fprintf(f, "Custody-Records: %llu\n", (unsigned long long)b->seq);
	fprintf(f, "Custody-Head: %s\n", b->head);
	if (b->sealed[0] != '\0')
		fprintf(f, "Cfir-Sealed: %s\n", b->sealed);
	if (fclose(f) != 0)
		return cfir_err_set(err, EX_OSERR, errno, "bag-info");
	return cfir_bag_write_atomic(b, "bag-info.txt", out, len, err);
}
