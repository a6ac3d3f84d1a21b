/* source.c - where a command's containers come from: the engine, or the runtime state on the host */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/disk.h"
#include "common/enginestate.h"
#include "common/hash.h"
#include "common/util.h"
#include "tools/tool.h"

#define ENGINE_MS_DEFAULT 3000L

/* The engine -H, $DOCKER_HOST or the default names is on this host (a unix socket). */
static bool
engine_local(const struct cfir_global *g)
{
	const char *h = g->host && *g->host ? g->host : getenv("DOCKER_HOST");

	return h == NULL || *h == '\0' || strncmp(h, "unix://", 7) == 0;
}

/* The image file's SHA-256, read once from end to end (O_NOATIME). */
static int
image_hash(struct cfir_global *g, struct cfir_err *err)
{
	cleanup_close int fd = cfir_util_open_noatime(AT_FDCWD, g->root_image, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct cfir_hash *h = cfir_hash_new();
	static char buf[1 << 20];
	ssize_t n;

	if (fd < 0 || h == NULL) {
		cfir_hash_free(h);
		return cfir_err_set(err, fd < 0 ? cfir_err_sys_exit(errno) : EX_OSERR, fd < 0 ? errno : ENOMEM,
				    "--root-image '%s'", g->root_image);
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			cfir_hash_update(h, buf, (size_t)n);
	if (n < 0) {
		cfir_hash_free(h);
		return cfir_err_set(err, EX_IOERR, errno, "read --root-image '%s'", g->root_image);
	}
	cfir_hash_final_hex(h, g->root_image_sha256);
	cfir_hash_free(h);
	return 0;
}

/* --root: a directory, no engine and no runtime state with it; the image file hashed. */
static int
root_check(struct cfir_global *g, struct cfir_err *err)
{
	struct stat st;

	if (g->root == NULL)
		g->root = getenv("CFIR_ROOT");
	if (g->root != NULL && *g->root == '\0')
		g->root = NULL;
	if (g->root == NULL) {
		if (g->root_image != NULL)
			return cfir_err_set(err, EX_USAGE, 0, "--root-image goes with --root");
		return 0;
	}
	if (strcmp(g->source, "auto") != 0 && strcmp(g->source, "offline") != 0)
		return cfir_err_set(err, EX_USAGE, 0, "--root reads a disk offline: --source %s does not go with it",
				    g->source);
	g->source = "offline";
	g->root_fd = open(g->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (g->root_fd < 0 || fstat(g->root_fd, &st) < 0)
		return cfir_err_set(err, cfir_err_sys_exit(errno), errno, "--root '%s'", g->root);
	return g->root_image != NULL ? image_hash(g, err) : 0;
}

/*
 * Is the directory FD (taken over), or one of its parents, ROOT? When ROOT
 * is a mount of its own (a disk image), anything on its file system is in
 * it too: a bind mount of a part of it leads there without passing it.
 */
static bool
under(int fd, const struct stat *root, bool mounted)
{
	struct stat st, up;
	int parent;

	while (fd >= 0 && fstat(fd, &st) == 0) {
		if (st.st_dev == root->st_dev && (mounted || st.st_ino == root->st_ino)) {
			close(fd);
			return true;
		}
		parent = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		fd = parent;
		if (fd >= 0 && fstat(fd, &up) == 0 && up.st_dev == st.st_dev && up.st_ino == st.st_ino)
			break;	/* "/": its own parent */
	}
	if (fd >= 0)
		close(fd);
	return false;
}

/* --root's directory, and whether it is the root of a file system of its own. */
static int
root_stat(const struct cfir_global *g, struct stat *root, bool *mounted)
{
	struct stat up;
	int fd;

	if (fstat(g->root_fd, root) < 0)
		return -1;
	fd = openat(g->root_fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
	*mounted = fd >= 0 && fstat(fd, &up) == 0 && up.st_dev != root->st_dev;
	if (fd >= 0)
		close(fd);
	return 0;
}

int
tool_source_bag_outside(const struct cfir_global *g, const char *dir, struct cfir_err *err)
{
	cleanup_free char *p = NULL;
	struct stat root;
	bool mounted;
	char *slash;
	int fd;

	if (g->root == NULL || root_stat(g, &root, &mounted) < 0)
		return 0;
	if ((p = strdup(dir)) == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "bag");
	/* the nearest part of its path that is there already; no ".." in the rest, made later */
	while ((fd = open(*p ? p : ".", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 && (slash = strrchr(p, '/')) != NULL) {
		if (strcmp(slash + 1, "..") == 0)
			return cfir_err_set(err, EX_USAGE, 0, "the bag '%s': '..' after a directory that is not there yet", dir);
		*(slash == p ? slash + 1 : slash) = '\0';
	}
	if (fd < 0 && strcmp(p, "..") == 0)
		return cfir_err_set(err, EX_USAGE, 0, "the bag '%s': '..' after a directory that is not there yet", dir);
	if (fd < 0)
		fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (under(fd, &root, mounted))
		return cfir_err_set(err, EX_USAGE, 0, "the bag '%s' would be inside --root '%s': nothing is written there",
				    dir, g->root);
	return 0;
}

int
tool_source_root(const struct cfir_global *g)
{
	return g->root != NULL ? dup(g->root_fd) : open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
}

cJSON *
tool_source_offline_json(const struct cfir_global *g)
{
	cJSON *o;

	if (g->root == NULL)
		return NULL;
	o = cJSON_CreateObject();
	cfir_json_add_bytes(o, "root", g->root, strlen(g->root));
	if (g->root_image != NULL) {
		cfir_json_add_bytes(o, "image", g->root_image, strlen(g->root_image));
		cfir_json_add_str(o, "image_sha256", g->root_image_sha256);
	}
	return o;
}

int
tool_source_check(struct cfir_global *g, struct cfir_err *err)
{
	const char *t = g->engine_timeout ? g->engine_timeout : getenv("CFIR_ENGINE_TIMEOUT");
	char *end = NULL;
	double sec;

	if (g->source == NULL)
		g->source = getenv("CFIR_SOURCE");
	if (g->source == NULL || *g->source == '\0')
		g->source = "auto";
	if (strcmp(g->source, "auto") != 0 && strcmp(g->source, "engine") != 0 &&
	    strcmp(g->source, "runtime") != 0)
		return cfir_err_set(err, EX_USAGE, 0, "--source takes auto, engine or runtime, not '%s'", g->source);
	if (root_check(g, err) < 0)
		return -1;
	/* an engine on another host: this host's runtime state is not its containers */
	if (strcmp(g->source, "auto") == 0 && !engine_local(g))
		g->source = "engine";
	g->engine_ms = ENGINE_MS_DEFAULT;
	if (t == NULL || *t == '\0')
		return 0;
	errno = 0;
	sec = strtod(t, &end);
	if (errno != 0 || end == t || *end != '\0' || !(sec > 0 && sec <= 600))
		return cfir_err_set(err, EX_USAGE, 0, "--engine-timeout takes seconds, more than 0 and at most 600, not '%s'", t);
	g->engine_ms = (long)(sec * 1000 + 0.5);
	if (g->engine_ms < 1)
		g->engine_ms = 1;
	return 0;
}

static bool
source_is(const struct cfir_global *g, const char *what)
{
	return g->source != NULL && strcmp(g->source, what) == 0;
}

int
tool_source_engine(struct cfir_global *g, struct cfir_engine **ep, char **why,
		   struct cfir_err *err)
{
	struct cfir_err eerr = { 0 };

	*ep = NULL;
	*why = NULL;
	if (source_is(g, "runtime") || source_is(g, "offline"))
		return 0;
	if (cfir_engine_open_within(ep, g->host, g->engine_ms, &eerr) == 0)
		return 0;
	g->engine_down = eerr;
	if (source_is(g, "engine") || eerr.exit == EX_USAGE || eerr.exit == EX_OSERR) {
		*err = eerr;
		return -1;
	}
	if (asprintf(why, "%s; the containers are taken from the runtime state on the host", eerr.msg) < 0)
		*why = NULL;
	return 0;
}

/*
 * The engine answered its ping and then nothing in time (a dockerd stuck on
 * a lock): taken as down from now on, as if it had not answered at all.
 */
static bool
hung(struct cfir_global *g, struct cfir_engine *e, const struct cfir_err *err)
{
	if (source_is(g, "engine") || !cfir_engine_silent(e, err))
		return false;
	g->engine_down = *err;
	return true;
}

/* What the runtime keeps of the engine's container T, added when the host has it. */
static void
add_runtime(const struct cfir_global *g, struct cfir_target *t)
{
	struct cfir_runtime_list l;
	const struct cfir_runtime_entry *re;
	struct cfir_err ierr = { 0 };

	if (source_is(g, "engine") || cfir_runtime_list_id(NULL, NULL, t->id, &l, &ierr) < 0)
		return;
	if (cfir_runtime_find(&l, t->id, &re, &ierr) == 0)
		cfir_target_add_runtime(t, re);
	cfir_runtime_list_free(&l);
}

/* REF among the containers the engines keep on this host's disk (stopped ones). */
static int
disk_target(const char *ref, struct cfir_target **tp)
{
	struct cfir_err ierr = { 0 };
	cleanup_close int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

	return root >= 0 ? cfir_target_resolve_disk(root, false, ref, tp, &ierr) : -1;
}

int
tool_source_target(struct cfir_global *g, struct cfir_engine *e, const char *ref,
		   struct cfir_target **tp, struct cfir_err *err)
{
	int r;

	*tp = NULL;
	if (source_is(g, "offline"))
		return cfir_target_resolve_disk(g->root_fd, true, ref, tp, err);
	/* a Kubernetes name has slashes, which no engine name has */
	if (e != NULL && g->engine_down.exit == 0 && strchr(ref, '/') == NULL) {
		cfir_engine_bound(e, source_is(g, "engine") ? 0 : g->engine_ms);
		r = cfir_target_resolve(e, ref, tp, err);
		cfir_engine_bound(e, 0);
		if (r == 0) {
			add_runtime(g, *tp);
			return 0;
		}
		if (!hung(g, e, err) && (source_is(g, "engine") || err->exit != EX_NOINPUT))
			return -1;
		cfir_err_clear(err);
	} else if (source_is(g, "engine")) {
		return cfir_err_set(err, EX_USAGE, 0, "'%s' is not a container name or ID", ref);
	}
	if (cfir_target_resolve_runtime(NULL, NULL, ref, tp, err) == 0)
		return 0;
	/* not running: what the engines keep of their containers on this host's disk */
	if (err->exit == EX_NOINPUT && (e == NULL || g->engine_down.exit != 0) && disk_target(ref, tp) == 0) {
		cfir_err_clear(err);
		return 0;
	}
	/* the engine that did not answer may have known it: its silence is the answer */
	if (err->exit == EX_NOINPUT && g->engine_down.exit != 0)
		return cfir_err_set(err, g->engine_down.exit, g->engine_down.sys,
				    "%s; the runtime state on the host has no container '%s'", g->engine_down.msg, ref);
	return -1;
}

/* Said and recorded once: the engine went silent after it answered its ping. */
static void
say_hung(struct tool_step *s, bool before)
{
	if (before || s->g->engine_down.exit == 0)
		return;
	tool_warn(s, "%s; the containers are taken from the runtime state on the host", s->g->engine_down.msg);
}

bool
tool_source_said(struct tool_step *s)
{
	say_hung(s, false);
	return true;
}

bool
tool_source_hung(struct tool_step *s, const struct cfir_err *err)
{
	if (!hung(s->g, s->e, err))
		return false;
	say_hung(s, false);
	return true;
}

/* The runtime refused the PID it recorded: said, and kept in the record. */
void
tool_source_refused(struct tool_step *s, const struct cfir_target *t)
{
	if (t->refused_pid > 0)
		tool_warn(s, "the runtime recorded PID %d for '%s', but that PID is now another process "
			     "(its start time differs): not believed, the container has no process",
			  (int)t->refused_pid, t->name);
}

int
tool_source_step(struct tool_step *s, const char *ref)
{
	cleanup_free char *why = NULL;
	bool down;

	if (tool_source_engine(s->g, &s->e, &why, &s->err) < 0)
		return -1;
	if (why != NULL)
		tool_warn(s, "%s", why);
	down = s->g->engine_down.exit != 0;
	if (ref == NULL)
		return 0;
	if (tool_source_target(s->g, s->e, ref, &s->t, &s->err) < 0) {
		say_hung(s, down);
		return -1;
	}
	say_hung(s, down);
	tool_source_refused(s, s->t);
	return 0;
}

struct cfir_storage *
tool_source_storage(const struct cfir_runtime_list *l)
{
	struct cfir_storage *st = NULL;
	struct cfir_err ierr = { 0 };
	size_t i;

	for (i = 0; i < l->n; i++)
		if (cfir_target_in_storage(&l->v[i]))
			return cfir_enginestate_storage_open(NULL, &st, &ierr) == 0 ? st : NULL;
	return NULL;
}

/* Those the runtime state has and the engine did not list. */
static void
each_runtime(struct tool_step *s, const struct cfir_runtime_list *l, const bool *seen, bool all,
	     bool sandboxes, void (*fn)(void *ctx, struct cfir_target *t), void *ctx)
{
	struct cfir_storage *st = tool_source_storage(l);
	size_t i;

	for (i = 0; i < l->n; i++) {
		struct cfir_target *t;
		struct cfir_err one = { 0 };

		if (seen[i] || (!all && !l->v[i].has_pid) || (l->v[i].sandbox && !sandboxes))
			continue;
		t = calloc(1, sizeof(*t));
		if (t == NULL || cfir_target_from_runtime(t, &l->v[i], NULL, st, &one) < 0) {
			cfir_target_free(t);
			tool_soft_fail(s, one.msg[0] ? &one : &(struct cfir_err){ EX_OSERR, ENOMEM, "out of memory" });
			continue;
		}
		tool_source_refused(s, t);
		fn(ctx, t);
	}
	cfir_enginestate_storage_close(st);
}

/* Every container the engines on a dead host's disk kept: none of them runs. */
static int
each_disk(struct tool_step *s, void (*fn)(void *ctx, struct cfir_target *t), void *ctx)
{
	struct cfir_disk_list l;
	size_t i;

	if (cfir_disk_list(s->g->root_fd, &l, &s->err) < 0)
		return -1;
	for (i = 0; i < l.n; i++) {
		struct cfir_target *t = calloc(1, sizeof(*t));
		struct cfir_err one = { 0 };

		if (t == NULL || cfir_target_from_disk(t, &l.v[i], s->g->root_fd, true, &one) < 0) {
			cfir_target_free(t);
			tool_soft_fail(s, one.msg[0] ? &one : &(struct cfir_err){ EX_OSERR, ENOMEM, "out of memory" });
			continue;
		}
		fn(ctx, t);
	}
	if (l.skipped > 0)
		tool_warn(s, "%u containers on disk skipped: %s", l.skipped, l.first_skip ? l.first_skip : "unreadable");
	cfir_disk_list_free(&l);
	return 0;
}

/* The engine's list: full IDs, running ones unless ALL. */
static int
engine_ids(struct cfir_engine *e, bool all, cJSON **ids, struct cfir_err *err)
{
	cleanup_cjson cJSON *list = NULL;
	const cJSON *c;

	if (cfir_engine_json(e, "GET", all ? "/containers/json?all=1" : "/containers/json", NULL, &list, err) < 0)
		return -1;
	*ids = cJSON_CreateArray();
	cJSON_ArrayForEach(c, list)
		if (cfir_json_str(c, "Id") != NULL)
			cJSON_AddItemToArray(*ids, cJSON_CreateString(cfir_json_str(c, "Id")));
	return 0;
}

int
tool_source_each(struct tool_step *s, bool all, bool sandboxes,
		 void (*fn)(void *ctx, struct cfir_target *t), void *ctx)
{
	struct cfir_runtime_list l = { 0 };
	cleanup_cjson cJSON *ids = NULL;
	cleanup_free bool *seen = NULL;
	struct cfir_err lerr = { 0 };
	const cJSON *id;

	if (source_is(s->g, "offline"))
		return each_disk(s, fn, ctx);
	if (s->e != NULL && s->g->engine_down.exit == 0) {
		struct cfir_err lerr2 = { 0 };

		cfir_engine_bound(s->e, source_is(s->g, "engine") ? 0 : s->g->engine_ms);
		if (engine_ids(s->e, all, &ids, &lerr2) < 0) {
			cfir_engine_bound(s->e, 0);
			if (!hung(s->g, s->e, &lerr2)) {
				s->err = lerr2;
				return -1;
			}
			say_hung(s, false);
		}
	}
	if (!source_is(s->g, "engine") && cfir_runtime_list(NULL, NULL, &l, &lerr) < 0)
		tool_warn(s, "the runtime state: %s", lerr.msg);
	if ((seen = calloc(l.n + 1, sizeof(*seen))) == NULL) {
		cfir_runtime_list_free(&l);
		return cfir_err_set(&s->err, EX_OSERR, ENOMEM, "out of memory");
	}
	cJSON_ArrayForEach(id, ids) {
		const struct cfir_runtime_entry *re = NULL;
		struct cfir_target *t = NULL;
		struct cfir_err one = { 0 };

		if (s->g->engine_down.exit != 0)
			break;	/* silent since: the rest from the runtime state */
		if (cfir_target_resolve(s->e, id->valuestring, &t, &one) < 0) {
			if (hung(s->g, s->e, &one))
				say_hung(s, false);
			/* one listed a moment ago and removed since is churn, not a failure */
			else if (one.exit != EX_NOINPUT)
				tool_soft_fail(s, &one);
			continue;
		}
		if (cfir_runtime_find(&l, t->id, &re, &one) == 0 && strcmp(re->id, t->id) == 0) {
			seen[re - l.v] = true;
			cfir_target_add_runtime(t, re);
		}
		if (t->sandbox && !sandboxes)
			cfir_target_free(t);
		else
			fn(ctx, t);
	}
	cfir_engine_bound(s->e, 0);
	each_runtime(s, &l, seen, all, sandboxes, fn, ctx);
	if (l.skipped > 0)
		tool_warn(s, "%u runtime state entries skipped: links, bad names or unreadable state", l.skipped);
	cfir_runtime_list_free(&l);
	return 0;
}
