package dev.rtc.plan;

import dev.rtc.manifest.Code;
import dev.rtc.manifest.Diagnostics;
import dev.rtc.manifest.Manifest;
import dev.rtc.manifest.Manifest.CoreType;
import dev.rtc.manifest.Manifest.Emulator;
import dev.rtc.manifest.Manifest.NumaNode;
import dev.rtc.manifest.Manifest.Placement;
import dev.rtc.manifest.Manifest.Topology;
import dev.rtc.manifest.Manifest.Vm;
import dev.rtc.plan.Plan.Decision;
import dev.rtc.topology.ByteSize;
import dev.rtc.topology.CpuSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Decides which host CPUs run each VM's vCPUs and emulator threads.
 *
 * <p>Rules (each becomes a {@link Decision} with its reason):
 * <ul>
 *   <li>a VM's vCPUs come from one pool: the isolated CPUs of one NUMA node and one core type,
 *       one vCPU per CPU, never shared; real-time VMs prefer P-cores, stressors E-cores;
 *   <li>with SMT a real-time vCPU gets a whole core, its sibling idle, or with siblings: pair the
 *       VM gets both threads of each core (P-cores only);
 *   <li>explicit pins are reserved first, so automatic placement never takes them;
 *   <li>real-time VMs choose before stressors; a stressor prefers an L3 instance (or, without L3
 *       data, a node) with no real-time VM, and shares one only with a warning;
 *   <li>a VM takes the lowest free isolated CPUs of its pool (whole L2 instances first for
 *       real-time VMs where L2s are known), dedicated emulator CPUs the highest, which keeps each
 *       VM's block compact and emulator work at the far end (the guide's layout);
 *   <li>emulator threads run on the node's housekeeping CPUs, on dedicated CPUs, or on the node's
 *       shared emulator pool.
 * </ul>
 * Ties always break towards the lowest node id and CPU number, so the same manifest gives the same plan.
 */
final class CpuPlanner {

  /** Where one VM runs: its node, the core type of its vCPUs' CPUs (P on parts with one type), the CPUs. */
  record Placed(Vm vm, int node, CoreType type, List<Integer> pins, CpuSet emulator) {}

  /** Where a VM's vCPUs come from: the isolated CPUs of one NUMA node and one core type. */
  record Pool(int node, CoreType type) {}

  private final Topology topology;
  private final CpuSet housekeeping;
  private final CpuSet isolated;
  private final Diagnostics d;
  private final List<Decision> decisions;
  private final Map<Integer, String> owner = new HashMap<>();
  /** The L3 instances (or, without L3 data, the nodes) that real-time VMs and stressors run on, for keeping them apart. */
  private final Set<Integer> realtimeDomains = new HashSet<>();
  private final Set<Integer> stressorDomains = new HashSet<>();
  /** Each node's shared emulator pool, once a VM with emulator: shared lands there. */
  private final Map<Integer, CpuSet> emulatorPools = new HashMap<>();
  private int emulatorPoolSize;

  /** Memory not yet given to a VM, for the nodes whose size the manifest states. */
  private final Map<Integer, Long> memoryLeft = new HashMap<>();

  /** Pools (node and core type) for automatically placed VMs, found by the planner's search; empty for first fit. */
  private final Map<String, Pool> searched;

  /** L3 ways not yet spoken for, per L3 instance: only counted (libvirt's exact pick is the cache planner's). */
  private final Map<Integer, Integer> waysLeft = new HashMap<>();
  private long wayBytes;
  private int minCbmBits;

  CpuPlanner(Topology topology, CpuSet housekeeping, Diagnostics d, List<Decision> decisions) {
    this(topology, housekeeping, d, decisions, Map.of());
  }

  CpuPlanner(Topology topology, CpuSet housekeeping, Diagnostics d, List<Decision> decisions, Map<String, Pool> searched) {
    this.searched = searched;
    this.topology = topology;
    this.housekeeping = housekeeping;
    this.isolated = topology.allCpus().minus(housekeeping);
    this.d = d;
    this.decisions = decisions;
    topology.numaNodes().forEach(n -> n.memory().ifPresent(m -> memoryLeft.put(n.id(), m.bytes())));
  }

  /** Lets first fit keep real-time VMs with cache on L3 instances that still have the ways for them. */
  CpuPlanner withCache(Optional<dev.rtc.topology.ByteSize> hostCache) {
    topology.l3().ifPresent(l3 -> l3.cat().ifPresent(cat -> hostCache.ifPresent(hc -> {
      wayBytes = l3.size().bytes() / cat.cbmMask().ways() / CachePlanner.sncNodes(topology); // as the cache planner counts
      minCbmBits = cat.minCbmBits();
      int host = ways(hc.bytes());
      l3.instances().forEach(i -> waysLeft.put(i.id(), cat.cbmMask().ways() - host));
    })));
    return this;
  }

  private int ways(long bytes) {
    return (int) Math.max(minCbmBits, (bytes + wayBytes - 1) / wayBytes);
  }

