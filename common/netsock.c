/* netsock.c - tcp, udp, raw, unix and packet tables, mapped to processes */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/netsock.h"
#include "common/out.h"
#include "common/util.h"

#define TABLE_MAX (64u << 20)

static const char *
tcp_state(unsigned st)
{
	static const char *names[] = { "?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1",
				       "FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK",
				       "LISTEN", "CLOSING", "NEW_SYN_RECV" };

	return st < sizeof(names) / sizeof(names[0]) ? names[st] : "?";
}

/* "0100007F:1F90" or 32 hex digits + ":port": the kernel printed the
 * address's 32-bit words in host order; store them back the same way. */
static bool
addr(const char *tok, bool v6, char *out, size_t outlen, unsigned *port)
{
	const char *colon = strchr(tok, ':');
	size_t hexlen = v6 ? 32 : 8, i;
	unsigned char a[16];
	char word[9], *end;
	uint32_t w;

	if (colon == NULL || (size_t)(colon - tok) != hexlen)
		return false;
	for (i = 0; i < hexlen / 8; i++) {
		memcpy(word, tok + 8 * i, 8);
		word[8] = '\0';
		w = (uint32_t)strtoul(word, &end, 16);
		if (*end != '\0')
			return false;
		memcpy(a + 4 * i, &w, 4);
	}
	*port = (unsigned)strtoul(colon + 1, &end, 16);
	if (*end != '\0' || *port > 65535)
		return false;
	return inet_ntop(v6 ? AF_INET6 : AF_INET, a, out, (socklen_t)outlen) != NULL;
}

/* Split LINE in place on spaces into at most MAX fields; their count. */
static int
fields(char *line, char **tok, int max)
{
	char *sp = NULL;
	int k;

	for (k = 0; k < max && (tok[k] = strtok_r(k ? NULL : line, " ", &sp)) != NULL; k++)
		;
	return k;
}

static size_t
inet_table(const char *proto, char *text, cfir_sock_fn fn, void *ctx)
{
	bool v6 = strchr(proto, '6') != NULL, tcp = strncmp(proto, "tcp", 3) == 0;
	char *line, *save = NULL;
	size_t n = 0;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct cfir_sock s = { .proto = proto };
		char *tok[10];
		unsigned st;

		/* sl local rem st queues tr retrnsmt uid timeout inode */
		if (fields(line, tok, 10) < 10 || strchr(tok[0], ':') == NULL || !addr(tok[1], v6, s.local, sizeof(s.local), &s.lport) ||
		    !addr(tok[2], v6, s.remote, sizeof(s.remote), &s.rport))
			continue;
		st = (unsigned)strtoul(tok[3], NULL, 16);
		s.state = tcp ? tcp_state(st) : st == 1 ? "ESTABLISHED" : st == 7 ? "UNCONN" : tcp_state(st);
		s.uid = strtol(tok[7], NULL, 10);
		s.inode = strtoul(tok[9], NULL, 10);
		fn(ctx, &s);
		n++;
	}
	return n;
}

static size_t
unix_table(char *text, cfir_sock_fn fn, void *ctx)
{
	char *line, *save = NULL;
	size_t n = 0;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct cfir_sock s = { .proto = "unix", .path = "" };
		char *tok[7];
		unsigned type, st;
		size_t linelen = strlen(line), off;

		/* Num RefCount Protocol Flags Type St Inode [Path]: the path may hold spaces */
		if (fields(line, tok, 7) < 7 || strchr(tok[0], ':') == NULL)
			continue;
		off = (size_t)(tok[6] - line) + strlen(tok[6]) + 1;	/* past the inode */
		type = (unsigned)strtoul(tok[4], NULL, 16);
		st = (unsigned)strtoul(tok[5], NULL, 16);
		s.type = type == 1 ? "STREAM" : type == 2 ? "DGRAM" : type == 5 ? "SEQPACKET" : "?";
		s.state = st == 1 ? "UNCONNECTED" : st == 2 ? "CONNECTING" : st == 3 ? "CONNECTED" :
			  st == 4 ? "DISCONNECTING" : "?";
		if (type == 1 && strtoul(tok[3], NULL, 16) & 0x10000)
			s.state = "LISTEN";
		s.inode = strtoul(tok[6], NULL, 10);
		if (off < linelen) {
			const char *rest = line + off;

			while (*rest == ' ')
				rest++;
			s.path = rest;
		}
		fn(ctx, &s);
		n++;
	}
	return n;
}

