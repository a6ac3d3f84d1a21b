/* bag-writer.c - payload files: written, hashed as they go, recorded; and discarded */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bag.h"
#include "common/bag-internal.h"
#include "common/cleanup.h"
#include "common/out.h"
#include "common/util.h"

#define WBUF_SIZE (256u << 10)
#define NAME_MAX_BYTES 200

struct cfir_writer {
	struct cfir_bag *bag;
	struct act *owner;	/* whose record lists it */
	int fd;
	char *path;
	struct cfir_hash *h;
	uint64_t bytes;		/* on disk and hashed */
	unsigned char *buf;
	size_t len;
	char *digest_to;	/* where its SHA-256 goes when it is recorded */
	uint64_t started;	/* written back from the start up to here, or on its way */
};

/*
 * Every so many bytes, what was written is sent on its way to the disk: the
 * fsync that ends a GiB then waits for the last of it, not for all of it.
 */
#define WRITEBACK (32u << 20)

/* Open (creating) the directory chain REL below DIRFD without following links. */
static int
mkdirs_at(int dirfd, const char *rel, struct cfir_err *err)
{
	cleanup_free char *copy = strdup(rel);
	char *p = copy, *comp;
	int fd, nfd;

	if (copy == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "bag");
	fd = dup(dirfd);
	if (fd < 0)
		return cfir_err_set(err, EX_OSERR, errno, "dup");
	while ((comp = strsep(&p, "/")) != NULL) {
		if (*comp == '\0')
			continue;
		if (strcmp(comp, ".") == 0 || strcmp(comp, "..") == 0) {
			close(fd);
			return cfir_err_set(err, EX_SOFTWARE, 0, "bad bag path '%s'", rel);
		}
		if (mkdirat(fd, comp, 0700) < 0 && errno != EEXIST) {
			int e = errno;

			close(fd);
			return cfir_err_set(err, cfir_err_sys_exit(e), e, "mkdir '%s'", rel);
		}
		nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if (nfd < 0)
			return cfir_err_set(err, cfir_err_sys_exit(errno), errno, "open '%s'", rel);
		fd = nfd;
	}
	return fd;
}

static int
unique_open(int dfd, const char *name, char **final, struct cfir_err *err)
{
	const char *dot = strrchr(name, '.');
	size_t stem = dot && dot != name ? (size_t)(dot - name) : strlen(name);
	char *try = strdup(name);
	int fd, i;

	for (i = 2; try != NULL && i < 10000; i++) {
		fd = openat(dfd, try, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0) {
			*final = try;
			return fd;
		}
		if (errno != EEXIST) {
			int e = errno;

			free(try);
			return cfir_err_set(err, cfir_err_sys_exit(e), e, "create '%s'", name);
		}
		free(try);
		if (asprintf(&try, "%.*s-%d%s", (int)stem, name, i, dot && dot != name ? dot : "") < 0)
			try = NULL;
	}
	free(try);
	return cfir_err_set(err, EX_IOERR, EEXIST, "create '%s'", name);
}

/* One path component; CR, LF and '%' are fine, the manifests encode them. */
static bool
name_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= NAME_MAX_BYTES && strchr(s, '/') == NULL &&
	       strcmp(s, ".") != 0 && strcmp(s, "..") != 0 &&
	       strncmp(s, CFIR_BAG_TMP_PREFIX, strlen(CFIR_BAG_TMP_PREFIX)) != 0;
}

static int
writer_open(struct cfir_bag *b, struct act *a, const char *dir, const char *name,
	    struct cfir_writer **wp, struct cfir_err *err)
{
	cleanup_free char *rel = NULL, *final = NULL;
	cleanup_close int dfd = -1;
	struct cfir_writer *w;
	int fd;

