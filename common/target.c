/* target.c - container resolution and its rootfs */

/*
 * The trust model. The container is the attacker: every byte it controls
 * (its mount table, its /proc/PID/root, names, counts) is hostile data. A
 * fact that names a place on the host comes from a host-side source only:
 *
 *   fact                       trusted source                 compared, never followed
 *   upperdir, lowerdirs        the engine's GraphDriver.Data  the container's mountinfo
 *   (the writable layer)       (later: the runtime's bundle
 *                              or snapshot), confirmed by the
 *                              host's own mount at MergedDir
 *   membership of processes    the container's cgroup, read   a PID namespace that is
 *                              from the host; its PID          shared (the host's or
 *                              namespace when it is its own    another container's)
 *   network namespace          /proc/<init>/ns/net through the
 *                              init's /proc fd, its cgroup
 *                              checked (cfir_target_pidfd)
 *   socket rows                sock_diag netlink in that       /proc/net text, where a
 *                              namespace, length-delimited     name can forge rows
 *   a process                  one /proc/PID directory fd for  a PID looked up twice
 *                              the check and every read
 *
 * A mismatch between the trusted fact and the container's view (a root
 * that was remounted or pivoted) is reported, recorded in custody and a
 * hunt finding (rootfs-remounted); it never decides what the host reads.
 * New sources (containerd, CRI-O, a dead host's disk) fill the same
 * fields from their own host-side state and keep the same comparisons.
 */
#include <errno.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/nsfs.h>
#include <unistd.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/out.h"
#include "common/disk.h"
#include "common/target.h"
#include "common/util.h"

#define PROC_FILE_MAX (4u << 20)

static bool
jbool(const cJSON *o, const char *a, const char *b)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, a);

	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, b));
}

static bool
is_hex(const char *s, size_t n)
{
	return strspn(s, "0123456789abcdef") == n;
}

static char *
xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

int
cfir_target_from_inspect(struct cfir_target *t, const char *raw, size_t len,
			 struct cfir_err *err)
{
	const cJSON *pid, *gd;
	const char *id, *name, *lower;

	t->inspect = cJSON_ParseWithLength(raw, len);
	if (!cJSON_IsObject(t->inspect))
		return cfir_err_set(err, EX_DATAERR, 0, "engine: inspect reply is not a JSON object");
	t->inspect_raw = malloc(len + 1);
	if (t->inspect_raw == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "inspect");
	memcpy(t->inspect_raw, raw, len);
	t->inspect_raw[len] = '\0';
	t->inspect_len = len;
	t->source = "engine";

	id = cfir_json_str(t->inspect, "Id");
	if (id == NULL || strlen(id) != 64 || !is_hex(id, 64))
		return cfir_err_set(err, EX_DATAERR, 0, "engine: inspect reply has no valid Id");
	memcpy(t->id, id, 65);
	memcpy(t->id12, id, 12);
	t->id12[12] = '\0';
	name = cfir_json_str(t->inspect, "Name");
	t->name = xstrdup(name && name[0] == '/' ? name + 1 : name ? name : t->id12);
	t->image = xstrdup(cfir_json_str(cfir_json_get(t->inspect, "Config"), "Image"));
	t->image_id = xstrdup(cfir_json_str(t->inspect, "Image"));
	t->status = xstrdup(cfir_json_str(cfir_json_get(t->inspect, "State"), "Status"));
	t->running = jbool(t->inspect, "State", "Running");
	t->paused = jbool(t->inspect, "State", "Paused");
	t->tty = jbool(t->inspect, "Config", "Tty");
	pid = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(t->inspect, "State"), "Pid");
	t->pid = cJSON_IsNumber(pid) && pid->valuedouble > 0 &&
			 pid->valuedouble < INT_MAX ? (pid_t)pid->valuedouble : 0;
	gd = cJSON_GetObjectItemCaseSensitive(t->inspect, "GraphDriver");
	t->driver = xstrdup(cfir_json_str(gd, "Name"));
	t->graph.upper = xstrdup(cfir_json_str(cfir_json_get(gd, "Data"), "UpperDir"));
	t->graph.work = xstrdup(cfir_json_str(cfir_json_get(gd, "Data"), "WorkDir"));
	t->merged = xstrdup(cfir_json_str(cfir_json_get(gd, "Data"), "MergedDir"));
	lower = cfir_json_str(cfir_json_get(gd, "Data"), "LowerDir");
	if (lower != NULL) {
		cleanup_free char *opt = NULL;

		if (asprintf(&opt, "lowerdir=%s", lower) < 0 ||
		    cfir_mountinfo_overlay_opts(opt, &t->graph, err) < 0)
			return cfir_err_set(err, EX_DATAERR, 0, "engine: GraphDriver.Data.LowerDir");
	}
	if (t->name == NULL || t->status == NULL)
		return cfir_err_set(err, EX_DATAERR, 0, "engine: inspect reply lacks Name or State");
	return 0;
}

