/*
 * oci.h - the runtime state a container leaves on the host: an OCI bundle's
 * config.json, the state runc (state.json) and crun (status) keep of it, and
 * the Kubernetes identity its annotations give.
 *
 * The files are root-owned and trusted for host paths; what they carry from
 * the container's side (annotations, arguments, mount destinations) is
 * hostile: bounded, kept as the exact bytes, escaped only by the printer.
 * The parsers take a buffer and do no I/O; what is absent stays absent (a
 * NULL string, a has_ flag false), never a default; a value of the wrong
 * type is absent too, and counted in n_wrong.
 */
#ifndef CFIR_OCI_H
#define CFIR_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "common/err.h"

#define CFIR_OCI_CONFIG_MAX	(4u << 20)	/* config.json read at most */
#define CFIR_OCI_STATE_MAX	(1u << 20)	/* state.json, status */
#define CFIR_OCI_LIST_MAX	1024		/* args, capabilities, mounts, options, namespaces */
#define CFIR_OCI_ANNOT_MAX	4096		/* annotations, labels, cgroup and namespace paths kept */
#define CFIR_OCI_VALUE_MAX	(64u << 10)	/* bytes kept of one string */

/* A list of strings; past CFIR_OCI_LIST_MAX the rest are counted, not kept. */
struct cfir_oci_strv {
	char **v;
	size_t n;
	size_t dropped;
	bool present;
};

/* A string pair: an annotation, a label, a cgroup or namespace path. */
struct cfir_oci_kv {
	char *key;
	char *value;
	size_t key_len, value_len;
	bool cut;		/* the key or value was longer than CFIR_OCI_VALUE_MAX */
};

struct cfir_oci_kvv {
	struct cfir_oci_kv *v;
	size_t n;
	size_t dropped;
	bool present;
};

struct cfir_oci_mount {
	char *destination, *source, *type;
	struct cfir_oci_strv options;
};

struct cfir_oci_ns {
	char *type, *path;
};

struct cfir_oci_config {
	char *oci_version;
	char *root_path;
	bool has_root_readonly, root_readonly;

	bool has_process;
	struct cfir_oci_strv args;
	bool has_uid, has_gid;
	uint32_t uid, gid;
	bool has_no_new_privs, no_new_privs;
	char *apparmor;
	struct cfir_oci_strv env;	/* "NAME=value": secrets among them, never printed */
	struct cfir_oci_strv cap_bounding, cap_effective, cap_permitted;

	char *hostname;
	struct cfir_oci_mount *mounts;
	size_t n_mounts, mounts_dropped;
	bool has_mounts;
	struct cfir_oci_kvv annotations;

	bool has_linux;
	struct cfir_oci_ns *ns;
	size_t n_ns, ns_dropped;
	bool has_ns;
	char *cgroups_path;
	bool has_resources;
	bool has_memory_limit, has_pids_limit, has_cpu_quota, has_cpu_shares;
	int64_t memory_limit, pids_limit, cpu_quota;
	uint64_t cpu_shares;
	bool devices_allow_all;	/* the last wildcard rule of resources.devices allows rwm */
	bool has_seccomp;
	bool has_devices;
	size_t n_devices;
	struct cfir_oci_strv device_paths;	/* linux.devices[].path, those that have one */
	char *mount_label;

	unsigned n_wrong;	/* fields of the wrong type, taken as absent */
	unsigned n_cut;		/* strings cut at CFIR_OCI_VALUE_MAX or at a \u0000 */
};

enum cfir_oci_state_kind {
	CFIR_OCI_STATE_RUNC = 1,	/* libcontainer's state.json (runc, containerd's runc) */
	CFIR_OCI_STATE_CRUN,		/* crun's status */
};

