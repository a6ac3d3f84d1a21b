/*
 * test_bbolt.c - the bbolt reader and containerd's containers on disk, on
 * the files a containerd 1.6 wrote (tests/fixtures/containerd: meta.db,
 * the overlayfs snapshotter's metadata.db, and what `ctr c info` printed
 * of the same containers) and on hostile files built here.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bbolt.h"
#include "common/cleanup.h"
#include "common/disk.h"
#include "common/util.h"
#include "tests/unit/unit.h"

#define OVL "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs"
#define META "/var/lib/containerd/io.containerd.metadata.v1.bolt/meta.db"
/* the image's layers as `ctr snapshots tree` showed them, lowest first */
#define CHAIN1 "sha256:20e31713bf9af82d3601bb2d4949e66536dfb94b972d8e13c55f170537e3980c"
#define CHAIN2 "sha256:fbe6a277acc1d396e4900228055c297226c98fc7325a74d55a092e5a300dd3b2"
/* their diff IDs, the image config's rootfs.diff_ids: the lowest layer's is its chain ID */
#define DIFF2 "sha256:10e05b2887b32b64c95b33bb2d62453acd0cfd3b9df2eeb05458885902610b0c"
#define MANIFEST "9f65c5fc8708230e594194dc283dec8681ab7906dda0932a6ff87ccbe7a59dbf"
#define CONFIG "052f413cedbf37c05ac435d835dcd66b05415b13530fd7c2afb119d36e6ecafa"
#define BLOBS "/var/lib/containerd/io.containerd.content.v1.content/blobs/sha256/"

static char *
fixture(const char *name, size_t *len)
{
	char *buf = NULL;

	CHECK(cfir_util_read_file(AT_FDCWD, unit_fixture(name), 1 << 22, &buf, len, NULL, NULL) == 0);
	return buf;
}

static cJSON *
info(const char *name)
{
	size_t len = 0;
	cleanup_free char *text = fixture(name, &len);

	return text != NULL ? cJSON_ParseWithLength(text, len) : NULL;
}

static struct cfir_bbolt *
open_fixture(const char *name, int *fd)
{
	struct cfir_bbolt *db = NULL;
	struct cfir_err err = { 0 };

	*fd = open(unit_fixture(name), O_RDONLY | O_CLOEXEC);
	CHECK(*fd >= 0);
	CHECK(cfir_bbolt_open(*fd, &db, &err) == 0);
	return db;
}

struct keys {
	char k[8][80];
	bool bucket[8];
	size_t n;
};

static int
collect(void *ctx, const unsigned char *key, size_t klen, const unsigned char *val, size_t vlen,
	bool is_bucket, struct cfir_err *err)
{
	struct keys *ks = ctx;

	(void)val, (void)vlen, (void)err;
	if (ks->n < 8 && klen < sizeof(ks->k[0])) {
		memcpy(ks->k[ks->n], key, klen);
		ks->k[ks->n][klen] = '\0';
		ks->bucket[ks->n] = is_bucket;
	}
	ks->n++;
	return 0;
}

