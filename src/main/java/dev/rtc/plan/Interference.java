package dev.rtc.plan;

import dev.rtc.manifest.Manifest.Placement;
import dev.rtc.manifest.Topology.CacheInstance;
import dev.rtc.manifest.Topology;
import dev.rtc.manifest.diagnostics.Code;
import dev.rtc.manifest.diagnostics.Diagnostics;
import dev.rtc.plan.Plan.Decision;
import dev.rtc.topology.CpuSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Where a stressor's load reaches a real-time VM, as a rule of placement rather than a side
 * effect: through an L2 instance (an E-core cluster, an Atom module), an L3 instance, or a NUMA
 * node's memory. The search keeps stressors apart from real-time VMs where a free L3 instance
 * (or node) exists, and the vCPU picker keeps them off the real-time VMs' L2 instances where free
 * ones exist; what is still shared after that is said once per stressor, with what CAT already
 * isolates and what could be done, or, when the manifest accepts it, noted in the plan instead.
 */
final class Interference {

  private final Topology topology;

  Interference(Topology topology) {
    this.topology = topology;
  }

  /**
   * The L3 instances {@code cpus} share, or their NUMA nodes (encoded below zero) when the
   * manifest gives no L3. Low-power E-cores have no L3: empty.
   */
  Set<Integer> domains(CpuSet cpus) {
    Set<Integer> out = new HashSet<>();
    if (topology.l3().isPresent()) {
      topology.l3().get().instances().stream().filter(i -> i.cpus().intersects(cpus)).forEach(i -> out.add(i.id()));
    } else {
      topology.numaNodes().stream().filter(n -> n.cpus().intersects(cpus)).forEach(n -> out.add(-1 - n.id()));
    }
    return out;
  }

  /** A pool's domains, which never change: asked for every pool of every VM the search places. */
  Set<Integer> domains(CpuLedger l, CpuLedger.Pool pool) {
    return poolDomains.computeIfAbsent(pool, p -> domains(l.poolCpus(p)));
  }

  private final java.util.Map<CpuLedger.Pool, Set<Integer>> poolDomains = new java.util.HashMap<>();

  static boolean disjoint(Set<Integer> a, Set<Integer> b) {
    Set<Integer> small = a.size() <= b.size() ? a : b;
    Set<Integer> large = small == a ? b : a;
    for (Integer x : small) { // a loop, not a stream: asked for every pool of every VM the search places
      if (large.contains(x)) {
        return false;
      }
    }
    return true;
  }

  /** How many NUMA nodes share the L3 instance of {@code node}: more than 1 under sub-NUMA clustering. */
  int nodesSharingL3(int node, CpuSet nodeCpus) {
    return topology.l3().flatMap(l3 -> l3.instances().stream().filter(i -> i.cpus().intersects(nodeCpus)).findFirst())
        .map(i -> topology.nodesSharing(i).size()).orElse(1);
  }

  /** For each domain (or L2 id), which of {@code rts} use it, by index. */
  private static java.util.Map<Integer, java.util.BitSet> index(List<CpuPlanner.Placed> rts,
      java.util.Map<CpuPlanner.Placed, Set<Integer>> idsOf) {
    java.util.Map<Integer, java.util.BitSet> out = new java.util.HashMap<>();
    for (int i = 0; i < rts.size(); i++) {
      for (int id : idsOf.get(rts.get(i))) {
        out.computeIfAbsent(id, k -> new java.util.BitSet()).set(i);
      }
    }
    return out;
  }

  /** The real-time VMs, in their order, that use any of {@code ids}. */
  private static List<CpuPlanner.Placed> sharing(List<CpuPlanner.Placed> rts, java.util.Map<Integer, java.util.BitSet> index, Set<Integer> ids) {
    java.util.BitSet any = new java.util.BitSet();
    ids.forEach(id -> any.or(index.getOrDefault(id, new java.util.BitSet())));
    return any.stream().mapToObj(rts::get).toList();
  }

  /** The ids of the L2 instances {@code cpus} use. */
  private Set<Integer> l2Ids(CpuSet cpus) {
    Set<Integer> out = new HashSet<>();
    topology.l2().ifPresent(c -> c.instances().stream().filter(i -> i.cpus().intersects(cpus)).forEach(i -> out.add(i.id())));
    return out;
  }

