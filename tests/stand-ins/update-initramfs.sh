# update-initramfs -u -k K: /boot/initrd.img-K (itools_image, image.sh).
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
itools_image
