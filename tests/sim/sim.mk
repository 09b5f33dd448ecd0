# tests/sim: trace.dat generator, root-lifecycle simulator, accuracy harness.
# Included by the top-level Makefile. See tests/sim/README.md.
#   make check-accuracy   CI-sized (part of make check): generator round
#                         trips, simulator self-checks, named cases, ~2,000
#                         traces through kvm-rootcheck
#   make accuracy         the CI-sized accuracy run alone
#   make accuracy-full    the full corpus (> 10,000 distinct traces)
SIM_BUILD := $(BUILD)/sim
SIM_READDAT := $(SIM_BUILD)/readdat
PYTHON ?= python3
SIM_JOBS ?= 2

.PHONY: check-accuracy accuracy accuracy-full

$(SIM_READDAT): tests/sim/readdat.c | pkg-check
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_REL) -o $@ $< $(LINK_LIBS)

check-accuracy: $(SIM_READDAT) $(ANALYZER)
	@PYTHON=$(PYTHON) tests/sim/check.sh $(SIM_READDAT) $(ANALYZER) $(SIM_BUILD)/check

accuracy: $(ANALYZER)
	@$(PYTHON) tests/sim/accuracy.py --analyzer $(ANALYZER) --work $(SIM_BUILD)/accuracy --jobs $(SIM_JOBS)

accuracy-full: $(ANALYZER)
	@$(PYTHON) tests/sim/accuracy.py --full --analyzer $(ANALYZER) --work $(SIM_BUILD)/accuracy-full --jobs $(SIM_JOBS)

CHECKS += check-accuracy
