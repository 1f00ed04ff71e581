package dev.rtc.plan;

import static dev.rtc.plan.PlacementRulesTest.compile;
import static dev.rtc.plan.PlacementRulesTest.errors;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.manifest.diagnostics.Code;
import dev.rtc.manifest.diagnostics.Diagnostic;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The reproductions of the solver issue, written from public topology data: feasible hybrid
 * deployments that were refused, a stressor on the real-time VM's L2 cluster, refusal hints that
 * said wrong things, a cache request on a part without CAT said twice, and a one-node warning no
 * one could act on. Each is now planned and checked, or refused with a hint that is tried here.
 */
class SolverReproductionsTest {

  static final String GUEST = "    disk: {baseImage: b.qcow2, size: 10 GiB}\n"
      + "    guest: {user: rt, passwordHash: \"$6$banana123$wQ1IqKwmt6fbNfzB31o0JC1PTG/TdbxTMkB5gx0RyzujPINAifkV1shcE7HW7d.jnVTs5QyuFZBid8NmYf2oq.\"}\n";

  /** One socket and node; rows [cpu, core, socket, node, l2, l3, type]. */
  static String host(String name, List<String> rows, String housekeeping, String extraHost) {
    StringBuilder y = new StringBuilder("apiVersion: rtc/v1\nname: " + name + "\nhost:\n  os: debian12\n  topology:\n    cpus:\n");
    rows.forEach(r -> y.append("      - [").append(r).append("]\n"));
    y.append("    l3: {size: 12 MiB}\n    l2: {size: 2 MiB}\n  housekeeping: \"").append(housekeeping).append("\"\n").append(extraHost);
    return y.append("vms:\n").toString();
  }

  static String vm(String name, String role, int vcpus, String extra) {
    return "  - name: " + name + "\n    role: " + role + "\n    vcpus: " + vcpus + "\n    memory: 2 GiB\n" + extra
        + (role.equals("stressor") ? "    workload: stress-ng\n" : "") + GUEST;
  }

  /** 8 P-cores without SMT (0-7, an L2 each) and one E-core cluster (8-11, one L2). */
  static List<String> pAndECluster() {
    List<String> rows = new ArrayList<>();
    for (int c = 0; c < 12; c++) {
      rows.add(c + ", " + c + ", 0, 0, " + Math.min(c, 8) + ", 0, " + (c < 8 ? "P" : "E"));
    }
    return rows;
  }

  /** 12 E-cores without SMT in three L2 clusters of 4: 0-3, 4-7, 8-11. */
  static List<String> threeClusters() {
    List<String> rows = new ArrayList<>();
    for (int c = 0; c < 12; c++) {
      rows.add(c + ", " + c + ", 0, 0, " + c / 4 + ", 0, E");
    }
    return rows;
  }

  static Plan.VmPlan vmPlan(Plan plan, String name) {
    return plan.vms().stream().filter(v -> v.name().equals(name)).findFirst().orElseThrow();
  }

  // ---- 1. hybrid emulator CPUs from another core type ----

  @Test
  void dedicatedEmulatorCpusTakeECoresWhenThePCoresHaveNoRoomBesideTheVcpus() {
    String m = host("r1", pAndECluster(), "0,8", "") + vm("rt", "realtime", 2, "    emulator: {cpus: 2}\n") + vm("st", "stressor", 4, "");
    Plan plan = compile(m).plan();
    Plan.VmPlan rt = vmPlan(plan, "rt");
    Plan.VmPlan st = vmPlan(plan, "st");
    assertThat(rt.vcpuPins()).containsExactly(1, 2);
    assertThat(rt.emulatorCpus().toList()).containsExactly(10, 11); // E-cores, isolated, no vCPU's
    assertThat(st.vcpuPins()).hasSize(4).allMatch(c -> c >= 3 && c <= 7); // one core type: P
    assertThat(plan.decisions()).anySatisfy(d -> assertThat(d.why()).contains("P-cores had no room left beside the vCPUs"));
  }

