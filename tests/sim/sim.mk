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

.PHONY: check-accuracy accuracy accuracy-full skew-check skew-sim check-skew-sim

$(SIM_READDAT): tests/sim/readdat.c | pkg-check
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_REL) -o $@ $< $(LINK_LIBS)

check-accuracy: $(SIM_READDAT) $(ANALYZER)
	@PYTHON=$(PYTHON) tests/sim/check.sh $(SIM_READDAT) $(ANALYZER) $(SIM_BUILD)/check

accuracy: $(ANALYZER)
	@$(PYTHON) tests/sim/accuracy.py --analyzer $(ANALYZER) --work $(SIM_BUILD)/accuracy --jobs $(SIM_JOBS)

accuracy-full: $(ANALYZER)
	@$(PYTHON) tests/sim/accuracy.py --full --analyzer $(ANALYZER) --work $(SIM_BUILD)/accuracy-full --jobs $(SIM_JOBS)

# Every committed real trace (tests/vm/expect.tsv, ABI v1 and v2) with CPU
# 0 or 1 off by +-1 us .. 5 ms (tests/sim/skew_check.py): clean ones never
# FAIL, runs with a bug FAIL with their rule or are INCONCLUSIVE.
skew-check: $(SIM_READDAT) $(ANALYZER)
	@args=; while IFS='	' read -r f ex rules rest; do \
		case $$f in \#*|file|demo.dat|v1/demo.dat) continue ;; esac; \
		[ -f tests/data/$$f ] || continue; \
		if [ "$$ex" = 1 ]; then args="$$args tests/data/$$f:$$rules"; \
		else args="$$args tests/data/$$f"; fi; \
	done < tests/vm/expect.tsv; \
	$(PYTHON) tests/sim/skew_check.py --analyzer $(ANALYZER) --readdat $(SIM_READDAT) \
		--work $(SIM_BUILD)/skew $$args

CHECKS += check-accuracy

# The simulator's random traces (r1, r2), events 100 us apart, with CPU 1
# off by +-250 us and +-2.5 ms (tests/sim/skew_sim.py): no false
# violation. In make check (about 1.5 min); over other skews a few cases
# still fail (tests/sim/README.md, "Skew on simulated traces").
skew-sim check-skew-sim: $(ANALYZER)
	@$(PYTHON) tests/sim/skew_sim.py --analyzer $(ANALYZER)

CHECKS += check-skew-sim
