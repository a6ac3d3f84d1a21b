/* netlink.c - links of a network namespace and their peers, from rtnetlink
 *
 * The container's side of a veth pair names its peer by ifindex (IFLA_LINK)
 * and by the id its namespace gives the peer's namespace
 * (IFLA_LINK_NETNSID). sysfs cannot answer this: after setns it still shows
 * the mounter's view. So we ask the kernel over a NETLINK_ROUTE socket that
 * was created inside the container's namespace, from a thread of its own.
 *
 * The replies describe links the container may have created and named: every
 * length is checked, strings are copied bounded, nothing is trusted to be
 * aligned or terminated. The walk over messages and attributes, the socket
 * made inside a namespace and the dump loop serve sock_diag (netsock.c) too.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <net/if.h>
#include <linux/if_link.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "common/netlink.h"
#include "common/util.h"

#define NL_BUF (64u << 10)

static uint32_t nl_seq;

int
cfir_netlink_each(const void *buf, size_t len, uint32_t seq, cfir_netlink_msg_fn fn, void *ctx, int *nlerr)
{
	const unsigned char *p = buf;
	struct nlmsghdr h;
	size_t off = 0, step;
	int r;

	*nlerr = EBADMSG;
	while (len - off >= sizeof(h)) {
		memcpy(&h, p + off, sizeof(h));
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len - off)
			return -1;
		step = NLMSG_ALIGN(h.nlmsg_len);
		if (step > len - off)
			step = len - off;
		if (h.nlmsg_seq == seq) {
			if (h.nlmsg_type == NLMSG_DONE || h.nlmsg_type == NLMSG_ERROR) {
				int32_t e = 0;

				/*
				 * An error carries the errno; so does the end of a
				 * dump that failed (sock_diag's ENOENT for a protocol
				 * the kernel cannot dump): it is no complete answer.
				 */
				if (h.nlmsg_len - sizeof(h) >= sizeof(e))
					memcpy(&e, p + off + sizeof(h), sizeof(e));
				else if (h.nlmsg_type == NLMSG_ERROR)
					return -1;
				if (e == 0)	/* the end, or an acknowledgement */
					return 1;
				*nlerr = e < 0 && e > -4096 ? -e : EPROTO;
				return -1;
			}
			r = fn(ctx, h.nlmsg_type, p + off + sizeof(h), h.nlmsg_len - sizeof(h));
			if (r != 0)
				return r;
		}
		off += step;
	}
	return off == len ? 0 : -1;
}

bool
cfir_netlink_attr_next(const unsigned char *p, size_t n, size_t *off, struct cfir_netlink_attr *a)
{
	struct rtattr rta;

	if (*off > n || n - *off < sizeof(rta))
		return false;
	memcpy(&rta, p + *off, sizeof(rta));
	if (rta.rta_len < sizeof(rta) || rta.rta_len > n - *off)
		return false;
	a->type = rta.rta_type & NLA_TYPE_MASK;
	a->p = p + *off + RTA_LENGTH(0);
	a->n = rta.rta_len - RTA_LENGTH(0);
	*off += RTA_ALIGN(rta.rta_len) < n - *off ? RTA_ALIGN(rta.rta_len) : n - *off;
	return true;
}

static void
attr_str(char *dst, size_t cap, const struct cfir_netlink_attr *a)
{
	size_t n = strnlen((const char *)a->p, a->n);

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, a->p, n);
	dst[n] = '\0';
}

bool
cfir_netlink_attr_copy(const struct cfir_netlink_attr *a, void *v, size_t n)
{
	if (a->n < n)
		return false;
	memcpy(v, a->p, n);
	return true;
}

uint32_t
cfir_netlink_attr_u32(const struct cfir_netlink_attr *a, uint32_t otherwise)
{
	uint32_t v;

	return cfir_netlink_attr_copy(a, &v, sizeof(v)) ? v : otherwise;
}

static int32_t
attr_s32(const struct cfir_netlink_attr *a, int32_t otherwise)
{
	return (int32_t)cfir_netlink_attr_u32(a, (uint32_t)otherwise);
}

struct links_ctx {
	cfir_netlink_link_fn fn;
	void *ctx;
};

