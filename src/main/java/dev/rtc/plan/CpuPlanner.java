package dev.rtc.plan;

import dev.rtc.manifest.Manifest.Emulator;
import dev.rtc.manifest.Manifest.Placement;
import dev.rtc.manifest.Manifest.Vm;
import dev.rtc.manifest.Topology.CoreType;
import dev.rtc.manifest.Topology;
import dev.rtc.manifest.diagnostics.Code;
import dev.rtc.manifest.diagnostics.Diagnostics;
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
import java.util.function.Predicate;

/**
 * Decides which host CPUs run each VM's vCPUs and emulator threads.
 *
 * <p>Each VM in start order (real-time VMs first) gets an {@link Option}: the pool of its vCPUs
 * (the isolated CPUs of one NUMA node and one core type) and, when its emulator threads take
 * isolated CPUs, the pool those come from (the same node, any core type). The options of a VM
 * are ordered by the rules, and the first plan in that order wins:
 * <ul>
 *   <li>explicit pins are reserved first ({@link PinReservation}), so automatic placement never takes them;
 *   <li>real-time VMs prefer P-cores, stressors E-cores; then the lowest node;
 *   <li>a VM prefers an L3 instance (or, without L3 data, a node) with no VM of the other role;
 *       a real-time VM with cache one whose L3 still has its ways;
 *   <li>within a pool the {@link VcpuPicker} and {@link EmulatorPicker} take CPUs; what is still
 *       shared between stressors and real-time VMs is said by {@link Interference}.
 * </ul>
 * First fit takes, for each VM in turn, its first option that fits. When that leaves a VM
 * without room (or its cache without ways), a depth-first search over the same options, in the
 * same order, finds the first plan that fits all, remembering the states it has proven dead;
 * only when none exists is the deployment refused ({@link Refusal}), with hints it has tried.
 * Ties break towards the lowest node id and CPU number, so the same manifest gives the same plan.
 */
final class CpuPlanner {

  /** Where one VM runs: its node, the core type of its vCPUs' CPUs (P on parts with one type), the CPUs. */
  record Placed(Vm vm, int node, CoreType type, List<Integer> pins, CpuSet emulator) {}

  /** A VM's place: the pool of its vCPUs, and the pool its emulator threads take CPUs from (null when they take none). */
  record Option(CpuLedger.Pool vcpus, CpuLedger.Pool emulator) {}

  private final Topology topology;
  private final CpuSet housekeeping;
  private final Diagnostics d;
  private final List<Decision> decisions;
  private final Interference interference;
  private Optional<ByteSize> hostCache = Optional.empty();
  private int poolSize;
  private Map<String, DeviceNode> deviceNodes = Map.of();

  /** Where a VM's passed-through devices sit: their NUMA node, and one of them to name. */
  record DeviceNode(int node, String device) {}

  CpuPlanner(Topology topology, CpuSet housekeeping, Diagnostics d, List<Decision> decisions) {
    this.topology = topology;
    this.housekeeping = housekeeping;
    this.d = d;
    this.decisions = decisions;
    this.interference = new Interference(topology);
  }

  /** Lets the search keep real-time VMs with cache on L3 instances that still have the ways for them. */
  CpuPlanner withCache(Optional<ByteSize> hostCache) {
    this.hostCache = hostCache;
    return this;
  }

  /** The nodes of the VMs' devices: a real-time VM's is a hard rule, a stressor's a preference. */
  CpuPlanner withDeviceNodes(Map<String, DeviceNode> nodes) {
    this.deviceNodes = Map.copyOf(nodes);
    return this;
  }

  /** The node {@code vm} must run on: its placement's, or for a real-time VM left to the solver, its devices'. */
  java.util.OptionalInt requiredNode(Vm vm) {
    if (vm.placement() instanceof Placement.OnNode on) {
      return java.util.OptionalInt.of(on.node());
    }
    DeviceNode dn = deviceNodes.get(vm.name());
    return dn != null && vm.isRealtime() && vm.placement() instanceof Placement.Auto ? java.util.OptionalInt.of(dn.node())
        : java.util.OptionalInt.empty();
  }

