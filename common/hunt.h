/* hunt.h - what makes a container dangerous, and what says it is compromised */
#ifndef CFIR_HUNT_H
#define CFIR_HUNT_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/err.h"

struct cfir_oci_config;
struct cfir_target;

enum cfir_severity {
	CFIR_SEV_INFO,
	CFIR_SEV_LOW,
	CFIR_SEV_MEDIUM,
	CFIR_SEV_HIGH,
	CFIR_SEV_CRITICAL,
};

const char *cfir_severity_name(enum cfir_severity s);
/* "high" -> CFIR_SEV_HIGH; -1 when it names none. */
int cfir_severity_parse(const char *s);

struct cfir_check {
	const char *id;		/* "privileged", "cap-sys-admin"... */
	enum cfir_severity severity;
	bool live;		/* from /proc of a running container */
	const char *title;
	const char *remedy;	/* the docker run flag that fixes it */
};

/* Every check, in the order hunt --list prints them. */
extern const struct cfir_check cfir_checks[];
extern const size_t cfir_nchecks;
const struct cfir_check *cfir_check_find(const char *id);

/* Which checks run: none disabled by default. */
struct cfir_hunt_sel {
	bool off[64];		/* indexed like cfir_checks */
};

/*
 * One finding per tripped check: {"check", "severity", "title", "evidence":
 * {"field", "value"}, "remedy"} appended to FINDINGS. The values come from
 * the container: they are kept exact (JSON escapes them) and never a
 * secret's value.
 */
void cfir_hunt_config(const cJSON *inspect, const struct cfir_hunt_sel *sel,
		      cJSON *findings);

/*
 * The same checks, by the same IDs and in the same shape, from an OCI
 * bundle's config.json when no engine answers; the evidence's field is the
 * config's ("process.capabilities.bounding", "mounts[3].source"). What
 * the spec cannot say (a health check, a restart policy, the logs) is not
 * checked, rather than found missing.
 */
void cfir_hunt_oci(const struct cfir_oci_config *c, const struct cfir_hunt_sel *sel,
		   cJSON *findings);

/*
 * The live checks of a running container, from PROC (/proc but for
 * tests) and its overlay upper directory. A check that cannot look says so
 * in NOTES (an array of strings) rather than finding nothing silently.
 */
int cfir_hunt_live(const struct cfir_target *t, const char *proc,
		   const struct cfir_hunt_sel *sel, cJSON *findings, cJSON *notes,
		   struct cfir_err *err);

/*
 * The host's processes, each one's PID and network namespace, read once
 * from PROC for a hunt over many containers: each container's members and
 * its sockets' holders are then looked for among them rather than in a
 * walk of PROC of its own. The same findings; a process is still checked
 * through its own fd before anything of it is read.
 */
struct cfir_hunt_host;
int cfir_hunt_host_read(const char *proc, struct cfir_hunt_host **out, struct cfir_err *err);
void cfir_hunt_host_free(struct cfir_hunt_host *h);
/*
 * Both kinds on T: the configuration checks, and the live ones when it
 * runs (a container that stops meanwhile keeps its configuration findings,
 * with a note), its processes looked for among H's (NULL: the container's
 * own walk of PROC). Returns the worst severity found, -1 for none.
 */
int cfir_hunt_container_on(struct cfir_hunt_host *h, const struct cfir_target *t, const char *proc,
			   const struct cfir_hunt_sel *sel, cJSON *findings, cJSON *notes);

#endif
