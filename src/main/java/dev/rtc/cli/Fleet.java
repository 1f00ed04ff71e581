package dev.rtc.cli;

import dev.rtc.Compiler;
import dev.rtc.bundle.BundleComparison;
import dev.rtc.bundle.BundleDiff;
import dev.rtc.bundle.BundleWriter;
import dev.rtc.emit.Bundle;
import dev.rtc.manifest.ManifestLoader;
import dev.rtc.manifest.diagnostics.Diagnostic;
import dev.rtc.manifest.diagnostics.ManifestException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * Compiles manifests, a fleet of them in parallel, and says what became of each as one
 * {@link Outcome}; prints nothing. In a fleet the bundle itself is not kept: it is staged on disk
 * (or compared, with --check) by the worker that compiled it, so memory stays flat; the caller
 * commits the staged bundles in one barrier.
 */
final class Fleet {

  /** What compiling one manifest gave. */
  sealed interface Outcome {
    Path manifest();

    /** The bundle name the manifest asks for; null when it could not be read that far. */
    String name();

    /** The manifest has errors: nothing is written for it. */
    record Refused(Path manifest, List<Diagnostic> diagnostics, String name) implements Outcome {}

    /** rtc itself failed on this manifest (a bug): reported for it alone, exit 3 at the end. */
    record Crashed(Path manifest, Throwable error) implements Outcome {
      public String name() {
        return null;
      }
    }

    /** Compiled: the bundle and its warnings, and in a fleet what was done with it. */
    record Compiled(Path manifest, List<Diagnostic> warnings, String name, int files, Done done) implements Outcome {}
  }

  /** What was done with a compiled bundle. */
  sealed interface Done {
    /** One manifest: the bundle, for the caller to write or compare. */
    record Kept(Bundle bundle) implements Done {}

    /** A fleet's bundle written beside its target, waiting for the commit. */
    record Staged(BundleWriter.Staged staged) implements Done {}

    /** The folder already holds this bundle, byte for byte: nothing is written, and its files keep their times. */
    record Unchanged() implements Done {}

    /** A fleet's bundle that could not be staged (the folder is foreign, the disk failed). */
    record NotStaged(IOException why) implements Done {}

    /** --check in a fleet: how the folder differs, and what that costs on the host (or empty). */
    record Checked(List<BundleComparison.Difference> diffs, String consequences) implements Done {}
  }

  /**
   * Tests inject a fault into one manifest's compile here, to prove that a bug of rtc's on one
   * manifest costs the rest of a fleet nothing. The identity in every real run.
   */
  static volatile UnaryOperator<Function<Path, Compiler.Result>> faults = f -> f;

  private final Compiler compiler = new Compiler();
  private final Path output;
  private final boolean check;
  private final DiagnosticPrinter.Options diagnostics;

  Fleet(Path output, boolean check, DiagnosticPrinter.Options diagnostics) {
    this.output = output;
    this.check = check;
    this.diagnostics = diagnostics;
  }

  /** Folders become their *.yaml files, in name order; files stay as given (a missing one is reported). */
  static List<Path> expand(List<Path> args) throws IOException {
    List<Path> out = new ArrayList<>();
    for (Path a : args) {
      if (Files.isDirectory(a)) {
        try (Stream<Path> s = Files.list(a)) {
          s.filter(p -> p.getFileName().toString().endsWith(".yaml") && Files.isRegularFile(p)).sorted().forEach(out::add);
        }
      } else {
        out.add(a);
      }
    }
    return out;
  }