static void
test_bbolt_meta_db(void)
{
	cleanup_close int fd = -1;
	struct cfir_bbolt *db = open_fixture("containerd/meta.db", &fd);
	struct cfir_bbolt_bucket b = { 0 }, lb = { 0 };
	struct cfir_err err = { 0 };
	struct keys ks = { 0 };
	unsigned char *v = NULL;
	size_t n = 0;

	if (db == NULL)
		return;
	CHECK(cfir_bbolt_txid(db) == 53);
	CHECK(cfir_bbolt_bucket(db, (const char *const[]){ "v1", "cfirh-ctrd", "containers" }, 3, &b, &err) == 0);
	CHECK(cfir_bbolt_each(db, &b, collect, &ks, &err) == 0);
	CHECK(ks.n == 2);
	CHECK_STR(ks.k[0], "cfirh-ctrd-box1");
	CHECK_STR(ks.k[1], "cfirh-ctrd-plain");
	CHECK(ks.bucket[0] && ks.bucket[1]);
	cfir_bbolt_bucket_free(&b);

	CHECK(cfir_bbolt_bucket(db, (const char *const[]){ "v1", "cfirh-ctrd", "containers", "cfirh-ctrd-box1" },
				4, &b, &err) == 0);
	CHECK(cfir_bbolt_get(db, &b, "image", 4096, &v, &n, &err) == 0);
	CHECK(n == 39 && v != NULL && strcmp((char *)v, "docker.io/library/cfirh-ctrd-img:latest") == 0);
	free(v);
	CHECK(cfir_bbolt_get(db, &b, "snapshotKey", 4096, &v, &n, &err) == 0);
	CHECK_STR((char *)v, "cfirh-ctrd-box1");
	free(v);
	/* a value past MAX is refused, a bucket is not a value, an absent key is EX_NOINPUT */
	CHECK(cfir_bbolt_get(db, &b, "spec", 100, &v, &n, &err) == -1 && err.exit == EX_DATAERR);
	CHECK(cfir_bbolt_get(db, &b, "labels", 100, &v, &n, &err) == -1 && err.exit == EX_DATAERR);
	CHECK(cfir_bbolt_get(db, &b, "nosuch", 100, &v, &n, &err) == -1 && err.exit == EX_NOINPUT);
	CHECK(v == NULL);
	/* the labels bucket is inline: its leaf is kept in the container's value */
	CHECK(cfir_bbolt_child(db, &b, (const unsigned char *)"labels", 6, &lb, &err) == 0);
	CHECK(lb.root == 0 && lb.inl != NULL);
	CHECK(cfir_bbolt_get(db, &lb, "cfirh.note", 64, &v, &n, &err) == 0);
	CHECK_STR((char *)v, "hello");
	free(v);
	cfir_bbolt_bucket_free(&lb);
	cfir_bbolt_bucket_free(&b);
	CHECK(cfir_bbolt_bucket(db, (const char *const[]){ "v1", "nosuch" }, 2, &b, &err) == -1 &&
	      err.exit == EX_NOINPUT);
	cfir_bbolt_close(db);
}

/* ROOT/PATH made with its directories and FIXTURE's bytes in it */
static void
place(const char *root, const char *path, const char *fixt, const void *bytes, size_t len)
{
	char cmd[1200], dst[1024];
	size_t flen = 0;
	cleanup_free char *buf = fixt != NULL ? fixture(fixt, &flen) : NULL;
	FILE *f;

	snprintf(dst, sizeof(dst), "%s%s", root, path);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", dst);
	CHECK(system(cmd) == 0);
	f = fopen(dst, "w");
	CHECK(f != NULL);
	if (f == NULL)
		return;
	if (fixt != NULL)
		CHECK(fwrite(buf, 1, flen, f) == flen);
	else
		CHECK(fwrite(bytes, 1, len, f) == len);
	fclose(f);
}

/*
 * A dead host's root: the two databases and the snapshots' directories, as
 * containerd left them, and with CONTENT the image's manifest and config.
 */
static const char *
fake_root(bool content)
{
	const char *dir = unit_tmpdir();
	char cmd[1024];

	if (content) {
		place(dir, BLOBS MANIFEST, "containerd/blobs/sha256/" MANIFEST, NULL, 0);
		place(dir, BLOBS CONFIG, "containerd/blobs/sha256/" CONFIG, NULL, 0);
	}
	place(dir, META, "containerd/meta.db", NULL, 0);
	place(dir, OVL "/metadata.db", "containerd/metadata.db", NULL, 0);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s" OVL "/snapshots/1/fs %s" OVL "/snapshots/2/fs %s" OVL
		 "/snapshots/3/fs %s" OVL "/snapshots/4/fs", dir, dir, dir, dir);
	CHECK(system(cmd) == 0);
	return dir;
}

