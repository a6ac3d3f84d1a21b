/* isolate.c - cut a container off the network without stopping it, and back */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/capture.h"
#include "common/cleanup.h"
#include "common/netlink.h"
#include "common/util.h"
#include "tools/tool.h"


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

/* The container onto NET or off it: WHAT is connect or disconnect. */
static int
container_call(struct cfir_engine *e, const struct cfir_target *t, const char *net, const char *what,
	       struct cfir_err *err)
{
	cleanup_cjson cJSON *body = cJSON_CreateObject();

	cfir_json_add_str(body, "Container", t->id);
	return net_call(e, net, what, body, err);
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
		if (container_call(e, t, quarantine, "connect", err) < 0)
			return cfir_err_wrap(err, "connect to quarantine '%s'", quarantine);
		cfir_json_add_str(details, "quarantine", quarantine);
	}
	return r;
}

struct isolation {
	const char *id;		/* the container's */
	char *found;		/* the path of its newest isolate.json */
};

/* An isolate record of the container: its isolate.json, the newest so far. */
static int
isolation_of(void *ctx, const struct cfir_custody_record *r)
{
	struct isolation *is = ctx;
	const cJSON *rec = r->rec, *a;

	if (!cJSON_IsString(cJSON_GetObjectItem(rec, "action")) ||
	    strcmp(cfir_json_str(rec, "action"), "isolate") != 0 || cfir_json_str(rec, "target") == NULL ||
	    strcmp(cfir_json_str(rec, "target"), is->id) != 0)
		return 0;
	cJSON_ArrayForEach(a, cJSON_GetObjectItem(rec, "artifacts")) {
		const char *p = cfir_json_str(a, "path");

		if (p != NULL && strstr(p, "/net/isolate") != NULL) {
			free(is->found);
			is->found = strdup(p);
		}
	}
	return 0;
}

/* The newest isolate record of T in the bag: the path of its isolate.json. */
static char *
last_isolation(struct cfir_bag *bag, const struct cfir_target *t, struct cfir_err *err)
{
	struct isolation is = { t->id, NULL };

	if (cfir_bag_custody_each(bag, isolation_of, &is, err) < 0) {
		free(is.found);
		return NULL;
	}
	if (is.found == NULL)
		cfir_err_set(err, EX_NOINPUT, 0, "bag '%s' has no isolation of '%s' to undo", cfir_bag_dir(bag),
			     t->name);
	return is.found;
}

/* The newest isolate.json of T in BAG, parsed; its path in DETAILS. */
static cJSON *
saved_isolation(const struct cfir_target *t, struct cfir_bag *bag, cJSON *details, struct cfir_err *err)
{
	cleanup_free char *rel = last_isolation(bag, t, err), *path = NULL, *text = NULL;
	cJSON *saved;
	size_t len = 0;

	if (rel == NULL)
		return NULL;
	if (asprintf(&path, "%s/%s", cfir_bag_dir(bag), rel) < 0 ||
	    cfir_util_read_file(AT_FDCWD, path, 16u << 20, &text, &len, NULL, err) < 0)
		return NULL;
	saved = cJSON_ParseWithLength(text, len);
	if (!cJSON_IsObject(saved)) {
		cJSON_Delete(saved);
		cfir_err_set(err, EX_DATAERR, 0, "'%s' is not the record isolate wrote", path);
		return NULL;
	}
	cfir_json_add_str(details, "from", rel);
	return saved;
}

static int
undo(struct cfir_engine *e, struct cfir_target *t, const cJSON *saved, cJSON *details, struct cfir_err *err)
{
	cJSON *done = cJSON_AddArrayToObject(details, "reconnected");
	const cJSON *n, *now = networks_of(t);
	const char *q;
	int r = 0;

	cJSON_ArrayForEach(n, cJSON_GetObjectItem(saved, "networks")) {
		cleanup_cjson cJSON *body = cJSON_CreateObject();
		struct cfir_err one = { 0 };
		const char *ip = cfir_json_str(n, "IPAddress"), *ip6 = cfir_json_str(n, "GlobalIPv6Address");
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
	q = cfir_json_str(saved, "quarantine");
	if (q != NULL && cJSON_GetObjectItemCaseSensitive(now, q) != NULL) {
		if (container_call(e, t, q, "disconnect", err) < 0)
			return cfir_err_wrap(err, "leaving quarantine '%s'", q);
		cfir_json_add_str(details, "left_quarantine", q);
	}
	return r;
}

/* Is the host's link DEV (a name from the kernel) up? */
static bool
link_is_up(const char *dev)
{
	cleanup_close int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	return fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP);
}

