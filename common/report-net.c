/* report-net.c - the sockets with their holders, and what the captures carried */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/pcapsum.h"
#include "common/report-private.h"
#include "common/util.h"

#define TOP 10			/* conversations drawn a capture */
#define PCAPS_MAX 256		/* capture files summed up a container */

struct socks {
	struct rep *r;
	size_t rows;
};

static void
endpoint(struct rep *r, const cJSON *s, const char *addr, const char *port)
{
	const char *a = cfir_json_str(s, addr);
	bool v6 = a != NULL && strchr(a, ':') != NULL;

	cfir_html_raw(&r->h, v6 ? "[" : "");
	cfir_html_str(&r->h, a, 64);
	cfir_html_printf(&r->h, "%s:%.0f", v6 ? "]" : "", cfir_json_num(s, port));
}

static void
holders(struct rep *r, const cJSON *hs)
{
	const cJSON *h;
	size_t n = 0;

	cJSON_ArrayForEach(h, hs) {
		if (n++ == 16) {
			cfir_html_printf(&r->h, " and %d more", cJSON_GetArraySize(hs) - 16);
			break;
		}
		cfir_html_printf(&r->h, "<div>%.0f <code>", cfir_json_num(h, "pid"));
		cfir_html_field(&r->h, h, "comm", 32);
		cfir_html_printf(&r->h, "</code> fd %.0f</div>", cfir_json_num(h, "fd"));
	}
	if (n == 0)
		cfir_html_raw(&r->h, "-");
}

static int
sock_row(void *ctx, const cJSON *s)
{
	struct socks *t = ctx;
	struct rep *r = t->r;
	const char *proto = cfir_json_str(s, "proto");

	if (t->rows++ >= r->rows)
		return 0;
	cfir_html_raw(&r->h, "<tr><td>");
	cfir_html_str(&r->h, proto, 16);
	cfir_html_raw(&r->h, "</td><td class=\"m\">");
	if (cJSON_GetObjectItemCaseSensitive(s, "local") != NULL) {
		endpoint(r, s, "local", "lport");
		cfir_html_raw(&r->h, "</td><td class=\"m\">");
		endpoint(r, s, "remote", "rport");
	} else {
		cfir_html_field(&r->h, s, "path", REP_CELL);
		cfir_html_raw(&r->h, "</td><td class=\"m\">");
		cfir_html_str(&r->h, cfir_json_str(s, "type"), 16);
	}
	cfir_html_raw(&r->h, "</td><td>");
	cfir_html_str(&r->h, cfir_json_str(s, "state"), 16);
	cfir_html_printf(&r->h, "</td><td class=\"n\">%.0f</td><td>", cfir_json_num(s, "inode"));
	holders(r, cJSON_GetObjectItemCaseSensitive(s, "holders"));
	cfir_html_raw(&r->h, "</td></tr>\n");
	return 0;
}

static void
sockets(struct rep *r, const char *cont)
{
	struct socks t = { r, 0 };
	cleanup_cjson cJSON *doc = NULL;
	struct cfir_err e = { 0 };
	char path[512];
	int fd;

	cfir_html_raw(&r->h, "<h4>Sockets</h4>\n");
	if (!rep_artifact(r, cont, "net/sockets.json", path, sizeof(path), &fd))
		return;
	cfir_html_raw(&r->h, "<table class=\"sockets\">\n<tr><th>Proto</th><th>Local</th><th>Remote</th><th>State</th>"
		      "<th>Inode</th><th>Held by (PID, command, fd)</th></tr>\n");
	if (cfir_bagread_stream(fd, "sockets", REP_LINE, sock_row, &t, &doc, NULL, &e) < 0)
		rep_missing(r, path, &e);
	close(fd);
	cfir_html_raw(&r->h, "</table>\n");
	if (doc != NULL && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "complete")))
		cfir_html_raw(&r->h, "<p class=\"fail\">the socket tables were not read whole</p>\n");
	rep_more(r, t.rows < r->rows ? t.rows : r->rows, t.rows, "sockets", path);
	rep_cite(r, path);
}

/* --- captures --- */

static void
conv_row(struct rep *r, const struct cfir_pcap_conv *c, uint64_t most)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], proto[16];
	struct timespec t;
	char first[CFIR_TIME_LEN], last[CFIR_TIME_LEN];
	double w = most ? 200.0 * (double)c->bytes / (double)most : 0;
	bool v6 = c->key.family == 6;

	cfir_pcap_addr(&c->key, false, a);
	cfir_pcap_addr(&c->key, true, b);
	t = c->first;
	cfir_util_time_rfc3339(&t, first);
	t = c->last;
	cfir_util_time_rfc3339(&t, last);
	cfir_html_printf(&r->h, "<tr><td>%s</td><td class=\"m\">%s%s%s:%u</td><td class=\"m\">%s%s%s:%u</td>"
			 "<td class=\"n\">%llu</td><td class=\"n\">", cfir_pcap_proto_name(c->key.proto, proto),
			 v6 ? "[" : "", a, v6 ? "]" : "", c->key.aport, v6 ? "[" : "", b, v6 ? "]" : "",
			 c->key.bport, (unsigned long long)c->packets);
	rep_bytes(r, (double)c->bytes);
	cfir_html_printf(&r->h, "</td><td><svg width=\"204\" height=\"12\"><rect class=\"bar\" x=\"0\" "
			 "y=\"1\" width=\"%.1f\" height=\"10\"/></svg></td><td>", w < 1 ? 1 : w);
	rep_time_html(r, first);
	cfir_html_raw(&r->h, "</td><td>");
	rep_time_html(r, last);
	cfir_html_raw(&r->h, "</td></tr>\n");
}

