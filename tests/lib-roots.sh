# shellcheck shell=bash
# Scratch roots for apply and revert: a copy of a fixture root with a static
# busybox as /bin/sh and its applets (the stand-in tools are shell scripts
# run in a chroot), /dev/null, /tmp, and the boot files of an installed system
# made by the root's own stand-ins. Needs root (chroot, mknod) and
# busybox-static.

# scratch_root FIXTURE DEST: prints nothing; non-zero on failure
scratch_root() {
	local fixture=$1 dest=$2 bb
	bb=$(command -v busybox) || return 1
	rm -rf "$dest"
	cp -a "$top/tests/roots/$fixture" "$dest" || return 1
	mkdir -p "$dest/bin" "$dest/tmp" "$dest/dev" "$dest/stand-ins"
	cp "$bb" "$dest/bin/busybox"
	for a in $("$bb" --list); do
		[ -e "$dest/bin/$a" ] || [ -e "$dest/usr/sbin/$a" ] || [ -e "$dest/usr/bin/$a" ] ||
			ln -s busybox "$dest/bin/$a"
	done
	[ -e "$dest/dev/null" ] || mknod -m 666 "$dest/dev/null" c 1 3
	# a dracut host has this project's dracut module installed, as a package would
	if [ -d "$dest/etc/dracut.conf.d" ]; then
		mkdir -p "$dest/usr/lib/dracut/modules.d/50iommu-setup"
		cp "$top"/dracut/50iommu-setup/*.sh "$dest/usr/lib/dracut/modules.d/50iommu-setup/"
		cp "$top/shell/iommu-setup-bind.sh" "$dest/usr/lib/dracut/modules.d/50iommu-setup/iommu-setup-lib.sh"
	fi
	# an initramfs-tools host has its hook, init-top script and the library
	if [ -d "$dest/etc/initramfs-tools" ]; then
		mkdir -p "$dest/usr/share/initramfs-tools/hooks" "$dest/usr/share/initramfs-tools/scripts/init-top" \
			"$dest/usr/lib/iommu-setup"
		cp "$top/initramfs-tools/hooks/iommu-setup" "$dest/usr/share/initramfs-tools/hooks/"
		cp "$top/initramfs-tools/scripts/init-top/iommu-setup" "$dest/usr/share/initramfs-tools/scripts/init-top/"
		cp "$top/shell/iommu-setup-bind.sh" "$dest/usr/lib/iommu-setup/"
	fi
	# the boot files an installed system has: generated once by its own tools
	local kver
	kver=$(ls "$dest/lib/modules" | sort -V | tail -1)
	if [ -x "$dest/usr/sbin/update-grub" ]; then
		chroot "$dest" /usr/sbin/update-grub >/dev/null 2>&1 || return 1
	elif [ -x "$dest/usr/sbin/grub2-mkconfig" ]; then
		local out=/boot/grub2/grub.cfg
		if [ -e "$dest/boot/efi/EFI/redhat/grub.cfg" ] &&
			! grep -q configfile "$dest/boot/efi/EFI/redhat/grub.cfg"; then
			out=/boot/efi/EFI/redhat/grub.cfg
		fi
		chroot "$dest" /usr/sbin/grub2-mkconfig -o "$out" >/dev/null 2>&1 || return 1
	fi
	if [ -x "$dest/usr/sbin/update-initramfs" ]; then
		chroot "$dest" /usr/sbin/update-initramfs -u -k "$kver" >/dev/null 2>&1 || return 1
	elif [ -x "$dest/usr/sbin/dracut" ]; then
		chroot "$dest" /usr/sbin/dracut -f --kver "$kver" >/dev/null 2>&1 || return 1
	fi
	rm -f "$dest/stand-ins.log"
}

# the names and contents of the files in a newc image
image_hash() {
	local d
	d=$(mktemp -d)
	(cd "$d" && busybox cpio -i -d <"$OLDPWD/$1" 2>/dev/null)
	(cd "$d" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum; find . | sort) | sha256sum | cut -c1-16
	rm -rf "$d"
}

# manifest DIR: every path with its type, mode, owner, link target and content hash
# (the stand-ins' log left out)
manifest() {
	(cd "$1" && find . -path ./stand-ins.log -prune -o -print0 | sort -z |
		while IFS= read -r -d '' f; do
			case $f in ./boot/initr*)
				# an initramfs: its files, not its cpio headers (which hold inode numbers)
				printf '%s %s\n' "$(stat -c '%n %F %a %u %g' "$f")" "$(image_hash "$f")"
				continue ;;
			esac
			if [ -f "$f" ] && [ ! -L "$f" ]; then
				printf '%s %s\n' "$(stat -c '%n %F %a %u %g' "$f")" "$(sha256sum <"$f" | cut -c1-16)"
			else
				stat -c '%N %F %a %u %g' "$f"
			fi
		done)
}
