package dev.rtc.plan;

import dev.rtc.topology.CpuSet;
import java.util.ArrayList;
import java.util.List;

/**
 * The running system's real-time tuning, from a kept tool: a TuneD profile that includes TuneD's own
 * {@code realtime-virtual-host} (or {@code -guest}) with rtc's isolated CPUs, and changes only what
 * rtc must own. Everything the profile sets is listed with where it comes from and why, for
 * plan.md; {@link #checks()} are the values check-host and verify read back.
 *
 * <p>The settings are those of TuneD 2.20 (Debian 12, /usr/lib/tuned/*&#47;tuned.conf), read from
 * its profiles: latency-performance ← network-latency ← realtime ← realtime-virtual-host/guest.
 * A test loads rtc's profile with TuneD's own loader and compares.
 *
 * @param profile the profile's name and folder under /etc/tuned
 * @param include the TuneD profile it builds on
 * @param isolated TuneD's isolated_cores: the host's isolated CPUs, or a guest's real-time vCPUs
 * @param housekeeping the other CPUs, where TuneD moves threads, workqueues and interrupts
 * @param psBlacklist TuneD's scheduler ps_blacklist: processes it must not move off isolated CPUs
 * @param stalld the distribution ships stalld, and the runbook enables it beside the profile
 * @param power the host's power choice; a guest's profile is always latency-performance's (its idle
 *     is the host's: an idle vCPU's thread sleeps on a host CPU the host's choice holds)
 */
