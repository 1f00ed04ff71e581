package dev.rtc.plan;

import dev.rtc.manifest.Topology.CacheInstance;
import dev.rtc.manifest.Topology.CoreType;
import dev.rtc.manifest.Topology.NumaNode;
import dev.rtc.manifest.Topology;
import dev.rtc.manifest.Manifest.Vm;
import dev.rtc.topology.ByteSize;
import dev.rtc.topology.CpuSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a placement in progress has given out: each isolated CPU's owner, each node's shared
 * emulator pool and memory left, each L3 instance's ways left. The search copies it before every
 * choice it may take back, so it is plain maps, copied whole (a few thousand entries at most).
 */
final class CpuLedger {

  /** Where CPUs come from: the isolated CPUs of one NUMA node and one core type (one pool per node on parts with one type). */
  record Pool(int node, CoreType type) {}

  /** What an owner string starts with for a real-time VM's CPUs, vCPUs and idle siblings alike: for interference. */
  static final String REALTIME = "rt:";

  final Topology topology;
  final CpuSet housekeeping;
  final CpuSet isolated;
  /**
   * Who took which CPUs, newest first: a list that copies share, since a copy is made on every step
   * of the search and only a refusal of explicit pins reads it. Each CPU is in one claim at most.
   */
  private record Claim(CpuSet cpus, String who, Claim next) {}

  private Claim claims;
  /** The CPUs given out, and those of them a real-time VM holds: what the pickers read, kept as sets so a check is a bit operation. */
  private CpuSet taken = CpuSet.empty();
  private CpuSet realtimeTaken = CpuSet.empty();
  private final Map<Integer, CpuSet> emulatorPools;
  private final Map<Integer, Long> memoryLeft;
  private final Map<Integer, Integer> waysLeft;
  /** Bytes a way holds for a VM (0 when rtc counts no ways: no CAT, or no host.cache), and CAT's minimum run. */
  final long wayBytes;
  final int minCbmBits;
  /** What the topology says of a node or pool, looked up once and shared by every copy: the search asks on every step. */
  private final Map<Integer, CpuSet> nodeCpus;
  private final Map<Integer, Optional<Integer>> nodeInstance;
  private final Map<Pool, CpuSet> poolCpus;

  CpuLedger(Topology topology, CpuSet housekeeping, Optional<ByteSize> hostCache) {
    this.topology = topology;
    this.housekeeping = housekeeping;
    this.isolated = topology.allCpus().minus(housekeeping);
    this.emulatorPools = new HashMap<>();
    this.memoryLeft = new HashMap<>();
    this.waysLeft = new HashMap<>();
    topology.numaNodes().forEach(n -> n.memory().ifPresent(m -> memoryLeft.put(n.id(), m.bytes())));
    long wb = 0;
    int min = 0;
    if (topology.l3().isPresent() && topology.l3().get().cat().isPresent() && hostCache.isPresent()) {
      var l3 = topology.l3().get();
      var cat = l3.cat().get();
      wb = l3.size().bytes() / cat.cbmMask().ways() / CachePlanner.sncNodes(topology); // as the cache planner counts
      min = cat.minCbmBits();
      int host = (int) Math.max(min, (hostCache.get().bytes() + wb - 1) / wb);
      for (CacheInstance i : l3.instances()) {
        waysLeft.put(i.id(), cat.cbmMask().ways() - host);
      }
    }
    this.wayBytes = wb;
    this.minCbmBits = min;
    this.nodeCpus = new HashMap<>();
    topology.numaNodes().forEach(n -> nodeCpus.putIfAbsent(n.id(), n.cpus()));
    this.nodeInstance = new HashMap<>();
    this.poolCpus = new HashMap<>();
  }

  private CpuLedger(CpuLedger o) {
    topology = o.topology;
    housekeeping = o.housekeeping;
    isolated = o.isolated;
    claims = o.claims;
    taken = o.taken;
    realtimeTaken = o.realtimeTaken;
    emulatorPools = new HashMap<>(o.emulatorPools);
    memoryLeft = new HashMap<>(o.memoryLeft);
    waysLeft = new HashMap<>(o.waysLeft);
    wayBytes = o.wayBytes;
    minCbmBits = o.minCbmBits;
    nodeCpus = o.nodeCpus;
    nodeInstance = o.nodeInstance;
    poolCpus = o.poolCpus;
  }

  CpuLedger copy() {
    return new CpuLedger(this);
  }

  // ---- CPUs ----

  void claim(CpuSet cpus, String who) {
    CpuSet fresh = cpus.minus(taken);
    if (!fresh.isEmpty()) {
      claims = new Claim(fresh, who, claims);
    }
    taken = taken.union(fresh);
    if (who.startsWith(REALTIME)) {
      realtimeTaken = realtimeTaken.union(fresh);
    }
  }

  String owner(int cpu) {
    for (Claim c = claims; c != null; c = c.next()) {
      if (c.cpus().contains(cpu)) {
        return c.who();
      }
    }
    return null;
  }

  boolean realtime(int cpu) {
    return realtimeTaken.contains(cpu);
  }

