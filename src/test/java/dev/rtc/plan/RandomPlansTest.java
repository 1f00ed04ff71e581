package dev.rtc.plan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.Compiler;
import dev.rtc.manifest.ManifestLoader;
import dev.rtc.manifest.diagnostics.Code;
import dev.rtc.manifest.diagnostics.Diagnostic;
import dev.rtc.manifest.diagnostics.ManifestException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seeded random hosts and deployments, each compiled and then judged by an independent checker:
 * written from the kernel's and libvirt's rules against the generator's own description of the
 * host (not the manifest model), sharing no code with the solver. Every plan rtc makes must pass;
 * every refusal must be a capacity diagnostic, never a crash, and a brute-force oracle over the
 * VMs' places (NUMA node and core type, the core type of dedicated emulator CPUs and of each node's
 * shared emulator pool; CPU room, memory, then libvirt's cache placement in start order) must agree
 * that no plan exists; and what is planned, the oracle must call feasible. Stressors keep off the
 * real-time VMs' L2 clusters while a free one exists, and say so when none does.
 * {@code -Drandom.plans=N} (10,000 for the sweep in the notes).
 */
class RandomPlansTest {

  static final int CASES = Integer.getInteger("random.plans", 400);
  /** The first case's seed: a sweep of N cases from seed S covers seeds S to S+N-1 ({@code -Drandom.seed=S}). */
  static final long FIRST = Long.getLong("random.seed", 0);
  static final String HASH = "\"$6$banana123$wQ1IqKwmt6fbNfzB31o0JC1PTG/TdbxTMkB5gx0RyzujPINAifkV1shcE7HW7d.jnVTs5QyuFZBid8NmYf2oq.\"";

  /**
   * What the generator built: the ground truth the checker judges by.
   *
   * @param siblingOffset with SMT, CPU c and c + offset share a core; 0 without SMT (or on a hybrid part)
   * @param nodeGiB memory per NUMA node in GiB, as numaNodes[].memory says; 0 when the manifest leaves it out
   * @param pThreads a hybrid part: CPUs below this are P-core threads (2k and 2k+1 share a core), the rest E-cores; 0 otherwise
   * @param table the manifest gives the topology as the per-CPU table rather than the compact sets
   * @param emulatorPool host.emulatorPool: the isolated CPUs per node of its shared emulator pool; 0 for none
   * @param l2Cluster CPUs per L2 instance of the cores without SMT (an Atom module, an E-core cluster), consecutive in
   *     each node's (or the E-cores') CPU order; 0 when the manifest gives no L2
   */
  record Host(List<List<Integer>> nodeCpus, List<Integer> nodeSocket, int sockets, Set<Integer> housekeeping, long wayBytes, int ways,
      int minBits, int closids, long hostCacheBytes, int siblingOffset, int nodeGiB, int pThreads, boolean table, int emulatorPool,
      int l2Cluster) {
    boolean hybrid() {
      return pThreads > 0;
    }

    boolean smt() {
      return siblingOffset > 0 || hybrid();
    }

    boolean isP(int cpu) {
      return !hybrid() || cpu < pThreads;
    }

    /**
     * What one way holds for a VM: the way, or under sub-NUMA clustering (several nodes on one
     * socket's L3) its 1/n share, since the kernel divides the effective L3 by the nodes per L3.
     */
    long unit() {
      return wayBytes / (nodeCpus.size() / sockets);
    }

    int sibling(int cpu) {
      if (hybrid()) {
        return cpu < pThreads ? cpu ^ 1 : cpu;
      }
      return siblingOffset == 0 ? cpu : cpu < siblingOffset ? cpu + siblingOffset : cpu - siblingOffset;
    }

    Set<Integer> cpusOfSocket(int s) {
      Set<Integer> out = new HashSet<>();
      for (int n = 0; n < nodeCpus.size(); n++) {
        if (nodeSocket.get(n) == s) {
          out.addAll(nodeCpus.get(n));
        }
      }
      return out;
    }

    /** Where a VM's CPUs come from: its node, or on a hybrid part (one node) 0 for P-cores and 1 for E-cores. */
    int slotOf(int cpu) {
      return hybrid() ? (isP(cpu) ? 0 : 1) : nodeOf(cpu);
    }

    /** The L2 instances: lists of CPUs; P-cores with SMT have one per core. Empty when the manifest gives none. */
    List<List<Integer>> l2() {
      List<List<Integer>> out = new ArrayList<>();
      if (l2Cluster == 0) {
        return out;
      }
      for (List<Integer> node : nodeCpus) {
        List<Integer> cpus = node.stream().sorted().toList();
        List<Integer> clustered = cpus.stream().filter(c -> !hybrid() || !isP(c)).toList();
        cpus.stream().filter(c -> hybrid() && isP(c) && c < sibling(c)).forEach(c -> out.add(List.of(c, sibling(c))));
        for (int i = 0; i < clustered.size(); i += l2Cluster) {
          out.add(clustered.subList(i, Math.min(clustered.size(), i + l2Cluster)));
        }
      }
      return out;
    }

    int nodeOf(int cpu) {
      for (int n = 0; n < nodeCpus.size(); n++) {
        if (nodeCpus.get(n).contains(cpu)) {
          return n;
        }
      }
      return -1;
    }
  }

  /** @param pairs siblings: pair: both threads of each core, vCPUs 2k and 2k+1 */
  /** @param pins explicit vCPU pins (placement.pin), in vCPU order; empty when the solver places the VM */
  /** @param sharedEmulator emulator: shared, on the node's pool of host.emulatorPool CPUs */
  /** @param deviceNode the NUMA node of a NIC the VM is given whole (vms[].devices), or -1 */
  record VmSpec(String name, boolean realtime, int vcpus, int emulatorCpus, long cacheBytes, boolean pairs, int memoryGiB,
      List<Integer> pins, boolean sharedEmulator, int deviceNode) {

    VmSpec withDevice(int node) {
      return new VmSpec(name, realtime, vcpus, emulatorCpus, cacheBytes, pairs, memoryGiB, pins, sharedEmulator, node);
    }
  }

