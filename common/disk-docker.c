/*
 * disk-docker.c - dockerd's containers and their overlay2 layers as its data
 * root keeps them (containers/<id>/config.v2.json and hostconfig.json, the
 * layerdb and overlay2/), read with no engine, and the inspect object the
 * Engine API would give for each, built from those files alone.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/disk-private.h"
#include "common/disk.h"
#include "common/enginestate.h"
#include "common/out.h"
#include "common/util.h"

#define D CFIR_DISK_DOCKER
#define LAYERDB D "/image/overlay2/layerdb"
#define VALUE_MAX 4096	/* a status, a time or an image reference kept at most */
#define ZERO_TIME "0001-01-01T00:00:00Z"	/* Go's zero time: never started */

bool
cfir_disk_hex(const char *s, size_t len, size_t want)
{
	size_t i;

	if (len != want)
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

int
cfir_disk_docker_id(const char *buf, size_t len, bool init, char out[70], struct cfir_err *err)
{
	size_t n = init ? 64 + 5 : 64;

	out[0] = '\0';
	if (len != n || !cfir_disk_hex(buf, 64, 64) || (init && memcmp(buf + 64, "-init", 5) != 0))
		return cfir_err_set(err, EX_DATAERR, 0, "not a layer ID (64 hex digits%s)", init ? ", -init" : "");
	memcpy(out, buf, n);
	out[n] = '\0';
	return 0;
}

int
cfir_disk_docker_digest(const char *buf, size_t len, char out[72], struct cfir_err *err)
{
	out[0] = '\0';
	if (len != 7 + 64 || memcmp(buf, "sha256:", 7) != 0 || !cfir_disk_hex(buf + 7, 64, 64))
		return cfir_err_set(err, EX_DATAERR, 0, "not a sha256 digest");
	memcpy(out, buf, len);
	out[len] = '\0';
	return 0;
}

static bool
short_name(const char *s, size_t len)
{
	size_t i;

	if (len != CFIR_DISK_SHORT_LEN)
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

int
cfir_disk_docker_lower(const char *buf, size_t len, char (**v)[CFIR_DISK_SHORT_LEN + 1], size_t *n,
		       struct cfir_err *err)
{
	const char *p = buf, *end = buf + len, *sep;
	char (*nv)[CFIR_DISK_SHORT_LEN + 1] = NULL;
	size_t k = 0;

	*v = NULL;
	*n = 0;
	if (len == 0)
		return 0;
	if (len > (size_t)CFIR_DISK_LAYERS_MAX * (CFIR_DISK_SHORT_LEN + 3))
		return cfir_err_set(err, EX_DATAERR, 0, "lower: more than %d layers", CFIR_DISK_LAYERS_MAX);
	nv = calloc(len / (CFIR_DISK_SHORT_LEN + 3) + 1, sizeof(*nv));
	if (nv == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "lower");
	while (p <= end) {
		sep = memchr(p, ':', (size_t)(end - p));
		if (sep == NULL)
			sep = end;
		if ((size_t)(sep - p) != 2 + CFIR_DISK_SHORT_LEN || memcmp(p, "l/", 2) != 0 ||
		    !short_name(p + 2, CFIR_DISK_SHORT_LEN)) {
			free(nv);
			return cfir_err_set(err, EX_DATAERR, 0, "lower: entry %zu is not l/ and 26 of [A-Z0-9]", k + 1);
		}
		memcpy(nv[k], p + 2, CFIR_DISK_SHORT_LEN);
		nv[k++][CFIR_DISK_SHORT_LEN] = '\0';
		p = sep + 1;
	}
	*v = nv;
	*n = k;
	return 0;
}

/* A small file of the layerdb, as text (at most 4 KiB: they hold one ID). */
static int
read_small(int root, const char *path, char **buf, size_t *len, struct cfir_err *err)
{
	return cfir_disk_read(root, path, 4096, buf, len, err);
}

/* One link of the image's chain: its overlay2 directory and its diff ID. */
struct chain_link {
	char cache[70];
	char diff[72];
	char *path;	/* the directory's diff resolved under the root, NULL when absent */
};

/* The next chain ID down from CHAIN (an empty string when this is the bottom). */
static int
chain_step(int root, char chain[72], struct chain_link *k, struct cfir_err *err)
{
	cleanup_free char *b = NULL;
	char path[256], name[128];
	size_t n;

	snprintf(path, sizeof(path), LAYERDB "/sha256/%s/diff", chain + 7);
	if (read_small(root, path, &b, &n, err) < 0 || cfir_disk_docker_digest(b, n, k->diff, err) < 0)
		return cfir_err_wrap(err, "'%s'", path);
	free(b);
	b = NULL;
	snprintf(path, sizeof(path), LAYERDB "/sha256/%s/cache-id", chain + 7);
	if (read_small(root, path, &b, &n, err) < 0 || cfir_disk_docker_id(b, n, false, k->cache, err) < 0)
		return cfir_err_wrap(err, "'%s'", path);
	snprintf(name, sizeof(name), D "/overlay2/%s/diff", k->cache);
	k->path = cfir_disk_resolve(root, name);
	free(b);
	b = NULL;
	snprintf(path, sizeof(path), LAYERDB "/sha256/%s/parent", chain + 7);
	if (cfir_disk_read(root, path, 4096, &b, &n, err) < 0) {
		if (err->exit != EX_NOINPUT)
			return cfir_err_wrap(err, "'%s'", path);
		chain[0] = '\0';
		return 0;
	}
	if (cfir_disk_docker_digest(b, n, chain, err) < 0)
		return cfir_err_wrap(err, "'%s'", path);
	return 0;
}

static void
chain_free(struct chain_link *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].path);
	free(v);
}