  private int cacheWays(Vm vm) {
    return vm.isRealtime() && wayBytes > 0 ? vm.cache().map(c -> ways(c.bytes())).orElse(0) : 0;
  }

  private Integer instanceOf(int node) {
    CpuSet cpus = nodeCpus(node);
    return topology.l3().flatMap(l3 -> l3.instances().stream().filter(i -> i.cpus().intersects(cpus)).map(Manifest.CacheInstance::id)
        .findFirst()).orElse(null);
  }

  private boolean cacheFits(Vm vm, int node) {
    int want = cacheWays(vm);
    Integer inst = instanceOf(node);
    return want == 0 || inst == null || waysLeft.getOrDefault(inst, Integer.MAX_VALUE) >= want;
  }

  /** The size of each node's shared emulator pool (host.emulatorPool). */
  CpuPlanner withEmulatorPool(int size) {
    this.emulatorPoolSize = size;
    return this;
  }

  /** @param vms in start order: real-time VMs first */
  List<Placed> place(List<Vm> vms) {
    Map<String, Pool> pinnedPool = new HashMap<>();
    for (Vm vm : vms) {
      reserveExplicit(vm).ifPresent(pool -> {
        pinnedPool.put(vm.name(), pool);
        // Known before anyone chooses, so automatic placement steers around pinned VMs of the other role.
        (vm.isRealtime() ? realtimeDomains : stressorDomains).addAll(domains(((Placement.Pinned) vm.placement()).cpus()));
      });
    }
    List<Placed> placed = new ArrayList<>();
    for (Vm vm : vms) {
      if (vm.placement() instanceof Placement.Pinned pin && !pin.cpus().isEmpty() && !pinnedPool.containsKey(vm.name())) {
        continue; // its pins were refused, and said why
      }
      Pool pool = pinnedPool.containsKey(vm.name()) ? pinnedPool.get(vm.name()) : choose(vm);
      if (pool == null) {
        continue;
      }
      int node = pool.node();
      if (!takeMemory(vm, node)) {
        continue;
      }
      Integer inst = instanceOf(node);
      if (inst != null && cacheWays(vm) > 0) {
        waysLeft.computeIfPresent(inst, (k, left) -> left - cacheWays(vm));
      }
      if (vm.placement() instanceof Placement.Pinned && !fits(vm, pool)) {
        // Its vCPUs are reserved already; what must still fit is its dedicated emulator CPUs (or its node's shared pool).
        CpuSet f = free(pool);
        d.error(Code.RTC060, vm.pointer() + "/emulator", vm.name() + " is pinned to NUMA node " + node + ", which has "
            + f.size() + " free isolated CPUs left" + (f.isEmpty() ? "" : " (" + f.describe() + ")") + " for its "
            + (needed(vm, pool.type()) + sharedPoolToTake(vm, node)) + " emulator CPUs", "lower emulator.cpus, or run its emulator "
            + "threads on housekeeping CPUs (leave out emulator)");
        continue;
      }
      List<Integer> pins = vm.placement() instanceof Placement.Pinned p ? pinOrder(vm, p.cpus()) : takeLowest(vm, pool);
      (vm.isRealtime() ? realtimeDomains : stressorDomains).addAll(domains(CpuSet.of(pins)));
      CpuSet emulator = emulator(vm, pool);
      placed.add(new Placed(vm, node, pool.type(), pins, emulator));
    }
    warnSharedCache(placed);
    return placed;
  }

  /** vCPU i runs on the i-th CPU; with siblings: pair, vCPUs 2k and 2k+1 on the two threads of one core. */
  private List<Integer> pinOrder(Vm vm, CpuSet cpus) {
    if (!vm.siblingPairs() || !topology.smt()) {
      return cpus.toList();
    }
    List<Integer> pins = new ArrayList<>();
    for (int c : cpus) {
      if (c < topology.sibling(c) || topology.sibling(c) == c) {
        pins.add(c);
        if (topology.sibling(c) != c) {
          pins.add(topology.sibling(c));
        }
      }
    }
    return pins;
  }

  /**
   * Where interference travels: the L3 instances that {@code cpus} share, or their NUMA nodes
   * (encoded below zero) when the manifest gives no L3. Low-power E-cores have no L3: empty.
   */
  private Set<Integer> domains(CpuSet cpus) {
    Set<Integer> out = new HashSet<>();
    if (topology.l3().isPresent()) {
      topology.l3().get().instances().stream().filter(i -> i.cpus().intersects(cpus)).forEach(i -> out.add(i.id()));
    } else {
      topology.numaNodes().stream().filter(n -> n.cpus().intersects(cpus)).forEach(n -> out.add(-1 - n.id()));
    }
    return out;
  }

  private Set<Integer> domains(Pool pool) {
    return domains(poolCpus(pool));
  }

  private static boolean disjoint(Set<Integer> a, Set<Integer> b) {
    return a.stream().noneMatch(b::contains);
  }

