/*
 * disk-containerd.c - containerd's containers and their layers on disk:
 * its metadata database (meta.db) and the overlayfs snapshotter's own
 * (metadata.db), both bbolt files read without containerd.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/bbolt.h"
#include "common/cleanup.h"
#include "common/disk.h"
#include "common/hash.h"
#include "common/util.h"

#define META_DB		CFIR_DISK_CONTAINERD "/io.containerd.metadata.v1.bolt/meta.db"
#define OVL_DIR		CFIR_DISK_CONTAINERD "/io.containerd.snapshotter.v1.overlayfs"
#define OVL_DB		OVL_DIR "/metadata.db"
#define DB_MAX		((off_t)1 << 32)	/* read a page at a time: bounded only for sanity */
#define IDENT_MAX	76			/* containerd's identifiers (pkg/identifiers) */
#define STR_MAX		4096			/* an image name, a snapshot key, a label */
#define SPEC_MAX	(4u << 20)
#define CONTENT		CFIR_DISK_CONTAINERD "/io.containerd.content.v1.content/blobs/sha256/"
#define BLOB_MAX	(4u << 20)		/* an image manifest, index or config */
#define INDEX_MAX	16			/* manifests of one image index looked into */
#define GO_UNIX		62135596800LL		/* seconds from Go's zero time (year 1) to 1970 */

/* A container ID or a namespace as containerd allows them: [A-Za-z0-9]+ joined by single [._-]. */
static bool
ident_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > IDENT_MAX)
		return false;
	for (i = 0; i < n; i++) {
		bool alnum = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
			     (s[i] >= '0' && s[i] <= '9');

		if (alnum)
			continue;
		if ((s[i] != '.' && s[i] != '_' && s[i] != '-') || i == 0 || i + 1 == n ||
		    !((s[i + 1] >= 'a' && s[i + 1] <= 'z') || (s[i + 1] >= 'A' && s[i + 1] <= 'Z') ||
		      (s[i + 1] >= '0' && s[i + 1] <= '9')))
			return false;
	}
	return true;
}

