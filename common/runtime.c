/* runtime.c - the containers on the host, from their runtimes' state */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/freezer.h"
#include "common/oci.h"
#include "common/out.h"
#include "common/proc.h"
#include "common/runtime.h"
#include "common/util.h"

enum layout {
	LAYOUT_RUNC,	/* <root>/<id>/state.json */
	LAYOUT_CRUN,	/* <root>/<id>/status */
	LAYOUT_TASK,	/* <root>/<ns>/<id>/{config.json,init.pid,options.json} */
	LAYOUT_USERDATA,	/* <root>/<id>/userdata/{config.json,pidfile}: containers-storage */
};

struct root {
	const char *path;	/* below ROOT, without the leading '/' */
	const char *name;	/* short, for a column */
	enum layout layout;
	bool per_ns;		/* a namespace level first */
	const char *manager;	/* what the place says of who made its containers */
};

/* the bundles first, the runtimes' state after: on a merge the first source is kept */
static const struct root roots[] = {
	{ "var/lib/containers/storage/overlay-containers", "storage", LAYOUT_USERDATA, false, NULL },
	{ "run/containers/storage/overlay-containers", "storage/run", LAYOUT_USERDATA, false, NULL },
	{ "run/containerd/io.containerd.runtime.v2.task", "containerd", LAYOUT_TASK, true, "containerd" },
	{ "run/docker/containerd/daemon/io.containerd.runtime.v2.task", "docker/containerd", LAYOUT_TASK,
	  true, "docker" },
	{ "run/k3s/containerd/io.containerd.runtime.v2.task", "k3s", LAYOUT_TASK, true, "k3s" },
	{ "run/runc", "runc", LAYOUT_RUNC, false, NULL },
	{ "run/docker/runtime-runc", "docker/runc", LAYOUT_RUNC, true, "docker" },
	{ "run/containerd/runc", "containerd/runc", LAYOUT_RUNC, true, "containerd" },
	{ "run/k3s/containerd/runc", "k3s/runc", LAYOUT_RUNC, true, "k3s" },
	{ "run/crun", "crun", LAYOUT_CRUN, false, NULL },
};

struct scan {
	int rootfd;
	const char *proc;
	const char *only;	/* the one container's ID, NULL for all */
	struct cfir_runtime_list *l;
	size_t cap;
	unsigned seq;
	bool oom;
};

static bool
name_ok(const char *name)
{
	return name[0] != '\0' && strcmp(name, ".") != 0 && strcmp(name, "..") != 0 &&
	       strchr(name, '/') == NULL && strlen(name) < 256;
}