static int
inspect(struct cfir_engine *e, const char *ref, struct cfir_target *t,
	struct cfir_err *err)
{
	cleanup_free char *esc = cfir_engine_escape(ref), *path = NULL, *raw = NULL;
	size_t len = 0;

	if (esc == NULL || asprintf(&path, "/containers/%s/json", esc) < 0)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "inspect");
	if (cfir_engine_call(e, "GET", path, NULL, &raw, &len, err) < 0)
		return -1;
	return cfir_target_from_inspect(t, raw, len, err);
}

static void
target_clear(struct cfir_target *t)
{
	free(t->name);
	free(t->image);
	free(t->image_id);
	free(t->status);
	free(t->driver);
	free(t->rootfs_check);
	free(t->merged);
	free(t->inspect_raw);
	cJSON_Delete(t->inspect);
	free(t->rt_ns);
	free(t->bundle);
	free(t->state_dir);
	free(t->netns_path);
	free(t->host_mount);
	if (t->oci != NULL)
		cfir_oci_config_free(t->oci);
	free(t->oci);
	free(t->config_raw);
	free(t->state_raw);
	free(t->k8s_ns);
	free(t->k8s_pod);
	free(t->k8s_container);
	free(t->k8s_uid);
	free(t->k8s_sandbox_id);
	cfir_mountinfo_rootfs_free(&t->rootfs);
	cfir_mountinfo_rootfs_free(&t->graph);
	if (t->layers != NULL)
		cfir_disk_layers_free(t->layers);
	free(t->layers);
	free(t->disk_config_name);
	free(t->disk_config_raw);
	free(t->disk_hostconfig_raw);
	memset(t, 0, sizeof(*t));
}

void
cfir_target_free(struct cfir_target *t)
{
	if (t == NULL)
		return;
	target_clear(t);
	free(t);
}

/* Why the engine's answer did not identify one container: list the candidates. */
static int
ambiguous(struct cfir_engine *e, const char *ref, struct cfir_err *err)
{
	cleanup_cjson cJSON *list = NULL;
	char cands[400] = "";
	const cJSON *c, *names;
	size_t n = 0, used = 0, reflen = strlen(ref);
	const char *id, *nm;

	if (cfir_engine_json(e, "GET", "/containers/json?all=1", NULL, &list, err) < 0)
		return -1;
	cJSON_ArrayForEach(c, list) {
		id = cfir_json_str(c, "Id");
		if (id == NULL || strncmp(id, ref, reflen) != 0)
			continue;
		names = cJSON_GetObjectItemCaseSensitive(c, "Names");
		nm = cJSON_IsArray(names) && cJSON_IsString(names->child)
			     ? names->child->valuestring : "/";
		if (used < sizeof(cands) - 40)
			used += (size_t)snprintf(cands + used, sizeof(cands) - used,
						 "%s%.12s (%.40s)", n ? ", " : "", id,
						 nm[0] == '/' ? nm + 1 : nm);
		n++;
	}
	if (n > 1)
		return cfir_err_set(err, EX_USAGE, 0,
				    "'%s' is an ambiguous ID prefix: %zu containers match: %s",
				    ref, n, cands);
	return -1;
}

static int
check_ref(const char *ref, struct cfir_err *err)
{
	if (*ref == '\0')
		return cfir_err_set(err, EX_USAGE, 0, "empty container name");
	if (strlen(ref) > 256 || strchr(ref, '/') != NULL)
		return cfir_err_set(err, EX_USAGE, 0, "'%s' is not a container name or ID", ref);
	return 0;
}

