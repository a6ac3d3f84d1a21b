/* bag.h - the evidence bag: BagIt 1.0 (RFC 8493) with a hash-chained custody log */
#ifndef CFIR_BAG_H
#define CFIR_BAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "common/err.h"
#include "common/hash.h"

/* bagit.txt, exactly */
#define CFIR_BAGIT_TXT "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
/*
 * The most a tag file (the manifests, the custody log) may hold: cfir never
 * writes a larger one, and verify fails a larger one instead of reading it.
 */
#define CFIR_BAG_TAGFILE_MAX (256u << 20)

struct cfir_target;
struct cfir_bag;
struct cfir_writer;

struct cfir_bag_meta {
	const char *case_id;	/* --case or $CFIR_CASE */
	const char *examiner;	/* --examiner or $CFIR_EXAMINER */
	int argc;
	char **argv;
	/*
	 * What the examiner must hear while the command still waits (another
	 * cfir holds the bag's lock), before there is a bag to ask for its
	 * notices: the runner's printer; NULL says nothing.
	 */
	void (*say)(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
};

/*
 * Begin hashing cfir's own binary on a thread, for the bags this process
 * opens: it is ready by then, where it would have cost the open its time.
 * Without it the first open hashes it.
 */
void cfir_bag_self_hash_begin(void);

/*
 * Open the bag at DIR, creating it (0700) when it does not exist or is an
 * empty directory, and take its exclusive lock, waiting up to
 * $CFIR_LOCK_TIMEOUT seconds (default 60) for another cfir to finish.
 */
int cfir_bag_open(struct cfir_bag **bp, const char *dir,
		  const struct cfir_bag_meta *meta, struct cfir_err *err);
struct cfir_minisign_sec;
/*
 * Seal the bag, outside any action (the seal's own custody record comes
 * first): bag-info gets Cfir-Sealed, the tag files their final state, and
 * with SK tagmanifest-sha256.txt.minisig signs the tag manifest. *TRUSTED
 * gets the signature's trusted comment (time, custody head, records). A
 * sealed bag cannot be opened for more evidence.
 */
int cfir_bag_seal(struct cfir_bag *b, const struct cfir_minisign_sec *sk, char **trusted,
		  struct cfir_err *err);

/*
 * A bag that is sealed already, for seal --archive to pack it (again): 1 and
 * its directory in *DIRFD under a shared lock (closing it releases it), or
 * 0 when the bag is not sealed (nothing held). A wait for the lock is said
 * through META's say, as at cfir_bag_open.
 */
int cfir_bag_open_sealed(const char *dir, const struct cfir_bag_meta *meta, int *dirfd,
			 struct cfir_err *err);

/* Bring the tag files up to date, release the lock, free. */
int cfir_bag_close(struct cfir_bag *b, struct cfir_err *err);
const char *cfir_bag_dir(const struct cfir_bag *b);
/*
 * What the bag has to tell the examiner since last asked (a recovery on
 * open, details left out of a record), a line each, malloc'd, or NULL: the
 * library says it, the command prints it.
 */
char *cfir_bag_notices(struct cfir_bag *b);
/* How many custody records the bag holds. */
uint64_t cfir_bag_seq(const struct cfir_bag *b);

/* The default bag: ./cfir-<name>-<UTC stamp> (malloc'd). */
char *cfir_bag_default_dir(const char *name);

/* Start one custody action; T may be NULL. */
int cfir_bag_begin(struct cfir_bag *b, const char *action,
		   const struct cfir_target *t, struct cfir_err *err);
/*
 * End it: one custody record with status "ok", "partial" or "failed", the
 * error when there is one, DETAILS (taken over, may be NULL) and every
 * artifact written since begin; then manifests, bag-info and collector.json.
 */
int cfir_bag_end(struct cfir_bag *b, const char *status, const char *error,
		 cJSON *details, struct cfir_err *err);

/*
 * A new payload file data/<id12>/<dir>/<name> (a unique name: "name-2.ext"
 * when one exists). Everything written through it is hashed as it goes.
 */
int cfir_writer_open(struct cfir_bag *b, const char *dir, const char *name,
		     struct cfir_writer **wp, struct cfir_err *err);
int cfir_writer_write(struct cfir_writer *w, const void *buf, size_t len,
		      struct cfir_err *err);
/* Flush to disk, close, and record it; the writer is freed either way. */
int cfir_writer_commit(struct cfir_writer *w, struct cfir_err *err);
/* Close what was written so far and record it as partial. */
void cfir_writer_abort(struct cfir_writer *w);
/* Where the file's SHA-256 (CFIR_SHA256_HEX) is copied when it is committed or aborted. */
void cfir_writer_digest_to(struct cfir_writer *w, char *hex);
const char *cfir_writer_path(const struct cfir_writer *w);
uint64_t cfir_writer_bytes(const struct cfir_writer *w);

/*
 * A side action, beside the one in progress (the capture that collect runs
 * in the background, from a thread of its own): its own writers and its own
 * custody record, written when it ends. The manifest and the custody log
 * are shared under a lock.
 */
struct cfir_bag_side;
int cfir_bag_side_begin(struct cfir_bag *b, const char *action, const struct cfir_target *t,
			struct cfir_bag_side **sp, struct cfir_err *err);
int cfir_writer_open_side(struct cfir_bag *b, struct cfir_bag_side *s, const char *dir,
			  const char *name, struct cfir_writer **wp, struct cfir_err *err);
/* Its custody record, with DETAILS (taken over); S is freed. */
int cfir_bag_side_end(struct cfir_bag *b, struct cfir_bag_side *s, const char *status,
		      const char *error, cJSON *details, struct cfir_err *err);
cJSON *cfir_bag_discard_side(struct cfir_bag *b, struct cfir_bag_side *s, const char *path,
			     struct cfir_err *err);

/*
 * Remove PATH, an artifact of the action in progress (the oldest file of a
 * capture ring): from disk, the manifest and the artifact list. Returns
 * its artifact record (path, sha256, bytes) for the custody details.
 */
cJSON *cfir_bag_discard(struct cfir_bag *b, const char *path, struct cfir_err *err);

/* A whole buffer as one artifact. */
int cfir_bag_add_buffer(struct cfir_bag *b, const char *dir, const char *name,
			const void *buf, size_t len, struct cfir_err *err);

/* Artifacts of the action in progress, as the custody record will list them. */
const cJSON *cfir_bag_artifacts(const struct cfir_bag *b);

/*
 * The walk of a bag directory: one set of rules for the tag manifest, verify,
 * seal --archive and the recovery at open. Depth first, in name order (the
 * same bag, the same order); never follows a symbolic link nor opens
 * anything but directories. The reserve (.cfir-reserve at the top) is not
 * part of the bag and never shown; there is no lock file (the lock is taken
 * on the bag's directory).
 */
#define CFIR_BAG_RESERVE ".cfir-reserve"
#define CFIR_BAG_TMP_PREFIX ".cfir-tmp-"	/* a tag file being replaced */

enum cfir_bag_kind {
	CFIR_BAG_DIR,		/* a directory: entered after the callback saw it */
	CFIR_BAG_PAYLOAD,	/* a regular file below data/ */
	CFIR_BAG_TAG,		/* a regular file outside data/: bagit.txt, bag-info.txt, the manifest, custody/ */
	CFIR_BAG_TAGMANIFEST,	/* tagmanifest-sha256.txt and its .minisig: tag files no manifest lists */
	CFIR_BAG_LEFTOVER,	/* .cfir-tmp-*: a replacement a cfir did not finish; never part of the bag */
	CFIR_BAG_SPECIAL,	/* a symbolic link, FIFO, socket or device: reported, never followed or opened */
	CFIR_BAG_UNREADABLE,	/* stat or opendir failed (sys), or nested too deep (ELOOP) */
};

struct cfir_bag_entry {
	enum cfir_bag_kind kind;
	const char *path;	/* from the bag's top: "data/<id12>/engine/inspect.json" */
	int dirfd;		/* the directory that holds it: openat(dirfd, name, ...) */
	const char *name;
	int sys;		/* CFIR_BAG_UNREADABLE: errno */
};

/* ignore d_type and ask fstatat, as on a file system that reports DT_UNKNOWN */
#define CFIR_BAG_WALK_NO_DTYPE 0x1
/* what a callback returns to leave a directory out; -1 stops the walk */
#define CFIR_BAG_WALK_SKIP 1

typedef int (*cfir_bag_walk_fn)(void *ctx, const struct cfir_bag_entry *e, struct cfir_err *err);
/* FN for every entry below DIRFD; -1 when FN returned -1 (ERR is FN's). */
int cfir_bag_walk(int dirfd, unsigned flags, cfir_bag_walk_fn fn, void *ctx, struct cfir_err *err);
/* The kind of PATH (from the bag's top) of type MODE: the walk's rules, for a tar's members too. */
enum cfir_bag_kind cfir_bag_classify(const char *path, mode_t mode);
/* Not part of the bag and never shown: the reserve. */
bool cfir_bag_skipped(const char *path);

/* Parsers of bag files, exposed for tests and fuzzing. */
/* "<64 hex>  <path>" with %0A %0D %25 decoded in place; -1 when malformed. */
int cfir_manifest_parse_line(char *line, char **path, char *hex);
/* RFC 8493 encoding of a path for a manifest line (malloc'd). */
char *cfir_manifest_encode(const char *path);
/*
 * Walk a custody log: every line a JSON object with seq 1, 2, ... and prev
 * the SHA-256 of the line before it (64 zeros for the first). Fills HEAD
 * (hash of the last line) and *count; on failure WHY says which record broke.
 */
int cfir_custody_check(const char *text, size_t len, char *head, size_t *count,
		       char *why, size_t whylen);
/* The hash of line N of a custody log (64 zeros for 0): its head after N records; -1 when shorter. */
int cfir_custody_head_at(const char *text, size_t len, size_t n, char *head);
/* One whole line of a custody log. */
struct cfir_custody_record {
	size_t seq;		/* its place, from 1 */
	const cJSON *rec;	/* the line parsed; NULL when it is no JSON */
	const char *line;	/* the line, without its newline */
	size_t len;
};
/* FN for every whole line of a custody log, in order; a non-zero return stops the walk and is returned. */
typedef int (*cfir_custody_record_fn)(void *ctx, const struct cfir_custody_record *r);
int cfir_custody_each(const char *text, size_t len, cfir_custody_record_fn fn, void *ctx);
/* The same over the bag's own custody log; -1 with ERR when it cannot be read. */
int cfir_bag_custody_each(struct cfir_bag *b, cfir_custody_record_fn fn, void *ctx,
			  struct cfir_err *err);
/* Artifacts listed by custody records, for the verify cross-check. */
typedef int (*cfir_custody_artifact_fn)(void *ctx, size_t seq, const char *path,
					const char *sha256);
int cfir_custody_artifacts(const char *text, size_t len, cfir_custody_artifact_fn fn,
			   void *ctx);

#endif
