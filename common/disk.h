/*
 * disk.h - containers and their layers as the engines keep them on disk,
 * read under a root: "/" on a live host whose engine is stopped or silent,
 * or the mounted image of a dead host's disk (--root DIR).
 *
 * Every path is resolved inside the root (openat2 RESOLVE_IN_ROOT): an
 * absolute link "/etc/shadow" in the image means the image's /etc/shadow,
 * ".." never climbs out of it, and no magic link is followed. Nothing under
 * the root is ever written; files are opened O_NOATIME.
 *
 * The files are the engine's (root-owned on the host they came from), but a
 * dead host's image is evidence of a compromise: every count, length, name
 * and byte in them is bounded and checked as hostile, and kept exact.
 */
#ifndef CFIR_DISK_H
#define CFIR_DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "common/err.h"

#define CFIR_DISK_DOCKER	"/var/lib/docker"
#define CFIR_DISK_STORAGE	"/var/lib/containers/storage"
#define CFIR_DISK_CONTAINERD	"/var/lib/containerd"
#define CFIR_DISK_LAYERS_MAX	512		/* layers of one container */
#define CFIR_DISK_CONTAINERS_MAX	4096	/* containers listed of one engine */
#define CFIR_DISK_FILE_MAX	(64u << 20)	/* any one metadata file read */

/*
 * PATH (absolute or not: it is taken inside ROOT) opened with FLAGS,
 * O_NOATIME where allowed. Without O_PATH or O_DIRECTORY it must be a
 * regular file, which is checked before it is opened (EINVAL otherwise): a
 * device node in an image is never opened on this host.
 */
int cfir_disk_open(int root, const char *path, int flags);
/*
 * The whole of PATH under ROOT, at most MAX bytes (a longer one is
 * EX_DATAERR, never cut), NUL-terminated; EX_NOINPUT when it is absent.
 */
int cfir_disk_read(int root, const char *path, size_t max, char **buf, size_t *len,
		   struct cfir_err *err);
/* Where PATH under ROOT is on this machine, links resolved inside ROOT (malloc'd); NULL and errno. */
char *cfir_disk_resolve(int root, const char *path);

/* One layer of a container's filesystem. */
struct cfir_disk_layer {
	char *path;	/* its directory on this machine, resolved inside the root */
	char *name;	/* as the engine's data root names it: "/var/lib/docker/overlay2/X/diff" */
	char *digest;	/* "sha256:..." (its diff ID, uncompressed) where known, else NULL */
};

struct cfir_disk_layers {
	struct cfir_disk_layer *v;	/* v[0]: the writable layer; then the lower ones, top to bottom */
	size_t n;
	const char *from;	/* "docker layerdb", "containers-storage", "containerd snapshots", "mount" */
};
void cfir_disk_layers_free(struct cfir_disk_layers *l);

/* One container as its engine left it on disk. */
struct cfir_disk_container {
	const char *manager;	/* "docker", "podman", "cri-o", "containerd" */
	char *id;		/* 64 hex digits (docker, storage); containerd's own ID */
	char *ns;		/* containerd's namespace, else NULL */
	char *name;		/* NULL when none */
	char *image;		/* as configured */
	char *image_id;		/* NULL when unknown */
	char *created;		/* as stored (RFC 3339) */
	char *status;		/* as stored: "running" (when the host stopped), "exited", "created"... */
	bool running;		/* it was running when this was written */
	pid_t pid;		/* as recorded, 0 when none */
	char *config_name;	/* the file kept byte for byte, as the root names it */
	char *config_raw;	/* its exact bytes */
	size_t config_len;
	char *hostconfig_raw;	/* dockerd's hostconfig.json, exact; NULL for others */
	size_t hostconfig_len;
	/*
	 * dockerd: an inspect-shaped object built from config.v2.json and
	 * hostconfig.json (Id, Name, Created, Path, Args, State, Image,
	 * Driver, Config, HostConfig, Mounts, GraphDriver when the layers are
	 * known), for the checks the engine's inspect feeds. NULL for others.
	 */
	cJSON *inspect;
	char *spec_raw;		/* the OCI config (storage's userdata/config.json, containerd's spec) */
	size_t spec_len;
};

struct cfir_disk_list {
	struct cfir_disk_container *v;	/* docker, then containers-storage, then containerd; by ID within each */
	size_t n;
	unsigned skipped;	/* entries unreadable or malformed: not listed */
	char *first_skip;	/* the first one and why, NULL when none */
	size_t bytes;		/* of the engines' files kept, at most CFIR_DISK_LIST_BYTES */
};
#define CFIR_DISK_LIST_BYTES	(256u << 20)

/* Every container the engines under ROOT keep on disk; -1 only when memory fails. */
int cfir_disk_list(int root, struct cfir_disk_list *l, struct cfir_err *err);
void cfir_disk_list_free(struct cfir_disk_list *l);
void cfir_disk_container_free(struct cfir_disk_container *c);

/* The layers of C, from its engine's metadata under ROOT. EX_NOINPUT when there are none. */
int cfir_disk_layers(int root, const struct cfir_disk_container *c, struct cfir_disk_layers *l,
		     struct cfir_err *err);

/* Each engine's part (disk-docker.c, disk-storage.c, disk-containerd.c). */
int cfir_disk_docker_list(int root, struct cfir_disk_list *l, struct cfir_err *err);
int cfir_disk_docker_layers(int root, const char *id, struct cfir_disk_layers *l, struct cfir_err *err);
int cfir_disk_storage_list(int root, struct cfir_disk_list *l, struct cfir_err *err);
int cfir_disk_storage_layers(int root, const char *id, struct cfir_disk_layers *l, struct cfir_err *err);
int cfir_disk_containerd_list(int root, struct cfir_disk_list *l, struct cfir_err *err);
int cfir_disk_containerd_layers(int root, const char *ns, const char *id, struct cfir_disk_layers *l,
				struct cfir_err *err);

/*
 * Append C to L (taking its strings over), or count it as skipped when L
 * is full or its files would pass the bytes a listing keeps.
 */
int cfir_disk_list_add(struct cfir_disk_list *l, struct cfir_disk_container *c, struct cfir_err *err);
/* One entry NAME of L not listed, and WHY: counted, the first one said. */
void cfir_disk_list_skip(struct cfir_disk_list *l, const char *name, const char *why);
/* Append a layer: PATH resolved under ROOT from NAME. */
int cfir_disk_layers_add(int root, struct cfir_disk_layers *l, const char *name, const char *digest,
			 struct cfir_err *err);

#endif