  @Test
  void theSharedEmulatorPoolTakesECoresTooAndTheSameManifestWithExplicitPinsAgrees() {
    String m = host("r1", pAndECluster(), "0,8", "  emulatorPool: 2\n") + vm("rt", "realtime", 2, "    emulator: shared\n")
        + vm("st", "stressor", 4, "");
    Plan.VmPlan rt = vmPlan(compile(m).plan(), "rt");
    assertThat(rt.emulatorCpus().toList()).containsExactly(10, 11);
    // The witness: the explicit pin compiled before; it still does.
    String pinned = host("r1", pAndECluster(), "0,8", "") + vm("rt", "realtime", 2, "    emulator: {pin: \"9-10\"}\n")
        + vm("st", "stressor", 4, "");
    assertThat(vmPlan(compile(pinned).plan(), "rt").emulatorCpus().toList()).containsExactly(9, 10);
  }

  // ---- 2. stressors keep off the real-time VM's L2 cluster ----

  @Test
  void aStressorTakesTheFreeL2ClusterNotTheRealtimeVmsOne() {
    String m = host("r2", threeClusters(), "0-3", "") + vm("rt", "realtime", 2, "") + vm("st", "stressor", 4, "");
    Compiler_ v = new Compiler_(m);
    assertThat(vmPlan(v.plan, "rt").vcpuPins()).containsExactly(4, 5);
    assertThat(vmPlan(v.plan, "st").vcpuPins()).containsExactly(8, 9, 10, 11);
    assertThat(v.warnings).noneMatch(w -> w.message().contains("L2"));
    assertThat(v.plan.decisions()).anySatisfy(d -> assertThat(d.why()).contains("L2 instances no real-time VM uses first"));
  }

  @Test
  void whenNoFreeL2ClusterIsLeftTheSharingIsSaidOnceWithAHintThatCanBeFollowed() {
    String m = host("r2", threeClusters(), "0-3", "") + vm("rt", "realtime", 2, "") + vm("st", "stressor", 6, "");
    Compiler_ v = new Compiler_(m);
    List<Diagnostic> rtc063 = v.warnings.stream().filter(w -> w.code() == Code.RTC063).toList();
    assertThat(rtc063).hasSize(1);
    assertThat(rtc063.get(0).message()).startsWith("st shares L2 instance 1 (CPUs 4-7, 2 MiB) with real-time VM rt")
        .contains("shares this host's only L3");
    assertThat(rtc063.get(0).hint()).contains("interference: accepted");
    // Followed: said in the manifest, it becomes a decision and the warning goes.
    Compiler_ accepted = new Compiler_(m.replace("    workload: stress-ng\n", "    workload: stress-ng\n    interference: accepted\n"));
    assertThat(accepted.warnings).noneMatch(w -> w.code() == Code.RTC063);
    assertThat(accepted.plan.decisions()).anySatisfy(d -> assertThat(d.what()).contains("interference: accepted"));
  }

  // ---- 3. refusal hints: true, tried, in the manifest's units ----

  /** host.emulatorPool 2 and a 6-vCPU VM on 7 free CPUs: the old hint said "lower vcpus from 6 to 7; or free -1 more". */
  @Test
  void aSharedPoolRefusalOffersOnlyChangesThatFit() {
    List<String> rows = new ArrayList<>();
    for (int c = 0; c < 8; c++) {
      rows.add(c + ", " + c + ", 0, 0, " + c + ", 0, P");
    }
    String m = host("pool", rows, "0", "  emulatorPool: 2\n") + vm("rt", "realtime", 6, "    emulator: shared\n");
    Diagnostic d = single(errors(m), Code.RTC060);
    assertThat(d.message()).contains("needs 8 free isolated CPUs").contains("6 for 6 vCPUs + 2 for the node's shared emulator pool");
    assertThat(d.hint()).isEqualTo("lower rt.vcpus from 6 to 5; or run rt's emulator threads on housekeeping CPUs (leave out emulator)")
        .doesNotContain("-1");
    assertThat(compile(m.replace("vcpus: 6", "vcpus: 5")).plan().vms()).hasSize(1);
    assertThat(compile(m.replace("    emulator: shared\n", "")).plan().vms()).hasSize(1);
  }

