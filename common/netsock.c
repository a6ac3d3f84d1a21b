/* netsock.c - a network namespace's sockets from sock_diag, mapped to processes
 *
 * The kernel answers SOCK_DIAG_BY_FAMILY dumps on a NETLINK_SOCK_DIAG
 * socket made inside the container's network namespace (netlink.c): one
 * message per socket, every field fixed-size or length-delimited. The text
 * tables of /proc/net are not read: /proc/net/unix prints a bound name byte
 * for byte, newlines included, so a container could forge rows in it. The
 * one exception is raw sockets on a kernel built without raw_diag
 * (CONFIG_INET_RAW_DIAG, as ss does too): /proc/PID/net/raw and raw6 then,
 * tables of numbers only, read strictly.
 *
 * The holders (inode -> PID, fd, comm) come from each process's fd
 * directory, read through one fd of its /proc directory by a thread a CPU,
 * sorted once and searched by bisection: a namespace of 100,000 sockets
 * and fds stays n log n.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/packet_diag.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include "common/cleanup.h"
#include "common/netlink.h"
#include "common/netsock.h"
#include "common/out.h"
#include "common/proc.h"
#include "common/util.h"

#define RAW_TABLE_MAX (64u << 20)
#define HOLDERS_MAX (1u << 22)	/* socket fds remembered: 64 MiB */
#define PROCS_MAX (1u << 22)

/* ---- parsers of sock_diag replies ------------------------------------------ */

static const char *
tcp_state(unsigned st)
{
	static const char *names[] = { "?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1",
				       "FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK",
				       "LISTEN", "CLOSING", "NEW_SYN_RECV", "BOUND_INACTIVE" };

	return st < sizeof(names) / sizeof(names[0]) ? names[st] : "?";
}

/* udp and raw: connected or not, as netstat says */
static const char *
dgram_state(unsigned st)
{
	return st == 1 ? "ESTABLISHED" : st == 7 ? "UNCONN" : tcp_state(st);
}

static const char *
unix_state(unsigned st)
{
	return st == 10 ? "LISTEN" : st == 1 ? "CONNECTED" : st == 7 ? "UNCONNECTED" : st == 2 ? "CONNECTING" : "?";
}

static const char *
inet_proto(int family, int protocol)
{
	bool v6 = family == AF_INET6;

	switch (protocol) {
	case IPPROTO_TCP:
		return v6 ? "tcp6" : "tcp";
	case IPPROTO_UDP:
		return v6 ? "udp6" : "udp";
	case IPPROTO_UDPLITE:
		return v6 ? "udplite6" : "udplite";
	case IPPROTO_RAW:
		return v6 ? "raw6" : "raw";
	}
	return NULL;
}

struct parse {
	int family, protocol;
	cfir_netsock_fn fn;
	void *ctx;
};

/* The fixed part of one socket's message, which starts with its family;
 * *OFF is where the attributes start. */
static bool
head(const unsigned char *p, size_t n, void *m, size_t size, int family, size_t *off)
{
	if (n < size || p[0] != family)
		return false;
	memcpy(m, p, size);
	*off = NLMSG_ALIGN(size);
	return true;
}

static int
one_inet(const struct parse *c, const unsigned char *p, size_t n)
{
	struct cfir_netsock s = { .uid = -1, .filter = -1 };
	struct inet_diag_msg m;
	struct cfir_netlink_attr a;
	size_t off;

	s.proto = inet_proto(c->family, c->protocol);
	if (!head(p, n, &m, sizeof(m), c->family, &off) || s.proto == NULL ||
	    inet_ntop(c->family, m.id.idiag_src, s.local, sizeof(s.local)) == NULL ||
	    inet_ntop(c->family, m.id.idiag_dst, s.remote, sizeof(s.remote)) == NULL)
		return -1;
	s.lport = ntohs(m.id.idiag_sport);
	s.rport = ntohs(m.id.idiag_dport);
	s.state = c->protocol == IPPROTO_TCP ? tcp_state(m.idiag_state) : dgram_state(m.idiag_state);
	s.inode = m.idiag_inode;
	s.uid = m.idiag_uid;
	s.rqueue = m.idiag_rqueue;
	s.wqueue = m.idiag_wqueue;
	s.ifindex = m.id.idiag_if;
	if (c->protocol == IPPROTO_RAW)
		s.protocol = s.lport;
	while (cfir_netlink_attr_next(p, n, &off, &a))
		if (a.type == INET_DIAG_PROTOCOL && a.n >= 1 && c->protocol == IPPROTO_RAW)
			s.protocol = a.p[0];	/* raw_diag says the socket's own */
	c->fn(c->ctx, &s);
	return 0;
}

static const char *
sock_type(unsigned t)
{
	return t == SOCK_STREAM ? "STREAM" : t == SOCK_DGRAM ? "DGRAM" : t == SOCK_SEQPACKET ? "SEQPACKET" :
	       t == SOCK_RAW ? "RAW" : "?";
}

/* The owner's UID, when the reply says it (unix and packet sockets). */
static void
attr_uid(const struct cfir_netlink_attr *a, struct cfir_netsock *s)
{
	uint32_t u;

	if (cfir_netlink_attr_copy(a, &u, sizeof(u)))
		s->uid = u;
}

/* A unix socket's fixed header and its attributes. */
static void
unix_fill(struct cfir_netsock *s, const void *msg)
{
	const struct unix_diag_msg *m = msg;

	s->type = sock_type(m->udiag_type);
	s->state = unix_state(m->udiag_state);
	s->inode = m->udiag_ino;
}

static void
unix_attr(struct cfir_netsock *s, const struct cfir_netlink_attr *a)
{
	struct unix_diag_rqlen q;
	struct unix_diag_vfs v;

	switch (a->type) {
	case UNIX_DIAG_NAME:
		/* a path ends at its NUL; an abstract name is every byte */
		s->name = a->p;
		s->namelen = a->n > 0 && a->p[0] != '\0' ? strnlen((const char *)a->p, a->n) : a->n;
		break;
	case UNIX_DIAG_PEER:
		s->peer = cfir_netlink_attr_u32(a, (uint32_t)s->peer);
		break;
	case UNIX_DIAG_RQLEN:
		if (cfir_netlink_attr_copy(a, &q, sizeof(q))) {
			s->rqueue = q.udiag_rqueue;
			s->wqueue = q.udiag_wqueue;
		}
		break;
	case UNIX_DIAG_VFS:
		if (cfir_netlink_attr_copy(a, &v, sizeof(v))) {
			s->vfs_dev = v.udiag_vfs_dev;
			s->vfs_ino = v.udiag_vfs_ino;
		}
		break;
	case UNIX_DIAG_UID:
		attr_uid(a, s);
		break;
	}
}

