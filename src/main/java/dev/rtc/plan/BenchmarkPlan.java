package dev.rtc.plan;

import dev.rtc.manifest.Manifest;
import java.util.ArrayList;
import java.util.List;

/**
 * How the benchmark runs and is judged: the cyclictest command line, its histogram, the length of
 * the run, the thresholds. One place, because the runbook runs it, plan.md shows it, plan.json
 * hands it to {@code rtc report}, and all three must agree.
 *
 * @param cyclictestArgs the manifest's options as the guide writes them, plus -q; the runbook
 *     adds -D, -h and --json
 * @param histogramBuckets cyclictest -h: one bucket per µs, twice the good threshold and at least
 *     1000 µs, so a failing run's percentiles are still measured rather than lost as overflows
 */
public record BenchmarkPlan(String vm, List<String> cyclictestArgs, int threads, int intervalUs, String duration,
    long durationSeconds, int histogramBuckets, long greatUs, long goodUs) {

  public BenchmarkPlan {
    cyclictestArgs = List.copyOf(cyclictestArgs);
  }

  static BenchmarkPlan of(Manifest.Benchmark b) {
    Manifest.Cyclictest c = b.cyclictest();
    List<String> a = new ArrayList<>(List.of("-t", String.valueOf(c.threads()), "-p", String.valueOf(c.priority()),
        "-i", String.valueOf(c.intervalUs()), "-d", String.valueOf(c.distanceUs()), "-m"));
    c.mainAffinity().ifPresent(cpu -> a.add("--mainaffinity=" + cpu));
    a.add("-a");
    a.add(c.affinity().toString());
    a.add("-q");
    return new BenchmarkPlan(b.vm(), a, c.threads(), c.intervalUs(), b.duration(), seconds(b.duration()),
        (int) Math.max(1000, 2L * b.goodUs()), b.greatUs(), b.goodUs());
  }

  /** Samples each thread should give: the duration over the interval. */
  public long expectedSamples() {
    return durationSeconds * 1_000_000L / intervalUs;
  }

  /** cyclictest's -D forms: 30s, 10m, 24h, 2d (the schema admits only these). */
  static long seconds(String duration) {
    long n = Long.parseLong(duration.substring(0, duration.length() - 1));
    return switch (duration.charAt(duration.length() - 1)) {
      case 's' -> n;
      case 'm' -> n * 60;
      case 'h' -> n * 3600;
      default -> n * 86400;
    };
  }
}
