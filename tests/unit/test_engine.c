/* test_engine.c - the Engine API client against canned replies on a unix socket */
#include <errno.h>
#include <pthread.h>
#include <sys/wait.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/engine.h"
#include "tests/unit/unit.h"

static int stall_pipe[2] = { -1, -1 };
static _Atomic bool stall_over;

struct canned {
	const char *path;	/* request path prefix */
	const char *reply;	/* whole HTTP reply */
};

struct server {
	int fd;
	const struct canned *replies;
	pthread_t thread;
};

static void *
serve(void *arg)
{
	struct server *s = arg;
	char req[4096];
	ssize_t n;
	int c;

	while ((c = accept(s->fd, NULL, NULL)) >= 0) {
		size_t len = 0;
		const struct canned *r;

		while (len < sizeof(req) - 1 && (n = read(c, req + len, sizeof(req) - 1 - len)) > 0) {
			len += (size_t)n;
			req[len] = '\0';
			if (strstr(req, "\r\n\r\n") != NULL)
				break;
		}
		for (r = s->replies; r->path != NULL; r++) {
			char *sp = strchr(req, ' ');

			if (sp != NULL && strncmp(sp + 1, r->path, strlen(r->path)) == 0) {
				/* "STALL:" replies hang up only after a while */
				bool stall = strncmp(r->reply, "STALL:", 6) == 0;
				const char *text = stall ? r->reply + 6 : r->reply;

				if (write(c, text, strlen(text)) >= 0 && stall) {
					struct pollfd pfd = { stall_pipe[0], POLLIN, 0 };

					poll(&pfd, 1, 60000);	/* until the test ends */
					stall_over = true;
				}
				break;
			}
		}
		close(c);
	}
	return NULL;
}

static char sockpath[100];

static void
server_start(struct server *s, const struct canned *replies)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(sockpath, sizeof(sockpath), "%.80s/engine.sock", unit_tmpdir());
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sockpath);
	s->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	s->replies = replies;
	CHECK(bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CHECK(listen(s->fd, 8) == 0);
	pthread_create(&s->thread, NULL, serve, s);
}

static void
server_stop(struct server *s)
{
	if (stall_pipe[1] >= 0 && write(stall_pipe[1], "x", 1) < 0)
		perror("stall pipe");
	shutdown(s->fd, SHUT_RDWR);
	close(s->fd);
	pthread_join(s->thread, NULL);
}

#define PING(v) "HTTP/1.1 200 OK\r\nApi-Version: " v "\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK"

static const struct canned modern[] = {
	{ "/_ping", PING("1.52") },
	{ "/v1.47/containers/gone/json",
	  "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 42\r\n"
	  "Connection: close\r\n\r\n{\"message\":\"No such container: gone\"}\n    " },
	{ "/v1.47/containers/bad/json",
	  "HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\n{\"Id\": tr" },
	{ "/v1.47/containers/cut/export",
	  "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n0123456789" },
	{ "/v1.47/containers/slow/export",
	  "STALL:HTTP/1.1 200 OK\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n0123456789" },
	{ "/v1.47/boom",
	  "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\nConnection: close\r\n\r\noops!" },
	{ NULL, NULL },
};

static int
count(void *ctx, const void *buf, size_t len, struct cfir_err *err)
{
	(void)buf, (void)err;
	*(size_t *)ctx += len;
	return 0;
}

