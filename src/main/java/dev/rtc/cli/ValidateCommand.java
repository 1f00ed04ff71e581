package dev.rtc.cli;

import dev.rtc.Compiler;
import dev.rtc.manifest.ManifestException;
import dev.rtc.manifest.ManifestLoader;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "validate", mixinStandardHelpOptions = true,
    description = "Checks a manifest and solves it, without writing anything.",
    footer = {"", "Example:", "  rtc validate examples/eci-reference.yaml"})
final class ValidateCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MANIFEST", description = "The deployment manifest (YAML).")
  Path manifest;

  @Override
  public Integer call() {
    try {
      var v = new Compiler().validate(ManifestLoader.read(manifest));
      DiagnosticPrinter.print(v.diagnostics().all(), spec.commandLine().getErr());
      spec.commandLine().getOut().println("rtc: " + manifest + " is valid");
      return Main.OK;
    } catch (ManifestException e) {
      DiagnosticPrinter.print(e.diagnostics(), spec.commandLine().getErr());
      return Main.MANIFEST_ERRORS;
    }
  }
}
