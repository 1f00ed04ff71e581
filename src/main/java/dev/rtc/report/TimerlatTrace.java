package dev.rtc.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The timerlat tracer's trace with its osnoise events ({@code rtla timerlat -t -e osnoise}, or the
 * tracer by hand), as text, cut into windows: each activation of a CPU's timerlat thread, with its
 * IRQ and thread latency and the noise the guest saw on that CPU since the thread's previous
 * activation. Lines it does not know (headers, stacks, other events) are skipped.
 */
public final class TimerlatTrace {

  /**
   * One activation of the measuring thread on one CPU.
   *
   * @param irqNs the timer IRQ's latency (0 when the trace lacks its line)
   * @param threadNs the thread's latency: the whole delay the measuring thread saw
   * @param noise what ran on that CPU meanwhile, as the osnoise events say (net durations), the
   *     timerlat IRQ itself left out
   */
  public record Window(int cpu, long seq, long irqNs, long threadNs, List<Interference> noise) {
    public Window {
      noise = List.copyOf(noise);
    }

    /** The time no guest event accounts for: the vCPU was not running the guest, or ran it slowly. */
    public long unexplainedNs() {
      return Math.max(0, threadNs - noise.stream().mapToLong(Interference::ns).sum());
    }
  }

  // "  cc1-87882   [005] dNLh1..   548.771082: irq_noise: local_timer:236 start 548.771077442 duration 7597 ns"
  private static final Pattern LINE = Pattern.compile("^\\s*(.+?)-(\\d+)\\s+\\[(\\d+)\\]\\s+\\S+\\s+(\\d+\\.\\d+):\\s+(.*)$");
  private static final Pattern SAMPLE = Pattern.compile("^#(\\d+)\\s+context\\s+(irq|thread)\\s+timer_latency\\s+(\\d+)\\s+ns");
  private static final Pattern NOISE = Pattern.compile("^(nmi|irq|softirq|thread)_noise:\\s*(.*?)\\s*start\\s+(\\d+)\\.(\\d+)\\s+duration\\s+(\\d+)\\s+ns");

  private TimerlatTrace() {}

  /** Every window of the trace that has a thread sample, in the trace's order. */
  public static List<Window> windows(String text) {
    Map<Integer, List<Interference>> pending = new HashMap<>();
    Map<Integer, long[]> irq = new HashMap<>(); // cpu -> {seq, latency ns, sample time ns}
    Map<Integer, List<long[]>> timerIrq = new HashMap<>(); // local_timer noise per cpu: {start ns, duration ns, index}
    List<Window> out = new ArrayList<>();
    for (String line : text.split("\n")) {
      Matcher m = LINE.matcher(line);
      if (!m.matches()) {
        continue;
      }
      int cpu = Integer.parseInt(m.group(3));
      long at = nanos(m.group(4));
      String body = m.group(5);
      Matcher s = SAMPLE.matcher(body);
      if (s.find()) {
        long seq = Long.parseLong(s.group(1));
        long ns = Long.parseLong(s.group(3));
        if (s.group(2).equals("irq")) {
          irq.put(cpu, new long[] {seq, ns, at});
        } else {
          long[] i = irq.getOrDefault(cpu, new long[] {-1, 0, 0});
          List<Interference> noise = new ArrayList<>(pending.getOrDefault(cpu, List.of()));
          // The timerlat IRQ is itself a local_timer irq_noise that holds the IRQ sample's time: not interference.
          if (i[0] == seq) {
            for (long[] t : timerIrq.getOrDefault(cpu, List.of())) {
              if (t[0] <= i[2] && i[2] <= t[0] + t[1] + 1_000) {
                noise.set((int) t[2], null);
                break;
              }
            }
          }
          noise.removeIf(java.util.Objects::isNull);
          out.add(new Window(cpu, seq, i[0] == seq ? i[1] : 0, ns, noise));
          pending.remove(cpu);
          timerIrq.remove(cpu);
        }
        continue;
      }
      Matcher n = NOISE.matcher(body);
      if (n.find()) {
        Interference.Kind kind = switch (n.group(1)) {
          case "nmi" -> Interference.Kind.GUEST_NMI;
          case "irq" -> Interference.Kind.GUEST_IRQ;
          case "softirq" -> Interference.Kind.GUEST_SOFTIRQ;
          default -> Interference.Kind.GUEST_THREAD;
        };
        String name = n.group(2).isBlank() ? "NMI" : n.group(2).strip();
        List<Interference> list = pending.computeIfAbsent(cpu, k -> new ArrayList<>());
        if (kind == Interference.Kind.GUEST_IRQ && name.startsWith("local_timer:")) {
          timerIrq.computeIfAbsent(cpu, k -> new ArrayList<>()).add(new long[] {nanos(n.group(3) + "." + n.group(4)),
              Long.parseLong(n.group(5)), list.size()});
        }
        list.add(new Interference(kind, name, Long.parseLong(n.group(5))));
      }
    }
    return out;
  }

  /** The {@code n} windows with the longest thread latency, worst first (ties: earlier first). */
  public static List<Window> worst(List<Window> windows, int n) {
    return windows.stream().sorted(Comparator.comparingLong(Window::threadNs).reversed()).limit(n).toList();
  }

  /** "548.771077442" (seconds, up to nine decimals) in nanoseconds. */
  static long nanos(String seconds) {
    int dot = seconds.indexOf('.');
    String frac = (seconds.substring(dot + 1) + "000000000").substring(0, 9);
    return Long.parseLong(seconds.substring(0, dot)) * 1_000_000_000L + Long.parseLong(frac);
  }
}