int
cfir_target_resolve(struct cfir_engine *e, const char *ref,
		    struct cfir_target **tp, struct cfir_err *err)
{
	struct cfir_target *t;
	struct cfir_err aerr = { 0 };

	*tp = NULL;
	if (check_ref(ref, err) < 0)
		return -1;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "target");
	/* the engine resolves full ID, name and unique prefix in that order */
	if (inspect(e, ref, t, err) < 0) {
		/* engines word an ambiguous prefix differently (HTTP 404, 500) */
		if (cfir_engine_status(e) >= 400 && is_hex(ref, strlen(ref)) &&
		    ambiguous(e, ref, &aerr) < 0 && aerr.exit == EX_USAGE)
			*err = aerr;
		else if (err->exit == EX_NOINPUT)
			cfir_err_set(err, EX_NOINPUT, 0, "no such container: '%s'", ref);
		cfir_target_free(t);
		return -1;
	}
	*tp = t;
	return 0;
}

/* What the runtime keeps of T, moved into FRESH: the engine's view alone does not have it. */
static void
keep_runtime(struct cfir_target *fresh, struct cfir_target *t)
{
#define MOVE(f) do { fresh->f = t->f; t->f = NULL; } while (0)
	fresh->runtime = t->runtime;
	fresh->state_file = t->state_file;
	fresh->sandbox = t->sandbox;
	fresh->config_len = t->config_len;
	fresh->state_len = t->state_len;
	MOVE(rt_ns);
	MOVE(bundle);
	MOVE(state_dir);
	MOVE(netns_path);
	MOVE(host_mount);
	MOVE(oci);
	MOVE(config_raw);
	MOVE(state_raw);
	MOVE(k8s_ns);
	MOVE(k8s_pod);
	MOVE(k8s_container);
	MOVE(k8s_uid);
	MOVE(k8s_sandbox_id);
	MOVE(layers);
#undef MOVE
}

int
cfir_target_refresh(struct cfir_engine *e, struct cfir_target *t,
		    struct cfir_err *err)
{
	struct cfir_target fresh = { 0 };

	if (inspect(e, t->id, &fresh, err) < 0) {
		target_clear(&fresh);
		return -1;
	}
	/* keep the rootfs already read and what the runtime keeps; take the new engine view */
	fresh.rootfs = t->rootfs;
	fresh.rootfs_from = t->rootfs_from;
	fresh.rootfs_check = t->rootfs_check;
	fresh.rootfs_mismatch = t->rootfs_mismatch;
	fresh.pid_checked = t->pid_checked && fresh.pid == t->pid;
	keep_runtime(&fresh, t);
	memset(&t->rootfs, 0, sizeof(t->rootfs));
	t->rootfs_check = NULL;
	target_clear(t);
	*t = fresh;
	return 0;
}

int
cfir_target_pidfd(const struct cfir_target *t, const char *proc, struct cfir_err *err)
{
	cleanup_free char *cg = NULL;
	cleanup_close int pfd = -1;
	char path[PATH_MAX];
	size_t len = 0;

	if (t->pid <= 0)
		return cfir_err_set(err, EX_UNAVAILABLE, 0, "container '%s' is %s: it has no process",
				    t->name, t->status);
	snprintf(path, sizeof(path), "%s/%d", proc, (int)t->pid);
	pfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0 || cfir_util_read_file(pfd, "cgroup", PROC_FILE_MAX, &cg, &len, NULL, NULL) < 0 ||
	    !cfir_runtime_cgroup_names(cg, len, t->id))
		return cfir_err_set(err, EX_TEMPFAIL, 0, "PID %d is no longer container %s's init process",
				    (int)t->pid, t->id12);
	return cfir_steal_fd(&pfd);
}

