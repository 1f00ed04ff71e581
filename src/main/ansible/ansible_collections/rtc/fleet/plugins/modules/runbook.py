#!/usr/bin/python
# -*- coding: utf-8 -*-
# One step of an rtc bundle's runbook on its host, read through the runbook's --json records.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: runbook
short_description: Run one step of an rtc bundle's runbook on its host
description:
  - Runs C(runbook.sh STEP --json) in the bundle's folder and reports what the step checked and changed.
  - The runbook stays the one implementation of every step; this module only reads its records.
  - In check mode the step runs with C(--dry-run), which changes nothing and says what it would change.
options:
  bundle:
    description: The bundle's folder on the host (where runbook.sh is).
    required: true
    type: path
  step:
    description: The step to run.
    required: true
    type: str
    choices: [preflight, host, check-host, qualify, images, vms, wait, verify, stress, bench, status, collect, report, rollback]
  args:
    description: More options for the runbook (for example C(--duration 10m) for bench).
    type: list
    elements: str
    default: []
author:
  - rtc
"""

EXAMPLES = r"""
- name: The host step
  rtc.fleet.runbook:
    bundle: /var/lib/rtc-bundles/line-3-cell-7
    step: host
  register: host_step
"""

RETURN = r"""
reboot_required:
  description: Whether the host must reboot before the next step (the host step's record).
  returned: always
  type: bool
failed_checks:
  description: The messages of the checks that failed.
  returned: always
  type: list
  elements: str
records:
  description: Every record the step printed (checks, changes, states, notes, and the step's own).
  returned: always
  type: list
  elements: dict
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(
        argument_spec=dict(
            bundle=dict(type="path", required=True),
            step=dict(type="str", required=True, choices=["preflight", "host", "check-host", "qualify", "images", "vms", "wait", "verify",
                                                          "stress", "bench", "status", "collect", "report", "rollback"]),
            args=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    bundle = module.params["bundle"]
    runbook = os.path.join(bundle, "runbook.sh")
    if not os.path.isfile(runbook):
        module.fail_json(msg="%s is not a bundle of rtc's: it has no runbook.sh" % bundle)
    cmd = [runbook, module.params["step"], "--json"] + module.params["args"]
    if module.check_mode:
        cmd.append("--dry-run")
    rc, out, err = module.run_command(cmd, cwd=bundle)
    records = []
    for line in out.splitlines():
        if line.strip():
            try:
                records.append(json.loads(line))
            except ValueError:
                module.fail_json(msg="runbook.sh printed a line that is not a record: %s" % line, rc=rc, stderr=err)
    steps = [r for r in records if r.get("type") == "step"]
    failed_checks = [r.get("message", "") for r in records if r.get("type") == "check" and r.get("status") == "failed"]
    result = dict(
        changed=any(s.get("changed") for s in steps),
        reboot_required=any(s.get("reboot_required") for s in steps),
        failed_checks=failed_checks,
        records=records,
        rc=rc,
        stderr=err,
        cmd=cmd,
    )
    if rc != 0:
        why = [s.get("message") for s in steps if s.get("status") == "failed" and s.get("message")]
        msg = "runbook.sh %s failed (exit %d)" % (module.params["step"], rc)
        if why:
            msg += ": " + why[-1]
        elif failed_checks:
            msg += ": " + "; ".join(failed_checks)
        module.fail_json(msg=msg, **result)
    if not steps:
        module.fail_json(msg="runbook.sh %s printed no step record" % module.params["step"], **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
