/* dockerstate.c - a container's name and image from what dockerd keeps on disk */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/cleanup.h"
#include "common/dockerstate.h"
#include "common/oci.h"
#include "common/out.h"

#define VALUE_MAX 4096	/* a name or an image reference kept at most */

static char *
bounded(const char *s)
{
	return s != NULL && strlen(s) <= VALUE_MAX ? strdup(s) : NULL;
}

int
cfir_dockerstate_parse(struct cfir_dockerstate *d, const char *buf, size_t len,
		       struct cfir_err *err)
{
	cleanup_cjson cJSON *j = NULL;
	const char *name, *image;

	memset(d, 0, sizeof(*d));
	if (len > CFIR_DOCKERSTATE_MAX)
		return cfir_err_set(err, EX_DATAERR, 0, "config.v2.json: over %u bytes", CFIR_DOCKERSTATE_MAX);
	j = cJSON_ParseWithLength(buf, len);
	if (!cJSON_IsObject(j))
		return cfir_err_set(err, EX_DATAERR, 0, "config.v2.json is not a JSON object");
	name = cfir_json_str(j, "Name");
	image = cfir_json_str(cJSON_GetObjectItemCaseSensitive(j, "Config"), "Image");
	if (name != NULL && name[0] == '/')
		name++;
	d->name = bounded(name);
	d->image = bounded(image);
	/* a string with a NUL in it is cut by cJSON: a name so cut is none */
	if (d->name != NULL && (d->name[0] == '\0' || strchr(d->name, '/') != NULL)) {
		free(d->name);
		d->name = NULL;
	}
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
		return strdup(CFIR_DOCKERSTATE_DEFAULT_ROOT);
	return strndup(rootfs, (size_t)(o - rootfs));
}

int
cfir_dockerstate_load(struct cfir_dockerstate *d, const char *root, const char *rootfs,
		      const char *id, struct cfir_err *err)
{
	cleanup_free char *base = root ? strdup(root) : root_of(rootfs), *path = NULL, *buf = NULL;
	size_t len = 0;

	memset(d, 0, sizeof(*d));
	if (strlen(id) != 64 || strspn(id, "0123456789abcdef") != 64)
		return cfir_err_set(err, EX_NOINPUT, 0, "'%.64s' is no Docker container ID", id);
	if (base == NULL || asprintf(&path, "%s/containers/%s/config.v2.json", base, id) < 0)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "config.v2.json");
	if (cfir_oci_read(AT_FDCWD, path, CFIR_DOCKERSTATE_MAX, &buf, &len, err) < 0)
		return -1;
	return cfir_dockerstate_parse(d, buf, len, err);
}

void
cfir_dockerstate_free(struct cfir_dockerstate *d)
{
	free(d->name);
	free(d->image);
	memset(d, 0, sizeof(*d));
}
