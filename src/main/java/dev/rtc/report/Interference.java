package dev.rtc.report;

import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One thing that took a CPU from the measuring thread during a window, with how long.
 *
 * @param kind where it ran
 * @param name what it was: an IRQ's name and vector, a softirq, a thread's comm:pid, a VM exit's reason,
 *     a workqueue's function
 * @param ns its duration
 */
public record Interference(Kind kind, String name, long ns) {

  /** Guest kinds come from the guest's osnoise events; host kinds from the host's trace of the vCPU's CPU. */
  public enum Kind {
    GUEST_NMI, GUEST_IRQ, GUEST_SOFTIRQ, GUEST_THREAD, HOST_IRQ, HOST_THREAD, HOST_WORKQUEUE, VM_EXIT;

    boolean guest() {
      return name().startsWith("GUEST_");
    }
  }

  public double us() {
    return ns / 1000.0;
  }

  // A threaded interrupt handler's comm: "irq/30-virtio2-req.1" (osnoise adds ":pid"; comm stops at 15 characters).
  private static final Pattern IRQ_THREAD = Pattern.compile("^irq/(\\d+)-.*");

  /**
   * The IRQ whose handler this thread is, when it is a threaded handler: a PREEMPT_RT kernel runs
   * almost every device interrupt's handler as a thread irq/N-name, so an interrupt's time shows as
   * that thread's.
   */
  public OptionalInt threadedIrq() {
    if (kind != Kind.GUEST_THREAD && kind != Kind.HOST_THREAD) {
      return OptionalInt.empty();
    }
    Matcher m = IRQ_THREAD.matcher(name);
    return m.matches() ? OptionalInt.of(Integer.parseInt(m.group(1))) : OptionalInt.empty();
  }

  /**
   * The idle task (swapper/N, pid 0): its time before the measuring thread is the CPU leaving idle,
   * not work that competed with the thread.
   */
  public boolean idle() {
    return (kind == Kind.GUEST_THREAD || kind == Kind.HOST_THREAD) && name.matches("swapper/\\d+:0");
  }

  /** A thread that runs softirqs and nothing else: ksoftirqd/N. */
  public boolean softirqThread() {
    return (kind == Kind.GUEST_THREAD || kind == Kind.HOST_THREAD) && name.startsWith("ksoftirqd/");
  }
}
