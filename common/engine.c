/* engine.c - Docker Engine API over a unix socket or tcp (+ mutual TLS) */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/cleanup.h"
#include "common/dl.h"
#include "common/engine.h"
#include "common/ring.h"
#include "common/out.h"
#include "common/util.h"

#define CONNECT_TIMEOUT_MS 10000L
#define IDLE_TIMEOUT_S 120L
#define ERRBODY_MAX 8192
#define HEADER_MAX 65536

static volatile sig_atomic_t cancelled;

/*
 * libcurl is loaded when the first engine is opened, not when cfir starts:
 * with what it links (TLS, Kerberos, LDAP, SSH, HTTP/2...) it is some thirty
 * shared objects, about 3 ms of every command's start-up, and most commands
 * ask no engine. The functions cfir calls, resolved once.
 */
#define LIBCURL "libcurl.so.4"

static struct {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
	CURLcode (*easy_perform)(CURL *curl);
	CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
	const char *(*easy_strerror)(CURLcode rc);
	void (*easy_cleanup)(CURL *curl);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
} libcurl;
static pthread_once_t libcurl_once = PTHREAD_ONCE_INIT;
static bool libcurl_ok;
static char libcurl_why[256];

static void
libcurl_load(void)
{
	static const struct cfir_dl_sym fns[] = {
		{ "curl_global_init", (void **)&libcurl.global_init },
		{ "curl_easy_init", (void **)&libcurl.easy_init },
		{ "curl_easy_setopt", (void **)&libcurl.easy_setopt },
		{ "curl_easy_perform", (void **)&libcurl.easy_perform },
		{ "curl_easy_getinfo", (void **)&libcurl.easy_getinfo },
		{ "curl_easy_strerror", (void **)&libcurl.easy_strerror },
		{ "curl_easy_cleanup", (void **)&libcurl.easy_cleanup },
		{ "curl_slist_append", (void **)&libcurl.slist_append },
		{ "curl_slist_free_all", (void **)&libcurl.slist_free_all },
	};

	if (!cfir_dl_open(LIBCURL, fns, sizeof(fns) / sizeof(fns[0]), libcurl_why, sizeof(libcurl_why)))
		return;
	if (libcurl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(libcurl_why, sizeof(libcurl_why), "curl_global_init failed");
		return;
	}
	libcurl_ok = true;
}

static int
libcurl_need(struct cfir_err *err)
{
	pthread_once(&libcurl_once, libcurl_load);
	if (!libcurl_ok)
		return cfir_err_set(err, EX_UNAVAILABLE, 0, "the engine client's library could not be loaded: %s",
				    libcurl_why);
	return 0;
}

struct header {
	const char *name;
	char *value;
};

struct cfir_engine {
	long bound_ms;		/* a buffered request's whole time at most, 0 for none */
	CURL *curl;
	char *host;		/* as the user gave it, for messages */
	char *sock;		/* unix socket path, or NULL for tcp */
	char *base;		/* scheme://authority */
	char *certfiles[3];	/* ca, cert, key when TLS */
	char api[16];
	long status;		/* of the last reply, from its own status line */
	struct header hdrs[4];
	char errbuf[CURL_ERROR_SIZE];
};

/* Per-transfer state for the curl callbacks. */
struct xfer {
	struct cfir_engine *e;
	char *buf;		/* buffered 2xx reply */
	size_t len, cap, max;
	char ebuf[ERRBODY_MAX + 1];	/* the start of a non-2xx reply */
	size_t elen;
	uint64_t bytes;		/* 2xx body bytes handed on */
	bool too_big;
};

void
cfir_engine_cancel(void)
{
	cancelled = 1;
}

bool
cfir_engine_cancelled(void)
{
	return cancelled != 0;
}

void
cfir_engine_bound(struct cfir_engine *e, long ms)
{
	if (e != NULL)
		e->bound_ms = ms > 0 ? ms : 0;
}

bool
cfir_engine_silent(const struct cfir_engine *e, const struct cfir_err *err)
{
	return e != NULL && e->status == 0 && (err->exit == EX_TEMPFAIL || err->exit == EX_UNAVAILABLE) &&
	       strstr(err->msg, "timed out") != NULL;
}

const char *
cfir_engine_api(const struct cfir_engine *e)
{
	return e ? e->api : NULL;
}

const char *
cfir_engine_host(const struct cfir_engine *e)
{
	return e ? e->host : NULL;
}

long
cfir_engine_status(const struct cfir_engine *e)
{
	return e ? e->status : 0;
}

