package dev.rtc.report;

/**
 * What made a latency spike, as the autopsy tells the causes apart, each with a stable code (like
 * the diagnostics' and the runbook's IDs, never renamed) and what to change. docs/spike-causes.md
 * says what each is told by and what it was tested on; SpikeCauseTest holds the two together.
 */
public enum SpikeCause {
  FIRMWARE("spike.firmware", "firmware (SMI) or hardware",
      "the time was lost outside the guest and the host kernel, while the platform counted SMIs or hwlatdetect saw gaps: "
          + "the BIOS checklist (power management, USB legacy, C-states), a firmware update; qualify's hwlat and SMI findings"),
  HOST_IRQ("spike.host-irq", "a host interrupt on an isolated CPU",
      "move the interrupt to the housekeeping CPUs (host.housekeeping): its /proc/irq/N/smp_affinity_list, irqbalance off; a "
          + "device's queues with the driver's own affinity; the device on a housekeeping CPU's node (host.devices)"),
  HOST_THREAD("spike.host-thread", "a host kernel thread or workqueue on an isolated CPU",
      "keep kernel threads and workqueues on the housekeeping CPUs: rcu_nocbs and the workqueue cpumask (the plan sets both; "
          + "check-host proves them), the kthread's affinity; a per-CPU kworker names the kernel feature to switch off"),
  VM_EXIT("spike.vm-exit", "a VM exit",
      "the exit's reason says what the guest did: HLT (vms[].guest idle: poll, or the guest's cpuidle), MSR_WRITE/TSC deadline "
          + "(the timer: kvm's timer advance), EPT_VIOLATION (vms[].hugepages), EXTERNAL_INTERRUPT (a host interrupt: see "
          + "spike.host-irq), IO_INSTRUCTION or EPT_MISCONFIG (emulated I/O on the real-time vCPU: a virtio device's queue "
          + "on a housekeeping vCPU)"),
  GUEST_IRQ("spike.guest-irq", "an interrupt or softirq in the guest on the measured vCPU",
      "move the guest's device interrupts to its housekeeping vCPUs (vms[].guest: the housekeeping vCPUs, irqaffinity): the "
          + "IRQ named here, its /proc/irq/N/smp_affinity_list in the guest; on a PREEMPT_RT guest keep its handler thread "
          + "(irq/N-name) below the real-time task's priority (chrt)"),
  GUEST_THREAD("spike.guest-thread", "a guest thread that blocked the measuring thread",
      "a thread at the measuring thread's priority or above runs on the measured vCPU: give it a lower priority or another "
          + "vCPU (benchmark.cyclictest.priority, the workload's own affinity)"),
  CACHE("spike.cache", "cache or memory-bandwidth pressure",
      "no interruption explains the time: the vCPU ran in the guest and ran slow, as a cache miss storm from the stressor "
          + "makes it: more ways for the real-time VM (vms[].cache), memory bandwidth (vms[].memoryBandwidth), or the stressor "
          + "on another socket"),
  UNKNOWN("spike.unknown", "unknown",
      "the traces do not tell: keep the run's traces (results/autopsy/), run bench again with a longer duration, and check "
          + "qualify's record");

  private final String code;
  private final String title;
  private final String remedy;

  SpikeCause(String code, String title, String remedy) {
    this.code = code;
    this.title = title;
    this.remedy = remedy;
  }

  public String code() {
    return code;
  }

  public String title() {
    return title;
  }

  public String remedy() {
    return remedy;
  }
}