static size_t
packet_table(char *text, cfir_sock_fn fn, void *ctx)
{
	char *line, *save = NULL;
	size_t n = 0;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct cfir_sock s = { .proto = "packet", .state = "" };
		char *tok[9], *end;

		/* sk RefCnt Type Proto Iface R Rmem User Inode */
		if (fields(line, tok, 9) < 9 || strtoull(tok[0], &end, 16) == 0 || *end != '\0')
			continue;
		s.type = strtoul(tok[2], NULL, 10) == 3 ? "RAW" : "DGRAM";
		s.protocol = (unsigned)strtoul(tok[3], NULL, 16);
		s.ifindex = (unsigned)strtoul(tok[4], NULL, 10);
		s.uid = strtol(tok[7], NULL, 10);
		s.inode = strtoul(tok[8], NULL, 10);
		fn(ctx, &s);
		n++;
	}
	return n;
}

size_t
cfir_net_parse(const char *proto, char *text, cfir_sock_fn fn, void *ctx)
{
	if (strcmp(proto, "unix") == 0)
		return unix_table(text, fn, ctx);
	if (strcmp(proto, "packet") == 0)
		return packet_table(text, fn, ctx);
	return inet_table(proto, text, fn, ctx);
}

/* ---- holders: inode -> pid/fd/comm ---- */

struct holder {
	unsigned long inode;
	pid_t pid;
	int fd;
	char comm[32];
};

struct holders {
	struct holder *h;
	size_t n;
};

