package dev.rtc.cli;

import dev.rtc.Compiler;
import dev.rtc.manifest.ManifestLoader;
import dev.rtc.manifest.diagnostics.Diagnostic;
import dev.rtc.manifest.diagnostics.ManifestException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "validate", mixinStandardHelpOptions = true,
    description = "Checks manifests and solves them, without writing anything.",
    footer = {"", "Examples:", "  rtc validate host.yaml", "  rtc validate hosts/*.yaml",
        "", "Exit codes: 0 valid, 1 manifest errors (in any of them), 2 usage error, 3 internal error."})
final class ValidateCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(arity = "1..*", paramLabel = "MANIFEST", description = "Deployment manifests (YAML); each is checked on its own.")
  List<Path> manifests;

  @Mixin DiagnosticPrinter.Options diagnostics;

  @Override
  public Integer call() {
    Compiler compiler = new Compiler();
    int code = Main.OK;
    for (Path manifest : manifests) {
      code = Math.max(code, validate(compiler, manifest));
    }
    DiagnosticPrinter.finish(diagnostics, spec.commandLine().getOut());
    return code;
  }

  private int validate(Compiler compiler, Path manifest) {
    var out = spec.commandLine().getOut();
    var err = spec.commandLine().getErr();
    try {
      var v = compiler.validate(ManifestLoader.read(manifest));
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
