package dev.rtc.manifest.rules;

import dev.rtc.manifest.Manifest;
import dev.rtc.manifest.Topology.CacheInstance;
import dev.rtc.manifest.Topology.Cat;
import dev.rtc.manifest.Topology.NumaNode;
import dev.rtc.manifest.Topology.Socket;
import dev.rtc.manifest.Topology;
import dev.rtc.manifest.diagnostics.Code;
import dev.rtc.manifest.diagnostics.Diagnostics;
import dev.rtc.manifest.diagnostics.Pointers;
import dev.rtc.topology.CpuSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The host's topology rules: sockets, NUMA nodes and cache instances partition the CPUs; SMT
 * siblings and core types agree; the CAT masks and the cache sizes are what the hardware can have;
 * the owner of the resctrl groups can make them here.
 */
final class TopologyRules {

  private final Manifest m;
  private final Diagnostics d;

  private TopologyRules(Manifest m, Diagnostics d) {
    this.m = m;
    this.d = d;
  }

  static void check(Manifest m, Diagnostics d) {
    new TopologyRules(m, d).topology(m.host().topology());
  }

  /** After the VMs and devices are checked (housekeeping reads whether the topology alone was clean). */
  static void cacheOwner(Manifest m, Diagnostics d) {
    new TopologyRules(m, d).cacheOwner(m.host().topology());
  }

  private void topology(Topology t) {
    String at = "/host/topology";
    CpuSet all = t.allCpus();
    int before = d.errorCount();
    partition(t.sockets(), Socket::cpus, Socket::id, at + "/sockets", "socket", all);
    partition(t.numaNodes(), NumaNode::cpus, NumaNode::id, at + "/numaNodes", "NUMA node", all);
    // Whether nodes nest in sockets means something only once both are clean partitions.
    for (int i = 0; i < t.numaNodes().size() && d.errorCount() == before; i++) {
      NumaNode n = t.numaNodes().get(i);
      long sockets = t.sockets().stream().filter(s -> s.cpus().intersects(n.cpus())).count();
      if (sockets > 1) {
        d.error(Code.RTC030, at + "/numaNodes/" + i + "/cpus", "NUMA node " + n.id() + " (" + n.cpus().describe() + ") spans "
            + sockets + " sockets", "a NUMA node lies inside one socket; compare with lscpu's 'NUMA node" + n.id() + " CPU(s)'");
      }
    }
    if (t.smt() && d.errorCount() == before) {
      siblings(t, at);
    }
    coreTypes(t, at, all);
    t.l3().ifPresent(l3 -> cacheLevel(l3, at + "/l3", all.minus(t.cpusOfType(Topology.CoreType.LPE))));
    t.l2().ifPresent(l2 -> cacheLevel(l2, at + "/l2", all));
    t.l2().ifPresent(l2 -> l2TypeSizes(t, l2, at + "/l2"));
  }

  /** A size for a core type the host has, and then each L2 instance of one core type, so its size is known. */
  private void l2TypeSizes(Topology t, Topology.CacheLevel l2, String at) {
    if (l2.typeSizes().isEmpty()) {
      return;
    }
    l2.typeSizes().keySet().stream().sorted().filter(type -> t.cpusOfType(type).isEmpty()).forEach(type -> d.error(Code.RTC030,
        at + "/coreTypes/" + type.id(), "this host has no " + type.noun() + "s, so their L2 size cannot be given",
        t.hybrid() ? "remove coreTypes." + type.id() + ", or give the " + type.noun() + " CPUs in topology.coreTypes"
            : "remove coreTypes, or give the host's core types in topology.coreTypes"));
    for (int i = 0; i < l2.instances().size(); i++) {
      CacheInstance inst = l2.instances().get(i);
      List<Topology.CoreType> types = inst.cpus().stream().mapToObj(t::coreType).distinct().sorted().toList();
      if (types.size() > 1) {
        d.error(Code.RTC030, at + "/instances/" + i + "/cpus", "L2 instance " + inst.id() + " (" + inst.cpus().describe() + ") holds "
            + String.join(" and ", types.stream().map(Topology.CoreType::noun).map(n -> n + "s").toList())
            + ", so its size is not known (l2.coreTypes gives sizes by core type)", "an L2 is one core's or one cluster's: "
            + "compare with cache/index2/shared_cpu_list");
      }
    }
  }

