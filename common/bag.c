/* bag.c - BagIt 1.0 evidence bag with a hash-chained custody log */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "common/bag.h"
#include "common/cleanup.h"
#include "common/minisign.h"
#include "common/out.h"
#include "common/target.h"
#include "common/util.h"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"
#define WBUF_SIZE (256u << 10)
#define RECORD_MAX (16u << 20)	/* one custody record, its newline included */
#define NAME_MAX_BYTES 200
#define RESERVE CFIR_BAG_RESERVE	/* room kept for the custody record on a full disk */
#define RESERVE_BYTES (1 << 20)

struct mentry {
	char *path;		/* "data/..." as on disk */
	char hex[CFIR_SHA256_HEX];
	uint64_t bytes;
};

/* One action: what its custody record will say. */
struct act {
	char *action;
	char *target, *target_id12, *target_name;
	char started[CFIR_TIME_LEN];
	cJSON *artifacts;
};

struct cfir_bag {
	int dirfd;
	char *dir;
	const struct cfir_bag_meta *meta;

	struct mentry *m;
	size_t nm, capm;

	uint64_t seq;
	char head[CFIR_SHA256_HEX];

	char *case_id, *examiner;
	char date[16];
	char **containers;	/* "<id> <name>" lines of bag-info */
	size_t ncontainers;

	char binsha[CFIR_SHA256_HEX];

	char sealed[CFIR_TIME_LEN];	/* when it was sealed, "" while open */

	/* what bag-info.txt said at open: its custody head must be one the log passed */
	bool info_found, info_chain;
	uint64_t info_records;
	char info_head[CFIR_SHA256_HEX];

	/* the action in progress */
	struct act cur;
	/* the manifest, the artifact lists and the custody log, for a side action's thread */
	pthread_mutex_t mu;
	char *notices;		/* what the caller should tell the examiner, a line each; under mu */
};

struct cfir_writer {
	struct cfir_bag *bag;
	struct act *owner;	/* whose record lists it */
	int fd;
	char *path;
	struct cfir_hash *h;
	uint64_t bytes;		/* on disk and hashed */
	unsigned char *buf;
	size_t len;
};

/* What an earlier cfir, ended before its records and tag files agreed, left behind. */
struct recovery {
	size_t cut_bytes;		/* of a last custody line without its newline, cut off */
	char cut_hex[CFIR_SHA256_HEX];
	uint64_t behind;		/* records bag-info.txt had not caught up with */
	bool tags_stale;		/* the tag manifest did not list the tag files as they are */
	char log_hex[CFIR_SHA256_HEX];	/* the custody log as it is (after a cut) */
};

static void act_clear(struct act *a);
static int record_write(struct cfir_bag *b, struct act *a, const char *status, const char *error,
			cJSON *details, struct cfir_err *err);
static int log_cut(int fd, off_t size);
static bool tags_stale(struct cfir_bag *b, const char *log_hex);
static int recover(struct cfir_bag *b, const struct recovery *rv, struct cfir_err *err);

/* A line for the examiner; the runner prints it (cfir_bag_notices). Under b->mu. */
static void
notice(struct cfir_bag *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
notice(struct cfir_bag *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfir_err_vnotice(&b->notices, fmt, ap);
	va_end(ap);
}

char *
cfir_bag_notices(struct cfir_bag *b)
{
	char *n;

	pthread_mutex_lock(&b->mu);
	n = steal_pointer(&b->notices);
	pthread_mutex_unlock(&b->mu);
	return n;
}

uint64_t
cfir_bag_seq(const struct cfir_bag *b)
{
	return b->seq;
}

const char *
cfir_bag_dir(const struct cfir_bag *b)
{
	return b->dir;
}

const cJSON *
cfir_bag_artifacts(const struct cfir_bag *b)
{
	return b->cur.artifacts;
}

char *
cfir_bag_default_dir(const char *name)
{
	cleanup_free char *safe = cfir_util_safe_name(name, 64);
	char stamp[32], *dir = NULL;

	cfir_util_time_stamp(stamp, sizeof(stamp));
	if (safe == NULL || asprintf(&dir, "cfir-%s-%s", safe, stamp) < 0)
		return NULL;
	return dir;
}

/* ---- manifest lines ---------------------------------------------------- */

char *
cfir_manifest_encode(const char *path)
{
	size_t n = strlen(path);
	char *out = malloc(3 * n + 1), *p = out;

	if (out == NULL)
		return NULL;
	for (; *path; path++) {
		if (*path == '%')
			p += sprintf(p, "%%25");
		else if (*path == '\n')
			p += sprintf(p, "%%0A");
		else if (*path == '\r')
			p += sprintf(p, "%%0D");
		else
			*p++ = *path;
	}
	*p = '\0';
	return out;
}

static bool
is_lower_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

int
cfir_manifest_parse_line(char *line, char **path, char *hex)
{
	char *r, *w;

	if (strlen(line) < 67 || !is_lower_hex(line, 64) || line[64] != ' ')
		return -1;
	memcpy(hex, line, 64);
	hex[64] = '\0';
	/* "hex  path" (sha256sum text mode) or "hex *path" (binary mode) */
	r = line + 65;
	if (*r == ' ' || *r == '*')
		r++;
	if (*r == '\0')
		return -1;
	*path = w = r;
	while (*r) {
		if (r[0] == '%' && r[1] == '2' && r[2] == '5')
			*w++ = '%', r += 3;
		else if (r[0] == '%' && r[1] == '0' && (r[2] == 'A' || r[2] == 'a'))
			*w++ = '\n', r += 3;
		else if (r[0] == '%' && r[1] == '0' && (r[2] == 'D' || r[2] == 'd'))
			*w++ = '\r', r += 3;
		else
			*w++ = *r++;
	}
	*w = '\0';
	return 0;
}

/* ---- custody log -------------------------------------------------------- */

int
cfir_custody_check(const char *text, size_t len, char *head, size_t *count,
		   char *why, size_t whylen)
{
	char prev[CFIR_SHA256_HEX] = ZERO_HASH;
	const char *p = text, *end = text + len, *nl;
	size_t n = 0;

	*count = 0;
	while (p < end) {
		cleanup_cjson cJSON *rec = NULL;
		const cJSON *seq, *pv;

		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL) {
			snprintf(why, whylen, "record %zu: no newline at the end of the log", n + 1);
			return -1;
		}
		rec = cJSON_ParseWithLength(p, (size_t)(nl - p));
		n++;
		if (!cJSON_IsObject(rec)) {
			snprintf(why, whylen, "record %zu: not a JSON object", n);
			return -1;
		}
		seq = cJSON_GetObjectItemCaseSensitive(rec, "seq");
		if (!cJSON_IsNumber(seq) || seq->valuedouble != (double)n) {
			snprintf(why, whylen, "record %zu: seq is not %zu (removed, inserted or reordered)", n, n);
			return -1;
		}
		pv = cJSON_GetObjectItemCaseSensitive(rec, "prev");
		if (!cJSON_IsString(pv) || strcmp(pv->valuestring, prev) != 0) {
			snprintf(why, whylen, "record %zu: prev does not match the hash of record %zu", n, n - 1);
			return -1;
		}
		cfir_sha256_hex(p, (size_t)(nl - p), prev);
		p = nl + 1;
	}
	memcpy(head, prev, CFIR_SHA256_HEX);
	*count = n;
	return 0;
}

