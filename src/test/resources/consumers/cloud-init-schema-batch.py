"""cloud-init's own `cloud-init schema -c FILE`, run for many files in one process.

The sweep validates thousands of user-data files; each `cloud-init schema` process spends ~0.4 s
starting Python and loading the schema. This calls the same entry point (cloudinit.cmd.main.main,
as /usr/bin/cloud-init does) once per file, with its output and exit status captured per file.
Prints one JSON object per file: {"file", "exit", "out", "err"}.
"""
import contextlib
import io
import json
import sys

from cloudinit.cmd import main as cloud_init

for path in sys.argv[1:]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cloud_init.main(["cloud-init", "schema", "-c", path]) or 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
    print(json.dumps({"file": path, "exit": code, "out": out.getvalue(), "err": err.getvalue()}), flush=True)