  /**
   * A stressor that shares an L3 instance (or, without L3 data, a NUMA node) with a real-time VM is
   * allowed (small hosts have one) but never silent, whether the manifest or the solver put it
   * there. Under sub-NUMA clustering two nodes share one L3, so another node is not enough.
   */
  private void warnSharedCache(List<Placed> placed) {
    for (Placed s : placed) {
      if (s.vm().isRealtime()) {
        continue;
      }
      Set<Integer> mine = domains(CpuSet.of(s.pins()));
      List<Placed> rts = placed.stream().filter(p -> p.vm().isRealtime() && !disjoint(mine, domains(CpuSet.of(p.pins())))).toList();
      if (rts.isEmpty()) {
        continue;
      }
      String at = s.vm().placement() instanceof Placement.Auto ? s.vm().pointer() : s.vm().pointer() + "/placement";
      String names = String.join(", ", rts.stream().map(p -> p.vm().name()).toList());
      if (topology.l3().isEmpty() || rts.stream().allMatch(p -> p.node() == s.node()) && nodesSharingL3(s.node()) == 1) {
        d.warning(Code.RTC063, at, s.vm().name() + " shares NUMA node " + s.node() + " with real-time VM " + names
            + (topology.l3().isPresent() ? ": its memory traffic and L3 use compete with them directly"
                : ": its memory traffic competes with them directly"), "place the stressor on another NUMA node, or give the host another node");
      } else {
        List<Integer> shared = mine.stream().filter(i -> rts.stream().anyMatch(p -> domains(CpuSet.of(p.pins())).contains(i))).sorted().toList();
        d.warning(Code.RTC063, at, s.vm().name() + " (NUMA node " + s.node() + ") shares L3 instance " + shared.get(0) + " with real-time VM "
            + names + (rts.stream().anyMatch(p -> p.node() != s.node()) ? " on another node (sub-NUMA clustering: the nodes split one L3)" : "")
            + ": its misses evict their unreserved lines and load the shared ring and memory controllers",
            "place the stressor on a node of another L3 instance (another socket), or accept the interference the benchmark will measure");
      }
    }
  }

  /** How many NUMA nodes share the L3 instance of {@code node}: more than 1 under sub-NUMA clustering. */
  private int nodesSharingL3(int node) {
    return topology.l3().flatMap(l3 -> l3.instances().stream().filter(i -> i.cpus().intersects(nodeCpus(node))).findFirst())
        .map(i -> topology.nodesSharing(i).size()).orElse(1);
  }

  private boolean memoryFits(Vm vm, int node) {
    return !memoryLeft.containsKey(node) || memoryLeft.get(node) >= vm.memory().bytes();
  }

  /** Books the VM's memory on its node; memory is bound strictly to the node (numatune), so it must fit. */
  private boolean takeMemory(Vm vm, int node) {
    if (!memoryFits(vm, node)) {
      d.error(Code.RTC065, vm.pointer() + "/memory", vm.name() + " needs " + vm.memory().exact() + " on NUMA node " + node
          + ", which has " + new ByteSize(memoryLeft.get(node)).exact() + " left of " + nodeMemory(node).exact()
          + (memoryLeft.get(node) < nodeMemory(node).bytes() ? " after the VMs placed before it" : ""),
          "lower memory, or place the VM on a node with more memory");
      return false;
    }
    memoryLeft.computeIfPresent(node, (n, left) -> left - vm.memory().bytes());
    return true;
  }

  private ByteSize nodeMemory(int node) {
    return topology.numaNodes().stream().filter(n -> n.id() == node).findFirst().flatMap(NumaNode::memory).orElseThrow();
  }

