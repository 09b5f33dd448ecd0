# kvm-rootcheck top-level Makefile.
#   make demo    build the analyzer and run it on a bundled real trace
#   make check   every test that fits in CI (prints "N passed, N failed")
#   make install install kvm-rootcheck and its man page (PREFIX, DESTDIR)
# Long work lives behind its own targets: kernel-build-check, vm-kernel,
# vm-test, accuracy-full, bench. See README.md.
#
# Building needs a C11 compiler, pkg-config and the development files of
# libtraceevent, libtracefs and libtracecmd, nothing else: on Debian,
# `make deps` (run by `make demo` and `make check` when dpkg is there)
# installs them. The usual variables are honoured: CC, CPPFLAGS, CFLAGS,
# LDFLAGS, LDLIBS, PKG_CONFIG; WERROR=0 builds without -Werror.

SHELL := /bin/bash
BUILD ?= build
ifeq ($(origin CC),default)
CC := gcc
endif
PKG_CONFIG ?= pkg-config
WERROR ?= 1
CFLAGS ?= -g -O2
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
INSTALL ?= install

# Libraries and the oldest versions the analyzer is built and tested with
# (Debian 12). A missing or older one stops the build with its name.
PKG_MIN := libtraceevent:1.7.0 libtracefs:1.6.0 libtracecmd:1.3.0
PKGS := $(foreach p,$(PKG_MIN),$(firstword $(subst :, ,$(p))))

PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
ifeq ($(WERROR),1)
WARN += -Werror
endif
# The analyzer's own flags come first, the user's CPPFLAGS and CFLAGS after
# them (so that they win), the sanitizers last in the test build.
CFLAGS_COMMON = -std=c11 -D_GNU_SOURCE -pthread $(WARN) $(PKG_CFLAGS) $(CPPFLAGS) $(CFLAGS)
CFLAGS_REL = $(CFLAGS_COMMON)
SANITIZE := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
# the test build also checks the rules' quiet shortcut (analyzer/rules.c)
CFLAGS_SAN = $(CFLAGS_COMMON) $(SANITIZE) -DRC_RULES_SELFCHECK
LINK_LIBS = -pthread $(LDFLAGS) $(PKG_LIBS) $(LDLIBS)

