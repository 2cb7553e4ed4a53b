# mkinitramfs -o OUT K: the image update-initramfs -u -k K makes, written to
# OUT (a trial boot's own initramfs) (itools_image, image.sh).
kver= out=
while [ $# -gt 0 ]; do
	case $1 in
	-o) out=$2; shift ;;
	-*) ;;
	*) kver=$1 ;;
	esac
	shift
done
[ -n "$kver" ] && [ -n "$out" ] || { echo "mkinitramfs: usage: mkinitramfs -o OUT KVER" >&2; exit 2; }
[ -d "/lib/modules/$kver" ] || { echo "mkinitramfs: /lib/modules/$kver: no such kernel" >&2; exit 1; }
itools_image
