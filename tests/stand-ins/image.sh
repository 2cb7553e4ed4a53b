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
