# -*- coding: utf-8 -*-
# The hosts of a fleet, read from the folder `rtc compile hosts/ -o out/` wrote: one host per bundle.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
name: bundles
short_description: One host per rtc bundle in a fleet's output folder
description:
  - Reads the folder C(rtc compile hosts/ -o out/) wrote, one bundle per host, and makes each bundle a host named
    as its bundle (the manifest's name), with C(rtc_bundle_dir) set to the bundle's folder on the controller.
  - Every host is in the group C(rtc), and in groups its plan says, to roll out or check alike hosts together -
    C(rtc_<os>) (C(rtc_debian12), ...), C(rtc_kernel_<choice>) (the real-time kernel, C(rtc_kernel_eci),
    C(rtc_kernel_distro), ...), and C(rtc_cat) where the host has cache allocation.
  - How a host is reached (C(ansible_host), C(ansible_user), C(ansible_port)) and the plant's own groups stay
    where Ansible keeps them, in host_vars, group_vars or another inventory source beside this one; a manifest
    describes the host and its plan, the same wherever it is reached from.
  - A folder without a plan.json is not a bundle and is left out; a bundle whose SHA256SUMS does not match is
    still listed, and the role refuses it on the controller before anything reaches its host.
options:
  plugin:
    description: The name of this plugin.
    required: true
    choices: [rtc.fleet.bundles]
  path:
    description: The fleet's output folder, relative to this file's folder unless absolute.
    required: true
    type: str
extends_documentation_fragment: []
"""

EXAMPLES = r"""
# fleet.rtc.yml
plugin: rtc.fleet.bundles
path: out
"""

import json
import os

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin


class InventoryModule(BaseInventoryPlugin):

    NAME = "rtc.fleet.bundles"

    def verify_file(self, path):
        return super(InventoryModule, self).verify_file(path) and path.endswith((".rtc.yml", ".rtc.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        self._read_config_data(path)
        folder = os.path.expanduser(self.get_option("path"))
        if not os.path.isabs(folder):
            folder = os.path.join(os.path.dirname(os.path.abspath(path)), folder)
        if not os.path.isdir(folder):
            raise AnsibleParserError("%s: %s is not a folder (the output of rtc compile hosts/ -o out/)" % (path, folder))
        self.inventory.add_group("rtc")
        for name in sorted(os.listdir(folder)):
            bundle = os.path.join(folder, name)
            plan_file = os.path.join(bundle, "plan.json")
            if not os.path.isfile(plan_file):
                continue
            try:
                with open(plan_file) as f:
                    plan = json.load(f)
            except ValueError as e:
                raise AnsibleParserError("%s is not rtc's plan.json: %s" % (plan_file, e))
            host = plan.get("bundle") or name
            self.inventory.add_host(host, group="rtc")
            host_plan = plan.get("host", {})
            groups = []
            if host_plan.get("os"):
                groups.append("rtc_" + host_plan["os"])
            if host_plan.get("kernel", {}).get("realtime"):
                groups.append("rtc_kernel_" + host_plan["kernel"]["realtime"])
            if plan.get("l3") or plan.get("l2"):
                groups.append("rtc_cat")
            for group in groups:
                self.inventory.add_group(group)
                self.inventory.add_host(host, group=group)
            self.inventory.set_variable(host, "rtc_bundle_dir", bundle)
            self.inventory.set_variable(host, "rtc_bundle", host)
            self.inventory.set_variable(host, "rtc_manifest_sha256", plan.get("manifestSha256", ""))
