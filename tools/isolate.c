/* isolate.c - cut a container off the network without stopping it, and back */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "tools/tool.h"

static const char usage[] =
	"usage: cfir isolate [-h] [-o bag] [--case case] [--examiner name]\n"
	"                    [--quarantine network] [--undo] container\n";

enum { OPT_QUARANTINE = 0x700, OPT_UNDO };

static cJSON *
networks_of(const struct cfir_target *t)
{
	return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(t->inspect, "NetworkSettings"),
						"Networks");
}

static int
net_call(struct cfir_engine *e, const char *net, const char *what, const cJSON *body, struct cfir_err *err)
{
	cleanup_free char *esc = cfir_engine_escape(net), *path = NULL;

	if (esc == NULL || asprintf(&path, "/networks/%s/%s", esc, what) < 0)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "isolate");
	return cfir_engine_call(e, "POST", path, body, NULL, NULL, err);
}

/* The quarantine network: internal, made when missing, refused when it is not internal. */
static int
quarantine_net(struct cfir_engine *e, const char *name, bool *created, struct cfir_err *err)
{
	cleanup_free char *esc = cfir_engine_escape(name), *path = NULL;
	cleanup_cjson cJSON *n = NULL, *body = NULL;
	struct cfir_err q = { 0 };
	cJSON *labels;

	*created = false;
	if (esc == NULL || asprintf(&path, "/networks/%s", esc) < 0)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "isolate");
	if (cfir_engine_json(e, "GET", path, NULL, &n, &q) == 0) {
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(n, "Internal")))
			return cfir_err_set(err, EX_USAGE, 0,
					    "network '%s' exists and is not internal: it is no quarantine", name);
		return 0;
	}
	if (q.exit != EX_NOINPUT) {
		*err = q;
		return -1;
	}
	body = cJSON_CreateObject();
	cfir_json_add_str(body, "Name", name);
	cJSON_AddBoolToObject(body, "Internal", true);
	cJSON_AddBoolToObject(body, "CheckDuplicate", true);
	labels = cJSON_AddObjectToObject(body, "Labels");
	cfir_json_add_str(labels, "cfir.quarantine", "true");
	if (cfir_engine_call(e, "POST", "/networks/create", body, NULL, NULL, err) < 0)
		return cfir_err_wrap(err, "creating quarantine network '%s'", name);
	*created = true;
	return 0;
}

static int
isolate(struct cfir_engine *e, struct cfir_target *t, struct cfir_bag *bag, const char *quarantine,
	cJSON *details, struct cfir_err *err)
{
	cleanup_cjson cJSON *saved = cJSON_CreateObject();
	cleanup_free char *json = NULL;
	const cJSON *n;
	cJSON *done = cJSON_AddArrayToObject(details, "disconnected");
	bool created = false;
	size_t len = 0;
	int r = 0;

	/* first the record: what --undo restores, before anything changes */
	cfir_json_add_str(saved, "container", t->id);
	cJSON_AddItemToObject(saved, "networks", cJSON_Duplicate(networks_of(t), true));
	if (quarantine != NULL)
		cfir_json_add_str(saved, "quarantine", quarantine);
	json = cfir_json_line(saved, &len);
	if (json == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "isolate");
	if (cfir_bag_add_buffer(bag, "net", "isolate.json", json, len, err) < 0)
		return -1;
	if (quarantine != NULL && quarantine_net(e, quarantine, &created, err) < 0)
		return -1;
	cJSON_AddBoolToObject(details, "quarantine_created", created);
	cJSON_ArrayForEach(n, networks_of(t)) {
		cleanup_cjson cJSON *body = cJSON_CreateObject();
		struct cfir_err one = { 0 };

		if (quarantine != NULL && strcmp(n->string, quarantine) == 0)
			continue;
		cfir_json_add_str(body, "Container", t->id);
		if (net_call(e, n->string, "disconnect", body, &one) < 0) {
			cfir_err_print("disconnect from '%s': %s", n->string, one.msg);
			if (r == 0) {
				*err = one;
				r = -1;
			}
			continue;
		}
		cJSON_AddItemToArray(done, cJSON_CreateString(n->string));
	}
	if (quarantine != NULL) {
		cleanup_cjson cJSON *body = cJSON_CreateObject();

		cfir_json_add_str(body, "Container", t->id);
		if (net_call(e, quarantine, "connect", body, err) < 0)
			return cfir_err_wrap(err, "connect to quarantine '%s'", quarantine);
		cfir_json_add_str(details, "quarantine", quarantine);
	}
	return r;
}

