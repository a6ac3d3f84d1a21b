/* bbolt.c - bbolt database files read a checked page at a time, never mapped or written */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bbolt.h"
#include "common/cleanup.h"
#include "common/util.h"

#define PAGE_HDR	16	/* id u64, flags u16, count u16, overflow u32 */
#define ELEM_SIZE	16	/* branch {pos, ksize, pgid}; leaf {flags, pos, ksize, vsize} */
#define META_SIZE	64	/* magic .. checksum */
#define META_SUMMED	56	/* the bytes the checksum covers */
#define BUCKET_HDR	16	/* root pgid u64, sequence u64 */
#define MAGIC		0xED0CDAEDu
#define VERSION		2u
#define F_BRANCH	0x01
#define F_LEAF		0x02
#define F_META		0x04
#define E_BUCKET	0x01
#define PSIZE_MIN	512u
#define PSIZE_MAX	65536u
#define FILE_MAX	((uint64_t)1 << 40)	/* a sanity bound: nothing is read whole */

struct cfir_bbolt {
	int fd;
	const unsigned char *mem;	/* the open_mem variant, else NULL */
	uint64_t size;			/* bytes of the file */
	uint32_t psize;
	uint64_t npages;		/* pages in use: below the meta's high-water mark */
	uint64_t root;			/* the root bucket's root page */
	uint64_t txid;
	unsigned long budget;
	uint64_t bytes_left;	/* what one handle may still read, pages and their overflow */
};

/* One page read, or an inline bucket's leaf: BUF is owned only when OWNED. */
struct page {
	unsigned char *buf;
	size_t len;
	uint16_t flags;
	uint16_t count;
	bool owned;
};

struct elem {
	uint32_t flags;
	const unsigned char *key;
	size_t klen;
	const unsigned char *val;
	size_t vlen;
	uint64_t pgid;
};

static uint16_t
le16(const unsigned char *b)
{
	return (uint16_t)(b[0] | b[1] << 8);
}

