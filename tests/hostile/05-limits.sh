# shellcheck shell=bash
# Limits are errors that name the limit, never a silent cut, and a file over
# a size cap is never taken for a missing one (apply would replace it and
# revert delete the administrator's original).
hroot intel-ready
{
	cat "$R/etc/default/grub"
	head -c 1100000 /dev/zero | tr '\0' '#'
	echo
} >"$R/etc/default/grub.big" && mv "$R/etc/default/grub.big" "$R/etc/default/grub"
all_verbs "limits/grub-over-1MiB" 2 "/etc/default/grub: File too large"

hroot rhel9-uefi-stub
head -c 70000 /dev/zero | tr '\0' 'x' >"$R/etc/kernel/cmdline"
hrun "limits/kernel-cmdline-over-64KiB/plan" 2 "/etc/kernel/cmdline: File too large" unchanged -- plan --ids 8086:1533
hrun "limits/kernel-cmdline-over-64KiB/apply" 2 "/etc/kernel/cmdline: File too large" unchanged -- apply --ids 8086:1533

# 300 IDs: vfio-pci's ids parameter holds 1023 characters; the plan says so
# and points to --device, which binds by address
hroot intel-ready
ids=$(for i in $(seq 1 300); do printf '10de:%04x,' "$i"; done)
hrun "limits/300-ids" 2 "holds at most 1023.*--device" unchanged -- plan --ids "${ids%,}"
# 100 fit (999 characters)
ids=$(for i in $(seq 1 100); do printf '10de:%04x,' "$i"; done)
hrun "limits/100-ids" 0 "" unchanged -- plan --ids "${ids%,}"
hcheck "limits/100-ids/whole" "all 100 IDs must be in the planned vfio-pci ids, none cut" \
	test "$(grep -o '10de:0064' "$work/out" | head -1)" = "10de:0064"

# a command line the kernel would cut: COMMAND_LINE_SIZE is 2048 on x86
hroot debian12-bios
long=$(printf 'x%.0s' $(seq 1 1950))
sed -i "s/^GRUB_CMDLINE_LINUX=\"\(.*\)\"/GRUB_CMDLINE_LINUX=\"\1 long=$long\"/" "$R/etc/default/grub"
hrun "limits/2KiB-cmdline" 2 "COMMAND_LINE_SIZE" unchanged -- plan --ids 8086:1533
# more than 64 units and 32 kernels: listed, not cut
hroot intel-ready
for i in $(seq 3 80); do mkdir -p "$R/sys/class/iommu/dmar$i"; done
hrun "limits/80-units" 0 "" unchanged -- check --json
hcheck "limits/80-units/all" "every IOMMU unit must be reported (81)" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(len(d["kernel"]["iommu_units"]) != 81)' "$work/out"
hroot intel-ready
for i in $(seq 1 40); do
	mkdir -p "$R/lib/modules/5.$i.0-1-amd64"
	cp "$R/lib/modules/6.1.0-13-amd64/modules.dep" "$R/lib/modules/5.$i.0-1-amd64/"
done
hrun "limits/41-kernels" 0 "" unchanged -- check --json
hcheck "limits/41-kernels/all" "every installed kernel must be listed (41)" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(len(d["modules"]["installed_kernels"]) != 41)' "$work/out"
