# shellcheck shell=bash
# Host-critical is absolute: the NVMe holding / is refused with or without
# IOMMU groups (the first run, when the IOMMU is not on yet), and --force does
# not override it; a VMD device in a 32-bit PCI domain is seen and guarded.
hroot workstation
hrun "critical/groups" 2 "0000:02:00.0 cannot be assigned: HOST-CRITICAL" unchanged -- plan --device 0000:02:00.0
hrun "critical/groups-force" 2 "nothing overrides this, not even --force" unchanged -- plan --device 0000:02:00.0 --force
# --force still takes along a group mate the host drives (not critical)
hrun "critical/force-takes-mate" 0 "" unchanged -- plan --device 0000:03:00.0 --force
hcheck "critical/force-takes-mate/both" "--force must plan the ahci group mate too" grep -q '1b21:0612' "$work/out"

# the first run: no IOMMU groups yet
hroot workstation
rm -rf "$R/sys/kernel/iommu_groups"
find "$R/sys/devices" -name iommu_group -type l -delete
hrun "critical/no-groups" 2 "0000:02:00.0 cannot be assigned: HOST-CRITICAL: it holds /" unchanged -- \
	apply --device 0000:02:00.0
hrun "critical/no-groups-force" 2 "HOST-CRITICAL" unchanged -- apply --device 0000:02:00.0 --force
hrun "critical/no-groups-ids" 2 "0000:02:00.0 cannot be assigned: HOST-CRITICAL" unchanged -- apply --ids 144d:a808
# the boot display's other functions come with it: its audio is critical too
hrun "critical/no-groups-boot-vga" 2 "HOST-CRITICAL" unchanged -- plan --device 0000:00:02.0

# Intel VMD: the NVMe behind it sits in domain 10000, and holds / now; the
# other NVMe (the same model, the same ID) holds /srv only
hroot workstation
vmd=$R/sys/devices/pci0000:00/0000:00:0e.0/pci10000:e0/10000:e1:00.0
mkdir -p "$vmd/nvme/nvme1/nvme1n1/nvme1n1p1"
for a in config vendor device class subsystem_vendor subsystem_device numa_node; do
	cp -a "$R/sys/devices/pci0000:00/0000:00:1d.0/0000:02:00.0/$a" "$vmd/" 2>/dev/null
done
ln -s "../../../../../bus/pci/drivers/nvme" "$vmd/driver"
ln -s "../../../../../kernel/iommu_groups/11" "$vmd/iommu_group"
ln -s "../../../devices/pci0000:00/0000:00:0e.0/pci10000:e0/10000:e1:00.0" "$R/sys/bus/pci/devices/10000:e1:00.0"
ln -s "../../devices/pci0000:00/0000:00:0e.0/pci10000:e0/10000:e1:00.0/nvme/nvme1/nvme1n1/nvme1n1p1" "$R/sys/dev/block/259:9"
cat >"$R/proc/self/mountinfo" <<'MI'
22 1 259:9 / / rw,relatime shared:1 - ext4 /dev/nvme1n1p1 rw
24 22 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
31 22 259:2 / /srv rw,relatime shared:29 - ext4 /dev/nvme0n1p2 rw
MI
hrun "critical/vmd-devices" 0 "" unchanged -- devices
hcheck "critical/vmd-listed" "devices must list 10000:e1:00.0, host-critical" \
	grep -A1 '^10000:e1:00.0' "$work/out" | grep -q 'HOST-CRITICAL: it holds /'
hrun "critical/vmd-device" 2 "10000:e1:00.0 cannot be assigned: HOST-CRITICAL" unchanged -- plan --device 10000:e1:00.0 --force
# the other NVMe by ID would take the VMD one along: vfio-pci.ids binds every function with it
hrun "critical/vmd-twin-by-id" 2 "vfio-pci.ids=144d:a808 would take 10000:e1:00.0 as well" unchanged -- plan --device 0000:02:00.0
hrun "critical/vmd-bad-domain" 2 "not a PCI address" unchanged -- plan --device 100000000:e1:00.0