  /** In parallel on {@code jobs} threads, all workers on one Compiler: its schema is loaded once (see {@link Compiler}). */
  List<Outcome> compileAll(List<Path> inputs, BundleWriter.Fleet writer, int jobs, java.util.function.IntConsumer progress) {
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(jobs, inputs.size())));
    try {
      List<Future<Outcome>> futures = new ArrayList<>();
      for (Path p : inputs) {
        // A bug of rtc's on one manifest is that manifest's failure, never the fleet's: the others
        // are still compiled, written and reported, and the crash is named and exits 3 at the end.
        futures.add(pool.submit(() -> {
          try {
            return compileOne(p, writer);
          } catch (RuntimeException | StackOverflowError | AssertionError e) {
            return new Outcome.Crashed(p, e);
          }
        }));
      }
      List<Outcome> out = new ArrayList<>();
      for (Future<Outcome> f : futures) {
        out.add(f.get());
        progress.accept(out.size());
      }
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }

  /** Compiles one manifest; in a fleet ({@code writer} given) also stages or compares its bundle, then lets it go. */
  Outcome compileOne(Path manifest, BundleWriter.Fleet writer) {
    Compiler.Result r;
    try {
      r = faults.apply(compiler::compile).apply(manifest);
    } catch (ManifestException e) {
      return new Outcome.Refused(manifest, e.diagnostics(), writer == null ? null : nameOf(manifest));
    }
    List<Diagnostic> found = DiagnosticPrinter.promote(r.warnings(), diagnostics);
    String name = r.plan().name();
    if (found.stream().anyMatch(Diagnostic::isError)) {
      return new Outcome.Refused(manifest, found, name);
    }
    int files = r.bundle().files().size();
    if (writer == null) {
      return new Outcome.Compiled(manifest, found, name, files, new Done.Kept(r.bundle()));
    }
    Path dir = output.resolve(name);
    if (check) {
      return new Outcome.Compiled(manifest, found, name, files, new Done.Checked(BundleComparison.compare(r.bundle(), dir),
          consequences(r.bundle(), dir)));
    }
    if (unchanged(r.bundle(), dir)) {
      return new Outcome.Compiled(manifest, found, name, files, new Done.Unchanged());
    }
    try {
      return new Outcome.Compiled(manifest, found, name, files, new Done.Staged(writer.stage(r.bundle(), dir)));
    } catch (IOException e) {
      return new Outcome.Compiled(manifest, found, name, files, new Done.NotStaged(e));
    }
  }

  /**
   * The bundle name a manifest with errors asks for, if it can be read that far: its bundle, from
   * an earlier compile, is then not a stale one. Null when the YAML does not parse or has no name.
   */
  private static String nameOf(Path manifest) {
    try {
      com.fasterxml.jackson.databind.JsonNode name = ManifestLoader.parse(ManifestLoader.read(manifest)).tree().path("name");
      return name.isTextual() && !name.asText().isEmpty() ? name.asText() : null;
    } catch (ManifestException e) {
      return null;
    }
  }

  /**
   * What the compiled bundle would change on the host against the one in {@code dir}, as rtc diff
   * heads it (reboot, VMs to shut down and start); empty when {@code dir} holds no bundle with a plan.
   */
  static String consequences(Bundle compiled, Path dir) {
    try {
      if (!Files.isRegularFile(dir.resolve("plan.json"))) {
        return "";
      }
      return BundleDiff.diff(BundleDiff.Side.read(dir), BundleDiff.Side.of("compiled", compiled)).headline();
    } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
      return ""; // not a bundle rtc can read a plan from: the file-by-file report says what differs
    }
  }

  /**
   * A bundle staged or set aside beside {@code dir} (.NAME.rtc-new-*, -old-*, -del-*): a run cut
   * short, or another writing now. The write path recovers or waits for it; "unchanged" would leave it.
   */
  private static boolean leftovers(Path dir) {
    Path abs = dir.toAbsolutePath().normalize();
    String prefix = "." + abs.getFileName() + ".rtc-";
    try (Stream<Path> s = java.nio.file.Files.list(abs.getParent())) {
      // Not the lock file (.NAME.rtc-lock), which stays by design.
      return s.map(p -> p.getFileName().toString()).anyMatch(n -> n.startsWith(prefix + "new-") || n.startsWith(prefix + "old-")
          || n.startsWith(prefix + "del-"));
    } catch (java.io.IOException e) {
      return true; // cannot tell: let the write path look
    }
  }

  /**
   * {@code dir} holds exactly {@code bundle} (BundleComparison finds no difference) and its secret
   * files are still its owner's alone: a write would change nothing, so none is made. A bundle
   * checked out of git (user-data 0644) is written again, to make them 0600.
   */
  static boolean unchanged(dev.rtc.emit.Bundle bundle, Path dir) {
    if (!java.nio.file.Files.isDirectory(dir) || leftovers(dir) || !BundleComparison.compare(bundle, dir).isEmpty()) {
      return false;
    }
    for (dev.rtc.emit.Bundle.Artifact a : bundle.files().values()) {
      if (a.mode() == dev.rtc.emit.Bundle.Mode.SECRET) {
        try {
          var perms = java.nio.file.Files.getPosixFilePermissions(dir.resolve(a.path()), java.nio.file.LinkOption.NOFOLLOW_LINKS);
          if (perms.stream().anyMatch(x -> x.name().startsWith("GROUP") || x.name().startsWith("OTHERS"))) {
            return false;
          }
        } catch (java.io.IOException | UnsupportedOperationException e) {
          return false;
        }
      }
    }
    return true;
  }
}