  /** The device that fixes {@code vm}'s node, when one does. */
  Optional<DeviceNode> deviceNode(Vm vm) {
    return Optional.ofNullable(deviceNodes.get(vm.name()));
  }

  /** The size of each node's shared emulator pool (host.emulatorPool). */
  CpuPlanner withEmulatorPool(int size) {
    this.poolSize = size;
    return this;
  }

  /** The same planner on other housekeeping CPUs, saying nothing: for trying a refusal's hints. */
  CpuPlanner with(CpuSet otherHousekeeping) {
    return new CpuPlanner(topology, otherHousekeeping, d.scratch(), new ArrayList<>()).withCache(hostCache).withEmulatorPool(poolSize)
        .withDeviceNodes(deviceNodes);
  }

  int emulatorPoolSize() {
    return poolSize;
  }

  /**
   * Places every VM it can and says why; a VM with no room gets a refusal instead.
   *
   * @param vms in start order: real-time VMs first
   * @param accept whether a complete placement also plans (its cache): the search goes on past one that does not
   */
  List<Placed> place(List<Vm> vms, Predicate<List<Placed>> accept) {
    CpuLedger base = new CpuLedger(topology, housekeeping, hostCache);
    Map<String, CpuLedger.Pool> pinned = new HashMap<>();
    Set<String> refusedPins = new HashSet<>();
    for (Vm vm : vms) {
      Optional<CpuLedger.Pool> pool = PinReservation.reserve(base, vm, d, decisions);
      pool.ifPresent(p -> pinned.put(vm.name(), p));
      if (pool.isEmpty() && vm.placement() instanceof Placement.Pinned p && !p.cpus().isEmpty()) {
        refusedPins.add(vm.name()); // said why already
      }
    }
    List<Vm> order = vms.stream().filter(v -> !refusedPins.contains(v.name())).toList();
    Search search = new Search(this, order, pinned, base, accept);
    List<Option> greedy = search.greedy();
    List<Option> chosen = greedy;
    boolean searched = false;
    if (greedy.contains(null) || !accept.test(search.greedyPlaced())) {
      List<Option> found = search.dfs();
      if (found != null) {
        chosen = found;
        searched = true;
      }
    }
    List<Placed> placed = apply(order, chosen, greedy, searched, pinned, base.copy(), accept);
    interference.report(placed, d, decisions);
    return placed;
  }

  /** Whether {@code vms} can all be placed (and {@code accept}ed), saying nothing: for trying a refusal's hints. */
  boolean feasible(List<Vm> vms, Predicate<List<Placed>> accept) {
    Diagnostics quiet = d.scratch();
    CpuLedger base = new CpuLedger(topology, housekeeping, hostCache);
    Map<String, CpuLedger.Pool> pinned = new HashMap<>();
    for (Vm vm : vms) {
      PinReservation.reserve(base, vm, quiet, new ArrayList<>()).ifPresent(p -> pinned.put(vm.name(), p));
    }
    if (quiet.hasErrors()) {
      return false;
    }
    Search search = new Search(this, vms, pinned, base, accept).visits(Search.HINT_VISITS);
    List<Option> greedy = search.greedy();
    return !greedy.contains(null) && accept.test(search.greedyPlaced()) || search.dfs() != null;
  }

  // ---- options ----

