/* tool.h - the command runner and what every command shares */
#ifndef CFIR_TOOL_H
#define CFIR_TOOL_H

#include <getopt.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "common/bag.h"
#include "common/engine.h"
#include "common/err.h"
#include "common/layers.h"
#include "common/out.h"
#include "common/target.h"

struct cfir_global {
	const char *host;	/* -H, else $DOCKER_HOST */
	const char *source;	/* --source, else $CFIR_SOURCE: auto, engine or runtime */
	const char *engine_timeout;	/* --engine-timeout, else $CFIR_ENGINE_TIMEOUT: seconds */
	long engine_ms;		/* what it says, checked */
	struct cfir_err engine_down;	/* why the engine was not asked, or did not answer */
	const char *root;	/* --root: a dead host's image mounted here; no engine, no runtime */
	const char *root_image;	/* --root-image: the image file, hashed for the record */
	int root_fd;		/* ROOT opened, when it is given */
	char root_image_sha256[65];
	const char *format;	/* --format as given; NULL: text on a terminal, else JSON */
	struct cfir_out out;
	const char *bag;	/* -o/--bag, else $CFIR_BAG; NULL for none */
	struct cfir_bag_meta meta;	/* --case, --examiner and the command line, for custody */
};

/* What a command needs before it runs; the runner provides it. */
enum {
	TOOL_ENGINE = 1 << 0,		/* a connection to the engine */
	TOOL_TARGET = 1 << 1,		/* and the container the first operand names */
	TOOL_BAG = 1 << 2,		/* -o, $CFIR_BAG, else a new ./cfir-<name>-<stamp> */
	TOOL_BAG_ASKED = 1 << 3,	/* a bag only when -o or $CFIR_BAG names one */
	TOOL_RECORD_AFTER = 1 << 4,	/* the custody record is written once the action is done */
	TOOL_OWN_RECORDS = 1 << 5,	/* the command writes its records itself */
	TOOL_BAG_SELF = 1 << 6,		/* the bag options, the bags opened by the command */
	TOOL_OWN_FORMAT = 1 << 7,	/* --format is the command's to check (check): not text or json */
};

/*
 * One step of evidence: what it works on, where its records go and how it
 * ended. A command's run fills it; the runner, or collect, opened what it
 * works on and writes its custody record from it.
 */
struct tool_step {
	struct cfir_global *g;
	struct cfir_out *out;		/* its records; muted inside collect */
	struct cfir_engine *e;
	struct cfir_target *t;
	struct cfir_bag *bag;		/* NULL when no bag was asked for */
	const char *action;		/* the custody record's action: the command's name */
	cJSON *details;			/* the record's details, handed over to it */
	cJSON *warnings;		/* what tool_warn said, for the record */
	bool some;			/* evidence taken although it failed: "partial" */
	int status;			/* a negative answer that is no failure */
	struct cfir_err soft;		/* the first failure said while the work went on */
	struct cfir_err err;		/* the failure that ended the step */
};

/*
 * A command's option, described once (git's parse-options): its names,
 * what it takes and where the value goes in the command's options.
 */
enum tool_opt_kind {
	TOOL_OPT_FLAG,		/* bool, set */
	TOOL_OPT_STRING,	/* const char * */
	TOOL_OPT_SIZE,		/* uint64_t: bytes, or 64K, 64M, 1G; at least MIN */
	TOOL_OPT_NUMBER,	/* unsigned long, MIN to MAX */
	TOOL_OPT_SECONDS,	/* double, more than 0, at most MAX */
	TOOL_OPT_SEVERITY,	/* int: critical, high, medium, low or info */
	TOOL_OPT_COMPRESS,	/* const char *: gzip or zstd */
	TOOL_OPT_CALL,		/* FN checks and keeps it */
};

struct tool_opt {
	const char *name;	/* --name */
	int letter;		/* -l, or 0 */
	enum tool_opt_kind kind;
	size_t off;		/* where in the options' structure */
	unsigned long min, max;
	int (*fn)(void *opts, const char *arg, struct cfir_err *err);
};

#define TOOL_OPT(n, l, k, type, field) { n, l, k, offsetof(type, field), 0, 0, NULL }
#define TOOL_OPT_RANGE(n, l, k, type, field, lo, hi) { n, l, k, offsetof(type, field), lo, hi, NULL }