  /** E-cores have no SMT: a vCPU there costs one CPU, not a core's two threads. */
  @Test
  void onAHybridPartEachCoreTypeCountsItsOwnWay() {
    List<String> rows = new ArrayList<>();
    for (int c = 0; c < 12; c++) {
      rows.add(c + ", " + (c < 4 ? c / 2 : c) + ", 0, 0, " + (c < 4 ? c / 2 : 2 + (c - 4) / 4) + ", 0, " + (c < 4 ? "P" : "E"));
    }
    String m = host("e", rows, "0,1", "") + vm("rt", "realtime", 9, "");
    Diagnostic d = single(errors(m), Code.RTC060);
    assertThat(d.message()).contains("needs, for 9 vCPUs on one NUMA node and one core type, 18 P-core CPUs (each on a whole core with its "
        + "sibling idle) or 9 E-core CPUs (one per vCPU)")
        .doesNotContain("needs 18 free");
    assertThat(d.hint()).startsWith("lower rt.vcpus from 9 to 8");
    assertThat(vmPlan(compile(m.replace("vcpus: 9", "vcpus: 8")).plan(), "rt").vcpuPins()).containsExactly(4, 5, 6, 7, 8, 9, 10, 11);
  }

  /** A 2-CPU host: CPU 0 stays housekeeping, so freeing housekeeping CPUs is no hint; the truth is the host is too small. */
  @Test
  void aHostTooSmallForARealtimeVmIsCalledThat() {
    String m = host("tiny", List.of("0, 0, 0, 0, 0, 0, P", "1, 1, 0, 0, 1, 0, P"), "0", "") + vm("rt", "realtime", 2, "");
    Diagnostic d = single(errors(m), Code.RTC060);
    assertThat(d.hint()).startsWith("this host is too small for a real-time VM").doesNotContain("housekeeping: \"")
        .doesNotContain("lower rt.vcpus");
  }

  /** The whole-cache hint said "at most 23040 KiB" (9 of 12 ways) where 25 MiB (10 ways) fits. */
  @Test
  void theWholeCacheHintIsTheLargestThatFitsInMiB() {
    List<String> rows = new ArrayList<>();
    for (int c = 0; c < 8; c++) {
      rows.add(c + ", " + c + ", 0, 0, " + c + ", 0, P");
    }
    String m = host("cache", rows, "0", "  cache: 5 MiB\n").replace("    l3: {size: 12 MiB}\n",
        "    l3:\n      size: 30 MiB\n      cat: {cbmMask: \"fff\", minCbmBits: 1, closids: 8}\n") + vm("rt", "realtime", 2, "    cache: 30 MiB\n");
    Diagnostic d = single(errors(m), Code.RTC061);
    assertThat(d.hint()).isEqualTo("lower rt.cache from 30 MiB to 25 MiB");
    assertThat(vmPlan(compile(m.replace("cache: 30 MiB", "cache: 25 MiB")).plan(), "rt").resctrl().orElseThrow().caches().get(0).ways())
        .isEqualTo(10);
  }

  @Test
  void aCacheRequestOnAPartWithoutCatIsOneError() {
    List<String> rows = new ArrayList<>();
    for (int c = 0; c < 8; c++) {
      rows.add(c + ", " + c + ", 0, 0, " + c + ", 0, P");
    }
    String m = host("nocat", rows, "0", "") + vm("rt", "realtime", 2, "    cache: 4 MiB\n");
    List<Diagnostic> e = errors(m);
    assertThat(e).extracting(Diagnostic::code).containsExactly(Code.RTC043);
    assertThat(e.get(0).message()).contains("no Cache Allocation Technology");
  }