static void
check_box1(const struct cfir_disk_container *c)
{
	cleanup_cjson cJSON *ctr = info("containerd/info-box1.json");
	cleanup_cjson cJSON *spec = c->spec_raw != NULL ? cJSON_ParseWithLength(c->spec_raw, c->spec_len) : NULL;
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(ctr, "Labels");

	CHECK_STR(c->manager, "containerd");
	CHECK_STR(c->id, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ctr, "ID")));
	CHECK_STR(c->ns, "cfirh-ctrd");
	CHECK_STR(c->image, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ctr, "Image")));
	CHECK_STR(c->created, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ctr, "CreatedAt")));
	CHECK_STR(c->created, "2026-11-30T20:51:27.077562289Z");
	CHECK_STR(c->name, "cfirh-ns/cfirh-pod/cfirh-box");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, "io.kubernetes.pod.name")),
		  "cfirh-pod");
	CHECK_STR(c->status, "created");
	CHECK(!c->running && c->pid == 0);
	CHECK_STR(c->config_name, META ":v1/cfirh-ctrd/containers/cfirh-ctrd-box1");
	/* the spec's bytes are the JSON ctr decoded: the same document, field for field */
	CHECK(spec != NULL && cJSON_Compare(spec, cJSON_GetObjectItemCaseSensitive(ctr, "Spec"), true));
	CHECK(c->spec_len == 2897 && c->spec_raw != NULL && c->spec_raw[0] == '{' &&
	      c->spec_raw[c->spec_len - 1] == '}');
}

static void
test_containerd_list(void)
{
	int root = open(fake_root(false), O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_cjson cJSON *plain = info("containerd/info-plain.json");
	struct cfir_disk_list l = { 0 };
	struct cfir_err err = { 0 };
	cleanup_cjson cJSON *spec = NULL;

	CHECK(cfir_disk_containerd_list(root, &l, &err) == 0);
	CHECK(l.n == 2 && l.skipped == 0 && l.first_skip == NULL);
	if (l.n == 2) {
		check_box1(&l.v[0]);
		CHECK_STR(l.v[1].id, "cfirh-ctrd-plain");
		CHECK(l.v[1].name == NULL);
		CHECK_STR(l.v[1].created, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(plain, "CreatedAt")));
		spec = cJSON_ParseWithLength(l.v[1].spec_raw, l.v[1].spec_len);
		CHECK(cJSON_Compare(spec, cJSON_GetObjectItemCaseSensitive(plain, "Spec"), true));
	}
	cfir_disk_list_free(&l);
	/* through the whole list too, and with no containerd at all: nothing, no error */
	CHECK(cfir_disk_list(root, &l, &err) == 0 && l.n == 2);
	cfir_disk_list_free(&l);
	close(root);
	root = open(unit_tmpdir(), O_PATH | O_DIRECTORY | O_CLOEXEC);
	CHECK(cfir_disk_containerd_list(root, &l, &err) == 0 && l.n == 0 && l.skipped == 0);
	close(root);
}

static void
check_layer(const struct cfir_disk_layer *y, const char *dir, const char *id, const char *digest)
{
	char name[256], path[1024];

	snprintf(name, sizeof(name), OVL "/snapshots/%s/fs", id);
	snprintf(path, sizeof(path), "%s%s", dir, name);
	CHECK_STR(y->name, name);
	CHECK_STR(y->path, path);
	if (digest == NULL)
		CHECK(y->digest == NULL);
	else
		CHECK_STR(y->digest, digest);
}

static void
test_containerd_layers(void)
{
	const char *dir = fake_root(true);
	cleanup_free char *real = realpath(dir, NULL);
	int root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct cfir_disk_container c = { .manager = "containerd", .ns = (char *)"cfirh-ctrd",
					 .id = (char *)"cfirh-ctrd-box1" };
	struct cfir_disk_layers l = { 0 };
	struct cfir_err err = { 0 };

	/* ctr snapshots tree: cfirh-ctrd-box1 (3) on CHAIN2 (2) on CHAIN1 (1); -plain is 4 */
	CHECK(cfir_disk_layers(root, &c, &l, &err) == 0);
	CHECK(l.n == 3);
	CHECK_STR(l.from, "containerd snapshots");
	if (l.n == 3) {
		check_layer(&l.v[0], real, "3", NULL);
		check_layer(&l.v[1], real, "2", DIFF2);
		check_layer(&l.v[2], real, "1", CHAIN1);
	}
	cfir_disk_layers_free(&l);
	/* the image's config altered (its bytes no longer its digest): only the lowest is known */
	place(dir, BLOBS CONFIG, NULL, "{}", 2);
	CHECK(cfir_disk_layers(root, &c, &l, &err) == 0 && l.n == 3);
	if (l.n == 3) {
		check_layer(&l.v[1], real, "2", NULL);
		check_layer(&l.v[2], real, "1", CHAIN1);
	}
	cfir_disk_layers_free(&l);
	CHECK(cfir_disk_containerd_layers(root, "cfirh-ctrd", "cfirh-ctrd-plain", &l, &err) == 0 && l.n == 3);
	if (l.n == 3)
		check_layer(&l.v[0], real, "4", NULL);
	cfir_disk_layers_free(&l);
	CHECK(cfir_disk_containerd_layers(root, "cfirh-ctrd", "nosuch", &l, &err) == -1 && err.exit == EX_NOINPUT);
	CHECK(cfir_disk_containerd_layers(root, "nosuch", "cfirh-ctrd-box1", &l, &err) == -1 &&
	      err.exit == EX_NOINPUT);
	CHECK(cfir_disk_containerd_layers(root, "cfirh-ctrd", "../cfirh-ctrd-box1", &l, &err) == -1 &&
	      err.exit == EX_NOINPUT);
	CHECK(l.n == 0 && l.v == NULL);
	close(root);
}