/* PATH under ROOT as a bbolt database; EX_NOINPUT when absent. */
static int
db_open(int root, const char *path, int *fd, struct cfir_bbolt **db, struct cfir_err *err)
{
	struct stat st;

	*db = NULL;
	*fd = cfir_disk_open(root, path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
	if (*fd < 0 && errno != EINVAL)
		return cfir_err_set(err, cfir_err_sys_exit(errno), errno, "open '%s'", path);
	if (*fd < 0 || fstat(*fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > DB_MAX)
		return cfir_err_set(err, EX_DATAERR, 0, "'%s' is not a regular file of at most %lld bytes",
				    path, (long long)DB_MAX);
	if (cfir_bbolt_open(*fd, db, err) < 0)
		return cfir_err_wrap(err, "'%s'", path);
	return 0;
}

/* The string value KEY of B (no NUL inside), NULL with 0 when absent. */
static int
get_str(struct cfir_bbolt *db, const struct cfir_bbolt_bucket *b, const char *key, char **s,
	struct cfir_err *err)
{
	unsigned char *v;
	size_t n;

	*s = NULL;
	if (cfir_bbolt_get(db, b, key, STR_MAX, &v, &n, err) < 0)
		return err->exit == EX_NOINPUT ? 0 : -1;
	if (memchr(v, '\0', n) != NULL) {
		free(v);
		return cfir_err_set(err, EX_DATAERR, 0, "'%s' holds a NUL", key);
	}
	*s = (char *)v;
	return 0;
}

/*
 * A time as Go's time.MarshalBinary wrote it (containerd's boltutil):
 * version 1 or 2, seconds since year 1 and nanoseconds big-endian, then
 * the zone's offset, which does not change the instant: shown in UTC.
 */
static int
go_time(const unsigned char *b, size_t n, char **out, struct cfir_err *err)
{
	struct timespec ts;
	uint64_t sec = 0;
	uint32_t nsec = 0;
	char buf[CFIR_TIME_LEN];
	size_t i;

	if (n == 0 || (b[0] != 1 && b[0] != 2) || n != (b[0] == 2 ? 16u : 15u))
		return cfir_err_set(err, EX_DATAERR, 0, "a time of %zu bytes", n);
	for (i = 1; i < 9; i++)
		sec = sec << 8 | b[i];
	for (i = 9; i < 13; i++)
		nsec = nsec << 8 | b[i];
	if (sec > (uint64_t)INT64_MAX || nsec >= 1000000000u)
		return cfir_err_set(err, EX_DATAERR, 0, "a time out of range");
	ts.tv_sec = (time_t)((int64_t)sec - GO_UNIX);
	ts.tv_nsec = (long)nsec;
	cfir_util_time_rfc3339(&ts, buf);
	*out = strdup(buf);
	return *out != NULL ? 0 : cfir_err_set(err, EX_OSERR, ENOMEM, "time");
}

/* A protobuf varint at *P below END. */
static int
pb_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	unsigned shift;

	*v = 0;
	for (shift = 0; shift < 64 && *p < end; shift += 7) {
		unsigned char c = *(*p)++;

		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return 0;
	}
	return -1;
}

/*
 * The spec: a protobuf Any (1: type_url, 2: value); its value is the OCI
 * spec JSON, kept exact. Other fields are stepped over.
 */
static int
spec_value(const unsigned char *b, size_t n, const unsigned char **val, size_t *vlen,
	   struct cfir_err *err)
{
	const unsigned char *p = b, *end = b + n;
	uint64_t tag, len;

	*val = NULL;
	while (p < end) {
		if (pb_varint(&p, end, &tag) < 0)
			return cfir_err_set(err, EX_DATAERR, 0, "spec: a bad field tag");
		if ((tag & 7) == 0 && pb_varint(&p, end, &len) == 0)
			continue;
		if ((tag & 7) == 1 || (tag & 7) == 5) {
			len = (tag & 7) == 1 ? 8 : 4;
			if (len > (uint64_t)(end - p))
				break;
			p += len;
			continue;
		}
		if ((tag & 7) != 2 || pb_varint(&p, end, &len) < 0 || len > (uint64_t)(end - p))
			return cfir_err_set(err, EX_DATAERR, 0, "spec: a bad field");
		if (tag >> 3 == 2) {
			*val = p;
			*vlen = (size_t)len;
		}
		p += len;
	}
	if (p != end || *val == NULL)
		return cfir_err_set(err, EX_DATAERR, 0, "spec: %s", p != end ? "cut short" : "no value");
	return 0;
}

/* "NS/POD/CONTAINER" from the Kubernetes labels, when all three are there; NULL otherwise. */
static int
kube_name(struct cfir_bbolt *db, const struct cfir_bbolt_bucket *c, char **name, struct cfir_err *err)
{
	static const char *const keys[] = {
		"io.kubernetes.pod.namespace", "io.kubernetes.pod.name", "io.kubernetes.container.name",
	};
	struct cfir_bbolt_bucket labels;
	char *v[3] = { NULL, NULL, NULL };
	size_t i;
	int rc = 0;

	*name = NULL;
	if (cfir_bbolt_child(db, c, (const unsigned char *)"labels", 6, &labels, err) < 0)
		return err->exit == EX_NOINPUT ? 0 : -1;
	for (i = 0; i < 3 && rc == 0; i++)
		rc = get_str(db, &labels, keys[i], &v[i], err);
	cfir_bbolt_bucket_free(&labels);
	if (rc == 0 && v[0] != NULL && v[1] != NULL && v[2] != NULL &&
	    asprintf(name, "%s/%s/%s", v[0], v[1], v[2]) < 0) {
		*name = NULL;
		rc = cfir_err_set(err, EX_OSERR, ENOMEM, "name");
	}
	for (i = 0; i < 3; i++)
		free(v[i]);
	return rc;
}

/* The spec's JSON, exact, from the container's "spec" (absent: NULL). */
static int
read_spec(struct cfir_bbolt *db, const struct cfir_bbolt_bucket *b, struct cfir_disk_container *c,
	  struct cfir_err *err)
{
	cleanup_free unsigned char *any = NULL;
	const unsigned char *val;
	size_t n, vlen = 0;

	if (cfir_bbolt_get(db, b, "spec", SPEC_MAX, &any, &n, err) < 0)
		return err->exit == EX_NOINPUT ? 0 : -1;
	if (spec_value(any, n, &val, &vlen, err) < 0)
		return -1;
	c->spec_raw = malloc(vlen + 1);
	if (c->spec_raw == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "spec");
	memcpy(c->spec_raw, val, vlen);
	c->spec_raw[vlen] = '\0';
	c->spec_len = vlen;
	return 0;
}

static int
read_created(struct cfir_bbolt *db, const struct cfir_bbolt_bucket *b, struct cfir_disk_container *c,
	     struct cfir_err *err)
{
	cleanup_free unsigned char *t = NULL;
	size_t n;

	if (cfir_bbolt_get(db, b, "createdat", 64, &t, &n, err) < 0)
		return err->exit == EX_NOINPUT ? 0 : -1;
	return go_time(t, n, &c->created, err);
}

/*
 * Container ID of namespace NS from its bucket B. containerd keeps no run
 * state in meta.db (a task lives in its shim and in /run, gone with the
 * host), so every container on disk is "created" and none is running.
 */
static int
read_container(struct cfir_bbolt *db, const char *ns, const char *id, const struct cfir_bbolt_bucket *b,
	       struct cfir_disk_container *c, struct cfir_err *err)
{
	memset(c, 0, sizeof(*c));
	c->manager = "containerd";
	c->id = strdup(id);
	c->ns = strdup(ns);
	c->status = strdup("created");
	if (asprintf(&c->config_name, "%s:v1/%s/containers/%s", META_DB, ns, id) < 0)
		c->config_name = NULL;
	if (c->id == NULL || c->ns == NULL || c->status == NULL || c->config_name == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "container");
	if (get_str(db, b, "image", &c->image, err) < 0 || read_created(db, b, c, err) < 0 ||
	    kube_name(db, b, &c->name, err) < 0 || read_spec(db, b, c, err) < 0)
		return -1;
	if (c->image != NULL && *c->image == '\0') {
		/* dockerd's containers: the image is dockerd's to know */
		free(c->image);
		c->image = NULL;
	}
	return 0;
}

struct lister {
	struct cfir_bbolt *db;
	struct cfir_disk_list *l;
	char ns[IDENT_MAX + 1];
};

static int skip(struct cfir_disk_list *l, const struct cfir_err *why, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One more entry not listed, the first one said; -1 only when memory fails. */
static int
skip(struct cfir_disk_list *l, const struct cfir_err *why, const char *fmt, ...)
{
	cleanup_free char *what = NULL;
	va_list ap;
	int rc;

	if (why->exit == EX_OSERR && why->sys == ENOMEM)
		return -1;
	l->skipped++;
	if (l->first_skip != NULL)
		return 0;
	va_start(ap, fmt);
	rc = vasprintf(&what, fmt, ap);
	va_end(ap);
	if (rc < 0 || asprintf(&l->first_skip, "%s: %s", what, why->msg) < 0)
		l->first_skip = NULL;
	return 0;
}

static int
list_one(void *ctx, const unsigned char *key, size_t klen, const unsigned char *val, size_t vlen,
	 bool is_bucket, struct cfir_err *err)
{
	struct lister *x = ctx;
	struct cfir_disk_container c = { 0 };
	struct cfir_bbolt_bucket b = { 0 };
	struct cfir_err why = { 0 };
	char id[IDENT_MAX + 1];

	if (!is_bucket || !ident_ok((const char *)key, klen)) {
		cfir_err_set(&why, EX_DATAERR, 0, "not a container ID");
		skip(x->l, &why, "containerd container in '%s' (%zu bytes)", x->ns, klen);
		return 0;
	}
	memcpy(id, key, klen);
	id[klen] = '\0';
	if (cfir_bbolt_bucket_value(val, vlen, &b, &why) < 0 ||
	    read_container(x->db, x->ns, id, &b, &c, &why) < 0) {
		cfir_bbolt_bucket_free(&b);
		if (c.manager != NULL)
			cfir_disk_container_free(&c);
		if (skip(x->l, &why, "containerd container '%s/%s'", x->ns, id) < 0)
			return cfir_err_set(err, EX_OSERR, ENOMEM, "containers");
		return 0;
	}
	cfir_bbolt_bucket_free(&b);
	return cfir_disk_list_add(x->l, &c, err);
}

/* The containers of one namespace (v1/NS/containers). */
static int
list_ns(void *ctx, const unsigned char *key, size_t klen, const unsigned char *val, size_t vlen,
	bool is_bucket, struct cfir_err *err)
{
	struct lister *x = ctx;
	struct cfir_bbolt_bucket ns = { 0 }, cs = { 0 };
	struct cfir_err why = { 0 };
	int rc;

	if (!is_bucket)
		return 0;	/* "version", the schema's */
	if (!ident_ok((const char *)key, klen)) {
		cfir_err_set(&why, EX_DATAERR, 0, "not a namespace");
		skip(x->l, &why, "containerd namespace (%zu bytes)", klen);
		return 0;
	}
	memcpy(x->ns, key, klen);
	x->ns[klen] = '\0';
	if (cfir_bbolt_bucket_value(val, vlen, &ns, &why) < 0 ||
	    cfir_bbolt_child(x->db, &ns, (const unsigned char *)"containers", 10, &cs, &why) < 0) {
		cfir_bbolt_bucket_free(&ns);
		if (why.exit == EX_NOINPUT)
			return 0;	/* a namespace without containers */
		return skip(x->l, &why, "containerd namespace '%s'", x->ns) < 0 ?
			       cfir_err_set(err, EX_OSERR, ENOMEM, "containers") : 0;
	}
	rc = cfir_bbolt_each(x->db, &cs, list_one, x, &why);
	cfir_bbolt_bucket_free(&ns);
	cfir_bbolt_bucket_free(&cs);
	if (rc < 0 && why.exit == EX_OSERR && why.sys == ENOMEM)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "containers");
	if (rc < 0)
		skip(x->l, &why, "containerd namespace '%s'", x->ns);
	return 0;
}

int
cfir_disk_containerd_list(int root, struct cfir_disk_list *l, struct cfir_err *err)
{
	cleanup_close int fd = -1;
	struct lister x = { .l = l };
	struct cfir_bbolt_bucket v1 = { 0 };
	struct cfir_err why = { 0 };
	int rc;

	if (db_open(root, META_DB, &fd, &x.db, &why) < 0 ||
	    cfir_bbolt_bucket(x.db, (const char *const[]){ "v1" }, 1, &v1, &why) < 0) {
		cfir_bbolt_close(x.db);
		if (why.exit == EX_NOINPUT)
			return 0;	/* no containerd here, or none that ever stored anything */
		return skip(l, &why, "containerd") < 0 ? cfir_err_set(err, EX_OSERR, ENOMEM, "containers") : 0;
	}
	rc = cfir_bbolt_each(x.db, &v1, list_ns, &x, &why);
	cfir_bbolt_bucket_free(&v1);
	cfir_bbolt_close(x.db);
	if (rc < 0 && why.exit == EX_OSERR && why.sys == ENOMEM)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "containers");
	if (rc < 0)
		skip(l, &why, "containerd '%s'", META_DB);
	return 0;
}

