/*
 * disk-storage.c - containers-storage's containers (Podman's and CRI-O's)
 * and their overlay layers as the store keeps them
 * (overlay-containers/containers.json, overlay-layers/layers.json,
 * overlay/<layer>/diff), read with no engine.
 *
 * The store keeps no run state: Podman's own state (running, exited, its
 * PID) is in libpod's bolt_state.db or db.sql, CRI-O's in its own state
 * directory, and neither is read here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/disk-private.h"
#include "common/disk.h"
#include "common/out.h"
#include "common/util.h"

#define S CFIR_DISK_STORAGE
#define CONTAINERS_JSON S "/overlay-containers/containers.json"
/* containers created volatile (podman run --rm and the like) are kept apart */
#define VOLATILE_JSON S "/overlay-containers/volatile-containers.json"
#define VALUE_MAX 4096		/* a name, an image reference, a time kept at most */
#define METADATA_MAX (64 * 1024)	/* the metadata string parsed at most */

static bool
hex64(const char *s)
{
	return s != NULL && cfir_disk_hex(s, strlen(s), 64);
}

static char *
bounded(const char *s)
{
	return s != NULL && strlen(s) <= VALUE_MAX ? strdup(s) : NULL;
}

void
cfir_disk_chain_free(struct cfir_disk_chain *c)
{
	cfir_util_free_strv(c->id, c->n);
	cfir_util_free_strv(c->digest, c->n);
	memset(c, 0, sizeof(*c));
}

/* The entry of layer ID in the layer stores DOCS, NULL when none lists it. */
static const cJSON *
layer_find(const cJSON *const *docs, size_t ndocs, const char *id)
{
	const cJSON *e;
	size_t i;

	for (i = 0; i < ndocs; i++)
		cJSON_ArrayForEach(e, docs[i]) {
			const char *eid = cfir_json_str(e, "id");

			if (eid != NULL && strcmp(eid, id) == 0)
				return e;
		}
	return NULL;
}

/* A diff digest as containers-storage writes it: sha256 or sha512, lowercase hex. */
static char *
digest_of(const cJSON *e)
{
	const char *d = cfir_json_str(e, "diff-digest");

	if (d == NULL)
		return NULL;
	if ((strncmp(d, "sha256:", 7) == 0 && strlen(d) == 7 + 64 && strspn(d + 7, "0123456789abcdef") == 64) ||
	    (strncmp(d, "sha512:", 7) == 0 && strlen(d) == 7 + 128 && strspn(d + 7, "0123456789abcdef") == 128))
		return strdup(d);
	return NULL;
}

static bool
seen(const struct cfir_disk_chain *c, const char *id)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->id[i], id) == 0)
			return true;
	return false;
}

/* The chain from LAYER down through "parent", over the stores DOCS. */
static int
chain_walk(const cJSON *const *docs, size_t ndocs, const char *layer, struct cfir_disk_chain *c,
	   struct cfir_err *err)
{
	const char *id = layer;
	const cJSON *e;

	memset(c, 0, sizeof(*c));
	c->id = calloc(CFIR_DISK_LAYERS_MAX, sizeof(*c->id));
	c->digest = calloc(CFIR_DISK_LAYERS_MAX, sizeof(*c->digest));
	if (c->id == NULL || c->digest == NULL) {
		cfir_disk_chain_free(c);
		return cfir_err_set(err, EX_OSERR, ENOMEM, "layers");
	}
	while (id != NULL) {
		if (!hex64(id))
			return cfir_err_set(err, EX_DATAERR, 0, "layer '%.80s' is no layer ID (64 hex digits)", id);
		if (seen(c, id))
			return cfir_err_set(err, EX_DATAERR, 0, "the layers loop at '%s'", id);
		if (c->n >= CFIR_DISK_LAYERS_MAX)
			return cfir_err_set(err, EX_DATAERR, 0, "more than %d layers", CFIR_DISK_LAYERS_MAX);
		if ((e = layer_find(docs, ndocs, id)) == NULL)
			return cfir_err_set(err, EX_DATAERR, 0, "no layer '%s' in layers.json", id);
		if ((c->id[c->n] = strdup(id)) == NULL)
			return cfir_err_set(err, EX_OSERR, ENOMEM, "layers");
		c->digest[c->n++] = digest_of(e);
		id = cfir_json_str(e, "parent");
		if (id != NULL && id[0] == '\0')
			id = NULL;
	}
	return 0;
}

int
cfir_disk_storage_chain(const char *buf, size_t len, const char *layer, struct cfir_disk_chain *c,
			struct cfir_err *err)
{
	cleanup_cjson cJSON *doc = cJSON_ParseWithLength(buf, len);
	const cJSON *docs[1] = { doc };