const char *
cfir_engine_header(const struct cfir_engine *e, const char *name)
{
	size_t i;

	for (i = 0; e != NULL && i < sizeof(e->hdrs) / sizeof(e->hdrs[0]); i++)
		if (strcasecmp(e->hdrs[i].name, name) == 0)
			return e->hdrs[i].value;
	return NULL;
}

char *
cfir_engine_escape(const char *s)
{
	static const char safe[] = "-._~";
	size_t i, n = strlen(s);
	char *out = malloc(3 * n + 1), *p = out;
	unsigned char c;

	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr(safe, c) != NULL)
			*p++ = (char)c;
		else
			p += sprintf(p, "%%%02X", c);
	}
	*p = '\0';
	return out;
}

static int
buf_append(struct xfer *x, const char *data, size_t n)
{
	size_t cap;
	char *p;

	if (x->len + n > x->max) {
		x->too_big = true;
		n = x->max - x->len;
	}
	if (x->len + n + 1 > x->cap) {
		cap = x->cap ? x->cap : 4096;
		while (cap < x->len + n + 1)
			cap *= 2;
		p = realloc(x->buf, cap);
		if (p == NULL)
			return -1;
		x->buf = p;
		x->cap = cap;
	}
	memcpy(x->buf + x->len, data, n);
	x->len += n;
	x->buf[x->len] = '\0';
	return x->too_big ? -1 : 0;
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct xfer *x = userp;
	size_t n = size * nmemb;
	long code = x->e->status;

	if (code < 200 || code >= 300) {
		/* keep what fits of an error body, drop the rest */
		size_t keep = n < ERRBODY_MAX - x->elen ? n : ERRBODY_MAX - x->elen;

		memcpy(x->ebuf + x->elen, data, keep);
		x->elen += keep;
		x->ebuf[x->elen] = '\0';
		return n;
	}
	if (buf_append(x, data, n) < 0)
		return 0;
	x->bytes += n;
	return n;
}

static size_t
on_header(char *data, size_t size, size_t nmemb, void *userp)
{
	struct cfir_engine *e = userp;
	size_t n = size * nmemb, i, nl, vl;
	const char *v;

	if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		/* a new response (after 100-continue, say): its code, no old headers */
		const char *sp = memchr(data, ' ', n);

		e->status = sp != NULL ? strtol(sp + 1, NULL, 10) : 0;
		for (i = 0; i < sizeof(e->hdrs) / sizeof(e->hdrs[0]); i++) {
			free(e->hdrs[i].value);
			e->hdrs[i].value = NULL;
		}
		return n;
	}
	for (i = 0; i < sizeof(e->hdrs) / sizeof(e->hdrs[0]); i++) {
		nl = strlen(e->hdrs[i].name);
		if (n <= nl || data[nl] != ':' || strncasecmp(data, e->hdrs[i].name, nl) != 0)
			continue;
		v = data + nl + 1;
		vl = n - nl - 1;
		while (vl > 0 && (*v == ' ' || *v == '\t'))
			v++, vl--;
		while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
			vl--;
		if (vl > HEADER_MAX)
			vl = HEADER_MAX;
		free(e->hdrs[i].value);
		e->hdrs[i].value = strndup(v, vl);
	}
	return n;
}

static int
on_progress(void *p, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)p, (void)dt, (void)dn, (void)ut, (void)un;
	return cancelled ? 1 : 0;
}

/* Turn a failed transfer into a specific error. */
static int
curl_failure(struct cfir_engine *e, CURLcode rc, struct xfer *x,
	     struct cfir_err *err)
{
	long oserr = 0;
	const char *why = e->errbuf[0] ? e->errbuf : libcurl.easy_strerror(rc);

