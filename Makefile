# httpd: build, run, test, asan, deps. `make help` lists the targets.

SHELL    := /bin/bash

ifeq ($(origin CC),default)
CC       := gcc
endif
BUILD    ?= build
PORT     ?= 8080

# llhttp is compiled from Debian's node-llhttp package (never copied here).
LLHTTP_DIR ?= /usr/share
LLHTTP_SRC ?= $(LLHTTP_DIR)/llhttp
LLHTTP_INC ?= $(LLHTTP_DIR)/include/llhttp

# -flto: modules stay small and one role each; calls between them are
# inlined at link time as within one file.
OPT      ?= -O2 -g -flto=auto
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Werror
HARDEN   ?= -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
SAN      ?=
# STATIC=1: one static-pie binary, with stack-clash protection and CET as
# well: the Docker image's (on scratch), and what make bench measures.
ifeq ($(STATIC),1)
HARDEN   += -fstack-clash-protection -fcf-protection
LDFLAGS  := -static-pie -Wl,-z,relro,-z,now
endif
CPPFLAGS += -Iinclude -I$(LLHTTP_INC) -D_GNU_SOURCE
BASEFLAGS = -std=c11 $(OPT) $(HARDEN) $(SAN) -MMD -MP
CFLAGS   ?=
LDFLAGS  ?= -pie -Wl,-z,relro,-z,now
LDLIBS   += -ljansson -lcrypt

