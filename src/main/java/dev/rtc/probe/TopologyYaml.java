package dev.rtc.probe;

import dev.rtc.manifest.Topology.CoreType;
import dev.rtc.probe.Probe.CatInfo;
import dev.rtc.probe.Probe.Host;
import dev.rtc.probe.Probe.Row;
import dev.rtc.topology.ByteSize;
import dev.rtc.topology.CpuSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Writes a probed host as the manifest's {@code topology} block, indented to sit under {@code host:}.
 * The compact form when it says the host exactly (one core type, siblings all adjacent or all at
 * one offset, every CPU under an L3), else the per-CPU table. Every value written is a number, a
 * CPU list, a size or a mask rendered by rtc's own types, never text copied from the host.
 */
public final class TopologyYaml {

  private final StringBuilder out = new StringBuilder();

  private TopologyYaml() {}

  public static String write(Host h, boolean forceTable) {
    TopologyYaml y = new TopologyYaml();
    y.host(h, forceTable);
    return y.out.toString();
  }

  private void line(int indent, String text) {
    out.append("  ".repeat(indent)).append(text).append('\n');
  }

  private void host(Host h, boolean forceTable) {
    List<Row> rows = h.rows();
    Map<List<Integer>, List<Integer>> cores = new TreeMap<>((a, b) -> a.get(0).equals(b.get(0)) ? a.get(1) - b.get(1) : a.get(0) - b.get(0));
    for (Row r : rows) {
      cores.computeIfAbsent(List.of(r.socket(), r.core()), k -> new ArrayList<>()).add(r.cpu());
    }
    boolean smt = cores.values().stream().anyMatch(c -> c.size() > 1);
    OptionalInt offset = smt ? siblingOffset(cores.values()) : OptionalInt.of(-1);
    // One core type that is not P (an all-E-core Atom) needs the table too: the compact form calls every core P.
    boolean oneType = rows.stream().allMatch(r -> r.type() == CoreType.P);
    boolean allL3 = rows.stream().allMatch(r -> r.l3() != null) || h.l3Size().isEmpty();
    boolean compact = !forceTable && oneType && offset.isPresent() && allL3;

    line(1, "# rtc probe: read from " + oneLine(h.source()) + "; " + summary(h, cores.size(), smt));
    for (String note : h.notes()) {
      line(1, "# note: " + oneLine(note));
    }
    line(1, "topology:");
    if (compact) {
      line(2, "threadsPerCore: " + (smt ? 2 : 1));
      if (smt) {
        line(2, offset.getAsInt() == 0 ? "siblings: adjacent" : "siblings: {offset: " + offset.getAsInt() + "}");
      }
      line(2, "sockets:");
      // CPU lists as a person writes them (0-78:2, not 0,2,4,...,78): the manifest reads both.
      groupsOf(rows, Row::socket).forEach((id, cpus) -> line(3, "- {id: " + id + ", cpus: \"" + cpus.describe() + "\"}"));
      line(2, "numaNodes:");
      groupsOf(rows, Row::node).forEach((id, cpus) -> line(3, "- {id: " + id + ", cpus: \"" + cpus.describe() + "\""
          + Optional.ofNullable(h.nodeMemory().get(id)).map(m -> ", memory: " + m.exact()).orElse("") + "}"));
    } else {
      if (!h.nodeMemory().isEmpty()) {
        line(2, "numaNodes:");
        h.nodeMemory().forEach((id, m) -> line(3, "- {id: " + id + ", memory: " + m.exact() + "}"));
      }
      line(2, "cpus:");
      line(3, "# [cpu, core, socket, node, l2, l3, type]");
      for (Row r : rows) {
        line(3, "- [" + r.cpu() + ", " + r.core() + ", " + r.socket() + ", " + r.node() + ", " + id(r.l2()) + ", " + id(r.l3()) + ", "
            + r.type().id() + "]");
      }
    }
    h.l3Size().ifPresent(size -> cache(3, size, h.l3Cat(), compact ? Optional.of(groupsOf(rows, Row::l3)) : Optional.empty()));
    if (h.l2Cat().isPresent() || !compact) {
      h.l2Size().ifPresent(size -> {
        cache(2, size, h.l2Cat(), compact ? Optional.of(groupsOf(rows, Row::l2)) : Optional.empty());
        List<String> others = h.l2TypeSizes().entrySet().stream().sorted(Map.Entry.comparingByKey()).filter(e -> !e.getValue().equals(size))
            .map(e -> e.getKey().id() + ": {size: " + e.getValue().exact() + "}").toList();
        if (!others.isEmpty()) {
          line(3, "coreTypes: {" + String.join(", ", others) + "}   # L2 size by core type, where it is not size's");
        }
      });
    }
    h.mba().ifPresent(mb -> line(2, "mba: {granularity: " + mb.granularity() + ", min: " + mb.min()
        + (mb.closids() > 0 ? ", closids: " + mb.closids() : "") + "}"));
    if (!h.pci().isEmpty()) {
      out.append(PciDevices.yaml(h.pci()));
    }
  }