	libcurl.easy_getinfo(e->curl, CURLINFO_OS_ERRNO, &oserr);
	switch (rc) {
	case CURLE_ABORTED_BY_CALLBACK:
		return cfir_err_set(err, EX_TEMPFAIL, 0, "interrupted");
	case CURLE_WRITE_ERROR:
		if (x->too_big)
			return cfir_err_set(err, EX_DATAERR, 0,
					    "engine reply larger than %u MiB",
					    CFIR_ENGINE_REPLY_MAX >> 20);
		return cfir_err_set(err, EX_OSERR, ENOMEM, "engine reply");
	case CURLE_OPERATION_TIMEDOUT:
		return cfir_err_set(err, EX_TEMPFAIL, 0,
				    "engine at '%s' timed out: %s", e->host, why);
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		if (oserr == EACCES || oserr == EPERM)
			return cfir_err_set(err, EX_NOPERM, (int)oserr,
					    "cannot connect to the engine at '%s'", e->host);
		if (oserr != 0)
			return cfir_err_set(err, EX_UNAVAILABLE, (int)oserr,
					    "engine unreachable at '%s'", e->host);
		return cfir_err_set(err, EX_UNAVAILABLE, 0,
				    "engine unreachable at '%s': %s", e->host, why);
	case CURLE_PEER_FAILED_VERIFICATION:
		return cfir_err_set(err, EX_UNAVAILABLE, 0,
				    "TLS: the engine at '%s' presented a certificate "
				    "that '%s' does not verify: %s",
				    e->host, e->certfiles[0], why);
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		return cfir_err_set(err, EX_DATAERR, 0,
				    "TLS: cannot use the certificates in '%s': %s",
				    e->certfiles[0], why);
	case CURLE_SSL_CONNECT_ERROR:
		return cfir_err_set(err, EX_UNAVAILABLE, 0,
				    "TLS handshake with '%s' failed "
				    "(wrong CA, or client certificate refused): %s",
				    e->host, why);
	default:
		if (x->bytes > 0)
			return cfir_err_set(err, EX_UNAVAILABLE, 0,
					    "connection to the engine at '%s' broke "
					    "after %llu bytes: %s", e->host,
					    (unsigned long long)x->bytes, why);
		return cfir_err_set(err, EX_UNAVAILABLE, 0,
				    "engine at '%s': %s", e->host, why);
	}
}

/* The engine's own words from an error body: {"message": "..."}. */
static int
http_failure(struct cfir_engine *e, const char *method, const char *path,
	     struct xfer *x, struct cfir_err *err)
{
	cleanup_cjson cJSON *j = NULL;
	const cJSON *m;
	const char *msg = NULL;
	int code;

	if (x->elen > 0) {
		j = cJSON_ParseWithLength(x->ebuf, x->elen);
		m = cJSON_GetObjectItemCaseSensitive(j, "message");
		msg = cJSON_IsString(m) ? m->valuestring : x->ebuf;
	}
	switch (e->status) {
	case 404:
		code = EX_NOINPUT;
		break;
	case 401:
	case 403:
		code = EX_NOPERM;
		break;
	case 400:
		code = EX_DATAERR;
		break;
	case 409:	/* the container's state forbids it: not running, paused */
		code = EX_UNAVAILABLE;
		break;
	default:	/* the engine failed at its end */
		code = e->status >= 500 ? EX_PROTOCOL : EX_UNAVAILABLE;
	}
	if (msg != NULL && *msg != '\0')
		return cfir_err_set(err, code, 0, "engine: %.400s", msg);
	return cfir_err_set(err, code, 0, "engine: %s %s: HTTP %ld",
			    method, path, e->status);
}

static int
perform(struct cfir_engine *e, const char *method, const char *path,
	bool versioned, const cJSON *body, struct xfer *x, struct cfir_err *err)
{
	cleanup_free char *url = NULL, *payload = NULL;
	struct curl_slist *hl = NULL;
	CURLcode rc;
	int n, r = 0;

	if (cancelled)
		return cfir_err_set(err, EX_TEMPFAIL, 0, "interrupted");
	if (e == NULL)
		return cfir_err_set(err, EX_UNAVAILABLE, 0, "no engine answers, and %s needs one", path);
	if (versioned)
		n = asprintf(&url, "%s/v%s%s", e->base, e->api, path);
	else
		n = asprintf(&url, "%s%s", e->base, path);
	if (n < 0)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "url");

	libcurl.easy_setopt(e->curl, CURLOPT_URL, url);
	libcurl.easy_setopt(e->curl, CURLOPT_CUSTOMREQUEST, method);
	libcurl.easy_setopt(e->curl, CURLOPT_HTTPGET, 1L);
	if (strcmp(method, "GET") == 0) {
		libcurl.easy_setopt(e->curl, CURLOPT_CUSTOMREQUEST, NULL);
	} else if (strcmp(method, "POST") == 0 || body != NULL) {
		if (body != NULL) {
			payload = cfir_json_print(body, NULL);
			if (payload == NULL)
				return cfir_err_set(err, EX_OSERR, ENOMEM, "request");
			hl = libcurl.slist_append(hl, "Content-Type: application/json");
		}
		libcurl.easy_setopt(e->curl, CURLOPT_POST, 1L);
		libcurl.easy_setopt(e->curl, CURLOPT_POSTFIELDS, payload ? payload : "");
		libcurl.easy_setopt(e->curl, CURLOPT_POSTFIELDSIZE,
				 (long)(payload ? strlen(payload) : 0));
		libcurl.easy_setopt(e->curl, CURLOPT_CUSTOMREQUEST,
				 strcmp(method, "POST") == 0 ? NULL : method);
	}
	hl = libcurl.slist_append(hl, "Expect:");
	libcurl.easy_setopt(e->curl, CURLOPT_HTTPHEADER, hl);
	libcurl.easy_setopt(e->curl, CURLOPT_WRITEFUNCTION, on_body);
	libcurl.easy_setopt(e->curl, CURLOPT_WRITEDATA, x);
	if (e->bound_ms > 0)
		libcurl.easy_setopt(e->curl, CURLOPT_TIMEOUT_MS, e->bound_ms);

	e->errbuf[0] = '\0';
	e->status = 0;
	rc = libcurl.easy_perform(e->curl);
	if (e->bound_ms > 0)
		libcurl.easy_setopt(e->curl, CURLOPT_TIMEOUT_MS, 0L);
	libcurl.slist_free_all(hl);
	libcurl.easy_setopt(e->curl, CURLOPT_HTTPHEADER, NULL);
	if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && e->status >= 300))
		r = curl_failure(e, rc, x, err);
	else if (e->status < 200 || e->status >= 300)
		r = http_failure(e, method, path, x, err);
	return r;
}

