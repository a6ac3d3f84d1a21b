/* tool.h - what every subcommand shares: global options, engine, bag */
#ifndef CFIR_TOOL_H
#define CFIR_TOOL_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "common/bag.h"
#include "common/engine.h"
#include "common/err.h"
#include "common/out.h"
#include "common/target.h"

struct cfir_global {
	const char *host;	/* -H, else $DOCKER_HOST */
	struct cfir_out out;
	int argc;		/* the whole command line, for custody */
	char **argv;
};

/* Options every evidence-taking command has. */
struct tool_bagopts {
	const char *dir;	/* -o/--bag, else $CFIR_BAG */
	struct cfir_bag_meta meta;
};

enum {
	OPT_CASE = 0x100,
	OPT_EXAMINER,
	OPT_TAIL,
	OPT_COMPRESS,
	OPT_NO_MAGIC,
};

#define TOOL_BAG_LONGOPTS \
	{ "bag", required_argument, NULL, 'o' }, \
	{ "case", required_argument, NULL, OPT_CASE }, \
	{ "examiner", required_argument, NULL, OPT_EXAMINER }

/* Handle -o, --case, --examiner; false when C is none of them. */
bool tool_bagopt(struct tool_bagopts *bo, int c, const char *arg);
void tool_bagopts_init(struct tool_bagopts *bo, struct cfir_global *g);
/*
 * Open the bag: the -o/$CFIR_BAG directory, or when DEFAULT_NAME is given
 * a new ./cfir-<name>-<stamp>; *bp stays NULL when neither applies.
 */
int tool_bag_open(struct tool_bagopts *bo, const char *default_name,
		  struct cfir_bag **bp, struct cfir_err *err);
/* What the bag has to tell the examiner, on stderr. */
void tool_notices(struct cfir_bag *bag);
/* Each line of LINES (taken over, may be NULL) as a warning. */
void tool_warn_lines(char *lines);

/*
 * One custody record for ACTION on T when a bag was asked for (-o or
 * $CFIR_BAG): "failed" with FAILURE's message when it holds one, else "ok".
 */
int tool_record(struct tool_bagopts *bo, const char *action,
		const struct cfir_target *t, const struct cfir_err *failure,
		const cJSON *details, struct cfir_err *err);

/*
 * The end of a command: close the bag (its error counts when nothing else
 * failed), report ERR unless R already says how it ended, free the rest.
 */
int tool_done(struct cfir_engine *e, struct cfir_target *t, struct cfir_bag *bag,
	      struct cfir_err *err, int r);

/*
 * collect runs the other commands in its own process: while these are set,
 * tool_target gives this engine and target (resolved once, so that the
 * /proc and overlay steps still work when the engine dies), tool_bag_open
 * this bag, and neither is closed by the command.
 */
struct tool_shared {
	struct cfir_engine *e;
	struct cfir_target *t;
	struct cfir_bag *bag;
};
extern struct tool_shared tool_shared;
/* Free E and T unless they are the shared ones. */
void tool_release(struct cfir_engine *e, struct cfir_target *t);

struct cfir_ms_sec;
/* A secret key for seal, its passphrase asked when it is encrypted. */
int tool_load_secret(const char *path, struct cfir_ms_sec *sk, struct cfir_err *err);

/* -h: usage to stdout, exit 0; a usage error: to stderr, exit 64. */
int tool_usage(const char *usage, bool error);
/* Engine connection and one resolved container. */
int tool_target(struct cfir_global *g, const char *ref, struct cfir_engine **ep,
		struct cfir_target **tp, struct cfir_err *err);

/* Text printing helpers for records. */
void tool_kv(struct cfir_out *o, const char *key, const char *val);
const char *tool_jstr(const cJSON *o, const char *key);

/*
 * End the action: status "ok" when RC is 0, else "partial" when SOME of it
 * was taken, "failed" when none was, with ERR's message. A failure to
 * write the record becomes ERR when the action itself went well.
 */
int tool_end(struct cfir_bag *bag, int rc, bool some, struct cfir_err *err,
	     cJSON *details);

struct cfir_tarstream_result;
/* The custody details and output of one tar stream (export, copy). */
cJSON *tool_tarstream_json(const struct cfir_tarstream_result *r, const char *compress);

/* Progress of a stream on stderr, when it is a terminal and output is text. */
struct tool_progress {
	bool on;
	uint64_t total;		/* an estimate, 0 when unknown */
	struct timespec start, last;
};
void tool_progress_init(struct tool_progress *p, const struct cfir_global *g);
void tool_progress(void *ctx, uint64_t bytes, bool done);

int cmd_capture(int argc, char **argv, struct cfir_global *g);
int cmd_collect(int argc, char **argv, struct cfir_global *g);
int cmd_copy(int argc, char **argv, struct cfir_global *g);
int cmd_diff(int argc, char **argv, struct cfir_global *g);
int cmd_export(int argc, char **argv, struct cfir_global *g);
int cmd_hunt(int argc, char **argv, struct cfir_global *g);
int cmd_inspect(int argc, char **argv, struct cfir_global *g);
int cmd_ps(int argc, char **argv, struct cfir_global *g);
int cmd_sockets(int argc, char **argv, struct cfir_global *g);
int cmd_isolate(int argc, char **argv, struct cfir_global *g);
int cmd_keygen(int argc, char **argv, struct cfir_global *g);
int cmd_seal(int argc, char **argv, struct cfir_global *g);
int cmd_memory(int argc, char **argv, struct cfir_global *g);
int cmd_pause(int argc, char **argv, struct cfir_global *g);
int cmd_unpause(int argc, char **argv, struct cfir_global *g);
int cmd_verify(int argc, char **argv, struct cfir_global *g);

#endif
