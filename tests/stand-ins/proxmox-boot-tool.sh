# proxmox-boot-tool refresh|status: what proxmox-kernel-helper's refresh
# (/etc/kernel/postinst.d/zz-proxmox-boot) and status do, with the directory
# /stand-ins/esp/ID standing for the mounted /dev/disk/by-uuid/ID. An ID
# without one is skipped with the real tool's warning and the exit status
# stays 0, as the real tool does. uefi mode (loader/loader.conf on the ESP):
# the kernel and initrd copied to EFI/proxmox/KVER and an entry whose options
# are the first line of /etc/kernel/cmdline; grub mode: the images at the top
# and update-grub writing the ESP's grub/grub.cfg.
list=/etc/kernel/proxmox-boot-uuids
[ -f "$list" ] || { echo "E: $list does not exist." >&2; exit 2; }
kvers=
for k in /boot/vmlinuz-*; do
	[ -f "$k" ] && kvers="$kvers ${k#/boot/vmlinuz-}"
done
# each_esp FUNCTION: FUNCTION ID ESP for every listed ID whose ESP is there,
# the real tool's warning for the others
each_esp() {
	while read -r id; do
		[ -n "$id" ] || continue
		esp=/stand-ins/esp/$id
		if [ ! -d "$esp" ]; then
			echo "WARN: /dev/disk/by-uuid/$id does not exist - clean '$list'! - skipping" >&2
			continue
		fi
		"$1" "$id" "$esp"
	done <"$list"
}
refresh_esp() { # ID ESP
	echo "Copying and configuring kernels on /dev/disk/by-uuid/$1"
	for kver in $kvers; do
		[ -f "/boot/initrd.img-$kver" ] || continue
		if [ -f "$2/loader/loader.conf" ]; then
			mkdir -p "$2/EFI/proxmox/$kver" "$2/loader/entries"
			cp "/boot/vmlinuz-$kver" "/boot/initrd.img-$kver" "$2/EFI/proxmox/$kver/"
			printf 'title    %s\nversion  %s\noptions  %s\nlinux    /%s\ninitrd   /%s\n' \
				"Proxmox Virtual Environment" "$kver" "$cmdline" \
				"EFI/proxmox/$kver/vmlinuz-$kver" "EFI/proxmox/$kver/initrd.img-$kver" \
				>"$2/loader/entries/proxmox-$kver.conf"
		else
			cp "/boot/vmlinuz-$kver" "/boot/initrd.img-$kver" "$2/"
		fi
	done
	if [ ! -f "$2/loader/loader.conf" ]; then
		mkdir -p "$2/grub"
		grub-mkconfig -o /tmp/esp-grub.cfg >/dev/null && mv /tmp/esp-grub.cfg "$2/grub/grub.cfg"
	fi
}
status_esp() { # ID ESP
	if [ -f "$2/loader/loader.conf" ]; then
		v=$(ls -1 "$2/EFI/proxmox" 2>/dev/null | tr '\n' ',' | sed 's/,$//; s/,/, /g')
		echo "$1 is configured with: uefi (versions: $v)"
	else
		v=$(cd "$2" && ls -1 vmlinuz-* 2>/dev/null | sed 's/^vmlinuz-//' | tr '\n' ',' | sed 's/,$//; s/,/, /g')
		echo "$1 is configured with: grub (versions: $v)"
	fi
}
case $1 in
refresh)
	echo "Running hook script 'zz-proxmox-boot'.."
	if [ -f /etc/kernel/cmdline ]; then
		cmdline=$(head -n 1 /etc/kernel/cmdline)
		case " $cmdline" in
		*" root="*) ;;
		*) echo "No root= parameter in /etc/kernel/cmdline found!" >&2; exit 1 ;;
		esac
	else
		cmdline=$(cat /proc/cmdline)
	fi
	each_esp refresh_esp
	;;
status)
	echo "System currently booted with uefi"
	each_esp status_esp
	;;
*)
	echo "proxmox-boot-tool: $1: not in this stand-in" >&2
	exit 2
	;;
esac
