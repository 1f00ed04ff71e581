package dev.rtc.emit;

import dev.rtc.Compiler;
import dev.rtc.bundle.BundleWriter;
import dev.rtc.plan.Plan;
import java.io.IOException;
import java.nio.file.Path;

/** A manifest compiled into a bundle folder, for runbook tests; and its runbook.sh run on a fake host. */
record CompiledBundle(Path dir, Plan plan) {

  static CompiledBundle of(Path manifest, Path into) throws IOException {
    Compiler.Result r = new Compiler().compile(manifest);
    BundleWriter.write(r.bundle(), into, false);
    return new CompiledBundle(into, r.plan());
  }

  /** ./runbook.sh ARGS in the bundle, with the fake host's root and commands. */
  Tool.Run runbook(FakeHost h, String... args) {
    String[] all = new String[args.length + 1];
    all[0] = "./runbook.sh";
    System.arraycopy(args, 0, all, 1, args.length);
    return Tool.require("bash").run(dir, h.env(), all);
  }
}