static int
one_link(void *ctx, uint16_t type, const unsigned char *p, size_t n)
{
	struct links_ctx *c = ctx;
	struct ifinfomsg ifi;
	struct cfir_netlink_link l = { .link_netnsid = -1 };
	struct cfir_netlink_attr a, in;
	size_t off = NLMSG_ALIGN(sizeof(ifi)), ioff;

	if (type != RTM_NEWLINK)
		return 0;
	if (n < sizeof(ifi))
		return -1;
	memcpy(&ifi, p, sizeof(ifi));
	l.index = ifi.ifi_index;
	l.flags = ifi.ifi_flags;
	l.type = ifi.ifi_type;
	if (off > n)
		off = n;
	while (cfir_netlink_attr_next(p, n, &off, &a)) {
		switch (a.type) {
		case IFLA_IFNAME:
			attr_str(l.name, sizeof(l.name), &a);
			break;
		case IFLA_LINK:
			l.link = attr_s32(&a, l.link);
			break;
		case IFLA_LINK_NETNSID:
			l.link_netnsid = attr_s32(&a, l.link_netnsid);
			break;
		case IFLA_ADDRESS:
			l.addrlen = a.n < sizeof(l.addr) ? a.n : sizeof(l.addr);
			memcpy(l.addr, a.p, l.addrlen);
			break;
		case IFLA_LINKINFO:
			ioff = 0;
			while (cfir_netlink_attr_next(a.p, a.n, &ioff, &in))
				if (in.type == IFLA_INFO_KIND)
					attr_str(l.kind, sizeof(l.kind), &in);
			break;
		}
	}
	c->fn(c->ctx, &l);
	return 0;
}

static int
parse_links(const void *buf, size_t len, uint32_t seq, void *ctx, int *nlerr)
{
	return cfir_netlink_each(buf, len, seq, one_link, ctx, nlerr);
}

int
cfir_netlink_parse_links(const void *buf, size_t len, uint32_t seq,
		    cfir_netlink_link_fn fn, void *ctx, int *nlerr)
{
	struct links_ctx c = { fn, ctx };

	return parse_links(buf, len, seq, &c, nlerr);
}

static int
one_nsid(void *ctx, uint16_t type, const unsigned char *p, size_t n)
{
	int *nsid = ctx;
	size_t off = NLMSG_ALIGN(sizeof(struct rtgenmsg));
	struct cfir_netlink_attr a;
	int32_t v;

	if (type != RTM_NEWNSID)
		return 0;
	if (off > n)
		return -1;
	while (cfir_netlink_attr_next(p, n, &off, &a))
		if (a.type == NETNSA_NSID && cfir_netlink_attr_copy(&a, &v, sizeof(v))) {
			*nsid = v < 0 ? -1 : v;
			return 1;
		}
	return -1;
}

int
cfir_netlink_parse_nsid(const void *buf, size_t len, uint32_t seq, int *nsid,
		   int *nlerr)
{
	int r;

	*nsid = -1;
	r = cfir_netlink_each(buf, len, seq, one_nsid, nsid, nlerr);
	if (r == 0) {		/* no answer in it */
		*nlerr = EBADMSG;
		return -1;
	}
	return r < 0 ? -1 : 0;
}

/* ---- sockets ----------------------------------------------------------- */

static int
nl_socket(int proto, struct cfir_err *err)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);

	if (fd < 0)
		return cfir_err_set(err, EX_OSERR, errno, "netlink socket");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		cfir_err_set(err, EX_OSERR, errno, "netlink bind");
		close(fd);
		return -1;
	}
	return fd;
}

struct in_ns {
	int nsfd;
	void (*fn)(void *ctx);
	void *ctx;
	int setns_errno;
};

/* A thread of its own enters the namespace; what FN opens there stays bound to it. */
static void *
in_ns_thread(void *arg)
{
	struct in_ns *x = arg;

	if (setns(x->nsfd, CLONE_NEWNET) < 0) {
		x->setns_errno = errno;
		return NULL;
	}
	x->fn(x->ctx);
	return NULL;
}

