package dev.rtc.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The judgement of one cyclictest run: per thread and overall, samples, min, avg, p50, p99,
 * p99.9, p99.99, max and overflows, and a verdict against the manifest's thresholds with its
 * reasons. A run that cannot be judged honestly (missing threads, overflowing histogram, cut
 * short) fails, and says why: never a silent pass.
 */
public record LatencyReport(LatencyRun run, Criteria criteria, List<Stats> threads, Stats overall, Verdict verdict, List<String> reasons,
    List<Autopsy.Cause> causes, List<Autopsy.Recurring> interference, int windowsTraced) {

  public LatencyReport {
    causes = List.copyOf(causes);
    interference = List.copyOf(interference);
  }

  /** The same report with all the autopsy found: its causes, and what recurred in the traced windows. */
  public LatencyReport withAutopsy(AutopsyEvidence.Found found) {
    LatencyReport r = withCauses(found.causes());
    return new LatencyReport(run, criteria, threads, overall, verdict, reasons, r.causes, found.recurring(), found.windows());
  }

  /**
   * The same report with the autopsy's causes. A FAIL always says why: without traces to read, its
   * one cause is {@link SpikeCause#UNKNOWN}, saying so.
   */
  public LatencyReport withCauses(List<Autopsy.Cause> found) {
    List<Autopsy.Cause> c = found;
    if (c.isEmpty() && verdict == Verdict.FAIL) {
      c = List.of(new Autopsy.Cause(SpikeCause.UNKNOWN, 0, overall.max() * 1000, "no autopsy traces in the run (results/autopsy/): "
          + "the real-time guest has no timerlat tracer or rtla, or bench did not trace; a PREEMPT_RT guest kernel with rtla has both"));
    }
    return new LatencyReport(run, criteria, threads, overall, verdict, reasons, c, interference, windowsTraced);
  }

  /** NO_VERDICT: the run says nothing about the plan (a stock kernel, stressors that gave no load). */
  public enum Verdict {
    GREAT, GOOD, FAIL, NO_VERDICT;

    /** As the runbook prints it: GREAT, GOOD, FAIL, NO VERDICT. */
    public String text() {
      return name().replace('_', ' ');
    }
  }

  /**
   * What a run's folder says besides cyclictest's output, on which the verdict rests as much: the
   * runbook writes it (meta, results/load.txt, results/cyclictest.exit) and reads the same rules in
   * its judge (runbook-steps.sh, evidence_verdict); the verdict corpus holds the two to each other.
   *
   * @param cyclictestExit cyclictest's own exit status, when known
   * @param stressLoad each stressor's load over the run, in percent of its vCPUs' time
   * @param loadMinPercent the least load a stressor must give
   * @param notRealtime who ran a kernel that is not PREEMPT_RT: "host", a VM's name (by the plan, or
   *     by cyclictest's own sysinfo)
   * @param unqualified why the platform under the run is not qualified (no passed record in
   *     results/host/qualify.json, where the plan requires one); empty when it is, or need not be
   */
  public record Evidence(java.util.OptionalInt cyclictestExit, java.util.Map<String, Integer> stressLoad, int loadMinPercent,
      List<String> notRealtime, Optional<String> unqualified) {
    public static Evidence none() {
      return new Evidence(java.util.OptionalInt.empty(), java.util.Map.of(), 0, List.of(), Optional.empty());
    }
  }

  /**
   * What the run is judged against.
   *
   * @param expectedThreads cyclictest -t, when known (the plan)
   * @param expectedSamples per thread: duration ÷ interval, when known (the plan)
   */
  public record Criteria(long greatUs, long goodUs, Optional<Integer> expectedThreads, Optional<Long> expectedSamples) {}

  /** A percentile: exact, or only known to be at least {@code us} (it fell beyond the histogram). */
  public record Percentile(long us, boolean atLeast) {
    @Override
    public String toString() {
      return (atLeast ? "≥" : "") + us;
    }
  }

  /** One thread's numbers, or all threads together ("all"). Percentiles are empty without a histogram. */
  public record Stats(String label, long samples, long min, double avg, long max, Optional<Percentile> p50, Optional<Percentile> p99,
      Optional<Percentile> p999, Optional<Percentile> p9999, long overflows, SortedMap<Integer, Long> histogram) {
    public String avgText() {
      return Double.isNaN(avg) ? "n/a" : String.format(Locale.ROOT, "%.1f", avg);
    }
  }

  /** Samples a thread may fall short of duration ÷ interval before the run counts as cut short. */
  static final double SHORT_RUN = 0.9;

  /**
   * The verdict on a run with its evidence, in the runbook's order: a stock kernel, then a platform
   * without a passed qualification, then stressors that gave too little load, make NO VERDICT whatever the latency (a measurement that says nothing
   * about the plan is no pass and no fail); cyclictest failing is a FAIL; else the latency's verdict.
   */
  public static LatencyReport judge(LatencyRun run, Criteria c, Evidence e) {
    return judge(run, c).with(e);
  }

  /** The verdict of evidence that holds no readable run (cut short, garbled): FAIL, or NO VERDICT by the same order. */
  public static Verdict unreadable(Evidence e, List<String> reasons) {
    Verdict v = noVerdict(e, reasons);
    return v != null ? v : Verdict.FAIL;
  }

  private LatencyReport with(Evidence e) {
    List<String> why = new ArrayList<>();
    Verdict v = noVerdict(e, why);
    if (v == null && e.cyclictestExit().isPresent() && e.cyclictestExit().getAsInt() != 0) {
      why.add("cyclictest exited with status " + e.cyclictestExit().getAsInt() + " (results/cyclictest.err says why)");
      v = Verdict.FAIL;
    }
    if (v == null) {
      return this;
    }
    List<String> all = new ArrayList<>(why);
    reasons.forEach(r -> all.add("the latency alone: " + r));
    return new LatencyReport(run, criteria, threads, overall, v, all, causes, interference, windowsTraced);
  }

  private static Verdict noVerdict(Evidence e, List<String> why) {
    if (!e.notRealtime().isEmpty()) {
      why.add(String.join(", ", e.notRealtime()) + " ran a kernel that is not PREEMPT_RT: the latency says nothing about a "
          + "real-time plan");
      return Verdict.NO_VERDICT;
    }
    if (e.unqualified().isPresent()) {
      why.add(e.unqualified().get());
      return Verdict.NO_VERDICT;
    }
    List<String> idle = e.stressLoad().entrySet().stream().filter(l -> l.getValue() < e.loadMinPercent())
        .map(l -> l.getKey() + " " + l.getValue() + "%").sorted().toList();
    if (!idle.isEmpty()) {
      why.add("the stressors gave too little load during the run (" + String.join(", ", idle) + "; at least " + e.loadMinPercent()
          + "% planned): the latency was not measured under load");
      return Verdict.NO_VERDICT;
    }
    return null;
  }

  public static LatencyReport judge(LatencyRun run, Criteria c) {
    List<Stats> threads = new ArrayList<>();
    for (LatencyRun.Thread t : run.threads()) {
      threads.add(stats("thread " + t.id(), t.samples(), t.min(), t.avg(), t.max(), t.histogram(), t.overflows(), run));
    }
    Stats overall = overall(run, threads);
    List<String> reasons = new ArrayList<>();
    boolean fail = false;
    if (c.expectedThreads().isPresent() && c.expectedThreads().get() != threads.size()) {
      reasons.add("the plan runs " + c.expectedThreads().get() + " measuring threads, the output has " + threads.size()
          + ": a thread that did not report cannot be judged");
      fail = true;
    }
    for (Stats s : threads) {
      if (s.overflows() > 0) {
        reasons.add(String.format(Locale.ROOT, "%s: %d of %d samples (%.2f%%) were above the histogram's %d µs range, so its "
            + "percentiles above that are unknown; run cyclictest with a larger -h", s.label(), s.overflows(), s.samples(),
            100.0 * s.overflows() / Math.max(1, s.samples()), run.histogramBuckets()));
        fail = true;
      }
      if (c.expectedSamples().isPresent() && s.samples() < SHORT_RUN * c.expectedSamples().get()) {
        reasons.add(s.label() + ": " + s.samples() + " samples where the planned duration and interval give about "
            + c.expectedSamples().get() + ": the run stopped early");
        fail = true;
      }
      if (s.samples() == 0) {
        reasons.add(s.label() + ": no samples");
        fail = true;
      }
    }
    Verdict v;
    if (overall.max() >= c.goodUs()) {
      reasons.add("worst latency " + overall.max() + " µs is not below the good threshold of " + c.goodUs() + " µs");
      v = Verdict.FAIL;
    } else if (fail) {
      v = Verdict.FAIL;
    } else if (overall.max() >= c.greatUs()) {
      reasons.add("worst latency " + overall.max() + " µs is below " + c.goodUs() + " µs (good) but not below " + c.greatUs() + " µs (great)");
      v = Verdict.GOOD;
    } else {
      reasons.add("worst latency " + overall.max() + " µs is below the great threshold of " + c.greatUs() + " µs");
      v = Verdict.GREAT;
    }
    return new LatencyReport(run, c, threads, overall, v, reasons, List.of(), List.of(), 0);
  }

  private static Stats overall(LatencyRun run, List<Stats> threads) {
    SortedMap<Integer, Long> merged = new TreeMap<>();
    long samples = 0;
    long overflows = 0;
    long min = Long.MAX_VALUE;
    long max = 0;
    double weighted = 0;
    for (Stats s : threads) {
      s.histogram().forEach((k, v) -> merged.merge(k, v, Long::sum));
      samples += s.samples();
      overflows += s.overflows();
      min = Math.min(min, s.min());
      max = Math.max(max, s.max());
      weighted += s.avg() * s.samples();
    }
    return stats("all threads", samples, threads.isEmpty() ? 0 : min, samples == 0 ? Double.NaN : weighted / samples, max, merged,
        overflows, run);
  }

  private static Stats stats(String label, long samples, long min, double avg, long max, SortedMap<Integer, Long> hist,
      long overflows, LatencyRun run) {
    boolean h = run.hasHistogram();
    return new Stats(label, samples, min, avg, max, h ? percentile(hist, samples, 0.50, run) : Optional.empty(),
        h ? percentile(hist, samples, 0.99, run) : Optional.empty(), h ? percentile(hist, samples, 0.999, run) : Optional.empty(),
        h ? percentile(hist, samples, 0.9999, run) : Optional.empty(), overflows, hist);
  }

  /** The smallest latency with at least q of all samples at or below it (nearest rank). */
  static Optional<Percentile> percentile(SortedMap<Integer, Long> hist, long samples, double q, LatencyRun run) {
    if (samples == 0) {
      return Optional.empty();
    }
    long rank = (long) Math.ceil(q * samples);
    long seen = 0;
    for (var e : hist.entrySet()) {
      seen += e.getValue();
      if (seen >= rank) {
        return Optional.of(new Percentile(e.getKey(), false));
      }
    }
    return Optional.of(new Percentile(run.histogramBuckets(), true));
  }
}