/* The snapshot a container's rootfs is (its snapshotter's backend key) and its image, from meta.db. */
static int
container_snapshot(struct cfir_bbolt *db, const char *ns, const char *id, char **bkey, char **image,
		   struct cfir_err *err)
{
	struct cfir_bbolt_bucket b = { 0 }, s = { 0 };
	cleanup_free char *snapshotter = NULL, *key = NULL;
	int rc = -1;

	*bkey = *image = NULL;
	if (cfir_bbolt_bucket(db, (const char *const[]){ "v1", ns, "containers", id }, 4, &b, err) < 0) {
		if (err->exit == EX_NOINPUT)
			cfir_err_set(err, EX_NOINPUT, 0, "no containerd container '%s' in namespace '%s'", id, ns);
		goto out;
	}
	if (get_str(db, &b, "snapshotter", &snapshotter, err) < 0 || get_str(db, &b, "snapshotKey", &key, err) < 0 ||
	    get_str(db, &b, "image", image, err) < 0)
		goto out;
	if (key == NULL || snapshotter == NULL || *key == '\0' || *snapshotter == '\0') {
		/* dockerd's containers (namespace "moby"): their rootfs is dockerd's own layers */
		cfir_err_set(err, EX_NOINPUT, 0, "containerd container '%s/%s' has no snapshot", ns, id);
		goto out;
	}
	if (strcmp(snapshotter, "overlayfs") != 0) {
		cfir_err_set(err, EX_UNAVAILABLE, 0, "containerd container '%s/%s': snapshotter '%.64s' "
			     "is not read (only overlayfs is)", ns, id, snapshotter);
		goto out;
	}
	if (cfir_bbolt_bucket(db, (const char *const[]){ "v1", ns, "snapshots", "overlayfs", key }, 5, &s,
			      err) < 0 || get_str(db, &s, "name", bkey, err) < 0)
		goto out;
	if (*bkey == NULL)
		cfir_err_set(err, EX_DATAERR, 0, "snapshot '%.128s' has no name", key);
	else
		rc = 0;
out:
	if (rc < 0) {
		free(*image);
		*image = NULL;
	}
	cfir_bbolt_bucket_free(&b);
	cfir_bbolt_bucket_free(&s);
	return rc;
}

