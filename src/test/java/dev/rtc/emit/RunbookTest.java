package dev.rtc.emit;

import dev.rtc.Slow;
import dev.rtc.bundle.BundleWriter;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.Compiler;
import dev.rtc.plan.Plan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runbook, run for real (bash) against fake hosts: the manifest's host before and after the
 * host step and its reboot, and hosts that differ from it. The fake commands log what the runbook
 * ran and keep the state it changed, so each test asserts both.
 */
@Slow
class RunbookTest {

  static final Path MANIFEST = Path.of("examples/eci-reference.yaml");
  /** Commands that only read, which a dry run and a refused step may still run. */
  static final List<String> READS = List.of("virsh dominfo", "virsh domstate", "virsh metadata", "virsh net-info", "virsh vcpupin",
      "virsh emulatorpin", "virsh domstats", "virsh dumpxml", "tuned-adm active", "tuned-adm verify", "systemctl is-active",
      "systemctl is-enabled", "grubby --info", "grubby --default-kernel", "qemu-img info", "apt-get -s", "pro status",
      "dpkg-statoverride --list", "lscpu", "dpkg-query", "rpm -q", "subscription-manager repos --list-enabled");

  @TempDir static Path tmp;
  static Path bundle;
  static Plan plan;
  static Tool bash;

  @BeforeAll
  static void compile() throws IOException {
    Compiler.Result r = new Compiler().compile(MANIFEST);
    plan = r.plan();
    bundle = tmp.resolve("out");
    BundleWriter.write(r.bundle(), bundle, false);
  }

  private static Tool bash() {
    return Tool.require("bash");
  }

  private static FakeHost host(String name) {
    return FakeHost.of(tmp.resolve("host-" + name), plan);
  }

  private static Tool.Run run(FakeHost h, String... args) {
    String[] all = new String[args.length + 1];
    all[0] = "./runbook.sh";
    System.arraycopy(args, 0, all, 1, args.length);
    return bash().run(bundle, h.env(), all);
  }

  private static List<String> changes(FakeHost h) {
    return h.calls().stream().filter(c -> READS.stream().noneMatch(c::startsWith)).toList();
  }

  // ---- a host that is not the manifest's ----------------------------------------------------

  /** On a 16-CPU host described as 64, no step that changes a host changes anything, or writes anything. */
  @Test
  void noStepChangesAHostThatIsNotTheManifests() throws IOException {
    FakeHost h = host("small");
    h.write("sys/devices/system/cpu/online", "0-15\n");
    Map<String, String> before = h.files();
    Map<String, String> bundleBefore = Folders.snapshot(bundle);
    for (String step : List.of("host", "qualify", "images", "vms", "stress", "bench", "report", "all")) {
      Tool.Run r = run(h, step);
      assertThat(r.exit()).as("%s: %s", step, r.all()).isEqualTo(1);
      assertThat(r.all()).as(step).contains("online CPUs").contains("MISMATCH")
          .contains("is not the host the manifest describes (table above), and nothing was changed");
      assertThat(changes(h)).as("commands %s ran on the wrong host", step).isEmpty();
      assertThat(h.files()).as("files after %s on the wrong host", step).isEqualTo(before);
    }
    assertThat(h.exists("var/lib/rtc")).isFalse();
    assertThat(Folders.snapshot(bundle)).isEqualTo(bundleBefore);
  }

  @Test
  void preflightTabulatesEveryMismatchAndSaysHowToDescribeTheHost() {
    record Case(String name, String file, String content, String row) {}
    for (Case c : List.of(
        new Case("fewer-cpus", "sys/devices/system/cpu/online", "0-31\n", "online CPUs +0-63 +0-31 +MISMATCH"),
        new Case("smt-on", "sys/devices/system/cpu/cpu0/topology/thread_siblings_list", "0,32\n", "threads per core \\(SMT\\) +1 +2 +MISMATCH"),
        new Case("smaller-l3", "sys/devices/system/cpu/cpu0/cache/index3/size", "30720K\n", "L3 size per instance +61440K +30720K +MISMATCH"),
        new Case("other-numa", "sys/devices/system/node/node1/cpulist", "32-63\n", "NUMA node 1 CPUs +1,3,5.* +32-63 +MISMATCH"),
        new Case("other-os", "etc/os-release", "ID=ubuntu\nVERSION_ID=\"24.04\"\n", "operating system +debian 12 +ubuntu 24.04 +MISMATCH"),
        new Case("other-mask", "sys/fs/resctrl/info/L3/cbm_mask", "fffff\n", "resctrl L3 cbm_mask +7fff +fffff +MISMATCH"))) {
      FakeHost h = host("pf-" + c.name()).write(c.file(), c.content());
      Tool.Run r = run(h, "preflight");
      assertThat(r.exit()).as(c.name()).isEqualTo(1);
      assertThat(r.out()).as(c.name()).containsPattern(c.row());
      assertThat(r.all()).contains("this host differs from the manifest", "./runbook.sh facts > facts.txt");
    }
    // thread_siblings_list that cannot be read is not "SMT ok".
    FakeHost h = host("pf-unreadable").delete("sys/devices/system/cpu/cpu0/topology/thread_siblings_list");
    assertThat(run(h, "preflight").out()).containsPattern("threads per core \\(SMT\\) +1 +unreadable +MISMATCH");
  }

