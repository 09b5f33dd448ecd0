# tests/vm: real kernels under QEMU (issues 5, 13). Included by the top Makefile.
#   make vm-kernel KVER=6.12|6.1   build (cached) bzImage with series + inject patches
#   make vm-test [KVER=6.12|6.1|6.12-mod|6.1-mod]
#                                  everything end to end (default: 6.12, 6.1 and
#                                  6.12-mod, the KVM-as-modules configuration)
#   make vm-test-ci                the part of vm-test that CI runs (.ci/run):
#                                  6.12 clean, inject and qemu; 6.1 clean and
#                                  inject (no modular-KVM kernel, no QEMU
#                                  injections: a third kernel build and the
#                                  longest boots; make vm-test runs them)
#   make vm-regen-data [KVER=...]  vm-test + copy traces/formats into tests/data
#   make vm-bench [VM_BENCH_ARGS=--stock]
#                                  live mode against trace-cmd record, and the
#                                  events off/on, measured in the guest
#                                  (tests/vm/bench-guest.sh, issue 15)
#   make check-vm-data             cheap check of the committed traces (no QEMU)
#   make check-vm-harness          the harness logic with a stub run-vm (no QEMU)
.PHONY: vm-kernel vm-test vm-test-ci vm-regen-data vm-bench check-vm-data check-vm-harness vm-workloads

vm-kernel: deps-vm
	@[ -n "$(KVER)" ] || { echo "usage: make vm-kernel KVER=6.12|6.1" >&2; exit 2; }
	tests/vm/build-kernel.sh $(KVER)

vm-workloads:
	$(MAKE) -C tests/workloads

vm-test: deps-vm
	-@$(MAKE) --no-print-directory analyzer
	@tests/vm/vm-test.sh --kver $(if $(KVER),$(KVER),all)

vm-test-ci: deps-vm
	-@$(MAKE) --no-print-directory analyzer
	@tests/vm/vm-test.sh --ci

vm-regen-data: deps-vm
	-@$(MAKE) --no-print-directory analyzer
	@tests/vm/regen-data.sh $(if $(KVER),$(KVER),all)

vm-bench: deps-vm
	-@$(MAKE) --no-print-directory analyzer
	@tests/vm/bench-guest.sh $(VM_BENCH_ARGS)

check-vm-data: $(ANALYZER)
	@ANALYZER=$(ANALYZER) tests/vm/check-data.sh

check-vm-harness: analyzer
	@tests/vm/test-harness.sh

CHECKS += check-vm-data check-vm-harness
