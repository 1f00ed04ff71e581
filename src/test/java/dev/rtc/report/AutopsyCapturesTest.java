package dev.rtc.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The classifier on traces captured in a PREEMPT_RT guest with one kind of noise injected each
 * (src/test/resources/autopsy/README.md says how).
 */
class AutopsyCapturesTest {

  static final Path CAPTURES = Path.of("src/test/resources/autopsy");

  static List<Autopsy.Finding> classify(String capture) throws IOException {
    String trace = Files.readString(CAPTURES.resolve(capture).resolve("timerlat_trace.txt"));
    List<TimerlatTrace.Window> worst = TimerlatTrace.worst(TimerlatTrace.windows(trace), AutopsyEvidence.WORST);
    return Autopsy.classify("rtc-e2e-rt", worst, List.of(2, 3), List.of(), false, new Autopsy.Platform(0, 0, false));
  }

  @Test
  void aFifoSpinnerOnTheMeasuredVcpuIsAGuestThread() throws IOException {
    List<Autopsy.Finding> f = classify("guest-fifo-spinner");
    assertThat(f).hasSize(AutopsyEvidence.WORST);
    Autopsy.Finding worst = f.get(0);
    assertThat(worst.latencyNs()).as("the stop window").isEqualTo(96_374_258L);
    assertThat(worst.vcpu()).isEqualTo(1);
    assertThat(worst.cause()).isEqualTo(SpikeCause.GUEST_THREAD);
    assertThat(worst.evidence()).contains("guest thread sh:679 ran 62778.8 us").contains("(host CPU 3)");
    assertThat(Autopsy.causes(f).get(0).cause()).isEqualTo(SpikeCause.GUEST_THREAD);
  }

  @Test
  void underEmulationDiskInterruptsAreSmallAndTheWorstWindowIsTimeTheGuestDidNotSee() throws IOException {
    List<Autopsy.Finding> f = classify("guest-disk-io-tcg");
    Autopsy.Finding worst = f.get(0);
    assertThat(worst.latencyNs()).isEqualTo(6_911_703L);
    assertThat(worst.cause()).isEqualTo(SpikeCause.UNKNOWN);
    assertThat(worst.evidence()).contains("not spent in anything the guest saw").contains("there is no host trace of that CPU");
    // The disk's interrupts are there, named, but small: the windows hold them as guest interrupts.
    String trace = Files.readString(CAPTURES.resolve("guest-disk-io-tcg/timerlat_trace.txt"));
    assertThat(TimerlatTrace.windows(trace).stream().flatMap(w -> w.noise().stream()))
        .anyMatch(i -> i.kind() == Interference.Kind.GUEST_IRQ && i.name().equals("virtio2-req.1:30") && i.ns() < 10_000);
  }

  /**
   * A steered device interrupt driven hard, its handler thread above the measuring thread: under TCG the worst
   * windows are still the emulator's (unknown), but across the trace the interrupt's thread ran first in more
   * windows, and longer in all, than anything else, and is named with its IRQ's full name.
   */
  @Test
  void aSteeredInterruptsThreadIsWhatRecursThoughTheWorstWindowsAreTheEmulators() throws IOException {
    String trace = Files.readString(CAPTURES.resolve("guest-irq-thread-tcg/timerlat_trace.txt"));
    List<TimerlatTrace.Window> windows = TimerlatTrace.windows(trace);
    Autopsy.Finding worst = classify("guest-irq-thread-tcg").get(0);
    assertThat(worst.latencyNs()).as("the stop window").isEqualTo(7_614_126L);
    assertThat(worst.cause()).isEqualTo(SpikeCause.UNKNOWN);
    List<Autopsy.Recurring> r = Autopsy.recurring("rtc-e2e-rt", windows);
    assertThat(r).hasSizeLessThanOrEqualTo(Autopsy.RECURRING);
    Autopsy.Recurring top = r.get(0);
    assertThat(top.source()).isEqualTo("interrupt thread irq/30-virtio2-:155 (the handler of IRQ 30, virtio2-req.1)");
    assertThat(top.cause()).isEqualTo(SpikeCause.GUEST_IRQ);
    assertThat(top.vcpu()).isEqualTo(1);
    assertThat(top.windows()).isEqualTo(110);
    assertThat(top.worstNs()).isEqualTo(309_626L);
    assertThat(r).isSortedAccordingTo(java.util.Comparator.comparingLong(Autopsy.Recurring::totalNs).reversed());
    // The spinner's capture is the control: no disk interrupt thread recurs there.
    String spinner = Files.readString(CAPTURES.resolve("guest-fifo-spinner/timerlat_trace.txt"));
    List<Autopsy.Recurring> s = Autopsy.recurring("rtc-e2e-rt", TimerlatTrace.windows(spinner));
    assertThat(s.get(0).source()).isEqualTo("thread sh:679");
    assertThat(s.get(0).cause()).isEqualTo(SpikeCause.GUEST_THREAD);
    assertThat(s).noneMatch(x -> x.source().contains("irq/30"));
  }