  private void cache(int level, ByteSize size, Optional<CatInfo> cat, Optional<Map<Integer, CpuSet>> instances) {
    line(2, "l" + level + ":");
    line(3, "size: " + size.exact());
    instances.ifPresent(is -> {
      line(3, "instances:");
      is.forEach((id, cpus) -> line(4, "- {id: " + id + ", cpus: \"" + cpus.describe() + "\"}"));
    });
    cat.ifPresent(c -> line(3, "cat: {cbmMask: \"" + c.cbmMask().hex(c.cbmMask().width()) + "\", minCbmBits: " + c.minCbmBits()
        + ", closids: " + c.closids() + (c.shareableBits().isEmpty() ? "" : ", shareableBits: \"" + c.shareableBits().hex(c.cbmMask().width())
        + "\"") + (c.cdp() ? ", cdp: true" : "") + "}"));
  }

  /**
   * The compact form's sibling rule, if one holds for every core: 0 for adjacent (2k, 2k+1), n for
   * (c, c + n) with c below n; empty when cores differ (some without a sibling, or mixed numbering).
   */
  static OptionalInt siblingOffset(java.util.Collection<List<Integer>> cores) {
    Integer offset = null;
    for (List<Integer> core : cores) {
      if (core.size() != 2) {
        return OptionalInt.empty();
      }
      int lo = Math.min(core.get(0), core.get(1));
      int hi = Math.max(core.get(0), core.get(1));
      int off = (hi == lo + 1 && lo % 2 == 0) ? 0 : hi - lo;
      if (off != 0 && lo >= off) {
        return OptionalInt.empty();
      }
      if (offset != null && offset != off) {
        return OptionalInt.empty();
      }
      offset = off;
    }
    return offset == null ? OptionalInt.empty() : OptionalInt.of(offset);
  }

  private static Map<Integer, CpuSet> groupsOf(List<Row> rows, Function<Row, Integer> key) {
    Map<Integer, List<Integer>> g = new TreeMap<>();
    for (Row r : rows) {
      Integer k = key.apply(r);
      if (k != null) {
        g.computeIfAbsent(k, x -> new ArrayList<>()).add(r.cpu());
      }
    }
    Map<Integer, CpuSet> sets = new TreeMap<>();
    g.forEach((k, v) -> sets.put(k, CpuSet.of(v)));
    return sets;
  }

  private static String id(Integer id) {
    return id == null ? "null" : id.toString();
  }

  private static String summary(Host h, int cores, boolean smt) {
    long sockets = h.rows().stream().map(Row::socket).distinct().count();
    Map<CoreType, Integer> types = new HashMap<>();
    h.rows().forEach(r -> types.merge(r.type(), 1, Integer::sum));
    String mix = types.size() > 1 ? " (" + String.join(", ", types.entrySet().stream().sorted(Map.Entry.comparingByKey())
        .map(e -> e.getValue() + " " + e.getKey().id()).toList()) + ")" : "";
    return sockets + " socket" + (sockets == 1 ? "" : "s") + ", " + cores + " cores, " + h.rows().size() + " CPUs" + mix
        + (smt ? ", SMT on" : "");
  }

  /** Comments stay one line, whatever a path or note holds. */
  private static String oneLine(String s) {
    return s.replaceAll("[\\p{Cntrl}]", "?");
  }
}