int
cfir_target_netns(const struct cfir_target *t, const char *proc, bool *moved, struct cfir_err *err)
{
	const cJSON *ns = cJSON_GetObjectItemCaseSensitive(t->inspect, "NetworkSettings");
	const char *key = t->inspect ? cfir_json_str(ns, "SandboxKey") : t->netns_path;
	cleanup_close int pfd = -1, initfd = -1, sfd = -1;
	struct stat a, b;

	*moved = false;
	pfd = cfir_target_pidfd(t, proc, err);
	if (pfd < 0)
		return -1;
	initfd = openat(pfd, "ns/net", O_RDONLY | O_CLOEXEC);
	if (initfd < 0 || fstat(initfd, &a) < 0)
		return cfir_err_set(err, errno == EACCES || errno == EPERM ? EX_NOPERM : EX_TEMPFAIL, errno,
				    "network namespace of '%s' (pid %d)", t->name, (int)t->pid);
	/* the engine's (the runtime's) handle on the namespace it made, when it is one */
	if (key != NULL && key[0] == '/')
		sfd = open(key, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (sfd >= 0 && (ioctl(sfd, NS_GET_NSTYPE) != CLONE_NEWNET || fstat(sfd, &b) < 0)) {
		close(sfd);
		sfd = -1;
	}
	if (sfd < 0)
		return cfir_steal_fd(&initfd);
	/* an init that unshared its network namespace leaves the others in this one */
	*moved = a.st_ino != b.st_ino || a.st_dev != b.st_dev;
	return cfir_steal_fd(&sfd);
}

/* Is PID still this container's process (not a reused PID)? */
static bool
pid_is_ours(const struct cfir_target *t, const char *proc)
{
	cleanup_close int pfd = cfir_target_pidfd(t, proc, NULL);

	return pfd >= 0;
}

/* A host-side path with the host's own links resolved (overlay2's l/ links). */
static char *
real(const char *p)
{
	char *r = p ? realpath(p, NULL) : NULL;

	return r ? r : xstrdup(p);
}

/* Two host-side descriptions of the same layers: the engine's and the host's mount. */
static char *
host_check(const struct cfir_rootfs *h, const struct cfir_rootfs *g)
{
	char *msg = NULL;
	size_t i;

	if (h->upper == NULL || strcmp(h->upper, g->upper) != 0) {
		if (asprintf(&msg, "mismatch: the host's mount has upperdir '%s', the engine '%s'",
			     h->upper ? h->upper : "-", g->upper) < 0)
			return NULL;
		return msg;
	}
	if (h->nlower != g->nlower) {
		if (asprintf(&msg, "mismatch: the host's mount has %zu lowerdirs, the engine %zu",
			     h->nlower, g->nlower) < 0)
			return NULL;
		return msg;
	}
	for (i = 0; i < h->nlower; i++) {
		cleanup_free char *a = real(h->lower[i]), *b = real(g->lower[i]);

		if (a == NULL || b == NULL || strcmp(a, b) != 0) {
			if (asprintf(&msg, "mismatch: lowerdir %zu is '%s' in the host's mount, '%s' in the engine",
				     i, h->lower[i], g->lower[i]) < 0)
				return NULL;
			return msg;
		}
	}
	return NULL;
}

/* The last mount on MOUNTPOINT in PATH's mountinfo, parsed into M and R. */
static int
mount_at(const char *path, const char *mountpoint, char **line, struct cfir_mount *m,
	 struct cfir_rootfs *r, struct cfir_err *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);

	*line = NULL;
	if (fd < 0)
		return cfir_err_set(err, cfir_err_sys_exit(errno), errno, "open '%s'", path);
	if (cfir_mountinfo_last(fd, mountpoint, line, err) < 0)
		return cfir_err_wrap(err, "'%s'", path);
	if (*line == NULL)
		return 0;
	return cfir_mountinfo_overlay(*line, m, r, err);
}

/*
 * The container's own root against the host's mount of its overlay: the
 * same superblock (device, options) seen from its root. Only compared:
 * nothing here is resolved or opened.
 */
static char *
view_check(const struct cfir_mount *v, const struct cfir_rootfs *vr, const struct cfir_mount *h,
	   const struct cfir_rootfs *g)
{
	char *msg = NULL;

	if (h != NULL) {
		if (strcmp(v->fstype, h->fstype) == 0 && strcmp(v->majmin, h->majmin) == 0 &&
		    strcmp(v->root, "/") == 0 && strcmp(v->superopts, h->superopts) == 0)
			return NULL;
	} else if (vr->upper != NULL && strcmp(vr->upper, g->upper) == 0 && vr->nlower == g->nlower &&
		   strcmp(v->root, "/") == 0) {
		return NULL;
	}
	if (asprintf(&msg, "mismatch: the container's root is not the engine's overlay: its mountinfo "
			   "shows %.32s on device %.32s from '%.256s'%s%.256s%s (remounted or pivoted)",
		     v->fstype, v->majmin, v->root, vr->upper ? ", upperdir '" : "",
		     vr->upper ? vr->upper : "", vr->upper ? "'" : "") < 0)
		return NULL;
	return msg;
}

