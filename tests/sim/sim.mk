# tests/sim: trace.dat generator, root-lifecycle simulator, accuracy harness.
# Included by the top-level Makefile. See tests/sim/README.md.
SIM_BUILD := $(BUILD)/sim
SIM_READDAT := $(SIM_BUILD)/readdat
PYTHON ?= python3

.PHONY: check-accuracy

$(SIM_READDAT): tests/sim/readdat.c | deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_REL) -o $@ $< $(PKG_LIBS)

# CI-sized: generator round trips through trace-cmd report and libtracecmd.
check-accuracy: $(SIM_READDAT)
	@rm -rf $(SIM_BUILD)/gentest
	@$(PYTHON) tests/sim/test_gentrace.py $(SIM_READDAT) $(SIM_BUILD)/gentest

CHECKS += check-accuracy
