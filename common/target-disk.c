/* target-disk.c - a container from what its engine left on disk: a stopped engine's, a dead host's */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/disk.h"
#include "common/target.h"

static char *
dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static char *
dup_bytes(const char *s, size_t n)
{
	char *p = s != NULL ? malloc(n + 1) : NULL;

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

int
cfir_target_disk_layers(struct cfir_target *t, int root, struct cfir_err *err)
{
	struct cfir_disk_container c = { .manager = t->manager, .id = t->id, .ns = t->rt_ns };
	struct cfir_disk_layers *l;
	size_t i;

	if (t->layers != NULL || t->manager == NULL)
		return t->layers != NULL ? 0 : cfir_err_set(err, EX_NOINPUT, 0, "no engine's metadata names '%s'", t->name);
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "layers");
	if (cfir_disk_layers(root, &c, l, err) < 0 || l->n == 0) {
		if (l->n == 0 && err->msg[0] == '\0')
			cfir_err_set(err, EX_NOINPUT, 0, "no layers");
		cfir_disk_layers_free(l);
		free(l);
		return -1;
	}
	cfir_mountinfo_rootfs_free(&t->graph);
	t->graph.fstype = strdup("overlay");
	t->graph.upper = strdup(l->v[0].path);
	t->graph.lower = calloc(l->n, sizeof(*t->graph.lower));
	for (i = 1; t->graph.lower != NULL && i < l->n; i++)
		t->graph.lower[t->graph.nlower++] = strdup(l->v[i].path);
	free(t->driver);
	t->driver = strdup("overlay2");
	t->layers = l;
	if (t->graph.fstype == NULL || t->graph.upper == NULL || t->graph.lower == NULL || t->driver == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "layers");
	for (i = 0; i < t->graph.nlower; i++)
		if (t->graph.lower[i] == NULL)
			return cfir_err_set(err, EX_OSERR, ENOMEM, "layers");
	return 0;
}

/* The engine's own files, kept byte for byte; the OCI spec parsed for the checks. */
static int
disk_files(struct cfir_target *t, const struct cfir_disk_container *c, struct cfir_err *err)
{
	if (c->config_raw != NULL) {
		t->disk_config_name = dup_or_null(c->config_name);
		t->disk_config_raw = dup_bytes(c->config_raw, c->config_len);
		t->disk_config_len = c->config_len;
	}
	if (c->hostconfig_raw != NULL) {
		t->disk_hostconfig_raw = dup_bytes(c->hostconfig_raw, c->hostconfig_len);
		t->disk_hostconfig_len = c->hostconfig_len;
	}
	if (c->inspect != NULL && (t->inspect = cJSON_Duplicate(c->inspect, true)) == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "target");
	if (c->spec_raw != NULL) {
		t->config_raw = dup_bytes(c->spec_raw, c->spec_len);
		t->config_len = c->spec_len;
		t->oci = calloc(1, sizeof(*t->oci));
		if (t->config_raw == NULL || t->oci == NULL)
			return cfir_err_set(err, EX_OSERR, ENOMEM, "target");
		if (cfir_oci_config_parse(t->oci, t->config_raw, t->config_len, err) < 0) {
			free(t->oci);
			t->oci = NULL;
			cfir_err_clear(err);	/* kept as bytes, not checked */
		}
	}
	return 0;
}

int
cfir_target_from_disk(struct cfir_target *t, const struct cfir_disk_container *c, int root,
		      bool offline, struct cfir_err *err)
{
	struct cfir_err lerr = { 0 };

	if (c->id == NULL || strlen(c->id) > 64 || c->id[0] == '\0')
		return cfir_err_set(err, EX_DATAERR, 0, "a container ID on disk longer than 64 bytes");
	memcpy(t->id, c->id, strlen(c->id) + 1);
	snprintf(t->id12, sizeof(t->id12), "%.12s", c->id);
	t->name = strdup(c->name != NULL ? c->name : c->id);
	t->image = dup_or_null(c->image);
	t->image_id = dup_or_null(c->image_id);
	t->status = strdup(c->status != NULL ? c->status : "unknown");
	t->rt_ns = dup_or_null(c->ns);
	t->manager = c->manager;
	/* nothing on a disk runs on this machine: no process, no freezer, no network */
	t->source = offline ? "offline" : "disk";
	if (t->name == NULL || t->status == NULL || disk_files(t, c, err) < 0)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "target");
	/* without layers it is still described: diff and export say why they cannot */
	if (cfir_target_disk_layers(t, root, &lerr) < 0) {
		free(t->rootfs_check);
		if (asprintf(&t->rootfs_check, "unavailable: %s", lerr.msg) < 0)
			t->rootfs_check = NULL;
	}
	return 0;
}

/* How C answers REF: 3 its full ID, 2 its name or NS/ID, 1 its ID starts with REF, 0 not. */
static int
matches(const struct cfir_disk_container *c, const char *ref)
{
	size_t n = strlen(ref);
	const char *slash = strchr(ref, '/');

	if (strcmp(c->id, ref) == 0)
		return 3;
	if ((c->name != NULL && strcmp(c->name, ref) == 0) ||
	    (c->ns != NULL && slash != NULL && (size_t)(slash - ref) == strlen(c->ns) &&
	     strncmp(ref, c->ns, (size_t)(slash - ref)) == 0 && strcmp(slash + 1, c->id) == 0))
		return 2;
	return n > 0 && strncmp(c->id, ref, n) == 0 ? 1 : 0;
}

int
cfir_target_resolve_disk(int root, bool offline, const char *ref, struct cfir_target **tp,
			 struct cfir_err *err)
{
	struct cfir_disk_list l;
	const struct cfir_disk_container *best = NULL;
	int bm = 0, m, ties = 0, rc;
	size_t i;

	*tp = NULL;
	if (cfir_disk_list(root, &l, err) < 0)
		return -1;
	for (i = 0; i < l.n; i++) {
		m = matches(&l.v[i], ref);
		if (m > bm) {
			bm = m;
			best = &l.v[i];
			ties = 1;
		} else if (m == bm && m > 0) {
			ties++;
		}
	}
	if (best == NULL)
		rc = cfir_err_set(err, EX_NOINPUT, 0, "no such container on disk: '%s'", ref);
	else if (ties > 1)
		rc = cfir_err_set(err, EX_USAGE, 0, "'%s' names %d containers on disk: give the whole ID", ref, ties);
	else if ((*tp = calloc(1, sizeof(**tp))) == NULL)
		rc = cfir_err_set(err, EX_OSERR, ENOMEM, "target");
	else if ((rc = cfir_target_from_disk(*tp, best, root, offline, err)) < 0) {
		cfir_target_free(*tp);
		*tp = NULL;
	}
	cfir_disk_list_free(&l);
	return rc;
}
