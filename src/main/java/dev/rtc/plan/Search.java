package dev.rtc.plan;

import dev.rtc.manifest.Topology.CoreType;
import dev.rtc.manifest.Manifest.Emulator;
import dev.rtc.manifest.Manifest.Vm;
import dev.rtc.plan.CpuPlanner.Option;
import dev.rtc.plan.CpuPlanner.Placed;
import dev.rtc.plan.CpuPlanner.Step;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The placement search over each VM's {@link Option}s, in start order and in the order of the
 * rules. {@link #greedy} takes each VM's first option that fits; {@link #dfs} tries the options
 * depth first in the same order, so the first complete plan it finds is the one the rules prefer
 * most at the earliest VM that differs from first fit.
 *
 * <p>Two things keep it fast where it must say no: a bound (the CPUs the remaining VMs need at
 * least, against the free isolated CPUs, and each remaining VM fitting somewhere on its own), and a
 * memo of dead states: a partial placement is dead when no completion of it plans, and whether one
 * does depends only on the ledger's {@link CpuLedger#signature}, how far the search has come, and
 * where the VMs with cache requests sit (which the cache planner's test reads). The visits and
 * complete plans are bounded, so a pathological manifest is refused in time, as before.
 */
final class Search {

  /** Option applications, and complete plans handed to {@code accept}; a refusal's hints try theirs with {@link #HINT_VISITS}. */
  static final int VISITS = 50_000;
  static final int HINT_VISITS = 2_000;
  static final int LEAVES = 256;

  private final CpuPlanner planner;
  private final List<Vm> order;
  private final Map<String, CpuLedger.Pool> pinned;
  private final CpuLedger base;
  private final Predicate<List<Placed>> accept;
  private final Set<String> dead = new HashSet<>();
  private int visits;
  private int leaves;
  private int maxVisits = VISITS;
  private List<Placed> greedyPlaced = List.of();

  Search(CpuPlanner planner, List<Vm> order, Map<String, CpuLedger.Pool> pinned, CpuLedger base, Predicate<List<Placed>> accept) {
    this.planner = planner;
    this.order = order;
    this.pinned = pinned;
    this.base = base;
    this.accept = accept;
    needs();
  }

  /** A smaller budget, for trying a hint: one not proven within it is not given. */
  Search visits(int max) {
    maxVisits = max;
    return this;
  }

  /** Each VM's first option that fits, in turn; null for a VM that finds none (and takes nothing). */
  List<Option> greedy() {
    CpuLedger l = base.copy();
    Domains seen = Domains.of(planner, order, pinned);
    List<Option> out = new ArrayList<>();
    List<Placed> placed = new ArrayList<>();
    for (Vm vm : order) {
      boolean isPinned = pinned.containsKey(vm.name());
      Option o = planner.options(l, vm, pinned.get(vm.name()), seen.realtime, seen.stressor).stream()
          .filter(x -> planner.fits(l, vm, x, isPinned)).findFirst().orElse(null);
      out.add(o);
      if (o != null) {
        Step step = planner.take(l, vm, o, isPinned);
        seen.add(planner, vm, step);
        placed.add(step.placed());
      }
    }
    greedyPlaced = List.copyOf(placed);
    return out;
  }

  /** What {@link #greedy} placed, without placing it again. */
  List<Placed> greedyPlaced() {
    return greedyPlaced;
  }

  /** The first options, in the rules' order, under which every VM fits and {@code accept} holds; null when none (or out of budget). */
  List<Option> dfs() {
    List<Option> chosen = new ArrayList<>();
    return dfs(0, base.copy(), Domains.of(planner, order, pinned), chosen, new ArrayList<>()) ? List.copyOf(chosen) : null;
  }

  private boolean exhausted() {
    return visits >= maxVisits || leaves >= LEAVES;
  }

  private boolean dfs(int i, CpuLedger l, Domains seen, List<Option> chosen, List<Placed> placed) {
    if (i == order.size()) {
      leaves++;
      return accept.test(List.copyOf(placed));
    }
    String key = i + "|" + l.signature() + "|" + cacheSeats(placed);
    if (dead.contains(key) || !bound(i, l)) {
      return false;
    }
    Vm vm = order.get(i);
    boolean isPinned = pinned.containsKey(vm.name());
    for (Option o : planner.options(l, vm, pinned.get(vm.name()), seen.realtime, seen.stressor)) {
      if (exhausted()) {
        return false; // not proven dead: no memo
      }
      if (!planner.fits(l, vm, o, isPinned)) {
        continue;
      }
      visits++;
      CpuLedger next = l.copy();
      Step s = planner.take(next, vm, o, isPinned);
      Domains after = seen.copy();
      after.add(planner, vm, s);
      chosen.add(o);
      placed.add(s.placed());
      if (dfs(i + 1, next, after, chosen, placed)) {
        return true;
      }
      chosen.remove(chosen.size() - 1);
      placed.remove(placed.size() - 1);
    }
    if (!exhausted()) {
      dead.add(key);
    }
    return false;
  }

  /**
   * Whether the VMs from {@code from} on can still fit, by a bound cheap enough for every visit:
   * together within the free isolated CPUs, and the largest of them within the largest free pool
   * (each counted at its least on any core type, a shared emulator pool not at all: a lower bound,
   * as the ledger only fills). At the root, also each VM on its own, option by option.
   */
  private boolean bound(int from, CpuLedger l) {
    if (from == 0) {
      for (Vm each : order) {
        Vm vm = each.emulator() instanceof Emulator.Shared ? each.withEmulator(new Emulator.Housekeeping()) : each;
        boolean isPinned = pinned.containsKey(vm.name());
        if (planner.options(l, vm, pinned.get(vm.name()), Set.of(), Set.of()).stream().noneMatch(o -> planner.fits(l, vm, o, isPinned))) {
          return false;
        }
      }
    }
    return needFrom[from] <= l.freeCount() && largestFrom[from] <= l.largestFreePool();
  }

  private int[] needFrom;
  private int[] largestFrom;

  /** Each VM's least CPUs taken, summed and maximised over the VMs from each index on. */
  private void needs() {
    needFrom = new int[order.size() + 1];
    largestFrom = new int[order.size() + 1];
    for (int j = order.size() - 1; j >= 0; j--) {
      Vm vm = order.get(j);
      int emulator = vm.emulator() instanceof Emulator.Dedicated ded ? ded.count() : 0;
      int least = pinned.containsKey(vm.name()) ? 0 : Math.min(VcpuPicker.threads(base, vm, CoreType.P), vm.vcpus());
      needFrom[j] = needFrom[j + 1] + least + emulator;
      largestFrom[j] = Math.max(largestFrom[j + 1], least);
    }
  }

  /** Where each placed VM with a cache or bandwidth request sits: what the cache planner's verdict depends on. */
  private static String cacheSeats(List<Placed> placed) {
    StringBuilder b = new StringBuilder();
    for (Placed p : placed) {
      if (p.vm().cache().isPresent() || p.vm().memoryBandwidth().isPresent()) {
        b.append(p.vm().name()).append('@').append(p.node()).append(',');
      }
    }
    return b.toString();
  }

  /** The L3 instances (or nodes) real-time VMs and stressors use so far: what orders the options. */
  private static final class Domains {
    final Set<Integer> realtime;
    final Set<Integer> stressor;

    private Domains(Set<Integer> realtime, Set<Integer> stressor) {
      this.realtime = realtime;
      this.stressor = stressor;
    }

    static Domains of(CpuPlanner planner, List<Vm> order, Map<String, CpuLedger.Pool> pinned) {
      Domains d = new Domains(new HashSet<>(), new HashSet<>());
      planner.pinnedDomains(order, pinned, d.realtime, d.stressor);
      return d;
    }

    Domains copy() {
      return new Domains(new HashSet<>(realtime), new HashSet<>(stressor));
    }

    void add(CpuPlanner planner, Vm vm, Step s) {
      (vm.isRealtime() ? realtime : stressor).addAll(planner.domains(s.placed().pins()));
    }
  }
}
