package dev.rtc.plan;

import dev.rtc.manifest.Binder;
import dev.rtc.manifest.Manifest.Emulator;
import dev.rtc.manifest.Manifest.Placement;
import dev.rtc.manifest.Manifest.Vm;
import dev.rtc.manifest.Topology.NumaNode;
import dev.rtc.manifest.Topology.Socket;
import dev.rtc.manifest.Topology;
import dev.rtc.manifest.diagnostics.Code;
import dev.rtc.manifest.diagnostics.Diagnostics;
import dev.rtc.plan.CpuPlanner.Option;
import dev.rtc.plan.CpuPlanner.Placed;
import dev.rtc.topology.ByteSize;
import dev.rtc.topology.CpuSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntPredicate;
import java.util.function.Predicate;

/**
 * Says why a VM gets no place, and what would give it one. Every hint is tried before it is given:
 * the whole manifest, this VM changed as the hint says and every other VM that has a place as it
 * is, is planned again (the whole search, and the same cache test), so no hint takes a later VM's
 * room; only a change that then fits is offered, with the largest
 * value that does (fewest CPUs freed). Values are what the manifest would say, in its units, and
 * within what the other rules allow (a real-time VM keeps 2 vCPUs, 4 in sibling pairs, CPU 0 and
 * one CPU per socket stay housekeeping). When nothing helps, it says which is true: the VMs before
 * it take the room, or the host is too small.
 */
final class Refusal {

  private final CpuPlanner planner;
  private final Topology topology;
  private final CpuSet housekeeping;
  private final Diagnostics d;
  private final Predicate<List<Placed>> accept;

  Refusal(CpuPlanner planner, Topology topology, CpuSet housekeeping, Diagnostics d, Predicate<List<Placed>> accept) {
    this.planner = planner;
    this.topology = topology;
    this.housekeeping = housekeeping;
    this.d = d;
    this.accept = accept;
  }

  /** The VMs in start order, the one refused, and the others that have no place either (left out of every trial). */
  private List<Vm> order = List.of();
  private int index;
  private Set<Integer> refused = Set.of();

  /** Refuses {@code order.get(i)}, the ledger as it stands at its turn; {@code refused} are the indices of every VM without a place. */
  void refuse(List<Vm> order, int i, Set<Integer> refused, Map<String, CpuLedger.Pool> pinned, CpuLedger l) {
    this.order = order;
    this.index = i;
    this.refused = refused;
    Vm vm = order.get(i);
    List<Vm> before = order.subList(0, i);
    boolean isPinned = pinned.containsKey(vm.name());
    List<Option> options = planner.options(l, vm, pinned.get(vm.name()), Set.of(), Set.of());
    // The VM without memory: where its CPUs alone would fit. If anywhere, memory is what it lacks.
    List<Option> cpusFit = options.stream().filter(o -> planner.fits(l, vm.withMemory(new ByteSize(0)), o, isPinned)).toList();
    if (!cpusFit.isEmpty()) {
      memory(vm, before, cpusFit, l);
    } else if (isPinned) {
      pinnedEmulator(vm, before, pinned.get(vm.name()), l);
    } else {
      cpus(vm, before, options, l);
    }
  }

  // ---- memory ----

  private void memory(Vm vm, List<Vm> before, List<Option> cpusFit, CpuLedger l) {
    List<Integer> nodes = cpusFit.stream().map(o -> o.vcpus().node()).distinct().toList();
    String left = String.join("; ", nodes.stream().map(n -> "node " + n + ": " + l.memoryLeft(n).map(b -> new ByteSize(b).exact())
        .orElse("no limit") + " left").toList());
    List<String> hints = new ArrayList<>();
    long unit = vm.hugepages().map(ByteSize::bytes).orElse(1L << 20);
    long most = nodes.stream().mapToLong(n -> l.memoryLeft(n).orElse(0L)).max().orElse(0) / unit * unit;
    if (most >= Binder.MIN_MEMORY.bytes() && fits(before, vm.withMemory(new ByteSize(most)))) {
      hints.add("lower " + vm.name() + ".memory from " + vm.memory().exact() + " to " + new ByteSize(most).exact());
    }
    if (!(vm.placement() instanceof Placement.Auto) && fits(before, vm.withPlacement(new Placement.Auto()))) {
      hints.add("leave " + vm.name() + "'s placement to the solver (remove placement)");
    }
    hints.add("correct the nodes' memory in the topology if it is more");
    d.error(Code.RTC065, vm.pointer() + "/memory", vm.name() + " needs " + vm.memory().exact() + " on one NUMA node, and no node "
        + "with room for its CPUs has it (" + left + (before.isEmpty() ? ")" : ", after the VMs placed before it)"),
        String.join("; or ", hints));
  }

