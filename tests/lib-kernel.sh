# shellcheck shell=bash
# The kernel hooks' tests (tests/ts/kernel/*): a scratch root after apply, with
# kernels installed later, and stand-ins that record what the hooks log.

# the kernel apply configured, and two installed after it
KVER_OLD=6.1.0-13-amd64
KVER_OK=6.1.0-20-amd64     # every VFIO module
KVER_NOVFIO=6.1.0-21-amd64 # vfio-pci.ko left out of the package
# what kernel-check says of KVER_NOVFIO once etc/default/grub lost the parameters
GAP_LINE="iommu-setup: kernel $KVER_NOVFIO: its boot entry lacks intel_iommu=on iommu=pt (in etc/default/grub); vfio_pci is not in its modules"

# kernel_root DEST: debian12-bios (GRUB from etc/default/grub) after
# `apply --ids 8086:1533` (which adds intel_iommu=on iommu=pt to
# GRUB_CMDLINE_LINUX and keeps a record), with KVER_OK and KVER_NOVFIO
# installed after it (modules indexed by the real depmod, an image in boot/)
kernel_root() {
	local dest=$1 k
	rm -rf "$dest"
	cp -a "$top/tests/roots/debian12-bios" "$dest" || return 1
	"$BIN" --root "$dest" apply --ids 8086:1533 --no-mkconfig --no-initramfs >"$dest.apply" 2>&1 ||
		return 1
	grep -q '^GRUB_CMDLINE_LINUX="intel_iommu=on iommu=pt"' "$dest/etc/default/grub" || return 1
	[ -s "$dest/var/lib/iommu-setup/record" ] || return 1
	for k in "$KVER_OK" "$KVER_NOVFIO"; do
		cp -a "$dest/lib/modules/$KVER_OLD" "$dest/lib/modules/$k" || return 1
		cp "$dest/boot/vmlinuz-$KVER_OLD" "$dest/boot/vmlinuz-$k" || return 1
	done
	rm "$dest/lib/modules/$KVER_NOVFIO/kernel/drivers/vfio/pci/vfio-pci.ko"
	depmod -b "$dest" "$KVER_NOVFIO" 2>/dev/null
}

# drift ROOT: etc/default/grub as before apply (a package or an administrator
# reset it): kernels installed from now on boot without the parameters
drift() {
	sed -i 's/^GRUB_CMDLINE_LINUX=.*/GRUB_CMDLINE_LINUX=""/' "$1/etc/default/grub"
}

# stand_ins DIR: logger and systemd-cat that record each call as one line
# "NAME ARGS... | MESSAGE" in DIR/journal, and iommu-setup as the built binary
stand_ins() {
	local d=$1
	mkdir -p "$d"
	: >"$d/journal"
	cat >"$d/logger" <<-'SH'
		#!/bin/sh
		# the message is the last argument
		for m; do :; done
		printf 'logger %s | %s\n' "$*" "$m" >>"${0%/*}/journal"
	SH
	cat >"$d/systemd-cat" <<-'SH'
		#!/bin/sh
		# the message comes on standard input
		m=$(cat)
		printf 'systemd-cat %s | %s\n' "$*" "$m" >>"${0%/*}/journal"
	SH
	chmod +x "$d/logger" "$d/systemd-cat"
	ln -sf "$BIN" "$d/iommu-setup"
}

# failing_tool DIR exits|hangs: iommu-setup that exits 3 after a message, or hangs
failing_tool() {
	rm -f "$1/iommu-setup"
	case $2 in
	exits) printf '#!/bin/sh\necho "iommu-setup: boom" >&2\nexit 3\n' >"$1/iommu-setup" ;;
	hangs) printf '#!/bin/sh\nsleep 120\n' >"$1/iommu-setup" ;;
	esac
	chmod +x "$1/iommu-setup"
}

# journal_is NAME DIR WANT: DIR/journal holds exactly one line, tagged
# iommu-setup as a warning, whose message is WANT; WANT "" : no line at all
journal_is() {
	local name=$1 j=$2/journal want=$3 n
	n=$(wc -l <"$j")
	if [ -z "$want" ]; then
		if [ "$n" = 0 ]; then ok "$name"; else ko "$name" "want no log line, got:" "$(cat "$j")"; fi
	elif [ "$n" != 1 ]; then
		ko "$name" "want exactly one log line, got $n:" "$(cat "$j")"
	elif ! grep -qE '^(logger -t iommu-setup -p user\.warning -- |systemd-cat -t iommu-setup -p warning )' "$j"; then
		ko "$name" "not logged as a warning tagged iommu-setup:" "$(cat "$j")"
	elif [ "$(sed 's/^[^|]*| //' "$j")" != "$want" ]; then
		ko "$name" "want the message: $want" "got: $(cat "$j")"
	else
		ok "$name"
	fi
	: >"$j"
}