	*wp = NULL;
	if (a->action == NULL)
		return cfir_err_set(err, EX_SOFTWARE, 0, "writer outside an action");
	if (!name_ok(name))
		return cfir_err_set(err, EX_SOFTWARE, 0, "bad artifact name");
	if (asprintf(&rel, "data/%s%s%s", a->target_id12 ? a->target_id12 : "",
		     a->target_id12 ? "/" : "", dir) < 0)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "bag");
	dfd = mkdirs_at(b->dirfd, rel, err);
	if (dfd < 0)
		return cfir_err_wrap(err, "bag '%s'", b->dir);
	fd = unique_open(dfd, name, &final, err);
	if (fd < 0)
		return cfir_err_wrap(err, "bag '%s/%s'", b->dir, rel);
	w = calloc(1, sizeof(*w));
	if (w == NULL || (w->h = cfir_hash_new()) == NULL ||
	    (w->buf = malloc(WBUF_SIZE)) == NULL ||
	    asprintf(&w->path, "%s/%s", rel, final) < 0) {
		close(fd);
		if (w != NULL) {
			cfir_hash_free(w->h);
			free(w->buf);
		}
		free(w);
		return cfir_err_set(err, EX_OSERR, ENOMEM, "writer");
	}
	w->bag = b;
	w->owner = a;
	w->fd = fd;
	*wp = w;
	return 0;
}

int
cfir_writer_open(struct cfir_bag *b, const char *dir, const char *name,
		 struct cfir_writer **wp, struct cfir_err *err)
{
	return writer_open(b, &b->cur, dir, name, wp, err);
}

int
cfir_writer_open_side(struct cfir_bag *b, struct cfir_bag_side *s, const char *dir,
		      const char *name, struct cfir_writer **wp, struct cfir_err *err)
{
	return writer_open(b, &s->a, dir, name, wp, err);
}

const char *
cfir_writer_path(const struct cfir_writer *w)
{
	return w->path;
}

uint64_t
cfir_writer_bytes(const struct cfir_writer *w)
{
	return w->bytes + w->len;
}

