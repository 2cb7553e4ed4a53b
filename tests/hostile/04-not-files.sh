# shellcheck shell=bash
# A FIFO or a device where a regular file is expected: an error naming the
# file at once (exit 2), never a hang, never "absent", nothing written.
for what in fifo chardev dir; do
	for f in etc/default/grub etc/modprobe.d/vfio.conf; do
		# modprobe skips a directory in modprobe.d: so does iommu-setup
		[ $what = dir ] && [ $f = etc/modprobe.d/vfio.conf ] && continue
		hroot intel-ready
		rm -f "$R/$f"
		case $what in
		fifo) mkfifo "$R/$f" ;;
		chardev) mknod "$R/$f" c 1 5 ;; # /dev/zero: endless
		dir) mkdir "$R/$f" ;;
		esac
		want="/$f: not a regular file"
		[ $what = dir ] && want="/$f: Is a directory"
		all_verbs "not-a-file/$what/$f" 2 "$want"
	done
done
# a sysfs attribute that is a FIFO: the device's directory is the root's doing
hroot workstation
rm -f "$R/sys/devices/pci0000:00/0000:00:02.0/numa_node"
mkfifo "$R/sys/devices/pci0000:00/0000:00:02.0/numa_node"
hrun "not-a-file/sysfs-fifo/devices" 2 "0000:00:02.0/numa_node: not a regular file" unchanged -- devices
hrun "not-a-file/sysfs-fifo/plan" 2 "0000:00:02.0/numa_node: not a regular file" unchanged -- plan --ids 10de:1e87
