package dev.rtc.cli;

import dev.rtc.bundle.BundleComparison;
import dev.rtc.bundle.BundleFolders;
import dev.rtc.bundle.BundleWriter;
import dev.rtc.cli.Fleet.Done;
import dev.rtc.cli.Fleet.Outcome;
import dev.rtc.io.IoErrors;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
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
        "  rtc compile host.yaml -o out/",
        "  rtc compile hosts/*.yaml -o out/             # out/<name>/ per manifest",
        "  rtc compile host.yaml -o bundles/host --check   # in CI: is the committed bundle current?",
        "", "Nothing is written for a manifest with errors; an existing bundle is replaced in one rename.",
        "Exit codes: 0 ok (or up to date with --check), 1 manifest errors (or out of date with --check), 2 usage error, 3 internal error,",
        "4 a file could not be read or written (disk full, permission denied); for a fleet, the worst of all."})
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

  @Override
  public Integer call() throws IOException {
    int code = compile();
    DiagnosticPrinter.finish(diagnostics, spec.commandLine().getOut());
    return code;
  }

  private int compile() throws IOException {
    dev.rtc.emit.Emitters.prepareInBackground();
    boolean fleet = manifests.size() > 1 || manifests.stream().anyMatch(Files::isDirectory);
    List<Path> inputs = Fleet.expand(manifests);
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
    Fleet engine = new Fleet(output, check, diagnostics);
    if (!fleet) {
      Outcome only = engine.compileOne(inputs.get(0), null);
      if (!(only instanceof Outcome.Compiled c) || !(c.done() instanceof Done.Kept kept)) {
        return report(only, null, null);
      }
      if (check) {
        return report(only, output, new Done.Checked(BundleComparison.compare(kept.bundle(), output), Fleet.consequences(kept.bundle(), output)));
      }
      if (Fleet.unchanged(kept.bundle(), output)) {
        return report(only, output, new Done.Unchanged());
      }
      try {
        BundleWriter.write(kept.bundle(), output, force);
        return report(only, output, null);
      } catch (IOException e) {
        return report(only, output, new Done.NotStaged(e));
      }
    }
    inFleet = true;
    BundleWriter.Fleet writer = new BundleWriter.Fleet(force);
    List<Outcome> results = engine.compileAll(inputs, writer, jobs, progress(inputs.size()));
    // Two manifests that name the same bundle would write one folder twice: refuse both.
    Map<String, Path> byName = new HashMap<>();
    Map<String, Path> clash = new HashMap<>();
    for (Outcome o : results) {
      if (o instanceof Outcome.Compiled c && byName.putIfAbsent(c.name(), c.manifest()) != null) {
        clash.put(c.name(), c.manifest());
      }
    }
    List<Outcome.Compiled> toCommit = new ArrayList<>();
    for (Outcome o : results) {
      if (o instanceof Outcome.Compiled c && c.done() instanceof Done.Staged st) {
        if (clash.containsKey(c.name())) {
          st.staged().discard();
        } else {
          toCommit.add(c);
        }
      }
    }
    List<IOException> committed = writer.commit(toCommit.stream().map(c -> ((Done.Staged) c.done()).staged()).toList());
    Map<Outcome, IOException> failedCommit = new java.util.IdentityHashMap<>();
    for (int i = 0; i < toCommit.size(); i++) {
      if (committed.get(i) != null) {
        failedCommit.put(toCommit.get(i), committed.get(i));
      }
    }
    int worst = Main.OK;
    Summary summary = new Summary();
    for (Outcome o : results) {
      int code;
      if (o instanceof Outcome.Compiled c && clash.containsKey(c.name())) {
        spec.commandLine().getErr().println("rtc: " + c.manifest() + ": bundle name '" + c.name() + "' is also the name in "
            + (byName.get(c.name()).equals(c.manifest()) ? clash.get(c.name()) : byName.get(c.name())) + "; nothing written for either");
        code = Main.MANIFEST_ERRORS;
      } else if (o instanceof Outcome.Compiled c) {
        Done done = failedCommit.containsKey(o) ? new Done.NotStaged(failedCommit.get(o)) : c.done();
        code = report(o, output.resolve(c.name()), done instanceof Done.Staged ? null : done);
      } else {
        code = report(o, null, null);
      }
      summary.add(o, code, o instanceof Outcome.Compiled named && clash.containsKey(named.name()));
      worst = Math.max(worst, code);
    }
    worst = Math.max(worst, stale(results));
    (diagnostics.format.machine() ? spec.commandLine().getErr() : spec.commandLine().getOut()).println(summary.line(results.size()));
    return worst;
  }

  /** Whether this run is a fleet: each manifest's error count then names it. */
  private boolean inFleet;

  /**
   * A fleet's progress, on a terminal only (a pipeline's log gets the lines that stay): how many of
   * the manifests are compiled, on one line that is cleared when they all are.
   */
  private java.util.function.IntConsumer progress(int total) {
    if (System.console() == null || diagnostics.format.machine() || total < 2) {
      return n -> { };
    }
    PrintWriter err = spec.commandLine().getErr();
    return n -> {
      err.print(n < total ? "\rrtc: compiled " + n + " of " + total + " manifests" : "\r" + " ".repeat(50) + "\r");
      err.flush();
    };
  }

  /** What became of a fleet's manifests, by name, for its closing line. */
  private final class Summary {
    final List<String> written = new ArrayList<>();
    final List<String> unchanged = new ArrayList<>();
    final List<String> upToDate = new ArrayList<>();
    final List<String> outOfDate = new ArrayList<>();
    final List<String> errors = new ArrayList<>();
    final List<String> failed = new ArrayList<>();
    final List<String> crashed = new ArrayList<>();

    void add(Outcome o, int code, boolean clashed) {
      if (o instanceof Outcome.Crashed) {
        crashed.add(o.manifest().toString());
      } else if (clashed) {
        errors.add(o.manifest().toString());
      } else if (o instanceof Outcome.Compiled c && code == Main.OK) {
        (check ? upToDate : c.done() instanceof Done.Unchanged ? unchanged : written).add(c.name());
      } else if (o instanceof Outcome.Compiled c && check && code == Main.MANIFEST_ERRORS && c.done() instanceof Done.Checked) {
        outOfDate.add(c.name());
      } else if (o instanceof Outcome.Compiled c && code != Main.MANIFEST_ERRORS) {
        failed.add(c.name()); // the folder is foreign, or the disk failed
      } else {
        errors.add(o.manifest().toString());
      }
    }

    String line(int manifests) {
      List<String> parts = new ArrayList<>();
      if (!check) {
        parts.add(written.size() + " written to " + output + (written.isEmpty() ? "" : ": " + names(written)));
        if (!unchanged.isEmpty()) {
          parts.add(unchanged.size() + " unchanged: " + names(unchanged));
        }
      } else {
        parts.add(upToDate.size() + " up to date");
        if (!outOfDate.isEmpty()) {
          parts.add(outOfDate.size() + " out of date: " + names(outOfDate));
        }
      }
      if (!failed.isEmpty()) {
        parts.add(failed.size() + " not written: " + names(failed));
      }
      if (!errors.isEmpty()) {
        parts.add(errors.size() + " with errors" + (check ? "" : " (nothing written for " + (errors.size() == 1 ? "it" : "them") + ")") + ": "
            + names(errors));
      }
      if (!crashed.isEmpty()) {
        parts.add("rtc failed on " + crashed.size() + " (a bug; reported above): " + names(crashed));
      }
      return "rtc: " + manifests + " manifests: " + String.join("; ", parts);
    }

    private static String names(List<String> names) {
      return String.join(", ", names.subList(0, Math.min(10, names.size()))) + (names.size() > 10 ? ", and " + (names.size() - 10) + " more" : "");
    }
  }

  /**
   * A fleet's output folder may hold bundles of manifests that are gone (removed, or renamed):
   * says so, and with --check counts them as out of date; with --prune removes what rtc wrote of
   * them. Not when a manifest's name could not be read: its bundle cannot be told from a stale one.
   */
  private int stale(List<Outcome> results) throws IOException {
    PrintWriter err = spec.commandLine().getErr();
    java.util.Set<String> names = new java.util.HashSet<>();
    List<Path> unnamed = new ArrayList<>();
    for (Outcome o : results) {
      if (o.name() != null) {
        names.add(o.name());
      } else {
        unnamed.add(o.manifest());
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

  /**
   * Prints one manifest's diagnostics and what became of its bundle at {@code dir}.
   *
   * @param done null when the bundle was written (or there was none to write); else what --check
   *     found, or what stopped the write
   */
  private int report(Outcome o, Path dir, Done done) {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    PrintWriter summary = diagnostics.format.machine() ? err : out;
    if (o instanceof Outcome.Crashed c) {
      err.println("rtc: " + c.manifest() + ": internal error (a bug in rtc, not in this manifest; nothing was written for it, "
          + "and the other manifests are not affected). Please report it with the manifest and this trace:");
      c.error().printStackTrace(err);
      err.flush();
      return Main.INTERNAL;
    }
    if (o instanceof Outcome.Refused r) {
      DiagnosticPrinter.print(r.manifest().toString(), r.diagnostics(), null, diagnostics, out, err, inFleet);
      return Main.MANIFEST_ERRORS;
    }
    Outcome.Compiled c = (Outcome.Compiled) o;
    if (done instanceof Done.Checked checked) {
      DiagnosticPrinter.print(c.manifest().toString(), c.warnings(), null, diagnostics, out, err);
      return reportCheck(c, dir, checked, summary);
    }
    if (done instanceof Done.Unchanged) {
      DiagnosticPrinter.print(c.manifest().toString(), c.warnings(), dir.toString(), diagnostics, out, err);
      if (!inFleet) { // a fleet names its unchanged bundles once, in its closing line
        summary.println("rtc: " + dir + " already holds this bundle (" + c.files() + " files): nothing written");
        summary.flush();
      }
      return Main.OK;
    }
    if (done instanceof Done.NotStaged failed) {
      DiagnosticPrinter.print(c.manifest().toString(), c.warnings(), null, diagnostics, out, err);
      IOException e = failed.why();
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
    DiagnosticPrinter.print(c.manifest().toString(), c.warnings(), dir.toString(), diagnostics, out, err);
    summary.println("rtc: wrote " + c.files() + " files to " + dir);
    summary.flush();
    return Main.OK;
  }

  /** --check: what the folder holds besides rtc's files, and how it differs from the compiled bundle. */
  private int reportCheck(Outcome.Compiled c, Path dir, Done.Checked checked, PrintWriter summary) {
    List<String> kept = BundleComparison.foreign(dir);
    if (!kept.isEmpty()) {
      summary.println("rtc: " + dir + " also holds " + kept.size() + (kept.size() == 1 ? " file" : " files") + " rtc did not write, "
          + "which a compile keeps: " + String.join(", ", kept.subList(0, Math.min(5, kept.size()))) + (kept.size() > 5 ? ", ..." : ""));
    }
    List<BundleComparison.Difference> diffs = checked.diffs();
    if (diffs.isEmpty()) {
      summary.println("rtc: " + dir + " is up to date with " + c.manifest());
      return Main.OK;
    }
    summary.print(checked.consequences()); // what it costs on the host, before the file-by-file detail
    summary.print(checkReport(diffs));
    summary.println("rtc: " + dir + " is out of date with " + c.manifest() + ": " + diffs.size() + " file"
        + (diffs.size() == 1 ? "" : "s") + " differ; run rtc compile without --check to update it");
    summary.flush();
    return Main.MANIFEST_ERRORS;
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
