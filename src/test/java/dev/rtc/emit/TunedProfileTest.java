package dev.rtc.emit;

import dev.rtc.Slow;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rtc.Compiler;
import dev.rtc.manifest.ManifestLoader;
import dev.rtc.plan.Plan;
import dev.rtc.plan.TuningPlan;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * rtc's TuneD profiles, loaded by the real TuneD (Debian 12's tuned 2.20) with its own loader, as
 * tuned-adm loads a profile before applying it: includes merged, variables and functions expanded,
 * and the realtime profiles' assertions checked against this machine's online CPUs (so the
 * manifests here are sized to it). The merged profile must be what plan.md says, and set the
 * values check-host and verify read back. (Applying the profile changes the machine it runs on:
 * the end-to-end test does that inside a real guest.)
 */
@Slow
class TunedProfileTest {

  @TempDir static Path tmp;

  static final String HASH = "$6$banana123$wQ1IqKwmt6fbNfzB31o0JC1PTG/TdbxTMkB5gx0RyzujPINAifkV1shcE7HW7d.jnVTs5QyuFZBid8NmYf2oq.";

  /** A host of this machine's CPUs, CPU 0 kept, the rest isolated, a real-time VM of 2 vCPUs (its guest isolates vCPU 1). */
  static String manifest(int cpus, String os) {
    return "apiVersion: rtc/v1\nname: tuned-check\nhost:\n  os: " + os + "\n  topology:\n    threadsPerCore: 1\n"
        + "    sockets: [{id: 0, cpus: \"0-" + (cpus - 1) + "\"}]\n    numaNodes: [{id: 0, cpus: \"0-" + (cpus - 1) + "\"}]\n"
        + "  housekeeping: \"0\"\n  kernel: {realtime: none}\nvms:\n"
        + "  - {name: stress, role: stressor, vcpus: 1, memory: 1 GiB, workload: stress-ng, disk: {baseImage: x.qcow2, size: 4 GiB},"
        + " guest: {user: debian, passwordHash: \"" + HASH + "\"}}\n";
  }

  static String guestManifest(String os) {
    return "apiVersion: rtc/v1\nname: tuned-guest\nhost:\n  os: " + os + "\n  topology:\n    threadsPerCore: 1\n"
        + "    sockets: [{id: 0, cpus: \"0-3\"}]\n    numaNodes: [{id: 0, cpus: \"0-3\"}]\n  housekeeping: \"0-1\"\nvms:\n"
        + "  - {name: rt, role: realtime, vcpus: 2, memory: 1 GiB, disk: {baseImage: x.qcow2, size: 4 GiB},"
        + " guest: {user: debian, passwordHash: \"" + HASH + "\"}}\n";
  }

  static Compiler.Result compile(String text) {
    return new Compiler().compile(new ManifestLoader.Source("m.yaml", text.getBytes(StandardCharsets.UTF_8)));
  }

  /** TuneD's merged view of {@code profile}, found in {@code dir}/{@code profile}/tuned.conf. */
  static JsonNode load(Path dir, String profile) throws IOException {
    Tool.require("tuned-adm"); // the TuneD package, whose Python modules the loader script uses
    Tool.Run r = Tool.require("python3").run(tmp, Path.of("src/test/resources/tuned/load-profile.py").toAbsolutePath().toString(),
        dir.toString(), profile);
    assertThat(r.exit()).as("TuneD loads %s: %s", profile, r.all()).isZero();
    return new ObjectMapper().readTree(r.out());
  }

  static int onlineCpus() throws IOException {
    String online = Files.readString(Path.of("/sys/devices/system/cpu/online")).trim();
    return dev.rtc.topology.CpuSet.parse(online).size();
  }

  @Test
  void theHostProfileLoadsInTuneDAsPlanned() throws IOException {
    int cpus = onlineCpus();
    org.junit.jupiter.api.Assumptions.assumeTrue(cpus >= 2, "the realtime profiles need an isolated CPU to exist here");
    Compiler.Result r = compile(manifest(cpus, "debian12"));
    Path dir = write(r, "host/tuned/", tmp.resolve("host"));
    TuningPlan t = r.plan().host().tuning();
    JsonNode p = load(dir, t.profile());
    assertThat(p.at("/bootloader/enabled").asBoolean()).as("rtc owns the command line: TuneD's bootloader plugin is off").isFalse();
    assertThat(p.at("/scheduler/options/ps_blacklist").asText()).isEqualTo(t.psBlacklist()).contains("qemu-system-x86").contains("qemu-kvm");
    assertThat(p.at("/scheduler/options/isolated_cores").asText()).isEqualTo(t.isolated().toString());
    assertThat(p.at("/scheduler/options/group.rcuc").asText()).startsWith("0:f:4:");
    assertThat(p.at("/irqbalance/options/banned_cpus").asText()).isEqualTo(t.isolated().toString());
    assertThat(p.at("/sysfs/options/~1sys~1kernel~1mm~1ksm~1run").asText()).isEqualTo("2");
    assertThat(p.at("/script/options/script").toString()).contains("realtime-virtual-host/script.sh");
    checksAreWhatTheProfileSets(p, t, true);
  }