char *
cfir_target_root_check(const struct cfir_target *t, const char *proc, int pfd, char **host)
{
	cleanup_free char *path = NULL, *hline = NULL, *vline = NULL;
	cleanup_close int fd = -1;
	struct cfir_rootfs view = { 0 };
	struct cfir_mount hm, vm;
	char *msg = NULL;

	/* the host's mount line is read once for all the namespaces compared with it */
	if (*host == NULL) {
		cleanup_close int hfd = -1;

		if (t->merged == NULL || asprintf(&path, "%s/self/mountinfo", proc) < 0 ||
		    (hfd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
		    cfir_mountinfo_last(hfd, t->merged, host, NULL) < 0 || *host == NULL)
			return NULL;	/* nothing host-side to compare with */
	}
	hline = strdup(*host);
	if (hline == NULL || cfir_mountinfo_parse_line(hline, &hm) < 0)
		return NULL;
	fd = openat(pfd, "mountinfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || cfir_mountinfo_last(fd, "/", &vline, NULL) < 0 || vline == NULL ||
	    cfir_mountinfo_overlay(vline, &vm, &view, NULL) < 0) {
		cfir_mountinfo_rootfs_free(&view);
		return strdup("mismatch: its mount table cannot be compared");
	}
	msg = view_check(&vm, &view, &hm, &t->graph);
	cfir_mountinfo_rootfs_free(&view);
	return msg;
}

static int
set_check(struct cfir_target *t, char *msg, const char *fallback)
{
	t->rootfs_check = msg ? msg : strdup(fallback);
	t->rootfs_mismatch = t->rootfs_check != NULL && strncmp(t->rootfs_check, "mismatch", 8) == 0;
	return 0;
}

static int
rootfs_copy(struct cfir_rootfs *d, const struct cfir_rootfs *s, const char *fstype)
{
	size_t i;

	memset(d, 0, sizeof(*d));
	d->fstype = xstrdup(fstype);
	d->upper = xstrdup(s->upper);
	d->work = xstrdup(s->work);
	d->lower = calloc(s->nlower ? s->nlower : 1, sizeof(*d->lower));
	if (d->fstype == NULL || d->upper == NULL || d->lower == NULL)
		return -1;
	for (i = 0; i < s->nlower; i++) {
		d->lower[i] = strdup(s->lower[i]);
		if (d->lower[i] == NULL)
			return -1;
		d->nlower++;
	}
	return 0;
}

/* The root filesystem as the engine gives it, every earlier answer dropped. */
static int
rootfs_from_engine(struct cfir_target *t, bool overlay, struct cfir_err *err)
{
	char *msg = NULL;

	free(t->rootfs_check);
	t->rootfs_check = NULL;
	t->rootfs_mismatch = false;
	cfir_mountinfo_rootfs_free(&t->rootfs);
	t->rootfs_from = NULL;
	if (t->graph.upper == NULL || t->graph.upper[0] != '/') {
		if (t->inspect == NULL ? asprintf(&msg, "unavailable: no overlay is mounted at the bundle's root (%s)",
						  t->merged ? t->merged : "no root") < 0
				       : asprintf(&msg, "unavailable: the engine gave no overlay upper directory (storage driver '%s')",
						  t->driver ? t->driver : "none") < 0)
			msg = NULL;
		set_check(t, msg, "unavailable");
		return 0;
	}
	if (rootfs_copy(&t->rootfs, &t->graph, overlay ? "overlay" : t->driver) < 0)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "rootfs");
	t->rootfs_from = t->layers != NULL ? t->source : t->inspect ? "engine" : "runtime";
	return 0;
}

/*
 * The host's own mount at MergedDir (the bundle's root: the runtime source
 * read it already) into *LINE, M and R; *LINE NULL when there is none,
 * *UNCONFIRMED when it is there but cannot be read whole; in *MSG why it is
 * not what the engine (the runtime) said, NULL when it is.
 */