/* The same databases with the container's snapshotter renamed in place: not read, and said so. */
static void
test_containerd_other_snapshotter(void)
{
	const char *dir = fake_root(false);
	size_t len = 0, i, hits = 0;
	cleanup_free char *db = fixture("containerd/meta.db", &len);
	int root;
	struct cfir_disk_layers l = { 0 };
	struct cfir_err err = { 0 };

	for (i = 0; db != NULL && i + 20 <= len; i++)
		if (memcmp(db + i, "snapshotteroverlayfs", 20) == 0) {
			memcpy(db + i + 11, "overlayfz", 9);
			hits++;
		}
	CHECK(hits >= 2);
	place(dir, META, NULL, db, len);
	root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	CHECK(cfir_disk_containerd_layers(root, "cfirh-ctrd", "cfirh-ctrd-box1", &l, &err) == -1);
	CHECK(err.exit == EX_UNAVAILABLE && strstr(err.msg, "'overlayfz'") != NULL);
	close(root);
}

/* Hostile files, built here: pages of 512 bytes, two metas, the root bucket's tree at page 2. */
#define PS 512

static void
put16(unsigned char *b, uint16_t v)
{
	b[0] = (unsigned char)v;
	b[1] = (unsigned char)(v >> 8);
}

static void
put32(unsigned char *b, uint32_t v)
{
	put16(b, (uint16_t)v);
	put16(b + 2, (uint16_t)(v >> 16));
}

static void
put64(unsigned char *b, uint64_t v)
{
	put32(b, (uint32_t)v);
	put32(b + 4, (uint32_t)(v >> 32));
}

static void
page_hdr(unsigned char *db, uint64_t id, uint16_t flags, uint16_t count, uint32_t ovf)
{
	unsigned char *p = db + id * PS;

	put64(p, id);
	put16(p + 8, flags);
	put16(p + 10, count);
	put32(p + 12, ovf);
}

static void
meta(unsigned char *db, uint64_t id, uint64_t txid, uint64_t npages)
{
	unsigned char *m = db + id * PS + 16;
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	page_hdr(db, id, 0x04, 0, 0);
	put32(m, 0xED0CDAED);
	put32(m + 4, 2);
	put32(m + 8, PS);
	put64(m + 16, 2);		/* the root bucket's root page */
	put64(m + 40, npages);
	put64(m + 48, txid);
	for (i = 0; i < 56; i++) {
		h ^= m[i];
		h *= 0x100000001b3ull;
	}
	put64(m + 56, h);
}

/* Leaf element I of page ID: KEY then VAL at OFF within the page. */
static void
leaf(unsigned char *db, uint64_t id, unsigned i, size_t off, const char *key, size_t klen,
     const char *val, size_t vlen)
{
	unsigned char *p = db + id * PS, *e = p + 16 + 16 * i;

	put32(e, 0);
	put32(e + 4, (uint32_t)(off - (size_t)(e - p)));
	put32(e + 8, (uint32_t)klen);
	put32(e + 12, (uint32_t)vlen);
	memcpy(p + off, key, klen);
	memcpy(p + off + klen, val, vlen);
}

