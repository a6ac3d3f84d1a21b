/* hunt.c - which containers here are dangerous, and which look compromised */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/hunt.h"
#include "tools/tool.h"

static const char usage[] =
	"usage: cfir hunt [-h] [-o bag] [--case case] [--examiner name] [--all]\n"
	"                 [--fail-on severity] [--only ids] [--skip ids] [--list]\n"
	"                 [container ...]\n";

enum { OPT_ALL = 0x500, OPT_FAIL_ON, OPT_ONLY, OPT_SKIP, OPT_LIST };

/* "a,b,c": every ID must be a check's */
static int
select_ids(struct cfir_hunt_sel *sel, const char *list, bool only)
{
	cleanup_free char *copy = strdup(list);
	char *id, *save = NULL;
	size_t i;

	if (copy == NULL)
		return -1;
	if (only)
		for (i = 0; i < cfir_nchecks; i++)
			sel->off[i] = true;
	for (id = strtok_r(copy, ",", &save); id != NULL; id = strtok_r(NULL, ",", &save)) {
		const struct cfir_check *c = cfir_check_find(id);

		if (c == NULL) {
			cfir_err_print("no check '%s' (cfir hunt --list names them)", id);
			return -1;
		}
		sel->off[c - cfir_checks] = !only;
	}
	return 0;
}

static void
list_checks(struct cfir_global *g)
{
	size_t i;

	for (i = 0; i < cfir_nchecks; i++) {
		const struct cfir_check *c = &cfir_checks[i];

		if (g->out.format == CFIR_FORMAT_JSON) {
			cJSON *o = cJSON_CreateObject();

			cfir_json_add_str(o, "check", c->id);
			cfir_json_add_str(o, "severity", cfir_severity_name(c->severity));
			cfir_json_add_str(o, "kind", c->live ? "live" : "config");
			cfir_json_add_str(o, "title", c->title);
			cfir_json_add_str(o, "remedy", c->remedy);
			cfir_out_record(&g->out, o, NULL, NULL);
			cJSON_Delete(o);
		} else {
			fprintf(g->out.fp, "%-22s %-8s %-6s %s\n", c->id, cfir_severity_name(c->severity),
				c->live ? "live" : "config", c->title);
		}
	}
}

struct hunted {
	struct cfir_target *t;
	cJSON *findings, *notes;
	int counts[5];
};

static int
sev_of(const cJSON *f)
{
	return cfir_severity_parse(tool_jstr(f, "severity"));
}

static int
check_rank(const cJSON *f)
{
	const struct cfir_check *c = cfir_check_find(tool_jstr(f, "check"));

	return c ? (int)(c - cfir_checks) : 0;
}

/* By severity, worst first, then container name, then the checks' order. */
static int
by_severity(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	int d = sev_of(y) - sev_of(x);

	if (d == 0)
		d = strcmp(tool_jstr(x, "name"), tool_jstr(y, "name"));
	return d != 0 ? d : check_rank(x) - check_rank(y);
}

static void
text_value(FILE *f, const cJSON *ev)
{
	cleanup_free char *v = cJSON_PrintUnformatted(cJSON_GetObjectItem(ev, "value"));
	size_t n;

	fputs(tool_jstr(ev, "field"), f);
	if (v == NULL)
		return;
	n = strlen(v);
	if (n > 120)
		strcpy(v + 117, "...");
	fputc('=', f);
	cfir_vis_str(f, v);
}

static void
summary_text(FILE *f, const struct hunted *h)
{
	int s, highest = -1;

	for (s = 0; s < 5; s++)
		if (h->counts[s] > 0)
			highest = s;
	cfir_vis_str(f, h->t->name);
	fprintf(f, " (%s, %s): %d critical, %d high, %d medium, %d low, %d info%s%s\n", h->t->id12, h->t->status,
		h->counts[4], h->counts[3], h->counts[2], h->counts[1], h->counts[0],
		highest >= 0 ? "; worst: " : "", highest >= 0 ? cfir_severity_name((enum cfir_severity)highest) : "");
}

static cJSON *
summary_json(const struct hunted *h)
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