static int
open_dir(int dfd, const char *name)
{
	return openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* PATH (relative) under DFD one component at a time, no link followed. */
static int
open_path(int dfd, const char *path)
{
	char buf[1024], *p, *save = NULL;
	int fd = dup(dfd), next;

	if (fd < 0 || snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	for (p = strtok_r(buf, "/", &save); p != NULL; p = strtok_r(NULL, "/", &save)) {
		next = strcmp(p, "..") == 0 ? -1 : open_dir(fd, p);
		close(fd);
		if (next < 0)
			return -1;
		fd = next;
	}
	return fd;
}

static void
entry_free(struct cfir_runtime_entry *e)
{
	free(e->source), free(e->ns), free(e->id), free(e->bundle), free(e->state_dir), free(e->image);
	free(e->k8s_ns), free(e->k8s_pod), free(e->k8s_container), free(e->k8s_uid);
	free(e->k8s_sandbox_id), free(e->name);
	memset(e, 0, sizeof(*e));
}

static char *
dup_or_null(const char *s, bool *oom)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*oom = true;
	return d;
}

/* Podman or CRI-O when the annotations say so (see runtime.h), else NULL. */
static const char *
told_manager(const struct cfir_oci_config *c, const struct cfir_oci_k8s *k, bool is_k8s)
{
	const struct cfir_oci_kv *kv = cfir_oci_annotation(c, "io.container.manager");
	size_t i;

	if (kv != NULL && kv->value_len == 6 && memcmp(kv->value, "libpod", 6) == 0)
		return "podman";
	if (kv != NULL && kv->value_len == 5 && memcmp(kv->value, "cri-o", 5) == 0)
		return "cri-o";
	for (i = 0; i < c->annotations.n; i++)
		if (strncmp(c->annotations.v[i].key, "io.podman.", 10) == 0)
			return "podman";
	if (is_k8s && strcmp(k->source, "cri-o") == 0)
		return "cri-o";
	return NULL;
}

/* Told by the annotations, it outranks what a place says. */
static bool
manager_told(const char *m)
{
	return m != NULL && (strcmp(m, "podman") == 0 || strcmp(m, "cri-o") == 0);
}

/* The identity and image the bundle's annotations give (hostile, kept exact). */
static void
take_config(struct cfir_runtime_entry *e, const struct cfir_oci_config *c, bool *oom)
{
	struct cfir_oci_k8s k;
	bool is_k8s = cfir_oci_k8s(c, &k);
	const char *m = told_manager(c, &k, is_k8s);

	e->n_cut = c->n_cut;
	if (m != NULL)
		e->manager = m;
	if (!is_k8s)
		return;
	e->k8s_ns = dup_or_null(k.ns, oom);
	e->k8s_pod = dup_or_null(k.pod, oom);
	e->k8s_container = dup_or_null(k.container, oom);
	e->k8s_uid = dup_or_null(k.uid, oom);
	e->k8s_sandbox_id = dup_or_null(k.sandbox_id, oom);
	e->image = dup_or_null(k.image, oom);
	e->k8s_source = k.source;
	e->sandbox = k.is_sandbox;
	e->name = cfir_oci_k8s_name(&k);
}

/* BUNDLE's config.json, when there: a host path from root-owned state. */
static void
load_bundle(struct scan *sc, struct cfir_runtime_entry *e, int bundlefd)
{
	struct cfir_oci_config c;
	struct cfir_err err = { 0 };
	cleanup_close int fd = -1;

	if (bundlefd < 0) {
		if (e->bundle == NULL || e->bundle[0] != '/')
			return;
		if ((fd = open_path(sc->rootfd, e->bundle + 1)) < 0)
			return;
		bundlefd = fd;
	}
	if (cfir_oci_config_load(&c, bundlefd, "config.json", &err) < 0)
		return;
	take_config(e, &c, &sc->oom);
	cfir_oci_config_free(&c);
}

/* containerd's init.pid, containers-storage's pidfile: a decimal number and a newline at most. */
static void
read_pid_file(int dfd, const char *file, struct cfir_runtime_entry *e)
{
	cleanup_free char *buf = NULL;
	struct cfir_err err = { 0 };
	unsigned long v;
	size_t len = 0;
	bool cut = false;

	if (cfir_util_read_file(dfd, file, 32, &buf, &len, &cut, &err) < 0 || cut)
		return;
	if (len > 0 && buf[len - 1] == '\n')
		buf[len - 1] = '\0';
	if (cfir_util_parse_ulong(buf, 0x3fffffff, &v) == 0 && v > 0)
		e->recorded_pid = (pid_t)v;
}

/* runc's state.json or crun's status in DFD; false when it cannot be read. */
static bool
read_state(struct scan *sc, int dfd, enum layout layout, struct cfir_runtime_entry *e)
{
	struct cfir_oci_state s;
	struct cfir_err err = { 0 };

	if (cfir_oci_state_load(&s, dfd, layout == LAYOUT_RUNC ? "state.json" : "status", &err) < 0)
		return false;
	if (s.has_pid && s.pid > 0)
		e->recorded_pid = s.pid;
	e->has_start = s.has_start;
	e->start = s.start;
	e->bundle = dup_or_null(s.bundle, &sc->oom);
	cfir_oci_state_free(&s);
	load_bundle(sc, e, -1);
	return true;
}

static struct cfir_runtime_entry *
new_entry(struct scan *sc)
{
	struct cfir_runtime_list *l = sc->l;
	struct cfir_runtime_entry *e;

	if (l->n >= CFIR_RUNTIME_MAX) {
		l->dropped++;
		return NULL;
	}
	if (!cfir_util_grow((void **)&l->v, &sc->cap, l->n, sizeof(*l->v), 16, CFIR_RUNTIME_MAX)) {
		sc->oom = true;
		return NULL;
	}
	e = &l->v[l->n];
	memset(e, 0, sizeof(*e));
	return e;
}

/* PATH with its /var/run/ read as /run/: the link every distribution has, not followed. */
static char *
run_path(const char *path, bool *oom)
{
	char *p;

	if (strncmp(path, "/var/run/", 9) != 0)
		return dup_or_null(path, oom);
	if (asprintf(&p, "/run/%s", path + 9) < 0) {
		*oom = true;
		return NULL;
	}
	return p;
}

/*
 * containerd's options.json of a runc shim: the runtime's binary and its
 * state root, where runc keeps <ns>/<id>/state.json; root-owned.
 */
static void
read_options(struct scan *sc, int dfd, struct cfir_runtime_entry *e)
{
	cleanup_free char *buf = NULL, *root = NULL;
	cleanup_cjson cJSON *j = NULL;
	struct cfir_err err = { 0 };
	const char *bin, *r, *base;
	size_t len = 0;
	bool cut = false;

	if (cfir_util_read_file(dfd, "options.json", 64 << 10, &buf, &len, &cut, &err) < 0 || cut ||
	    (j = cJSON_ParseWithLength(buf, len)) == NULL)
		return;
	if ((bin = cfir_json_str(j, "binary_name")) != NULL) {
		base = strrchr(bin, '/') ? strrchr(bin, '/') + 1 : bin;
		e->runtime = strcmp(base, "runc") == 0 ? "runc" : strcmp(base, "crun") == 0 ? "crun" : NULL;
	}
	r = cfir_json_str(j, "root");
	if (r == NULL || r[0] != '/' || e->ns == NULL || (root = run_path(r, &sc->oom)) == NULL)
		return;
	if (asprintf(&e->state_dir, "%s/%s/%s", root, e->ns, e->id) < 0)
		e->state_dir = NULL, sc->oom = true;
}

/* A containerd task bundle in FD: false when it has no config.json. */
static bool
scan_task(struct scan *sc, int fd, const char *source, const char *name, struct cfir_runtime_entry *e)
{
	if (faccessat(fd, "config.json", F_OK, AT_SYMLINK_NOFOLLOW) != 0)
		return false;
	if (asprintf(&e->bundle, "%s/%s", source, name) < 0)
		e->bundle = NULL, sc->oom = true;
	read_pid_file(fd, "init.pid", e);
	read_options(sc, fd, e);
	load_bundle(sc, e, fd);
	return true;
}

/*
 * containers-storage's <id>/userdata in FD: Podman's config.json under
 * /var/lib, CRI-O's under /run, the pidfile under /run. 1 found, 0 nothing
 * there (a container never started, a build's), -1 a link or unreadable.
 */
static int
scan_userdata(struct scan *sc, int fd, const char *source, const char *name,
	      struct cfir_runtime_entry *e)
{
	cleanup_close int ufd = open_dir(fd, "userdata");
	bool conf, pidf;

	if (ufd < 0)
		return errno == ENOENT ? 0 : -1;
	conf = faccessat(ufd, "config.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	pidf = faccessat(ufd, "pidfile", F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	if (!conf && !pidf)
		return 0;
	if (conf) {
		if (asprintf(&e->bundle, "%s/%s/userdata", source, name) < 0)
			e->bundle = NULL, sc->oom = true;
		load_bundle(sc, e, ufd);
	}
	if (pidf)
		read_pid_file(ufd, "pidfile", e);
	return 1;
}

/* What the place says of the manager, when the annotations said nothing. */
static void
place_manager(struct cfir_runtime_entry *e, const struct root *r)
{
	if (e->manager != NULL)
		return;
	if (e->ns != NULL && strcmp(e->ns, "moby") == 0 && r->manager != NULL &&
	    strcmp(r->manager, "containerd") == 0)
		e->manager = "docker";
	else
		e->manager = r->manager;
}

/* The entry's fields from R, SOURCE and NS before its state is read. */
static void
entry_start(struct scan *sc, struct cfir_runtime_entry *e, const char *name, const struct root *r,
	    const char *source, const char *ns)
{
	e->runtime = r->layout == LAYOUT_CRUN ? "crun" : r->layout == LAYOUT_RUNC ? "runc" : NULL;
	e->source = dup_or_null(source, &sc->oom);
	e->source_name = r->name;
	e->ns = dup_or_null(ns, &sc->oom);
	e->id = dup_or_null(name, &sc->oom);
	e->seq = sc->seq++;
	if ((r->layout == LAYOUT_RUNC || r->layout == LAYOUT_CRUN) &&
	    asprintf(&e->state_dir, "%s/%s", source, name) < 0)
		e->state_dir = NULL, sc->oom = true;
}

/* One container's directory NAME under DFD, found under SOURCE. */
static void
scan_one(struct scan *sc, int dfd, const char *name, const struct root *r, const char *source,
	 const char *ns)
{
	struct cfir_runtime_entry *e;
	cleanup_close int fd = -1;
	int found;

	if (!name_ok(name) || (fd = open_dir(dfd, name)) < 0) {
		sc->l->skipped++;
		return;
	}
	if ((e = new_entry(sc)) == NULL)
		return;
	entry_start(sc, e, name, r, source, ns);
	if (r->layout == LAYOUT_TASK)
		found = scan_task(sc, fd, source, name, e) ? 1 : -1;
	else if (r->layout == LAYOUT_USERDATA)
		found = scan_userdata(sc, fd, source, name, e);
	else
		found = read_state(sc, fd, r->layout, e) ? 1 : -1;
	if (found <= 0 || sc->oom) {
		entry_free(e);
		if (found < 0 || sc->oom)
			sc->l->skipped++;
		return;
	}
	place_manager(e, r);
	sc->l->n++;
}

/* Each container directory of DFD (taken over). */
static void
scan_dir(struct scan *sc, int dfd, const struct root *r, const char *source, const char *ns)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	size_t seen = 0;

	if (d == NULL) {
		close(dfd);
		return;
	}
	while ((de = readdir(d)) != NULL && !sc->oom) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		/* containers-storage keeps its containers.json and lock beside them */
		if (r->layout == LAYOUT_USERDATA && de->d_type == DT_REG)
			continue;
		if (++seen > CFIR_RUNTIME_DIR_MAX) {
			sc->l->skipped++;
			break;
		}
		if (sc->only != NULL && strcmp(de->d_name, sc->only) != 0)
			continue;
		scan_one(sc, dirfd(d), de->d_name, r, source, ns);
	}
	closedir(d);
}

