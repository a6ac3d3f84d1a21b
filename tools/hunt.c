/* hunt.c - which containers here are dangerous, and which look compromised */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cleanup.h"
#include "common/hunt.h"
#include "common/util.h"
#include "common/interrupt.h"
#include "tools/tool.h"

struct hunt_opts {
	struct cfir_hunt_sel sel;
	bool every, list, sandboxes;
	int fail_on;
	double interval;	/* --every: a round each INTERVAL seconds, 0 for one */
};

/* "a,b,c": every ID must be a check's */
static int
select_ids(struct cfir_hunt_sel *sel, const char *list, bool only, struct cfir_err *err)
{
	cleanup_free char *copy = strdup(list);
	char *id, *save = NULL;
	size_t i;

	if (copy == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "out of memory");
	if (only)
		for (i = 0; i < cfir_nchecks; i++)
			sel->off[i] = true;
	for (id = strtok_r(copy, ",", &save); id != NULL; id = strtok_r(NULL, ",", &save)) {
		const struct cfir_check *c = cfir_check_find(id);

		if (c == NULL)
			return cfir_err_set(err, EX_USAGE, 0, "no check '%s' (cfir hunt --list names them)", id);
		sel->off[c - cfir_checks] = !only;
	}
	return 0;
}

static const struct cfir_field check_cols[] = {
	{ "check", "CHECK", CFIR_FMT_STR, 22, 0, NULL },
	{ "severity", "SEVERITY", CFIR_FMT_STR, 8, 0, NULL },
	{ "kind", "KIND", CFIR_FMT_STR, 6, 0, NULL },
	{ "title", "TITLE", CFIR_FMT_STR, 0, 0, NULL },
	{ 0 },
};

static int
list_checks(struct cfir_out *o)
{
	size_t i;

	cfir_out_head(o, check_cols);
	for (i = 0; i < cfir_nchecks; i++) {
		const struct cfir_check *c = &cfir_checks[i];
		cleanup_cjson cJSON *j = cJSON_CreateObject();

		cfir_json_add_str(j, "check", c->id);
		cfir_json_add_str(j, "severity", cfir_severity_name(c->severity));
		cfir_json_add_str(j, "kind", c->live ? "live" : "config");
		cfir_json_add_str(j, "title", c->title);
		cfir_json_add_str(j, "remedy", c->remedy);
		if (cfir_out_row(o, j, check_cols) < 0)
			return -1;
	}
	return 0;
}

struct examined {
	struct cfir_target *t;
	cJSON *findings, *notes;
	int counts[5];
};

static int
sev_of(const cJSON *f)
{
	return cfir_severity_parse(cfir_json_str(f, "severity"));
}

/* field=value of the evidence, cut at 120 characters */
static void
evidence(struct cfir_text *t, const cJSON *f)
{
	static const struct cfir_field value = { "evidence.value", NULL, CFIR_FMT_JSON, 0, 0, NULL };
	const char *field = cfir_json_str(cJSON_GetObjectItem(f, "evidence"), "field");

	cfir_text_printf(t, "%s=", field ? field : "-");
	cfir_field_text(t, f, &value);
}

static const struct cfir_field finding_cols[] = {
	{ "severity", "SEVERITY", CFIR_FMT_STR, 8, 0, NULL },
	{ "check", "CHECK", CFIR_FMT_STR, 20, 0, NULL },
	{ "name", "CONTAINER", CFIR_FMT_BYTES, 24, 0, NULL },
	{ NULL, "EVIDENCE", CFIR_FMT_STR, 0, 0, evidence },
	{ 0 },
};

static void
summary_title(struct cfir_text *t, const cJSON *o)
{
	const cJSON *c = cJSON_GetObjectItem(o, "counts");
	const char *worst = cfir_json_str(o, "highest");

	cfir_text_printf(t, "%s (%.12s, %s): %.0f critical, %.0f high, %.0f medium, %.0f low, %.0f info%s%s",
			 cfir_json_str(o, "name"), cfir_json_str(o, "container"), cfir_json_str(o, "state"),
			 cfir_json_num(c, "critical"), cfir_json_num(c, "high"), cfir_json_num(c, "medium"),
			 cfir_json_num(c, "low"), cfir_json_num(c, "info"), worst ? "; worst: " : "", worst ? worst : "");
}

static const struct cfir_view summary_view = { summary_title, NULL };

