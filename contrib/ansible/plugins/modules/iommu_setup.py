#!/usr/bin/python3
# -*- coding: utf-8 -*-
# Ansible module wrapping the installed iommu-setup binary: state=present runs
# `iommu-setup apply`, state=absent `iommu-setup revert`, always with --json.
# The module decides nothing itself; everything it reports comes from the
# tool's JSON object (schema "iommu-setup/1").
# SPDX-License-Identifier: LGPL-2.1-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: iommu_setup
short_description: Prepare a Linux KVM host for VFIO passthrough with iommu-setup
version_added: "0.1.0"
description:
  - Runs the installed C(iommu-setup) tool, which turns the IOMMU on in the
    next boot's kernel command line, writes the C(modprobe.d) configuration
    that hands the requested PCI devices to C(vfio-pci), regenerates
    C(grub.cfg) and the initramfs and reads the next boot back.
  - I(state=present) runs C(iommu-setup apply), I(state=absent) runs
    C(iommu-setup revert), which undoes exactly what earlier applies changed.
    Both are transactional and idempotent; the module always passes C(--json)
    and reports what the tool reports.
  - In check mode nothing is changed. I(state=present) runs C(iommu-setup
    plan) with the same request, I(state=absent) runs C(iommu-setup check)
    and reports C(changed) when an earlier apply left a record that revert
    would undo.
  - With C(--diff) the unified diffs of every file the tool would write (or
    wrote) are returned in Ansible's diff format.
  - The tool never assigns a host-critical device (the storage behind C(/)
    and C(/boot), the default route's NIC, the boot VGA); such a request
    fails with the tool's reason, and I(force) does not override it.
author:
  - iommu-setup contributors
requirements:
  - iommu-setup installed on the managed host (or I(binary) pointing at it)
  - root privileges on the managed host (C(become=true)) unless I(root) is a
    tree the remote user may write
options:
  state:
    description:
      - C(present) makes the host's next boot satisfy the request
        (C(iommu-setup apply)).
      - C(absent) undoes what earlier applies changed (C(iommu-setup revert)).
        The request options below are not passed to revert, which does not
        take them; the module warns when they are set.
    type: str
    choices: [present, absent]
    default: present
  devices:
    description:
      - PCI functions to hand to vfio-pci, by address (C(0000:01:00.0),
        C(01:00.0)). Each becomes C(--device=BDF).
      - The request is the set of devices; devices of an earlier apply that
        are not requested again are taken back from vfio-pci.
    type: list
    elements: str
    default: []
  ids:
    description:
      - Devices for vfio-pci by vendor:device ID (C(10de:1b80)), passed as
        one C(--ids=a,b).
    type: list
    elements: str
    default: []
  params:
    description:
      - Further kernel parameters the vendor rules do not decide, as
        C(NAME) or C(NAME=VALUE) (C(video=efifb:off),
        C(intel_iommu=igfx_off)). Each becomes C(--param=...).
    type: list
    elements: str
    default: []
  allow_unsafe_interrupts:
    description:
      - Opt in to C(allow_unsafe_interrupts) when the platform lacks
        interrupt remapping (weaker isolation between guests and the host).
    type: bool
    default: false
  passthrough:
    description:
      - C(true) writes C(iommu=pt) even where the host asks for strict DMA
        translation (C(--passthrough)); C(false) leaves C(iommu=pt) out
        (C(--no-passthrough)); unset (null) leaves the decision to the tool,
        which offers C(iommu=pt) unless the host asks for strict translation.
    type: bool
  force:
    description:
      - Assign a device even when its IOMMU group holds other devices the
        host still uses (C(--force)). Never a host-critical one.
    type: bool
    default: false
  root:
    description:
      - The system to configure (C(--root)); everything is read and written
        below it. C(/) is the managed host itself; a directory is a chroot or
        an image being built.
    type: path
    default: /
  binary:
    description:
      - Path of the C(iommu-setup) executable, or a command name looked up
        in C(PATH), C(/usr/sbin) and C(/usr/local/sbin). By default
        C(iommu-setup) is looked up there.
    type: path
  initramfs:
    description:
      - C(true) rebuilds the initramfs even when its files are unchanged
        (C(--initramfs), I(state=present) only); C(false) leaves the
        initramfs alone (C(--no-initramfs)); unset (null) lets the tool
        decide.
    type: bool
  mkconfig:
    description:
      - C(false) leaves C(grub.cfg) alone (C(--no-mkconfig)), for image
        builders that generate it later.
    type: bool
    default: true
  command_timeout:
    description:
      - Seconds after which a boot tool the tool runs (C(update-grub),
        C(dracut), ...) is killed (C(--command-timeout)). The tool's default
        is 900.
    type: int
attributes:
  check_mode:
    support: full
    description: state=present runs C(iommu-setup plan); state=absent runs C(iommu-setup check).
  diff_mode:
    support: full
    description: The tool's unified diffs of the files it writes.
notes:
  - Exit status 1 of the tool (C(check) says not ready) is not a failure.
    Exit status 2 (a usage error, bad input or a safety refusal) and 3
    (apply or revert failed and was rolled back) fail the task with the
    tool's message.
  - A reboot is needed before the new configuration takes effect; see
    I(reboot_required) and the example playbook C(playbooks/passthrough.yml)
    of this collection.
  - The tool itself is documented in its manual page, iommu-setup(8).
"""

EXAMPLES = r"""
- name: Turn the IOMMU on and hand a GPU to vfio-pci
  iommu_setup.vfio.iommu_setup:
    state: present
    ids:
      - 10de:1b80
      - 10de:10f0
  become: true
  register: vfio

- name: Reboot when the running system lacks the configuration
  ansible.builtin.reboot:
  become: true
  when: vfio.reboot_required

- name: Bind two functions by address, with extra parameters, no iommu=pt
  iommu_setup.vfio.iommu_setup:
    devices:
      - 0000:01:00.0
      - 0000:01:00.1
    params:
      - video=efifb:off
    passthrough: false
  become: true

- name: Configure an image being built in a chroot, leaving grub.cfg to the image builder
  iommu_setup.vfio.iommu_setup:
    root: /mnt/sysimage
    ids: [8086:1533]
    mkconfig: false
  become: true

- name: What would apply change? (nothing is written)
  iommu_setup.vfio.iommu_setup:
    ids: [8086:1533]
  check_mode: true
  diff: true
  become: true

- name: Undo everything iommu-setup changed
  iommu_setup.vfio.iommu_setup:
    state: absent
  become: true
"""

RETURN = r"""
changed:
  description:
    - Whether the tool changed the host (apply, revert) or would change it
      (check mode). In check mode with I(state=absent), whether an earlier
      apply left a record that revert would undo.
  returned: always
  type: bool
reboot_required:
  description:
    - Whether the running system lacks what is configured for the next boot,
      so that a reboot is needed for it to take effect. Stays true on a
      second apply until the host is rebooted.
  returned: always
  type: bool
  sample: true
msg:
  description: The tool's one-line summary, or its error message on failure.
  returned: always
  type: str
  sample: "changed 1 file, ran 1 command; reboot required"
rc:
  description: The tool's exit status.
  returned: always
  type: int
  sample: 0
cmd:
  description: The command line that was run.
  returned: always
  type: list
  elements: str
  sample: ["/usr/sbin/iommu-setup", "--root=/", "--json", "apply", "--ids=8086:1533"]
result:
  description:
    - The tool's whole JSON object (schema C(iommu-setup/1)) with C(verb),
      C(changed), C(failed), C(msg), C(reboot_required), C(diff) and the
      verb's own keys (the plan's parameters, files and commands; apply's
      read-back; check's C(ready), C(applied) and C(checks)).
  returned: when the tool printed JSON
  type: dict
checks:
  description:
    - The readiness checks, when the tool reported them (check mode with
      I(state=absent), or a verb that includes them). Each has C(id),
      C(code) (a stable machine code such as C(FIRMWARE_IOMMU_OFF), null
      for a passing check), C(level) (pass, note, warn, fail), C(label),
      C(summary) and C(hint).
  returned: always
  type: list
  elements: dict
  sample: []
code:
  description: The tool's stable machine code for a failure, when it gives one.
  returned: on failure, when the tool reported one
  type: str
ready:
  description: Whether the host is ready for passthrough (check mode with I(state=absent)).
  returned: when the tool reported it
  type: bool
applied:
  description: Whether an earlier apply left a record that revert would undo (check mode with I(state=absent)).
  returned: when the tool reported it
  type: bool
stderr:
  description: The tool's standard error (its human-readable notes and errors).
  returned: always
  type: str
diff:
  description:
    - With C(--diff), one entry per file the tool writes, in Ansible's diff
      format (C(before_header), C(after_header), C(prepared) holding the
      tool's unified diff).
  returned: in diff mode, when the tool reported diffs
  type: list
  elements: dict
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule

SCHEMA = "iommu-setup/1"

# exit statuses of the tool that are answers, not failures, for each verb
# (check: 1 = not ready; plan would use 1 only with --exit-code, never passed)
OK_STATUS = {"check": (0, 1), "plan": (0,), "apply": (0,), "revert": (0,)}

REQUEST_OPTIONS = ("devices", "ids", "params", "allow_unsafe_interrupts", "passthrough", "force")


def find_binary(module):
    path = module.params["binary"]
    if path and "/" not in path:
        # a command name, looked up as the default one is
        return module.get_bin_path(path, required=True, opt_dirs=["/usr/sbin", "/usr/local/sbin"])
    if path:
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            module.fail_json(msg="binary %s is not an executable file" % path, rc=None, changed=False)
        return path
    return module.get_bin_path("iommu-setup", required=True, opt_dirs=["/usr/sbin", "/usr/local/sbin"])


def request_args(p):
    """plan's and apply's REQUEST options"""
    args = ["--device=%s" % d for d in p["devices"]]
    if p["ids"]:
        args.append("--ids=%s" % ",".join(p["ids"]))
    args += ["--param=%s" % x for x in p["params"]]
    if p["passthrough"] is True:
        args.append("--passthrough")
    elif p["passthrough"] is False:
        args.append("--no-passthrough")
    if p["allow_unsafe_interrupts"]:
        args.append("--allow-unsafe-interrupts")
    if p["force"]:
        args.append("--force")
    return args


def regen_args(p, verb):
    """apply's, revert's and plan's options for the commands they run (plan
    takes them so that check mode predicts what apply would run)"""
    args = []
    if p["initramfs"] is True and verb in ("apply", "plan"):
        args.append("--initramfs")
    elif p["initramfs"] is False:
        args.append("--no-initramfs")
    if not p["mkconfig"]:
        args.append("--no-mkconfig")
    if p["command_timeout"] is not None and verb != "plan":
        args.append("--command-timeout=%d" % p["command_timeout"])
    return args


def parse_json(stdout):
    """The tool's JSON object, or None when stdout holds none"""
    text = (stdout or "").strip()
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        # tolerate anything printed before the object
        start = text.find("{")
        if start <= 0:
            return None
        try:
            data = json.loads(text[start:])
        except ValueError:
            return None
    return data if isinstance(data, dict) else None


def stderr_msg(stderr, lines=3):
    tail = [l for l in (stderr or "").splitlines() if l.strip()][-lines:]
    return "\n".join(tail)


def ansible_diff(data):
    out = []
    for d in (data or {}).get("diff") or []:
        if not isinstance(d, dict) or not d.get("unified"):
            continue
        path = d.get("path", "")
        out.append({"before_header": path, "after_header": path, "prepared": d["unified"]})
    return out


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", default="present", choices=["present", "absent"]),
            devices=dict(type="list", elements="str", default=[]),
            ids=dict(type="list", elements="str", default=[]),
            params=dict(type="list", elements="str", default=[]),
            allow_unsafe_interrupts=dict(type="bool", default=False),
            passthrough=dict(type="bool", default=None),
            force=dict(type="bool", default=False),
            root=dict(type="path", default="/"),
            binary=dict(type="path", default=None),
            initramfs=dict(type="bool", default=None),
            mkconfig=dict(type="bool", default=True),
            command_timeout=dict(type="int", default=None),
        ),
        supports_check_mode=True,
    )
    p = module.params
    state = p["state"]

    if state == "absent":
        given = [o for o in REQUEST_OPTIONS
                 if p[o] not in (None, False, [])]
        if given:
            module.warn("state=absent undoes everything apply changed; %s %s not passed to revert"
                        % (", ".join(given), "is" if len(given) == 1 else "are"))
        if p["initramfs"] is True:
            module.warn("initramfs=true is not an option of revert and is not passed to it")
    if p["command_timeout"] is not None and p["command_timeout"] < 1:
        module.fail_json(msg="command_timeout must be a positive number of seconds", changed=False)

    binary = find_binary(module)
    cmd = [binary, "--root=%s" % p["root"], "--json"]
    if module.check_mode:
        verb = "plan" if state == "present" else "check"
        cmd += [verb] + (request_args(p) + regen_args(p, verb) if verb == "plan" else [])
    elif state == "present":
        verb = "apply"
        cmd += [verb] + request_args(p) + regen_args(p, verb)
    else:
        verb = "revert"
        cmd += [verb] + regen_args(p, verb)

    rc, stdout, stderr = module.run_command(cmd, environ_update={"NO_COLOR": "1"})
    data = parse_json(stdout)

    res = dict(cmd=cmd, rc=rc, stderr=stderr, changed=False, reboot_required=False, checks=[])
    if data is not None:
        res["result"] = data
        if isinstance(data.get("checks"), list):
            res["checks"] = data["checks"]
        if data.get("failed") is True and data.get("code") is not None:
            res["code"] = data["code"]
        for key in ("ready", "applied"):
            if key in data:
                res[key] = data[key]
        if data.get("schema") != SCHEMA:
            res["msg"] = ("%s speaks JSON schema %r; this module needs %r (a newer iommu-setup)"
                          % (binary, data.get("schema"), SCHEMA))
            module.fail_json(**res)

    # check's exit status 1 (not ready) is an answer: its object says so in
    # ready, whatever its failed says; for the other verbs failed counts too
    failed = rc not in OK_STATUS[verb] or data is None
    if verb != "check" and data is not None and data.get("failed") is True:
        failed = True
    if failed:
        if data is not None and data.get("msg"):
            msg = data["msg"]
        elif stderr_msg(stderr):
            msg = stderr_msg(stderr)
        elif data is None and rc in OK_STATUS[verb]:
            msg = "iommu-setup %s printed no JSON object" % verb
        else:
            msg = "iommu-setup %s failed with exit status %d" % (verb, rc)
        res["msg"] = msg
        res["stdout"] = stdout
        module.fail_json(**res)

    if verb == "check":
        # check mode of state=absent: revert would change the host when an
        # earlier apply left its record
        res["changed"] = data.get("applied") is True
    else:
        res["changed"] = data.get("changed") is True
    res["reboot_required"] = bool(data.get("reboot_required", False))
    res["msg"] = data.get("msg") or "iommu-setup %s: %s" % (
        verb, "changes" if res["changed"] else "nothing to do")
    # an explicit failed: Ansible takes a non-zero rc without it for a failure
    res["failed"] = False
    if module._diff:
        diffs = ansible_diff(data)
        if diffs:
            res["diff"] = diffs
    module.exit_json(**res)


if __name__ == "__main__":
    main()