/*
 * The image's layers from the chain ID in mounts/ID/parent down: the
 * digests of the lower directories. None (no parent file) is no error; a
 * broken chain gives what was found before it.
 */
static size_t
chain_read(int root, const char *id, struct chain_link **out)
{
	cleanup_free char *b = NULL;
	struct chain_link *v;
	struct cfir_err e = { 0 };
	char path[256], chain[72];
	size_t n = 0, len;

	*out = NULL;
	snprintf(path, sizeof(path), LAYERDB "/mounts/%s/parent", id);
	if (read_small(root, path, &b, &len, &e) < 0 || cfir_disk_docker_digest(b, len, chain, &e) < 0)
		return 0;
	v = calloc(CFIR_DISK_LAYERS_MAX, sizeof(*v));
	if (v == NULL)
		return 0;
	while (chain[0] != '\0' && n < CFIR_DISK_LAYERS_MAX) {
		if (chain_step(root, chain, &v[n], &e) < 0)
			break;
		n++;
	}
	*out = v;
	return n;
}

/*
 * The engine's own name of the lower layer l/SHORT: the link's target
 * "../<dir>/diff" as dockerd made it, read without following it, gives
 * overlay2/<dir>/diff. A link of any other shape keeps the l/ name: it is
 * resolved inside the root like every other path.
 */
static void
lower_name(int root, const char *shortname, char *name, size_t size)
{
	cleanup_close int fd = -1;
	char link[256], target[128];
	ssize_t n;

	snprintf(link, sizeof(link), D "/overlay2/l/%s", shortname);
	snprintf(name, size, "%s", link);
	fd = cfir_disk_open(root, link, O_PATH | O_NOFOLLOW);
	if (fd < 0 || (n = readlinkat(fd, "", target, sizeof(target) - 1)) < 0)
		return;
	target[n] = '\0';
	if (n > 3 + 5 && memcmp(target, "../", 3) == 0 && strcmp(target + n - 5, "/diff") == 0 &&
	    (cfir_disk_hex(target + 3, (size_t)n - 8, 64) ||
	     ((size_t)n - 8 == 69 && cfir_disk_hex(target + 3, 64, 64) && memcmp(target + 67, "-init", 5) == 0)))
		snprintf(name, size, D "/overlay2/%.*s/diff", (int)(n - 8), target + 3);
}

static const char *
digest_of(int root, const char *name, const struct chain_link *c, size_t nc)
{
	cleanup_free char *path = cfir_disk_resolve(root, name);
	size_t i;

	for (i = 0; path != NULL && i < nc; i++)
		if (c[i].path != NULL && strcmp(c[i].path, path) == 0)
			return c[i].diff;
	return NULL;
}