int
cfir_engine_call(struct cfir_engine *e, const char *method, const char *path,
		 const cJSON *body, char **reply, size_t *len,
		 struct cfir_err *err)
{
	struct xfer x = { .e = e, .max = CFIR_ENGINE_REPLY_MAX };

	if (perform(e, method, path, true, body, &x, err) < 0) {
		free(x.buf);
		return -1;
	}
	if (reply != NULL) {
		*reply = x.buf ? x.buf : strdup("");
		if (len != NULL)
			*len = x.len;
	} else {
		free(x.buf);
	}
	return 0;
}

int
cfir_engine_json(struct cfir_engine *e, const char *method, const char *path,
		 const cJSON *body, cJSON **out, struct cfir_err *err)
{
	cleanup_free char *reply = NULL;
	size_t len = 0;

	if (cfir_engine_call(e, method, path, body, &reply, &len, err) < 0)
		return -1;
	*out = cJSON_ParseWithLength(reply, len);
	if (*out == NULL)
		return cfir_err_set(err, EX_DATAERR, 0,
				    "engine: malformed JSON in reply to %s %s",
				    method, path);
	return 0;
}

/* ---- pulled streams ------------------------------------------------------ */

/*
 * A thread keeps reading the engine's reply into a ring while the caller
 * works on what came before: the engine can only write a few hundred KiB
 * ahead into a socket, and a reader that stops to hash and index would stall
 * it. The caller is handed contiguous pieces of the ring.
 */
#define RING (8u << 20)
#define PULL_RECV (256u << 10)

struct cfir_engine_pull {
	struct cfir_engine *e;
	struct xfer x;		/* error body, byte count */
	char *url;
	pthread_t thread;
	struct cfir_ring r;	/* its lock guards the rest too; its stop: the reader went away */
	size_t handed;		/* at r.buf[r.start], with the caller */
	bool headers, done;
	CURLcode rc;
	cfir_engine_sink_fn tee;
	void *tee_ctx;
	cfir_engine_produce_fn produce;	/* the bytes come from it, not from the engine */
	void *produce_ctx;
	struct cfir_err perr;	/* why it failed */
	int prc;
};

static size_t
on_ring(char *data, size_t size, size_t nmemb, void *userp)
{
	struct cfir_engine_pull *p = userp;

	if (p->e->status < 200 || p->e->status >= 300)
		return on_body(data, size, nmemb, &p->x);
	/* 0: the reader went away, abort */
	return cfir_ring_put(&p->r, data, size * nmemb) ? size * nmemb : 0;
}

/* curl asks about once a second, idle or not: a reader that left ends it. */
static int
on_pull_progress(void *userp, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct cfir_engine_pull *p = userp;
	bool stop;

	(void)dt, (void)dn, (void)ut, (void)un;
	pthread_mutex_lock(&p->r.lock);
	stop = p->r.stop;
	pthread_mutex_unlock(&p->r.lock);
	return cancelled || stop ? 1 : 0;
}

/* The header callback's end: the status is known, tell the caller. */
static size_t
on_pull_header(char *data, size_t size, size_t nmemb, void *userp)
{
	struct cfir_engine_pull *p = userp;
	size_t n = on_header(data, size, nmemb, p->e);

	if (n == 2 && data[0] == '\r' && p->e->status >= 200) {
		pthread_mutex_lock(&p->r.lock);
		p->headers = true;
		pthread_cond_broadcast(&p->r.more);
		pthread_mutex_unlock(&p->r.lock);
	}
	return n;
}