	memset(c, 0, sizeof(*c));
	if (!cJSON_IsArray(doc))
		return cfir_err_set(err, EX_DATAERR, 0, "layers.json is not a JSON array");
	if (chain_walk(docs, 1, layer, c, err) < 0) {
		cfir_disk_chain_free(c);
		return -1;
	}
	return 0;
}

/* A JSON array read from PATH under ROOT; *DOC NULL and no error when the file is absent. */
static int
read_array(int root, const char *path, cJSON **doc, struct cfir_err *err)
{
	cleanup_free char *b = NULL;
	size_t len;

	*doc = NULL;
	if (cfir_disk_read(root, path, CFIR_DISK_FILE_MAX, &b, &len, err) < 0) {
		if (err->exit != EX_NOINPUT)
			return -1;
		cfir_err_clear(err);
		return 0;
	}
	*doc = cJSON_ParseWithLength(b, len);
	if (!cJSON_IsArray(*doc)) {
		cJSON_Delete(*doc);
		*doc = NULL;
		return cfir_err_set(err, EX_DATAERR, 0, "'%s' is not a JSON array", path);
	}
	return 0;
}

/* The entry of container ID in DOC, NULL when it lists none. */
static const cJSON *
container_find(const cJSON *doc, const char *id)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, doc) {
		const char *eid = cfir_json_str(e, "id");

		if (eid != NULL && strcmp(eid, id) == 0)
			return e;
	}
	return NULL;
}

/* The container's own layer, from containers.json or volatile-containers.json. */
static int
layer_of(int root, const char *id, char layer[65], struct cfir_err *err)
{
	cleanup_cjson cJSON *doc = NULL, *vol = NULL;
	const cJSON *e;
	const char *ly;

	if (read_array(root, CONTAINERS_JSON, &doc, err) < 0 || read_array(root, VOLATILE_JSON, &vol, err) < 0)
		return -1;
	if ((e = container_find(doc, id)) == NULL && (e = container_find(vol, id)) == NULL)
		return cfir_err_set(err, EX_NOINPUT, 0, "containers-storage lists no '%s'", id);
	ly = cfir_json_str(e, "layer");
	if (!hex64(ly))
		return cfir_err_set(err, EX_DATAERR, 0, "container '%s': its layer is no layer ID", id);
	memcpy(layer, ly, 65);
	return 0;
}

int
cfir_disk_storage_layers(int root, const char *id, struct cfir_disk_layers *l, struct cfir_err *err)
{
	cJSON *docs[2] = { NULL, NULL };
	struct cfir_disk_chain c = { 0 };
	char layer[65], name[128];
	size_t i;
	int r = -1;

	memset(l, 0, sizeof(*l));
	l->from = "containers-storage";
	if (!hex64(id))
		return cfir_err_set(err, EX_NOINPUT, 0, "'%.80s' is no containers-storage ID", id);
	if (layer_of(root, id, layer, err) < 0)
		return -1;
	/* the image's layers are in the same store; a volatile one keeps its own file */
	if (read_array(root, S "/overlay-layers/layers.json", &docs[0], err) < 0 ||
	    read_array(root, S "/overlay-layers/volatile-layers.json", &docs[1], err) < 0)
		goto out;
	if (chain_walk((const cJSON *const *)docs, 2, layer, &c, err) < 0)
		goto out;
	for (i = 0; i < c.n; i++) {
		snprintf(name, sizeof(name), S "/overlay/%s/diff", c.id[i]);
		if (cfir_disk_layers_add(root, l, name, c.digest[i], err) < 0)
			goto out;
	}
	r = 0;
out:
	if (r < 0)
		cfir_disk_layers_free(l);
	cfir_disk_chain_free(&c);
	cJSON_Delete(docs[0]);
	cJSON_Delete(docs[1]);
	return r;
}

/*
 * CRI-O's spec says so: Podman writes io.container.manager "libpod" (and
 * some io.kubernetes.cri-o.* keys of its own too), CRI-O "cri-o" or, before
 * it did, its sandbox keys.
 */
static bool
spec_crio(const char *buf, size_t len)
{
	cleanup_cjson cJSON *j = cJSON_ParseWithLength(buf, len);
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "annotations");
	const char *m = cfir_json_str(a, "io.container.manager");

	if (m != NULL)
		return strcmp(m, "cri-o") == 0;
	return cfir_json_str(a, "io.kubernetes.cri-o.SandboxID") != NULL ||
	       cfir_json_str(a, "io.kubernetes.cri-o.ContainerType") != NULL;
}