/* Every container the engine lists (running ones unless ALL), by full ID. */
static int
listed(struct cfir_engine *e, bool all, cJSON **ids, struct cfir_err *err)
{
	cleanup_cjson cJSON *list = NULL;
	const cJSON *c;

	if (cfir_engine_json(e, "GET", all ? "/containers/json?all=1" : "/containers/json", NULL, &list, err) < 0)
		return -1;
	*ids = cJSON_CreateArray();
	cJSON_ArrayForEach(c, list)
		if (tool_jstr(c, "Id") != NULL)
			cJSON_AddItemToArray(*ids, cJSON_CreateString(tool_jstr(c, "Id")));
	return 0;
}

static void
hunt_one(struct hunted *h, const struct cfir_hunt_sel *sel)
{
	cJSON *f;

	h->findings = cJSON_CreateArray();
	h->notes = cJSON_CreateArray();
	cfir_hunt_container(h->t, "/proc", sel, h->findings, h->notes);
	cJSON_ArrayForEach(f, h->findings) {
		int s = sev_of(f);

		cfir_json_add_str(f, "type", "finding");
		cfir_json_add_str(f, "container", h->t->id);
		cfir_json_add_bytes(f, "name", h->t->name, strlen(h->t->name));
		if (s >= 0)
			h->counts[s]++;
	}
}

