#!/bin/bash
# dracut module of iommu-setup: binds the PCI functions that
# `iommu-setup apply --device BDF` recorded in /etc/iommu-setup/vfio-devices.conf
# to vfio-pci early in boot, by address, before udev's coldplug lets their
# native drivers take them.
# shellcheck disable=SC2154 # dracutsysrootdir and moddir are set by dracut

# called by dracut
check() {
    # a host with a recorded binding gets the module; others only on request
    [[ -s "$dracutsysrootdir/etc/iommu-setup/vfio-devices.conf" ]] && return 0
    return 255
}

# called by dracut
depends() {
    return 0
}

# called by dracut
installkernel() {
    # the target kernel's VFIO modules: instmods skips the ones this kernel
    # does not have (iommufd before 6.2); vfio_virqfd, which newer kernels
    # merged into vfio, is never named
    hostonly='' instmods vfio vfio_pci vfio_pci_core vfio_iommu_type1 iommufd
}

# called by dracut
install() {
    local f
    for f in /etc/iommu-setup/vfio-devices.conf /etc/modprobe.d/iommu-setup.conf; do
        [[ -e "$dracutsysrootdir$f" ]] && inst_simple "$f"
    done
    # the tool itself, for `iommu-setup check` from a rescue shell
    inst_multiple -o iommu-setup
    for f in "$dracutsysrootdir"/usr/share/iommu-setup/rules.d/*.rules; do
        [[ -e "$f" ]] && inst_simple "${f#"$dracutsysrootdir"}"
    done
    inst_multiple readlink
    # the binding, shared with initramfs-tools and the udev rule: make install
    # puts the same file here and in /usr/lib/iommu-setup
    inst_simple "$moddir/iommu-setup-lib.sh" /usr/lib/iommu-setup/iommu-setup-bind.sh
    # pre-trigger: after udevd starts, before it triggers the devices
    inst_hook pre-trigger 30 "$moddir/iommu-setup-bind.sh"
}
