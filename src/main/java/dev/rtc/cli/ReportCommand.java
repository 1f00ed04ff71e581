package dev.rtc.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rtc.emit.ReportEmitter;
import dev.rtc.report.CyclictestParser;
import dev.rtc.report.LatencyReport;
import dev.rtc.report.LatencyRun;
import dev.rtc.io.InputFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "report", mixinStandardHelpOptions = true,
    description = {"Judges a cyclictest run and writes report.md, report.json and report.html (an SVG histogram per thread).",
        "Give a bundle folder (its plan.json supplies the thresholds, threads and duration; its results/cyclictest.txt and .json "
            + "are read and the report is written next to them), or cyclictest output files with --great and --good.",
        "Reads the -q summary lines, the -h histogram with its trailer, and the --json file."},
    footer = {"", "Examples:", "  rtc report out/", "  rtc report cyclictest.txt cyclictest.json --great 100 --good 300 -o report/",
        "", "Exit codes: 0 great or good (see --require), 1 fail (cut short or garbled output too), 2 usage error,",
        "3 no verdict (a kernel that is not PREEMPT_RT, a platform without a passed qualification, or stressors that gave no",
        "load), 4 a file could not be read or the report written. The runbook's verdict on the same evidence is the same.",
        "With the run's autopsy traces (results/autopsy/), the report says why its worst windows happened: causes and what to change."})
final class ReportCommand implements Callable<Integer> {

  /** A bundle's plan.json is a few KiB. */
  static final int PLAN_LIMIT = 16 << 20;
  /** cyclictest's -q summary with a 10,000-bucket histogram for 64 threads is about 5 MiB; its JSON, about as much. */
  static final int OUTPUT_LIMIT = 64 << 20;

  @Spec CommandSpec spec;

  @Parameters(arity = "1..*", paramLabel = "INPUT", description = "A bundle folder, or cyclictest output files (text and/or .json).")
  List<Path> inputs;

  @Option(names = "--great", paramLabel = "US", description = "Worst latency below this is GREAT (default: the bundle's plan).")
  Long great;

  @Option(names = "--good", paramLabel = "US", description = "Worst latency below this is GOOD, else FAIL (default: the bundle's plan).")
  Long good;

  @Option(names = "--threads", paramLabel = "N", description = "Measuring threads the run must have (default: the bundle's plan).")
  Integer threads;

  @Option(names = {"-o", "--output"}, paramLabel = "DIR", description = "Folder for the report (default: the bundle's results/).")
  Path output;

  @Option(names = "--require", paramLabel = "LEVEL", description = "Lowest verdict that exits 0: good or great (default: good).")
  String require = "good";

