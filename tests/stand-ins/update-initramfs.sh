# update-initramfs -u -k K: /boot/initrd.img-K with the modules listed in
# /etc/initramfs-tools/modules and /etc/modprobe.d/*.conf (initramfs-tools
# copies modprobe.d), and what iommu-setup's hook adds.
kver=
while [ $# -gt 0 ]; do
	case $1 in
	-k) kver=$2; shift ;;
	esac
	shift
done
[ -n "$kver" ] || { echo "update-initramfs: no -k" >&2; exit 2; }
[ -d "/lib/modules/$kver" ] || { echo "update-initramfs: /lib/modules/$kver: no such kernel" >&2; exit 1; }
out=/boot/initrd.img-$kver
stage=/tmp/initramfs.$$
rm -rf "$stage"
mkdir -p "$stage/usr/lib/modules/$kver" /tmp
grep -v '^[[:space:]]*#' /etc/initramfs-tools/modules | while read -r m rest; do
	[ -n "$m" ] || continue
	stage_module "$m" || echo "update-initramfs: W: module $m not found" >&2
done
stage_modprobe
# iommu-setup's hook, when installed: with a recorded binding the image gets
# the configuration, the library and the init-top script, as the real hook
# and mkinitramfs put them
it=/usr/share/initramfs-tools
if [ -x "$it/hooks/iommu-setup" ] && [ -s /etc/iommu-setup/vfio-devices.conf ]; then
	mkdir -p "$stage/etc/iommu-setup" "$stage/usr/lib/iommu-setup" "$stage/scripts/init-top"
	cp /etc/iommu-setup/vfio-devices.conf "$stage/etc/iommu-setup/"
	cp /usr/lib/iommu-setup/iommu-setup-bind.sh "$stage/usr/lib/iommu-setup/"
	cp "$it/scripts/init-top/iommu-setup" "$stage/scripts/init-top/"
fi
pack
