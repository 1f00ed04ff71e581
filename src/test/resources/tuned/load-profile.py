#!/usr/bin/env python3
# Loads a TuneD profile with TuneD's own loader (as tuned-adm does before it applies one): its
# includes merged, its variables and functions expanded, its assertions checked against this
# machine. Prints the merged profile as JSON: unit -> {enabled, type, options}.
#   load-profile.py PROFILE_DIR NAME
import json
import sys

sys.path.insert(0, "/usr/lib/python3/dist-packages")
import tuned.profiles.factory as factory  # noqa: E402
import tuned.profiles.loader as loader  # noqa: E402
import tuned.profiles.locator as locator  # noqa: E402
import tuned.profiles.merger as merger  # noqa: E402
import tuned.profiles.variables as variables  # noqa: E402
from tuned.utils.global_config import GlobalConfig  # noqa: E402

profile_dir, name = sys.argv[1], sys.argv[2]
v = variables.Variables()
# The locator prefers the last directory: the profile rtc wrote, over TuneD's own.
l = loader.Loader(locator.Locator(["/usr/lib/tuned", "/etc/tuned", profile_dir]), factory.Factory(), merger.Merger(), GlobalConfig(), v)
p = l.load([name])
out = {}
for unit_name, unit in p.units.items():
    out[unit_name] = {
        "enabled": unit.enabled,
        "type": unit.type,
        "options": {k: v.expand(str(x)) if not isinstance(x, list) else [str(y) for y in x] for k, x in unit.options.items()},
    }
print(json.dumps(out, indent=1, sort_keys=True))