/* One root, at PATH (relative to the scan's root): each namespace of it first when R says so. */
static void
scan_root(struct scan *sc, const struct root *r, const char *path)
{
	int fd = open_path(sc->rootfd, path);
	cleanup_free char *source = NULL;
	struct dirent *de;
	size_t seen = 0;
	DIR *d;

	if (fd < 0)
		return;
	if (asprintf(&source, "/%s", path) < 0) {
		close(fd);
		sc->oom = true;
		return;
	}
	if (!r->per_ns) {
		scan_dir(sc, fd, r, source, NULL);
		return;
	}
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL && !sc->oom && seen < CFIR_RUNTIME_NS_MAX) {
		cleanup_free char *sub = NULL;
		int nfd;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		seen++;
		if (!name_ok(de->d_name) || (nfd = open_dir(dirfd(d), de->d_name)) < 0) {
			sc->l->skipped++;
			continue;
		}
		if (asprintf(&sub, "%s/%s", source, de->d_name) < 0) {
			close(nfd);
			sc->oom = true;
			break;
		}
		scan_dir(sc, nfd, r, sub, de->d_name);
	}
	closedir(d);
}

/* The roots $CFIR_RUNTIME_ROOTS names: absolute, runc's layout. */
static void
scan_env(struct scan *sc)
{
	static const struct root extra = { NULL, "env", LAYOUT_RUNC, false, NULL };
	const char *env = getenv("CFIR_RUNTIME_ROOTS");
	cleanup_free char *copy = NULL;
	char *p, *save = NULL;
	int n = 0;

	if (env == NULL || (copy = strdup(env)) == NULL)
		return;
	for (p = strtok_r(copy, ":", &save); p != NULL && n < CFIR_RUNTIME_ROOTS_MAX;
	     p = strtok_r(NULL, ":", &save), n++) {
		while (*p == '/')
			p++;
		if (*p != '\0')
			scan_root(sc, &extra, p);
	}
}

