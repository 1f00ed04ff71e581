package dev.rtc.cli;

import dev.rtc.Compiler;
import dev.rtc.emit.BundleWriter;
import dev.rtc.manifest.ManifestException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import dev.rtc.manifest.Diagnostic;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "compile", mixinStandardHelpOptions = true,
    description = "Validates a manifest, solves CPU pinning and cache ways, and writes the bundle.",
    footer = {"", "Example:", "  rtc compile examples/eci-reference.yaml -o out/",
        "", "Nothing is written when the manifest has errors; an existing bundle is replaced in one rename."})
final class CompileCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MANIFEST", description = "The deployment manifest (YAML).")
  Path manifest;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "DIR", description = "Folder for the bundle.")
  Path output;

  @Option(names = "--force", description = "Replace DIR even if rtc did not write it.")
  boolean force;

  @Mixin DiagnosticPrinter.Options diagnostics;

  @Override
  public Integer call() throws Exception {
    var out = spec.commandLine().getOut();
    var err = spec.commandLine().getErr();
    try {
      Compiler.Result r = new Compiler().compile(manifest);
      List<Diagnostic> found = DiagnosticPrinter.promote(r.warnings(), diagnostics);
      if (found.stream().anyMatch(Diagnostic::isError)) {
        DiagnosticPrinter.print(manifest.toString(), found, null, diagnostics, out, err);
        return Main.MANIFEST_ERRORS;
      }
      BundleWriter.write(r.bundle(), output, force);
      DiagnosticPrinter.print(manifest.toString(), found, output.toString(), diagnostics, out, err);
      // In json mode stdout holds exactly one JSON document; the summary goes to stderr.
      (diagnostics.format == DiagnosticPrinter.Format.json ? err : out)
          .println("rtc: wrote " + r.bundle().files().size() + " files to " + output);
      return Main.OK;
    } catch (ManifestException e) {
      DiagnosticPrinter.print(manifest.toString(), e.diagnostics(), null, diagnostics, out, err);
      return Main.MANIFEST_ERRORS;
    } catch (BundleWriter.ForeignFolderException e) {
      err.println("rtc: " + e.getMessage());
      return Main.USAGE;
    } catch (java.io.IOException e) {
      // The disk, not rtc and not the manifest: say what failed; the old bundle, if any, is intact.
      err.println("rtc: cannot write " + output + ": " + e + "; nothing was changed there");
      return Main.USAGE;
    }
  }
}