static void *
pull_thread(void *arg)
{
	struct cfir_engine_pull *p = arg;
	CURLcode rc = libcurl.easy_perform(p->e->curl);

	pthread_mutex_lock(&p->r.lock);
	p->rc = rc;
	p->done = true;
	pthread_cond_broadcast(&p->r.more);
	pthread_mutex_unlock(&p->r.lock);
	return NULL;
}

static void
pull_free(struct cfir_engine_pull *p)
{
	cfir_ring_destroy(&p->r);
	free(p->url);
	free(p);
}

/* Where the handle's body, headers and progress go, and in what chunks. */
static void
set_hooks(struct cfir_engine *e, void *body, curl_write_callback header, void *header_ctx,
	  curl_xferinfo_callback progress, void *progress_ctx, long chunk)
{
	libcurl.easy_setopt(e->curl, CURLOPT_WRITEDATA, body);
	libcurl.easy_setopt(e->curl, CURLOPT_HEADERFUNCTION, header);
	libcurl.easy_setopt(e->curl, CURLOPT_HEADERDATA, header_ctx);
	libcurl.easy_setopt(e->curl, CURLOPT_XFERINFOFUNCTION, progress);
	libcurl.easy_setopt(e->curl, CURLOPT_XFERINFODATA, progress_ctx);
	libcurl.easy_setopt(e->curl, CURLOPT_BUFFERSIZE, chunk);
}

/* The handle's callbacks on the engine: after a pull, nothing points at a freed pull. */
static void
engine_hooks(struct cfir_engine *e)
{
	set_hooks(e, NULL, on_header, e, on_progress, NULL, (long)CURL_MAX_WRITE_SIZE);
}

void
cfir_engine_pull_close(struct cfir_engine_pull *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->r.lock);
	p->r.stop = true;
	pthread_cond_broadcast(&p->r.room);
	pthread_mutex_unlock(&p->r.lock);
	pthread_join(p->thread, NULL);
	if (p->produce == NULL)
		engine_hooks(p->e);
	pull_free(p);
}

int
cfir_engine_pull_open(struct cfir_engine *e, const char *path,
		      struct cfir_engine_pull **pp, struct cfir_err *err)
{
	struct cfir_engine_pull *p;
	bool ok;
	int rc;

	*pp = NULL;
	if (cancelled)
		return cfir_err_set(err, EX_TEMPFAIL, 0, "interrupted");
	if (e == NULL)
		return cfir_err_set(err, EX_UNAVAILABLE, 0, "no engine answers, and %s needs one", path);
	p = calloc(1, sizeof(*p));
	if (p == NULL || cfir_ring_init(&p->r, RING) < 0 ||
	    asprintf(&p->url, "%s/v%s%s", e->base, e->api, path) < 0) {
		if (p != NULL)
			cfir_ring_destroy(&p->r);
		free(p);
		return cfir_err_set(err, EX_OSERR, ENOMEM, "engine");
	}
	p->e = e;
	p->x.e = e;
	libcurl.easy_setopt(e->curl, CURLOPT_URL, p->url);
	libcurl.easy_setopt(e->curl, CURLOPT_HTTPGET, 1L);
	libcurl.easy_setopt(e->curl, CURLOPT_CUSTOMREQUEST, NULL);
	libcurl.easy_setopt(e->curl, CURLOPT_HTTPHEADER, NULL);
	libcurl.easy_setopt(e->curl, CURLOPT_WRITEFUNCTION, on_ring);
	set_hooks(e, p, on_pull_header, p, on_pull_progress, p, (long)PULL_RECV);
	e->errbuf[0] = '\0';
	e->status = 0;
	rc = cfir_util_thread_create(&p->thread, pull_thread, p);
	if (rc != 0) {
		/* pthread_create returns its error; errno says nothing */
		engine_hooks(e);
		pull_free(p);
		return cfir_err_set(err, EX_OSERR, rc, "engine reader thread");
	}
	pthread_mutex_lock(&p->r.lock);
	while (!p->headers && !p->done)
		pthread_cond_wait(&p->r.more, &p->r.lock);
	ok = p->headers && e->status >= 200 && e->status < 300;
	if (!ok) {
		/* no 2xx: a failed connection, or the engine's error reply read whole */
		while (!p->done)
			pthread_cond_wait(&p->r.more, &p->r.lock);
	}
	pthread_mutex_unlock(&p->r.lock);
	if (!ok) {
		if (p->rc != CURLE_OK && e->status == 0)
			curl_failure(e, p->rc, &p->x, err);
		else
			http_failure(e, "GET", path, &p->x, err);
		cfir_engine_pull_close(p);
		return -1;
	}
	/* a break after a 2xx status is told after the bytes that did arrive */
	*pp = p;
	return 0;
}

