# shellcheck shell=bash
# The module indexes of the target kernel are links to absolute paths. Inside
# the root they lead nowhere; followed against the host's "/" they would
# find a complete index (planted next to the canary) with every VFIO module.
# The decision must come from the root alone: no index, no VFIO modules
# (check exits 1: not ready).
hroot intel-ready
kver=6.1.0-13-amd64
mkdir -p "$HW/outside"
cp -a "$R/lib/modules/$kver/"modules.* "$HW/outside/"
# the binary indexes, which libkmod reads (modules.dep stays: the kernel is installed)
for f in "$R/lib/modules/$kver/"modules.*.bin; do
	ln -sf "$HW/outside/$(basename "$f")" "$f"
done
hrun "kmod/absolute-links" 1 "" unchanged -- check --json
hcheck "kmod/absolute-links/root-only" "vfio_pci must not be found through a link out of the root" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d["modules"]["kernel"] != "6.1.0-13-amd64" or d["modules"]["vfio"]["vfio_pci"]["state"] == "module")' "$work/out"
# through /proc/self/root, a magic link: refused as well
hroot intel-ready
for f in "$R/lib/modules/$kver/"modules.*.bin; do
	ln -sf "/proc/self/root$HW/outside/$(basename "$f")" "$f"
done
hrun "kmod/magic-links" 1 "" unchanged -- check --json
hcheck "kmod/magic-links/root-only" "vfio_pci must not be found through /proc/self/root" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d["modules"]["kernel"] != "6.1.0-13-amd64" or d["modules"]["vfio"]["vfio_pci"]["state"] == "module")' "$work/out"
rm -rf "$HW/outside"
