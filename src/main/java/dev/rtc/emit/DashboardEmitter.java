package dev.rtc.emit;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rtc.plan.MonitorPlan;
import dev.rtc.plan.Plan;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * {@code monitoring/rtc-<name>.dashboard.json}: a Grafana dashboard over the metrics of
 * {@code runbook.sh metrics}, its thresholds the plan's. Imported as it is (Dashboards, New,
 * Import), it asks for the Prometheus data source and shows every host that runs this bundle.
 * Built as a tree and written by the JSON emitter; the bundle's name reaches PromQL only as an
 * escaped string literal, and Grafana's own text only as a JSON string.
 */
final class DashboardEmitter {

  private static final JsonNodeFactory N = JsonNodeFactory.instance;
  /** Grafana 10.x's dashboard schema version; 9 and newer import it. */
  static final int SCHEMA_VERSION = 39;
  private static final String DS = "${DS_PROMETHEUS}";

  private DashboardEmitter() {}

  static List<Bundle.Artifact> emit(Plan plan, String header) {
    MonitorPlan m = MonitorPlan.of(plan);
    String sel = "bundle=" + MonitoringEmitter.promqlString(plan.name()) + ",instance=~\"$instance\"";
    ObjectNode d = N.objectNode();
    ObjectNode input = d.putArray("__inputs").addObject();
    input.put("name", "DS_PROMETHEUS").put("label", "Prometheus").put("type", "datasource").put("pluginId", "prometheus")
        .put("pluginName", "Prometheus").put("description", "the Prometheus that scrapes these hosts' node_exporter");
    d.put("title", "rtc: " + plan.name());
    // Grafana's uid: at most 40 characters, the same on every import (a new import replaces the old).
    d.put("uid", "rtc-" + Checksums.hex(plan.name().getBytes(StandardCharsets.UTF_8)).substring(0, 16));
    d.put("description", header);
    d.putArray("tags").add("rtc").add("real-time");
    d.put("schemaVersion", SCHEMA_VERSION);
    d.put("editable", true);
    d.put("graphTooltip", 1);
    d.put("refresh", "5m");
    d.putObject("time").put("from", "now-7d").put("to", "now");
    ArrayNode vars = d.putObject("templating").putArray("list");
    ObjectNode inst = vars.addObject();
    inst.put("name", "instance").put("label", "Host").put("type", "query").put("refresh", 2).put("includeAll", true).put("multi", true);
    inst.set("datasource", datasource());
    inst.put("query", "label_values(rtc_info{bundle=" + MonitoringEmitter.promqlString(plan.name()) + "}, instance)");
    inst.putObject("current").put("text", "All").put("value", "$__all");

    Layout l = new Layout(d.putArray("panels"));
    l.row("Is each host as planned?");
    ObjectNode planned = l.panel("stat", "Running the planned kernel and command line", 6, 5,
        "What check-host proves of the kernel: 1 on a host that runs the planned kernel with every planned argument.");
    target(planned, "min by (instance) (rtc_running_as_planned{" + sel + "})", "{{instance}}");
    mapping(planned, "1", "as planned", "green");
    mapping(planned, "0", "NOT as planned", "red");
    ObjectNode checks = l.panel("stat", "Checks that differ from the plan", 6, 5,
        "check-host's and verify's checks that fail now, per host: 0 is as planned; the table beside names them.");
    target(checks, "sum by (instance) (rtc_check_failures{" + sel + "})", "{{instance}}");
    thresholds(checks, List.of(new Step(null, "green"), new Step(1.0, "red")));
    ObjectNode which = l.panel("table", "Which checks differ", 8, 5,
        "Each failing check by ID (docs/runbook-checks.md); a vm names the real-time guest where verify reads it.");
    target(which, "rtc_check_failures{" + sel + "} > 0", "{{instance}} {{vm}} {{check}}").put("instant", true).put("format", "table");
    ObjectNode digest = l.panel("table", "Bundle applied", 4, 5, "The digest of the bundle each host runs (sha256 of SHA256SUMS).");
    target(digest, "rtc_info{" + sel + "}", "{{instance}} {{digest}}").put("instant", true).put("format", "table");

    l.row("Latency in the real-time guests (the sampler: " + MonitorPlan.WINDOW_SECONDS + " s every " + MonitorPlan.EVERY_SECONDS / 60
        + " min at SCHED_FIFO " + MonitorPlan.PRIORITY + ")");
    ObjectNode worst = l.panel("timeseries", "Worst latency of each window", 12, 8,
        "The longest wake-up of each sampling window" + (m.goodUs() > 0 ? "; the lines are the plan's thresholds: great "
            + m.greatUs() + " us, and the budget " + m.goodUs() + " us (FAIL above)." : "."));
    target(worst, "max by (instance, vm) (rtc_latency_window_max_seconds{" + sel + "})", "{{instance}} {{vm}}");
    latencyAxis(worst, m);
    ObjectNode pct = l.panel("timeseries", "99th and 99.9th percentile (6 h)", 12, 8,
        "From the sampler's histogram over the last six hours, as the budget-burn alert reads it.");
    target(pct, "histogram_quantile(0.999, sum by (instance, vm, le) (rate(rtc_latency_seconds_bucket{" + sel + "}[6h])))",
        "p99.9 {{instance}} {{vm}}");
    target(pct, "histogram_quantile(0.99, sum by (instance, vm, le) (rate(rtc_latency_seconds_bucket{" + sel + "}[6h])))",
        "p99 {{instance}} {{vm}}");
    latencyAxis(pct, m);
    ObjectNode heat = l.panel("heatmap", "How the latencies spread", 16, 8, "Samples per histogram bucket over time, every host and guest together.");
    target(heat, "sum by (le) (increase(rtc_latency_seconds_bucket{" + sel + "}[$__interval]))", "{{le}}").put("format", "heatmap");
    heat.putObject("options").putObject("calculate").put("value", false);
    ObjectNode windows = l.panel("timeseries", "Sampling windows per hour", 8, 8,
        "measured: the sampler ran; skipped: a benchmark or autopsy measured instead; failed: cyclictest could not run.");
    target(windows, "sum by (instance, vm, outcome) (increase(rtc_latency_windows_total{" + sel + "}[1h]))", "{{instance}} {{vm}} {{outcome}}");

    l.row("What takes latency away");
    ObjectNode smi = l.panel("timeseries", "SMIs per second", 8, 7, "System management interrupts stop every CPU for as long as the firmware needs.");
    target(smi, "rate(rtc_smi_total{" + sel + "}[15m])", "{{instance}}");
    ObjectNode irq = l.panel("timeseries", "Device interrupts on isolated CPUs, per second", 8, 7,
        "Each one lands on a CPU the plan keeps for a real-time vCPU; /proc/interrupts names the device.");
    target(irq, "rate(rtc_isolated_device_interrupts_total{" + sel + "}[10m]) > 0", "{{instance}} CPU {{cpu}}");
    ObjectNode llc = l.panel("timeseries", "L3 occupancy by resctrl group", 8, 7, "Where the hardware monitors it (resctrl's llc_occupancy).");
    target(llc, "rtc_resctrl_llc_occupancy_bytes{" + sel + "}", "{{instance}} {{group}} L3 {{cache}}");
    llc.putObject("fieldConfig").putObject("defaults").put("unit", "bytes");
    ObjectNode mbm = l.panel("timeseries", "Memory bandwidth by resctrl group", 24, 7, "Where the hardware monitors it (resctrl's mbm_total_bytes).");
    target(mbm, "rate(rtc_resctrl_mbm_total_bytes_total{" + sel + "}[5m])", "{{instance}} {{group}} L3 {{cache}}");
    mbm.putObject("fieldConfig").putObject("defaults").put("unit", "Bps");
    return List.of(Emitters.text("monitoring/rtc-" + plan.name() + ".dashboard.json", TreeWriter.json(d)));
  }