/* A packet socket's fixed header and its attributes. */
static void
packet_fill(struct cfir_netsock *s, const void *msg)
{
	const struct packet_diag_msg *m = msg;

	s->type = sock_type(m->pdiag_type);
	s->protocol = m->pdiag_num;
	s->inode = m->pdiag_ino;
}

static void
packet_attr(struct cfir_netsock *s, const struct cfir_netlink_attr *a)
{
	struct packet_diag_info info;

	switch (a->type) {
	case PACKET_DIAG_INFO:
		if (cfir_netlink_attr_copy(a, &info, sizeof(info)))
			s->ifindex = info.pdi_index;
		break;
	case PACKET_DIAG_UID:
		attr_uid(a, s);
		break;
	case PACKET_DIAG_FILTER:
		s->filter = (long)(a->n / sizeof(struct sock_filter));
		break;
	}
}

/* How a unix or a packet socket's answer reads: its header, then its attributes. */
struct sock_kind {
	const char *proto, *state;
	size_t msglen;
	void (*fill)(struct cfir_netsock *s, const void *msg);
	void (*attr)(struct cfir_netsock *s, const struct cfir_netlink_attr *a);
};

static const struct sock_kind unix_kind = { "unix", NULL, sizeof(struct unix_diag_msg), unix_fill, unix_attr };
static const struct sock_kind packet_kind = { "packet", "", sizeof(struct packet_diag_msg), packet_fill,
					      packet_attr };

static int
one_sock(const struct parse *c, const unsigned char *p, size_t n, const struct sock_kind *k)
{
	struct cfir_netsock s = { .proto = k->proto, .state = k->state, .uid = -1, .filter = -1 };
	union {
		struct unix_diag_msg u;
		struct packet_diag_msg p;
	} m;
	struct cfir_netlink_attr a;
	size_t off;

	if (!head(p, n, &m, k->msglen, c->family, &off))
		return -1;
	k->fill(&s, &m);
	while (cfir_netlink_attr_next(p, n, &off, &a))
		k->attr(&s, &a);
	c->fn(c->ctx, &s);
	return 0;
}

static int
one_msg(void *ctx, uint16_t type, const unsigned char *p, size_t n)
{
	const struct parse *c = ctx;

	if (type != SOCK_DIAG_BY_FAMILY)
		return 0;
	switch (c->family) {
	case AF_INET:
	case AF_INET6:
		return one_inet(c, p, n);
	case AF_UNIX:
		return one_sock(c, p, n, &unix_kind);
	case AF_PACKET:
		return one_sock(c, p, n, &packet_kind);
	}
	return -1;
}

int
cfir_netsock_parse(const void *buf, size_t len, uint32_t seq, int family,
		   int protocol, cfir_netsock_fn fn, void *ctx, int *nlerr)
{
	struct parse c = { family, protocol, fn, ctx };

	return cfir_netlink_each(buf, len, seq, one_msg, &c, nlerr);
}

/* ---- /proc/PID/net/raw, where raw_diag is missing ----------------------------- */

/* Exactly WIDTH hex digits: the whole of a field the kernel printed with %0NX. */
static bool
hexfield(const char *s, size_t width, unsigned long long *v)
{
	char *end;
	size_t i;

	for (i = 0; i < width; i++)
		if (s[i] == '\0' || strchr("0123456789ABCDEFabcdef", s[i]) == NULL)
			return false;
	errno = 0;
	*v = strtoull(s, &end, 16);
	return errno == 0 && end == s + width;
}

/* "0100007F:0001" or 32 hex digits + ":" + 4: the address's 32-bit words
 * in host order, as the kernel printed them; the protocol as the port. */
static bool
raw_addr(const char *tok, bool v6, char *out, size_t outlen, unsigned *port)
{
	size_t words = v6 ? 4 : 1, i;
	unsigned char a[16];
	unsigned long long w;
	uint32_t w32;

	if (strlen(tok) != 8 * words + 5 || tok[8 * words] != ':')
		return false;
	for (i = 0; i < words; i++) {
		char word[9];

		memcpy(word, tok + 8 * i, 8);
		word[8] = '\0';
		if (!hexfield(word, 8, &w))
			return false;
		w32 = (uint32_t)w;
		memcpy(a + 4 * i, &w32, 4);
	}
	if (!hexfield(tok + 8 * words + 1, 4, &w))
		return false;
	*port = (unsigned)w;
	return inet_ntop(v6 ? AF_INET6 : AF_INET, a, out, (socklen_t)outlen) != NULL;
}

size_t
cfir_netsock_parse_raw(const char *text, size_t len, bool v6, cfir_netsock_fn fn, void *ctx)
{
	cleanup_free char *copy = strndup(text, len);
	char *line, *save = NULL;
	size_t n = 0;

	if (copy == NULL)
		return 0;
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct cfir_netsock s = { .proto = v6 ? "raw6" : "raw", .uid = -1, .filter = -1 };
		unsigned long long st;
		unsigned long uid, inode, sl;
		char *tok[11], *sp = NULL, *colon;
		int k;

		/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode ... */
		for (k = 0; k < 11 && (tok[k] = strtok_r(k ? NULL : line, " ", &sp)) != NULL; k++)
			;
		if (k < 11 || (colon = strchr(tok[0], ':')) == NULL || colon[1] != '\0')
			continue;
		*colon = '\0';
		if (cfir_util_parse_ulong(tok[0], ~0ul, &sl) < 0 || !raw_addr(tok[1], v6, s.local, sizeof(s.local), &s.lport) ||
		    !raw_addr(tok[2], v6, s.remote, sizeof(s.remote), &s.rport) ||
		    strlen(tok[3]) != 2 || !hexfield(tok[3], 2, &st) || cfir_util_parse_ulong(tok[7], ~0ul, &uid) < 0 ||
		    cfir_util_parse_ulong(tok[9], ~0ul, &inode) < 0)
			continue;
		s.state = dgram_state((unsigned)st);
		s.uid = (long long)uid;
		s.inode = inode;
		s.protocol = s.lport;
		fn(ctx, &s);
		n++;
	}
	return n;
}

