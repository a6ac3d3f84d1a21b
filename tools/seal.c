/* seal.c - a bag's final state, signed, and packed into one tar */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libgen.h>

#include "common/cleanup.h"
#include "common/hash.h"
#include "common/minisign.h"
#include "common/seckey.h"
#include "common/tarwrite.h"
#include "common/util.h"
#include "tools/tool.h"

/* ---- seal --archive: the sealed bag as one tar, hashed as it is written ---- */

struct packer {
	struct cfir_tarw *t;
	int fd;
	struct cfir_hash *h;
	const char *top;	/* the bag's name, every member's first component */
	struct cfir_err *err;
	unsigned char buf[1 << 16];
};

static int
pack_write(void *ctx, const void *buf, size_t len, struct cfir_err *err)
{
	struct packer *p = ctx;

	if (cfir_util_write_all(p->fd, buf, len) < 0)
		return cfir_err_set(err, EX_IOERR, errno, "archive: write");
	cfir_hash_update(p->h, buf, len);
	return 0;
}

/*
 * The SIZE bytes of FD, exactly: a read error, or a file that shrinks or
 * grows while it is packed, fails the archive; the tar would pad a short
 * member with zeros, a tar that lies.
 */
static int
pack_data(struct packer *p, int fd, const char *rel, uint64_t size)
{
	uint64_t done = 0;
	ssize_t n;
	char c;

	while (done < size) {
		if (cfir_interrupt_pending())
			return cfir_err_interrupted(p->err);
		n = read(fd, p->buf, size - done < sizeof(p->buf) ? (size_t)(size - done) : sizeof(p->buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cfir_err_set(p->err, EX_IOERR, errno, "read '%s'", rel);
		if (n == 0)
			return cfir_err_set(p->err, EX_IOERR, 0, "'%s' shrank while it was packed: %llu of %llu bytes",
					    rel, (unsigned long long)done, (unsigned long long)size);
		if (cfir_tarw_data(p->t, p->buf, (size_t)n, p->err) < 0)
			return -1;
		done += (uint64_t)n;
	}
	while ((n = read(fd, &c, 1)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 ? cfir_err_set(p->err, EX_IOERR, errno, "read '%s'", rel) :
			       cfir_err_set(p->err, EX_IOERR, 0, "'%s' grew while it was packed: past %llu bytes",
					    rel, (unsigned long long)size);
	}
	return 0;
}

/* One file of the bag, as <bag name>/REL. */
static int
pack_file(struct packer *p, int dirfd, const char *name, const char *rel)
{
	cleanup_free char *path = NULL;
	cleanup_close int fd = -1;
	struct stat st;

	/* O_NONBLOCK: a FIFO put there since the walk looked would hang the open */
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return cfir_err_set(p->err, cfir_err_sys_exit(errno), errno, "open '%s'", rel);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return cfir_err_set(p->err, EX_DATAERR, 0, "'%s' is not a regular file", rel);
	if (asprintf(&path, "%s/%s", p->top, rel) < 0)
		return cfir_err_set(p->err, EX_OSERR, ENOMEM, "archive");
	if (cfir_tarw_header(p->t, path, &st, NULL, p->err) < 0)
		return -1;
	return pack_data(p, fd, rel, (uint64_t)st.st_size);
}

/* Every file of the bag, by the walk's rules, depth first in name order: the same bag, the same tar. */
static int
pack_entry(void *ctx, const struct cfir_bag_entry *e, struct cfir_err *err)
{
	struct packer *p = ctx;

	if (cfir_interrupt_pending())
		return cfir_err_interrupted(err);
	switch (e->kind) {
	case CFIR_BAG_DIR:
	case CFIR_BAG_LEFTOVER:	/* never part of the bag */
		return 0;
	case CFIR_BAG_PAYLOAD:
	case CFIR_BAG_TAG:
	case CFIR_BAG_TAGMANIFEST:
		return pack_file(p, e->dirfd, e->name, e->path);
	case CFIR_BAG_SPECIAL:
		return cfir_err_set(err, EX_DATAERR, 0, "'%s' is not a regular file (cfir verify names it)",
				    e->path);
	case CFIR_BAG_UNREADABLE:
		return cfir_err_set(err, EX_IOERR, e->sys, "read '%s'", e->path);
	}
	return 0;
}

/* OUT.sha256, for sha256sum -c from the directory OUT is in. */
static int
write_sum(const char *out, const char *hex, struct cfir_err *err)
{
	cleanup_free char *sumpath = NULL, *line = NULL, *outcopy = strdup(out);
	int fd;

	if (outcopy == NULL || asprintf(&sumpath, "%s.sha256", out) < 0 ||
	    asprintf(&line, "%s  %s\n", hex, basename(outcopy)) < 0)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "archive");
	fd = open(sumpath, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || cfir_util_write_all(fd, line, strlen(line)) < 0 || fsync(fd) < 0) {
		cfir_err_set(err, EX_IOERR, errno, "'%s'", sumpath);
		if (fd >= 0) {
			close(fd);
			unlink(sumpath);
		}
		return -1;
	}
	close(fd);
	return 0;
}

/* The tar whole: every file, the end of the archive, on disk. */
static int
pack_all(struct packer *p, int dfd, const char *out, struct cfir_err *err)
{
	if (cfir_bag_walk(dfd, 0, pack_entry, p, err) < 0)
		return -1;
	if (cfir_tarw_close(steal_pointer(&p->t), err) < 0)
		return -1;
	if (fsync(p->fd) < 0)
		return cfir_err_set(err, EX_IOERR, errno, "fsync '%s'", out);
	return 0;
}

/*
 * The bag BAGDIR, open as DFD, into the tar OUT and its SHA-256 into
 * OUT.sha256; ^C stops it within a block, and then, as on any failure,
 * what was written of OUT is removed.
 */
static int
pack(int dfd, const char *bagdir, const char *out, char *hex, struct cfir_err *err)
{
	struct packer p = { .fd = -1, .err = err };
	cleanup_free char *copy = strdup(bagdir);
	int r = -1;

	if (copy == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "archive");
	p.top = basename(copy);
	p.fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	p.h = cfir_hash_new();
	if (dfd < 0 || p.fd < 0)
		cfir_err_set(err, p.fd < 0 && errno == EEXIST ? EX_CANTCREAT : EX_IOERR, errno, "'%s'",
			     p.fd < 0 ? out : bagdir);
	else if (p.h == NULL)
		cfir_err_set(err, EX_OSERR, ENOMEM, "archive");
	else if (cfir_tarw_open(&p.t, CFIR_TARW_BAG, "archive", pack_write, &p, err) == 0 &&
		 pack_all(&p, dfd, out, err) == 0) {
		cfir_hash_final_hex(p.h, hex);
		r = write_sum(out, hex, err);
	}
	/* a failed pack writes no more: closing would pad the cut member with zeros */
	cfir_tarw_discard(p.t);
	cfir_hash_free(p.h);
	if (p.fd >= 0)
		close(p.fd);
	/* never a tar that lies: what was written of it goes */
	if (r < 0 && p.fd >= 0) {
		if (unlink(out) == 0 || errno == ENOENT)
			cfir_err_wrap(err, "--archive '%s' removed, not packed whole", out);
		else
			cfir_err_wrap(err, "--archive '%s' is incomplete (and could not be removed: %s)", out,
				      strerror(errno));
	}
	return r;
}

/* After a pack that failed: the bag is sealed all the same, and how to pack it. */
static void
sealed_hint(struct cfir_err *err, const char *archive, const char *bag)
{
	size_t n = strlen(err->msg);

	snprintf(err->msg + n, sizeof(err->msg) - n,
		 "; the bag is sealed and whole: 'cfir seal --archive %s %s' packs it again", archive, bag);
}

/* The bag to seal and the archive to pack it into, checked before anything is done. */
static int
seal_args_ok(const char *dir, const char *archive, struct cfir_err *err)
{
	cleanup_free char *decl = NULL, *bagreal = NULL, *outdir = NULL, *outreal = NULL;

	/* sealing makes no bag: it ends one */
	if (asprintf(&decl, "%s/bagit.txt", dir) < 0 || access(decl, F_OK) < 0)
		return cfir_err_set(err, EX_NOINPUT, errno, "'%s' is not an evidence bag", dir);
	if (archive == NULL)
		return 0;
	/* not into the bag it packs, nor over a file that exists */
	bagreal = realpath(dir, NULL);
	outdir = strdup(archive);
	outreal = outdir ? realpath(dirname(outdir), NULL) : NULL;
	if (bagreal == NULL || outreal == NULL)
		return cfir_err_set(err, EX_CANTCREAT, errno, "--archive '%s'", archive);
	if (strncmp(outreal, bagreal, strlen(bagreal)) == 0 &&
	    (outreal[strlen(bagreal)] == '\0' || outreal[strlen(bagreal)] == '/'))
		return cfir_err_set(err, EX_USAGE, 0, "--archive '%s' is inside the bag it packs", archive);
	if (access(archive, F_OK) == 0)
		return cfir_err_set(err, EX_CANTCREAT, EEXIST, "--archive '%s'", archive);
	return 0;
}

static void
sealed_title(struct cfir_text *t, const cJSON *rec)
{
	cfir_text_printf(t, "%s %s%s", cJSON_IsTrue(cJSON_GetObjectItem(rec, "sealed_before")) ? "packed" : "sealed",
			 cfir_json_str(rec, "bag"),
			 cJSON_IsTrue(cJSON_GetObjectItem(rec, "sealed_before")) ? " (sealed before)" : "");
}

static void
archive_cell(struct cfir_text *t, const cJSON *rec)
{
	cfir_text_printf(t, "%s  %s", cfir_json_str(rec, "archive_sha256"), cfir_json_str(rec, "archive"));
}

static void
signature(struct cfir_text *t, const cJSON *rec)
{
	(void)rec;
	cfir_text_printf(t, "tagmanifest-sha256.txt.minisig");
}

static const struct cfir_field sealed_fields[] = {
	{ "trusted_comment", "trusted", CFIR_FMT_STR, 0, CFIR_FIELD_PRESENT, NULL },
	{ "signed", "signature", CFIR_FMT_STR, 0, CFIR_FIELD_PRESENT, signature },
	{ "archive", "archive", CFIR_FMT_STR, 0, CFIR_FIELD_PRESENT, archive_cell },
	{ 0 },
};

static const struct cfir_view sealed_view = { sealed_title, sealed_fields };

struct seal_opts {
	const char *key, *archive, *examiner;
	struct cfir_minisign_sec sk;
	int dfd;
	char hex[CFIR_SHA256_HEX];
};

/* Sealing makes no bag: it ends one. */
static int
seal_prepare(struct tool_step *s, void *opts, int argc, char **argv)
{
	struct seal_opts *o = opts;

	(void)argc;
	o->dfd = -1;
	if (o->examiner != NULL)
		s->g->meta.examiner = o->examiner;
	return seal_args_ok(argv[0], o->archive, &s->err);
}

/* the record: what was sealed, how, and the archive */
static int
sealed_output(struct tool_step *s, const struct seal_opts *o, const char *bag, const char *trusted,
	      bool before)
{
	cleanup_cjson cJSON *rec = cJSON_CreateObject();

	cfir_json_add_bytes(rec, "bag", bag, strlen(bag));
	cJSON_AddBoolToObject(rec, "sealed", true);
	if (before)
		cJSON_AddBoolToObject(rec, "sealed_before", true);
	else
		cJSON_AddBoolToObject(rec, "signed", o->key != NULL);
	if (!before)
		cfir_json_add_str(rec, "trusted_comment", trusted);
	if (o->archive != NULL) {
		cfir_json_add_bytes(rec, "archive", o->archive, strlen(o->archive));
		cfir_json_add_str(rec, "archive_sha256", o->hex);
	}
	return cfir_out_record(s->out, rec, &sealed_view);
}

/* The seal's custody record and the seal itself, signed with SK when given; the trusted comment in *TRUSTED. */
static int
seal_bag(struct cfir_bag *bag, const struct cfir_minisign_sec *sk, char **trusted, struct cfir_err *err)
{
	cJSON *details;

	if (cfir_bag_begin(bag, "seal", NULL, err) < 0)
		return -1;
	details = cJSON_CreateObject();
	cJSON_AddBoolToObject(details, "signed", sk != NULL);
	if (sk != NULL) {
		char id[17];

		cfir_minisign_keyid_hex(id, sk->keyid);
		cfir_json_add_str(details, "key_id", id);
	}
	if (cfir_bag_end(bag, "ok", NULL, details, err) < 0 || cfir_bag_seal(bag, sk, trusted, err) < 0)
		return -1;
	return 0;
}

/* the sealed bag is final: packed as it is, still under its lock */
static int
seal_and_pack(struct tool_step *s, struct seal_opts *o, const char *dir)
{
	cleanup_free char *trusted = NULL;

	if (seal_bag(s->bag, o->key != NULL ? &o->sk : NULL, &trusted, &s->err) < 0)
		return -1;
	if (o->archive != NULL) {
		o->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (o->dfd < 0)
			return cfir_err_set(&s->err, cfir_err_sys_exit(errno), errno, "bag '%s'", dir);
		if (pack(o->dfd, dir, o->archive, o->hex, &s->err) < 0) {
			sealed_hint(&s->err, o->archive, dir);
			return -1;
		}
	}
	sealed_output(s, o, dir, trusted, false);	/* standard output's errors: at the end */
	return 0;
}

static int
seal_run(struct tool_step *s, void *opts, int argc, char **argv)
{
	struct seal_opts *o = opts;
	const char *dir = argv[0];
	int sealed;

	(void)argc;
	/* a bag sealed already (a pack that failed or was stopped): pack it as it is */
	if (o->archive != NULL && o->key == NULL) {
		sealed = cfir_bag_open_sealed(dir, &s->g->meta, &o->dfd, &s->err);
		if (sealed < 0)
			return -1;
		if (sealed > 0) {
			if (pack(o->dfd, dir, o->archive, o->hex, &s->err) < 0)
				return -1;
			sealed_output(s, o, dir, NULL, true);
			return 0;
		}
	}
	if (o->key != NULL && cfir_seckey_load(o->key, &o->sk, &s->err) < 0)
		return -1;
	if (cfir_interrupt_pending()) {
		cfir_err_interrupted(&s->err);
		return cfir_err_wrap(&s->err, "bag '%s' not sealed", dir);
	}
	if (tool_bag_open(s->g, dir, NULL, &s->bag, &s->err) < 0)
		return -1;
	return seal_and_pack(s, o, dir);
}

static void
seal_fini(void *opts)
{
	struct seal_opts *o = opts;

	cfir_seckey_wipe(&o->sk, sizeof(o->sk));
	if (o->dfd >= 0)
		close(o->dfd);
}

static const struct tool_opt seal_opts[] = {
	TOOL_OPT("archive", 0, TOOL_OPT_STRING, struct seal_opts, archive),
	TOOL_OPT("examiner", 0, TOOL_OPT_STRING, struct seal_opts, examiner),
	TOOL_OPT("key", 'k', TOOL_OPT_STRING, struct seal_opts, key),
	{ 0 },
};

static const char seal_usage[] =
	"usage: cfir seal [-h] [-k seckey] [--examiner name] [--archive file.tar] bag\n";

const struct tool_cmd cmd_seal = {
	.name = "seal", .usage = seal_usage, .needs = TOOL_OWN_RECORDS, .min_args = 1, .max_args = 1,
	.summary = "the bag's final state, signed; it takes no more evidence",
	.opts = seal_opts, .opts_size = sizeof(struct seal_opts), .prepare = seal_prepare, .run = seal_run,
	.fini = seal_fini,
};

