package dev.rtc.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The classifier's rules, one window each, on traces in the tracers' own text format (lines as
 * the timerlat tracer and its osnoise events print them, as tracefs prints kvm:, irq:, sched: and
 * workqueue: events). Real captures from a PREEMPT_RT guest are in AutopsyCapturesTest.
 */
class AutopsyTest {

  static List<TimerlatTrace.Window> windows(String... lines) {
    return TimerlatTrace.windows(String.join("\n", lines));
  }

  static Autopsy.Finding one(List<TimerlatTrace.Window> w, String host, Autopsy.Platform p) {
    List<HostTrace.Span> spans = HostTrace.spans(host);
    return Autopsy.classify("rt", TimerlatTrace.worst(w, 1), List.of(4, 6), spans, !host.isEmpty(), p).get(0);
  }

  @Test
  void windowsAreCutAtEachThreadSampleAndTheTimerlatIrqIsNotInterference() {
    List<TimerlatTrace.Window> w = windows(
        "          <idle>-0       [001] d.h1.   100.000010: #1     context    irq timer_latency      2000 ns",
        "           <...>-800     [001] .....   100.000020: #1     context thread timer_latency      9000 ns",
        "             cc1-900     [001] d.h1.   100.001008: #2     context    irq timer_latency      3000 ns",
        "             cc1-900     [001] dNh1.   100.001012: irq_noise: local_timer:236 start 100.001007000 duration 4000 ns",
        "             cc1-900     [001] dNh2.   100.001020: irq_noise: virtio1-req.0:33 start 100.001012000 duration 7000 ns",
        "             cc1-900     [001] d...3   100.001030: thread_noise:      cc1:900 start 100.001008000 duration 12000 ns",
        "      timerlat/1-800     [001] .....   100.001031: #2     context thread timer_latency     31000 ns");
    assertThat(w).hasSize(2);
    TimerlatTrace.Window second = w.get(1);
    assertThat(second.seq()).isEqualTo(2);
    assertThat(second.irqNs()).isEqualTo(3000);
    assertThat(second.threadNs()).isEqualTo(31000);
    assertThat(second.noise()).extracting(Interference::name).containsExactly("virtio1-req.0:33", "cc1:900");
    assertThat(second.unexplainedNs()).isEqualTo(31000 - 7000 - 12000);
    assertThat(TimerlatTrace.worst(w, 1)).containsExactly(second);
  }

  @Test
  void aGuestThreadThatRanBeforeTheMeasuringThreadIsAGuestThread() {
    Autopsy.Finding f = one(windows(
        "             spin-950     [001] d.h1.   200.000002: #9     context    irq timer_latency      1500 ns",
        "             spin-950     [001] d...3   200.000090: thread_noise:     spin:950 start 200.000002000 duration 85000 ns",
        "      timerlat/1-800     [001] .....   200.000091: #9     context thread timer_latency     90000 ns"), "", Autopsy.Platform.none());
    assertThat(f.cause()).isEqualTo(SpikeCause.GUEST_THREAD);
    assertThat(f.evidence()).contains("guest thread spin:950 ran 85.0 us").contains("thread latency 90.0 us").contains("host CPU 6");
  }

  @Test
  void aDeviceInterruptInTheGuestIsAGuestIrq() {
    Autopsy.Finding f = one(windows(
        "          <idle>-0       [001] d.h1.   300.000030: #4     context    irq timer_latency     30000 ns",
        "          <idle>-0       [001] dNh1.   300.000020: irq_noise: virtio2-input.0:41 start 300.000001000 duration 28000 ns",
        "          <idle>-0       [001] d.s2.   300.000040: softirq_noise:    NET_RX:3 start 300.000031000 duration 9000 ns",
        "      timerlat/1-800     [001] .....   300.000041: #4     context thread timer_latency     41000 ns"), "", Autopsy.Platform.none());
    assertThat(f.cause()).isEqualTo(SpikeCause.GUEST_IRQ);
    assertThat(f.evidence()).contains("guest interrupt virtio2-input.0:41 took 28.0 us").contains("37.0 us in all");
  }

