package dev.rtc.cli;

import dev.rtc.Compiler;
import dev.rtc.bundle.BundleComparison;
import dev.rtc.io.IoErrors;
import dev.rtc.manifest.ManifestLoader;
import dev.rtc.manifest.diagnostics.ManifestException;
import dev.rtc.manifest.migrate.Migration;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "migrate", mixinStandardHelpOptions = true,
    description = {"Rewrites a manifest written for an older manifest version (apiVersion) for this rtc's: keys renamed or moved, "
        + "values rewritten, and everything else (comments, order, quoting, layout) kept as it was.",
        "Without --write, shows the change as a unified diff and writes nothing. The result is checked as rtc compile would "
            + "check it; a migrated manifest with errors is not written.",
        "Each manifest version that renames or moves a key adds its step here; rtc/v1 is the first version, so there are none yet."},
    footer = {"", "Examples:", "  rtc migrate hosts/line-1.yaml            # what would change", "  rtc migrate --write hosts/line-1.yaml",
        "", "Exit codes: 0 current (or rewritten with --write), 1 older (diff shown), unknown version, or the result has errors,",
        "2 usage error, 4 the file could not be written."})
final class MigrateCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MANIFEST", description = "The deployment manifest (YAML).")
  Path manifest;

  @Option(names = "--write", description = "Rewrite MANIFEST in place (atomically, keeping its mode).")
  boolean write;

  private final Migration migration;

  MigrateCommand() {
    this(Migration.standard());
  }

  /** With other steps than this rtc's: for tests of the machinery before the first real step exists. */
  MigrateCommand(Migration migration) {
    this.migration = migration;
  }

  @Override
  public Integer call() {
    var out = spec.commandLine().getOut();
    var err = spec.commandLine().getErr();
    ManifestLoader.Source source;
    Migration.Result result;
    try {
      source = ManifestLoader.read(manifest);
      result = migration.migrate(source);
    } catch (ManifestException e) {
      DiagnosticPrinter.text(e.diagnostics(), false, null, err);
      err.flush();
      return Main.MANIFEST_ERRORS;
    } catch (Migration.MigrationException e) {
      err.println("rtc: " + manifest + ": " + e.getMessage());
      return Main.MANIFEST_ERRORS;
    }
    String before = new String(source.bytes(), StandardCharsets.UTF_8);
    if (!result.changed(before)) {
      out.println("rtc: " + manifest + " is already " + result.version() + "; nothing to migrate");
      return Main.OK;
    }
    try {
      new Compiler().validate(new ManifestLoader.Source(manifest.toString(), result.text().getBytes(StandardCharsets.UTF_8)));
    } catch (ManifestException e) {
      err.println("rtc: " + manifest + " migrated to " + result.version() + " has errors; nothing written:");
      DiagnosticPrinter.text(e.diagnostics(), false, null, err);
      err.flush();
      return Main.MANIFEST_ERRORS;
    }
    result.steps().forEach(s -> out.println("rtc: " + s));
    if (!write) {
      out.print(BundleComparison.unified(manifest.toString(), before, result.text()));
      out.println("rtc: " + manifest + " is older than " + result.version() + "; rtc migrate --write " + manifest + " rewrites it");
      out.flush();
      return Main.MANIFEST_ERRORS;
    }
    try {
      Path tmp = Files.createTempFile(manifest.toAbsolutePath().getParent(), "." + manifest.getFileName(), ".rtc-migrate");
      try {
        Files.writeString(tmp, result.text(), StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(tmp, Files.getPosixFilePermissions(manifest));
        Files.move(tmp, manifest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      err.println("rtc: cannot write " + manifest + ": " + IoErrors.describe(e) + " (it was left as it was)");
      return Main.IO;
    }
    out.println("rtc: rewrote " + manifest + " for " + result.version());
    return Main.OK;
  }
}
