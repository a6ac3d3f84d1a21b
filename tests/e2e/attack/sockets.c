/* sockets.c - what a process inside a container can do to a socket table.
 *
 *   sockets names   binds unix sockets whose names carry newlines and a
 *                   whole forged /proc/net/unix row (inode 424242, path
 *                   /forged/by/container; 434343 on the path's), abstract
 *                   and on a path, and an abstract one with a 0xff and a
 *                   NUL inside; then waits.
 *   sockets kinds   opens raw sockets (ICMP, ICMPv6, protocol 253), packet
 *                   sockets (every protocol; IPv4 on ifindex 1), a UDP
 *                   socket on [::]:5353 and a UDP-Lite one on 5354; then waits.
 *   sockets many N  N TCP listeners, N UDP sockets and N abstract unix
 *                   listeners in this one process (3N fds); then waits.
 *   sockets bind NAME...  a unix listener on each path NAME (bytes as given);
 *                   then waits.
 *
 * Built static by the end-to-end test and bind-mounted read-only.
 */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define ROW "0000000000000000: 00000002 00000000 00010000 0001 01 424242 /forged/by/container"
#define PATHROW "0000000000000000: 00000002 00000000 00010000 0001 01 434343 @forged"

static int
bind_name(const char *name, size_t len, int type)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type, 0);

	if (fd < 0 || len > sizeof(sa.sun_path)) {
		perror("socket");
		return -1;
	}
	memcpy(sa.sun_path, name, len);
	if (bind(fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0) {
		perror("bind");
		return -1;
	}
	if (type == SOCK_STREAM && listen(fd, 1) < 0) {
		perror("listen");
		return -1;
	}
	return fd;
}

static int
names(void)
{
	static const char abs1[] = "\0evil\n" ROW;
	static const char abs2[] = "\0bin\xff\0ary\n" ROW;
	static const char path[] = "/tmp/s\n" PATHROW;	/* no '/' after the directory */

	if (bind_name(abs1, sizeof(abs1) - 1, SOCK_STREAM) < 0 ||
	    bind_name(abs2, sizeof(abs2) - 1, SOCK_DGRAM) < 0 ||
	    bind_name(path, sizeof(path), SOCK_STREAM) < 0)
		return 1;
	return 0;
}

static int
kinds(void)
{
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP), .sll_ifindex = 1 };
	struct sockaddr_in6 u6 = { .sin6_family = AF_INET6, .sin6_port = htons(5353) };
	struct sockaddr_in l4 = { .sin_family = AF_INET, .sin_port = htons(5354) };
	int ip = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP)), udp = socket(AF_INET6, SOCK_DGRAM, 0), lite;

	if (socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) < 0 || socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6) < 0 ||
	    socket(AF_INET, SOCK_RAW, 253) < 0 || socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)) < 0 ||
	    ip < 0 || bind(ip, (struct sockaddr *)&ll, sizeof(ll)) < 0 ||
	    udp < 0 || bind(udp, (struct sockaddr *)&u6, sizeof(u6)) < 0) {
		perror("kinds");
		return 1;
	}
	lite = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE);	/* a kernel may lack it */
	if (lite < 0 || bind(lite, (struct sockaddr *)&l4, sizeof(l4)) < 0)
		perror("udplite");
	return 0;
}

static int
many(long n)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char name[64];
	long i;

	for (i = 0; i < n; i++) {
		int t = socket(AF_INET, SOCK_STREAM, 0), u = socket(AF_INET, SOCK_DGRAM, 0);

		name[0] = '\0';
		snprintf(name + 1, sizeof(name) - 1, "cfir-bench-%d-%ld", (int)getpid(), i);
		if (t < 0 || bind(t, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(t, 1) < 0 || u < 0 ||
		    bind(u, (struct sockaddr *)&a, sizeof(a)) < 0 ||
		    bind_name(name, 1 + strlen(name + 1), SOCK_STREAM) < 0) {
			perror("many");
			return 1;
		}
	}
	return 0;
}

static int
bind_all(int n, char **names)
{
	int i;

	for (i = 0; i < n; i++)
		if (bind_name(names[i], strlen(names[i]), SOCK_STREAM) < 0)
			return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	int r = argc > 1 && strcmp(argv[1], "names") == 0 ? names() :
		argc > 1 && strcmp(argv[1], "kinds") == 0 ? kinds() :
		argc > 2 && strcmp(argv[1], "bind") == 0 ? bind_all(argc - 2, argv + 2) :
		argc > 2 && strcmp(argv[1], "many") == 0 ? many(strtol(argv[2], NULL, 10)) : 2;

	if (r != 0)
		return r;
	puts("ready");
	fflush(stdout);
	for (;;)
		pause();
}