  /**
   * The instances of a cache level split the CPUs that have one (low-power E-cores have no L3).
   */
  private void cacheLevel(Topology.CacheLevel c, String at, CpuSet cpusWithOne) {
    String what = "L" + c.level() + " instance";
    if (c.instances().isEmpty()) {
      return; // Binder said why
    }
    partition(c.instances(), CacheInstance::cpus, CacheInstance::id, at + "/instances", what, cpusWithOne);
    if (c.size().bytes() == 0) {
      d.error(Code.RTC021, at + "/size", "an L" + c.level() + " of size 0", "write the size of one instance, e.g. "
          + (c.level() == 3 ? "60 MiB" : "2 MiB"));
    }
    c.cat().ifPresent(cat -> cat(cat, c.size().bytes(), at + "/cat"));
  }

  /** Core types name each CPU once, each type once; only P-cores have SMT siblings. */
  private void coreTypes(Topology t, String at, CpuSet all) {
    if (t.coreTypes().isEmpty()) {
      return;
    }
    CpuSet seen = CpuSet.empty();
    java.util.Set<Topology.CoreType> types = java.util.EnumSet.noneOf(Topology.CoreType.class);
    for (int i = 0; i < t.coreTypes().size(); i++) {
      Topology.CoreGroup g = t.coreTypes().get(i);
      String p = at + "/coreTypes/" + i;
      if (!types.add(g.type())) {
        d.error(Code.RTC030, p + "/type", "core type " + g.type().id() + " is given twice", "list each type once, with all its CPUs");
      }
      CpuSet overlap = g.cpus().intersect(seen);
      if (!overlap.isEmpty()) {
        d.error(Code.RTC030, p + "/cpus", "CPUs " + overlap.describe() + " are given two core types", "each CPU has one core type");
      }
      seen = seen.union(g.cpus());
    }
    if (!seen.equals(all)) {
      CpuSet missing = all.minus(seen);
      d.error(Code.RTC030, at + "/coreTypes", (missing.isEmpty() ? "CPUs " + seen.minus(all).describe() + " are not CPUs of this host"
          : "CPUs " + missing.describe() + " have no core type"), "give every CPU of the sockets one core type");
    }
  }

  /** Every sibling pair is two CPUs of the host on one NUMA node and one core type, each the other's sibling. */
  private void siblings(Topology t, String at) {
    CpuSet all = t.allCpus();
    String p = at + "/siblings"; // in the table form the nearest key, topology, is shown
    for (int cpu : CpuSet.of(t.siblings().keySet().stream().sorted().toList())) {
      int sib = t.sibling(cpu);
      if (sib == cpu || !all.contains(sib) || t.sibling(sib) != cpu) {
        d.error(Code.RTC030, p, "CPU " + cpu + "'s sibling would be CPU " + sib + ", which " + (all.contains(sib)
            ? "is not its pair" : "this host does not have"), "check thread_siblings_list of CPU " + cpu);
        return;
      }
      boolean sameNode = t.numaNodes().stream().anyMatch(n -> n.cpus().contains(cpu) && n.cpus().contains(sib));
      if (!sameNode) {
        d.error(Code.RTC030, p, "CPU " + cpu + " and its sibling " + sib + " are on different NUMA nodes",
            "siblings share a core, so they share a node; check the siblings and the nodes' cpus");
        return;
      }
      if (t.coreType(cpu) != t.coreType(sib)) {
        d.error(Code.RTC030, p, "CPU " + cpu + " (" + t.coreType(cpu).noun() + ") and its sibling " + sib + " ("
            + t.coreType(sib).noun() + ") have different core types", "siblings share a core; check coreTypes against lscpu");
        return;
      }
    }
  }

