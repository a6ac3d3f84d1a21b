/*
 * runtime.h - the containers on the host, from the state their runtimes
 * keep, with no engine: runc's and crun's state roots, containerd's task
 * bundles (its own, Docker's managed one, k3s's), the userdata directories
 * of containers-storage that Podman and CRI-O keep (under /run and
 * /var/lib), and the state roots $CFIR_RUNTIME_ROOTS names (colon-separated,
 * runc's layout).
 *
 * The state directories are root-owned and trusted for host paths; every
 * directory is opened with O_NOFOLLOW (an entry that is a link is skipped
 * and counted), names are checked, counts bounded. What the container
 * controls (annotations: the image, the Kubernetes names) is kept exact,
 * bounded by the OCI parser, and escaped only by the printer.
 *
 * One container is one entry, whatever number of sources know of it (a
 * task bundle and runc's state of it; Podman's config, its pidfile and
 * runc's state): each gives what the others lack, the runtime's state
 * first for the PID and its start time.
 *
 * An init PID is believed only when /proc/PID/stat's start time (field 22)
 * is the one the runtime recorded; when none was recorded (containerd's
 * init.pid, a pidfile), only when its /proc/PID/cgroup names the container's
 * ID as a whole word of a path component (docker-ID.scope, /ID, libpod-ID):
 * as the engine's PIDs are checked. A cgroup a delegated container made
 * and named after another container's ID would pass that check: the start
 * time, when recorded, is the stronger one.
 *
 * The manager, who asked the runtime for the container, is told by what
 * the state says, in this order: the annotation io.container.manager
 * ("libpod": "podman", "cri-o") or an io.podman.* annotation (Podman);
 * CRI-O's Kubernetes annotations ("cri-o"); else the place: containerd's
 * namespace "moby" and Docker's roots ("docker"), containerd's roots
 * ("containerd", its CRI plugin included: the Kubernetes name says so),
 * k3s's ("k3s"). Podman and CRI-O share containers-storage and /run/runc,
 * so only their annotations tell them apart; NULL when nothing tells.
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
	const char *runtime;	/* "runc" or "crun" whose state was found or the bundle names; NULL unknown */
	const char *manager;	/* "docker", "podman", "cri-o", "containerd", "k3s"; NULL unknown */
	char *source;		/* the state root it was first found under */
	const char *source_name;	/* that root's short name: "containerd", "docker/runc", "storage" */
	char *ns;		/* containerd's namespace, NULL for none */
	char *id;
	char *bundle;		/* NULL when unknown */
	char *state_dir;	/* the runtime's state directory (/run/runc/ID), NULL when unknown */
	bool has_pid;		/* only a live init that passed its check */
	pid_t pid;
	bool pid_checked;	/* the start time matched, or the cgroup named the ID */
	const char *pid_check;	/* "start time", "cgroup"; NULL when not believed */
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
	unsigned seq;		/* the order found in: on a merge the first one's source is kept */
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
/*
 * The same, of the container ID alone: each root's directory of that name,
 * not every container's state read to keep one (what the runtime keeps of
 * an engine's container, on a host that runs hundreds).
 */
int cfir_runtime_list_id(const char *root, const char *proc, const char *id,
			 struct cfir_runtime_list *l, struct cfir_err *err);
void cfir_runtime_list_free(struct cfir_runtime_list *l);

/*
 * Does the cgroup path component COMP (LEN bytes) name the container ID: ID
 * itself, or PREFIX-ID or PREFIX:ID (".scope" after it under systemd), and
 * not conmon's? "user.slice" does not name "user", nor "pod12" "12".
 */
bool cfir_runtime_cgroup_component(const char *comp, size_t len, const char *id);
/* TEXT (LEN bytes), a /proc/PID/cgroup, has a line whose path has such a component. */
bool cfir_runtime_cgroup_names(const char *text, size_t len, const char *id);

/*
 * The one container REF names in L: a full ID, "NAMESPACE/ID" (containerd's
 * namespace, the ID full or a unique prefix in it), a Kubernetes
 * "NAMESPACE/POD/CONTAINER" (exact bytes), else a unique ID prefix. One ID
 * in two containerd namespaces is ambiguous unless the namespace is named.
 * EX_USAGE for an ambiguous REF (the candidates listed) or an empty one,
 * EX_NOINPUT when nothing matches.
 */
int cfir_runtime_find(const struct cfir_runtime_list *l, const char *ref,
		      const struct cfir_runtime_entry **ep, struct cfir_err *err);

/* E as a JSON object, hostile strings kept exact; absent fields left out. */
cJSON *cfir_runtime_entry_json(const struct cfir_runtime_entry *e);

#endif