/* "sha256:" and 64 lowercase hex digits */
static bool
digest_ok(const char *d)
{
	size_t i;

	if (d == NULL || strncmp(d, "sha256:", 7) != 0 || strlen(d) != 71)
		return false;
	for (i = 7; i < 71; i++)
		if (!((d[i] >= '0' && d[i] <= '9') || (d[i] >= 'a' && d[i] <= 'f')))
			return false;
	return true;
}

/*
 * Each layer's diff ID by the chain ID its snapshot is named by: chain 1 is
 * diff 1, chain N is sha256("chain N-1" + " " + "diff N") (OCI image spec).
 */
struct chains {
	char (*chain)[72];
	char (*diff)[72];
	size_t n;
};

static void
chains_free(struct chains *c)
{
	free(c->chain);
	free(c->diff);
	memset(c, 0, sizeof(*c));
}

/* The diff IDs of an image config, with the chain ID each one ends. */
static void
chains_add(struct chains *c, const cJSON *config)
{
	const cJSON *ids = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(config, "rootfs"),
							    "diff_ids");
	const cJSON *d;
	char both[2 * 72], hex[CFIR_SHA256_HEX];
	size_t first = c->n;

	cJSON_ArrayForEach(d, ids) {
		if (c->n >= CFIR_DISK_LAYERS_MAX || !digest_ok(cJSON_GetStringValue(d)))
			return;
		memcpy(c->diff[c->n], d->valuestring, 72);
		if (c->n == first) {
			memcpy(c->chain[c->n], d->valuestring, 72);
		} else {
			snprintf(both, sizeof(both), "%s %s", c->chain[c->n - 1], d->valuestring);
			cfir_sha256_hex(both, strlen(both), hex);
			snprintf(c->chain[c->n], 72, "sha256:%s", hex);
		}
		c->n++;
	}
}

