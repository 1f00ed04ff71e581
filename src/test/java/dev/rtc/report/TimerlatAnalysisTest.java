package dev.rtc.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * rtla's auto-analysis read and judged. The rtla here (Debian 12's 6.1) predates the analysis
 * (rtla 6.3), so no text could be captured: each one is printed by {@link Rtla} with the very
 * format strings of rtla's timerlat_aa.c (timerlat_thread_analysis and its handlers), tabs and
 * widths as they are, with values of our own.
 */
class TimerlatAnalysisTest {

  /** rtla's printf formats, as timerlat_aa.c has them. */
  static final class Rtla {
    final StringBuilder out = new StringBuilder();

    Rtla printf(String format, Object... args) {
      out.append(String.format(Locale.ROOT, format.replace("%-9llu", "%-9d").replace("%-3llu", "%-3d"), args));
      return this;
    }

    Rtla head(int cpu) {
      return printf("## CPU %d hit stop tracing, analyzing it ##\n", cpu);
    }

    Rtla delay(boolean idle, double us, double total) {
      return printf("  IRQ handler delay:\t\t%16s\t%9.2f us (%.2f %%)\n", idle ? "(exit from idle)" : "", us, 100 * us / total);
    }

    Rtla irqLatency(double us) {
      return printf("  IRQ latency:\t\t\t\t\t\t%9.2f us\n", us);
    }

    Rtla threadPart(double irqDuration, String comm, int pid, double blocking, double total) {
      printf("  Timerlat IRQ duration:\t\t\t\t%9.2f us (%.2f %%)\n", irqDuration, 100 * irqDuration / total);
      printf("  Blocking thread:\t\t\t\t\t%9.2f us (%.2f %%)\n", blocking, 100 * blocking / total);
      return printf("\t%24s:%-9llu\t\t%9.2f us\n", comm, pid, blocking);
    }

    Rtla stack(String... frames) {
      printf("    Blocking thread stack trace\n");
      for (String f : frames) {
        printf("\t\t-> %s\n", f);
      }
      return this;
    }

    Rtla irqs(double total, Object... descVectorUs) {
      printf("  IRQ interference\t\t\t\t\t%9.2f us (%.2f %%)\n", sum(descVectorUs), 100 * sum(descVectorUs) / total);
      for (int i = 0; i < descVectorUs.length; i += 3) {
        printf("\t%24s:%-3llu\t\t\t%9.2f us\n", descVectorUs[i], descVectorUs[i + 1], descVectorUs[i + 2]);
      }
      return this;
    }

    Rtla threads(double total, Object... commPidUs) {
      printf("  Thread interference\t\t\t\t\t%9.2f us (%.2f %%)\n", sum(commPidUs), 100 * sum(commPidUs) / total);
      for (int i = 0; i < commPidUs.length; i += 3) {
        printf("\t%24s:%-3llu\t\t\t\t%9.2f us\n", commPidUs[i], commPidUs[i + 1], commPidUs[i + 2]);
      }
      return this;
    }

    Rtla total(boolean irq, double us) {
      printf("------------------------------------------------------------------------\n");
      return printf("  %s latency:\t\t\t\t\t%9.2f us (100%%)\n", irq ? "IRQ" : "Thread", us);
    }

    static double sum(Object[] triples) {
      double s = 0;
      for (int i = 2; i < triples.length; i += 3) {
        s += (Double) triples[i];
      }
      return s;
    }

    @Override
    public String toString() {
      return out.toString();
    }
  }

  static final String TOP = "  rtla timerlat hit stop tracing\n";

  static Autopsy.Finding judge(String text) {
    List<TimerlatAnalysis.Cpu> cpus = TimerlatAnalysis.parse(text);
    assertThat(cpus).hasSize(1);
    return Autopsy.classifyAnalysis("rt", cpus, List.of(4, 6), List.of(), false, new Autopsy.Platform(0, 0, false)).get(0);
  }

