/* target-runtime.c - a container described from its runtime's state on the host
 *
 * The trust model of target.c, with the runtime as the host-side source:
 * the state directories and the bundle are root-owned and give the host
 * paths (the bundle, the root's mount point, the network namespace's
 * handle); the writable layer is what the host's own mount table says is
 * mounted at the bundle's root. What the container controls (the
 * annotations: names, image) is data, kept exact.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/nsfs.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/enginestate.h"
#include "common/target.h"
#include "common/util.h"

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/*
 * A runtime's ID names directories in the bag: a letter or digit, then
 * letters, digits and "_.+-", at most 64.
 */
static bool
id_ok(const char *id)
{
	size_t n = strlen(id);

	return n > 0 && n <= 64 && strchr("_.+-", id[0]) == NULL && strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.+-") == n;
}

/* A host path of the runtime's state, under ROOT when one is given (tests). */
static int
open_under(const char *root, const char *path)
{
	cleanup_free char *p = NULL;

	if (root == NULL || strcmp(root, "/") == 0)
		return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (asprintf(&p, "%s%s", root, path) < 0)
		return -1;
	return open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* The bundle's config.json, its exact bytes kept and parsed. */
static int
read_config(struct cfir_target *t, const char *root, struct cfir_err *err)
{
	cleanup_close int fd = -1;

	if (t->bundle == NULL)
		return 0;
	fd = open_under(root, t->bundle);
	if (fd < 0 && errno == ENOENT)
		return 0;	/* removed since: a container described by its state alone */
	if (fd < 0)
		return cfir_err_set(err, cfir_err_sys_exit(errno), errno, "bundle '%s'", t->bundle);
	if (cfir_oci_read(fd, "config.json", CFIR_OCI_CONFIG_MAX, &t->config_raw, &t->config_len, err) < 0)
		return cfir_err_wrap(err, "bundle '%s'", t->bundle);
	t->oci = calloc(1, sizeof(*t->oci));
	if (t->oci == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "config.json");
	if (cfir_oci_config_parse(t->oci, t->config_raw, t->config_len, err) < 0)
		return cfir_err_wrap(err, "'%s/config.json'", t->bundle);
	return 0;
}

/* runc's state.json or crun's status, bytes kept; absent is no error. */
static void
read_state(struct cfir_target *t, const char *root)
{
	static const char *const names[] = { "state.json", "status" };
	cleanup_close int fd = -1;
	struct cfir_err ierr = { 0 };
	size_t i;

	if (t->state_dir == NULL || (fd = open_under(root, t->state_dir)) < 0)
		return;
	for (i = 0; i < 2; i++)
		if (cfir_oci_read(fd, names[i], CFIR_OCI_STATE_MAX, &t->state_raw, &t->state_len, &ierr) == 0) {
			t->state_file = names[i];
			return;
		}
}

/* The host-side links of a lower directory (overlay2's l/) resolved. */
static void
real_lowers(struct cfir_rootfs *r)
{
	size_t i;

	for (i = 0; i < r->nlower; i++) {
		char *p = realpath(r->lower[i], NULL);

		if (p != NULL) {
			free(r->lower[i]);
			r->lower[i] = p;
		}
	}
}

/*
 * The writable layer: the host's own mount at the bundle's root (the
 * runtime's mount point, root-owned) when it is an overlay.
 */
static int
read_layer(struct cfir_target *t, const char *proc, struct cfir_err *err)
{
	cleanup_free char *path = NULL, *line = NULL;
	cleanup_close int fd = -1;
	const char *root = t->oci ? t->oci->root_path : NULL;
	struct cfir_mount m;
	struct cfir_rootfs r = { 0 };

	if (root == NULL)
		return 0;
	if (root[0] == '/')
		t->merged = strdup(root);
	else if (t->bundle == NULL || asprintf(&t->merged, "%s/%s", t->bundle, root) < 0)
		t->merged = NULL;
	if (t->merged == NULL || asprintf(&path, "%s/self/mountinfo", proc) < 0)
		return t->bundle == NULL ? 0 : cfir_err_set(err, EX_OSERR, ENOMEM, "rootfs");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || cfir_mountinfo_last(fd, t->merged, &line, NULL) < 0 || line == NULL)
		return 0;	/* not mounted: a stopped container, said by rootfs_check */
	/* kept as read: cfir_target_rootfs compares with it rather than read it again */
	t->host_mount = strdup(line);
	if (cfir_mountinfo_overlay(line, &m, &r, NULL) < 0 || strcmp(m.fstype, "overlay") != 0 ||
	    r.upper == NULL) {
		free(t->host_mount);
		t->host_mount = NULL;
		t->driver = dup_or_null(m.fstype);
		cfir_mountinfo_rootfs_free(&r);
		return 0;
	}
	real_lowers(&r);
	t->driver = strdup("overlay");
	t->graph = r;
	return 0;
}