int
cfir_netlink_in_netns(int nsfd, void (*fn)(void *ctx), void *ctx, struct cfir_err *err)
{
	struct in_ns x = { .nsfd = nsfd, .fn = fn, .ctx = ctx };
	pthread_t th;
	int r;

	r = cfir_util_thread_create(&th, in_ns_thread, &x);
	if (r != 0)
		return cfir_err_set(err, EX_OSERR, r, "thread");
	pthread_join(th, NULL);
	if (x.setns_errno == EPERM)
		return cfir_err_set(err, EX_NOPERM, EPERM,
				    "entering the container's network namespace needs CAP_SYS_ADMIN");
	if (x.setns_errno != 0)
		return cfir_err_set(err, EX_OSERR, x.setns_errno, "setns into the container's network namespace");
	return 0;
}

struct ns_socket {
	int proto, fd;
	struct cfir_err err;
};

static void
ns_socket(void *ctx)
{
	struct ns_socket *s = ctx;

	s->fd = nl_socket(s->proto, &s->err);
}

int
cfir_netlink_socket(int proto, int nsfd, struct cfir_err *err)
{
	struct ns_socket s = { .proto = proto, .fd = -1 };

	if (nsfd < 0)
		return nl_socket(proto, err);
	if (cfir_netlink_in_netns(nsfd, ns_socket, &s, err) < 0)
		return -1;
	if (s.fd < 0) {
		*err = s.err;
		return -1;
	}
	return s.fd;
}

int
cfir_netlink_open(struct cfir_err *err)
{
	return cfir_netlink_socket(NETLINK_ROUTE, -1, err);
}

int
cfir_netlink_open_in(int nsfd, struct cfir_err *err)
{
	return cfir_netlink_socket(NETLINK_ROUTE, nsfd, err);
}

static int
nl_send(int fd, void *req, size_t len, struct cfir_err *err)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	ssize_t n;

	do
		n = sendto(fd, req, len, 0, (struct sockaddr *)&sa, sizeof(sa));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)len)
		return cfir_err_set(err, EX_OSERR, n < 0 ? errno : EIO, "netlink send");
	return 0;
}

/* One datagram from the kernel (never from another process). */
static ssize_t
nl_recv(int fd, void *buf, size_t cap, struct cfir_err *err)
{
	struct sockaddr_nl sa;
	struct iovec iov = { buf, cap };
	struct msghdr m = { .msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	for (;;) {
		n = recvmsg(fd, &m, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cfir_err_set(err, EX_OSERR, errno, "netlink receive");
		if (m.msg_flags & MSG_TRUNC)
			return cfir_err_set(err, EX_PROTOCOL, EMSGSIZE, "netlink reply truncated");
		if (sa.nl_pid == 0)
			return n;
	}
}

int
cfir_netlink_dump(int fd, struct nlmsghdr *req, const char *what, cfir_netlink_parse_fn parse,
	     void *ctx, int *nlerr, struct cfir_err *err)
{
	unsigned char *buf;
	ssize_t n;
	int r;

	*nlerr = 0;
	req->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req->nlmsg_seq = __atomic_add_fetch(&nl_seq, 1, __ATOMIC_RELAXED);
	if (nl_send(fd, req, req->nlmsg_len, err) < 0)
		return -1;
	buf = malloc(NL_BUF);
	if (buf == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "netlink");
	do {
		n = nl_recv(fd, buf, NL_BUF, err);
		if (n < 0) {
			free(buf);
			return -1;
		}
		r = parse(buf, (size_t)n, req->nlmsg_seq, ctx, nlerr);
	} while (r == 0);
	free(buf);
	if (r < 0)
		return cfir_err_set(err, EX_PROTOCOL, *nlerr, "netlink %s", what);
	return 0;
}

int
cfir_netlink_links(int fd, cfir_netlink_link_fn fn, void *ctx, struct cfir_err *err)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg ifi;
	} req = { 0 };
	struct links_ctx c = { fn, ctx };
	int nlerr;

	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = RTM_GETLINK;
	req.ifi.ifi_family = AF_UNSPEC;
	return cfir_netlink_dump(fd, &req.h, "link dump", parse_links, &c, &nlerr, err);
}