  /** The L2 instances both CPU sets use. */
  private List<CacheInstance> sharedL2(CpuSet a, CpuSet b) {
    return topology.l2().map(c -> c.instances().stream().filter(i -> i.cpus().intersects(a) && i.cpus().intersects(b)).toList())
        .orElse(List.of());
  }

  /** An L2 instance's size, by the core type of its CPUs (a hybrid part's P- and E-core L2s differ). */
  private String l2Size(CacheInstance i) {
    return topology.l2().map(c -> c.sizeOf(topology.coreType(i.cpus().stream().findFirst().orElse(0))).exact()).orElse("");
  }

  /** One host, one node, one L3 (or none): nothing a placement can separate beyond L2. */
  boolean singleDomain() {
    return topology.numaNodes().size() == 1 && topology.l3().map(c -> c.instances().size() <= 1).orElse(true);
  }

  /**
   * For each stressor, what it shares with real-time VMs: a warning (RTC063), or with
   * {@code interference: accepted} a decision, so that a host that cannot separate them can still
   * pass {@code --warnings-as-errors} once someone has said it is meant.
   */
  void report(List<CpuPlanner.Placed> placed, Diagnostics d, List<Decision> decisions) {
    // Each VM's domains and L2 instances once: a host of hundreds of VMs asks every pair.
    java.util.Map<CpuPlanner.Placed, Set<Integer>> domainsOf = new java.util.IdentityHashMap<>();
    java.util.Map<CpuPlanner.Placed, Set<Integer>> l2Of = new java.util.IdentityHashMap<>();
    for (CpuPlanner.Placed p : placed) {
      CpuSet cpus = CpuSet.of(p.pins());
      domainsOf.put(p, domains(cpus));
      l2Of.put(p, l2Ids(cpus));
    }
    List<CpuPlanner.Placed> rts = placed.stream().filter(p -> p.vm().isRealtime()).toList();
    java.util.Map<Integer, java.util.BitSet> rtsInDomain = index(rts, domainsOf);
    java.util.Map<Integer, java.util.BitSet> rtsOnL2 = index(rts, l2Of);
    for (CpuPlanner.Placed s : placed) {
      if (s.vm().isRealtime()) {
        continue;
      }
      List<CpuPlanner.Placed> sameDomain = sharing(rts, rtsInDomain, domainsOf.get(s));
      List<CpuPlanner.Placed> sameL2 = sharing(rts, rtsOnL2, l2Of.get(s));
      if (sameDomain.isEmpty() && sameL2.isEmpty()) {
        continue;
      }
      String message = sentence(s, sameDomain, sameL2);
      String at = s.vm().placement() instanceof Placement.Auto ? s.vm().pointer() : s.vm().pointer() + "/placement";
      if (s.vm().interferenceAccepted()) {
        decisions.add(new Decision(s.vm().name(), "shares with real-time VMs, accepted in the manifest (interference: accepted)", message));
      } else {
        d.warning(Code.RTC063, at, message, hint(s, sameDomain, sameL2));
      }
    }
  }