static int
cmp_entry(const void *a, const void *b)
{
	const struct cfir_runtime_entry *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	if (c == 0)
		c = strcmp(x->ns ? x->ns : "", y->ns ? y->ns : "");
	return c != 0 ? c : CFIR_UTIL_CMP(x->seq, y->seq);
}

#define TAKE(field) do { if (a->field == NULL) { a->field = b->field; b->field = NULL; } } while (0)

/* B, the same container seen under another root, into A: what A lacks. */
static void
merge(struct cfir_runtime_entry *a, struct cfir_runtime_entry *b)
{
	TAKE(ns);
	TAKE(bundle);
	TAKE(state_dir);
	TAKE(image);
	if (a->runtime == NULL)
		a->runtime = b->runtime;
	if (a->manager == NULL || (!manager_told(a->manager) && manager_told(b->manager)))
		a->manager = b->manager;
	if (a->name == NULL) {
		TAKE(name);
		TAKE(k8s_ns);
		TAKE(k8s_pod);
		TAKE(k8s_container);
		TAKE(k8s_uid);
		TAKE(k8s_sandbox_id);
		a->k8s_source = b->k8s_source;
		a->sandbox = b->sandbox;
	}
	/* the runtime's PID and start time over a bare pidfile's */
	if (a->recorded_pid == 0 || (!a->has_start && b->has_start && b->recorded_pid > 0)) {
		a->recorded_pid = b->recorded_pid;
		a->has_start = b->has_start;
		a->start = b->start;
	}
	a->n_cut += b->n_cut;
	entry_free(b);
}

