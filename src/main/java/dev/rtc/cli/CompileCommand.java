package dev.rtc.cli;

import dev.rtc.Compiler;
import dev.rtc.bundle.BundleComparison;
import dev.rtc.emit.Bundle;
import dev.rtc.bundle.BundleFolders;
import dev.rtc.bundle.BundleWriter;
import dev.rtc.io.IoErrors;
import dev.rtc.manifest.Diagnostic;
import dev.rtc.manifest.ManifestException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "compile", mixinStandardHelpOptions = true,
    description = {"Validates manifests, solves CPU pinning and cache ways, and writes the bundles.",
        "One manifest: its bundle is DIR. Several manifests, or a folder of them (a fleet): each bundle is DIR/<name>/, "
            + "compiled in parallel; a bad manifest does not stop the others from being checked, but nothing is written for it."},
    footer = {"", "Examples:",
        "  rtc compile examples/eci-reference.yaml -o out/",
        "  rtc compile hosts/*.yaml -o out/             # out/<name>/ per manifest",
        "  rtc compile examples/eci-reference.yaml -o golden/eci-reference --check",
        "", "Nothing is written for a manifest with errors; an existing bundle is replaced in one rename.",
        "Exit codes: 0 ok (or up to date with --check), 1 manifest errors (or out of date with --check), 2 usage error, 3 internal error;",
        "for a fleet, the worst of all."})
final class CompileCommand implements Callable<Integer> {

  /** Lines of unified diff shown per file by --check before it is cut short. */
  static final int CHECK_DIFF_LINES = 60;

  @Spec CommandSpec spec;