  // ---- a VM whose vCPUs are pinned: only its emulator threads can lack room ----

  private void pinnedEmulator(Vm vm, List<Vm> before, CpuLedger.Pool pool, CpuLedger l) {
    CpuSet f = CpuSet.empty();
    for (CpuLedger.Pool p : planner.options(l, vm, pool, Set.of(), Set.of()).stream().map(Option::emulator).distinct().toList()) {
      f = f.union(p == null ? CpuSet.empty() : l.free(p));
    }
    int want = EmulatorPicker.threads(l, vm, pool.node(), planner.emulatorPoolSize());
    d.error(Code.RTC060, vm.pointer() + "/emulator", vm.name() + " is pinned to NUMA node " + pool.node() + ", which has "
        + dev.rtc.manifest.diagnostics.Words.count(f.size(), "free isolated CPU") + " left" + (f.isEmpty() ? "" : " (" + f.describe() + ")") + " for its " + want
        + " emulator CPUs", String.join("; or ", orElse(emulatorHints(vm, before),
            "pin " + vm.name() + " where its node has free isolated CPUs left, or free some there")));
  }

  private List<String> emulatorHints(Vm vm, List<Vm> before) {
    List<String> hints = new ArrayList<>();
    if (vm.emulator() instanceof Emulator.Dedicated ded && ded.count() > 1) {
      int most = largest(1, ded.count() - 1, n -> fits(before, vm.withEmulator(new Emulator.Dedicated(n))));
      if (most > 0) {
        hints.add("lower " + vm.name() + ".emulator.cpus from " + ded.count() + " to " + most);
      }
    }
    if ((vm.emulator() instanceof Emulator.Dedicated || vm.emulator() instanceof Emulator.Shared)
        && fits(before, vm.withEmulator(new Emulator.Housekeeping()))) {
      hints.add("run " + vm.name() + "'s emulator threads on housekeeping CPUs (leave out emulator)");
    }
    return hints;
  }

  private static List<String> orElse(List<String> hints, String fallback) {
    return hints.isEmpty() ? List.of(fallback) : hints;
  }

  // ---- CPUs ----

  private void cpus(Vm vm, List<Vm> before, List<Option> options, CpuLedger l) {
    java.util.OptionalInt required = planner.requiredNode(vm);
    List<CpuLedger.Pool> pools = required.isPresent() ? l.pools(vm, required.getAsInt()) : l.allPools(vm);
    CpuLedger.Pool first = pools.isEmpty() ? null : pools.get(0);
    StringBuilder free = new StringBuilder();
    for (CpuLedger.Pool p : pools.stream().sorted(java.util.Comparator.comparingInt(CpuLedger.Pool::node)).toList()) {
      CpuSet f = l.free(p);
      free.append(free.length() == 0 ? "" : "; ").append(EmulatorPicker.describe(l, p).replace("the ", "")).append(": ")
          .append(f.size()).append(f.isEmpty() ? "" : " (" + f.describe() + ")");
    }
    String where = required.isEmpty() ? "one NUMA node" : "NUMA node " + required.getAsInt() + (vm.placement() instanceof Placement.OnNode
        ? "" : " (where its device " + planner.deviceNode(vm).orElseThrow().device() + " is)");
    String message;
    if (first == null) {
      message = vm.name() + " has no isolated CPUs on " + where + (topology.hybrid() && vm.siblingPairs() ? " with SMT (P-cores)" : "");
    } else {
      int emulator = EmulatorPicker.takesCpus(l, vm, first.node()) ? EmulatorPicker.threads(l, vm, first.node(), planner.emulatorPoolSize()) : 0;
      String emu = emulator == 0 ? "" : " + " + emulator + (vm.emulator() instanceof Emulator.Shared ? " for the node's shared emulator pool"
          : " emulator CPUs");
      // Each core type counts its own way: a whole core per real-time vCPU on P-cores with SMT, one CPU per vCPU elsewhere.
      List<String> needs = new ArrayList<>();
      for (CpuLedger.Pool p : pools) {
        int threads = VcpuPicker.threads(l, vm, p.type());
        String each = VcpuPicker.wholeCores(l, vm, p.type()) ? vm.siblingPairs() ? ", in pairs on whole cores"
            : ", each on a whole core with its sibling idle" : "";
        String need = topology.hybrid() ? threads + " " + p.type().noun() + " CPUs (" + (each.isEmpty() ? "one per vCPU" : each.substring(2)) + ")"
            : threads + " for " + vm.vcpus() + " vCPU" + (vm.vcpus() == 1 ? "" : "s") + each;
        if (!needs.contains(need)) {
          needs.add(need);
        }
      }
      int threads = VcpuPicker.threads(l, vm, first.type());
      message = vm.name() + (topology.hybrid() && needs.size() > 1
          ? " needs, for " + dev.rtc.manifest.diagnostics.Words.count(vm.vcpus(), "vCPU") + " on " + where + " and one core type, " + String.join(" or ", needs) + emu
          : " needs " + dev.rtc.manifest.diagnostics.Words.count(threads + emulator, "free isolated CPU") + " on " + where + " (" + needs.get(0) + emu + ")")
          + "; free isolated CPUs: " + (free.length() == 0 ? "none" : free);
    }
    d.error(Code.RTC060, vm.pointer() + "/vcpus", message, String.join("; or ", cpuHints(vm, before, options, l)));
  }