static const char *
chains_diff(const struct chains *c, const char *chain)
{
	size_t i;

	for (i = 0; chain != NULL && i < c->n; i++)
		if (strcmp(c->chain[i], chain) == 0)
			return c->diff[i];
	return NULL;
}

/* A JSON blob of the content store, when it is there and its bytes hash to its digest. */
static cJSON *
blob_json(int root, const char *digest)
{
	char path[sizeof(CONTENT) + 64], hex[CFIR_SHA256_HEX];
	cleanup_close int fd = -1;
	cleanup_free char *buf = NULL;
	struct stat st;
	size_t len = 0;
	ssize_t n = 1;

	if (!digest_ok(digest))
		return NULL;
	snprintf(path, sizeof(path), "%s%s", CONTENT, digest + 7);
	fd = cfir_disk_open(root, path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > BLOB_MAX)
		return NULL;
	buf = malloc((size_t)st.st_size + 1);
	while (buf != NULL && len < (size_t)st.st_size && n > 0) {
		n = read(fd, buf + len, (size_t)st.st_size - len);
		len += n > 0 ? (size_t)n : 0;
	}
	if (buf == NULL || len != (size_t)st.st_size)
		return NULL;
	cfir_sha256_hex(buf, len, hex);
	if (strcmp(hex, digest + 7) != 0)
		return NULL;
	return cJSON_ParseWithLength(buf, len);
}

