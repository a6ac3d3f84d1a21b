/* dl.c - libarchive, libpcap and libmagic, loaded when first called
 *
 * With what they link (libxml2 and ICU, libstdc++, dbus, systemd, gcrypt)
 * they were half of every command's start-up in the dynamic loader, and
 * most commands call none of them: verify of a directory, ps, sockets,
 * hunt, inspect, pause. cfir calls them by their own names; each name is
 * defined here as a function that loads its library once (dlopen) and calls
 * the library's function through a pointer resolved then. The library's
 * header declares each one, so the compiler checks every signature.
 *
 * A constructor (archive_read_new, archive_write_new, archive_entry_new,
 * pcap_create, pcap_open_dead..., magic_open) returns NULL when its library
 * cannot be loaded, libpcap's with the loader's words in its error buffer;
 * every other function takes what a constructor returned, so it is never
 * reached without its library (if it is, cfir aborts, as libarchive does on
 * a handle that is not one). libcurl is the engine's own (engine.c).
 *
 * A function of these libraries that cfir starts to call is added to its
 * list here: until it is, the link fails on it (nothing else defines it).
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>
#include <magic.h>
#include <pcap/pcap.h>

#include "common/dl.h"
#include "common/err.h"

/* Each library's functions that cfir calls, as its header declares them. */
#define ARCHIVE_FNS(F, V, C, E) \
	F(struct archive_entry *, archive_entry_clear, (struct archive_entry *a), (a)) \
	V(archive_entry_copy_hardlink, (struct archive_entry *a, const char *b), (a, b)) \
	V(archive_entry_copy_pathname, (struct archive_entry *a, const char *b), (a, b)) \
	V(archive_entry_copy_stat, (struct archive_entry *a, const struct stat *b), (a, b)) \
	V(archive_entry_copy_symlink, (struct archive_entry *a, const char *b), (a, b)) \
	F(mode_t, archive_entry_filetype, (struct archive_entry *a), (a)) \
	V(archive_entry_free, (struct archive_entry *a), (a)) \
	F(la_int64_t, archive_entry_gid, (struct archive_entry *a), (a)) \
	F(const char *, archive_entry_hardlink, (struct archive_entry *a), (a)) \
	F(mode_t, archive_entry_mode, (struct archive_entry *a), (a)) \
	F(time_t, archive_entry_mtime, (struct archive_entry *a), (a)) \
	F(long, archive_entry_mtime_nsec, (struct archive_entry *a), (a)) \
	C(struct archive_entry *, archive_entry_new, (void), ()) \
	F(const char *, archive_entry_pathname, (struct archive_entry *a), (a)) \
	F(mode_t, archive_entry_perm, (struct archive_entry *a), (a)) \
	F(dev_t, archive_entry_rdevmajor, (struct archive_entry *a), (a)) \
	F(dev_t, archive_entry_rdevminor, (struct archive_entry *a), (a)) \
	V(archive_entry_set_filetype, (struct archive_entry *a, unsigned int b), (a, b)) \
	V(archive_entry_set_gid, (struct archive_entry *a, la_int64_t b), (a, b)) \
	V(archive_entry_set_mtime, (struct archive_entry *a, time_t b, long c), (a, b, c)) \
	V(archive_entry_set_pathname, (struct archive_entry *a, const char *b), (a, b)) \
	V(archive_entry_set_perm, (struct archive_entry *a, mode_t b), (a, b)) \
	V(archive_entry_set_rdev, (struct archive_entry *a, dev_t b), (a, b)) \
	V(archive_entry_set_rdevmajor, (struct archive_entry *a, dev_t b), (a, b)) \
	V(archive_entry_set_rdevminor, (struct archive_entry *a, dev_t b), (a, b)) \
	V(archive_entry_set_size, (struct archive_entry *a, la_int64_t b), (a, b)) \
	V(archive_entry_set_uid, (struct archive_entry *a, la_int64_t b), (a, b)) \
	F(la_int64_t, archive_entry_size, (struct archive_entry *a), (a)) \
	F(int, archive_entry_size_is_set, (struct archive_entry *a), (a)) \
	V(archive_entry_sparse_add_entry, (struct archive_entry *a, la_int64_t b, la_int64_t c), (a, b, c)) \
	F(int, archive_entry_sparse_next, (struct archive_entry *a, la_int64_t *b, la_int64_t *c), (a, b, c)) \
	F(int, archive_entry_sparse_reset, (struct archive_entry *a), (a)) \
	F(const char *, archive_entry_symlink, (struct archive_entry *a), (a)) \
	F(la_int64_t, archive_entry_uid, (struct archive_entry *a), (a)) \
	V(archive_entry_xattr_add_entry, (struct archive_entry *a, const char *b, const void *c, size_t d), (a, b, c, d)) \
	F(int, archive_entry_xattr_next, (struct archive_entry *a, const char * *b, const void * *c, size_t *d), (a, b, c, d)) \
	F(int, archive_entry_xattr_reset, (struct archive_entry *a), (a)) \
	F(const char *, archive_error_string, (struct archive *a), (a)) \
	F(int, archive_read_data_block, (struct archive *a, const void * *b, size_t *c, la_int64_t *d), (a, b, c, d)) \
	F(la_ssize_t, archive_read_data, (struct archive *a, void *b, size_t c), (a, b, c)) \
	F(int, archive_read_free, (struct archive *a), (a)) \
	F(la_int64_t, archive_read_header_position, (struct archive *a), (a)) \
	C(struct archive *, archive_read_new, (void), ()) \
	F(int, archive_read_next_header, (struct archive *a, struct archive_entry * *b), (a, b)) \
	F(int, archive_read_open, (struct archive *a, void *b, archive_open_callback *c, archive_read_callback *d, archive_close_callback *e), (a, b, c, d, e)) \
	F(int, archive_read_open_filename, (struct archive *a, const char *b, size_t c), (a, b, c)) \
	F(int, archive_read_open_memory, (struct archive *a, const void *b, size_t c), (a, b, c)) \
	F(int, archive_read_support_format_tar, (struct archive *a), (a)) \
	F(int, archive_write_add_filter_gzip, (struct archive *a), (a)) \
	F(int, archive_write_add_filter_zstd, (struct archive *a), (a)) \
	F(int, archive_write_close, (struct archive *a), (a)) \
	F(la_ssize_t, archive_write_data, (struct archive *a, const void *b, size_t c), (a, b, c)) \
	F(int, archive_write_finish_entry, (struct archive *a), (a)) \
	F(int, archive_write_free, (struct archive *a), (a)) \
	F(int, archive_write_header, (struct archive *a, struct archive_entry *b), (a, b)) \
	C(struct archive *, archive_write_new, (void), ()) \
	F(int, archive_write_open2, (struct archive *a, void *b, archive_open_callback *c, archive_write_callback *d, archive_close_callback *e, archive_free_callback *f), (a, b, c, d, e, f)) \
	F(int, archive_write_open_filename, (struct archive *a, const char *b), (a, b)) \
	F(int, archive_write_open_memory, (struct archive *a, void *b, size_t c, size_t *d), (a, b, c, d)) \
	F(int, archive_write_set_bytes_in_last_block, (struct archive *a, int b), (a, b)) \
	F(int, archive_write_set_bytes_per_block, (struct archive *a, int b), (a, b)) \
	F(int, archive_write_set_format_mtree, (struct archive *a), (a)) \
	F(int, archive_write_set_format_pax, (struct archive *a), (a)) \
	F(int, archive_write_set_format_pax_restricted, (struct archive *a), (a)) \
	F(int, archive_write_set_format_raw, (struct archive *a), (a)) \
	F(int, archive_write_set_options, (struct archive *a, const char *b), (a, b))

