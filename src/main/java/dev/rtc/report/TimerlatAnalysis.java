package dev.rtc.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * rtla timerlat's own auto-analysis, as rtla 6.3 and later print it when a stop threshold is hit
 * ({@code rtla timerlat top -T US}, or {@code -a US}): for each CPU that hit it, the latency broken
 * into the timer IRQ's delay, the timerlat IRQ, the thread that was running and the interrupts,
 * softirqs and threads that ran before the measuring thread; and the stack at the timer IRQ. The
 * format is rtla's timerlat_aa.c ({@code timerlat_thread_analysis}); lines it does not know (the
 * top table, "Saving trace to", the task dump) are skipped.
 *
 * <p>Read into a {@link TimerlatTrace.Window} it is judged by the same rules as a trace's window;
 * what only the analysis says adds to them: a timer IRQ delayed while the running thread held
 * interrupts off (the stack shows the IRQ arriving at an irq-restore) is that thread's doing, and
 * a timer IRQ delayed leaving idle is the wake-up of the CPU underneath.
 */
public final class TimerlatAnalysis {

  /**
   * One analyzed CPU.
   *
   * @param irqStop the IRQ latency hit the threshold (rtla analyzes only the IRQ part then)
   * @param totalNs the latency that hit it: the thread's, or the IRQ's when irqStop
   * @param irqDelayNs how late the timer IRQ handler started
   * @param fromIdle rtla says the delay was the CPU leaving idle (more than 10 us of it)
   * @param blocking the thread that was running when the timer fired, and (for a thread stop) how
   *     long it kept the measuring thread from running, net of interrupts
   * @param stack the stack at the timer IRQ, innermost first (rtla prints it when -s or -a is given)
   * @param noise the NMI, IRQ, softirq and thread interference rtla lists, each item
   */
  public record Cpu(int cpu, boolean irqStop, long totalNs, long irqDelayNs, boolean fromIdle, long irqLatencyNs, long timerIrqNs,
      Optional<Interference> blocking, List<String> stack, List<Interference> noise) {
    public Cpu {
      stack = List.copyOf(stack);
      noise = List.copyOf(noise);
    }

    /**
     * Where the timer IRQ found the running thread: interrupts were off until this irq-restore, so
     * the IRQ's delay is that thread's (empty when the stack says otherwise, or there is none).
     */
    public Optional<String> irqsOffUntil() {
      int at = stack.indexOf("asm_sysvec_apic_timer_interrupt");
      if (at < 0 || at + 1 >= stack.size()) {
        return Optional.empty();
      }
      String frame = stack.get(at + 1);
      return IRQ_ON.matcher(frame).find() ? Optional.of(frame) : Optional.empty();
    }

    /**
     * The timer IRQ found the CPU idle: rtla says so ("exit from idle"), or the stack at the IRQ is
     * the idle loop's (rtla flags only a CPU that saw no other IRQ since the timer was due; a
     * device IRQ meanwhile hides it). Then the IRQ's delay is the halted vCPU's wake-up.
     */
    public boolean idleAtIrq() {
      int at = stack.indexOf("asm_sysvec_apic_timer_interrupt");
      return fromIdle || at >= 0 && stack.subList(at + 1, stack.size()).stream().anyMatch(IDLE_LOOP.asPredicate());
    }

    /**
     * As a trace's window: the noise rtla listed, the blocking thread among it, and the timer IRQ's
     * delay as the blocking thread's when it held interrupts off; what is left is time the CPU did
     * not account for (the host's, the firmware's, or leaving idle).
     */
    public TimerlatTrace.Window window() {
      List<Interference> all = new ArrayList<>(noise);
      blocking.filter(b -> b.ns() > 0).ifPresent(all::add);
      if (irqsOffUntil().isPresent() && blocking.isPresent()) {
        all.add(new Interference(Interference.Kind.GUEST_THREAD, blocking.get().name() + " (interrupts off until " + irqsOffUntil().get()
            + ")", irqDelayNs));
      }
      return new TimerlatTrace.Window(cpu, 0, irqLatencyNs, irqStop ? irqLatencyNs : totalNs, all);
    }
  }

  // The idle loop's frames in a stack at the timer IRQ: do_idle, cpuidle_enter_state, default_idle_call, native_safe_halt, …
  private static final Pattern IDLE_LOOP = Pattern.compile("^(do_idle|cpuidle_enter.*|default_idle.*|native_safe_halt|.*_safe_halt|"
      + "intel_idle.*|acpi_idle.*|poll_idle|mwait_idle.*)$");

  // "## CPU 23 hit stop tracing, analyzing it ##"
  private static final Pattern HEAD = Pattern.compile("^##\\s*CPU\\s+(\\d+)\\s+hit stop tracing, analyzing it\\s*##\\s*$");
  // "  IRQ handler delay:   (exit from idle)   27.49 us (65.52 %)"
  private static final Pattern DELAY = Pattern.compile("^IRQ handler delay:\\s*(\\(exit from idle\\))?\\s*([0-9.]+) us");
  private static final Pattern VALUE = Pattern.compile("^(IRQ latency|Timerlat IRQ duration|Blocking thread|NMI interference|IRQ interference"
      + "|Softirq interference|Thread interference|Thread latency):?\\s*([0-9.]+) us(\\s*\\(100%\\))?");
  // "  objtool:49256      3.79 us", "  local_timer:236     7.00 us", "  kworker/1:1:123  ..." (the last ':' ends a comm)
  private static final Pattern ITEM = Pattern.compile("^(\\S.*?):(\\d+)\\s+([0-9.]+) us\\s*$");
  private static final Pattern NAMED = Pattern.compile("^(\\S.*?):(\\d+)\\s*$");
  private static final Pattern FRAME = Pattern.compile("^->\\s*(\\S+)");
  /** A function where interrupts come back on: the timer IRQ waited for it. */
  private static final Pattern IRQ_ON = Pattern.compile("irqrestore|irq_enable|_unlock_irq$|local_irq_restore");