static const char *
json_digest(const cJSON *o)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "digest"));
}

/*
 * The layers of the container's image, from its manifest, or from each
 * manifest of its index that the content store holds: what they are is
 * known only when the image is still there; without it none is given.
 */
static void
image_chains(int root, struct cfir_bbolt *db, const char *ns, const char *image, struct chains *c)
{
	struct cfir_bbolt_bucket t = { 0 };
	struct cfir_err ignored;
	cleanup_free char *digest = NULL;
	cleanup_cjson cJSON *top = NULL;
	const cJSON *m;
	unsigned n = 0;

	c->chain = calloc(CFIR_DISK_LAYERS_MAX, sizeof(*c->chain));
	c->diff = calloc(CFIR_DISK_LAYERS_MAX, sizeof(*c->diff));
	if (c->chain == NULL || c->diff == NULL || image == NULL ||
	    cfir_bbolt_bucket(db, (const char *const[]){ "v1", ns, "images", image, "target" }, 5, &t,
			      &ignored) < 0)
		return;
	if (get_str(db, &t, "digest", &digest, &ignored) == 0)
		top = blob_json(root, digest);
	cfir_bbolt_bucket_free(&t);
	if (cJSON_GetObjectItemCaseSensitive(top, "config") != NULL) {
		cleanup_cjson cJSON *config = blob_json(root, json_digest(cJSON_GetObjectItemCaseSensitive(top, "config")));

		chains_add(c, config);
		return;
	}
	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(top, "manifests")) {
		cleanup_cjson cJSON *mf = n++ < INDEX_MAX ? blob_json(root, json_digest(m)) : NULL;
		cleanup_cjson cJSON *config = blob_json(root, json_digest(cJSON_GetObjectItemCaseSensitive(mf, "config")));

		chains_add(c, config);
	}
}

/* A snapshot's id: a Go uvarint (binary.PutUvarint), kept to what a directory name can be. */
static int
snapshot_id(const unsigned char *b, size_t n, uint64_t *id, struct cfir_err *err)
{
	const unsigned char *p = b;

	if (n > 10 || pb_varint(&p, b + n, id) < 0 || p != b + n || *id == 0 || *id > INT64_MAX)
		return cfir_err_set(err, EX_DATAERR, 0, "a snapshot id of %zu bytes", n);
	return 0;
}

/*
 * A committed snapshot is named by its layer's chain ID ("NS/N/sha256:..."
 * in the backend): its diff ID is the image's layer with that chain, and
 * the lowest one's chain ID is its diff ID even without the image.
 */
static const char *
snapshot_digest(const char *bkey, bool lowest, const struct chains *c)
{
	const char *d = strrchr(bkey, '/');
	const char *diff;

	d = d != NULL ? d + 1 : bkey;
	if (!digest_ok(d))
		return NULL;
	diff = chains_diff(c, d);
	return diff != NULL ? diff : lowest ? d : NULL;
}

