package dev.rtc.manifest;

import dev.rtc.topology.ByteSize;
import dev.rtc.topology.CpuSet;
import dev.rtc.topology.WayMask;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The host as the solver sees it, whichever form the manifest used (compact sets or the per-CPU
 * table): every CPU's core sibling, socket, node, cache instances and core type.
 *
 * @param siblings for each CPU with an SMT sibling, that sibling (both directions); empty without SMT
 * @param coreTypes on hybrid parts, which CPUs are of which type; empty when every core is alike
 */
public record Topology(Map<Integer, Integer> siblings, List<Socket> sockets, List<NumaNode> numaNodes, Optional<CacheLevel> l3,
    Optional<CacheLevel> l2, Optional<Mba> mba, List<CoreGroup> coreTypes) {
  public Topology {
    siblings = Map.copyOf(siblings);
    sockets = List.copyOf(sockets);
    numaNodes = List.copyOf(numaNodes);
    coreTypes = List.copyOf(coreTypes);
  }

  public boolean smt() {
    return !siblings.isEmpty();
  }

  /** Threads on CPU 0's core, what /sys/devices/system/cpu/cpu0/topology/thread_siblings_list shows. */
  public int threadsPerCore() {
    return siblings.containsKey(0) ? 2 : 1;
  }

  /** The CPU that shares {@code cpu}'s core; {@code cpu} itself when it has none. */
  public int sibling(int cpu) {
    return siblings.getOrDefault(cpu, cpu);
  }

  /** More than one core type: a hybrid part. */
  public boolean hybrid() {
    for (CoreGroup g : coreTypes) { // a plain loop: the solver asks this on every step
      if (g.type() != coreTypes.get(0).type()) {
        return true;
      }
    }
    return false;
  }

  /** The type of {@code cpu}'s core; P on parts with one core type. */
  public CoreType coreType(int cpu) {
    for (CoreGroup g : coreTypes) {
      if (g.cpus().contains(cpu)) {
        return g.type();
      }
    }
    return CoreType.P;
  }

  /** The CPUs of one core type; every CPU on parts with one core type. */
  public CpuSet cpusOfType(CoreType type) {
    if (coreTypes.isEmpty()) {
      return type == CoreType.P ? allCpus() : CpuSet.empty();
    }
    CpuSet s = CpuSet.empty();
    for (CoreGroup g : coreTypes) {
      if (g.type() == type) {
        s = s.union(g.cpus());
      }
    }
    return s;
  }

  public CpuSet allCpus() {
    CpuSet all = CpuSet.empty();
    for (Socket s : sockets) {
      all = all.union(s.cpus());
    }
    return all;
  }

  /** The cache level whose CAT rtc plans: L3 when it has CAT, else L2 (Atom, client parts), else none. */
  public Optional<CacheLevel> catLevel() {
    if (l3.flatMap(CacheLevel::cat).isPresent()) {
      return l3;
    }
    return l2.filter(c -> c.cat().isPresent());
  }

  /** The L3 instance {@code cpu} shares, if it has one (low-power E-cores have none). */
  public Optional<CacheInstance> l3Of(int cpu) {
    return l3.flatMap(c -> c.instances().stream().filter(i -> i.cpus().contains(cpu)).findFirst());
  }

  /** The NUMA nodes that share {@code instance}: more than one under sub-NUMA clustering. */
  public List<NumaNode> nodesSharing(CacheInstance instance) {
    return numaNodes.stream().filter(n -> n.cpus().intersects(instance.cpus())).toList();
  }

  /** Intel's core types: performance cores, efficient cores, and low-power efficient cores (no L3). */
  public enum CoreType {
    P("P", "P-core"), E("E", "E-core"), LPE("LP-E", "low-power E-core");

    private final String id;
    private final String noun;

    CoreType(String id, String noun) {
      this.id = id;
      this.noun = noun;
    }

    public String id() {
      return id;
    }

    /** "P-core", "E-core", "low-power E-core". */
    public String noun() {
      return noun;
    }

    public static CoreType of(String id) {
      for (CoreType t : values()) {
        if (t.id.equals(id)) {
          return t;
        }
      }
      throw new IllegalArgumentException(id);
    }
  }

  public record CoreGroup(CoreType type, CpuSet cpus) {}

  public record Socket(int id, CpuSet cpus) {}

  public record NumaNode(int id, CpuSet cpus, Optional<ByteSize> memory, String pointer) {}

  /**
   * One cache level (2 or 3): the size of one instance, the instances (sysfs cache/indexN/id and
   * shared_cpu_list), and its CAT parameters when the part has CAT at this level.
   */
  /**
   * One cache level.
   *
   * @param size one instance's size, or on a hybrid part the size of the core types {@code typeSizes} leaves out
   * @param typeSizes L2 sizes by core type where they differ from {@code size} (a Raptor Lake's P-core L2 is
   *     2 MiB per core, its E-core L2 4 MiB per cluster of four); empty for L3 and one-type parts
   */
  public record CacheLevel(int level, ByteSize size, List<CacheInstance> instances, Optional<Cat> cat, Map<CoreType, ByteSize> typeSizes) {
    public CacheLevel {
      instances = List.copyOf(instances);
      typeSizes = Map.copyOf(typeSizes);
    }

    /** The size of one instance whose CPUs are of {@code type}. */
    public ByteSize sizeOf(CoreType type) {
      return typeSizes.getOrDefault(type, size);
    }
  }

  public record CacheInstance(int id, CpuSet cpus) {}

  /**
   * What /sys/fs/resctrl/info/L3 (or L2) says. {@code shareableBits} is empty ({@code 0}) when not given.
   *
   * @param closids the hardware's CLOS (num_closids without CDP)
   * @param cdp resctrl is mounted with code/data prioritization: CODE and DATA masks, half the CLOS
   */
  public record Cat(WayMask cbmMask, int minCbmBits, int closids, WayMask shareableBits, boolean cdp) {

    /** Groups the kernel can make, the default group's included: num_closids, halved with CDP. */
    public int usableClosids() {
      return cdp ? closids / 2 : closids;
    }
  }

  /**
   * /sys/fs/resctrl/info/MB.
   *
   * @param closids num_closids, when given: the kernel's CLOS limit is the least over every resource it
   *     allocates, so MBA's count can be the one that limits the groups even where no VM asks for bandwidth
   */
  public record Mba(int granularity, int min, java.util.OptionalInt closids) {}
}