  private List<String> cpuHints(Vm vm, List<Vm> before, List<Option> options, CpuLedger l) {
    List<String> hints = new ArrayList<>();
    int least = !vm.isRealtime() ? 1 : vm.siblingPairs() ? 4 : 2;
    IntPredicate vcpusFit = n -> fits(before, vm.withVcpus(vm.siblingPairs() ? n * 2 : n));
    int step = vm.siblingPairs() ? 2 : 1;
    // Where it stands, the VMs before it as first fit placed them: the most that fits there is
    // found without planning again; then one plan proves it, and one more tells if moving the VMs
    // before it gives more (only then is the rest searched).
    IntPredicate fitsHere = n -> options.stream().anyMatch(o -> planner.fits(l, vm.withVcpus(n * step), o, false));
    int here = largest(least / step, (vm.vcpus() - 1) / step, fitsHere);
    int most;
    if (here > 0 && vcpusFit.test(here)) {
      most = here + 1 <= (vm.vcpus() - 1) / step && vcpusFit.test(here + 1) ? largest(here + 1, (vm.vcpus() - 1) / step, vcpusFit) : here;
    } else {
      most = largest(least / step, (vm.vcpus() - 1) / step, vcpusFit);
    }
    if (most > 0) {
      hints.add("lower " + vm.name() + ".vcpus from " + vm.vcpus() + " to " + most * step);
    }
    if (vm.emulator() instanceof Emulator.Dedicated || vm.emulator() instanceof Emulator.Shared) {
      hints.addAll(emulatorHints(vm, before));
    }
    if (vm.placement() instanceof Placement.OnNode && fits(before, vm.withPlacement(new Placement.Auto()))) {
      hints.add("leave " + vm.name() + "'s placement to the solver (remove placement)");
    }
    if (vm.placement() instanceof Placement.Auto && planner.requiredNode(vm).isPresent()) {
      int at = planner.requiredNode(vm).getAsInt();
      for (NumaNode n : topology.numaNodes()) {
        if (n.id() != at && fits(before, vm.withPlacement(new Placement.OnNode(n.id())))) {
          hints.add("give " + vm.name() + " a device of NUMA node " + n.id() + " instead, where it fits");
          break;
        }
      }
    }
    String freed = freeHousekeeping(vm, before);
    if (freed != null) {
      hints.add(freed);
    }
    if (hints.isEmpty()) {
      Vm smallest = vm.withVcpus(least).withEmulator(new Emulator.Housekeeping()).withPlacement(new Placement.Auto());
      CpuSet leastHk = leastHousekeeping();
      List<String> placed = whole(vm).stream().filter(v -> v != vm).map(Vm::name).toList();
      if (planner.with(leastHk).feasible(List.of(smallest), accept) && !placed.isEmpty()) {
        hints.add("the other VMs (" + String.join(", ", placed) + ") take the room it needs: make them smaller or leave one out");
      } else if (planner.with(leastHk).feasible(List.of(smallest), accept)) {
        hints.add(vm.name() + " fits this host only smaller: " + least + " vCPU" + (least == 1 ? "" : "s") + ", its emulator threads on "
            + "housekeeping CPUs, no placement");
      } else if (planner.requiredNode(vm).isPresent() && !(vm.placement() instanceof Placement.OnNode)) {
        // Not the host: the node its device fixes. Said so, since another node may well have room.
        int at = planner.requiredNode(vm).getAsInt();
        hints.add("NUMA node " + at + ", where its device " + planner.deviceNode(vm).orElseThrow().device() + " is, has no room for " + vm.name()
            + " even with " + least + " vCPU" + (least == 1 ? "" : "s") + " and its emulator threads on housekeeping CPUs (the host "
            + "is not too small: the node is): give it a device of another NUMA node, with room for it there");
      } else {
        hints.add("this host is too small for " + (vm.isRealtime() ? "a real-time VM" : "this VM") + ": even with " + least + " vCPU"
            + (least == 1 ? "" : "s") + ", its emulator threads on housekeeping CPUs and only CPU" + (leastHk.size() == 1 ? " " : "s ")
            + leastHk.describe() + " kept for housekeeping, it has no room; use a host with more CPUs per NUMA node" + (topology.hybrid() ? " and core type" : ""));
      }
    }
    return hints;
  }

