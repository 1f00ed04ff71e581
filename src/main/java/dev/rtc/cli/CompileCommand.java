package dev.rtc.cli;

import dev.rtc.Compiler;
import dev.rtc.emit.BundleWriter;
import dev.rtc.manifest.ManifestException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
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

  @Override
  public Integer call() throws Exception {
    var err = spec.commandLine().getErr();
    try {
      Compiler.Result r = new Compiler().compile(manifest);
      DiagnosticPrinter.print(r.warnings(), err);
      BundleWriter.write(r.bundle(), output, force);
      spec.commandLine().getOut().println("rtc: wrote " + r.bundle().files().size() + " files to " + output);
      return Main.OK;
    } catch (ManifestException e) {
      DiagnosticPrinter.print(e.diagnostics(), err);
      return Main.MANIFEST_ERRORS;
    } catch (BundleWriter.ForeignFolderException e) {
      err.println("rtc: " + e.getMessage());
      return Main.USAGE;
    }
  }
}