  @Test
  void theGuestProfileLoadsInTuneDAsPlanned() throws IOException {
    org.junit.jupiter.api.Assumptions.assumeTrue(onlineCpus() >= 2, "the realtime profiles need an isolated CPU to exist here");
    Compiler.Result r = compile(guestManifest("debian12"));
    Plan.VmPlan vm = r.plan().vms().get(0);
    Path dir = write(r, "vms/rt/tuned/", tmp.resolve("guest"));
    TuningPlan t = vm.tuning().orElseThrow();
    JsonNode p = load(dir, t.profile());
    assertThat(p.at("/bootloader/enabled").asBoolean()).isFalse();
    assertThat(p.at("/scheduler/options/isolated_cores").asText()).isEqualTo("1");
    assertThat(p.at("/scheduler/options/ps_blacklist").asText()).doesNotContain("qemu");
    assertThat(p.at("/sysfs/options").has("/sys/kernel/mm/ksm/run")).as("no KSM in a guest's profile").isFalse();
    checksAreWhatTheProfileSets(p, t, false);
  }

  /**
   * host.power as TuneD carries it out: the CPUs shared among the cpu plugin's instances the way
   * TuneD's unit manager shares them, for the manifest's host (TuneD's cpulist_online is told that
   * host's CPUs instead of this machine's; the rest is TuneD's own loader and device matcher).
   */
  static JsonNode cpuInstances(Path dir, String profile, String online) throws IOException {
    Tool.require("tuned-adm");
    Tool.Run r = Tool.require("python3").run(tmp, Path.of("src/test/resources/tuned/assign-cpus.py").toAbsolutePath().toString(),
        dir.toString(), profile, online);
    assertThat(r.exit()).as("TuneD loads %s: %s", profile, r.all()).isZero();
    return new ObjectMapper().readTree(r.out());
  }

  static java.util.List<String> devices(JsonNode instance) {
    java.util.List<String> out = new java.util.ArrayList<>();
    instance.get("devices").forEach(d -> out.add(d.asText()));
    return out;
  }

  static java.util.List<String> cpus(dev.rtc.topology.CpuSet set) {
    return set.toList().stream().map(c -> "cpu" + c).toList();
  }

  @Test
  void balancedHoldsOnlyTheRealTimeVmsCpusAndLetsEveryOtherCpuSleep() throws IOException {
    Compiler.Result r = compile(Files.readString(Path.of("examples/hybrid-client.yaml")));
    Plan plan = r.plan();
    assertThat(plan.host().power().balanced()).as("the example says power: balanced").isTrue();
    Path dir = write(r, "host/tuned/", tmp.resolve("balanced"));
    JsonNode is = cpuInstances(dir, plan.host().tuning().profile(), plan.topology().allCpus().toString());
    assertThat(is).hasSize(2);
    JsonNode free = is.get(0);
    JsonNode held = is.get(1);
    // The first instance alone controls /dev/cpu_dma_latency: it must hold no system-wide request.
    assertThat(free.get("first").asBoolean()).isTrue();
    assertThat(free.at("/options").has("force_latency")).as("latency-performance's force_latency is replaced").isFalse();
    assertThat(free.at("/options").has("min_perf_pct")).as("and its min_perf_pct=100, which holds every clock up").isFalse();
    assertThat(free.at("/options/pm_qos_resume_latency_us").asText()).isEqualTo("0");
    assertThat(free.at("/options/governor").asText()).isEqualTo("schedutil|ondemand|powersave");
    assertThat(devices(free)).containsExactlyInAnyOrderElementsOf(cpus(plan.host().power().free()));
    // Held: the CPUs the real-time VM's vCPUs run on, each with its own resume-latency limit.
    dev.rtc.topology.CpuSet rtPins = dev.rtc.topology.CpuSet.of(plan.vms().stream().filter(Plan.VmPlan::isRealtime)
        .flatMap(v -> v.vcpuPins().stream()).toList());
    dev.rtc.topology.CpuSet rtEmulator = plan.vms().stream().filter(Plan.VmPlan::isRealtime).map(Plan.VmPlan::emulatorCpus)
        .reduce(dev.rtc.topology.CpuSet.of(), dev.rtc.topology.CpuSet::union).intersect(plan.host().isolated());
    assertThat(plan.host().power().held().toString()).isEqualTo(rtPins.union(rtEmulator).toString());
    assertThat(devices(held)).containsExactlyInAnyOrderElementsOf(cpus(plan.host().power().held())).containsAll(cpus(rtPins));
    assertThat(held.at("/options/pm_qos_resume_latency_us").asText()).isEqualTo(String.valueOf(dev.rtc.plan.PowerPlan.HELD_RESUME_LATENCY_US));
    assertThat(held.at("/options/governor").asText()).isEqualTo("performance");
    // Every CPU is in exactly one instance.
    assertThat(devices(free).size() + devices(held).size()).isEqualTo(plan.topology().allCpus().size());
    // What check-host reads back is the held CPUs' limit.
    assertThat(plan.host().tuning().checks(true)).anySatisfy(c -> {
      assertThat(c.path()).isEqualTo("percpu:" + plan.host().power().held() + ":power/pm_qos_resume_latency_us");
      assertThat(c.expected()).isEqualTo(held.at("/options/pm_qos_resume_latency_us").asText());
    });
    // The command line leaves the idle and P-state drivers alone.
    assertThat(plan.host().cmdline().keys()).doesNotContain("intel_idle.max_cstate", "processor.max_cstate", "intel_pstate");
  }

