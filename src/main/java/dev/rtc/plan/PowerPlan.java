package dev.rtc.plan;

import dev.rtc.manifest.Manifest.Power;
import dev.rtc.topology.CpuSet;

/**
 * What the host trades for latency (host.power), as the kernel command line and TuneD carry it.
 *
 * <p>lowest-latency is the guide's way: the command line takes deep C-states and frequency scaling
 * from every CPU (intel_idle.max_cstate=0, processor.max_cstate=1, intel_pstate=disable) and
 * TuneD's latency-performance holds a system-wide PM QoS request, so an idle host draws nearly
 * what a busy one does. balanced does the same for the CPUs that matter and nothing for the rest:
 * the command line keeps the idle and P-state drivers, and TuneD gives each held CPU its own PM QoS
 * resume-latency limit ({@code /sys/devices/system/cpu/cpuN/power/pm_qos_resume_latency_us}, which
 * the cpuidle governor obeys per CPU) and the performance governor, while every other CPU may sleep
 * in any C-state and scale its clock. A core's C-state is its shallowest thread's, so a held CPU's
 * sibling sleeping deep costs it nothing.
 *
 * @param all every CPU of the host
 * @param realtime the isolated CPUs a real-time VM's vCPUs or own emulator threads run on: the CPUs
 *     balanced holds (and, under lowest-latency, the ones it would)
 */
public record PowerPlan(Power mode, CpuSet all, CpuSet realtime) {

  /**
   * Under balanced, the resume latency a held CPU's idle states must meet, in µs: C1 on every part
   * (intel_idle's tables give C1 1 or 2 µs), C1E only where it wakes as fast (Sapphire Rapids,
   * Alder and Tiger Lake: 2 µs; elsewhere 4 to 15), never C6 (85 µs and more). It is what
   * lowest-latency's processor.max_cstate=1 allows, said per CPU.
   */
  public static final int HELD_RESUME_LATENCY_US = 2;

  public boolean balanced() {
    return mode == Power.BALANCED;
  }

  /** CPUs kept out of deep C-states and at full clock: every CPU under lowest-latency, the real-time ones under balanced. */
  public CpuSet held() {
    return balanced() ? realtime : all;
  }

  /** CPUs that may sleep deep and clock down: none under lowest-latency. */
  public CpuSet free() {
    return all.minus(held());
  }

  /** The mode in a few words, for plan.md's decisions. */
  public String summary() {
    return balanced()
        ? "balanced: CPUs " + (realtime.isEmpty() ? "(none)" : realtime.toString()) + " held out of deep C-states (waking within "
            + HELD_RESUME_LATENCY_US + " µs) at full clock; CPUs " + free() + " sleep deep and scale their clock"
        : "lowest latency: every CPU held out of deep C-states, at a fixed clock";
  }

  /** Why, what it costs, and the other choice with this host's CPUs. */
  public String why() {
    return balanced()
        ? "host.power: balanced. Per CPU, by TuneD: pm_qos_resume_latency_us " + HELD_RESUME_LATENCY_US + " and the performance "
            + "governor on the real-time VMs' CPUs, any C-state and a scaling governor on the rest; the command line keeps the idle "
            + "and P-state drivers. The real-time VMs wake as fast as under lowest-latency; the housekeeping CPUs and a stressor run "
            + "on clocks that move, and their work waits when a CPU wakes from deep sleep"
        : "host.power: lowest-latency (the default, the guide's way): the command line turns deep C-states and frequency scaling "
            + "off on every CPU and TuneD holds a system-wide PM QoS request, so the host draws nearly full power even when idle. "
            + (realtime.isEmpty() ? "host.power: balanced would hold no CPU here (no real-time VM)"
                : "host.power: balanced would hold only CPUs " + realtime + " (the real-time VMs') and let " + all.minus(realtime)
                    + " sleep");
  }
}
