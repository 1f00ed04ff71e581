package dev.rtc.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.rtc.Compiler;
import dev.rtc.manifest.ManifestLoader;
import dev.rtc.manifest.diagnostics.Code;
import dev.rtc.manifest.diagnostics.Diagnostic;
import dev.rtc.manifest.diagnostics.ManifestException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The general placement rules, not just the guide's host: variations of the reference manifest
 * that the solver must place differently, warn about, or refuse with the constraint named.
 */
class PlacementRulesTest {

  static final String REFERENCE = read();

  static String read() {
    try {
      return Files.readString(Path.of("examples/eci-reference.yaml"));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static Compiler.Validated compile(String text) {
    return new Compiler().validate(new ManifestLoader.Source("m.yaml", text.getBytes(StandardCharsets.UTF_8)));
  }

  static List<Diagnostic> errors(String text) {
    ManifestException e = catchThrowableOfType(ManifestException.class, () -> compile(text));
    assertThat(e).as("the manifest must be refused").isNotNull();
    return e.diagnostics().stream().filter(Diagnostic::isError).toList();
  }

  static String rtVm(String extra) {
    return REFERENCE.replace("    emulator: {cpus: 4}", "    emulator: {cpus: 4}\n" + extra);
  }

  /** Counts read as people write them: one CPU, one vCPU, not "1 CPUs". */
  @Test
  void countsOfOneAreSingular() {
    List<Diagnostic> e = errors(rtVm("    placement: {pin: \"4\"}\n"));
    assertThat(e).extracting(Diagnostic::message).anySatisfy(m -> assertThat(m).contains("1 CPU (4) for 8 vCPUs"));
    assertThat(dev.rtc.manifest.diagnostics.Words.count(1, "free isolated CPU")).isEqualTo("1 free isolated CPU");
    assertThat(dev.rtc.manifest.diagnostics.Words.count(0, "vCPU")).isEqualTo("0 vCPUs");
  }

  @Test
  void tooManyVcpusForAnyNodeNamesTheShortfall() {
    List<Diagnostic> e = errors(REFERENCE.replace("vcpus: 8                      #", "vcpus: 40                     #"));
    assertThat(e).extracting(Diagnostic::code).contains(Code.RTC060);
    Diagnostic d = e.stream().filter(x -> x.code() == Code.RTC060).findFirst().orElseThrow();
    assertThat(d.path()).isEqualTo("vms[0].vcpus");
    assertThat(d.message()).contains("debian12-rt").contains("needs 44 free isolated CPUs");
    // Tried before it is given: 26 fits; no emulator change or housekeeping rule rtc keeps frees 14 CPUs, so neither is offered.
    assertThat(d.hint()).isEqualTo("lower debian12-rt.vcpus from 40 to 26");
    assertThat(compile(REFERENCE.replace("vcpus: 8                      #", "vcpus: 26                     #")).plan().vms().get(0)
        .vcpuPins()).hasSize(26);
    assertThat(d.location().line()).isEqualTo(lineOf(REFERENCE, "vcpus: 8                      #"));
  }

  /** With SMT a real-time vCPU costs a whole core: the hint counts cores, not threads. */
  @Test
  void theRelaxationForAWholeCoreVmCountsCores() throws IOException {
    String smt = xeonSmt().replace("vcpus: 6", "vcpus: 14");
    Diagnostic d = errors(smt).stream().filter(x -> x.code() == Code.RTC060).findFirst().orElseThrow();
    assertThat(d.message()).contains("needs 30 free isolated CPUs").contains("each on a whole core with its sibling idle");
    assertThat(d.hint()).isEqualTo("lower rt.vcpus from 14 to 13; or run rt's emulator threads on housekeeping CPUs (leave out "
        + "emulator); or keep fewer housekeeping CPUs: housekeeping: \"0,1,16,32,33,48\" gives CPUs 17,49 to the VMs");
    // Every relaxation is tried before it is given: each one alone compiles.
    assertThat(compile(smt.replaceFirst("housekeeping: \"[^\"]*\"", "housekeeping: \"0,1,16,32,33,48\"")).plan().vms().get(0).vcpuPins())
        .hasSize(14);
    // The hint's first relaxation is enough.
    assertThat(compile(smt.replace("vcpus: 14", "vcpus: 13")).plan().vms().get(0).vcpuPins()).hasSize(13);
  }

  /** The SMT example with its one whole-core real-time VM and the stressor (its rt-pair VM left out). */
  static String xeonSmt() throws IOException {
    String smt = Files.readString(Path.of("examples/xeon-smt.yaml"));
    return smt.substring(0, smt.indexOf("  - name: rt-pair\n")) + smt.substring(smt.indexOf("  - name: stress\n"));
  }

  /** The example as shipped: rt-pair takes both threads of two cores. */
  @Test
  void theSmtExamplesPairVmTakesTwoWholeCores() throws IOException {
    Plan p = compile(Files.readString(Path.of("examples/xeon-smt.yaml"))).plan();
    Plan.VmPlan pair = p.vms().get(1);
    assertThat(pair.name()).isEqualTo("rt-pair");
    assertThat(pair.vcpuPins()).containsExactly(8, 40, 9, 41);
    assertThat(p.idleSiblings(pair).isEmpty()).isTrue();
  }

  static String smtPairs() throws IOException {
    return xeonSmt().replace("    emulator: {cpus: 2}\n", "    emulator: {cpus: 2}\n    siblings: pair\n");
  }

  /** siblings: pair gives the VM both threads of its cores, as vCPUs 2k and 2k+1, and the guest is told. */
  @Test
  void siblingPairsGiveAVmBothThreadsOfItsCores() throws IOException {
    Compiler.Validated v = compile(smtPairs());
    Plan.VmPlan rt = v.plan().vms().get(0);
    assertThat(rt.vcpuPins()).containsExactly(2, 34, 3, 35, 4, 36);
    assertThat(v.plan().idleSiblings(rt).isEmpty()).isTrue();
    assertThat(rt.rtVcpus().toString()).isEqualTo("2-5");
    assertThat(rt.guestCmdline().orElseThrow().toString()).contains("isolcpus=managed_irq,domain,2-5").contains("irqaffinity=0,1");
    assertThat(rt.resctrl().orElseThrow().vcpus().toString()).isEqualTo("2-5");
    String xml = dev.rtc.emit.Emitters.emit(v.plan()).get("vms/rt/domain.xml").text();
    assertThat(xml).contains("<topology sockets=\"1\" dies=\"1\" cores=\"3\" threads=\"2\"/>");
    // Explicit pins in pairs: a set of whole cores, mapped pair by pair.
    Plan.VmPlan pinned = compile(smtPairs().replace("    siblings: pair\n", "    siblings: pair\n    placement: {pin: \"5,6,37,38\"}\n")
        .replace("vcpus: 6", "vcpus: 4")).plan().vms().get(0);
    assertThat(pinned.vcpuPins()).containsExactly(5, 37, 6, 38);
  }

  @Test
  void siblingPairsAreRefusedWhereTheyCannotBe() throws IOException {
    assertThat(errors(smtPairs().replace("vcpus: 6", "vcpus: 5"))).extracting(Diagnostic::code).contains(Code.RTC041);
    assertThat(errors(smtPairs().replace("vcpus: 6", "vcpus: 2"))).extracting(Diagnostic::code).contains(Code.RTC042);
    assertThat(errors(rtVm("    siblings: pair"))).extracting(Diagnostic::message)
        .anySatisfy(m -> assertThat(m).contains("siblings: pair needs SMT"));
    List<Diagnostic> half = errors(smtPairs().replace("    siblings: pair\n", "    siblings: pair\n    placement: {pin: \"5,6,37,39\"}\n")
        .replace("vcpus: 6", "vcpus: 4"));
    assertThat(half).extracting(Diagnostic::message).anySatisfy(m -> assertThat(m).contains("CPU 6's SMT sibling 38 is not pinned to rt"));
  }

  /** emulator: shared: one pool of isolated CPUs per node, set aside once, used by every VM there that asks for it. */
  @Test
  void vmsShareTheNodesEmulatorPool() throws IOException {
    String pool = Files.readString(Path.of("src/test/resources/plan-emulator-pool.yaml"));
    Plan p = compile(pool).plan();
    assertThat(p.vms()).extracting(v -> v.emulatorCpus().toString()).containsExactly("14,15", "14,15");
    assertThat(p.vms()).extracting(v -> v.vcpuPins().toString()).containsExactly("[2, 3, 4, 5]", "[6, 7, 8, 9]");
    // The pool takes its CPUs from the node's room: 14 isolated CPUs hold the 2 pool CPUs and 12 vCPUs, not 13.
    assertThat(errors(pool.replaceFirst("    vcpus: 4\n", "    vcpus: 9\n"))).extracting(Diagnostic::code).contains(Code.RTC060);
    assertThat(compile(pool.replaceFirst("    vcpus: 4\n", "    vcpus: 8\n")).plan().vms().get(1).vcpuPins()).containsExactly(10, 11, 12, 13);
    assertThat(errors(pool.replace("  emulatorPool: 2\n", ""))).extracting(Diagnostic::code).contains(Code.RTC044);
  }

  /** RTC061's hints are tried before they are given: each one, applied alone, plans. */
  @Test
  void theCacheHintsWork() {
    String big = REFERENCE.replace("    cache: 8 MiB                  # exclusive", "    cache: 56 MiB                 # exclusive");
    Diagnostic d = errors(big).stream().filter(x -> x.code() == Code.RTC061).findFirst().orElseThrow();
    assertThat(d.hint()).isEqualTo("lower debian12-rt.cache from 56 MiB to 52 MiB; or lower host.cache from 8 MiB to 4 MiB");
    compile(big.replace("    cache: 56 MiB ", "    cache: 52 MiB "));
    compile(big.replace("  cache: 8 MiB                    # L3 kept", "  cache: 4 MiB                    # L3 kept"));
  }

  static String hybrid() throws IOException {
    return Files.readString(Path.of("examples/hybrid-client.yaml"));
  }

  /** Hybrid parts: real-time VMs on P-cores, whole cores; stressors on E-cores; one core type per VM. */
  @Test
  void hybridPartsGiveRealTimeVmsPCoresAndStressorsECores() throws IOException {
    Plan p = compile(hybrid()).plan();
    assertThat(p.vms().get(0).vcpuPins()).containsExactly(2, 4, 6, 8); // P-cores, siblings 3,5,7,9 idle
    assertThat(p.idleSiblings(p.vms().get(0)).toString()).isEqualTo("3,5,7,9");
    assertThat(p.vms().get(1).vcpuPins()).containsExactly(12, 13, 14, 15, 16, 17); // E-cores
    assertThat(p.decisions()).anySatisfy(d -> assertThat(d.what()).isEqualTo("NUMA node 0, P-cores"));
    // A real-time VM that no longer fits the P-cores goes to E-cores whole, never half and half.
    Plan big = compile(hybrid().replace("    vcpus: 4                      # vCPU 0 housekeeping, vCPUs 1-3 real-time",
        "    vcpus: 6").replace("affinity: \"2-3\"", "affinity: \"2-3\"")).plan();
    assertThat(big.vms().get(0).vcpuPins()).containsExactly(12, 13, 14, 15, 16, 17);
    assertThat(big.decisions()).anySatisfy(d -> assertThat(d.why()).contains("no P-cores left with room"));
    assertThat(errors(hybrid().replace("    cache: 6 MiB\n", "    cache: 6 MiB\n    placement: {pin: \"10,12,13,14\"}\n")))
        .extracting(Diagnostic::message).anySatisfy(m -> assertThat(m).contains("mix core types (P-core, E-core)"));
  }

  /** Sub-NUMA clustering: the node beside a real-time VM shares its L3, so a stressor goes to the other socket. */
  @Test
  void subNumaStressorsLeaveTheRealTimeVmsL3() throws IOException {
    String snc = Files.readString(Path.of("examples/xeon-snc.yaml"));
    Plan p = compile(snc).plan();
    assertThat(p.vms().get(0).numaNode()).isZero();
    assertThat(p.vms().get(1).numaNode()).isEqualTo(2);
    // Pinned to the sibling node anyway: allowed, with a warning that names the shared L3.
    Compiler.Validated v = compile(snc.replace("    workload: stress-ng\n", "    workload: stress-ng\n    placement: {numaNode: 1}\n"));
    assertThat(v.diagnostics().all()).anySatisfy(d -> {
      assertThat(d.code()).isEqualTo(Code.RTC063);
      assertThat(d.message()).contains("shares L3 instance 0 with real-time VM rt on another node (sub-NUMA clustering");
    });
  }

  @Test
  void explicitPinsOnHousekeepingCpusAreRefused() {
    List<Diagnostic> e = errors(rtVm("    placement: {pin: \"0,2,4,6,8,10,12,14\"}"));
    assertThat(e).extracting(Diagnostic::code).containsOnly(Code.RTC041);
    assertThat(e.get(0).message()).contains("0,2").contains("not isolated");
  }

  @Test
  void explicitPinsAcrossNodesAreRefused() {
    List<Diagnostic> e = errors(rtVm("    placement: {pin: \"4-11\"}"));
    assertThat(e).extracting(Diagnostic::code).contains(Code.RTC041);
    assertThat(e).anySatisfy(d -> assertThat(d.message()).contains("span NUMA nodes"));
  }

  @Test
  void explicitPinsWithTheWrongCountAreRefused() {
    List<Diagnostic> e = errors(rtVm("    placement: {pin: \"4,6,8\"}"));
    assertThat(e).extracting(Diagnostic::code).containsOnly(Code.RTC041);
    assertThat(e.get(0).message()).contains("3 CPUs").contains("8 vCPUs");
  }

  @Test
  void aStressorPinnedOntoTheRealtimeVmsCpusIsRefused() {
    String text = rtVm("    placement: {pin: \"4-18:2\"}")
        .replace("    workload: kernel-build", "    workload: kernel-build\n    placement: {pin: \"18-32:2\"}");
    List<Diagnostic> e = errors(text);
    assertThat(e).anySatisfy(d -> {
      assertThat(d.code()).isEqualTo(Code.RTC041);
      assertThat(d.message()).contains("CPU 18").contains("already given to debian12-rt");
    });
  }

  @Test
  void explicitPinsAreHonouredExactly() {
    Plan plan = compile(rtVm("    placement: {pin: \"20-34:2\"}")).plan();
    Plan.VmPlan rt = plan.vms().get(0);
    assertThat(rt.vcpuPins()).containsExactly(20, 22, 24, 26, 28, 30, 32, 34);
    assertThat(rt.emulatorCpus().toList()).doesNotContainAnyElementsOf(rt.vcpuPins());
  }

  @Test
  void aPinnedStressorSteersTheRealtimeVmToAnotherNode() {
    String text = REFERENCE.replace("    workload: kernel-build", "    workload: kernel-build\n    placement: {pin: \"4-18:2\"}");
    Compiler.Validated v = compile(text);
    assertThat(v.plan().vms().get(0).numaNode()).isEqualTo(1);
    assertThat(v.plan().vms().get(0).vcpuPins()).containsExactly(5, 7, 9, 11, 13, 15, 17, 19);
    assertThat(v.diagnostics().all()).extracting(Diagnostic::code).doesNotContain(Code.RTC063);
  }

  @Test
  void aStressorForcedOntoTheRealtimeNodeIsPlacedWithAWarning() {
    String text = REFERENCE.replace("    workload: kernel-build", "    workload: kernel-build\n    placement: {numaNode: 0}");
    Compiler.Validated v = compile(text);
    Plan.VmPlan stress = v.plan().vms().get(1);
    Plan.VmPlan rt = v.plan().vms().get(0);
    assertThat(stress.numaNode()).isZero();
    assertThat(stress.vcpuPins()).doesNotContainAnyElementsOf(rt.vcpuPins()).doesNotContainAnyElementsOf(rt.emulatorCpus().toList());
    assertThat(v.diagnostics().all()).anySatisfy(d -> {
      assertThat(d.code()).isEqualTo(Code.RTC063);
      assertThat(d.isError()).isFalse();
      assertThat(d.message()).contains("debian12-stress").contains("debian12-rt");
    });
  }

  @Test
  void aStressorWithoutANodeOfItsOwnSharesWithAWarningWhenThereIsOnlyOneNode() {
    String oneNode = REFERENCE
        .replace("      - {id: 0, cpus: \"0-62:2\"}\n      - {id: 1, cpus: \"1-63:2\"}\n    numaNodes:", "      - {id: 0, cpus: \"0-63\"}\n    numaNodes:")
        .replace("    numaNodes:\n      - {id: 0, cpus: \"0-62:2\"}\n      - {id: 1, cpus: \"1-63:2\"}", "    numaNodes:\n      - {id: 0, cpus: \"0-63\"}")
        .replace("        - {id: 0, cpus: \"0-62:2\"}\n        - {id: 1, cpus: \"1-63:2\"}", "        - {id: 0, cpus: \"0-63\"}");
    Compiler.Validated v = compile(oneNode);
    assertThat(v.plan().vms()).allSatisfy(vm -> assertThat(vm.numaNode()).isZero());
    assertThat(v.diagnostics().all()).extracting(Diagnostic::code).contains(Code.RTC063);
    assertThat(v.plan().vms().get(0).vcpuPins()).containsExactly(4, 5, 6, 7, 8, 9, 10, 11);
  }

  @Test
  void cacheThatDoesNotFitBesideTheHostIsRefusedWithTheWayCount() {
    List<Diagnostic> e = errors(REFERENCE.replace("    cache: 8 MiB                  # exclusive", "    cache: 56 MiB                 # exclusive"));
    assertThat(e).extracting(Diagnostic::code).containsOnly(Code.RTC061);
    assertThat(e.get(0).path()).isEqualTo("vms[0].cache");
    assertThat(e.get(0).message()).contains("needs 14 contiguous free ways").contains("largest free run is 13 ways");
  }

  @Test
  void cacheRoundsUpToWholeWays() {
    Plan plan = compile(REFERENCE.replace("    cache: 8 MiB                  # exclusive", "    cache: 9 MiB                  # exclusive")).plan();
    Plan.CacheAlloc alloc = plan.vms().get(0).resctrl().orElseThrow().caches().get(0);
    assertThat(alloc.ways()).isEqualTo(3);
    assertThat(alloc.size().exact()).isEqualTo("12 MiB");
    assertThat(alloc.mask().hex(15)).isEqualTo("001c");
  }

  @Test
  void whenFirstFitLeavesAVmWithoutRoomTheSearchFindsAnAssignmentThatFits() {
    // First fit puts the 26-vCPU real-time VM (+4 emulator CPUs) on node 0, which fills it; the
    // stressor, pinned to node 0, then has no room. Moving the real-time VM to node 1 fits both.
    String text = REFERENCE.replace("vcpus: 8                      #", "vcpus: 26                     #")
        .replace("    workload: kernel-build", "    workload: kernel-build\n    placement: {numaNode: 0}");
    Compiler.Validated v = compile(text);
    Plan.VmPlan rt = v.plan().vms().get(0);
    Plan.VmPlan stress = v.plan().vms().get(1);
    assertThat(rt.numaNode()).isEqualTo(1);
    assertThat(stress.numaNode()).isZero();
    assertThat(v.plan().decisions()).anySatisfy(d -> {
      assertThat(d.subject()).isEqualTo("debian12-rt");
      assertThat(d.what()).isEqualTo("NUMA node 1");
      assertThat(d.why()).startsWith("found by search");
    });
    assertThat(v.diagnostics().all()).isEmpty();
  }

  @Test
  void aDeploymentThatNoAssignmentFitsIsStillRefusedWithFirstFitsReason() {
    // 24 + 20 + 20 CPUs on two nodes of 30 free: two VMs must share a node, and no two fit.
    String stressor = REFERENCE.substring(REFERENCE.indexOf("  - name: debian12-stress"), REFERENCE.indexOf("benchmark:"));
    String text = REFERENCE.replace("vcpus: 8                      #", "vcpus: 20                     #")
        .replace("    vcpus: 8\n    memory: 8 GiB\n    workload", "    vcpus: 20\n    memory: 8 GiB\n    workload")
        .replace("benchmark:", stressor.replace("debian12-stress", "debian12-stress2").replace("vcpus: 8", "vcpus: 20") + "benchmark:");
    List<Diagnostic> e = errors(text);
    assertThat(e).extracting(Diagnostic::code).containsOnly(Code.RTC060);
    assertThat(e.get(0).message()).contains("debian12-stress2 needs 20 free isolated CPUs on one NUMA node")
        .contains("node 0: 6").contains("node 1: 10");
  }

  @Test
  void hugepagesAreReservedAtBootPerNodeAndBackTheDomain() {
    // The real-time VM on node 0 in 1 GiB pages, the stressor on node 1 in 2 MiB pages.
    String text = rtVm("    hugepages: 1G").replace("    workload: kernel-build", "    workload: kernel-build\n    hugepages: 2M");
    Plan plan = compile(text).plan();
    assertThat(plan.host().cmdline().strings()).endsWith("default_hugepagesz=1G", "hugepagesz=2M", "hugepages=1:4096",
        "hugepagesz=1G", "hugepages=0:8");
    String xml = dev.rtc.emit.Emitters.emit(plan).get("vms/debian12-rt/domain.xml").text();
    assertThat(xml).contains("<hugepages>\n            <page size=\"1\" unit=\"GiB\"/>\n        </hugepages>\n        <nosharepages/>");
    String stress = dev.rtc.emit.Emitters.emit(plan).get("vms/debian12-stress/domain.xml").text();
    assertThat(stress).contains("<page size=\"2\" unit=\"MiB\"/>").doesNotContain("<locked/>");
    assertThat(plan.decisions()).anySatisfy(d -> assertThat(d.what()).isEqualTo("8 hugepages of 1 GiB on NUMA node 0"));
  }

  static String shareable(String hostCache, String cacheAt) {
    return REFERENCE.replace("cat: {cbmMask: \"7fff\", minCbmBits: 1, closids: 16}", "cat: {cbmMask: \"7fff\", minCbmBits: 1, closids: 16, shareableBits: \"6000\"}")
        .replace("  cache: 8 MiB                    #", "  cache: " + hostCache + (cacheAt == null ? "" : "\n  cacheAt: " + cacheAt) + "  #");
  }

  @Test
  void aRealTimeVmOnWaysSharedWithIoIsWarnedAbout() {
    Compiler.Validated v = compile(shareable("48 MiB", null));
    Plan.CacheAlloc a = v.plan().vms().get(0).resctrl().orElseThrow().caches().get(0);
    assertThat(a.mask().hex(15)).isEqualTo("3000");
    assertThat(v.diagnostics().all()).singleElement().satisfies(d -> {
      assertThat(d.code()).isEqualTo(Code.RTC066);
      assertThat(d.isError()).isFalse();
      assertThat(d.message()).contains("ways 12-13").contains("shareable_bits 6000");
    });
  }

  /** libvirt's rule lands on the I/O ways (9-10 here); when rtc makes the groups it takes clean ways above them instead. */
  @Test
  void rtcOwnedGroupsKeepRealTimeWaysOffIoWays() {
    String io = REFERENCE.replace("cat: {cbmMask: \"7fff\", minCbmBits: 1, closids: 16}",
        "cat: {cbmMask: \"7fff\", minCbmBits: 1, closids: 16, shareableBits: \"0600\"}")
        .replace("  cache: 8 MiB                    #", "  cache: 36 MiB  #");
    Compiler.Validated libvirt = compile(io);
    assertThat(libvirt.plan().vms().get(0).resctrl().orElseThrow().caches().get(0).mask().hex(15)).isEqualTo("0600");
    assertThat(libvirt.diagnostics().all()).extracting(Diagnostic::code).containsExactly(Code.RTC066);
    Compiler.Validated owned = compile(io.replace("  cache: 36 MiB  #", "  cacheOwner: resctrl\n  cache: 36 MiB  #"));
    assertThat(owned.plan().vms().get(0).resctrl().orElseThrow().caches().get(0).mask().hex(15)).isEqualTo("1800");
    assertThat(owned.diagnostics().all()).isEmpty();
    assertThat(owned.plan().decisions()).anySatisfy(d -> assertThat(d.why()).endsWith("among the ways not shared with I/O"));
  }

  @Test
  void cacheAtShareablePutsTheHostOverTheIoWaysAndTheVmBelow() {
    Compiler.Validated wide = compile(shareable("48 MiB", "shareable"));
    assertThat(wide.plan().cache().orElseThrow().schemataLine()).isEqualTo("L3:0=7ff8;1=7ff8");
    assertThat(wide.plan().vms().get(0).resctrl().orElseThrow().caches().get(0).mask().hex(15)).isEqualTo("0003");
    assertThat(wide.diagnostics().all()).isEmpty();

    Compiler.Validated small = compile(shareable("4 MiB", "shareable"));
    assertThat(small.plan().cache().orElseThrow().schemataLine()).isEqualTo("L3:0=6000;1=6000");
    assertThat(small.plan().decisions()).anySatisfy(d -> assertThat(d.why())
        .contains("over the ways shared with I/O (shareable_bits 6000), widened from 1 to 2 ways to cover them"));
    assertThat(small.plan().vms().get(0).resctrl().orElseThrow().caches().get(0).mask().hex(15)).isEqualTo("0003");
  }

  @Test
  void realtimeVmsWithCacheGoToAnL3ThatStillHasTheirWays() {
    // Three real-time VMs of 4 vCPUs and 24 MiB (6 ways) each: CPU-wise all fit node 0, but its L3
    // keeps 2 ways for the host and has 13 for VMs, so the third goes to node 1's L3.
    String rt = REFERENCE.substring(REFERENCE.indexOf("  - name: debian12-rt"), REFERENCE.indexOf("  - name: debian12-stress"))
        .replace("vcpus: 8 ", "vcpus: 4 ").replace("    emulator: {cpus: 4}           # 4 dedicated isolated CPUs for QEMU's emulator threads\n", "")
        .replace("cache: 8 MiB ", "cache: 24 MiB");
    String text = REFERENCE.replace("  - name: debian12-stress", rt.replace("debian12-rt", "rt-b") + rt.replace("debian12-rt", "rt-c")
        + "  - name: debian12-stress").replace("    cache: 8 MiB                  # exclusive", "    cache: 24 MiB                 # exclusive");
    Plan plan = compile(text).plan();
    Map<String, Integer> nodes = new java.util.TreeMap<>();
    plan.vms().forEach(v -> nodes.put(v.name(), v.numaNode()));
    assertThat(nodes).containsEntry("debian12-rt", 0).containsEntry("rt-b", 0).containsEntry("rt-c", 1);
    assertThat(plan.decisions()).anySatisfy(d -> {
      assertThat(d.subject()).isEqualTo("rt-c");
      assertThat(d.why()).contains("whose L3 instance still has the 6 ways it asks for");
    });
  }

  @Test
  void cacheIdsWithGapsKeepTheirIds() {
    String text = REFERENCE.replace("        - {id: 1, cpus: \"1-63:2\"}\n      cat:", "        - {id: 4, cpus: \"1-63:2\"}\n      cat:");
    Plan plan = compile(text).plan();
    assertThat(plan.cache().orElseThrow().schemataLine()).isEqualTo("L3:0=0003;4=0003");
    assertThat(plan.vms().get(0).resctrl().orElseThrow().caches()).extracting(Plan.CacheAlloc::cacheId).containsExactly(0);
    assertThat(dev.rtc.emit.Emitters.emit(plan).get("runbook.sh").text()).contains("[debian12-rt]='L3:0=000c;4=0003'");
  }

  @Test
  void waysThatAreNotWholeMibRoundUpAndSayBy() {
    // An 11-way, 27.5 MiB L3 (as on some Xeon D parts): 2.5 MiB per way; 8 MiB asked takes 4 ways = 10 MiB.
    String text = REFERENCE.replace("      size: 60 MiB ", "      size: 27.5 MiB")
        .replace("cat: {cbmMask: \"7fff\", minCbmBits: 1, closids: 16}", "cat: {cbmMask: \"7ff\", minCbmBits: 2, closids: 16}");
    Plan plan = compile(text).plan();
    assertThat(plan.cache().orElseThrow().wayBytes().exact()).isEqualTo("2560 KiB");
    Plan.CacheAlloc a = plan.vms().get(0).resctrl().orElseThrow().caches().get(0);
    assertThat(a.ways()).isEqualTo(4);
    assertThat(a.size().exact()).isEqualTo("10 MiB");
    assertThat(plan.cache().orElseThrow().schemataLine()).isEqualTo("L3:0=00f;1=00f"); // the host's 8 MiB: 4 ways too
    assertThat(a.mask().hex(11)).isEqualTo("0f0");
    assertThat(plan.decisions()).anySatisfy(d -> assertThat(d.why()).startsWith("8 MiB asked, rounded up to 4 whole ways = 10 MiB; libvirt"));
  }

  @Test
  void withSmtARealTimeVcpuGetsAWholeCoreAndNothingRunsOnItsSibling() throws java.io.IOException {
    Plan plan = compile(xeonSmt()).plan();
    Plan.VmPlan rt = plan.vms().get(0);
    assertThat(rt.vcpuPins()).containsExactly(2, 3, 4, 5, 6, 7);
    assertThat(plan.idleSiblings(rt).toString()).isEqualTo("34-39");
    java.util.Set<Integer> used = new java.util.HashSet<>();
    for (Plan.VmPlan v : plan.vms()) {
      used.addAll(v.vcpuPins());
      used.addAll(v.emulatorCpus().toList());
    }
    assertThat(used).doesNotContainAnyElementsOf(plan.idleSiblings(rt).toList());
    assertThat(plan.decisions()).anySatisfy(d -> assertThat(d.what()).isEqualTo("vCPUs 0-5 → CPUs 2-7; their SMT siblings 34-39 stay idle"));
    assertThat(plan.host().isolated().containsAll(plan.idleSiblings(rt))).isTrue();
  }

  @Test
  void withSmtPinsAreTakenWithTheirSiblingsAndASiblingTakenElsewhereIsRefused() throws java.io.IOException {
    String smt = xeonSmt();
    Plan plan = compile(smt.replace("    emulator: {cpus: 2}\n", "    emulator: {cpus: 2}\n    placement: {pin: \"8-13\"}\n")).plan();
    assertThat(plan.idleSiblings(plan.vms().get(0)).toString()).isEqualTo("40-45");
    List<Diagnostic> e = errors(smt.replace("    emulator: {cpus: 2}\n", "    emulator: {pin: \"40\"}\n    placement: {pin: \"8-13\"}\n"));
    assertThat(e).extracting(Diagnostic::code).contains(Code.RTC041);
    assertThat(e).anySatisfy(d -> assertThat(d.message()).contains("CPU 40 for rt's emulator threads is already given to rt idle siblings"));
  }

  @Test
  void withSmtEmulatorThreadsTakeBrokenCoresBeforeWholeOnes() throws java.io.IOException {
    // rt's one emulator thread takes 47 and so breaks core 15/47. rt2 (2 vCPUs, 2 emulator threads)
    // then takes 15, the rest of that core, and one more thread, instead of the top two (46, 45),
    // which would break two more whole cores.
    String smt = xeonSmt();
    String rt2 = smt.substring(smt.indexOf("  - name: rt\n"), smt.indexOf("  - name: stress")).replace("name: rt\n", "name: rt2\n")
        .replace("    cache: 6 MiB\n", "").replace("    vcpus: 6\n", "    vcpus: 2\n").replace("emulator: {cpus: 2}", "emulator: {cpus: 3}");
    Plan plan = compile(smt.replace("  - name: stress", rt2 + "  - name: stress").replace("emulator: {cpus: 2}", "emulator: {cpus: 1}")
        .replace("emulator: {cpus: 3}", "emulator: {cpus: 2}")).plan();
    assertThat(plan.vms().get(0).emulatorCpus().toString()).isEqualTo("47");
    assertThat(plan.vms().get(1).emulatorCpus().toString()).isEqualTo("15,46");
  }

  static int lineOf(String text, String needle) {
    return text.substring(0, text.indexOf(needle)).split("\n", -1).length;
  }
}