  @Override
  public Integer call() throws IOException {
    var out = spec.commandLine().getOut();
    var err = spec.commandLine().getErr();
    List<Path> files = new ArrayList<>();
    Optional<Long> expectedSamples = Optional.empty();
    Path target = output;
    List<String> notRealtime = new ArrayList<>();
    Map<String, Integer> load = new java.util.TreeMap<>();
    java.util.OptionalInt cyclictestExit = java.util.OptionalInt.empty();
    int loadMin = 0;
    Optional<String> unqualified = Optional.empty();
    Path runDir = null;
    JsonNode planJson = null;
    String benchVm = "the measured VM";
    if (inputs.size() == 1 && Files.isDirectory(inputs.get(0))) {
      Path bundle = inputs.get(0);
      Path planFile = bundle.resolve("plan.json");
      if (!Files.isRegularFile(planFile)) {
        err.println("rtc: " + bundle + " has no plan.json; give a bundle folder, or cyclictest output files with --great and --good");
        return Main.USAGE;
      }
      JsonNode plan;
      JsonNode bench;
      try {
        plan = new ObjectMapper().readTree(InputFiles.read(planFile, PLAN_LIMIT));
        bench = plan.path("benchmark");
      } catch (InputFiles.RefusedException | com.fasterxml.jackson.core.JsonProcessingException e) {
        err.println("rtc: " + planFile + (e instanceof InputFiles.RefusedException ? " " + e.getMessage() : " is not JSON")
            + "; is " + bundle + " an rtc bundle?");
        return Main.USAGE;
      }
      Path monitor = bundle.resolve("results/monitor");
      boolean longTerm = Files.isDirectory(monitor);
      boolean hasRun = Files.isRegularFile(bundle.resolve("results/cyclictest.txt")) || Files.isRegularFile(bundle.resolve("results/cyclictest.json"));
      if (longTerm) {
        // The sampler's days since handover: their own files, beside the run's report or without one.
        Integer written = longTerm(monitor, output != null ? output : bundle.resolve("results"), bench.at("/verdictUs/great").asLong(0),
            bench.at("/verdictUs/good").asLong(0), out, err);
        if (written != null) {
          return written;
        }
        if (!hasRun) {
          return Main.OK;
        }
      }
      if (bench.isMissingNode()) {
        err.println("rtc: " + planFile + " has no benchmark; the manifest did not ask for one");
        return Main.USAGE;
      }
      great = great != null ? great : bench.at("/verdictUs/great").asLong();
      good = good != null ? good : bench.at("/verdictUs/good").asLong();
      threads = threads != null ? threads : bench.path("threads").asInt();
      // A run folder's meta says how long the run was asked to be (runbook.sh --duration), else the plan's duration.
      Map<String, String> meta = keyValues(bundle.resolve("meta"));
      long seconds = meta.containsKey("seconds") && meta.get("seconds").matches("[0-9]{1,9}") ? Long.parseLong(meta.get("seconds"))
          : bench.path("durationSeconds").asLong();
      expectedSamples = Optional.of(seconds * 1_000_000L / Math.max(1, bench.path("intervalUs").asLong()));
      benchVm = bench.path("vm").asText();
      if (plan.at("/host/kernel/realtime").asText().equals("none")) {
        notRealtime.add("host");
      }
      for (JsonNode vm : plan.path("vms")) {
        if (vm.path("name").asText().equals(benchVm) && vm.at("/kernel/realtime").asText().equals("none")) {
          notRealtime.add(benchVm);
        }
      }
      Path diagnose = bundle.resolve("results/host/diagnose.txt");
      if (Files.isRegularFile(diagnose)) {
        // bench --diagnose measured a host it could not judge, for the autopsy: no verdict, whatever the latency.
        String why;
        try {
          why = InputFiles.readText(diagnose, 64 << 10).lines().findFirst().orElse("").strip();
        } catch (InputFiles.RefusedException e) {
          why = "results/host/diagnose.txt " + e.getMessage();
        }
        unqualified = Optional.of("the run was measured for its autopsy only (bench --diagnose): " + why);
      } else if (bench.at("/qualify/required").asBoolean(false)) {
        unqualified = unqualified(bundle.resolve("results/host/qualify.json"));
      }
      loadMin = bench.path("stressLoadMinPercent").asInt(0);
      runDir = bundle;
      planJson = plan;
      for (Map.Entry<String, String> l : keyValues(bundle.resolve("results/load.txt")).entrySet()) {
        if (l.getValue().matches("[0-9]{1,4}")) {
          load.put(l.getKey(), Integer.parseInt(l.getValue()));
        }
      }
      String exit = keyValues(bundle.resolve("results/cyclictest.exit")).keySet().stream().findFirst().orElse("");
      if (exit.matches("[0-9]{1,3}")) {
        cyclictestExit = java.util.OptionalInt.of(Integer.parseInt(exit));
      }
      for (String name : List.of("cyclictest.txt", "cyclictest.json")) {
        Path f = bundle.resolve("results").resolve(name);
        if (Files.isRegularFile(f)) {
          files.add(f);
        }
      }
      if (files.isEmpty()) {
        err.println("rtc: " + bundle.resolve("results") + " holds no cyclictest.txt or cyclictest.json: run ./runbook.sh bench on the host first");
        return Main.USAGE;
      }
      target = target != null ? target : bundle.resolve("results");
    } else {
      files.addAll(inputs);
      if (great == null || good == null || target == null) {
        err.println("rtc: with cyclictest files (not a bundle folder), give --great, --good and -o");
        return Main.USAGE;
      }
    }
    if (!require.equals("good") && !require.equals("great")) {
      err.println("rtc: --require takes good or great, not '" + require + "'");
      return Main.USAGE;
    }
    LatencyRun run;
    try {
      run = read(files);
    } catch (CyclictestParser.RefusedFileException e) {
      err.println("rtc: " + e.getMessage());
      return Main.USAGE;
    } catch (CyclictestParser.BadOutputException e) {
      // Evidence that holds no readable run is a FAIL (or NO VERDICT, by the same order as a readable one).
      List<String> reasons = new ArrayList<>();
      LatencyReport.Verdict v = LatencyReport.unreadable(new LatencyReport.Evidence(cyclictestExit, load, loadMin, notRealtime, unqualified),
          reasons);
      out.println("RESULT: " + v.text() + " (cyclictest's output cannot be read whole)");
      reasons.forEach(r -> out.println("  " + r));
      out.println("  " + e.getMessage());
      out.println("rtc: no report written (nothing to chart)");
      return v == LatencyReport.Verdict.NO_VERDICT ? NO_VERDICT : 1;
    }
    dev.rtc.report.AutopsyEvidence.Found autopsy = runDir == null ? dev.rtc.report.AutopsyEvidence.Found.NONE
        : dev.rtc.report.AutopsyEvidence.read(runDir, planJson, load, loadMin);
    // cyclictest's own word on the kernel it ran on (its --json sysinfo), beside the plan's.
    if (run.context().isPresent() && !run.context().get().realtime() && !notRealtime.contains(benchVm)) {
      notRealtime.add(benchVm + " (cyclictest's sysinfo: " + run.context().get().kernel() + ")");
    }
    LatencyReport report = LatencyReport.judge(run, new LatencyReport.Criteria(great, good, Optional.ofNullable(threads), expectedSamples),
        new LatencyReport.Evidence(cyclictestExit, load, loadMin, notRealtime, unqualified)).withAutopsy(autopsy);
    Files.createDirectories(target);
    for (Map.Entry<String, String> f : ReportEmitter.render(report).entrySet()) {
      Files.writeString(target.resolve(f.getKey()), f.getValue(), StandardCharsets.UTF_8);
    }
    out.println("RESULT: " + report.verdict().text() + " (" + run.source() + ")");
    report.reasons().forEach(r -> out.println("  " + r));
    report.causes().forEach(c -> out.println("  why: " + c.cause().code() + " (" + c.cause().title() + "): " + c.evidence()
        + "; what to change: " + c.cause().remedy()));
    report.interference().stream().limit(3).forEach(i -> out.println(String.format(java.util.Locale.ROOT,
        "  also ran before the measuring thread: %s on %s vCPU %d, in %d of %d traced windows, up to %.1f us (%s)", i.source(), i.vm(),
        i.vcpu(), i.windows(), report.windowsTraced(), i.worstNs() / 1000.0, i.cause().code())));
    out.println("rtc: wrote report.md, report.json and report.html to " + target);
    if (report.verdict() == LatencyReport.Verdict.NO_VERDICT) {
      return NO_VERDICT;
    }
    boolean pass = report.verdict() == LatencyReport.Verdict.GREAT
        || (report.verdict() == LatencyReport.Verdict.GOOD && require.equals("good"));
    return pass ? Main.OK : 1;
  }