/* Sorted by ID; one ID seen twice (no namespace or the same one) is one. */
static void
dedup(struct cfir_runtime_list *l)
{
	size_t i, out = 0;

	if (l->n == 0)
		return;
	qsort(l->v, l->n, sizeof(*l->v), cmp_entry);
	for (i = 1; i < l->n; i++) {
		struct cfir_runtime_entry *a = &l->v[out], *b = &l->v[i];
		bool same_ns = a->ns == NULL || b->ns == NULL || strcmp(a->ns, b->ns) == 0;

		if (strcmp(a->id, b->id) == 0 && same_ns)
			merge(a, b);
		else
			l->v[++out] = *b;
	}
	l->n = out + 1;
}

/*
 * The start time from runc's state in E's state directory, when only a
 * bundle knew of it: a runc root that options.json names and no root here
 * is.
 */
static void
state_from_dir(struct scan *sc, struct cfir_runtime_entry *e)
{
	struct cfir_oci_state s;
	struct cfir_err err = { 0 };
	cleanup_close int fd = -1;

	if (e->has_start || e->state_dir == NULL || e->state_dir[0] != '/' ||
	    e->runtime == NULL || strcmp(e->runtime, "runc") != 0 ||
	    (fd = open_path(sc->rootfd, e->state_dir + 1)) < 0)
		return;
	if (cfir_oci_state_load(&s, fd, "state.json", &err) < 0)
		return;
	if (s.has_pid && s.pid > 0 && s.has_start) {
		e->recorded_pid = s.pid;
		e->has_start = true;
		e->start = s.start;
	}
	cfir_oci_state_free(&s);
}