  /** A VM's options at this point of the placement, in the order of the rules. */
  List<Option> options(CpuLedger l, Vm vm, CpuLedger.Pool pinnedPool, Set<Integer> realtimeDomains, Set<Integer> stressorDomains) {
    List<CpuLedger.Pool> pools;
    if (pinnedPool != null) {
      pools = List.of(pinnedPool);
    } else if (requiredNode(vm).isPresent()) {
      pools = l.pools(vm, requiredNode(vm).getAsInt());
    } else {
      List<CpuLedger.Pool> all = l.allPools(vm);
      DeviceNode dn = deviceNodes.get(vm.name());
      if (dn != null) { // a stressor's devices: their node first, the rules' order within each part
        all = java.util.stream.Stream.concat(all.stream().filter(p -> p.node() == dn.node()), all.stream().filter(p -> p.node() != dn.node()))
            .toList();
      }
      Set<Integer> avoid = vm.isRealtime() ? stressorDomains : realtimeDomains;
      List<CpuLedger.Pool> ordered = new ArrayList<>(all.stream().filter(p -> separated(l, p, avoid)).toList());
      all.stream().filter(p -> !separated(l, p, avoid)).forEach(ordered::add);
      if (l.cacheWays(vm) > 0) {
        List<CpuLedger.Pool> byCache = new ArrayList<>(ordered.stream().filter(p -> l.cacheFits(vm, p.node())).toList());
        ordered.stream().filter(p -> !l.cacheFits(vm, p.node())).forEach(byCache::add);
        ordered = byCache;
      }
      pools = ordered;
    }
    List<Option> out = new ArrayList<>();
    for (CpuLedger.Pool p : pools) {
      if (!EmulatorPicker.takesCpus(l, vm, p.node())) {
        out.add(new Option(p, null));
      } else {
        EmulatorPicker.types(l, vm, p).forEach(t -> out.add(new Option(p, new CpuLedger.Pool(p.node(), t))));
      }
    }
    return out;
  }

  boolean separated(CpuLedger l, CpuLedger.Pool pool, Set<Integer> avoid) {
    return Interference.disjoint(interference.domains(l, pool), avoid);
  }

  /** Whether {@code vm} fits {@code o} as the ledger stands: memory, vCPUs, then emulator threads beside them. */
  boolean fits(CpuLedger l, Vm vm, Option o, boolean pinned) {
    int node = o.vcpus().node();
    if (!l.memoryFits(vm, node)) {
      return false;
    }
    if (!pinned && !VcpuPicker.fits(l, vm, o.vcpus())) {
      return false;
    }
    if (o.emulator() == null) {
      return true;
    }
    int emulator = EmulatorPicker.threads(l, vm, node, poolSize);
    int beside = !pinned && o.emulator().equals(o.vcpus()) ? VcpuPicker.threads(l, vm, o.vcpus().type()) : 0;
    return l.free(o.emulator()).size() >= beside + emulator;
  }

  /** Isolated CPUs {@code vm} takes from the ledger on {@code o}: its vCPUs' (unless pinned) and its emulator threads'. */
  int cpusTaken(CpuLedger l, Vm vm, Option o, boolean pinned) {
    return (pinned ? 0 : VcpuPicker.threads(l, vm, o.vcpus().type()))
        + (o.emulator() == null ? 0 : EmulatorPicker.threads(l, vm, o.vcpus().node(), poolSize));
  }

  /** Books {@code vm} on {@code o}: memory, ways, vCPUs and emulator CPUs; returns where it runs and why. */
  Step take(CpuLedger l, Vm vm, Option o, boolean pinned) {
    int node = o.vcpus().node();
    l.takeMemory(vm, node);
    l.takeWays(vm, node);
    VcpuPicker.Picked v = pinned ? null : VcpuPicker.take(l, vm, o.vcpus(), PinReservation.who(vm));
    List<Integer> pins = pinned ? pinOrder(vm, ((Placement.Pinned) vm.placement()).cpus()) : v.pins();
    EmulatorPicker.Picked e = EmulatorPicker.take(l, vm, node, o.emulator(), poolSize, o.vcpus().type());
    return new Step(new Placed(vm, node, o.vcpus().type(), pins, e.cpus()), v, e);
  }