/* The host-side peers of the container's interfaces, as isolate.json keeps them. */
static cJSON *
peers_of(const struct cfir_target *t, struct cfir_err *err)
{
	struct cfir_capture_ifaces ifs = { 0 };
	cJSON *links;
	size_t i;

	if (cfir_capture_ifaces_find(t, "/proc", &ifs, err) < 0)
		return NULL;
	if (ifs.host_netns) {
		cfir_capture_ifaces_free(&ifs);
		cfir_err_set(err, EX_UNAVAILABLE, 0,
			     "container '%s' shares the host's network namespace: it cannot be cut off alone; pause it",
			     t->name);
		return NULL;
	}
	links = cJSON_CreateArray();
	for (i = 0; i < ifs.n; i++) {
		const struct cfir_capture_iface *ci = &ifs.v[i];
		cJSON *l;

		if (ci->dev[0] == '\0')
			continue;	/* loopback, or no peer on the host */
		l = cJSON_CreateObject();
		cfir_json_add_bytes(l, "interface", ci->name, strnlen(ci->name, sizeof(ci->name)));
		cfir_json_add_str(l, "host_link", ci->dev);
		cfir_json_add_num(l, "host_index", ci->dev_index);
		cJSON_AddBoolToObject(l, "was_up", link_is_up(ci->dev));
		cJSON_AddItemToArray(links, l);
	}
	cfir_capture_ifaces_free(&ifs);
	return links;
}

/*
 * No engine: the host-side veth peers set down through rtnetlink, which
 * cuts off a pod on a CNI bridge as well. Recorded first: what --undo sets
 * up again.
 */
static int
links_down(const struct cfir_target *t, struct cfir_bag *bag, cJSON *details, struct cfir_err *err)
{
	cleanup_cjson cJSON *saved = cJSON_CreateObject();
	cleanup_free char *json = NULL;
	cleanup_close int fd = -1;
	cJSON *links = peers_of(t, err), *done = cJSON_AddArrayToObject(details, "links_down");
	const cJSON *l;
	size_t len = 0;

	if (links == NULL)
		return -1;
	cfir_json_add_str(saved, "container", t->id);
	cJSON_AddItemToObject(saved, "links", links);
	if (cJSON_GetArraySize(links) == 0)
		return cfir_err_set(err, EX_UNAVAILABLE, 0, "container '%s' has no interface with a host-side peer", t->name);
	json = cfir_json_line(saved, &len);
	if (json == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "isolate");
	if (cfir_bag_add_buffer(bag, "net", "isolate.json", json, len, err) < 0 ||
	    (fd = cfir_netlink_open(err)) < 0)
		return -1;
	cJSON_ArrayForEach(l, links) {
		if (cfir_netlink_link_set_up(fd, (int)cfir_json_num(l, "host_index"), false, err) < 0)
			return cfir_err_wrap(err, "host link '%s'", cfir_json_str(l, "host_link"));
		cJSON_AddItemToArray(done, cJSON_CreateString(cfir_json_str(l, "host_link")));
	}
	if (t->k8s_pod != NULL)
		cfir_json_add_str(details, "note", "the pod's network namespace: every container of the pod is cut off");
	return 0;
}

/* --undo of links_down: each link that was up and is still the same link, up again. */
static int
links_up(const cJSON *saved, cJSON *details, struct cfir_err *err)
{
	cleanup_close int fd = cfir_netlink_open(err);
	cJSON *done = cJSON_AddArrayToObject(details, "links_up");
	const cJSON *l;
	char name[IF_NAMESIZE];

	if (fd < 0)
		return -1;
	cJSON_ArrayForEach(l, cJSON_GetObjectItem(saved, "links")) {
		const char *dev = cfir_json_str(l, "host_link");
		int index = (int)cfir_json_num(l, "host_index");

		if (!cJSON_IsTrue(cJSON_GetObjectItem(l, "was_up")) || dev == NULL || index <= 0)
			continue;
		/* an index reused by another link since is not the container's */
		if (if_indextoname((unsigned)index, name) == NULL || strcmp(name, dev) != 0) {
			cfir_err_warn("host link '%s' (index %d) is gone: not set up", dev, index);
			continue;
		}
		if (cfir_netlink_link_set_up(fd, index, true, err) < 0)
			return cfir_err_wrap(err, "host link '%s'", dev);
		cJSON_AddItemToArray(done, cJSON_CreateString(dev));
	}
	return 0;
}

struct isolate_opts {
	const char *quarantine;
	bool undo;
};

static int
check(struct tool_step *s, void *opts, int argc, char **argv)
{
	const struct isolate_opts *o = opts;

	(void)argc, (void)argv;
	if (o->undo && o->quarantine != NULL)
		return cfir_err_set(&s->err, EX_USAGE, 0, "--undo restores what was recorded: it takes no --quarantine");
	if (s->g->bag == NULL)
		return cfir_err_set(&s->err, EX_USAGE, 0,
				    "isolate needs a bag (-o or CFIR_BAG): it records there what --undo restores");
	return 0;
}