  @Parameters(arity = "1..*", paramLabel = "MANIFEST", description = "Deployment manifests (YAML), or folders of them (*.yaml).")
  List<Path> manifests;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "DIR", description = "Folder for the bundle (a fleet: for one folder per bundle).")
  Path output;

  @Option(names = "--force", description = "Replace DIR even if rtc did not write it.")
  boolean force;

  @Option(names = "--check", description = "Write nothing: compare the compiled bundle with DIR; exit 0 if identical, 1 with a diff if not.")
  boolean check;

  @Option(names = "--prune", description = "In a fleet, remove the bundles in DIR that no manifest compiles to any more "
      + "(only the files rtc wrote; results and notes stay).")
  boolean prune;

  @Option(names = {"-j", "--jobs"}, paramLabel = "N", description = "Manifests compiled at once in a fleet (default: the number of CPUs).")
  int jobs = Runtime.getRuntime().availableProcessors();

  @Mixin DiagnosticPrinter.Options diagnostics;

  /**
   * What compiling one manifest gave. In a fleet the bundle itself is not kept: it is staged on
   * disk (or compared, with --check) by the worker that compiled it, so memory stays flat.
   *
   * @param bundle the bundle, single-manifest runs only
   * @param staged a fleet's bundle written beside its target, waiting for the commit
   * @param failed why a fleet's bundle could not be staged
   * @param diffs --check in a fleet: how the folder differs
   * @param consequences --check in a fleet: what the differences cost on the host (reboot, VMs), or empty
   * @param crashed a fleet's manifest on which rtc itself failed (a bug): reported for it alone
   */
  record Compiled(Path manifest, List<Diagnostic> diagnostics, String name, int files, Bundle bundle,
      BundleWriter.Staged staged, IOException failed, List<BundleComparison.Difference> diffs, String consequences,
      Throwable crashed) {
    boolean ok() {
      return files > 0;
    }

    static Compiled crash(Path manifest, Throwable t) {
      return new Compiled(manifest, List.of(), null, 0, null, null, null, null, null, t);
    }
  }

  /**
   * Tests inject a fault into one manifest's compile here, to prove that a bug of rtc's on one
   * manifest costs the rest of a fleet nothing. The identity in every real run.
   */
  static volatile java.util.function.UnaryOperator<java.util.function.Function<Path, Compiler.Result>> faults = f -> f;

  @Override
  public Integer call() throws IOException {
    int code = compile();
    DiagnosticPrinter.finish(diagnostics, spec.commandLine().getOut());
    return code;
  }

  private int compile() throws IOException {
    dev.rtc.emit.Emitters.prepareInBackground();
    boolean fleet = manifests.size() > 1 || manifests.stream().anyMatch(Files::isDirectory);
    List<Path> inputs = expand(manifests);
    if (inputs.isEmpty()) {
      spec.commandLine().getErr().println("rtc: no *.yaml manifests in " + manifests);
      return Main.USAGE;
    }
    if (prune && (check || !fleet)) {
      spec.commandLine().getErr().println("rtc compile: --prune is for a fleet (several manifests, or a folder of them), and not with --check");
      return Main.USAGE;
    }
    if (!fleet && output.toAbsolutePath().normalize().getParent() == null) {
      spec.commandLine().getErr().println("rtc compile: -o " + output + " is the root of the file system; a bundle needs a folder of its own, such as out/");
      return Main.USAGE;
    }
    if (!fleet) {
      Compiled only = compileOne(new Compiler(), inputs.get(0), null);
      Optional<IOException> written = null;
      if (only.ok() && !check) {
        written = Optional.empty();
        try {
          BundleWriter.write(only.bundle(), output, force);
        } catch (IOException e) {
          written = Optional.of(e);
        }
      }
      List<BundleComparison.Difference> diffs = only.ok() && check ? BundleComparison.compare(only.bundle(), output) : null;
      return report(only, output, written, diffs, only.ok() && check ? consequences(only.bundle(), output) : "");
    }
    BundleWriter.Fleet writer = new BundleWriter.Fleet(force);
    List<Compiled> results = compileAll(inputs, writer);
    // Two manifests that name the same bundle would write one folder twice: refuse both.
    Map<String, Path> byName = new HashMap<>();
    Map<String, Path> clash = new HashMap<>();
    for (Compiled c : results) {
      if (c.ok() && byName.putIfAbsent(c.name(), c.manifest()) != null) {
        clash.put(c.name(), c.manifest());
      }
    }
    List<Compiled> toCommit = new ArrayList<>();
    for (Compiled c : results) {
      if (c.staged() != null) {
        if (clash.containsKey(c.name())) {
          c.staged().discard();
        } else {
          toCommit.add(c);
        }
      }
    }
    List<IOException> committed = writer.commit(toCommit.stream().map(Compiled::staged).toList());
    Map<Compiled, Optional<IOException>> written = new java.util.IdentityHashMap<>();
    for (int i = 0; i < toCommit.size(); i++) {
      written.put(toCommit.get(i), Optional.ofNullable(committed.get(i)));
    }
    int worst = Main.OK;
    for (Compiled c : results) {
      int code;
      if (c.ok() && clash.containsKey(c.name())) {
        spec.commandLine().getErr().println("rtc: " + c.manifest() + ": bundle name '" + c.name() + "' is also the name in "
            + (byName.get(c.name()).equals(c.manifest()) ? clash.get(c.name()) : byName.get(c.name())) + "; nothing written for either");
        code = Main.MANIFEST_ERRORS;
      } else {
        Optional<IOException> w = c.failed() != null ? Optional.of(c.failed()) : written.get(c);
        code = report(c, c.ok() ? output.resolve(c.name()) : null, w, c.diffs(), c.consequences());
      }
      worst = Math.max(worst, code);
    }
    return Math.max(worst, stale(results));
  }

  /**
   * The bundle name a manifest with errors asks for, if it can be read that far: its bundle, from
   * an earlier compile, is then not a stale one. Null when the YAML does not parse or has no name.
   */
  private static String nameOf(Path manifest) {
    try {
      com.fasterxml.jackson.databind.JsonNode name = dev.rtc.manifest.ManifestLoader.parse(dev.rtc.manifest.ManifestLoader.read(manifest))
          .tree().path("name");
      return name.isTextual() && !name.asText().isEmpty() ? name.asText() : null;
    } catch (ManifestException e) {
      return null;
    }
  }

  /**
   * A fleet's output folder may hold bundles of manifests that are gone (removed, or renamed):
   * says so, and with --check counts them as out of date; with --prune removes what rtc wrote of
   * them. Not when a manifest's name could not be read: its bundle cannot be told from a stale one.
   */
  private int stale(List<Compiled> results) throws IOException {
    PrintWriter err = spec.commandLine().getErr();
    java.util.Set<String> names = new java.util.HashSet<>();
    List<Path> unnamed = new ArrayList<>();
    for (Compiled c : results) {
      if (c.name() != null) {
        names.add(c.name());
      } else {
        unnamed.add(c.manifest());
      }
    }
    List<Path> stale = BundleFolders.bundlesExcept(output, names);
    if (stale.isEmpty()) {
      return Main.OK;
    }
    if (!unnamed.isEmpty()) {
      err.println("rtc: " + output + " holds " + stale.size() + " bundle" + (stale.size() == 1 ? "" : "s") + " that no manifest here"
          + " compiles to, but " + unnamed.size() + " manifest" + (unnamed.size() == 1 ? "" : "s") + " (" + unnamed.get(0)
          + (unnamed.size() > 1 ? ", ..." : "") + ") could not be read far enough to know "
          + (unnamed.size() == 1 ? "its bundle" : "their bundles") + "; not judging them stale until they are fixed");
      return Main.OK;
    }
    int code = Main.OK;
    for (Path p : stale) {
      if (prune) {
        List<String> kept = BundleFolders.prune(p);
        err.println("rtc: pruned " + p + ", the bundle of a manifest that is gone" + (kept.isEmpty() ? ""
            : "; kept " + kept.size() + " file" + (kept.size() == 1 ? "" : "s") + " rtc did not write there: "
                + String.join(", ", kept.subList(0, Math.min(5, kept.size()))) + (kept.size() > 5 ? ", ..." : "")));
      } else {
        err.println("rtc: " + p + " is a bundle no manifest here compiles to (its manifest removed or renamed?); "
            + "rtc compile --prune removes what rtc wrote of it");
        code = check ? Main.MANIFEST_ERRORS : Main.OK;
      }
    }
    return code;
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

  /** In parallel, all workers on one Compiler: its schema is loaded once (see {@link Compiler}). */
  private List<Compiled> compileAll(List<Path> inputs, BundleWriter.Fleet writer) {
    Compiler compiler = new Compiler();
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(jobs, inputs.size())));
    try {
      List<Future<Compiled>> futures = new ArrayList<>();
      for (Path p : inputs) {
        // A bug of rtc's on one manifest is that manifest's failure, never the fleet's: the others
        // are still compiled, written and reported, and the crash is named and exits 3 at the end.
        futures.add(pool.submit(() -> {
          try {
            return compileOne(compiler, p, writer);
          } catch (RuntimeException | StackOverflowError | AssertionError e) {
            return Compiled.crash(p, e);
          }
        }));
      }
      List<Compiled> out = new ArrayList<>();
      for (Future<Compiled> f : futures) {
        out.add(f.get());
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
  private Compiled compileOne(Compiler compiler, Path manifest, BundleWriter.Fleet writer) {
    Compiler.Result r;
    try {
      r = faults.apply(compiler::compile).apply(manifest);
    } catch (ManifestException e) {
      return new Compiled(manifest, e.diagnostics(), writer == null ? null : nameOf(manifest), 0, null, null, null, null, null, null);
    }
    List<Diagnostic> found = DiagnosticPrinter.promote(r.warnings(), diagnostics);
    String name = r.plan().name();
    if (found.stream().anyMatch(Diagnostic::isError)) {
      return new Compiled(manifest, found, name, 0, null, null, null, null, null, null);
    }
    int files = r.bundle().files().size();
    if (writer == null) {
      return new Compiled(manifest, found, name, files, r.bundle(), null, null, null, null, null);
    }
    Path dir = output.resolve(name);
    if (check) {
      return new Compiled(manifest, found, name, files, null, null, null, BundleComparison.compare(r.bundle(), dir),
          consequences(r.bundle(), dir), null);
    }
    try {
      return new Compiled(manifest, found, name, files, null, writer.stage(r.bundle(), dir), null, null, null, null);
    } catch (IOException e) {
      return new Compiled(manifest, found, name, files, null, null, e, null, null, null);
    }
  }

  /**
   * Prints one manifest's diagnostics and what became of its bundle at {@code dir}.
   *
   * @param written null when nothing was to be written (errors, or --check); else empty when the
   *     bundle was written, or what stopped it
   */
  private int report(Compiled c, Path dir, Optional<IOException> written, List<BundleComparison.Difference> diffs, String consequences) {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    PrintWriter summary = diagnostics.format.machine() ? err : out;
    if (c.crashed() != null) {
      err.println("rtc: " + c.manifest() + ": internal error (a bug in rtc, not in this manifest; nothing was written for it, "
          + "and the other manifests are not affected). Please report it with the manifest and this trace:");
      c.crashed().printStackTrace(err);
      err.flush();
      return Main.INTERNAL;
    }
    if (!c.ok()) {
      DiagnosticPrinter.print(c.manifest().toString(), c.diagnostics(), null, diagnostics, out, err);
      return Main.MANIFEST_ERRORS;
    }
    if (check) {
      DiagnosticPrinter.print(c.manifest().toString(), c.diagnostics(), null, diagnostics, out, err);
      List<String> kept = BundleComparison.foreign(dir);
      if (!kept.isEmpty()) {
        summary.println("rtc: " + dir + " also holds " + kept.size() + (kept.size() == 1 ? " file" : " files") + " rtc did not write, "
            + "which a compile keeps: " + String.join(", ", kept.subList(0, Math.min(5, kept.size()))) + (kept.size() > 5 ? ", ..." : ""));
      }
      if (diffs.isEmpty()) {
        summary.println("rtc: " + dir + " is up to date with " + c.manifest());
        return Main.OK;
      }
      summary.print(consequences == null ? "" : consequences); // what it costs on the host, before the file-by-file detail
      summary.print(checkReport(diffs));
      summary.println("rtc: " + dir + " is out of date with " + c.manifest() + ": " + diffs.size() + " file"
          + (diffs.size() == 1 ? "" : "s") + " differ; run rtc compile without --check to update it");
      summary.flush();
      return Main.MANIFEST_ERRORS;
    }
    if (written.isPresent()) {
      DiagnosticPrinter.print(c.manifest().toString(), c.diagnostics(), null, diagnostics, out, err);
      IOException e = written.get();
      // A foreign folder is the user's to sort out; any other failure is the disk's, not rtc's
      // and not the manifest's: say what failed. Either way the old bundle, if any, is intact.
      if (e instanceof BundleWriter.ForeignFolderException) {
        err.println("rtc: " + e.getMessage());
        err.flush();
        return Main.USAGE;
      }
      err.println("rtc: cannot write " + dir + ": " + IoErrors.describe(e) + " (nothing was changed there)");
      err.flush();
      return Main.IO;
    }
    DiagnosticPrinter.print(c.manifest().toString(), c.diagnostics(), dir.toString(), diagnostics, out, err);
    summary.println("rtc: wrote " + c.files() + " files to " + dir);
    summary.flush();
    return Main.OK;
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
      return dev.rtc.bundle.BundleDiff.diff(dev.rtc.bundle.BundleDiff.Side.read(dir), dev.rtc.bundle.BundleDiff.Side.of("compiled", compiled))
          .headline();
    } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
      return ""; // not a bundle rtc can read a plan from: the file-by-file report says what differs
    }
  }

  /**
   * What --check shows of the differences: a unified diff (cut short) for each file that really
   * changed, and one line for the files whose only change is their provenance header. Any edit of
   * the manifest, a comment too, changes the checksum in every file's header, and twenty diffs of
   * that line would bury the one that matters; SHA256SUMS, which changes with any file, joins them
   * unless it is the only file that differs.
   */
  static String checkReport(List<BundleComparison.Difference> diffs) {
    StringWriter report = new StringWriter();
    List<String> headerOnly = new ArrayList<>();
    boolean sumsFollow = false;
    List<String> real = diffs.stream().filter(d -> !d.provenanceOnly() && !d.path().equals("SHA256SUMS")).map(BundleComparison.Difference::path)
        .toList();
    if (!real.isEmpty()) {
      report.write("rtc: what differs: " + String.join(", ", real) + "\n");
    }
    for (BundleComparison.Difference d : diffs) {
      if (d.provenanceOnly()) {
        headerOnly.add(d.path());
      } else if (dev.rtc.bundle.BundleDiff.PICTURES.contains(d.path()) && d.kind() == BundleComparison.Difference.Kind.CHANGED) {
        report.write("rtc: " + d.path() + " differs: the plan's picture, drawn again from the plan; not shown line by line\n");
      } else if (d.path().equals("SHA256SUMS") && d.kind() == BundleComparison.Difference.Kind.CHANGED && diffs.size() > 1) {
        sumsFollow = true;
      } else {
        report.write(shorten(d.render()));
      }
    }
    if (!headerOnly.isEmpty()) {
      report.write("rtc: " + headerOnly.size() + (headerOnly.size() == 1 ? " file differs" : " files differ")
          + " only in the provenance header (the manifest's checksum): " + String.join(", ", headerOnly) + "\n");
    }
    if (sumsFollow) {
      report.write("rtc: SHA256SUMS differs with the files above\n");
    }
    return report.toString();
  }

  private static String shorten(String diff) {
    String[] lines = diff.split("\n", -1);
    if (lines.length <= CHECK_DIFF_LINES) {
      return diff;
    }
    return String.join("\n", java.util.Arrays.copyOf(lines, CHECK_DIFF_LINES)) + "\n... " + (lines.length - CHECK_DIFF_LINES)
        + " more lines of diff\n";
  }
}