  /**
   * What decides everything a later VM can get: the CPUs taken (and which a real-time VM holds,
   * which the vCPU picker steers by), the emulator pools, memory and ways left. Owners' names do
   * not. Two partial placements with one signature have the same completions: the search's memo.
   */
  String signature() {
    return taken + "/" + realtimeTaken + "/" + new java.util.TreeMap<>(emulatorPools) + "/" + new java.util.TreeMap<>(memoryLeft) + "/"
        + new java.util.TreeMap<>(waysLeft);
  }

  /** The most free isolated CPUs any one pool (a node's CPUs of one core type) has. */
  int largestFreePool() {
    int most = 0;
    for (NumaNode n : topology.numaNodes()) {
      for (CoreType t : topology.hybrid() ? List.of(CoreType.values()) : List.of(CoreType.P)) {
        most = Math.max(most, free(new Pool(n.id(), t)).size());
      }
    }
    return most;
  }

  /** Free isolated CPUs of the whole host. */
  int freeCount() {
    return isolated.minus(taken).size();
  }

  CpuSet nodeCpus(int node) {
    return nodeCpus.getOrDefault(node, CpuSet.empty());
  }

  CpuSet poolCpus(Pool pool) {
    return poolCpus.computeIfAbsent(pool, p -> topology.hybrid() ? nodeCpus(p.node()).intersect(topology.cpusOfType(p.type()))
        : nodeCpus(p.node()));
  }

  /** The isolated CPUs of a pool that nothing has taken yet. */
  CpuSet free(Pool pool) {
    return poolCpus(pool).intersect(isolated).minus(taken);
  }

  /** Free isolated cores of a pool, as their lower thread: both threads free and isolated. */
  CpuSet freeCores(Pool pool) {
    CpuSet f = free(pool);
    return CpuSet.of(f.stream().filter(c -> c < topology.sibling(c) && f.contains(topology.sibling(c))).boxed().toList());
  }

  /** Whether threads of this pool come in pairs that share a core (P-cores with SMT). */
  boolean smt(Pool pool) {
    return topology.smt() && pool.type() == CoreType.P;
  }

  /** A node's pools in the order {@code vm} prefers them: real-time VMs P-cores first, stressors E-cores first. */
  List<Pool> pools(Vm vm, int node) {
    if (!topology.hybrid()) {
      return List.of(new Pool(node, CoreType.P));
    }
    // Pairs are the two threads of one core, and only P-cores have two.
    List<CoreType> order = vm.siblingPairs() ? List.of(CoreType.P)
        : vm.isRealtime() ? List.of(CoreType.P, CoreType.E, CoreType.LPE) : List.of(CoreType.E, CoreType.LPE, CoreType.P);
    CpuSet cpus = nodeCpus(node);
    return order.stream().map(t -> new Pool(node, t)).filter(p -> cpus.intersect(topology.cpusOfType(p.type())).intersects(isolated))
        .toList();
  }

  /** Every pool of every node, for a VM: by the VM's core-type order across nodes, then node. */
  List<Pool> allPools(Vm vm) {
    List<Integer> nodes = topology.numaNodes().stream().map(NumaNode::id).sorted().toList();
    List<Pool> out = new ArrayList<>();
    for (int rank = 0; rank < CoreType.values().length; rank++) {
      for (int node : nodes) {
        List<Pool> p = pools(vm, node);
        if (rank < p.size()) {
          out.add(p.get(rank));
        }
      }
    }
    return out;
  }

  // ---- emulator pools ----

  Optional<CpuSet> emulatorPool(int node) {
    return Optional.ofNullable(emulatorPools.get(node));
  }

  void setEmulatorPool(int node, CpuSet cpus) {
    emulatorPools.put(node, cpus);
  }

  // ---- memory ----

  boolean memoryFits(Vm vm, int node) {
    return !memoryLeft.containsKey(node) || memoryLeft.get(node) >= vm.memory().bytes();
  }

  void takeMemory(Vm vm, int node) {
    memoryLeft.computeIfPresent(node, (n, left) -> left - vm.memory().bytes());
  }

  Optional<Long> memoryLeft(int node) {
    return Optional.ofNullable(memoryLeft.get(node));
  }

  // ---- cache ways (counted; libvirt's exact pick is the cache planner's) ----

  int cacheWays(Vm vm) {
    return vm.isRealtime() && wayBytes > 0 ? vm.cache().map(c -> (int) Math.max(minCbmBits, (c.bytes() + wayBytes - 1) / wayBytes)).orElse(0) : 0;
  }

  Integer instanceOf(int node) {
    return nodeInstance.computeIfAbsent(node, n -> topology.l3().flatMap(l3 -> l3.instances().stream()
        .filter(i -> i.cpus().intersects(nodeCpus(n))).map(CacheInstance::id).findFirst())).orElse(null);
  }

  boolean cacheFits(Vm vm, int node) {
    int want = cacheWays(vm);
    Integer inst = instanceOf(node);
    return want == 0 || inst == null || waysLeft.getOrDefault(inst, Integer.MAX_VALUE) >= want;
  }

  void takeWays(Vm vm, int node) {
    Integer inst = instanceOf(node);
    int want = cacheWays(vm);
    if (inst != null && want > 0) {
      waysLeft.computeIfPresent(inst, (k, left) -> left - want);
    }
  }
}