  /**
   * PREEMPT_RT runs a device interrupt's handler as a thread, irq/N-name (its comm cut at 15
   * characters): one that ran before the measuring thread is the interrupt's time, named with the
   * IRQ's full name from its hard handler's line nearby. The lines are the shape a real PREEMPT_RT
   * guest printed (RealGuestIT): the hard part is a microsecond, the thread is the rest.
   */
  @Test
  void aThreadedInterruptHandlerIsTheInterruptsTimeNotAThreads() {
    Autopsy.Finding f = one(windows(
        "              dd-587     [001] d..h1..   125.973059: irq_noise: virtio2-req.1:30 start 125.973051595 duration 1092 ns",
        "              dd-587     [001] dn.h1..   125.973127: #21359 context    irq timer_latency     28275 ns",
        "              dd-587     [001] d...3..   125.973256: thread_noise:       dd:587 start 125.973121187 duration 28664 ns",
        " irq/30-virtio2--155     [001] d...3..   125.973312: thread_noise: irq/30-virtio2-:155 start 125.973257004 duration 154072 ns",
        "      timerlat/1-597     [001] .......   125.973319: #21359 context thread timer_latency    223004 ns"), "", Autopsy.Platform.none());
    assertThat(f.cause()).as(f.evidence()).isEqualTo(SpikeCause.GUEST_IRQ);
    assertThat(f.evidence()).contains("guest interrupt thread irq/30-virtio2-:155 (the handler of IRQ 30, virtio2-req.1) ran 154.1 us")
        .contains("(interrupts and softirqs 155.2 us in all)");
    Autopsy.Finding soft = one(windows(
        "          <idle>-0       [001] d.h1.   300.000030: #4     context    irq timer_latency      3000 ns",
        "     ksoftirqd/1-31      [001] d...3   300.000090: thread_noise: ksoftirqd/1:31 start 300.000031000 duration 60000 ns",
        "      timerlat/1-800     [001] .....   300.000091: #4     context thread timer_latency     70000 ns"), "", Autopsy.Platform.none());
    assertThat(soft.cause()).isEqualTo(SpikeCause.GUEST_IRQ);
    assertThat(soft.evidence()).contains("guest softirq thread ksoftirqd/1:31 ran 60.0 us");
    Autopsy.Finding unnamed = one(windows(
        "          <idle>-0       [001] d.h1.   300.000030: #4     context    irq timer_latency      3000 ns",
        " irq/41-enp1s0-T-155     [001] d...3   300.000090: thread_noise: irq/41-enp1s0-T:155 start 300.000031000 duration 60000 ns",
        "      timerlat/1-800     [001] .....   300.000091: #4     context thread timer_latency     70000 ns"), "", Autopsy.Platform.none());
    assertThat(unnamed.evidence()).as("no hard handler line to take the full name from")
        .contains("guest interrupt thread irq/41-enp1s0-T:155 (the handler of IRQ 41) ran 60.0 us");
  }

  /** On a PREEMPT_RT host too: the vCPU's CPU given to a device's irq thread is a host interrupt, not a kernel thread. */
  @Test
  void aHostInterruptThreadInTheVcpusPlaceIsAHostInterrupt() {
    String host = String.join("\n",
        "     CPU 1/KVM-5001    [006] d.h1.  9000.000001: irq_handler_entry: irq=129 name=enp3s0f0-TxRx-3",
        "     CPU 1/KVM-5001    [006] d.h1.  9000.000002: irq_handler_exit: irq=129 ret=handled",
        "     CPU 1/KVM-5001    [006] d..2.  9000.000003: sched_switch: prev_comm=CPU 1/KVM prev_pid=5001 prev_prio=120 prev_state=R+ ==> next_comm=irq/129-enp3s0f0 next_pid=912 next_prio=49",
        "  irq/129-enp3s0f0-912     [006] d..2.  9000.000073: sched_switch: prev_comm=irq/129-enp3s0f0 prev_pid=912 prev_prio=49 prev_state=S ==> next_comm=CPU 1/KVM next_pid=5001 next_prio=120");
    Autopsy.Finding f = one(windows(LOST), host, Autopsy.Platform.none());
    assertThat(f.cause()).isEqualTo(SpikeCause.HOST_IRQ);
    assertThat(f.evidence()).contains("host interrupt thread irq/129-enp3s0f0:912 (the handler of IRQ 129, enp3s0f0-TxRx-3) instead of the vCPU ran 70.0 us");
  }

