package dev.rtc.emit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.Slow;
import dev.rtc.cli.Main;
import dev.rtc.plan.Plan;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The autopsy as bench runs it on a fake host: rtla timerlat in the real-time guest (the fake agent
 * answers with a staged trace), the host's tracefs instance on the real-time VM's CPUs, both traces
 * kept in the run, and rtc report naming the cause from them.
 */
@Slow
class AutopsyRunbookTest {

  @TempDir static Path tmp;
  static CompiledBundle compiled;
  static Plan plan;

  @BeforeAll
  static void compile() throws IOException {
    compiled = CompiledBundle.of(Path.of("examples/eci-reference.yaml"), tmp.resolve("out"));
    plan = compiled.plan();
  }

  static FakeHost benchReady(String name) throws IOException {
    FakeHost h = FakeHost.of(tmp.resolve(name), plan).booted().vmsRunning();
    h.write("fake/virsh/domains/debian12-rt/cyclictest.txt", Files.readString(Path.of("src/test/resources/cyclictest/histogram-4threads-great.txt")));
    h.write("fake/virsh/domains/debian12-rt/bench-exit", "0\n");
    return h;
  }

  /** The guest's staged trace: a FIFO spinner held the measured vCPU 1 for {@code ns}, 5 us short of the window. */
  static void spinnerTrace(FakeHost h, long ns) throws IOException {
    h.write("fake/virsh/domains/debian12-rt/timerlat-trace", String.join("\n",
        "            spin-950     [001] d.h1.   200.000002: #9     context    irq timer_latency      1500 ns",
        String.format("            spin-950     [001] d...3   200.000090: thread_noise:     spin:950 start 200.000002000 duration %d ns", ns),
        String.format("      timerlat/1-800     [001] .....   200.000091: #9     context thread timer_latency %9d ns", ns + 5_000), ""));
  }

  static Tool.Run runbook(FakeHost h, String... args) {
    return compiled.runbook(h, args);
  }

  static String report(Path run) {
    StringWriter out = new StringWriter();
    Main.run(new String[] {"report", run.toString(), "-o", run.resolve("report").toString()}, new PrintWriter(out), new PrintWriter(new StringWriter()));
    return out.toString();
  }

  @Test
  void benchTracesTheGuestAndTheHostAndRtcReportNamesTheCause() throws IOException {
    FakeHost h = benchReady("traced");
    // The guest's trace: a FIFO spinner held the measured vCPU 1 for 85 us. The host's instance, as tracefs makes it.
    spinnerTrace(h, 85_000);
    String inst = "sys/kernel/tracing/instances/rtc-autopsy/";
    h.write(inst + "tracing_on", "0\n");
    h.write(inst + "events/kvm/kvm_exit/enable", "0\n");
    h.write(inst + "events/irq/irq_handler_entry/enable", "0\n");
    h.write(inst + "trace", "# tracer: nop\n     CPU 1/KVM-5001    [006] d....  9000.000000: kvm_exit: vcpu 1 reason HLT rip 0x1 info1 0x0 info2 0x0\n"
        + "     CPU 1/KVM-5001    [006] d....  9000.000003: kvm_entry: vcpu 1, rip 0x1\n");
    Tool.Run r = runbook(h, "--duration", "3s", "qualify", "bench");
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.out()).contains("autopsy: rtla timerlat in the real-time guests for 60 s (stopping at 100 us), the host tracing their CPUs (4,6,8,10,12,14,16,18)")
        .contains("debian12-rt: a window passed 100 us")
        .contains("note: debian12-rt: worst traced window: vCPU 1, 90.0 us; the longest there meanwhile: thread spin:950 85.0 us");
    assertThat(h.read("fake/virsh/domains/debian12-rt/autopsy-runs")).contains("rtla timerlat top -q").contains("-T \"$t\" -s \"$t\" -t -e osnoise")
        .contains("/var/lib/rtc/autopsy 60 100");
    assertThat(h.read(inst + "tracing_cpumask").trim()).as("CPUs 4-18 even").isEqualTo("00055550");
    assertThat(h.read(inst + "events/kvm/kvm_exit/enable").trim()).isEqualTo("1");
    assertThat(h.read(inst + "events/irq/irq_handler_entry/enable").trim()).isEqualTo("1");
    assertThat(h.read(inst + "tracing_on").trim()).as("stopped afterwards").isEqualTo("0");
    String id = h.read("var/lib/rtc/eci-reference/runs/current").trim();
    Path run = h.root.resolve("var/lib/rtc/eci-reference/runs/" + id);
    assertThat(run.resolve("results/autopsy/debian12-rt/timerlat_trace.txt")).content().contains("thread_noise:     spin:950");
    assertThat(run.resolve("results/autopsy/host-trace.txt")).content().contains("kvm_exit: vcpu 1 reason HLT");
    assertThat(run.resolve("results/host/smi.txt")).content().matches("7 7\\s*");