  /**
   * Writes longterm.md, .json and .html from the guests' daily histograms into {@code target};
   * null when it did, else the exit code of why not (the files are not the sampler's).
   */
  private static Integer longTerm(Path monitor, Path target, long great, long good, java.io.PrintWriter out, java.io.PrintWriter err)
      throws IOException {
    dev.rtc.report.LongTerm lt;
    try {
      lt = dev.rtc.report.LongTerm.read(monitor);
    } catch (dev.rtc.report.LongTerm.BadDayException e) {
      err.println("rtc: " + e.getMessage());
      return Main.USAGE;
    }
    if (lt.vms().isEmpty()) {
      return null;
    }
    Files.createDirectories(target);
    for (Map.Entry<String, String> f : dev.rtc.emit.LongTermEmitter.render(lt, great, good).entrySet()) {
      Files.writeString(target.resolve(f.getKey()), f.getValue(), StandardCharsets.UTF_8);
    }
    for (dev.rtc.report.LongTerm.Vm vm : lt.vms()) {
      var worst = vm.worstFirst().get(0);
      long over = vm.days().stream().filter(d -> good > 0 && d.max() >= good).count();
      out.println("since handover: " + vm.name() + ", " + dev.rtc.manifest.diagnostics.Words.count(vm.days().size(), "day") + " (" + vm.days().get(0).date() + " to "
          + vm.days().get(vm.days().size() - 1).date() + "), the worst " + worst.date() + ": " + worst.max() + " µs"
          + (good > 0 ? "; days over the " + good + " µs budget: " + over : ""));
    }
    out.println("rtc: wrote longterm.md, longterm.json and longterm.html to " + target);
    return null;
  }