  /** Reserves explicit vCPU and emulator pins; returns the VM's node and core type when its vCPUs are pinned. */
  private Optional<Pool> reserveExplicit(Vm vm) {
    Optional<Integer> node = Optional.empty();
    CoreType type = CoreType.P;
    if (vm.placement() instanceof Placement.Pinned p && !p.cpus().isEmpty()) {
      String at = vm.pointer() + "/placement/pin";
      node = checkPins(vm, p.cpus(), at, "vCPUs");
      type = topology.coreType(p.cpus().toList().get(0));
      List<CoreType> types = p.cpus().stream().mapToObj(topology::coreType).distinct().toList();
      if (types.size() > 1) {
        d.error(Code.RTC041, at, vm.name() + "'s vCPUs " + p.cpus().describe() + " mix core types (" + String.join(", ",
            types.stream().map(CoreType::noun).toList()) + "); its vCPUs would run at different speeds",
            "pin a VM's vCPUs to CPUs of one core type");
        node = Optional.empty();
      }
      claim(p.cpus(), vm.name() + " vCPUs");
      if (wholeCores(vm, type) && vm.siblingPairs()) {
        for (int cpu : p.cpus()) {
          int sib = topology.sibling(cpu);
          if (!p.cpus().contains(sib)) {
            d.error(Code.RTC041, at, "CPU " + cpu + "'s SMT sibling " + sib + " is not pinned to " + vm.name() + ", which takes "
                + "whole cores in pairs (siblings: pair)", "pin both threads of each core: add " + sib + ", or drop " + cpu);
            node = Optional.empty();
            break;
          }
        }
      } else if (wholeCores(vm, type)) {
        CpuSet idle = CpuSet.of(p.cpus().stream().map(topology::sibling).boxed().toList());
        for (int cpu : p.cpus()) {
          int sib = topology.sibling(cpu);
          String other = owner.get(sib);
          if (p.cpus().contains(sib) || !isolated.contains(sib) || (other != null && !other.equals(vm.name() + " vCPUs"))) {
            d.error(Code.RTC041, at, "CPU " + cpu + "'s SMT sibling " + sib + (p.cpus().contains(sib) ? " is pinned to " + vm.name()
                + " too" : !isolated.contains(sib) ? " is a housekeeping CPU" : " is given to " + other)
                + "; a real-time vCPU needs its core to itself", "pin one thread per core, and leave the siblings isolated and free");
            node = Optional.empty();
            break;
          }
        }
        claim(idle, vm.name() + " idle siblings");
      }
      CoreType t = type;
      node.ifPresent(n -> decisions.add(new Decision(vm.name(), "vCPUs 0-" + (vm.vcpus() - 1) + " → CPUs " + p.cpus(),
          "pinned in the manifest; isolated " + (topology.hybrid() ? t.noun() + "s" : "CPUs") + " of NUMA node " + n)));
    }
    if (vm.emulator() instanceof Emulator.Pinned e && !e.cpus().isEmpty()) {
      checkPins(vm, e.cpus(), vm.pointer() + "/emulator/pin", "emulator threads");
      claim(e.cpus(), vm.name() + " emulator");
    }
    CoreType t = type;
    return node.map(n -> new Pool(n, t));
  }

  private Optional<Integer> checkPins(Vm vm, CpuSet cpus, String at, String what) {
    boolean ok = true;
    CpuSet notIsolated = cpus.minus(isolated);
    if (!notIsolated.isEmpty()) {
      d.error(Code.RTC041, at, "CPUs " + notIsolated.describe() + " for " + vm.name() + "'s " + what + " are not isolated"
          + (housekeeping.intersects(notIsolated) ? " (housekeeping: " + housekeeping.describe() + ")" : " (not CPUs of this host)"),
          "choose from the isolated CPUs " + isolated.describe());
      ok = false;
    }
    for (int cpu : cpus) {
      String other = owner.get(cpu);
      if (other != null) {
        d.error(Code.RTC041, at, "CPU " + cpu + " for " + vm.name() + "'s " + what + " is already given to " + other,
            "an isolated CPU runs one thing; choose another CPU");
        ok = false;
        break;
      }
    }
    List<Integer> nodes = topology.numaNodes().stream().filter(n -> n.cpus().intersects(cpus)).map(NumaNode::id).toList();
    if (nodes.size() > 1) {
      d.error(Code.RTC041, at, vm.name() + "'s " + what + " " + cpus.describe() + " span NUMA nodes " + nodes,
          "keep a VM on one NUMA node so its memory stays local");
      ok = false;
    }
    return ok && nodes.size() == 1 ? Optional.of(nodes.get(0)) : Optional.empty();
  }

  private void claim(CpuSet cpus, String who) {
    for (int cpu : cpus) {
      owner.putIfAbsent(cpu, who);
    }
  }

  /** The isolated CPUs of a pool that nothing has taken yet. */
  private CpuSet free(Pool pool) {
    CpuSet f = poolCpus(pool).intersect(isolated);
    return CpuSet.of(f.stream().filter(c -> !owner.containsKey(c)).boxed().toList());
  }

  private CpuSet poolCpus(Pool pool) {
    return topology.hybrid() ? nodeCpus(pool.node()).intersect(topology.cpusOfType(pool.type())) : nodeCpus(pool.node());
  }

  private CpuSet nodeCpus(int node) {
    return topology.numaNodes().stream().filter(n -> n.id() == node).findFirst().map(NumaNode::cpus).orElse(CpuSet.empty());
  }

  /** A node's pools in the order {@code vm} prefers them: real-time VMs P-cores first, stressors E-cores first. */
  private List<Pool> pools(Vm vm, int node) {
    return pools(topology, isolated, vm, node);
  }

  /** The same, for the planner's search, which has no CpuPlanner. */
  static List<Pool> pools(Topology topology, CpuSet isolated, Vm vm, int node) {
    if (!topology.hybrid()) {
      return List.of(new Pool(node, CoreType.P));
    }
    // Pairs are the two threads of one core, and only P-cores have two.
    List<CoreType> order = vm.siblingPairs() ? List.of(CoreType.P)
        : vm.isRealtime() ? List.of(CoreType.P, CoreType.E, CoreType.LPE) : List.of(CoreType.E, CoreType.LPE, CoreType.P);
    CpuSet nodeCpus = topology.numaNodes().stream().filter(n -> n.id() == node).findFirst().map(NumaNode::cpus).orElse(CpuSet.empty());
    return order.stream().map(t -> new Pool(node, t)).filter(p -> nodeCpus.intersect(topology.cpusOfType(p.type())).intersects(isolated))
        .toList();
  }