/* The producer's side: its bytes into the ring; -1 once the reader went away. */
static int
produce_put(void *ctx, const void *buf, size_t len, struct cfir_err *err)
{
	if (!cfir_ring_put(&((struct cfir_engine_pull *)ctx)->r, buf, len))
		return cfir_err_set(err, EX_TEMPFAIL, ECANCELED, "the reader stopped");
	return 0;
}

static void *
produce_thread(void *arg)
{
	struct cfir_engine_pull *p = arg;
	int rc = p->produce(p->produce_ctx, produce_put, p, &p->perr);

	pthread_mutex_lock(&p->r.lock);
	p->prc = rc;
	p->done = true;
	pthread_cond_broadcast(&p->r.more);
	pthread_mutex_unlock(&p->r.lock);
	return NULL;
}

int
cfir_engine_pull_produce(cfir_engine_produce_fn fn, void *ctx, struct cfir_engine_pull **pp,
			 struct cfir_err *err)
{
	struct cfir_engine_pull *p = calloc(1, sizeof(*p));
	int rc;

	*pp = NULL;
	if (p == NULL || cfir_ring_init(&p->r, RING) < 0) {
		free(p);
		return cfir_err_set(err, EX_OSERR, ENOMEM, "reader");
	}
	p->produce = fn;
	p->produce_ctx = ctx;
	rc = cfir_util_thread_create(&p->thread, produce_thread, p);
	if (rc != 0) {
		pull_free(p);
		return cfir_err_set(err, EX_OSERR, rc, "producer thread");
	}
	*pp = p;
	return 0;
}

void
cfir_engine_pull_tee(struct cfir_engine_pull *p, cfir_engine_sink_fn tee, void *ctx)
{
	p->tee = tee;
	p->tee_ctx = ctx;
}

uint64_t
cfir_engine_pull_bytes(const struct cfir_engine_pull *p)
{
	return p->x.bytes;
}

ssize_t
cfir_engine_pull_read(struct cfir_engine_pull *p, const void **buf, struct cfir_err *err)
{
	const char *at;
	size_t n;

	pthread_mutex_lock(&p->r.lock);
	if (p->handed > 0) {	/* the caller is done with the last piece */
		cfir_ring_consumed(&p->r, p->handed);
		p->handed = 0;
	}
	cfir_ring_wait(&p->r, &p->done);
	n = cfir_ring_readable(&p->r);	/* up to the wrap; the rest next time */
	p->handed = n;
	at = p->r.buf + p->r.start;
	pthread_mutex_unlock(&p->r.lock);
	if (n == 0) {
		if (p->produce != NULL && p->prc < 0) {
			*err = p->perr;
			return -1;
		}
		if (p->produce == NULL && p->rc != CURLE_OK)
			return curl_failure(p->e, p->rc, &p->x, err);
		return 0;
	}
	if (p->tee != NULL && p->tee(p->tee_ctx, at, n, err) < 0)
		return -1;
	p->x.bytes += n;
	*buf = at;
	return (ssize_t)n;
}

int
cfir_engine_stream(struct cfir_engine *e, const char *path, cfir_engine_sink_fn sink,
		   void *ctx, uint64_t *bytes, struct cfir_err *err)
{
	struct cfir_engine_pull *p;
	const void *buf;
	ssize_t n;

	if (bytes != NULL)
		*bytes = 0;
	if (cfir_engine_pull_open(e, path, &p, err) < 0)
		return -1;
	while ((n = cfir_engine_pull_read(p, &buf, err)) > 0)
		if (sink(ctx, buf, (size_t)n, err) < 0) {
			n = -1;
			break;
		}
	if (bytes != NULL)
		*bytes = cfir_engine_pull_bytes(p);
	cfir_engine_pull_close(p);
	return n < 0 ? -1 : 0;
}