static cJSON *
summary_json(const struct examined *h)
{
	cJSON *o = cJSON_CreateObject(), *c;
	int s, highest = -1;

	cfir_json_add_str(o, "type", "summary");
	cfir_json_add_str(o, "container", h->t->id);
	cfir_json_add_bytes(o, "name", h->t->name, strlen(h->t->name));
	cfir_json_add_str(o, "state", h->t->status);
	c = cJSON_AddObjectToObject(o, "counts");
	for (s = 4; s >= 0; s--) {
		cfir_json_add_num(c, cfir_severity_name((enum cfir_severity)s), h->counts[s]);
		if (h->counts[s] > 0 && highest < 0)
			highest = s;
	}
	if (highest >= 0)
		cfir_json_add_str(o, "highest", cfir_severity_name((enum cfir_severity)highest));
	else
		cJSON_AddNullToObject(o, "highest");
	cJSON_AddItemToObject(o, "notes", cJSON_Duplicate(h->notes, true));
	return o;
}

static void
hunt_one(struct examined *h, struct cfir_hunt_host *host, const struct cfir_hunt_sel *sel, double round)
{
	cJSON *f;

	h->findings = cJSON_CreateArray();
	h->notes = cJSON_CreateArray();
	cfir_hunt_container_on(host, h->t, "/proc", sel, h->findings, h->notes);
	cJSON_ArrayForEach(f, h->findings) {
		int s = sev_of(f);

		cfir_json_add_str(f, "type", "finding");
		cfir_json_add_str(f, "container", h->t->id);
		cfir_json_add_bytes(f, "name", h->t->name, strlen(h->t->name));
		if (round > 0)
			cfir_json_add_num(f, "round", round);
		if (s >= 0)
			h->counts[s]++;
	}
}

/*
 * What one hunt holds: the containers examined, their findings worst
 * first. The live checks of each run on a thread of their own while the
 * engine is asked about the next: the engine's answers and the host's
 * /proc are two waits, the one overlaps the other.
 */
struct hunt {
	struct examined **hs;
	size_t n, cap, nf;
	const cJSON **sorted;
	int worst;
	double round;		/* with --every, this round's number from 1 */
	const struct cfir_hunt_sel *sel;
	struct cfir_hunt_host *host;	/* the host's processes, read at the first that runs */
	bool host_read;
	/* the checker: under MU, the containers up to N are taken, DONE of them checked */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t checker;
	bool threaded, closed;
	size_t done;
};

/*
 * The host's processes once for every container of the round, rather than
 * a walk of /proc for each; when they cannot be read, each container walks
 * /proc itself, as alone.
 */
static struct cfir_hunt_host *
host_of(struct hunt *h, const struct cfir_target *t)
{
	struct cfir_err err = { 0 };

	if (t->pid <= 0 || h->host_read)
		return h->host;
	h->host_read = true;
	if (cfir_hunt_host_read("/proc", &h->host, &err) < 0)
		h->host = NULL;
	return h->host;
}

/*
 * What the round keeps of a container once it is checked: its names and
 * state for the summary and the bag's record; the engine's reply, the
 * largest part of it, goes.
 */
static void
checked(struct examined *x, struct cfir_hunt_host *host, const struct cfir_hunt_sel *sel, double round)
{
	hunt_one(x, host, sel, round);
	cJSON_Delete(x->t->inspect);
	x->t->inspect = NULL;
	free(x->t->inspect_raw);
	x->t->inspect_raw = NULL;
	x->t->inspect_len = 0;
}

