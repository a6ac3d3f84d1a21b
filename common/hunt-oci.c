/* hunt-oci.c - the configuration checks from an OCI bundle's config.json
 *
 * What runc, crun, containerd and CRI-O were told to run, read when no
 * engine answers: the same checks as hunt-config.c, by the same IDs, so
 * that one container gives one set of findings from either source
 * (hunt-rules.c holds what both judge by). The spec says what the
 * container got, not what was asked for: a capability is "added" when it
 * is outside the engine's default set, a namespace "host" when the
 * container has none of its own. What it cannot say (a health check, a
 * restart policy, the logs, the daemon's user-namespace remapping) is
 * not checked. Pure, like hunt-config.c.
 */
#include <stdio.h>
#include <string.h>

#include "common/hunt-private.h"
#include "common/oci.h"
#include "common/out.h"
#include "common/path.h"

#define CAPS_FIELD "process.capabilities.bounding"

/*
 * Every capability Linux had before 5.8 (CAP_CHOWN to CAP_AUDIT_READ):
 * a bounding set that many strong is --privileged's or --cap-add ALL's,
 * on an older kernel as on a newer one.
 */
#define CAPS_ALL 38

/* The namespace of TYPE the container joins, by its place in C->ns; -1 when it has none. */
static int
ns_find(const struct cfir_oci_config *c, const char *type)
{
	size_t i;

	for (i = 0; i < c->n_ns; i++)
		if (cfir_hunt_str_is(c->ns[i].type, type))
			return (int)i;
	return -1;
}

/* A path that names the host's own namespace: init's, or libnetwork's host sandbox. */
static bool
ns_path_host(const char *type, const char *path)
{
	char want[64];

	if (path == NULL)
		return false;
	snprintf(want, sizeof(want), "/proc/1/ns/%s", strcmp(type, "network") == 0 ? "net" : type);
	if (strcmp(path, want) == 0)
		return true;
	return strcmp(type, "network") == 0 &&
	       (strcmp(path, "/var/run/docker/netns/default") == 0 || strcmp(path, "/run/docker/netns/default") == 0);
}

/* Whether the container shares the host's namespace of TYPE. */
static bool
ns_host(const struct cfir_oci_config *c, const char *type)
{
	int at = ns_find(c, type);

	return c->has_linux && (at < 0 || ns_path_host(type, c->ns[at].path));
}

static void
namespaces(const struct cfir_oci_config *c, const struct cfir_hunt_sel *sel, cJSON *fs)
{
	static const struct {
		const char *type, *id;
	} ns[] = {
		{ "pid", "host-pid" }, { "network", "host-network" }, { "ipc", "host-ipc" }, { "uts", "host-uts" },
	};
	char field[48];
	size_t i;
	int at;

	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		if ((at = ns_find(c, ns[i].type)) < 0) {
			cfir_hunt_finding(fs, sel, ns[i].id, "linux.namespaces", cJSON_CreateNull());
		} else if (ns_path_host(ns[i].type, c->ns[at].path)) {
			snprintf(field, sizeof(field), "linux.namespaces[%d].path", at);
			cfir_hunt_finding(fs, sel, ns[i].id, field, cfir_hunt_bytes(c->ns[at].path, strlen(c->ns[at].path)));
		}
	}
}

/* Whether the bounding set named its capability I before. */
static bool
cap_repeated(const struct cfir_oci_strv *b, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (strcmp(b->v[i], b->v[j]) == 0)
			return true;
	return false;
}

/* How many different capabilities the bounding set names. */
static size_t
caps_distinct(const struct cfir_oci_strv *b)
{
	size_t i, n = 0;

	for (i = 0; i < b->n; i++)
		n += !cap_repeated(b, i);
	return n;
}

/* The engine's default capabilities in the bounding set, each once, into KEPT. */
static size_t
defaults_kept(const struct cfir_oci_strv *b, cJSON *kept)
{
	bool seen[CFIR_HUNT_DEFAULT_CAPS] = { false };
	char id[64];
	size_t i, n = 0;
	int d;

	for (i = 0; i < b->n; i++) {
		cfir_hunt_cap_id(b->v[i], id, sizeof(id));
		if ((d = cfir_hunt_cap_default(id)) >= 0 && !seen[d]) {
			seen[d] = true;
			cJSON_AddItemToArray(kept, cfir_hunt_bytes(b->v[i], strlen(b->v[i])));
			n++;
		}
	}
	return n;
}

/*
 * The engine's check asks whether --cap-drop ALL was given: a set that
 * kept more than half of the defaults was not made that way, and is
 * caps-default. Then the capabilities outside the default set are the
 * ones added; after a drop of all, every one there was added back.
 */
