/* target.h - one container, resolved from a name, ID or unique ID prefix */
#ifndef CFIR_TARGET_H
#define CFIR_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "common/engine.h"
#include "common/mountinfo.h"
#include "common/oci.h"
#include "common/runtime.h"

struct cfir_target {
	char id[65];
	char id12[13];
	char *name;		/* without the engine's leading '/' */
	char *image;		/* as configured (Config.Image) */
	char *image_id;		/* Image */
	char *status;		/* State.Status: running, paused, exited... */
	bool running, paused, tty;
	pid_t pid;		/* init process on the host, 0 when none */
	bool pid_checked;	/* /proc/PID/cgroup names this container */

	/*
	 * The writable layer, under the trust model (see the top of target.c):
	 * ROOTFS is what diff and hunt walk, always from a host-side source
	 * (the engine's GraphDriver data, confirmed by the host's own mount at
	 * MergedDir); what the container's mountinfo says is only compared
	 * with it, and a difference is ROOTFS_MISMATCH, never followed.
	 */
	char *driver;
	struct cfir_rootfs rootfs;
	const char *rootfs_from;	/* "engine" or NULL */
	struct cfir_rootfs graph;	/* GraphDriver.Data */
	char *merged;			/* GraphDriver.Data.MergedDir */
	char *rootfs_check;		/* "match", "mismatch: ...", "unavailable: ..." */
	bool rootfs_mismatch;		/* the container's root is not the engine's overlay */

	cJSON *inspect;		/* parsed inspect reply, NULL from the runtime state */
	char *inspect_raw;	/* the engine's exact bytes */
	size_t inspect_len;

	/*
	 * Where the description came from: "engine" (its inspect above) or
	 * "runtime" (the state the runtime keeps on the host). What the
	 * runtime keeps is filled from either source when the host has it.
	 */
	const char *source;
	const char *runtime;	/* "runc", "crun", "containerd", NULL when unknown */
	char *rt_ns;		/* containerd's namespace */
	char *bundle;		/* the OCI bundle's directory on the host */
	char *state_dir;	/* runc's or crun's state directory */
	char *netns_path;	/* the runtime's handle on the network namespace */
	char *host_mount;	/* the host's mountinfo line at the bundle's root, as read */
	struct cfir_oci_config *oci;	/* the bundle's config.json, parsed */
	char *config_raw, *state_raw;	/* their exact bytes */
	size_t config_len, state_len;
	const char *state_file;	/* "state.json" (runc) or "status" (crun) */
	/* the Kubernetes identity from the bundle's annotations (hostile) */
	char *k8s_ns, *k8s_pod, *k8s_container, *k8s_uid, *k8s_sandbox_id;
	bool sandbox;		/* a pod's sandbox (pause) container */
	pid_t refused_pid;	/* the runtime's PID, now another process's: not believed */

	/*
	 * From what the engine keeps on disk ("disk": this host's, its engine
	 * silent or stopped; "offline": a dead host's image under --root):
	 * the layers with their digests, and the engine's files byte for byte.
	 */
	struct cfir_disk_layers *layers;
	char *disk_config_name;		/* config.v2.json, containers.json#ID, meta.db#ns/id */
	char *disk_config_raw, *disk_hostconfig_raw;
	size_t disk_config_len, disk_hostconfig_len;
	const char *manager;		/* docker, podman, cri-o, containerd: who made it */
};

/*
 * Resolve REF the way the docker CLI does: full ID, then exact name, then
 * unique ID prefix. An ambiguous prefix is an error listing the candidates.
 */
int cfir_target_resolve(struct cfir_engine *e, const char *ref,
			struct cfir_target **tp, struct cfir_err *err);
/*
 * The same from the runtime state under ROOT (NULL: "/"; a directory for
 * tests), PIDs checked in PROC (NULL: "/proc"): REF is an ID, a
 * "NAMESPACE/POD/CONTAINER" Kubernetes name or a unique ID prefix.
 */
int cfir_target_resolve_runtime(const char *root, const char *proc, const char *ref,
				struct cfir_target **tp, struct cfir_err *err);