/* FROZEN by its cgroup's freezer, when the freezer can say. */
static bool
frozen(int pfd, const char *id)
{
	struct cfir_freezer f;
	struct cfir_err err = { 0 };
	char st[32];
	bool yes = false;

	if (cfir_freezer_open_proc(pfd, id, NULL, &f, &err) < 0)
		return false;
	if (cfir_freezer_state(&f, st, sizeof(st), &err) == 0)
		yes = strcmp(st, "FROZEN") == 0 || strcmp(st, "frozen 1") == 0;
	cfir_freezer_close(&f);
	return yes;
}

/*
 * ID a whole word of COMP (LEN bytes): "ID", "docker-ID.scope",
 * "libpod-ID", never "libpod-conmon-ID.scope", its monitor's.
 */
bool
cfir_runtime_cgroup_component(const char *comp, size_t len, const char *id)
{
	size_t idl = strlen(id);
	const char *pre;

	/* "ID", "PREFIX-ID", "PREFIX:ID", with ".scope" after them under systemd */
	if (len > 6 && memcmp(comp + len - 6, ".scope", 6) == 0)
		len -= 6;
	if (idl == 0 || len < idl || memcmp(comp + len - idl, id, idl) != 0)
		return false;
	if (len == idl)
		return true;
	pre = comp + len - idl - 1;
	if (*pre != '-' && *pre != ':')
		return false;
	/* conmon, Podman's monitor, has a cgroup of its own named after the container */
	return !(pre - comp >= 6 && memcmp(pre - 6, "conmon", 6) == 0);
}

/*
 * TEXT, a /proc/PID/cgroup the kernel wrote, names ID in a component of a
 * line's path: the PID is in the container's cgroup, as target.c checks
 * the engine's.
 */
bool
cfir_runtime_cgroup_names(const char *text, size_t len, const char *id)
{
	const char *line = text, *end = text + len, *nl, *path, *c, *slash;
	size_t idl = strlen(id);

	if (idl == 0)
		return false;
	for (; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (nl == NULL)
			nl = end;
		/* hierarchy:controllers:path, the path from the second colon */
		if ((path = memchr(line, ':', (size_t)(nl - line))) == NULL ||
		    (path = memchr(path + 1, ':', (size_t)(nl - path - 1))) == NULL)
			continue;
		for (c = path + 1; c < nl; c = slash + 1) {
			if ((slash = memchr(c, '/', (size_t)(nl - c))) == NULL)
				slash = nl;
			if (cfir_runtime_cgroup_component(c, (size_t)(slash - c), id))
				return true;
		}
	}
	return false;
}

/* The PID of PFD in the container's cgroup, read through that fd. */
static bool
in_cgroup(int pfd, const char *id)
{
	cleanup_free char *buf = NULL;
	struct cfir_err err = { 0 };
	size_t len = 0;
	bool cut = false;

	if (cfir_util_read_file(pfd, "cgroup", 64 << 10, &buf, &len, &cut, &err) < 0 || cut)
		return false;
	return cfir_runtime_cgroup_names(buf, len, id);
}

/*
 * The recorded PID believed only when it lives with the recorded start
 * time, or, none recorded, in a cgroup that names the container.
 */
static void
check_pid(struct cfir_runtime_entry *e, int procfd)
{
	cleanup_close int pfd = -1;
	cleanup_free char *buf = NULL;
	struct cfir_proc_stat st;
	struct cfir_err err = { 0 };
	char name[24];
	size_t len = 0;
	bool cut = false;

	e->state = "stopped";
	if (e->recorded_pid <= 0 || procfd < 0)
		return;
	snprintf(name, sizeof(name), "%d", (int)e->recorded_pid);
	if ((pfd = open_dir(procfd, name)) < 0)
		return;
	if (cfir_util_read_file(pfd, "stat", 4096, &buf, &len, &cut, &err) < 0 ||
	    cfir_proc_stat_parse(buf, len, &st) < 0 || st.state == 'Z' || st.state == 'X')
		return;
	if (e->has_start ? st.starttime != e->start : !in_cgroup(pfd, e->id)) {
		e->state = "pid reused";
		return;
	}
	e->has_pid = true;
	e->pid = e->recorded_pid;
	e->pid_checked = true;
	e->pid_check = e->has_start ? "start time" : "cgroup";
	e->state = frozen(pfd, e->id) ? "frozen" : "running";
}

