package dev.rtc.cli;

import dev.rtc.Compiler;
import dev.rtc.check.BundleComparison;
import dev.rtc.emit.Bundle;
import dev.rtc.emit.BundleWriter;
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

  @Option(names = {"-j", "--jobs"}, paramLabel = "N", description = "Manifests compiled at once in a fleet (default: the number of CPUs).")
  int jobs = Runtime.getRuntime().availableProcessors();

  @Mixin DiagnosticPrinter.Options diagnostics;

  /** What compiling one manifest gave: its diagnostics, and the bundle when there were no errors. */
  record Compiled(Path manifest, List<Diagnostic> diagnostics, Bundle bundle, String name) {
    boolean ok() {
      return bundle != null;
    }
  }

  @Override
  public Integer call() throws IOException {
    dev.rtc.emit.Emitters.prepareInBackground();
    boolean fleet = manifests.size() > 1 || manifests.stream().anyMatch(Files::isDirectory);
    List<Path> inputs = expand(manifests);
    if (inputs.isEmpty()) {
      spec.commandLine().getErr().println("rtc: no *.yaml manifests in " + manifests);
      return Main.USAGE;
    }
    List<Compiled> results = compileAll(inputs);
    if (!fleet) {
      return finish(results.get(0), output);
    }
    // Two manifests that name the same bundle would write one folder twice: refuse both.
    Map<String, Path> byName = new HashMap<>();
    Map<String, Path> clash = new HashMap<>();
    for (Compiled c : results) {
      if (c.ok() && byName.putIfAbsent(c.name(), c.manifest()) != null) {
        clash.put(c.name(), c.manifest());
      }
    }
    int worst = Main.OK;
    for (Compiled c : results) {
      int code;
      if (c.ok() && clash.containsKey(c.name())) {
        spec.commandLine().getErr().println("rtc: " + c.manifest() + ": bundle name '" + c.name() + "' is also the name in "
            + (byName.get(c.name()).equals(c.manifest()) ? clash.get(c.name()) : byName.get(c.name())) + "; nothing written for either");
        code = Main.MANIFEST_ERRORS;
      } else {
        code = finish(c, c.ok() ? output.resolve(c.name()) : null);
      }
      worst = Math.max(worst, code);
    }
    return worst;
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

  /** In parallel, one Compiler per worker (JAXB marshallers and schema validators are not shared). */
  private List<Compiled> compileAll(List<Path> inputs) {
    if (inputs.size() == 1) {
      return List.of(compileOne(new Compiler(), inputs.get(0)));
    }
    ThreadLocal<Compiler> compilers = ThreadLocal.withInitial(Compiler::new);
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(jobs, inputs.size())));
    try {
      List<Future<Compiled>> futures = new ArrayList<>();
      for (Path p : inputs) {
        futures.add(pool.submit(() -> compileOne(compilers.get(), p)));
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

  private Compiled compileOne(Compiler compiler, Path manifest) {
    try {
      Compiler.Result r = compiler.compile(manifest);
      List<Diagnostic> found = DiagnosticPrinter.promote(r.warnings(), diagnostics);
      if (found.stream().anyMatch(Diagnostic::isError)) {
        return new Compiled(manifest, found, null, r.plan().name());
      }
      return new Compiled(manifest, found, r.bundle(), r.plan().name());
    } catch (ManifestException e) {
      return new Compiled(manifest, e.diagnostics(), null, null);
    }
  }

  /** Prints one manifest's diagnostics, then writes (or checks) its bundle at {@code dir}. */
  private int finish(Compiled c, Path dir) {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    PrintWriter summary = diagnostics.format == DiagnosticPrinter.Format.json ? err : out;
    if (!c.ok()) {
      DiagnosticPrinter.print(c.manifest().toString(), c.diagnostics(), null, diagnostics, out, err);
      return Main.MANIFEST_ERRORS;
    }
    if (check) {
      DiagnosticPrinter.print(c.manifest().toString(), c.diagnostics(), null, diagnostics, out, err);
      List<BundleComparison.Difference> diffs = BundleComparison.compare(c.bundle(), dir);
      if (diffs.isEmpty()) {
        summary.println("rtc: " + dir + " is up to date with " + c.manifest());
        return Main.OK;
      }
      StringWriter report = new StringWriter();
      diffs.forEach(d -> report.write(shorten(d.render())));
      summary.print(report);
      summary.println("rtc: " + dir + " is out of date with " + c.manifest() + ": " + diffs.size() + " file"
          + (diffs.size() == 1 ? "" : "s") + " differ; run rtc compile without --check to update it");
      summary.flush();
      return Main.MANIFEST_ERRORS;
    }
    try {
      BundleWriter.write(c.bundle(), dir, force);
    } catch (BundleWriter.ForeignFolderException e) {
      DiagnosticPrinter.print(c.manifest().toString(), c.diagnostics(), null, diagnostics, out, err);
      err.println("rtc: " + e.getMessage());
      return Main.USAGE;
    } catch (IOException e) {
      // The disk, not rtc and not the manifest: say what failed; the old bundle, if any, is intact.
      DiagnosticPrinter.print(c.manifest().toString(), c.diagnostics(), null, diagnostics, out, err);
      err.println("rtc: cannot write " + dir + ": " + e + "; nothing was changed there");
      return Main.USAGE;
    }
    DiagnosticPrinter.print(c.manifest().toString(), c.diagnostics(), dir.toString(), diagnostics, out, err);
    summary.println("rtc: wrote " + c.bundle().files().size() + " files to " + dir);
    summary.flush();
    return Main.OK;
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
