/* enginestate.c - a container's name and image from what its engine keeps on disk */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/cleanup.h"
#include "common/enginestate.h"
#include "common/oci.h"
#include "common/out.h"

#define VALUE_MAX 4096	/* a name or an image reference kept at most */

static char *
bounded(const char *s)
{
	return s != NULL && strlen(s) <= VALUE_MAX ? strdup(s) : NULL;
}

/* A name as a container's: bounded, no NUL cut, no slash. */
static char *
name_of(const char *s)
{
	char *n = bounded(s);

	if (n != NULL && (n[0] == '\0' || strchr(n, '/') != NULL)) {
		free(n);
		n = NULL;
	}
	return n;
}

int
cfir_enginestate_parse(struct cfir_enginestate *d, const char *buf, size_t len,
		       struct cfir_err *err)
{
	cleanup_cjson cJSON *j = NULL;
	const char *name, *image;

	memset(d, 0, sizeof(*d));
	if (len > CFIR_ENGINESTATE_MAX)
		return cfir_err_set(err, EX_DATAERR, 0, "config.v2.json: over %u bytes", CFIR_ENGINESTATE_MAX);
	j = cJSON_ParseWithLength(buf, len);
	if (!cJSON_IsObject(j))
		return cfir_err_set(err, EX_DATAERR, 0, "config.v2.json is not a JSON object");
	name = cfir_json_str(j, "Name");
	image = cfir_json_str(cJSON_GetObjectItemCaseSensitive(j, "Config"), "Image");
	if (name != NULL && name[0] == '/')
		name++;
	d->name = name_of(name);
	d->image = bounded(image);
	return 0;
}

/* The data root a bundle's root path .../overlay2/X/merged is under. */
static char *
root_of(const char *rootfs)
{
	const char *o = rootfs ? strstr(rootfs, "/overlay2/") : NULL;
	const char *rest = o ? o + strlen("/overlay2/") : NULL;
	const char *slash = rest ? strchr(rest, '/') : NULL;

	if (rootfs == NULL || rootfs[0] != '/' || o == NULL || o == rootfs || slash == NULL ||
	    strcmp(slash, "/merged") != 0 || memmem(rootfs, (size_t)(o - rootfs), "/..", 3) != NULL)
		return strdup(CFIR_ENGINESTATE_DEFAULT_ROOT);
	return strndup(rootfs, (size_t)(o - rootfs));
}

int
cfir_enginestate_load(struct cfir_enginestate *d, const char *root, const char *rootfs,
		      const char *id, struct cfir_err *err)
{
	cleanup_free char *base = root ? strdup(root) : root_of(rootfs), *path = NULL, *buf = NULL;
	size_t len = 0;

	memset(d, 0, sizeof(*d));
	if (strlen(id) != 64 || strspn(id, "0123456789abcdef") != 64)
		return cfir_err_set(err, EX_NOINPUT, 0, "'%.64s' is no Docker container ID", id);
	if (base == NULL || asprintf(&path, "%s/containers/%s/config.v2.json", base, id) < 0)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "config.v2.json");
	if (cfir_oci_read(AT_FDCWD, path, CFIR_ENGINESTATE_MAX, &buf, &len, err) < 0)
		return -1;
	return cfir_enginestate_parse(d, buf, len, err);
}

void
cfir_enginestate_free(struct cfir_enginestate *d)
{
	free(d->name);
	free(d->image);
	memset(d, 0, sizeof(*d));
}

struct cfir_storage {
	cJSON *doc;
};

int
cfir_enginestate_storage_index(const char *buf, size_t len, struct cfir_storage **sp, struct cfir_err *err)
{
	struct cfir_storage *st;

	*sp = NULL;
	if (len > CFIR_STORAGE_MAX)
		return cfir_err_set(err, EX_DATAERR, 0, "containers.json: over %u bytes", CFIR_STORAGE_MAX);
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "containers.json");
	st->doc = cJSON_ParseWithLength(buf, len);
	if (!cJSON_IsArray(st->doc)) {
		cfir_enginestate_storage_close(st);
		return cfir_err_set(err, EX_DATAERR, 0, "containers.json is not a JSON array");
	}
	*sp = st;
	return 0;
}

int
cfir_enginestate_storage_open(const char *path, struct cfir_storage **sp, struct cfir_err *err)
{
	cleanup_free char *buf = NULL;
	size_t len = 0;

	*sp = NULL;
	if (cfir_oci_read(AT_FDCWD, path ? path : CFIR_STORAGE_JSON, CFIR_STORAGE_MAX, &buf, &len, err) < 0)
		return -1;
	return cfir_enginestate_storage_index(buf, len, sp, err);
}

void
cfir_enginestate_storage_close(struct cfir_storage *st)
{
	if (st == NULL)
		return;
	cJSON_Delete(st->doc);
	free(st);
}

int
cfir_enginestate_storage_find(const struct cfir_storage *st, const char *id, struct cfir_enginestate *d,
			      struct cfir_err *err)
{
	cleanup_cjson cJSON *meta = NULL;
	const cJSON *c, *names;
	const char *m;

	memset(d, 0, sizeof(*d));
	if (st == NULL)
		return cfir_err_set(err, EX_NOINPUT, 0, "no containers.json");
	cJSON_ArrayForEach(c, st->doc) {
		const char *cid = cfir_json_str(c, "id");

		if (cid != NULL && strcmp(cid, id) == 0)
			break;
	}
	if (c == NULL)
		return cfir_err_set(err, EX_NOINPUT, 0, "containers.json lists no '%.64s'", id);
	names = cJSON_GetObjectItemCaseSensitive(c, "names");
	if (cJSON_IsArray(names) && cJSON_IsString(names->child))
		d->name = name_of(names->child->valuestring);
	/* the image's name is in the metadata, itself JSON in a string */
	m = cfir_json_str(c, "metadata");
	if (m != NULL && strlen(m) <= VALUE_MAX * 4 && (meta = cJSON_Parse(m)) != NULL)
		d->image = bounded(cfir_json_str(meta, "image-name"));
	return 0;
}

int
cfir_enginestate_storage_parse(struct cfir_enginestate *d, const char *buf, size_t len,
			       const char *id, struct cfir_err *err)
{
	struct cfir_storage *st = NULL;
	int r;

	memset(d, 0, sizeof(*d));
	if (cfir_enginestate_storage_index(buf, len, &st, err) < 0)
		return -1;
	r = cfir_enginestate_storage_find(st, id, d, err);
	cfir_enginestate_storage_close(st);
	return r;
}
