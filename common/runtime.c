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
	LAYOUT_TASK,	/* <root>/<ns>/<id>/{config.json,init.pid} */
};

struct root {
	const char *path;	/* below ROOT, without the leading '/' */
	enum layout layout;
	bool per_ns;		/* a namespace level first */
};

/* the bundles first: a runc state found after them adds its start time */
static const struct root roots[] = {
	{ "run/containerd/io.containerd.runtime.v2.task", LAYOUT_TASK, true },
	{ "run/docker/containerd/daemon/io.containerd.runtime.v2.task", LAYOUT_TASK, true },
	{ "run/k3s/containerd/io.containerd.runtime.v2.task", LAYOUT_TASK, true },
	{ "run/runc", LAYOUT_RUNC, false },
	{ "run/docker/runtime-runc", LAYOUT_RUNC, true },
	{ "run/containerd/runc", LAYOUT_RUNC, true },
	{ "run/k3s/containerd/runc", LAYOUT_RUNC, true },
	{ "run/crun", LAYOUT_CRUN, false },
};

struct scan {
	int rootfd;
	const char *proc;
	struct cfir_runtime_list *l;
	size_t cap;
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
	free(e->source), free(e->state_dir), free(e->ns), free(e->id), free(e->bundle), free(e->image);
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

/* The identity and image the bundle's annotations give (hostile, kept exact). */
static void
take_config(struct cfir_runtime_entry *e, const struct cfir_oci_config *c, bool *oom)
{
	struct cfir_oci_k8s k;

	e->n_cut = c->n_cut;
	if (!cfir_oci_k8s(c, &k))
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

/* containerd's init.pid: a decimal number and a newline at most. */
static void
read_init_pid(int dfd, struct cfir_runtime_entry *e)
{
	cleanup_free char *buf = NULL;
	struct cfir_err err = { 0 };
	unsigned long v;
	size_t len = 0;
	bool cut = false;

	if (cfir_util_read_file(dfd, "init.pid", 32, &buf, &len, &cut, &err) < 0 || cut)
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

/* One container's directory NAME under DFD, found under SOURCE. */
static void
scan_one(struct scan *sc, int dfd, const char *name, const struct root *r, const char *source,
	 const char *ns)
{
	struct cfir_runtime_entry *e;
	cleanup_close int fd = -1;
	bool ok;

	if (!name_ok(name) || (fd = open_dir(dfd, name)) < 0) {
		sc->l->skipped++;
		return;
	}
	if ((e = new_entry(sc)) == NULL)
		return;
	e->runtime = r->layout == LAYOUT_CRUN ? "crun" : r->layout == LAYOUT_TASK ? "containerd" : "runc";
	e->source = dup_or_null(source, &sc->oom);
	e->ns = dup_or_null(ns, &sc->oom);
	e->id = dup_or_null(name, &sc->oom);
	if (r->layout == LAYOUT_TASK) {
		ok = faccessat(fd, "config.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0;
		if (ok) {
			if (asprintf(&e->bundle, "%s/%s", source, name) < 0)
				e->bundle = NULL, sc->oom = true;
			read_init_pid(fd, e);
			load_bundle(sc, e, fd);
		}
	} else {
		ok = read_state(sc, fd, r->layout, e);
		if (ok && asprintf(&e->state_dir, "%s/%s", source, name) < 0)
			e->state_dir = NULL, sc->oom = true;
	}
	if (!ok || sc->oom) {
		entry_free(e);
		sc->l->skipped++;
		return;
	}
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
		if (++seen > CFIR_RUNTIME_DIR_MAX) {
			sc->l->skipped++;
			break;
		}
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
	static const struct root extra = { NULL, LAYOUT_RUNC, false };
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

	return c != 0 ? c : strcmp(x->ns ? x->ns : "", y->ns ? y->ns : "");
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
	if (a->recorded_pid == 0)
		a->recorded_pid = b->recorded_pid;
	if (!a->has_start && b->has_start && b->recorded_pid == a->recorded_pid) {
		a->has_start = true;
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

/* The recorded PID believed only when it lives with the recorded start time. */
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
	if (e->has_start && st.starttime != e->start) {
		e->state = "pid reused";
		return;
	}
	e->has_pid = true;
	e->pid = e->recorded_pid;
	e->pid_checked = e->has_start;
	e->state = frozen(pfd, e->id) ? "frozen" : "running";
}

int
cfir_runtime_list(const char *root, const char *proc, struct cfir_runtime_list *l,
		  struct cfir_err *err)
{
	struct scan sc = { .l = l };
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
	close(sc.rootfd);
	if (sc.oom) {
		cfir_runtime_list_free(l);
		return cfir_err_set(err, EX_OSERR, ENOMEM, "out of memory");
	}
	dedup(l);
	procfd = open(proc ? proc : "/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (i = 0; i < l->n; i++)
		check_pid(&l->v[i], procfd);
	return 0;
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

static void
add_bytes(cJSON *o, const char *key, const char *s)
{
	if (s != NULL)
		cfir_json_add_bytes(o, key, s, strlen(s));
}

static cJSON *
k8s_json(const struct cfir_runtime_entry *e)
{
	cJSON *k = cJSON_CreateObject();

	add_bytes(k, "namespace", e->k8s_ns);
	add_bytes(k, "pod", e->k8s_pod);
	add_bytes(k, "container", e->k8s_container);
	add_bytes(k, "uid", e->k8s_uid);
	add_bytes(k, "sandbox_id", e->k8s_sandbox_id);
	cfir_json_add_str(k, "source", e->k8s_source);
	return k;
}

cJSON *
cfir_runtime_entry_json(const struct cfir_runtime_entry *e)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cfir_json_add_str(o, "runtime", e->runtime);
	cfir_json_add_str(o, "source", e->source);
	if (e->ns != NULL)
		cfir_json_add_str(o, "namespace", e->ns);
	cfir_json_add_str(o, "id", e->id);
	add_bytes(o, "name", e->name);
	cfir_json_add_str(o, "state", e->state);
	if (e->has_pid)
		cfir_json_add_num(o, "pid", e->pid);
	cJSON_AddBoolToObject(o, "pid_checked", e->pid_checked);
	if (e->recorded_pid > 0)
		cfir_json_add_num(o, "recorded_pid", e->recorded_pid);
	if (e->has_start)
		cfir_json_add_num(o, "start_ticks", (double)e->start);
	if (e->bundle != NULL)
		cfir_json_add_str(o, "bundle", e->bundle);
	add_bytes(o, "image", e->image);
	if (e->name != NULL) {
		cJSON_AddItemToObject(o, "kubernetes", k8s_json(e));
		cJSON_AddBoolToObject(o, "sandbox", e->sandbox);
	}
	if (e->n_cut > 0)
		cfir_json_add_num(o, "cut", e->n_cut);
	return o;
}

int
cfir_runtime_find(const struct cfir_runtime_list *l, const char *ref,
		  const struct cfir_runtime_entry **ep, struct cfir_err *err)
{
	size_t i, n = 0, len = strlen(ref);

	*ep = NULL;
	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].id, ref) == 0 || (l->v[i].name && strcmp(l->v[i].name, ref) == 0)) {
			*ep = &l->v[i];
			return 0;
		}
	for (i = 0; len > 0 && i < l->n; i++)
		if (strncmp(l->v[i].id, ref, len) == 0)
			*ep = &l->v[i], n++;
	if (n == 1)
		return 0;
	*ep = NULL;
	if (n > 1)
		return cfir_err_set(err, EX_USAGE, 0, "'%s' is an ambiguous ID prefix: %zu containers match", ref, n);
	return cfir_err_set(err, EX_NOINPUT, 0, "no such container: '%s'", ref);
}
