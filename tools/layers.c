/* layers.c - the layers of a target's filesystem, for the merge cfir writes itself */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/disk.h"
#include "common/layers.h"
#include "common/util.h"
#include "tools/tool.h"

void
tool_layers_free(struct tool_layers *l)
{
	if (l == NULL)
		return;
	cfir_util_free_strv(l->dirs, l->n);
	cJSON_Delete(l->json);
	free(l);
}

/* The digests dockerd's layer store gives the same directories, where it gives them. */
static void
digests(const struct cfir_target *t, struct cfir_disk_layers *d)
{
	struct cfir_err ierr = { 0 };
	cleanup_close int root = -1;

	memset(d, 0, sizeof(*d));
	if (t->layers != NULL || t->inspect == NULL || t->driver == NULL || strcmp(t->driver, "overlay2") != 0)
		return;
	root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root >= 0 && cfir_disk_docker_layers(root, t->id, d, &ierr) < 0)
		cfir_disk_layers_free(d);
}

static const char *
digest_of(const struct cfir_disk_layers *d, const char *path)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->v[i].path != NULL && strcmp(d->v[i].path, path) == 0)
			return d->v[i].digest;
	return NULL;
}

/*
 * PATH as a directory of this machine with no link in it: overlay2 names
 * lower layers by its own short links (l/ABC, made by the engine, host-side).
 */
static int
add(struct tool_layers *l, const char *path, const char *digest)
{
	cJSON *o = cJSON_CreateObject();
	cleanup_close int slash = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	char *real = slash >= 0 ? cfir_disk_resolve(slash, path) : NULL;

	if (o == NULL || (l->dirs[l->n] = real != NULL ? real : strdup(path)) == NULL) {
		cJSON_Delete(o);
		free(real);
		return -1;
	}
	cfir_json_add_bytes(o, "path", l->dirs[l->n], strlen(l->dirs[l->n]));
	if (strcmp(l->dirs[l->n], path) != 0)
		cfir_json_add_bytes(o, "named", path, strlen(path));
	l->n++;
	cfir_json_add_str(o, "digest", digest);
	cJSON_AddItemToArray(cJSON_GetObjectItem(l->json, "layers"), o);
	return 0;
}

int
tool_target_rootfs(struct tool_step *s)
{
	struct cfir_target *t = s->t;
	struct cfir_err ierr = { 0 };
	int root;

	if (t->rootfs.upper == NULL && cfir_target_rootfs(t, "/proc", &s->err) < 0)
		return -1;
	/* a stopped container of a runtime, or of an engine that is silent: its engine's metadata */
	if (t->rootfs.upper != NULL || t->graph.upper != NULL || t->layers != NULL || t->manager == NULL)
		return 0;
	root = tool_source_root(s->g);
	if (root >= 0 && cfir_target_disk_layers(t, root, &ierr) == 0) {
		free(t->rootfs_check);
		t->rootfs_check = NULL;
		if (t->inspect == NULL && t->pid <= 0)
			t->source = "disk";
		if (cfir_target_rootfs(t, "/proc", &s->err) < 0) {
			close(root);
			return -1;
		}
	}
	if (root >= 0)
		close(root);
	return 0;
}

bool
tool_layers_known(struct tool_step *s)
{
	struct tool_step probe = { .g = s->g, .out = s->out, .e = s->e, .t = s->t, .bag = s->bag };

	return tool_target_rootfs(&probe) == 0 && s->t->rootfs_from != NULL && s->t->rootfs.upper != NULL;
}

