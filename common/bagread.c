/* bagread.c - a bag's own files read back, a bounded pass each */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bagread.h"
#include "common/cleanup.h"
#include "common/out.h"
#include "common/util.h"

/* PATH below DIRFD one component at a time, no link followed, no ".."; the last a directory when DIR. */
static int
walk(int dirfd, const char *path, bool dir)
{
	cleanup_free char *copy = strdup(path);
	char *p = copy, *comp, *next;
	int fd = dirfd, nfd, e, last;

	if (copy == NULL)
		return -1;
	comp = strsep(&p, "/");
	while (comp != NULL) {
		next = strsep(&p, "/");
		last = next ? 0 : dir ? O_DIRECTORY : O_NOATIME;
		if (*comp == '\0' || strcmp(comp, "..") == 0) {
			nfd = -1;
			errno = ENOENT;
		} else
			nfd = openat(fd, comp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK |
					       (next ? O_DIRECTORY : last));
		if (nfd < 0 && errno == EPERM && last == O_NOATIME)
			nfd = openat(fd, comp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		e = errno;
		if (fd != dirfd)
			close(fd);
		if (nfd < 0) {
			errno = e;
			return -1;
		}
		fd = nfd;
		comp = next;
	}
	return fd;
}

int
cfir_bagread_open(int dirfd, const char *path)
{
	struct stat st;
	int fd = walk(dirfd, path, false);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EMEDIUMTYPE;
		return -1;
	}
	return fd;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t
cfir_bagread_names(int dirfd, const char *path, const char *suffix, size_t max, char ***names)
{
	int fd = walk(dirfd, path, true);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	size_t n = 0, cap = 0, k = suffix ? strlen(suffix) : 0, len;
	struct dirent *de;

	*names = NULL;
	if (d == NULL && fd >= 0)
		close(fd);
	while (d != NULL && (de = readdir(d)) != NULL && n < max) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || (de->d_type != DT_REG && de->d_type != DT_UNKNOWN) ||
		    len <= k || strcmp(de->d_name + len - k, suffix ? suffix : "") != 0)
			continue;
		if (!cfir_util_grow((void **)names, &cap, n, sizeof(char *), 8, max) ||
		    ((*names)[n] = strdup(de->d_name)) == NULL)
			break;
		n++;
	}
	if (d != NULL)
		closedir(d);
	if (n > 1)
		qsort(*names, n, sizeof(char *), by_name);
	return n;
}

struct lines {
	cfir_bagread_json_fn fn;
	void *ctx;
	struct cfir_bagread_stats *st;
};

static int
one_line(void *ctx, char *line, size_t len)
{
	struct lines *l = ctx;
	cleanup_cjson cJSON *j = NULL;

	if (len == 0)
		return 0;
	j = cJSON_ParseWithLength(line, len);
	if (!cJSON_IsObject(j)) {
		l->st->bad++;
		return 0;
	}
	l->st->items++;
	return l->fn(l->ctx, j);
}

int
cfir_bagread_jsonl(int fd, size_t linemax, cfir_bagread_json_fn fn, void *ctx,
		   struct cfir_bagread_stats *st, struct cfir_err *err)
{
	struct cfir_bagread_stats none = { 0 };
	struct lines l = { fn, ctx, st ? st : &none };
	int r = cfir_util_lines(fd, linemax, one_line, &l, err);

	return r == CFIR_BAGREAD_STOP ? 0 : r;
}

/*
 * The streamed array found and split without holding the document: a
 * scanner that knows strings, nesting and the top object's member names,
 * nothing more; cJSON parses each element and the rest.
 */
/* values in one element at most: cJSON spends some 80 bytes on each */
#define BAGREAD_NODES (1u << 20)

struct scan {
	const char *key;
	size_t keylen, max;
	cfir_bagread_json_fn fn;
	void *ctx;
	struct cfir_bagread_stats *st;
	struct cfir_text rest, elem;
	long depth;		/* before the byte at hand */
	bool str, esc;		/* in a string, after its backslash */
	bool want_key, in_key, key_ok;	/* a member's name of the top object */
	char keybuf[512];	/* its bytes as written, escapes and all */
	size_t keypos;
	bool in_array, done, in_elem;
	size_t elem_nodes, rest_nodes;	/* values opened so far: what cJSON will allocate */
	int stop;		/* FN's CFIR_BAGREAD_STOP or -1 */
	struct cfir_err *err;
};