static void
capabilities(const struct cfir_oci_config *c, bool all, const struct cfir_hunt_sel *sel, cJSON *fs)
{
	const struct cfir_oci_strv *b = &c->cap_bounding;
	cJSON *kept = cJSON_CreateArray();
	bool dropped_all = defaults_kept(b, kept) <= CFIR_HUNT_DEFAULT_CAPS / 2;
	char id[64], check[80];
	size_t i;

	if (all)
		cfir_hunt_finding(fs, sel, "cap-all", CAPS_FIELD, cJSON_CreateNumber((double)caps_distinct(b)));
	for (i = 0; i < b->n && !all; i++) {
		if (cap_repeated(b, i))
			continue;
		cfir_hunt_cap_id(b->v[i], id, sizeof(id));
		if (!dropped_all && cfir_hunt_cap_default(id) >= 0)
			continue;
		cfir_hunt_cap_check(id, check, sizeof(check));
		cfir_hunt_finding(fs, sel, check, CAPS_FIELD, cfir_hunt_bytes(b->v[i], strlen(b->v[i])));
	}
	if (!dropped_all)
		cfir_hunt_finding(fs, sel, "caps-default", CAPS_FIELD, kept);
	else
		cJSON_Delete(kept);
}

/*
 * The engine turns labelling off (its inspect says label=disable) for a
 * privileged container and one in the host's PID or IPC namespace; a
 * spec that still carries a label was not made that way.
 */
static void
selinux(const struct cfir_oci_config *c, bool priv, const struct cfir_hunt_sel *sel, cJSON *fs)
{
	if ((c->mount_label == NULL || *c->mount_label == '\0') && (priv || ns_host(c, "pid") || ns_host(c, "ipc")))
		cfir_hunt_finding(fs, sel, "selinux-disabled", "linux.mountLabel",
			c->mount_label ? cJSON_CreateString("") : cJSON_CreateNull());
}

static void
security(const struct cfir_oci_config *c, const struct cfir_hunt_sel *sel, cJSON *fs)
{
	if (c->has_linux && !c->has_seccomp)
		cfir_hunt_finding(fs, sel, "seccomp-unconfined", "linux.seccomp", cJSON_CreateNull());
	/*
	 * Absent is not unconfined: the engine leaves the profile out on a
	 * host without AppArmor, where its inspect says "" and finds nothing.
	 */
	if (cfir_hunt_str_is(c->apparmor, "unconfined"))
		cfir_hunt_finding(fs, sel, "apparmor-unconfined", "process.apparmorProfile", cJSON_CreateString("unconfined"));
	if (!c->has_process)
		return;
	if (!c->no_new_privs)
		cfir_hunt_finding(fs, sel, "no-new-privileges", "process.noNewPrivileges",
			c->has_no_new_privs ? cJSON_CreateFalse() : cJSON_CreateNull());
	/* the runtime runs a process without a user as uid 0 */
	if (!c->has_uid || c->uid == 0)
		cfir_hunt_finding(fs, sel, "root-user", "process.user.uid",
			c->has_uid ? cJSON_CreateNumber(0) : cJSON_CreateNull());
}

static void
limit(const char *id, const char *field, bool has, int64_t v, const struct cfir_hunt_sel *sel, cJSON *fs)
{
	if (!has || v <= 0)
		cfir_hunt_finding(fs, sel, id, field, has ? cJSON_CreateNumber((double)v) : cJSON_CreateNull());
}

static void
limits(const struct cfir_oci_config *c, const struct cfir_hunt_sel *sel, cJSON *fs)
{
	limit("no-memory-limit", "linux.resources.memory.limit", c->has_memory_limit, c->memory_limit, sel, fs);
	limit("no-pids-limit", "linux.resources.pids.limit", c->has_pids_limit, c->pids_limit, sel, fs);
	limit("no-cpu-limit", "linux.resources.cpu.quota", c->has_cpu_quota, c->cpu_quota, sel, fs);
}

/* The nodes every runtime makes itself: no host device passed in. */
static bool
device_default(const char *path)
{
	static const char *const devs[] = {
		"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty", "/dev/console",
		"/dev/ptmx",
	};
	size_t i;

	for (i = 0; i < sizeof(devs) / sizeof(devs[0]); i++)
		if (strcmp(path, devs[i]) == 0)
			return true;
	return false;
}

static void
devices(const struct cfir_oci_config *c, const struct cfir_hunt_sel *sel, cJSON *fs)
{
	cJSON *paths = cJSON_CreateArray();
	size_t i;

	for (i = 0; i < c->device_paths.n; i++)
		if (!device_default(c->device_paths.v[i]))
			cJSON_AddItemToArray(paths, cfir_hunt_bytes(c->device_paths.v[i], strlen(c->device_paths.v[i])));
	if (cJSON_GetArraySize(paths) > 0)
		cfir_hunt_finding(fs, sel, "host-device", "linux.devices", paths);
	else
		cJSON_Delete(paths);
}

static bool
has_option(const struct cfir_oci_mount *m, const char *opt)
{
	size_t i;

	for (i = 0; i < m->options.n; i++)
		if (strcmp(m->options.v[i], opt) == 0)
			return true;
	return false;
}

/* P inside DIR, with no "." or ".." component to climb out of it. */
static bool
plainly_inside(const char *p, const char *dir)
{
	return cfir_path_inside(p, dir) && strstr(p, "/../") == NULL && strstr(p, "/./") == NULL &&
	       strcmp(cfir_path_base(p), "..") != 0 && strcmp(cfir_path_base(p), ".") != 0;
}

