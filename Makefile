# cfir - container incident response
# Plain GNU make. CFLAGS and LDFLAGS are yours; the project's go in CFIR_*.

VERSION = 0.1.0

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASH_COMPDIR ?= $(PREFIX)/share/bash-completion/completions
DESTDIR ?=

CC ?= cc
CFLAGS ?= -O2 -g
LDFLAGS ?=
PKG_CONFIG ?= pkg-config
B ?= build

PKGS = libcurl libcjson libarchive libpcap libmagic libcrypto
# Only their headers for libcurl, libarchive, libpcap and libmagic: cfir
# loads each (dlopen) when it is first called (common/engine.c, common/dl.c),
# so that a command does not start the libraries it does not use
LINK_PKGS = $(filter-out libcurl libarchive libpcap libmagic,$(PKGS))
WARN = -Wall -Wextra -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
       -Wvla -Wwrite-strings -fno-common -Wshadow -Wno-missing-field-initializers
ifneq ($(CI),)
WARN += -Werror
endif

CFIR_CFLAGS = -std=gnu11 -pthread -I. -D_GNU_SOURCE -DCFIR_VERSION='"$(VERSION)"' $(WARN) \
	      $(shell $(PKG_CONFIG) --cflags $(PKGS)) $(EXTRA_CFLAGS)
CFIR_LDLIBS = -pthread -Wl,--as-needed $(shell $(PKG_CONFIG) --libs $(LINK_PKGS)) -ldl $(EXTRA_LDFLAGS)