static int
parse_host(struct cfir_engine *e, const char *host, struct cfir_err *err)
{
	const char *rest, *tls = getenv("DOCKER_TLS_VERIFY");
	bool use_tls = tls != NULL && *tls != '\0';
	const char *port;

	if (strncmp(host, "unix://", 7) == 0) {
		rest = host + 7;
		if (*rest != '/')
			return cfir_err_set(err, EX_USAGE, 0,
					    "'%s': unix socket path must be absolute", host);
		e->sock = strdup(rest);
		e->base = strdup("http://localhost");
		return 0;
	}
	if (strncmp(host, "tcp://", 6) == 0 || strncmp(host, "http://", 7) == 0 ||
	    strncmp(host, "https://", 8) == 0) {
		rest = strstr(host, "://") + 3;
		if (*rest == '\0' || *rest == '/')
			return cfir_err_set(err, EX_USAGE, 0, "'%s': no address", host);
		if (strncmp(host, "https://", 8) == 0)
			use_tls = true;
		port = strrchr(rest, ':');
		if (port != NULL && strchr(port, ']') != NULL)
			port = NULL;	/* [v6] without a port */
		if (asprintf(&e->base, "%s://%.*s%s%s", use_tls ? "https" : "http",
			     (int)strcspn(rest, "/"), rest,
			     port ? "" : ":", port ? "" : (use_tls ? "2376" : "2375")) < 0)
			return cfir_err_set(err, EX_OSERR, ENOMEM, "host");
		if (use_tls)
			return 1;
		return 0;
	}
	return cfir_err_set(err, EX_USAGE, 0,
			    "'%s': engine address must be unix://PATH or tcp://HOST:PORT",
			    host);
}