/* ---- holders: inode -> pid/fd/comm ------------------------------------------ */

/*
 * The walk is one readlinkat after another (the namespace of each of the
 * host's processes, each fd of those in it), so it is shared by a thread
 * a CPU: the processes go to whichever worker asks next, and a directory
 * of thousands of fds is read by all of them, a chunk each.
 */
#define DENTS_BUF (32u << 10)
#define SCAN_WORKERS 4
#define PIDS_TAKEN 16		/* PIDs a worker takes from /proc at a time */
#define FDS_SHARED 256		/* a process with more fds than this is read by every worker */
#define FD_CHUNK 128
#define FDS_PIECE (1u << 20)	/* fd numbers held at once: 4 MiB */
#define DENT_NAME offsetof(struct dirent64, d_name)

struct proc_ent {
	pid_t pid;
	char comm[64];
};

struct holder {
	unsigned long inode;
	uint32_t proc;		/* index into procs */
	int fd;
};

struct holders {
	struct holder *h;
	size_t n, cap;
	struct proc_ent *p;
	size_t np, capp;
	bool truncated;		/* more than HOLDERS_MAX or PROCS_MAX */
	bool interrupted;
};

/*
 * A directory of /proc read with getdents64 into a buffer of the caller's:
 * no DIR to allocate, no fcntl, for each of thousands of fd directories.
 */
struct dents {
	int fd;
	unsigned char *buf;
	size_t cap, len, off;
};

/* One more buffer of entries; false at the end, or when the process is gone. */
static bool
dents_read(struct dents *d)
{
	ssize_t n;

	do
		n = getdents64(d->fd, d->buf, d->cap);
	while (n < 0 && errno == EINTR);
	d->len = n > 0 ? (size_t)n : 0;
	d->off = 0;
	return n > 0;
}

/* The buffer's next name that is a number up to 0x7fffffff, in *NUM; NULL when it has no more. */
static const char *
dents_take(struct dents *d, unsigned long *num)
{
	unsigned short reclen;
	const char *name;

	while (d->len - d->off > DENT_NAME) {
		memcpy(&reclen, d->buf + d->off + offsetof(struct dirent64, d_reclen), sizeof(reclen));
		if (reclen < DENT_NAME + 2 || reclen > d->len - d->off)
			break;
		name = (const char *)d->buf + d->off + DENT_NAME;
		d->off += reclen;
		if (memchr(name, '\0', reclen - DENT_NAME) != NULL &&
		    cfir_util_parse_ulong(name, 0x7fffffff, num) == 0)
			return name;
	}
	d->off = d->len;
	return NULL;
}

/* The directory's next such name, reading on as needed. */
static const char *
dents_next(struct dents *d, unsigned long *num)
{
	const char *name;

	while ((name = dents_take(d, num)) == NULL)
		if (!dents_read(d))
			return NULL;
	return name;
}

struct pscan;

/* The fd list of one process, read by every worker that comes by, a chunk each. */
struct fdjob {
	struct pscan *p;	/* known: the helpers only read it */
	const int *fds;
	size_t n, next;		/* under the scan's lock */
	unsigned users;		/* workers reading a chunk of it */
};

struct scan {
	pthread_mutex_t lock;
	pthread_cond_t left;	/* a worker finished its chunk of the job */
	int procfd;
	struct dents procs;	/* /proc itself, read under the lock */
	const pid_t *list;	/* or the PIDs a caller found in the namespace, */
	size_t nlist, at;	/* when LISTED */
	bool listed;
	unsigned long netns;
	char want[32];		/* "net:[N]" */
	size_t wl;
	struct holders *hs;	/* its procs and flags under the lock */
	size_t held;		/* holders kept by all workers, atomic: at most HOLDERS_MAX */
	pthread_cond_t work;	/* a list offered, or a worker done with the PIDs */
	struct fdjob *job;	/* the list being shared, NULL when none */
	unsigned workers;	/* set before the threads start */
	unsigned active;	/* workers still taking PIDs: they may offer a list */
	bool stop;		/* interrupted, or no room for more */
};

struct worker {
	struct scan *s;
	struct holder *h;
	size_t n, cap;
	unsigned char buf[DENTS_BUF];
	int *fds;		/* the fd numbers of the process it reads */
	size_t fdcap;
};

static bool
stopped(struct scan *s)
{
	return __atomic_load_n(&s->stop, __ATOMIC_RELAXED);
}

static void
stop(struct scan *s, bool interrupted)
{
	pthread_mutex_lock(&s->lock);
	if (interrupted)
		s->hs->interrupted = true;
	else
		s->hs->truncated = true;
	__atomic_store_n(&s->stop, true, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&s->work);
	pthread_mutex_unlock(&s->lock);
}

/* "socket:[N]": its N; 0 for any other link */
static unsigned long
socket_inode(int dfd, const char *name)
{
	char link[64];
	ssize_t n = readlinkat(dfd, name, link, sizeof(link) - 1);
	unsigned long ino;

	if (n <= 8 || memcmp(link, "socket:[", 8) != 0)
		return 0;
	link[n] = '\0';
	return cfir_proc_link_inode(link, "socket", &ino) == 0 ? ino : 0;
}

/*
 * The process being read: its fd directory, through which everything else
 * of it is read too (../comm, ../ns/net: that process, not a later one of
 * its PID). It joins the holders' processes at its first socket.
 */
struct pscan {
	int dfd;
	unsigned long pid;
	uint32_t proc;		/* its index into procs, once known */
	bool known;
};