#define PCAP_FNS(F, V, C, E) \
	F(int, pcap_activate, (pcap_t *a), (a)) \
	V(pcap_breakloop, (pcap_t *a), (a)) \
	V(pcap_close, (pcap_t *a), (a)) \
	F(int, pcap_compile, (pcap_t *a, struct bpf_program *b, const char *c, int d, bpf_u_int32 e), (a, b, c, d, e)) \
	E(pcap_t *, pcap_create, (const char *a, char *b), (a, b), b) \
	F(int, pcap_datalink, (pcap_t *a), (a)) \
	C(const char *, pcap_datalink_val_to_name, (int a), (a)) \
	F(int, pcap_dispatch, (pcap_t *a, int b, pcap_handler c, u_char *d), (a, b, c, d)) \
	V(pcap_dump, (u_char *a, const struct pcap_pkthdr *b, const u_char *c), (a, b, c)) \
	V(pcap_dump_close, (pcap_dumper_t *a), (a)) \
	F(pcap_dumper_t *, pcap_dump_open, (pcap_t *a, const char *b), (a, b)) \
	E(pcap_t *, pcap_fopen_offline_with_tstamp_precision, (FILE *a, u_int b, char *c), (a, b, c), c) \
	V(pcap_freecode, (struct bpf_program *a), (a)) \
	F(int, pcap_get_selectable_fd, (pcap_t *a), (a)) \
	F(char *, pcap_geterr, (pcap_t *a), (a)) \
	F(int, pcap_next_ex, (pcap_t *a, struct pcap_pkthdr * *b, const u_char * *c), (a, b, c)) \
	C(pcap_t *, pcap_open_dead_with_tstamp_precision, (int a, int b, u_int c), (a, b, c)) \
	F(int, pcap_set_buffer_size, (pcap_t *a, int b), (a, b)) \
	F(int, pcap_set_promisc, (pcap_t *a, int b), (a, b)) \
	F(int, pcap_set_snaplen, (pcap_t *a, int b), (a, b)) \
	F(int, pcap_set_timeout, (pcap_t *a, int b), (a, b)) \
	F(int, pcap_set_tstamp_precision, (pcap_t *a, int b), (a, b)) \
	F(int, pcap_setfilter, (pcap_t *a, struct bpf_program *b), (a, b)) \
	F(int, pcap_setnonblock, (pcap_t *a, int b, char *c), (a, b, c)) \
	F(int, pcap_stats, (pcap_t *a, struct pcap_stat *b), (a, b)) \
	F(const char *, pcap_statustostr, (int a), (a))

