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
 *       ({@link SpikeCause#GUEST_IRQ}), where a threaded handler (irq/N-name, as PREEMPT_RT runs
 *       device interrupts) and ksoftirqd count as interrupts;
 *   <li>else the time was lost where the guest cannot see (the vCPU was not in the guest, or ran
 *       slowly): on the host CPU, an interrupt handler (or its irq/N thread), a thread instead of the
 *       vCPU thread or a workqueue item at least half as long as that time decides
 *       ({@link SpikeCause#HOST_IRQ}, {@link SpikeCause#HOST_THREAD}); else a VM exit at least half as long ({@link SpikeCause#VM_EXIT},
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
    // A threaded interrupt handler (irq/N-name) or ksoftirqd is an interrupt's time, though it runs as a thread.
    // The idle task's time is the vCPU leaving idle: nothing the guest ran instead, so it counts with the time the guest did not see.
    List<Interference> threads = w.noise().stream().filter(i -> i.kind() == Interference.Kind.GUEST_THREAD && !interrupt(i) && !i.idle())
        .toList();
    List<Interference> interrupts = w.noise().stream().filter(i -> i.kind() != Interference.Kind.GUEST_THREAD || interrupt(i)).toList();
    long thread = threads.stream().mapToLong(Interference::ns).sum();
    long irqs = interrupts.stream().mapToLong(Interference::ns).sum();
    long idle = w.noise().stream().filter(Interference::idle).mapToLong(Interference::ns).sum();
    long lost = w.unexplainedNs() + idle;
    String where = String.format(Locale.ROOT, "%s vCPU %d%s: thread latency %s (timer IRQ %s)", vm, w.cpu(),
        hostCpu.map(c -> " (host CPU " + c + ")").orElse(""), us(w.threadNs()), us(w.irqNs()));
    if (thread >= irqs && thread > lost) {
      Interference top = threads.stream().max(Comparator.comparingLong(Interference::ns)).orElseThrow();
      return new Finding(vm, w.cpu(), hostCpu, w.threadNs(), w.irqNs(), SpikeCause.GUEST_THREAD,
          where + "; guest thread " + top.name() + " ran " + us(top.ns()) + " before the measuring thread");
    }
    if (irqs > lost) {
      Interference top = interrupts.stream().max(Comparator.comparingLong(Interference::ns)).orElseThrow();
      return new Finding(vm, w.cpu(), hostCpu, w.threadNs(), w.irqNs(), SpikeCause.GUEST_IRQ, where + "; guest " + describe(top, w.noise())
          + (top.kind() == Interference.Kind.GUEST_THREAD ? " ran " : " took ") + us(top.ns()) + " (interrupts and softirqs " + us(irqs)
          + " in all)");
    }
    String lostText = where + "; " + us(lost) + " not spent in anything the guest saw" + (idle > 0 ? " (" + us(idle) + " of it leaving idle)" : "");
    Optional<HostTrace.Span> hostWork = onCpu.stream().filter(s -> s.what().kind() != Interference.Kind.VM_EXIT)
        .max(Comparator.comparingLong(s -> s.what().ns()));
    if (hostWork.isPresent() && 2 * hostWork.get().what().ns() >= lost) {
      Interference h = hostWork.get().what();
      boolean threaded = h.threadedIrq().isPresent();
      SpikeCause c = h.kind() == Interference.Kind.HOST_IRQ || threaded ? SpikeCause.HOST_IRQ : SpikeCause.HOST_THREAD;
      String what = switch (h.kind()) {
        case HOST_IRQ -> "host interrupt " + h.name();
        case HOST_WORKQUEUE -> "host workqueue item " + h.name();
        default -> threaded ? "host " + threadedHandler(h, onCpu.stream().map(HostTrace.Span::what).toList()) + " instead of the vCPU"
            : "host thread " + h.name() + " instead of the vCPU";
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
      if (a.idleAtIrq() && 2 * a.irqDelayNs() >= w.threadNs()) {
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

  /**
   * Something that ran on a measured vCPU before its measuring thread, over every window of a trace
   * (not only the worst): how often, its longest, its total. A steered interrupt that costs a few
   * microseconds in a window out of ten eats the budget's margin though it never makes the worst
   * window, and a worst window the guest did not see (a host cause, or an emulator's) hides it.
   *
   * @param source in words: "interrupt virtio2-req.1:30", "interrupt thread irq/30-virtio2-:155 (the handler of IRQ 30, …)", "thread sh:812"
   * @param cause {@link SpikeCause#GUEST_IRQ} or {@link SpikeCause#GUEST_THREAD}: whose remedy applies
   */
  public record Recurring(String vm, int vcpu, String source, SpikeCause cause, int windows, long worstNs, long totalNs) {}

  /** How many of a trace's sources {@link #recurring} keeps, the most time first. */
  public static final int RECURRING = 8;

  /**
   * What ran before the measuring thread across all of one guest's windows, by source, the most
   * time first (ties: the longer worst, then the name), at most {@link #RECURRING}.
   */
  public static List<Recurring> recurring(String vm, List<TimerlatTrace.Window> windows) {
    record Key(int vcpu, Interference.Kind kind, String name) {}
    Map<Key, long[]> by = new LinkedHashMap<>(); // {windows, worst, total}
    Map<Key, Interference> sample = new LinkedHashMap<>();
    List<Interference> all = new ArrayList<>();
    for (TimerlatTrace.Window w : windows) {
      Map<Key, Long> inWindow = new LinkedHashMap<>();
      for (Interference i : w.noise()) {
        if (i.idle()) {
          continue; // leaving idle: no work that ran instead of the thread
        }
        Key k = new Key(w.cpu(), i.kind(), i.name());
        inWindow.merge(k, i.ns(), Long::sum);
        sample.putIfAbsent(k, i);
        all.add(i);
      }
      inWindow.forEach((k, ns) -> {
        long[] a = by.computeIfAbsent(k, x -> new long[3]);
        a[0]++;
        a[1] = Math.max(a[1], ns);
        a[2] += ns;
      });
    }
    return by.entrySet().stream()
        .sorted(Comparator.comparingLong((Map.Entry<Key, long[]> e) -> e.getValue()[2]).reversed()
            .thenComparing(Comparator.comparingLong((Map.Entry<Key, long[]> e) -> e.getValue()[1]).reversed())
            .thenComparing(e -> e.getKey().name()))
        .limit(RECURRING)
        .map(e -> {
          Interference i = sample.get(e.getKey());
          boolean thread = i.kind() == Interference.Kind.GUEST_THREAD && !interrupt(i);
          long[] a = e.getValue();
          return new Recurring(vm, e.getKey().vcpu(), describe(i, all), thread ? SpikeCause.GUEST_THREAD : SpikeCause.GUEST_IRQ, (int) a[0],
              a[1], a[2]);
        }).toList();
  }

  /** The findings by cause, the cause of the worst window first. */
  public static List<Cause> causes(List<Finding> findings) {
    Map<SpikeCause, List<Finding>> by = new LinkedHashMap<>();
    findings.stream().sorted(Comparator.comparingLong(Finding::latencyNs).reversed())
        .forEach(f -> by.computeIfAbsent(f.cause(), k -> new ArrayList<>()).add(f));
    return by.entrySet().stream().map(e -> new Cause(e.getKey(), e.getValue().size(), e.getValue().get(0).latencyNs(),
        e.getValue().get(0).evidence())).toList();
  }

  private static boolean interrupt(Interference i) {
    return i.threadedIrq().isPresent() || i.softirqThread();
  }

  /** A guest's noise item in words: "interrupt virtio2-req.1:30", "softirq NET_RX:3", "NMI", "thread sh:812", or a handler thread's. */
  static String describe(Interference i, List<Interference> nearby) {
    return switch (i.kind()) {
      case GUEST_SOFTIRQ -> "softirq " + i.name();
      case GUEST_IRQ -> "interrupt " + i.name();
      case GUEST_THREAD -> interrupt(i) ? threadedHandler(i, nearby) : "thread " + i.name();
      default -> i.name();
    };
  }

  /**
   * A handler thread in words, with its interrupt's full name when a handler of the same IRQ number
   * ran nearby ("virtio2-req.1:30"): the thread's comm is cut at 15 characters.
   */
  static String threadedHandler(Interference t, List<Interference> nearby) {
    if (t.threadedIrq().isEmpty()) {
      return "softirq thread " + t.name();
    }
    int irq = t.threadedIrq().getAsInt();
    String suffix = ":" + irq;
    String name = nearby.stream().filter(i -> i.kind() == Interference.Kind.GUEST_IRQ || i.kind() == Interference.Kind.HOST_IRQ)
        .map(Interference::name).filter(n -> n.endsWith(suffix) && n.length() > suffix.length()).findFirst()
        .map(n -> ", " + n.substring(0, n.length() - suffix.length())).orElse("");
    return "interrupt thread " + t.name() + " (the handler of IRQ " + irq + name + ")";
  }

  static String us(long ns) {
    return String.format(Locale.ROOT, "%.1f us", ns / 1000.0);
  }
}