static int
elem_end(struct scan *s)
{
	cleanup_cjson cJSON *j = NULL;
	int r;

	if (!s->in_elem)
		return 0;
	s->in_elem = false;
	s->elem_nodes = 0;
	j = cJSON_ParseWithLength(s->elem.p ? s->elem.p : "", s->elem.len);
	s->elem.len = 0;
	if (!cJSON_IsObject(j)) {
		s->st->bad++;
		return 0;
	}
	s->st->items++;
	r = s->fn(s->ctx, j);
	if (r != 0)
		s->stop = r;
	return r;
}

/* The name just read: KEY, also when written with escapes ("entr\u0069es"). */
static bool
key_is(const struct scan *s)
{
	char quoted[sizeof(s->keybuf) + 2];
	cJSON *j;
	bool ok;

	if (s->keypos > sizeof(s->keybuf))
		return false;
	if (memchr(s->keybuf, '\\', s->keypos) == NULL)
		return s->keypos == s->keylen && memcmp(s->keybuf, s->key, s->keylen) == 0;
	quoted[0] = '"';
	memcpy(quoted + 1, s->keybuf, s->keypos);
	quoted[s->keypos + 1] = '"';
	j = cJSON_ParseWithLength(quoted, s->keypos + 2);
	ok = cJSON_IsString(j) && strcmp(j->valuestring, s->key) == 0 && strlen(s->key) == s->keylen;
	cJSON_Delete(j);
	return ok;
}

static void
key_byte(struct scan *s, char c)
{
	if (c == '"' && !s->esc) {
		s->in_key = false;
		s->key_ok = key_is(s);
		return;
	}
	if (s->keypos < sizeof(s->keybuf))
		s->keybuf[s->keypos] = c;
	s->keypos++;
}

/* Where byte C goes, before the nesting it changes. */
static struct cfir_text *
sink(struct scan *s)
{
	return s->in_array && (s->in_elem || s->depth > 2) ? &s->elem : &s->rest;
}

static int
string_byte(struct scan *s, char c)
{
	if (s->in_key)
		key_byte(s, c);
	if (s->esc)
		s->esc = false;
	else if (c == '\\')
		s->esc = true;
	else if (c == '"')
		s->str = false;
	cfir_text_add(sink(s), &c, 1);
	return 0;
}

static int
open_byte(struct scan *s, char c)
{
	if (s->depth == 1 && c == '[' && s->key_ok && !s->done) {
		s->in_array = s->done = true;
		s->depth = 2;
		cfir_text_add(&s->rest, "[", 1);
		return 0;
	}
	if (s->depth == 0 && c == '{')
		s->want_key = true;
	if (s->in_array && s->depth == 2)
		s->in_elem = true;
	cfir_text_add(sink(s), &c, 1);
	s->depth++;
	return 0;
}

static int
close_byte(struct scan *s, char c)
{
	if (--s->depth < 0)
		return cfir_err_set(s->err, EX_DATAERR, 0, "not a JSON object");
	if (s->in_array && s->depth == 1) {
		s->in_array = false;
		if (elem_end(s) != 0)
			return s->stop;
		cfir_text_add(&s->rest, "]", 1);
		return 0;
	}
	cfir_text_add(s->in_array && s->depth >= 2 ? &s->elem : &s->rest, &c, 1);
	return 0;
}

static int
scan_byte(struct scan *s, char c)
{
	if (s->str)
		return string_byte(s, c);
	switch (c) {
	case '"':
		s->str = true;
		if (s->depth == 1 && s->want_key) {
			s->in_key = s->key_ok = true;
			s->want_key = false;
			s->keypos = 0;
		}
		break;
	case '{': case '[':
		return open_byte(s, c);
	case '}': case ']':
		return close_byte(s, c);
	case ',':
		if (s->in_array && s->depth == 2)
			return elem_end(s);
		if (s->depth == 1)
			s->want_key = true;
		break;
	case ' ': case '\t': case '\n': case '\r':
		if (s->in_array && !s->in_elem && s->depth == 2)
			return 0;
		break;
	default:
		if (s->in_array && s->depth == 2)
			s->in_elem = true;
		break;
	}
	cfir_text_add(sink(s), &c, 1);
	return 0;
}

