#!/usr/bin/env python3
# Loads many TuneD profiles with TuneD's own loader, in one process, for the consumer sweep: includes
# merged, variables and functions expanded, assertions checked. One adaptation, because the plan's
# host is not this machine: every CPU the profile names counts as online (cpulist_online returns its
# input), so the realtime profiles' assertion "isolated_cores contains online CPU(s)" is checked
# against the plan's CPUs, not this machine's two. Prints one JSON line per profile:
# {"dir", "name", "ok", "error"}.
#   load-profiles-batch.py DIR NAME [DIR NAME ...]
import json
import sys

sys.path.insert(0, "/usr/lib/python3/dist-packages")
import tuned.profiles.factory as factory  # noqa: E402
import tuned.profiles.functions.function_cpulist_online as online  # noqa: E402
import tuned.profiles.loader as loader  # noqa: E402
import tuned.profiles.locator as locator  # noqa: E402
import tuned.profiles.merger as merger  # noqa: E402
import tuned.profiles.variables as variables  # noqa: E402
from tuned.utils.global_config import GlobalConfig  # noqa: E402


def every_cpu_online(self, args):
    return ",".join(str(v) for v in self._cmd.cpulist_unpack(",".join(args)))


online.cpulist_online.execute = every_cpu_online

args = sys.argv[1:]
for profile_dir, name in zip(args[0::2], args[1::2]):
    v = variables.Variables()
    try:
        l = loader.Loader(locator.Locator(["/usr/lib/tuned", "/etc/tuned", profile_dir]), factory.Factory(), merger.Merger(),
                          GlobalConfig(), v)
        p = l.load([name])
        for unit in p.units.values():  # expand every option, as TuneD does when it applies the profile
            for x in unit.options.values():
                if not isinstance(x, list):
                    v.expand(str(x))
        print(json.dumps({"dir": profile_dir, "name": name, "ok": True, "error": ""}), flush=True)
    except Exception as e:  # noqa: BLE001 -- any refusal of the loader is the finding
        print(json.dumps({"dir": profile_dir, "name": name, "ok": False, "error": type(e).__name__ + ": " + str(e)}), flush=True)
