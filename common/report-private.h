/* report-private.h - what the report's files share; no caller includes it */
#ifndef CFIR_REPORT_PRIVATE_H
#define CFIR_REPORT_PRIVATE_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/bagread.h"
#include "common/html.h"
#include "common/report.h"

#define REP_CELL 200		/* characters of one cell */
#define REP_LONG 1000		/* of a command line or an evidence value */
#define REP_LINE (64u << 20)	/* one JSON line or element of a bag file */

/* A payload file and its hash, as the manifest lists it. */
struct rep_cite {
	char *path;
	char sha[65];
};

/* One custody record, what the picture needs. */
struct rep_rec {
	size_t seq;
	int64_t start, end;	/* ns since the epoch; 0 when unknown */
	char action[24], status[12];
	char target[72];
	size_t artifacts;
};

/* A container frozen: from the pause record to the unpause one (or the end). */
struct rep_freeze {
	char target[72];
	int64_t from, to;	/* to 0: still frozen at the last record */
	bool already;		/* it was paused before cfir came */
};

/* A finding about one process: its flag in the tree. */
struct rep_pidflag {
	char container[72];
	long pid;
	char check[40];
	int severity;
};

struct rep {
	struct cfir_html h;
	int dirfd;
	const struct cfir_report_opts *o;
	struct cfir_report_summary *sum;
	size_t rows;
	cJSON *info;		/* bag-info.txt */
	char **cont;		/* data/<name> of each container */
	size_t ncont;
	struct rep_cite *man;	/* the manifest, sorted by path */
	size_t nman, mancap;
	size_t nfail;		/* verify's failures kept in FAILS */
	struct cfir_text fails;
	struct rep_rec *recs;	/* custody records, the first REP_RECS */
	size_t nrec, reccap, recs_total;
	size_t recs_bad;
	struct rep_freeze *fz;
	size_t nfz, fzcap;
	struct rep_pidflag *pf;
	size_t npf, pfcap;
	size_t sev[5];		/* findings by severity */
	cJSON *k8s;		/* target ID: its Kubernetes identity, as custody recorded it */
	struct cfir_err *err;
};

#define REP_RECS 5000
#define REP_PIDFLAGS 4096

/* report.c */
void rep_cite(struct rep *r, const char *path);
void rep_missing(struct rep *r, const char *path, const struct cfir_err *e);
void rep_more(struct rep *r, size_t shown, size_t total, const char *what, const char *path);
const char *rep_container_name(const struct rep *r, const char *id);
int64_t rep_time(const char *s);
void rep_time_html(struct rep *r, const char *s);
void rep_bytes(struct rep *r, double n);
void rep_hash(struct rep *r, const char *hex, size_t n);
int rep_path(char *buf, size_t n, const char *cont, const char *rel);
bool rep_artifact(struct rep *r, const char *cont, const char *rel, char *path, size_t n, int *fd);

/* report-custody.c */
int rep_custody_read(struct rep *r);
void rep_custody(struct rep *r);
void rep_freeze_html(struct rep *r, const char *target);
void rep_k8s_html(struct rep *r, const char *target);
int rep_findings_read(struct rep *r);
void rep_findings(struct rep *r);

/* report-proc.c */
void rep_processes(struct rep *r, const char *cont);

/* report-net.c */
void rep_network(struct rep *r, const char *cont);

/* report-fs.c */
void rep_filesystem(struct rep *r, const char *cont);

#endif
