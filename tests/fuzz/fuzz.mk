# tests/fuzz: libFuzzer targets (clang) and their regression replay.
# Included by the top-level Makefile. See tests/fuzz/README.md.
#   make fuzz [FUZZ_TIME=s]  run each target for FUZZ_TIME seconds (nice 19)
#                            on the seed corpus; crashes in build/fuzz/artifacts
#   make check-fuzz          (part of make check) replay the seed corpus and
#                            every crash ever found (tests/fuzz/regress/)
#                            through the targets in the ASan+UBSan gcc build
FUZZ_CC ?= clang
FUZZ_TIME ?= 60
FUZZ_BUILD := $(BUILD)/fuzz
FUZZ_TARGETS := dat engine
FUZZ_SAN := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -g -O1 $(FUZZ_SAN) $(PKG_CFLAGS) -Ianalyzer
FUZZ_OBJS := $(patsubst analyzer/%.c,$(FUZZ_BUILD)/obj/%.o,$(AN_LIB_SRCS))
FUZZ_BINS := $(patsubst %,$(FUZZ_BUILD)/fuzz_%,$(FUZZ_TARGETS))
REPLAY_BINS := $(patsubst %,$(BUILD)/san/fuzz/replay_%,$(FUZZ_TARGETS))
DAT2ENGINE := $(BUILD)/san/fuzz/dat2engine
FUZZ_SEED := $(FUZZ_BUILD)/seed

.PHONY: fuzz fuzz-deps check-fuzz fuzz-seed

fuzz-deps:
	@command -v $(FUZZ_CC) >/dev/null && \
	  echo 'int LLVMFuzzerTestOneInput(const char *d, long n){(void)d;(void)n;return 0;}' | \
	  $(FUZZ_CC) -x c -fsanitize=fuzzer -o /dev/null - 2>/dev/null || { \
	  if [ "$${FUZZ_INSTALL:-0}" = 1 ]; then apt-get install -y clang libclang-rt-14-dev; else \
	  echo "make fuzz needs clang with libFuzzer: apt-get install clang libclang-rt-14-dev (or make fuzz FUZZ_INSTALL=1)"; exit 2; fi; }

$(FUZZ_BUILD)/obj/%.o: analyzer/%.c $(AN_HDRS) | fuzz-deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJS) | fuzz-deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< tests/unit/lsan.c $(FUZZ_OBJS) $(PKG_LIBS)

$(BUILD)/san/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(SAN_LIB_OBJS) $(SAN_TEST_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_SAN) -Ianalyzer -o $@ $< tests/fuzz/replay.c $(SAN_LIB_OBJS) $(SAN_TEST_OBJ) $(PKG_LIBS)

$(DAT2ENGINE): tests/fuzz/dat2engine.c $(SAN_LIB_OBJS) $(SAN_TEST_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_SAN) -Ianalyzer -o $@ $< $(SAN_LIB_OBJS) $(SAN_TEST_OBJ) $(PKG_LIBS)

fuzz-seed: $(DAT2ENGINE)
	@ASAN_OPTIONS=detect_leaks=0 tests/fuzz/make-corpus.sh $(DAT2ENGINE) $(FUZZ_SEED)

fuzz: $(FUZZ_BINS) fuzz-seed
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/artifacts/$$t; \
	  echo "== fuzz_$$t for $(FUZZ_TIME) s"; \
	  RC_FUZZ_FORMATS=tests/data/v1/formats/6.12 ASAN_OPTIONS=detect_leaks=0 \
	  nice -n 19 $(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(FUZZ_TIME) -timeout=20 -rss_limit_mb=2048 \
	    -max_len=1048576 -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$t/ \
	    $(FUZZ_BUILD)/corpus/$$t $(FUZZ_SEED)/$$t 2>&1 | grep -E '^(#[0-9]+ +DONE|stat::|==[0-9]+==|SUMMARY|artifact_prefix|Test unit written)' ; \
	  echo "   crashes: $$(ls $(FUZZ_BUILD)/artifacts/$$t | wc -l) in $(FUZZ_BUILD)/artifacts/$$t"; \
	done

check-fuzz: $(REPLAY_BINS) fuzz-seed
	@tests/fuzz/check.sh $(BUILD) $(FUZZ_SEED)

CHECKS += check-fuzz

# tests/bad: the generated bad-input corpus (issue 10), part of make check
.PHONY: check-bad
check-bad: $(ANALYZER_SAN) $(ANALYZER)
	@tests/bad/run.sh $(BUILD)

CHECKS += check-bad

# one unit test alone (the mutant runs of tests/fuzz/README.md)
build-unit-%: $(BUILD)/san/tests/test_%
	@$< 2>&1 | tail -n 3; exit $${PIPESTATUS[0]}
