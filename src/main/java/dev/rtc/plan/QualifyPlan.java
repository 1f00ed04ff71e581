package dev.rtc.plan;

/**
 * How the runbook's qualify step holds the platform before any latency is judged on it: how long
 * each noise measure runs, and the most noise the platform may make on its own.
 *
 * <p>The limit is a quarter of the benchmark's great threshold: the firmware and hardware
 * (hwlatdetect) and the host kernel on an isolated CPU (rtla osnoise) may take that much, and the
 * rest of the budget stays for the hypervisor, the guest's kernel and its timer. Without a
 * benchmark the limit is 10 µs, hwlatdetect's own default threshold.
 *
 * @param seconds each measure's window (hwlatdetect, then rtla osnoise)
 * @param noiseLimitUs a single gap of this many µs or more fails the platform
 */
public record QualifyPlan(int seconds, long noiseLimitUs) {

  public static final int SECONDS = 60;
  static final long DEFAULT_LIMIT_US = 10;

  public static QualifyPlan of(Plan plan) {
    return new QualifyPlan(SECONDS, plan.benchmark().map(b -> Math.max(1, b.greatUs() / 4)).orElse(DEFAULT_LIMIT_US));
  }
}