static unsigned char *
new_db(size_t npages)
{
	unsigned char *db = calloc(npages, PS);

	meta(db, 0, 4, npages);
	meta(db, 1, 5, npages);
	page_hdr(db, 2, 0x02, 1, 0);
	leaf(db, 2, 0, 100, "k", 1, "v1", 2);
	return db;
}

static int
walk_err(const unsigned char *buf, size_t len, struct cfir_err *err)
{
	struct cfir_bbolt *db = NULL;
	struct cfir_bbolt_bucket r = { 0 };
	struct keys ks = { 0 };
	int rc;

	if (cfir_bbolt_open_mem(buf, len, &db, err) < 0)
		return -1;
	rc = cfir_bbolt_bucket(db, NULL, 0, &r, err);
	if (rc == 0)
		rc = cfir_bbolt_each(db, &r, collect, &ks, err);
	cfir_bbolt_close(db);
	return rc;
}

static void
test_bbolt_metas(void)
{
	cleanup_free unsigned char *db = new_db(4);
	struct cfir_bbolt *h = NULL;
	struct cfir_err err = { 0 };

	CHECK(walk_err(db, 4 * PS, &err) == 0);
	CHECK(cfir_bbolt_open_mem(db, 4 * PS, &h, &err) == 0 && cfir_bbolt_txid(h) == 5);
	cfir_bbolt_close(h);
	/* meta 1 (the newer) broken: meta 0 is used; meta 0 bad magic: meta 1 found at its page size */
	db[PS + 16 + 60] ^= 1;
	CHECK(cfir_bbolt_open_mem(db, 4 * PS, &h, &err) == 0 && cfir_bbolt_txid(h) == 4);
	cfir_bbolt_close(h);
	db[PS + 16 + 60] ^= 1;
	db[16] ^= 0xff;
	CHECK(cfir_bbolt_open_mem(db, 4 * PS, &h, &err) == 0 && cfir_bbolt_txid(h) == 5);
	cfir_bbolt_close(h);
	/* both bad: magic in one, checksum in the other */
	db[PS + 16 + 30] ^= 1;
	CHECK(walk_err(db, 4 * PS, &err) == -1 && err.exit == EX_DATAERR);
	CHECK(strstr(err.msg, "no valid meta page") != NULL);
	/* truncated: the metas' pages reach past the end; empty; a page size too small */
	db[16] ^= 0xff;
	db[PS + 16 + 30] ^= 1;
	CHECK(walk_err(db, 3 * PS, &err) == -1 && err.exit == EX_DATAERR);
	CHECK(walk_err(db, 100, &err) == -1 && walk_err(NULL, 0, &err) == -1);
}

static void
test_bbolt_truncated_fixture(void)
{
	size_t len = 0;
	cleanup_free char *buf = fixture("containerd/meta.db", &len);
	struct cfir_err err = { 0 };

	CHECK(buf != NULL && walk_err((unsigned char *)buf, len, &err) == 0);
	/* the file is grown ahead of its pages: its second half is not in use yet */
	CHECK(walk_err((unsigned char *)buf, len / 2, &err) == 0);
	CHECK(walk_err((unsigned char *)buf, len / 4, &err) == -1 && err.exit == EX_DATAERR);
	CHECK(walk_err((unsigned char *)buf, 4096, &err) == -1 && err.exit == EX_DATAERR);
}

static void
test_bbolt_cycles(void)
{
	cleanup_free unsigned char *db = new_db(4);
	struct cfir_err err = { 0 };
	unsigned char *e = db + 2 * PS + 16;

	/* a branch page whose child is itself */
	page_hdr(db, 2, 0x01, 1, 0);
	put32(e, 100 - 16);
	put32(e + 4, 1);
	put64(e + 8, 2);
	CHECK(walk_err(db, 4 * PS, &err) == -1 && err.exit == EX_DATAERR);
	CHECK(strstr(err.msg, "deeper") != NULL);
	/* two children, both itself: 2^64 paths, cut by the depth bound */
	page_hdr(db, 2, 0x01, 2, 0);
	put32(e + 16, 100 - 32);
	put32(e + 20, 1);
	put64(e + 24, 2);
	CHECK(walk_err(db, 4 * PS, &err) == -1 && err.exit == EX_DATAERR);
	/* a child outside the file, and a page that says it is another */
	put64(e + 8, 99);
	CHECK(walk_err(db, 4 * PS, &err) == -1 && strstr(err.msg, "outside") != NULL);
	put64(e + 8, 3);
	CHECK(walk_err(db, 4 * PS, &err) == -1 && strstr(err.msg, "says it is") != NULL);
}