static uint32_t
le32(const unsigned char *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t
le64(const unsigned char *b)
{
	return (uint64_t)le32(b) | (uint64_t)le32(b + 4) << 32;
}

static int
readat(const struct cfir_bbolt *db, uint64_t off, size_t len, unsigned char *buf,
       struct cfir_err *err)
{
	size_t got = 0;
	ssize_t n;

	if (off > db->size || len > db->size - off)
		return cfir_err_set(err, EX_DATAERR, 0, "bbolt: %zu bytes at %" PRIu64 " past the end of the file",
				    len, off);
	if (db->mem != NULL) {
		memcpy(buf, db->mem + off, len);
		return 0;
	}
	while (got < len) {
		n = pread(db->fd, buf + got, len - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cfir_err_set(err, EX_IOERR, errno, "bbolt: read at %" PRIu64, off + got);
		if (n == 0)
			return cfir_err_set(err, EX_DATAERR, 0, "bbolt: the file ends at %" PRIu64, off + got);
		got += (size_t)n;
	}
	return 0;
}

static void
page_free(struct page *p)
{
	if (p->owned)
		free(p->buf);
	memset(p, 0, sizeof(*p));
}

/* Page PGID with its overflow pages, checked: its id, its span, its element count. */
static int
page_read(struct cfir_bbolt *db, uint64_t pgid, struct page *p, struct cfir_err *err)
{
	unsigned char hdr[PAGE_HDR];
	uint32_t ovf;

	memset(p, 0, sizeof(*p));
	if (db->budget == 0)
		return cfir_err_set(err, EX_DATAERR, 0, "bbolt: too many pages visited (a cycle?)");
	db->budget--;
	if (pgid < 2 || pgid >= db->npages)
		return cfir_err_set(err, EX_DATAERR, 0, "bbolt: page %" PRIu64 " outside the file", pgid);
	if (readat(db, pgid * db->psize, sizeof(hdr), hdr, err) < 0)
		return -1;
	if (le64(hdr) != pgid)
		return cfir_err_set(err, EX_DATAERR, 0, "bbolt: page %" PRIu64 " says it is %" PRIu64, pgid,
				    le64(hdr));
	ovf = le32(hdr + 12);
	if ((uint64_t)ovf >= db->npages - pgid || ((uint64_t)ovf + 1) * db->psize > CFIR_BBOLT_SPAN_MAX)
		return cfir_err_set(err, EX_DATAERR, 0, "bbolt: page %" PRIu64 " overflows by %" PRIu32 " pages",
				    pgid, ovf);
	p->len = ((size_t)ovf + 1) * db->psize;
	/* a page of 16 MiB read a million times over is no file's honest shape */
	if (p->len > db->bytes_left)
		return cfir_err_set(err, EX_DATAERR, 0, "bbolt: more than %u MiB read from one database (pages read again and again)",
				    (unsigned)(CFIR_BBOLT_BYTES >> 20));
	db->bytes_left -= p->len;
	p->buf = malloc(p->len);
	if (p->buf == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "bbolt: page %" PRIu64, pgid);
	p->owned = true;
	p->flags = le16(hdr + 8);
	p->count = le16(hdr + 10);
	if (readat(db, pgid * db->psize, p->len, p->buf, err) < 0) {
		page_free(p);
		return -1;
	}
	if (PAGE_HDR + (size_t)p->count * ELEM_SIZE > p->len) {
		page_free(p);
		return cfir_err_set(err, EX_DATAERR, 0, "bbolt: page %" PRIu64 " holds %u elements past its end",
				    pgid, p->count);
	}
	return 0;
}

/* Element I of P: its key and value (leaf) or child (branch), all inside P. */
static int
page_elem(const struct page *p, unsigned i, struct elem *e, struct cfir_err *err)
{
	size_t at = PAGE_HDR + (size_t)i * ELEM_SIZE, room;
	const unsigned char *b = p->buf + at;
	uint32_t pos;

	memset(e, 0, sizeof(*e));
	if (i >= p->count || at + ELEM_SIZE > p->len)
		return cfir_err_set(err, EX_DATAERR, 0, "bbolt: element %u past its page", i);
	if (p->flags & F_LEAF) {
		e->flags = le32(b);
		pos = le32(b + 4);
		e->klen = le32(b + 8);
		e->vlen = le32(b + 12);
	} else {
		pos = le32(b);
		e->klen = le32(b + 4);
		e->pgid = le64(b + 8);
	}
	room = p->len - at;
	if (pos > room || e->klen > room - pos || e->vlen > room - pos - e->klen)
		return cfir_err_set(err, EX_DATAERR, 0, "bbolt: element %u's key or value past its page", i);
	e->key = b + pos;
	e->val = e->key + e->klen;
	return 0;
}

static int
keycmp(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	return c != 0 ? c : CFIR_UTIL_CMP(alen, blen);
}

/* FNV-1a 64, the meta page's checksum. */
static uint64_t
fnv1a64(const unsigned char *b, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (n-- > 0) {
		h ^= *b++;
		h *= 0x100000001b3ull;
	}
	return h;
}

struct meta {
	uint32_t psize;
	uint64_t root, pgid, txid;
};

/* The meta page at OFF, if its magic, version, checksum and sizes hold; PSIZE when it must be that. */
static bool
meta_read(const struct cfir_bbolt *db, uint64_t off, uint32_t psize, struct meta *m)
{
	unsigned char b[PAGE_HDR + META_SIZE];
	const unsigned char *x = b + PAGE_HDR;
	struct cfir_err ignored;

	if (readat(db, off, sizeof(b), b, &ignored) < 0)
		return false;
	if (!(le16(b + 8) & F_META) || le32(x) != MAGIC || le32(x + 4) != VERSION ||
	    fnv1a64(x, META_SUMMED) != le64(x + META_SUMMED))
		return false;
	m->psize = le32(x + 8);
	m->root = le64(x + 16);
	m->pgid = le64(x + 40);
	m->txid = le64(x + 48);
	if (m->psize < PSIZE_MIN || m->psize > PSIZE_MAX || (m->psize & (m->psize - 1)) != 0 ||
	    (psize != 0 && m->psize != psize))
		return false;
	/* pages past the file: a file cut short; the root among the metas or past the high-water mark */
	return m->pgid <= db->size / m->psize && m->root >= 2 && m->root < m->pgid;
}

/* Meta page 0, and page 1 one page size on; when 0 is bad, page 1 at each page size it could be. */
static int
meta_choose(struct cfir_bbolt *db, struct cfir_err *err)
{
	struct meta m0, m1, *m = NULL;
	bool ok0, ok1 = false;
	uint32_t ps;

	ok0 = meta_read(db, 0, 0, &m0);
	if (ok0)
		ok1 = meta_read(db, m0.psize, m0.psize, &m1);
	for (ps = PSIZE_MIN; !ok0 && !ok1 && ps <= PSIZE_MAX; ps <<= 1)
		ok1 = meta_read(db, ps, ps, &m1);
	if (ok0)
		m = &m0;
	if (ok1 && (m == NULL || m1.txid > m0.txid))
		m = &m1;
	if (m == NULL)
		return cfir_err_set(err, EX_DATAERR, 0, "bbolt: no valid meta page (not a bbolt file, or damaged)");
	db->psize = m->psize;
	db->npages = m->pgid;
	db->root = m->root;
	db->txid = m->txid;
	return 0;
}

static int
db_new(int fd, const void *buf, uint64_t size, struct cfir_bbolt **out, struct cfir_err *err)
{
	struct cfir_bbolt *db;

	*out = NULL;
	if (size > FILE_MAX)
		return cfir_err_set(err, EX_DATAERR, EFBIG, "bbolt: a file of %" PRIu64 " bytes", size);
	db = calloc(1, sizeof(*db));
	if (db == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "bbolt");
	db->fd = fd;
	db->mem = buf;
	db->size = size;
	db->budget = CFIR_BBOLT_BUDGET;
	db->bytes_left = CFIR_BBOLT_BYTES;
	if (meta_choose(db, err) < 0) {
		free(db);
		return -1;
	}
	*out = db;
	return 0;
}

int
cfir_bbolt_open(int fd, struct cfir_bbolt **db, struct cfir_err *err)
{
	struct stat st;

	*db = NULL;
	if (fstat(fd, &st) < 0)
		return cfir_err_set(err, EX_OSERR, errno, "bbolt: fstat");
	if (!S_ISREG(st.st_mode))
		return cfir_err_set(err, EX_DATAERR, 0, "bbolt: not a regular file");
	return db_new(fd, NULL, (uint64_t)st.st_size, db, err);
}

int
cfir_bbolt_open_mem(const void *buf, size_t len, struct cfir_bbolt **db, struct cfir_err *err)
{
	static const unsigned char empty[1];

	return db_new(-1, buf != NULL ? buf : empty, len, db, err);
}

void
cfir_bbolt_close(struct cfir_bbolt *db)
{
	free(db);
}

void
cfir_bbolt_set_budget(struct cfir_bbolt *db, unsigned long pages)
{
	db->budget = pages;
}

uint64_t
cfir_bbolt_txid(const struct cfir_bbolt *db)
{
	return db->txid;
}

void
cfir_bbolt_bucket_free(struct cfir_bbolt_bucket *b)
{
	free(b->inl);
	memset(b, 0, sizeof(*b));
}

int
cfir_bbolt_bucket_value(const unsigned char *val, size_t vlen, struct cfir_bbolt_bucket *b,
			struct cfir_err *err)
{
	memset(b, 0, sizeof(*b));
	if (vlen < BUCKET_HDR)
		return cfir_err_set(err, EX_DATAERR, 0, "bbolt: a bucket of %zu bytes", vlen);
	b->root = le64(val);
	if (b->root != 0)
		return 0;
	if (vlen - BUCKET_HDR < PAGE_HDR)
		return cfir_err_set(err, EX_DATAERR, 0, "bbolt: an inline bucket of %zu bytes", vlen);
	b->inl_len = vlen - BUCKET_HDR;
	b->inl = malloc(b->inl_len);
	if (b->inl == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "bbolt: bucket");
	memcpy(b->inl, val + BUCKET_HDR, b->inl_len);
	return 0;
}

/* B's first page: read from the file, or its inline leaf (borrowed). */
static int
bucket_page(struct cfir_bbolt *db, const struct cfir_bbolt_bucket *b, struct page *p,
	    struct cfir_err *err)
{
	if (b->root != 0)
		return page_read(db, b->root, p, err);
	memset(p, 0, sizeof(*p));
	if (db->budget == 0)
		return cfir_err_set(err, EX_DATAERR, 0, "bbolt: too many pages visited (a cycle?)");
	db->budget--;
	if (b->inl == NULL || b->inl_len < PAGE_HDR)
		return cfir_err_set(err, EX_DATAERR, 0, "bbolt: an empty inline bucket");
	p->buf = b->inl;
	p->len = b->inl_len;
	p->flags = le16(b->inl + 8);
	p->count = le16(b->inl + 10);
	if (!(p->flags & F_LEAF))
		return cfir_err_set(err, EX_DATAERR, 0, "bbolt: an inline bucket that is not a leaf");
	if (PAGE_HDR + (size_t)p->count * ELEM_SIZE > p->len)
		return cfir_err_set(err, EX_DATAERR, 0, "bbolt: an inline bucket of %u elements past its end",
				    p->count);
	return 0;
}

static int
page_kind(const struct page *p, struct cfir_err *err)
{
	if ((p->flags & (F_BRANCH | F_LEAF)) == F_BRANCH || (p->flags & (F_BRANCH | F_LEAF)) == F_LEAF)
		return 0;
	return cfir_err_set(err, EX_DATAERR, 0, "bbolt: a page of flags %#x in a tree", p->flags);
}

static int walk(struct cfir_bbolt *db, struct page *p, unsigned depth, cfir_bbolt_fn fn, void *ctx,
		struct cfir_err *err);

/* P's children, their ids copied out so that P is freed before they are read. */
static int
walk_branch(struct cfir_bbolt *db, struct page *p, unsigned depth, cfir_bbolt_fn fn, void *ctx,
	    struct cfir_err *err)
{
	cleanup_free uint64_t *kids = malloc(((size_t)p->count + 1) * sizeof(*kids));
	unsigned i, n = p->count;
	struct page c;
	struct elem e;
	int rc;

	if (kids == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "bbolt: branch");
	for (i = 0; i < n; i++) {
		if (page_elem(p, i, &e, err) < 0)
			return -1;
		kids[i] = e.pgid;
	}
	page_free(p);
	for (i = 0; i < n; i++) {
		if (page_read(db, kids[i], &c, err) < 0)
			return -1;
		rc = walk(db, &c, depth + 1, fn, ctx, err);
		page_free(&c);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int
walk(struct cfir_bbolt *db, struct page *p, unsigned depth, cfir_bbolt_fn fn, void *ctx,
     struct cfir_err *err)
{
	struct elem e;
	unsigned i;
	int rc;

	if (depth > CFIR_BBOLT_DEPTH_MAX)
		return cfir_err_set(err, EX_DATAERR, 0, "bbolt: a tree deeper than %d", CFIR_BBOLT_DEPTH_MAX);
	if (page_kind(p, err) < 0)
		return -1;
	if (p->flags & F_BRANCH)
		return walk_branch(db, p, depth, fn, ctx, err);
	for (i = 0; i < p->count; i++) {
		if (page_elem(p, i, &e, err) < 0)
			return -1;
		rc = fn(ctx, e.key, e.klen, e.val, e.vlen, (e.flags & E_BUCKET) != 0, err);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
cfir_bbolt_each(struct cfir_bbolt *db, const struct cfir_bbolt_bucket *b, cfir_bbolt_fn fn,
		void *ctx, struct cfir_err *err)
{
	struct page p;
	int rc;

	if (bucket_page(db, b, &p, err) < 0)
		return -1;
	rc = walk(db, &p, 0, fn, ctx, err);
	page_free(&p);
	return rc;
}

/* In a branch: the child whose range holds KEY (the last key at or below it, else the first). */
static int
branch_child(const struct page *p, const unsigned char *key, size_t klen, uint64_t *child,
	     struct cfir_err *err)
{
	struct elem e;
	unsigned i;

	if (p->count == 0)
		return cfir_err_set(err, EX_DATAERR, 0, "bbolt: an empty branch page");
	for (i = 0; i < p->count; i++) {
		if (page_elem(p, i, &e, err) < 0)
			return -1;
		if (i > 0 && keycmp(e.key, e.klen, key, klen) > 0)
			break;
		*child = e.pgid;
	}
	return 0;
}

/*
 * KEY in B: found (0) with FOUND called on its element, absent (1) or -1.
 * The descent is bounded in depth; each page read counts against the budget.
 */
static int
find(struct cfir_bbolt *db, const struct cfir_bbolt_bucket *b, const unsigned char *key, size_t klen,
     int (*found)(void *ctx, const struct elem *e, struct cfir_err *err), void *ctx,
     struct cfir_err *err)
{
	struct page p;
	struct elem e;
	uint64_t child = 0;
	unsigned depth, i;
	int rc = 1;

	if (bucket_page(db, b, &p, err) < 0)
		return -1;
	for (depth = 0;; depth++) {
		if (depth > CFIR_BBOLT_DEPTH_MAX) {
			page_free(&p);
			return cfir_err_set(err, EX_DATAERR, 0, "bbolt: a tree deeper than %d",
					    CFIR_BBOLT_DEPTH_MAX);
		}
		if (page_kind(&p, err) < 0 || ((p.flags & F_BRANCH) && branch_child(&p, key, klen, &child, err) < 0)) {
			page_free(&p);
			return -1;
		}
		if (p.flags & F_LEAF)
			break;
		page_free(&p);
		if (page_read(db, child, &p, err) < 0)
			return -1;
	}
	for (i = 0; i < p.count && rc == 1; i++) {
		if (page_elem(&p, i, &e, err) < 0)
			rc = -1;
		else if (keycmp(e.key, e.klen, key, klen) == 0)
			rc = found(ctx, &e, err);
	}
	page_free(&p);
	return rc;
}

struct found {
	const char *what;
	bool bucket;		/* a bucket is wanted, else a value */
	size_t max;
	struct cfir_bbolt_bucket *b;
	unsigned char *val;
	size_t len;
};

static int
found_one(void *ctx, const struct elem *e, struct cfir_err *err)
{
	struct found *f = ctx;

	if (f->bucket != ((e->flags & E_BUCKET) != 0))
		return cfir_err_set(err, EX_DATAERR, 0, "bbolt: '%s' is %s", f->what,
				    f->bucket ? "a value, not a bucket" : "a bucket, not a value");
	if (f->bucket)
		return cfir_bbolt_bucket_value(e->val, e->vlen, f->b, err) < 0 ? -1 : 0;
	if (e->vlen > f->max)
		return cfir_err_set(err, EX_DATAERR, EFBIG, "bbolt: '%s' is larger than %zu bytes", f->what,
				    f->max);
	f->val = malloc(e->vlen + 1);
	if (f->val == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "bbolt: '%s'", f->what);
	memcpy(f->val, e->val, e->vlen);
	f->val[e->vlen] = '\0';
	f->len = e->vlen;
	return 0;
}

int
cfir_bbolt_child(struct cfir_bbolt *db, const struct cfir_bbolt_bucket *parent,
		 const unsigned char *name, size_t nlen, struct cfir_bbolt_bucket *b,
		 struct cfir_err *err)
{
	struct found f = { .what = "bucket", .bucket = true, .b = b };
	int rc;

	memset(b, 0, sizeof(*b));
	rc = find(db, parent, name, nlen, found_one, &f, err);
	if (rc == 1)
		return cfir_err_set(err, EX_NOINPUT, 0, "bbolt: no such bucket '%.*s'",
				    (int)(nlen > 128 ? 128 : nlen), (const char *)name);
	return rc;
}

int
cfir_bbolt_bucket(struct cfir_bbolt *db, const char *const *names, size_t n,
		  struct cfir_bbolt_bucket *b, struct cfir_err *err)
{
	struct cfir_bbolt_bucket cur = { .root = db->root }, next;
	size_t i;

	memset(b, 0, sizeof(*b));
	for (i = 0; i < n; i++) {
		if (cfir_bbolt_child(db, &cur, (const unsigned char *)names[i], strlen(names[i]), &next, err) < 0) {
			cfir_bbolt_bucket_free(&cur);
			return -1;
		}
		cfir_bbolt_bucket_free(&cur);
		cur = next;
	}
	*b = cur;
	return 0;
}

int
cfir_bbolt_get(struct cfir_bbolt *db, const struct cfir_bbolt_bucket *b, const char *key,
	       size_t max, unsigned char **val, size_t *len, struct cfir_err *err)
{
	struct found f = { .what = key, .max = max };
	int rc;

	*val = NULL;
	*len = 0;
	rc = find(db, b, (const unsigned char *)key, strlen(key), found_one, &f, err);
	if (rc == 1)
		return cfir_err_set(err, EX_NOINPUT, 0, "bbolt: no key '%s'", key);
	if (rc < 0)
		return -1;
	*val = f.val;
	*len = f.len;
	return 0;
}