  record Case(long seed, Host host, List<VmSpec> vms, String yaml) {
    @Override
    public String toString() {
      return "seed " + seed;
    }
  }

  static Stream<Case> cases() {
    return LongStream_range(CASES).map(i -> FIRST + i).mapToObj(RandomPlansTest::generate);
  }

  private static java.util.stream.LongStream LongStream_range(int n) {
    return java.util.stream.LongStream.range(0, n);
  }

  static Case generate(long seed) {
    Random r = new Random(seed * 7919 + 17);
    if (seed % 5 == 4) {
      return hybrid(seed, r);
    }
    int sockets = 1 + r.nextInt(2);
    int nodesPerSocket = 1 + r.nextInt(2);
    int cpusPerNode = 4 + r.nextInt(13);
    boolean interleaved = sockets == 2 && nodesPerSocket == 1 && r.nextBoolean(); // even/odd numbering, as the guide's host
    int nodes = sockets * nodesPerSocket;
    List<List<Integer>> nodeCpus = new ArrayList<>();
    List<Integer> nodeSocket = new ArrayList<>();
    for (int n = 0; n < nodes; n++) {
      List<Integer> cpus = new ArrayList<>();
      for (int i = 0; i < cpusPerNode; i++) {
        cpus.add(interleaved ? i * nodes + n : n * cpusPerNode + i);
      }
      nodeCpus.add(cpus);
      nodeSocket.add(n / nodesPerSocket);
    }
    // A third of the hosts have SMT: every CPU above gets a sibling at +offset, on its node.
    int offset = seed % 3 == 0 ? nodes * cpusPerNode : 0;
    if (offset > 0) {
      for (List<Integer> cpus : nodeCpus) {
        List<Integer> threads = new ArrayList<>(cpus);
        cpus.forEach(c -> threads.add(c + offset));
        cpus.clear();
        cpus.addAll(threads);
      }
    }
    Set<Integer> hk = new HashSet<>(List.of(0));
    for (int n = 0; n < nodes; n++) {
      if (r.nextInt(3) > 0) {
        hk.add(nodeCpus.get(n).get(0));
      }
      if (r.nextInt(4) == 0) {
        hk.add(nodeCpus.get(n).get(1));
      }
    }
    if (offset > 0) {
      new ArrayList<>(hk).forEach(c -> hk.add(c + offset)); // siblings kept together
    }
    int ways = 8 + r.nextInt(13);
    long wayBytes = (1 + r.nextInt(8)) * 512L * 1024;
    int minBits = 1 + r.nextInt(2);
    int closids = 2 + r.nextInt(15);
    long hostCache = (1 + r.nextInt(4)) * wayBytes - (r.nextBoolean() ? 1024 : 0);
    int nodeGiB = r.nextBoolean() ? 0 : 4 + r.nextInt(13); // half the hosts state node memory, and then it binds
    int l2 = offset == 0 && r.nextInt(3) == 0 ? 2 + 2 * r.nextInt(2) : 0; // Atom-like modules of 2 or 4 cores sharing an L2
    Host host = new Host(nodeCpus, nodeSocket, sockets, hk, wayBytes, ways, minBits, closids, hostCache, offset, nodeGiB, 0,
        seed % 4 == 2 && l2 == 0, r.nextInt(4) == 0 ? 1 + r.nextInt(2) : 0, l2);
    List<VmSpec> vms = devices(seed, host, vms(r, host));
    return new Case(seed, host, vms, yaml(host, vms));
  }

  /**
   * A hybrid client part: one socket and node, 2-6 P-cores with SMT (threads 2k, 2k+1), 2-8 E-cores,
   * one L3 over all; the host keeps P-core 0 and sometimes P-core 1.
   */
  static Case hybrid(long seed, Random r) {
    int pThreads = 2 * (2 + r.nextInt(5));
    int eCores = 2 + r.nextInt(7);
    List<Integer> cpus = new ArrayList<>();
    for (int c = 0; c < pThreads + eCores; c++) {
      cpus.add(c);
    }
    Set<Integer> hk = new HashSet<>(List.of(0, 1));
    if (r.nextInt(3) == 0) {
      hk.addAll(List.of(2, 3));
    }
    int ways = 8 + r.nextInt(13);
    long wayBytes = (1 + r.nextInt(8)) * 512L * 1024;
    int l2 = r.nextBoolean() ? 4 : 0; // E-cores in clusters of 4 sharing an L2, as Intel's hybrid parts
    Host host = new Host(List.of(cpus), List.of(0), 1, hk, wayBytes, ways, 1 + r.nextInt(2), 2 + r.nextInt(15),
        (1 + r.nextInt(4)) * wayBytes - (r.nextBoolean() ? 1024 : 0), 0, r.nextBoolean() ? 0 : 4 + r.nextInt(13), pThreads,
        r.nextBoolean() && l2 == 0, r.nextInt(3) == 0 ? 1 + r.nextInt(2) : 0, l2);
    List<VmSpec> vms = vms(r, host);
    return new Case(seed, host, vms, yaml(host, vms));
  }

