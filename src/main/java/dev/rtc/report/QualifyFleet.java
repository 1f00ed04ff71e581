package dev.rtc.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rtc.io.InputFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The runbook's qualification records of many hosts, side by side: grouped by board (vendor,
 * product, board, BIOS version, CPU), each host's latest record, and in each group the hosts whose
 * measured noise or SMIs stand out from their identical neighbours'. Identical boards should measure
 * alike; one that does not has a setting, a firmware or a part of its own.
 */
public final class QualifyFleet {

  /** The findings with a number to compare, in the order they are shown. */
  public static final List<String> MEASURES = List.of("qualify.hwlat", "qualify.osnoise", "qualify.smi", "qualify.frequency");

  /** A record file is a few KiB; anything this large is not one. */
  static final int RECORD_LIMIT = 1 << 20;

  public record Finding(String status, String value) {}

  /** One host's record. */
  public record Entry(Path source, String bundle, String id, String status, Map<String, String> platform, Map<String, Finding> findings) {
    String board() {
      return String.join(", ", List.of(platform.getOrDefault("vendor", "unknown") + " " + platform.getOrDefault("product", "unknown"),
          "board " + platform.getOrDefault("board", "unknown"), "BIOS " + platform.getOrDefault("bios_version", "unknown"),
          platform.getOrDefault("cpu", "unknown CPU")));
    }
  }

  /** A host whose measure is more than twice its group's median, and at least 5 more. */
  public record Outlier(String bundle, String measure, long value, long median) {}

  public record Group(String board, List<Entry> entries, List<Outlier> outliers) {}

  private QualifyFleet() {}

  /** Every qualification record in the files and folders given (folders searched six deep), the latest per host. */
  public static List<Entry> read(List<Path> paths) throws IOException {
    Map<String, Entry> latest = new TreeMap<>();
    for (Path p : paths) {
      List<Path> files;
      if (Files.isDirectory(p)) {
        try (Stream<Path> s = Files.walk(p, 6)) {
          files = s.filter(f -> f.toString().endsWith(".json") && Files.isRegularFile(f)).sorted().toList();
        }
      } else {
        files = List.of(p);
      }
      for (Path f : files) {
        Entry e = entry(f);
        if (e != null && (!latest.containsKey(e.bundle()) || latest.get(e.bundle()).id().compareTo(e.id()) < 0)) {
          latest.put(e.bundle(), e);
        }
      }
    }
    return List.copyOf(latest.values());
  }

  static Entry entry(Path f) throws IOException {
    if (Files.size(f) > RECORD_LIMIT) {
      return null;
    }
    JsonNode r;
    try {
      r = new ObjectMapper().readTree(InputFiles.read(f, RECORD_LIMIT));
    } catch (com.fasterxml.jackson.core.JsonProcessingException | InputFiles.RefusedException e) {
      return null;
    }
    if (r == null || r.path("rtcQualification").asInt() != 1) {
      return null;
    }
    Map<String, String> platform = new LinkedHashMap<>();
    r.path("platform").fields().forEachRemaining(e -> platform.put(e.getKey(), e.getValue().asText()));
    Map<String, Finding> findings = new LinkedHashMap<>();
    r.path("findings").forEach(x -> findings.put(x.path("id").asText(), new Finding(x.path("status").asText(), x.path("value").asText())));
    return new Entry(f, r.path("bundle").asText(), r.path("id").asText(), r.path("status").asText(), platform, findings);
  }

  /** The entries by board, boards and hosts in name order, with each group's outliers. */
  public static List<Group> compare(List<Entry> entries) {
    Map<String, List<Entry>> by = new TreeMap<>();
    entries.forEach(e -> by.computeIfAbsent(e.board(), k -> new ArrayList<>()).add(e));
    List<Group> out = new ArrayList<>();
    by.forEach((board, list) -> {
      list.sort(Comparator.comparing(Entry::bundle));
      List<Outlier> outliers = new ArrayList<>();
      for (String m : MEASURES) {
        List<Long> values = list.stream().map(e -> number(e, m)).filter(v -> v >= 0).sorted().toList();
        if (values.size() < 3) {
          continue; // two hosts cannot say which one is odd
        }
        long median = values.get(values.size() / 2);
        for (Entry e : list) {
          long v = number(e, m);
          if (v > 2 * median && v - median >= 5) {
            outliers.add(new Outlier(e.bundle(), m, v, median));
          }
        }
      }
      out.add(new Group(board, List.copyOf(list), outliers));
    });
    return out;
  }

  /** A finding's value as a number, -1 when it has none (not measured). */
  static long number(Entry e, String measure) {
    Finding f = e.findings().get(measure);
    return f != null && f.value().matches("[0-9]{1,12}") ? Long.parseLong(f.value()) : -1;
  }
}