int
cfir_custody_head_at(const char *text, size_t len, size_t n, char *head)
{
	const char *p = text, *end = text + len, *nl;
	size_t i;

	memcpy(head, ZERO_HASH, CFIR_SHA256_HEX);
	for (i = 0; i < n; i++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			return -1;
		cfir_sha256_hex(p, (size_t)(nl - p), head);
		p = nl + 1;
	}
	return 0;
}

int
cfir_custody_artifacts(const char *text, size_t len, cfir_custody_artifact_fn fn,
		       void *ctx)
{
	const char *p = text, *end = text + len, *nl;
	size_t n = 0;
	int r = 0;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		cleanup_cjson cJSON *rec = cJSON_ParseWithLength(p, (size_t)(nl - p));
		const cJSON *a;

		n++;
		cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(rec, "artifacts")) {
			const cJSON *path = cJSON_GetObjectItemCaseSensitive(a, "path");
			const cJSON *sha = cJSON_GetObjectItemCaseSensitive(a, "sha256");

			if (cJSON_IsString(path) && cJSON_IsString(sha))
				r |= fn(ctx, n, path->valuestring, sha->valuestring);
		}
		p = nl + 1;
	}
	return r;
}

/* ---- files ---------------------------------------------------------------- */

/* Replace NAME in the bag atomically; its hash goes to HEX when non-NULL. */
static int
write_atomic(struct cfir_bag *b, const char *name, const char *data, size_t len,
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

/* ---- manifest ------------------------------------------------------------ */

static int
manifest_add(struct cfir_bag *b, const char *path, const char *hex, uint64_t bytes)
{
	struct mentry *nm;

	if (b->nm == b->capm) {
		b->capm = b->capm ? 2 * b->capm : 64;
		nm = realloc(b->m, b->capm * sizeof(*nm));
		if (nm == NULL)
			return -1;
		b->m = nm;
	}
	b->m[b->nm].path = strdup(path);
	if (b->m[b->nm].path == NULL)
		return -1;
	memcpy(b->m[b->nm].hex, hex, CFIR_SHA256_HEX);
	b->m[b->nm].bytes = bytes;
	b->nm++;
	return 0;
}

static int
manifest_load(struct cfir_bag *b, struct cfir_err *err)
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
		if (manifest_add(b, path, hex, (uint64_t)st.st_size) < 0)
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
	return write_atomic(b, "manifest-sha256.txt", out, len, err);
}

/* ---- bag-info -------------------------------------------------------------- */

static char *
info_value(const char *s)
{
	return cfir_manifest_encode(s ? s : "");
}

static int
info_load(struct cfir_bag *b, struct cfir_err *err)
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

static int
info_write(struct cfir_bag *b, struct cfir_err *err)
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
	return write_atomic(b, "bag-info.txt", out, len, err);
}

/* ---- collector record ------------------------------------------------------ */

static cJSON *
argv_json(const struct cfir_bag_meta *meta)
{
	cJSON *a = cJSON_CreateArray();
	int i;

	for (i = 0; meta != NULL && i < meta->argc; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(meta->argv[i]));
	return a;
}

static const char *
user_name(void)
{
	struct passwd *pw = getpwuid(getuid());

	return pw ? pw->pw_name : "?";
}

