/* target.c - container resolution and its rootfs */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/out.h"
#include "common/target.h"
#include "common/util.h"

#define PROC_FILE_MAX (4u << 20)

static const char *
jstr(const cJSON *o, const char *a, const char *b)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, a);

	if (b != NULL)
		j = cJSON_GetObjectItemCaseSensitive(j, b);
	return cJSON_IsString(j) ? j->valuestring : NULL;
}

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

	id = jstr(t->inspect, "Id", NULL);
	if (id == NULL || strlen(id) != 64 || !is_hex(id, 64))
		return cfir_err_set(err, EX_DATAERR, 0, "engine: inspect reply has no valid Id");
	memcpy(t->id, id, 65);
	memcpy(t->id12, id, 12);
	t->id12[12] = '\0';
	name = jstr(t->inspect, "Name", NULL);
	t->name = xstrdup(name && name[0] == '/' ? name + 1 : name ? name : t->id12);
	t->image = xstrdup(jstr(t->inspect, "Config", "Image"));
	t->image_id = xstrdup(jstr(t->inspect, "Image", NULL));
	t->status = xstrdup(jstr(t->inspect, "State", "Status"));
	t->running = jbool(t->inspect, "State", "Running");
	t->paused = jbool(t->inspect, "State", "Paused");
	t->tty = jbool(t->inspect, "Config", "Tty");
	pid = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(t->inspect, "State"), "Pid");
	t->pid = cJSON_IsNumber(pid) && pid->valuedouble > 0 &&
			 pid->valuedouble < INT_MAX ? (pid_t)pid->valuedouble : 0;
	gd = cJSON_GetObjectItemCaseSensitive(t->inspect, "GraphDriver");
	t->driver = xstrdup(jstr(gd, "Name", NULL));
	t->graph.upper = xstrdup(jstr(gd, "Data", "UpperDir"));
	t->graph.work = xstrdup(jstr(gd, "Data", "WorkDir"));
	lower = jstr(gd, "Data", "LowerDir");
	if (lower != NULL) {
		cleanup_free char *opt = NULL;

		if (asprintf(&opt, "lowerdir=%s", lower) < 0 ||
		    cfir_overlay_opts(opt, &t->graph, err) < 0)
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
	free(t->inspect_raw);
	cJSON_Delete(t->inspect);
	cfir_rootfs_free(&t->rootfs);
	cfir_rootfs_free(&t->graph);
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
		id = jstr(c, "Id", NULL);
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

int
cfir_target_refresh(struct cfir_engine *e, struct cfir_target *t,
		    struct cfir_err *err)
{
	struct cfir_target fresh = { 0 };

	if (inspect(e, t->id, &fresh, err) < 0) {
		target_clear(&fresh);
		return -1;
	}
	/* keep the rootfs already read; take the new engine view */
	fresh.rootfs = t->rootfs;
	fresh.rootfs_from = t->rootfs_from;
	fresh.rootfs_check = t->rootfs_check;
	fresh.pid_checked = t->pid_checked && fresh.pid == t->pid;
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

	if (t->pid <= 0)
		return cfir_err_set(err, EX_UNAVAILABLE, 0, "container '%s' is %s: it has no process",
				    t->name, t->status);
	snprintf(path, sizeof(path), "%s/%d", proc, (int)t->pid);
	pfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0 || cfir_read_file(pfd, "cgroup", PROC_FILE_MAX, &cg, NULL, NULL, NULL) < 0 ||
	    strstr(cg, t->id) == NULL)
		return cfir_err_set(err, EX_TEMPFAIL, 0, "PID %d is no longer container %s's init process",
				    (int)t->pid, t->id12);
	return cfir_steal_fd(&pfd);
}

/* Is PID still this container's process (not a reused PID)? */
static bool
pid_is_ours(const struct cfir_target *t, const char *proc)
{
	cleanup_close int pfd = cfir_target_pidfd(t, proc, NULL);

	return pfd >= 0;
}

static char *
real(const char *p)
{
	char *r = p ? realpath(p, NULL) : NULL;

	return r ? r : xstrdup(p);
}