  /** "node 0", or "the P-cores of node 0" on hybrid parts. */
  private String describe(Pool pool) {
    return topology.hybrid() ? "the " + pool.type().noun() + "s of node " + pool.node() : "node " + pool.node();
  }

  /** CPUs (threads) a VM takes from a pool: with SMT a real-time vCPU takes its whole core, the sibling left idle. */
  private int needed(Vm vm, CoreType type) {
    int n = vm.placement() instanceof Placement.Pinned ? 0 : wholeCores(vm, type) ? 2 * coresNeeded(vm) : vm.vcpus();
    return n + (vm.emulator() instanceof Emulator.Dedicated ded ? ded.count() : 0);
  }

  /**
   * With SMT, a real-time vCPU gets a core of its own: the sibling thread shares the core's
   * caches, TLB and execution units, so anything running there is interference. It stays idle.
   * Only P-cores have SMT on hybrid parts.
   */
  private boolean wholeCores(Vm vm, CoreType type) {
    return topology.smt() && vm.isRealtime() && type == CoreType.P;
  }

  /** The node's shared emulator pool, when a VM with emulator: shared is the first there: the CPUs it sets aside. */
  private int sharedPoolToTake(Vm vm, int node) {
    return vm.emulator() instanceof Emulator.Shared && !emulatorPools.containsKey(node) ? emulatorPoolSize : 0;
  }

  /** Whole cores a real-time VM takes: one per vCPU (the sibling idle), or one per pair of vCPUs (siblings: pair). */
  private static int coresNeeded(Vm vm) {
    return vm.siblingPairs() ? vm.vcpus() / 2 : vm.vcpus();
  }

  /** Free isolated cores of a pool, as their lower thread: both threads free and isolated. */
  private CpuSet freeCores(Pool pool) {
    CpuSet f = free(pool);
    return CpuSet.of(f.stream().filter(c -> c < topology.sibling(c) && f.contains(topology.sibling(c))).boxed().toList());
  }

  private boolean fits(Vm vm, Pool pool) {
    int need = needed(vm, pool.type()) + sharedPoolToTake(vm, pool.node());
    if (!wholeCores(vm, pool.type()) || vm.placement() instanceof Placement.Pinned) {
      return free(pool).size() >= need;
    }
    return freeCores(pool).size() >= coresNeeded(vm) && free(pool).size() >= need;
  }

  /** The first of {@code pools} that has room for {@code vm}'s CPUs and memory, or null. */
  private Pool firstFitting(Vm vm, List<Pool> pools) {
    return pools.stream().filter(p -> fits(vm, p) && memoryFits(vm, p.node())).findFirst().orElse(null);
  }