int
cmd_hunt(int argc, char **argv, struct cfir_global *g)
{
	static const struct option longopts[] = {
		TOOL_BAG_LONGOPTS,
		{ "all", no_argument, NULL, OPT_ALL },
		{ "fail-on", required_argument, NULL, OPT_FAIL_ON },
		{ "help", no_argument, NULL, 'h' },
		{ "list", no_argument, NULL, OPT_LIST },
		{ "only", required_argument, NULL, OPT_ONLY },
		{ "skip", required_argument, NULL, OPT_SKIP },
		{ NULL, 0, NULL, 0 },
	};
	struct cfir_hunt_sel sel = { { false } };
	struct cfir_engine *e = NULL;
	struct cfir_bag *bag = NULL;
	struct cfir_err err = { 0 }, first = { 0 };
	struct tool_bagopts bo;
	struct hunted *hs = NULL;
	cleanup_cjson cJSON *ids = NULL, *all = NULL;
	const cJSON **sorted = NULL;
	cJSON *details, *f, *bagall;
	const cJSON *id;
	bool every = false, list = false, named;
	int c, fail_on = -1, worst = -1, r = 0;
	size_t n = 0, nf = 0, i;

	tool_bagopts_init(&bo, g);
	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		if (tool_bagopt(&bo, c, optarg))
			continue;
		switch (c) {
		case OPT_ALL:
			every = true;
			continue;
		case OPT_LIST:
			list = true;
			continue;
		case OPT_FAIL_ON:
			fail_on = cfir_severity_parse(optarg);
			if (fail_on < 0) {
				cfir_err_print("--fail-on takes critical, high, medium, low or info, not '%s'", optarg);
				return EX_USAGE;
			}
			continue;
		case OPT_ONLY:
		case OPT_SKIP:
			if (select_ids(&sel, optarg, c == OPT_ONLY) < 0)
				return EX_USAGE;
			continue;
		}
		return tool_usage(usage, c != 'h');
	}
	if (list) {
		list_checks(g);
		return cfir_out_finish(&g->out, &err) < 0 ? cfir_err_report(&err) : 0;
	}
	if (cfir_engine_open(&e, g->host, &err) < 0)
		goto out;
	named = optind < argc;
	if (named) {
		ids = cJSON_CreateArray();
		for (i = (size_t)optind; i < (size_t)argc; i++)
			cJSON_AddItemToArray(ids, cJSON_CreateString(argv[i]));
	} else if (listed(e, every, &ids, &err) < 0) {
		goto out;
	}
	hs = calloc((size_t)cJSON_GetArraySize(ids) + 1, sizeof(*hs));
	if (hs == NULL) {
		cfir_err_set(&err, EX_OSERR, ENOMEM, "hunt");
		goto out;
	}
	cJSON_ArrayForEach(id, ids) {
		struct cfir_err one = { 0 };
		struct hunted *h = &hs[n];

		if (cfir_target_resolve(e, id->valuestring, &h->t, &one) < 0) {
			/* one listed a moment ago and removed since is churn, not a failure */
			if (named || one.exit != EX_NOINPUT) {
				cfir_err_report(&one);
				if (first.exit == 0)
					first = one;
			}
			continue;
		}
		hunt_one(h, &sel);
		nf += (size_t)cJSON_GetArraySize(h->findings);
		n++;
	}
	sorted = calloc(nf + 1, sizeof(*sorted));
	all = cJSON_CreateArray();
	if (sorted == NULL || all == NULL) {
		cfir_err_set(&err, EX_OSERR, ENOMEM, "hunt");
		goto out;
	}
	nf = 0;
	for (i = 0; i < n; i++)
		cJSON_ArrayForEach(f, hs[i].findings) {
			sorted[nf++] = f;
			if (sev_of(f) > worst)
				worst = sev_of(f);
		}
	qsort(sorted, nf, sizeof(*sorted), by_severity);

	/* the bag: every finding and summary as JSON Lines */
	if (tool_bag_open(&bo, NULL, &bag, &err) < 0 ||
	    (bag != NULL && cfir_bag_begin(bag, "hunt", n == 1 ? hs[0].t : NULL, &err) < 0))
		goto out;
	if (bag != NULL) {
		struct cfir_writer *w = NULL;
		int rc = cfir_writer_open(bag, "hunt", "findings.jsonl", &w, &err);

		bagall = cJSON_CreateArray();
		for (i = 0; i < nf; i++)
			cJSON_AddItemToArray(bagall, cJSON_Duplicate(sorted[i], true));
		for (i = 0; i < n; i++)
			cJSON_AddItemToArray(bagall, summary_json(&hs[i]));
		cJSON_ArrayForEach(f, bagall) {
			size_t len;
			cleanup_free char *line = cfir_json_line(f, &len);

			if (rc == 0)
				rc = line ? cfir_writer_write(w, line, len, &err) : cfir_err_set(&err, EX_OSERR, ENOMEM, "hunt");
		}
		cJSON_Delete(bagall);
		if (w != NULL && rc == 0)
			rc = cfir_writer_commit(w, &err);
		else if (w != NULL)
			cfir_writer_abort(w);
		details = cJSON_CreateObject();
		cfir_json_add_num(details, "containers", (double)n);
		cfir_json_add_num(details, "findings", (double)nf);
		if (worst >= 0)
			cfir_json_add_str(details, "worst", cfir_severity_name((enum cfir_severity)worst));
		if (tool_end(bag, rc, false, &err, details) < 0 || rc < 0)
			goto out;
	}

	if (g->out.format == CFIR_FORMAT_JSON) {
		for (i = 0; i < nf; i++)
			cfir_out_record(&g->out, sorted[i], NULL, NULL);
		for (i = 0; i < n; i++) {
			cJSON *s = summary_json(&hs[i]);

			cfir_out_record(&g->out, s, NULL, NULL);
			cJSON_Delete(s);
		}
	} else if (!g->out.quiet) {
		if (nf > 0)
			fprintf(g->out.fp, "%-8s %-20s %-24s %s\n", "SEVERITY", "CHECK", "CONTAINER", "EVIDENCE");
		for (i = 0; i < nf; i++) {
			char name[25];

			snprintf(name, sizeof(name), "%s", tool_jstr(sorted[i], "name"));
			fprintf(g->out.fp, "%-8s %-20s ", tool_jstr(sorted[i], "severity"), tool_jstr(sorted[i], "check"));
			cfir_vis_str(g->out.fp, name);
			fprintf(g->out.fp, "%*s ", (int)(24 - strlen(name)), "");
			text_value(g->out.fp, cJSON_GetObjectItem(sorted[i], "evidence"));
			fputc('\n', g->out.fp);
		}
		if (nf > 0)
			fputc('\n', g->out.fp);
		for (i = 0; i < n; i++)
			summary_text(g->out.fp, &hs[i]);
	}
	if (first.exit != 0)
		r = first.exit;	/* each failure was said as it happened */
	else if (fail_on >= 0 && worst >= fail_on)
		r = CFIR_EX_NEGATIVE;
out:
	for (i = 0; hs != NULL && i < n; i++) {
		cfir_target_free(hs[i].t);
		cJSON_Delete(hs[i].findings);
		cJSON_Delete(hs[i].notes);
	}
	free(hs);
	free(sorted);
	return tool_done(e, NULL, bag, &err, r);
}