/* Compare the kernel's view of the rootfs with what the engine says. */
static char *
cross_check(const struct cfir_rootfs *k, const struct cfir_rootfs *g)
{
	cleanup_free char *ku = NULL, *gu = NULL;
	char *msg = NULL;
	size_t i;

	if (g->upper == NULL && g->nlower == 0)
		return strdup("unavailable: the engine gave no GraphDriver data");
	ku = real(k->upper);
	gu = real(g->upper);
	if (ku == NULL || gu == NULL || strcmp(ku, gu) != 0) {
		if (asprintf(&msg, "mismatch: upperdir is '%s' in mountinfo, '%s' in the engine",
			     k->upper ? k->upper : "-", g->upper ? g->upper : "-") < 0)
			return NULL;
		return msg;
	}
	if (k->nlower != g->nlower) {
		if (asprintf(&msg, "mismatch: %zu lowerdirs in mountinfo, %zu in the engine",
			     k->nlower, g->nlower) < 0)
			return NULL;
		return msg;
	}
	for (i = 0; i < k->nlower; i++) {
		cleanup_free char *a = real(k->lower[i]), *b = real(g->lower[i]);

		if (a == NULL || b == NULL || strcmp(a, b) != 0) {
			if (asprintf(&msg, "mismatch: lowerdir %zu is '%s' in mountinfo, '%s' in the engine",
				     i, k->lower[i], g->lower[i]) < 0)
				return NULL;
			return msg;
		}
	}
	return strdup("match");
}

int
cfir_target_rootfs(struct cfir_target *t, const char *proc, struct cfir_err *err)
{
	cleanup_free char *path = NULL, *text = NULL;
	size_t len = 0;

	free(t->rootfs_check);
	t->rootfs_check = NULL;
	cfir_rootfs_free(&t->rootfs);
	t->rootfs_from = NULL;
	if (t->pid <= 0) {
		t->rootfs_check = strdup("unavailable: the container has no process");
		if (t->graph.upper != NULL)
			t->rootfs_from = "engine";
		return 0;
	}
	t->pid_checked = pid_is_ours(t, proc);
	if (!t->pid_checked)
		return cfir_err_set(err, EX_TEMPFAIL, 0,
				    "PID %d is no longer container %s's init process",
				    (int)t->pid, t->id12);
	if (asprintf(&path, "%s/%d/mountinfo", proc, (int)t->pid) < 0)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "mountinfo");
	if (cfir_read_file(AT_FDCWD, path, PROC_FILE_MAX, &text, &len, NULL, err) < 0)
		return -1;
	if (cfir_mountinfo_rootfs(text, len, &t->rootfs, err) < 0)
		return cfir_err_wrap(err, "'%s'", path);
	t->rootfs_from = "mountinfo";
	if (strcmp(t->rootfs.fstype, "overlay") != 0) {
		if (asprintf(&t->rootfs_check, "unavailable: the rootfs is '%s', not overlay",
			     t->rootfs.fstype) < 0)
			t->rootfs_check = NULL;
		return 0;
	}
	t->rootfs_check = cross_check(&t->rootfs, &t->graph);
	return 0;
}

int
cfir_target_freezer(const struct cfir_target *t, char *buf, size_t n,
		    struct cfir_err *err)
{
	cleanup_free char *path = NULL, *cg = NULL, *state = NULL;
	char *line, *save = NULL, *cgpath = NULL, *v2 = NULL;

	if (t->pid <= 0)
		return cfir_err_set(err, EX_NOINPUT, 0, "container has no process");
	if (asprintf(&path, "/proc/%d/cgroup", (int)t->pid) < 0)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "cgroup");
	if (cfir_read_file(AT_FDCWD, path, PROC_FILE_MAX, &cg, NULL, NULL, err) < 0)
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
	free(path);
	path = NULL;
	if (cgpath != NULL && cgpath[0] == '/' && strstr(cgpath, "/..") == NULL) {
		if (asprintf(&path, "/sys/fs/cgroup/freezer%s/freezer.state", cgpath) < 0)
			return cfir_err_set(err, EX_OSERR, ENOMEM, "cgroup");
	} else if (v2 != NULL && v2[0] == '/' && strstr(v2, "/..") == NULL) {
		if (asprintf(&path, "/sys/fs/cgroup%s/cgroup.freeze", v2) < 0)
			return cfir_err_set(err, EX_OSERR, ENOMEM, "cgroup");
	} else {
		return cfir_err_set(err, EX_NOINPUT, 0, "no freezer cgroup for PID %d", (int)t->pid);
	}
	if (cfir_read_file(AT_FDCWD, path, 256, &state, NULL, NULL, err) < 0)
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
	cfir_json_add_str(o, "image", t->image);
	cfir_json_add_str(o, "image_id", t->image_id);
	cfir_json_add_str(o, "state", t->status);
	cJSON_AddBoolToObject(o, "paused", t->paused);
	cfir_json_add_num(o, "pid", t->pid);
	cfir_json_add_str(o, "driver", t->driver);
	if (t->rootfs_from != NULL) {
		cfir_json_add_str(o, "rootfs_from", t->rootfs_from);
		add_rootfs(o, "rootfs", strcmp(t->rootfs_from, "engine") == 0 ? &t->graph
										: &t->rootfs);
	}
	cfir_json_add_str(o, "rootfs_check", t->rootfs_check);
	return o;
}