  /** The parts must be disjoint, have distinct ids, and together hold every CPU of the host. */
  private <T> void partition(List<T> parts, Function<T, CpuSet> cpus, Function<T, Integer> id, String at, String what,
      CpuSet all) {
    Map<Integer, Integer> ids = new HashMap<>();
    CpuSet seen = CpuSet.empty();
    for (int i = 0; i < parts.size(); i++) {
      T part = parts.get(i);
      String p = at + "/" + i;
      Integer before = ids.put(id.apply(part), i);
      if (before != null) {
        d.error(Code.RTC030, p + "/id", what + " id " + id.apply(part) + " is given twice (also " + Pointers.display(at + "/" + before) + ")",
            "each " + what + " has its own id");
      }
      CpuSet c = cpus.apply(part);
      if (c.isEmpty()) {
        d.error(Code.RTC030, p + "/cpus", what + " " + id.apply(part) + " has no CPUs", "");
      }
      CpuSet overlap = c.intersect(seen);
      if (!overlap.isEmpty()) {
        d.error(Code.RTC030, p + "/cpus", "CPUs " + overlap.describe() + " of " + what + " " + id.apply(part) + " also belong to an earlier " + what,
            "each CPU belongs to exactly one " + what);
      }
      seen = seen.union(c);
    }
    if (!seen.isEmpty() && !seen.equals(all)) {
      CpuSet missing = all.minus(seen);
      CpuSet extra = seen.minus(all);
      if (!missing.isEmpty()) {
        d.error(Code.RTC030, at, "CPUs " + missing.describe() + " are in a socket but in no " + what, "every CPU belongs to one " + what);
      }
      if (!extra.isEmpty()) {
        d.error(Code.RTC030, at, "CPUs " + extra.describe() + " are in a " + what + " but in no socket", "list them under a socket too");
      }
    }
  }

  private void cat(Cat cat, long l3Bytes, String at) {
    if (!cat.cbmMask().isContiguous()) {
      d.error(Code.RTC031, at + "/cbmMask", "cbm mask " + cat.cbmMask().hex(cat.cbmMask().width())
          + " is not one run of ones", "copy /sys/fs/resctrl/info/L3/cbm_mask as it is");
      return;
    }
    if (cat.cbmMask().lowestWay() != 0) {
      d.error(Code.RTC031, at + "/cbmMask", "cbm mask " + cat.cbmMask().hex(cat.cbmMask().width())
          + " does not start at way 0", "copy /sys/fs/resctrl/info/L3/cbm_mask as it is");
    }
    if (cat.minCbmBits() > cat.cbmMask().ways()) {
      d.error(Code.RTC031, at + "/minCbmBits", "min_cbm_bits " + cat.minCbmBits() + " is more than the " + cat.cbmMask().ways()
          + " ways of the mask", "copy /sys/fs/resctrl/info/L3/min_cbm_bits");
    }
    if ((cat.shareableBits().bits() & ~cat.cbmMask().bits()) != 0) {
      d.error(Code.RTC031, at + "/shareableBits", "shareable bits " + cat.shareableBits() + " lie outside the cbm mask "
          + cat.cbmMask(), "copy /sys/fs/resctrl/info/L3/shareable_bits");
    }
    if (l3Bytes > 0 && l3Bytes / cat.cbmMask().ways() == 0) {
      d.error(Code.RTC031, at + "/cbmMask", "an L3 of " + l3Bytes + " bytes cannot have " + cat.cbmMask().ways() + " ways", "");
    }
  }

  /**
   * L2 CAT goes through rtc's own groups: libvirt initialises cache geometry only from level 3 up,
   * so an L2 {@code <cachetune>} divides by a granularity of 0 when the VM starts.
   */
  private void cacheOwner(Topology t) {
    boolean anyCache = m.vms().stream().anyMatch(v -> v.cache().isPresent()) || m.host().cache().isPresent();
    Topology.CacheLevel level = t.catLevel().orElse(null);
    if (!anyCache || level == null || level.level() != 2) {
      return;
    }
    if (m.host().cacheOwner() != Manifest.CacheOwner.RESCTRL) {
      d.error(Code.RTC043, "/host/cache", "this host has L2 CAT only, and libvirt cannot allocate L2 (it sets up cache "
          + "geometry from L3 up, so an L2 <cachetune> fails when the VM starts)", "set host.cacheOwner: resctrl, so rtc's boot "
          + "unit creates the real-time VMs' groups itself");
    }
    if (t.hybrid()) {
      d.error(Code.RTC043, "/host/topology/l2/cat", "L2 CAT on a hybrid part: P-core and E-core L2s differ in size and ways, and the "
          + "kernel keeps one info/L2 (one cbm_mask) for both, so no mask means the same on both", "leave out l2.cat and use L3 CAT, "
          + "or plan L2 CAT by hand");
    }
  }
}