int
tool_layers_get(struct tool_step *s, struct tool_layers **lp)
{
	struct cfir_target *t = s->t;
	struct cfir_disk_layers d;
	const struct cfir_disk_layers *src;
	struct tool_layers *l;
	size_t i;
	int rc = 0;

	*lp = NULL;
	if (tool_target_rootfs(s) < 0)
		return -1;
	if (t->rootfs_from == NULL || t->rootfs.upper == NULL)
		return cfir_err_set(&s->err, EX_UNAVAILABLE, 0, "container '%s': its layers are not known: %s",
				    t->name, t->rootfs_check ? t->rootfs_check : "no overlay");
	l = calloc(1, sizeof(*l));
	if (l == NULL || (l->dirs = calloc(t->rootfs.nlower + 1, sizeof(*l->dirs))) == NULL ||
	    (l->json = cJSON_CreateObject()) == NULL || cJSON_AddArrayToObject(l->json, "layers") == NULL) {
		tool_layers_free(l);
		return cfir_err_set(&s->err, EX_OSERR, ENOMEM, "layers");
	}
	digests(t, &d);
	src = t->layers != NULL ? t->layers : &d;
	l->from = t->layers != NULL ? t->layers->from : t->rootfs_from;
	cfir_json_add_str(l->json, "from", l->from);
	rc = add(l, t->rootfs.upper, digest_of(src, t->rootfs.upper));
	for (i = 0; rc == 0 && i < t->rootfs.nlower; i++)
		rc = add(l, t->rootfs.lower[i], digest_of(src, t->rootfs.lower[i]));
	cfir_disk_layers_free(&d);
	if (rc < 0) {
		tool_layers_free(l);
		return cfir_err_set(&s->err, EX_OSERR, ENOMEM, "layers");
	}
	*lp = l;
	return 0;
}

/* A sentence that starts with a path from the layers: its bytes kept exact. */
static void
add_path(cJSON *o, const char *key, const char *s)
{
	if (s == NULL)
		cJSON_AddNullToObject(o, key);
	else
		cfir_json_add_bytes(o, key, s, strlen(s));
}

static cJSON *
stats_json(const struct cfir_layers_stats *st)
{
	cJSON *o = cJSON_CreateObject();

	cfir_json_add_num(o, "members", (double)st->members);
	cfir_json_add_num(o, "files", (double)st->files);
	cfir_json_add_num(o, "bytes", (double)st->bytes);
	cfir_json_add_num(o, "hardlinks", (double)st->hardlinks);
	cfir_json_add_num(o, "sparse", (double)st->sparse);
	cfir_json_add_num(o, "devices", (double)st->devices);
	cfir_json_add_num(o, "fifos", (double)st->fifos);
	cfir_json_add_num(o, "whiteouts", (double)st->whiteouts);
	cfir_json_add_num(o, "opaque", (double)st->opaque);
	cJSON_AddBoolToObject(o, "opaque_root", st->opaque_root);
	cfir_json_add_num(o, "skipped", (double)st->skipped);
	add_path(o, "first_skipped", st->skipped ? st->first_skip : NULL);
	cfir_json_add_num(o, "changed", (double)st->changed);
	add_path(o, "first_changed", st->changed ? st->first_changed : NULL);
	cfir_json_add_num(o, "redirects", (double)st->redirects);
	cfir_json_add_num(o, "metacopies", (double)st->metacopies);
	add_path(o, "first_unsupported", st->redirects + st->metacopies ? st->first_unsupported : NULL);
	cfir_json_add_str(o, "access", st->access);
	return o;
}

int
tool_layers_produce(void *ctx, cfir_engine_sink_fn put, void *put_ctx, struct cfir_err *err)
{
	struct tool_layers_job *j = ctx;

	/* every layer cfir finds is a kernel overlay's: aufs' marker names are files there */
	return cfir_layers_tar(j->from->dirs, j->from->n, j->only, 0, put, put_ctx, &j->st, err);
}

void
tool_layers_said(struct tool_step *s, const struct tool_layers_job *j, cJSON *details)
{
	const struct cfir_layers_stats *st = &j->st;

	cfir_json_add_str(details, "method", "layers");
	cJSON_AddItemToObject(details, "merge", stats_json(st));
	cJSON_AddItemToObject(details, "layers", cJSON_Duplicate(cJSON_GetObjectItem(j->from->json, "layers"), true));
	cfir_json_add_str(details, "layers_from", j->from->from);
	if (st->skipped)
		tool_warn(s, "%llu entries of the layers are not in the tar; the first: %s",
			  (unsigned long long)st->skipped, st->first_skip);
	if (st->changed)
		tool_warn(s, "%llu files changed while they were read; the first: %s",
			  (unsigned long long)st->changed, st->first_changed);
	if (st->redirects + st->metacopies)
		tool_warn(s, "overlay features cfir does not follow: %llu redirects, %llu metacopy files; the first: %s",
			  (unsigned long long)st->redirects, (unsigned long long)st->metacopies, st->first_unsupported);
	if (st->opaque_root)
		tool_warn(s, "the writable layer's root is marked opaque: overlayfs ignores that at the root, and so does the merge");
}