  /** What one VM's booking gave, with the pickers' reasons. */
  record Step(Placed placed, VcpuPicker.Picked vcpus, EmulatorPicker.Picked emulator) {}

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

  // ---- the chosen plan, said ----

  private List<Placed> apply(List<Vm> order, List<Option> chosen, List<Option> greedy, boolean searched,
      Map<String, CpuLedger.Pool> pinned, CpuLedger l, Predicate<List<Placed>> accept) {
    List<Placed> placed = new ArrayList<>();
    Set<Integer> rtDomains = new HashSet<>();
    Set<Integer> stDomains = new HashSet<>();
    pinnedDomains(order, pinned, rtDomains, stDomains);
    Set<Integer> refused = new HashSet<>();
    for (int i = 0; i < order.size(); i++) {
      if (chosen.get(i) == null) {
        refused.add(i);
      }
    }
    for (int i = 0; i < order.size(); i++) {
      Vm vm = order.get(i);
      Option o = chosen.get(i);
      if (o == null) {
        // Said against the CPUs as they stand when its turn comes, as first fit found them.
        new Refusal(this, topology, housekeeping, d, accept).refuse(order, i, refused, pinned, l.copy()); // hints tried against the same test
        continue;
      }
      boolean isPinned = pinned.containsKey(vm.name());
      if (!isPinned) {
        decisions.add(new Decision(vm.name(), "NUMA node " + o.vcpus().node() + typeNote(o.vcpus()),
            searched && !o.equals(greedy.get(i)) ? "found by search: taking the first fitting " + (topology.hybrid() ? "node and core type"
                : "node") + " for each VM in turn left a later VM without room, so rtc tried other assignments in order and this is "
                + "the first that fits all" : why(l, vm, o, rtDomains, stDomains)));
      }
      Step s = take(l, vm, o, isPinned);
      placed.add(s.placed());
      (vm.isRealtime() ? rtDomains : stDomains).addAll(interference.domains(CpuSet.of(s.placed().pins())));
      if (s.vcpus() != null) {
        decisions.add(new Decision(vm.name(), vcpuWhat(vm, s), s.vcpus().why()));
      }
      say(vm, o, s, l);
    }
    return placed;
  }

  private static String vcpuWhat(Vm vm, Step s) {
    String cpus = String.join(",", s.placed().pins().stream().map(String::valueOf).toList());
    if (!s.vcpus().idle().isEmpty()) {
      return "vCPUs 0-" + (vm.vcpus() - 1) + " → CPUs " + CpuSet.of(s.placed().pins()) + "; their SMT siblings " + s.vcpus().idle()
          + " stay idle";
    }
    return vm.siblingPairs() ? "vCPUs 0-" + (vm.vcpus() - 1) + " → CPUs " + cpus + ", in sibling pairs"
        : "vCPUs 0-" + (vm.vcpus() - 1) + " → CPUs " + CpuSet.of(s.placed().pins());
  }

  private void say(Vm vm, Option o, Step s, CpuLedger l) {
    int node = o.vcpus().node();
    if (vm.emulator() instanceof Emulator.Shared && !s.emulator().newPool().isEmpty()) {
      decisions.add(new Decision("host", "emulator pool of node " + node + " → CPUs " + s.emulator().newPool(),
          EmulatorPicker.poolWhy(l, vm, o.emulator(), poolSize)));
    }
    if (vm.emulator() instanceof Emulator.Housekeeping && l.nodeCpus(node).intersect(housekeeping).isEmpty()) {
      d.warning(Code.RTC063, vm.pointer(), "NUMA node " + node + " has no housekeeping CPU, so " + vm.name()
          + "'s emulator threads run on another node's (" + housekeeping + ")", "keep a housekeeping CPU on every node, or give emulator: {cpus: 1}");
    }
    decisions.add(new Decision(vm.name(), "emulator → CPUs " + s.emulator().cpus(), s.emulator().why()));
  }