/* Each snapshot from BKEY down its parents, from the overlayfs snapshotter's metadata.db. */
static int
snapshot_chain(int root, struct cfir_bbolt *db, const struct cfir_bbolt_bucket *snaps, char *bkey,
	       const struct chains *c, struct cfir_disk_layers *l, struct cfir_err *err)
{
	cleanup_free char *cur = bkey;
	char path[sizeof(OVL_DIR) + 48];
	struct cfir_bbolt_bucket s;
	unsigned char *idv;
	char *parent = NULL;
	uint64_t id = 0;
	size_t n;
	int rc;

	while (cur != NULL) {
		if (l->n >= CFIR_DISK_LAYERS_MAX)
			return cfir_err_set(err, EX_DATAERR, 0, "a snapshot chain of more than %d (a cycle?)",
					    CFIR_DISK_LAYERS_MAX);
		if (cfir_bbolt_child(db, snaps, (const unsigned char *)cur, strlen(cur), &s, err) < 0)
			return cfir_err_wrap(err, "snapshot '%.128s'", cur);
		rc = cfir_bbolt_get(db, &s, "id", 16, &idv, &n, err);
		if (rc == 0) {
			rc = snapshot_id(idv, n, &id, err);
			free(idv);
		}
		if (rc == 0)
			rc = get_str(db, &s, "parent", &parent, err);
		cfir_bbolt_bucket_free(&s);
		if (rc < 0)
			return cfir_err_wrap(err, "snapshot '%.128s'", cur);
		snprintf(path, sizeof(path), "%s/snapshots/%" PRIu64 "/fs", OVL_DIR, id);
		rc = cfir_disk_layers_add(root, l, path, snapshot_digest(cur, parent == NULL, c), err);
		free(cur);
		cur = parent;
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* The container's snapshot's backend key, and its image's layers, from meta.db. */
static int
container_meta(int root, const char *ns, const char *id, char **bkey, struct chains *c,
	       struct cfir_err *err)
{
	cleanup_close int fd = -1;
	cleanup_free char *image = NULL;
	struct cfir_bbolt *db = NULL;
	int rc;

	rc = db_open(root, META_DB, &fd, &db, err);
	if (rc == 0)
		rc = container_snapshot(db, ns, id, bkey, &image, err);
	if (rc == 0)
		image_chains(root, db, ns, image, c);
	cfir_bbolt_close(db);
	return rc;
}

int
cfir_disk_containerd_layers(int root, const char *ns, const char *id, struct cfir_disk_layers *l,
			    struct cfir_err *err)
{
	cleanup_close int fd = -1;
	struct cfir_bbolt *db = NULL;
	struct cfir_bbolt_bucket snaps = { 0 };
	struct chains c = { 0 };
	char *bkey = NULL;
	int rc;

	memset(l, 0, sizeof(*l));
	l->from = "containerd snapshots";
	if (ns == NULL || id == NULL || !ident_ok(ns, strlen(ns)) || !ident_ok(id, strlen(id)))
		return cfir_err_set(err, EX_NOINPUT, 0, "no containerd container '%.80s' in namespace '%.80s'",
				    id != NULL ? id : "", ns != NULL ? ns : "");
	if (container_meta(root, ns, id, &bkey, &c, err) < 0) {
		chains_free(&c);
		return -1;
	}
	rc = db_open(root, OVL_DB, &fd, &db, err);
	if (rc == 0)
		rc = cfir_bbolt_bucket(db, (const char *const[]){ "v1", "snapshots" }, 2, &snaps, err);
	if (rc == 0)
		rc = snapshot_chain(root, db, &snaps, steal_pointer(&bkey), &c, l, err);
	free(bkey);
	cfir_bbolt_bucket_free(&snaps);
	cfir_bbolt_close(db);
	chains_free(&c);
	if (rc < 0)
		cfir_disk_layers_free(l);
	return rc;
}
