package dev.rtc.plan;

import dev.rtc.manifest.Code;
import dev.rtc.manifest.Diagnostics;
import dev.rtc.manifest.Manifest;
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
 *   <li>vCPUs run on isolated CPUs of one NUMA node, one vCPU per CPU, never shared;
 *   <li>explicit pins are reserved first, so automatic placement never takes them;
 *   <li>real-time VMs choose before stressors; a stressor prefers a node with no real-time VM;
 *   <li>a VM takes the lowest free isolated CPUs of its node, dedicated emulator CPUs the highest,
 *       which keeps each VM's block compact and emulator work at the far end (the guide's layout);
 *   <li>without dedicated emulator CPUs, emulator threads run on the node's housekeeping CPUs.
 * </ul>
 * Ties always break towards the lowest node id and CPU number, so the same manifest gives the same plan.
 */
final class CpuPlanner {

  /** Where one VM runs. */
  record Placed(Vm vm, int node, List<Integer> pins, CpuSet emulator) {}

  private final Topology topology;
  private final CpuSet housekeeping;
  private final CpuSet isolated;
  private final Diagnostics d;
  private final List<Decision> decisions;
  private final Map<Integer, String> owner = new HashMap<>();
  private final Set<Integer> realtimeNodes = new HashSet<>();
  private final Set<Integer> stressorNodes = new HashSet<>();
  /** Memory not yet given to a VM, for the nodes whose size the manifest states. */
  private final Map<Integer, Long> memoryLeft = new HashMap<>();

  /** NUMA nodes for automatically placed VMs, found by the planner's search; empty for first fit. */
  private final Map<String, Integer> searched;

  CpuPlanner(Topology topology, CpuSet housekeeping, Diagnostics d, List<Decision> decisions) {
    this(topology, housekeeping, d, decisions, Map.of());
  }

  /** L3 ways not yet spoken for, per L3 instance: only counted (libvirt's exact pick is the cache planner's). */
  private final Map<Integer, Integer> waysLeft = new HashMap<>();
  private long wayBytes;
  private int minCbmBits;