static void
host_mount(const struct cfir_target *t, const char *proc, char **line, struct cfir_mount *m,
	   struct cfir_rootfs *r, bool *unconfirmed, char **msg)
{
	cleanup_free char *path = NULL;
	struct cfir_err ierr = { 0 };
	int rc;

	*line = NULL;
	*msg = NULL;
	if (t->host_mount != NULL)
		rc = (*line = strdup(t->host_mount)) == NULL ? -1 : cfir_mountinfo_overlay(*line, m, r, &ierr);
	else if (t->merged == NULL || asprintf(&path, "%s/self/mountinfo", proc) < 0)
		return;
	else
		rc = mount_at(path, t->merged, line, m, r, &ierr);
	if (rc < 0 && *line != NULL) {
		free(*line);
		*line = NULL;
		*unconfirmed = true;
	} else if (*line != NULL) {
		*msg = strcmp(m->fstype, "overlay") != 0 ? strdup("mismatch: the host's mount at MergedDir is not overlay")
							 : host_check(r, &t->graph);
	}
}

int
cfir_target_rootfs(struct cfir_target *t, const char *proc, struct cfir_err *err)
{
	cleanup_free char *path = NULL, *hline = NULL, *vline = NULL, *msg = NULL;
	struct cfir_rootfs host = { 0 }, view = { 0 };
	struct cfir_mount hm, vm;
	struct cfir_err ierr = { 0 };
	bool overlay = t->driver != NULL && strncmp(t->driver, "overlay", 7) == 0, unconfirmed = false;
	int r = 0;

	if (rootfs_from_engine(t, overlay, err) < 0)
		return -1;
	if (t->pid <= 0) {
		if (t->rootfs_check == NULL)
			set_check(t, NULL, "unavailable: the container has no process");
		return 0;
	}
	t->pid_checked = pid_is_ours(t, proc);
	if (!t->pid_checked) {
		/* nothing half-made left for a later call to take as known */
		cfir_mountinfo_rootfs_free(&t->rootfs);
		t->rootfs_from = NULL;
		return cfir_err_set(err, EX_TEMPFAIL, 0,
				    "PID %d is no longer container %s's init process",
				    (int)t->pid, t->id12);
	}
	if (t->rootfs_from == NULL || !overlay)
		return 0;
	/* the host's own mount of the overlay the engine made (the runtime's: read already) */
	host_mount(t, proc, &hline, &hm, &host, &unconfirmed, &msg);
	if (msg != NULL) {
		cfir_mountinfo_rootfs_free(&host);
		return set_check(t, steal_pointer(&msg), "mismatch");
	}
	/* the container's view, compared only */
	cfir_err_clear(&ierr);
	if (asprintf(&path, "%s/%d/mountinfo", proc, (int)t->pid) < 0) {
		r = cfir_err_set(err, EX_OSERR, ENOMEM, "mountinfo");
	} else if (mount_at(path, "/", &vline, &vm, &view, &ierr) < 0 || vline == NULL) {
		if (asprintf(&msg, "mismatch: the container's mount table cannot be compared: %s",
			     vline == NULL && ierr.msg[0] == '\0' ? "no mount on '/'" : ierr.msg) < 0)
			msg = NULL;
		set_check(t, steal_pointer(&msg), "mismatch");
	} else {
		msg = view_check(&vm, &view, hline != NULL ? &hm : NULL, &t->graph);
		/* without the host's mount the container's own words were compared: no proof */
		set_check(t, steal_pointer(&msg),
			  hline != NULL ? "match" : unconfirmed ? "unconfirmed: the host's mount at MergedDir cannot be read"
								: "unconfirmed: no host mount at MergedDir; the container's upperdir agrees");
	}
	cfir_mountinfo_rootfs_free(&host);
	cfir_mountinfo_rootfs_free(&view);
	return r;
}

int
cfir_target_freezer(const struct cfir_target *t, char *buf, size_t n,
		    struct cfir_err *err)
{
	cleanup_free char *path = NULL, *cg = NULL, *state = NULL;
	cleanup_close int pfd = -1;
	char *line, *save = NULL, *cgpath = NULL, *v2 = NULL;