static int
collector_write(struct cfir_bag *b, struct cfir_err *err)
{
	cleanup_cjson cJSON *c = cJSON_CreateObject();
	cleanup_free char *text = NULL, *exe = realpath("/proc/self/exe", NULL);
	char now[CFIR_TIME_LEN], off[8];
	struct timespec mono, boot;
	struct timex tx = { 0 };
	struct utsname u;
	struct tm tm;
	time_t t = time(NULL);
	cJSON *o;
	int state;
	size_t len;

	cfir_util_now_rfc3339(now);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_BOOTTIME, &boot);
	state = adjtimex(&tx);
	localtime_r(&t, &tm);
	strftime(off, sizeof(off), "%z", &tm);
	uname(&u);

	cfir_json_add_str(c, "tool", "cfir");
	cfir_json_add_str(c, "version", CFIR_VERSION);
	o = cJSON_AddObjectToObject(c, "binary");
	cfir_json_add_str(o, "path", exe);
	cfir_json_add_str(o, "sha256", b->binsha);
	o = cJSON_AddObjectToObject(c, "host");
	cfir_json_add_str(o, "name", u.nodename);
	cfir_json_add_str(o, "kernel", u.release);
	cfir_json_add_str(o, "machine", u.machine);
	o = cJSON_AddObjectToObject(c, "user");
	cfir_json_add_str(o, "name", user_name());
	cfir_json_add_num(o, "uid", getuid());
	cfir_json_add_num(o, "euid", geteuid());
	cfir_json_add_num(o, "gid", getgid());
	if (getenv("SUDO_USER") != NULL)
		cfir_json_add_str(o, "sudo_user", getenv("SUDO_USER"));
	cJSON_AddItemToObject(c, "argv", argv_json(b->meta));
	o = cJSON_AddObjectToObject(c, "clock");
	cfir_json_add_str(o, "source", "CLOCK_REALTIME");
	cfir_json_add_str(o, "realtime", now);
	cfir_json_add_str(o, "utc_offset", off);
	cfir_json_add_str(o, "timezone", tm.tm_zone);
	cfir_json_add_num(o, "monotonic_ns", (double)mono.tv_sec * 1e9 + (double)mono.tv_nsec);
	cfir_json_add_num(o, "boottime_ns", (double)boot.tv_sec * 1e9 + (double)boot.tv_nsec);
	cJSON_AddBoolToObject(o, "synchronized", state >= 0 && state != TIME_ERROR);
	if (state >= 0)
		cfir_json_add_num(o, "max_error_us", (double)tx.maxerror);

	text = cfir_json_line(c, &len);
	if (text == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "collector.json");
	return write_atomic(b, "custody/collector.json", text, len, err);
}

/* ---- tag manifest --------------------------------------------------------- */

static int
hash_at(int dirfd, const char *name, char *hex, struct cfir_err *err)
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
			r = hash_at(b->dirfd, t.v[i], hex, err);
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
	return write_atomic(b, "tagmanifest-sha256.txt", out, len, err);
}

/* Everything outside data/ brought up to date. */
static int
tags_update(struct cfir_bag *b, struct cfir_err *err)
{
	if (manifest_write(b, err) < 0 || info_write(b, err) < 0 ||
	    collector_write(b, err) < 0 || tagmanifest_write(b, err) < 0)
		return cfir_err_wrap(err, "bag '%s'", b->dir);
	return 0;
}

/* ---- open and close -------------------------------------------------------- */

/*
 * The custody log: a chain, and bag-info.txt's custody head one of the
 * heads it passed (equal, or behind when a cfir ended between the log and
 * the tag files). A last line without its newline (a cfir ended while it
 * appended) is cut off, and said so in the recovery.
 */
static int
custody_load(struct cfir_bag *b, struct recovery *rv, struct cfir_err *err)
{
	cleanup_free char *text = NULL;
	cleanup_close int fd = -1;
	char why[160], head[CFIR_SHA256_HEX];
	size_t len = 0, count = 0;
	const char *nl;
	bool more = false;

	memcpy(b->head, ZERO_HASH, CFIR_SHA256_HEX);
	cfir_sha256_hex("", 0, rv->log_hex);
	if (cfir_util_read_file(b->dirfd, "custody/log.jsonl", CFIR_BAG_TAGFILE_MAX, &text, &len, &more, err) < 0)
		return err->sys == ENOENT ? (cfir_err_clear(err), 0) : -1;
	if (more)
		return cfir_err_set(err, EX_DATAERR, 0, "bag '%s': the custody log is larger than %u MiB",
				    b->dir, CFIR_BAG_TAGFILE_MAX >> 20);
	if (len > 0 && text[len - 1] != '\n') {
		nl = memrchr(text, '\n', len);
		rv->cut_bytes = len - (nl ? (size_t)(nl - text) + 1 : 0);
		len -= rv->cut_bytes;
		cfir_sha256_hex(text + len, rv->cut_bytes, rv->cut_hex);
	}
	if (cfir_custody_check(text, len, b->head, &count, why, sizeof(why)) < 0)
		return cfir_err_set(err, EX_DATAERR, 0,
				    "bag '%s': custody log is broken (%s); run 'cfir verify'",
				    b->dir, why);
	if (b->info_chain) {
		if (b->info_records > count || cfir_custody_head_at(text, len, b->info_records, head) < 0 ||
		    strcmp(head, b->info_head) != 0)
			return cfir_err_set(err, EX_DATAERR, 0,
					    "bag '%s': bag-info.txt names a custody head (%llu records) the log "
					    "never had (%zu records): records removed or replaced; run 'cfir verify'",
					    b->dir, (unsigned long long)b->info_records, count);
		rv->behind = count - b->info_records;
	}
	if (rv->cut_bytes > 0) {
		fd = openat(b->dirfd, "custody/log.jsonl", O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || log_cut(fd, (off_t)len) < 0)
			return cfir_err_set(err, EX_IOERR, errno, "bag '%s': cut the partial custody record off",
					    b->dir);
	}
	cfir_sha256_hex(text, len, rv->log_hex);
	b->seq = count;
	return 0;
}