/*
 * One request about link INDEX (RTM_GETLINK, or RTM_NEWLINK with FLAGS
 * under CHANGE), its replies handed to PARSE until the acknowledgement:
 * 0, 1 when the kernel answered an error (*NLERR), -1 when the request or
 * a reply could not be sent or read (ERR).
 */
static int
link_request(int fd, uint16_t type, int index, unsigned flags, unsigned change,
	     int (*parse)(const void *, size_t, uint32_t, void *, int *), void *ctx, int *nlerr,
	     struct cfir_err *err)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg ifi;
	} req = { 0 };
	unsigned char *buf;
	ssize_t n;
	int r;

	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = type;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.h.nlmsg_seq = __atomic_add_fetch(&nl_seq, 1, __ATOMIC_RELAXED);
	req.ifi.ifi_family = AF_UNSPEC;
	req.ifi.ifi_index = index;
	req.ifi.ifi_flags = flags;
	req.ifi.ifi_change = change;
	if (nl_send(fd, &req, sizeof(req), err) < 0)
		return -1;
	buf = malloc(NL_BUF);
	if (buf == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "netlink");
	do {	/* the link (when asked), then the acknowledgement */
		n = nl_recv(fd, buf, NL_BUF, err);
		if (n < 0) {
			free(buf);
			return -1;
		}
		r = parse(buf, (size_t)n, req.h.nlmsg_seq, ctx, nlerr);
	} while (r == 0);
	free(buf);
	return r < 0 ? 1 : 0;
}

int
cfir_netlink_link(int fd, int index, cfir_netlink_link_fn fn, void *ctx, struct cfir_err *err)
{
	struct links_ctx c = { fn, ctx };
	int r, nlerr = 0;

	r = link_request(fd, RTM_GETLINK, index, 0, 0, parse_links, &c, &nlerr, err);
	if (r < 0)
		return -1;
	if (r > 0 && nlerr != ENODEV)
		return cfir_err_set(err, EX_PROTOCOL, nlerr, "netlink link %d", index);
	return 0;
}

int
cfir_netlink_nsid(int fd, int nsfd, int *nsid, struct cfir_err *err)
{
	struct {
		struct nlmsghdr h;
		struct rtgenmsg g;
		char pad[3];
		struct rtattr a;
		uint32_t fd;
	} req = { 0 };
	unsigned char buf[4096];
	ssize_t n;
	int nlerr;

	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = RTM_GETNSID;
	req.h.nlmsg_flags = NLM_F_REQUEST;
	req.h.nlmsg_seq = __atomic_add_fetch(&nl_seq, 1, __ATOMIC_RELAXED);
	req.g.rtgen_family = AF_UNSPEC;
	req.a.rta_type = NETNSA_FD;
	req.a.rta_len = RTA_LENGTH(sizeof(uint32_t));
	req.fd = (uint32_t)nsfd;
	if (nl_send(fd, &req, sizeof(req), err) < 0)
		return -1;
	n = nl_recv(fd, buf, sizeof(buf), err);
	if (n < 0)
		return -1;
	if (cfir_netlink_parse_nsid(buf, (size_t)n, req.h.nlmsg_seq, nsid, &nlerr) < 0)
		return cfir_err_set(err, EX_PROTOCOL, nlerr, "netlink namespace id");
	return 0;
}

static int
no_msgs(void *ctx, uint16_t type, const unsigned char *p, size_t n)
{
	(void)ctx, (void)type, (void)p, (void)n;
	return 0;
}

/* The acknowledgement alone. */
static int
ack(const void *buf, size_t len, uint32_t seq, void *ctx, int *nlerr)
{
	return cfir_netlink_each(buf, len, seq, no_msgs, ctx, nlerr);
}

int
cfir_netlink_link_set_up(int fd, int index, bool up, struct cfir_err *err)
{
	int r, nlerr = 0;

	r = link_request(fd, RTM_NEWLINK, index, up ? IFF_UP : 0, IFF_UP, ack, NULL, &nlerr, err);
	if (r < 0)
		return -1;
	if (r > 0)
		return cfir_err_set(err, nlerr == EPERM || nlerr == EACCES ? EX_NOPERM : EX_OSERR, nlerr,
				    "setting link %d %s", index, up ? "up" : "down");
	return 0;
}