	if (t->pid <= 0)
		return cfir_err_set(err, EX_NOINPUT, 0, "container has no process");
	/* the init's cgroup through its checked fd, never a PID taken over meanwhile */
	pfd = cfir_target_pidfd(t, "/proc", err);
	if (pfd < 0 || cfir_util_read_file(pfd, "cgroup", PROC_FILE_MAX, &cg, NULL, NULL, err) < 0)
		return -1;
	for (line = strtok_r(cg, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (c2 == NULL)
			continue;
		*c2 = '\0';
		if (strcmp(c1 + 1, "freezer") == 0)
			cgpath = c2 + 1;
		else if (c1 == line + 1 && line[0] == '0' && c1[1] == '\0')
			v2 = c2 + 1;
	}
	if (cgpath != NULL && cgpath[0] == '/' && strstr(cgpath, "/..") == NULL) {
		if (asprintf(&path, "/sys/fs/cgroup/freezer%s/freezer.state", cgpath) < 0)
			return cfir_err_set(err, EX_OSERR, ENOMEM, "cgroup");
	} else if (v2 != NULL && v2[0] == '/' && strstr(v2, "/..") == NULL) {
		if (asprintf(&path, "/sys/fs/cgroup%s/cgroup.freeze", v2) < 0)
			return cfir_err_set(err, EX_OSERR, ENOMEM, "cgroup");
	} else {
		return cfir_err_set(err, EX_NOINPUT, 0, "no freezer cgroup for PID %d", (int)t->pid);
	}
	if (cfir_util_read_file(AT_FDCWD, path, 256, &state, NULL, NULL, err) < 0)
		return -1;
	state[strcspn(state, "\n")] = '\0';
	snprintf(buf, n, "%s", state);
	return 0;
}

static void
add_rootfs(cJSON *o, const char *key, const struct cfir_rootfs *r)
{
	cJSON *j = cJSON_AddObjectToObject(o, key), *l;
	size_t i;

	if (r->fstype != NULL)
		cfir_json_add_str(j, "fstype", r->fstype);
	l = cJSON_AddArrayToObject(j, "lowerdir");
	for (i = 0; i < r->nlower; i++)
		cJSON_AddItemToArray(l, cJSON_CreateString(r->lower[i]));
	cfir_json_add_str(j, "upperdir", r->upper);
	cfir_json_add_str(j, "workdir", r->work);
}

cJSON *
cfir_target_json(const struct cfir_target *t)
{
	cJSON *o = cJSON_CreateObject();

	cfir_json_add_str(o, "id", t->id);
	cfir_json_add_bytes(o, "name", t->name, strlen(t->name));
	cfir_json_add_text(o, "image", t->image);
	cfir_json_add_str(o, "image_id", t->image_id);
	cfir_json_add_str(o, "state", t->status);
	cJSON_AddBoolToObject(o, "paused", t->paused);
	cfir_json_add_num(o, "pid", t->pid);
	cfir_json_add_str(o, "driver", t->driver);
	cfir_json_add_str(o, "source", t->source);
	cfir_json_add_str(o, "runtime", t->runtime);
	cfir_json_add_str(o, "namespace", t->rt_ns);
	cfir_json_add_str(o, "bundle", t->bundle);
	if (t->refused_pid > 0)
		cfir_json_add_num(o, "refused_pid", t->refused_pid);
	if (t->k8s_pod != NULL) {
		cJSON *k = cfir_oci_k8s_json(t->k8s_ns, t->k8s_pod, t->k8s_container, t->k8s_uid, NULL);

		cJSON_AddBoolToObject(k, "sandbox", t->sandbox);
		cJSON_AddItemToObject(o, "kubernetes", k);
	}
	if (t->rootfs_from != NULL) {
		cfir_json_add_str(o, "rootfs_from", t->rootfs_from);
		add_rootfs(o, "rootfs", &t->rootfs);
	}
	/* the container's words can be in it: kept exact, escaped */
	if (t->rootfs_check != NULL)
		cfir_json_add_bytes(o, "rootfs_check", t->rootfs_check, strlen(t->rootfs_check));
	if (t->rootfs_mismatch)
		cJSON_AddBoolToObject(o, "rootfs_mismatch", true);
	return o;
}
