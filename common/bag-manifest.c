/* bag-manifest.c - the payload manifest, the tag manifest, and tag files replaced whole */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bag.h"
#include "common/bag-internal.h"
#include "common/cleanup.h"
#include "common/util.h"

/* Replace NAME in the bag atomically; its hash goes to HEX when non-NULL. */
int
cfir_bag_write_atomic(struct cfir_bag *b, const char *name, const char *data, size_t len,
	     struct cfir_err *err)
{
	cleanup_free char *tmp = NULL;
	cleanup_close int fd = -1;
	const char *slash = strrchr(name, '/');

	if (asprintf(&tmp, "%.*s" CFIR_BAG_TMP_PREFIX "%s", slash ? (int)(slash - name + 1) : 0, name,
		     slash ? slash + 1 : name) < 0)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "bag");
	fd = openat(b->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return cfir_err_set(err, cfir_err_sys_exit(errno), errno, "create '%s/%s'", b->dir, tmp);
	if (cfir_util_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		int e = errno;

		unlinkat(b->dirfd, tmp, 0);
		return cfir_err_set(err, EX_IOERR, e, "write '%s/%s'", b->dir, name);
	}
	if (close(cfir_steal_fd(&fd)) < 0 || renameat(b->dirfd, tmp, b->dirfd, name) < 0) {
		int e = errno;

		unlinkat(b->dirfd, tmp, 0);
		return cfir_err_set(err, EX_IOERR, e, "write '%s/%s'", b->dir, name);
	}
	return 0;
}

void
cfir_bag_manifest_free(struct cfir_bag *b)
{
	size_t i;

	for (i = 0; i < b->nm; i++)
		free(b->m[i].path);
	free(b->m);
}

int
cfir_bag_manifest_add(struct cfir_bag *b, const char *path, const char *hex, uint64_t bytes)
{
	if (b->nm == b->capm) {
		/* the capacity grows only with the array: a failed realloc leaves both as they were */
		size_t cap = b->capm ? 2 * b->capm : 64;
		struct mentry *nm = reallocarray(b->m, cap, sizeof(*nm));

		if (nm == NULL)
			return -1;
		b->m = nm;
		b->capm = cap;
	}
	b->m[b->nm].path = strdup(path);
	if (b->m[b->nm].path == NULL)
		return -1;
	memcpy(b->m[b->nm].hex, hex, CFIR_SHA256_HEX);
	b->m[b->nm].bytes = bytes;
	b->nm++;
	return 0;
}

int
cfir_bag_manifest_load(struct cfir_bag *b, struct cfir_err *err)
{
	cleanup_free char *text = NULL;
	char *line, *save = NULL, *path, hex[CFIR_SHA256_HEX];
	size_t len = 0, lineno = 0;
	struct stat st;

	if (cfir_util_read_file(b->dirfd, "manifest-sha256.txt", CFIR_BAG_TAGFILE_MAX, &text, &len, NULL, err) < 0)
		return err->sys == ENOENT ? (cfir_err_clear(err), 0) : -1;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (cfir_manifest_parse_line(line, &path, hex) < 0)
			return cfir_err_set(err, EX_DATAERR, 0,
					    "'%s/manifest-sha256.txt' line %zu is malformed",
					    b->dir, lineno);
		if (fstatat(b->dirfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
			st.st_size = 0;
		if (cfir_bag_manifest_add(b, path, hex, (uint64_t)st.st_size) < 0)
			return cfir_err_set(err, EX_OSERR, ENOMEM, "manifest");
	}
	return 0;
}

static int
manifest_write(struct cfir_bag *b, struct cfir_err *err)
{
	cleanup_free char *out = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&out, &len);

	if (f == NULL)
		return cfir_err_set(err, EX_OSERR, errno, "manifest");
	for (i = 0; i < b->nm; i++) {
		cleanup_free char *enc = cfir_manifest_encode(b->m[i].path);

		fprintf(f, "%s  %s\n", b->m[i].hex, enc ? enc : "");
	}
	if (fclose(f) != 0)
		return cfir_err_set(err, EX_OSERR, errno, "manifest");
	return cfir_bag_write_atomic(b, "manifest-sha256.txt", out, len, err);
}

/* The payload files of a record that could not be written leave the manifest again. */
void
cfir_bag_manifest_forget(struct cfir_bag *b, const cJSON *artifacts)
{
	const cJSON *a, *p;
	size_t i;

	cJSON_ArrayForEach(a, artifacts) {
		p = cJSON_GetObjectItemCaseSensitive(a, "path");
		for (i = 0; cJSON_IsString(p) && i < b->nm; i++) {
			if (strcmp(b->m[i].path, p->valuestring) != 0)
				continue;
			free(b->m[i].path);
			memmove(b->m + i, b->m + i + 1, (b->nm - i - 1) * sizeof(*b->m));
			b->nm--;
			break;
		}
	}
}