static void
capture_summary(struct rep *r, const struct cfir_pcap_summary *s)
{
	char first[CFIR_TIME_LEN], last[CFIR_TIME_LEN];
	struct timespec t;
	size_t i;

	t = s->first;
	cfir_util_time_rfc3339(&t, first);
	t = s->last;
	cfir_util_time_rfc3339(&t, last);
	cfir_html_printf(&r->h, "<p><strong>%llu packets</strong>, ", (unsigned long long)s->packets);
	rep_bytes(r, (double)s->bytes);
	cfir_html_printf(&r->h, ", %llu conversations, %llu not IP", (unsigned long long)s->conversations,
			 (unsigned long long)s->not_ip);
	if (s->packets > 0) {
		cfir_html_raw(&r->h, "; from ");
		rep_time_html(r, first);
		cfir_html_raw(&r->h, " to ");
		rep_time_html(r, last);
	}
	cfir_html_raw(&r->h, "</p>\n");
	if (s->cut) {
		cfir_html_raw(&r->h, "<p class=\"fail\">the capture ends inside a packet or could not be read "
			      "whole: ");
		cfir_html_str(&r->h, s->error, REP_CELL);
		cfir_html_raw(&r->h, "</p>\n");
	}
	if (s->ntop > 0)
		cfir_html_raw(&r->h, "<table class=\"conv\">\n<tr><th>Proto</th><th>A</th><th>B</th><th>Packets</th>"
			      "<th>Bytes</th><th></th><th>First</th><th>Last</th></tr>\n");
	for (i = 0; i < s->ntop; i++)
		conv_row(r, &s->top[i], s->top[0].bytes);
	if (s->ntop > 0)
		cfir_html_printf(&r->h, "</table>\n<p class=\"note\">the %zu largest conversations by bytes; "
				 "every packet is in the capture</p>\n", s->ntop);
}

/* The interface a capture file is of: "eth0.pcap" and its rotations "eth0-000001.pcap"; its length. */
static size_t
iface_len(const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t n = strlen(base) - 5;	/* ".pcap" */

	if (n > 7 && base[n - 7] == '-' && strspn(base + n - 6, "0123456789") >= 6)
		n -= 7;
	return (size_t)(base - path) + n;
}

/* One interface's capture files (NAMES, N of them, in order) summed up as one. */
static void
capture(struct rep *r, char **names, size_t n)
{
	struct cfir_pcap_summary s = { 0 };
	struct cfir_err e = { 0 };
	const char *base = strrchr(names[0], '/') ? strrchr(names[0], '/') + 1 : names[0];
	size_t len = iface_len(names[0]) - (size_t)(base - names[0]), i, open = 0;
	int fds[PCAPS_MAX];

	cfir_html_raw(&r->h, "<h4>Traffic on <code>");
	cfir_html_text(&r->h, base, len, REP_CELL);
	cfir_html_printf(&r->h, "</code>, its host-side peer (%zu file%s)</h4>\n", n, n == 1 ? "" : "s");
	for (i = 0; i < n; i++) {
		if ((fds[open] = cfir_bagread_open(r->dirfd, names[i])) >= 0) {
			open++;
			continue;
		}
		e.sys = errno;
		rep_missing(r, names[i], &e);
	}
	if (open > 0 && cfir_pcap_summarize_files(fds, open, TOP, &s, &e) < 0)
		rep_missing(r, names[0], &e);
	else if (open > 0)
		capture_summary(r, &s);
	for (i = 0; i < n; i++)
		rep_cite(r, names[i]);
	cfir_pcap_summary_free(&s);
	while (open > 0)
		close(fds[--open]);
}

/* the container's *.pcap files as bag paths, in name order */
static size_t
pcaps(struct rep *r, const char *cont, char **paths, size_t max)
{
	char dir[512];
	char **names = NULL;
	size_t n, i, k = 0;

	if (rep_path(dir, sizeof(dir), cont, "net") < 0)
		return 0;
	n = cfir_bagread_names(r->dirfd, dir, ".pcap", max, &names);
	for (i = 0; i < n; i++)
		if (asprintf(&paths[k], "%s/%s", dir, names[i]) >= 0)
			k++;
	cfir_util_free_strv(names, n);
	return k;
}

void
rep_network(struct rep *r, const char *cont)
{
	char *names[PCAPS_MAX];
	size_t i, j, n;

	sockets(r, cont);
	n = pcaps(r, cont, names, PCAPS_MAX);
	if (n == 0)
		cfir_html_raw(&r->h, "<p class=\"note\">no capture in this bag</p>\n");
	for (i = 0; i < n; i = j) {
		size_t len = iface_len(names[i]);

		for (j = i + 1; j < n && iface_len(names[j]) == len && strncmp(names[i], names[j], len) == 0; j++)
			;
		capture(r, names + i, j - i);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	if (n == PCAPS_MAX)
		cfir_html_printf(&r->h, "<p class=\"note\">the first %d captures are summed up here</p>\n",
				 PCAPS_MAX);
}
