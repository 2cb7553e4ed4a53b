# shellcheck shell=bash
# var or var/lib are symlinks (an image built with /var on another
# filesystem, or a planted link): the lock, journal and record stay below
# the root, wherever the link points inside it; a link that points outside
# the root is taken inside it, like everything else.
hroot debian12-bios scratch
rm -rf "$R/var/lib"
ln -s "$HW/canary" "$R/var/lib"
hrun "state/var-lib-absolute-link" 0 "" -- apply --ids 8086:1533
hcheck "state/var-lib-absolute-link/inside" "the record must be below the root, where the link leads inside it" \
	test -f "$R$HW/canary/iommu-setup/record"
hcheck "state/var-lib-absolute-link/private" "the state directory is 0700 and the record 0600" \
	test "$(stat -c %a "$R$HW/canary/iommu-setup") $(stat -c %a "$R$HW/canary/iommu-setup/record")" = "700 600"
hrun "state/var-lib-absolute-link/revert" 0 "" -- revert

hroot debian12-bios scratch
rm -rf "$R/var"
ln -s ../../../.. "$R/var"
hrun "state/var-relative-escape" 0 "" -- apply --ids 8086:1533
hcheck "state/var-relative-escape/inside" "'..' stops at the root: the state is <root>/lib/iommu-setup" \
	test -f "$R/lib/iommu-setup/record"

# an earlier version left the state world-readable: made private again
hroot debian12-bios scratch
mkdir -p "$R/var/lib/iommu-setup"
chmod 755 "$R/var/lib/iommu-setup"
hrun "state/tightened" 0 "" -- apply --ids 8086:1533
hcheck "state/tightened/mode" "the state directory must be 0700 after a run" \
	test "$(stat -c %a "$R/var/lib/iommu-setup")" = 700