  private static ObjectNode datasource() {
    return N.objectNode().put("type", "prometheus").put("uid", DS);
  }

  private static ObjectNode target(ObjectNode panel, String expr, String legend) {
    ArrayNode targets = panel.has("targets") ? (ArrayNode) panel.get("targets") : panel.putArray("targets");
    ObjectNode t = targets.addObject();
    t.set("datasource", datasource());
    t.put("expr", expr);
    t.put("legendFormat", legend);
    t.put("refId", String.valueOf((char) ('A' + targets.size() - 1)));
    return t;
  }

  /** Seconds on a log scale, with the plan's two thresholds drawn as lines. */
  private static void latencyAxis(ObjectNode panel, MonitorPlan m) {
    ObjectNode defaults = panel.putObject("fieldConfig").putObject("defaults");
    defaults.put("unit", "s");
    ObjectNode custom = defaults.putObject("custom");
    custom.putObject("scaleDistribution").put("type", "log").put("log", 10);
    if (m.goodUs() > 0) {
      custom.putObject("thresholdsStyle").put("mode", "line");
      stepsOf(defaults, List.of(new Step(null, "green"), new Step(m.greatUs() / 1e6, "yellow"), new Step(m.goodUs() / 1e6, "red")));
    }
  }

  private static void thresholds(ObjectNode panel, List<Step> steps) {
    stepsOf(panel.putObject("fieldConfig").putObject("defaults"), steps);
  }

