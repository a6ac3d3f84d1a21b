/* engine.h - Docker Engine API client (libcurl + cJSON) */
#ifndef CFIR_ENGINE_H
#define CFIR_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "common/err.h"

/* Oldest API cfir speaks (Debian's docker.io 20.10) and newest it asks for. */
#define CFIR_API_MIN "1.41"
#define CFIR_API_MAX "1.47"

struct cfir_engine;

/* A streaming body consumer; returns -1 with err set to stop the transfer. */
typedef int (*cfir_engine_sink_fn)(void *ctx, const void *buf, size_t len,
			    struct cfir_err *err);

/*
 * Connect to HOST (unix://PATH, tcp://HOST:PORT) or, when NULL, to
 * $DOCKER_HOST or /var/run/docker.sock, and negotiate the API version.
 */
int cfir_engine_open(struct cfir_engine **ep, const char *host,
		     struct cfir_err *err);
/*
 * The same, the engine given ANSWER_MS to answer its first request: one
 * that accepts the connection and says nothing in that time is
 * EX_UNAVAILABLE, "did not answer".
 */
int cfir_engine_open_within(struct cfir_engine **ep, const char *host, long answer_ms,
			    struct cfir_err *err);
void cfir_engine_close(struct cfir_engine *e);

/*
 * Bound each buffered request to MS in all (0: no bound, the idle timeout
 * only), for what must answer at once: the list and the inspect that decide
 * whether the engine describes a container.
 */
void cfir_engine_bound(struct cfir_engine *e, long ms);
/* Did the request that set ERR end because the engine said nothing in time? */
bool cfir_engine_silent(const struct cfir_engine *e, const struct cfir_err *err);

const char *cfir_engine_api(const struct cfir_engine *e);
const char *cfir_engine_host(const struct cfir_engine *e);

/*
 * One request with a buffered reply (bounded). PATH is below the version
 * prefix and already escaped. A non-2xx status is an error carrying the
 * engine's message. *reply may be NULL for callers that want none.
 */
int cfir_engine_call(struct cfir_engine *e, const char *method, const char *path,
		     const cJSON *body, char **reply, size_t *len,
		     struct cfir_err *err);
/* The same, parsing the reply as JSON (malformed JSON is EX_DATAERR). */
int cfir_engine_json(struct cfir_engine *e, const char *method, const char *path,
		     const cJSON *body, cJSON **out, struct cfir_err *err);
/* A GET whose 2xx body goes to SINK as it arrives; *bytes counts it. */
int cfir_engine_stream(struct cfir_engine *e, const char *path, cfir_engine_sink_fn sink,
		       void *ctx, uint64_t *bytes, struct cfir_err *err);

/*
 * A GET read at the caller's pace: each call hands out the next bytes of a
 * 2xx body (valid until the next call), 0 at its end, -1 on an error
 * (after every byte that did arrive was handed out). TEE, when set, sees
 * each chunk as it is handed out, so it sees every byte once and in order.
 * open fails, with the engine's words, on a non-2xx status.
 */
struct cfir_engine_pull;
int cfir_engine_pull_open(struct cfir_engine *e, const char *path,
			  struct cfir_engine_pull **pp, struct cfir_err *err);
void cfir_engine_pull_tee(struct cfir_engine_pull *p, cfir_engine_sink_fn tee, void *ctx);
ssize_t cfir_engine_pull_read(struct cfir_engine_pull *p, const void **buf,
			      struct cfir_err *err);
uint64_t cfir_engine_pull_bytes(const struct cfir_engine_pull *p);
void cfir_engine_pull_close(struct cfir_engine_pull *p);
/*
 * The same reader over bytes FN makes in a thread of its own (a tar cfir
 * writes): FN hands them to PUT(PUT_CTX, ...), which waits for room and
 * fails once the reader closed; what FN returns, and its error, the reader
 * gets after the last byte. No engine is involved.
 */
typedef int (*cfir_engine_produce_fn)(void *ctx, cfir_engine_sink_fn put, void *put_ctx,
				      struct cfir_err *err);
int cfir_engine_pull_produce(cfir_engine_produce_fn fn, void *ctx, struct cfir_engine_pull **pp,
			     struct cfir_err *err);

/* A header of the last reply (Content-Type, X-Docker-Container-Path-Stat...). */
const char *cfir_engine_header(const struct cfir_engine *e, const char *name);
/* HTTP status of the last reply, 0 when none came. */
long cfir_engine_status(const struct cfir_engine *e);

/* Ask every transfer in progress to stop; async-signal-safe. */
void cfir_engine_cancel(void);
bool cfir_engine_cancelled(void);

/* Percent-escape one path segment or query value (malloc'd). */
char *cfir_engine_escape(const char *s);

/* The limit on a buffered reply. */
#define CFIR_ENGINE_REPLY_MAX (64u << 20)

#endif