  private Pool choose(Vm vm) {
    String what = vm.vcpus() + " vCPUs" + (vm.emulator() instanceof Emulator.Dedicated ded ? " + " + ded.count() + " emulator CPUs" : "");
    Pool found = searched.get(vm.name());
    if (found != null) {
      if (!fits(vm, found) || !memoryFits(vm, found.node())) {
        d.error(Code.RTC060, vm.pointer() + "/vcpus", vm.name() + " does not fit " + describe(found), "");
        return null;
      }
      decisions.add(new Decision(vm.name(), "NUMA node " + found.node() + typeNote(found), "found by search: taking the first fitting "
          + (topology.hybrid() ? "node and core type" : "node") + " for each VM in turn left a later VM without room, so rtc tried other "
          + "assignments in order and this is the first that fits all"));
      return found;
    }
    if (vm.placement() instanceof Placement.OnNode on) {
      // CPUs decide here; memory that does not fit the chosen node is RTC065, said when it is booked.
      Pool pool = pools(vm, on.node()).stream().filter(p -> fits(vm, p)).findFirst().orElse(null);
      if (pool == null) {
        Pool best = pools(vm, on.node()).isEmpty() ? new Pool(on.node(), CoreType.P) : pools(vm, on.node()).get(0);
        CpuSet free = free(best);
        d.error(Code.RTC060, vm.pointer() + "/vcpus", vm.name() + " needs " + needed(vm, best.type()) + " free isolated CPUs on "
            + describe(best) + " (" + what + "); it has " + free.size() + (free.isEmpty() ? "" : " (" + free.describe() + ")"),
            "lower vcpus, or leave placement to the solver");
        return null;
      }
      decisions.add(new Decision(vm.name(), "NUMA node " + on.node() + typeNote(pool), "chosen in the manifest" + typeWhy(vm, pool)));
      return pool;
    }
    List<Integer> order = topology.numaNodes().stream().map(NumaNode::id).sorted().toList();
    // Core type first (real-time VMs take P-cores on any node before E-cores), then the lowest node.
    List<Pool> candidates = new ArrayList<>();
    for (CoreType type : CoreType.values()) {
      for (int node : order) {
        pools(vm, node).stream().filter(p -> p.type() == type).forEach(candidates::add);
      }
    }
    if (topology.hybrid() && !vm.isRealtime()) {
      candidates.sort(java.util.Comparator.comparingInt(p -> pools(vm, p.node()).indexOf(p)));
    }
    Set<Integer> avoid = vm.isRealtime() ? stressorDomains : realtimeDomains;
    List<Pool> preferred = candidates.stream().filter(p -> disjoint(domains(p), avoid)).toList();
    if (cacheWays(vm) > 0) {
      // The first pool whose L3 still has the ways this VM asks for; without one, plain first fit below.
      for (Pool pool : preferred) {
        if (fits(vm, pool) && memoryFits(vm, pool.node()) && cacheFits(vm, pool.node())) {
          boolean lowest = firstFitting(vm, preferred) == null || firstFitting(vm, preferred).equals(pool);
          decisions.add(new Decision(vm.name(), "NUMA node " + pool.node() + typeNote(pool), "the lowest node with "
              + needed(vm, pool.type()) + " free isolated CPUs (" + what + ")" + typeWhy(vm, pool)
              + (lowest ? "" : " whose L3 instance still has the " + cacheWays(vm) + " ways it asks for")));
          return pool;
        }
      }
    }
    Pool pool = firstFitting(vm, preferred);
    if (pool != null) {
      decisions.add(new Decision(vm.name(), "NUMA node " + pool.node() + typeNote(pool), vm.isRealtime()
          ? "the lowest node with " + needed(vm, pool.type()) + " free isolated CPUs (" + what + ")" + typeWhy(vm, pool)
          : (realtimeDomains.isEmpty() ? "the lowest node with " + needed(vm, pool.type()) + " free isolated CPUs" + typeWhy(vm, pool)
              : separation(pool))));
      return pool;
    }
    pool = firstFitting(vm, candidates);
    if (pool != null) {
      decisions.add(new Decision(vm.name(), "NUMA node " + pool.node() + typeNote(pool), "no " + (topology.l3().isPresent()
          ? "L3 instance" : "node") + " without a " + (vm.isRealtime() ? "stressor" : "real-time VM") + " has " + needed(vm, pool.type())
          + " free isolated CPUs, so it shares one (warning RTC063)"));
      return pool;
    }
    StringBuilder free = new StringBuilder();
    for (int node : order) {
      for (Pool p : pools(vm, node)) {
        CpuSet f = free(p);
        free.append(free.length() == 0 ? "" : "; ").append(describe(p).replace("the ", "")).append(": ").append(f.size())
            .append(f.isEmpty() ? "" : " (" + f.describe() + ")");
      }
    }
    List<Pool> cpusFit = candidates.stream().filter(p -> fits(vm, p)).toList();
    Pool first = candidates.isEmpty() ? new Pool(order.get(0), CoreType.P) : candidates.get(0);
    int need = needed(vm, first.type());
    if (!cpusFit.isEmpty()) {
      String left = String.join("; ", cpusFit.stream().map(Pool::node).distinct()
          .map(n -> "node " + n + ": " + (memoryLeft.containsKey(n) ? new ByteSize(memoryLeft.get(n)).exact() : "no limit") + " left").toList());
      d.error(Code.RTC065, vm.pointer() + "/memory", vm.name() + " needs " + vm.memory().exact() + " on one NUMA node, and no node "
          + "with " + needed(vm, cpusFit.get(0).type()) + " free isolated CPUs has it (" + left + ")",
          "lower memory, or correct the nodes' memory in the topology");
      return null;
    }
    int most = candidates.stream().mapToInt(p -> capacity(vm, p)).max().orElse(0);
    d.error(Code.RTC060, vm.pointer() + "/vcpus", vm.name() + " needs " + need + " free isolated CPUs on one NUMA node"
        + (topology.hybrid() ? ", of one core type" : "") + " (" + what + (wholeCores(vm, first.type()) ? vm.siblingPairs()
        ? ", vCPUs in pairs on whole cores" : ", each vCPU on a whole core" : "")
        + "); free isolated CPUs: " + free, relaxation(vm, most, candidates));
    return null;
  }

  /** ", P-cores" on hybrid parts; nothing otherwise. */
  private String typeNote(Pool pool) {
    return topology.hybrid() ? ", " + pool.type().noun() + "s" : "";
  }

  /** Why this core type, on hybrid parts. */
  private String typeWhy(Vm vm, Pool pool) {
    if (!topology.hybrid()) {
      return "";
    }
    if (vm.isRealtime()) {
      return pool.type() == CoreType.P ? "; P-cores first: the fastest cores, one core type so every vCPU runs at one speed"
          : "; no P-cores left with room, so " + pool.type().noun() + "s, all of one type";
    }
    return pool.type() == CoreType.P ? "; no E-cores left with room" : "; E-cores first, keeping P-cores for real-time VMs";
  }

