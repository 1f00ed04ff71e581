package dev.rtc.report;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads cyclictest's three output forms: the {@code -q} summary lines ({@code T: 0 ( 5559) P:99
 * I:1000 C: 3000 Min: 8 Act: 73 Avg: 22 Max: 260}), the {@code -h} histogram (rows of
 * {@code %06d} latency and a count per thread, then the {@code # Total:}, {@code # Min/Avg/Max
 * Latencies:} and {@code # Histogram Overflows:} trailer; with {@code -h} there are no T: lines),
 * and the {@code --json} file (whose keys {@code "cmdline:"} and {@code "rt_test_version:"} end
 * in a colon). Anything cut short or garbled is refused with the line it stopped making sense at:
 * a report built on a half-read file would be a lie.
 */
public final class CyclictestParser {

  private static final Pattern SUMMARY = Pattern.compile(
      "T:\\s*(\\d+)\\s+\\(\\s*(\\d+)\\)\\s+P:\\s*(\\d+)\\s+I:\\s*(\\d+)\\s+C:\\s*(\\d+)\\s+Min:\\s*(\\d+)\\s+Act:\\s*(\\d+)\\s+Avg:\\s*(\\d+)\\s+Max:\\s*(\\d+)\\s*");
  /** The histogram trailer's lines, by their label. */
  private static final List<String> TRAILERS = List.of("Total", "Min Latencies", "Avg Latencies", "Max Latencies", "Histogram Overflows");

  /** Input that is not (or no longer) cyclictest output; says where. */
  public static class BadOutputException extends Exception {
    public BadOutputException(String file, int line, String message) {
      super(file + (line > 0 ? ":" + line : "") + ": " + message);
    }
  }

  /** A file that is not there, or not one rtc reads (not a regular file, too large): not evidence at all. */
  public static final class RefusedFileException extends BadOutputException {
    public RefusedFileException(String file, String message) {
      super(file, 0, message);
    }
  }

  private CyclictestParser() {}

  /** The text forms: -q summary lines, or the -h histogram with its trailer. */
  public static LatencyRun parseText(String file, String text) throws BadOutputException {
    String[] lines = text.split("\n", -1);
    List<LatencyRun.Thread> summary = new ArrayList<>();
    List<SortedMap<Integer, Long>> histogram = new ArrayList<>();
    long[] total = null;
    long[] min = null;
    long[] avg = null;
    long[] max = null;
    long[] overflows = null;
    boolean inHistogram = false;
    int buckets = 0;
    int lastContent = 0;
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      int n = i + 1;
      if (line.isEmpty()) {
        continue;
      }
      lastContent = n;
      if (line.startsWith("T:")) {
        Matcher m = SUMMARY.matcher(line);
        if (!m.matches()) {
          throw new BadOutputException(file, n, "a summary line cut short or garbled: '" + clip(line) + "'");
        }
        summary.add(new LatencyRun.Thread(Integer.parseInt(m.group(1)), Long.parseLong(m.group(5)), Long.parseLong(m.group(6)),
            Long.parseLong(m.group(8)), Long.parseLong(m.group(9)), new TreeMap<>(), 0, Optional.of(Integer.parseInt(m.group(4)))));
      } else if (line.equals("# Histogram")) {
        inHistogram = true;
      } else if (line.startsWith("#")) {
        // Read by splitting, not by a regex with a repeated group: java.util.regex recurses once per
        // repetition, and a row of 30,000 threads overflowed its stack.
        String label = TRAILERS.stream().filter(l -> line.startsWith("# " + l + ":")).findFirst().orElse(null);
        long[] trailer = label == null ? null : counts(line.substring(label.length() + 3), 18);
        if (trailer != null) {
          long[] values = trailer;
          if (histogram.isEmpty() && total == null && !inHistogram) {
            throw new BadOutputException(file, n, "a histogram trailer without a histogram");
          }
          if (!histogram.isEmpty() && values.length != histogram.size()) {
            throw new BadOutputException(file, n, "'# " + label + ":' has " + values.length + " values for "
                + histogram.size() + " threads");
          }
          switch (label) {
            case "Total" -> total = values;
            case "Min Latencies" -> min = values;
            case "Avg Latencies" -> avg = values;
            case "Max Latencies" -> max = values;
            default -> overflows = values;
          }
        }
        // Other comments (# /dev/cpu_dma_latency set to 0us, # Thread 0: ...) carry nothing we judge by.
      } else if (inHistogram) {
        int gap = indexOfBlank(line);
        long[] latencyField = gap < 0 ? null : counts(line.substring(0, gap), 9);
        long[] counts = gap < 0 ? null : counts(line.substring(gap), 12);
        if (latencyField == null || latencyField.length != 1 || counts == null || counts.length == 0) {
          throw new BadOutputException(file, n, "not a histogram row (latency, then one count per thread): '" + clip(line) + "'");
        }
        int latency = (int) latencyField[0];
        if (histogram.isEmpty()) {
          for (int t = 0; t < counts.length; t++) {
            histogram.add(new TreeMap<>());
          }
        } else if (counts.length != histogram.size()) {
          throw new BadOutputException(file, n, "a histogram row with " + counts.length + " counts; earlier rows have " + histogram.size());
        }
        if (latency != buckets) {
          throw new BadOutputException(file, n, "histogram row " + latency + " where row " + buckets + " belongs (rows missing or out of order)");
        }
        for (int t = 0; t < counts.length; t++) {
          if (counts[t] > 0) {
            histogram.get(t).put(latency, counts[t]);
          }
        }
        buckets++;
      } else if (!line.startsWith("WARN:")) {
        throw new BadOutputException(file, n, "not cyclictest output: '" + clip(line) + "'");
      }
    }
    if (inHistogram) {
      if (total == null || max == null) {
        throw new BadOutputException(file, lastContent, "the histogram ends without its '# Total:' and '# Max Latencies:' trailer: "
            + "the output is cut short (was cyclictest killed, or the file copied while it ran?)");
      }
      List<LatencyRun.Thread> threads = new ArrayList<>();
      for (int t = 0; t < histogram.size(); t++) {
        long of = overflows == null ? 0 : overflows[t];
        long binned = histogram.get(t).values().stream().mapToLong(Long::longValue).sum();
        // '# Total:' counts the binned samples; overflows come on top of it.
        if (binned != total[t]) {
          throw new BadOutputException(file, lastContent, "thread " + t + ": the histogram rows hold " + binned
              + " samples, but '# Total:' says " + total[t] + " (rows missing?)");
        }
        threads.add(new LatencyRun.Thread(t, total[t] + of, min == null ? firstKey(histogram.get(t)) : min[t],
            avg == null ? Double.NaN : avg[t], max[t], histogram.get(t), of, Optional.empty()));
      }
      return new LatencyRun(file, threads, buckets, Optional.empty());
    }
    if (summary.isEmpty()) {
      throw new BadOutputException(file, 0, "no summary lines (T: ...) and no histogram: was cyclictest run with -q or -h?");
    }
    return new LatencyRun(file, summary, 0, Optional.empty());
  }

  /** The --json file. It has no overflow count: samples beyond the histogram are cycles minus the binned ones. */
  public static LatencyRun parseJson(String file, byte[] json) throws BadOutputException {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(json);
    } catch (JsonParseException e) {
      throw new BadOutputException(file, e.getLocation() == null ? 0 : e.getLocation().getLineNr(), "not JSON (cut short?): "
          + e.getOriginalMessage());
    } catch (IOException e) {
      throw new BadOutputException(file, 0, "cannot read: " + e.getMessage());
    }
    JsonNode threads = root.path("thread");
    if (!threads.isObject() || threads.isEmpty()) {
      throw new BadOutputException(file, 0, "no \"thread\" object: not a cyclictest --json file");
    }
    String cmdline = root.path("cmdline:").asText("");
    int buckets = histogramSize(cmdline);
    List<LatencyRun.Thread> out = new ArrayList<>();
    for (int t = 0; t < threads.size(); t++) {
      JsonNode th = threads.path(String.valueOf(t));
      if (th.isMissingNode() || !th.path("cycles").isIntegralNumber()) {
        throw new BadOutputException(file, 0, "thread " + t + " is missing or has no \"cycles\"");
      }
      SortedMap<Integer, Long> hist = new TreeMap<>();
      th.path("histogram").fields().forEachRemaining(e -> hist.put(Integer.parseInt(e.getKey()), e.getValue().asLong()));
      long cycles = th.path("cycles").asLong();
      long binned = hist.values().stream().mapToLong(Long::longValue).sum();
      long overflows = buckets > 0 && th.path("max").asLong() >= buckets ? Math.max(0, cycles - binned) : 0;
      out.add(new LatencyRun.Thread(t, cycles, th.path("min").asLong(), th.path("avg").asDouble(), th.path("max").asLong(), hist,
          overflows, Optional.empty()));
    }
    if (root.path("num_threads").asInt(out.size()) != out.size()) {
      throw new BadOutputException(file, 0, "\"num_threads\" is " + root.path("num_threads").asInt() + " but " + out.size()
          + " threads are in the file");
    }
    JsonNode sys = root.path("sysinfo");
    Optional<LatencyRun.Context> context = sys.isObject() ? Optional.of(new LatencyRun.Context(sys.path("nodename").asText(""),
        (sys.path("release").asText("") + " " + sys.path("version").asText("")).strip(),
        sys.path("realtime").asInt(0) == 1 || sys.path("version").asText("").contains("PREEMPT_RT"), root.path("start_time").asText(""),
        root.path("end_time").asText(""))) : Optional.empty();
    return new LatencyRun(file, out, buckets, cmdline.isEmpty() ? Optional.empty() : Optional.of(cmdline.strip()), context);
  }

  /** The -h/--histogram size from a cyclictest command line, 0 when absent. */
  static int histogramSize(String cmdline) {
    Matcher m = Pattern.compile("(?:^|\\s)(?:-h\\s*|--histogram[= ]|-H\\s*|--histofall[= ])(\\d+)").matcher(cmdline);
    return m.find() ? Integer.parseInt(m.group(1)) : 0;
  }

  /**
   * Blank-separated decimal numbers of at most {@code digits} digits each (none for a blank
   * string), or null when any word is not one.
   */
  private static long[] counts(String s, int digits) {
    String t = s.strip();
    if (t.isEmpty()) {
      return new long[0];
    }
    String[] parts = t.split("[ \\t]+");
    long[] out = new long[parts.length];
    for (int i = 0; i < parts.length; i++) {
      String p = parts[i];
      if (p.isEmpty() || p.length() > digits || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
        return null;
      }
      out[i] = Long.parseLong(p);
    }
    return out;
  }

  private static int indexOfBlank(String line) {
    for (int i = 0; i < line.length(); i++) {
      if (line.charAt(i) == ' ' || line.charAt(i) == '\t') {
        return i;
      }
    }
    return -1;
  }

  private static long firstKey(SortedMap<Integer, Long> h) {
    return h.isEmpty() ? 0 : h.firstKey();
  }

  private static String clip(String s) {
    return s.length() > 60 ? s.substring(0, 60) + "…" : s;
  }
}