static void
test_bbolt_bounds(void)
{
	cleanup_free unsigned char *db = new_db(4);
	unsigned char *e = db + 2 * PS + 16;
	struct cfir_err err = { 0 };

	page_hdr(db, 2, 0x02, 40, 0);	/* 40 elements of 16 bytes past 512 */
	CHECK(walk_err(db, 4 * PS, &err) == -1 && strstr(err.msg, "past its end") != NULL);
	page_hdr(db, 2, 0x02, 1, 0);
	put32(e + 12, 1000);		/* a value past the page */
	CHECK(walk_err(db, 4 * PS, &err) == -1 && strstr(err.msg, "past its page") != NULL);
	put32(e + 12, 2);
	put32(e + 4, 0xfffffff0u);	/* a key position far away */
	CHECK(walk_err(db, 4 * PS, &err) == -1);
	put32(e + 4, 100 - 16);
	page_hdr(db, 2, 0x02, 1, 5);	/* overflow past the file */
	CHECK(walk_err(db, 4 * PS, &err) == -1 && strstr(err.msg, "overflows") != NULL);
	page_hdr(db, 2, 0x10, 1, 0);	/* a freelist page in the tree */
	CHECK(walk_err(db, 4 * PS, &err) == -1 && strstr(err.msg, "flags") != NULL);
}

/* A 4 KiB key: the leaf spans nine overflow pages, read whole and exact. */
static void
test_bbolt_big_key(void)
{
	cleanup_free unsigned char *db = new_db(12);
	cleanup_free char *key = malloc(4096);
	struct cfir_bbolt *h = NULL;
	struct cfir_bbolt_bucket r = { 0 };
	struct cfir_err err = { 0 };
	struct keys ks = { 0 };
	unsigned char *v = NULL;
	size_t n = 0;

	memset(key, 'k', 4096);
	page_hdr(db, 2, 0x02, 2, 9);
	leaf(db, 2, 0, 64, "a", 1, "first", 5);
	leaf(db, 2, 1, 100, key, 4096, "big", 3);
	CHECK(cfir_bbolt_open_mem(db, 12 * PS, &h, &err) == 0);
	CHECK(cfir_bbolt_bucket(h, NULL, 0, &r, &err) == 0);
	CHECK(cfir_bbolt_each(h, &r, collect, &ks, &err) == 0 && ks.n == 2);
	key[4095] = '\0';	/* the 4095 first bytes: no such key */
	CHECK(cfir_bbolt_get(h, &r, key, 16, &v, &n, &err) == -1 && err.exit == EX_NOINPUT);
	CHECK(cfir_bbolt_get(h, &r, "a", 16, &v, &n, &err) == 0 && n == 5);
	free(v);
	cfir_bbolt_close(h);
	/* the same leaf said to have no overflow: its key is past its page */
	page_hdr(db, 2, 0x02, 2, 0);
	CHECK(walk_err(db, 12 * PS, &err) == -1 && strstr(err.msg, "past its page") != NULL);
}

/* A bucket's value shorter than its header, and an inline bucket that is a branch. */
static void
test_bbolt_bucket_values(void)
{
	unsigned char v[48] = { 0 };
	struct cfir_bbolt_bucket b = { 0 };
	struct cfir_err err = { 0 };

	CHECK(cfir_bbolt_bucket_value(v, 8, &b, &err) == -1);
	CHECK(cfir_bbolt_bucket_value(v, 20, &b, &err) == -1);
	put16(v + 16 + 8, 0x01);
	CHECK(cfir_bbolt_bucket_value(v, 48, &b, &err) == 0 && b.inl_len == 32);
	cfir_bbolt_bucket_free(&b);
}

/* Hostile containerd databases, built here from inline buckets in one leaf. */
struct kv {
	const char *k;
	const void *v;
	size_t vlen;
	bool bucket;
};