#define MAGIC_FNS(F, V, C, E) \
	F(const char *, magic_buffer, (magic_t a, const void *b, size_t c), (a, b, c)) \
	V(magic_close, (magic_t a), (a)) \
	F(const char *, magic_error, (magic_t a), (a)) \
	C(const char *, magic_getpath, (const char *a, int b), (a, b)) \
	F(int, magic_load, (magic_t a, const char *b), (a, b)) \
	F(int, magic_load_buffers, (magic_t a, void **b, size_t *c, size_t d), (a, b, c, d)) \
	C(magic_t, magic_open, (int a), (a)) \
	F(int, magic_setflags, (magic_t a, int b), (a, b))


struct lib {
	const char *soname;
	const struct cfir_dl_sym *syms;
	size_t n;
	pthread_once_t once;
	bool ok;
	char why[256];
};

#define PTR_F(ret, name, params, args) ret (*name) params;
#define PTR_V(name, params, args) void (*name) params;
#define PTR_E(ret, name, params, args, ebuf) ret (*name) params;

static struct {
	ARCHIVE_FNS(PTR_F, PTR_V, PTR_F, PTR_E)
	void (*archive_set_error)(struct archive *a, int err, const char *fmt, ...);
	PCAP_FNS(PTR_F, PTR_V, PTR_F, PTR_E)
	MAGIC_FNS(PTR_F, PTR_V, PTR_F, PTR_E)
} fn;

#define SYM_F(ret, name, params, args) { #name, (void **)&fn.name },
#define SYM_V(name, params, args) { #name, (void **)&fn.name },
#define SYM_E(ret, name, params, args, ebuf) { #name, (void **)&fn.name },

static const struct cfir_dl_sym archive_syms[] = {
	ARCHIVE_FNS(SYM_F, SYM_V, SYM_F, SYM_E)
	{ "archive_set_error", (void **)&fn.archive_set_error },
};
static const struct cfir_dl_sym pcap_syms[] = { PCAP_FNS(SYM_F, SYM_V, SYM_F, SYM_E) };
static const struct cfir_dl_sym magic_syms[] = { MAGIC_FNS(SYM_F, SYM_V, SYM_F, SYM_E) };

#define LIB(soname, syms) { soname, syms, sizeof(syms) / sizeof(syms[0]), PTHREAD_ONCE_INIT, false, "" }

static struct lib archive_lib = LIB("libarchive.so.13", archive_syms);
static struct lib pcap_lib = LIB("libpcap.so.0.8", pcap_syms);
static struct lib magic_lib = LIB("libmagic.so.1", magic_syms);

