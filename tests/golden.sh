# shellcheck shell=bash
# How golden outputs are made; sourced by tests/run-tests and tests/update-golden.
# golden_render BIN ROOT KIND OUT: KIND is check.txt, check.json or acpi.txt.
# Output includes the exit status as a last line "[exit N]"; stderr goes to OUT.err.
golden_render() {
	local bin=$1 root=$2 kind=$3 out=$4 s=0
	case $kind in
	check.txt) NO_COLOR=1 "$bin" --root "$root" check >"$out" 2>"$out.err" || s=$? ;;
	check.json) "$bin" --root "$root" --json check >"$out" 2>"$out.err" || s=$? ;;
	acpi.txt) "$bin" --root "$root" acpi >"$out" 2>&1 || s=$? ;;
	esac
	echo "[exit $s]" >>"$out"
	# the table paths shown include the --root given: make them stable
	sed -i "s|${root%/}/|ROOT/|g" "$out"
	: >>"$out.err"
}

# golden_kinds ROOT: what is recorded for a fixture root
golden_kinds() {
	echo check.txt check.json
	if [ -n "$(ls "$1/sys/firmware/acpi/tables" 2>/dev/null)" ]; then echo acpi.txt; fi
}