static int
hcmp(const void *a, const void *b)
{
	const struct holder *x = a, *y = b;

	if (x->inode != y->inode)
		return x->inode < y->inode ? -1 : 1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static unsigned long
ns_of(const char *proc, const char *pid)
{
	char path[96], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s/ns/net", proc, pid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = '\0';
	return strchr(link, '[') ? strtoul(strchr(link, '[') + 1, NULL, 10) : 0;
}

/* Every fd of every process in the namespace that is a socket. */
static void
holders_scan(const char *proc, unsigned long netns, struct holders *hs)
{
	struct dirent *de, *fe;
	DIR *d = opendir(proc), *fd;

	while (d != NULL && (de = readdir(d)) != NULL) {
		char path[128], link[64], comm[32] = "";
		cleanup_free char *c = NULL;
		unsigned long pid, n;
		size_t cl = 0;

		if (cfir_parse_ulong(de->d_name, 0x7fffffff, &pid) < 0 || ns_of(proc, de->d_name) != netns)
			continue;
		snprintf(path, sizeof(path), "%s/%lu/comm", proc, pid);
		if (cfir_read_file(AT_FDCWD, path, 32, &c, &cl, NULL, NULL) == 0) {
			if (cl > 0 && c[cl - 1] == '\n')
				cl--;
			snprintf(comm, sizeof(comm), "%.*s", (int)cl, c);
		}
		snprintf(path, sizeof(path), "%s/%lu/fd", proc, pid);
		fd = opendir(path);
		while (fd != NULL && (fe = readdir(fd)) != NULL) {
			char lp[160];
			ssize_t ln;
			struct holder *nh;

			if (cfir_parse_ulong(fe->d_name, 0x7fffffff, &n) < 0)
				continue;
			snprintf(lp, sizeof(lp), "%s/%lu/fd/%lu", proc, pid, n);
			ln = readlink(lp, link, sizeof(link) - 1);
			if (ln <= 8)
				continue;
			link[ln] = '\0';
			if (strncmp(link, "socket:[", 8) != 0)
				continue;
			if ((hs->n & 1023) == 0) {
				nh = realloc(hs->h, (hs->n + 1024) * sizeof(*nh));
				if (nh == NULL)
					break;
				hs->h = nh;
			}
			hs->h[hs->n].inode = strtoul(link + 8, NULL, 10);
			hs->h[hs->n].pid = (pid_t)pid;
			hs->h[hs->n].fd = (int)n;
			memcpy(hs->h[hs->n].comm, comm, sizeof(comm));
			hs->n++;
		}
		if (fd != NULL)
			closedir(fd);
	}
	if (d != NULL)
		closedir(d);
	if (hs->n > 1)
		qsort(hs->h, hs->n, sizeof(*hs->h), hcmp);
}

struct collect {
	cJSON *list;
	const struct holders *hs;
};

static void
on_sock(void *ctx, const struct cfir_sock *s)
{
	struct collect *c = ctx;
	cJSON *o = cJSON_CreateObject(), *who;
	struct holder key = { .inode = s->inode };
	const struct holder *h = NULL;
	size_t lo = 0, hi = c->hs->n, mid;

	cfir_json_add_str(o, "proto", s->proto);
	if (strcmp(s->proto, "unix") == 0) {
		cfir_json_add_str(o, "type", s->type);
		cfir_json_add_bytes(o, "path", s->path, strlen(s->path));
	} else if (strcmp(s->proto, "packet") == 0) {
		cfir_json_add_str(o, "type", s->type);
		cfir_json_add_num(o, "protocol", s->protocol);
		cfir_json_add_num(o, "ifindex", s->ifindex);
	} else {
		cfir_json_add_str(o, "local", s->local);
		cfir_json_add_num(o, "lport", s->lport);
		cfir_json_add_str(o, "remote", s->remote);
		cfir_json_add_num(o, "rport", s->rport);
	}
	cfir_json_add_str(o, "state", s->state);
	cfir_json_add_num(o, "inode", (double)s->inode);
	who = cJSON_AddArrayToObject(o, "holders");
	/* the first holder of this inode, by binary search */
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (c->hs->h[mid].inode < key.inode)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (h = c->hs->h + lo; s->inode != 0 && h < c->hs->h + c->hs->n && h->inode == s->inode; h++) {
		cJSON *x = cJSON_CreateObject();

		cfir_json_add_num(x, "pid", h->pid);
		cfir_json_add_num(x, "fd", h->fd);
		cfir_json_add_bytes(x, "comm", h->comm, strlen(h->comm));
		cJSON_AddItemToArray(who, x);
	}
	cJSON_AddItemToArray(c->list, o);
}

/* The engine's own word: HostConfig.NetworkMode "host". */
static bool
host_mode(const struct cfir_target *t)
{
	const cJSON *hc = cJSON_GetObjectItemCaseSensitive(t->inspect, "HostConfig");
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(hc, "NetworkMode");

	return cJSON_IsString(m) && strcmp(m->valuestring, "host") == 0;
}

int
cfir_sockets(const struct cfir_target *t, const char *proc, cJSON **out,
	     struct cfir_err *err)
{
	static const char *tables[] = { "tcp", "tcp6", "udp", "udp6", "raw", "raw6", "unix", "packet" };
	struct holders hs = { 0 };
	struct collect c;
	unsigned long netns, hostns;
	char pid[16];
	size_t i;

	*out = NULL;
	if (t->pid <= 0)
		return cfir_err_set(err, EX_UNAVAILABLE, 0, "container '%s' is %s: it has no network namespace to read",
				    t->name, t->status);
	snprintf(pid, sizeof(pid), "%d", (int)t->pid);
	netns = ns_of(proc, pid);
	hostns = ns_of(proc, "self");	/* cfir runs in the host's namespaces */
	if (netns == 0)
		return cfir_err_set(err, EX_TEMPFAIL, 0, "init process %d of '%s' vanished", (int)t->pid, t->name);
	holders_scan(proc, netns, &hs);
	*out = cJSON_CreateObject();
	cfir_json_add_num(*out, "netns", (double)netns);
	cJSON_AddBoolToObject(*out, "host_netns", netns == hostns || host_mode(t));
	c.list = cJSON_AddArrayToObject(*out, "sockets");
	c.hs = &hs;
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		cleanup_free char *text = NULL;
		char path[96];
		char *body;

		/* as the container's namespace sees them: a process inside it */
		snprintf(path, sizeof(path), "%s/%d/net/%s", proc, (int)t->pid, tables[i]);
		if (cfir_read_file(AT_FDCWD, path, TABLE_MAX, &text, NULL, NULL, NULL) < 0)
			continue;	/* no IPv6 in this kernel, say */
		body = strchr(text, '\n');	/* past the header line */
		if (body != NULL)
			cfir_net_parse(tables[i], body + 1, on_sock, &c);
	}
	free(hs.h);
	return 0;
}