static int
prepare(struct tool_step *s, void *opts, int argc, char **argv)
{
	const struct isolate_opts *o = opts;
	const char *mode = cfir_json_str(cJSON_GetObjectItemCaseSensitive(s->t->inspect, "HostConfig"), "NetworkMode");

	(void)argc, (void)argv;
	if (o->quarantine != NULL && s->t->inspect == NULL)
		return cfir_err_set(&s->err, EX_USAGE, 0, "--quarantine is an engine's network: no engine describes '%s'",
				    s->t->name);
	if (mode != NULL && (strcmp(mode, "host") == 0 || strncmp(mode, "container:", 10) == 0))
		return cfir_err_set(&s->err, EX_UNAVAILABLE, 0,
				    "container '%s' shares %s network namespace: the engine cannot cut it off; pause it",
				    s->t->name, strcmp(mode, "host") == 0 ? "the host's" : "another container's");
	s->action = o->undo ? "isolate-undo" : "isolate";
	return 0;
}

static void
title(struct cfir_text *t, const cJSON *rec)
{
	const cJSON *n, *now = cJSON_GetObjectItem(rec, "networks_now");
	const cJSON *down = cJSON_GetObjectItem(rec, "links_down"), *up = cJSON_GetObjectItem(rec, "links_up");
	const cJSON *list = down ? down : up ? up : now;

	cfir_text_printf(t, "%s %s: %s:", strcmp(cfir_json_str(rec, "action"), "isolate") == 0 ?
			 "isolated" : "reconnected", cfir_json_str(rec, "name"),
			 down ? "host links set down" : up ? "host links set up" : "networks now");
	cJSON_ArrayForEach(n, list)
		cfir_text_printf(t, " %s", n->valuestring);
	cfir_text_printf(t, "%s; %s", cJSON_GetArraySize(list) ? "" : " none",
			 cJSON_IsTrue(cJSON_GetObjectItem(rec, "running")) ? "still running" : "NOT running");
}

static const struct cfir_view view = { title, NULL };

static int
run(struct tool_step *s, void *opts, int argc, char **argv)
{
	const struct isolate_opts *o = opts;
	struct cfir_target *t = s->t;
	cleanup_cjson cJSON *rec = NULL;
	const cJSON *n;
	int rc;

	(void)argc, (void)argv;
	s->details = cJSON_CreateObject();
	s->some = true;
	if (o->undo) {
		cleanup_cjson cJSON *saved = saved_isolation(t, s->bag, s->details, &s->err);

		rc = saved == NULL ? -1 : cJSON_GetObjectItem(saved, "links") != NULL
			? links_up(saved, s->details, &s->err)
			: undo(s->e, t, saved, s->details, &s->err);
	} else if (t->inspect == NULL) {
		rc = links_down(t, s->bag, s->details, &s->err);
	} else {
		rc = isolate(s->e, t, s->bag, o->quarantine, s->details, &s->err);
	}
	/* what the engine says now; done is done, a failure to ask is said at the end */
	if (t->inspect != NULL && cfir_target_refresh(s->e, t, rc < 0 ? NULL : &s->err) == 0) {
		cJSON *now = cJSON_AddArrayToObject(s->details, "networks_now");

		cJSON_ArrayForEach(n, networks_of(t))
			cJSON_AddItemToArray(now, cJSON_CreateString(n->string));
	}
	cJSON_AddBoolToObject(s->details, "running", t->running);
	if (rc < 0)
		return -1;
	rec = cJSON_Duplicate(s->details, true);
	cfir_json_add_str(rec, "container", t->id);
	cfir_json_add_bytes(rec, "name", t->name, strlen(t->name));
	cfir_json_add_str(rec, "action", s->action);
	cfir_out_record(s->out, rec, &view);	/* standard output's errors: at the end */
	return 0;
}

static const struct tool_opt opts[] = {
	TOOL_OPT("quarantine", 0, TOOL_OPT_STRING, struct isolate_opts, quarantine),
	TOOL_OPT("undo", 0, TOOL_OPT_FLAG, struct isolate_opts, undo),
	{ 0 },
};

static const char isolate_usage[] =
	"usage: cfir isolate [-h] [-o bag] [--case case] [--examiner name]\n"
	"                    [--quarantine network] [--undo] container\n";

const struct tool_cmd cmd_isolate = {
	.name = "isolate", .usage = isolate_usage, .needs = TOOL_TARGET | TOOL_BAG_ASKED,
	.summary = "cut a container off every network, recorded so --undo restores it",
	.min_args = 1, .max_args = 1, .opts = opts, .opts_size = sizeof(struct isolate_opts),
	.check = check, .prepare = prepare, .run = run,
};