  private String sentence(CpuPlanner.Placed s, List<CpuPlanner.Placed> sameDomain, List<CpuPlanner.Placed> sameL2) {
    StringBuilder m = new StringBuilder(s.vm().name());
    CpuSet mine = CpuSet.of(s.pins());
    if (!sameL2.isEmpty()) {
      List<CacheInstance> l2 = sameL2.stream().flatMap(p -> sharedL2(mine, CpuSet.of(p.pins())).stream()).distinct().toList();
      m.append(" shares L2 instance").append(l2.size() > 1 ? "s " : " ").append(String.join(", ", l2.stream()
          .map(i -> i.id() + " (CPUs " + i.cpus().describe() + ", " + l2Size(i) + ")").toList())).append(" with real-time VM ").append(names(sameL2))
          .append(", as no L2 instance without one had room: its accesses evict their L2 lines, which CAT does not divide here");
      if (!sameDomain.isEmpty()) {
        m.append("; and ");
      }
    } else {
      m.append(" ");
    }
    if (!sameDomain.isEmpty()) {
      String rt = names(sameDomain);
      if (singleDomain()) {
        m.append(sameL2.isEmpty() ? "" : "it ").append("shares this host's only ").append(topology.l3().isPresent() ? "L3 and " : "")
            .append("memory controller with real-time VM ").append(rt).append(": ").append(topology.l3().isEmpty()
                ? "its misses go to memory and compete with theirs for memory bandwidth"
                : topology.l3().get().cat().isPresent()
                    ? "CAT gives the real-time VMs' L3 ways to them alone, but its misses still load the ring and memory bandwidth"
                    : "without L3 CAT its misses evict their L3 lines, and load the ring and memory bandwidth");
      } else if (topology.l3().isEmpty() || sameDomain.stream().allMatch(p -> p.node() == s.node())
          && nodesSharingL3(s.node(), nodeCpus(s.node())) == 1) {
        m.append(sameL2.isEmpty() ? "" : "it ").append("shares NUMA node ").append(s.node()).append(" with real-time VM ").append(rt)
            .append(topology.l3().isPresent() ? ": its memory traffic and L3 use compete with them directly"
                : ": its memory traffic competes with them directly");
      } else {
        CpuSet cpus = CpuSet.of(s.pins());
        List<Integer> shared = domains(cpus).stream().filter(i -> sameDomain.stream().anyMatch(p -> domains(CpuSet.of(p.pins())).contains(i)))
            .sorted().toList();
        m.append(sameL2.isEmpty() ? "(NUMA node " + s.node() + ") " : "it ").append("shares L3 instance ").append(shared.get(0))
            .append(" with real-time VM ").append(rt).append(sameDomain.stream().anyMatch(p -> p.node() != s.node())
                ? " on another node (sub-NUMA clustering: the nodes split one L3)" : "")
            .append(": its misses evict their unreserved lines and load the shared ring and memory controllers");
      }
    }
    return m.toString();
  }

  private String hint(CpuPlanner.Placed s, List<CpuPlanner.Placed> sameDomain, List<CpuPlanner.Placed> sameL2) {
    if (singleDomain() || sameDomain.isEmpty()) {
      return "a host with " + (singleDomain() ? "one node and one L3" : "no free L2 instance left") + " cannot keep them further apart: "
          + (sameL2.isEmpty() ? "" : "fewer vCPUs for " + s.vm().name() + " may leave it a cluster of its own; or ") + "say it is meant "
          + "with interference: accepted on " + s.vm().name() + " (the benchmark measures exactly this interference)";
    }
    if (topology.l3().isEmpty() || nodesSharingL3(s.node(), nodeCpus(s.node())) == 1 && sameDomain.stream().allMatch(p -> p.node() == s.node())) {
      return "place the stressor on another NUMA node (placement: {numaNode: N}), or say it is meant with interference: accepted";
    }
    return "place the stressor on a node of another L3 instance (another socket), or say it is meant with interference: accepted";
  }

  private CpuSet nodeCpus(int node) {
    return topology.numaNodes().stream().filter(n -> n.id() == node).findFirst().map(n -> n.cpus()).orElse(CpuSet.empty());
  }

  private static String names(List<CpuPlanner.Placed> ps) {
    return String.join(", ", ps.stream().map(p -> p.vm().name()).toList());
  }

  /** Why a stressor's pool keeps its load away from the real-time VMs. */
  String separation(CpuLedger l, CpuLedger.Pool pool) {
    if (topology.l3().isEmpty()) {
      return "a node with no real-time VM, so its load reaches the real-time VMs only through shared memory and interconnect";
    }
    if (domains(l.poolCpus(pool)).isEmpty()) {
      return pool.type().noun() + "s outside every L3 instance, so its load reaches the real-time VMs only through memory";
    }
    return nodesSharingL3(pool.node(), l.nodeCpus(pool.node())) > 1 || topology.hybrid()
        ? "an L3 instance with no real-time VM, so its load reaches the real-time VMs only through shared memory and interconnect"
        : "a node with no real-time VM, so its load reaches the real-time VMs only through shared memory and interconnect";
  }
}
