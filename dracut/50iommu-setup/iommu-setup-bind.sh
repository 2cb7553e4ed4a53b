#!/bin/sh
# dracut pre-trigger hook of iommu-setup (sourced by dracut's init).
# For each function in /etc/iommu-setup/vfio-devices.conf: check that it is
# still the device that was configured, set its driver_override to vfio-pci,
# unbind a driver that took it already, load vfio-pci and bind. One line per
# device goes to the kernel log. Without an active IOMMU nothing is touched:
# a device must never be left without a driver on a host that cannot assign
# it. Boot goes on whatever happens here.

iommu_setup_log() {
    # IOMMU_SETUP_LOG: a file instead of the kernel log (the tests)
    if [ -n "${IOMMU_SETUP_LOG:-}" ]; then
        echo "iommu-setup: $*" >>"$IOMMU_SETUP_LOG"
    else
        echo "iommu-setup: $*" >/dev/kmsg 2>/dev/null || echo "iommu-setup: $*" >&2
    fi
}

iommu_setup_bind() {
    sys=${IOMMU_SETUP_SYSFS:-/sys}
    conf=${IOMMU_SETUP_DEVICES:-/etc/iommu-setup/vfio-devices.conf}
    [ -r "$conf" ] || return 0
    set -- "$sys"/kernel/iommu_groups/*
    if [ ! -e "$1" ]; then
        iommu_setup_log "the IOMMU is not active (no IOMMU groups): binding nothing, every device keeps its driver"
        return 0
    fi
    modprobe -q vfio-pci 2>/dev/null
    while read -r addr id _; do
        case $addr in '' | '#'*) continue ;; esac
        # a PCI address and nothing else: the file names paths below /sys
        case $addr in
        *[!0-9a-f:.]* | *..* | .* | *:*:*:* | *.*.*)
            iommu_setup_log "$addr: not a PCI address: skipped"
            continue
            ;;
        esac
        dev=$sys/bus/pci/devices/$addr
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
        echo vfio-pci >"$dev/driver_override"
        drv=$(readlink "$dev/driver" 2>/dev/null)
        if [ -n "$drv" ] && [ "${drv##*/}" != vfio-pci ]; then
            echo "$addr" >"$dev/driver/unbind" 2>/dev/null
        fi
        [ -e "$dev/driver" ] || echo "$addr" >"$sys/bus/pci/drivers_probe" 2>/dev/null
        drv=$(readlink "$dev/driver" 2>/dev/null)
        if [ "${drv##*/}" = vfio-pci ]; then
            iommu_setup_log "$addr ($now, IOMMU group ${group##*/}): bound to vfio-pci"
        else
            # never leave it without a driver: its own may have it back
            echo >"$dev/driver_override"
            [ -e "$dev/driver" ] || echo "$addr" >"$sys/bus/pci/drivers_probe" 2>/dev/null
            drv=$(readlink "$dev/driver" 2>/dev/null)
            iommu_setup_log "$addr ($now): vfio-pci did not bind; left to ${drv##*/}"
        fi
    done <"$conf"
    return 0
}

iommu_setup_bind
