# shellcheck shell=sh
# iommu-setup's binding by PCI address, the one copy of it: sourced by the
# dracut pre-trigger hook, the initramfs-tools init-top script and the udev
# helper (make install puts this same file where each finds it).
#
# For each function in /etc/iommu-setup/vfio-devices.conf
# (ADDRESS VENDOR:DEVICE WHY): check that it is still the device that was
# configured and that it is in an IOMMU group, set its driver_override to
# vfio-pci, unbind a driver that took it already, load vfio-pci and bind.
# One line per device goes to the kernel log. Without an active IOMMU
# nothing is touched: a device must never be left without a driver on a host
# that cannot assign it. Never fails: the boot goes on whatever happens.
#
# Environment (the tests): IOMMU_SETUP_SYSFS (default /sys),
# IOMMU_SETUP_DEVICES (default /etc/iommu-setup/vfio-devices.conf),
# IOMMU_SETUP_LOG (a file instead of the kernel log).

iommu_setup_log() {
	if [ -n "${IOMMU_SETUP_LOG:-}" ]; then
		echo "iommu-setup: $*" >>"$IOMMU_SETUP_LOG"
	else
		echo "iommu-setup: $*" >/dev/kmsg 2>/dev/null || echo "iommu-setup: $*" >&2
	fi
}

# iommu_setup_bind [ADDRESS...]: every configured function, or only the named
# ones (the udev helper: one device per event; a named function that is not
# configured, or is on vfio-pci already, is left without a word)
iommu_setup_bind() {
	iommu_setup_sys=${IOMMU_SETUP_SYSFS:-/sys}
	iommu_setup_conf=${IOMMU_SETUP_DEVICES:-/etc/iommu-setup/vfio-devices.conf}
	iommu_setup_only=${*:+ $* }
	[ -r "$iommu_setup_conf" ] || return 0
	iommu_setup_active=
	for iommu_setup_g in "$iommu_setup_sys"/kernel/iommu_groups/*; do
		[ -e "$iommu_setup_g" ] && iommu_setup_active=1
		break
	done
	iommu_setup_loaded=
	while read -r addr id _; do
		case $addr in '' | '#'*) continue ;; esac
		if [ -n "$iommu_setup_only" ]; then
			case $iommu_setup_only in *" $addr "*) ;; *) continue ;; esac
		fi
		if [ -z "$iommu_setup_active" ]; then
			iommu_setup_log "the IOMMU is not active (no IOMMU groups): binding nothing, every device keeps its driver"
			break
		fi
		# a PCI address and nothing else: the file names paths below /sys
		case $addr in
		*[!0-9a-f:.]* | *..* | .* | *:*:*:* | *.*.*)
			iommu_setup_log "$addr: not a PCI address: skipped"
			continue
			;;
		esac
		dev=$iommu_setup_sys/bus/pci/devices/$addr
		if [ ! -e "$dev" ]; then
			iommu_setup_log "$addr: no such PCI device: skipped"
			continue
		fi
		read -r vendor <"$dev/vendor"
		read -r device <"$dev/device"
		now=${vendor#0x}:${device#0x}
		if [ -n "$id" ] && [ "$now" != "$id" ]; then
			iommu_setup_log "$addr: is $now now, configured for $id: left alone (hardware changed? run iommu-setup plan)"
			continue
		fi
		group=$(readlink "$dev/iommu_group" 2>/dev/null)
		if [ -z "$group" ]; then
			iommu_setup_log "$addr: in no IOMMU group: left alone"
			continue
		fi
		drv=$(readlink "$dev/driver" 2>/dev/null)
		# udev replays add events: what is bound already needs no word
		[ -n "$iommu_setup_only" ] && [ "${drv##*/}" = vfio-pci ] && continue
		if [ -z "$iommu_setup_loaded" ]; then
			modprobe -q vfio-pci 2>/dev/null
			iommu_setup_loaded=1
		fi
		echo vfio-pci >"$dev/driver_override"
		if [ -n "$drv" ] && [ "${drv##*/}" != vfio-pci ]; then
			echo "$addr" >"$dev/driver/unbind" 2>/dev/null
		fi
		[ -e "$dev/driver" ] || echo "$addr" >"$iommu_setup_sys/bus/pci/drivers_probe" 2>/dev/null
		drv=$(readlink "$dev/driver" 2>/dev/null)
		if [ "${drv##*/}" = vfio-pci ]; then
			iommu_setup_log "$addr ($now, IOMMU group ${group##*/}): bound to vfio-pci"
		else
			# never leave it without a driver: its own may have it back
			echo >"$dev/driver_override"
			[ -e "$dev/driver" ] || echo "$addr" >"$iommu_setup_sys/bus/pci/drivers_probe" 2>/dev/null
			drv=$(readlink "$dev/driver" 2>/dev/null)
			iommu_setup_log "$addr ($now): vfio-pci did not bind; left to ${drv##*/}"
		fi
	done <"$iommu_setup_conf"
	return 0
}