  /** Lets first fit keep real-time VMs with cache on L3 instances that still have the ways for them. */
  CpuPlanner withCache(Optional<dev.rtc.topology.ByteSize> hostCache) {
    topology.l3().ifPresent(l3 -> l3.cat().ifPresent(cat -> hostCache.ifPresent(hc -> {
      wayBytes = l3.size().bytes() / cat.cbmMask().ways();
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

  CpuPlanner(Topology topology, CpuSet housekeeping, Diagnostics d, List<Decision> decisions, Map<String, Integer> searched) {
    this.searched = searched;
    this.topology = topology;
    this.housekeeping = housekeeping;
    this.isolated = topology.allCpus().minus(housekeeping);
    this.d = d;
    this.decisions = decisions;
    topology.numaNodes().forEach(n -> n.memory().ifPresent(m -> memoryLeft.put(n.id(), m.bytes())));
  }

  /** @param vms in start order: real-time VMs first */
  List<Placed> place(List<Vm> vms) {
    Map<String, Integer> pinnedNode = new HashMap<>();
    for (Vm vm : vms) {
      reserveExplicit(vm).ifPresent(node -> {
        pinnedNode.put(vm.name(), node);
        // Known before anyone chooses, so automatic placement steers around pinned VMs of the other role.
        (vm.isRealtime() ? realtimeNodes : stressorNodes).add(node);
      });
    }
    List<Placed> placed = new ArrayList<>();
    for (Vm vm : vms) {
      Integer node = pinnedNode.containsKey(vm.name()) ? pinnedNode.get(vm.name()) : chooseNode(vm);
      if (node == null) {
        continue;
      }
      (vm.isRealtime() ? realtimeNodes : stressorNodes).add(node);
      if (!takeMemory(vm, node)) {
        continue;
      }
      Integer inst = instanceOf(node);
      if (inst != null && cacheWays(vm) > 0) {
        waysLeft.computeIfPresent(inst, (k, left) -> left - cacheWays(vm));
      }
      List<Integer> pins = vm.placement() instanceof Placement.Pinned p ? p.cpus().toList() : takeLowest(vm, node);
      CpuSet emulator = emulator(vm, node);
      placed.add(new Placed(vm, node, pins, emulator));
    }
    warnSharedNodes(placed);
    return placed;
  }

  /**
   * A stressor on a NUMA node that also runs a real-time VM is allowed (small hosts have one node)
   * but never silent, whether the manifest or the solver put it there.
   */
  private void warnSharedNodes(List<Placed> placed) {
    for (Placed s : placed) {
      if (s.vm().isRealtime()) {
        continue;
      }
      List<String> rts = placed.stream().filter(p -> p.vm().isRealtime() && p.node() == s.node()).map(p -> p.vm().name()).toList();
      if (!rts.isEmpty()) {
        String at = s.vm().placement() instanceof Placement.Auto ? s.vm().pointer() : s.vm().pointer() + "/placement";
        d.warning(Code.RTC063, at, s.vm().name() + " shares NUMA node " + s.node() + " with real-time VM "
            + String.join(", ", rts) + ": its memory traffic and L3 use compete with them directly",
            "place the stressor on another NUMA node, or give the host another node");
      }
    }
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

  /** Reserves explicit vCPU and emulator pins; returns the VM's node when its vCPUs are pinned. */
  private Optional<Integer> reserveExplicit(Vm vm) {
    Optional<Integer> node = Optional.empty();
    if (vm.placement() instanceof Placement.Pinned p && !p.cpus().isEmpty()) {
      String at = vm.pointer() + "/placement/pin";
      node = checkPins(vm, p.cpus(), at, "vCPUs");
      claim(p.cpus(), vm.name() + " vCPUs");
      if (wholeCores(vm)) {
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
      node.ifPresent(n -> decisions.add(new Decision(vm.name(), "vCPUs 0-" + (vm.vcpus() - 1) + " → CPUs " + p.cpus(),
          "pinned in the manifest; isolated CPUs of NUMA node " + n)));
    }
    if (vm.emulator() instanceof Emulator.Pinned e && !e.cpus().isEmpty()) {
      checkPins(vm, e.cpus(), vm.pointer() + "/emulator/pin", "emulator threads");
      claim(e.cpus(), vm.name() + " emulator");
    }
    return node;
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

  private CpuSet free(int node) {
    CpuSet f = nodeCpus(node).intersect(isolated);
    return CpuSet.of(f.stream().filter(c -> !owner.containsKey(c)).boxed().toList());
  }

  private CpuSet nodeCpus(int node) {
    return topology.numaNodes().stream().filter(n -> n.id() == node).findFirst().map(NumaNode::cpus).orElse(CpuSet.empty());
  }

  /** CPUs (threads) a VM takes: with SMT a real-time vCPU takes its whole core, the sibling left idle. */
  private int needed(Vm vm) {
    int n = vm.placement() instanceof Placement.Pinned ? 0 : vm.vcpus() * (wholeCores(vm) ? 2 : 1);
    return n + (vm.emulator() instanceof Emulator.Dedicated ded ? ded.count() : 0);
  }

  /**
   * With SMT, a real-time vCPU gets a core of its own: the sibling thread shares the core's
   * caches, TLB and execution units, so anything running there is interference. It stays idle.
   */
  private boolean wholeCores(Vm vm) {
    return topology.smt() && vm.isRealtime();
  }

  /** Free isolated cores of a node, as their lower thread: both threads free and isolated. */
  private CpuSet freeCores(int node) {
    CpuSet f = free(node);
    return CpuSet.of(f.stream().filter(c -> c < topology.sibling(c) && f.contains(topology.sibling(c))).boxed().toList());
  }

  private boolean fits(Vm vm, int node) {
    int need = needed(vm);
    if (!wholeCores(vm) || vm.placement() instanceof Placement.Pinned) {
      return free(node).size() >= need;
    }
    return freeCores(node).size() >= vm.vcpus() && free(node).size() >= need;
  }

  private Integer chooseNode(Vm vm) {
    int need = needed(vm);
    String what = vm.vcpus() + " vCPUs" + (vm.emulator() instanceof Emulator.Dedicated ded ? " + " + ded.count() + " emulator CPUs" : "");
    Integer found = searched.get(vm.name());
    if (found != null) {
      if (!fits(vm, found) || !memoryFits(vm, found)) {
        d.error(Code.RTC060, vm.pointer() + "/vcpus", vm.name() + " does not fit NUMA node " + found, "");
        return null;
      }
      decisions.add(new Decision(vm.name(), "NUMA node " + found, "found by search: taking the lowest fitting node for each VM "
          + "in turn left a later VM without room, so rtc tried other assignments in order and this is the first that fits all"));
      return found;
    }
    if (vm.placement() instanceof Placement.OnNode on) {
      CpuSet free = free(on.node());
      if (!fits(vm, on.node())) {
        d.error(Code.RTC060, vm.pointer() + "/vcpus", vm.name() + " needs " + need + " free isolated CPUs on NUMA node "
            + on.node() + " (" + what + "); it has " + free.size() + (free.isEmpty() ? "" : " (" + free.describe() + ")"),
            "lower vcpus, or leave placement to the solver");
        return null;
      }
      decisions.add(new Decision(vm.name(), "NUMA node " + on.node(), "chosen in the manifest"));
      return on.node();
    }
    List<Integer> order = topology.numaNodes().stream().map(NumaNode::id).sorted().toList();
    List<Integer> preferred = order.stream().filter(n -> !(vm.isRealtime() ? stressorNodes : realtimeNodes).contains(n)).toList();
    if (cacheWays(vm) > 0) {
      // The lowest node whose L3 still has the ways this VM asks for; without one, plain first fit below.
      for (int node : preferred) {
        if (fits(vm, node) && memoryFits(vm, node) && cacheFits(vm, node)) {
          boolean lowest = preferred.stream().filter(n -> fits(vm, n) && memoryFits(vm, n)).findFirst().orElse(node) == node;
          decisions.add(new Decision(vm.name(), "NUMA node " + node, "the lowest node with " + need + " free isolated CPUs ("
              + what + ")" + (lowest ? "" : " whose L3 instance still has the " + cacheWays(vm) + " ways it asks for")));
          return node;
        }
      }
    }
    for (int node : preferred) {
      if (fits(vm, node) && memoryFits(vm, node)) {
        decisions.add(new Decision(vm.name(), "NUMA node " + node, vm.isRealtime()
            ? "the lowest node with " + need + " free isolated CPUs (" + what + ")"
            : (realtimeNodes.isEmpty() ? "the lowest node with " + need + " free isolated CPUs"
                : "a node with no real-time VM, so its load reaches the real-time VMs only through shared memory and interconnect")));
        return node;
      }
    }
    if (!vm.isRealtime()) {
      for (int node : order) {
        if (fits(vm, node) && memoryFits(vm, node)) {
          decisions.add(new Decision(vm.name(), "NUMA node " + node, "no node without a real-time VM has " + need
              + " free isolated CPUs, so it shares one (warning RTC063)"));
          return node;
        }
      }
    }
    StringBuilder free = new StringBuilder();
    for (int node : order) {
      CpuSet f = free(node);
      free.append(free.length() == 0 ? "" : "; ").append("node ").append(node).append(": ").append(f.size())
          .append(f.isEmpty() ? "" : " (" + f.describe() + ")");
    }
    List<Integer> cpusFit = order.stream().filter(n -> fits(vm, n)).toList();
    if (!cpusFit.isEmpty()) {
      String left = String.join("; ", cpusFit.stream().map(n -> "node " + n + ": " + new ByteSize(memoryLeft.get(n)).exact() + " left").toList());
      d.error(Code.RTC065, vm.pointer() + "/memory", vm.name() + " needs " + vm.memory().exact() + " on one NUMA node, and no node "
          + "with " + need + " free isolated CPUs has it (" + left + ")", "lower memory, or correct the nodes' memory in the topology");
      return null;
    }
    int most = order.stream().mapToInt(n -> capacity(vm, n)).max().orElse(0);
    d.error(Code.RTC060, vm.pointer() + "/vcpus", vm.name() + " needs " + need + " free isolated CPUs on one NUMA node ("
        + what + (wholeCores(vm) ? ", each vCPU on a whole core" : "") + "); free isolated CPUs: " + free, relaxation(vm, most));
    return null;
  }

  /** The most vCPUs {@code vm} could have on {@code node} as things stand, its emulator CPUs unchanged. */
  private int capacity(Vm vm, int node) {
    int emulator = vm.emulator() instanceof Emulator.Dedicated ded ? ded.count() : 0;
    int free = free(node).size();
    if (!wholeCores(vm)) {
      return Math.max(0, free - emulator);
    }
    return Math.max(0, Math.min(freeCores(node).size(), (free - emulator) / 2));
  }

  /**
   * The binding constraint as a concrete change: what to lower, and to what, so that the VM fits
   * the roomiest node as things stand (the VMs placed before it keep their CPUs).
   *
   * @param most the most vCPUs any node has room for, beside the VM's emulator CPUs
   */
  private String relaxation(Vm vm, int most) {
    int emulator = vm.emulator() instanceof Emulator.Dedicated ded ? ded.count() : 0;
    int minVcpus = vm.isRealtime() ? 2 : 1;
    int perVcpu = wholeCores(vm) ? 2 : 1;
    List<String> ways = new ArrayList<>();
    if (most >= minVcpus) {
      ways.add("lower " + vm.name() + ".vcpus from " + vm.vcpus() + " to " + most);
    }
    if (emulator > 0) {
      // Room left for emulator threads on the best node once the vCPUs have their CPUs (or cores).
      int room = topology.numaNodes().stream().mapToInt(n -> wholeCores(vm) && freeCores(n.id()).size() < vm.vcpus() ? -1
          : free(n.id()).size() - perVcpu * vm.vcpus()).max().orElse(-1);
      if (room >= 0) {
        ways.add(room == 0 ? "run " + vm.name() + "'s emulator threads on housekeeping CPUs (leave out emulator)"
            : "lower " + vm.name() + ".emulator.cpus from " + emulator + " to " + room);
      }
    }
    int cpusShort = (vm.vcpus() - most) * perVcpu;
    ways.add("free " + cpusShort + " more isolated CPU" + (cpusShort == 1 ? "" : "s") + (wholeCores(vm) ? " (" + cpusShort / 2
        + " whole core" + (cpusShort == 2 ? "" : "s") + ")" : "") + " on one node (fewer housekeeping CPUs there, or smaller VMs placed "
        + "before " + vm.name() + ")");
    return String.join("; or ", ways);
  }

  private List<Integer> takeLowest(Vm vm, int node) {
    if (wholeCores(vm)) {
      CpuSet take = freeCores(node).lowest(vm.vcpus());
      CpuSet idle = CpuSet.of(take.stream().map(topology::sibling).boxed().toList());
      claim(take, vm.name() + " vCPUs");
      claim(idle, vm.name() + " idle siblings");
      decisions.add(new Decision(vm.name(), "vCPUs 0-" + (vm.vcpus() - 1) + " → CPUs " + take + "; their SMT siblings " + idle
          + " stay idle", "the lowest free isolated cores of node " + node + ", one per vCPU: a sibling thread shares the core's "
          + "caches and execution units, so nothing else runs there"));
      return take.toList();
    }
    CpuSet take = free(node).lowest(vm.vcpus());
    claim(take, vm.name() + " vCPUs");
    decisions.add(new Decision(vm.name(), "vCPUs 0-" + (vm.vcpus() - 1) + " → CPUs " + take,
        "the lowest free isolated CPUs of node " + node + ", one per vCPU"));
    return take.toList();
  }

  private CpuSet emulator(Vm vm, int node) {
    if (vm.emulator() instanceof Emulator.Pinned p) {
      decisions.add(new Decision(vm.name(), "emulator → CPUs " + p.cpus(), "pinned in the manifest"));
      return p.cpus();
    }
    if (vm.emulator() instanceof Emulator.Dedicated ded) {
      CpuSet free = free(node);
      CpuSet take;
      if (topology.smt()) {
        // One thread at a time: the highest thread of an already broken core, else the highest
        // thread (which breaks a core, whose other half goes next). e threads break at most
        // ceil(e / 2) whole cores, and a later real-time VM still finds the rest.
        List<Integer> chosen = new ArrayList<>();
        CpuSet left = free;
        for (int i = 0; i < ded.count() && !left.isEmpty(); i++) {
          CpuSet l = left;
          CpuSet broken = CpuSet.of(l.stream().filter(c -> !l.contains(topology.sibling(c))).boxed().toList());
          int pick = (broken.isEmpty() ? l : broken).highest(1).toList().get(0);
          chosen.add(pick);
          left = left.minus(CpuSet.of(pick));
        }
        take = CpuSet.of(chosen);
      } else {
        take = free.highest(ded.count());
      }
      claim(take, vm.name() + " emulator");
      decisions.add(new Decision(vm.name(), "emulator → CPUs " + take, ded.count()
          + " dedicated isolated CPUs on node " + node + ", away from every vCPU: " + (topology.smt()
              ? "both threads of a core before another core, from the top, so whole cores stay whole for real-time VMs"
              : "the highest free")));
      return take;
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