struct cfir_oci_state {
	enum cfir_oci_state_kind kind;
	char *id;		/* runc's; crun names it by its directory only */
	bool has_pid;
	pid_t pid;
	bool has_start;
	uint64_t start;		/* clock ticks after boot: /proc/PID/stat field 22 */
	char *created;		/* RFC 3339, as the runtime wrote it */
	struct cfir_oci_kvv cgroups;	/* subsystem -> path; "" on cgroup v2 (crun: its cgroup-path) */
	struct cfir_oci_kvv ns_paths;	/* runc's NEWNET... -> /proc/PID/ns/net */
	struct cfir_oci_strv labels;	/* "key=value", runc's config.labels */
	char *bundle;		/* the last "bundle=" label (of all, kept or not), crun's bundle */
	char *rootfs;		/* as written: crun's may be relative to the bundle */
	unsigned n_wrong;
	unsigned n_cut;
};

/* Kubernetes identity: borrowed from the config's annotations (or static). */
struct cfir_oci_k8s {
	const char *ns, *pod, *container, *uid, *sandbox_id, *image;
	bool is_sandbox;
	const char *source;	/* "containerd" or "cri-o" */
};

/*
 * Read PATH under DIRFD whole, at most MAX bytes (a longer file is bad
 * data, EX_DATAERR, not cut), not through a final symbolic link.
 */
int cfir_oci_read(int dirfd, const char *path, size_t max, char **buf, size_t *len,
		  struct cfir_err *err);

/* Parse a config.json of LEN bytes into C (zeroed first); no I/O. */
int cfir_oci_config_parse(struct cfir_oci_config *c, const char *buf, size_t len,
			  struct cfir_err *err);
void cfir_oci_config_free(struct cfir_oci_config *c);
/* Read and parse PATH under DIRFD, at most CFIR_OCI_CONFIG_MAX bytes. */
int cfir_oci_config_load(struct cfir_oci_config *c, int dirfd, const char *path,
			 struct cfir_err *err);

/* Parse a runc state.json or a crun status of LEN bytes into S; no I/O. */
int cfir_oci_state_parse(struct cfir_oci_state *s, const char *buf, size_t len,
			 struct cfir_err *err);
void cfir_oci_state_free(struct cfir_oci_state *s);
/* The same, SLIM false: the whole document parsed (for tests against the slimmed one). */
int cfir_oci_state_parse_with(struct cfir_oci_state *s, const char *buf, size_t len, bool slim,
			      struct cfir_err *err);
/*
 * A runc state.json of at least 16 KiB copied into *OUT with every member
 * of its "config" but "rootfs" and "labels" left out; -1 when it is
 * smaller or the spans cannot be told for sure (then parse it whole). What
 * is kept reads as in the whole document; a member left out is not
 * checked beyond its span.
 */
int cfir_oci_state_slim(const char *buf, size_t len, char **out, size_t *outlen);
int cfir_oci_state_load(struct cfir_oci_state *s, int dirfd, const char *path,
			struct cfir_err *err);

/*
 * The value of annotation KEY (the last of duplicates, as Go's decoder
 * keeps), NULL when absent.
 */
const struct cfir_oci_kv *cfir_oci_annotation(const struct cfir_oci_config *c, const char *key);

/*
 * The Kubernetes identity from the CRI annotations of containerd or CRI-O;
 * false, K zeroed, when the config names no pod.
 */
bool cfir_oci_k8s(const struct cfir_oci_config *c, struct cfir_oci_k8s *k);
/* A Kubernetes identity as JSON, its hostile names kept exact; absent ones left out. */
cJSON *cfir_oci_k8s_json(const char *ns, const char *pod, const char *container, const char *uid,
			 const char *sandbox_id);
/* "NAMESPACE/POD/CONTAINER", malloc'd; NULL when K names no pod. */
char *cfir_oci_k8s_name(const struct cfir_oci_k8s *k);

/*
 * C, S as JSON objects, hostile strings kept exact (cfir_json_add_bytes):
 * what is absent is left out; "wrong_types" and "cut" say what was lost.
 */
cJSON *cfir_oci_config_json(const struct cfir_oci_config *c);
cJSON *cfir_oci_state_json(const struct cfir_oci_state *s);

#endif