static int
setup_tls(struct cfir_engine *e, struct cfir_err *err)
{
	static const char *names[3] = { "ca.pem", "cert.pem", "key.pem" };
	const char *dir = getenv("DOCKER_CERT_PATH"), *home = getenv("HOME");
	cleanup_free char *def = NULL;
	int i;

	if (dir == NULL || *dir == '\0') {
		if (asprintf(&def, "%s/.docker", home ? home : "") < 0)
			return cfir_err_set(err, EX_OSERR, ENOMEM, "cert path");
		dir = def;
	}
	for (i = 0; i < 3; i++) {
		if (asprintf(&e->certfiles[i], "%s/%s", dir, names[i]) < 0)
			return cfir_err_set(err, EX_OSERR, ENOMEM, "cert path");
		if (access(e->certfiles[i], R_OK) != 0)
			return cfir_err_set(err, errno == EACCES ? EX_NOPERM : EX_NOINPUT,
					    errno, "TLS: %s '%s'",
					    i == 0 ? "CA certificate" :
					    i == 1 ? "client certificate" : "client key",
					    e->certfiles[i]);
	}
	libcurl.easy_setopt(e->curl, CURLOPT_CAINFO, e->certfiles[0]);
	libcurl.easy_setopt(e->curl, CURLOPT_SSLCERT, e->certfiles[1]);
	libcurl.easy_setopt(e->curl, CURLOPT_SSLKEY, e->certfiles[2]);
	libcurl.easy_setopt(e->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	libcurl.easy_setopt(e->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	return 0;
}

/* "1.41" < "1.47": compare major then minor numerically. */
static int
api_cmp(const char *a, const char *b)
{
	unsigned long am = strtoul(a, NULL, 10), bm = strtoul(b, NULL, 10);
	const char *ad = strchr(a, '.'), *bd = strchr(b, '.');
	unsigned long an = ad ? strtoul(ad + 1, NULL, 10) : 0;
	unsigned long bn = bd ? strtoul(bd + 1, NULL, 10) : 0;

	if (am != bm)
		return am < bm ? -1 : 1;
	return an < bn ? -1 : an > bn;
}

static bool
api_valid(const char *v)
{
	size_t d = strspn(v, "0123456789");

	return d > 0 && d < 4 && v[d] == '.' && strspn(v + d + 1, "0123456789") > 0 &&
	       v[d + 1 + strspn(v + d + 1, "0123456789")] == '\0' && strlen(v) < 16;
}

static int
negotiate(struct cfir_engine *e, long answer_ms, struct cfir_err *err)
{
	struct xfer x = { .e = e, .max = 4096 };
	cleanup_cjson cJSON *ver = NULL;
	const char *forced = getenv("DOCKER_API_VERSION"), *v;
	const cJSON *j;
	int r;

	if (forced != NULL && *forced != '\0') {
		if (!api_valid(forced))
			return cfir_err_set(err, EX_USAGE, 0,
					    "DOCKER_API_VERSION '%s' is not a version", forced);
		snprintf(e->api, sizeof(e->api), "%s", forced);
	}
	/*
	 * An engine that accepts the connection and never replies (a dockerd
	 * stopped with SIGSTOP, one the attacker wedged) costs ANSWER_MS, not
	 * the idle timeout: the ping is the first thing it must answer.
	 */
	libcurl.easy_setopt(e->curl, CURLOPT_CONNECTTIMEOUT_MS, answer_ms);
	libcurl.easy_setopt(e->curl, CURLOPT_TIMEOUT_MS, answer_ms);
	r = perform(e, "GET", "/_ping", false, NULL, &x, err);
	libcurl.easy_setopt(e->curl, CURLOPT_TIMEOUT_MS, 0L);
	libcurl.easy_setopt(e->curl, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	free(x.buf);
	if (r < 0) {
		if (e->status == 0 && strstr(err->msg, "imed out") != NULL)
			cfir_err_set(err, EX_UNAVAILABLE, 0, "engine at '%s' did not answer within %.1f s",
				     e->host, answer_ms / 1000.0);
		return -1;
	}
	if (e->api[0] != '\0')
		return 0;
	v = cfir_engine_header(e, "Api-Version");
	if (v == NULL || !api_valid(v)) {
		/* older engines: ask /version */
		x = (struct xfer){ .e = e, .max = 1 << 20 };
		if (perform(e, "GET", "/version", false, NULL, &x, err) < 0) {
			free(x.buf);
			return -1;
		}
		ver = cJSON_ParseWithLength(x.buf ? x.buf : "", x.len);
		free(x.buf);
		j = cJSON_GetObjectItemCaseSensitive(ver, "ApiVersion");
		if (!cJSON_IsString(j) || !api_valid(j->valuestring))
			return cfir_err_set(err, EX_DATAERR, 0,
					    "engine at '%s' did not say its API version",
					    e->host);
		v = j->valuestring;
	}
	if (api_cmp(v, CFIR_API_MIN) < 0)
		return cfir_err_set(err, EX_UNAVAILABLE, 0,
				    "engine at '%s' speaks API %s; cfir needs %s or later",
				    e->host, v, CFIR_API_MIN);
	snprintf(e->api, sizeof(e->api), "%s",
		 api_cmp(v, CFIR_API_MAX) > 0 ? CFIR_API_MAX : v);
	return 0;
}

int
cfir_engine_open(struct cfir_engine **ep, const char *host, struct cfir_err *err)
{
	return cfir_engine_open_within(ep, host, CONNECT_TIMEOUT_MS, err);
}

int
cfir_engine_open_within(struct cfir_engine **ep, const char *host, long answer_ms,
			struct cfir_err *err)
{
	static const char *hdrnames[4] = { "Api-Version", "Content-Type",
					   "X-Docker-Container-Path-Stat", "Server" };
	struct cfir_engine *e;
	int tls, i;

	*ep = NULL;
	if (host == NULL || *host == '\0')
		host = getenv("DOCKER_HOST");
	if (host == NULL || *host == '\0')
		host = "unix:///var/run/docker.sock";
	if (libcurl_need(err) < 0)
		return -1;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "engine");
	for (i = 0; i < 4; i++)
		e->hdrs[i].name = hdrnames[i];
	e->host = strdup(host);
	e->curl = libcurl.easy_init();
	if (e->host == NULL || e->curl == NULL) {
		cfir_engine_close(e);
		return cfir_err_set(err, EX_OSERR, ENOMEM, "engine");
	}
	tls = parse_host(e, host, err);
	if (tls < 0 || (tls == 1 && setup_tls(e, err) < 0)) {
		cfir_engine_close(e);
		return -1;
	}
	if (e->sock != NULL)
		libcurl.easy_setopt(e->curl, CURLOPT_UNIX_SOCKET_PATH, e->sock);
	libcurl.easy_setopt(e->curl, CURLOPT_ERRORBUFFER, e->errbuf);
	libcurl.easy_setopt(e->curl, CURLOPT_NOSIGNAL, 1L);
	libcurl.easy_setopt(e->curl, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	libcurl.easy_setopt(e->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	libcurl.easy_setopt(e->curl, CURLOPT_LOW_SPEED_TIME, IDLE_TIMEOUT_S);
	libcurl.easy_setopt(e->curl, CURLOPT_NOPROGRESS, 0L);
	engine_hooks(e);
	libcurl.easy_setopt(e->curl, CURLOPT_USERAGENT, "cfir/" CFIR_VERSION);
	libcurl.easy_setopt(e->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	if (negotiate(e, answer_ms > 0 ? answer_ms : CONNECT_TIMEOUT_MS, err) < 0) {
		cfir_engine_close(e);
		return -1;
	}
	*ep = e;
	return 0;
}

void
cfir_engine_close(struct cfir_engine *e)
{
	size_t i;

	if (e == NULL)
		return;
	if (e->curl != NULL)
		libcurl.easy_cleanup(e->curl);
	for (i = 0; i < sizeof(e->hdrs) / sizeof(e->hdrs[0]); i++)
		free(e->hdrs[i].value);
	for (i = 0; i < 3; i++)
		free(e->certfiles[i]);
	free(e->host);
	free(e->sock);
	free(e->base);
	free(e);
}
