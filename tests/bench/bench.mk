# tests/bench: make bench (not part of make check; see docs/performance.md).
#   make bench                      the full run (1M and 10M events, v6 and
#                                   v7 zstd, scale cases; long, see README)
#   make bench BENCH_SIZES=100000 BENCH_REPS=3 BENCH_SCALE_DIV=10   quick
BENCH_DIR := $(BUILD)/bench
BENCH_TOOLS := $(BENCH_DIR)/floor $(BENCH_DIR)/genbench $(BENCH_DIR)/runbench \
	$(BENCH_DIR)/heapcount.so $(BENCH_DIR)/reorderbench $(BENCH_DIR)/spoolbench

$(BENCH_DIR)/floor $(BENCH_DIR)/genbench: $(BENCH_DIR)/%: tests/bench/%.c | pkg-check
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_REL) -o $@ $< $(PKG_LIBS)

$(BENCH_DIR)/runbench: tests/bench/runbench.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_REL) -o $@ $<

# the live source's reorder buffer alone (count its instructions: see the file)
$(BENCH_DIR)/reorderbench: tests/bench/reorderbench.c analyzer/reorder.c analyzer/source-local.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_REL) -Ianalyzer -o $@ tests/bench/reorderbench.c analyzer/reorder.c

# live mode's spool alone: put, then one pass reading it (see the file)
$(BENCH_DIR)/spoolbench: tests/bench/spoolbench.c tests/unit/rawpages.h $(filter-out $(BUILD)/rel/main.o,$(REL_OBJS)) | pkg-check
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_REL) -Ianalyzer -o $@ $(filter-out %.h,$^) $(PKG_LIBS)

$(BENCH_DIR)/heapcount.so: tests/bench/heapcount.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_REL) -shared -fPIC -o $@ $< -ldl

.PHONY: bench
bench: $(ANALYZER) $(BENCH_TOOLS)
	@nice -n 10 python3 tests/bench/bench.py $(BUILD)