  /** Why a stressor's pool keeps its load away from the real-time VMs. */
  private String separation(Pool pool) {
    if (topology.l3().isEmpty()) {
      return "a node with no real-time VM, so its load reaches the real-time VMs only through shared memory and interconnect";
    }
    if (domains(pool).isEmpty()) {
      return pool.type().noun() + "s outside every L3 instance, so its load reaches the real-time VMs only through memory";
    }
    return nodesSharingL3(pool.node()) > 1 || topology.hybrid()
        ? "an L3 instance with no real-time VM, so its load reaches the real-time VMs only through shared memory and interconnect"
        : "a node with no real-time VM, so its load reaches the real-time VMs only through shared memory and interconnect";
  }

  /** The most vCPUs {@code vm} could have in {@code pool} as things stand, its emulator CPUs unchanged. */
  private int capacity(Vm vm, Pool pool) {
    int emulator = vm.emulator() instanceof Emulator.Dedicated ded ? ded.count() : 0;
    int free = free(pool).size();
    if (!wholeCores(vm, pool.type())) {
      return Math.max(0, free - emulator);
    }
    int cores = Math.max(0, Math.min(freeCores(pool).size(), (free - emulator) / 2));
    return vm.siblingPairs() ? 2 * cores : cores;
  }

  /**
   * The binding constraint as a concrete change: what to lower, and to what, so that the VM fits
   * the roomiest pool as things stand (the VMs placed before it keep their CPUs).
   *
   * @param most the most vCPUs any pool has room for, beside the VM's emulator CPUs
   */
  private String relaxation(Vm vm, int most, List<Pool> candidates) {
    int emulator = vm.emulator() instanceof Emulator.Dedicated ded ? ded.count() : 0;
    int minVcpus = vm.isRealtime() ? 2 : 1;
    boolean whole = !candidates.isEmpty() && wholeCores(vm, candidates.get(0).type());
    int perVcpu = whole && !vm.siblingPairs() ? 2 : 1;
    List<String> ways = new ArrayList<>();
    if (most >= minVcpus) {
      ways.add("lower " + vm.name() + ".vcpus from " + vm.vcpus() + " to " + most);
    }
    if (emulator > 0) {
      // Room left for emulator threads in the best pool once the vCPUs have their CPUs (or cores).
      int room = candidates.stream().mapToInt(p -> wholeCores(vm, p.type()) && freeCores(p).size() < coresNeeded(vm) ? -1
          : free(p).size() - (wholeCores(vm, p.type()) ? 2 * coresNeeded(vm) : vm.vcpus())).max().orElse(-1);
      if (room >= 0) {
        ways.add(room == 0 ? "run " + vm.name() + "'s emulator threads on housekeeping CPUs (leave out emulator)"
            : "lower " + vm.name() + ".emulator.cpus from " + emulator + " to " + room);
      }
    }
    int cpusShort = (vm.vcpus() - most) * perVcpu;
    ways.add("free " + cpusShort + " more isolated CPU" + (cpusShort == 1 ? "" : "s") + (whole ? " (" + (cpusShort + 1) / 2
        + " whole core" + (cpusShort <= 2 ? "" : "s") + ")" : "") + " on one node (fewer housekeeping CPUs there, or smaller VMs placed "
        + "before " + vm.name() + ")");
    return String.join("; or ", ways);
  }

  private List<Integer> takeLowest(Vm vm, Pool pool) {
    int node = pool.node();
    if (wholeCores(vm, pool.type()) && vm.siblingPairs()) {
      CpuSet cores = freeCores(pool).lowest(coresNeeded(vm));
      List<Integer> pins = new ArrayList<>();
      cores.forEach(c -> {
        pins.add(c);
        pins.add(topology.sibling(c));
      });
      claim(CpuSet.of(pins), vm.name() + " vCPUs");
      decisions.add(new Decision(vm.name(), "vCPUs 0-" + (vm.vcpus() - 1) + " → CPUs " + String.join(",", pins.stream().map(String::valueOf)
          .toList()) + ", in sibling pairs", "the lowest free isolated cores of " + describe(pool) + ", both threads to this VM "
          + "(siblings: pair): vCPUs 2k and 2k+1 share a core and the guest sees 2 threads per core, so no other work shares them"));
      return pins;
    }
    if (wholeCores(vm, pool.type())) {
      CpuSet take = freeCores(pool).lowest(vm.vcpus());
      CpuSet idle = CpuSet.of(take.stream().map(topology::sibling).boxed().toList());
      claim(take, vm.name() + " vCPUs");
      claim(idle, vm.name() + " idle siblings");
      decisions.add(new Decision(vm.name(), "vCPUs 0-" + (vm.vcpus() - 1) + " → CPUs " + take + "; their SMT siblings " + idle
          + " stay idle", "the lowest free isolated cores of node " + node + ", one per vCPU: a sibling thread shares the core's "
          + "caches and execution units, so nothing else runs there"));
      return take.toList();
    }
    CpuSet free = free(pool);
    CpuSet take = free.lowest(vm.vcpus());
    String l2Note = "";
    if (vm.isRealtime() && topology.l2().isPresent()) {
      // CPUs whose whole L2 instance is still free first (an Atom module, an E-core cluster): an L2
      // shared with housekeeping or another VM is interference that no isolation removes.
      List<Integer> clean = new ArrayList<>();
      List<Integer> shared = new ArrayList<>();
      for (int cpu : free) {
        boolean whole = topology.l2().get().instances().stream().filter(i -> i.cpus().contains(cpu)).allMatch(i -> free.containsAll(i.cpus()));
        (whole ? clean : shared).add(cpu);
      }
      clean.addAll(shared);
      take = CpuSet.of(clean.subList(0, vm.vcpus()));
      if (!take.equals(free.lowest(vm.vcpus()))) {
        l2Note = "; L2 instances no one else uses first, so its L2 is not shared with housekeeping or another VM";
      }
    }
    claim(take, vm.name() + " vCPUs");
    String cpus = topology.hybrid() ? pool.type().noun() + "s" : "CPUs";
    decisions.add(new Decision(vm.name(), "vCPUs 0-" + (vm.vcpus() - 1) + " → CPUs " + take,
        (l2Note.isEmpty() ? "the lowest free isolated " : "free isolated ") + cpus + " of node " + node + ", one per vCPU"
        + (topology.hybrid() && pool.type() != CoreType.P ? " (no SMT on " + cpus + ")" : "") + l2Note));
    return take.toList();
  }