/*
 * Fill T from the runtime's entry E, listed under ROOT (NULL: "/"): the
 * bundle's config.json and the runtime's state kept byte for byte, the
 * writable layer from the host's own mount of the bundle's root; its name
 * from containers-storage's index ST (NULL: read when needed).
 */
struct cfir_storage;
int cfir_target_from_runtime(struct cfir_target *t, const struct cfir_runtime_entry *e,
			     const char *root, const struct cfir_storage *st, struct cfir_err *err);
/*
 * The name and image E's engine keeps on disk (dockerd's config.v2.json,
 * containers-storage's containers.json, from ST when it was read already)
 * into D; -1 when E has a Kubernetes name or its engine keeps none.
 * ROOTFS, the bundle's root, may be NULL. cfir_target_in_storage: E's
 * name would be containers-storage's.
 */
struct cfir_enginestate;
int cfir_target_engine_names(const struct cfir_runtime_entry *e, const char *rootfs,
			     const struct cfir_storage *st, struct cfir_enginestate *d);
bool cfir_target_in_storage(const struct cfir_runtime_entry *e);
/*
 * T from the container C an engine left on disk under ROOT (an fd; OFFLINE
 * when ROOT is a dead host's image): nothing of it runs here, its layers
 * from the engine's metadata (when they cannot be read, T has none, and
 * LAYERS_WHY says why).
 */
struct cfir_disk_container;
int cfir_target_from_disk(struct cfir_target *t, const struct cfir_disk_container *c, int root,
			  bool offline, struct cfir_err *err);
/* REF in what the engines under ROOT keep on disk: an ID, a name, "NS/ID", a unique ID prefix. */
int cfir_target_resolve_disk(int root, bool offline, const char *ref, struct cfir_target **tp,
			     struct cfir_err *err);
/* T's layers from the engine's metadata on disk under ROOT, when nothing else gave them. */
int cfir_target_disk_layers(struct cfir_target *t, int root, struct cfir_err *err);
/* What the runtime keeps of the engine's container T (E, the same ID), added. */
void cfir_target_add_runtime(struct cfir_target *t, const struct cfir_runtime_entry *e);
/* Inspect again (state, PID) after pause or unpause. */
int cfir_target_refresh(struct cfir_engine *e, struct cfir_target *t,
			struct cfir_err *err);
void cfir_target_free(struct cfir_target *t);

/* Fill T from an inspect reply (takes a copy of RAW); no I/O. */
int cfir_target_from_inspect(struct cfir_target *t, const char *raw, size_t len,
			     struct cfir_err *err);
/*
 * The writable layer from the engine's GraphDriver data, compared with the
 * host's mount at MergedDir (PROC/self/mountinfo) and with the root the
 * container's own mount namespace shows (PROC/<pid>/mountinfo); PROC is
 * "/proc" but for tests.
 */
int cfir_target_rootfs(struct cfir_target *t, const char *proc,
		       struct cfir_err *err);

/*
 * A directory fd of PROC/<pid> whose cgroup names this container: what is
 * read through it (openat, readlinkat) is of that very process or fails,
 * never of another that took its PID over.
 */
int cfir_target_pidfd(const struct cfir_target *t, const char *proc,
		      struct cfir_err *err);
/*
 * The container's network namespace as an fd: the one the engine made
 * (NetworkSettings.SandboxKey, a host-side handle), else the init's. *MOVED
 * says the init is in another one (it unshared its own: the container's
 * other processes and sockets stay in the engine's).
 */
int cfir_target_netns(const struct cfir_target *t, const char *proc, bool *moved,
		      struct cfir_err *err);

/*
 * The root another of the container's processes sees (through PFD, its
 * checked /proc directory), against the host's mount of the engine's
 * overlay: NULL when they agree or there is nothing host-side to compare
 * with, else why not ("mismatch: ...", malloc'd). *HOST caches the host's
 * mount line between calls (start with NULL, free it after).
 */
char *cfir_target_root_check(const struct cfir_target *t, const char *proc, int pfd, char **host);

/* Freezer state of the container's cgroup ("FROZEN", "THAWED", "1"...). */
int cfir_target_freezer(const struct cfir_target *t, char *buf, size_t n,
			struct cfir_err *err);

/* The target as a JSON object for output and custody details. */
cJSON *cfir_target_json(const struct cfir_target *t);

#endif