/* userdata/config.json of C, exact, when there is one. */
static int
spec_read(int root, struct cfir_disk_container *c, struct cfir_err *err)
{
	if (asprintf(&c->config_name, S "/overlay-containers/%s/userdata/config.json", c->id) < 0) {
		c->config_name = NULL;
		return cfir_err_set(err, EX_OSERR, ENOMEM, "container");
	}
	if (cfir_disk_read(root, c->config_name, CFIR_DISK_FILE_MAX, &c->config_raw, &c->config_len, err) < 0) {
		free(c->config_name);
		c->config_name = NULL;
		return err->exit == EX_NOINPUT ? 0 : -1;
	}
	c->spec_raw = malloc(c->config_len + 1);
	if (c->spec_raw == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "container");
	memcpy(c->spec_raw, c->config_raw, c->config_len + 1);
	c->spec_len = c->config_len;
	return 0;
}

/* Name, image and who made it, from the entry E and its metadata (JSON in a string). */
static void
meta(struct cfir_disk_container *c, const cJSON *e)
{
	cleanup_cjson cJSON *m = NULL;
	const cJSON *names = cJSON_GetObjectItemCaseSensitive(e, "names");
	const char *ms = cfir_json_str(e, "metadata"), *n = NULL;

	if (ms != NULL && strlen(ms) <= METADATA_MAX)
		m = cJSON_Parse(ms);
	if (cJSON_IsArray(names) && cJSON_IsString(names->child))
		n = names->child->valuestring;
	if (n == NULL)
		n = cfir_json_str(m, "name");
	if (n != NULL && n[0] != '\0' && strchr(n, '/') == NULL)
		c->name = bounded(n);
	c->image = bounded(cfir_json_str(m, "image-name"));
	if (cJSON_GetObjectItemCaseSensitive(m, "pod-name") != NULL)
		c->manager = "cri-o";
}

/* One entry of containers.json; -1 with ERR says why it is skipped. */
static int
storage_one(int root, const cJSON *e, struct cfir_disk_container *c, struct cfir_err *err)
{
	const char *id = cfir_json_str(e, "id");

	c->manager = "podman";
	if (!hex64(id))
		return cfir_err_set(err, EX_DATAERR, 0, "no container ID (64 hex digits)");
	if ((c->id = strdup(id)) == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "container");
	meta(c, e);
	c->image_id = bounded(cfir_json_str(e, "image"));
	c->created = bounded(cfir_json_str(e, "created"));
	if (spec_read(root, c, err) < 0)
		return -1;
	if (c->spec_raw != NULL && spec_crio(c->spec_raw, c->spec_len))
		c->manager = "cri-o";
	/*
	 * No run state here (see the top): "configured" when the runtime was
	 * never given a spec, "created" when it was, whatever came after.
	 */
	c->status = strdup(c->spec_raw != NULL ? "created" : "configured");
	if (c->status == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "container");
	return 0;
}

static int
by_id(const void *a, const void *b)
{
	return strcmp(((const struct cfir_disk_container *)a)->id, ((const struct cfir_disk_container *)b)->id);
}

/* Each container of DOC (read from NAME) into L. */
static int
list_doc(int root, const cJSON *doc, const char *name, struct cfir_disk_list *l, size_t *k, struct cfir_err *err)
{
	struct cfir_disk_container c;
	struct cfir_err e = { 0 };
	const cJSON *it;

	cJSON_ArrayForEach(it, doc) {
		memset(&c, 0, sizeof(c));
		if ((*k)++ >= CFIR_DISK_CONTAINERS_MAX) {
			cfir_disk_list_skip(l, name, "more containers than are listed");
		} else if (storage_one(root, it, &c, &e) < 0) {
			cfir_disk_container_free(&c);
			if (e.exit == EX_OSERR && e.sys == ENOMEM)
				return cfir_err_set(err, EX_OSERR, ENOMEM, "containers");
			cfir_disk_list_skip(l, cfir_json_str(it, "id") ? cfir_json_str(it, "id") : name, cfir_err_str(&e));
		} else if (cfir_disk_list_add(l, &c, err) < 0) {
			return -1;
		}
	}
	return 0;
}

int
cfir_disk_storage_list(int root, struct cfir_disk_list *l, struct cfir_err *err)
{
	static const char *const files[] = { CONTAINERS_JSON, VOLATILE_JSON };
	struct cfir_err e = { 0 };
	size_t first = l->n, k = 0, i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		cleanup_cjson cJSON *doc = NULL;

		if (read_array(root, files[i], &doc, &e) < 0)
			cfir_disk_list_skip(l, files[i], cfir_err_str(&e));
		else if (list_doc(root, doc, files[i], l, &k, err) < 0)
			return -1;
	}
	if (l->n > first)
		qsort(l->v + first, l->n - first, sizeof(*l->v), by_id);
	return 0;
}