/* The runtime's handle on the network namespace it joined: an nsfs file, else none. */
static void
read_netns(struct cfir_target *t)
{
	cleanup_close int fd = -1;
	size_t i;

	for (i = 0; t->oci != NULL && i < t->oci->n_ns; i++) {
		const struct cfir_oci_ns *ns = &t->oci->ns[i];

		if (ns->type == NULL || strcmp(ns->type, "network") != 0 || ns->path == NULL || ns->path[0] != '/')
			continue;
		fd = open(ns->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd >= 0 && ioctl(fd, NS_GET_NSTYPE) == CLONE_NEWNET)
			t->netns_path = strdup(ns->path);
		return;
	}
}

/* The runtime's words for the state, in the engine's: running, paused, exited. */
static void
set_state(struct cfir_target *t, const struct cfir_runtime_entry *e)
{
	const char *s = e->state ? e->state : "unknown";

	t->running = e->has_pid && (strcmp(s, "running") == 0 || strcmp(s, "frozen") == 0);
	t->paused = t->running && strcmp(s, "frozen") == 0;
	t->status = strdup(t->paused ? "paused" : t->running ? "running" : strcmp(s, "stopped") == 0 ? "exited" : s);
	t->pid = t->running ? e->pid : 0;
	t->pid_checked = t->running && e->pid_checked;
	if (strcmp(s, "pid reused") == 0)
		t->refused_pid = e->recorded_pid;
}

static int
take_entry(struct cfir_target *t, const struct cfir_runtime_entry *e)
{
	t->runtime = e->runtime;
	t->rt_ns = dup_or_null(e->ns);
	t->bundle = dup_or_null(e->bundle);
	t->state_dir = dup_or_null(e->state_dir);
	t->k8s_ns = dup_or_null(e->k8s_ns);
	t->k8s_pod = dup_or_null(e->k8s_pod);
	t->k8s_container = dup_or_null(e->k8s_container);
	t->k8s_uid = dup_or_null(e->k8s_uid);
	t->k8s_sandbox_id = dup_or_null(e->k8s_sandbox_id);
	t->sandbox = e->sandbox;
	return (e->ns && !t->rt_ns) || (e->bundle && !t->bundle) || (e->state_dir && !t->state_dir) ||
	       (e->k8s_ns && !t->k8s_ns) || (e->k8s_pod && !t->k8s_pod) ||
	       (e->k8s_container && !t->k8s_container) || (e->k8s_uid && !t->k8s_uid) ||
	       (e->k8s_sandbox_id && !t->k8s_sandbox_id) ? -1 : 0;
}

bool
cfir_target_in_storage(const struct cfir_runtime_entry *e)
{
	return e->name == NULL && e->manager != NULL &&
	       (strcmp(e->manager, "podman") == 0 || strcmp(e->manager, "cri-o") == 0);
}

int
cfir_target_engine_names(const struct cfir_runtime_entry *e, const char *rootfs,
			 const struct cfir_storage *st, struct cfir_enginestate *d)
{
	struct cfir_storage *own = NULL;
	struct cfir_err ierr = { 0 };
	int r;

	memset(d, 0, sizeof(*d));
	if (e->name != NULL)
		return -1;	/* the Kubernetes name is the name */
	if (e->ns != NULL && strcmp(e->ns, "moby") == 0)
		return cfir_enginestate_load(d, NULL, rootfs, e->id, &ierr);
	if (!cfir_target_in_storage(e))
		return -1;
	if (st == NULL && cfir_enginestate_storage_open(NULL, &own, &ierr) < 0)
		return -1;
	r = cfir_enginestate_storage_find(st ? st : own, e->id, d, &ierr);
	cfir_enginestate_storage_close(own);
	return r;
}