/* The lower layers of overlay2 directory MOUNT, top to bottom, into L. */
static int
lowers_add(int root, const char *id, const char *mount, struct cfir_disk_layers *l, struct cfir_err *err)
{
	cleanup_free char *b = NULL;
	cleanup_free char (*v)[CFIR_DISK_SHORT_LEN + 1] = NULL;
	struct chain_link *chain = NULL;
	char path[256], name[256];
	size_t len, n = 0, nc, i;
	int r = 0;

	snprintf(path, sizeof(path), D "/overlay2/%s/lower", mount);
	if (cfir_disk_read(root, path, 64 * 1024, &b, &len, err) < 0)
		return err->exit == EX_NOINPUT ? 0 : cfir_err_wrap(err, "'%s'", path);
	if (cfir_disk_docker_lower(b, len, &v, &n, err) < 0)
		return cfir_err_wrap(err, "'%s'", path);
	nc = chain_read(root, id, &chain);
	for (i = 0; i < n && r == 0; i++) {
		lower_name(root, v[i], name, sizeof(name));
		r = cfir_disk_layers_add(root, l, name, digest_of(root, name, chain, nc), err);
	}
	chain_free(chain, nc);
	return r;
}

/* The storage driver config.v2.json of ID names; only overlay2's layers are read. */
static int
driver_check(int root, const char *id, struct cfir_err *err)
{
	cleanup_free char *b = NULL;
	cleanup_cjson cJSON *j = NULL;
	char path[256];
	const char *drv;
	size_t len;

	snprintf(path, sizeof(path), D "/containers/%s/config.v2.json", id);
	if (cfir_disk_read(root, path, CFIR_DISK_FILE_MAX, &b, &len, err) < 0)
		return -1;
	j = cJSON_ParseWithLength(b, len);
	if (!cJSON_IsObject(j))
		return cfir_err_set(err, EX_DATAERR, 0, "'%s' is not a JSON object", path);
	drv = cfir_json_str(j, "Driver");
	if (drv == NULL || strcmp(drv, "overlay2") != 0)
		return cfir_err_set(err, EX_UNAVAILABLE, 0, "storage driver '%.64s' of '%.64s': only overlay2's layers are read",
				    drv ? drv : "", id);
	return 0;
}

int
cfir_disk_docker_layers(int root, const char *id, struct cfir_disk_layers *l, struct cfir_err *err)
{
	cleanup_free char *b = NULL;
	char path[256], mount[70];
	size_t len;

	memset(l, 0, sizeof(*l));
	l->from = "docker layerdb";
	if (!cfir_disk_hex(id, strlen(id), 64))
		return cfir_err_set(err, EX_NOINPUT, 0, "'%.80s' is no Docker container ID", id);
	if (driver_check(root, id, err) < 0)
		return -1;
	snprintf(path, sizeof(path), LAYERDB "/mounts/%s/mount-id", id);
	if (read_small(root, path, &b, &len, err) < 0 || cfir_disk_docker_id(b, len, false, mount, err) < 0)
		return cfir_err_wrap(err, "'%s'", path);
	snprintf(path, sizeof(path), D "/overlay2/%s/diff", mount);
	if (cfir_disk_layers_add(root, l, path, NULL, err) < 0 || lowers_add(root, id, mount, l, err) < 0) {
		cfir_disk_layers_free(l);
		return -1;
	}
	return 0;
}

/* docker's State.StateString(): the status inspect says, from the stored flags. */
static const char *
status_of(const cJSON *st)
{
	const char *s = cfir_json_str(st, "Status"), *started;

	if (s != NULL && strlen(s) <= VALUE_MAX)
		return s;
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "Running"))) {
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "Paused")))
			return "paused";
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "Restarting")))
			return "restarting";
		return "running";
	}
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "RemovalInProgress")))
		return "removing";
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "Dead")))
		return "dead";
	started = cfir_json_str(st, "StartedAt");
	if (started == NULL || strcmp(started, ZERO_TIME) == 0)
		return "created";
	return "exited";
}