  /** Memory that does not fit is RTC065, with the most that does, tried: the VMs before it keep theirs. */
  @Test
  void aMemoryRefusalOffersTheMostThatFitsAndItFits() {
    String m = host("mem", threeClusters(), "0-3", "").replace("    l3: {size: 12 MiB}\n",
        "    numaNodes:\n      - {id: 0, memory: 4 GiB}\n    l3: {size: 12 MiB}\n")
        + vm("rt", "realtime", 2, "") + vm("st", "stressor", 2, "").replace("memory: 2 GiB", "memory: 3 GiB");
    Diagnostic d = single(errors(m), Code.RTC065);
    assertThat(d.message()).isEqualTo("st needs 3 GiB on one NUMA node, and no node with room for its CPUs has it (node 0: 2 GiB left, "
        + "after the VMs placed before it)");
    assertThat(d.hint()).startsWith("lower st.memory from 3 GiB to 2 GiB; or ");
    assertThat(vmPlan(compile(m.replace("memory: 3 GiB", "memory: 2 GiB")).plan(), "st").numaNode()).isZero();
  }

  /** A VM placed on a full node by the manifest: the hints are fewer vCPUs there, or the solver's choice; both tried. */
  @Test
  void aVmPlacedOnAFullNodeIsOfferedTheSolversChoice() {
    List<String> rows = new ArrayList<>();
    for (int c = 0; c < 16; c++) {
      rows.add(c + ", " + c + ", " + c / 8 + ", " + c / 8 + ", " + c + ", " + c / 8 + ", P");
    }
    String m = host("nodes", rows, "0,8", "") + vm("rt", "realtime", 4, "    placement: {numaNode: 0}\n")
        + vm("st", "stressor", 6, "    placement: {numaNode: 0}\n");
    Diagnostic d = single(errors(m), Code.RTC060);
    assertThat(d.hint()).isEqualTo("lower st.vcpus from 6 to 3; or leave st's placement to the solver (remove placement)");
    assertThat(vmPlan(compile(m.replace("vcpus: 6", "vcpus: 3")).plan(), "st").numaNode()).isZero();
    String solver = m.replace("    placement: {numaNode: 0}\n    workload", "    workload");
    assertThat(vmPlan(compile(solver).plan(), "st").numaNode()).isEqualTo(1);
  }

  /** When no change to the VM itself helps, the refusal names the VMs before it, not an impossible relaxation. */
  @Test
  void whenTheVmsBeforeItTakeTheRoomTheRefusalSaysSo() {
    List<String> rows = new ArrayList<>();
    for (int c = 0; c < 8; c++) {
      rows.add(c + ", " + c + ", 0, 0, " + c + ", 0, P");
    }
    String m = host("full", rows, "0", "") + vm("big", "realtime", 6, "") + vm("small", "realtime", 2, "");
    Diagnostic d = single(errors(m), Code.RTC060);
    assertThat(d.path()).isEqualTo("vms[1].vcpus");
    assertThat(d.hint()).isEqualTo("the other VMs (big) take the room it needs: make them smaller or leave one out");
  }

  // ---- 4. one-node parts: said once, and the hint can be followed ----

  @Test
  void theShippedHybridExamplePassesWarningsAsErrorsBecauseItSaysTheInterferenceIsMeant() throws IOException {
    String m = Files.readString(Path.of("examples/hybrid-client.yaml"));
    assertThat(m).contains("interference: accepted");
    assertThat(new Compiler_(m).warnings).isEmpty();
    Compiler_ unsaid = new Compiler_(m.replace("    interference: accepted\n", ""));
    assertThat(unsaid.warnings).singleElement().satisfies(w -> {
      assertThat(w.code()).isEqualTo(Code.RTC063);
      assertThat(w.message()).contains("shares this host's only L3 and memory controller with real-time VM rt")
          .contains("CAT gives the real-time VMs' L3 ways to them alone");
      assertThat(w.hint()).doesNotContain("give the host another node").contains("interference: accepted on stress");
    });
  }

  static Diagnostic single(List<Diagnostic> errors, Code code) {
    assertThat(errors).extracting(Diagnostic::code).containsExactly(code);
    return errors.get(0);
  }

  /** A compiled manifest: its plan and warnings. */
  static final class Compiler_ {
    final Plan plan;
    final List<Diagnostic> warnings;

    Compiler_(String text) {
      var v = compile(text);
      plan = v.plan();
      warnings = v.diagnostics().all().stream().filter(d -> !d.isError()).toList();
    }
  }
}
