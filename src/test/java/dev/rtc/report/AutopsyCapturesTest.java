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
}