/* inspect's State: the stored one, its status first, without what inspect leaves out. */
static cJSON *
state_json(const cJSON *st, const char *status)
{
	static const char *const keys[] = {
		"Running", "Paused", "Restarting", "OOMKilled", "Dead", "Pid", "ExitCode", "Error",
		"StartedAt", "FinishedAt",
	};
	cJSON *o = cJSON_CreateObject();
	const cJSON *h;
	size_t i;

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "Status", status);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(st, keys[i]);

		if (v != NULL)
			cJSON_AddItemToObject(o, keys[i], cJSON_Duplicate(v, true));
	}
	h = cJSON_GetObjectItemCaseSensitive(st, "Health");
	if (cJSON_IsObject(h))
		cJSON_AddItemToObject(o, "Health", cJSON_Duplicate(h, true));
	return o;
}

static void
add_str_or_empty(cJSON *o, const char *key, const cJSON *from, const char *fkey, bool omitempty)
{
	const char *s = cfir_json_str(from, fkey);

	if (s == NULL)
		s = "";
	if (!omitempty || s[0] != '\0')
		cJSON_AddStringToObject(o, key, s);
}

/* inspect's Mounts from the stored MountPoints, shaped as the API's types.MountPoint. */
static cJSON *
mounts_json(const cJSON *mp)
{
	cJSON *a = cJSON_CreateArray(), *o;
	const cJSON *m;

	if (a == NULL)
		return NULL;
	cJSON_ArrayForEach(m, mp) {
		if (!cJSON_IsObject(m) || (o = cJSON_CreateObject()) == NULL)
			continue;
		add_str_or_empty(o, "Type", m, "Type", true);
		add_str_or_empty(o, "Name", m, "Name", true);
		add_str_or_empty(o, "Source", m, "Source", false);
		add_str_or_empty(o, "Destination", m, "Destination", false);
		add_str_or_empty(o, "Driver", m, "Driver", true);
		add_str_or_empty(o, "Mode", m, "Relabel", false);	/* stored as Relabel */
		cJSON_AddBoolToObject(o, "RW", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "RW")));
		add_str_or_empty(o, "Propagation", m, "Propagation", false);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

/* Move member FROM of J into O as KEY, when J has it. */
static void
move(cJSON *o, const char *key, cJSON *j, const char *from)
{
	cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(j, from);

	if (v != NULL)
		cJSON_AddItemToObject(o, key, v);
}

/* GraphDriver from the layers: the engine's names of the directories. */
static cJSON *
graph_json(const cJSON *driver, const struct cfir_disk_layers *ly)
{
	cleanup_free char *lower = NULL, *merged = NULL, *work = NULL;
	int base = (int)(strlen(ly->v[0].name) - strlen("/diff"));
	size_t i, len = 0;
	cJSON *g, *d;

	for (i = 1; i < ly->n; i++)
		len += strlen(ly->v[i].name) + 1;
	if ((lower = malloc(len + 1)) == NULL)
		return NULL;
	lower[0] = '\0';
	for (i = 1, len = 0; i < ly->n; i++)
		len += (size_t)sprintf(lower + len, "%s%s", i > 1 ? ":" : "", ly->v[i].name);
	if (asprintf(&merged, "%.*s/merged", base, ly->v[0].name) < 0)
		merged = NULL;
	if (asprintf(&work, "%.*s/work", base, ly->v[0].name) < 0)
		work = NULL;
	if (merged == NULL || work == NULL || (g = cJSON_CreateObject()) == NULL)
		return NULL;
	d = cJSON_AddObjectToObject(g, "Data");
	if (ly->n > 1)
		cJSON_AddStringToObject(d, "LowerDir", lower);
	cJSON_AddStringToObject(d, "MergedDir", merged);
	cJSON_AddStringToObject(d, "UpperDir", ly->v[0].name);
	cJSON_AddStringToObject(d, "WorkDir", work);
	cJSON_AddStringToObject(g, "Name", cJSON_IsString(driver) ? driver->valuestring : "");
	return g;
}