struct tool_cmd {
	const char *name;
	const char *summary;
	const char *usage;
	unsigned needs;
	int min_args, max_args;		/* operands (-1: no limit); with TOOL_TARGET the first names it */
	const struct tool_opt *opts;	/* its own, beside -h, the bag's and the global ones */
	size_t opts_size;		/* its options' structure, zeroed, then init */
	void (*init)(void *opts);
	/* the operands and options checked before anything is touched (exit 64 and the usage) */
	int (*check)(struct tool_step *s, void *opts, int argc, char **argv);
	/* checks and choices once the target is known, before the bag is touched */
	int (*prepare)(struct tool_step *s, void *opts, int argc, char **argv);
	/* the action; -1 with s->err set when it failed */
	int (*run)(struct tool_step *s, void *opts, int argc, char **argv);
	/* what prepare and run left in the options */
	void (*fini)(void *opts);
};

enum {
	OPT_CASE = 0x100,
	OPT_EXAMINER,
	OPT_FORMAT,
	OPT_SOURCE,
	OPT_ENGINE_TIMEOUT,
	OPT_ROOT,
	OPT_ROOT_IMAGE,
	OPT_CMD,	/* the first of a command's own */
};

/* -H, -q, -v, --format, --source, --engine-timeout, --root, --root-image (and -h): before the command and after it. */
#define TOOL_GLOBAL_LONGOPTS 9
extern const struct option tool_global_longopts[TOOL_GLOBAL_LONGOPTS + 1];
bool tool_global_option(struct cfir_global *g, int c, const char *arg);

/* A command's options as it has them before any is given: zeroed, then its init. */
void *tool_opts_new(const struct tool_cmd *cmd);

/* Parse the command line after the command's name, set up, run, tear down. */
int tool_main(const struct tool_cmd *cmd, int argc, char **argv, struct cfir_global *g);

/*
 * One step inside another command (collect): S holds the engine, target
 * and bag already open; its custody record is begun, the step run, and
 * the record ended, by the same rules as tool_main. A step that fails
 * before its record is written still gets one.
 */
int tool_step_run(const struct tool_cmd *cmd, struct tool_step *s, void *opts, int argc, char **argv);

/*
 * Where the containers come from (source.c). The engine, unless the
 * runtime state is asked for: when it does not answer within the bound and
 * the source is auto, *EP is NULL and *WHY says so (malloc'd), for the
 * caller to say and record. Errors only when the engine was asked for.
 */
int tool_source_engine(struct cfir_global *g, struct cfir_engine **ep, char **why,
		       struct cfir_err *err);
/*
 * The container REF names, from the engine E when there is one and it
 * knows REF, else from the runtime state (unless the engine was asked for).
 */
int tool_source_target(struct cfir_global *g, struct cfir_engine *e, const char *ref,
		       struct cfir_target **tp, struct cfir_err *err);
/*
 * ERR, of a request bounded by cfir_engine_bound, was the engine's silence
 * after its ping: the engine is taken as down, said and recorded (auto only).
 */
bool tool_source_hung(struct tool_step *s, const struct cfir_err *err);
/* The engine fell silent while a target was resolved: said and recorded; true. */
bool tool_source_said(struct tool_step *s);
/* The PID the runtime recorded for T, refused (another process's now): said and recorded. */
void tool_source_refused(struct tool_step *s, const struct cfir_target *t);
/*
 * Every container on the host, each once: those S's engine lists (running
 * ones unless ALL) with what the runtime keeps of them, then those only
 * the runtime state has (another containerd namespace, CRI-O, Podman,
 * runc); a pod's sandbox only when SANDBOXES. FN owns each target.
 */
int tool_source_each(struct tool_step *s, bool all, bool sandboxes,
		     void (*fn)(void *ctx, struct cfir_target *t), void *ctx);
/* containers-storage's index, read once for the listing L (NULL when it needs none). */
struct cfir_storage *tool_source_storage(const struct cfir_runtime_list *l);
/* The engine and REF's container for step S, the fallback said and recorded. */
int tool_source_step(struct tool_step *s, const char *ref);
/* --source, --engine-timeout and --root checked into G. */
int tool_source_check(struct cfir_global *g, struct cfir_err *err);
/* With --root, DIR must not be inside it (EX_USAGE): the image is never written. */
int tool_source_bag_outside(const struct cfir_global *g, const char *dir, struct cfir_err *err);
/* Where an offline command's containers are: --root's fd, else "/" opened (the caller closes it). */
int tool_source_root(const struct cfir_global *g);
/* The record's words on a dead host's image: its root, the image file and its hash. */
cJSON *tool_source_offline_json(const struct cfir_global *g);

/* The exit status of a step that has ended: one rule for every command. */
int tool_exit(struct tool_step *s);