static void
canned_replies(void)
{
	struct server s;
	struct cfir_engine *e = NULL;
	struct cfir_err err = { 0 };
	cleanup_cjson cJSON *j = NULL;
	char host[256];
	uint64_t bytes = 0;
	size_t got = 0;

	CHECK(pipe(stall_pipe) == 0);
	server_start(&s, modern);
	snprintf(host, sizeof(host), "unix://%s", sockpath);
	unsetenv("DOCKER_API_VERSION");
	CHECK(cfir_engine_open(&e, host, &err) == 0);
	if (e == NULL) {
		server_stop(&s);
		return;
	}
	/* the daemon is newer than cfir: cfir asks for what it knows */
	CHECK_STR(cfir_engine_api(e), CFIR_API_MAX);

	CHECK(cfir_engine_json(e, "GET", "/containers/gone/json", NULL, &j, &err) < 0);
	CHECK(err.exit == EX_NOINPUT && strstr(err.msg, "No such container: gone") != NULL);
	CHECK(cfir_engine_json(e, "GET", "/containers/bad/json", NULL, &j, &err) < 0);
	CHECK(err.exit == EX_DATAERR && strstr(err.msg, "malformed JSON") != NULL);
	CHECK(cfir_engine_call(e, "GET", "/boom", NULL, NULL, NULL, &err) < 0);
	CHECK(err.exit == EX_PROTOCOL && strstr(err.msg, "oops!") != NULL);	/* 500: the engine failed */
	CHECK(cfir_engine_stream(e, "/containers/cut/export", count, &got, &bytes, &err) < 0);
	CHECK(got == 10 && bytes == 10);
	CHECK(strstr(err.msg, "broke after 10 bytes") != NULL);
	{
		/* a reader that gives up on a stalled engine is not kept waiting */
		struct cfir_engine_pull *p = NULL;
		const void *buf;

		CHECK(cfir_engine_pull_open(e, "/containers/slow/export", &p, &err) == 0);
		if (p != NULL) {
			CHECK(cfir_engine_pull_read(p, &buf, &err) == 10);
			cfir_engine_pull_close(p);
			/* it did not wait for the engine, which stalls until released */
			CHECK(!stall_over);
		}
		/* the server answers one connection at a time: release the stall */
		if (write(stall_pipe[1], "x", 1) < 0)
			perror("stall pipe");
	}
	{
		/*
		 * A reader thread that cannot start (its stack cannot be had):
		 * the error is pthread_create's own, and the handle's callbacks
		 * no longer point at the freed reader: the next call works.
		 */
		pthread_attr_t a, old;
		struct cfir_engine_pull *p = NULL;
		cJSON *v = NULL;

		/* in this process (no fork: ThreadSanitizer refuses threads after one) */
		CHECK(pthread_getattr_default_np(&old) == 0);
		pthread_attr_init(&a);
		pthread_attr_setstacksize(&a, (size_t)1 << 46);
		CHECK(pthread_setattr_default_np(&a) == 0);
		CHECK(cfir_engine_pull_open(e, "/containers/cut/export", &p, &err) < 0 && p == NULL);
		CHECK(pthread_setattr_default_np(&old) == 0);
		CHECK(err.exit == EX_OSERR && strstr(err.msg, "engine reader thread") != NULL && err.sys != 0);
		CHECK(cfir_engine_json(e, "GET", "/containers/gone/json", NULL, &v, &err) < 0);
		CHECK(err.exit == EX_NOINPUT && strstr(err.msg, "No such container: gone") != NULL);
		cJSON_Delete(v);
		pthread_attr_destroy(&a);
		pthread_attr_destroy(&old);
	}
	cfir_engine_close(e);

	/* DOCKER_API_VERSION wins over negotiation */
	setenv("DOCKER_API_VERSION", "1.41", 1);
	CHECK(cfir_engine_open(&e, host, &err) == 0);
	if (e != NULL)
		CHECK_STR(cfir_engine_api(e), "1.41");
	cfir_engine_close(e);
	setenv("DOCKER_API_VERSION", "one.two", 1);
	CHECK(cfir_engine_open(&e, host, &err) < 0 && err.exit == EX_USAGE);
	unsetenv("DOCKER_API_VERSION");
	server_stop(&s);
}

static const struct canned ancient[] = {
	{ "/_ping", PING("1.40") },
	{ NULL, NULL },
};

static void
too_old(void)
{
	struct server s;
	struct cfir_engine *e = NULL;
	struct cfir_err err = { 0 };
	char host[256];

	server_start(&s, ancient);
	snprintf(host, sizeof(host), "unix://%s", sockpath);
	CHECK(cfir_engine_open(&e, host, &err) < 0);
	CHECK(err.exit == EX_UNAVAILABLE && strstr(err.msg, "API 1.40") != NULL);
	server_stop(&s);
}

static void
addresses(void)
{
	struct cfir_engine *e = NULL;
	struct cfir_err err = { 0 };
	const char *tmp = unit_tmpdir();

	CHECK(cfir_engine_open(&e, "ssh://host", &err) < 0 && err.exit == EX_USAGE);
	CHECK(cfir_engine_open(&e, "unix://relative.sock", &err) < 0 && err.exit == EX_USAGE);
	CHECK(cfir_engine_open(&e, "tcp://", &err) < 0 && err.exit == EX_USAGE);
	CHECK(cfir_engine_open(&e, "unix:///nonexistent/engine.sock", &err) < 0);
	CHECK(err.exit == EX_UNAVAILABLE && strstr(err.msg, "/nonexistent/engine.sock") != NULL);
	setenv("DOCKER_TLS_VERIFY", "1", 1);
	setenv("DOCKER_CERT_PATH", tmp, 1);
	CHECK(cfir_engine_open(&e, "tcp://127.0.0.1:1", &err) < 0);
	CHECK(err.exit == EX_NOINPUT && strstr(err.msg, "ca.pem") != NULL);
	unsetenv("DOCKER_TLS_VERIFY");
	unsetenv("DOCKER_CERT_PATH");
}

static void
escape(void)
{
	cleanup_free char *a = cfir_engine_escape("web-1_x.y~");
	cleanup_free char *b = cfir_engine_escape("/var/log a?b&c=d#%");

	CHECK_STR(a, "web-1_x.y~");
	CHECK_STR(b, "%2Fvar%2Flog%20a%3Fb%26c%3Dd%23%25");
}

UNIT_SUITE(engine_tests) = {
	{ "engine: negotiation, engine errors, malformed JSON, broken stream", canned_replies },
	{ "engine: a daemon older than API 1.41 is refused", too_old },
	{ "engine: bad addresses and missing TLS files", addresses },
	{ "engine: query and path escaping", escape },
	UNIT_END,
};
