package dev.rtc.emit;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rtc.report.LatencyReport.Stats;
import dev.rtc.report.LatencyReport;
import java.util.ArrayList;
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

  /**
   * What report.md.ftl and report.html.ftlh are given. {@code context} (where and when, from
   * cyclictest's --json) is null when the run did not say. Public, because FreeMarker reads only
   * public classes.
   */
  public record Model(String source, String cmdline, String verdict, String verdictClass, List<String> reasons, long great, long good,
      boolean histogram, int buckets, List<Row> rows, List<Chart> charts, dev.rtc.report.LatencyRun.Context context, List<Cause> causes,
      List<Recurring> interference, int windowsTraced, List<Cause> interferenceRemedies) {}

  /** What ran before a measuring thread across the traced windows, as the reports show it. */
  public record Recurring(String vm, int vcpu, String source, String code, int windows, String worstUs, String totalUs) {}

  /** One cause of the autopsy, as the reports show it: code, what, in how many of the worst windows, the worst's evidence, the remedy. */
  public record Cause(String code, String title, int windows, String worstUs, String evidence, String remedy) {}

  /** One thread's line of the table, or the overall one; a percentile the histogram cannot give is "–". */
  public record Row(String label, long samples, long min, String avg, String p50, String p99, String p999, String p9999, long max,
      long overflows) {}

  /** One histogram as SVG geometry, every number already formatted. {@code overflow} is null when nothing overflowed. */
  public record Chart(String label, int width, int height, int left, String axisY, int plotTop, String right, List<Bar> bars,
      List<Line> lines, List<Tick> ticks, long top, long overflows, Overflow overflow) {}

  public record Bar(String x, String y, String w, String h, String title) {}

  public record Line(String x, String label, String cls, String y, String anchor, String dx) {}

  public record Tick(String x, String label) {}

  public record Overflow(String x, String y, String w, String h, String mid, String label, String title) {}

  /** File name → content, in a stable order. */
  public static Map<String, String> render(LatencyReport r) {
    Model model = model(r);
    Map<String, String> out = new LinkedHashMap<>();
    out.put("report.md", Templates.render("report.md.ftl", model));
    out.put("report.html", Templates.render("report.html.ftlh", model));
    out.put("report.json", json(r));
    return out;
  }

  static Model model(LatencyReport r) {
    List<Row> rows = new ArrayList<>();
    for (Stats s : r.threads()) {
      rows.add(row(s));
    }
    rows.add(row(r.overall()));
    List<Chart> charts = new ArrayList<>();
    if (r.run().hasHistogram()) {
      Scale scale = Scale.of(r.threads(), r);
      for (Stats s : r.threads()) {
        charts.add(chart(s, r, scale));
      }
    }
    return new Model(r.run().source(), r.run().cmdline().orElse(""), r.verdict().text(), r.verdict().name(), r.reasons(),
        r.criteria().greatUs(), r.criteria().goodUs(), r.run().hasHistogram(), r.run().histogramBuckets(), rows, charts,
        r.run().context().orElse(null), r.causes().stream().map(c -> new Cause(c.cause().code(), c.cause().title(), c.windows(),
            String.format(Locale.ROOT, "%.1f", c.worstNs() / 1000.0), c.evidence(), c.cause().remedy())).toList(),
        r.interference().stream().map(i -> new Recurring(i.vm(), i.vcpu(), i.source(), i.cause().code(), i.windows(),
            String.format(Locale.ROOT, "%.1f", i.worstNs() / 1000.0), String.format(Locale.ROOT, "%.1f", i.totalNs() / 1000.0))).toList(),
        r.windowsTraced(), r.interference().stream().map(dev.rtc.report.Autopsy.Recurring::cause).distinct()
            .map(c -> new Cause(c.code(), c.title(), 0, "", "", c.remedy())).toList());
  }

  private static Row row(Stats s) {
    return new Row(s.label(), s.samples(), s.min(), s.avgText(), s.p50().map(Object::toString).orElse("–"),
        s.p99().map(Object::toString).orElse("–"), s.p999().map(Object::toString).orElse("–"), s.p9999().map(Object::toString).orElse("–"),
        s.max(), s.overflows());
  }

  /**
   * One histogram as SVG geometry: a bar per µs bucket with samples, height by log10(count + 1),
   * a vertical line at each threshold, and the samples beyond the histogram as a bar of their own
   * past the axis's end. Every thread is drawn to one scale ({@link Scale}), so their pictures
   * compare at a glance.
   */
  private static Chart chart(Stats s, LatencyReport r, Scale sc) {
    double plotW = WIDTH - LEFT - 10 - OVERFLOW_W;
    double plotH = HEIGHT - BOTTOM - TOP;
    double logTop = Math.log10(sc.top() + 1.0);
    double barW = Math.max(1.0, plotW / sc.xMax());
    List<Bar> bars = new ArrayList<>();
    s.histogram().forEach((us, count) -> {
      if (us <= sc.xMax()) {
        double h = plotH * Math.log10(count + 1.0) / logTop;
        bars.add(new Bar(f(LEFT + plotW * us / sc.xMax()), f(TOP + plotH - h), f(barW), f(h),
            us + " µs: " + dev.rtc.manifest.diagnostics.Words.count(count, "sample")));
      }
    });
    List<Line> lines = new ArrayList<>();
    // The two labels on two rows, so they never run into each other however close the thresholds are.
    int row = 0;
    for (var t : List.of(Map.entry("great", r.criteria().greatUs()), Map.entry("good", r.criteria().goodUs()))) {
      double x = LEFT + plotW * Math.min(t.getValue(), sc.xMax()) / sc.xMax();
      boolean nearRight = x > LEFT + plotW - 110; // keep the label inside the picture
      String beyond = t.getValue() > sc.xMax() ? " (beyond the histogram) →" : "";
      lines.add(new Line(f(x), t.getKey() + " < " + t.getValue() + " µs" + beyond, t.getKey(), String.valueOf(13 + 13 * row++),
          nearRight ? "end" : "start", nearRight ? "-4" : "4"));
    }
    List<Tick> ticks = new ArrayList<>();
    long step = niceStep(sc.xMax());
    for (long t = 0; t <= sc.xMax(); t += step) {
      ticks.add(new Tick(f(LEFT + plotW * t / sc.xMax()), Long.toString(t)));
    }
    Overflow overflow = null;
    if (s.overflows() > 0) {
      double h = plotH * Math.log10(s.overflows() + 1.0) / logTop;
      overflow = new Overflow(f(LEFT + plotW + 8), f(TOP + plotH - h), f(OVERFLOW_W - 12), f(h), f(LEFT + plotW + 8 + (OVERFLOW_W - 12) / 2.0),
          "≥ " + r.run().histogramBuckets(), dev.rtc.manifest.diagnostics.Words.count(s.overflows(), "sample") + " at or above "
              + r.run().histogramBuckets() + " µs (beyond the histogram; worst " + s.max() + " µs)");
    }
    return new Chart(s.label(), WIDTH, HEIGHT, LEFT, f(TOP + plotH), TOP, f(LEFT + plotW), bars, lines, ticks, sc.top(), s.overflows(),
        overflow);
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
    ArrayNode causes = root.putArray("causes");
    r.causes().forEach(c -> causes.addObject().put("code", c.cause().code()).put("cause", c.cause().title()).put("windows", c.windows())
        .put("worstUs", Math.round(c.worstNs() / 100.0) / 10.0).put("evidence", c.evidence()).put("remedy", c.cause().remedy()));
    root.put("windowsTraced", r.windowsTraced());
    ArrayNode interference = root.putArray("interference");
    r.interference().forEach(i -> interference.addObject().put("vm", i.vm()).put("vcpu", i.vcpu()).put("source", i.source())
        .put("code", i.cause().code()).put("windows", i.windows()).put("worstUs", Math.round(i.worstNs() / 100.0) / 10.0)
        .put("totalUs", Math.round(i.totalNs() / 100.0) / 10.0).put("remedy", i.cause().remedy()));
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
