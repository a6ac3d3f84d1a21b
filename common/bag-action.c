/* bag-action.c - actions: what each custody record will say, the main one and the side ones */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#include "common/bag.h"
#include "common/bag-internal.h"
#include "common/cleanup.h"
#include "common/target.h"
#include "common/util.h"

static char *
container_line(const struct cfir_target *t)
{
	cleanup_free char *name = cfir_manifest_encode(t->name);
	char *line = NULL;

	if (name == NULL || asprintf(&line, "%s %s", t->id, name) < 0)
		return NULL;
	return line;
}

int
cfir_bag_act_begin(struct cfir_bag *b, struct act *a, const char *action, const struct cfir_target *t,
	  struct cfir_err *err)
{
	char **nc;
	size_t i;

	a->action = strdup(action);
	a->artifacts = cJSON_CreateArray();
	cfir_util_now_rfc3339(a->started);
	if (t != NULL) {
		cleanup_free char *line = container_line(t);

		a->target = strdup(t->id);
		a->target_id12 = strdup(t->id12);
		a->target_name = strdup(t->name);
		pthread_mutex_lock(&b->mu);
		for (i = 0; line != NULL && i < b->ncontainers; i++)
			if (strncmp(b->containers[i], t->id, 64) == 0)
				break;
		if (line != NULL && i == b->ncontainers) {
			nc = realloc(b->containers, (b->ncontainers + 1) * sizeof(*nc));
			if (nc != NULL) {
				b->containers = nc;
				b->containers[b->ncontainers++] = steal_pointer(&line);
			}
		}
		pthread_mutex_unlock(&b->mu);
	}
	if (a->action == NULL || a->artifacts == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "bag");
	return 0;
}

int
cfir_bag_begin(struct cfir_bag *b, const char *action, const struct cfir_target *t,
	       struct cfir_err *err)
{
	if (b->cur.action != NULL)
		return cfir_err_set(err, EX_SOFTWARE, 0, "action '%s' still open", b->cur.action);
	return cfir_bag_act_begin(b, &b->cur, action, t, err);
}

int
cfir_bag_side_begin(struct cfir_bag *b, const char *action, const struct cfir_target *t,
		    struct cfir_bag_side **sp, struct cfir_err *err)
{
	struct cfir_bag_side *s = calloc(1, sizeof(*s));

	*sp = NULL;
	if (s == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "bag");
	if (cfir_bag_act_begin(b, &s->a, action, t, err) < 0) {
		cfir_bag_act_clear(&s->a);
		free(s);
		return -1;
	}
	*sp = s;
	return 0;
}

int
cfir_bag_side_end(struct cfir_bag *b, struct cfir_bag_side *s, const char *status, const char *error,
		  cJSON *details, struct cfir_err *err)
{
	int r;

	pthread_mutex_lock(&b->mu);
	r = cfir_bag_record_write(b, &s->a, status, error, details, err);
	pthread_mutex_unlock(&b->mu);
	cfir_bag_act_clear(&s->a);
	free(s);
	return r;
}

void
cfir_bag_act_clear(struct act *a)
{
	char **owned[] = { &a->action, &a->target, &a->target_id12, &a->target_name };
	size_t i;

	for (i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
		free(steal_pointer(owned[i]));
	cJSON_Delete(steal_pointer(&a->artifacts));
}

int
cfir_bag_end(struct cfir_bag *b, const char *status, const char *error,
	     cJSON *details, struct cfir_err *err)
{
	int r;

	if (b->cur.action == NULL) {
		cJSON_Delete(details);
		return cfir_err_set(err, EX_SOFTWARE, 0, "no action in progress");
	}
	pthread_mutex_lock(&b->mu);
	r = cfir_bag_record_write(b, &b->cur, status, error, details, err);
	pthread_mutex_unlock(&b->mu);
	return r;
}
