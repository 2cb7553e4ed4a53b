# Packs the staging directory $stage into the newc cpio image $out with fixed
# times, so the same input gives the same bytes.
pack() {
	find "$stage" -exec touch -h -d '2000-01-01 00:00:00' {} +
	(cd "$stage" && find . | sort | cpio -o -H newc 2>/dev/null) >"$out.new" &&
		mv "$out.new" "$out"
	rm -rf "$stage"
}
# stage_module NAME: the module's file from modules.dep, '-' and '_' alike
stage_module() {
	want=$(echo "$1" | tr - _)
	for p in $(cut -d: -f1 "/lib/modules/$kver/modules.dep"); do
		b=${p##*/}
		b=$(echo "${b%%.ko*}" | tr - _)
		if [ "$b" = "$want" ]; then
			mkdir -p "$stage/usr/lib/modules/$kver/${p%/*}"
			cp "/lib/modules/$kver/$p" "$stage/usr/lib/modules/$kver/$p"
			return 0
		fi
	done
	return 1
}
stage_modprobe() {
	mkdir -p "$stage/etc/modprobe.d"
	for f in /etc/modprobe.d/*.conf; do
		[ -e "$f" ] && cp "$f" "$stage/etc/modprobe.d/"
	done
	return 0
}
# itools_image: the initramfs-tools image of $kver in $out, with the modules
# listed in /etc/initramfs-tools/modules and /etc/modprobe.d/*.conf
# (initramfs-tools copies modprobe.d), and what iommu-setup's hook adds
# (update-initramfs, mkinitramfs)
itools_image() {
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
}
