package dev.rtc.emit;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rtc.report.LongTerm;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The long-term view of the real-time guests' latency since handover: longterm.md (each VM's days,
 * worst first), longterm.json, and a self-contained longterm.html whose SVG draws each day's worst
 * latency and its 99.9th percentile on a log scale against the plan's thresholds, OSADL's way of
 * showing a system over months. The HTML template auto-escapes.
 */
public final class LongTermEmitter {

  static final int WIDTH = 720;
  static final int HEIGHT = 260;
  static final int LEFT = 56;
  static final int RIGHT = 10;
  static final int TOP = 20;
  static final int BOTTOM = 34;

  private LongTermEmitter() {}

  /** What longterm.md.ftl and longterm.html.ftlh are given; {@code great} and {@code good} are 0 without a benchmark. */
  public record Model(long great, long good, int window, int every, List<VmView> vms) {}

  public record VmView(String name, int dayCount, String first, String last, String worstDay, long worstUs, int overBudget, List<Row> rows,
      Chart chart) {}

  /** One day as the tables show it, worst first. */
  public record Row(String date, long max, String p999, String p9999, long samples, long windows, String cls) {}

  public record Chart(int width, int height, String axisY, String right, List<Bar> bars, List<Line> lines, List<Tick> ticks,
      List<Tick> dayTicks) {}

  /** A day's bar from the bottom to its worst latency, and its 99.9th percentile as a mark. */
  public record Bar(String x, String y, String w, String h, String markY, String markX2, String cls, String title) {}

  public record Line(String y, String label, String cls) {}

  public record Tick(String pos, String label) {}

  public static Map<String, String> render(LongTerm lt, long great, long good) {
    Model m = model(lt, great, good);
    Map<String, String> out = new LinkedHashMap<>();
    out.put("longterm.md", Templates.render("longterm.md.ftl", m));
    out.put("longterm.html", Templates.render("longterm.html.ftlh", m));
    out.put("longterm.json", json(lt, great, good));
    return out;
  }

  static Model model(LongTerm lt, long great, long good) {
    List<VmView> vms = new ArrayList<>();
    for (LongTerm.Vm vm : lt.vms()) {
      List<LongTerm.Day> worst = vm.worstFirst();
      List<Row> rows = worst.stream().map(d -> new Row(d.date().toString(), d.max(), us(d.percentile(0.999)), us(d.percentile(0.9999)),
          d.samples(), d.windows(), cls(d.max(), great, good))).toList();
      int over = (int) vm.days().stream().filter(d -> good > 0 && d.max() >= good).count();
      vms.add(new VmView(vm.name(), vm.days().size(), vm.days().get(0).date().toString(), vm.days().get(vm.days().size() - 1).date().toString(),
          worst.get(0).date().toString(), worst.get(0).max(), over, rows, chart(vm, great, good)));
    }
    return new Model(great, good, dev.rtc.plan.MonitorPlan.WINDOW_SECONDS, dev.rtc.plan.MonitorPlan.EVERY_SECONDS / 60, vms);
  }

  /** Each day, in date order, a bar to its worst latency on a log scale from 1 µs. */
  private static Chart chart(LongTerm.Vm vm, long great, long good) {
    double plotW = WIDTH - LEFT - RIGHT;
    double plotH = HEIGHT - TOP - BOTTOM;
    long top = Math.max(10, Math.max(good * 2, vm.days().stream().mapToLong(LongTerm.Day::max).max().orElse(1)));
    double decades = Math.ceil(Math.log10(top));
    java.util.function.DoubleUnaryOperator y = us -> TOP + plotH - plotH * Math.log10(Math.max(1, us)) / decades;
    int n = vm.days().size();
    double slot = plotW / n;
    double w = Math.max(1, slot * 0.7);
    List<Bar> bars = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      LongTerm.Day d = vm.days().get(i);
      double x = LEFT + slot * i + (slot - w) / 2;
      double yMax = y.applyAsDouble(d.max());
      Optional<Long> p = d.percentile(0.999);
      bars.add(new Bar(f(x), f(yMax), f(w), f(TOP + plotH - yMax), p.map(v -> f(y.applyAsDouble(v))).orElse(""), f(x + w), cls(d.max(), great, good),
          d.date() + ": worst " + d.max() + " µs, 99.9% " + us(p) + " µs, " + d.samples() + " samples in " + d.windows() + " windows"));
    }
    List<Line> lines = new ArrayList<>();
    if (good > 0) {
      lines.add(new Line(f(y.applyAsDouble(great)), "great < " + great + " µs", "great"));
      lines.add(new Line(f(y.applyAsDouble(good)), "good < " + good + " µs", "good"));
    }
    List<Tick> ticks = new ArrayList<>();
    for (int k = 0; k <= decades; k++) {
      long v = (long) Math.pow(10, k);
      ticks.add(new Tick(f(y.applyAsDouble(v)), v >= 1000 ? v / 1000 + " ms" : v + " µs"));
    }
    // Day labels: the first, the last, and about six between.
    List<Tick> days = new ArrayList<>();
    int every = Math.max(1, n / 6);
    for (int i = 0; i < n; i += every) {
      days.add(new Tick(f(LEFT + slot * i + slot / 2), vm.days().get(i).date().toString()));
    }
    if ((n - 1) % every != 0) {
      days.add(new Tick(f(LEFT + slot * (n - 1) + slot / 2), vm.days().get(n - 1).date().toString()));
    }
    return new Chart(WIDTH, HEIGHT, f(TOP + plotH), f(LEFT + plotW), bars, lines, ticks, days);
  }

  /** great, good or fail: the verdict's words, for a day's worst latency; "none" without thresholds. */
  static String cls(long max, long great, long good) {
    if (good <= 0) {
      return "none";
    }
    return max < great ? "great" : max < good ? "good" : "fail";
  }

  private static String us(Optional<Long> v) {
    return v.map(String::valueOf).orElse("–");
  }

  static String json(LongTerm lt, long great, long good) {
    JsonNodeFactory n = JsonNodeFactory.instance;
    ObjectNode root = n.objectNode();
    root.put("rtcLongTerm", 1);
    if (good > 0) {
      root.putObject("verdictUs").put("great", great).put("good", good);
    }
    ArrayNode vms = root.putArray("vms");
    for (LongTerm.Vm vm : lt.vms()) {
      ObjectNode v = vms.addObject();
      v.put("name", vm.name());
      ArrayNode worst = v.putArray("worstFirst");
      vm.worstFirst().forEach(d -> worst.add(d.date().toString()));
      ArrayNode days = v.putArray("days");
      for (LongTerm.Day d : vm.days()) {
        ObjectNode o = days.addObject();
        o.put("date", d.date().toString()).put("windows", d.windows()).put("samples", d.samples()).put("maxUs", d.max())
            .put("overflows", d.overflows());
        d.percentile(0.99).ifPresent(p -> o.put("p99Us", p));
        d.percentile(0.999).ifPresent(p -> o.put("p999Us", p));
        d.percentile(0.9999).ifPresent(p -> o.put("p9999Us", p));
        o.put("class", cls(d.max(), great, good));
      }
    }
    return TreeWriter.json(root);
  }

  private static String f(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }
}
