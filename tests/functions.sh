# shellcheck shell=bash
# The functions every test case shares, after util-linux's tests/functions.sh.
# A case is an executable script tests/ts/<area>/<case>:
#
#   . "$(dirname "$0")/../../functions.sh"
#   ts_init "$0" "what the case proves"
#   ts_skip_nonroot                     # optional: SKIP when not root
#   ts_skip_missing busybox             # optional: SKIP without a command
#   expect NAME WANT PATTERN -- CMD...  # or: ok NAME / ko NAME DETAIL...
#   ts_finalize
#
# Each assertion prints "PASS name" or "FAIL name" with its detail indented.
# Exit status: 0 all passed, 1 one failed, 77 skipped (tests/run's SKIP). A
# skip after a failed assertion is a failure: SKIP never hides one.
# The environment comes from tests/run: TS_BUILD (the build directory),
# FUZZ_SECONDS. The expected output of a case, where it has one, is
# tests/expected/<area>/<case> (a file, or a directory of them).
set -u
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
T=$top/tests
B=${TS_BUILD:-build}
BIN=$top/$B/asan/iommu-setup
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export NO_COLOR=1 LC_ALL=C
# the shipped vendor rules, as the installed binary finds them in its rules.d
export IOMMU_SETUP_RULES_DIR=$top/data/vendor-rules
pass=0 fail=0
work=

# ts_init "$0" DESCRIPTION: names the case, makes its scratch directory $work
# (removed at exit) and enters the top of the tree
ts_init() {
	local path
	path=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
	TS_CASE=$(basename "$path")
	TS_AREA=$(basename "$(dirname "$path")")
	TS_NAME=$TS_AREA/$TS_CASE
	TS_DESC=${2:-}
	export TS_EXPECTED=$T/expected/$TS_AREA/$TS_CASE
	work=$(mktemp -d "${TMPDIR:-/tmp}/iommu-setup-ts.XXXXXX") || exit 1
	trap 'rm -rf "$work"' EXIT
	cd "$top" || exit 1
	[ -n "$TS_DESC" ] && echo "== $TS_NAME: $TS_DESC"
	if [ ! -x "$BIN" ]; then
		ko "$TS_NAME/setup" "$BIN is not built (make check builds it)"
		ts_finalize
	fi
}

ok() {
	pass=$((pass + 1))
	echo "PASS $1"
}

ko() {
	fail=$((fail + 1))
	echo "FAIL $1"
	shift
	[ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/    /'
	return 0
}

# ts_skip REASON: the case cannot run here; it counts as skipped, unless an
# assertion already failed
ts_skip() {
	if [ "$fail" -gt 0 ]; then
		echo "SKIP refused: $fail assertion(s) failed before the skip ($*)"
		ts_finalize
	fi
	echo "SKIP $*"
	exit 77
}

ts_skip_nonroot() {
	[ "$(id -u)" = 0 ] || ts_skip "needs root"
}

# ts_skip_missing CMD...: each a command on PATH or an existing path
ts_skip_missing() {
	local c
	for c; do
		command -v "$c" >/dev/null 2>&1 || [ -e "$c" ] || ts_skip "needs $c"
	done
}

ts_finalize() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ] && exit 0
	[ "$fail" -eq 0 ] && echo "FAIL $TS_NAME: no assertion ran"
	exit 1
}

# expect NAME WANT_EXIT STDERR_PATTERN -- CMD...: the exit status, a message
# on stderr, and no sanitizer report; the output stays in $work/out, $work/err
expect() {
	local name=$1 want=$2 pat=$3
	shift 4
	"$@" >"$work/out" 2>"$work/err"
	local got=$?
	if [ "$got" != "$want" ]; then
		ko "$name" "exit $got, want $want" "$(head -c 600 "$work/err")"
	elif [ -n "$pat" ] && ! grep -qE -- "$pat" "$work/err"; then
		ko "$name" "stderr lacks /$pat/:" "$(head -c 600 "$work/err")"
	elif grep -q 'Sanitizer\|runtime error' "$work/err"; then
		ko "$name" "sanitizer report:" "$(head -c 1500 "$work/err")"
	else
		ok "$name"
	fi
}

# sub_suite PREFIX CMD...: runs a program that prints PASS/FAIL lines (detail
# indented) and counts its results here; an exit status that is not 0
# without a FAIL line is a failure too
# shellcheck disable=SC2094 # $work/sub is read twice, written by neither
sub_suite() {
	local prefix=$1 status name
	shift
	"$@" >"$work/sub" 2>"$work/sub.err"
	status=$?
	while IFS= read -r line; do
		case $line in
		"PASS "*) ok "$prefix${line#PASS }" ;;
		"FAIL "*)
			name=${line#FAIL }
			ko "$prefix$name" "$(awk -v n="$line" '$0 == n { on = 1; next } on && /^    / { print; next } { on = 0 }' "$work/sub")"
			;;
		esac
	done <"$work/sub"
	if [ $status -ne 0 ] && ! grep -q '^FAIL' "$work/sub"; then
		ko "${prefix}exit" "$* exited $status:" "$(tail -20 "$work/sub" "$work/sub.err")"
	fi
}

# ts_unit: the unit-test program of the case's module (tests/unit/test-<case>.c)
ts_unit() {
	sub_suite "" "$top/$B/asan/unit/test-$TS_CASE" "$T/data/acpi"
}

# nothing_planned ROOT REQUEST...: plan --exit-code says there is nothing to
# change (0), or only a reboot pending (5) or a firmware blocker (6), and the
# status agrees with what its JSON says
nothing_planned() {
	local root=$1 s
	shift
	"$BIN" --root "$root" plan --json --exit-code "$@" >"$work/np.json"
	s=$?
	/usr/bin/python3 - "$work/np.json" "$s" <<-'PY'
		import json, sys
		d = json.load(open(sys.argv[1]))
		s = int(sys.argv[2])
		want = 6 if d["firmware_blocker"] else 5 if d["reboot_required"] else 0
		if d["changed"] or s != want:
		    sys.exit("changed=%s firmware_blocker=%s reboot_required=%s: exit %d, want %d"
		             % (d["changed"], d["firmware_blocker"], d["reboot_required"], s, want))
	PY
}