  // ---- preflight on the manifest's host ------------------------------------------------------

  @Test
  void preflightPassesAFreshHostWhoseResctrlIsNotMountedYetByItsCpuFlags() throws IOException {
    FakeHost h = host("fresh");
    deleteTree(h.root.resolve("sys/fs/resctrl"));
    Tool.Run r = run(h, "preflight");
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.out()).containsPattern("CPU flag cat_l3 \\(cache alloc.\\) +yes +yes +ok")
        .contains("not mounted yet").contains("host matches the manifest").contains("ready for: ./runbook.sh host");

    FakeHost noCat = host("fresh-no-cat");
    deleteTree(noCat.root.resolve("sys/fs/resctrl"));
    noCat.write("proc/cpuinfo", "flags\t\t: fpu vmx\n");
    Tool.Run bad = run(noCat, "preflight");
    assertThat(bad.exit()).isEqualTo(1);
    assertThat(bad.out()).containsPattern("CPU flag cat_l3 \\(cache alloc.\\) +yes +no +MISMATCH");
  }

  @Test
  void preflightFindsKernelArgumentsSetElsewhereAndMissingImages() {
    FakeHost h = host("conflicts");
    h.write("etc/default/grub", "GRUB_CMDLINE_LINUX=\"console=ttyS0 isolcpus=2\"\n");
    h.write("etc/grub.d/08_vendor", "#!/bin/sh\necho 'set x=nohz_full=3'\n");
    h.root.resolve("etc/grub.d/08_vendor").toFile().setExecutable(true);
    h.write("etc/grub.d/09_eci", "#!/bin/sh\necho \"set eci_cmdline=isolcpus=1,3\"\n");
    h.root.resolve("etc/grub.d/09_eci").toFile().setExecutable(true);
    h.delete("var/lib/libvirt/images/base/debian-12-generic-amd64.qcow2");
    Tool.Run r = run(h, "preflight");
    assertThat(r.exit()).as(r.all()).isEqualTo(1);
    assertThat(r.all()).contains("GRUB_CMDLINE_LINUX sets isolcpus (in /etc/default/grub), which rtc sets: remove it there")
        .contains("/etc/grub.d/08_vendor adds its own kernel arguments")
        .contains("/etc/grub.d/09_eci adds ECI's own isolation arguments: the host step stops it from running")
        .contains("base image /var/lib/libvirt/images/base/debian-12-generic-amd64.qcow2 is missing")
        .contains("problems above");
    assertThat(changes(h)).isEmpty();
  }

  // ---- dry run -------------------------------------------------------------------------------

  /** --dry-run of every step, on the manifest's host before and after the reboot: nothing written anywhere, nothing changed. */
  @Test
  void dryRunWritesNothingAndChangesNothing() throws IOException {
    for (FakeHost h : List.of(host("dry-fresh"), host("dry-booted").booted().vmsRunning())) {
      Map<String, String> before = h.files();
      Map<String, String> bundleBefore = Folders.snapshot(bundle);
      for (String step : List.of("preflight", "host", "check-host", "qualify", "images", "vms", "wait", "verify", "stress", "bench", "report",
          "rollback")) {
        Tool.Run r = run(h, "--dry-run", step);
        assertThat(r.out()).as(step).contains("(dry run: nothing is written or changed)").doesNotContain("   + ");
        assertThat(changes(h)).as("commands that change the host, run by --dry-run %s", step).isEmpty();
        assertThat(h.files()).as("the host's files after --dry-run %s", step).isEqualTo(before);
      }
      assertThat(Folders.snapshot(bundle)).isEqualTo(bundleBefore);
    }
    Tool.Run host = run(host("dry-host"), "--dry-run", "host");
    assertThat(host.out()).contains("would run: curl -fsSL --retry 5 -o", "would write: /etc/apt/sources.list.d/rtc-eci.list",
        "would run: apt-get install -y --no-install-recommends", "linux-intel-rt", "would run: tuned-adm profile rtc-eci-reference",
        "would write: /etc/default/grub.d/99-rtc.cfg (host/grub/99-rtc.cfg)", "would run: update-grub",
        "would run: dpkg-statoverride --update --add root root 0644 /etc/grub.d/09_eci", "would run: systemctl enable rtc-resctrl.service");
  }

  // ---- host, and proof after the reboot -------------------------------------------------------

  @Test
  void hostStepInstallsKernelTuningArgumentsAndUnitsRecordsThemAndIsSafeToRepeat() {
    FakeHost h = host("apply");
    h.write("etc/default/grub.d/99-rtc.cfg", "# Generated by rtc 0.0.9 from eci-reference (an older bundle)\nrtc_args=old\n");
    Tool.Run r = run(h, "host");
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(h.calls()).contains("apt-get update", "update-grub", "tuned-adm profile rtc-eci-reference",
        "systemctl enable rtc-resctrl.service", "dpkg-statoverride --update --add root root 0644 /etc/grub.d/09_eci");
    assertThat(h.calls()).anyMatch(c -> c.startsWith("apt-get install -y --no-install-recommends") && c.contains("linux-intel-rt eci-customizations"));
    assertThat(h.read("etc/default/grub.d/99-rtc.cfg")).isEqualTo(read("host/grub/99-rtc.cfg"));
    assertThat(h.read("etc/tuned/rtc-eci-reference/tuned.conf")).isEqualTo(read("host/tuned/rtc-eci-reference/tuned.conf"));
    assertThat(h.read("etc/apt/sources.list.d/rtc-eci.list"))
        .isEqualTo("deb [signed-by=/usr/share/keyrings/eci-archive-keyring.gpg] https://eci.intel.com/repos/bookworm isar main\n");
    assertThat(h.read("etc/apt/preferences.d/rtc-eci")).isEqualTo("Package: *\nPin: origin eci.intel.com\nPin-Priority: 1000\n");
    String state = "var/lib/rtc/eci-reference/";
    assertThat(h.read(state + "backup/etc/default/grub.d/99-rtc.cfg")).as("what was there before rtc's first change").contains("an older bundle");
    assertThat(h.read(state + "backup/tuned-profile")).isEqualTo("balanced\n");
    assertThat(h.read(state + "changes")).contains("grub-dropin", "tuned-profile rtc-eci-reference", "unit rtc-resctrl.service",
        "statoverride /etc/grub.d/09_eci", "apt-repository /etc/apt/sources.list.d/rtc-eci.list");
    assertThat(h.read(state + "runbook.log")).contains("host: done. Reboot now");

    h.write("fake/statoverride", "");
    Tool.Run again = run(h, "host");
    assertThat(again.exit()).as(again.all()).isZero();
    assertThat(again.out()).contains("ok: /etc/default/grub.d/99-rtc.cfg is as planned", "ok: /etc/grub.d/09_eci stays off")
        .contains("ok: /etc/tuned/rtc-eci-reference/tuned.conf is as planned");
    assertThat(h.read(state + "backup/etc/default/grub.d/99-rtc.cfg")).as("the backup is of the first change only").contains("an older bundle");
  }

  /**
   * The host step keeps a copy of the bundle where rtc-metrics.timer runs its metrics, and installs the
   * timer: enabled for the boot while the planned kernel does not run yet, started at once when it does.
   */
  @Test
  void hostStepInstallsTheMetricsTimerAndTheBundleCopyItRuns() throws IOException {
    FakeHost h = host("monitor");
    Tool.Run r = run(h, "host");
    assertThat(r.exit()).as(r.all()).isZero();
    String state = "var/lib/rtc/eci-reference/";
    assertThat(h.calls()).contains("systemctl enable rtc-metrics.timer").doesNotContain("systemctl enable --now rtc-metrics.timer");
    assertThat(h.read("etc/systemd/system/rtc-metrics.timer")).isEqualTo(read("host/systemd/rtc-metrics.timer"));
    assertThat(h.read("etc/systemd/system/rtc-metrics.service")).isEqualTo(read("host/systemd/rtc-metrics.service"))
        .contains("ExecStart=/bin/bash /var/lib/rtc/eci-reference/bundle/runbook.sh metrics --textfile $RTC_TEXTFILE_DIR");
    assertThat(h.read(state + "bundle/SHA256SUMS")).isEqualTo(read("SHA256SUMS"));
    assertThat(h.read(state + "bundle/runbook.sh")).isEqualTo(read("runbook.sh"));
    assertThat(h.read(state + "changes")).contains("bundle copy", "unit rtc-metrics.timer", "unit rtc-metrics.service");
    // The copy is a whole bundle: its runbook.sh metrics runs from there.
    h.booted();
    Tool.Run fromCopy = Tool.require("bash").run(h.root.resolve(state + "bundle"), h.env(), "./runbook.sh", "metrics");
    assertThat(fromCopy.exit()).as(fromCopy.all()).isZero();
    assertThat(fromCopy.out()).contains("rtc_running_as_planned{bundle=\"eci-reference\"} 1");
    // Again, after the reboot (which started the enabled timer): nothing copied or started again.
    h.clearCalls();
    Tool.Run again = run(h, "host");
    assertThat(again.exit()).as(again.all()).isZero();
    assertThat(again.out()).contains("ok: /var/lib/rtc/eci-reference/bundle holds this bundle, for rtc-metrics.service",
        "ok: /etc/systemd/system/rtc-metrics.timer is as planned", "ok: rtc-metrics.timer is enabled and running");
    assertThat(h.calls()).noneMatch(c -> c.startsWith("systemctl enable"));
    assertThat(again.out()).doesNotContain("+ copy_bundle");
    // A host that already runs the planned kernel gets the timer started at once.
    FakeHost running = host("monitor-running").booted();
    assertThat(run(running, "host").exit()).isZero();
    assertThat(running.calls()).contains("systemctl enable --now rtc-metrics.timer");
    // A file of the copy changed by hand: copied again, whole.
    h.write(state + "bundle/runbook-steps.sh", "# edited\n");
    assertThat(run(h, "host").out()).contains("+ copy_bundle");
    assertThat(h.read(state + "bundle/runbook-steps.sh")).isEqualTo(read("runbook-steps.sh"));
  }

  /**
   * report on a host whose TuneD verify fails and that has no TuneD log: the facts say so, and the step goes on (it
   * once stopped there, silently: collect_facts, called directly, died on the missing log under set -e).
   */
  @Test
  void reportOnAHostWithoutATunedLogRecordsTheFailedVerifyAndGoesOn() throws IOException {
    FakeHost h = host("report-no-tuned-log").booted();
    h.write("fake/tuned/verify", "1\n");
    assertThat(h.exists("var/log/tuned/tuned.log")).isFalse();
    Tool.Run r = run(h, "report");
    assertThat(r.exit()).as(r.all()).isZero();
    Path runs = h.root.resolve("var/lib/rtc/eci-reference/runs");
    try (var s = Files.list(runs)) {
      Path run = s.findFirst().orElseThrow();
      assertThat(Files.readString(run.resolve("results/host/state.txt"))).contains("tuned.verify=failed");
    }
  }

  /** A command that fails where the runbook expected none: the step says so, where, and what to send back. */
  @Test
  void aStepThatStopsUnexpectedlySaysWhereAndWhatToSendBack() {
    FakeHost h = host("unexpected").booted();
    h.write("var/lib/rtc/eci-reference/reports", "a file where the reports folder goes\n");
    Tool.Run r = run(h, "--json", "report");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("FAIL: stopped unexpectedly: 'mkdir -p ").contains("in step report, where no failure was expected")
        .contains("/var/lib/rtc/eci-reference/runbook.log");
    assertThat(r.out()).containsPattern("\\{\"type\":\"step\",\"step\":\"report\".*\"status\":\"failed\".*stopped unexpectedly");
  }

  @Test
  void hostStepRefusesToReplaceAGrubDropInThatIsNotRtcs() {
    FakeHost h = host("foreign-dropin").write("etc/default/grub.d/99-rtc.cfg", "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet splash\"\n");
    Tool.Run r = run(h, "host");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.all()).contains("/etc/default/grub.d/99-rtc.cfg exists and rtc did not write it");
    assertThat(h.read("etc/default/grub.d/99-rtc.cfg")).isEqualTo("GRUB_CMDLINE_LINUX_DEFAULT=\"quiet splash\"\n");
  }

  @Test
  void checkHostProvesTheRealTimeKernelTheArgumentsOnceAndTheTuning() {
    FakeHost good = host("proved").booted();
    Tool.Run ok = run(good, "check-host");
    assertThat(ok.exit()).as(ok.all()).isZero();
    assertThat(ok.out()).contains("host runs 6.6.23-rt28-intel-ese-standard-lts-rt (PREEMPT_RT, Intel ECI's linux-intel-rt)",
        "all 22 planned kernel arguments once each", "TuneD profile rtc-eci-reference active", "tuned-adm verify passes",
        "RT throttling off", "workqueues on 0-3", "resctrl default group L3:0=0003;1=0003", "the host is as planned");

    record Case(String name, java.util.function.Consumer<FakeHost> breakIt, String expect) {}
    for (Case c : List.of(
        new Case("stock-kernel", h -> h.write("proc/sys/kernel/osrelease", "6.1.0-28-amd64\n")
            .write("proc/sys/kernel/version", "#1 SMP PREEMPT_DYNAMIC Debian\n").delete("sys/kernel/realtime"),
            "host runs 6.1.0-28-amd64, which is not a PREEMPT_RT kernel; planned: Intel ECI's linux-intel-rt"),
        new Case("other-rt-kernel", h -> h.write("proc/sys/kernel/osrelease", "6.1.0-28-rt-amd64\n"),
            "host runs the real-time kernel 6.1.0-28-rt-amd64, not Intel ECI's linux-intel-rt"),
        new Case("isolcpus-twice", h -> {
          h.write("proc/cmdline", h.read("proc/cmdline").replace(" quiet ", " quiet isolcpus=1,3 "));
          h.write("etc/grub.d/09_eci", "#!/bin/sh\necho 'isolcpus=1,3'\n");
        }, "host: isolcpus is on the command line 2 times (isolcpus=1,3 isolcpus=managed_irq,domain,4-63); rtc's is "
            + "isolcpus=managed_irq,domain,4-63; also set in: /etc/grub.d/09_eci"),
        new Case("argument-missing", h -> h.write("proc/cmdline", h.read("proc/cmdline").replace(" nohz_full=4-63", "")),
            "host: /proc/cmdline lacks nohz_full=4-63"),
        new Case("sysctl", h -> h.write("proc/sys/kernel/sched_rt_runtime_us", "950000\n"),
            "host: RT throttling off: /proc/sys/kernel/sched_rt_runtime_us is '950000', planned '-1'"),
        new Case("thp", h -> h.write("sys/kernel/mm/transparent_hugepage/enabled", "[always] madvise never\n"),
            "host: transparent hugepages never"),
        new Case("profile", h -> h.write("fake/tuned/active", "balanced\n"),
            "host: TuneD's active profile is 'balanced', planned rtc-eci-reference"),
        new Case("verify", h -> h.write("fake/tuned/verify", "1\n"), "host: tuned-adm verify fails"),
        new Case("resctrl", h -> h.write("sys/fs/resctrl/schemata", "L3:0=7fff;1=7fff\n"),
            "/sys/fs/resctrl/schemata is 'L3:0=7fff;1=7fff', planned 'L3:0=0003;1=0003' (systemctl status rtc-resctrl)"))) {
      FakeHost h = host("proof-" + c.name()).booted();
      c.breakIt().accept(h);
      Tool.Run r = run(h, "check-host");
      assertThat(r.exit()).as("%s: %s", c.name(), r.all()).isEqualTo(1);
      assertThat(r.all()).as(c.name()).contains(c.expect()).contains("bench will not judge it");
    }
  }

  /**
   * TuneD's verify fails on knobs the running kernel does not have (Debian's PREEMPT_RT kernel has no busy polling):
   * those alone are named and pass; any other difference in the same run fails.
   */
  @Test
  void tunedVerifyFailuresOnKnobsTheKernelLacksAreNamedNotFailed() {
    String missing = "2026-12-07 08:48:18,560 ERROR    tuned.plugins.base: verify: failed: 'net.core.busy_read' = 'None', expected '50'\n"
        + "2026-12-07 08:48:18,565 ERROR    tuned.plugins.base: verify: failed: 'kernel.numa_balancing' = 'None', expected ''\n";
    FakeHost h = host("tuned-missing").booted();
    h.write("var/log/tuned/tuned.log", "2026-12-07 08:40:00,000 ERROR    tuned.plugins.base: verify: failed: 'vm.swappiness' = '60', expected '10'\n");
    h.write("fake/tuned/verify", "1\n");
    h.write("fake/tuned/verify-log", missing);
    Tool.Run r = run(h, "check-host");
    assertThat(r.exit()).as("an older failure in the log is not this verify's: %s", r.all()).isZero();
    assertThat(r.out()).contains("ok: host: tuned-adm verify passes but for knobs this kernel does not have: kernel.numa_balancing net.core.busy_read");
    h.write("fake/tuned/verify-log", missing + "2026-12-07 08:48:18,566 ERROR    tuned.plugins.base: verify: failed: 'vm.stat_interval' = '1', expected '10'\n");
    Tool.Run differs = run(h, "check-host");
    assertThat(differs.exit()).isEqualTo(1);
    assertThat(differs.all()).contains("host: tuned-adm verify fails: the live settings differ from the profile");
  }

  @Test
  void aKernelWithoutTransparentHugepagesHasNoneOfThem() {
    FakeHost h = host("no-thp").booted().delete("sys/kernel/mm/transparent_hugepage/enabled");
    Tool.Run r = run(h, "check-host");
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.out()).contains("ok: host: transparent hugepages never");
  }

  // ---- images, vms -----------------------------------------------------------------------------

  @Test
  void imagesMakesDisksAndSeedsGrowsADiskOnRerunAndNeverSilentlyReplacesOne() {
    FakeHost h = host("images");
    Tool.Run first = run(h, "images");
    assertThat(first.exit()).as(first.all()).isZero();
    assertThat(h.calls()).anyMatch(c -> c.startsWith("qemu-img create -f qcow2 -F qcow2 -b /var/lib/libvirt/images/base/debian-12-generic-amd64.qcow2"))
        .anyMatch(c -> c.startsWith("qemu-img resize") && c.endsWith("debian12-rt.qcow2 10G"));
    assertThat(h.exists("var/lib/libvirt/images/rtc/debian12-rt-seed.iso")).isTrue();

    h.clearCalls();
    Tool.Run again = run(h, "images");
    assertThat(again.exit()).as(again.all()).isZero();
    assertThat(again.out()).contains("ok: debian12-rt: " + h.root.resolve("var/lib/libvirt/images/rtc/debian12-rt.qcow2") + " (10G")
        .contains("ok: debian12-rt: seed /var/lib/libvirt/images/rtc/debian12-rt-seed.iso is as planned");
    assertThat(changes(h)).isEmpty();

    // A resize that failed last time: the disk is still the base's size; this run grows it.
    h.write("fake/qemu-img/debian12-rt.qcow2.json", "{\"virtual-size\": 2147483648, \"backing-filename\": "
        + "\"/var/lib/libvirt/images/base/debian-12-generic-amd64.qcow2\"}\n");
    h.clearCalls();
    assertThat(run(h, "images").exit()).isZero();
    assertThat(h.calls()).anyMatch(c -> c.startsWith("qemu-img resize") && c.endsWith("debian12-rt.qcow2 10G"))
        .noneMatch(c -> c.startsWith("qemu-img create"));

    // Another base image: refused without --replace-disks, and with it the old disk is moved aside.
    h.write("fake/qemu-img/debian12-rt.qcow2.json", "{\"virtual-size\": 10737418240, \"backing-filename\": \"/var/lib/libvirt/images/base/old.qcow2\"}\n");
    Tool.Run refused = run(h, "images");
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.all()).contains("was made from /var/lib/libvirt/images/base/old.qcow2, the plan says "
        + "/var/lib/libvirt/images/base/debian-12-generic-amd64.qcow2").contains("--replace-disks");
    h.clearCalls();
    Tool.Run replaced = run(h, "--replace-disks", "images");
    assertThat(replaced.exit()).as(replaced.all()).isZero();
    assertThat(h.calls()).anyMatch(c -> c.startsWith("qemu-img create") && c.endsWith("debian12-rt.qcow2"));
    assertThat(replaced.out()).contains("is kept as").contains("debian12-rt.qcow2.replaced-");

    // The same path, other content: a new cloud image copied over the base the disk was made on.
    assertThat(run(h, "images").exit()).isZero();
    h.write("var/lib/libvirt/images/base/debian-12-generic-amd64.qcow2", "a newer cloud image, other bytes\n");
    h.clearCalls();
    Tool.Run changed = run(h, "images");
    assertThat(changed.exit()).isEqualTo(1);
    assertThat(changed.all()).contains("debian12-rt.qcow2 was made on /var/lib/libvirt/images/base/debian-12-generic-amd64.qcow2 when "
        + "that file was").contains("The guest would read a corrupt disk through it").contains("--replace-disks");
    assertThat(h.calls()).noneMatch(c -> c.startsWith("qemu-img create") || c.startsWith("mv "));
    Tool.Run renewed = run(h, "--replace-disks", "images");
    assertThat(renewed.exit()).as(renewed.all()).isZero();
    assertThat(run(h, "images").out()).contains("ok: debian12-rt: ");

    // A disk with no record (made by hand, or by an older runbook) is used, and the runbook says it cannot check it.
    h.delete("var/lib/rtc/eci-reference/disks/debian12-rt.base");
    assertThat(run(h, "images").out()).contains("has no record of the base image it was made on");
  }

  @Test
  void vmsDefinesTheNetworkWhenMissingStartsVmsInOrderAndRefusesAForeignDomain() {
    FakeHost h = host("vms");
    deleteTree(h.root.resolve("fake/virsh/networks/default"));
    Tool.Run r = run(h, "vms");
    assertThat(r.exit()).as(r.all()).isZero();
    List<String> calls = h.calls();
    assertThat(calls).containsSubsequence("virsh net-define " + bundle.resolve("host/libvirt/networks/default.xml"),
        "virsh net-autostart default", "virsh net-start default",
        "virsh define " + bundle.resolve("vms/debian12-rt/domain.xml"), "virsh autostart --disable debian12-rt", "virsh start debian12-rt",
        "virsh define " + bundle.resolve("vms/debian12-stress/domain.xml"), "virsh start debian12-stress",
        "systemctl enable rtc-vms.service");
    assertThat(h.read("etc/systemd/system/rtc-vms.service")).isEqualTo(read("host/systemd/rtc-vms.service"));

    FakeHost foreign = host("vms-foreign").write("fake/virsh/domains/debian12-rt/state", "running\n");
    Tool.Run refused = run(foreign, "vms");
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.all()).contains("a domain named debian12-rt exists and rtc did not define it");
    assertThat(foreign.calls()).noneMatch(c -> c.startsWith("virsh define") || c.startsWith("virsh start"));
  }

  // ---- verify, stress, bench, collect, report ---------------------------------------------------

  @Test
  void verifyProvesPinsCacheGroupsAndEachRealTimeGuestsKernelArgumentsAndTuning() {
    FakeHost good = host("verify").booted().vmsRunning();
    Tool.Run ok = run(good, "verify");
    assertThat(ok.exit()).as(ok.all()).isZero();
    assertThat(ok.out()).contains("debian12-rt runs 6.6.23-rt28-intel-ese-standard-lts-rt (PREEMPT_RT",
        "debian12-rt: all " + plan.vms().get(0).guestCmdline().orElseThrow().args().size() + " planned kernel arguments once each", "debian12-rt: TuneD profile rtc-debian12-rt active",
        "ok: debian12-stress: emulator threads on 1,3", "the VMs are as planned");

    record Case(String name, java.util.function.Consumer<FakeHost> breakIt, String expect) {}
    String facts = "fake/virsh/domains/debian12-rt/facts";
    for (Case c : List.of(
        new Case("pin", h -> h.write("fake/virsh/domains/debian12-rt/pins", h.read("fake/virsh/domains/debian12-rt/pins").replace("10\n", "11\n")),
            "debian12-rt vCPU 3 runs on CPU '11', planned 10"),
        new Case("mask", h -> h.write("sys/fs/resctrl/qemu-1-debian12-rt-vcpus_1-7/schemata", "L3:0=0030;1=0003\n"),
            "debian12-rt cache group is 'L3:0=0030;1=0003', planned 'L3:0=000c;1=0003'"),
        new Case("guest-kernel", h -> h.write(facts, h.read(facts).replace("realtime=1", "realtime=absent").replace("PREEMPT_RT", "PREEMPT_DYNAMIC")),
            "debian12-rt runs 6.6.23-rt28-intel-ese-standard-lts-rt, which is not a PREEMPT_RT kernel"),
        new Case("guest-arg", h -> h.write(facts, h.read(facts).replace("nohz_full=1-7 ", "")), "debian12-rt: /proc/cmdline lacks nohz_full=1-7"),
        new Case("guest-tuning", h -> h.write(facts, h.read(facts).replace("file:/proc/sys/vm/stat_interval=10", "file:/proc/sys/vm/stat_interval=1")),
            "debian12-rt: vmstat interval 10 s: /proc/sys/vm/stat_interval is '1', planned '10'"),
        new Case("agent", h -> h.delete("fake/virsh/domains/debian12-rt/agent"), "debian12-rt: its guest agent does not answer"))) {
      FakeHost h = host("verify-" + c.name()).booted().vmsRunning();
      c.breakIt().accept(h);
      Tool.Run r = run(h, "verify");
      assertThat(r.exit()).as("%s: %s", c.name(), r.all()).isEqualTo(1);
      assertThat(r.all()).as(c.name()).contains(c.expect());
    }
  }

  @Test
  void stressMeasuresTheLoadFromTheHostAndAnIdleStressorIsAFailure() {
    FakeHost h = host("stress").booted().vmsRunning();
    Tool.Run ok = run(h, "stress");
    assertThat(ok.exit()).as(ok.all()).isZero();
    assertThat(ok.out()).contains("debian12-stress: workload started").containsPattern("debian12-stress loads its 8 vCPUs to \\d+%");
    FakeHost idle = host("stress-idle").booted().vmsRunning().write("fake/virsh/domains/debian12-stress/load", "3\n");
    Tool.Run r = run(idle, "stress");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.all()).containsPattern("debian12-stress loads its 8 vCPUs to only \\d% over \\d+ s \\(at least 50% planned\\)");
  }

  @Test
  void benchRefusesToJudgeASystemThatFailedItsProofs() {
    FakeHost stock = host("bench-stock").booted().vmsRunning().write("proc/sys/kernel/version", "#1 SMP PREEMPT_DYNAMIC\n")
        .delete("sys/kernel/realtime");
    Tool.Run r = run(stock, "--duration", "5s", "bench");
    assertThat(r.exit()).as(r.all()).isEqualTo(3);
    assertThat(r.all()).contains("which is not a PREEMPT_RT kernel").contains("RESULT: NO VERDICT - 1 checks failed");
    assertThat(stock.calls()).noneMatch(c -> c.contains("systemd-run"));

    FakeHost idle = host("bench-idle").booted().vmsRunning().write("fake/virsh/domains/debian12-stress/load", "0\n");
    Tool.Run noLoad = run(idle, "--duration", "5s", "qualify", "bench");
    assertThat(noLoad.exit()).as(noLoad.all()).isEqualTo(3);
    assertThat(noLoad.all()).contains("RESULT: NO VERDICT - the stressors do not load the host");
  }

  @Test
  void benchDurationCanBeOverriddenForASmokeTestAndIsChecked() {
    FakeHost h = host("duration").booted().vmsRunning();
    assertThat(run(h, "qualify").exit()).isZero();
    Tool.Run r = run(h, "--dry-run", "--duration", "10m", "bench");
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.out()).contains("would run in debian12-rt, as unit rtc-bench-<run>: cyclictest -t 4 -p 99 -i 1000 -d 1 -m "
        + "--mainaffinity=1 -a 2-5 -q -D 10m -h 1000");
    Tool.Run bad = run(h, "--duration", "soon", "bench");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("--duration takes a number and s, m, h or d (e.g. 10m), not 'soon'");
  }

  /** A run: started in the guest as a unit, waited for, collected and judged; the evidence is kept, never overwritten. */
  @Test
  void benchRunsDetachedCollectsJudgesAndKeepsItsEvidence() throws IOException {
    FakeHost h = host("bench").booted().vmsRunning();
    String ct = Files.readString(Path.of("src/test/resources/cyclictest/histogram-4threads-great.txt"));
    h.write("fake/virsh/domains/debian12-rt/cyclictest.txt", ct);
    h.write("fake/virsh/domains/debian12-rt/bench-exit", "0\n");
    Tool.Run r = run(h, "--duration", "3s", "qualify", "bench"); // the fixture's 3,000 samples a thread at 1 ms
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.out()).contains("safe to disconnect now", "RESULT: GREAT - max latency");
    assertThat(h.read("fake/virsh/domains/debian12-rt/started-units")).contains("rtc-bench-").contains("cyclictest -t 4 -p 99");
    String id = h.read("var/lib/rtc/eci-reference/runs/current").trim();
    String run = "var/lib/rtc/eci-reference/runs/" + id + "/";
    assertThat(h.read(run + "results/cyclictest.txt")).isEqualTo(ct);
    assertThat(h.read(run + "results/verdict.txt")).startsWith("RESULT: GREAT");
    assertThat(h.read(run + "results/load.txt")).containsPattern("debian12-stress \\d+");
    assertThat(h.read(run + "plan.json")).isEqualTo(read("plan.json"));

    Tool.Run status = run(h, "status");
    assertThat(status.out()).contains("run " + id + " is collected: RESULT: GREAT");
    Tool.Run collect = run(h, "collect");
    assertThat(collect.out()).contains("was collected before; its verdict:", "RESULT: GREAT");

    Tool.Run report = run(h, "report");
    assertThat(report.exit()).as(report.all()).isZero();
    assertThat(h.exists("var/lib/rtc/eci-reference/reports/rtc-eci-reference-" + id + ".tar.gz")).isTrue();
    assertThat(h.read(run + "results/host/cmdline.txt")).contains("isolcpus=managed_irq,domain,4-63");
    assertThat(h.read(run + "results/host/facts.txt")).contains("/sys/devices/system/cpu/online:0-63");
    Tool.Run sums = Tool.require("sha256sum").run(h.root.resolve(run), "-c", "SHA256SUMS");
    assertThat(sums.exit()).as(sums.all()).isZero();
    Tool.Run second = run(h, "report");
    assertThat(second.exit()).isZero();
    assertThat(h.exists("var/lib/rtc/eci-reference/reports/rtc-eci-reference-" + id + "-2.tar.gz")).as("a second report beside the first").isTrue();
    Tool.Run tar = Tool.require("tar").run(h.root.resolve("var/lib/rtc/eci-reference/reports"), "-tzf", "rtc-eci-reference-" + id + ".tar.gz");
    assertThat(tar.out().lines()).contains(id + "/plan.json", id + "/results/cyclictest.txt", id + "/results/verdict.txt",
        id + "/results/host/qualify.json");
  }

  // ---- rollback --------------------------------------------------------------------------------

  @Test
  void rollbackRestoresWhatWasThereLeavesForeignDomainsAloneAndGoesOnPastAFailure() {
    FakeHost h = host("rollback");
    String admins = "# Generated by rtc 0.0.9 from eci-reference (an older bundle)\nrtc_args=old\n";
    h.write("etc/default/grub.d/99-rtc.cfg", admins);
    assertThat(run(h, "host").exit()).isZero();
    h.booted();
    assertThat(run(h, "images", "vms").exit()).isZero();
    // A domain rtc did not define, with the stressor's name.
    deleteTree(h.root.resolve("fake/virsh/domains/debian12-stress"));
    h.write("fake/virsh/domains/debian12-stress/state", "running\n");
    h.write("fake/fail/update-grub", "2\n");
    // The RT VM's job lock is held for two asks (a guest-agent call just made): asked again, not taken for foreign.
    h.write("fake/virsh/domains/debian12-rt/busy", "2\n");
    h.clearCalls();

    Tool.Run r = run(h, "rollback");
    assertThat(r.exit()).as(r.all()).isEqualTo(1);
    assertThat(h.calls()).contains("virsh destroy debian12-rt", "virsh undefine debian12-rt", "tuned-adm profile balanced",
        "systemctl disable rtc-resctrl.service", "systemctl disable rtc-vms.service", "update-grub")
        .noneMatch(c -> c.endsWith("debian12-stress") && (c.startsWith("virsh destroy") || c.startsWith("virsh undefine")));
    assertThat(r.out()).contains("debian12-stress: a domain of that name exists, but rtc did not define it: left alone");
    assertThat(r.all()).contains("could not undo:", "     update-grub", "1 changes are not undone");
    assertThat(h.read("etc/default/grub.d/99-rtc.cfg")).as("the drop-in that was there before").isEqualTo(admins);
    assertThat(h.exists("etc/tuned/rtc-eci-reference/tuned.conf")).as("no rtc tuning left").isFalse();
    assertThat(h.exists("etc/systemd/system/rtc-resctrl.service")).isFalse();
    assertThat(h.exists("etc/systemd/system/rtc-vms.service")).isFalse();
    assertThat(h.calls()).contains("systemctl disable rtc-metrics.timer", "systemctl disable rtc-metrics.service");
    assertThat(h.exists("etc/systemd/system/rtc-metrics.timer")).isFalse();
    assertThat(h.exists("var/lib/rtc/eci-reference/bundle")).as("the bundle's copy is gone").isFalse();
    assertThat(h.exists("var/lib/rtc/eci-reference/runbook.log")).as("the evidence stays").isTrue();
    assertThat(h.exists("etc/apt/sources.list.d/rtc-eci.list")).isFalse();
    assertThat(h.read("fake/tuned/active")).isEqualTo("balanced\n");

    // Fixed, and run again: the rest is undone; nothing is undone twice.
    h.delete("fake/fail/update-grub");
    Tool.Run again = run(h, "rollback");
    assertThat(again.exit()).as(again.all()).isZero();
    assertThat(again.out()).contains("rollback: done");
    assertThat(run(h, "rollback").out()).contains("nothing to undo");

    // A domain virsh cannot answer for: neither destroyed nor called foreign; listed as not undone.
    FakeHost stuck = host("rollback-busy");
    assertThat(run(stuck, "images", "vms").exit()).isZero();
    stuck.write("fake/virsh/domains/debian12-rt/busy", "99\n");
    stuck.clearCalls();
    Tool.Run unsure = run(stuck, "rollback");
    assertThat(unsure.exit()).isEqualTo(1);
    assertThat(unsure.all()).contains("cannot tell whether domain debian12-rt is rtc's; virsh says: error: Timed out during operation")
        .contains("virsh undefine debian12-rt (virsh could not say whether it is rtc's)").doesNotContain("debian12-rt: a domain of that name");
    assertThat(stuck.calls()).noneMatch(c -> c.equals("virsh destroy debian12-rt") || c.equals("virsh undefine debian12-rt"));
  }

  private static String read(String rel) {
    try {
      return Files.readString(bundle.resolve(rel));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static void deleteTree(Path p) {
    if (!Files.exists(p)) {
      return;
    }
    try (var s = Files.walk(p)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