/*
 * The runtime's own files for this container (its hosts, hostname and
 * resolv.conf, its /dev/shm, a pod's own volumes under the kubelet's
 * directory for it): the engine's inspect does not list them as mounts.
 */
static bool
runtime_own(const char *src, const char *dst, const char *pod_uid)
{
	static const char *const files[] = {
		"/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/dev/shm", "/dev/termination-log",
	};
	static const char *const dirs[] = {
		"/var/lib/docker/containers", "/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes",
		"/run/containerd/io.containerd.grpc.v1.cri/sandboxes", "/var/lib/containers/storage",
		"/run/containers/storage", "/var/run/containers/storage", "/var/lib/kubelet/pods",
	};
	char pod[256];
	size_t i, j;

	for (i = 0; dst != NULL && i < sizeof(files) / sizeof(files[0]); i++)
		for (j = 0; strcmp(dst, files[i]) == 0 && j < sizeof(dirs) / sizeof(dirs[0]); j++)
			if (plainly_inside(src, dirs[j]))
				return true;
	/* a pod's UID names one directory, whole */
	if (pod_uid == NULL || *pod_uid == '\0' || strlen(pod_uid) > 200 || strchr(pod_uid, '/') != NULL ||
	    strcmp(pod_uid, "..") == 0 || strcmp(pod_uid, ".") == 0)
		return false;
	snprintf(pod, sizeof(pod), "/var/lib/kubelet/pods/%s", pod_uid);
	return plainly_inside(src, pod);
}

static void
mounts(const struct cfir_oci_config *c, const char *pod_uid, const struct cfir_hunt_sel *sel, cJSON *fs)
{
	static const char *const keys[3] = { "source", "destination", "rw" };
	char field[48];
	const char *check;
	size_t i;

	for (i = 0; i < c->n_mounts; i++) {
		const struct cfir_oci_mount *m = &c->mounts[i];
		bool rw = !has_option(m, "ro") && !has_option(m, "rro");

		if (cfir_hunt_sa_token(m->destination)) {
			snprintf(field, sizeof(field), "mounts[%zu].destination", i);
			cfir_hunt_finding(fs, sel, "k8s-sa-token", field, cfir_hunt_bytes(m->destination, strlen(m->destination)));
		}
		if (m->source == NULL || (!cfir_hunt_str_is(m->type, "bind") && !has_option(m, "bind") && !has_option(m, "rbind")))
			continue;
		if (runtime_own(m->source, m->destination, pod_uid))
			continue;
		if ((check = cfir_hunt_mount_check(m->source, m->destination, rw)) != NULL) {
			snprintf(field, sizeof(field), "mounts[%zu].source", i);
			cfir_hunt_finding(fs, sel, check, field, cfir_hunt_mount_value(keys, m->source, m->destination, rw));
		}
	}
}

/* A pod's image as the CRI annotations name it: a tag is not a digest. */
static void
image(const struct cfir_oci_k8s *k, const struct cfir_hunt_sel *sel, cJSON *fs)
{
	char field[80];

	if (k->image == NULL || cfir_hunt_image_pinned(k->image))
		return;
	snprintf(field, sizeof(field), "annotations[%s]",
		 strcmp(k->source, "cri-o") == 0 ? "io.kubernetes.cri-o.ImageName" : "io.kubernetes.cri.image-name");
	cfir_hunt_finding(fs, sel, "image-not-pinned", field, cfir_hunt_bytes(k->image, strlen(k->image)));
}

void
cfir_hunt_oci(const struct cfir_oci_config *c, const struct cfir_hunt_sel *sel, cJSON *fs)
{
	bool all = caps_distinct(&c->cap_bounding) >= CAPS_ALL;
	bool priv = all && c->has_linux && !c->has_seccomp && c->devices_allow_all;
	cJSON *names = cJSON_CreateArray();
	struct cfir_oci_k8s k;
	size_t i;

	cfir_oci_k8s(c, &k);
	if (priv)
		cfir_hunt_finding(fs, sel, "privileged", CAPS_FIELD, cJSON_CreateTrue());
	mounts(c, k.uid, sel, fs);
	if (c->has_linux)
		namespaces(c, sel, fs);
	/* privileged already holds every capability and every device: one finding says it */
	if (!priv && c->has_process)
		capabilities(c, all, sel, fs);
	security(c, sel, fs);
	selinux(c, priv, sel, fs);
	if (!priv)
		devices(c, sel, fs);
	for (i = 0; i < c->env.n; i++)
		cfir_hunt_secret_add(names, c->env.v[i]);
	cfir_hunt_secret_env(fs, sel, "process.env", names);
	if (!c->root_readonly)
		cfir_hunt_finding(fs, sel, "rootfs-writable", "root.readonly",
			c->has_root_readonly ? cJSON_CreateFalse() : cJSON_CreateNull());
	if (c->has_linux)
		limits(c, sel, fs);
	image(&k, sel, fs);
}
