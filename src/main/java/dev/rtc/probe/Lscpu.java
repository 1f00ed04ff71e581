package dev.rtc.probe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rtc.manifest.Topology.CoreType;
import dev.rtc.probe.Probe.Host;
import dev.rtc.probe.Probe.ProbeException;
import dev.rtc.probe.Probe.Row;
import dev.rtc.topology.ByteSize;
import dev.rtc.topology.CpuSet;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What {@code lscpu} prints, for a technician who can run lscpu but not the runbook: the parsable
 * table ({@code -p}) and the JSON ({@code -J}). Both give CPUs, cores, sockets, nodes and lscpu's
 * cache ids; the JSON also gives cache sizes and the CPU flags. Neither gives CAT's parameters,
 * node memory or core types, so the notes ask for the runbook's facts file, which has them all.
 */
final class Lscpu {

  private Lscpu() {}

  /** Whether {@code text} is what {@code lscpu -p} prints: comment lines, then a {@code # CPU,Core,...} header. */
  static boolean isTable(String text) {
    return text.lines().anyMatch(l -> l.startsWith("# CPU,"));
  }

  /**
   * Reads {@code lscpu -p} (or {@code -p=CPU,CORE,SOCKET,NODE,CACHE}): CPU, core, socket, node and
   * cache ids per CPU, and nothing else: no cache sizes, no CAT parameters, no memory and no core
   * types, which the notes say. The facts file of the runbook has all of them.
   */
  static Host fromTable(String name, String text) throws ProbeException {
    List<String> header = null;
    int headerLine = 0;
    List<Row> rows = new ArrayList<>();
    Map<Integer, Integer> seenAt = new HashMap<>();
    List<String> notes = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    int skipped = 0;
    for (int n = 1; n <= lines.length; n++) {
      String l = lines[n - 1].strip();
      String at = name + ":" + n + ": ";
      if (l.startsWith("# CPU,")) {
        if (header != null) {
          throw new ProbeException(at + "a second '# CPU,...' header (the first is on line " + headerLine + "): two lscpu -p outputs "
              + "pasted into one file; send one host's, whole");
        }
        header = new ArrayList<>();
        headerLine = n;
        for (String col : l.substring(2).split(",", -1)) {
          header.addAll(List.of(col.split(":", -1))); // old lscpu joins cache columns with ':'
        }
        continue;
      }
      if (l.isEmpty() || l.startsWith("#")) {
        continue;
      }
      if (header == null) {
        skipped++; // lscpu's summary, or a shell prompt, pasted before the table: not part of it
        continue;
      }
      List<String> cells = new ArrayList<>();
      for (String cell : l.split(",", -1)) {
        cells.addAll(List.of(cell.split(":", -1)));
      }
      if (cells.size() != header.size()) {
        throw new ProbeException(at + "'" + l + "' has " + cells.size() + " of the header's " + header.size() + " columns ("
            + String.join(",", header) + ")" + (cells.size() < header.size() ? ": cut short when it was copied?" : "")
            + "; send what lscpu -p prints, whole");
      }
      Map<String, String> byName = new HashMap<>();
      for (int i = 0; i < header.size(); i++) {
        byName.put(header.get(i).toLowerCase(Locale.ROOT), cells.get(i).strip());
      }
      Row row;
      try {
        row = new Row(Integer.parseInt(byName.get("cpu")), Integer.parseInt(byName.getOrDefault("core", byName.get("cpu"))),
            Integer.parseInt(byName.getOrDefault("socket", "0")), byName.getOrDefault("node", "").isEmpty() ? 0 : Integer.parseInt(byName.get("node")),
            optionalId(byName.get("l2")), optionalId(byName.get("l3")), CoreType.P);
      } catch (NumberFormatException | NullPointerException e) {
        throw new ProbeException(at + "'" + l + "' is not a row of numbers under " + String.join(",", header));
      }
      Integer before = seenAt.put(row.cpu(), n);
      if (before != null) {
        throw new ProbeException(at + "CPU " + row.cpu() + " again (first on line " + before + "): two hosts' tables, or one pasted twice; "
            + "send one lscpu -p output, whole");
      }
      rows.add(row);
    }
    if (header == null) {
      throw new ProbeException(name + ": no '# CPU,Core,...' header line; send what lscpu -p prints, whole");
    }
    if (skipped > 0) {
      notes.add(skipped + " line" + (skipped == 1 ? "" : "s") + " before lscpu -p's header (line " + headerLine + ") are not part of its "
          + "table and were left out");
    }
    if (rows.isEmpty()) {
      throw new ProbeException(name + ": no CPU rows; send what lscpu -p prints, whole");
    }
    notes.add("lscpu -p gives no cache sizes, CAT or MBA parameters, node memory or core types: add l3 (size from lscpu -C, "
        + "cat from /sys/fs/resctrl/info/L3) by hand, or better send the runbook's facts file (./runbook.sh facts)");
    notes.add("lscpu numbers caches itself; resctrl uses /sys/devices/system/cpu/cpuN/cache/index3/id, which may differ");
    return new Host(name, CoreTypes.inferFromL2(rows, notes, "lscpu -p does not say core types"), Map.of(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
        List.copyOf(notes));
  }

  /** Whether {@code text} is what {@code lscpu -J} prints: one or more JSON documents. */
  static boolean isJson(String text) {
    String t = text.stripLeading();
    return t.startsWith("{") && (t.contains("\"cpus\"") || t.contains("\"caches\"") || t.contains("\"lscpu\""));
  }

  /**
   * Reads lscpu's JSON: the per-CPU table ({@code -J -e=CPU,CORE,SOCKET,NODE,CACHE,ONLINE}, needed),
   * the caches ({@code -J -C}, best with {@code --bytes}) and the summary ({@code -J}), as many of
   * them as the file holds, in any order. The summary gives node CPU lists when the table has no
   * node column, cache sizes when there is no cache list, and the CPU flags, which say whether the
   * part has CAT, CDP and MBA at all. lscpu never gives CAT's parameters (they live in resctrl's
   * info files), node memory or core types; the notes say so, and how to get them.
   */
  static Host fromJson(String name, String text) throws ProbeException {
    JsonNode cpus = null;
    JsonNode caches = null;
    Map<String, String> summary = new LinkedHashMap<>();
    try (MappingIterator<JsonNode> docs =
        new ObjectMapper().readerFor(JsonNode.class).readValues(text)) {
      while (docs.hasNextValue()) {
        JsonNode doc = docs.nextValue();
        if (doc.has("cpus")) {
          cpus = doc.get("cpus");
        } else if (doc.has("caches")) {
          caches = doc.get("caches");
        } else if (doc.has("lscpu")) {
          flatten(doc.get("lscpu"), summary);
        }
      }
    } catch (IOException | RuntimeException e) {
      throw new ProbeException(name + ": not lscpu's JSON (" + e.getMessage().lines().findFirst().orElse("") + "); collect it with: "
          + Probe.LSCPU_COMMAND);
    }
    if (cpus == null || !cpus.isArray() || cpus.isEmpty()) {
      throw new ProbeException(name + ": no per-CPU table (\"cpus\"); collect it with: " + Probe.LSCPU_COMMAND);
    }
    List<String> notes = new ArrayList<>();
    Map<Integer, Integer> summaryNodes = new HashMap<>();
    for (Map.Entry<String, String> e : summary.entrySet()) {
      Matcher m = Pattern.compile("NUMA node(\\d+) CPU\\(s\\):").matcher(e.getKey());
      if (m.matches() && !e.getValue().isBlank()) {
        try {
          for (int cpu : CpuSet.parse(e.getValue().strip())) {
            summaryNodes.put(cpu, Integer.valueOf(m.group(1)));
          }
        } catch (IllegalArgumentException x) {
          throw new ProbeException(name + ": " + e.getKey() + " '" + e.getValue() + "': " + x.getMessage());
        }
      }
    }
    List<Row> rows = new ArrayList<>();
    List<Integer> offline = new ArrayList<>();
    boolean noNodes = false;
    for (JsonNode c : cpus) {
      try {
        int cpu = Integer.parseInt(c.path("cpu").asText());
        // true/false in util-linux 2.38 and later, "yes"/"no" before.
        if (c.has("online") && List.of("false", "no").contains(c.get("online").asText())) {
          offline.add(cpu);
          continue;
        }
        Integer node = optionalId(c.path("node").asText(""));
        if (node == null) {
          node = summaryNodes.get(cpu);
          noNodes |= node == null;
        }
        Map<String, Integer> cacheIds = new HashMap<>();
        for (Iterator<String> it = c.fieldNames(); it.hasNext(); ) {
          String key = it.next();
          if (key.startsWith("l1") || key.startsWith("l2") || key.startsWith("l3")) {
            String[] levels = key.split(":", -1);
            String[] ids = c.get(key).asText("").split(":", -1);
            for (int i = 0; i < levels.length && i < ids.length; i++) {
              cacheIds.put(levels[i], optionalId(ids[i].strip()));
            }
          }
        }
        rows.add(new Row(cpu, Integer.parseInt(c.path("core").asText(String.valueOf(cpu))), Integer.parseInt(c.path("socket").asText("0")),
            node == null ? 0 : node, cacheIds.get("l2"), cacheIds.get("l3"), CoreType.P));
      } catch (NumberFormatException e) {
        throw new ProbeException(name + ": CPU row " + c + " is not a row of numbers; collect it with: " + Probe.LSCPU_COMMAND);
      }
    }
    if (!offline.isEmpty()) {
      notes.add("CPUs " + CpuSet.of(offline) + " are offline and left out (rtc plans the CPUs that run)");
    }
    if (noNodes) {
      notes.add("lscpu gave no NUMA node for some CPUs, so they are put on node 0");
    }
    Map<Integer, ByteSize> sizes = new TreeMap<>();
    if (caches != null) {
      for (JsonNode c : caches) {
        String cname = c.path("name").asText("");
        if ((cname.equals("L2") || cname.equals("L3")) && c.has("one-size")) {
          sizes.put(cname.charAt(1) - '0', lscpuSize(name, c.get("one-size").asText(), notes));
        }
      }
    } else {
      for (int level : new int[] {2, 3}) {
        String total = summary.get("L" + level + " cache:");
        if (total == null) {
          continue;
        }
        // "32 MiB (2 instances)": the total over all instances.
        Matcher m = Pattern.compile("(.+?)\\s*\\((\\d+) instances?\\)").matcher(total.strip());
        ByteSize all = lscpuSize(name, m.matches() ? m.group(1) : total, notes);
        long n = m.matches() ? Long.parseLong(m.group(2)) : 1;
        sizes.put(level, new ByteSize(all.bytes() / n));
        notes.add("the L" + level + " size is lscpu's total over " + n + " instance" + (n == 1 ? "" : "s") + " ('" + total.strip()
            + "'), which it rounds: check it against lscpu -C --bytes");
      }
    }
    List<String> flags = List.of(summary.getOrDefault("Flags:", "").strip().split("\\s+"));
    if (!summary.containsKey("Flags:")) {
      notes.add("no lscpu -J summary, so nothing is known of CAT or MBA: add cat: from /sys/fs/resctrl/info by hand, "
          + "or better send the runbook's facts file (./runbook.sh facts)");
    } else if (flags.contains("cat_l3") || flags.contains("cat_l2")) {
      String has = flags.stream().filter(f -> f.matches("cat_l[23]|cdp_l[23]|mba")).sorted().collect(Collectors.joining(", "));
      notes.add("the CPU has " + has + ", but lscpu does not give CAT's parameters: add cat: {cbmMask, minCbmBits, closids} from "
          + "/sys/fs/resctrl/info/L3 (or L2) by hand, or better send the runbook's facts file (./runbook.sh facts)");
    } else {
      notes.add("the CPU flags have neither cat_l3 nor cat_l2: this host has no Cache Allocation Technology, so VMs cannot ask for cache");
    }
    List<Row> typed = CoreTypes.inferFromL2(rows, notes, "lscpu does not say core types");
    notes.add(typed == rows ? "lscpu gives no node memory and no core types (a hybrid part needs the facts file for them)"
        : "lscpu gives no node memory and one L2 size for all core types (the facts file has them all)");
    notes.add("lscpu numbers caches itself; resctrl uses /sys/devices/system/cpu/cpuN/cache/index3/id, which may differ");
    return new Host(name, typed, Map.of(), Optional.ofNullable(sizes.get(2)), Optional.ofNullable(sizes.get(3)), Optional.empty(),
        Optional.empty(), Optional.empty(), List.copyOf(notes));
  }

  /** The summary's fields, nested ones too (util-linux 2.39 and later nest them under "children"). */
  private static void flatten(JsonNode fields, Map<String, String> out) {
    for (JsonNode f : fields) {
      out.putIfAbsent(f.path("field").asText("").strip(), f.path("data").asText(""));
      if (f.has("children")) {
        flatten(f.get("children"), out);
      }
    }
  }

  /** A size as lscpu prints it: bytes ({@code --bytes}), or "32M", "1.3 MiB", "512K" (rounded: said in a note). */
  private static ByteSize lscpuSize(String name, String text, List<String> notes) throws ProbeException {
    String t = text.strip();
    Matcher m = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([KMGT]?)(?:i?B)?").matcher(t);
    if (!m.matches()) {
      throw new ProbeException(name + ": '" + t + "' is not a cache size");
    }
    BigDecimal n = new BigDecimal(m.group(1));
    int shift = switch (m.group(2)) {
      case "K" -> 10;
      case "M" -> 20;
      case "G" -> 30;
      case "T" -> 40;
      default -> 0;
    };
    if (n.scale() > 0 && !notes.contains(ROUNDED)) {
      notes.add(ROUNDED);
    }
    return new ByteSize(n.multiply(BigDecimal.valueOf(1L << shift)).longValue());
  }

  private static final String ROUNDED = "lscpu printed a cache size with a fraction, so it is rounded: collect the caches with lscpu -J -C --bytes";

  private static Integer optionalId(String cell) {
    return cell == null || cell.isEmpty() || cell.equals("-") ? null : Integer.valueOf(cell);
  }
}