  static List<VmSpec> vms(Random r, Host host) {
    int offset = host.smt() ? 1 : 0;
    long wayBytes = host.wayBytes();
    List<VmSpec> vms = new ArrayList<>();
    Set<Integer> pinned = new HashSet<>();
    int rt = 1 + r.nextInt(3);
    int st = r.nextInt(3);
    for (int i = 0; i < rt + st; i++) {
      boolean realtime = i < rt;
      boolean pairs = realtime && offset > 0 && r.nextInt(3) == 0;
      int vcpus = pairs ? 4 + 2 * r.nextInt(3) : 2 + r.nextInt(realtime ? 6 : 8);
      int emu = realtime && r.nextBoolean() ? 1 + r.nextInt(2) : 0;
      boolean shared = emu > 0 && host.emulatorPool() > 0 && r.nextBoolean();
      long cache = realtime && r.nextInt(3) > 0 ? (1 + r.nextInt(5)) * wayBytes - (r.nextBoolean() ? 2048 : 0) : 0;
      List<Integer> pins = !pairs && r.nextInt(5) == 0 ? pins(r, host, realtime, vcpus, pinned) : List.of();
      vms.add(new VmSpec((realtime ? "rt" : "st") + i, realtime, vcpus, shared ? 0 : emu, cache, pairs, 1 + r.nextInt(8), pins, shared, -1));
    }
    return vms;
  }

  /**
   * On hosts of several nodes, a third of the real-time VMs the solver places get a NIC of a random
   * node (host.devices, vms[].devices), which fixes their node. Drawn from a Random of its own, so
   * the rest of each case is what it was before devices.
   */
  static List<VmSpec> devices(long seed, Host host, List<VmSpec> vms) {
    if (host.nodeCpus().size() < 2) {
      return vms;
    }
    Random r = new Random(seed * 104729 + 3);
    return vms.stream().map(v -> v.realtime() && v.pins().isEmpty() && r.nextInt(3) == 0 ? v.withDevice(r.nextInt(host.nodeCpus().size()))
        : v).toList();
  }

  /**
   * Valid explicit pins on one random node, clear of earlier pins: isolated CPUs, and with SMT a
   * real-time VM's on whole cores whose other thread is left free (and marked taken here). Empty
   * when the node has too few.
   */
  static List<Integer> pins(Random r, Host h, boolean realtime, int vcpus, Set<Integer> pinned) {
    int node = r.nextInt(h.nodeCpus().size());
    boolean pCores = r.nextBoolean(); // on a hybrid part: one core type
    List<Integer> candidates = new ArrayList<>();
    for (int c : h.nodeCpus().get(node)) {
      boolean free = !h.housekeeping().contains(c) && !pinned.contains(c) && (!h.hybrid() || h.isP(c) == pCores);
      boolean smtCore = h.smt() && h.sibling(c) != c;
      boolean wholeCore = !realtime || !smtCore || (c < h.sibling(c) && !pinned.contains(h.sibling(c)) && !h.housekeeping().contains(h.sibling(c)));
      if (free && wholeCore) {
        candidates.add(c);
      }
    }
    if (candidates.size() < vcpus) {
      return List.of();
    }
    java.util.Collections.shuffle(candidates, r);
    List<Integer> pins = candidates.subList(0, vcpus).stream().sorted().toList();
    pinned.addAll(pins);
    if (realtime && h.smt()) {
      pins.forEach(c -> pinned.add(h.sibling(c)));
    }
    return pins;
  }

  static String cpulist(java.util.Collection<Integer> cpus) {
    return cpus.stream().sorted().map(String::valueOf).collect(Collectors.joining(","));
  }

  static String yaml(Host h, List<VmSpec> vms) {
    StringBuilder y = new StringBuilder("apiVersion: rtc/v1\nname: random\nhost:\n  os: debian12\n  topology:\n");
    if (h.table()) {
      // The per-CPU table: [cpu, core, socket, node, l2, l3, type]; threads of one core share socket and core.
      if (h.nodeGiB() > 0) {
        y.append("    numaNodes:\n");
        for (int n = 0; n < h.nodeCpus().size(); n++) {
          y.append("      - {id: ").append(n).append(", memory: ").append(h.nodeGiB()).append(" GiB}\n");
        }
      }
      y.append("    cpus:\n");
      h.nodeCpus().stream().flatMap(List::stream).sorted().forEach(c -> {
        int node = h.nodeOf(c);
        int socket = h.nodeSocket().get(node);
        int core = h.hybrid() ? (c < h.pThreads() ? c / 2 : 100 + c) : Math.min(c, h.sibling(c));
        y.append("      - [").append(c).append(", ").append(core).append(", ").append(socket).append(", ").append(node)
            .append(", null, ").append(socket).append(", ").append(h.isP(c) ? "P" : "E").append("]\n");
      });
      y.append("    l3:\n      size: ").append(h.wayBytes() * h.ways() / 1024).append(" KiB\n");
    } else {
      y.append("    threadsPerCore: ").append(h.smt() ? "2\n    siblings: " + (h.hybrid() ? "adjacent" : "{offset: " + h.siblingOffset() + "}")
          : "1").append("\n    sockets:\n");
      for (int s = 0; s < h.sockets(); s++) {
        y.append("      - {id: ").append(s).append(", cpus: \"").append(cpulist(h.cpusOfSocket(s))).append("\"}\n");
      }
      if (h.hybrid()) {
        int all = h.nodeCpus().get(0).size();
        y.append("    coreTypes:\n      - {type: P, cpus: \"0-").append(h.pThreads() - 1).append("\"}\n      - {type: E, cpus: \"")
            .append(h.pThreads()).append("-").append(all - 1).append("\"}\n");
      }
      y.append("    numaNodes:\n");
      for (int n = 0; n < h.nodeCpus().size(); n++) {
        y.append("      - {id: ").append(n).append(", cpus: \"").append(cpulist(h.nodeCpus().get(n))).append("\"")
            .append(h.nodeGiB() > 0 ? ", memory: " + h.nodeGiB() + " GiB" : "").append("}\n");
      }
      if (h.l2Cluster() > 0) {
        y.append("    l2:\n      size: 2 MiB\n      instances:\n");
        List<List<Integer>> l2 = h.l2();
        for (int i = 0; i < l2.size(); i++) {
          y.append("        - {id: ").append(i).append(", cpus: \"").append(cpulist(l2.get(i))).append("\"}\n");
        }
      }
      y.append("    l3:\n      size: ").append(h.wayBytes() * h.ways() / 1024).append(" KiB\n      instances:\n");
      for (int s = 0; s < h.sockets(); s++) {
        y.append("        - {id: ").append(s).append(", cpus: \"").append(cpulist(h.cpusOfSocket(s))).append("\"}\n");
      }
    }
    y.append("      cat: {cbmMask: \"").append(Integer.toHexString((1 << h.ways()) - 1)).append("\", minCbmBits: ").append(h.minBits())
        .append(", closids: ").append(h.closids()).append("}\n");
    y.append("  housekeeping: \"").append(cpulist(h.housekeeping())).append("\"\n");
    if (balanced(h)) {
      y.append("  power: balanced\n");
    }
    if (h.emulatorPool() > 0) {
      y.append("  emulatorPool: ").append(h.emulatorPool()).append("\n");
    }
    y.append("  cache: ").append(h.hostCacheBytes() / 1024).append(" KiB\n");
    if (vms.stream().anyMatch(v -> v.deviceNode() >= 0)) {
      y.append("  devices:\n");
      for (int i = 0; i < vms.size(); i++) {
        if (vms.get(i).deviceNode() >= 0) {
          y.append("    - {address: \"").append(nic(i)).append("\", id: \"8086:125b\", node: ").append(vms.get(i).deviceNode())
              .append(", iommuGroup: ").append(100 + i).append("}\n");
        }
      }
    }
    y.append("vms:\n");
    for (int i = 0; i < vms.size(); i++) {
      VmSpec v = vms.get(i);
      y.append("  - name: ").append(v.name()).append("\n    role: ").append(v.realtime() ? "realtime" : "stressor")
          .append("\n    vcpus: ").append(v.vcpus()).append("\n    memory: ").append(v.memoryGiB()).append(" GiB\n");
      if (v.emulatorCpus() > 0) {
        y.append("    emulator: {cpus: ").append(v.emulatorCpus()).append("}\n");
      }
      if (v.sharedEmulator()) {
        y.append("    emulator: shared\n");
      }
      if (v.pairs()) {
        y.append("    siblings: pair\n");
      }
      if (!v.pins().isEmpty()) {
        y.append("    placement: {pin: \"").append(cpulist(v.pins())).append("\"}\n");
      }
      if (v.cacheBytes() > 0) {
        y.append("    cache: ").append(v.cacheBytes() / 1024).append(" KiB\n");
      }
      if (v.deviceNode() >= 0) {
        y.append("    devices:\n      - {pci: \"").append(nic(i)).append("\"}\n");
      }
      if (!v.realtime()) {
        y.append("    workload: stress-ng\n");
      }
      y.append("    disk: {baseImage: base.qcow2, size: 10 GiB}\n    guest: {user: rt, passwordHash: ").append(HASH).append("}\n");
    }
    return y.toString();
  }

