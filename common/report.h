/* report.h - a bag as one self-contained HTML page, and a case's index of them */
#ifndef CFIR_REPORT_H
#define CFIR_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/err.h"

struct cfir_minisign_pub;

struct cfir_report_opts {
	const char *dir;	/* the bag */
	const char *href;	/* the bag's top as a URL relative to the page: "web-1/" */
	const struct cfir_minisign_pub *pub;	/* check the signature with it */
	size_t rows;		/* the most rows of one table (0: 2,000) */
	const char *now;	/* when the page was made, RFC 3339 */
};

/* What a bag's page said at the top, for the case's index. */
struct cfir_report_summary {
	bool verified;		/* every check of verify passed */
	size_t ok, failed;	/* verify's items */
	bool sealed, signed_;	/* Cfir-Sealed; a signature file is there */
	bool sig_checked, sig_ok;
	size_t containers, findings;
	int worst;		/* enum cfir_severity of the worst finding, -1: none */
	char worst_check[64];	/* its check's ID */
	char names[512];	/* the containers' names, as bag-info.txt has them (hostile) */
	char case_id[128];	/* Case-Number (hostile) */
};

/*
 * The page of the bag at O->dir into OUT: the verdict (verify run now),
 * findings, processes, network, filesystem and custody, every table
 * capped, every value from the bag escaped, no script and no remote load.
 * -1 only when the bag cannot be read at all; what one artifact lacks is
 * said on the page.
 */
int cfir_report_write(FILE *out, const struct cfir_report_opts *o, struct cfir_report_summary *sum,
		      struct cfir_err *err);

/* One bag of a case directory. */
struct cfir_report_row {
	const char *bag;	/* its directory's name */
	const char *page;	/* its page, relative to the index */
	const struct cfir_report_summary *sum;	/* NULL when it could not be read */
	const char *error;
};

/* The index of a case directory's bags, a row each, worst first. */
int cfir_report_index(FILE *out, const char *title, const struct cfir_report_row *rows, size_t n,
		      const char *now, struct cfir_err *err);

#endif
