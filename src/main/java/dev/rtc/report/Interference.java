package dev.rtc.report;

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
}