/* Write out, hashing exactly the bytes that reached the file. */
static int
wflush(struct cfir_writer *w, const unsigned char *p, size_t len, struct cfir_err *err)
{
	ssize_t n;

	while (len > 0) {
		n = write(w->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return cfir_err_set(err, EX_IOERR, n < 0 ? errno : EIO,
					    "write '%s/%s'", w->bag->dir, w->path);
		cfir_hash_update(w->h, p, (size_t)n);
		w->bytes += (uint64_t)n;
		p += n;
		len -= (size_t)n;
	}
	if (w->bytes - w->started >= WRITEBACK) {
		sync_file_range(w->fd, (off_t)w->started, (off_t)(w->bytes - w->started), SYNC_FILE_RANGE_WRITE);
		w->started = w->bytes;
	}
	return 0;
}

int
cfir_writer_write(struct cfir_writer *w, const void *buf, size_t len,
		  struct cfir_err *err)
{
	const unsigned char *p = buf;
	size_t take;

	if (w->len == 0 && len >= WBUF_SIZE)
		return wflush(w, p, len, err);
	while (len > 0) {
		take = WBUF_SIZE - w->len < len ? WBUF_SIZE - w->len : len;
		memcpy(w->buf + w->len, p, take);
		w->len += take;
		p += take;
		len -= take;
		if (w->len == WBUF_SIZE) {
			size_t n = w->len;

			w->len = 0;
			if (wflush(w, w->buf, n, err) < 0)
				return -1;
		}
	}
	return 0;
}

static void
writer_record(struct cfir_writer *w, bool partial)
{
	struct cfir_bag *b = w->bag;
	char hex[CFIR_SHA256_HEX];
	cJSON *a = cJSON_CreateObject();

	cfir_hash_final_hex(w->h, hex);
	if (w->digest_to != NULL)
		memcpy(w->digest_to, hex, sizeof(hex));
	cfir_json_add_bytes(a, "path", w->path, strlen(w->path));
	cfir_json_add_str(a, "sha256", hex);
	cfir_json_add_num(a, "bytes", (double)w->bytes);
	if (partial)
		cJSON_AddBoolToObject(a, "partial", true);
	pthread_mutex_lock(&b->mu);
	cJSON_AddItemToArray(w->owner->artifacts, a);
	cfir_bag_manifest_add(b, w->path, hex, w->bytes);
	pthread_mutex_unlock(&b->mu);
}

static void
writer_free(struct cfir_writer *w)
{
	cfir_hash_free(w->h);
	free(w->buf);
	free(w->path);
	free(w);
}

int
cfir_writer_commit(struct cfir_writer *w, struct cfir_err *err)
{
	size_t n = w->len;
	int r;

	w->len = 0;
	r = wflush(w, w->buf, n, err);
	if (r == 0 && fsync(w->fd) < 0)
		r = cfir_err_set(err, EX_IOERR, errno, "fsync '%s/%s'", w->bag->dir, w->path);
	if (close(w->fd) < 0 && r == 0)
		r = cfir_err_set(err, EX_IOERR, errno, "close '%s/%s'", w->bag->dir, w->path);
	writer_record(w, r < 0);
	writer_free(w);
	return r;
}

void
cfir_writer_digest_to(struct cfir_writer *w, char *hex)
{
	w->digest_to = hex;
}

void
cfir_writer_abort(struct cfir_writer *w)
{
	size_t n;

	if (w == NULL)
		return;
	n = w->len;
	w->len = 0;
	wflush(w, w->buf, n, NULL);	/* keep what we can */
	fsync(w->fd);
	close(w->fd);
	writer_record(w, true);
	writer_free(w);
}

static cJSON *
discard(struct cfir_bag *b, struct act *owner, const char *path, struct cfir_err *err)
{
	const cJSON *ap;
	cJSON *a;
	size_t i;

	for (i = 0; i < b->nm && strcmp(b->m[i].path, path) != 0; i++)
		;
	if (i == b->nm || owner->action == NULL) {
		cfir_err_set(err, EX_SOFTWARE, 0, "discard: '%s' is not in the bag", path);
		return NULL;
	}
	cJSON_ArrayForEach(a, owner->artifacts) {
		ap = cJSON_GetObjectItemCaseSensitive(a, "path");
		if (cJSON_IsString(ap) && strcmp(ap->valuestring, path) == 0)
			break;
	}
	if (a == NULL) {
		cfir_err_set(err, EX_SOFTWARE, 0, "discard: '%s' was not written by this action", path);
		return NULL;
	}
	if (unlinkat(b->dirfd, path, 0) < 0 && errno != ENOENT) {
		cfir_err_set(err, EX_IOERR, errno, "remove '%s/%s'", b->dir, path);
		return NULL;
	}
	free(b->m[i].path);
	memmove(b->m + i, b->m + i + 1, (b->nm - i - 1) * sizeof(*b->m));
	b->nm--;
	return cJSON_DetachItemViaPointer(owner->artifacts, a);
}

cJSON *
cfir_bag_discard(struct cfir_bag *b, const char *path, struct cfir_err *err)
{
	cJSON *r;

	pthread_mutex_lock(&b->mu);
	r = discard(b, &b->cur, path, err);
	pthread_mutex_unlock(&b->mu);
	return r;
}

cJSON *
cfir_bag_discard_side(struct cfir_bag *b, struct cfir_bag_side *s, const char *path, struct cfir_err *err)
{
	cJSON *r;

	pthread_mutex_lock(&b->mu);
	r = discard(b, &s->a, path, err);
	pthread_mutex_unlock(&b->mu);
	return r;
}

int
cfir_bag_add_buffer(struct cfir_bag *b, const char *dir, const char *name,
		    const void *buf, size_t len, struct cfir_err *err)
{
	struct cfir_writer *w;

	if (cfir_writer_open(b, dir, name, &w, err) < 0)
		return -1;
	if (cfir_writer_write(w, buf, len, err) < 0) {
		cfir_writer_abort(w);
		return -1;
	}
	return cfir_writer_commit(w, err);
}
