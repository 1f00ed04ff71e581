package dev.rtc.manifest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rtc.manifest.Topology.CacheInstance;
import dev.rtc.manifest.Topology.CacheLevel;
import dev.rtc.manifest.Topology.Cat;
import dev.rtc.manifest.Topology.CoreGroup;
import dev.rtc.manifest.Topology.CoreType;
import dev.rtc.manifest.Topology.Mba;
import dev.rtc.manifest.Topology.NumaNode;
import dev.rtc.manifest.Topology.Socket;
import dev.rtc.manifest.Topology;
import dev.rtc.manifest.diagnostics.Code;
import dev.rtc.manifest.diagnostics.Diagnostics;
import dev.rtc.manifest.diagnostics.Pointers;
import dev.rtc.topology.ByteSize;
import dev.rtc.topology.CpuSet;
import dev.rtc.topology.WayMask;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * host.topology bound to the model: the compact sets or the per-CPU table (what rtc probe writes),
 * cache levels with their instances and CAT, MBA, core types and SMT siblings. Reports, like the
 * binder it works for, every error it finds at its place.
 */
final class TopologyBinder {

  private final Binder b;
  private final Diagnostics d;

  TopologyBinder(Binder b, Diagnostics d) {
    this.b = b;
    this.d = d;
  }

  Topology topology(JsonNode n, String at) {
    Optional<Mba> mba = Optional.ofNullable(n.get("mba")).map(m -> new Mba(m.get("granularity").asInt(), m.get("min").asInt(),
        m.has("closids") ? java.util.OptionalInt.of(m.get("closids").asInt()) : java.util.OptionalInt.empty()));
    return n.has("cpus") ? table(n, at, mba) : compact(n, at, mba);
  }

  /** The compact form: sets written by hand. */
  private Topology compact(JsonNode n, String at, Optional<Mba> mba) {
    for (String key : List.of("threadsPerCore", "sockets", "numaNodes")) {
      if (!n.has(key)) {
        d.error(Code.RTC030, at, "topology needs " + key + ", or the per-CPU table cpus instead of the compact sets",
            "write threadsPerCore, sockets and numaNodes, or let rtc probe write the whole topology");
        return new Topology(Map.of(), List.of(), List.of(), Optional.empty(), Optional.empty(), mba, List.of());
      }
    }
    List<Socket> sockets = new ArrayList<>();
    JsonNode s = n.get("sockets");
    for (int i = 0; i < s.size(); i++) {
      sockets.add(new Socket(s.get(i).get("id").asInt(), b.cpus(s.get(i), "cpus", at + "/sockets/" + i)));
    }
    List<NumaNode> nodes = new ArrayList<>();
    JsonNode ns = n.get("numaNodes");
    for (int i = 0; i < ns.size(); i++) {
      String p = at + "/numaNodes/" + i;
      if (!ns.get(i).has("cpus")) {
        d.error(Code.RTC030, p, "NUMA node " + ns.get(i).get("id").asInt() + " has no cpus", "list its CPUs, as lscpu's 'NUMA node"
            + ns.get(i).get("id").asInt() + " CPU(s)' shows them");
      }
      nodes.add(new NumaNode(ns.get(i).get("id").asInt(), ns.get(i).has("cpus") ? b.cpus(ns.get(i), "cpus", p) : CpuSet.empty(),
          b.size(ns.get(i), "memory", p), p));
    }
    List<CoreGroup> types = new ArrayList<>();
    JsonNode ts = n.get("coreTypes");
    for (int i = 0; ts != null && i < ts.size(); i++) {
      types.add(new CoreGroup(CoreType.of(ts.get(i).get("type").asText()), b.cpus(ts.get(i), "cpus", at + "/coreTypes/" + i)));
    }
    Optional<CacheLevel> l3 = Optional.ofNullable(n.get("l3")).map(c -> cache(3, c, at + "/l3", null));
    Optional<CacheLevel> l2 = Optional.ofNullable(n.get("l2")).map(c -> cache(2, c, at + "/l2", null));
    JsonNode sib = n.get("siblings");
    Map<Integer, Integer> siblings = new HashMap<>();
    if (n.get("threadsPerCore").asInt() > 1) {
      if (sib == null) {
        d.error(Code.RTC030, at + "/threadsPerCore", "threadsPerCore: 2 needs topology.siblings, which CPUs share a core",
            "copy it from /sys/devices/system/cpu/cpu0/topology/thread_siblings_list: 0,32 is {offset: 32}, 0-1 is adjacent");
      } else {
        int offset = sib.isObject() ? sib.get("offset").asInt() : 0;
        CpuSet all = CpuSet.empty();
        for (Socket so : sockets) {
          all = all.union(so.cpus());
        }
        // Only P-cores have SMT; on parts with one core type, every core has.
        CpuSet threaded = types.isEmpty() ? all : all.intersect(unionOf(types.stream().filter(t -> t.type() == CoreType.P)
            .map(CoreGroup::cpus).toList()));
        for (int cpu : threaded) {
          int other = offset == 0 ? cpu ^ 1 : cpu < offset ? cpu + offset : cpu - offset;
          siblings.put(cpu, other);
        }
      }
    }
    return new Topology(siblings, sockets, nodes, l3, l2, mba, types);
  }