LIB_SRC = $(wildcard common/*.c)
TOOL_SRC = $(wildcard tools/*.c)
UNIT_SRC = $(wildcard tests/unit/*.c)
FUZZ_SRC = $(filter-out tests/fuzz/replay.c,$(wildcard tests/fuzz/*.c))

LIB_OBJ = $(LIB_SRC:%.c=$(B)/%.o)
TOOL_OBJ = $(TOOL_SRC:%.c=$(B)/%.o)
UNIT_OBJ = $(UNIT_SRC:%.c=$(B)/%.o)
FUZZ_REPLAY = $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/%-replay)

LIBCFIR = $(B)/libcfir.a
CFIR = $(B)/cfir
UNIT = $(B)/unit

all: $(CFIR)

$(B)/%.o: %.c $(wildcard common/*.h tools/*.h tests/unit/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFIR_CFLAGS) $(CFLAGS) -c -o $@ $<

$(LIBCFIR): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(CFIR): $(TOOL_OBJ) $(LIBCFIR)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(TOOL_OBJ) $(LIBCFIR) $(CFIR_LDLIBS)

$(UNIT): $(UNIT_OBJ) $(LIBCFIR)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(UNIT_OBJ) $(LIBCFIR) $(CFIR_LDLIBS)

# Each fuzz target also builds with a main() that replays files: the corpus
# runs in 'make check' as a regression test, libFuzzer runs in 'make fuzz'.
$(B)/fuzz/%-replay: tests/fuzz/%.c tests/fuzz/replay.c $(LIBCFIR)
	@mkdir -p $(@D)
	$(CC) $(CFIR_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/replay.c $(LIBCFIR) $(CFIR_LDLIBS)

# check and demo work on a fresh Debian 12 machine as root: setup installs
# what is missing and starts dockerd, then a new make sees the libraries.
SETUP = if [ "$$(id -u)" = 0 ]; then sh tests/setup.sh; fi

check:
	@$(SETUP)
	@$(MAKE) --no-print-directory check-run

check-run: $(CFIR) $(UNIT) $(FUZZ_REPLAY)
	@CFIR=$(abspath $(CFIR)) UNIT=$(abspath $(UNIT)) FUZZ_BIN=$(abspath $(B)/fuzz) \
		sh tests/run

unit: $(UNIT)
	$(UNIT)

e2e: $(CFIR)
	CFIR=$(abspath $(CFIR)) sh tests/run e2e

asan:
	@$(SETUP)
	@$(MAKE) --no-print-directory B=build/asan CFLAGS='-O1 -g' \
		EXTRA_CFLAGS='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined' \
		EXTRA_LDFLAGS='-fsanitize=address,undefined' check-run

# The threads (the engine's reader, the index's libmagic worker) under
# ThreadSanitizer: the unit suite, which drives both without a daemon.
tsan:
	@$(MAKE) --no-print-directory B=build/tsan CFLAGS='-O1 -g' \
		EXTRA_CFLAGS='-fsanitize=thread' EXTRA_LDFLAGS='-fsanitize=thread' build/tsan/unit
	@TSAN_OPTIONS=halt_on_error=1 build/tsan/unit

FUZZ_TIME ?= 30
fuzz: $(FUZZ_SRC)
	@mkdir -p $(B)/libfuzzer
	@set -e; for f in $(FUZZ_SRC:tests/fuzz/%.c=%); do \
		clang $(CFIR_CFLAGS) -Wno-unused-command-line-argument -g -O1 \
			-fsanitize=fuzzer,address,undefined -o $(B)/libfuzzer/$$f \
			tests/fuzz/$$f.c $(LIB_SRC) $(CFIR_LDLIBS); \
		mkdir -p $(B)/libfuzzer/corpus-$$f; \
		echo "fuzz: $$f for $(FUZZ_TIME)s"; \
		$(B)/libfuzzer/$$f -max_total_time=$(FUZZ_TIME) -max_len=65536 \
			$(B)/libfuzzer/corpus-$$f tests/fuzz/corpus/$$f; \
	done

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--inline-suppr -I. -D_GNU_SOURCE -DCFIR_VERSION='"$(VERSION)"' \
		-D'cJSON_ArrayForEach(e,a)=for(e=(a)?(a)->child:NULL;e;e=e->next)' common tools
	@set -e; for f in tests/run tests/e2e/*.sh tests/bench/*.sh tests/lib/*.sh tests/lib/k8s2docker packaging/image.sh .ci/run; do bash -n "$$f"; done

# Every benchmark (BENCH=export: one), each after the last one's writes are on disk,
# then one table of their ratios against the aims.
BENCH ?= *
bench: $(CFIR)
	@rm -f $(B)/bench.tsv
	@for b in $(filter-out tests/bench/lib.sh,$(wildcard tests/bench/$(BENCH).sh)); do \
		sync; sleep 5; \
		CFIR=$(abspath $(CFIR)) BENCH_TABLE=$(abspath $(B))/bench.tsv bash $$b || exit 1; done
	@awk -f tests/bench/table.awk $(B)/bench.tsv

demo:
	@$(SETUP)
	@$(MAKE) --no-print-directory demo-run

demo-run: $(CFIR)
	@CFIR=$(abspath $(CFIR)) sh tests/demo.sh

# share/doc/report.png, the README's picture: the demo bag's report in chromium
screenshot: $(CFIR)
	@$(SETUP)
	@CFIR=$(abspath $(CFIR)) DEMO_BAG=$(abspath $(B))/demo-bag sh tests/demo.sh >/dev/null
	@sh tests/screenshot.sh $(B)/demo-bag/cfir-demo-report.html share/doc/report.png

# cfir:VERSION and cfir:latest, an OCI image made by docker import of a root
# holding cfir and what it links: no registry, no base image.
image: $(CFIR)
	sh packaging/image.sh $(CFIR) cfir:$(VERSION) cfir:latest

install: $(CFIR)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASH_COMPDIR)
	install -m 0755 $(CFIR) $(DESTDIR)$(BINDIR)/cfir
	install -m 0644 share/man/man1/cfir.1 $(DESTDIR)$(MANDIR)/man1/cfir.1
	install -m 0644 share/bash-completion/completions/cfir $(DESTDIR)$(BASH_COMPDIR)/cfir

# build/cfir_VERSION_ARCH.deb: dpkg-deb from a staging tree (packaging/deb.sh)
deb: $(CFIR)
	@sh packaging/deb.sh $(VERSION) $(CFIR) $(B)

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/cfir $(DESTDIR)$(MANDIR)/man1/cfir.1 \
		$(DESTDIR)$(BASH_COMPDIR)/cfir

clean:
	rm -rf build

help:
	@echo 'targets:'
	@echo '  all        build $(CFIR)'
	@echo '  check      unit, fuzz-corpus and end-to-end tests (needs root and dockerd)'
	@echo '  unit       unit tests only (no daemon)'
	@echo '  e2e        end-to-end tests only'
	@echo '  asan       check under AddressSanitizer and UBSan (build/asan)'
	@echo '  deb        a Debian package, $(B)/cfir_$(VERSION)_ARCH.deb'
	@echo '  tsan       unit tests under ThreadSanitizer (build/tsan)'
	@echo '  fuzz       libFuzzer on every parser of hostile input (FUZZ_TIME=$(FUZZ_TIME)s each)'
	@echo '  lint       cppcheck and bash -n of every script'
	@echo '  bench      benchmarks against what a responder would run otherwise'
	@echo '  demo       a suspicious container, collected into a bag and verified'
	@echo '  screenshot share/doc/report.png: the demo bag report in chromium'
	@echo '  image      cfir:$(VERSION) and cfir:latest, docker import of cfir and its libraries'
	@echo '  install    to $$(DESTDIR)$$(PREFIX): binary, man page, bash completion'
	@echo '  uninstall  remove what install put there'
	@echo '  clean      remove build/'

.PHONY: all check check-run unit e2e asan tsan fuzz lint bench demo demo-run screenshot image install uninstall clean help
