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

# manifest DIR: every path with its type, mode, owner, link target and content hash
# (the stand-ins' log left out); an initramfs by the files in it (tests/manifest)
manifest() {
	# a failure must not compare equal to anything, not even another failure
	"$top/tests/manifest" "$1" || echo "manifest failed: $(date +%s%N) $RANDOM"
}

# sdboot_root DEST: debian12-bios made a Debian 12 host booted by systemd-boot
# (the systemd-boot package: no GRUB, no etc/kernel/cmdline, the ESP at
# /boot/efi with loader/entries.srel "type1" and the machine-id directory),
# with this machine's real kernel-install and its 90-loaderentry.install
# (POSIX shell, run under busybox; coreutils' install, which busybox lacks,
# is a two-line shim) writing the target kernel's entry, as the package's
# postinst does. Needs /usr/bin/kernel-install.
SDBOOT_MID=0123456789abcdef0123456789abcdef
sdboot_root() {
	local s=$1 kver
	scratch_root debian12-bios "$s" || return 1
	kver=$(ls "$s/lib/modules" | sort -V | tail -1)
	rm -rf "$s/etc/default/grub" "$s/etc/default/grub.d" "$s/usr/sbin/update-grub" \
		"$s/usr/sbin/grub-mkconfig" "$s/boot/grub"
	echo "$SDBOOT_MID" >"$s/etc/machine-id"
	echo "root:x:0:0:root:/root:/bin/sh" >"$s/etc/passwd"
	echo "root:x:0:" >"$s/etc/group"
	mkdir -p "$s/boot/efi/loader/entries" "$s/boot/efi/$SDBOOT_MID" "$s/usr/lib/kernel/install.d"
	echo "timeout 3" >"$s/boot/efi/loader/loader.conf"
	echo type1 >"$s/boot/efi/loader/entries.srel"
	cp /usr/bin/kernel-install "$s/usr/bin/kernel-install" || return 1
	cp /usr/lib/kernel/install.d/90-loaderentry.install "$s/usr/lib/kernel/install.d/" || return 1
	printf '%s\n' '#!/bin/sh' '[ "$1" = -m ] || exit 2' 'cp "$3" "$4" && chmod "$2" "$4"' >"$s/bin/install"
	chmod 755 "$s/bin/install"
	chroot "$s" /usr/bin/kernel-install add "$kver" "/boot/vmlinuz-$kver" "/boot/initrd.img-$kver" \
		>/dev/null 2>&1 || return 1
	rm -f "$s/stand-ins.log"
}