  private static CpuSet unionOf(List<CpuSet> sets) {
    CpuSet u = CpuSet.empty();
    for (CpuSet c : sets) {
      u = u.union(c);
    }
    return u;
  }

  /**
   * The table form: one row per CPU, [cpu, core, socket, node, l2, l3, type], as rtc probe writes
   * it. Sockets, nodes, siblings, core types and cache instances are read off the rows.
   */
  private Topology table(JsonNode n, String at, Optional<Mba> mba) {
    for (String key : List.of("threadsPerCore", "siblings", "sockets", "coreTypes")) {
      if (n.has(key)) {
        d.error(Code.RTC030, at + "/" + key, key + " is read off the per-CPU table topology.cpus, so it cannot be given as well",
            "remove " + key + ", or write the compact form without cpus");
      }
    }
    JsonNode rows = n.get("cpus");
    Map<Integer, List<Integer>> bySocket = new TreeMap<>();
    Map<Integer, List<Integer>> byNode = new TreeMap<>();
    Map<Integer, List<Integer>> byL2 = new TreeMap<>();
    Map<Integer, List<Integer>> byL3 = new TreeMap<>();
    Map<CoreType, List<Integer>> byType = new TreeMap<>();
    Map<List<Integer>, List<Integer>> byCore = new HashMap<>();
    Map<Integer, Integer> seen = new HashMap<>();
    for (int i = 0; i < rows.size(); i++) {
      JsonNode r = rows.get(i);
      int cpu = r.get(0).asInt();
      Integer before = seen.put(cpu, i);
      if (before != null) {
        d.error(Code.RTC030, at + "/cpus/" + i + "/0", "CPU " + cpu + " has two rows (also " + Pointers.display(at + "/cpus/" + before)
            + ")", "one row per CPU");
        continue;
      }
      bySocket.computeIfAbsent(r.get(2).asInt(), k -> new ArrayList<>()).add(cpu);
      byNode.computeIfAbsent(r.get(3).asInt(), k -> new ArrayList<>()).add(cpu);
      if (!r.get(4).isNull()) {
        byL2.computeIfAbsent(r.get(4).asInt(), k -> new ArrayList<>()).add(cpu);
      }
      if (!r.get(5).isNull()) {
        byL3.computeIfAbsent(r.get(5).asInt(), k -> new ArrayList<>()).add(cpu);
      }
      byType.computeIfAbsent(CoreType.of(r.get(6).asText()), k -> new ArrayList<>()).add(cpu);
      byCore.computeIfAbsent(List.of(r.get(2).asInt(), r.get(1).asInt()), k -> new ArrayList<>()).add(cpu);
    }
    Map<Integer, Integer> siblings = new HashMap<>();
    byCore.forEach((core, cpus) -> {
      if (cpus.size() > 2) {
        d.error(Code.RTC030, at + "/cpus/" + seen.get(cpus.get(2)) + "/1", "core " + core.get(1) + " of socket " + core.get(0)
            + " has " + cpus.size() + " threads (CPUs " + CpuSet.of(cpus).describe() + ")", "rtc knows cores of 1 or 2 threads; check the core column");
      } else if (cpus.size() == 2) {
        siblings.put(cpus.get(0), cpus.get(1));
        siblings.put(cpus.get(1), cpus.get(0));
      }
    });
    List<Socket> sockets = new ArrayList<>();
    bySocket.forEach((id, cpus) -> sockets.add(new Socket(id, CpuSet.of(cpus))));
    Map<Integer, JsonNode> given = new HashMap<>();
    Map<Integer, String> givenAt = new HashMap<>();
    JsonNode ns = n.get("numaNodes");
    for (int i = 0; ns != null && i < ns.size(); i++) {
      given.put(ns.get(i).get("id").asInt(), ns.get(i));
      givenAt.put(ns.get(i).get("id").asInt(), at + "/numaNodes/" + i);
    }
    List<NumaNode> nodes = new ArrayList<>();
    byNode.forEach((id, cpus) -> {
      JsonNode g = given.remove(id);
      String p = givenAt.getOrDefault(id, at + "/cpus");
      CpuSet set = CpuSet.of(cpus);
      if (g != null && g.has("cpus") && !b.cpus(g, "cpus", p).equals(set)) {
        d.error(Code.RTC030, p + "/cpus", "NUMA node " + id + " lists CPUs " + b.cpus(g, "cpus", p).describe() + " but the table puts "
            + set.describe() + " on it", "leave out cpus here; the table says which CPUs a node has");
      }
      nodes.add(new NumaNode(id, set, g == null ? Optional.empty() : b.size(g, "memory", p), p));
    });
    given.keySet().stream().sorted().forEach(id -> d.error(Code.RTC030, givenAt.get(id) + "/id", "NUMA node " + id
        + " has no CPU in the table", "use the node ids of the table's node column"));
    List<CoreGroup> types = new ArrayList<>();
    byType.forEach((type, cpus) -> types.add(new CoreGroup(type, CpuSet.of(cpus))));
    Optional<CacheLevel> l3 = Optional.ofNullable(n.get("l3")).map(c -> cache(3, c, at + "/l3", byL3));
    Optional<CacheLevel> l2 = Optional.ofNullable(n.get("l2")).map(c -> cache(2, c, at + "/l2", byL2));
    return new Topology(siblings, sockets, nodes, l3, l2, mba, types.size() == 1 ? List.of() : types);
  }

