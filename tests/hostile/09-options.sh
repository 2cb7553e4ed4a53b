# shellcheck shell=bash
# Each verb takes its own options: another verb's is a usage error (exit 2)
# naming the option and the verb; probe is a verb; snapshot's is --replace.
hroot intel-ready
hrun "options/revert-ids" 2 "--ids is not an option of revert" unchanged -- revert --ids 8086:1533
hrun "options/check-device" 2 "--device is not an option of check" unchanged -- check --device 0000:01:00.0
hrun "options/check-xml" 2 "--xml is not an option of check" unchanged -- check --xml 0000:01:00.0
hrun "options/devices-force" 2 "--force is not an option of devices" unchanged -- devices --force
hrun "options/snapshot-force" 2 "--force is not an option of snapshot" unchanged -- snapshot "$HW/s.tar" --force
hrun "options/check-probe" 2 "unrecognized option|--probe" unchanged -- check --probe 0000:01:00.0
hrun "options/probe-fixture" 2 "live host only" unchanged -- probe 0000:01:00.0
hrun "options/rules-timeout" 2 "--command-timeout is not an option of rules" unchanged -- rules --command-timeout 5