    String out = report(run);
    assertThat(out).contains("why: spike.guest-thread (a guest thread that blocked the measuring thread): debian12-rt vCPU 1 (host CPU 6)")
        .contains("guest thread spin:950 ran 85.0 us");
    assertThat(run.resolve("report/report.json")).content().contains("\"code\" : \"spike.guest-thread\"");
    assertThat(run.resolve("report/report.md")).content().contains("## Why").contains("What to change:")
        .contains("## What else ran on the measured vCPUs").contains("| debian12-rt | 1 | thread spin:950 | `spike.guest-thread` | 1 | 85.0 | 85.0 |");
    assertThat(run.resolve("report/report.json")).content().contains("\"windowsTraced\" : 1").contains("\"source\" : \"thread spin:950\"");
    assertThat(out).contains("also ran before the measuring thread: thread spin:950 on debian12-rt vCPU 1, in 1 of 1 traced windows, up to 85.0 us");
  }

  /**
   * A host that cannot be judged (here: never qualified) gets no verdict and nothing measured, and is told how to
   * measure anyway; with --diagnose the run is measured and its autopsy taken at the threshold asked, and both judges
   * give it no verdict, saying why, while rtc report still names the cause.
   */
  @Test
  void benchDiagnoseMeasuresAHostThatCannotBeJudgedAndGivesNoVerdict() throws IOException {
    FakeHost h = benchReady("diagnose");
    spinnerTrace(h, 285_000);
    Tool.Run refused = runbook(h, "--duration", "3s", "bench");
    assertThat(refused.exit()).as(refused.all()).isEqualTo(3);
    assertThat(refused.out()).contains("RESULT: NO VERDICT - this host has not been qualified")
        .contains("to measure anyway and learn why the latency is what it is, with no verdict: ./runbook.sh bench --diagnose");
    assertThat(h.exists("var/lib/rtc/eci-reference/runs/current")).as("nothing started").isFalse();

    assertThat(runbook(h, "--autopsy-us", "0", "bench").exit()).isEqualTo(2);
    Tool.Run dry = runbook(h, "--dry-run", "--duration", "3s", "--diagnose", "bench");
    assertThat(dry.exit()).as(dry.all()).isZero();
    assertThat(dry.out()).contains("bench --diagnose: no verdict").contains("would then run rtla timerlat");
    assertThat(h.exists("var/lib/rtc/eci-reference/runs/current")).as("a dry run starts nothing").isFalse();
    assertThat(h.exists("fake/virsh/domains/debian12-rt/autopsy-runs")).as("and traces nothing").isFalse();
    Tool.Run r = runbook(h, "--duration", "3s", "--diagnose", "--autopsy-us", "250", "bench");
    assertThat(r.exit()).as(r.all()).isEqualTo(3);
    assertThat(r.out()).contains("note: bench --diagnose: no verdict (this host has not been qualified")
        .contains("stopping at 250 us").contains("debian12-rt: a window passed 250 us")
        .contains("RESULT: NO VERDICT - the run was measured for its autopsy only (bench --diagnose): this host has not been qualified");
    assertThat(h.read("fake/virsh/domains/debian12-rt/autopsy-runs")).contains("/var/lib/rtc/autopsy 60 250");
    String id = h.read("var/lib/rtc/eci-reference/runs/current").trim();
    Path run = h.root.resolve("var/lib/rtc/eci-reference/runs/" + id);
    assertThat(run.resolve("results/host/diagnose.txt")).content().startsWith("this host has not been qualified");
    assertThat(run.resolve("results/host/qualify.json")).doesNotExist();
    String out = report(run);
    assertThat(out).startsWith("RESULT: NO VERDICT").contains("the run was measured for its autopsy only (bench --diagnose)")
        .contains("why: spike.guest-thread").contains("guest thread spin:950 ran 285.0 us");
  }

  @Test
  void aGuestWithoutRtlaIsSaidAndTheRunIsStillJudged() throws IOException {
    FakeHost h = benchReady("no-rtla");
    h.write("fake/virsh/domains/debian12-rt/no-rtla", "");
    Tool.Run r = runbook(h, "--duration", "3s", "qualify", "bench");
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.out()).contains("note: debian12-rt: no autopsy: rtla is not installed in the guest")
        .contains("note: this host has no tracefs instances: the autopsy has the guests' view only").contains("RESULT: GREAT");
  }

  @Test
  void aDryRunSaysItWouldTraceAndTracesNothing() throws IOException {
    FakeHost h = benchReady("dry");
    assertThat(runbook(h, "qualify").exit()).isZero();
    Tool.Run r = runbook(h, "--dry-run", "--duration", "3s", "bench");
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.out()).contains("would then run rtla timerlat in the real-time guests for 60 s, tracing host CPUs 4,6,8,10,12,14,16,18");
    assertThat(h.exists("fake/virsh/domains/debian12-rt/autopsy-runs")).isFalse();
  }
}
