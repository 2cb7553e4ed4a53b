# shellcheck shell=bash
# /etc/default/grub constructs whose effect the editor cannot know after the
# last assignment of GRUB_CMDLINE_LINUX: the plan refuses, naming file:line;
# a here-document's body is not read as commands.
grub_case() { # NAME TEXT...: appended to etc/default/grub
	local name=$1
	shift
	hroot debian12-bios
	printf '%s\n' "$@" >>"$R/etc/default/grub"
	hrun "shell/$name" 2 "etc/default/grub" unchanged -- plan --ids 8086:1533
}
grub_case subshell '( GRUB_CMDLINE_LINUX="quiet" )'
grub_case case-arm 'case "$x" in' '  y) GRUB_CMDLINE_LINUX="other" ;;' 'esac'
grub_case loop 'for w in a b; do GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX $w"; done'
grub_case unset 'unset GRUB_CMDLINE_LINUX'
grub_case eval 'eval "GRUB_CMDLINE_LINUX=x"'
grub_case source '. /etc/default/grub.local'
grub_case heredoc 'read -r GRUB_CMDLINE_LINUX <<EOF' 'quiet splash' 'EOF'
# a here-document feeding cat: the plain assignment after it is what counts,
# and its body (which looks like an assignment) is not one
hroot debian12-bios
printf '%s\n' 'cat >/dev/null <<"EOF"' 'GRUB_CMDLINE_LINUX="planted"' 'EOF' 'GRUB_CMDLINE_LINUX="after"' >>"$R/etc/default/grub"
hrun "shell/heredoc-body" 0 "" unchanged -- plan --ids 8086:1533
hcheck "shell/heredoc-body/not-read" "the body's assignment must not be taken for GRUB_CMDLINE_LINUX" \
	bash -c '! grep -q "^[-+]GRUB_CMDLINE_LINUX=\"planted" "$1" && grep -q "^+GRUB_CMDLINE_LINUX=\"after intel_iommu=on" "$1"' _ "$work/out"
# where iommu-setup writes a file there is a directory, and no generator is
# installed: refused with the file named, nothing written, nothing freed twice
hroot debian12-bios
mkdir -p "$R/etc/modprobe.d/iommu-setup.conf"
hrun "shell/conf-is-a-directory" 2 "Failed to back up /etc/modprobe.d/iommu-setup.conf before changing it: Is a directory" unchanged -- apply --ids 8086:1533
rm -f "$R/usr/sbin/update-grub" "$R/usr/sbin/grub-mkconfig"
hrun "shell/no-generator" 2 "neither update-grub, grub2-mkconfig nor grub-mkconfig is installed" unchanged -- apply --ids 8086:1533