static int
scan_chunk(struct scan *s, const char *p, size_t n)
{
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		char c = p[i];

		if (!s->str && (c == ',' || c == '[' || c == '{' || c == ':') &&
		    ++*(s->in_array && s->depth >= 2 ? &s->elem_nodes : &s->rest_nodes) > BAGREAD_NODES)
			return cfir_err_set(s->err, EX_DATAERR, 0, "an element of more than %u values", BAGREAD_NODES);
		if ((r = scan_byte(s, c)) != 0)
			return r;
		if (s->rest.len > s->max || s->elem.len > s->max)
			return cfir_err_set(s->err, EX_DATAERR, 0, "an element longer than %zu bytes", s->max);
		if (s->rest.oom || s->elem.oom)
			return cfir_err_set(s->err, EX_OSERR, ENOMEM, "read");
	}
	return 0;
}

static int
scan_end(struct scan *s, int r, cJSON **doc)
{
	if (r == 0 && s->in_elem)
		r = elem_end(s);
	if (r == 0 && doc != NULL) {
		*doc = cJSON_ParseWithLength(s->rest.p ? s->rest.p : "", s->rest.len);
		if (!cJSON_IsObject(*doc)) {
			cJSON_Delete(*doc);
			*doc = NULL;
			s->st->bad++;
		}
	}
	free(s->rest.p);
	free(s->elem.p);
	return r == CFIR_BAGREAD_STOP ? 0 : r;
}

static void
scan_init(struct scan *s, const char *key, size_t max, cfir_bagread_json_fn fn, void *ctx,
	  struct cfir_bagread_stats *st, struct cfir_err *err)
{
	memset(s, 0, sizeof(*s));
	s->key = key;
	s->keylen = strlen(key);
	s->max = max;
	s->fn = fn;
	s->ctx = ctx;
	s->st = st;
	s->err = err;
}

int
cfir_bagread_stream_buf(const void *buf, size_t len, const char *key, size_t max,
			cfir_bagread_json_fn fn, void *ctx, cJSON **doc,
			struct cfir_bagread_stats *st, struct cfir_err *err)
{
	struct cfir_bagread_stats none = { 0 };
	struct scan s;

	if (doc != NULL)
		*doc = NULL;
	scan_init(&s, key, max, fn, ctx, st ? st : &none, err);
	return scan_end(&s, scan_chunk(&s, buf, len), doc);
}

int
cfir_bagread_stream(int fd, const char *key, size_t max, cfir_bagread_json_fn fn, void *ctx,
		    cJSON **doc, struct cfir_bagread_stats *st, struct cfir_err *err)
{
	struct cfir_bagread_stats none = { 0 };
	char buf[64 << 10];
	struct scan s;
	ssize_t got;
	int r = 0;

	if (doc != NULL)
		*doc = NULL;
	scan_init(&s, key, max, fn, ctx, st ? st : &none, err);
	while (r == 0) {
		got = read(fd, buf, sizeof(buf));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			r = cfir_err_set(err, cfir_err_sys_exit(errno), errno, "read");
		if (got <= 0)
			break;
		r = scan_chunk(&s, buf, (size_t)got);
	}
	return scan_end(&s, r, doc);
}