  /**
   * Across windows: an interrupt in every window that never makes the worst one still leads what recurs, by total;
   * a source twice in one window counts that window once, with both durations summed.
   */
  @Test
  void whatRecursIsCountedOverEveryWindowTheMostTimeFirst() {
    List<TimerlatTrace.Window> w = windows(
        "          <idle>-0       [001] dNh1.   100.000020: irq_noise: eth0-rx:41 start 100.000001000 duration 9000 ns",
        "      timerlat/1-800     [001] .....   100.000031: #1     context thread timer_latency     12000 ns",
        "          <idle>-0       [001] dNh1.   100.001020: irq_noise: eth0-rx:41 start 100.001001000 duration 8000 ns",
        "          <idle>-0       [001] dNh1.   100.001030: irq_noise: eth0-rx:41 start 100.001021000 duration 3000 ns",
        "      timerlat/1-800     [001] .....   100.001031: #2     context thread timer_latency     13000 ns",
        "             app-950     [001] d...3   100.002090: thread_noise:      app:950 start 100.002002000 duration 15000 ns",
        "      timerlat/1-800     [001] .....   100.002091: #3     context thread timer_latency     16000 ns",
        "          <idle>-0       [002] dNh1.   100.002020: irq_noise: eth0-rx:41 start 100.002001000 duration 1000 ns",
        "      timerlat/2-801     [002] .....   100.002031: #3     context thread timer_latency      2000 ns");
    assertThat(TimerlatTrace.worst(w, 1).get(0).noise()).extracting(Interference::name).containsExactly("app:950");
    List<Autopsy.Recurring> r = Autopsy.recurring("rt", w);
    assertThat(r).containsExactly(
        new Autopsy.Recurring("rt", 1, "interrupt eth0-rx:41", SpikeCause.GUEST_IRQ, 2, 11_000, 20_000),
        new Autopsy.Recurring("rt", 1, "thread app:950", SpikeCause.GUEST_THREAD, 1, 15_000, 15_000),
        new Autopsy.Recurring("rt", 2, "interrupt eth0-rx:41", SpikeCause.GUEST_IRQ, 1, 1_000, 1_000));
  }

  /** The idle task's time (swapper/N, pid 0) is the vCPU leaving idle: no guest thread's, and nothing that recurs. */
  @Test
  void leavingIdleIsNoGuestThread() {
    List<TimerlatTrace.Window> w = windows(
        "          <idle>-0       [001] d.h1.   300.000030: #4     context    irq timer_latency     30000 ns",
        "          <idle>-0       [001] d...3   300.000090: thread_noise: swapper/1:0 start 300.000031000 duration 60000 ns",
        "      timerlat/1-800     [001] .....   300.000091: #4     context thread timer_latency     70000 ns");
    Autopsy.Finding f = one(w, "", Autopsy.Platform.none());
    assertThat(f.cause()).isEqualTo(SpikeCause.UNKNOWN);
    assertThat(f.evidence()).contains("70.0 us not spent in anything the guest saw (60.0 us of it leaving idle)");
    assertThat(Autopsy.recurring("rt", w)).isEmpty();
  }

  static final String[] LOST = {
      "          <idle>-0       [001] d.h1.   400.000080: #7     context    irq timer_latency     80000 ns",
      "      timerlat/1-800     [001] .....   400.000083: #7     context thread timer_latency     83000 ns"};

  @Test
  void timeTheGuestDidNotSeeIsTheHostsInterruptWhenTheHostTraceHasOneThatLong() {
    String host = String.join("\n",
        "     CPU 1/KVM-5001    [006] d....  9000.000000: kvm_exit: vcpu 1 reason EXTERNAL_INTERRUPT rip 0xffffffff8104c4f6 info1 0x0 info2 0x0 intr_info 0x800000ec error_code 0x00000000",
        "     CPU 1/KVM-5001    [006] d.h1.  9000.000001: irq_handler_entry: irq=129 name=enp3s0f0-TxRx-3",
        "     CPU 1/KVM-5001    [006] d.h1.  9000.000071: irq_handler_exit: irq=129 ret=handled",
        "     CPU 1/KVM-5001    [006] d....  9000.000075: kvm_entry: vcpu 1, rip 0xffffffff8104c4f6");
    Autopsy.Finding f = one(windows(LOST), host, Autopsy.Platform.none());
    assertThat(f.cause()).isEqualTo(SpikeCause.HOST_IRQ);
    assertThat(f.evidence()).contains("host interrupt enp3s0f0-TxRx-3:129 ran 70.0 us").contains("on host CPU 6");
  }

