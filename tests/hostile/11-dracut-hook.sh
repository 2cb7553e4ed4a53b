# shellcheck shell=bash
# The dracut hook reads etc/iommu-setup/vfio-devices.conf at boot and writes
# below /sys for each address in it: a line that is not a PCI address (a
# path leading out of sysfs) is skipped with a word to the kernel log, and
# nothing is written outside sysfs. Played against a fake sysfs.
hroot workstation
fake=$HW/fake
mkdir -p "$fake/sys/kernel/iommu_groups/1" "$fake/sys/bus/pci/devices" "$HW/canary/vendor"
# what the hook would write to if it followed the path: the canary
printf '%s\n' "../../../../canary 10de:1e87 --device" "0000:01:00.0/../../../../canary x" \
	"0000:zz:00.0 x" >"$fake/devices.conf"
canary_before=$(canary_state)
(
	modprobe() { :; } # nothing is loaded on this machine
	export IOMMU_SETUP_SYSFS=$fake/sys IOMMU_SETUP_DEVICES=$fake/devices.conf \
		IOMMU_SETUP_LOG=$fake/log
	# shellcheck source=dracut/50iommu-setup/iommu-setup-bind.sh
	. "$top/dracut/50iommu-setup/iommu-setup-bind.sh"
) >/dev/null 2>&1
hcheck "dracut-hook/no-escape" "the hook must write nothing outside sysfs for a path in vfio-devices.conf" \
	test "$(canary_state)" = "$canary_before"
hcheck "dracut-hook/said" "each refused line is logged as not a PCI address" \
	test "$(grep -c 'not a PCI address: skipped' "$fake/log" 2>/dev/null)" = 3