/* ITEMS as an inline bucket's value into OUT; its length */
static size_t
inline_bucket(const struct kv *items, size_t n, unsigned char *out)
{
	unsigned char *p = out + 16, *e;
	size_t i, at = 16 + 16 * n, klen;

	memset(out, 0, 32);
	put16(p + 8, 0x02);
	put16(p + 10, (uint16_t)n);
	for (i = 0; i < n; i++) {
		e = p + 16 + 16 * i;
		klen = strlen(items[i].k);
		put32(e, items[i].bucket ? 1 : 0);
		put32(e + 4, (uint32_t)(at - (16 + 16 * i)));
		put32(e + 8, (uint32_t)klen);
		put32(e + 12, (uint32_t)items[i].vlen);
		memcpy(p + at, items[i].k, klen);
		memcpy(p + at + klen, items[i].v, items[i].vlen);
		at += klen + items[i].vlen;
	}
	return 16 + at;
}

/* A file whose root bucket holds V1 (an inline bucket value of LEN bytes) as "v1". */
static unsigned char *
db_with_v1(const unsigned char *v1, size_t len, size_t *size)
{
	unsigned char *db = new_db(12);

	page_hdr(db, 2, 0x02, 1, 9);
	leaf(db, 2, 0, 64, "v1", 2, (const char *)v1, len);
	put32(db + 2 * PS + 16, 1);	/* a bucket */
	*size = 12 * PS;
	return db;
}

static void
test_containerd_hostile_list(void)
{
	static const unsigned char bad_time[] = { 1, 2, 3 };
	static const unsigned char bad_spec[] = { 0x0a, 0x40, 'x' };
	unsigned char c1[256], c2[256], c3[256], cs[1200], ns[1300], v1[1400];
	const struct kv img = { "image", "x", 1, false };
	struct kv f1[] = { img, { "createdat", bad_time, 3, false } };
	struct kv f2[] = { img, { "spec", bad_spec, 3, false } };
	struct kv f3[] = { img };
	struct kv cl[5], nl[1], vl[2];
	const char *dir = unit_tmpdir();
	struct cfir_disk_list l = { 0 };
	struct cfir_err err = { 0 };
	size_t size;
	cleanup_free unsigned char *db = NULL;
	int root;

	cl[0] = (struct kv){ "../evil", c3, inline_bucket(f3, 1, c3), true };
	cl[1] = (struct kv){ "badspec", c2, inline_bucket(f2, 2, c2), true };
	cl[2] = (struct kv){ "badtime", c1, inline_bucket(f1, 2, c1), true };
	cl[3] = (struct kv){ "fine", c3, cl[0].vlen, true };
	cl[4] = (struct kv){ "value", "x", 1, false };
	nl[0] = (struct kv){ "containers", cs, inline_bucket(cl, 5, cs), true };
	vl[0] = (struct kv){ "bad/ns", ns, 0, true };
	vl[1] = (struct kv){ "ns1", ns, inline_bucket(nl, 1, ns), true };
	vl[0].vlen = vl[1].vlen;
	db = db_with_v1(v1, inline_bucket(vl, 2, v1), &size);
	place(dir, META, NULL, db, size);
	root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	CHECK(cfir_disk_containerd_list(root, &l, &err) == 0);
	/* listed: "fine" alone; skipped: the namespace, "../evil", the bad spec and time, the value */
	CHECK(l.n == 1 && l.skipped == 5);
	if (l.n == 1) {
		CHECK_STR(l.v[0].id, "fine");
		CHECK_STR(l.v[0].ns, "ns1");
		CHECK_STR(l.v[0].image, "x");
		CHECK(l.v[0].created == NULL && l.v[0].spec_raw == NULL && l.v[0].name == NULL);
	}
	CHECK(l.first_skip != NULL && strstr(l.first_skip, "namespace") != NULL);
	cfir_disk_list_free(&l);
	close(root);
}

