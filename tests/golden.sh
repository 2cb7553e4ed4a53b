# shellcheck shell=bash
# How golden outputs are made; sourced by tests/run-tests and tests/update-golden.
# golden_render BIN ROOT KIND OUT: KIND names what runs (see golden_kinds).
# Output includes the exit status as a last line "[exit N]"; stderr goes to OUT.err
# (for acpi.txt and the devices-arg kinds, into OUT: their messages are the point).
golden_render() {
	local bin=$1 root=$2 kind=$3 out=$4 s=0
	case $kind in
	check.txt) NO_COLOR=1 "$bin" --root "$root" check >"$out" 2>"$out.err" || s=$? ;;
	check.json) "$bin" --root "$root" --json check >"$out" 2>"$out.err" || s=$? ;;
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
	# the workstation has the devices the detail and libvirt outputs are about
	if [ -e "$1/sys/bus/pci/devices/0000:05:00.0" ]; then
		echo devices-detail.txt devices-gpu.xml devices-critical.xml devices-pool.xml
	fi
}