  static final Set<Code> REFUSALS = EnumSet.of(Code.RTC060, Code.RTC061, Code.RTC062, Code.RTC064, Code.RTC065);
  static int planned;
  static int refused;
  static int confirmed;
  static int withNics;

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void everyPlanPassesTheIndependentChecker(Case c) {
    if (c.vms().stream().anyMatch(v -> v.deviceNode() >= 0)) {
      withNics++;
    }
    Plan plan;
    List<Diagnostic> warnings;
    try {
      Compiler.Validated v = new Compiler().validate(new ManifestLoader.Source("random.yaml", c.yaml().getBytes(StandardCharsets.UTF_8)));
      plan = v.plan();
      warnings = v.diagnostics().all().stream().filter(d -> !d.isError()).toList();
    } catch (ManifestException e) {
      // Refused: only because the host cannot hold the deployment, and said so.
      assertThat(e.diagnostics()).as("%s%n%s", c, c.yaml()).filteredOn(Diagnostic::isError)
          .allSatisfy(d -> assertThat(REFUSALS).as(d.render()).contains(d.code()));
      refused++;
      // The brute-force oracle: a refusal is right only when no assignment of nodes fits.
      assertThat(feasible(c.host(), c.vms())).as("%s refused, but a plan exists:%n%s%n%s", c,
          e.diagnostics().stream().filter(Diagnostic::isError).map(Diagnostic::render).toList(), c.yaml()).isFalse();
      confirmed++;
      return;
    }
    List<String> problems = new ArrayList<>(check(c.host(), c.vms(), plan));
    problems.addAll(l2(c.host(), c.vms(), plan, warnings));
    assertThat(problems).as("%s%n%s", c, c.yaml()).isEmpty();
    // And the oracle is not stricter than the rules: what the solver planned, it must call feasible.
    assertThat(feasible(c.host(), c.vms())).as("%s planned, but the oracle calls it infeasible%n%s", c, c.yaml()).isTrue();
    planned++;
  }

  @org.junit.jupiter.api.AfterAll
  static void say() {
    System.out.printf("random plans: %d checked (a fifth hybrid P/E parts, some of the rest SMT Xeons, a third with L2 clusters, a quarter "
        + "with a shared emulator pool; explicit pins, dedicated emulator CPUs, node memory; %d with NICs that fix a real-time VM's node), "
        + "%d planned and passed the checker, %d refused, %d of them confirmed infeasible by brute force%n", planned + refused, withNics,
        planned, refused, confirmed);
  }

  /** The address of VM i's NIC. */
  static String nic(int i) {
    return String.format(java.util.Locale.ROOT, "0000:%02x:00.0", 0x10 + i);
  }

  /** Half the hosts (those with an even number of cache ways) say host.power: balanced. */
  static boolean balanced(Host h) {
    return h.ways() % 2 == 0;
  }

