/* hunt-net.c - the live checks on sockets: raw ones, listeners not exposed, connections out, the namespace */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/hunt-private.h"
#include "common/netsock.h"
#include "common/out.h"
#include "common/proc.h"
#include "common/target.h"

/* An address inside one of the container's networks, or loopback. */
struct net4or6 {
	int af;
	unsigned char a[16];
	int prefix;
};

static bool
addr_in(const struct net4or6 *n, int af, const unsigned char *a)
{
	int full = n->prefix / 8, rest = n->prefix % 8;

	if (n->af != af)
		return false;
	if (memcmp(n->a, a, (size_t)full) != 0)
		return false;
	return rest == 0 || ((n->a[full] ^ a[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

static size_t
container_nets(const cJSON *inspect, struct net4or6 *out, size_t max)
{
	const cJSON *nets = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(inspect, "NetworkSettings"), "Networks");
	const cJSON *n;
	size_t k = 0;

	cJSON_ArrayForEach(n, nets) {
		const char *v4 = cfir_json_str(n, "IPAddress"), *v6 = cfir_json_str(n, "GlobalIPv6Address");

		if (k < max && v4 && inet_pton(AF_INET, v4, out[k].a) == 1) {
			out[k].af = AF_INET;
			out[k].prefix = (int)cfir_hunt_num(n, "IPPrefixLen");
			if (out[k].prefix >= 0 && out[k].prefix <= 32)
				k++;
		}
		if (k < max && v6 && inet_pton(AF_INET6, v6, out[k].a) == 1) {
			out[k].af = AF_INET6;
			out[k].prefix = (int)cfir_hunt_num(n, "GlobalIPv6PrefixLen");
			if (out[k].prefix >= 0 && out[k].prefix <= 128)
				k++;
		}
	}
	return k;
}

static bool
internal(const char *addr, const struct net4or6 *nets, size_t nn)
{
	unsigned char a[16];
	size_t i;

	if (inet_pton(AF_INET, addr, a) == 1) {
		if (a[0] == 127 || (a[0] == 0 && a[1] == 0 && a[2] == 0 && a[3] == 0))
			return true;
		for (i = 0; i < nn; i++)
			if (addr_in(&nets[i], AF_INET, a))
				return true;
		return false;
	}
	if (inet_pton(AF_INET6, addr, a) == 1) {
		static const unsigned char lo6[16] = { [15] = 1 }, any6[16] = { 0 };

		if (memcmp(a, lo6, 16) == 0 || memcmp(a, any6, 16) == 0 || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80))
			return true;
		/* IPv4-mapped */
		if (memcmp(a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
			char v4[INET_ADDRSTRLEN];

			return inet_ntop(AF_INET, a + 12, v4, sizeof(v4)) != NULL && internal(v4, nets, nn);
		}
		for (i = 0; i < nn; i++)
			if (addr_in(&nets[i], AF_INET6, a))
				return true;
	}
	return false;
}

static bool
exposed(const cJSON *inspect, unsigned port, const char *proto)
{
	const cJSON *ports = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(inspect, "Config"), "ExposedPorts");
	char key[32];

	snprintf(key, sizeof(key), "%u/%.3s", port, proto);
	return cJSON_GetObjectItemCaseSensitive(ports, key) != NULL;
}

static bool
held_by_member(const cJSON *s, const struct cfir_proc_list *members)
{
	const cJSON *h;

	cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(s, "holders"))
		if (cfir_proc_list_has(members, (pid_t)cfir_hunt_num(h, "pid")))
			return true;
	return false;
}

#define EGRESS_KEPT 1024

/* The sockets as they stream: raw and listeners judged at once, connections out kept (bounded) to the end. */
struct sock_hunt {
	const struct cfir_target *t;
	const struct cfir_proc_list *members;
	const struct cfir_hunt_sel *sel;
	cJSON *fs;
	bool started, hostns;
	unsigned char listening[65536 / 8];	/* every port something listens on */
	cJSON *egress;		/* established TCP to outside the container's networks */
	size_t negress;
	struct net4or6 nets[16];
	size_t nn;
};

static int
hunt_sock(void *ctx, const cJSON *head, cJSON *s)
{
	struct sock_hunt *h = ctx;
	const char *proto = cfir_json_str(s, "proto"), *state = cfir_json_str(s, "state"), *remote = cfir_json_str(s, "remote");
	unsigned lport = (unsigned)cfir_hunt_num(s, "lport") & 0xffff;

	if (!h->started) {
		h->started = true;
		h->hostns = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(head, "host_netns"));
	}
	/* in the host's namespace only the container's own sockets count */
	if (proto == NULL || state == NULL || (h->hostns && !held_by_member(s, h->members))) {
		cJSON_Delete(s);
		return 0;
	}
	if (strcmp(proto, "packet") == 0 || strncmp(proto, "raw", 3) == 0) {
		cfir_hunt_finding(h->fs, h->sel, "raw-socket", "sock_diag", s);
		return 0;
	}
	if ((strncmp(proto, "tcp", 3) == 0 && strcmp(state, "LISTEN") == 0) ||
	    (strncmp(proto, "udp", 3) == 0 && strcmp(state, "UNCONN") == 0 && cfir_hunt_num(s, "rport") == 0)) {
		h->listening[lport / 8] |= (unsigned char)(1u << (lport % 8));
		/* the runtime's spec publishes no ports: nothing to compare with */
		if (h->t->inspect != NULL && !exposed(h->t->inspect, lport, proto)) {
			cfir_hunt_finding(h->fs, h->sel, "listen-unexposed", "sock_diag", s);
			return 0;
		}
	} else if (strncmp(proto, "tcp", 3) == 0 && cfir_hunt_str_is(state, "ESTABLISHED") && remote != NULL &&
		   !internal(remote, h->nets, h->nn)) {
		if (h->negress++ < EGRESS_KEPT) {
			cJSON_AddItemToArray(h->egress, s);
			return 0;
		}
	}
	cJSON_Delete(s);
	return 0;
}

