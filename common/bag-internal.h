/*
 * bag-internal.h - what the files of the bag share and no caller sees: the
 * bag's state and the steps its files call in one another
 */
#ifndef CFIR_BAG_INTERNAL_H
#define CFIR_BAG_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/bag.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/util.h"

#define CFIR_BAG_ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"
#define CFIR_BAG_RECORD_MAX (16u << 20)	/* one custody record, its newline included */

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

struct cfir_bag_side {
	struct act a;
};

/* What an earlier cfir, ended before its records and tag files agreed, left behind. */
struct recovery {
	size_t cut_bytes;		/* of a last custody line without its newline, cut off */
	char cut_hex[CFIR_SHA256_HEX];
	uint64_t behind;		/* records bag-info.txt had not caught up with */
	bool tags_stale;		/* the tag manifest did not list the tag files as they are */
	char log_hex[CFIR_SHA256_HEX];	/* the custody log as it is (after a cut) */
};

/* bag.c: a line for the examiner; the runner prints it (cfir_bag_notices). Under b->mu. */
void cfir_bag_notice(struct cfir_bag *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* bag-manifest.c */
/* Replace NAME in the bag atomically. */
int cfir_bag_write_atomic(struct cfir_bag *b, const char *name, const char *data, size_t len,
			  struct cfir_err *err);
void cfir_bag_manifest_free(struct cfir_bag *b);
int cfir_bag_manifest_add(struct cfir_bag *b, const char *path, const char *hex, uint64_t bytes);
int cfir_bag_manifest_load(struct cfir_bag *b, struct cfir_err *err);
/* The payload files of a record that could not be written leave the manifest again. */
void cfir_bag_manifest_forget(struct cfir_bag *b, const cJSON *artifacts);
/* The SHA-256 of NAME below DIRFD, never through a symbolic link. */
int cfir_bag_hash_at(int dirfd, const char *name, char *hex, struct cfir_err *err);
/* Everything outside data/ brought up to date. */
int cfir_bag_tags_update(struct cfir_bag *b, struct cfir_err *err);
bool cfir_bag_tags_stale(struct cfir_bag *b, const char *log_hex);

/* bag-info.c */
/* What bag-info.txt holds in memory: the case, the examiner, the containers. */
void cfir_bag_info_free(struct cfir_bag *b);
int cfir_bag_info_load(struct cfir_bag *b, struct cfir_err *err);
int cfir_bag_info_write(struct cfir_bag *b, struct cfir_err *err);

/* bag-collector.c */
int cfir_bag_collector_write(struct cfir_bag *b, struct cfir_err *err);
cJSON *cfir_bag_argv_json(const struct cfir_bag_meta *meta);
const char *cfir_bag_user_name(void);

/* bag-custody.c */
int cfir_bag_custody_load(struct cfir_bag *b, struct recovery *rv, struct cfir_err *err);
int cfir_bag_record_write(struct cfir_bag *b, struct act *a, const char *status, const char *error,
			  cJSON *details, struct cfir_err *err);

/* bag-lock.c */
int cfir_bag_lock(struct cfir_bag *b, struct cfir_err *err);

/* bag-reserve.c: 0 or an errno */
int cfir_bag_reserve_take(struct cfir_bag *b);
void cfir_bag_reserve_give(struct cfir_bag *b);

/* bag-action.c */
int cfir_bag_act_begin(struct cfir_bag *b, struct act *a, const char *action,
		       const struct cfir_target *t, struct cfir_err *err);
void cfir_bag_act_clear(struct act *a);

/* bag-recover.c */
int cfir_bag_recover(struct cfir_bag *b, const struct recovery *rv, struct cfir_err *err);

#endif