/* A snapshot chain that loops, and a snapshot id no directory can have. */
static void
test_containerd_hostile_chain(void)
{
	static const unsigned char big_id[11] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
	const struct kv fa[] = { { "id", "\x01", 1, false }, { "parent", "b", 1, false } };
	const struct kv fb[] = { { "id", "\x02", 1, false }, { "parent", "a", 1, false } };
	const struct kv fz[] = { { "id", big_id, sizeof(big_id), false } };
	const struct kv ka[] = { { "name", "a", 1, false } }, kz[] = { { "name", "z", 1, false } };
	const struct kv fc[] = { { "snapshotKey", "k", 1, false }, { "snapshotter", "overlayfs", 9, false } };
	const struct kv fd[] = { { "snapshotKey", "kz", 2, false }, { "snapshotter", "overlayfs", 9, false } };
	unsigned char a[128], b[128], z[128], sa[128], sz[128], c[256], d[256];
	unsigned char snaps[600], cs[600], ovl[600], sn[700], ns[1400], v1[1500];
	struct kv l1[3], l2[2], l3[2], l4[1], l5[2], l6[1];
	const char *dir = unit_tmpdir();
	struct cfir_disk_layers l = { 0 };
	struct cfir_err err = { 0 };
	cleanup_free unsigned char *m = NULL, *o = NULL;
	char cmd[1200];
	size_t size;
	int root;

	l1[0] = (struct kv){ "a", a, inline_bucket(fa, 2, a), true };
	l1[1] = (struct kv){ "b", b, inline_bucket(fb, 2, b), true };
	l1[2] = (struct kv){ "z", z, inline_bucket(fz, 1, z), true };
	l2[0] = (struct kv){ "snapshots", snaps, inline_bucket(l1, 3, snaps), true };
	o = db_with_v1(v1, inline_bucket(l2, 1, v1), &size);
	place(dir, OVL "/metadata.db", NULL, o, size);

	l3[0] = (struct kv){ "c", c, inline_bucket(fc, 2, c), true };
	l3[1] = (struct kv){ "d", d, inline_bucket(fd, 2, d), true };
	l4[0] = (struct kv){ "overlayfs", ovl, 0, true };
	l2[0] = (struct kv){ "k", sa, inline_bucket(ka, 1, sa), true };
	l2[1] = (struct kv){ "kz", sz, inline_bucket(kz, 1, sz), true };
	l4[0].vlen = inline_bucket(l2, 2, ovl);
	l5[0] = (struct kv){ "containers", cs, inline_bucket(l3, 2, cs), true };
	l5[1] = (struct kv){ "snapshots", sn, inline_bucket(l4, 1, sn), true };
	l6[0] = (struct kv){ "ns1", ns, inline_bucket(l5, 2, ns), true };
	m = db_with_v1(v1, inline_bucket(l6, 1, v1), &size);
	place(dir, META, NULL, m, size);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s" OVL "/snapshots/1/fs %s" OVL "/snapshots/2/fs", dir, dir);
	CHECK(system(cmd) == 0);

	root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	CHECK(cfir_disk_containerd_layers(root, "ns1", "c", &l, &err) == -1);
	CHECK(err.exit == EX_DATAERR && strstr(err.msg, "cycle") != NULL);
	CHECK(l.n == 0 && l.v == NULL);
	CHECK(cfir_disk_containerd_layers(root, "ns1", "d", &l, &err) == -1);
	CHECK(err.exit == EX_DATAERR && strstr(err.msg, "snapshot id") != NULL);
	close(root);
}

UNIT_SUITE(bbolt_tests) = {
	{ "bbolt_meta_db", test_bbolt_meta_db },
	{ "bbolt_metas", test_bbolt_metas },
	{ "bbolt_truncated_fixture", test_bbolt_truncated_fixture },
	{ "bbolt_cycles", test_bbolt_cycles },
	{ "bbolt_bounds", test_bbolt_bounds },
	{ "bbolt_big_key", test_bbolt_big_key },
	{ "bbolt_bucket_values", test_bbolt_bucket_values },
	{ "bbolt_containerd_list", test_containerd_list },
	{ "bbolt_containerd_layers", test_containerd_layers },
	{ "bbolt_containerd_other_snapshotter", test_containerd_other_snapshotter },
	{ "bbolt_containerd_hostile_list", test_containerd_hostile_list },
	{ "bbolt_containerd_hostile_chain", test_containerd_hostile_chain },
	UNIT_END
};