/* The bag's lock (OP: LOCK_EX to write it, LOCK_SH to read a sealed one), waiting as long as asked. */
static int
lock_dir(int fd, const char *dir, int op, struct cfir_err *err)
{
	const char *env = getenv("CFIR_LOCK_TIMEOUT");
	unsigned long timeout = 60, waited = 0;

	if (env != NULL && cfir_util_parse_ulong(env, 86400, &timeout) < 0)
		return cfir_err_set(err, EX_USAGE, 0, "CFIR_LOCK_TIMEOUT '%s' is not a number of seconds", env);
	while (flock(fd, op | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return cfir_err_set(err, EX_IOERR, errno, "lock bag '%s'", dir);
		if (cfir_interrupt_pending())
			return cfir_err_interrupted(err);
		if (waited == 0)
			cfir_err_warn("bag '%s' is in use by another cfir; waiting up to %lus",
				  dir, timeout);
		if (waited >= timeout * 10)
			return cfir_err_set(err, EX_TEMPFAIL, 0,
					    "bag '%s' is still locked by another cfir after %lus",
					    dir, timeout);
		usleep(100000);
		waited++;
	}
	return 0;
}

static int
lock_bag(struct cfir_bag *b, struct cfir_err *err)
{
	return lock_dir(b->dirfd, b->dir, LOCK_EX, err);
}

int
cfir_bag_open_sealed(const char *dir, int *dirfd, struct cfir_err *err)
{
	cleanup_free char *info = NULL;
	cleanup_close int fd = -1;

	*dirfd = -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return cfir_err_set(err, cfir_err_sys_exit(errno), errno, "open bag '%s'", dir);
	if (cfir_util_read_file(fd, "bag-info.txt", 1 << 20, &info, NULL, NULL, err) < 0)
		return err->sys == ENOENT ? (cfir_err_clear(err), 0) : cfir_err_wrap(err, "bag '%s'", dir);
	if (strncmp(info, "Cfir-Sealed: ", 13) != 0 && strstr(info, "\nCfir-Sealed: ") == NULL)
		return 0;
	/* a seal still in progress holds the lock for writing: wait for it */
	if (lock_dir(fd, dir, LOCK_SH, err) < 0)
		return -1;
	*dirfd = cfir_steal_fd(&fd);
	return 1;
}

static bool
dir_is_empty(int fd)
{
	int dfd = dup(fd);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *de;
	bool empty = true;

	if (d == NULL) {
		if (dfd >= 0)
			close(dfd);
		return false;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			empty = false;
	closedir(d);
	return empty;
}

/* case-42/web-1: the case directory comes into being with the first bag */
static int
mkdir_parents(const char *dir)
{
	cleanup_free char *p = strdup(dir);
	char *s;

	if (p == NULL)
		return -1;
	for (s = p + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return 0;
}

static int
check_meta_value(const char *what, const char *v, struct cfir_err *err)
{
	const char *p;

	for (p = v; p && *p; p++)
		if ((unsigned char)*p < 0x20)
			return cfir_err_set(err, EX_USAGE, 0, "%s holds a control character", what);
	return 0;
}

/*
 * A disk that fills during a command must still leave an honest bag: the
 * reserve is given back before the custody record and the tag files are
 * written, and taken again after. It holds 1 MiB and room for a new copy
 * of the manifest, the largest tag file a record rewrites. It never
 * outlives the command; a command that cannot take it does not start.
 */
static int
reserve_take(struct cfir_bag *b)
{
	int fd = openat(b->dirfd, RESERVE, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	off_t bytes = RESERVE_BYTES;
	struct stat st;
	int r;

	if (fd < 0)
		return errno;
	if (fstatat(b->dirfd, "manifest-sha256.txt", &st, AT_SYMLINK_NOFOLLOW) == 0)
		bytes += st.st_size;
	r = posix_fallocate(fd, 0, bytes);
	if (r != 0)
		unlinkat(b->dirfd, RESERVE, 0);
	close(fd);
	return r;
}

static void
reserve_give(struct cfir_bag *b)
{
	unlinkat(b->dirfd, RESERVE, 0);
}

static void
bag_free(struct cfir_bag *b)
{
	size_t i;

	if (b == NULL)
		return;
	if (b->dirfd >= 0) {
		reserve_give(b);
		close(b->dirfd);
	}
	for (i = 0; i < b->nm; i++)
		free(b->m[i].path);
	for (i = 0; i < b->ncontainers; i++)
		free(b->containers[i]);
	free(b->containers);
	free(b->m);
	free(b->dir);
	free(b->case_id);
	free(b->examiner);
	free(b->notices);
	act_clear(&b->cur);
	pthread_mutex_destroy(&b->mu);
	free(b);
}

static int
bag_init(struct cfir_bag *b, bool fresh, struct recovery *rv, struct cfir_err *err)
{
	struct stat st;
	char today[16];
	time_t t = time(NULL);
	struct tm tm;
	int fd;

	gmtime_r(&t, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	if (fresh) {
		snprintf(b->date, sizeof(b->date), "%s", today);
		if (mkdirat(b->dirfd, "data", 0700) < 0 && errno != EEXIST)
			return cfir_err_set(err, EX_IOERR, errno, "bag '%s': mkdir data", b->dir);
		if (mkdirat(b->dirfd, "custody", 0700) < 0 && errno != EEXIST)
			return cfir_err_set(err, EX_IOERR, errno, "bag '%s': mkdir custody", b->dir);
		fd = openat(b->dirfd, "custody/log.jsonl",
			    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return cfir_err_set(err, EX_IOERR, errno, "bag '%s': create custody log", b->dir);
		close(fd);
		/* bagit.txt last: its presence says the bag is whole */
		return write_atomic(b, "bagit.txt", CFIR_BAGIT_TXT, strlen(CFIR_BAGIT_TXT), err);
	}
	if (fstatat(b->dirfd, "bagit.txt", &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
		return cfir_err_set(err, EX_DATAERR, 0,
				    "'%s' exists and is not an evidence bag (no bagit.txt)", b->dir);
	if (info_load(b, err) < 0 || manifest_load(b, err) < 0 || custody_load(b, rv, err) < 0)
		return -1;
	rv->tags_stale = tags_stale(b, rv->log_hex);
	if (b->date[0] == '\0')
		snprintf(b->date, sizeof(b->date), "%s", today);
	return 0;
}

int
cfir_bag_open(struct cfir_bag **bp, const char *dir,
	      const struct cfir_bag_meta *meta, struct cfir_err *err)
{
	struct cfir_bag *b;
	cleanup_close int exefd = -1;
	struct recovery rv = { 0 };
	bool fresh = false;
	int e;

	*bp = NULL;
	if (meta != NULL && (check_meta_value("--case", meta->case_id, err) < 0 ||
			     check_meta_value("--examiner", meta->examiner, err) < 0))
		return -1;
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "bag");
	b->dirfd = -1;
	b->meta = meta;
	pthread_mutex_init(&b->mu, NULL);
	memcpy(b->head, ZERO_HASH, CFIR_SHA256_HEX);
	b->dir = strdup(dir);
	if (mkdir_parents(dir) < 0 || (mkdir(dir, 0700) < 0 && errno != EEXIST)) {
		cfir_err_set(err, cfir_err_sys_exit(errno), errno, "create bag '%s'", dir);
		goto fail;
	}
	b->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (b->dirfd < 0) {
		cfir_err_set(err, cfir_err_sys_exit(errno), errno, "open bag '%s'", dir);
		goto fail;
	}
	if (lock_bag(b, err) < 0)
		goto fail;
	/* decided under the lock: another cfir may have made the bag meanwhile */
	fresh = dir_is_empty(b->dirfd);
	if (fresh)
		fchmod(b->dirfd, 0700);
	if (bag_init(b, fresh, &rv, err) < 0)
		goto fail;
	if (meta != NULL && meta->case_id != NULL) {
		if (b->case_id != NULL && strcmp(b->case_id, meta->case_id) != 0) {
			cfir_err_set(err, EX_USAGE, 0, "bag '%s' belongs to case '%s', not '%s'",
				     dir, b->case_id, meta->case_id);
			goto fail;
		}
		free(b->case_id);
		b->case_id = strdup(meta->case_id);
	}
	if (meta != NULL && meta->examiner != NULL) {
		free(b->examiner);
		b->examiner = strdup(meta->examiner);
	}
	exefd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (exefd < 0 || cfir_sha256_fd(exefd, b->binsha, NULL, NULL) < 0)
		snprintf(b->binsha, sizeof(b->binsha), "unknown");
	if (fresh && tags_update(b, err) < 0)
		goto fail;
	if ((e = reserve_take(b)) != 0) {
		cfir_err_set(err, EX_IOERR, e, "bag '%s': no room for the reserve that keeps the bag "
			     "whole when the disk fills", dir);
		goto fail;
	}
	/* what an earlier cfir left unrecorded, recorded before anything new */
	if (!fresh && recover(b, &rv, err) < 0)
		goto fail;
	*bp = b;
	return 0;
fail:
	bag_free(b);
	return -1;
}

/* The seal's tag files and signature, under b->mu with the signals held off. */
static int
seal_write(struct cfir_bag *b, const struct cfir_ms_sec *sk, const char *tc, struct cfir_err *err)
{
	cleanup_free char *tm = NULL, *sig = NULL;
	unsigned char h[64];
	size_t len = 0;

	if (tags_update(b, err) < 0)
		return -1;
	if (sk == NULL)
		return 0;
	/* minisign -Vm tagmanifest-sha256.txt checks this file */
	if (cfir_util_read_file(b->dirfd, "tagmanifest-sha256.txt", CFIR_BAG_TAGFILE_MAX, &tm, &len, NULL, err) < 0)
		return cfir_err_wrap(err, "bag '%s'", b->dir);
	cfir_blake2b(h, 64, tm, len);
	if (cfir_ms_sign(sk, h, tc, &sig, err) < 0 ||
	    write_atomic(b, "tagmanifest-sha256.txt.minisig", sig, strlen(sig), err) < 0)
		return -1;
	return 0;
}

int
cfir_bag_seal(struct cfir_bag *b, const struct cfir_ms_sec *sk, char **trusted, struct cfir_err *err)
{
	cleanup_free char *tc = NULL;
	sigset_t sigs;
	int r;

	*trusted = NULL;
	if (b->cur.action != NULL)
		return cfir_err_set(err, EX_SOFTWARE, 0, "seal inside an action");
	cfir_util_now_rfc3339(b->sealed);
	if (asprintf(&tc, "cfir sealed %s custody-head %s records %llu", b->sealed, b->head,
		     (unsigned long long)b->seq) < 0)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "seal");
	/* a second ^C waits until the bag is sealed and signed, or as it was */
	pthread_mutex_lock(&b->mu);
	cfir_interrupt_hold(&sigs);
	reserve_give(b);
	r = seal_write(b, sk, tc, err);
	(void)reserve_take(b);
	cfir_interrupt_release(&sigs);
	pthread_mutex_unlock(&b->mu);
	if (r < 0)
		return -1;
	*trusted = steal_pointer(&tc);
	return 0;
}

int
cfir_bag_close(struct cfir_bag *b, struct cfir_err *err)
{
	int r = 0;

	if (b == NULL)
		return 0;
	if (b->cur.action != NULL)
		r = cfir_bag_end(b, "failed", "the command ended before the action did", NULL, err);
	bag_free(b);
	return r;
}

/* ---- actions and writers -------------------------------------------------- */

static char *
container_line(const struct cfir_target *t)
{
	cleanup_free char *name = cfir_manifest_encode(t->name);
	char *line = NULL;

	if (name == NULL || asprintf(&line, "%s %s", t->id, name) < 0)
		return NULL;
	return line;
}

static int
act_begin(struct cfir_bag *b, struct act *a, const char *action, const struct cfir_target *t,
	  struct cfir_err *err)
{
	char **nc;
	size_t i;

	a->action = strdup(action);
	a->artifacts = cJSON_CreateArray();
	cfir_util_now_rfc3339(a->started);
	if (t != NULL) {
		cleanup_free char *line = container_line(t);

		a->target = strdup(t->id);
		a->target_id12 = strdup(t->id12);
		a->target_name = strdup(t->name);
		pthread_mutex_lock(&b->mu);
		for (i = 0; line != NULL && i < b->ncontainers; i++)
			if (strncmp(b->containers[i], t->id, 64) == 0)
				break;
		if (line != NULL && i == b->ncontainers) {
			nc = realloc(b->containers, (b->ncontainers + 1) * sizeof(*nc));
			if (nc != NULL) {
				b->containers = nc;
				b->containers[b->ncontainers++] = steal_pointer(&line);
			}
		}
		pthread_mutex_unlock(&b->mu);
	}
	if (a->action == NULL || a->artifacts == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "bag");
	return 0;
}

int
cfir_bag_begin(struct cfir_bag *b, const char *action, const struct cfir_target *t,
	       struct cfir_err *err)
{
	if (b->cur.action != NULL)
		return cfir_err_set(err, EX_SOFTWARE, 0, "action '%s' still open", b->cur.action);
	return act_begin(b, &b->cur, action, t, err);
}

struct cfir_bag_side {
	struct act a;
};

int
cfir_bag_side_begin(struct cfir_bag *b, const char *action, const struct cfir_target *t,
		    struct cfir_bag_side **sp, struct cfir_err *err)
{
	struct cfir_bag_side *s = calloc(1, sizeof(*s));

	*sp = NULL;
	if (s == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "bag");
	if (act_begin(b, &s->a, action, t, err) < 0) {
		act_clear(&s->a);
		free(s);
		return -1;
	}
	*sp = s;
	return 0;
}

int
cfir_bag_side_end(struct cfir_bag *b, struct cfir_bag_side *s, const char *status, const char *error,
		  cJSON *details, struct cfir_err *err)
{
	int r;

	pthread_mutex_lock(&b->mu);
	r = record_write(b, &s->a, status, error, details, err);
	pthread_mutex_unlock(&b->mu);
	act_clear(&s->a);
	free(s);
	return r;
}

static void
act_clear(struct act *a)
{
	free(a->action);
	free(a->target);
	free(a->target_id12);
	free(a->target_name);
	cJSON_Delete(a->artifacts);
	a->action = a->target = a->target_id12 = a->target_name = NULL;
	a->artifacts = NULL;
}

/* The log back to SIZE bytes, on disk: what a failed append leaves is gone. */
static int
log_cut(int fd, off_t size)
{
	if (ftruncate(fd, size) < 0 || fsync(fd) < 0)
		return -1;
	return 0;
}

/*
 * LINE (LEN bytes with its newline) at the end of the custody log, whole or
 * not at all: after a short write (disk full, EIO) the log is cut back to
 * the size it had, so the next record follows a whole line and the chain
 * holds.
 */
static int
log_append(struct cfir_bag *b, const char *line, size_t len, struct cfir_err *err)
{
	cleanup_close int fd = -1;
	struct stat st;
	int e;

	fd = openat(b->dirfd, "custody/log.jsonl", O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return cfir_err_set(err, EX_IOERR, errno, "bag '%s': open custody log", b->dir);
	if ((uint64_t)st.st_size + len > CFIR_BAG_TAGFILE_MAX)
		return cfir_err_set(err, EX_IOERR, EFBIG,
				    "bag '%s': the custody log would grow past %u MiB: start a new bag",
				    b->dir, CFIR_BAG_TAGFILE_MAX >> 20);
	if (cfir_util_write_all(fd, line, len) == 0 && fsync(fd) == 0 && close(cfir_steal_fd(&fd)) == 0)
		return 0;
	e = errno;
	if (fd < 0)
		fd = openat(b->dirfd, "custody/log.jsonl", O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || log_cut(fd, st.st_size) < 0)
		return cfir_err_set(err, EX_IOERR, e,
				    "bag '%s': append custody record, and the partial record could not be "
				    "cut off (the next cfir command on the bag cuts it off)", b->dir);
	return cfir_err_set(err, EX_IOERR, e, "bag '%s': append custody record", b->dir);
}

/* DETAILS replaced by a short note on why they are not in the record. */
static void
details_drop(cJSON *rec, size_t bytes, const char *why)
{
	cJSON *note = cJSON_CreateObject();
	char msg[700];

	snprintf(msg, sizeof(msg), "the details (%zu bytes) are not in this record: %s", bytes, why);
	cfir_json_add_str(note, "dropped", msg);
	cJSON_ReplaceItemInObjectCaseSensitive(rec, "details", note);
}

/* The payload files of a record that could not be written leave the manifest again. */
static void
manifest_forget(struct cfir_bag *b, const cJSON *artifacts)
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

/*
 * The custody record of A, appended and chained; the tag files follow. Under
 * b->mu. A record is at most RECORD_MAX bytes: larger details (container
 * data can make them so) are replaced by a note. When the record does not
 * fit on the disk, it is written once more without its details, and the
 * error says so; when even that fails the log is as it was, and the
 * action's files stay out of the manifest for the next cfir to recover.
 */
static int
record_write(struct cfir_bag *b, struct act *a, const char *status, const char *error,
	     cJSON *details, struct cfir_err *err)
{
	cleanup_cjson cJSON *rec = cJSON_CreateObject();
	cleanup_free char *line = NULL, *action = NULL;
	struct cfir_err aerr = { 0 };
	char now[CFIR_TIME_LEN];
	struct utsname u;
	size_t len, dlen = 0;
	bool dropped = false;
	sigset_t sigs;
	int r;

	uname(&u);
	cfir_util_now_rfc3339(now);
	action = a->action ? strdup(a->action) : NULL;
	cfir_json_add_num(rec, "seq", (double)(b->seq + 1));
	cfir_json_add_str(rec, "time", now);
	cfir_json_add_str(rec, "action", a->action);
	cfir_json_add_str(rec, "target", a->target);
	if (a->target_name != NULL)
		cfir_json_add_bytes(rec, "target_name", a->target_name, strlen(a->target_name));
	cJSON_AddItemToObject(rec, "argv", argv_json(b->meta));
	cfir_json_add_str(rec, "user", user_name());
	cfir_json_add_str(rec, "host", u.nodename);
	cfir_json_add_str(rec, "tool", "cfir " CFIR_VERSION);
	cfir_json_add_str(rec, "tool_sha256", b->binsha);
	cfir_json_add_str(rec, "started", a->started);
	cJSON_AddItemToObject(rec, "artifacts", steal_pointer(&a->artifacts));
	cfir_json_add_str(rec, "status", status);
	cfir_json_add_str(rec, "error", error);
	if (details != NULL)
		cJSON_AddItemToObject(rec, "details", details);
	cfir_json_add_str(rec, "prev", b->head);
	act_clear(a);

	line = cfir_json_print(rec, &len);
	if (line != NULL && len + 1 > RECORD_MAX && details != NULL) {
		free(steal_pointer(&line));
		line = cfir_json_print(details, &dlen);
		free(steal_pointer(&line));
		details_drop(rec, dlen, "larger than a custody record may be (16 MiB)");
		dropped = true;
		notice(b, "bag '%s': the details of the '%s' record are too large (%zu bytes): left out",
		       b->dir, action ? action : "?", dlen);
		line = cfir_json_print(rec, &len);
	}
	if (line == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "custody record");
	/*
	 * From the append to the last tag file, a second ^C waits: the process
	 * then ends with a log and tag files that agree (a kill -9 here is
	 * what cfir_bag_open recovers from).
	 */
	cfir_interrupt_hold(&sigs);
	reserve_give(b);
	line[len] = '\n';	/* the serialiser left room for the NUL */
	r = log_append(b, line, len + 1, err);
	if (r < 0 && details != NULL && !dropped) {
		/* no room for it: the record without its details still says what happened */
		aerr = *err;
		free(steal_pointer(&line));
		line = cfir_json_print(details, &dlen);
		free(steal_pointer(&line));
		details_drop(rec, dlen, aerr.msg);
		dropped = true;
		line = cfir_json_print(rec, &len);
		if (line == NULL) {
			r = cfir_err_set(err, EX_OSERR, ENOMEM, "custody record");
		} else {
			line[len] = '\n';
			r = log_append(b, line, len + 1, err);
		}
	}
	if (r < 0) {
		manifest_forget(b, cJSON_GetObjectItemCaseSensitive(rec, "artifacts"));
		(void)reserve_take(b);
		r = cfir_err_wrap(err, "the custody record of '%s' was not written", action ? action : "?");
		goto out;
	}
	cfir_sha256_hex(line, len, b->head);
	b->seq++;
	r = tags_update(b, err);
	if (r < 0)
		goto out;
	(void)reserve_take(b);	/* a full disk: the next record goes without */
	if (aerr.exit != 0) {
		*err = aerr;
		r = cfir_err_wrap(err, "the custody record of '%s' was written without its details",
				  action ? action : "?");
	}
out:
	cfir_interrupt_release(&sigs);
	return r;
}

/* ---- recovery: what a cfir that was killed left ---------------------------- */

/*
 * Whether the tag manifest lists bag-info.txt, the manifest and the custody
 * log as they are: a cfir ended between them and the tag manifest when not.
 */
static bool
tags_stale(struct cfir_bag *b, const char *log_hex)
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
			else if (hash_at(b->dirfd, path, now, NULL) < 0)
				return true;
			if (strcmp(now, hex) != 0)
				return true;
			found++;
		}
	}
	return found != sizeof(names) / sizeof(names[0]);
}

struct rwalk {
	struct cfir_bag *b;
	char **listed;		/* the manifest's paths at open, sorted */
	size_t nlisted;
	cJSON *artifacts, *leftovers;
	size_t files;
};

static int
cmp_strp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static int
hash_entry(const struct cfir_bag_entry *e, char *hex, uint64_t *bytes, struct cfir_err *err)
{
	cleanup_close int fd = openat(e->dirfd, e->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return cfir_err_set(err, cfir_err_sys_exit(errno), errno, "open '%s'", e->path);
	if (!S_ISREG(st.st_mode))
		return cfir_err_set(err, EX_DATAERR, 0, "'%s' is not a regular file", e->path);
	if (cfir_sha256_fd(fd, hex, bytes, err) < 0)
		return cfir_err_wrap(err, "'%s'", e->path);
	return 0;
}

/* A payload file no manifest lists becomes an artifact; a leftover is noted. */
static int
recover_entry(void *ctx, const struct cfir_bag_entry *e, struct cfir_err *err)
{
	struct rwalk *w = ctx;
	char hex[CFIR_SHA256_HEX];
	uint64_t bytes = 0;
	cJSON *a;

	if (e->kind != CFIR_BAG_PAYLOAD && e->kind != CFIR_BAG_LEFTOVER)
		return 0;
	if (e->kind == CFIR_BAG_PAYLOAD && w->nlisted > 0 &&
	    bsearch(&e->path, w->listed, w->nlisted, sizeof(*w->listed), cmp_strp) != NULL)
		return 0;
	if (hash_entry(e, hex, &bytes, err) < 0)
		return -1;
	a = cJSON_CreateObject();
	cfir_json_add_bytes(a, "path", e->path, strlen(e->path));
	cfir_json_add_str(a, "sha256", hex);
	cfir_json_add_num(a, "bytes", (double)bytes);
	if (e->kind == CFIR_BAG_LEFTOVER) {
		cJSON_AddItemToArray(w->leftovers, a);
		return 0;
	}
	cJSON_AddBoolToObject(a, "partial", true);
	cJSON_AddItemToArray(w->artifacts, a);
	w->files++;
	return manifest_add(w->b, e->path, hex, bytes) < 0 ? cfir_err_set(err, EX_OSERR, ENOMEM, "bag") : 0;
}

/*
 * An earlier cfir that was killed (kill -9, a crash, the power) leaves
 * payload files no manifest lists, a custody line without its newline,
 * tag files behind the log, or half-written .cfir-tmp-* replacements.
 * Each is recorded in one custody record, action "recover", before the new
 * action: the files hashed as they are and marked partial, the cut line's
 * hash and size, the leftovers' hashes (then removed: they are half-written
 * copies of tag files cfir writes anew). Then the bag verifies again.
 */
static int
recover(struct cfir_bag *b, const struct recovery *rv, struct cfir_err *err)
{
	struct rwalk w = { .b = b };
	struct act a = { 0 };
	cleanup_cjson cJSON *leftovers = cJSON_CreateArray();
	cJSON *details = NULL, *l;
	char msg[480] = "", part[160];
	size_t i, n;
	int r = -1;

	w.leftovers = leftovers;
	w.listed = malloc((b->nm ? b->nm : 1) * sizeof(*w.listed));
	if (w.listed == NULL || leftovers == NULL || act_begin(b, &a, "recover", NULL, err) < 0) {
		if (err->exit == 0)
			cfir_err_set(err, EX_OSERR, ENOMEM, "bag");
		goto out;
	}
	for (i = 0, n = b->nm; i < n; i++)
		w.listed[i] = b->m[i].path;
	if (n > 1)
		qsort(w.listed, n, sizeof(*w.listed), cmp_strp);
	w.nlisted = n;
	w.artifacts = a.artifacts;
	if (cfir_bag_walk(b->dirfd, 0, recover_entry, &w, err) < 0) {
		cfir_err_wrap(err, "bag '%s': recover what an earlier cfir left", b->dir);
		goto out;
	}
	if (w.files == 0 && rv->cut_bytes == 0 && rv->behind == 0 && !rv->tags_stale &&
	    cJSON_GetArraySize(leftovers) == 0 && b->info_found) {
		r = 0;
		goto out;
	}
	details = cJSON_CreateObject();
	if (w.files > 0)
		snprintf(msg, sizeof(msg), "an earlier cfir ended before it recorded %zu file%s: hashed now, "
			 "as they are", w.files, w.files == 1 ? "" : "s");
	else
		snprintf(msg, sizeof(msg), "an earlier cfir ended before it finished");
	if (rv->cut_bytes > 0) {
		l = cJSON_AddObjectToObject(details, "cut_record");
		cfir_json_add_num(l, "bytes", (double)rv->cut_bytes);
		cfir_json_add_str(l, "sha256", rv->cut_hex);
		snprintf(part, sizeof(part), "; a custody record it was writing was cut off (%zu bytes)",
			 rv->cut_bytes);
		strncat(msg, part, sizeof(msg) - strlen(msg) - 1);
	}
	if (!b->info_found) {
		cJSON_AddBoolToObject(details, "tag_files_missing", true);
		strncat(msg, "; the tag files were never written", sizeof(msg) - strlen(msg) - 1);
	} else if (rv->behind > 0) {
		cfir_json_add_num(details, "tag_files_behind", (double)rv->behind);
		snprintf(part, sizeof(part), "; the tag files were %llu record%s behind the custody log",
			 (unsigned long long)rv->behind, rv->behind == 1 ? "" : "s");
		strncat(msg, part, sizeof(msg) - strlen(msg) - 1);
	} else if (rv->tags_stale) {
		cJSON_AddBoolToObject(details, "tag_manifest_stale", true);
		strncat(msg, "; the tag manifest was not up to date", sizeof(msg) - strlen(msg) - 1);
	}
	if (cJSON_GetArraySize(leftovers) > 0) {
		snprintf(part, sizeof(part), "; %d unfinished tag file%s removed", cJSON_GetArraySize(leftovers),
			 cJSON_GetArraySize(leftovers) == 1 ? "" : "s");
		strncat(msg, part, sizeof(msg) - strlen(msg) - 1);
		cJSON_AddItemToObject(details, "leftovers", cJSON_Duplicate(leftovers, true));
	}
	pthread_mutex_lock(&b->mu);
	r = record_write(b, &a, "partial", msg, steal_pointer(&details), err);
	pthread_mutex_unlock(&b->mu);
	if (r < 0) {
		cfir_err_wrap(err, "bag '%s': recover what an earlier cfir left", b->dir);
		goto out;
	}
	cJSON_ArrayForEach(l, leftovers) {
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(l, "path");

		if (cJSON_IsString(p) && unlinkat(b->dirfd, p->valuestring, 0) < 0 && errno != ENOENT)
			notice(b, "bag '%s': remove '%s': %s", b->dir, p->valuestring, strerror(errno));
	}
	notice(b, "bag '%s': %s (custody record %llu)", b->dir, msg, (unsigned long long)b->seq);
out:
	cJSON_Delete(details);
	act_clear(&a);
	free(w.listed);
	return r;
}

int
cfir_bag_end(struct cfir_bag *b, const char *status, const char *error,
	     cJSON *details, struct cfir_err *err)
{
	int r;

	if (b->cur.action == NULL) {
		cJSON_Delete(details);
		return cfir_err_set(err, EX_SOFTWARE, 0, "no action in progress");
	}
	pthread_mutex_lock(&b->mu);
	r = record_write(b, &b->cur, status, error, details, err);
	pthread_mutex_unlock(&b->mu);
	return r;
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
	cfir_json_add_bytes(a, "path", w->path, strlen(w->path));
	cfir_json_add_str(a, "sha256", hex);
	cfir_json_add_num(a, "bytes", (double)w->bytes);
	if (partial)
		cJSON_AddBoolToObject(a, "partial", true);
	pthread_mutex_lock(&b->mu);
	cJSON_AddItemToArray(w->owner->artifacts, a);
	manifest_add(b, w->path, hex, w->bytes);
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
