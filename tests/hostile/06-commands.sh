# shellcheck shell=bash
# External commands are bounded: one that hangs is killed at the time limit
# with everything it started, one that leaves a daemon holding its output
# does not keep apply waiting, and a failing one's final words are shown
# even after megabytes of output. Every failure rolls the files back.
stand_in() { # NAME SCRIPT: replaces a stand-in boot tool of $R
	printf '#!/bin/sh\n%s\n' "$2" >"$R/usr/sbin/$1"
	chmod 755 "$R/usr/sbin/$1"
}
# the stand-ins' "sleep 4711" (the bracket keeps pgrep from finding itself)
running() { pgrep -f "slee[p] 4711" >/dev/null; }
none_running() { sleep "${1:-0}"; ! running; }

hroot debian12-bios scratch
stand_in update-grub 'sleep 4711'
HTIMEOUT=60 hrun "commands/hang" 3 "update-grub did not finish within 3 s and was killed" unchanged -- \
	apply --ids 8086:1533 --command-timeout 3
hcheck "commands/hang/killed" "nothing of the hanging command may be left running" none_running

hroot debian12-bios scratch
stand_in update-grub 'sleep 4711 & sleep 4711 >/dev/null 2>&1 </dev/null & exec /usr/sbin/grub-mkconfig -o /boot/grub/grub.cfg'
HTIMEOUT=60 hrun "commands/daemon" 0 "" -- apply --ids 8086:1533 --command-timeout 30
hcheck "commands/daemon/killed" "what the command left in its process group must be killed" none_running 0.5
pkill -9 -f "slee[p] 4711"

hroot debian12-bios scratch
stand_in update-grub 'i=0; while [ $i -lt 70000 ]; do echo "noise line $i of a chatty generator"; i=$((i+1)); done; echo "FINAL: no space left on /boot" >&2; exit 1'
HTIMEOUT=120 hrun "commands/long-output" 3 "FINAL: no space left on /boot" unchanged -- apply --ids 8086:1533

# apply killed while its generator runs; the generator writes late. The next
# run's recovery kills it first, then restores: the late write never lands.
hroot debian12-bios scratch
stand_in update-grub 'touch /tmp/gen-started; sleep 3; echo LATE >/boot/grub/grub.cfg; sleep 4711'
cp "$R/boot/grub/grub.cfg" "$HW/grub.cfg.orig"
"$BIN" --root "$R" apply --ids 8086:1533 >/dev/null 2>&1 &
apid=$!
for _ in $(seq 1 100); do [ -e "$R/tmp/gen-started" ] && break; sleep 0.1; done
kill -9 "$apid" 2>/dev/null
wait "$apid" 2>/dev/null
hrun "commands/killed-apply/recovery" 0 "interrupted" -- revert
sleep 4
hcheck "commands/killed-apply/no-late-write" "the generator of the killed run must be dead before recovery restores grub.cfg" \
	cmp -s "$R/boot/grub/grub.cfg" "$HW/grub.cfg.orig"
hcheck "commands/killed-apply/no-leftover" "the generator of the killed run must not be running" none_running
pkill -9 -f "slee[p] 4711"