/*
 * The inspect object from config.v2.json (J, taken apart), hostconfig.json
 * (HC, taken over; NULL when unreadable) and the layers (LY, NULL when
 * unknown), in the order the Engine API gives it.
 */
static cJSON *
inspect_json(cJSON *j, cJSON *hc, const char *status, const struct cfir_disk_layers *ly)
{
	cJSON *o = cJSON_CreateObject(), *g = NULL;

	if (o == NULL) {
		cJSON_Delete(hc);
		return NULL;
	}
	if (ly != NULL && ly->n > 0)
		g = graph_json(cJSON_GetObjectItemCaseSensitive(j, "Driver"), ly);
	move(o, "Id", j, "ID");
	move(o, "Created", j, "Created");
	move(o, "Path", j, "Path");
	move(o, "Args", j, "Args");
	cJSON_AddItemToObject(o, "State", state_json(cJSON_GetObjectItemCaseSensitive(j, "State"), status));
	move(o, "Image", j, "Image");
	move(o, "ResolvConfPath", j, "ResolvConfPath");
	move(o, "HostnamePath", j, "HostnamePath");
	move(o, "HostsPath", j, "HostsPath");
	move(o, "LogPath", j, "LogPath");
	move(o, "Name", j, "Name");
	move(o, "RestartCount", j, "RestartCount");
	move(o, "Driver", j, "Driver");
	move(o, "Platform", j, "OS");
	move(o, "MountLabel", j, "MountLabel");
	move(o, "ProcessLabel", j, "ProcessLabel");
	move(o, "AppArmorProfile", j, "AppArmorProfile");
	cJSON_AddItemToObject(o, "HostConfig", hc != NULL ? hc : cJSON_CreateNull());
	if (g != NULL)
		cJSON_AddItemToObject(o, "GraphDriver", g);
	cJSON_AddItemToObject(o, "Mounts", mounts_json(cJSON_GetObjectItemCaseSensitive(j, "MountPoints")));
	move(o, "Config", j, "Config");
	move(o, "NetworkSettings", j, "NetworkSettings");
	return o;
}

static char *
bounded(const char *s)
{
	return s != NULL && strlen(s) <= VALUE_MAX ? strdup(s) : NULL;
}

/* The fields of C from the parsed config.v2.json J. */
static int
fill(struct cfir_disk_container *c, const cJSON *j, struct cfir_err *err)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "State");
	struct cfir_enginestate d;
	double pid;

	/* the same name and image rules as when dockerd does not answer */
	if (cfir_enginestate_parse(&d, c->config_raw, c->config_len, err) == 0) {
		c->name = steal_pointer(&d.name);
		c->image = steal_pointer(&d.image);
		cfir_enginestate_free(&d);
	}
	cfir_err_clear(err);
	c->image_id = bounded(cfir_json_str(j, "Image"));
	c->created = bounded(cfir_json_str(j, "Created"));
	c->status = strdup(status_of(st));
	c->running = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "Running"));
	pid = cfir_json_num(st, "Pid");
	c->pid = c->running && pid >= 1 && pid <= INT_MAX ? (pid_t)pid : 0;
	if (c->status == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "container");
	return 0;
}

/* hostconfig.json of ID, exact, and parsed for inspect (NULL when it is no JSON object). */
static int
hostconfig(int root, struct cfir_disk_container *c, cJSON **hc, struct cfir_err *err)
{
	char path[256];

	*hc = NULL;
	snprintf(path, sizeof(path), D "/containers/%s/hostconfig.json", c->id);
	if (cfir_disk_read(root, path, CFIR_DISK_FILE_MAX, &c->hostconfig_raw, &c->hostconfig_len, err) < 0)
		return err->exit == EX_NOINPUT ? 0 : -1;
	*hc = cJSON_ParseWithLength(c->hostconfig_raw, c->hostconfig_len);
	if (!cJSON_IsObject(*hc)) {
		cJSON_Delete(*hc);
		*hc = NULL;
	}
	return 0;
}