/* /proc/PID/comm: one read of a file the kernel writes at most 64 bytes of */
static void
read_comm(int dfd, char *comm, size_t cap)
{
	cleanup_close int fd = openat(dfd, "../comm", O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	ssize_t n = -1;

	if (fd >= 0)
		do
			n = read(fd, comm, cap - 1);
		while (n < 0 && errno == EINTR);
	if (n > 0 && comm[n - 1] == '\n')
		n--;
	comm[n > 0 ? n : 0] = '\0';
}

/* P among the holders' processes, with its comm; false when there is no room. */
static bool
known(struct worker *w, struct pscan *p)
{
	struct scan *s = w->s;
	struct holders *hs = s->hs;
	char comm[64];
	bool room;

	if (p->known)
		return true;
	read_comm(p->dfd, comm, sizeof(comm));
	pthread_mutex_lock(&s->lock);
	room = cfir_util_grow((void **)&hs->p, &hs->capp, hs->np, sizeof(*hs->p), 256, PROCS_MAX);
	if (room) {
		p->proc = (uint32_t)hs->np++;
		hs->p[p->proc].pid = (pid_t)p->pid;
		memcpy(hs->p[p->proc].comm, comm, sizeof(comm));
	}
	pthread_mutex_unlock(&s->lock);
	if (!room)
		stop(s, false);
	return p->known = room;
}

/* FDS[A..B) of process P: the sockets among them. P is known already when shared. */
static void
read_fds(struct worker *w, struct pscan *p, const int *fds, size_t a, size_t b)
{
	unsigned long ino;
	char name[16];

	for (; a < b && !stopped(w->s); a++) {
		snprintf(name, sizeof(name), "%d", fds[a]);
		if ((ino = socket_inode(p->dfd, name)) == 0)
			continue;
		if (__atomic_add_fetch(&w->s->held, 1, __ATOMIC_RELAXED) > HOLDERS_MAX || !known(w, p) ||
		    !cfir_util_grow((void **)&w->h, &w->cap, w->n, sizeof(*w->h), 256, HOLDERS_MAX)) {
			stop(w->s, false);
			return;
		}
		w->h[w->n].inode = ino;
		w->h[w->n].proc = p->proc;
		w->h[w->n].fd = fds[a];
		w->n++;
	}
}

/*
 * A chunk of the shared list, if one is left: taken under the lock that
 * also guards the list's life (its owner waits for every user to leave).
 */
static bool
help(struct worker *w)
{
	struct scan *s = w->s;
	struct fdjob *j;
	size_t a, b;

	pthread_mutex_lock(&s->lock);
	j = s->job;
	if (j == NULL || j->next >= j->n) {
		pthread_mutex_unlock(&s->lock);
		return false;
	}
	a = j->next;
	b = j->n - a > FD_CHUNK ? a + FD_CHUNK : j->n;
	j->next = b;
	j->users++;
	pthread_mutex_unlock(&s->lock);
	read_fds(w, j->p, j->fds, a, b);
	pthread_mutex_lock(&s->lock);
	if (--j->users == 0)
		pthread_cond_broadcast(&s->left);
	pthread_mutex_unlock(&s->lock);
	return true;
}

/* W's list of N fds of P offered to the other workers while W reads it too. */
static void
share(struct worker *w, struct pscan *p, size_t n)
{
	struct scan *s = w->s;
	struct fdjob job = { p, w->fds, n, 0, 0 };
	bool mine;

	if (!known(w, p))	/* the helpers only read it */
		return;
	pthread_mutex_lock(&s->lock);
	mine = s->job == NULL;
	if (mine) {
		s->job = &job;
		pthread_cond_broadcast(&s->work);
	}
	pthread_mutex_unlock(&s->lock);
	if (!mine) {		/* another list is shared already */
		read_fds(w, p, w->fds, 0, n);
		return;
	}
	while (help(w))
		;
	pthread_mutex_lock(&s->lock);
	while (job.users > 0)
		pthread_cond_wait(&s->left, &s->lock);
	s->job = NULL;
	pthread_mutex_unlock(&s->lock);
}

/* Longer than any entry of an fd directory: "2147483647" and the header, aligned. */
#define FD_DENT_MAX 64

/* The first K fds of W's list: shared when there are many, so that they meet once. */
static void
fds_out(struct worker *w, struct pscan *p, size_t k)
{
	if (k > FDS_SHARED && w->s->workers > 1)
		share(w, p, k);
	else
		read_fds(w, p, w->fds, 0, k);
}

/*
 * Process PID when it is in the namespace: its socket fds. The namespace
 * is asked by path first, one readlinkat for each of the host's processes;
 * then again through its fd directory, which holds that process and no
 * later one of the same PID. Its fd numbers are listed first, then read.
 */
static void
scan_proc(struct worker *w, unsigned long pid)
{
	struct scan *s = w->s;
	char rel[32], link[64];
	struct pscan p = { -1, pid, 0, false };
	struct dents d = { -1, w->buf, sizeof(w->buf), 0, 0 };
	unsigned long fd;
	bool more = true;
	ssize_t n;
	size_t k = 0;
	int one;

	snprintf(rel, sizeof(rel), "%lu/ns/net", pid);
	n = readlinkat(s->procfd, rel, link, sizeof(link));
	if (n != (ssize_t)s->wl || memcmp(link, s->want, s->wl) != 0)
		return;
	snprintf(rel, sizeof(rel), "%lu/fd", pid);
	p.dfd = d.fd = openat(s->procfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p.dfd < 0)
		return;		/* gone, or a kernel thread */
	if (cfir_proc_inode_at(p.dfd, "../ns/net", "net") != s->netns)
		more = false;
	/*
	 * The kernel fills a getdents buffer until the next entry does not
	 * fit: with room for the longest one left, there was no more.
	 */
	while (more && !stopped(s) && dents_read(&d)) {
		more = d.len > d.cap - FD_DENT_MAX;
		while (dents_take(&d, &fd) != NULL) {
			if (k == w->fdcap && !cfir_util_grow((void **)&w->fds, &w->fdcap, k, sizeof(*w->fds), 1024, FDS_PIECE)) {
				fds_out(w, &p, k);	/* a full piece, or no memory for more */
				k = 0;
			}
			if (k < w->fdcap) {
				w->fds[k++] = (int)fd;
			} else {
				one = (int)fd;
				read_fds(w, &p, &one, 0, 1);
			}
		}
	}
	if (k > 0 && !stopped(s))
		fds_out(w, &p, k);
	close(p.dfd);
}

/*
 * Up to PIDS_TAKEN PIDs from /proc into PIDS. None left: W waits for a
 * list of fds that another worker still scanning may offer, and *OVER
 * says that none can come any more (an offer's owner is still active).
 */
static size_t
take_pids(struct worker *w, unsigned long *pids, bool *active, bool *over)
{
	struct scan *s = w->s;
	size_t n = 0;

	pthread_mutex_lock(&s->lock);
	while (n < PIDS_TAKEN && s->listed && s->list != NULL && s->at < s->nlist)
		pids[n++] = (unsigned long)s->list[s->at++];
	while (n < PIDS_TAKEN && !s->listed && dents_next(&s->procs, &pids[n]) != NULL)
		n++;
	if (n == 0 && *active) {
		*active = false;
		s->active--;
		pthread_cond_broadcast(&s->work);
	}
	while (n == 0 && s->active > 0 && !s->stop && (s->job == NULL || s->job->next >= s->job->n))
		pthread_cond_wait(&s->work, &s->lock);
	*over = n == 0 && (s->active == 0 || s->stop);
	pthread_mutex_unlock(&s->lock);
	return n;
}

static void *
scan_worker(void *arg)
{
	struct worker *w = arg;
	struct scan *s = w->s;
	unsigned long pids[PIDS_TAKEN];
	bool active = true, over = false;
	size_t n, i;

	while (!stopped(s) && !over) {
		if (help(w))
			continue;
		n = take_pids(w, pids, &active, &over);
		for (i = 0; i < n && !stopped(s); i++) {
			if (cfir_interrupt_pending()) {
				stop(s, true);
				break;
			}
			scan_proc(w, pids[i]);
		}
	}
	if (active) {
		pthread_mutex_lock(&s->lock);
		s->active--;
		pthread_cond_broadcast(&s->work);
		pthread_mutex_unlock(&s->lock);
	}
	return NULL;
}

static int
hcmp(const void *a, const void *b, void *procs)
{
	const struct holder *x = a, *y = b;
	const struct proc_ent *p = procs;

	if (x->inode != y->inode)
		return CFIR_UTIL_CMP(x->inode, y->inode);
	if (x->proc != y->proc)	/* in PID order, whichever worker found them */
		return CFIR_UTIL_CMP(p[x->proc].pid, p[y->proc].pid);
	return CFIR_UTIL_CMP(x->fd, y->fd);
}

/* The workers' holders into HS, one sorted array. */
static void
merge(struct holders *hs, struct worker *w, unsigned n)
{
	size_t total = 0, at;
	unsigned i;

	for (i = 0; i < n; i++)
		total += w[i].n;
	hs->h = steal_pointer(&w[0].h);
	hs->n = at = w[0].n;
	if (n > 1 && total > at) {
		struct holder *h = realloc(hs->h, total * sizeof(*h));

		if (h == NULL) {
			hs->truncated = true;
		} else {
			hs->h = h;
			for (i = 1; i < n; i++) {
				memcpy(h + at, w[i].h, w[i].n * sizeof(*h));
				at += w[i].n;
			}
			hs->n = at;
		}
	}
	for (i = 1; i < n; i++)
		free(w[i].h);
	if (hs->n > 1)
		qsort_r(hs->h, hs->n, sizeof(*hs->h), hcmp, hs->p);
}

/* CPUs this process may run on, at most SCAN_WORKERS */
static unsigned
workers_wanted(void)
{
	cpu_set_t set;
	int n;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return 1;
	n = CPU_COUNT(&set);
	return n < 1 ? 1 : n > SCAN_WORKERS ? SCAN_WORKERS : (unsigned)n;
}

/*
 * Every fd of every process in the namespace NETNS that is a socket: the
 * processes of /proc, or when LISTED those of LIST (N_LIST of them, the
 * caller's reading of /proc shared by many namespaces), each checked as there.
 */
static void
holders_scan(const char *proc, unsigned long netns, bool listed, const pid_t *list, size_t n_list,
	     struct holders *hs)
{
	cleanup_close int procfd = open(proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_free unsigned char *buf = malloc(DENTS_BUF);
	struct scan s = { .procfd = procfd, .procs = { procfd, buf, DENTS_BUF, 0, 0 }, .netns = netns, .hs = hs,
			  .list = list, .nlist = n_list, .listed = listed };
	cleanup_free struct worker *w = NULL;
	pthread_t th[SCAN_WORKERS];
	unsigned n = workers_wanted(), started, i;

	if (procfd < 0 || buf == NULL || (w = calloc(n, sizeof(*w))) == NULL)
		return;
	s.wl = (size_t)snprintf(s.want, sizeof(s.want), "net:[%lu]", netns);
	pthread_mutex_init(&s.lock, NULL);
	pthread_cond_init(&s.left, NULL);
	pthread_cond_init(&s.work, NULL);
	for (i = 0; i < n; i++)
		w[i].s = &s;
	s.workers = s.active = n;
	for (started = 1; started < n; started++)
		if (cfir_util_thread_create(&th[started], scan_worker, &w[started]) != 0)
			break;
	if (started < n) {	/* fewer threads than CPUs: the ones that were made */
		pthread_mutex_lock(&s.lock);
		s.active -= n - started;
		pthread_mutex_unlock(&s.lock);
	}
	scan_worker(&w[0]);
	for (i = 1; i < started; i++)
		pthread_join(th[i], NULL);
	merge(hs, w, started);
	for (i = 0; i < started; i++)
		free(w[i].fds);
	pthread_cond_destroy(&s.work);
	pthread_cond_destroy(&s.left);
	pthread_mutex_destroy(&s.lock);
}

/* ---- the document ------------------------------------------------------------ */

struct collect {
	cfir_netsock_json_fn fn;
	void *ctx;
	const cJSON *head;
	const struct holders *hs;
	size_t count;
	bool failed;		/* FN said no: the rest is not handed on */
};

static void
add_holders(cJSON *o, const struct holders *hs, unsigned long inode)
{
	cJSON *who = cJSON_AddArrayToObject(o, "holders");	/* after "inode" */
	size_t lo = 0, hi = hs->n, mid;
	const struct holder *h;

	if (inode == 0 || hs->n == 0)
		return;
	while (lo < hi) {	/* the first holder of this inode */
		mid = lo + (hi - lo) / 2;
		if (hs->h[mid].inode < inode)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (h = hs->h + lo; h < hs->h + hs->n && h->inode == inode; h++) {
		const struct proc_ent *pe = &hs->p[h->proc];
		cJSON *x = cJSON_CreateObject();

		cfir_json_add_num(x, "pid", pe->pid);
		cfir_json_add_num(x, "fd", h->fd);
		cfir_json_add_bytes(x, "comm", pe->comm, strlen(pe->comm));
		cJSON_AddItemToArray(who, x);
	}
}

/* A unix socket's name: "@" for the NUL of an abstract one, as ss shows it. */
static void
add_unix_name(cJSON *o, const struct cfir_netsock *s)
{
	cleanup_free char *shown = NULL;
	bool abstract = s->name != NULL && s->namelen > 0 && s->name[0] == '\0';

	if (s->name == NULL) {
		cfir_json_add_str(o, "path", "");
		return;
	}
	shown = malloc(s->namelen + 1);
	if (shown == NULL)
		return;
	memcpy(shown, s->name, s->namelen);
	if (abstract)
		shown[0] = '@';
	cfir_json_add_bytes(o, "path", shown, s->namelen);
	cJSON_AddBoolToObject(o, "abstract", abstract);
}

static void
on_sock(void *ctx, const struct cfir_netsock *s)
{
	struct collect *c = ctx;
	cJSON *o = cJSON_CreateObject();

	if (o == NULL) {
		c->failed = true;
		return;
	}
	cfir_json_add_str(o, "proto", s->proto);
	if (strcmp(s->proto, "unix") == 0) {
		cfir_json_add_str(o, "type", s->type);
		add_unix_name(o, s);
		if (s->peer != 0)
			cfir_json_add_num(o, "peer", (double)s->peer);
		if (s->vfs_ino != 0) {
			cfir_json_add_num(o, "vfs_dev", (double)s->vfs_dev);
			cfir_json_add_num(o, "vfs_ino", (double)s->vfs_ino);
		}
	} else if (strcmp(s->proto, "packet") == 0) {
		cfir_json_add_str(o, "type", s->type);
		cfir_json_add_num(o, "protocol", s->protocol);
		cfir_json_add_num(o, "ifindex", s->ifindex);
		if (s->filter >= 0)
			cfir_json_add_num(o, "filter", (double)s->filter);
	} else {
		cfir_json_add_str(o, "local", s->local);
		cfir_json_add_num(o, "lport", s->lport);
		cfir_json_add_str(o, "remote", s->remote);
		cfir_json_add_num(o, "rport", s->rport);
		if (strncmp(s->proto, "raw", 3) == 0)
			cfir_json_add_num(o, "protocol", s->protocol);
		if (s->ifindex != 0)
			cfir_json_add_num(o, "ifindex", s->ifindex);
	}
	cfir_json_add_str(o, "state", s->state);
	cfir_json_add_num(o, "inode", (double)s->inode);
	if (s->uid >= 0)
		cfir_json_add_num(o, "uid", (double)s->uid);
	cfir_json_add_num(o, "rqueue", (double)s->rqueue);
	cfir_json_add_num(o, "wqueue", (double)s->wqueue);
	add_holders(o, c->hs, s->inode);
	c->count++;
	if (c->failed) {
		cJSON_Delete(o);	/* the output stopped: nothing more is handed on */
		return;
	}
	if (c->fn(c->ctx, c->head, o) < 0)
		c->failed = true;
}

struct dump {
	struct collect *c;
	int family, protocol;
};

static int
parse_dump(const void *buf, size_t len, uint32_t seq, void *ctx, int *nlerr)
{
	const struct dump *d = ctx;

	return cfir_netsock_parse(buf, len, seq, d->family, d->protocol, on_sock, d->c, nlerr);
}

/* One table by sock_diag; returns 0, or -1 with ERR and the kernel's errno in *NLERR. */
static int
dump_table(int fd, int family, int protocol, struct collect *c, int *nlerr,
	   struct cfir_err *err)
{
	struct dump d = { c, family, protocol };
	union {
		struct inet_diag_req_v2 inet;
		struct unix_diag_req unx;
		struct packet_diag_req pkt;
	} body;
	struct {
		struct nlmsghdr h;
		unsigned char body[sizeof(body)];
	} req;
	size_t blen;

	memset(&body, 0, sizeof(body));
	switch (family) {
	case AF_UNIX:
		body.unx.sdiag_family = AF_UNIX;
		body.unx.udiag_states = ~0u;
		body.unx.udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_VFS | UDIAG_SHOW_PEER |
				      UDIAG_SHOW_RQLEN | UDIAG_SHOW_UID;
		blen = sizeof(body.unx);
		break;
	case AF_PACKET:
		body.pkt.sdiag_family = AF_PACKET;
		body.pkt.pdiag_show = PACKET_SHOW_INFO | PACKET_SHOW_FILTER;	/* the uid comes always */
		blen = sizeof(body.pkt);
		break;
	default:
		/*
		 * Every state. For IPPROTO_RAW, raw_diag reads the pad byte as
		 * the raw protocol to match, but only in a lookup of one
		 * socket: a dump lists the raw sockets of every protocol and
		 * says each one's in INET_DIAG_PROTOCOL.
		 */
		body.inet.sdiag_family = (uint8_t)family;
		body.inet.sdiag_protocol = (uint8_t)protocol;
		body.inet.idiag_states = ~0u;
		blen = sizeof(body.inet);
		break;
	}
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = (uint32_t)(NLMSG_HDRLEN + blen);
	req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	memcpy(req.body, &body, blen);
	return cfir_netlink_dump(fd, &req.h, "sock_diag dump", parse_dump, &d, nlerr, err);
}

/* The engine's own word: HostConfig.NetworkMode "host". */
static bool
host_mode(const struct cfir_target *t)
{
	const cJSON *hc = cJSON_GetObjectItemCaseSensitive(t->inspect, "HostConfig");
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(hc, "NetworkMode");

	return cJSON_IsString(m) && strcmp(m->valuestring, "host") == 0;
}

static const struct table {
	const char *name;
	int family, protocol;
	bool optional;		/* a kernel may lack it and still have no such socket */
} tables[] = {
	{ "tcp", AF_INET, IPPROTO_TCP, false },
	{ "tcp6", AF_INET6, IPPROTO_TCP, false },
	{ "udp", AF_INET, IPPROTO_UDP, false },
	{ "udp6", AF_INET6, IPPROTO_UDP, false },
	{ "udplite", AF_INET, IPPROTO_UDPLITE, true },
	{ "udplite6", AF_INET6, IPPROTO_UDPLITE, true },
	{ "raw", AF_INET, IPPROTO_RAW, false },
	{ "raw6", AF_INET6, IPPROTO_RAW, false },
	{ "unix", AF_UNIX, 0, false },
	{ "packet", AF_PACKET, 0, false },
};

/* raw_diag missing (ENOENT): the numbers-only table, through the init process's fd */
struct raw_read {
	const char *name;
	char *text;
	size_t len;
	int r;
};

/* In a thread inside the namespace: its own /proc/thread-self/net is that namespace's. */
static void
raw_read(void *ctx)
{
	struct raw_read *x = ctx;
	char path[48];

	snprintf(path, sizeof(path), "/proc/thread-self/net/%s", x->name);
	x->r = cfir_util_read_file(AT_FDCWD, path, RAW_TABLE_MAX, &x->text, &x->len, NULL, NULL);
}

/*
 * Raw sockets where the kernel has no raw_diag: the table of numbers
 * (no name a container chooses), read inside the namespace itself.
 */
static int
raw_fallback(int nsfd, const struct table *tb, struct collect *c, cJSON *rec)
{
	struct raw_read x = { .name = tb->name, .r = -1 };
	cleanup_free char *text = NULL;
	const char *body;

	if (cfir_netlink_in_netns(nsfd, raw_read, &x, NULL) < 0 || x.r < 0) {
		free(x.text);
		return -1;
	}
	text = x.text;
	body = memchr(text, '\n', x.len);	/* past the header line */
	if (body != NULL)
		cfir_netsock_parse_raw(body + 1, x.len - (size_t)(body + 1 - text), tb->family == AF_INET6,
				       on_sock, c);
	cfir_json_add_str(rec, "source", "/proc/net");
	cfir_json_add_str(rec, "note", "the kernel has no raw_diag");
	return 0;
}

/*
 * One table to C's sink, REC saying where it came from: sock_diag, the
 * numbers-only file where the kernel has no raw_diag, or nothing where the
 * kernel lacks an optional one. -1 with ERR (also in REC) when it failed.
 */
static int
read_table(int dfd, int nsfd, const struct table *tb, struct collect *c, cJSON *rec, struct cfir_err *err)
{
	int nlerr = 0;

	cfir_json_add_str(rec, "table", tb->name);
	cfir_json_add_str(rec, "source", "sock_diag");
	if (dump_table(dfd, tb->family, tb->protocol, c, &nlerr, err) == 0)
		return 0;
	if (nlerr == ENOENT && tb->protocol == IPPROTO_RAW && raw_fallback(nsfd, tb, c, rec) == 0)
		return 0;
	if (nlerr == ENOENT && tb->optional) {
		cfir_json_add_str(rec, "source", NULL);
		cfir_json_add_str(rec, "note", "not in this kernel");
		return 0;
	}
	cfir_err_wrap(err, "table %s", tb->name);
	cfir_json_add_str(rec, "error", err->msg);
	return -1;
}

static int
gather(void *ctx, const cJSON *head, cJSON *sock)
{
	(void)head;
	cJSON_AddItemToArray(ctx, sock);
	return 0;
}

int
cfir_netsock_list(const struct cfir_target *t, const char *proc, cJSON **out,
	     struct cfir_err *err)
{
	cleanup_cjson cJSON *doc = cJSON_CreateObject();
	cJSON *list = cJSON_AddArrayToObject(doc, "sockets");
	int r;

	*out = NULL;
	if (list == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "sockets");
	r = cfir_netsock_each(t, proc, doc, gather, list, err);
	if (r < 0 && cJSON_GetObjectItemCaseSensitive(doc, "complete") == NULL)
		return -1;	/* nothing was read */
	*out = steal_pointer(&doc);
	return r;
}

/*
 * What the namespace's own counters (/proc/net/sockstat, sockstat6) say of
 * a table: "TCP: inuse 0 orphan 0 tw 0 alloc 7 mem 0". The text is the
 * kernel's, not the container's; anything not of that shape says nothing.
 */
#define SOCKSTAT_MAX 4096

bool
cfir_netsock_sockstat_empty(const char *text, size_t len, const char *table)
{
	char name[16];
	const char *p = text, *end = text + len, *nl;
	size_t i, n = strlen(table);

	if (n + 2 > sizeof(name))
		return false;
	for (i = 0; i < n; i++)
		name[i] = (char)(table[i] >= 'a' && table[i] <= 'z' ? table[i] - 'a' + 'A' : table[i]);
	name[n++] = ':';
	name[n++] = ' ';
	for (; p < end; p = nl + 1) {
		const char *q, *lend;
		bool some = false, inuse = false;

		nl = memchr(p, '\n', (size_t)(end - p));
		lend = nl ? nl : end;
		if ((size_t)(lend - p) <= n || memcmp(p, name, n) != 0) {
			if (nl == NULL)
				break;
			continue;
		}
		/* pairs of a word and a number: in use, orphaned and TIME_WAIT must all be 0 */
		for (q = p + n; q < lend;) {
			const char *w = q, *num;
			size_t wl;

			while (q < lend && *q != ' ')
				q++;
			wl = (size_t)(q - w);
			if (q == lend)
				return false;
			num = ++q;
			while (q < lend && *q >= '0' && *q <= '9')
				q++;
			if (q == num || (q < lend && *q != ' '))
				return false;
			if ((wl == 5 && memcmp(w, "inuse", 5) == 0) || (wl == 6 && memcmp(w, "orphan", 6) == 0) ||
			    (wl == 2 && memcmp(w, "tw", 2) == 0)) {
				inuse |= wl == 5;
				some |= !(q - num == 1 && *num == '0');
			}
			if (q < lend)
				q++;
		}
		return inuse && !some;
	}
	return false;
}

/* In the namespace: the sock_diag socket, and its counters read while there. */
struct among_open {
	int fd;
	struct cfir_err err;
	char *stat[2];		/* sockstat, sockstat6; NULL when unread */
	size_t len[2];
};

static void
among_open(void *ctx)
{
	static const char *const files[2] = { "/proc/thread-self/net/sockstat", "/proc/thread-self/net/sockstat6" };
	struct among_open *o = ctx;
	int i;

	o->fd = cfir_netlink_socket(NETLINK_SOCK_DIAG, -1, &o->err);
	for (i = 0; i < 2 && o->fd >= 0; i++)
		if (cfir_util_read_file(AT_FDCWD, files[i], SOCKSTAT_MAX, &o->stat[i], &o->len[i], NULL, NULL) < 0)
			o->stat[i] = NULL;
}

/*
 * A table the counters say is empty, recorded as such rather than asked.
 * Only for hunt: a TCP socket bound and never listening or connected is not
 * counted in use (and since Linux 6.8 a dump lists it), and no check reads
 * one; cfir sockets dumps every table.
 */
static bool
among_empty(const struct among_open *o, const struct table *tb, cJSON *rec)
{
	int v6 = tb->family == AF_INET6;

	if ((tb->family != AF_INET && tb->family != AF_INET6) || o->stat[v6] == NULL ||
	    !cfir_netsock_sockstat_empty(o->stat[v6], o->len[v6], tb->name))
		return false;
	cfir_json_add_str(rec, "table", tb->name);
	cfir_json_add_str(rec, "source", "sockstat");
	return true;
}

/* The caller's reading of /proc: the PIDs it found in a namespace. */
struct among {
	size_t (*in_netns)(void *nctx, unsigned long netns, const pid_t **pids);
	void *nctx;
};

/* Each socket of the namespace with its holders; AM: among the caller's PIDs, empty tables not dumped. */
static int
each(const struct cfir_target *t, const char *proc, const struct among *am, cJSON *head,
     cfir_netsock_json_fn fn, void *ctx, struct cfir_err *err)
{
	cleanup_close int nsfd = -1, dfd = -1;
	bool moved = false;
	struct holders hs = { 0 };
	struct collect c = { fn, ctx, head, &hs, 0, false };
	struct cfir_err terr = { 0 };
	struct among_open o = { .fd = -1 };
	const pid_t *pids = NULL;
	struct stat ns, self;
	char path[PATH_MAX];
	cJSON *recs;
	size_t i, npids = 0;
	int failed = 0;
	bool stopped = false;

	if (t->pid <= 0)
		return cfir_err_set(err, EX_UNAVAILABLE, 0, "container '%s' is %s: it has no network namespace to read",
				    t->name, t->status);
	/* the namespace the engine made; the init's only when it gives none */
	nsfd = cfir_target_netns(t, proc, &moved, err);
	if (nsfd < 0)
		return -1;
	if (fstat(nsfd, &ns) < 0)
		return cfir_err_set(err, EX_OSERR, errno, "network namespace of '%s'", t->name);
	snprintf(path, sizeof(path), "%s/self/ns/net", proc);
	if (stat(path, &self) < 0)	/* cfir runs in the host's namespaces */
		memset(&self, 0, sizeof(self));
	if (am == NULL)
		dfd = cfir_netlink_socket(NETLINK_SOCK_DIAG, nsfd, err);
	else if (cfir_netlink_in_netns(nsfd, among_open, &o, err) == 0 && (dfd = o.fd) < 0)
		*err = o.err;
	if (dfd < 0)
		return -1;
	cfir_json_add_num(head, "netns", (double)ns.st_ino);
	if (moved)
		cJSON_AddBoolToObject(head, "init_netns_moved", true);
	cJSON_AddBoolToObject(head, "host_netns",
			      (ns.st_ino == self.st_ino && ns.st_dev == self.st_dev) || host_mode(t));
	/* who holds what first (a bounded map), so that each socket goes out whole as it is read */
	if (am != NULL)
		npids = am->in_netns(am->nctx, (unsigned long)ns.st_ino, &pids);
	holders_scan(proc, (unsigned long)ns.st_ino, am != NULL, pids, npids, &hs);
	stopped = hs.interrupted;
	recs = cJSON_CreateArray();
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]) && !stopped && !c.failed; i++) {
		const struct table *tb = &tables[i];
		size_t before = c.count;
		cJSON *rec;

		if (cfir_interrupt_pending()) {
			stopped = true;
			break;
		}
		rec = cJSON_CreateObject();
		cJSON_AddItemToArray(recs, rec);
		cfir_err_clear(&terr);
		if (am != NULL && among_empty(&o, tb, rec))
			;
		else if (read_table(dfd, nsfd, tb, &c, rec, &terr) < 0 && failed++ == 0)
			*err = terr;
		cfir_json_add_num(rec, "sockets", (double)(c.count - before));
	}
	cJSON_AddItemToObject(head, "tables", recs);
	cfir_json_add_num(head, "sockets_total", (double)c.count);
	cJSON_AddBoolToObject(head, "complete", !stopped && !c.failed && !hs.truncated && failed == 0);
	if (hs.truncated)
		cfir_json_add_str(head, "holders_note", "more socket fds than can be mapped: some holders are missing");
	free(hs.h);
	free(hs.p);
	free(o.stat[0]);
	free(o.stat[1]);
	if (stopped)
		return cfir_err_interrupted(err);
	if (c.failed)
		return failed ? -1 : cfir_err_set(err, EX_IOERR, 0, "sockets: the output stopped");
	if (failed > 0)
		return failed > 1 ? cfir_err_wrap(err, "%d socket tables failed, the first", failed) : -1;
	return 0;
}

int
cfir_netsock_each(const struct cfir_target *t, const char *proc, cJSON *head,
		  cfir_netsock_json_fn fn, void *ctx, struct cfir_err *err)
{
	return each(t, proc, NULL, head, fn, ctx, err);
}

int
cfir_netsock_each_among(const struct cfir_target *t, const char *proc,
			size_t (*in_netns)(void *nctx, unsigned long netns, const pid_t **pids), void *nctx,
			cJSON *head, cfir_netsock_json_fn fn, void *ctx, struct cfir_err *err)
{
	struct among am = { in_netns, nctx };

	return each(t, proc, t->pid > 0 ? &am : NULL, head, fn, ctx, err);
}
