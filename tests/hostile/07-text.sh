# shellcheck shell=bash
# Text from the root reaches the terminal escaped: a title-changing escape in
# the CPU model, a newline that would forge a PASS line in a driver name, a
# control character in a pci.ids name. JSON keeps valid UTF-8 as it is.
no_raw_controls() { ! LC_ALL=C grep -qP '[\x00-\x08\x0b-\x1f\x7f]' "$1"; }
hroot workstation
sed -i 's/^model name.*/model name\t: Evil\x1b]0;pwned\x07 CPU\r caf\xc3\xa9/' "$R/proc/cpuinfo"
hrun "text/cpuinfo/check" 0 "" unchanged -- check
hcheck "text/cpuinfo/escaped" "no raw control character may reach the terminal" no_raw_controls "$work/out"
hcheck "text/cpuinfo/visible" "the escape is shown as \\x1b, UTF-8 as it is" \
	grep -q 'Evil\\x1b\]0;pwned\\x07 CPU\\x0d café' "$work/out"
hrun "text/cpuinfo/json" 0 "" unchanged -- check --json
hcheck "text/cpuinfo/json-utf8" "JSON carries café as UTF-8 and the escape as \\u001b" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d["cpu"]["model_name"] != "Evil\x1b]0;pwned\x07 CPU\r café")' "$work/out"

hroot workstation
d=$R/sys/devices/pci0000:00/0000:00:1f.6
mkdir -p "$R/sys/bus/pci/drivers/e1000e
CPU : PASS forged"
ln -sfn "../../../bus/pci/drivers/e1000e
CPU : PASS forged" "$d/driver"
hrun "text/driver-newline" 0 "" unchanged -- devices
hcheck "text/driver-newline/no-forged-line" "a newline in a driver name must not start a line" \
	bash -c '! grep -q "^CPU : PASS forged" "$1" && grep -q "e1000e\\\\x0aCPU : PASS forged" "$1"' _ "$work/out"

hroot workstation
sed -i 's/^\t3e92  CoffeeLake-S GT2 \[UHD Graphics 630\]/\t3e92  Evil\x1b[2J\x1b]0;x\x07GPU/' "$R/usr/share/misc/pci.ids" 2>/dev/null ||
	sed -i 's/CoffeeLake-S GT2 \[UHD Graphics 630\]/Evil\x1b[2J\x1b]0;x\x07GPU/' "$R/usr/share/hwdata/pci.ids"
hrun "text/pci-ids" 0 "" unchanged -- devices
hcheck "text/pci-ids/escaped" "no raw control character from pci.ids may reach the terminal" no_raw_controls "$work/out"

# a modprobe.d name with a newline: refused, the name shown escaped
hroot intel-ready
cp "$R/etc/modprobe.d/vfio.conf" "$R/etc/modprobe.d/a
PASS.conf"
hrun "text/conf-name" 2 'etc/modprobe.d/a\\x0aPASS.conf: control characters in the name' unchanged -- check
hcheck "text/conf-name/escaped" "no raw control character may reach the terminal" no_raw_controls "$work/err"

# an interface name that would break the libvirt XML: refused
hroot workstation
pf=$(ls -d "$R"/sys/devices/pci0000:00/*/0000:05:00.0 2>/dev/null | head -1)
if [ -n "$pf" ] && [ -d "$pf/net" ]; then
	mv "$pf/net/"* "$pf/net/eth0'><x"
	hrun "text/xml-pool" 2 "not an interface name" unchanged -- devices --xml-pool 0000:05:00.0
else
	ko "text/xml-pool" "the workstation fixture lacks the SR-IOV PF 0000:05:00.0 with a net/ directory"
fi
