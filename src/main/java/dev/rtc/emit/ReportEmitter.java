package dev.rtc.emit;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rtc.report.LatencyReport;
import dev.rtc.report.LatencyReport.Stats;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The latency report's files: report.md for people and reviews, report.json for machines, and a
 * self-contained report.html whose SVG histograms (one per thread, log-scale counts, the great
 * and good thresholds drawn) need no network and no script. The HTML template auto-escapes.
 */
public final class ReportEmitter {

  /** Histogram drawing area, in SVG user units. */
  static final int WIDTH = 720;
  static final int HEIGHT = 220;
  static final int LEFT = 50;
  static final int BOTTOM = 30;

  private ReportEmitter() {}

  /** File name → content, in a stable order. */
  public static Map<String, String> render(LatencyReport r) {
    Map<String, Object> model = model(r);
    Map<String, String> out = new LinkedHashMap<>();
    out.put("report.md", Templates.render("report.md.ftl", model));
    out.put("report.html", Templates.render("report.html.ftlh", model));
    out.put("report.json", json(r));
    return out;
  }

  static Map<String, Object> model(LatencyReport r) {
    Map<String, Object> m = new HashMap<>();
    m.put("source", r.run().source());
    m.put("cmdline", r.run().cmdline().orElse(""));
    m.put("verdict", r.verdict().text());
    m.put("verdictClass", r.verdict().name());
    m.put("reasons", r.reasons());
    m.put("great", r.criteria().greatUs());
    m.put("good", r.criteria().goodUs());
    m.put("histogram", r.run().hasHistogram());
    m.put("buckets", r.run().histogramBuckets());
    List<Map<String, Object>> rows = new ArrayList<>();
    for (Stats s : r.threads()) {
      rows.add(row(s));
    }
    rows.add(row(r.overall()));
    m.put("rows", rows);
    List<Map<String, Object>> charts = new ArrayList<>();
    if (r.run().hasHistogram()) {
      Scale scale = Scale.of(r.threads(), r);
      for (Stats s : r.threads()) {
        charts.add(chart(s, r, scale));
      }
    }
    m.put("charts", charts);
    // Where and when, from cyclictest's --json: the host, its kernel (PREEMPT_RT or not), the run's start and end.
    r.run().context().ifPresent(c -> m.put("context", Map.of("host", c.host(), "kernel", c.kernel(), "realtime", c.realtime(),
        "start", c.start(), "end", c.end())));
    return m;
  }

  private static Map<String, Object> row(Stats s) {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("label", s.label());
    row.put("samples", s.samples());
    row.put("min", s.min());
    row.put("avg", s.avgText());
    row.put("p50", s.p50().map(Object::toString).orElse("–"));
    row.put("p99", s.p99().map(Object::toString).orElse("–"));
    row.put("p999", s.p999().map(Object::toString).orElse("–"));
    row.put("p9999", s.p9999().map(Object::toString).orElse("–"));
    row.put("max", s.max());
    row.put("overflows", s.overflows());
    return row;
  }

  /**
   * One histogram as SVG geometry: a bar per µs bucket with samples, height by log10(count + 1),
   * a vertical line at each threshold, and the samples beyond the histogram as a bar of their own
   * past the axis's end. Every thread is drawn to one scale ({@link Scale}), so their pictures
   * compare at a glance.
   */
  private static Map<String, Object> chart(Stats s, LatencyReport r, Scale sc) {
    double plotW = WIDTH - LEFT - 10 - OVERFLOW_W;
    double plotH = HEIGHT - BOTTOM - TOP;
    double logTop = Math.log10(sc.top() + 1.0);
    double barW = Math.max(1.0, plotW / sc.xMax());
    List<Map<String, String>> bars = new ArrayList<>();
    s.histogram().forEach((us, count) -> {
      if (us <= sc.xMax()) {
        double h = plotH * Math.log10(count + 1.0) / logTop;
        bars.add(Map.of("x", f(LEFT + plotW * us / sc.xMax()), "y", f(TOP + plotH - h), "w", f(barW), "h", f(h),
            "title", us + " µs: " + dev.rtc.manifest.Words.count(count, "sample")));
      }
    });
    List<Map<String, String>> lines = new ArrayList<>();
    // The two labels on two rows, so they never run into each other however close the thresholds are.
    int row = 0;
    for (var t : List.of(Map.entry("great", r.criteria().greatUs()), Map.entry("good", r.criteria().goodUs()))) {
      double x = LEFT + plotW * Math.min(t.getValue(), sc.xMax()) / sc.xMax();
      boolean nearRight = x > LEFT + plotW - 110; // keep the label inside the picture
      String beyond = t.getValue() > sc.xMax() ? " (beyond the histogram) →" : "";
      lines.add(Map.of("x", f(x), "label", t.getKey() + " < " + t.getValue() + " µs" + beyond, "cls", t.getKey(), "y", String.valueOf(13 + 13 * row++),
          "anchor", nearRight ? "end" : "start", "dx", nearRight ? "-4" : "4"));
    }
    List<Map<String, String>> ticks = new ArrayList<>();
    long step = niceStep(sc.xMax());
    for (long t = 0; t <= sc.xMax(); t += step) {
      ticks.add(Map.of("x", f(LEFT + plotW * t / sc.xMax()), "label", Long.toString(t)));
    }
    Map<String, Object> c = new HashMap<>();
    c.put("label", s.label());
    c.put("width", WIDTH);
    c.put("height", HEIGHT);
    c.put("left", LEFT);
    c.put("axisY", f(TOP + plotH));
    c.put("plotTop", TOP);
    c.put("right", f(LEFT + plotW));
    c.put("bars", bars);
    c.put("lines", lines);
    c.put("ticks", ticks);
    c.put("top", sc.top());
    c.put("overflows", s.overflows());
    if (s.overflows() > 0) {
      double h = plotH * Math.log10(s.overflows() + 1.0) / logTop;
      c.put("overflow", Map.of("x", f(LEFT + plotW + 8), "y", f(TOP + plotH - h), "w", f(OVERFLOW_W - 12), "h", f(h),
          "mid", f(LEFT + plotW + 8 + (OVERFLOW_W - 12) / 2.0),
          "label", "≥ " + r.run().histogramBuckets(), "title", dev.rtc.manifest.Words.count(s.overflows(), "sample") + " at or above "
              + r.run().histogramBuckets() + " µs (beyond the histogram; worst " + s.max() + " µs)"));
    }
    return c;
  }