  @Test
  void aHostThreadOrWorkqueueThatTookTheVcpusCpuIsAHostThread() {
    String host = String.join("\n",
        "     CPU 1/KVM-5001    [006] d..2.  9100.000000: sched_switch: prev_comm=CPU 1/KVM prev_pid=5001 prev_prio=120 prev_state=R+ ==> next_comm=kworker/6:1 next_pid=77 next_prio=120",
        "     kworker/6:1-77    [006] .....  9100.000001: workqueue_execute_start: work struct 00000000c2a1b0e4: function vmstat_update",
        "     kworker/6:1-77    [006] .....  9100.000061: workqueue_execute_end: work struct 00000000c2a1b0e4: function vmstat_update",
        "     kworker/6:1-77    [006] d..2.  9100.000070: sched_switch: prev_comm=kworker/6:1 prev_pid=77 prev_prio=120 prev_state=I ==> next_comm=CPU 1/KVM next_pid=5001 next_prio=120");
    Autopsy.Finding f = one(windows(LOST), host, Autopsy.Platform.none());
    assertThat(f.cause()).isEqualTo(SpikeCause.HOST_THREAD);
    assertThat(f.evidence()).contains("host thread kworker/6:1:77 instead of the vCPU ran 70.0 us");
  }

  @Test
  void aLongVmExitWithNothingInsideItIsAVmExitWithItsReason() {
    String host = String.join("\n",
        "     CPU 1/KVM-5001    [006] d....  9200.000000: kvm_exit: vcpu 1 reason EPT_VIOLATION rip 0x401a2b info1 0x0000000000000181 info2 0x0 intr_info 0x0 error_code 0x00000000",
        "     CPU 1/KVM-5001    [006] d....  9200.000066: kvm_entry: vcpu 1, rip 0x401a2b",
        "     CPU 0/KVM-5000    [004] d....  9200.000000: kvm_exit: vcpu 0 reason HLT rip 0x401a2b info1 0x0 info2 0x0 intr_info 0x0 error_code 0x00000000",
        "     CPU 0/KVM-5000    [004] d....  9200.000500: kvm_entry: vcpu 0, rip 0x401a2b");
    Autopsy.Finding f = one(windows(LOST), host, Autopsy.Platform.none());
    assertThat(f.cause()).as("the exit on the vCPU's own host CPU (6), not CPU 4's longer HLT").isEqualTo(SpikeCause.VM_EXIT);
    assertThat(f.evidence()).contains("a VM exit (reason EPT_VIOLATION) kept the vCPU out of the guest for 66.0 us");
  }

  @Test
  void nothingOnTheHostButSmisIsTheFirmware() {
    Autopsy.Finding f = one(windows(LOST), "", new Autopsy.Platform(14, 3, true));
    assertThat(f.cause()).isEqualTo(SpikeCause.FIRMWARE);
    assertThat(f.evidence()).contains("14 SMIs");
    Autopsy.Finding gaps = one(windows(LOST), "", new Autopsy.Platform(0, 60, true));
    assertThat(gaps.cause()).as("hwlat saw gaps as long").isEqualTo(SpikeCause.FIRMWARE);
  }

  @Test
  void aQuietHostTraceUnderLoadIsCachePressureAndWithoutAHostTraceItIsUnknown() {
    String host = "     CPU 1/KVM-5001    [006] d....  9300.000000: kvm_exit: vcpu 1 reason MSR_WRITE rip 0x1 info1 0x0 info2 0x0 intr_info 0x0 error_code 0x0\n"
        + "     CPU 1/KVM-5001    [006] d....  9300.000002: kvm_entry: vcpu 1, rip 0x1";
    assertThat(one(windows(LOST), host, new Autopsy.Platform(0, 0, true)).cause()).isEqualTo(SpikeCause.CACHE);
    assertThat(one(windows(LOST), host, new Autopsy.Platform(0, 0, false)).cause()).isEqualTo(SpikeCause.UNKNOWN);
    Autopsy.Finding none = one(windows(LOST), "", new Autopsy.Platform(0, 0, true));
    assertThat(none.cause()).isEqualTo(SpikeCause.UNKNOWN);
    assertThat(none.evidence()).contains("there is no host trace of that CPU");
  }

  @Test
  void causesAreGroupedTheWorstFirst() {
    List<Autopsy.Finding> f = List.of(
        new Autopsy.Finding("rt", 1, Optional.of(6), 50_000, 0, SpikeCause.GUEST_IRQ, "a"),
        new Autopsy.Finding("rt", 1, Optional.of(6), 90_000, 0, SpikeCause.HOST_IRQ, "b"),
        new Autopsy.Finding("rt", 1, Optional.of(6), 70_000, 0, SpikeCause.GUEST_IRQ, "c"));
    List<Autopsy.Cause> c = Autopsy.causes(f);
    assertThat(c).extracting(Autopsy.Cause::cause).containsExactly(SpikeCause.HOST_IRQ, SpikeCause.GUEST_IRQ);
    assertThat(c.get(1).windows()).isEqualTo(2);
    assertThat(c.get(1).evidence()).isEqualTo("c");
  }
}