  Set<Integer> domains(List<Integer> pins) {
    return interference.domains(CpuSet.of(pins));
  }

  void pinnedDomains(List<Vm> order, Map<String, CpuLedger.Pool> pinned, Set<Integer> rt, Set<Integer> st) {
    for (Vm vm : order) {
      if (pinned.containsKey(vm.name())) {
        (vm.isRealtime() ? rt : st).addAll(interference.domains(((Placement.Pinned) vm.placement()).cpus()));
      }
    }
  }

  /** Why this option, when it is the one first fit takes. */
  private String why(CpuLedger l, Vm vm, Option o, Set<Integer> rtDomains, Set<Integer> stDomains) {
    CpuLedger.Pool p = o.vcpus();
    if (vm.placement() instanceof Placement.OnNode) {
      return "chosen in the manifest" + typeWhy(vm, p);
    }
    if (requiredNode(vm).isPresent()) {
      return "the node of its device " + deviceNodes.get(vm.name()).device() + ": a real-time VM runs where its devices are, so their "
          + "DMA and interrupts never cross the interconnect" + typeWhy(vm, p);
    }
    int need = VcpuPicker.threads(l, vm, p.type()) + (p.equals(o.emulator()) && vm.emulator() instanceof Emulator.Dedicated ded ? ded.count() : 0);
    String what = dev.rtc.manifest.diagnostics.Words.count(vm.vcpus(), "vCPU") + (vm.emulator() instanceof Emulator.Dedicated ded ? " + "
        + dev.rtc.manifest.diagnostics.Words.count(ded.count(), "emulator CPU") : "");
    if (!separated(l, p, vm.isRealtime() ? stDomains : rtDomains) && interference.singleDomain()) {
      return "the only node" + (topology.l3().isPresent() ? " and L3" : "") + " of this host, which every VM shares" + typeWhy(vm, p);
    }
    if (!separated(l, p, vm.isRealtime() ? stDomains : rtDomains)) {
      return "no " + (topology.l3().isPresent() ? "L3 instance" : "node") + " without a " + (vm.isRealtime() ? "stressor" : "real-time VM")
          + " has " + dev.rtc.manifest.diagnostics.Words.count(need, "free isolated CPU") + ", so it shares one (warning RTC063)";
    }
    if (!vm.isRealtime() && !rtDomains.isEmpty()) {
      return interference.separation(l, p);
    }
    // With cache: a lower node that had the CPUs but not the ways is passed over, and the reason says so.
    boolean skipped = l.cacheWays(vm) > 0 && l.allPools(vm).stream().filter(x -> separated(l, x, vm.isRealtime() ? stDomains : rtDomains))
        .takeWhile(x -> !x.equals(p)).anyMatch(x -> VcpuPicker.fits(l, vm, x) && l.memoryFits(vm, x.node()));
    return "the lowest node with " + dev.rtc.manifest.diagnostics.Words.count(need, "free isolated CPU") + (vm.isRealtime() ? " (" + what + ")" : "") + typeWhy(vm, p)
        + (skipped ? " whose L3 instance still has the " + l.cacheWays(vm) + " ways it asks for" : "");
  }

  /** ", P-cores" on hybrid parts; nothing otherwise. */
  String typeNote(CpuLedger.Pool pool) {
    return topology.hybrid() ? ", " + pool.type().noun() + "s" : "";
  }

  /** Why this core type, on hybrid parts. */
  private String typeWhy(Vm vm, CpuLedger.Pool pool) {
    if (!topology.hybrid()) {
      return "";
    }
    if (vm.isRealtime()) {
      return pool.type() == CoreType.P ? "; P-cores first: the fastest cores, one core type so every vCPU runs at one speed"
          : "; no P-cores left with room, so " + pool.type().noun() + "s, all of one type";
    }
    return pool.type() == CoreType.P ? "; no E-cores left with room" : "; E-cores first, keeping P-cores for real-time VMs";
  }
}