int
cfir_bag_hash_at(int dirfd, const char *name, char *hex, struct cfir_err *err)
{
	cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return cfir_err_set(err, cfir_err_sys_exit(errno), errno, "open '%s'", name);
	return cfir_sha256_fd(fd, hex, NULL, err);
}

struct tagnames {
	char **v;
	size_t n;
};

/* The tag files the tag manifest lists: bagit.txt, bag-info.txt, the manifest, custody/. */
static int
tag_entry(void *ctx, const struct cfir_bag_entry *e, struct cfir_err *err)
{
	struct tagnames *t = ctx;
	char **nv;

	if (e->kind == CFIR_BAG_DIR)
		return strcmp(e->path, "data") == 0 ? CFIR_BAG_WALK_SKIP : 0;
	if (e->kind == CFIR_BAG_UNREADABLE)
		return cfir_err_set(err, EX_IOERR, e->sys, "read '%s'", e->path);
	if (e->kind != CFIR_BAG_TAG ||
	    (strcmp(e->path, "bagit.txt") != 0 && strcmp(e->path, "bag-info.txt") != 0 &&
	     strcmp(e->path, "manifest-sha256.txt") != 0 && strncmp(e->path, "custody/", 8) != 0))
		return 0;
	nv = realloc(t->v, (t->n + 1) * sizeof(*nv));
	if (nv == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "tagmanifest");
	t->v = nv;
	if ((t->v[t->n] = strdup(e->path)) == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "tagmanifest");
	t->n++;
	return 0;
}

/* Walked, not listed by hand: a file system without d_type loses none of them. */
static int
tagmanifest_write(struct cfir_bag *b, struct cfir_err *err)
{
	struct tagnames t = { NULL, 0 };
	cleanup_free char *out = NULL;
	char hex[CFIR_SHA256_HEX];
	size_t len = 0, i;
	FILE *f;
	int r;

	r = cfir_bag_walk(b->dirfd, 0, tag_entry, &t, err);
	f = r == 0 ? open_memstream(&out, &len) : NULL;
	if (r == 0 && f == NULL)
		r = cfir_err_set(err, EX_OSERR, errno, "tagmanifest");
	for (i = 0; i < t.n; i++) {
		if (r == 0)
			r = cfir_bag_hash_at(b->dirfd, t.v[i], hex, err);
		if (r == 0) {
			cleanup_free char *enc = cfir_manifest_encode(t.v[i]);
			fprintf(f, "%s  %s\n", hex, enc);
		}
		free(t.v[i]);
	}
	free(t.v);
	if (f != NULL && fclose(f) != 0 && r == 0)
		r = cfir_err_set(err, EX_OSERR, errno, "tagmanifest");
	if (r < 0)
		return -1;
	return cfir_bag_write_atomic(b, "tagmanifest-sha256.txt", out, len, err);
}

/* Everything outside data/ brought up to date. */
int
cfir_bag_tags_update(struct cfir_bag *b, struct cfir_err *err)
{
	if (manifest_write(b, err) < 0 || cfir_bag_info_write(b, err) < 0 ||
	    cfir_bag_collector_write(b, err) < 0 || tagmanifest_write(b, err) < 0)
		return cfir_err_wrap(err, "bag '%s'", b->dir);
	return 0;
}

/*
 * Whether the tag manifest lists bag-info.txt, the manifest and the custody
 * log as they are: a cfir ended between them and the tag manifest when not.
 */
bool
cfir_bag_tags_stale(struct cfir_bag *b, const char *log_hex)
{
	static const char *names[] = { "bag-info.txt", "manifest-sha256.txt", "custody/log.jsonl" };
	cleanup_free char *text = NULL;
	char *line, *save = NULL, *path, hex[CFIR_SHA256_HEX], now[CFIR_SHA256_HEX];
	size_t i, found = 0;

	if (cfir_util_read_file(b->dirfd, "tagmanifest-sha256.txt", CFIR_BAG_TAGFILE_MAX, &text, NULL, NULL, NULL) < 0)
		return true;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (cfir_manifest_parse_line(line, &path, hex) < 0)
			return true;
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (strcmp(path, names[i]) != 0)
				continue;
			if (i == 2)
				memcpy(now, log_hex, CFIR_SHA256_HEX);
			else if (cfir_bag_hash_at(b->dirfd, path, now, NULL) < 0)
				return true;
			if (strcmp(now, hex) != 0)
				return true;
			found++;
		}
	}
	return found != sizeof(names) / sizeof(names[0]);
}