  /**
   * host.power: balanced holds exactly the CPUs the real-time VMs' vCPUs and own emulator threads run
   * on (isolated ones), frees every other, and leaves the command line's C-state and P-state limits
   * out; lowest-latency holds every CPU, by the command line.
   */
  static List<String> power(Host h, Plan plan, Set<Integer> all, Set<Integer> isolated) {
    List<String> bad = new ArrayList<>();
    PowerPlan p = plan.host().power();
    List<String> limits = List.of("intel_idle.max_cstate", "processor.max_cstate", "intel_pstate");
    Set<Integer> held = new java.util.TreeSet<>(p.held().toList());
    Set<Integer> free = new java.util.TreeSet<>(p.free().toList());
    Set<Integer> union = new java.util.TreeSet<>(held);
    union.addAll(free);
    if (!union.equals(new java.util.TreeSet<>(all)) || held.stream().anyMatch(free::contains)) {
      bad.add("power: held " + held + " and free " + free + " do not split the host's CPUs");
    }
    if (balanced(h)) {
      Set<Integer> want = new java.util.TreeSet<>();
      for (Plan.VmPlan vm : plan.vms()) {
        if (vm.isRealtime()) {
          want.addAll(vm.vcpuPins());
          vm.emulatorCpus().toList().stream().filter(isolated::contains).forEach(want::add);
        }
      }
      if (!p.balanced() || !held.equals(want)) {
        bad.add("power: balanced should hold the real-time VMs' CPUs " + want + ", holds " + held);
      }
      if (plan.host().cmdline().keys().stream().anyMatch(limits::contains)) {
        bad.add("power: balanced, but the command line limits C-states or P-states on every CPU: " + plan.host().cmdline());
      }
      if (!want.isEmpty() && plan.host().tuning().checks(true).stream().noneMatch(c -> c.path().startsWith("percpu:" + p.held() + ":"))) {
        bad.add("power: balanced, but check-host reads no held CPU's limit back");
      }
    } else if (p.balanced() || !held.equals(new java.util.TreeSet<>(all)) || !plan.host().cmdline().keys().containsAll(limits)) {
      bad.add("power: lowest-latency should hold every CPU by the command line: held " + held + ", " + plan.host().cmdline());
    }
    return bad;
  }