  private static void stepsOf(ObjectNode defaults, List<Step> steps) {
    ObjectNode t = defaults.putObject("thresholds");
    t.put("mode", "absolute");
    ArrayNode a = t.putArray("steps");
    for (Step s : steps) {
      ObjectNode o = a.addObject();
      if (s.value() == null) {
        o.putNull("value");
      } else {
        o.put("value", s.value());
      }
      o.put("color", s.color());
    }
  }

  private static void mapping(ObjectNode panel, String value, String text, String color) {
    ObjectNode fc = panel.has("fieldConfig") ? (ObjectNode) panel.get("fieldConfig") : panel.putObject("fieldConfig");
    ObjectNode defaults = fc.has("defaults") ? (ObjectNode) fc.get("defaults") : fc.putObject("defaults");
    ArrayNode mappings = defaults.has("mappings") ? (ArrayNode) defaults.get("mappings") : defaults.putArray("mappings");
    ObjectNode map = mappings.addObject();
    map.put("type", "value");
    map.putObject("options").putObject(value).put("text", text).put("color", color).put("index", mappings.size() - 1);
  }

  private record Step(Double value, String color) {}

  /** Panels placed left to right on Grafana's 24-column grid, a new line when one is full; ids in order. */
  private static final class Layout {
    private final ArrayNode panels;
    private int x;
    private int y;
    private int rowHeight;
    private int id;

    Layout(ArrayNode panels) {
      this.panels = panels;
    }

    void row(String title) {
      newLine();
      ObjectNode r = panels.addObject();
      r.put("type", "row").put("title", title).put("id", ++id).put("collapsed", false);
      r.putObject("gridPos").put("h", 1).put("w", 24).put("x", 0).put("y", y);
      r.putArray("panels");
      y += 1;
    }

    ObjectNode panel(String type, String title, int w, int h, String description) {
      if (x + w > 24) {
        newLine();
      }
      ObjectNode p = panels.addObject();
      p.put("type", type).put("title", title).put("id", ++id).put("description", description);
      p.set("datasource", datasource());
      p.putObject("gridPos").put("h", h).put("w", w).put("x", x).put("y", y);
      x += w;
      rowHeight = Math.max(rowHeight, h);
      return p;
    }

    private void newLine() {
      y += rowHeight;
      x = 0;
      rowHeight = 0;
    }
  }
}