  static List<Autopsy.Finding> analysis(String capture) throws IOException {
    List<TimerlatAnalysis.Cpu> cpus = TimerlatAnalysis.parse(Files.readString(CAPTURES.resolve(capture).resolve("timerlat.txt")));
    assertThat(cpus).as("rtla's analysis in %s", capture).hasSize(1);
    return Autopsy.classifyAnalysis("rtc-e2e-rt", cpus, List.of(2, 3), List.of(), false, new Autopsy.Platform(0, 0, false));
  }

  /** rtla 6.12's own analysis, captured: the spinner stopped the trace at the first window, as its thread interference. */
  @Test
  void rtlasOwnAnalysisOfTheSpinnerNamesIt() throws IOException {
    TimerlatAnalysis.Cpu c = TimerlatAnalysis.parse(Files.readString(CAPTURES.resolve("rtla612-fifo-spinner/timerlat.txt"))).get(0);
    assertThat(c.cpu()).isEqualTo(1);
    assertThat(c.irqStop()).isFalse();
    assertThat(c.totalNs()).isEqualTo(116_175_430L);
    assertThat(c.blocking()).as("rtla names no blocking thread (\":0\", 0.00 us)").isEmpty();
    assertThat(c.noise()).extracting(Interference::name).containsExactly("sh:996", "sleep:1015", "sh:996");
    Autopsy.Finding f = analysis("rtla612-fifo-spinner").get(0);
    assertThat(f.cause()).isEqualTo(SpikeCause.GUEST_THREAD);
    assertThat(f.evidence()).startsWith("rtla's analysis of CPU 1: thread latency 116175.43 us").contains("guest thread sh:996 ran 74189.3 us");
  }

  /**
   * rtla 6.12's analysis of the driven disk interrupt's run, captured: the window that stopped the trace is a timer
   * IRQ 4194 us late into a vCPU in its idle loop (the stack at the IRQ: native_safe_halt, do_idle), which rtla does
   * not flag "exit from idle" because the disk's interrupt came meanwhile: the halted vCPU's wake-up, a VM exit (HLT).
   * The same run's trace still has the disk interrupt's thread as what recurred most.
   */
  @Test
  void rtlasOwnAnalysisOfATimerIrqLateIntoTheIdleLoopIsTheHaltedVcpusWakeUp() throws IOException {
    TimerlatAnalysis.Cpu c = TimerlatAnalysis.parse(Files.readString(CAPTURES.resolve("rtla612-irq-thread-tcg/timerlat.txt"))).get(0);
    assertThat(c.irqDelayNs()).isEqualTo(4_194_140L);
    assertThat(c.fromIdle()).as("rtla's own flag").isFalse();
    assertThat(c.idleAtIrq()).as("the stack at the IRQ is the idle loop's").isTrue();
    assertThat(c.blocking()).hasValueSatisfying(b -> assertThat(b.idle()).isTrue());
    assertThat(c.noise()).extracting(Interference::name).containsExactly("virtio2-req.1:30", "irq/30-virtio2-:155");
    Autopsy.Finding f = analysis("rtla612-irq-thread-tcg").get(0);
    assertThat(f.cause()).isEqualTo(SpikeCause.VM_EXIT);
    assertThat(f.evidence()).contains("the vCPU was idle: its timer IRQ waited 4194.1 us");
    String trace = Files.readString(CAPTURES.resolve("rtla612-irq-thread-tcg/timerlat_trace.txt"));
    Autopsy.Recurring top = Autopsy.recurring("rtc-e2e-rt", TimerlatTrace.windows(trace)).get(0);
    assertThat(top.source()).isEqualTo("interrupt thread irq/30-virtio2-:155 (the handler of IRQ 30, virtio2-req.1)");
    assertThat(top.windows()).isEqualTo(34);
  }
}