  @Test
  void aThreadHoldingInterruptsOffDelaysTheTimerIrqAndIsTheCause() {
    String text = TOP + new Rtla().head(1).delay(false, 31.20, 45.10).irqLatency(31.90).threadPart(8.40, "objtool", 4242, 2.60, 45.10)
        .stack("timerlat_irq", "__hrtimer_run_queues", "hrtimer_interrupt", "__sysvec_apic_timer_interrupt", "sysvec_apic_timer_interrupt",
            "asm_sysvec_apic_timer_interrupt", "_raw_spin_unlock_irqrestore", "cgroup_rstat_flush_locked", "vfs_write")
        .total(false, 45.10) + "\n  Saving trace to timerlat_trace.txt\n";
    TimerlatAnalysis.Cpu c = TimerlatAnalysis.parse(text).get(0);
    assertThat(c.cpu()).isEqualTo(1);
    assertThat(c.irqStop()).isFalse();
    assertThat(c.totalNs()).isEqualTo(45_100);
    assertThat(c.irqDelayNs()).isEqualTo(31_200);
    assertThat(c.irqLatencyNs()).isEqualTo(31_900);
    assertThat(c.timerIrqNs()).isEqualTo(8_400);
    assertThat(c.blocking()).contains(new Interference(Interference.Kind.GUEST_THREAD, "objtool:4242", 2_600));
    assertThat(c.stack()).startsWith("timerlat_irq").contains("vfs_write");
    assertThat(c.irqsOffUntil()).contains("_raw_spin_unlock_irqrestore");
    Autopsy.Finding f = judge(text);
    assertThat(f.cause()).isEqualTo(SpikeCause.GUEST_THREAD);
    assertThat(f.latencyNs()).isEqualTo(45_100);
    assertThat(f.hostCpu()).contains(6);
    assertThat(f.evidence()).startsWith("rtla's analysis of CPU 1: thread latency 45.10 us, timer IRQ 31.20 us late")
        .contains("guest thread objtool:4242 (interrupts off until _raw_spin_unlock_irqrestore) ran 31.2 us");
  }

  @Test
  void aDeviceInterruptBeforeTheMeasuringThreadIsAGuestIrqByName() {
    String text = new Rtla().head(1).delay(false, 0.90, 92.0).irqLatency(1.40).threadPart(3.10, "swapper/1", 0, 0.50, 92.0)
        .irqs(92.0, "nvme0q3", 45, 78.00, "local_timer", 236, 2.00).total(false, 92.0).toString();
    TimerlatAnalysis.Cpu c = TimerlatAnalysis.parse(text).get(0);
    assertThat(c.noise()).containsExactly(new Interference(Interference.Kind.GUEST_IRQ, "nvme0q3:45", 78_000),
        new Interference(Interference.Kind.GUEST_IRQ, "local_timer:236", 2_000));
    assertThat(c.irqsOffUntil()).isEmpty();
    Autopsy.Finding f = judge(text);
    assertThat(f.cause()).isEqualTo(SpikeCause.GUEST_IRQ);
    assertThat(f.evidence()).contains("guest interrupt nvme0q3:45 took 78.0 us (interrupts and softirqs 80.0 us in all)");
  }

  @Test
  void aThreadAboveTheMeasuringOneIsAGuestThreadEvenWithColonsInItsName() {
    String text = new Rtla().head(1).delay(false, 1.10, 66.0).irqLatency(1.60).threadPart(2.90, "cyclictest", 912, 0.80, 66.0)
        .threads(66.0, "kworker/1:1H", 187, 60.20).total(false, 66.0).toString();
    Autopsy.Finding f = judge(text);
    assertThat(f.cause()).isEqualTo(SpikeCause.GUEST_THREAD);
    assertThat(f.evidence()).contains("guest thread kworker/1:1H:187 ran 60.2 us");
  }

  @Test
  void aTimerIrqLateLeavingIdleIsTheHaltedVcpusWakeUp() {
    String text = new Rtla().head(1).delay(true, 71.30, 83.0).irqLatency(72.00).threadPart(4.00, "swapper/1", 0, 0.40, 83.0)
        .total(false, 83.0) + "\n  The system has exit from idle latency!\n    Max timerlat IRQ latency from idle: 72.00 us in cpu 1\n";
    TimerlatAnalysis.Cpu c = TimerlatAnalysis.parse(text).get(0);
    assertThat(c.fromIdle()).isTrue();
    Autopsy.Finding f = judge(text);
    assertThat(f.cause()).isEqualTo(SpikeCause.VM_EXIT);
    assertThat(f.evidence()).contains("(leaving idle)").contains("the vCPU was idle: its timer IRQ waited 71.3 us").contains("HLT");
  }