  /**
   * {@code count} free isolated CPUs of a pool for emulator threads, from the top. With SMT one
   * thread at a time: the highest thread of an already broken core, else the highest thread (which
   * breaks a core, whose other half goes next), so e threads break at most ceil(e / 2) whole cores
   * and a later real-time VM still finds the rest.
   */
  private CpuSet emulatorCpus(Pool pool, int count) {
    CpuSet free = free(pool);
    if (!(topology.smt() && pool.type() == CoreType.P)) {
      return free.highest(count);
    }
    List<Integer> chosen = new ArrayList<>();
    CpuSet left = free;
    for (int i = 0; i < count && !left.isEmpty(); i++) {
      CpuSet l = left;
      CpuSet broken = CpuSet.of(l.stream().filter(c -> !l.contains(topology.sibling(c))).boxed().toList());
      int pick = (broken.isEmpty() ? l : broken).highest(1).toList().get(0);
      chosen.add(pick);
      left = left.minus(CpuSet.of(pick));
    }
    return CpuSet.of(chosen);
  }

  private String emulatorWhy(Pool pool) {
    return topology.smt() && pool.type() == CoreType.P
        ? "both threads of a core before another core, from the top, so whole cores stay whole for real-time VMs" : "the highest free";
  }

  private CpuSet emulator(Vm vm, Pool pool) {
    int node = pool.node();
    if (vm.emulator() instanceof Emulator.Pinned p) {
      decisions.add(new Decision(vm.name(), "emulator → CPUs " + p.cpus(), "pinned in the manifest"));
      return p.cpus();
    }
    if (vm.emulator() instanceof Emulator.Dedicated ded) {
      CpuSet take = emulatorCpus(pool, ded.count());
      claim(take, vm.name() + " emulator");
      decisions.add(new Decision(vm.name(), "emulator → CPUs " + take, ded.count()
          + " dedicated isolated CPUs on " + describe(pool) + ", away from every vCPU: " + emulatorWhy(pool)));
      return take;
    }
    if (vm.emulator() instanceof Emulator.Shared) {
      CpuSet shared = emulatorPools.get(node);
      if (shared == null) {
        shared = emulatorCpus(pool, emulatorPoolSize);
        claim(shared, "node " + node + " emulator pool");
        emulatorPools.put(node, shared);
        decisions.add(new Decision("host", "emulator pool of node " + node + " → CPUs " + shared, "host.emulatorPool: "
            + emulatorPoolSize + " isolated CPUs on " + describe(pool) + ", set aside when " + vm.name() + ", the first VM there with "
            + "emulator: shared, was placed; " + emulatorWhy(pool)));
      }
      decisions.add(new Decision(vm.name(), "emulator → CPUs " + shared, "the shared emulator pool of node " + node
          + ": isolated, on the VM's node, and shared only with other VMs' emulator threads"));
      return shared;
    }
    CpuSet local = nodeCpus(node).intersect(housekeeping);
    if (local.isEmpty()) {
      d.warning(Code.RTC063, vm.pointer(), "NUMA node " + node + " has no housekeeping CPU, so " + vm.name()
          + "'s emulator threads run on another node's (" + housekeeping + ")", "keep a housekeeping CPU on every node, or give emulator: {cpus: 1}");
      decisions.add(new Decision(vm.name(), "emulator → CPUs " + housekeeping, "node " + node + " has no housekeeping CPU"));
      return housekeeping;
    }
    decisions.add(new Decision(vm.name(), "emulator → CPUs " + local, "no dedicated emulator CPUs asked; the housekeeping CPUs of node " + node));
    return local;
  }
}
