/* bag-custody.c - the hash-chained custody log: read, checked, and appended one whole record at a time */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/bag.h"
#include "common/bag-internal.h"
#include "common/cleanup.h"
#include "common/out.h"
#include "common/util.h"

int
cfir_custody_each(const char *text, size_t len, cfir_custody_record_fn fn, void *ctx)
{
	const char *p = text, *end = text + len, *nl;
	size_t n = 0;
	int r;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		cleanup_cjson cJSON *rec = cJSON_ParseWithLength(p, (size_t)(nl - p));
		struct cfir_custody_record cr = { ++n, rec, p, (size_t)(nl - p) };

		r = fn(ctx, &cr);
		if (r != 0)
			return r;
		p = nl + 1;
	}
	return 0;
}

int
cfir_bag_custody_each(struct cfir_bag *b, cfir_custody_record_fn fn, void *ctx, struct cfir_err *err)
{
	cleanup_free char *text = NULL;
	size_t len = 0;
	int r;

	pthread_mutex_lock(&b->mu);
	r = cfir_util_read_file(b->dirfd, "custody/log.jsonl", CFIR_BAG_TAGFILE_MAX, &text, &len, NULL, err);
	pthread_mutex_unlock(&b->mu);
	if (r < 0)
		return cfir_err_wrap(err, "bag '%s'", b->dir);
	return cfir_custody_each(text, len, fn, ctx);
}

struct chain {
	char prev[CFIR_SHA256_HEX];	/* the hash of the record before */
	const char *end;		/* of the last whole line checked */
	size_t n;			/* records checked */
	char *why;
	size_t whylen;
};

/* One record of the chain: an object, its seq the next, its prev the record before's hash. */
static int
chain_record(void *ctx, const struct cfir_custody_record *r)
{
	struct chain *c = ctx;
	const cJSON *rec = r->rec, *seq, *pv;
	size_t n = r->seq;

	if (!cJSON_IsObject(rec)) {
		snprintf(c->why, c->whylen, "record %zu: not a JSON object", n);
		return -1;
	}
	seq = cJSON_GetObjectItemCaseSensitive(rec, "seq");
	if (!cJSON_IsNumber(seq) || seq->valuedouble != (double)n) {
		snprintf(c->why, c->whylen, "record %zu: seq is not %zu (removed, inserted or reordered)", n, n);
		return -1;
	}
	pv = cJSON_GetObjectItemCaseSensitive(rec, "prev");
	if (!cJSON_IsString(pv) || strcmp(pv->valuestring, c->prev) != 0) {
		snprintf(c->why, c->whylen, "record %zu: prev does not match the hash of record %zu", n, n - 1);
		return -1;
	}
	cfir_sha256_hex(r->line, r->len, c->prev);
	c->end = r->line + r->len + 1;
	c->n = n;
	return 0;
}

int
cfir_custody_check(const char *text, size_t len, char *head, size_t *count,
		   char *why, size_t whylen)
{
	struct chain c = { CFIR_BAG_ZERO_HASH, text, 0, why, whylen };

	*count = 0;
	if (cfir_custody_each(text, len, chain_record, &c) != 0)
		return -1;
	if (c.end < text + len) {
		snprintf(why, whylen, "record %zu: no newline at the end of the log", c.n + 1);
		return -1;
	}
	memcpy(head, c.prev, CFIR_SHA256_HEX);
	*count = c.n;
	return 0;
}

int
cfir_custody_head_at(const char *text, size_t len, size_t n, char *head)
{
	const char *p = text, *end = text + len, *nl;
	size_t i;

	memcpy(head, CFIR_BAG_ZERO_HASH, CFIR_SHA256_HEX);
	for (i = 0; i < n; i++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			return -1;
		cfir_sha256_hex(p, (size_t)(nl - p), head);
		p = nl + 1;
	}
	return 0;
}

struct artifacts {
	cfir_custody_artifact_fn fn;
	void *ctx;
	int r;
};

static int
artifacts_of(void *ctx, const struct cfir_custody_record *r)
{
	struct artifacts *x = ctx;
	const cJSON *a;

	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(r->rec, "artifacts")) {
		const cJSON *path = cJSON_GetObjectItemCaseSensitive(a, "path");
		const cJSON *sha = cJSON_GetObjectItemCaseSensitive(a, "sha256");

		if (cJSON_IsString(path) && cJSON_IsString(sha))
			x->r |= x->fn(x->ctx, r->seq, path->valuestring, sha->valuestring);
	}
	return 0;
}

