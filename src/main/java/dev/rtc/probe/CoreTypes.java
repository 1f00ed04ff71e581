package dev.rtc.probe;

import dev.rtc.manifest.Topology.CoreType;
import dev.rtc.probe.Probe.Row;
import dev.rtc.topology.CpuSet;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Core types read off L2 sharing, for kernels or tools that do not say them (no
 * /sys/devices/cpu_atom, lscpu): on Intel's hybrid parts every P-core has an L2 of its own and
 * E-cores share one L2 per cluster of up to four, without SMT. Only a host that has both kinds is
 * retyped; one kind alone (a Xeon, an Atom) is one core type, as before.
 */
final class CoreTypes {

  private CoreTypes() {}

  /**
   * {@code rows} with the CPUs of shared L2s typed E (LPE where they have no L3), when rows are all
   * typed P and both kinds of L2 are present; else {@code rows} as they are. Says what it did in {@code notes}.
   *
   * @param why what does not give the types, for the note
   */
  static List<Row> inferFromL2(List<Row> rows, List<String> notes, String why) {
    if (rows.stream().anyMatch(r -> r.type() != CoreType.P || r.l2() == null)) {
      return rows;
    }
    Map<Integer, Set<List<Integer>>> coresOfL2 = new TreeMap<>();
    Map<List<Integer>, Integer> threads = new java.util.HashMap<>();
    for (Row r : rows) {
      coresOfL2.computeIfAbsent(r.l2(), k -> new HashSet<>()).add(List.of(r.socket(), r.core()));
      threads.merge(List.of(r.socket(), r.core()), 1, Integer::sum);
    }
    Set<Integer> clusters = new HashSet<>();
    coresOfL2.forEach((l2, cores) -> {
      if (cores.size() > 1) {
        clusters.add(l2);
      }
    });
    if (clusters.isEmpty() || clusters.size() == coresOfL2.size()) {
      return rows;
    }
    // A cluster core with SMT is no E-core: the rule does not describe this part, so leave it.
    boolean smtInCluster = rows.stream().anyMatch(r -> clusters.contains(r.l2()) && threads.get(List.of(r.socket(), r.core())) > 1);
    if (smtInCluster) {
      notes.add(why + ", and L2 sharing does not tell them apart here (cores with SMT share an L2): every CPU is taken as a P-core");
      return rows;
    }
    List<Row> out = new ArrayList<>();
    List<Integer> p = new ArrayList<>();
    List<Integer> e = new ArrayList<>();
    for (Row r : rows) {
      boolean cluster = clusters.contains(r.l2());
      (cluster ? e : p).add(r.cpu());
      out.add(cluster ? new Row(r.cpu(), r.core(), r.socket(), r.node(), r.l2(), r.l3(), r.l3() == null ? CoreType.LPE : CoreType.E) : r);
    }
    int most = clusters.stream().mapToInt(id -> coresOfL2.get(id).size()).max().orElse(0);
    notes.add(why + ", so they were inferred from L2 sharing: CPUs " + CpuSet.of(p).describe() + " have an L2 per core (P-cores), CPUs "
        + CpuSet.of(e).describe() + " share an L2 per cluster of up to " + most + " cores (E-cores); check them against the part's "
        + "datasheet, or probe on a kernel that has /sys/devices/cpu_atom");
    return List.copyOf(out);
  }
}