  @Test
  void anIrqStopNamesTheThreadWithoutADurationAndTwoCpusAreTwoAnalyses() {
    String text = new Rtla().head(2).delay(false, 50.00, 52.00).irqLatency(52.00).printf("  Blocking thread:\n")
        .printf("\t%24s:%-9llu\n", "stress-ng-cpu", 3311).total(true, 52.00).toString()
        + new Rtla().head(3).delay(false, 2.00, 40.0).irqLatency(2.50).threadPart(3.00, "sh", 679, 33.00, 40.0).total(false, 40.0);
    List<TimerlatAnalysis.Cpu> cpus = TimerlatAnalysis.parse(text);
    assertThat(cpus).extracting(TimerlatAnalysis.Cpu::cpu).containsExactly(2, 3);
    TimerlatAnalysis.Cpu irq = cpus.get(0);
    assertThat(irq.irqStop()).isTrue();
    assertThat(irq.totalNs()).isEqualTo(52_000);
    assertThat(irq.blocking()).contains(new Interference(Interference.Kind.GUEST_THREAD, "stress-ng-cpu:3311", 0));
    assertThat(irq.window().threadNs()).as("an IRQ stop is judged on the IRQ's latency").isEqualTo(52_000);
    assertThat(cpus.get(1).blocking().orElseThrow().ns()).isEqualTo(33_000);
    assertThat(TimerlatAnalysis.parse("  rtla timerlat hit stop tracing\n  Saving trace to timerlat_trace.txt\n")).isEmpty();
  }

  /**
   * In a run's folder: rtla's summary with its analysis stands for the stop window, in place of the
   * same window cut from the trace; without a trace, the analysis alone is the evidence.
   */
  @Test
  void aRunsAnalysisReplacesTheSameWindowOfItsTrace(@TempDir Path run) throws IOException {
    Path vm = Files.createDirectories(run.resolve("results/autopsy/rt"));
    var plan = new ObjectMapper().readTree("{\"vms\": [{\"name\": \"rt\", \"vcpuPins\": [2, 3]}]}");
    // The captured spinner trace: its stop window is vCPU 1's 96374.258 us; an analysis of it says it was sh:679.
    Files.copy(AutopsyCapturesTest.CAPTURES.resolve("guest-fifo-spinner/timerlat_trace.txt"), vm.resolve("timerlat_trace.txt"));
    List<Autopsy.Cause> traceOnly = AutopsyEvidence.causes(run, plan, Map.of(), 90);
    assertThat(traceOnly.get(0).evidence()).doesNotContain("rtla's analysis");
    Files.writeString(vm.resolve("timerlat.txt"), TOP + new Rtla().head(1).delay(false, 4.10, 96374.26).irqLatency(5.00)
        .threadPart(6.20, "sh", 679, 62778.80, 96374.26).total(false, 96374.26));
    List<Autopsy.Cause> both = AutopsyEvidence.causes(run, plan, Map.of(), 90);
    assertThat(both.get(0).cause()).isEqualTo(SpikeCause.GUEST_THREAD);
    assertThat(both.get(0).evidence()).startsWith("rtla's analysis of CPU 1: thread latency 96374.26 us").contains("sh:679");
    assertThat(both.stream().mapToInt(Autopsy.Cause::windows).sum()).as("the stop window once, not twice")
        .isEqualTo(traceOnly.stream().mapToInt(Autopsy.Cause::windows).sum());
    Files.delete(vm.resolve("timerlat_trace.txt"));
    List<Autopsy.Cause> alone = AutopsyEvidence.causes(run, plan, Map.of(), 90);
    assertThat(alone).hasSize(1);
    assertThat(alone.get(0).windows()).isEqualTo(1);
    assertThat(alone.get(0).cause()).isEqualTo(SpikeCause.GUEST_THREAD);
  }
}
