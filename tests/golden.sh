# shellcheck shell=bash
# How golden outputs are made; sourced by tests/ts/golden/roots and tests/update-golden.
# golden_render BIN ROOT KIND OUT: KIND names what runs (see golden_kinds).
# Output includes the exit status as a last line "[exit N]"; stderr goes to OUT.err
# (for acpi.txt and the devices-arg kinds, into OUT: their messages are the point).
# the shipped vendor rules, as an installed binary finds them
IOMMU_SETUP_RULES_DIR=${IOMMU_SETUP_RULES_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/data/vendor-rules}
export IOMMU_SETUP_RULES_DIR

golden_render() {
	local bin=$1 root=$2 kind=$3 out=$4 s=0
	case $kind in
	check.txt) NO_COLOR=1 "$bin" --root "$root" check >"$out" 2>"$out.err" || s=$? ;;
	check.json) "$bin" --root "$root" --json check >"$out" 2>"$out.err" || s=$? ;;
	verify.txt) NO_COLOR=1 "$bin" --root "$root" verify >"$out" 2>"$out.err" || s=$? ;;
	verify.json) "$bin" --root "$root" --json verify >"$out" 2>"$out.err" || s=$? ;;
	acpi.txt) "$bin" --root "$root" acpi >"$out" 2>&1 || s=$? ;;
	devices.txt) "$bin" --root "$root" devices >"$out" 2>"$out.err" || s=$? ;;
	devices.json) "$bin" --root "$root" --json devices >"$out" 2>"$out.err" || s=$? ;;
	devices-groups.txt) "$bin" --root "$root" devices --groups >"$out" 2>"$out.err" || s=$? ;;
	devices-detail.txt)
		"$bin" --root "$root" devices 01:00.0 pci_0000_05_02_1 8086:1533 0000:02:00.0 \
			>"$out" 2>"$out.err" || s=$? ;;
	devices-gpu.xml) "$bin" --root "$root" devices --xml 0000:01:00.0 >"$out" 2>"$out.err" || s=$? ;;
	devices-critical.xml) "$bin" --root "$root" devices --xml 00:1f.6 >"$out" 2>"$out.err" || s=$? ;;
	devices-pool.xml) "$bin" --root "$root" devices --xml-pool 05:00.0 >"$out" 2>"$out.err" || s=$? ;;
	plan.txt) "$bin" --root "$root" plan --ids 8086:1572 >"$out" 2>&1 || s=$? ;;
	plan-gpu.txt) "$bin" --root "$root" plan --device 0000:01:00.0 >"$out" 2>&1 || s=$? ;;
	plan-gpu.json) "$bin" --root "$root" --json plan --device 0000:01:00.0 >"$out" 2>&1 || s=$? ;;
	plan-vf.txt) "$bin" --root "$root" plan --device 05:02.1 >"$out" 2>&1 || s=$? ;;
	plan-amd-vf.txt) "$bin" --root "$root" plan --device 21:02.1 >"$out" 2>&1 || s=$? ;;
	plan-amd-vf.json) "$bin" --root "$root" --json plan --device 21:02.1 >"$out" 2>&1 || s=$? ;;
	plan-split.txt) "$bin" --root "$root" plan --device 03:00.0 >"$out" 2>&1 || s=$? ;;
	plan-split-force.txt) "$bin" --root "$root" plan --force --device 03:00.0 >"$out" 2>&1 || s=$? ;;
	plan-critical.txt) "$bin" --root "$root" plan --device 02:00.0 >"$out" 2>&1 || s=$? ;;
	plan-unsafe.txt) "$bin" --root "$root" plan --allow-unsafe-interrupts >"$out" 2>&1 || s=$? ;;
	plan.json) "$bin" --root "$root" --json plan --ids 8086:1572 >"$out" 2>&1 || s=$? ;;
	esac
	echo "[exit $s]" >>"$out"
	# the table paths shown include the --root given: make them stable
	sed -i "s|${root%/}/|ROOT/|g" "$out"
	: >>"$out.err"
}

# golden_kinds ROOT: what is recorded for a fixture root
golden_kinds() {
	echo check.txt check.json
	if [ -n "$(ls "$1/sys/firmware/acpi/tables" 2>/dev/null)" ]; then echo acpi.txt; fi
	if [ -d "$1/sys/bus/pci/devices" ]; then echo devices.txt devices.json devices-groups.txt; fi
	if [ -e "$1/etc/default/grub" ] || [ -e "$1/etc/kernel/cmdline" ]; then echo plan.txt plan.json; fi
	# no interrupt remapping: the opt-in
	case $1 in */intel-no-ir/ | */intel-no-ir) echo plan-unsafe.txt ;; esac
	# an AMD host: a VF of its SR-IOV NIC
	case $1 in */amd-ready/ | */amd-ready) echo plan-amd-vf.txt plan-amd-vf.json ;; esac
	# the workstation has the devices the detail and libvirt outputs are about
	case $1 in */workstation/ | */workstation)
		echo devices-detail.txt devices-gpu.xml devices-critical.xml devices-pool.xml
		echo plan-gpu.txt plan-gpu.json plan-vf.txt plan-split.txt plan-split-force.txt plan-critical.txt ;;
	esac
	# after the reboot: verify's findings, one per cause (tests/ts/verify judges them)
	case $1 in */readiness/ | */readiness) echo verify.txt verify.json ;; esac
}
