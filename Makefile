# kvm-rootcheck top-level Makefile.
#   make demo    build the analyzer and run it on a bundled real trace
#   make check   every test that fits in CI (prints "N passed, N failed")
# Long work lives behind its own targets: kernel-build-check, vm-kernel,
# vm-test, accuracy-full, bench. See README.md.

SHELL := /bin/bash
BUILD ?= build
CC ?= gcc
PKGS := libtracecmd libtracefs libtraceevent

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS_COMMON = -std=c11 -D_GNU_SOURCE $(WARN) -g $(PKG_CFLAGS)
CFLAGS_REL = $(CFLAGS_COMMON) -O2
SANITIZE := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
CFLAGS_SAN = $(CFLAGS_COMMON) -O1 $(SANITIZE)

AN_SRCS := $(sort $(wildcard analyzer/*.c))
AN_LIB_SRCS := $(filter-out analyzer/main.c,$(AN_SRCS))
AN_HDRS := $(wildcard analyzer/*.h)

REL_OBJS := $(patsubst analyzer/%.c,$(BUILD)/rel/%.o,$(AN_SRCS))
SAN_OBJS := $(patsubst analyzer/%.c,$(BUILD)/san/%.o,$(AN_SRCS))
SAN_LIB_OBJS := $(patsubst analyzer/%.c,$(BUILD)/san/%.o,$(AN_LIB_SRCS))

ANALYZER := $(BUILD)/kvm-rootcheck
ANALYZER_SAN := $(BUILD)/san/kvm-rootcheck
DEMO_TRACE ?= tests/data/demo.dat

.PHONY: all deps deps-kernel deps-vm analyzer demo check check-analyzer clean
.DEFAULT_GOAL := all

all: analyzer

deps:
	@scripts/deps.sh build

deps-kernel:
	@scripts/deps.sh build kernel

deps-vm:
	@scripts/deps.sh build kernel vm

analyzer: $(ANALYZER)

$(BUILD)/rel/%.o: analyzer/%.c $(AN_HDRS) | deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_REL) -c -o $@ $<

$(BUILD)/san/%.o: analyzer/%.c $(AN_HDRS) | deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_SAN) -c -o $@ $<

$(ANALYZER): $(REL_OBJS)
	$(CC) $(CFLAGS_REL) -o $@ $^ $(PKG_LIBS)

$(ANALYZER_SAN): $(SAN_OBJS)
	$(CC) $(CFLAGS_SAN) -o $@ $^ $(PKG_LIBS)

DEMO_BUG_TRACE ?= tests/data/6.12-inject-v3-invalidate.dat

# A clean real 6.12 run (rootstress), then a real run of a kernel with a
# v3-style invalidation injected (kernel-patches/inject/).
demo: $(ANALYZER)
	@echo "== kvm-rootcheck $(DEMO_TRACE)"
	@$(ANALYZER) $(DEMO_TRACE); rc=$$?; echo "(exit $$rc)"; [ $$rc -eq 0 ]
	@echo
	@echo "== kvm-rootcheck $(DEMO_BUG_TRACE)   (injected kernel bug)"
	@$(ANALYZER) $(DEMO_BUG_TRACE); rc=$$?; echo "(exit $$rc)"; [ $$rc -eq 1 ]

# Unit tests: one binary per tests/unit/*.c, linked with the sanitized
# analyzer objects (everything but main.c).
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/san/tests/%,$(UNIT_SRCS))

$(BUILD)/san/tests/%: tests/unit/%.c tests/unit/tap.h $(SAN_LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_SAN) -Ianalyzer -o $@ $< $(SAN_LIB_OBJS) $(PKG_LIBS)

check-analyzer: $(ANALYZER_SAN) $(ANALYZER) $(UNIT_BINS)
	@tests/run-analyzer-tests.sh $(BUILD)

# Area fragments add their own check-* targets to CHECKS.
CHECKS := check-analyzer
-include kernel-patches/kernel.mk
-include tests/sim/sim.mk
-include tests/vm/vm.mk

check: deps
	@tests/run-checks.sh $(CHECKS)

clean:
	rm -rf $(BUILD)

.PHONY: bench
bench: $(ANALYZER)
	@tests/bench/bench.sh $(BUILD)
