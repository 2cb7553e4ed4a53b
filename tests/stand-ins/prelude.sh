#!/bin/sh
# Stand-in for @NAME@ in a test root (tests/stand-ins, installed by
# tests/mk-roots): it appends its arguments to /stand-ins.log, fails when
# /stand-ins/fail-@NAME@ exists, and otherwise does what the real tool does
# to the files iommu-setup checks afterwards. Runs under busybox sh in a
# chroot; nothing here touches the build host.
name=@NAME@
echo "$name $*" >>/stand-ins.log
if [ -e "/stand-ins/fail-$name" ]; then
	echo "$name: told to fail by /stand-ins/fail-$name" >&2
	exit 1
fi
