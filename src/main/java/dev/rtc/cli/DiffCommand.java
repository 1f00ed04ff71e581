package dev.rtc.cli;

import dev.rtc.Compiler;
import dev.rtc.bundle.BundleDiff;
import dev.rtc.manifest.diagnostics.ManifestException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "diff", mixinStandardHelpOptions = true,
    description = {"Says what changes for the host between two bundles (or two manifests, or one of each), and what",
        "each change costs on the plant: another host OS (a reinstall), the host's kernel or arguments (a reboot), TuneD and",
        "resctrl groups (applied at once), each VM's definition, seed, kernel or disk (a fresh start, or a new disk), new and",
        "removed VMs; and which files changed only in comments. Every file of a bundle has its consequence in one table."},
    footer = {"", "Examples:", "  rtc diff bundles/host/ out/", "  rtc diff old.yaml new.yaml",
        "", "Exit codes: 0 nothing to do on the host (identical, or only comments changed), 1 changes to apply,", "2 an input is not a bundle or a valid manifest, 4 a file could not be read."})
final class DiffCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "OLD", description = "A bundle folder or a manifest.")
  Path before;

  @Parameters(index = "1", paramLabel = "NEW", description = "A bundle folder or a manifest.")
  Path after;

  @Override
  public Integer call() {
    var out = spec.commandLine().getOut();
    var err = spec.commandLine().getErr();
    try {
      BundleDiff.Report r = BundleDiff.diff(side(before), side(after));
      out.print(r.render());
      out.flush();
      return r.actionNeeded() ? 1 : Main.OK;
    } catch (ManifestException e) {
      DiagnosticPrinter.text(e.diagnostics(), false, null, err);
      err.flush();
      return Main.USAGE;
    } catch (IllegalArgumentException e) {
      err.println("rtc: " + e.getMessage());
      return Main.USAGE;
    } catch (java.io.UncheckedIOException e) {
      err.println("rtc: cannot read: " + dev.rtc.io.IoErrors.describe(e.getCause()));
      return Main.IO;
    }
  }

  private static BundleDiff.Side side(Path p) {
    if (Files.isDirectory(p)) {
      return BundleDiff.Side.read(p);
    }
    return BundleDiff.Side.of(p.toString(), new Compiler().compile(p).bundle());
  }
}