int
cfir_custody_artifacts(const char *text, size_t len, cfir_custody_artifact_fn fn,
		       void *ctx)
{
	struct artifacts x = { fn, ctx, 0 };

	cfir_custody_each(text, len, artifacts_of, &x);
	return x.r;
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
 * The custody log: a chain, and bag-info.txt's custody head one of the
 * heads it passed (equal, or behind when a cfir ended between the log and
 * the tag files). A last line without its newline (a cfir ended while it
 * appended) is cut off, and said so in the recovery.
 */
int
cfir_bag_custody_load(struct cfir_bag *b, struct recovery *rv, struct cfir_err *err)
{
	cleanup_free char *text = NULL;
	cleanup_close int fd = -1;
	char why[160], head[CFIR_SHA256_HEX];
	size_t len = 0, count = 0;
	const char *nl;
	bool more = false;

	memcpy(b->head, CFIR_BAG_ZERO_HASH, CFIR_SHA256_HEX);
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

/*
 * The details of REC replaced by a short note on why they are not in it:
 * REC's line anew (malloc'd, room left for a newline), the size the
 * details had in *DLEN.
 */
static char *
details_drop(cJSON *rec, const char *why, size_t *len, size_t *dlen)
{
	cJSON *note = cJSON_CreateObject();
	char msg[700];

	*dlen = 0;
	free(cfir_json_print(cJSON_GetObjectItemCaseSensitive(rec, "details"), dlen));
	snprintf(msg, sizeof(msg), "the details (%zu bytes) are not in this record: %s", *dlen, why);
	cfir_json_add_str(note, "dropped", msg);
	cJSON_ReplaceItemInObjectCaseSensitive(rec, "details", note);
	return cfir_json_print(rec, len);
}

/* The custody record of A, as it will be chained; DETAILS taken over; A is cleared. */
static cJSON *
record_new(struct cfir_bag *b, struct act *a, const char *status, const char *error, cJSON *details)
{
	cJSON *rec = cJSON_CreateObject();
	char now[CFIR_TIME_LEN];
	struct utsname u;

	uname(&u);
	cfir_util_now_rfc3339(now);
	cfir_json_add_num(rec, "seq", (double)(b->seq + 1));
	cfir_json_add_str(rec, "time", now);
	cfir_json_add_str(rec, "action", a->action);
	cfir_json_add_str(rec, "target", a->target);
	if (a->target_name != NULL)
		cfir_json_add_bytes(rec, "target_name", a->target_name, strlen(a->target_name));
	cJSON_AddItemToObject(rec, "argv", cfir_bag_argv_json(b->meta));
	cfir_json_add_str(rec, "user", cfir_bag_user_name());
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
	cfir_bag_act_clear(a);
	return rec;
}

/*
 * *LINE (REC printed, *LEN bytes) at the end of the log; when it does not
 * fit and its details may go (DROPPABLE), REC once more without them: then
 * *LINE and *LEN are the record written, and *AERR says why they went.
 */
static int
record_append(struct cfir_bag *b, cJSON *rec, char **line, size_t *len, bool droppable,
	      struct cfir_err *aerr, struct cfir_err *err)
{
	size_t dlen;

	(*line)[*len] = '\n';	/* the serialiser left room for the NUL */
	if (log_append(b, *line, *len + 1, err) == 0)
		return 0;
	if (!droppable)
		return -1;
	/* no room for it: the record without its details still says what happened */
	*aerr = *err;
	free(*line);
	*line = details_drop(rec, aerr->msg, len, &dlen);
	if (*line == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "custody record");
	(*line)[*len] = '\n';
	return log_append(b, *line, *len + 1, err);
}

/*
 * The custody record of A, appended and chained; the tag files follow. Under
 * b->mu. A record is at most CFIR_BAG_RECORD_MAX bytes: larger details
 * (container data can make them so) are replaced by a note. When the
 * record does not fit on the disk, it is written once more without its
 * details, and the error says so; when even that fails the log is as it
 * was, and the action's files stay out of the manifest for the next cfir
 * to recover.
 */
int
cfir_bag_record_write(struct cfir_bag *b, struct act *a, const char *status, const char *error,
		      cJSON *details, struct cfir_err *err)
{
	cleanup_free char *action = a->action ? strdup(a->action) : NULL, *line = NULL;
	cleanup_cjson cJSON *rec = record_new(b, a, status, error, details);
	struct cfir_err aerr = { 0 };
	size_t len, dlen;
	bool dropped = false;
	sigset_t sigs;
	int r;

	line = cfir_json_print(rec, &len);
	if (line != NULL && len + 1 > CFIR_BAG_RECORD_MAX && details != NULL) {
		free(steal_pointer(&line));
		line = details_drop(rec, "larger than a custody record may be (16 MiB)", &len, &dlen);
		dropped = true;
		cfir_bag_notice(b, "bag '%s': the details of the '%s' record are too large (%zu bytes): left out",
				b->dir, action ? action : "?", dlen);
	}
	if (line == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "custody record");
	/*
	 * From the append to the last tag file, a second ^C waits: the process
	 * then ends with a log and tag files that agree (a kill -9 here is
	 * what cfir_bag_open recovers from).
	 */
	cfir_interrupt_hold(&sigs);
	cfir_bag_reserve_give(b);
	r = record_append(b, rec, &line, &len, details != NULL && !dropped, &aerr, err);
	if (r < 0) {
		cfir_bag_manifest_forget(b, cJSON_GetObjectItemCaseSensitive(rec, "artifacts"));
		(void)cfir_bag_reserve_take(b);
		r = cfir_err_wrap(err, "the custody record of '%s' was not written", action ? action : "?");
		goto out;
	}
	cfir_sha256_hex(line, len, b->head);
	b->seq++;
	r = cfir_bag_tags_update(b, err);
	if (r < 0)
		goto out;
	(void)cfir_bag_reserve_take(b);	/* a full disk: the next record goes without */
	if (aerr.exit != 0) {
		*err = aerr;
		r = cfir_err_wrap(err, "the custody record of '%s' was written without its details",
				  action ? action : "?");
	}
out:
	cfir_interrupt_release(&sigs);
	return r;
}