  /** The rules, from the kernel's and libvirt's side. Returns every violation found. */
  static List<String> check(Host h, List<VmSpec> specs, Plan plan) {
    List<String> bad = new ArrayList<>();
    for (VmSpec v : specs) {
      Plan.VmPlan vm = plan.vms().stream().filter(x -> x.name().equals(v.name())).findFirst().orElseThrow();
      if (v.deviceNode() >= 0 && vm.numaNode() != v.deviceNode()) {
        bad.add(v.name() + ": on node " + vm.numaNode() + ", but its NIC is on node " + v.deviceNode());
      }
    }
    Set<Integer> all = new HashSet<>();
    h.nodeCpus().forEach(all::addAll);
    Set<Integer> isolated = new HashSet<>(all);
    isolated.removeAll(h.housekeeping());
    bad.addAll(power(h, plan, all, isolated));
    if (h.nodeGiB() > 0) {
      Map<Integer, Integer> used = new HashMap<>();
      for (Plan.VmPlan vm : plan.vms()) {
        int gib = specs.stream().filter(v -> v.name().equals(vm.name())).findFirst().orElseThrow().memoryGiB();
        used.merge(vm.numaNode(), gib, Integer::sum);
      }
      used.forEach((node, gib) -> {
        if (gib > h.nodeGiB()) {
          bad.add("node " + node + " holds " + gib + " GiB of VM memory, more than its " + h.nodeGiB() + " GiB");
        }
      });
    }
    if (!plan.host().isolated().toList().equals(isolated.stream().sorted().toList())) {
      bad.add("isolated set " + plan.host().isolated() + " is not all CPUs but housekeeping");
    }
    String isol = plan.host().cmdline().strings().stream().filter(a -> a.startsWith("isolcpus=")).findFirst().orElse("");
    if (!expand(isol.substring(isol.lastIndexOf(',') + 1)).equals(isolated)) {
      // isolcpus=managed_irq,domain,<list>: the list is after the flags, and may itself hold commas
      String list = isol.replaceFirst("^isolcpus=managed_irq,domain,", "");
      if (!expand(list).equals(isolated)) {
        bad.add("isolcpus " + isol + " does not name the isolated CPUs");
      }
    }
    Map<Integer, String> owner = new TreeMap<>();
    Map<String, VmSpec> byName = specs.stream().collect(Collectors.toMap(VmSpec::name, v -> v));
    Map<Integer, Set<Integer>> pools = new HashMap<>();
    for (Plan.VmPlan vm : plan.vms()) {
      VmSpec spec = byName.get(vm.name());
      if (!spec.pins().isEmpty() && !vm.vcpuPins().equals(spec.pins())) {
        bad.add(vm.name() + ": pinned in the manifest to " + spec.pins() + ", planned on " + vm.vcpuPins());
      }
      if (vm.vcpuPins().size() != spec.vcpus()) {
        bad.add(vm.name() + ": " + vm.vcpuPins().size() + " pins for " + spec.vcpus() + " vCPUs");
      }
      for (int cpu : vm.vcpuPins()) {
        if (!isolated.contains(cpu)) {
          bad.add(vm.name() + ": vCPU on CPU " + cpu + ", which is not isolated");
        }
        if (h.nodeOf(cpu) != vm.numaNode()) {
          bad.add(vm.name() + ": vCPU on CPU " + cpu + " of node " + h.nodeOf(cpu) + ", not its node " + vm.numaNode());
        }
        String before = owner.put(cpu, vm.name());
        if (before != null) {
          bad.add("CPU " + cpu + " shared by " + before + " and " + vm.name());
        }
      }
      Set<Integer> emu = new HashSet<>(vm.emulatorCpus().toList());
      if (spec.emulatorCpus() > 0) {
        if (emu.size() != spec.emulatorCpus()) {
          bad.add(vm.name() + ": " + emu.size() + " emulator CPUs, asked " + spec.emulatorCpus());
        }
        for (int cpu : emu) {
          if (!isolated.contains(cpu) || h.nodeOf(cpu) != vm.numaNode()) {
            bad.add(vm.name() + ": dedicated emulator CPU " + cpu + " not isolated on node " + vm.numaNode());
          }
          String before = owner.put(cpu, vm.name() + " emulator");
          if (before != null) {
            bad.add("CPU " + cpu + " shared by " + before + " and " + vm.name() + " emulator");
          }
        }
      } else if (spec.sharedEmulator()) {
        // The node's shared pool: host.emulatorPool isolated CPUs of the VM's node, the same set for every VM there.
        if (emu.size() != h.emulatorPool()) {
          bad.add(vm.name() + ": emulator pool of " + emu.size() + " CPUs, host.emulatorPool is " + h.emulatorPool());
        }
        for (int cpu : emu) {
          if (!isolated.contains(cpu) || h.nodeOf(cpu) != vm.numaNode()) {
            bad.add(vm.name() + ": pooled emulator CPU " + cpu + " not isolated on node " + vm.numaNode());
          }
        }
        Set<Integer> pool = pools.putIfAbsent(vm.numaNode(), emu);
        if (pool == null) {
          for (int cpu : emu) {
            String before = owner.put(cpu, "node " + vm.numaNode() + " emulator pool");
            if (before != null) {
              bad.add("CPU " + cpu + " shared by " + before + " and node " + vm.numaNode() + "'s emulator pool");
            }
          }
        } else if (!pool.equals(emu)) {
          bad.add(vm.name() + ": emulator pool " + emu + ", another VM on node " + vm.numaNode() + " has " + pool);
        }
      } else if (!h.housekeeping().containsAll(emu)) {
        bad.add(vm.name() + ": emulator threads on " + emu + ", not housekeeping CPUs");
      }
      if (vm.vcpuPins().stream().map(h::isP).distinct().count() > 1) {
        bad.add(vm.name() + ": vCPUs on P-cores and E-cores " + vm.vcpuPins());
      }
      if (spec.pairs()) {
        // Both threads of each core, in order: vCPU 2k on a core's thread, 2k+1 on its sibling.
        for (int k = 0; k + 1 < vm.vcpuPins().size(); k += 2) {
          if (h.sibling(vm.vcpuPins().get(k)) != vm.vcpuPins().get(k + 1)) {
            bad.add(vm.name() + ": vCPUs " + k + " and " + (k + 1) + " on CPUs " + vm.vcpuPins().get(k) + " and "
                + vm.vcpuPins().get(k + 1) + ", which are not one core's threads");
          }
        }
      } else if (spec.realtime() && h.smt() && h.isP(vm.vcpuPins().get(0))) {
        for (int cpu : vm.vcpuPins()) {
          int sib = h.sibling(cpu);
          if (!isolated.contains(sib)) {
            bad.add(vm.name() + ": vCPU on CPU " + cpu + " whose SMT sibling " + sib + " is a housekeeping CPU");
          }
          String before = owner.put(sib, vm.name() + " idle sibling");
          if (before != null) {
            bad.add("CPU " + sib + ", the SMT sibling of " + vm.name() + "'s CPU " + cpu + ", is used by " + before);
          }
        }
      }
      int firstRt = spec.pairs() ? 2 : 1; // with pairs the guest keeps the whole first core
      if (spec.realtime() && !vm.rtVcpus().toList().equals(IntStream.range(firstRt, spec.vcpus()).boxed().toList())) {
        bad.add(vm.name() + ": real-time vCPUs " + vm.rtVcpus() + ", not " + firstRt + "-" + (spec.vcpus() - 1));
      }
    }
    // Stressors on a real-time VM's node only when no other node could hold them is the solver's
    // preference, not a kernel rule; the checker leaves it to the plan's warnings.

    // Cache: the host's default group, then libvirt's choice replayed in start order.
    var cache = plan.cache().orElse(null);
    boolean anyCache = specs.stream().anyMatch(v -> v.cacheBytes() > 0);
    if (cache == null) {
      bad.add("no cache plan although host.cache is set");
      return bad;
    }
    int cbm = (1 << h.ways()) - 1;
    if (cache.wayBytes().bytes() != h.wayBytes()) {
      bad.add("way size " + cache.wayBytes().bytes() + ", expected " + h.wayBytes());
    }
    int hostWays = (int) Math.max(h.minBits(), (h.hostCacheBytes() + h.unit() - 1) / h.unit());
    int hostMask = (1 << hostWays) - 1;
    Map<Integer, Integer> used = new TreeMap<>();
    for (int s = 0; s < h.sockets(); s++) {
      Integer m = cache.hostMasks().containsKey(s) ? cache.hostMasks().get(s).bits() : null;
      if (m == null || m != hostMask) {
        bad.add("L3 " + s + ": host mask " + (m == null ? "missing" : Integer.toHexString(m)) + ", expected " + Integer.toHexString(hostMask));
      }
      used.put(s, hostMask);
    }
    int groups = 0;
    for (Plan.VmPlan vm : plan.vms()) {
      VmSpec spec = byName.get(vm.name());
      if (spec.cacheBytes() == 0) {
        if (vm.resctrl().isPresent() && !vm.resctrl().get().caches().isEmpty()) {
          bad.add(vm.name() + ": cache allocated but none asked");
        }
        continue;
      }
      groups++;
      int need = (int) Math.max(h.minBits(), (spec.cacheBytes() + h.unit() - 1) / h.unit());
      Set<Integer> sockets = vm.vcpuPins().stream().map(c -> h.nodeSocket().get(h.nodeOf(c))).collect(Collectors.toSet());
      var allocs = vm.resctrl().map(Plan.Resctrl::caches).orElse(List.of());
      if (allocs.stream().map(Plan.CacheAlloc::cacheId).collect(Collectors.toSet()).equals(sockets) == false) {
        bad.add(vm.name() + ": cache on instances " + allocs.stream().map(Plan.CacheAlloc::cacheId).toList() + ", runs on " + sockets);
      }
      for (var a : allocs) {
        int expected = libvirtPick(cbm & ~used.get(a.cacheId()), need, h.ways());
        if (a.ways() != need || a.size().bytes() != need * h.wayBytes()) {
          bad.add(vm.name() + ": " + a.ways() + " ways / " + a.size().bytes() + " bytes, expected " + need + " ways");
        }
        if (need >= h.ways()) {
          bad.add(vm.name() + ": the whole cache");
        }
        if (a.mask().bits() != expected) {
          bad.add(vm.name() + ": mask " + Integer.toHexString(a.mask().bits()) + " on L3 " + a.cacheId() + ", libvirt picks "
              + Integer.toHexString(expected));
        }
        used.merge(a.cacheId(), a.mask().bits(), (x, y) -> x | y);
      }
    }
    if (groups > h.closids() - 1) {
      bad.add(groups + " groups with " + h.closids() + " CLOS");
    }
    if (!anyCache && plan.vms().stream().anyMatch(v -> v.resctrl().isPresent() && !v.resctrl().get().caches().isEmpty())) {
      bad.add("cache groups without any cache asked");
    }
    return bad;
  }

