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
CPPFLAGS += -Iinclude -I$(LLHTTP_INC) -D_GNU_SOURCE
BASEFLAGS = -std=c11 $(OPT) $(HARDEN) $(SAN) -MMD -MP
CFLAGS   ?=
LDFLAGS  ?= -pie -Wl,-z,relro,-z,now
LDLIBS   += -ljansson -lcrypt

SRCS     := $(wildcard src/*.c)
OBJS     := $(SRCS:%.c=$(BUILD)/%.o)
LIB_OBJS := $(filter-out $(BUILD)/src/main.o,$(OBJS))
LL_OBJS  := $(BUILD)/llhttp/api.o $(BUILD)/llhttp/http.o $(BUILD)/llhttp/llhttp.o
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

BIN      ?= httpd
PYTHON   ?= python3

.PHONY: all run test unit integration browser docker-test asan clean deps \
        deps-build deps-fuzz help fuzz fuzz-smoke screenshot bench bench-instr robustness \
        valgrind lint layers cluster deploy-check

all: $(BIN)

$(BIN): $(OBJS) $(LL_OBJS)
	$(CC) $(BASEFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LDLIBS)

$(BUILD)/src/%.o: src/%.c
	@mkdir -p $(dir $@)
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

# --- running -----------------------------------------------------------------
run: deps-build $(BIN)
	./$(BIN) -f -v -p $(PORT) -h www

# --- tests -------------------------------------------------------------------
test: deps $(BIN) unit integration robustness browser docker-test cluster deploy-check

unit: $(UNIT_BINS)
	@fail=0; for t in $(UNIT_BINS); do echo "== $$t"; $$t || fail=1; done; exit $$fail

integration: $(BIN)
	HTTPD=$(abspath $(BIN)) $(PYTHON) tests/integration/run.py

browser: $(BIN)
	HTTPD=$(abspath $(BIN)) tests/browser/run.sh

# Skipped with a clear line where Docker cannot run (no root); CI sets 0.
DOCKER_TEST_OPTIONAL ?= 1
docker-test:
	DOCKER_TEST_OPTIONAL=$(DOCKER_TEST_OPTIONAL) tests/docker/run.sh

# docs/calcul.png, the README's picture of the calculator.
screenshot: $(BIN)
	HTTPD=$(abspath $(BIN)) tests/browser/run.sh screenshot

# Side by side with nginx, lighttpd, h2o and busybox httpd (a few minutes).
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

# cppcheck and clang-tidy on our code, and the layering check.
lint: layers
	tests/lint.sh

# Every src/ module includes only modules below it (README "Layers:").
layers:
	tests/layers.sh

# The unit and integration suites again, under ASan + UBSan.
asan:
	$(MAKE) BUILD=build/asan BIN=build/asan/httpd OPT="-O1 -g" HARDEN= \
		SAN="-fsanitize=address,undefined -fno-omit-frame-pointer \
		-fno-sanitize-recover=all" LDFLAGS= unit integration

# --- fuzzing (libFuzzer, clang) ----------------------------------------------
# Each tests/fuzz/fuzz_NAME.c runs for FUZZ_TIME seconds from the seed corpus
# tests/fuzz/corpus/NAME (copied: what the fuzzer finds stays in build/).
FUZZ_TIME ?= 60
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/%)
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

FUZZ_LL := build/fuzz/llhttp/api.o build/fuzz/llhttp/http.o build/fuzz/llhttp/llhttp.o
.SECONDARY: $(FUZZ_LL)

build/fuzz/llhttp/%.o: $(LLHTTP_SRC)/%.c
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) -std=c11 -g -O1 -fsanitize=fuzzer-no-link,address,undefined -w -c -o $@ $<

build/fuzz/%: tests/fuzz/%.c $(SRCS) $(FUZZ_LL)
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) -std=c11 $(FUZZ_FLAGS) -Wall -Wextra -Werror \
		-o $@ $< $(filter-out src/main.c,$(SRCS)) $(FUZZ_LL) $(LDLIBS)

fuzz: deps-fuzz $(FUZZ_BINS)
	@set -e; for f in $(FUZZ_BINS); do n=$${f##*/fuzz_}; \
	  mkdir -p build/fuzz/corpus/$$n; \
	  cp -n tests/fuzz/corpus/$$n/* build/fuzz/corpus/$$n/ 2>/dev/null || true; \
	  echo "== $$n ($(FUZZ_TIME) s)"; \
	  $$f -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 build/fuzz/corpus/$$n 2>&1 | tail -12; \
	  test $${PIPESTATUS[0]} -eq 0; done

fuzz-smoke:
	$(MAKE) fuzz FUZZ_TIME=30

clean:
	rm -rf build $(BIN)

# --- dependencies (Debian packages; only the missing ones) --------------------
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Node.js may come from elsewhere than Debian (with its own npm): only a
# machine without npm gets Debian's.
PKGS_NODE  := $(if $(shell command -v npm),,nodejs npm)
PKGS_BUILD := gcc make libc6-dev node-llhttp libjansson-dev libcrypt-dev
PKGS_TEST  := $(PKGS_BUILD) libcmocka-dev curl python3 busybox socat \
              chromium valgrind clang libclang-rt-14-dev cppcheck clang-tidy \
              haproxy prometheus $(PKGS_NODE)
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

deps-fuzz:
	$(call apt_install,clang libclang-rt-14-dev)

help:
	@echo "make            build ./httpd"
	@echo "make run        install what is missing, build, serve www/ on :$(PORT)"
	@echo "make test       install what is missing, run every test"
	@echo "make unit | integration | browser | docker-test | asan | robustness"
	@echo "make cluster    rolling update of 3 replicas behind haproxy (zero losses)"
	@echo "make deploy-check  validate deploy/ against the Kubernetes schemas"
	@echo "make valgrind | fuzz | fuzz-smoke | lint | layers | bench | bench-instr | screenshot"