void
cfir_hunt_sockets(struct cfir_hunt_host *host, const struct cfir_target *t, const char *proc,
		  const struct cfir_proc_list *members, const struct cfir_hunt_sel *sel, cJSON *fs,
		  cJSON *notes)
{
	cleanup_cjson cJSON *head = cJSON_CreateObject();
	struct sock_hunt *h = calloc(1, sizeof(*h));
	struct cfir_err err = { 0 };
	cJSON *s, *next;

	if (h == NULL || head == NULL) {
		free(h);
		return;
	}
	*h = (struct sock_hunt){ .t = t, .members = members, .sel = sel, .fs = fs, .egress = cJSON_CreateArray() };
	h->nn = container_nets(t->inspect, h->nets, 16);
	if ((host != NULL ? cfir_netsock_each_among(t, proc, cfir_hunt_host_netns, host, head, hunt_sock, h, &err)
			  : cfir_netsock_each(t, proc, head, hunt_sock, h, &err)) < 0)
		cJSON_AddItemToArray(notes, cJSON_CreateString(err.msg));	/* what was read still counts */
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(head, "init_netns_moved"))) {
		cJSON *v = cJSON_CreateObject();

		cfir_json_add_num(v, "pid", t->pid);
		cfir_json_add_num(v, "engine_netns", cfir_hunt_num(head, "netns"));
		cfir_hunt_finding(fs, sel, "netns-left", t->inspect ? "NetworkSettings.SandboxKey"
								    : "linux.namespaces[network].path", v);
	}
	/* a connection to a port something here listens on came in; the others went out */
	for (s = h->egress ? h->egress->child : NULL; s != NULL; s = next) {
		unsigned lport = (unsigned)cfir_hunt_num(s, "lport") & 0xffff;

		next = s->next;
		if (!(h->listening[lport / 8] & (1u << (lport % 8))))
			cfir_hunt_finding(fs, sel, "egress-external", "sock_diag", cJSON_DetachItemViaPointer(h->egress, s));
	}
	if (h->negress > EGRESS_KEPT) {
		char note[96];

		snprintf(note, sizeof(note), "%zu connections out: the first %d were judged", h->negress, EGRESS_KEPT);
		cJSON_AddItemToArray(notes, cJSON_CreateString(note));
	}
	cJSON_Delete(h->egress);
	free(h);
}

