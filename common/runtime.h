/*
 * runtime.h - the containers on the host, from the state their runtimes
 * keep, with no engine: runc's and crun's state roots, containerd's task
 * bundles (its own, Docker's managed one, k3s's), and the state roots
 * $CFIR_RUNTIME_ROOTS names (colon-separated, runc's layout).
 *
 * The state directories are root-owned and trusted for host paths; every
 * directory is opened with O_NOFOLLOW (an entry that is a link is skipped
 * and counted), names are checked, counts bounded. What the container
 * controls (annotations: the image, the Kubernetes names) is kept exact,
 * bounded by the OCI parser, and escaped only by the printer. An init PID
 * is believed only when /proc/PID/stat's start time (field 22) is the one
 * the runtime recorded.
 */
#ifndef CFIR_RUNTIME_H
#define CFIR_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "common/err.h"

#define CFIR_RUNTIME_MAX	4096	/* containers kept; the rest are counted */
#define CFIR_RUNTIME_DIR_MAX	8192	/* entries read of one directory */
#define CFIR_RUNTIME_NS_MAX	256	/* containerd namespaces read under one root */
#define CFIR_RUNTIME_ROOTS_MAX	16	/* roots taken from $CFIR_RUNTIME_ROOTS */

struct cfir_runtime_entry {
	const char *runtime;	/* "runc", "crun" or "containerd" */
	char *source;		/* the state root it was first found under */
	char *ns;		/* containerd's namespace, NULL for none */
	char *id;
	char *bundle;		/* NULL when unknown */
	char *state_dir;	/* runc's or crun's state directory, NULL when none */
	bool has_pid;		/* only a live init whose start time matched (or none was recorded) */
	pid_t pid;
	bool pid_checked;	/* the start time was recorded and matched */
	bool has_start;
	uint64_t start;		/* as the runtime recorded it */
	pid_t recorded_pid;	/* as recorded, 0 for none: kept when refused */
	const char *state;	/* "running", "frozen", "stopped" or "pid reused" */
	/* from the bundle's annotations (hostile), NULL when absent */
	char *image;
	char *k8s_ns, *k8s_pod, *k8s_container, *k8s_uid, *k8s_sandbox_id;
	const char *k8s_source;	/* "containerd", "cri-o" */
	char *name;		/* "NS/POD/CONTAINER" */
	bool sandbox;
	unsigned n_cut;		/* annotation strings cut by the parser */
};

struct cfir_runtime_list {
	struct cfir_runtime_entry *v;	/* sorted by ID, one entry an ID and namespace */
	size_t n;
	size_t dropped;		/* past CFIR_RUNTIME_MAX */
	unsigned skipped;	/* links, bad names, unreadable state: not listed */
};

/*
 * Every container under the roots, below ROOT (NULL: "/"; a directory for
 * tests), their PIDs checked in PROC (NULL: "/proc"). An absent root is no
 * error; -1 only when ROOT itself cannot be opened or memory fails.
 */
int cfir_runtime_list(const char *root, const char *proc, struct cfir_runtime_list *l,
		      struct cfir_err *err);
void cfir_runtime_list_free(struct cfir_runtime_list *l);

/*
 * The entry REF names in L: a full ID, a "NAMESPACE/POD/CONTAINER"
 * Kubernetes name, then a unique ID prefix. EX_USAGE when ambiguous,
 * EX_NOINPUT when none.
 */
int cfir_runtime_find(const struct cfir_runtime_list *l, const char *ref,
		      const struct cfir_runtime_entry **ep, struct cfir_err *err);

/* E as a JSON object, hostile strings kept exact; absent fields left out. */
cJSON *cfir_runtime_entry_json(const struct cfir_runtime_entry *e);

#endif
