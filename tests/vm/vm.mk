# tests/vm: real kernels under QEMU (issue 5). Included by the top Makefile.
#   make vm-kernel KVER=6.12|6.1   build (cached) bzImage with series + inject patches
#   make vm-test [KVER=6.12|6.1]   everything end to end (both kernels by default)
#   make vm-regen-data [KVER=...]  vm-test + copy traces/formats into tests/data
#   make check-vm-data             cheap check of the committed traces (no QEMU)
.PHONY: vm-kernel vm-test vm-regen-data check-vm-data vm-workloads

vm-kernel: deps-vm
	@[ -n "$(KVER)" ] || { echo "usage: make vm-kernel KVER=6.12|6.1" >&2; exit 2; }
	tests/vm/build-kernel.sh $(KVER)

vm-workloads:
	$(MAKE) -C tests/workloads

vm-test: deps-vm
	-@$(MAKE) --no-print-directory analyzer
	@tests/vm/vm-test.sh --kver $(if $(KVER),$(KVER),all)

vm-regen-data: deps-vm
	-@$(MAKE) --no-print-directory analyzer
	@tests/vm/regen-data.sh $(if $(KVER),$(KVER),all)

check-vm-data:
	@tests/vm/check-data.sh

CHECKS += check-vm-data
