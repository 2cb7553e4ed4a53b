# dracut: an initramfs (uncompressed newc cpio) with the modules of
# force_drivers and add_drivers, the files of install_items (from
# /etc/dracut.conf.d/*.conf) and /etc/modprobe.d/*.conf, as dracut's
# kernel-modules module copies them.
kver= out=
while [ $# -gt 0 ]; do
	case $1 in
	-f | --force) ;;
	--kver) kver=$2; shift ;;
	-*) ;;
	*) if [ -z "$out" ]; then out=$1; else kver=$1; fi ;;
	esac
	shift
done
[ -n "$kver" ] || { echo "dracut: no kernel version" >&2; exit 2; }
[ -d "/lib/modules/$kver" ] || { echo "dracut: /lib/modules/$kver: no such kernel" >&2; exit 1; }
[ -n "$out" ] || out=/boot/initramfs-$kver.img
force_drivers= add_drivers= install_items= add_dracutmodules=
# dracut reads its configuration with bash: "name+=" appends, which
# busybox sh lacks, so it is rewritten to name="$name ..."
for f in /etc/dracut.conf.d/*.conf; do
	[ -e "$f" ] || continue
	sed 's/^[[:space:]]*\([A-Za-z_][A-Za-z_0-9]*\)+="/\1="$\1 /' "$f" >/tmp/dracut-conf.$$
	. /tmp/dracut-conf.$$
	rm -f /tmp/dracut-conf.$$
done
stage=/tmp/dracut.$$
rm -rf "$stage"
mkdir -p "$stage/usr/lib/modules/$kver" /tmp
for m in $force_drivers $add_drivers; do
	stage_module "$m" || { echo "dracut: module $m not found" >&2; exit 1; }
done
stage_modprobe
# the iommu-setup module, when asked for: its configuration and its hook
case " $add_dracutmodules " in *" iommu-setup "*)
	m=/usr/lib/dracut/modules.d/50iommu-setup
	[ -d "$m" ] || { echo "dracut: module iommu-setup not found" >&2; exit 1; }
	mkdir -p "$stage/etc/iommu-setup" "$stage/usr/lib/dracut/hooks/pre-trigger" "$stage/usr/lib/iommu-setup"
	cp /etc/iommu-setup/vfio-devices.conf "$stage/etc/iommu-setup/"
	cp "$m/iommu-setup-lib.sh" "$stage/usr/lib/iommu-setup/iommu-setup-bind.sh"
	cp "$m/iommu-setup-bind.sh" "$stage/usr/lib/dracut/hooks/pre-trigger/30-iommu-setup-bind.sh" ;;
esac
for f in $install_items; do
	[ -e "$f" ] || continue
	mkdir -p "$stage${f%/*}"
	cp "$f" "$stage$f"
done
pack