  @Test
  void lowestLatencyHoldsEveryCpuSystemWide() throws IOException {
    Compiler.Result r = compile(Files.readString(Path.of("examples/eci-reference.yaml")));
    Plan plan = r.plan();
    assertThat(plan.host().power().balanced()).isFalse();
    Path dir = write(r, "host/tuned/", tmp.resolve("lowest"));
    JsonNode is = cpuInstances(dir, plan.host().tuning().profile(), plan.topology().allCpus().toString());
    assertThat(is).hasSize(1);
    assertThat(is.get(0).at("/options/force_latency").asText()).isEqualTo("cstate.id_no_zero:1|3");
    assertThat(is.get(0).at("/options/min_perf_pct").asText()).isEqualTo("100");
    assertThat(devices(is.get(0))).hasSize(plan.topology().allCpus().size());
    assertThat(plan.host().cmdline().keys()).contains("intel_idle.max_cstate", "processor.max_cstate", "intel_pstate");
  }

  /** Every value check-host or verify reads back is one the merged profile sets, to that value. */
  private static void checksAreWhatTheProfileSets(JsonNode p, TuningPlan t, boolean host) {
    for (TuningPlan.Check c : t.checks(host)) {
      if (c.path().startsWith("percpu:")) {
        continue; // per-CPU values, held to the cpu plugin's instances in the power tests
      }
      String set;
      if (c.path().startsWith("/proc/sys/")) {
        set = p.at("/sysctl/options").path(c.path().substring("/proc/sys/".length()).replace('/', '.')).asText(null);
      } else if (c.path().equals("/sys/kernel/mm/transparent_hugepage/enabled")) {
        set = p.at("/vm/options/transparent_hugepages").asText(null);
      } else {
        set = p.at("/sysfs/options").path(c.path()).asText(null);
      }
      assertThat(set).as("TuneD sets %s", c.path()).isNotNull();
      if (c.kind().equals("mask")) {
        set = set.replace(",", "").replaceFirst("^0+(?=.)", "");
      }
      assertThat(set).as("%s: what TuneD sets is what the runbook checks", c.path()).isEqualTo(c.expected());
    }
    // The settings plan.md attributes to TuneD's profiles are in the merged profile.
    Map<String, String> sysctls = Map.of("kernel.sched_rt_runtime_us", "-1", "kernel.timer_migration", "0", "vm.stat_interval", "10",
        "kernel.numa_balancing", "0", "vm.swappiness", "10", "kernel.nmi_watchdog", "0", "kernel.hung_task_timeout_secs", "600");
    sysctls.forEach((k, v) -> assertThat(p.at("/sysctl/options").path(k).asText()).as(k).isEqualTo(v));
    assertThat(p.at("/cpu/options/governor").asText()).isEqualTo("performance");
    // Written out (TuneD 2.20 verifies it unexpanded): one queue per housekeeping CPU.
    assertThat(p.at("/net/options/channels").asText()).isEqualTo("combined " + t.housekeeping().size());
    assertThat(p.at("/cpu/options/force_latency").asText()).isEqualTo("cstate.id_no_zero:1|3");
    assertThat(t.settings()).extracting(TuningPlan.Setting::what).contains("sysctl kernel.sched_rt_runtime_us", "vm transparent_hugepages",
        "sysfs workqueue cpumask", "irqbalance banned_cpus", "bootloader", "net channels");
  }

  private static Path write(Compiler.Result r, String prefix, Path dir) throws IOException {
    for (var f : r.bundle().files().entrySet()) {
      if (f.getKey().startsWith(prefix)) {
        Path p = dir.resolve(f.getKey().substring(prefix.length()));
        Files.createDirectories(p.getParent());
        Files.writeString(p, f.getValue().text());
      }
    }
    return dir;
  }
}
