package dev.rtc.plan;

import dev.rtc.plan.KernelCmdline.KernelArg;
import dev.rtc.topology.CpuSet;
import java.util.ArrayList;
import java.util.List;

/**
 * The real-time kernel arguments, in one fixed order (isolation, then timekeeping, then noise,
 * then power, then KVM, then the user's extras) so that a change in the manifest never reorders
 * unrelated arguments — a reorder alone costs a reboot in GitOps flows.
 *
 * <p>Sources: the guide's host and guest command lines, and TuneD's realtime-virtual-host /
 * realtime-virtual-guest profiles. Left out on purpose: i915.*, igb.* and console settings
 * (hardware- and site-specific), art=virtallow and no_ipi_broadcast (only in Intel's ECI kernel),
 * noht (obsolete), hugepages (sized per VM, not fixed), debug. Changed on purpose: {@code mce=off}
 * becomes {@code mce=ignore_ce} (stops the corrected-error polling timer but keeps uncorrected
 * errors fatal, as TuneD's realtime profile does); {@code processor.max_cstate=0} becomes 1 (the
 * kernel treats 0 as 1 anyway).
 */
final class KernelArgs {

  /** x86 COMMAND_LINE_SIZE is 2048 bytes including the terminating NUL. */
  static final int MAX_CMDLINE = 2047;

  private KernelArgs() {}

  static KernelCmdline host(CpuSet isolated, CpuSet housekeeping, List<String> extra) {
    return host(isolated, housekeeping, new java.util.TreeMap<>(), true, extra);
  }

  /**
   * @param hugepages page size in bytes → NUMA node → pages to reserve there at boot (boot-time
   *     reservation is the one that still finds contiguous 1 GiB ranges)
   * @param perNode the kernel parses hugepages=NODE:COUNT (Linux 5.16 and later); otherwise the
   *     caller passes pages for one node only, written as a plain count
   */
  static KernelCmdline host(CpuSet isolated, CpuSet housekeeping, java.util.SortedMap<Long, java.util.SortedMap<Integer, Long>> hugepages,
      boolean perNode, List<String> extra) {
    return host(isolated, housekeeping, hugepages, perNode, false, dev.rtc.manifest.Manifest.Power.LOWEST_LATENCY, extra);
  }

  /**
   * @param iommu a VM is given a host device: the IOMMU on, in passthrough mode for the host's own DMA
   * @param power under balanced the command line keeps the idle and P-state drivers: TuneD limits
   *     C-states and clocks per CPU, which a command-line limit, on every CPU at once, would override
   */
  static KernelCmdline host(CpuSet isolated, CpuSet housekeeping, java.util.SortedMap<Long, java.util.SortedMap<Integer, Long>> hugepages,
      boolean perNode, boolean iommu, dev.rtc.manifest.Manifest.Power power, List<String> extra) {
    List<KernelArg> a = isolation(isolated, housekeeping);
    a.addAll(common());
    if (power == dev.rtc.manifest.Manifest.Power.LOWEST_LATENCY) {
      a.add(new KernelArg("intel_pstate", "disable", "no P-state driver changing frequency under real-time work (host.power: lowest-latency)"));
      a.add(new KernelArg("intel_idle.max_cstate", "0", "no intel_idle deep C-states and their exit latency, on any CPU"));
      a.add(new KernelArg("processor.max_cstate", "1", "no ACPI deep C-states either"));
    }
    a.add(new KernelArg("kvm.kvmclock_periodic_sync", "0", "no periodic kvmclock sync work on vCPU threads (TuneD realtime-virtual-host)"));
    a.add(new KernelArg("kvm_intel.ple_gap", "0", "no pause-loop exiting: a spinning real-time vCPU stays in the guest"));
    if (!hugepages.isEmpty()) {
      String largest = pageSize(hugepages.lastKey());
      a.add(new KernelArg("default_hugepagesz", largest, "the default hugetlbfs page size: the largest the VMs use"));
      hugepages.forEach((size, counts) -> {
        a.add(new KernelArg("hugepagesz", pageSize(size), "the next hugepages= reserves pages of this size"));
        StringBuilder nodes = new StringBuilder();
        counts.forEach((node, count) -> nodes.append(nodes.length() == 0 ? "" : ",").append(node).append(':').append(count));
        a.add(perNode ? new KernelArg("hugepages", nodes.toString(), "per NUMA node (node:count), the pages of the VMs bound to that node")
            : new KernelArg("hugepages", String.valueOf(counts.values().stream().mapToLong(Long::longValue).sum()),
                "the pages of the VMs, on the host's one NUMA node (this kernel predates the per-node form)"));
      });
    }
    if (iommu) {
      a.add(new KernelArg("intel_iommu", "on", "VFIO needs the IOMMU to give a VM a host device; many kernels leave Intel's off"));
      a.add(new KernelArg("iommu", "pt", "the host's own devices bypass IOMMU translation (passthrough): no cost to its DMA"));
    }
    extra.forEach(e -> a.add(extraArg(e)));
    return new KernelCmdline(a);
  }