/* The newest isolate record of T in the bag: the path of its isolate.json. */
static char *
last_isolation(struct cfir_bag *bag, const struct cfir_target *t, struct cfir_err *err)
{
	cleanup_free char *log = NULL, *path = NULL;
	char *line, *save = NULL, *found = NULL;
	size_t len = 0;

	if (asprintf(&path, "%s/custody/log.jsonl", cfir_bag_dir(bag)) < 0 ||
	    cfir_util_read_file(AT_FDCWD, path, 256u << 20, &log, &len, NULL, err) < 0)
		return NULL;
	for (line = strtok_r(log, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		cleanup_cjson cJSON *rec = cJSON_Parse(line);
		const cJSON *a;

		if (!cJSON_IsString(cJSON_GetObjectItem(rec, "action")) ||
		    strcmp(tool_jstr(rec, "action"), "isolate") != 0 || tool_jstr(rec, "target") == NULL ||
		    strcmp(tool_jstr(rec, "target"), t->id) != 0)
			continue;
		cJSON_ArrayForEach(a, cJSON_GetObjectItem(rec, "artifacts")) {
			const char *p = tool_jstr(a, "path");

			if (p != NULL && strstr(p, "/net/isolate") != NULL) {
				free(found);
				found = strdup(p);
			}
		}
	}
	if (found == NULL)
		cfir_err_set(err, EX_NOINPUT, 0, "bag '%s' has no isolation of '%s' to undo", cfir_bag_dir(bag),
			     t->name);
	return found;
}

static int
undo(struct cfir_engine *e, struct cfir_target *t, struct cfir_bag *bag, cJSON *details, struct cfir_err *err)
{
	cleanup_free char *rel = last_isolation(bag, t, err), *path = NULL, *text = NULL;
	cleanup_cjson cJSON *saved = NULL;
	cJSON *done = cJSON_AddArrayToObject(details, "reconnected");
	const cJSON *n, *now = networks_of(t);
	const char *q;
	size_t len = 0;
	int r = 0;

	if (rel == NULL)
		return -1;
	if (asprintf(&path, "%s/%s", cfir_bag_dir(bag), rel) < 0 ||
	    cfir_util_read_file(AT_FDCWD, path, 16u << 20, &text, &len, NULL, err) < 0)
		return -1;
	saved = cJSON_ParseWithLength(text, len);
	if (saved == NULL)
		return cfir_err_set(err, EX_DATAERR, 0, "'%s' is not the record isolate wrote", path);
	cfir_json_add_str(details, "from", rel);
	cJSON_ArrayForEach(n, cJSON_GetObjectItem(saved, "networks")) {
		cleanup_cjson cJSON *body = cJSON_CreateObject();
		struct cfir_err one = { 0 };
		const char *ip = tool_jstr(n, "IPAddress"), *ip6 = tool_jstr(n, "GlobalIPv6Address");
		cJSON *ec, *ipam, *o;

		if (cJSON_GetObjectItemCaseSensitive(now, n->string) != NULL)
			continue;	/* still, or again, connected */
		cfir_json_add_str(body, "Container", t->id);
		ec = cJSON_AddObjectToObject(body, "EndpointConfig");
		if (cJSON_IsArray(cJSON_GetObjectItem(n, "Aliases")))
			cJSON_AddItemToObject(ec, "Aliases", cJSON_Duplicate(cJSON_GetObjectItem(n, "Aliases"), true));
		if (cJSON_IsArray(cJSON_GetObjectItem(n, "Links")))
			cJSON_AddItemToObject(ec, "Links", cJSON_Duplicate(cJSON_GetObjectItem(n, "Links"), true));
		/* the same address where the engine lets a container ask for one */
		ipam = cJSON_AddObjectToObject(ec, "IPAMConfig");
		if (ip != NULL && *ip)
			cfir_json_add_str(ipam, "IPv4Address", ip);
		if (ip6 != NULL && *ip6)
			cfir_json_add_str(ipam, "IPv6Address", ip6);
		if (net_call(e, n->string, "connect", body, &one) < 0 && cfir_engine_status(e) == 400) {
			cJSON_DeleteItemFromObject(ec, "IPAMConfig");
			cfir_err_clear(&one);
			net_call(e, n->string, "connect", body, &one);
		}
		if (one.msg[0] != '\0') {
			cfir_err_print("reconnect to '%s': %s", n->string, one.msg);
			if (r == 0) {
				*err = one;
				r = -1;
			}
			continue;
		}
		o = cJSON_CreateObject();
		cfir_json_add_str(o, "network", n->string);
		cJSON_AddItemToArray(done, o);
	}
	q = tool_jstr(saved, "quarantine");
	if (q != NULL && cJSON_GetObjectItemCaseSensitive(now, q) != NULL) {
		cleanup_cjson cJSON *body = cJSON_CreateObject();

		cfir_json_add_str(body, "Container", t->id);
		if (net_call(e, q, "disconnect", body, err) < 0)
			return cfir_err_wrap(err, "leaving quarantine '%s'", q);
		cfir_json_add_str(details, "left_quarantine", q);
	}
	return r;
}

int
cmd_isolate(int argc, char **argv, struct cfir_global *g)
{
	static const struct option longopts[] = {
		TOOL_BAG_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ "quarantine", required_argument, NULL, OPT_QUARANTINE },
		{ "undo", no_argument, NULL, OPT_UNDO },
		{ NULL, 0, NULL, 0 },
	};
	struct cfir_engine *e = NULL;
	struct cfir_target *t = NULL;
	struct cfir_bag *bag = NULL;
	struct cfir_err err = { 0 };
	struct tool_bagopts bo;
	const char *quarantine = NULL, *mode;
	bool back = false;
	cJSON *details = NULL, *rec;
	const cJSON *n;
	int c, rc;

	tool_bagopts_init(&bo, g);
	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		if (tool_bagopt(&bo, c, optarg))
			continue;
		if (c == OPT_QUARANTINE) {
			quarantine = optarg;
			continue;
		}
		if (c == OPT_UNDO) {
			back = true;
			continue;
		}
		return tool_usage(usage, c != 'h');
	}
	if (argc - optind != 1 || (back && quarantine != NULL))
		return tool_usage(usage, true);
	if (bo.dir == NULL) {
		cfir_err_print("isolate needs a bag (-o or CFIR_BAG): it records there what --undo restores");
		return EX_USAGE;
	}
	if (tool_target(g, argv[optind], &e, &t, &err) < 0)
		goto out;
	mode = tool_jstr(cJSON_GetObjectItemCaseSensitive(t->inspect, "HostConfig"), "NetworkMode");
	if (mode != NULL && (strcmp(mode, "host") == 0 || strncmp(mode, "container:", 10) == 0)) {
		cfir_err_set(&err, EX_UNAVAILABLE, 0,
			     "container '%s' shares %s network namespace: the engine cannot cut it off; pause it",
			     t->name, strcmp(mode, "host") == 0 ? "the host's" : "another container's");
		goto out;
	}
	if (tool_bag_open(&bo, NULL, &bag, &err) < 0 ||
	    cfir_bag_begin(bag, back ? "isolate-undo" : "isolate", t, &err) < 0)
		goto out;
	details = cJSON_CreateObject();
	rc = back ? undo(e, t, bag, details, &err) : isolate(e, t, bag, quarantine, details, &err);
	/* what the engine says now */
	if (cfir_target_refresh(e, t, rc < 0 ? NULL : &err) == 0) {
		cJSON *now = cJSON_AddArrayToObject(details, "networks_now");

		cJSON_ArrayForEach(n, networks_of(t))
			cJSON_AddItemToArray(now, cJSON_CreateString(n->string));
	}
	cJSON_AddBoolToObject(details, "running", t->running);
	rec = cJSON_Duplicate(details, true);
	if (tool_end(bag, rc, true, &err, details) < 0 || rc < 0) {
		cJSON_Delete(rec);
		goto out;
	}
	cfir_json_add_str(rec, "container", t->id);
	cfir_json_add_bytes(rec, "name", t->name, strlen(t->name));
	cfir_json_add_str(rec, "action", back ? "isolate-undo" : "isolate");
	if (g->out.format == CFIR_FORMAT_JSON) {
		cfir_out_record(&g->out, rec, NULL, NULL);
	} else if (!g->out.quiet) {
		fputs(back ? "reconnected " : "isolated ", g->out.fp);
		cfir_vis_str(g->out.fp, t->name);
		fputs(": networks now:", g->out.fp);
		cJSON_ArrayForEach(n, cJSON_GetObjectItem(rec, "networks_now")) {
			fputc(' ', g->out.fp);
			cfir_vis_str(g->out.fp, n->valuestring);
		}
		fprintf(g->out.fp, "%s; %s\n", cJSON_GetArraySize(cJSON_GetObjectItem(rec, "networks_now")) ? "" : " none",
			t->running ? "still running" : "NOT running");
	}
	cJSON_Delete(rec);
out:
	return tool_done(e, t, bag, &err, 0);
}