/* At most MAX bytes of FD; *CUT when there was more. */
static int
read_whole(int fd, size_t max, char **buf, size_t *len, bool *cut)
{
	size_t cap = 0, n = 0;
	ssize_t got;

	*cut = false;
	for (;;) {
		if (n == cap && n > max)
			break;
		if (n == cap && !cfir_util_grow((void **)buf, &cap, n, 1, 4096, max + 2)) {
			errno = ENOMEM;
			return -1;
		}
		got = read(fd, *buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -1;
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (n > max) {
		*cut = true;
		n = max;
	}
	*len = n;
	return 0;
}

/* The values a JSON text opens, outside its strings: what cJSON would allocate. */
static size_t
json_nodes(const char *p, size_t len)
{
	size_t i, n = 0;
	bool str = false, esc = false;

	for (i = 0; i < len; i++) {
		if (str) {
			if (esc)
				esc = false;
			else if (p[i] == '\\')
				esc = true;
			else if (p[i] == '"')
				str = false;
		} else if (p[i] == '"')
			str = true;
		else if (p[i] == ',' || p[i] == '[' || p[i] == '{' || p[i] == ':')
			n++;
	}
	return n;
}

int
cfir_bagread_json(int dirfd, const char *path, size_t max, cJSON **out, struct cfir_err *err)
{
	cleanup_close int fd = cfir_bagread_open(dirfd, path);
	cleanup_free char *buf = NULL;
	size_t len = 0;
	bool cut = false;

	*out = NULL;
	if (fd < 0)
		return cfir_err_set(err, cfir_err_sys_exit(errno), errno, "'%s'", path);
	if (read_whole(fd, max, &buf, &len, &cut) < 0)
		return cfir_err_set(err, errno == ENOMEM ? EX_OSERR : cfir_err_sys_exit(errno), errno, "read '%s'", path);
	if (cut)
		return cfir_err_set(err, EX_DATAERR, 0, "'%s': larger than %zu bytes", path, max);
	if (json_nodes(buf, len) > BAGREAD_NODES)
		return cfir_err_set(err, EX_DATAERR, 0, "'%s': more than %u values", path, BAGREAD_NODES);
	*out = cJSON_ParseWithLength(buf, len);
	if (*out == NULL)
		return cfir_err_set(err, EX_DATAERR, 0, "'%s': not JSON", path);
	return 0;
}

static void
info_add(cJSON *o, const char *key, const char *val)
{
	cJSON *had = cJSON_GetObjectItemCaseSensitive(o, key), *arr;

	if (had == NULL) {
		cJSON_AddStringToObject(o, key, val);
		return;
	}
	if (!cJSON_IsArray(had)) {
		arr = cJSON_CreateArray();
		cJSON_AddItemToArray(arr, cJSON_Duplicate(had, false));
		cJSON_ReplaceItemInObjectCaseSensitive(o, key, arr);
		had = arr;
	}
	cJSON_AddItemToArray(had, cJSON_CreateString(val));
}

/* cfir writes a dozen keys; a bag that holds more was not written by it */
#define INFO_KEYS 256
#define INFO_LINES 65536

struct info {
	cJSON *o;
	size_t keys, lines;
};

static int
info_line(void *ctx, char *line, size_t len)
{
	struct info *in = ctx;
	char *colon = memchr(line, ':', len);

	if (colon == NULL || colon == line || in->lines++ >= INFO_LINES)
		return 0;
	*colon = '\0';
	if (cJSON_GetObjectItemCaseSensitive(in->o, line) == NULL && in->keys++ >= INFO_KEYS)
		return 0;
	info_add(in->o, line, colon[1] == ' ' ? colon + 2 : colon + 1);
	return 0;
}

int
cfir_bagread_info(int dirfd, cJSON **out, struct cfir_err *err)
{
	cleanup_close int fd = cfir_bagread_open(dirfd, "bag-info.txt");
	cleanup_cjson cJSON *o = cJSON_CreateObject();

	*out = NULL;
	if (fd < 0)
		return cfir_err_set(err, cfir_err_sys_exit(errno), errno, "'bag-info.txt'");
	if (o == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "bag-info.txt");
	if (cfir_util_lines(fd, 1 << 16, info_line, &(struct info){ .o = o }, err) < 0)
		return cfir_err_wrap(err, "'bag-info.txt'");
	*out = steal_pointer(&o);
	return 0;
}

static bool
is_container_dir(int datafd, const char *name)
{
	static const char *const kinds[] = {
		"engine", "runtime", "proc", "net", "fs", "export", "copy", "hunt",
	};
	cleanup_close int fd = openat(datafd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	size_t i;

	if (fd < 0 || strcmp(name, "hunt") == 0)
		return false;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (fstatat(fd, kinds[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
			return true;
	return false;
}

int
cfir_bagread_containers(int dirfd, char ***names, size_t *n, struct cfir_err *err)
{
	int fd = openat(dirfd, "data", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;
	size_t cap = 0;

	*names = NULL;
	*n = 0;
	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return errno == ENOENT ? 0 : cfir_err_set(err, cfir_err_sys_exit(errno), errno, "'data'");
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !is_container_dir(fd, de->d_name))
			continue;
		if (!cfir_util_grow((void **)names, &cap, *n, sizeof(char *), 8, 1u << 20) ||
		    ((*names)[*n] = strdup(de->d_name)) == NULL) {
			closedir(d);
			cfir_util_free_strv(*names, *n);
			*names = NULL;
			*n = 0;
			return cfir_err_set(err, EX_OSERR, ENOMEM, "data");
		}
		(*n)++;
	}
	closedir(d);
	if (*n > 1)
		qsort(*names, *n, sizeof(char *), by_name);
	return 0;
}
