package dev.rtc.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The spike autopsy: each of the worst windows of a real-time guest's timerlat trace sorted into
 * one cause, from what the guest saw on the measured vCPU and what the host's trace saw on the CPU
 * that vCPU is pinned to.
 *
 * <p>The rules, in order, on a window's thread latency:
 * <ol>
 *   <li>the guest's own noise (osnoise events, the timerlat IRQ left out) is the larger part: its
 *       biggest kind decides: a thread ({@link SpikeCause#GUEST_THREAD}), or interrupts and softirqs
 *       ({@link SpikeCause#GUEST_IRQ});
 *   <li>else the time was lost where the guest cannot see (the vCPU was not in the guest, or ran
 *       slowly): on the host CPU, an interrupt handler, a thread instead of the vCPU thread or a
 *       workqueue item at least half as long as that time decides ({@link SpikeCause#HOST_IRQ},
 *       {@link SpikeCause#HOST_THREAD}); else a VM exit at least half as long ({@link SpikeCause#VM_EXIT},
 *       with its reason);
 *   <li>else SMIs counted during the run, or hwlatdetect's gaps of at least half that time in the
 *       platform's qualification, make it {@link SpikeCause#FIRMWARE};
 *   <li>else, when the host's trace of that CPU was there and shows nothing long enough while the
 *       stressors ran, the vCPU ran slowly in the guest: {@link SpikeCause#CACHE};
 *   <li>else {@link SpikeCause#UNKNOWN}.
 * </ol>
 * The host's trace is not aligned in time with the guest's (two clocks): a host interval counts by
 * its length, on the right CPU, within the bounded trace taken around the guest's measurement.
 */
public final class Autopsy {

  /** What the platform showed around the run: SMIs counted, hwlatdetect's worst gap, whether the stressors ran. */
  public record Platform(long smis, long hwlatMaxUs, boolean stressed) {
    public static Platform none() {
      return new Platform(0, 0, false);
    }
  }

  /**
   * One window's cause.
   *
   * @param vm the guest; {@code vcpu} its CPU number inside the guest; {@code hostCpu} the host CPU it is pinned to, if known
   * @param evidence in words: the numbers the cause rests on
   */
  public record Finding(String vm, int vcpu, Optional<Integer> hostCpu, long latencyNs, long irqNs, SpikeCause cause, String evidence) {}

  /** One cause over all the findings: how often, the worst, and what to do. */
  public record Cause(SpikeCause cause, int windows, long worstNs, String evidence) {}

  private Autopsy() {}

  /**
   * Each window's cause.
   *
   * @param hostCpuOf the host CPU each guest CPU is pinned to (vCPU i runs on vcpuPins[i])
   * @param host the host's spans, all CPUs (empty without a host trace)
   * @param hostTraced whether there was a host trace at all
   */
  public static List<Finding> classify(String vm, List<TimerlatTrace.Window> windows, List<Integer> hostCpuOf, List<HostTrace.Span> host,
      boolean hostTraced, Platform platform) {
    List<Finding> out = new ArrayList<>();
    for (TimerlatTrace.Window w : windows) {
      Optional<Integer> hostCpu = w.cpu() < hostCpuOf.size() ? Optional.of(hostCpuOf.get(w.cpu())) : Optional.empty();
      List<HostTrace.Span> onCpu = hostCpu.map(c -> host.stream().filter(s -> s.cpu() == c).toList()).orElse(List.of());
      out.add(classify(vm, w, hostCpu, onCpu, hostTraced && hostCpu.isPresent(), platform));
    }
    return out;
  }

  static Finding classify(String vm, TimerlatTrace.Window w, Optional<Integer> hostCpu, List<HostTrace.Span> onCpu, boolean hostTraced,
      Platform p) {
    long thread = sum(w, Interference.Kind.GUEST_THREAD);
    long irqs = sum(w, Interference.Kind.GUEST_IRQ) + sum(w, Interference.Kind.GUEST_SOFTIRQ) + sum(w, Interference.Kind.GUEST_NMI);
    long lost = w.unexplainedNs();
    String where = String.format(Locale.ROOT, "%s vCPU %d%s: thread latency %s (timer IRQ %s)", vm, w.cpu(),
        hostCpu.map(c -> " (host CPU " + c + ")").orElse(""), us(w.threadNs()), us(w.irqNs()));
    if (thread >= irqs && thread > lost) {
      Interference top = top(w, Interference.Kind.GUEST_THREAD);
      return new Finding(vm, w.cpu(), hostCpu, w.threadNs(), w.irqNs(), SpikeCause.GUEST_THREAD,
          where + "; guest thread " + top.name() + " ran " + us(top.ns()) + " before the measuring thread");
    }
    if (irqs > lost) {
      Interference top = w.noise().stream().filter(i -> i.kind() != Interference.Kind.GUEST_THREAD)
          .max(Comparator.comparingLong(Interference::ns)).orElseThrow();
      return new Finding(vm, w.cpu(), hostCpu, w.threadNs(), w.irqNs(), SpikeCause.GUEST_IRQ,
          where + "; guest " + (top.kind() == Interference.Kind.GUEST_SOFTIRQ ? "softirq " : top.kind() == Interference.Kind.GUEST_NMI
              ? "" : "interrupt ") + top.name() + " took " + us(top.ns()) + " (interrupts and softirqs " + us(irqs) + " in all)");
    }
    String lostText = where + "; " + us(lost) + " not spent in anything the guest saw";
    Optional<HostTrace.Span> hostWork = onCpu.stream().filter(s -> s.what().kind() != Interference.Kind.VM_EXIT)
        .max(Comparator.comparingLong(s -> s.what().ns()));
    if (hostWork.isPresent() && 2 * hostWork.get().what().ns() >= lost) {
      Interference h = hostWork.get().what();
      SpikeCause c = h.kind() == Interference.Kind.HOST_IRQ ? SpikeCause.HOST_IRQ : SpikeCause.HOST_THREAD;
      String what = switch (h.kind()) {
        case HOST_IRQ -> "host interrupt " + h.name();
        case HOST_WORKQUEUE -> "host workqueue item " + h.name();
        default -> "host thread " + h.name() + " instead of the vCPU";
      };
      return new Finding(vm, w.cpu(), hostCpu, w.threadNs(), w.irqNs(), c, lostText + "; on host CPU " + hostWork.get().cpu() + ", "
          + what + " ran " + us(h.ns()));
    }
    Optional<HostTrace.Span> exit = onCpu.stream().filter(s -> s.what().kind() == Interference.Kind.VM_EXIT)
        .max(Comparator.comparingLong(s -> s.what().ns()));
    if (exit.isPresent() && 2 * exit.get().what().ns() >= lost) {
      return new Finding(vm, w.cpu(), hostCpu, w.threadNs(), w.irqNs(), SpikeCause.VM_EXIT, lostText + "; a VM exit (reason "
          + exit.get().what().name() + ") kept the vCPU out of the guest for " + us(exit.get().what().ns()));
    }
    if (p.smis() > 0 || (p.hwlatMaxUs() > 0 && 2 * p.hwlatMaxUs() * 1000 >= lost)) {
      return new Finding(vm, w.cpu(), hostCpu, w.threadNs(), w.irqNs(), SpikeCause.FIRMWARE, lostText + "; the platform counted "
          + p.smis() + " SMIs during the run, and hwlatdetect's worst gap was " + p.hwlatMaxUs() + " us");
    }
    if (hostTraced && p.stressed()) {
      return new Finding(vm, w.cpu(), hostCpu, w.threadNs(), w.irqNs(), SpikeCause.CACHE, lostText
          + "; the host's trace of that CPU shows no exit, interrupt or thread that long while the stressors ran");
    }
    return new Finding(vm, w.cpu(), hostCpu, w.threadNs(), w.irqNs(), SpikeCause.UNKNOWN, lostText
        + (hostTraced ? "; the host's trace shows nothing that long" : "; there is no host trace of that CPU"));
  }

  /**
   * The windows rtla's own analysis broke down (rtla 6.3 and later), judged as a trace's are, with
   * what only the analysis tells: a timer IRQ that came late because the vCPU was idle is the
   * wake-up of a halted vCPU (a HLT exit and the host's wake-up), and one the running thread held
   * back with interrupts off is that thread's (TimerlatAnalysis.Cpu#window).
   */
  public static List<Finding> classifyAnalysis(String vm, List<TimerlatAnalysis.Cpu> cpus, List<Integer> hostCpuOf,
      List<HostTrace.Span> host, boolean hostTraced, Platform platform) {
    List<Finding> out = new ArrayList<>();
    for (TimerlatAnalysis.Cpu a : cpus) {
      Optional<Integer> hostCpu = a.cpu() < hostCpuOf.size() ? Optional.of(hostCpuOf.get(a.cpu())) : Optional.empty();
      TimerlatTrace.Window w = a.window();
      if (a.fromIdle() && 2 * a.irqDelayNs() >= w.threadNs()) {
        out.add(new Finding(vm, a.cpu(), hostCpu, w.threadNs(), w.irqNs(), SpikeCause.VM_EXIT, TimerlatAnalysis.said(a)
            + "; the vCPU was idle: its timer IRQ waited " + us(a.irqDelayNs()) + " for the halted vCPU to be woken and entered again "
            + "(a HLT exit)"));
        continue;
      }
      List<HostTrace.Span> onCpu = hostCpu.map(c -> host.stream().filter(s -> s.cpu() == c).toList()).orElse(List.of());
      Finding f = classify(vm, w, hostCpu, onCpu, hostTraced && hostCpu.isPresent(), platform);
      out.add(new Finding(f.vm(), f.vcpu(), f.hostCpu(), f.latencyNs(), f.irqNs(), f.cause(), TimerlatAnalysis.said(a) + "; "
          + f.evidence()));
    }
    return out;
  }

  /** The findings by cause, the cause of the worst window first. */
  public static List<Cause> causes(List<Finding> findings) {
    Map<SpikeCause, List<Finding>> by = new LinkedHashMap<>();
    findings.stream().sorted(Comparator.comparingLong(Finding::latencyNs).reversed())
        .forEach(f -> by.computeIfAbsent(f.cause(), k -> new ArrayList<>()).add(f));
    return by.entrySet().stream().map(e -> new Cause(e.getKey(), e.getValue().size(), e.getValue().get(0).latencyNs(),
        e.getValue().get(0).evidence())).toList();
  }

  private static long sum(TimerlatTrace.Window w, Interference.Kind kind) {
    return w.noise().stream().filter(i -> i.kind() == kind).mapToLong(Interference::ns).sum();
  }

  private static Interference top(TimerlatTrace.Window w, Interference.Kind kind) {
    return w.noise().stream().filter(i -> i.kind() == kind).max(Comparator.comparingLong(Interference::ns)).orElseThrow();
  }

  static String us(long ns) {
    return String.format(Locale.ROOT, "%.1f us", ns / 1000.0);
  }
}