bool
cfir_dl_open(const char *soname, const struct cfir_dl_sym *syms, size_t n, char *why, size_t whylen)
{
	void *h = dlopen(soname, RTLD_LAZY | RTLD_LOCAL);
	const char *e;
	size_t i;

	if (h == NULL) {
		e = dlerror();
		snprintf(why, whylen, "%s", e ? e : soname);
		return false;
	}
	for (i = 0; i < n; i++) {
		*syms[i].slot = dlsym(h, syms[i].name);
		if (*syms[i].slot == NULL) {
			snprintf(why, whylen, "%s has no %s", soname, syms[i].name);
			return false;
		}
	}
	return true;	/* h stays open: the functions are used to the end */
}

static void
load(struct lib *l)
{
	l->ok = cfir_dl_open(l->soname, l->syms, l->n, l->why, sizeof(l->why));
}

static void load_archive(void) { load(&archive_lib); }
static void load_pcap(void) { load(&pcap_lib); }
static void load_magic(void) { load(&magic_lib); }

static bool
ready(struct lib *l, void (*once)(void))
{
	pthread_once(&l->once, once);
	return l->ok;
}

#define READY_archive ready(&archive_lib, load_archive)
#define READY_pcap ready(&pcap_lib, load_pcap)
#define READY_magic ready(&magic_lib, load_magic)

/* a function of a handle: a constructor loaded its library */
#define NEED(lib) do { if (!READY_##lib) abort(); } while (0)

#define DEF_F(lib, ret, name, params, args) \
	ret name params { NEED(lib); return fn.name args; }
#define DEF_V(lib, name, params, args) \
	void name params { NEED(lib); fn.name args; }
#define DEF_C(lib, ret, name, params, args) \
	ret name params \
	{ \
		if (READY_##lib) \
			return fn.name args; \
		errno = ELIBACC; \
		return NULL; \
	}
#define DEF_E(lib, ret, name, params, args, ebuf) \
	ret name params \
	{ \
		if (READY_##lib) \
			return fn.name args; \
		snprintf(ebuf, PCAP_ERRBUF_SIZE, "%s", lib##_lib.why); \
		errno = ELIBACC; \
		return NULL; \
	}

#define ARCHIVE_F(ret, name, params, args) DEF_F(archive, ret, name, params, args)
#define ARCHIVE_V(name, params, args) DEF_V(archive, name, params, args)
#define ARCHIVE_C(ret, name, params, args) DEF_C(archive, ret, name, params, args)
#define PCAP_F(ret, name, params, args) DEF_F(pcap, ret, name, params, args)
#define PCAP_V(name, params, args) DEF_V(pcap, name, params, args)
#define PCAP_C(ret, name, params, args) DEF_C(pcap, ret, name, params, args)
#define PCAP_E(ret, name, params, args, ebuf) DEF_E(pcap, ret, name, params, args, ebuf)
#define MAGIC_F(ret, name, params, args) DEF_F(magic, ret, name, params, args)
#define MAGIC_V(name, params, args) DEF_V(magic, name, params, args)
#define MAGIC_C(ret, name, params, args) DEF_C(magic, ret, name, params, args)

ARCHIVE_FNS(ARCHIVE_F, ARCHIVE_V, ARCHIVE_C, PCAP_E)
PCAP_FNS(PCAP_F, PCAP_V, PCAP_C, PCAP_E)
MAGIC_FNS(MAGIC_F, MAGIC_V, MAGIC_C, PCAP_E)

/* variadic: the message formatted here, handed on whole */
void
archive_set_error(struct archive *a, int err, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	NEED(archive);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fn.archive_set_error(a, err, "%s", msg);
}

int
cfir_dl_fail(struct cfir_err *err, const char *lib, const char *what)
{
	const char *why = cfir_dl_unavailable(lib);

	if (why != NULL)
		return cfir_err_set(err, EX_UNAVAILABLE, 0, "%s: %s could not be loaded: %s", what, lib, why);
	return cfir_err_set(err, EX_OSERR, ENOMEM, "%s", what);
}

const char *
cfir_dl_unavailable(const char *lib)
{
	if (strcmp(lib, "libarchive") == 0)
		return READY_archive ? NULL : archive_lib.why;
	if (strcmp(lib, "libpcap") == 0)
		return READY_pcap ? NULL : pcap_lib.why;
	if (strcmp(lib, "libmagic") == 0)
		return READY_magic ? NULL : magic_lib.why;
	return "no such library";
}