  /** Room above the bars for the threshold labels, which then never sit on a bar. */
  static final int TOP = 36;

  /** Width kept right of the axis for the overflow bar. */
  static final int OVERFLOW_W = 60;

  /**
   * One scale for every thread: x to a quarter past the highest bucket any thread filled, so the
   * samples fill the width (never past the histogram: what lies beyond it is the overflow bar; a
   * threshold beyond the axis is marked at its end), y to the largest count of any bucket or
   * overflow bar.
   */
  record Scale(long xMax, long top) {
    static Scale of(List<Stats> threads, LatencyReport r) {
      long highest = threads.stream().flatMap(s -> s.histogram().keySet().stream()).mapToLong(Integer::longValue).max().orElse(0);
      long x = (long) Math.ceil(highest * 1.25);
      if (r.run().histogramBuckets() > 0) {
        x = Math.min(x, r.run().histogramBuckets());
      }
      long top = threads.stream().flatMap(s -> java.util.stream.Stream.concat(s.histogram().values().stream(), java.util.stream.Stream.of(
          s.overflows()))).mapToLong(Long::longValue).max().orElse(1);
      return new Scale(Math.max(10, x), Math.max(1, top));
    }
  }

  private static long niceStep(long span) {
    long[] steps = {1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000};
    for (long st : steps) {
      if (span / st <= 10) {
        return st;
      }
    }
    return span / 10;
  }

  private static String f(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  static String json(LatencyReport r) {
    JsonNodeFactory n = JsonNodeFactory.instance;
    ObjectNode root = n.objectNode();
    root.put("reportVersion", 1);
    root.put("source", r.run().source());
    r.run().cmdline().ifPresent(c -> root.put("cmdline", c));
    root.put("verdict", r.verdict().name().toLowerCase(Locale.ROOT));
    ArrayNode reasons = root.putArray("reasons");
    r.reasons().forEach(reasons::add);
    ObjectNode crit = root.putObject("thresholdsUs");
    crit.put("great", r.criteria().greatUs());
    crit.put("good", r.criteria().goodUs());
    root.put("histogramBucketsUs", r.run().histogramBuckets());
    ArrayNode threads = root.putArray("threads");
    r.threads().forEach(s -> threads.add(stats(n, s)));
    root.set("overall", stats(n, r.overall()));
    return TreeWriter.json(root);
  }

  private static ObjectNode stats(JsonNodeFactory n, Stats s) {
    ObjectNode o = n.objectNode();
    o.put("label", s.label());
    o.put("samples", s.samples());
    o.put("minUs", s.min());
    if (Double.isNaN(s.avg())) {
      o.putNull("avgUs");
    } else {
      o.put("avgUs", Math.round(s.avg() * 10) / 10.0);
    }
    percentile(o, "p50Us", s.p50());
    percentile(o, "p99Us", s.p99());
    percentile(o, "p99_9Us", s.p999());
    percentile(o, "p99_99Us", s.p9999());
    o.put("maxUs", s.max());
    o.put("overflows", s.overflows());
    return o;
  }

  /** A number, or {"atLeast": n} when it fell beyond the histogram, or null without one. */
  private static void percentile(ObjectNode o, String key, java.util.Optional<LatencyReport.Percentile> p) {
    if (p.isEmpty()) {
      o.putNull(key);
    } else if (p.get().atLeast()) {
      o.putObject(key).put("atLeast", p.get().us());
    } else {
      o.put(key, p.get().us());
    }
  }
}