/* Said on stderr and kept for the custody record. */
void tool_warn(struct tool_step *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A failure said now while the work goes on (batch); the first sets the exit status. */
void tool_soft_fail(struct tool_step *s, const struct cfir_err *e);

/* The end of the record begun for S: "partial" when S took some, or wrote some. */
int tool_record_end(struct tool_step *s, int rc);

/*
 * Open the bag DIR, else the one the command line names, else when
 * DEFAULT_NAME is given a new ./cfir-<DEFAULT_NAME>-<stamp>; *bp stays NULL
 * when none applies.
 */
int tool_bag_open(const struct cfir_global *g, const char *dir, const char *default_name,
		  struct cfir_bag **bp, struct cfir_err *err);
/* What the bag has to tell the examiner, on stderr. */
void tool_notices(struct cfir_bag *bag);
/* Each line of LINES (taken over, may be NULL) as a warning: S's when given, for its record. */
void tool_warn_lines(struct tool_step *s, char *lines);
/* A warning said now, for the library's callbacks (the bag's lock wait). */
void tool_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The layers of the target's filesystem, the writable one first: the
 * engine's GraphDriver data, the host's mount of a runtime's bundle, or
 * the engine's metadata on disk (a stopped engine, a dead host), with the
 * layers' digests where the engine's metadata gives them.
 */
struct tool_layers {
	char **dirs;		/* where each is on this machine */
	size_t n;
	cJSON *json;		/* [{"path","name","digest"}], and where they came from */
	const char *from;
};
int tool_layers_get(struct tool_step *s, struct tool_layers **lp);
/* The target's writable layer and lower ones (cfir_target_rootfs), else from its engine's files on disk. */
int tool_target_rootfs(struct tool_step *s);
/* Are the container's layers known, host-side (tool_target_rootfs's answer)? Asked, never failed. */
bool tool_layers_known(struct tool_step *s);
void tool_layers_free(struct tool_layers *l);
/*
 * Their merge, written by cfir: a cfir_tarstream producer of the whole
 * filesystem, or of ONLY and what is under it (export, copy, collect);
 * then what it said, into DETAILS and as warnings.
 */
struct tool_layers_job {
	struct tool_layers *from;
	const char *only;
	struct cfir_layers_stats st;
};
int tool_layers_produce(void *ctx, cfir_engine_sink_fn put, void *put_ctx, struct cfir_err *err);
void tool_layers_said(struct tool_step *s, const struct tool_layers_job *j, cJSON *details);

struct cfir_tarstream_result;
/* The custody details and output of one tar stream (export, copy). */
cJSON *tool_tarstream_json(const struct cfir_tarstream_result *r, const char *compress);

/* Progress of a stream on stderr, when it is a terminal and output is text. */
struct tool_progress {
	bool on;
	uint64_t total;		/* an estimate, 0 when unknown */
	struct timespec start, last;
};
void tool_progress_init(struct tool_progress *p, const struct cfir_out *o);
void tool_progress(void *ctx, uint64_t bytes, bool done);


/* The text rows of a record's artifacts: SHA-256, bytes, path. */
int tool_artifacts(struct cfir_out *o, const cJSON *artifacts);
/* A text title: "VERB name (id12)" from a target's record. */
void tool_title(struct cfir_text *t, const char *verb, const cJSON *rec);

/* The steps collect runs, with the options it sets. */
struct inspect_opts {
	unsigned long tail;
	bool no_changes;	/* collect's: its diff takes the engine's change list, frozen */
};
struct export_opts {
	const char *compress;
	bool no_magic;
	bool engine;		/* --engine: the engine's stream, where the layers are known too */
	bool layers;		/* --layers, or chosen: known, or no engine describes the target */
	struct tool_layers *from;	/* the layers merged, when they are */
};
struct diff_opts {
	uint64_t max_file, max_total, large;
	bool no_collect;
	bool keep_changes;	/* collect's: the engine's change list into the bag, inspect's left out */
};
struct cfir_proc_list;
struct memory_opts {
	uint64_t max_bytes;
	bool all;
	const int *pids;	/* the processes to dump, NPIDS of them */
	size_t npids;
	int *parsed;		/* the PIDs from the command line, when it gave them */
	struct cfir_proc_list *members;	/* the container's processes, found by the step */
};

/* A minisign public key from PATH (verify's and report's -p). */
struct cfir_minisign_pub;
int tool_pubkey_load(const char *path, struct cfir_minisign_pub *pk, struct cfir_err *err);

extern const struct tool_cmd cmd_capture, cmd_collect, cmd_copy, cmd_diff, cmd_export, cmd_hunt,
	cmd_inspect, cmd_isolate, cmd_keygen, cmd_ls, cmd_memory, cmd_pause, cmd_ps, cmd_report, cmd_seal,
	cmd_sockets, cmd_timeline, cmd_unpause, cmd_verify;

#endif
