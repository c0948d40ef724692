# httpd: build, run, test, asan, deps. `make help` lists the targets.

ifeq ($(origin CC),default)
CC       := gcc
endif
BUILD    ?= build
PORT     ?= 8080

# llhttp is compiled from Debian's node-llhttp package (never copied here).
LLHTTP_DIR ?= /usr/share
LLHTTP_SRC ?= $(LLHTTP_DIR)/llhttp
LLHTTP_INC ?= $(LLHTTP_DIR)/include/llhttp

OPT      ?= -O2 -g
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
        deps-build help

all: $(BIN)

$(BIN): $(OBJS) $(LL_OBJS)
	$(CC) $(BASEFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/src/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(BASEFLAGS) $(WARN) $(CFLAGS) -c -o $@ $<

# Third-party code: built with our flags, but its warnings are not ours.
$(BUILD)/llhttp/%.o: $(LLHTTP_SRC)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(BASEFLAGS) -w $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJS) $(LL_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(BASEFLAGS) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $^ \
		$(LDLIBS) -lcmocka

-include $(OBJS:.o=.d) $(LL_OBJS:.o=.d) $(UNIT_BINS:=.d)

# --- running -----------------------------------------------------------------
run: deps-build $(BIN)
	./$(BIN) -f -v -p $(PORT) -h www

# --- tests -------------------------------------------------------------------
test: deps $(BIN) unit integration browser docker-test

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

integration: $(BIN)
	HTTPD=$(abspath $(BIN)) $(PYTHON) tests/integration/run.py

browser: $(BIN)
	HTTPD=$(abspath $(BIN)) tests/browser/run.sh

docker-test:
	tests/docker/run.sh

# The unit and integration suites again, under ASan + UBSan.
asan:
	$(MAKE) BUILD=build/asan BIN=build/asan/httpd OPT="-O1 -g" HARDEN= \
		SAN="-fsanitize=address,undefined -fno-omit-frame-pointer \
		-fno-sanitize-recover=all" LDFLAGS= unit integration

clean:
	rm -rf build $(BIN)

# --- dependencies (Debian packages; only the missing ones) --------------------
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PKGS_BUILD := gcc make libc6-dev node-llhttp libjansson-dev libcrypt-dev
PKGS_TEST  := $(PKGS_BUILD) libcmocka-dev curl python3 busybox socat \
              chromium nodejs npm
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

help:
	@echo "make            build ./httpd"
	@echo "make run        install what is missing, build, serve www/ on :$(PORT)"
	@echo "make test       install what is missing, run every test"
	@echo "make unit | integration | browser | docker-test | asan"
