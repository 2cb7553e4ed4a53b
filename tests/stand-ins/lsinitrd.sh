# lsinitrd IMAGE / lsinitramfs IMAGE: the paths in the image
[ -r "$1" ] || { echo "$name: $1: cannot read" >&2; exit 1; }
cpio -t <"$1" 2>/dev/null | sed 's|^\./||'
