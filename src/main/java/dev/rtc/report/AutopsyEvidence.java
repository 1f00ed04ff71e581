package dev.rtc.report;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rtc.io.InputFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The autopsy's inputs as the runbook leaves them in a run's folder, read and classified:
 * results/autopsy/VM/timerlat_trace.txt (each real-time guest's trace) and timerlat.txt (rtla's
 * summary, with its own analysis of the stop window on rtla 6.3 and later), results/autopsy/host-trace.txt
 * (the host's trace of their CPUs), results/host/smi.txt (the SMI counter before and after),
 * results/host/qualify.json (hwlatdetect's worst gap) and results/load.txt (whether the stressors ran).
 */
public final class AutopsyEvidence {

  /** How many of each guest's worst windows are classified. */
  public static final int WORST = 5;
  /** A trace larger than this is refused: the runbook bounds its buffers far below it. */
  static final int TRACE_LIMIT = 64 << 20;

  private AutopsyEvidence() {}

  /**
   * What the autopsy found in a run.
   *
   * @param causes the causes of the worst windows, the worst's first
   * @param recurring what ran before the measuring threads across all traced windows, the most time first
   * @param windows how many windows the traces hold
   */
  public record Found(List<Autopsy.Cause> causes, List<Autopsy.Recurring> recurring, int windows) {
    public static final Found NONE = new Found(List.of(), List.of(), 0);
  }

  /** The causes of a run's worst windows; empty when the run has no autopsy traces. */
  public static List<Autopsy.Cause> causes(Path run, JsonNode plan, Map<String, Integer> stressLoad, int loadMin) throws IOException {
    return read(run, plan, stressLoad, loadMin).causes();
  }

  /** The causes of a run's worst windows and what recurred in all of them; {@link Found#NONE} without autopsy traces. */
  public static Found read(Path run, JsonNode plan, Map<String, Integer> stressLoad, int loadMin) throws IOException {
    Path dir = run.resolve("results/autopsy");
    if (!Files.isDirectory(dir)) {
      return Found.NONE;
    }
    List<Autopsy.Recurring> recurring = new ArrayList<>();
    int traced = 0;
    String hostText = read(dir.resolve("host-trace.txt"));
    List<HostTrace.Span> host = HostTrace.spans(hostText);
    long smis = smis(run.resolve("results/host/smi.txt"));
    long hwlat = hwlatUs(run.resolve("results/host/qualify.json"));
    boolean stressed = !stressLoad.isEmpty() && stressLoad.values().stream().allMatch(v -> v >= loadMin);
    Autopsy.Platform platform = new Autopsy.Platform(smis, hwlat, stressed);
    List<Autopsy.Finding> findings = new ArrayList<>();
    for (JsonNode vm : plan.path("vms")) {
      String name = vm.path("name").asText();
      Path trace = dir.resolve(name).resolve("timerlat_trace.txt");
      if (name.isEmpty() || name.contains("/") || !Files.isRegularFile(trace) && !Files.isRegularFile(dir.resolve(name).resolve("timerlat.txt"))) {
        continue;
      }
      List<Integer> pins = new ArrayList<>();
      vm.path("vcpuPins").forEach(p -> pins.add(p.asInt()));
      List<TimerlatTrace.Window> all = TimerlatTrace.windows(read(trace));
      traced += all.size();
      recurring.addAll(Autopsy.recurring(name, all));
      List<TimerlatTrace.Window> worst = TimerlatTrace.worst(all, WORST);
      // rtla 6.3 and later print their own analysis of the stop window in the summary: it replaces that window's.
      List<TimerlatAnalysis.Cpu> analysed = TimerlatAnalysis.parse(read(dir.resolve(name).resolve("timerlat.txt")));
      List<TimerlatTrace.Window> rest = worst.stream().filter(w -> analysed.stream().noneMatch(a -> a.cpu() == w.cpu()
          && Math.abs(a.window().threadNs() - w.threadNs()) <= 1000)).toList();
      findings.addAll(Autopsy.classifyAnalysis(name, analysed, pins, host, !hostText.isBlank(), platform));
      findings.addAll(Autopsy.classify(name, rest, pins, host, !hostText.isBlank(), platform));
    }
    recurring.sort(java.util.Comparator.comparingLong(Autopsy.Recurring::totalNs).reversed());
    return new Found(Autopsy.causes(findings), recurring.stream().limit(Autopsy.RECURRING).toList(), traced);
  }

  private static String read(Path file) throws IOException {
    return Files.isRegularFile(file) ? InputFiles.readText(file, TRACE_LIMIT) : "";
  }

  /** "before after" of MSR_SMI_COUNT: their difference, 0 when unknown. */
  static long smis(Path file) throws IOException {
    String[] f = read(file).strip().split("\\s+");
    if (f.length == 2 && f[0].matches("[0-9]{1,12}") && f[1].matches("[0-9]{1,12}")) {
      return Math.max(0, Long.parseLong(f[1]) - Long.parseLong(f[0]));
    }
    return 0;
  }

  static long hwlatUs(Path record) throws IOException {
    String text = read(record);
    if (text.isBlank()) {
      return 0;
    }
    try {
      for (JsonNode f : new com.fasterxml.jackson.databind.ObjectMapper().readTree(text).path("findings")) {
        if (f.path("id").asText().equals("qualify.hwlat") && f.path("value").asText().matches("[0-9]{1,9}")) {
          return Long.parseLong(f.path("value").asText());
        }
      }
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      return 0;
    }
    return 0;
  }
}