SRCS     := $(wildcard src/*.c)
# The inspector's page (--inspect), embedded: src/embed.sh makes a C file.
ASSETS   := www/_inspect/index.html www/_inspect/inspect.js www/_inspect/inspect.css
OBJS     := $(SRCS:%.c=$(BUILD)/%.o) $(BUILD)/gen/assets.o
LIB_OBJS := $(filter-out $(BUILD)/src/main.o,$(OBJS))
LL_OBJS  := $(BUILD)/llhttp/api.o $(BUILD)/llhttp/http.o $(BUILD)/llhttp/llhttp.o
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

BIN      ?= httpd
PYTHON   ?= python3

.PHONY: all programs run test check unit integration browser docker-test asan clean deps \
        deps-build deps-lint deps-fuzz help fuzz fuzz-smoke screenshot bench bench-instr \
        robustness valgrind lint layers install uninstall install-test fresh-check \
        cluster deploy-check release

all: $(BIN)

$(BIN): $(OBJS) $(LL_OBJS)
	$(CC) $(BASEFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LDLIBS)

$(BUILD)/src/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(BASEFLAGS) $(WARN) $(CFLAGS) -c -o $@ $<

$(BUILD)/gen/assets.c: $(ASSETS) src/embed.sh
	@mkdir -p $(dir $@)
	sh src/embed.sh $(ASSETS) >$@.tmp && mv $@.tmp $@

$(BUILD)/gen/assets.o: $(BUILD)/gen/assets.c
	$(CC) $(CPPFLAGS) $(BASEFLAGS) $(WARN) $(CFLAGS) -c -o $@ $<

# Third-party code: built with our flags, but its warnings are not ours.
$(BUILD)/llhttp/%.o: $(LLHTTP_SRC)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(BASEFLAGS) -w $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJS) $(LL_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(BASEFLAGS) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ \
		$(filter %.c %.o,$^) $(LDLIBS) -lcmocka

-include $(OBJS:.o=.d) $(LL_OBJS:.o=.d) $(UNIT_BINS:=.d)

# The binary we ship (the Dockerfile) and benchmark (make bench): laid out
# by a profile (gcc -fprofile-use), which packs the code a request runs
# onto fewer cache lines, about 1 % more requests per CPU (docs/performance.md,
# round 19). The profile comes from a training run in every release build:
# the server built with -fprofile-generate, loaded on 127.0.0.1 by
# bench/train.c with a fixed mix of requests. Code the mix leaves out is
# optimized as without a profile (-fprofile-partial-training).
RELEASE_BIN ?= $(BUILD)/release/httpd
PGO_DIR     := $(BUILD)/pgo
release:
	rm -rf $(PGO_DIR)
	$(MAKE) --no-print-directory BUILD=$(PGO_DIR) BIN=$(PGO_DIR)/httpd-train \
		OPT="$(OPT) -fprofile-generate -fprofile-update=single" $(PGO_DIR)/httpd-train
	$(CC) -std=c11 -O2 $(WARN) -o $(PGO_DIR)/train bench/train.c
	$(PGO_DIR)/train $(PGO_DIR)/httpd-train
	find $(PGO_DIR) -name '*.o' -delete
	@mkdir -p $(dir $(RELEASE_BIN))
	$(MAKE) --no-print-directory BUILD=$(PGO_DIR) BIN=$(RELEASE_BIN) \
		OPT="$(OPT) -fprofile-use -fprofile-partial-training -Wno-missing-profile" $(RELEASE_BIN)

# --- running -----------------------------------------------------------------
# Packages first, the build in a sub-make: make reads directories once, so a
# make that has just installed node-llhttp would not see /usr/share/llhttp
# ("No rule to make target build/llhttp/api.o" on a fresh machine).
run: deps-build
	$(MAKE) --no-print-directory $(BIN)
	./$(BIN) -f -v -p $(PORT) -h www

# --- tests -------------------------------------------------------------------
# The programs the suites run are built on every core first; the suites then
# run one after the other.
NPROC := $(shell nproc 2>/dev/null || echo 1)
programs: $(BIN) $(UNIT_BINS)

test: deps
	$(MAKE) --no-print-directory -j$(NPROC) programs
	$(MAKE) --no-print-directory check

check: $(BIN) unit integration robustness browser docker-test cluster deploy-check

unit: $(UNIT_BINS)
	@fail=0; for t in $(UNIT_BINS); do echo "== $$t"; $$t || fail=1; done; exit $$fail

integration: $(BIN)
	HTTPD=$(abspath $(BIN)) $(PYTHON) tests/integration/run.py

browser: $(BIN)
	HTTPD=$(abspath $(BIN)) tests/browser/run.sh

# Skipped with a clear line where Docker cannot run (no root); CI sets 0.
# DOCKER_TEST_SKIP=REASON skips it on purpose (make fresh-check: no Docker
# inside its root filesystem).
DOCKER_TEST_OPTIONAL ?= 1
DOCKER_TEST_SKIP ?=
docker-test:
ifneq ($(DOCKER_TEST_SKIP),)
	@echo "docker: SKIPPED: $(DOCKER_TEST_SKIP)"
else
	DOCKER_TEST_OPTIONAL=$(DOCKER_TEST_OPTIONAL) tests/docker/run.sh
endif

# Both README commands, first run, on a fresh Debian 12 root filesystem
# (debootstrap minbase, cached in build/rootfs-cache). Root needed.
fresh-check:
	tests/fresh-check.sh

# docs/calcul.png, the README's picture of the calculator.
screenshot: $(BIN)
	HTTPD=$(abspath $(BIN)) tests/browser/run.sh screenshot

# Side by side with nginx, lighttpd, h2o and busybox httpd (a few minutes);
# writes docs/benchmark.md.
bench:
	bench/run.sh

# Instructions per request in our process, by callgrind (repeatable).
bench-instr:
	bench/instructions.sh

# The rolling update behind haproxy: zero failed requests with --drain (~12 s).
cluster: $(BIN)
	HTTPD=$(abspath $(BIN)) $(PYTHON) tests/cluster/run.py

# deploy/ against the Kubernetes schemas (npm kubernetes-models) and our rules.
deploy-check:
	tests/deploy/run.sh

# Fault and load scenarios against the real binary (slowloris, slow readers,
# resets, fd exhaustion, 10,000 idle connections, long keep-alive).
robustness: $(BIN)
	HTTPD=$(abspath $(BIN)) $(PYTHON) tests/robustness/fault.py

# The integration suite with every server process under valgrind memcheck.
valgrind: $(BIN)
	HTTPD=$(abspath $(BIN)) tests/robustness/valgrind.sh

# cppcheck and clang-tidy on our code, mandoc on the man pages, the layering check.
lint: deps-lint layers
	tests/lint.sh

# Every src/ module includes only modules below it (docs/architecture.md, "Layers:").
layers:
	tests/layers.sh

# The unit and integration suites again, under ASan + UBSan.
ASAN_VARS := BUILD=build/asan BIN=build/asan/httpd OPT="-O1 -g" HARDEN= LDFLAGS= \
	SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
asan:
	$(MAKE) --no-print-directory $(ASAN_VARS) -j$(NPROC) programs
	$(MAKE) --no-print-directory $(ASAN_VARS) unit integration

# --- fuzzing (libFuzzer, clang) ----------------------------------------------
# Each tests/fuzz/fuzz_NAME.c runs for FUZZ_TIME seconds from the seed corpus
# tests/fuzz/corpus/NAME (copied: what the fuzzer finds stays in build/),
# with the dictionary tests/fuzz/NAME.dict when there is one.
FUZZ_TIME ?= 60
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/%)
FUZZ_SAN := address,undefined -fno-sanitize-recover=all
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,$(FUZZ_SAN)

# Each of our sources is compiled once, with coverage for the fuzzer
# (-fsanitize=fuzzer-no-link); every target links the same objects.
FUZZ_OBJ_FLAGS := -g -O1 -fsanitize=fuzzer-no-link,$(FUZZ_SAN)
FUZZ_OBJS := $(filter-out build/fuzz/src/main.o,$(SRCS:%.c=build/fuzz/%.o)) build/fuzz/gen/assets.o
FUZZ_LL := build/fuzz/llhttp/api.o build/fuzz/llhttp/http.o build/fuzz/llhttp/llhttp.o
.SECONDARY: $(FUZZ_LL) $(FUZZ_OBJS)

build/fuzz/llhttp/%.o: $(LLHTTP_SRC)/%.c
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) -std=c11 $(FUZZ_OBJ_FLAGS) -w -c -o $@ $<

build/fuzz/src/%.o: src/%.c
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) -std=c11 $(FUZZ_OBJ_FLAGS) -MMD -MP -Wall -Wextra -Werror -c -o $@ $<

build/fuzz/gen/assets.o: build/fuzz/gen/assets.c
	clang $(CPPFLAGS) -std=c11 $(FUZZ_OBJ_FLAGS) -Wall -Wextra -Werror -c -o $@ $<

build/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJS) $(FUZZ_LL)
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) -std=c11 $(FUZZ_FLAGS) -MMD -MP -Wall -Wextra -Werror \
		-o $@ $< $(FUZZ_OBJS) $(FUZZ_LL) $(LDLIBS)

-include $(FUZZ_OBJS:.o=.d) $(FUZZ_BINS:=.d)

build/fuzz/gen/assets.c: $(ASSETS) src/embed.sh
	@mkdir -p $(dir $@)
	sh src/embed.sh $(ASSETS) >$@

# One run per target (fuzz-run-NAME); `make -jN fuzz` runs N at once, each
# fuzzer on one core for FUZZ_TIME s, its output printed whole when it ends.
FUZZ_RUNS := $(FUZZ_BINS:build/fuzz/fuzz_%=fuzz-run-%)
.PHONY: $(FUZZ_RUNS)

fuzz: deps-fuzz $(FUZZ_BINS)
	$(MAKE) --no-print-directory --output-sync=target $(FUZZ_RUNS)

$(FUZZ_RUNS): fuzz-run-%: build/fuzz/fuzz_%
	@set -o pipefail; n=$*; mkdir -p build/fuzz/corpus/$$n; \
	  cp -n tests/fuzz/corpus/$$n/* build/fuzz/corpus/$$n/ 2>/dev/null || true; \
	  echo "== $$n ($(FUZZ_TIME) s)"; \
	  dict=; [ ! -f tests/fuzz/$$n.dict ] || dict=-dict=tests/fuzz/$$n.dict; \
	  $< -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=2048 $$dict \
	    -print_final_stats=1 build/fuzz/corpus/$$n 2>&1 | tail -12

# The targets built on every core, then run one per core, 30 s each.
fuzz-smoke:
	$(MAKE) deps-fuzz
	$(MAKE) -j$(NPROC) $(FUZZ_BINS)
	$(MAKE) -j$(NPROC) --no-print-directory --output-sync=target $(FUZZ_RUNS) FUZZ_TIME=30

clean:
	rm -rf build $(BIN)

# --- installing ----------------------------------------------------------------
# make install PREFIX=/usr/local DESTDIR=  (a server program: sbin, section 8)
PREFIX  ?= /usr/local
DESTDIR ?=
SBINDIR ?= $(PREFIX)/sbin
MANDIR  ?= $(PREFIX)/share/man

# RELEASE=1: the release build (make release) instead of ./httpd.
install: deps-build
	$(MAKE) --no-print-directory $(if $(RELEASE),release,$(BIN))
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5
	install -m 755 $(if $(RELEASE),$(RELEASE_BIN),$(BIN)) $(DESTDIR)$(SBINDIR)/httpd
	install -m 644 man/httpd.8 $(DESTDIR)$(MANDIR)/man8/httpd.8
	install -m 644 man/httpd.conf.5 $(DESTDIR)$(MANDIR)/man5/httpd.conf.5

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/httpd $(DESTDIR)$(MANDIR)/man8/httpd.8 \
		$(DESTDIR)$(MANDIR)/man5/httpd.conf.5

# install and uninstall into a temporary DESTDIR, checked file by file.
install-test: $(BIN)
	tests/install.sh

# --- dependencies (Debian packages; only the missing ones) --------------------
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Node.js may come from elsewhere than Debian (with its own npm): only a
# machine without npm gets Debian's.
PKGS_NODE  := $(if $(shell command -v npm),,nodejs npm)
PKGS_BUILD := gcc make libc6-dev node-llhttp libjansson-dev libcrypt-dev
PKGS_LINT  := cppcheck clang-tidy mandoc
PKGS_TEST  := $(PKGS_BUILD) $(PKGS_LINT) libcmocka-dev curl python3 busybox socat \
              iproute2 chromium valgrind clang libclang-rt-14-dev haproxy prometheus \
              $(PKGS_NODE)
define apt_install
	@missing=$$(for p in $(1); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' \
	  || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
endef

deps-build:
	$(call apt_install,$(PKGS_BUILD))

deps:
	$(call apt_install,$(PKGS_TEST))

deps-lint:
	$(call apt_install,$(PKGS_LINT))

deps-fuzz:
	$(call apt_install,clang libclang-rt-14-dev)

help:
	@echo "make            build ./httpd"
	@echo "make release    the profile-guided build (trained on 127.0.0.1): $(RELEASE_BIN)"
	@echo "make run        install what is missing, build, serve www/ on :$(PORT)"
	@echo "make test       install what is missing, run every test"
	@echo "make unit | integration | browser | docker-test | asan | robustness"
	@echo "make cluster    rolling update of 3 replicas behind haproxy (zero losses)"
	@echo "make deploy-check  validate deploy/ against the Kubernetes schemas"
	@echo "make valgrind | fuzz | fuzz-smoke | lint | layers | bench | bench-instr | screenshot"
	@echo "make install | uninstall   PREFIX=$(PREFIX) DESTDIR=  (binary, man pages; RELEASE=1: make release's)"
	@echo "make install-test | fresh-check (both README commands on a fresh Debian 12)"
