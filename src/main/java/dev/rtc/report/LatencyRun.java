package dev.rtc.report;

import java.util.List;
import java.util.Optional;
import java.util.SortedMap;

/**
 * What one cyclictest run measured, per thread, as read from its output.
 *
 * @param source the file(s) it was read from
 * @param histogramBuckets the histogram's size in µs (cyclictest -h), 0 when there was no histogram
 * @param cmdline cyclictest's command line when the output says it (JSON)
 */
public record LatencyRun(String source, List<Thread> threads, int histogramBuckets, Optional<String> cmdline, Optional<Context> context) {

  public LatencyRun {
    threads = List.copyOf(threads);
  }

  public LatencyRun(String source, List<Thread> threads, int histogramBuckets, Optional<String> cmdline) {
    this(source, threads, histogramBuckets, cmdline, Optional.empty());
  }

  /**
   * Where and when it ran, as cyclictest's --json says it (sysinfo, start_time, end_time).
   *
   * @param realtime the kernel is PREEMPT_RT (sysinfo.realtime, or PREEMPT_RT in its version)
   */
  public record Context(String host, String kernel, boolean realtime, String start, String end) {}

  /**
   * One measuring thread.
   *
   * @param histogram latency in µs → samples, only for buckets below {@code histogramBuckets}
   * @param overflows samples at or above the histogram's range (counted, not binned)
   * @param intervalUs the thread's wake-up interval, when the output says it
   */
  public record Thread(int id, long samples, long min, double avg, long max, SortedMap<Integer, Long> histogram, long overflows,
      Optional<Integer> intervalUs) {}

  public boolean hasHistogram() {
    return histogramBuckets > 0;
  }
}