  /**
   * The fewest housekeeping CPUs to give to the VMs so that this one fits, whole cores at a time
   * from the top; never CPU 0 or a socket's last housekeeping CPU (rules RTC032 and the guide).
   */
  private String freeHousekeeping(Vm vm, List<Vm> before) {
    List<CpuSet> movable = movableCores();
    if (movable.isEmpty()) {
      return null;
    }
    List<Vm> vms = whole(vm);
    int k = smallest(1, movable.size(), n -> planner.with(without(movable, n)).feasible(vms, accept));
    if (k < 0) {
      return null;
    }
    CpuSet hk = without(movable, k);
    CpuSet moved = housekeeping.minus(hk);
    return "keep fewer housekeeping CPUs: housekeeping: \"" + hk.describe() + "\" gives CPU" + (moved.size() == 1 ? " " : "s ")
        + moved.describe() + " to the VMs";
  }

  private CpuSet leastHousekeeping() {
    List<CpuSet> movable = movableCores();
    return without(movable, movable.size());
  }

  private CpuSet without(List<CpuSet> movable, int n) {
    CpuSet hk = housekeeping;
    for (int j = 0; j < n; j++) {
      hk = hk.minus(movable.get(j));
    }
    return hk;
  }

  /** Housekeeping cores, highest first, that could be isolated without breaking a rule: as whole cores, never CPU 0's, each socket keeping one. */
  private List<CpuSet> movableCores() {
    List<CpuSet> out = new ArrayList<>();
    CpuSet kept = housekeeping;
    List<Integer> top = new ArrayList<>(housekeeping.toList());
    java.util.Collections.reverse(top);
    for (int cpu : top) {
      CpuSet core = CpuSet.of(cpu, topology.sibling(cpu)).intersect(kept);
      if (core.isEmpty() || core.contains(0) || !CpuSet.of(cpu, topology.sibling(cpu)).minus(housekeeping).isEmpty()) {
        continue;
      }
      Socket socket = topology.sockets().stream().filter(s -> s.cpus().contains(cpu)).findFirst().orElse(null);
      if (socket != null && kept.minus(core).intersect(socket.cpus()).isEmpty()) {
        continue;
      }
      kept = kept.minus(core);
      out.add(core);
    }
    return out;
  }

  // ---- trying ----

  private boolean fits(List<Vm> before, Vm changed) {
    return planner.feasible(whole(changed), accept); // says nothing: it plans on scratch diagnostics
  }

  /** The whole manifest with this VM changed: every VM that has a place, in start order, and the changed one at its turn. */
  private List<Vm> whole(Vm changed) {
    List<Vm> vms = new ArrayList<>();
    for (int j = 0; j < order.size(); j++) {
      if (j == index) {
        vms.add(changed);
      } else if (!refused.contains(j)) {
        vms.add(order.get(j));
      }
    }
    return vms;
  }

  /** The largest n in [lo, hi] with {@code ok} (which holds for a prefix of the range at most), or 0. */
  private static int largest(int lo, int hi, IntPredicate ok) {
    int found = 0;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (ok.test(mid)) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** The smallest n in [lo, hi] with {@code ok} (which holds from some n on), or -1. */
  private static int smallest(int lo, int hi, IntPredicate ok) {
    int found = -1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (ok.test(mid)) {
        found = mid;
        hi = mid - 1;
      } else {
        lo = mid + 1;
      }
    }
    return found;
  }
}
