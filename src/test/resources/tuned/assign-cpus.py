#!/usr/bin/env python3
# Loads a TuneD profile with TuneD's own loader, as load-profile.py does, for a host of ONLINE CPUs
# (the manifest's host, which may be larger than this machine: TuneD's cpulist_online reads that
# list instead of this machine's), then gives the CPUs to the profile's cpu plugin instances the way
# TuneD's unit manager does: instances in profile order, stably sorted by priority, each taking the
# still free devices its devices expression matches (TuneD's own DeviceMatcher). Only the first
# instance controls the system-wide PM QoS request (force_latency). Prints JSON:
#   [{name, first, devices: [cpuN...], options: {...}}]
#   assign-cpus.py PROFILE_DIR NAME ONLINE
import json
import sys

sys.path.insert(0, "/usr/lib/python3/dist-packages")
import tuned.profiles.factory as factory  # noqa: E402
import tuned.profiles.loader as loader  # noqa: E402
import tuned.profiles.locator as locator  # noqa: E402
import tuned.profiles.merger as merger  # noqa: E402
import tuned.profiles.variables as variables  # noqa: E402
from tuned.hardware.device_matcher import DeviceMatcher  # noqa: E402
from tuned.utils.commands import commands  # noqa: E402
from tuned.utils.global_config import GlobalConfig  # noqa: E402

profile_dir, name, online = sys.argv[1], sys.argv[2], sys.argv[3]
real_read_file = commands.read_file


def read_file(self, f, *args, **kwargs):
    if f == "/sys/devices/system/cpu/online":
        return online + "\n"
    return real_read_file(self, f, *args, **kwargs)


commands.read_file = read_file
v = variables.Variables()
l = loader.Loader(locator.Locator(["/usr/lib/tuned", "/etc/tuned", profile_dir]), factory.Factory(), merger.Merger(), GlobalConfig(), v)
p = l.load([name])
cpus = ["cpu%d" % c for c in commands().cpulist_unpack(online)]
units = [(u_name, u) for u_name, u in p.units.items() if u.type == "cpu" and u.enabled]
units.sort(key=lambda x: int(x[1].options.get("priority", 0)))
free = list(cpus)
out = []
for i, (u_name, u) in enumerate(units):
    taken = DeviceMatcher().match_list(v.expand(u.devices), free)
    free = [c for c in free if c not in taken]
    out.append({"name": u_name, "first": i == 0, "devices": taken,
                "options": {k: v.expand(str(x)) for k, x in u.options.items()}})
print(json.dumps(out, indent=1, sort_keys=True))
