/*
 * podlogs.h - a Kubernetes container's logs as the kubelet keeps them on
 * the host, /var/log/pods/<namespace>_<pod>_<uid>/<container>/, and the
 * CRI log lines in them, with no engine and no API server asked.
 *
 * The identity comes from the container's annotations: hostile. It never
 * becomes a path as a string: each name is checked (not empty, not "." or
 * "..", no '/', no control byte, bounded; no '_' in the three that make
 * the pod's directory name, which Kubernetes forbids there and which
 * would let one pod's names spell another's directory), and each
 * directory is opened from the one before with O_NOFOLLOW|O_DIRECTORY. In
 * the container's directory an entry that is a link is skipped and
 * counted, never followed; what is not a regular file is skipped too. A
 * log file is opened with O_NOFOLLOW and O_NOATIME and checked to be a
 * regular file by its descriptor, so that its exact bytes can be streamed
 * into a bag.
 *
 * A log line (CRI, the kubelet's format) is
 *
 *	<RFC 3339 time> <stdout|stderr> <P|F>[:<more tags>] <message>\n
 *
 * P a partial line (the runtime cut a long one), F the full one or its
 * end. The message is the container's bytes: hostile, kept exact, any
 * length; a line that does not parse is counted, never fatal.
 */
#ifndef CFIR_PODLOGS_H
#define CFIR_PODLOGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "common/err.h"

#define CFIR_PODLOGS_FILES_MAX	1024	/* log files listed; the rest are counted */
#define CFIR_PODLOGS_DIR_MAX	8192	/* entries read of the container's directory */
#define CFIR_PODLOGS_NAME_MAX	253	/* a Kubernetes name: a DNS subdomain at most */

struct cfir_podlogs_id {
	const char *ns, *pod, *uid, *container;
};

struct cfir_podlogs_file {
	char *name;		/* in the container's directory: "0.log", "0.log.20261130-181500.gz" */
	unsigned long restart;	/* the N of N.log: the container's restart count */
	bool rotated;		/* N.log.<suffix>: the kubelet rotated it out */
	bool compressed;	/* its name ends in .gz */
	dev_t dev;
	ino_t ino;
	off_t size;		/* when listed: a live log grows */
	struct timespec mtime;
};

struct cfir_podlogs {
	int dirfd;		/* the container's log directory; -1 when closed */
	char *dir;		/* its path, for messages and records */
	struct cfir_podlogs_file *v;	/* in the order written: by N, rotated before live, by name */
	size_t n;
	size_t dropped;		/* past CFIR_PODLOGS_FILES_MAX */
	unsigned links;		/* entries that are links: skipped */
	unsigned skipped;	/* not regular files, or names not N.log[.*] */
};

/*
 * The log files of the container ID names, under ROOT (NULL: "/"; a
 * directory for tests). EX_DATAERR for a name that fails its check or a
 * directory on the way that is a link; EX_NOINPUT when the pod or the
 * container has no log directory; EX_NOPERM on EACCES.
 */
int cfir_podlogs_open(const char *root, const struct cfir_podlogs_id *id, struct cfir_podlogs *pl,
		      struct cfir_err *err);
void cfir_podlogs_close(struct cfir_podlogs *pl);

/*
 * File I of PL opened to read (O_NOFOLLOW, O_NOATIME where allowed), its
 * fstat in *ST: EX_DATAERR when it is no longer a regular file. A file the
 * kubelet rotated since the listing is opened as it is now; ST says so.
 */
int cfir_podlogs_file_open(const struct cfir_podlogs *pl, size_t i, struct stat *st,
			   struct cfir_err *err);

/* PL (its directory and files) as JSON, names kept exact. */
cJSON *cfir_podlogs_json(const struct cfir_podlogs *pl);

enum cfir_crilog_stream {
	CFIR_CRILOG_STDOUT = 1,
	CFIR_CRILOG_STDERR = 2,
};

struct cfir_crilog_line {
	struct timespec time;	/* UTC */
	const char *time_text;	/* as written, TIME_LEN bytes */
	size_t time_len;
	enum cfir_crilog_stream stream;
	bool partial;		/* tag P */
	const char *msg;	/* the message, MSG_LEN bytes, no newline: hostile */
	size_t msg_len;
};

/*
 * One line of LEN bytes (its newline left off) into L, pointing into LINE.
 * -1 when it is malformed, *WHY (when not NULL) saying how; no I/O.
 */
int cfir_crilog_parse(const char *line, size_t len, struct cfir_crilog_line *l, const char **why);

#define CFIR_CRILOG_HEAD 128	/* bytes of a line kept to parse its header */

/* A human summary of a log read in chunks of any size. */
struct cfir_crilog_summary {
	uint64_t bytes, lines;
	uint64_t out, err;	/* lines of each stream */
	uint64_t partial;	/* P lines */
	uint64_t malformed;
	uint64_t first_malformed;	/* its line number, from 1; 0 for none */
	const char *first_why;
	uint64_t backwards;	/* lines whose time is before the line's before */
	bool has_time;
	struct timespec first, last;	/* of the well-formed lines */
	bool unterminated;	/* the last line had no newline */
	/* the line being read */
	char head[CFIR_CRILOG_HEAD];
	size_t head_len;
	uint64_t line_len;
};

void cfir_crilog_summary_init(struct cfir_crilog_summary *s);
void cfir_crilog_summary_feed(struct cfir_crilog_summary *s, const void *buf, size_t len);
/* The last line, when it had no newline, counted. */
void cfir_crilog_summary_end(struct cfir_crilog_summary *s);
cJSON *cfir_crilog_summary_json(const struct cfir_crilog_summary *s);

#endif