public record TuningPlan(String profile, String include, CpuSet isolated, CpuSet housekeeping, String psBlacklist,
    List<Setting> settings, boolean stalld, java.util.Optional<PowerPlan> power) {

  public TuningPlan {
    settings = List.copyOf(settings);
  }

  /** One setting, as plan.md lists it: what, the value, which profile (or rtc) sets it, and why. */
  public record Setting(String what, String value, String from, String why) {}

  /**
   * One value check-host or verify reads back: a file, what it must hold, and how to compare
   * ({@code equal}, {@code selected} for a sysfs choice shown in brackets, {@code mask} for a hex CPU
   * mask compared as a number, {@code equal-or-absent} for knobs some kernels do not have).
   */
  public record Check(String path, String kind, String expected, String what) {}

  /** realtime-virtual-host protects RHEL's QEMU (qemu-kvm); Debian's and Ubuntu's is qemu-system-x86. */
  static final String HOST_PS_BLACKLIST = "^\\[ksoftirqd;^\\[ktimers;^\\[rcuc;^\\[rcub;^\\[ktimersoftd;pmd;PMD;^DPDK;qemu-kvm;qemu-system-x86";

  static TuningPlan host(String bundle, CpuSet isolated, CpuSet housekeeping, Distro d, PowerPlan power) {
    List<Setting> s = common(isolated, housekeeping, "realtime-virtual-host");
    cpu(s, power);
    s.add(new Setting("sysfs /sys/kernel/mm/ksm/run", "2", "realtime-virtual-host",
        "KSM stopped and its merged pages split again: no page scanning or copy-on-write faults under the VMs"));
    s.add(new Setting("modprobe kvm, kvm_intel", "kvmclock_periodic_sync=0, nx_huge_pages=0, ple_gap=0", "realtime-virtual-host",
        "its script writes /etc/modprobe.d/kvm.rt.tuned.conf; the same as rtc's kvm.* arguments, kept for a module loaded later"));
    s.add(new Setting("scheduler ps_blacklist", HOST_PS_BLACKLIST, "rtc",
        "realtime-virtual-host's list plus qemu-system-x86: without it TuneD moves QEMU's vCPU threads, pinned by libvirt to "
            + "isolated CPUs, onto housekeeping CPUs on Debian and Ubuntu, whose QEMU is not called qemu-kvm"));
    rtcOwn(s, d);
    return new TuningPlan("rtc-" + bundle, "realtime-virtual-host", isolated, housekeeping, HOST_PS_BLACKLIST, s, d.stalld(),
        java.util.Optional.of(power));
  }

  static TuningPlan guest(String vm, CpuSet rtVcpus, CpuSet guestHousekeeping, Distro d) {
    List<Setting> s = common(rtVcpus, guestHousekeeping, "realtime-virtual-guest");
    cpu(s, new PowerPlan(dev.rtc.manifest.Manifest.Power.LOWEST_LATENCY, rtVcpus.union(guestHousekeeping), rtVcpus));
    rtcOwn(s, d);
    return new TuningPlan("rtc-" + vm, "realtime-virtual-guest", rtVcpus, guestHousekeeping, "", s, d.stalld(), java.util.Optional.empty());
  }

  /** What realtime-virtual-host and -guest share, by the profile that sets it. */
  private static List<Setting> common(CpuSet isolated, CpuSet hk, String top) {
    List<Setting> s = new ArrayList<>();
    s.add(new Setting("variables isolated_cores", isolated.toString(), "rtc", "the CPUs rtc isolates; " + top + " derives every "
        + "mask below from it"));
    s.add(new Setting("variables isolate_managed_irq", "Y", "rtc", "managed interrupts stay off the isolated CPUs too"));
    s.add(new Setting("bootloader", "enabled=false", "rtc", "rtc owns the kernel command line (its GRUB drop-in, or grubby); TuneD's "
        + "bootloader plugin would add isolcpus, nohz_full, rcu_nocbs and irqaffinity a second time"));
    s.add(new Setting("sysctl vm.dirty_ratio, vm.dirty_background_ratio", "10, 3", "latency-performance",
        "writeback starts early and in small batches"));
    s.add(new Setting("sysctl vm.swappiness", "10", "latency-performance", "memory stays resident rather than swapped"));
    s.add(new Setting("vm transparent_hugepages", "never", "network-latency", "no khugepaged scans or compaction stalls"));
    s.add(new Setting("sysctl net.core.busy_read, busy_poll", "50", "network-latency", "sockets poll briefly instead of sleeping on an interrupt"));
    s.add(new Setting("sysctl kernel.numa_balancing", "0", "network-latency", "no NUMA page migration (numa_balancing=disable on the command line too)"));
    s.add(new Setting("sysctl kernel.sched_rt_runtime_us", "-1", "realtime",
        "no RT throttling: a real-time thread is never stopped for the last 50 ms of each second"));
    s.add(new Setting("sysctl kernel.timer_migration", "0", "realtime", "timers stay on the CPU that armed them"));
    s.add(new Setting("sysctl vm.stat_interval", "10", "realtime", "vmstat counters are folded every 10 s instead of every second"));
    s.add(new Setting("sysctl kernel.nmi_watchdog, hung_task_timeout_secs", "0, 600", "realtime", "no NMI watchdog; fewer hung-task scans"));
    s.add(new Setting("sysfs workqueue cpumask", hk.hexMask(), "realtime", "unbound workqueues and writeback run on "
        + "housekeeping CPUs " + hk));
    s.add(new Setting("irqbalance banned_cpus", isolated.toString(), "realtime", "irqbalance never moves an interrupt onto an isolated CPU"));
    s.add(new Setting("net channels", "combined " + hk.size(), "rtc", "one network queue (and interrupt) per housekeeping CPU, as "
        + "realtime's own line means; written out, because TuneD 2.20 does not expand that line's function when it verifies a "
        + "per-device option, and tuned-adm verify would fail on every NIC with channels"));
    s.add(new Setting("scheduler isolated_cores", isolated.toString(), "realtime",
        "threads and kernel threads that may move are moved onto the housekeeping CPUs"));
    s.add(new Setting("rtentsk", "on", "realtime", "holds a timestamping socket open, so enabling the static key never interrupts every CPU"));
    s.add(new Setting("scheduler ksoftirqd, ktimers / ktimersoftd / rcuc, rcub", "FIFO 2 / 3 / 4", top,
        "the kernel threads that serve real-time work run above normal tasks"));
    s.add(new Setting("sysfs /sys/kernel/ktimer_lockless_check", "1", top, "lockless timer-softirq checks on isolated CPUs (RT kernels that have it)"));
    return s;
  }

  /** TuneD's energy-performance preferences for the two kinds of CPU under balanced, first available wins. */
  public static final String FREE_GOVERNOR = "schedutil|ondemand|powersave";
  public static final String FREE_EPP = "balance_performance|default";

  /** The cpu plugin: latency-performance's, or under balanced rtc's two instances, one per kind of CPU. */
  private static void cpu(List<Setting> all, PowerPlan power) {
    // After the bootloader line, where latency-performance's own lines always stood in plan.md.
    List<Setting> s = new ArrayList<>();
    cpuSettings(s, power);
    all.addAll(3, s);
  }

  private static void cpuSettings(List<Setting> s, PowerPlan power) {
    if (!power.balanced()) {
      s.add(new Setting("cpu force_latency", "cstate.id_no_zero:1|3", "latency-performance",
          "a system-wide PM QoS request keeps every CPU out of deep C-states and their exit latency"));
      s.add(new Setting("cpu governor, energy_perf_bias, min_perf_pct", "performance, performance, 100", "latency-performance",
          "no frequency scaling by load, on any CPU"));
      return;
    }
    s.add(new Setting("cpu (replaces latency-performance's) on CPUs " + power.free(), "governor " + FREE_GOVERNOR
        + ", energy_perf_bias normal, energy_performance_preference " + FREE_EPP + ", pm_qos_resume_latency_us 0", "rtc",
        "host.power: balanced: no system-wide PM QoS request (force_latency) and no min_perf_pct; these CPUs sleep in any C-state "
            + "and their clock follows their load (the first governor the driver has: intel_pstate has powersave, acpi-cpufreq "
            + "schedutil)"));
    if (!power.held().isEmpty()) {
      s.add(new Setting("cpu_rt on CPUs " + power.held(), "governor performance, energy_perf_bias performance, "
          + "energy_performance_preference performance, pm_qos_resume_latency_us " + PowerPlan.HELD_RESUME_LATENCY_US, "rtc",
          "host.power: balanced: per CPU, the real-time VMs' CPUs enter only idle states that wake within "
              + PowerPlan.HELD_RESUME_LATENCY_US + " µs (C1), at full clock"));
    }
  }

  private static void rtcOwn(List<Setting> s, Distro d) {
    if (d.stalld()) {
      s.add(new Setting("service stalld", "enabled", "rtc",
          "with RT throttling off, stalld boosts a starved kernel thread for a moment instead of letting the CPU stall"));
    }
  }

  /** realtime's NIC queue count, written out: one combined channel per housekeeping CPU. */
  public int netChannels() {
    return housekeeping.size();
  }

  /** What check-host (host) or verify (guest) reads back to prove the tuning is live. */
  public List<Check> checks(boolean host) {
    List<Check> c = new ArrayList<>();
    c.add(new Check("/proc/sys/kernel/sched_rt_runtime_us", "equal", "-1", "RT throttling off"));
    c.add(new Check("/proc/sys/kernel/timer_migration", "equal", "0", "timer migration off"));
    c.add(new Check("/proc/sys/vm/stat_interval", "equal", "10", "vmstat interval 10 s"));
    // PREEMPT_RT kernels before 6.x are built without THP (Debian 12's linux-image-rt-amd64): no file is "never" too.
    c.add(new Check("/sys/kernel/mm/transparent_hugepage/enabled", "selected-or-absent", "never", "transparent hugepages never"));
    c.add(new Check("/sys/devices/virtual/workqueue/cpumask", "mask", housekeeping.hexMask(), "workqueues on " + housekeeping));
    if (host) {
      c.add(new Check("/sys/kernel/mm/ksm/run", "equal-or-absent", "2", "KSM stopped"));
      power.filter(p -> p.balanced() && !p.held().isEmpty()).ifPresent(p -> c.add(new Check(
          "percpu:" + p.held() + ":power/pm_qos_resume_latency_us", "equal", String.valueOf(PowerPlan.HELD_RESUME_LATENCY_US),
          "CPUs " + p.held() + " wake within " + PowerPlan.HELD_RESUME_LATENCY_US + " µs (host.power: balanced)")));
    }
    return c;
  }
}
