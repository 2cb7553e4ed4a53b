# shellcheck shell=bash
# A journal planted below the root names paths outside it. The recovery
# every apply and revert runs first must refuse it whole (exit 2, the line
# named), touch nothing, and leave it there for someone to look at.
plant_journal() {
	mkdir -p "$R/var/lib/iommu-setup/journal"
	printf '%s\n' "$@" >"$R/var/lib/iommu-setup/journal/list"
	echo "evil copy" >"$R/var/lib/iommu-setup/journal/0"
}
for bad in "../canary/file" "$HW/canary/file" "etc/../../canary/file" "./etc/x" "etc//x" "etc/x/"; do
	hroot debian12-bios
	plant_journal "txn 1-2-3" "file 0 644 0 0 etc/default/grub" "file 1 644 0 0 $bad"
	hrun "journal/apply ($bad)" 2 "journal/list:3: not a path below the root" unchanged -- apply --ids 8086:1533
	hrun "journal/revert ($bad)" 2 "journal/list:3: not a path below the root" unchanged -- revert
done
# a directory the journal says the run created, outside the root: not removed
hroot debian12-bios
plant_journal "txn 1-2-3" "dir ../canary/sub"
hrun "journal/dir-outside" 2 "journal/list:2:" unchanged -- revert
# a journal whose file lies behind a symlink leading out: the writer refuses
# any symlink in a resolved path, so nothing is written through it
hroot debian12-bios
ln -s "$HW/canary" "$R/etc/escape"
plant_journal "txn 1-2-3" "file 1 644 0 0 etc/escape/file"
hrun "journal/through-a-link" 2 "Failed to restore /etc/escape/file" -- revert
hcheck "journal/through-a-link/kept" "a journal that could not be rolled back must stay for the next run" \
	test -e "$R/var/lib/iommu-setup/journal/list"
