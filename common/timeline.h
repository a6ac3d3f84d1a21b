/* timeline.h - every time in a bag as one event, sorted (Timesketch's JSONL and CSV) */
#ifndef CFIR_TIMELINE_H
#define CFIR_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "common/err.h"
#include "common/out.h"

enum cfir_tl_format {
	CFIR_TL_JSONL,
	CFIR_TL_CSV,
};

struct cfir_tl_opts {
	enum cfir_tl_format format;
	const char *tmpdir;	/* the sort's runs; never inside the bag */
	size_t chunk;		/* bytes sorted in memory at a time; 0: 32 MiB */
	/* an artifact that could not be read, for the caller to say; the rest go on */
	void (*fail)(void *ctx, const struct cfir_err *e);
	void *ctx;
};

struct cfir_tl_stats {
	uint64_t events;
	uint64_t untimed;	/* log lines with no time that parses: counted, not written */
	uint64_t orphans;	/* findings in a file no custody record lists: no time to give them */
	uint64_t bad;		/* elements and lines that were not JSON objects */
	uint64_t compressed;	/* rotated pod logs left compressed: not read */
	size_t cut;		/* log lines over 1 MiB: their event holds the first MiB */
	size_t runs;		/* sorted runs the events took on disk */
};

/*
 * Every event of the bag open at BAGFD (read through bagread, nothing
 * written to it) to OUT, sorted by time, then by the order they were
 * found: the file, process, container, log, custody and finding events of
 * cfir(1). -1 with ERR when the timeline could not be written; an
 * artifact that cannot be read goes to O->fail and the rest go on.
 */
int cfir_timeline_write(int bagfd, FILE *out, const struct cfir_tl_opts *o,
			struct cfir_tl_stats *st, struct cfir_err *err);

/* The columns, in their order: CSV's header, JSON's member names. */
extern const char *const cfir_timeline_columns[];

/*
 * A Docker log line with its timestamp ("RFC3339Nano text", logs'
 * timestamps=1): false when it has no time that parses. *TEXT points into LINE.
 */
bool cfir_timeline_logline(const char *line, size_t len, struct timespec *ts,
			   const char **text, size_t *tlen);
/*
 * A line of dockerd's json-file log ({"log","stream","time"}): false when
 * it has no time that parses or no log. *TEXT and *STREAM point into J.
 */
bool cfir_timeline_jsonlog(const cJSON *j, struct timespec *ts, const char **text,
			   const char **stream);

/*
 * One CSV cell of hostile bytes on one physical line: escaped as the
 * terminal printer does (control, bidirectional and invalid bytes as
 * \xNN or \u{...}), a ' before a leading = + - @ (a spreadsheet formula),
 * quoted with its quotes doubled.
 */
void cfir_timeline_csv_cell(struct cfir_text *t, const void *buf, size_t len);

/* Timesketch's datetime: 2026-11-30T19:22:07.796314+00:00 (BUF: CFIR_TIME_LEN). */
void cfir_timeline_datetime(const struct timespec *ts, char *buf);

#endif