static int
list(const char *root, const char *proc, const char *only, struct cfir_runtime_list *l,
     struct cfir_err *err)
{
	struct scan sc = { .l = l, .only = only };
	cleanup_close int procfd = -1;
	size_t i;

	memset(l, 0, sizeof(*l));
	sc.rootfd = open(root ? root : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sc.rootfd < 0)
		return cfir_err_set(err, EX_OSERR, errno, "cannot open '%s'", root ? root : "/");
	for (i = 0; i < sizeof(roots) / sizeof(roots[0]) && !sc.oom; i++)
		scan_root(&sc, &roots[i], roots[i].path);
	if (!sc.oom)
		scan_env(&sc);
	if (sc.oom) {
		close(sc.rootfd);
		cfir_runtime_list_free(l);
		return cfir_err_set(err, EX_OSERR, ENOMEM, "out of memory");
	}
	dedup(l);
	for (i = 0; i < l->n; i++)
		state_from_dir(&sc, &l->v[i]);
	close(sc.rootfd);
	procfd = open(proc ? proc : "/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (i = 0; i < l->n; i++)
		check_pid(&l->v[i], procfd);
	return 0;
}

int
cfir_runtime_list(const char *root, const char *proc, struct cfir_runtime_list *l,
		  struct cfir_err *err)
{
	return list(root, proc, NULL, l, err);
}

int
cfir_runtime_list_id(const char *root, const char *proc, const char *id,
		     struct cfir_runtime_list *l, struct cfir_err *err)
{
	return list(root, proc, id, l, err);
}

void
cfir_runtime_list_free(struct cfir_runtime_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		entry_free(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static cJSON *
k8s_json(const struct cfir_runtime_entry *e)
{
	cJSON *k = cfir_oci_k8s_json(e->k8s_ns, e->k8s_pod, e->k8s_container, e->k8s_uid,
					 e->k8s_sandbox_id);

	cfir_json_add_str(k, "source", e->k8s_source);
	return k;
}

cJSON *
cfir_runtime_entry_json(const struct cfir_runtime_entry *e)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	if (e->runtime != NULL)
		cfir_json_add_str(o, "runtime", e->runtime);
	if (e->manager != NULL)
		cfir_json_add_str(o, "manager", e->manager);
	cfir_json_add_str(o, "source", e->source);
	cfir_json_add_str(o, "source_name", e->source_name);
	if (e->ns != NULL)
		cfir_json_add_str(o, "namespace", e->ns);
	cfir_json_add_str(o, "id", e->id);
	cfir_json_add_text(o, "name", e->name);
	cfir_json_add_str(o, "state", e->state);
	if (e->has_pid)
		cfir_json_add_num(o, "pid", e->pid);
	cJSON_AddBoolToObject(o, "pid_checked", e->pid_checked);
	if (e->pid_check != NULL)
		cfir_json_add_str(o, "pid_check", e->pid_check);
	if (e->recorded_pid > 0)
		cfir_json_add_num(o, "recorded_pid", e->recorded_pid);
	if (e->has_start)
		cfir_json_add_num(o, "start_ticks", (double)e->start);
	if (e->bundle != NULL)
		cfir_json_add_str(o, "bundle", e->bundle);
	if (e->state_dir != NULL)
		cfir_json_add_str(o, "state_dir", e->state_dir);
	cfir_json_add_text(o, "image", e->image);
	if (e->name != NULL) {
		cJSON_AddItemToObject(o, "kubernetes", k8s_json(e));
		cJSON_AddBoolToObject(o, "sandbox", e->sandbox);
	}
	if (e->n_cut > 0)
		cfir_json_add_num(o, "cut", e->n_cut);
	return o;
}
