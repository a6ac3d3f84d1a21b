/* runtime-find.c - one container of the runtimes' list named by the examiner */
#include <stdio.h>
#include <string.h>

#include "common/runtime.h"

#define REF_MAX 1024	/* a Kubernetes name is three DNS names at most */

struct found {
	const struct cfir_runtime_entry *first;
	const struct cfir_runtime_entry *live;	/* the one with a believed PID */
	size_t n, nlive;
	char cands[400];	/* the first candidates, for the message */
	size_t used;
};

static void
add(struct found *f, const struct cfir_runtime_entry *e)
{
	const char *label = e->name != NULL ? e->name : e->ns != NULL ? e->ns : "-";

	if (f->n++ == 0)
		f->first = e;
	if (e->has_pid && f->nlive++ == 0)
		f->live = e;
	if (f->used < sizeof(f->cands) - 80)
		f->used += (size_t)snprintf(f->cands + f->used, sizeof(f->cands) - f->used,
					    "%s%.12s (%.40s, %s)", f->n > 1 ? ", " : "", e->id, label,
					    e->state != NULL ? e->state : "-");
}

/* Exactly one in F: *EP; several: EX_USAGE naming them; none: 0, *EP NULL. */
static int
settle(const struct found *f, const char *ref, const char *what,
       const struct cfir_runtime_entry **ep, struct cfir_err *err)
{
	if (f->n > 1)
		return cfir_err_set(err, EX_USAGE, 0, "'%s' is an ambiguous %s: %zu containers match: %s",
				    ref, what, f->n, f->cands);
	*ep = f->first;
	return 0;
}

/* "NAMESPACE/ID": the ID in full, else a unique prefix, in that namespace. */
static int
find_ns_id(const struct cfir_runtime_list *l, const char *ref, const char *slash,
	   const struct cfir_runtime_entry **ep, struct cfir_err *err)
{
	size_t nsl = (size_t)(slash - ref), idl = strlen(slash + 1), i;
	struct found full = { 0 }, pre = { 0 };

	if (idl == 0)
		return 0;
	for (i = 0; i < l->n; i++) {
		const struct cfir_runtime_entry *e = &l->v[i];

		if (e->ns == NULL || strlen(e->ns) != nsl || memcmp(e->ns, ref, nsl) != 0 ||
		    strncmp(e->id, slash + 1, idl) != 0)
			continue;
		add(&pre, e);
		if (e->id[idl] == '\0')
			add(&full, e);
	}
	return settle(full.n > 0 ? &full : &pre, ref, "ID prefix", ep, err);
}

int
cfir_runtime_find(const struct cfir_runtime_list *l, const char *ref,
		  const struct cfir_runtime_entry **ep, struct cfir_err *err)
{
	struct found f = { 0 };
	const char *slash = strchr(ref, '/');
	size_t i, rl = strlen(ref);

	*ep = NULL;
	if (rl == 0)
		return cfir_err_set(err, EX_USAGE, 0, "empty container name");
	if (rl > REF_MAX)
		return cfir_err_set(err, EX_USAGE, 0, "'%.64s...' is not a container name or ID", ref);
	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].id, ref) == 0)
			add(&f, &l->v[i]);
	if (f.n > 0)
		return settle(&f, ref, "ID (name one NAMESPACE/ID)", ep, err);
	if (slash != NULL && strchr(slash + 1, '/') == NULL) {
		if (find_ns_id(l, ref, slash, ep, err) < 0 || *ep != NULL)
			return *ep != NULL ? 0 : -1;
	}
	for (i = 0; i < l->n; i++)
		if (l->v[i].name != NULL && strcmp(l->v[i].name, ref) == 0)
			add(&f, &l->v[i]);
	/* kubelet keeps a restarted container's exited ones under its name: the running one is it */
	if (f.n > 1 && f.nlive == 1) {
		*ep = f.live;
		return 0;
	}
	if (f.n > 0)
		return settle(&f, ref, "name", ep, err);
	for (i = 0; i < l->n; i++)
		if (strncmp(l->v[i].id, ref, rl) == 0)
			add(&f, &l->v[i]);
	if (f.n == 0)
		return cfir_err_set(err, EX_NOINPUT, 0, "no such container: '%s'", ref);
	return settle(&f, ref, "ID prefix", ep, err);
}