  /**
   * Why the platform under a run is not qualified, by the record the runbook copied into it (its
   * qualify step's JSON): none, unreadable, or not passed. Empty when it passed.
   */
  private static Optional<String> unqualified(Path record) throws IOException {
    if (!Files.isRegularFile(record)) {
      return Optional.of("the run has no qualification record of the platform (results/host/qualify.json): ./runbook.sh qualify, then bench");
    }
    JsonNode r;
    try {
      r = new ObjectMapper().readTree(InputFiles.read(record, PLAN_LIMIT));
    } catch (InputFiles.RefusedException | com.fasterxml.jackson.core.JsonProcessingException e) {
      return Optional.of("the platform's qualification record (results/host/qualify.json) cannot be read");
    }
    if (r.path("status").asText().equals("passed")) {
      return Optional.empty();
    }
    List<String> failed = new ArrayList<>();
    r.path("findings").forEach(f -> {
      if (f.path("status").asText().equals("failed")) {
        failed.add(f.path("id").asText() + ": " + f.path("message").asText());
      }
    });
    return Optional.of("the platform's qualification did not pass (results/host/qualify.json)" + (failed.isEmpty() ? ""
        : ": " + String.join("; ", failed)));
  }

  /** The runbook's exit code for no verdict, which rtc report shares. */
  static final int NO_VERDICT = 3;

  /** "key value" or "key=value" lines of a small file the runbook writes; empty when it is not there. */
  private static Map<String, String> keyValues(Path file) throws IOException {
    Map<String, String> m = new java.util.LinkedHashMap<>();
    if (!Files.isRegularFile(file)) {
      return m;
    }
    String text;
    try {
      text = InputFiles.readText(file, PLAN_LIMIT);
    } catch (InputFiles.RefusedException e) {
      return m;
    }
    for (String line : text.split("\n")) {
      String[] kv = line.strip().split("[= ]", 2);
      if (!kv[0].isEmpty()) {
        m.put(kv[0], kv.length > 1 ? kv[1].strip() : "");
      }
    }
    return m;
  }

  /** Text outputs and JSON files; with both, the text histogram (it counts overflows) is the one judged. */
  private static LatencyRun read(List<Path> files) throws IOException, CyclictestParser.BadOutputException {
    LatencyRun text = null;
    LatencyRun json = null;
    for (Path f : files) {
      if (!Files.exists(f)) {
        throw new CyclictestParser.RefusedFileException(f.toString(), "no such file");
      }
      try {
        if (f.toString().endsWith(".json")) {
          json = CyclictestParser.parseJson(f.toString(), InputFiles.read(f, OUTPUT_LIMIT));
        } else {
          text = CyclictestParser.parseText(f.toString(), InputFiles.readText(f, OUTPUT_LIMIT));
        }
      } catch (InputFiles.RefusedException e) {
        throw new CyclictestParser.RefusedFileException(f.toString(), e.getMessage() + "; give cyclictest's output files");
      }
    }
    if (text != null && json != null) {
      if (text.threads().size() != json.threads().size()) {
        throw new CyclictestParser.BadOutputException(json.source(), 0, json.threads().size() + " threads, but "
            + text.source() + " has " + text.threads().size() + ": not the same run");
      }
      return new LatencyRun(text.source() + " + " + json.source(), text.threads(), Math.max(text.histogramBuckets(), json.histogramBuckets()),
          json.cmdline(), json.context());
    }
    return text != null ? text : json;
  }
}