/* The name and image the engine keeps on disk: it does not answer, or there is none. */
static void
engine_names(struct cfir_target *t, const struct cfir_runtime_entry *e, const struct cfir_storage *st)
{
	struct cfir_enginestate d;

	if (cfir_target_engine_names(e, t->oci ? t->oci->root_path : NULL, st, &d) < 0)
		return;
	if (d.name != NULL) {
		free(t->name);
		t->name = steal_pointer(&d.name);
	}
	if (t->image == NULL)
		t->image = steal_pointer(&d.image);
	cfir_enginestate_free(&d);
}

/* The one container whose engine named it REF on disk (dockerd's, Podman's); two are ambiguous. */
static int
by_engine_name(const struct cfir_runtime_list *l, const char *ref, const struct cfir_runtime_entry **ep,
	       struct cfir_err *err)
{
	struct cfir_storage *st = NULL;
	struct cfir_err ierr = { 0 };
	size_t i, n = 0;

	*ep = NULL;
	for (i = 0; i < l->n && st == NULL; i++)
		if (cfir_target_in_storage(&l->v[i]))
			cfir_enginestate_storage_open(NULL, &st, &ierr);
	for (i = 0; i < l->n; i++) {
		struct cfir_enginestate d;
		bool same;

		if (cfir_target_engine_names(&l->v[i], NULL, st, &d) < 0)
			continue;
		same = d.name != NULL && strcmp(d.name, ref) == 0;
		cfir_enginestate_free(&d);
		if (same && n++ == 0)
			*ep = &l->v[i];
	}
	cfir_enginestate_storage_close(st);
	if (n > 1) {
		*ep = NULL;
		return cfir_err_set(err, EX_USAGE, 0, "'%s' is an ambiguous name: %zu engines named a container so", ref, n);
	}
	return *ep != NULL ? 0 : cfir_err_set(err, EX_NOINPUT, 0, "no such container: '%s'", ref);
}

int
cfir_target_from_runtime(struct cfir_target *t, const struct cfir_runtime_entry *e,
			 const char *root, const struct cfir_storage *st, struct cfir_err *err)
{
	if (!id_ok(e->id))
		return cfir_err_set(err, EX_DATAERR, 0, "the runtime's ID is not a container ID (%zu bytes)",
				    strlen(e->id));
	snprintf(t->id, sizeof(t->id), "%s", e->id);
	snprintf(t->id12, sizeof(t->id12), "%.12s", e->id);
	t->source = "runtime";
	t->manager = e->manager;
	t->name = strdup(e->name ? e->name : t->id12);
	t->image = dup_or_null(e->image);
	set_state(t, e);
	if (t->name == NULL || t->status == NULL || take_entry(t, e) < 0)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "target");
	if (read_config(t, root, err) < 0)
		return -1;
	read_state(t, root);
	read_netns(t);
	engine_names(t, e, st);
	return read_layer(t, "/proc", err);
}

int
cfir_target_resolve_runtime(const char *root, const char *proc, const char *ref,
			    struct cfir_target **tp, struct cfir_err *err)
{
	struct cfir_runtime_list l;
	const struct cfir_runtime_entry *e = NULL;
	struct cfir_target *t;
	int r = -1;

	*tp = NULL;
	if (*ref == '\0' || strlen(ref) > 1024)
		return cfir_err_set(err, EX_USAGE, 0, "'%.64s' is not a container name or ID", ref);
	if (cfir_runtime_list(root, proc, &l, err) < 0)
		return -1;
	if (cfir_runtime_find(&l, ref, &e, err) < 0 && err->exit == EX_NOINPUT && strchr(ref, '/') == NULL) {
		cfir_err_clear(err);
		by_engine_name(&l, ref, &e, err);
	}
	if (e != NULL) {
		t = calloc(1, sizeof(*t));
		if (t == NULL)
			cfir_err_set(err, EX_OSERR, ENOMEM, "target");
		else if (cfir_target_from_runtime(t, e, root, NULL, err) < 0)
			cfir_target_free(t);
		else
			*tp = t, r = 0;
	}
	cfir_runtime_list_free(&l);
	return r;
}

void
cfir_target_add_runtime(struct cfir_target *t, const struct cfir_runtime_entry *e)
{
	struct cfir_err ierr = { 0 };

	if (t->runtime != NULL || e == NULL || strcmp(e->id, t->id) != 0)
		return;
	if (take_entry(t, e) == 0 && read_config(t, NULL, &ierr) == 0) {
		read_state(t, NULL);
		if (t->netns_path == NULL)
			read_netns(t);
	}
}
