# shellcheck shell=bash
# Hostile and broken roots, the functions the cases tests/ts/hostile/* share:
# each case builds a root from a fixture, plants one hazard, runs verbs under
# ASan with a time limit, and states what must happen. Every run also checks
# that a canary tree next to the root (outside it) is untouched, content and
# mtime. Sourced after tests/functions.sh (ok, ko, $BIN, $work, $top).
# shellcheck source=tests/lib-roots.sh
. "$top/tests/lib-roots.sh"

HW=$work/hostile
R=
canary_before=

canary_state() {
	(cd "$HW/canary" && find . -printf '%p %y %m %T@ %s\n' | sort && cat file sub/file)
}

# hroot FIXTURE [scratch]: a fresh copy of the fixture as $R (with the
# stand-in boot tools when "scratch"), and the canary next to it
hroot() {
	rm -rf "$HW"
	mkdir -p "$HW/canary/sub"
	echo "canary: nothing may change me" >"$HW/canary/file"
	echo "canary too" >"$HW/canary/sub/file"
	touch -d 2001-01-01 "$HW/canary/file" "$HW/canary/sub/file" "$HW/canary/sub" "$HW/canary"
	R=$HW/root
	if [ "${2:-}" = scratch ]; then
		scratch_root "$1" "$R" || return 1
	else
		cp -a "$top/tests/roots/$1" "$R" || return 1
	fi
	canary_before=$(canary_state)
}

# hrun NAME WANT PATTERN [unchanged] -- ARGS...: iommu-setup --root $R ARGS
# must exit WANT within the time limit, say PATTERN (stderr or stdout),
# raise no sanitizer report and leave the canary alone; "unchanged": the
# root must be as it was too (nothing written on error)
hrun() {
	local name=$1 want=$2 pat=$3 unchanged=
	shift 3
	if [ "$1" = unchanged ]; then
		unchanged=$(manifest "$R")
		shift
	fi
	shift # --
	timeout -k 5 "${HTIMEOUT:-120}" "$BIN" --root "$R" "$@" >"$work/out" 2>"$work/err"
	local got=$?
	if [ $got = 124 ] || [ $got = 137 ]; then
		ko "hostile/$name" "hung: killed after ${HTIMEOUT:-120}s" "$(head -c 600 "$work/err")"
	elif [ "$got" != "$want" ]; then
		ko "hostile/$name" "exit $got, want $want" "$(head -c 800 "$work/err")"
	elif [ -n "$pat" ] && ! cat "$work/err" "$work/out" | grep -qE -- "$pat"; then
		ko "hostile/$name" "output lacks /$pat/:" "$(head -c 800 "$work/err")"
	elif grep -q 'Sanitizer\|runtime error' "$work/err"; then
		ko "hostile/$name" "sanitizer report:" "$(head -c 1500 "$work/err")"
	elif [ "$(canary_state)" != "$canary_before" ]; then
		ko "hostile/$name" "the canary outside the root changed"
	elif [ -n "$unchanged" ] && [ "$(manifest "$R")" != "$unchanged" ]; then
		ko "hostile/$name" "the root changed:" "$(diff <(echo "$unchanged") <(manifest "$R") | head -10)"
	else
		ok "hostile/$name"
	fi
}

# hcheck NAME DESCRIPTION COMMAND...: a further assertion, said in words
hcheck() {
	local name=$1 what=$2
	shift 2
	if "$@"; then ok "hostile/$name"; else ko "hostile/$name" "$what"; fi
}

# every verb that reads the root, for a hazard any of them may meet
all_verbs() {
	local name=$1 want_read=$2 pat=$3
	hrun "$name/check" "$want_read" "$pat" unchanged -- check
	# devices reads sysfs and pci.ids only: the hazard is not its business
	[ -n "$(ls "$R/sys/bus/pci/devices" 2>/dev/null)" ] &&
		hrun "$name/devices" 0 "" unchanged -- devices
	hrun "$name/plan" "$want_read" "$pat" unchanged -- plan --ids 8086:1533
	hrun "$name/apply" "$want_read" "$pat" unchanged -- apply --ids 8086:1533
	hrun "$name/revert" 0 "" unchanged -- revert
	hrun "$name/snapshot" "$want_read" "$pat" unchanged -- snapshot "$HW/snap.tar"
	rm -f "$HW/snap.tar"
}