/* The checker's loop: each container taken, in order, until the last is in. */
static void *
checker(void *arg)
{
	struct hunt *h = arg;
	struct examined *x;

	pthread_mutex_lock(&h->mu);
	for (;;) {
		while (h->done == h->n && !h->closed)
			pthread_cond_wait(&h->cv, &h->mu);
		if (h->done == h->n)
			break;
		x = h->hs[h->done];
		pthread_mutex_unlock(&h->mu);
		checked(x, host_of(h, x->t), h->sel, h->round);
		pthread_mutex_lock(&h->mu);
		h->done++;
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

/* The checker started; without a thread, each container is checked as it is taken. */
static void
examine_begin(struct hunt *h, const struct cfir_hunt_sel *sel)
{
	h->sel = sel;
	if (pthread_mutex_init(&h->mu, NULL) != 0)
		return;
	if (pthread_cond_init(&h->cv, NULL) != 0) {
		pthread_mutex_destroy(&h->mu);
		return;
	}
	/* the signals stay the main thread's, which the runner's handler expects */
	h->threaded = cfir_util_thread_create(&h->checker, checker, h) == 0;
	if (!h->threaded) {
		pthread_cond_destroy(&h->cv);
		pthread_mutex_destroy(&h->mu);
	}
}

/* Every container taken is checked: the checker joined, the findings counted. */
static void
examine_end(struct hunt *h)
{
	size_t i;

	if (h->threaded) {
		pthread_mutex_lock(&h->mu);
		h->closed = true;
		pthread_cond_signal(&h->cv);
		pthread_mutex_unlock(&h->mu);
		pthread_join(h->checker, NULL);
		pthread_cond_destroy(&h->cv);
		pthread_mutex_destroy(&h->mu);
		h->threaded = false;
	}
	for (i = 0; i < h->n; i++)
		h->nf += (size_t)cJSON_GetArraySize(h->hs[i]->findings);
}

/* One container more, from its source, for the checker: none when it is not one to hunt. */
static void
next_slot(struct hunt *h, struct cfir_target *t, bool sandboxes)
{
	struct examined *x, **v;

	if (t->sandbox && !sandboxes) {
		cfir_target_free(t);	/* a pod's pause container: nothing of the workload */
		return;
	}
	if ((x = calloc(1, sizeof(*x))) == NULL) {
		cfir_target_free(t);
		return;
	}
	x->t = t;
	if (h->threaded)
		pthread_mutex_lock(&h->mu);
	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 64;

		if ((v = realloc(h->hs, cap * sizeof(*v))) == NULL) {
			if (h->threaded)
				pthread_mutex_unlock(&h->mu);
			cfir_target_free(t);
			free(x);
			return;
		}
		h->hs = v;
		h->cap = cap;
	}
	h->hs[h->n++] = x;
	if (h->threaded) {
		pthread_cond_signal(&h->cv);
		pthread_mutex_unlock(&h->mu);
	} else {
		checked(x, host_of(h, t), h->sel, h->round);
	}
}

/* The containers named: each from the engine, else the runtime state. */
static int
examine_named(struct tool_step *s, const struct hunt_opts *o, int argc, char **argv, struct hunt *h)
{
	bool down = s->g->engine_down.exit != 0;
	int i;

	examine_begin(h, &o->sel);
	for (i = 0; i < argc; i++) {
		struct cfir_target *t = NULL;
		struct cfir_err one = { 0 };

		if (tool_source_target(s->g, s->e, argv[i], &t, &one) < 0) {
			tool_soft_fail(s, &one);
			continue;
		}
		if (!down && s->g->engine_down.exit != 0)
			down = tool_source_said(s);
		tool_source_refused(s, t);
		next_slot(h, t, true);
	}
	examine_end(h);
	return 0;
}

struct each {
	struct hunt *h;
	const struct hunt_opts *o;
};

static void
take(void *ctx, struct cfir_target *t)
{
	struct each *x = ctx;

	next_slot(x->h, t, x->o->sandboxes);
}

/* Every container on the host, from the engine and the runtime state, each examined once. */
static int
examine_all(struct tool_step *s, const struct hunt_opts *o, struct hunt *h)
{
	struct each x = { .h = h, .o = o };
	int rc;

	examine_begin(h, &o->sel);
	rc = tool_source_each(s, o->every, o->sandboxes, take, &x);
	examine_end(h);
	return rc;
}

/* The checks' places in cfir_checks, by ID: a finding's rank found by a binary search. */
struct ranks {
	size_t *by_id;	/* every check's index, in the order of their IDs */
	size_t n;
};

static int
id_order(const void *a, const void *b)
{
	return strcmp(cfir_checks[*(const size_t *)a].id, cfir_checks[*(const size_t *)b].id);
}

static int
rank_of(const struct ranks *r, const cJSON *f)
{
	const char *id = cfir_json_str(f, "check");
	size_t lo = 0, hi = r->n, mid;
	int d;

	while (id != NULL && lo < hi) {
		mid = lo + (hi - lo) / 2;
		d = strcmp(cfir_checks[r->by_id[mid]].id, id);
		if (d == 0)
			return (int)r->by_id[mid];
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* By severity, worst first, then container name, then the checks' order. */
static int
by_severity(const void *a, const void *b, void *ctx)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	int d = sev_of(y) - sev_of(x);

	if (d == 0)
		d = strcmp(cfir_json_str(x, "name"), cfir_json_str(y, "name"));
	return d != 0 ? d : rank_of(ctx, x) - rank_of(ctx, y);
}

/* every finding, worst first */
static int
sort_findings(struct tool_step *s, struct hunt *h)
{
	cleanup_free size_t *by_id = calloc(cfir_nchecks + 1, sizeof(*by_id));
	struct ranks r = { .by_id = by_id };
	size_t i, k = 0;
	cJSON *f;

	h->worst = -1;
	h->sorted = calloc(h->nf + 1, sizeof(*h->sorted));
	if (h->sorted == NULL || by_id == NULL)
		return cfir_err_set(&s->err, EX_OSERR, ENOMEM, "hunt");
	for (i = 0; i < cfir_nchecks; i++)
		r.by_id[r.n++] = i;
	qsort(r.by_id, r.n, sizeof(r.by_id[0]), id_order);
	for (i = 0; i < h->n; i++)
		cJSON_ArrayForEach(f, h->hs[i]->findings) {
			h->sorted[k++] = f;
			if (sev_of(f) > h->worst)
				h->worst = sev_of(f);
		}
	qsort_r(h->sorted, k, sizeof(*h->sorted), by_severity, &r);
	return 0;
}

/* hunt/findings.jsonl: every finding and summary as JSON Lines */
static int
write_findings(struct tool_step *s, const struct hunt *h)
{
	struct cfir_writer *w = NULL;
	size_t i;
	int rc = cfir_writer_open(s->bag, "hunt", "findings.jsonl", &w, &s->err);

	for (i = 0; rc == 0 && i < h->nf + h->n; i++) {
		cJSON *sum = i < h->nf ? NULL : summary_json(h->hs[i - h->nf]);
		size_t len;
		cleanup_free char *line = cfir_json_line(i < h->nf ? h->sorted[i] : sum, &len);

		cJSON_Delete(sum);
		rc = line ? cfir_writer_write(w, line, len, &s->err) : cfir_err_set(&s->err, EX_OSERR, ENOMEM, "hunt");
	}
	if (w != NULL && rc == 0)
		rc = cfir_writer_commit(w, &s->err);
	else if (w != NULL)
		cfir_writer_abort(w);
	return rc;
}

static cJSON *
details_of(const struct hunt *h)
{
	cJSON *d = cJSON_CreateObject();

	cfir_json_add_num(d, "containers", (double)h->n);
	cfir_json_add_num(d, "findings", (double)h->nf);
	if (h->worst >= 0)
		cfir_json_add_str(d, "worst", cfir_severity_name((enum cfir_severity)h->worst));
	return d;
}

static void
output(struct cfir_out *o, const struct hunt *h)
{
	size_t i;

	if (h->nf > 0)
		cfir_out_head(o, finding_cols);
	for (i = 0; i < h->nf; i++)
		cfir_out_row(o, h->sorted[i], finding_cols);
	for (i = 0; i < h->n; i++) {
		cleanup_cjson cJSON *sum = summary_json(h->hs[i]);

		if (h->round > 0)
			cfir_json_add_num(sum, "round", h->round);
		cfir_out_record(o, sum, &summary_view);
	}
	fflush(stdout);	/* a round is whole on a pipe before the wait */
}

static void
hunt_free(struct hunt *h)
{
	size_t i;

	for (i = 0; h->hs != NULL && i < h->n; i++) {
		cfir_target_free(h->hs[i]->t);
		cJSON_Delete(h->hs[i]->findings);
		cJSON_Delete(h->hs[i]->notes);
		free(h->hs[i]);
	}
	free(h->hs);
	free(h->sorted);
	cfir_hunt_host_free(h->host);
}

/* Inside collect the one container is given, already resolved: its own hunt. */
static int
examine_given(struct tool_step *s, const struct hunt_opts *o, struct hunt *h)
{
	h->hs = calloc(1, sizeof(*h->hs));
	if (h->hs == NULL || (h->hs[0] = calloc(1, sizeof(*h->hs[0]))) == NULL)
		return cfir_err_set(&s->err, EX_OSERR, ENOMEM, "hunt");
	h->hs[0]->t = s->t;
	h->n = 1;
	hunt_one(h->hs[0], NULL, &o->sel, 0);
	h->nf = (size_t)cJSON_GetArraySize(h->hs[0]->findings);
	return 0;
}

/*
 * The bag, when one is asked for, opened once the containers are examined
 * (the lock is not held while they are): every finding and summary in it,
 * one record, with the container when it was one.
 */
static int
record_findings(struct tool_step *s, const struct hunt *h)
{
	int rc;

	if (s->bag == NULL && s->g->bag != NULL && tool_bag_open(s->g, NULL, NULL, &s->bag, &s->err) < 0)
		return -1;
	if (s->bag == NULL)
		return 0;
	if (cfir_bag_begin(s->bag, "hunt", h->n == 1 ? h->hs[0]->t : NULL, &s->err) < 0)
		return -1;
	s->details = details_of(h);
	rc = write_findings(s, h);
	return tool_record_end(s, rc) < 0 ? -1 : rc;
}

/* One hunt: examined, sorted, recorded, printed; 1 when --fail-on's severity was reached. */
static int
one_round(struct tool_step *s, const struct hunt_opts *o, int argc, char **argv, double round)
{
	struct hunt h = { .round = round };
	bool given = s->t != NULL;
	int rc, reached = 0;

	rc = given ? examine_given(s, o, &h) : argc > 0 ? examine_named(s, o, argc, argv, &h) : examine_all(s, o, &h);
	if (rc == 0)
		rc = sort_findings(s, &h);
	if (rc == 0)
		rc = record_findings(s, &h);
	if (rc == 0) {
		output(s->out, &h);
		if (o->fail_on >= 0 && h.worst >= o->fail_on) {
			s->status = CFIR_EX_NEGATIVE;
			reached = 1;
		}
	}
	if (given && h.n == 1)
		h.hs[0]->t = NULL;	/* collect's */
	hunt_free(&h);
	return rc < 0 ? rc : reached;
}

/* SECONDS from START on the monotonic clock, or until a signal: false when one came. */
static bool
wait_until(const struct timespec *start, double seconds)
{
	struct timespec now, tick = { 0, 100 * 1000 * 1000 };

	for (;;) {
		if (cfir_interrupt_pending())
			return false;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9 >= seconds)
			return true;
		nanosleep(&tick, NULL);
	}
}

/*
 * --every: a round each INTERVAL seconds, counted from each round's start,
 * until a signal (between rounds: exit 0, a schedule stopped is no
 * failure) or, with --fail-on, the first round with a finding that severe.
 */
static int
run(struct tool_step *s, void *opts, int argc, char **argv)
{
	const struct hunt_opts *o = opts;
	struct timespec start;
	double round = 0;
	int rc;

	if (o->list) {
		list_checks(s->out);
		return 0;
	}
	if (s->t == NULL && s->e == NULL) {
		cleanup_free char *why = NULL;

		if (tool_source_engine(s->g, &s->e, &why, &s->err) < 0)
			return -1;
		if (why != NULL)
			tool_warn(s, "%s", why);
	}
	if (o->interval <= 0)
		return one_round(s, o, argc, argv, 0) < 0 ? -1 : 0;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &start);
		rc = one_round(s, o, argc, argv, ++round);
		if (rc != 0)
			return rc < 0 ? -1 : 0;
		if (!wait_until(&start, o->interval))
			return 0;
	}
}

