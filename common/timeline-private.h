/* timeline-private.h - what the timeline's files share; no caller includes it */
#ifndef CFIR_TIMELINE_PRIVATE_H
#define CFIR_TIMELINE_PRIVATE_H

#include "common/extsort.h"
#include "common/timeline.h"

enum tl_source {
	TL_FILE,
	TL_PROCESS,
	TL_CONTAINER,
	TL_LOG,
	TL_CAPTURE,
	TL_CUSTODY,
	TL_FINDING,
};

/* One event as it is built; every string the caller's, copied when it is added. */
struct tl_event {
	struct timespec t;
	enum tl_source src;
	const char *desc;		/* timestamp_desc */
	const char *msg;		/* NUL-free text, hostile */
	const char *container, *name;
	const char *artifact;
	const void *path;		/* exact bytes, NULL for none */
	size_t pathlen;
	long long pid;			/* -1 for none */
};

#define TL_KEY 20		/* seconds (8, biased), nanoseconds (4), order found (8) */
#define TL_MSG_MAX 4096		/* a message's bytes at most: a log line's text is cut there */
#define TL_NAME_MAX 1024	/* a container's ID or name, an artifact's path: what the bag says, cut */

/* The timeline being gathered. */
struct tl {
	int bagfd;
	struct cfir_extsort *sort;
	uint64_t seq;
	const struct cfir_tl_opts *o;
	struct cfir_tl_stats *st;
	struct cfir_err fatal;		/* the sort failed: the timeline ends */
	bool dead;
	struct cfir_text rec;		/* an event serialized */
	/* the container at hand */
	char *dir;			/* its data/<dir> */
	char *id, *name;
	/* custody records that wrote findings: their artifacts and times */
	struct tl_hunt { char *path; struct timespec t; } *hunts;
	size_t nhunts, huntcap;
	/* containers' names from the custody log, for a bag without inspect.json */
	struct tl_name { char *id, *name; } *names;
	size_t nnames, namecap;
};

/* The event into the sort; false when the sort failed (T->fatal says why). */
bool tl_add(struct tl *t, const struct tl_event *e);
/* An event of the container at hand, from ARTIFACT. */
void tl_event_init(struct tl *t, struct tl_event *e, enum tl_source src, const char *artifact);
/* Each sorted record to OUT in FORMAT. */
int tl_render(const void *rec, size_t len, FILE *out, enum cfir_tl_format format);
/* The CSV header line. */
void tl_csv_header(FILE *out);

/* A message built of hostile text: NUL bytes become U+FFFD, cut at TL_MSG_MAX. */
void tl_msg_add(struct cfir_text *m, const void *buf, size_t len);

/* An artifact that could not be read: handed to the caller, the rest go on. */
void tl_fail(struct tl *t, struct cfir_err *e);
/* The same for a pass over PATH that ended with E (said unless the sort failed). */
void tl_read_failed(struct tl *t, struct cfir_err *e, const char *path);

/* The logs of the container at hand, and its captures (timeline-log.c). */
void tl_logs(struct tl *t);
void tl_captures(struct tl *t);

#endif
