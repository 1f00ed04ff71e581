package dev.rtc.cli;

import dev.rtc.Compiler;
import dev.rtc.manifest.ManifestException;
import dev.rtc.manifest.ManifestLoader;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import dev.rtc.manifest.Diagnostic;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

  @Mixin DiagnosticPrinter.Options diagnostics;

  @Override
  public Integer call() {
    int code = validate();
    DiagnosticPrinter.finish(diagnostics, spec.commandLine().getOut());
    return code;
  }

  private int validate() {
    var out = spec.commandLine().getOut();
    var err = spec.commandLine().getErr();
    try {
      var v = new Compiler().validate(ManifestLoader.read(manifest));
      List<Diagnostic> found = DiagnosticPrinter.promote(v.diagnostics().all(), diagnostics);
      DiagnosticPrinter.print(manifest.toString(), found, null, diagnostics, out, err);
      if (found.stream().anyMatch(Diagnostic::isError)) {
        return Main.MANIFEST_ERRORS;
      }
      (diagnostics.format.machine() ? err : out).println("rtc: " + manifest + " is valid");
      return Main.OK;
    } catch (ManifestException e) {
      DiagnosticPrinter.print(manifest.toString(), e.diagnostics(), null, diagnostics, out, err);
      return Main.MANIFEST_ERRORS;
    }
  }
}
