package dev.rtc.plan;

import java.util.List;
import java.util.TreeSet;

/**
 * How a deployment is watched after handover: the latency sampler in each real-time guest, the
 * host's metrics timer, and the thresholds the alerts hold the samples to.
 *
 * <p>Why the sampler cannot disturb the real-time load (docs/monitoring.md says it to the user):
 * <ul>
 *   <li>It runs at SCHED_FIFO priority {@value #PRIORITY}, the lowest real-time priority. The
 *       scheduler never picks it while a real-time thread of higher priority is runnable on its
 *       vCPU, so it waits for the application; it never preempts it.
 *   <li>Its one intrusion is the timer interrupt that wakes it: one per {@value #INTERVAL_US} µs,
 *       only during its {@value #WINDOW_SECONDS}-second window in every {@value #EVERY_SECONDS}
 *       seconds: a duty cycle under 1%.
 *   <li>Its memory is locked (no page faults), its main thread and the script around it run on
 *       the guest's housekeeping vCPUs, and it skips its window while a benchmark or an autopsy
 *       measures (bench stops it).
 * </ul>
 * The price: while the application keeps a vCPU busy, the sampler's latency includes that time;
 * the alerts read it over hours, not one sample.
 *
 * @param bucketsUs the histogram's upper bounds in µs (Prometheus {@code le}, besides +Inf): a
 *     decade ladder, with the verdict's two thresholds among them so that the burn rule reads
 *     them exactly
 * @param histogramUs cyclictest -h: per-µs buckets up to here, the rest overflows (bench's rule)
 * @param greatUs the great threshold, 0 without a benchmark in the manifest (no latency alerts)
 * @param goodUs the good threshold (the verdict's FAIL line), 0 without a benchmark
 */
public record MonitorPlan(List<Long> bucketsUs, int histogramUs, long greatUs, long goodUs) {

  /** Each sampling window, in seconds. */
  public static final int WINDOW_SECONDS = 5;
  /** A window starts every this many seconds (systemd timer, from the end of the last). */
  public static final int EVERY_SECONDS = 600;
  /** cyclictest's interval: 5,000 samples per thread per window, 720,000 a day. */
  public static final int INTERVAL_US = 1000;
  /** SCHED_FIFO 1: below every real-time application thread. */
  public static final int PRIORITY = 1;
  /** The host's runbook.sh metrics runs every this many seconds. */
  public static final int HOST_EVERY_SECONDS = 300;
  /** The guests keep this many days of daily histograms, for rtc report's long-term plot. */
  public static final int KEEP_DAYS = 400;

  private static final List<Long> LADDER = List.of(5L, 10L, 20L, 50L, 100L, 200L, 500L, 1000L, 2000L, 5000L, 10_000L);

  public MonitorPlan {
    bucketsUs = List.copyOf(bucketsUs);
  }

  public static MonitorPlan of(Plan plan) {
    long great = plan.benchmark().map(BenchmarkPlan::greatUs).orElse(0L);
    long good = plan.benchmark().map(BenchmarkPlan::goodUs).orElse(0L);
    int histogram = plan.benchmark().map(BenchmarkPlan::histogramBuckets).orElse(1000);
    TreeSet<Long> bounds = new TreeSet<>(LADDER);
    if (great > 0) {
      bounds.add(great);
      bounds.add(good);
    }
    // A bound past the histogram's end could never be told from +Inf: overflows have no value.
    return new MonitorPlan(List.copyOf(bounds.headSet((long) histogram, true)), histogram, great, good);
  }

  /** The share of the time a real-time vCPU is sampled, in percent. */
  public static double dutyCyclePercent() {
    return 100.0 * WINDOW_SECONDS / EVERY_SECONDS;
  }
}