  /** @param fromTable instances read off the per-CPU table, or null in the compact form */
  private CacheLevel cache(int level, JsonNode n, String at, Map<Integer, List<Integer>> fromTable) {
    List<CacheInstance> instances = new ArrayList<>();
    JsonNode is = n.get("instances");
    if (fromTable != null) {
      if (is != null) {
        d.error(Code.RTC030, at + "/instances", "the L" + level + " instances are read off the per-CPU table, so they cannot be given as well",
            "remove instances");
      }
      fromTable.forEach((id, cpus) -> instances.add(new CacheInstance(id, CpuSet.of(cpus))));
    } else if (is == null) {
      d.error(Code.RTC030, at, "l" + level + " needs its instances (or the per-CPU table topology.cpus)", "list each L" + level
          + " instance: cache/index" + level + "/id and shared_cpu_list of its CPUs");
    } else {
      for (int i = 0; i < is.size(); i++) {
        instances.add(new CacheInstance(is.get(i).get("id").asInt(), b.cpus(is.get(i), "cpus", at + "/instances/" + i)));
      }
    }
    Optional<Cat> cat = Optional.ofNullable(n.get("cat")).map(c -> new Cat(b.mask(c, "cbmMask", at + "/cat"),
        c.get("minCbmBits").asInt(), c.get("closids").asInt(),
        c.has("shareableBits") ? b.mask(c, "shareableBits", at + "/cat") : new WayMask(0), c.path("cdp").asBoolean(false)));
    ByteSize size = b.size(n, "size", at).orElse(new ByteSize(0));
    Map<Topology.CoreType, ByteSize> typeSizes = new java.util.EnumMap<>(Topology.CoreType.class);
    JsonNode types = n.path("coreTypes");
    for (var it = types.fieldNames(); it.hasNext(); ) {
      String type = it.next();
      // LPE is the schema's first spelling, which no rtc could bind: LP-E is the core type's id, as probe writes it.
      Topology.CoreType t = Topology.CoreType.of(type.equals("LPE") ? "LP-E" : type);
      b.size(types.get(type), "size", at + "/coreTypes/" + type).ifPresent(sz -> typeSizes.put(t, sz));
    }
    return new CacheLevel(level, size, instances, cat, typeSizes);
  }
}