  /**
   * Stressors and the real-time VMs' L2 instances (E-core clusters, Atom modules): a stressor may
   * share one only when no CPU of its pool in an L2 instance without a real-time vCPU was free
   * (a CPU still free at the end was free when it chose), and then it is said (RTC063, naming L2).
   */
  static List<String> l2(Host h, List<VmSpec> specs, Plan plan, List<Diagnostic> warnings) {
    List<String> bad = new ArrayList<>();
    if (h.l2Cluster() == 0) {
      return bad;
    }
    Map<String, VmSpec> byName = specs.stream().collect(Collectors.toMap(VmSpec::name, v -> v));
    Set<Integer> rt = new HashSet<>();
    Set<Integer> used = new HashSet<>(h.housekeeping());
    for (Plan.VmPlan vm : plan.vms()) {
      used.addAll(vm.vcpuPins());
      used.addAll(vm.emulatorCpus().toList());
      if (byName.get(vm.name()).realtime()) {
        rt.addAll(vm.vcpuPins());
        vm.vcpuPins().forEach(c -> used.add(h.sibling(c)));
      }
    }
    List<List<Integer>> l2 = h.l2();
    for (Plan.VmPlan vm : plan.vms()) {
      if (byName.get(vm.name()).realtime()) {
        continue;
      }
      List<List<Integer>> shared = l2.stream().filter(i -> i.stream().anyMatch(vm.vcpuPins()::contains) && i.stream().anyMatch(rt::contains))
          .toList();
      if (shared.isEmpty()) {
        continue;
      }
      int slot = h.slotOf(vm.vcpuPins().get(0));
      boolean placedByRtc = byName.get(vm.name()).pins().isEmpty(); // explicit pins are the manifest's choice, only said
      for (List<Integer> inst : placedByRtc ? l2 : List.<List<Integer>>of()) {
        if (inst.stream().noneMatch(rt::contains)) {
          inst.stream().filter(f -> !used.contains(f) && h.slotOf(f) == slot && h.nodeOf(f) == vm.numaNode()).findFirst()
              .ifPresent(f -> bad.add(vm.name() + " shares L2 " + shared + " with a real-time VM while CPU " + f + ", in L2 " + inst
                  + " without one, stayed free"));
        }
      }
      if (warnings.stream().noneMatch(w -> w.code() == Code.RTC063 && w.message().startsWith(vm.name() + " shares L2"))) {
        bad.add(vm.name() + " shares L2 " + shared + " with a real-time VM, and no RTC063 says so");
      }
    }
    return bad;
  }

  /**
   * Brute force: is there any choice of a place per VM (a NUMA node; on a hybrid part P-cores or
   * E-cores), of a place for each VM's dedicated emulator CPUs (its node; on a hybrid part either
   * core type) and of each node's shared emulator pool, under which every VM's vCPUs, emulator
   * CPUs and memory fit on free isolated CPUs of its node, and libvirt's placement, replayed in
   * start order (real-time VMs first), finds every cache allocation a run?
   */
  static boolean feasible(Host h, List<VmSpec> vms) {
    int nodes = h.nodeCpus().size();
    int hostWays = (int) Math.max(h.minBits(), (h.hostCacheBytes() + h.unit() - 1) / h.unit());
    if (hostWays >= h.ways()) {
      return false;
    }
    long groups = vms.stream().filter(v -> v.cacheBytes() > 0).count();
    if (groups > h.closids() - 1) {
      return false;
    }
    int slots = h.hybrid() ? 2 : nodes;
    // Explicit pins are reserved before anything is placed: their CPUs (and a real-time VM's idle
    // siblings) leave the pools first, and may break cores that whole-core VMs then cannot use.
    Set<Integer> reserved = new HashSet<>();
    for (VmSpec v : vms) {
      reserved.addAll(v.pins());
      if (v.realtime() && h.smt()) {
        v.pins().forEach(c -> reserved.add(h.sibling(c)));
      }
    }
    int[] free0 = new int[slots];
    int[] singles = new int[slots]; // free threads of cores whose other thread pins took: emulator threads go there first
    int[] slotCores = new int[slots];
    boolean[] slotSmt = new boolean[slots];
    for (int sl = 0; sl < slots; sl++) {
      int slot = sl;
      List<Integer> cpus = (h.hybrid() ? h.nodeCpus().get(0).stream().filter(c -> h.isP(c) == (slot == 0)).toList() : h.nodeCpus().get(sl))
          .stream().filter(c -> !h.housekeeping().contains(c) && !reserved.contains(c)).toList();
      free0[sl] = cpus.size();
      slotSmt[sl] = h.smt() && (!h.hybrid() || sl == 0);
      slotCores[sl] = slotSmt[sl] ? (int) cpus.stream().filter(c -> c < h.sibling(c) && cpus.contains(h.sibling(c))).count() : free0[sl];
      singles[sl] = slotSmt[sl] ? free0[sl] - 2 * slotCores[sl] : 0;
    }
    // The choices, as one mixed-radix number: each VM's slot, then (hybrid only) each dedicated
    // emulator's core type, then (hybrid only) each node's pool core type.
    List<Integer> radix = new ArrayList<>();
    vms.forEach(v -> radix.add(slots));
    vms.forEach(v -> radix.add(h.hybrid() && v.emulatorCpus() > 0 ? 2 : 1));
    radix.add(h.hybrid() && vms.stream().anyMatch(VmSpec::sharedEmulator) ? 2 : 1);
    long combos = radix.stream().mapToLong(Integer::longValue).reduce(1, (x, y) -> x * y);
    int[] choice = new int[radix.size()];
    for (long k = 0; k < combos; k++) {
      long x = k;
      for (int i = 0; i < radix.size(); i++) {
        choice[i] = (int) (x % radix.get(i));
        x /= radix.get(i);
      }
      if (fits(h, vms, choice, free0, singles, slotCores, slotSmt, hostWays)) {
        return true;
      }
    }
    return false;
  }

