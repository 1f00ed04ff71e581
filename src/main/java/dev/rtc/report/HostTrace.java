package dev.rtc.report;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The host's trace of the real-time VM's CPUs while the guest measured (tracefs text with kvm:,
 * irq:, sched: and workqueue: events), as intervals per host CPU: each VM exit until the vCPU
 * entered the guest again, each host interrupt handler, each stretch another thread had the CPU
 * instead of a vCPU thread ("CPU n/KVM"), each workqueue item.
 */
public final class HostTrace {

  /** An interval on a host CPU: what ran instead of the guest, from when, for how long. */
  public record Span(int cpu, long startNs, Interference what) {
    long endNs() {
      return startNs + what.ns();
    }
  }

  private static final Pattern LINE = Pattern.compile("^\\s*(.+?)-(\\d+)\\s+\\[(\\d+)\\]\\s+\\S+\\s+(\\d+\\.\\d+):\\s+([a-z_]+):\\s*(.*)$");
  private static final Pattern EXIT_REASON = Pattern.compile("reason (\\S+)");
  private static final Pattern IRQ = Pattern.compile("irq=(\\d+)(?: name=(\\S+))?");
  private static final Pattern SWITCH = Pattern.compile("prev_comm=(.*?) prev_pid=(\\d+) .*==> next_comm=(.*?) next_pid=(\\d+)");
  private static final Pattern FUNCTION = Pattern.compile("function (\\S+)");

  private HostTrace() {}

  public static List<Span> spans(String text) {
    Map<Integer, Object[]> exit = new HashMap<>(); // cpu -> {start, reason}
    Map<Integer, Object[]> irq = new HashMap<>(); // cpu -> {start, name}
    Map<Integer, Object[]> away = new HashMap<>(); // cpu -> {start, comm:pid}
    Map<Integer, Object[]> work = new HashMap<>(); // cpu -> {start, function}
    List<Span> out = new ArrayList<>();
    for (String line : text.split("\n")) {
      Matcher m = LINE.matcher(line);
      if (!m.matches()) {
        continue;
      }
      int cpu = Integer.parseInt(m.group(3));
      long at = TimerlatTrace.nanos(m.group(4));
      String body = m.group(6);
      switch (m.group(5)) {
        case "kvm_exit" -> {
          Matcher r = EXIT_REASON.matcher(body);
          exit.put(cpu, new Object[] {at, r.find() ? r.group(1) : "unknown"});
        }
        case "kvm_entry" -> close(exit.remove(cpu), cpu, at, Interference.Kind.VM_EXIT, out);
        case "irq_handler_entry" -> {
          Matcher r = IRQ.matcher(body);
          irq.put(cpu, new Object[] {at, r.find() ? (r.group(2) != null ? r.group(2) + ":" : "irq ") + r.group(1) : body});
        }
        case "irq_handler_exit" -> close(irq.remove(cpu), cpu, at, Interference.Kind.HOST_IRQ, out);
        case "sched_switch" -> {
          Matcher r = SWITCH.matcher(body);
          if (r.find()) {
            if (vcpu(r.group(1)) && !vcpu(r.group(3))) {
              away.put(cpu, new Object[] {at, r.group(3) + ":" + r.group(4)});
            } else if (vcpu(r.group(3))) {
              close(away.remove(cpu), cpu, at, Interference.Kind.HOST_THREAD, out);
            }
          }
        }
        case "workqueue_execute_start" -> {
          Matcher r = FUNCTION.matcher(body);
          work.put(cpu, new Object[] {at, r.find() ? r.group(1) : body});
        }
        case "workqueue_execute_end" -> close(work.remove(cpu), cpu, at, Interference.Kind.HOST_WORKQUEUE, out);
        default -> { }
      }
    }
    return out;
  }

  /** QEMU names its vCPU threads "CPU 0/KVM". */
  static boolean vcpu(String comm) {
    return comm.matches("CPU \\d+/KVM");
  }

  private static void close(Object[] open, int cpu, long at, Interference.Kind kind, List<Span> out) {
    if (open != null) {
      out.add(new Span(cpu, (long) open[0], new Interference(kind, (String) open[1], at - (long) open[0])));
    }
  }
}
