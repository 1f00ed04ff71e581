package dev.rtc.plan;

import dev.rtc.manifest.Topology.CacheInstance;
import dev.rtc.manifest.Topology.CoreType;
import dev.rtc.manifest.Manifest.Vm;
import dev.rtc.topology.CpuSet;
import java.util.ArrayList;
import java.util.List;

/**
 * Which CPUs of a pool a VM's vCPUs take, and how many it needs: one vCPU per CPU, the lowest
 * free; with SMT a real-time vCPU takes a whole core (its sibling idle), or with siblings: pair the
 * VM takes both threads of each core. Where L2 instances are known, real-time VMs take L2
 * instances no one else uses first, and stressors L2 instances no real-time VM uses.
 */
final class VcpuPicker {

  /** The CPUs in vCPU order, the siblings left idle, and why, for the plan. */
  record Picked(List<Integer> pins, CpuSet idle, String why) {}

  private VcpuPicker() {}

  /**
   * With SMT, a real-time vCPU gets a core of its own: the sibling thread shares the core's
   * caches, TLB and execution units, so anything running there is interference. It stays idle.
   * Only P-cores have SMT on hybrid parts.
   */
  static boolean wholeCores(CpuLedger l, Vm vm, CoreType type) {
    return l.topology.smt() && vm.isRealtime() && type == CoreType.P;
  }

  /** Whole cores a real-time VM takes: one per vCPU (the sibling idle), or one per pair of vCPUs (siblings: pair). */
  static int coresNeeded(Vm vm) {
    return vm.siblingPairs() ? vm.vcpus() / 2 : vm.vcpus();
  }

  /** CPUs (threads) the vCPUs take from a pool. */
  static int threads(CpuLedger l, Vm vm, CoreType type) {
    return wholeCores(l, vm, type) ? 2 * coresNeeded(vm) : vm.vcpus();
  }

  /** Whether the vCPUs fit the pool as it stands. */
  static boolean fits(CpuLedger l, Vm vm, CpuLedger.Pool pool) {
    if (wholeCores(l, vm, pool.type())) {
      return l.freeCores(pool).size() >= coresNeeded(vm);
    }
    return l.free(pool).size() >= vm.vcpus();
  }

  /** Takes the vCPUs' CPUs from {@code pool} (which must fit) and claims them in the ledger. */
  static Picked take(CpuLedger l, Vm vm, CpuLedger.Pool pool, String who) {
    String cpus = l.topology.hybrid() ? pool.type().noun() + "s" : "CPUs";
    String place = l.topology.hybrid() ? "the " + pool.type().noun() + "s of node " + pool.node() : "node " + pool.node();
    if (wholeCores(l, vm, pool.type()) && vm.siblingPairs()) {
      List<Integer> pins = new ArrayList<>();
      l.freeCores(pool).lowest(coresNeeded(vm)).forEach(c -> {
        pins.add(c);
        pins.add(l.topology.sibling(c));
      });
      l.claim(CpuSet.of(pins), who);
      return new Picked(pins, CpuSet.empty(), "the lowest free isolated cores of " + place + ", both threads to this VM (siblings: "
          + "pair): vCPUs 2k and 2k+1 share a core and the guest sees 2 threads per core, so no other work shares them");
    }
    if (wholeCores(l, vm, pool.type())) {
      CpuSet take = l.freeCores(pool).lowest(vm.vcpus());
      CpuSet idle = CpuSet.of(take.stream().map(l.topology::sibling).boxed().toList());
      l.claim(take, who);
      l.claim(idle, PinReservation.idle(vm));
      return new Picked(take.toList(), idle, "the lowest free isolated cores of node " + pool.node() + ", one per vCPU: a sibling "
          + "thread shares the core's caches and execution units, so nothing else runs there");
    }
    CpuSet free = l.free(pool);
    CpuSet lowest = free.lowest(vm.vcpus());
    CpuSet take = l.topology.l2().isEmpty() ? lowest // no L2 to steer by: the lowest, without ordering every free CPU
        : CpuSet.of((vm.isRealtime() ? l2Clean(l, free) : l2ApartFromRealtime(l, free)).subList(0, vm.vcpus()));
    l.claim(take, who);
    String l2 = "";
    if (!take.equals(lowest)) {
      l2 = vm.isRealtime() ? "; L2 instances no one else uses first, so its L2 is not shared with housekeeping or another VM"
          : "; L2 instances no real-time VM uses first, so its load stays out of their L2";
    }
    return new Picked(take.toList(), CpuSet.empty(), (l2.isEmpty() ? "the lowest free isolated " : "free isolated ") + cpus
        + " of node " + pool.node() + ", one per vCPU" + (l.topology.hybrid() && pool.type() != CoreType.P ? " (no SMT on " + cpus + ")" : "")
        + l2);
  }

  /**
   * {@code free} with the CPUs whose whole L2 instance is still free first (an Atom module, an
   * E-core cluster): an L2 shared with housekeeping or another VM is interference no isolation removes.
   */
  private static List<Integer> l2Clean(CpuLedger l, CpuSet free) {
    if (l.topology.l2().isEmpty()) {
      return free.toList();
    }
    List<Integer> clean = new ArrayList<>();
    List<Integer> shared = new ArrayList<>();
    for (int cpu : free) {
      boolean whole = l.topology.l2().get().instances().stream().filter(i -> i.cpus().contains(cpu)).allMatch(i -> free.containsAll(i.cpus()));
      (whole ? clean : shared).add(cpu);
    }
    clean.addAll(shared);
    return clean;
  }

  /** {@code free} with the CPUs of L2 instances that hold no real-time VM's CPU first. */
  private static List<Integer> l2ApartFromRealtime(CpuLedger l, CpuSet free) {
    if (l.topology.l2().isEmpty()) {
      return free.toList();
    }
    List<Integer> apart = new ArrayList<>();
    List<Integer> shared = new ArrayList<>();
    for (int cpu : free) {
      boolean withRealtime = l2Of(l, cpu).stream().anyMatch(i -> i.cpus().stream().anyMatch(l::realtime));
      (withRealtime ? shared : apart).add(cpu);
    }
    apart.addAll(shared);
    return apart;
  }

  static List<CacheInstance> l2Of(CpuLedger l, int cpu) {
    return l.topology.l2().map(c -> c.instances().stream().filter(i -> i.cpus().contains(cpu)).toList()).orElse(List.of());
  }
}
