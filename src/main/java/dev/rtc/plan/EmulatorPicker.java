package dev.rtc.plan;

import dev.rtc.manifest.Topology.CoreType;
import dev.rtc.manifest.Manifest.Emulator;
import dev.rtc.manifest.Manifest.Vm;
import dev.rtc.topology.CpuSet;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a VM's emulator threads run: the node's housekeeping CPUs (the default), dedicated
 * isolated CPUs, exact CPUs from the manifest, or the node's shared emulator pool
 * (host.emulatorPool CPUs, set aside when the first VM there asks for it). Dedicated and pooled
 * CPUs come from the VM's node, of any core type: the VM's own type first (emulator work at the
 * far end of the VM's block, the guide's layout), then the others, so a hybrid part's E-cores
 * can hold a P-core VM's emulator threads when its P-cores cannot.
 */
final class EmulatorPicker {

  /** The CPUs, why, and the node's shared pool when this VM set it aside (for its own decision). */
  record Picked(CpuSet cpus, String why, CpuSet newPool) {}

  private EmulatorPicker() {}

  /** Isolated CPUs the emulator threads take from the pool they come from: what fits checks. */
  static int threads(CpuLedger l, Vm vm, int node, int poolSize) {
    if (vm.emulator() instanceof Emulator.Dedicated ded) {
      return ded.count();
    }
    return vm.emulator() instanceof Emulator.Shared && l.emulatorPool(node).isEmpty() ? poolSize : 0;
  }

  /** Whether this VM's emulator threads take isolated CPUs from a pool at all. */
  static boolean takesCpus(CpuLedger l, Vm vm, int node) {
    return vm.emulator() instanceof Emulator.Dedicated || vm.emulator() instanceof Emulator.Shared && l.emulatorPool(node).isEmpty();
  }

  /** The core types the emulator threads may come from, in order: the vCPUs' type first, then the node's others. */
  static List<CoreType> types(CpuLedger l, Vm vm, CpuLedger.Pool vcpus) {
    List<CoreType> out = new ArrayList<>(List.of(vcpus.type()));
    if (l.topology.hybrid()) {
      // Emulator threads need no speed of their own: the efficient cores next.
      for (CoreType t : List.of(CoreType.E, CoreType.LPE, CoreType.P)) {
        if (!out.contains(t) && l.poolCpus(new CpuLedger.Pool(vcpus.node(), t)).intersects(l.isolated)) {
          out.add(t);
        }
      }
    }
    return out;
  }

  /**
   * {@code count} free isolated CPUs of a pool, from the top. With SMT one thread at a time: the
   * highest thread of an already broken core, else the highest thread (which breaks a core, whose
   * other half goes next), so e threads break at most ceil(e / 2) whole cores and a later
   * real-time VM still finds the rest.
   */
  static CpuSet highest(CpuLedger l, CpuLedger.Pool pool, int count) {
    CpuSet free = l.free(pool);
    if (!l.smt(pool)) {
      return free.highest(count);
    }
    List<Integer> chosen = new ArrayList<>();
    CpuSet left = free;
    for (int i = 0; i < count && !left.isEmpty(); i++) {
      CpuSet f = left;
      CpuSet broken = CpuSet.of(f.stream().filter(c -> !f.contains(l.topology.sibling(c))).boxed().toList());
      int pick = (broken.isEmpty() ? f : broken).highest(1).toList().get(0);
      chosen.add(pick);
      left = left.minus(CpuSet.of(pick));
    }
    return CpuSet.of(chosen);
  }

  private static String how(CpuLedger l, CpuLedger.Pool pool) {
    return l.smt(pool) ? "both threads of a core before another core, from the top, so whole cores stay whole for real-time VMs"
        : "the highest free";
  }

  static String describe(CpuLedger l, CpuLedger.Pool pool) {
    return l.topology.hybrid() ? "the " + pool.type().noun() + "s of node " + pool.node() : "node " + pool.node();
  }

  /**
   * Takes the emulator CPUs from {@code from} (a pool of the VM's node; it must fit) and claims
   * them. Housekeeping and pinned emulators take nothing here.
   */
  static Picked take(CpuLedger l, Vm vm, int node, CpuLedger.Pool from, int poolSize, CoreType vcpuType) {
    String other = from != null && from.type() != vcpuType ? "; " + vcpuType.noun() + "s had no room left beside the vCPUs" : "";
    if (vm.emulator() instanceof Emulator.Pinned p) {
      return new Picked(p.cpus(), "pinned in the manifest", CpuSet.empty());
    }
    if (vm.emulator() instanceof Emulator.Dedicated ded) {
      CpuSet take = highest(l, from, ded.count());
      l.claim(take, vm.name() + " emulator");
      return new Picked(take, ded.count() + " dedicated isolated CPUs on " + describe(l, from) + ", away from every vCPU: "
          + how(l, from) + other, CpuSet.empty());
    }
    if (vm.emulator() instanceof Emulator.Shared) {
      CpuSet made = CpuSet.empty();
      if (l.emulatorPool(node).isEmpty()) {
        made = highest(l, from, poolSize);
        l.claim(made, "node " + node + " emulator pool");
        l.setEmulatorPool(node, made);
      }
      CpuSet shared = l.emulatorPool(node).get();
      return new Picked(shared, "the shared emulator pool of node " + node + ": isolated, on the VM's node, and shared only with other "
          + "VMs' emulator threads", made.isEmpty() ? CpuSet.empty() : made);
    }
    CpuSet local = l.nodeCpus(node).intersect(l.housekeeping);
    if (local.isEmpty()) {
      return new Picked(l.housekeeping, "node " + node + " has no housekeeping CPU", CpuSet.empty());
    }
    return new Picked(local, "no dedicated emulator CPUs asked; the housekeeping CPUs of node " + node, CpuSet.empty());
  }

  /** Why the shared pool went where it did, for the host's decision. */
  static String poolWhy(CpuLedger l, Vm vm, CpuLedger.Pool from, int poolSize) {
    return "host.emulatorPool: " + poolSize + " isolated CPUs on " + describe(l, from) + ", set aside when " + vm.name()
        + ", the first VM there with emulator: shared, was placed; " + how(l, from);
  }
}