/* Container ID (checked) from its directory; -1 with ERR says why it is skipped. */
static int
docker_one(int root, const char *id, struct cfir_disk_container *c, struct cfir_err *err)
{
	cleanup_cjson cJSON *j = NULL;
	struct cfir_disk_layers ly = { 0 };
	struct cfir_err lerr = { 0 };
	cJSON *hc = NULL;

	c->manager = "docker";
	if ((c->id = strdup(id)) == NULL ||
	    asprintf(&c->config_name, D "/containers/%s/config.v2.json", id) < 0) {
		c->config_name = NULL;
		return cfir_err_set(err, EX_OSERR, ENOMEM, "container");
	}
	if (cfir_disk_read(root, c->config_name, CFIR_DISK_FILE_MAX, &c->config_raw, &c->config_len, err) < 0)
		return -1;
	j = cJSON_ParseWithLength(c->config_raw, c->config_len);
	if (!cJSON_IsObject(j))
		return cfir_err_set(err, EX_DATAERR, 0, "config.v2.json is not a JSON object");
	if (cfir_json_str(j, "ID") == NULL || strcmp(cfir_json_str(j, "ID"), id) != 0)
		return cfir_err_set(err, EX_DATAERR, 0, "config.v2.json holds another ID");
	if (fill(c, j, err) < 0 || hostconfig(root, c, &hc, err) < 0)
		return -1;
	if (cfir_disk_docker_layers(root, id, &ly, &lerr) < 0)
		cfir_disk_layers_free(&ly);
	c->inspect = inspect_json(j, hc, c->status, &ly);
	cfir_disk_layers_free(&ly);
	if (c->inspect == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "inspect");
	return 0;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names under DIR (at most CFIR_DISK_CONTAINERS_MAX, the rest skipped), sorted. */
static int
dir_names(int root, const char *dir, struct cfir_disk_list *l, char ***v, size_t *n, struct cfir_err *err)
{
	int fd = cfir_disk_open(root, dir, O_RDONLY | O_DIRECTORY);
	DIR *dp;
	struct dirent *e;

	*v = NULL;
	*n = 0;
	if (fd < 0) {
		/* no such engine here; one that cannot be read is said, not fatal */
		if (errno != ENOENT)
			cfir_disk_list_skip(l, dir, strerror(errno));
		return 0;
	}
	if ((dp = fdopendir(fd)) == NULL) {
		close(fd);
		return cfir_err_set(err, EX_OSERR, errno, "'%s'", dir);
	}
	if ((*v = calloc(CFIR_DISK_CONTAINERS_MAX, sizeof(**v))) == NULL) {
		closedir(dp);
		return cfir_err_set(err, EX_OSERR, ENOMEM, "'%s'", dir);
	}
	while ((e = readdir(dp)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (*n >= CFIR_DISK_CONTAINERS_MAX) {
			cfir_disk_list_skip(l, e->d_name, "more containers than are listed");
			continue;
		}
		if (((*v)[*n] = strdup(e->d_name)) == NULL)
			break;
		(*n)++;
	}
	closedir(dp);
	qsort(*v, *n, sizeof(**v), by_name);
	return e != NULL ? cfir_err_set(err, EX_OSERR, ENOMEM, "'%s'", dir) : 0;
}

int
cfir_disk_docker_list(int root, struct cfir_disk_list *l, struct cfir_err *err)
{
	struct cfir_disk_container c;
	struct cfir_err e = { 0 };
	char **v = NULL;
	size_t n = 0, i;
	int r;

	r = dir_names(root, D "/containers", l, &v, &n, err);
	for (i = 0; r == 0 && i < n; i++) {
		memset(&c, 0, sizeof(c));
		if (!cfir_disk_hex(v[i], strlen(v[i]), 64)) {
			cfir_disk_list_skip(l, v[i], "not a container ID (64 hex digits)");
		} else if (docker_one(root, v[i], &c, &e) < 0) {
			cfir_disk_container_free(&c);
			if (e.exit == EX_OSERR && e.sys == ENOMEM)
				r = cfir_err_set(err, EX_OSERR, ENOMEM, "containers");
			else
				cfir_disk_list_skip(l, v[i], cfir_err_str(&e));
		} else {
			r = cfir_disk_list_add(l, &c, err);
		}
	}
	cfir_util_free_strv(v, n);
	return r;
}