static void
init(void *opts)
{
	((struct hunt_opts *)opts)->fail_on = -1;
}

static int
only(void *opts, const char *arg, struct cfir_err *err)
{
	return select_ids(&((struct hunt_opts *)opts)->sel, arg, true, err);
}

static int
skip(void *opts, const char *arg, struct cfir_err *err)
{
	return select_ids(&((struct hunt_opts *)opts)->sel, arg, false, err);
}

static const struct tool_opt opts[] = {
	TOOL_OPT("all", 0, TOOL_OPT_FLAG, struct hunt_opts, every),
	TOOL_OPT_RANGE("every", 0, TOOL_OPT_SECONDS, struct hunt_opts, interval, 0, 31 * 86400),
	TOOL_OPT("fail-on", 0, TOOL_OPT_SEVERITY, struct hunt_opts, fail_on),
	TOOL_OPT("list", 0, TOOL_OPT_FLAG, struct hunt_opts, list),
	TOOL_OPT("sandboxes", 0, TOOL_OPT_FLAG, struct hunt_opts, sandboxes),
	{ "only", 0, TOOL_OPT_CALL, 0, 0, 0, only },
	{ "skip", 0, TOOL_OPT_CALL, 0, 0, 0, skip },
	{ 0 },
};

static const char hunt_usage[] =
	"usage: cfir hunt [-h] [-o bag] [--case case] [--examiner name] [--all]\n"
	"                 [--fail-on severity] [--only ids] [--skip ids] [--list]\n"
	"                 [--sandboxes] [--every seconds]\n"
	"                 [container ...]\n";

const struct tool_cmd cmd_hunt = {
	.name = "hunt", .usage = hunt_usage, .needs = TOOL_BAG_SELF | TOOL_OWN_RECORDS,
	.summary = "find the dangerous and the compromised containers on this host",
	.min_args = 0, .max_args = -1, .opts = opts, .opts_size = sizeof(struct hunt_opts), .init = init,
	.run = run,
};