AN_SRCS := $(sort $(wildcard analyzer/*.c))
AN_LIB_SRCS := $(filter-out analyzer/main.c,$(AN_SRCS))
AN_HDRS := $(wildcard analyzer/*.h)

REL_OBJS := $(patsubst analyzer/%.c,$(BUILD)/rel/%.o,$(AN_SRCS))
SAN_OBJS := $(patsubst analyzer/%.c,$(BUILD)/san/%.o,$(AN_SRCS))
SAN_LIB_OBJS := $(patsubst analyzer/%.c,$(BUILD)/san/%.o,$(AN_LIB_SRCS))

ANALYZER := $(BUILD)/kvm-rootcheck
ANALYZER_SAN := $(BUILD)/san/kvm-rootcheck
DEMO_TRACE ?= $(firstword $(wildcard tests/data/demo.dat) tests/data/v1/demo.dat)

# On Debian (dpkg-query present) the README's two commands first install
# what they need; anywhere else they build with what is there.
AUTO_DEPS := $(if $(shell command -v dpkg-query 2>/dev/null),deps)

.PHONY: all deps deps-kernel deps-vm analyzer demo check check-analyzer clean \
	install uninstall pkg-check
.DEFAULT_GOAL := all

all: analyzer

deps:
	@scripts/deps.sh build

deps-kernel:
	@scripts/deps.sh build kernel

deps-vm:
	@scripts/deps.sh build kernel vm

# The version gate: every library known to pkg-config, at its minimum
# version; otherwise one line per library that is missing or too old.
pkg-check:
	@command -v $(PKG_CONFIG) >/dev/null || \
		{ echo "kvm-rootcheck: $(PKG_CONFIG) not found: install pkg-config (Debian: make deps)" >&2; exit 1; }
	@bad=0; for pm in $(PKG_MIN); do p=$${pm%%:*} v=$${pm#*:}; \
		if ! $(PKG_CONFIG) --exists $$p 2>/dev/null; then \
			echo "kvm-rootcheck: missing $$p >= $$v (no $$p.pc for $(PKG_CONFIG); install its development files, Debian: make deps)" >&2; bad=1; \
		elif ! $(PKG_CONFIG) --atleast-version=$$v $$p; then \
			echo "kvm-rootcheck: $$p $$($(PKG_CONFIG) --modversion $$p) is too old, need >= $$v" >&2; bad=1; \
		fi; done; exit $$bad

analyzer: $(ANALYZER)

$(BUILD)/rel/%.o: analyzer/%.c $(AN_HDRS) | pkg-check
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_REL) -c -o $@ $<

$(BUILD)/san/%.o: analyzer/%.c $(AN_HDRS) | pkg-check
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_SAN) -c -o $@ $<

$(ANALYZER): $(REL_OBJS)
	$(CC) $(CFLAGS_REL) -o $@ $^ $(LINK_LIBS)

# Test-only LeakSanitizer suppressions, linked into the sanitized builds.
SAN_TEST_OBJ := $(BUILD)/san/tests/lsan.o

$(SAN_TEST_OBJ): tests/unit/lsan.c | pkg-check
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_SAN) -c -o $@ $<

$(ANALYZER_SAN): $(SAN_OBJS) $(SAN_TEST_OBJ)
	$(CC) $(CFLAGS_SAN) -o $@ $^ $(LINK_LIBS)

install: $(ANALYZER)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	$(INSTALL) -m 755 $(ANALYZER) $(DESTDIR)$(BINDIR)/kvm-rootcheck
	$(INSTALL) -m 644 analyzer/kvm-rootcheck.1 $(DESTDIR)$(MANDIR)/man1/kvm-rootcheck.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/kvm-rootcheck $(DESTDIR)$(MANDIR)/man1/kvm-rootcheck.1

DEMO_BUG_TRACE ?= $(firstword $(wildcard tests/data/6.12-inject-v3-invalidate.dat) tests/data/v1/6.12-inject-v3-invalidate.dat)

# A clean real 6.12 run (rootstress), then a real run of a kernel with a
# v3-style invalidation injected (kernel-patches/inject/).
demo: $(AUTO_DEPS)
	@$(MAKE) --no-print-directory $(ANALYZER)
	@echo "== kvm-rootcheck $(DEMO_TRACE)"
	@$(ANALYZER) $(DEMO_TRACE); rc=$$?; echo "(exit $$rc)"; [ $$rc -eq 0 ]
	@echo
	@echo "== kvm-rootcheck $(DEMO_BUG_TRACE)   (injected kernel bug)"
	@$(ANALYZER) $(DEMO_BUG_TRACE); rc=$$?; echo "(exit $$rc)"; [ $$rc -eq 1 ]

# Unit tests: one binary per tests/unit/*.c, linked with the sanitized
# analyzer objects (everything but main.c).
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/san/tests/%,$(UNIT_SRCS))

$(BUILD)/san/tests/%: tests/unit/%.c tests/unit/unit.h tests/unit/rawpages.h $(SAN_LIB_OBJS) $(SAN_TEST_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_SAN) -Ianalyzer -o $@ $< $(SAN_LIB_OBJS) $(SAN_TEST_OBJ) $(LINK_LIBS)

check-analyzer: $(ANALYZER_SAN) $(ANALYZER) $(UNIT_BINS)
	@tests/run-analyzer-tests.sh $(BUILD)

# The build itself: off Debian (no dpkg, no apt in PATH), the version gate,
# CC/CFLAGS/WERROR, make install with PREFIX and DESTDIR.
check-build:
	@tests/build/run.sh

# The layer rule (CONTRIBUTING.md): includes follow the data flow.
.PHONY: check-layers golden
check-layers:
	@tests/check-layers.sh --self-test

# Rewrite tests/cli/golden/ from the current output (review the diff).
golden: $(ANALYZER_SAN) $(ANALYZER) $(UNIT_BINS)
	@UPDATE_GOLDEN=1 tests/run-analyzer-tests.sh $(BUILD) >/dev/null; \
	git status --short tests/cli/golden

# Area fragments add their own check-* targets to CHECKS.
CHECKS := check-layers check-analyzer check-build
-include kernel-patches/kernel.mk
-include tests/sim/sim.mk
-include tests/vm/vm.mk
-include tests/fuzz/fuzz.mk
-include tests/bench/bench.mk

check: $(AUTO_DEPS)
	@tests/run-checks.sh $(CHECKS)

clean:
	rm -rf $(BUILD)

.PHONY: check-build