  private static boolean fits(Host h, List<VmSpec> vms, int[] choice, int[] free0, int[] singles, int[] slotCores, boolean[] slotSmt,
      int hostWays) {
    for (int i = 0; i < vms.size(); i++) {
      if (vms.get(i).deviceNode() >= 0 && choice[i] != vms.get(i).deviceNode()) {
        return false; // a real-time VM runs on its NIC's node (only hosts of one core type get NICs: a slot is a node)
      }
    }
    int nodes = h.nodeCpus().size();
    int slots = free0.length;
    int[] free = free0.clone();
    long[] memory = new long[nodes];
    for (int n = 0; n < nodes; n++) {
      memory[n] = h.nodeGiB() > 0 ? h.nodeGiB() : Long.MAX_VALUE; // numatune binds a VM's memory to its node
    }
    // With SMT (siblings kept together in housekeeping, so every isolated thread's core is whole):
    // real-time vCPUs take whole cores, and emulator threads pack two to a core at best.
    int[] rtCores = new int[slots];
    int[] emulatorThreads = new int[slots];
    boolean[] poolMade = new boolean[nodes];
    int[] used = new int[h.sockets()];
    java.util.Arrays.fill(used, (1 << hostWays) - 1);
    for (int i = 0; i < vms.size(); i++) {
      VmSpec v = vms.get(i);
      int sl = choice[i];
      if (!v.pins().isEmpty() && h.slotOf(v.pins().get(0)) != sl) {
        return false; // a pinned VM is where its pins are
      }
      int node = h.hybrid() ? 0 : sl;
      if (v.pairs() && !slotSmt[sl]) {
        return false; // pairs are two threads of one core: P-cores only
      }
      boolean pinned = !v.pins().isEmpty();
      boolean wholeCores = slotSmt[sl] && v.realtime() && !pinned;
      int cores = pinned ? 0 : v.pairs() ? v.vcpus() / 2 : v.vcpus();
      free[sl] -= pinned ? 0 : wholeCores ? 2 * cores : v.vcpus();
      if (wholeCores) {
        rtCores[sl] += cores;
      }
      // Dedicated emulator CPUs: the VM's node, on a hybrid part of either core type.
      int emuSlot = h.hybrid() ? choice[vms.size() + i] : sl;
      free[emuSlot] -= v.emulatorCpus();
      emulatorThreads[emuSlot] += v.emulatorCpus();
      if (v.sharedEmulator() && !poolMade[node]) {
        // The first VM on the node with emulator: shared sets its pool aside.
        int poolSlot = h.hybrid() ? choice[2 * vms.size()] : sl;
        free[poolSlot] -= h.emulatorPool();
        emulatorThreads[poolSlot] += h.emulatorPool();
        poolMade[node] = true;
      }
      memory[node] -= v.memoryGiB();
      if (memory[node] < 0) {
        return false;
      }
      for (int s = 0; s < slots; s++) {
        if (free[s] < 0 || slotSmt[s] && rtCores[s] + (Math.max(0, emulatorThreads[s] - singles[s]) + 1) / 2 > slotCores[s]) {
          return false;
        }
      }
      if (v.cacheBytes() > 0) {
        int need = (int) Math.max(h.minBits(), (v.cacheBytes() + h.unit() - 1) / h.unit());
        int s = h.nodeSocket().get(node);
        int pick = need >= h.ways() ? 0 : libvirtPick(((1 << h.ways()) - 1) & ~used[s], need, h.ways());
        if (pick == 0) {
          return false;
        }
        used[s] |= pick;
      }
    }
    return true;
  }

  /** libvirt's virResctrlAllocFindUnused: the smallest free run that fits, lowest first; its low end. 0 when none. */
  static int libvirtPick(int free, int need, int ways) {
    int bestStart = -1;
    int bestLen = Integer.MAX_VALUE;
    int w = 0;
    while (w < ways) {
      if ((free >> w & 1) == 0) {
        w++;
        continue;
      }
      int start = w;
      while (w < ways && (free >> w & 1) == 1) {
        w++;
      }
      int len = w - start;
      if (len >= need && len < bestLen) {
        bestLen = len;
        bestStart = start;
      }
    }
    return bestStart < 0 ? 0 : ((1 << need) - 1) << bestStart;
  }

  static Set<Integer> expand(String list) {
    Set<Integer> out = new HashSet<>();
    for (String part : list.split(",")) {
      if (part.isBlank()) {
        continue;
      }
      String[] ab = part.split("-");
      int a = Integer.parseInt(ab[0].trim());
      int b = ab.length > 1 ? Integer.parseInt(ab[1].trim()) : a;
      for (int i = a; i <= b; i++) {
        out.add(i);
      }
    }
    return out;
  }
}
