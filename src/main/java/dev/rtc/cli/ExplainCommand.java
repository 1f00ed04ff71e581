package dev.rtc.cli;

import dev.rtc.Compiler;
import dev.rtc.emit.Emitters;
import dev.rtc.manifest.ManifestLoader;
import dev.rtc.manifest.diagnostics.ManifestException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "explain", mixinStandardHelpOptions = true,
    description = "Prints the plan: who owns each CPU and cache way, every decision and rounding, with its reason (what plan.md says).",
    footer = {"", "Example:", "  rtc explain host.yaml"})
final class ExplainCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MANIFEST", description = "The deployment manifest (YAML).")
  Path manifest;

  @Mixin DiagnosticPrinter.Options diagnostics;

  @Override
  public Integer call() {
    var out = spec.commandLine().getOut();
    var err = spec.commandLine().getErr();
    try {
      var v = new Compiler().validate(ManifestLoader.read(manifest));
      DiagnosticPrinter.text(v.diagnostics().all(), false, null, err);
      out.print(Emitters.explain(v.plan()));
      out.flush();
      return Main.OK;
    } catch (ManifestException e) {
      DiagnosticPrinter.print(manifest.toString(), e.diagnostics(), null, diagnostics, out, err);
      DiagnosticPrinter.finish(diagnostics, out);
      return Main.MANIFEST_ERRORS;
    }
  }
}