  /** The kernel's spelling of a hugepage size: 2M, 1G. */
  static String pageSize(long bytes) {
    return bytes % (1L << 30) == 0 ? (bytes >> 30) + "G" : (bytes >> 20) + "M";
  }

  /** @param rtVcpus guest CPU numbers that run real-time work; vCPU 0 stays the guest's housekeeping CPU */
  static KernelCmdline guest(CpuSet rtVcpus, CpuSet guestHousekeeping) {
    List<KernelArg> a = isolation(rtVcpus, guestHousekeeping);
    a.addAll(common());
    return new KernelCmdline(a);
  }

  private static List<KernelArg> isolation(CpuSet isolated, CpuSet housekeeping) {
    List<KernelArg> a = new ArrayList<>();
    a.add(new KernelArg("isolcpus", "managed_irq,domain," + isolated, "no scheduler load balancing and no managed interrupts on the isolated CPUs"));
    a.add(new KernelArg("nohz", "on", "tickless idle"));
    a.add(new KernelArg("nohz_full", isolated.toString(), "no scheduler tick while one task runs on an isolated CPU"));
    a.add(new KernelArg("rcu_nocbs", isolated.toString(), "RCU callbacks run on housekeeping CPUs, not isolated ones"));
    a.add(new KernelArg("rcu_nocb_poll", "", "RCU offload threads poll instead of waking isolated CPUs (the guide)"));
    a.add(new KernelArg("irqaffinity", housekeeping.toString(), "interrupts default to the housekeeping CPUs"));
    return a;
  }

  private static List<KernelArg> common() {
    return new ArrayList<>(List.of(
        new KernelArg("skew_tick", "1", "ticks of different CPUs do not fire at once and contend for locks (TuneD)"),
        new KernelArg("tsc", "reliable", "no clocksource watchdog checking the TSC"),
        new KernelArg("clocksource", "tsc", "the cheapest clocksource to read"),
        new KernelArg("hpet", "disable", "no HPET interrupts"),
        new KernelArg("nosoftlockup", "", "no soft-lockup watchdog threads"),
        new KernelArg("nmi_watchdog", "0", "no NMI watchdog interrupts"),
        new KernelArg("mce", "ignore_ce", "no corrected-machine-check polling timer; uncorrected errors still stop the machine"),
        new KernelArg("audit", "0", "no audit records on system calls"),
        new KernelArg("numa_balancing", "disable", "no page migration scans moving memory under running tasks"),
        new KernelArg("rcupdate.rcu_cpu_stall_suppress", "1", "no RCU stall warnings from long real-time bursts"),
        new KernelArg("efi", "runtime", "keep EFI runtime services, which PREEMPT_RT kernels switch off by default")));
  }

  private static KernelArg extraArg(String text) {
    int eq = text.indexOf('=');
    return eq < 0 ? new KernelArg(text, "", "host.kernel.extraArgs") : new KernelArg(text.substring(0, eq), text.substring(eq + 1), "host.kernel.extraArgs");
  }
}