  private TimerlatAnalysis() {}

  /** Every analyzed CPU of the text, in its order; none when rtla printed no analysis. */
  public static List<Cpu> parse(String text) {
    List<Cpu> out = new ArrayList<>();
    Builder b = null;
    String list = "";
    for (String raw : text.split("\n", -1)) {
      String line = raw.strip();
      Matcher head = HEAD.matcher(line);
      if (head.matches()) {
        if (b != null) {
          out.add(b.build());
        }
        b = new Builder(Integer.parseInt(head.group(1)));
        list = "";
        continue;
      }
      if (b == null || line.isEmpty()) {
        continue;
      }
      if (line.startsWith("-----")) {
        list = "total";
        continue;
      }
      Matcher d = DELAY.matcher(line);
      if (d.find()) {
        b.irqDelayNs = ns(d.group(2));
        b.fromIdle = d.group(1) != null;
        list = "";
        continue;
      }
      if (line.startsWith("Blocking thread stack")) {
        list = "stack";
        continue;
      }
      if (line.equals("Blocking thread:")) { // an IRQ stop: the thread alone, no duration
        b.irqStop = true;
        list = "blocking";
        continue;
      }
      Matcher v = VALUE.matcher(line);
      if (v.find()) {
        String what = v.group(1);
        long ns = ns(v.group(2));
        if (v.group(3) != null || list.equals("total")) {
          b.totalNs = ns;
          b.irqStop |= what.equals("IRQ latency");
          b.closed = true;
        } else {
          switch (what) {
            case "IRQ latency" -> b.irqLatencyNs = ns;
            case "Timerlat IRQ duration" -> b.timerIrqNs = ns;
            case "Blocking thread" -> b.blockingNs = ns;
            default -> { }
          }
        }
        list = switch (what) {
          case "Blocking thread" -> "blocking";
          case "IRQ interference" -> "irq";
          case "Softirq interference" -> "softirq";
          case "Thread interference" -> "thread";
          case "NMI interference" -> "nmi";
          default -> "";
        };
        continue;
      }
      if (b.closed) {
        continue; // after the total: "The system has exit from idle latency!", "Saving trace to ..."
      }
      Matcher f = FRAME.matcher(line);
      if (list.equals("stack") && f.find()) {
        b.stack.add(f.group(1));
        continue;
      }
      Matcher item = ITEM.matcher(line);
      Matcher named = NAMED.matcher(line);
      if (list.equals("blocking") && (item.matches() || named.matches())) {
        Matcher m = item.matches() ? item : named;
        b.blockingName = m.group(1) + ":" + m.group(2);
      } else if (item.matches()) {
        Interference.Kind kind = switch (list) {
          case "irq" -> Interference.Kind.GUEST_IRQ;
          case "softirq" -> Interference.Kind.GUEST_SOFTIRQ;
          case "thread" -> Interference.Kind.GUEST_THREAD;
          default -> null;
        };
        if (kind != null) {
          b.noise.add(new Interference(kind, item.group(1) + ":" + item.group(2), ns(item.group(3))));
        }
      } else if (list.equals("nmi") && line.matches("^nmi\\s+[0-9.]+ us$")) {
        b.noise.add(new Interference(Interference.Kind.GUEST_NMI, "nmi", ns(line.replaceAll("[^0-9.]", ""))));
      }
    }
    if (b != null) {
      out.add(b.build());
    }
    return out;
  }

  private static long ns(String us) {
    return Math.round(Double.parseDouble(us) * 1000);
  }

  private static final class Builder {
    final int cpu;
    boolean irqStop;
    boolean fromIdle;
    boolean closed;
    long totalNs;
    long irqDelayNs;
    long irqLatencyNs;
    long timerIrqNs;
    long blockingNs;
    String blockingName;
    final List<String> stack = new ArrayList<>();
    final List<Interference> noise = new ArrayList<>();

    Builder(int cpu) {
      this.cpu = cpu;
    }

    Cpu build() {
      Optional<Interference> blocking = Optional.ofNullable(blockingName).map(n -> new Interference(Interference.Kind.GUEST_THREAD, n,
          blockingNs));
      return new Cpu(cpu, irqStop, totalNs, irqDelayNs, fromIdle, irqLatencyNs, timerIrqNs, blocking, stack, noise);
    }
  }

  /** "CPU 23: thread latency 41.96 us", for evidence. */
  static String said(Cpu c) {
    return String.format(Locale.ROOT, "rtla's analysis of CPU %d: %s latency %.2f us, timer IRQ %.2f us late%s", c.cpu(),
        c.irqStop() ? "IRQ" : "thread", c.totalNs() / 1000.0, c.irqDelayNs() / 1000.0, c.fromIdle() ? " (leaving idle)" : "");
  }
}
