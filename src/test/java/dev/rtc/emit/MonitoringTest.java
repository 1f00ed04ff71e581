package dev.rtc.emit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.rtc.Slow;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * After handover: runbook.sh metrics on fake hosts, judged by Prometheus's own promtool (check
 * metrics on the real output; drift injected shows), and the bundle's alerting rules loaded and
 * unit-tested by promtool with synthetic series for every alert.
 */
@Slow
class MonitoringTest {

  static final YAMLMapper YAML = new YAMLMapper();

  @TempDir static Path tmp;
  static CompiledBundle compiled;

  @BeforeAll
  static void compile() throws IOException {
    compiled = CompiledBundle.of(Path.of("examples/eci-reference.yaml"), tmp.resolve("out"));
  }

  /** "name{labels}" → value, from the text format. */
  static Map<String, String> samples(String text) {
    Map<String, String> m = new LinkedHashMap<>();
    text.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).forEach(l -> {
      int space = l.lastIndexOf(' ');
      m.put(l.substring(0, space), l.substring(space + 1));
    });
    return m;
  }

  static void promtoolAccepts(String metrics) throws IOException {
    Path f = Files.writeString(Files.createTempFile("rtc-metrics", ".prom"), metrics);
    Tool.require("promtool");
    // promtool check metrics reads standard input.
    Tool.Run check = Tool.require("sh").run(f.getParent(), "-c", "promtool check metrics < \"$1\"", "sh", f.toString());
    Files.delete(f);
    assertThat(check.exit()).as("promtool check metrics: %s%n%s", check.all(), metrics).isZero();
  }

  @Test
  void aHostAsPlannedExportsValidMetricsWithNothingDiffering() throws IOException {
    FakeHost h = FakeHost.of(tmp.resolve("planned"), compiled.plan()).booted().vmsRunning();
    h.write("proc/interrupts", "            CPU0       CPU1       CPU2       CPU3       CPU4       CPU5\n"
        + " 150:          9          0          0          0         42          0  IR-PCI-MSI 524288-edge      eno1-TxRx-0\n"
        + " LOC:       1000       1000       1000       1000       1000       1000   Local timer interrupts\n");
    Tool.Run r = compiled.runbook(h, "metrics");
    assertThat(r.exit()).as(r.all()).isZero();
    promtoolAccepts(r.out());
    Map<String, String> s = samples(r.out());
    assertThat(s).containsEntry("rtc_running_as_planned{bundle=\"eci-reference\"}", "1")
        .containsEntry("rtc_check_failures{bundle=\"eci-reference\",check=\"tuning.value\"}", "0")
        .containsEntry("rtc_check_failures{bundle=\"eci-reference\",check=\"kernel.cmdline\"}", "0")
        .containsEntry("rtc_check_failures{bundle=\"eci-reference\",check=\"kernel.cmdline\",vm=\"debian12-rt\"}", "0")
        .containsEntry("rtc_check_failures{bundle=\"eci-reference\",check=\"tuned.verify\",vm=\"debian12-rt\"}", "0")
        // verify's checks of every VM, the stressor's pins too.
        .containsEntry("rtc_check_failures{bundle=\"eci-reference\",check=\"vm.pins\",vm=\"debian12-rt\"}", "0")
        .containsEntry("rtc_check_failures{bundle=\"eci-reference\",check=\"vm.emulator\",vm=\"debian12-stress\"}", "0")
        .containsEntry("rtc_smi_total{bundle=\"eci-reference\",cpu=\"0\"}", "7")
        .containsEntry("rtc_isolated_device_interrupts_total{bundle=\"eci-reference\",cpu=\"4\"}", "42")
        .containsEntry("rtc_isolated_device_interrupts_total{bundle=\"eci-reference\",cpu=\"5\"}", "0");
    assertThat(s.keySet()).anyMatch(k -> k.startsWith("rtc_info{bundle=\"eci-reference\",digest=\"sha256:"));
    assertThat(s.entrySet()).filteredOn(e -> e.getKey().startsWith("rtc_check_failures")).allMatch(e -> e.getValue().equals("0"));
    assertThat(h.calls()).as("metrics changes nothing").noneMatch(c -> c.startsWith("tuned-adm profile") || c.startsWith("virsh define"));
  }

  /** A VM's vCPU moved by hand off its planned CPU: verify's pin check, as a metric with the VM's label. */
  @Test
  void aMovedVcpuRaisesItsVmsPinCheck() throws IOException {
    FakeHost h = FakeHost.of(tmp.resolve("moved"), compiled.plan()).booted().vmsRunning();
    h.write("fake/virsh/domains/debian12-rt/pins", h.read("fake/virsh/domains/debian12-rt/pins").replaceFirst("\\d+", "0"));
    Map<String, String> s = samples(compiled.runbook(h, "metrics").out());
    assertThat(s).containsEntry("rtc_check_failures{bundle=\"eci-reference\",check=\"vm.pins\",vm=\"debian12-rt\"}", "1")
        .containsEntry("rtc_check_failures{bundle=\"eci-reference\",check=\"vm.pins\",vm=\"debian12-stress\"}", "0");
  }

  @Test
  void driftInjectedRaisesItsCheckAndAnotherKernelClearsRunningAsPlanned() throws IOException {
    FakeHost h = FakeHost.of(tmp.resolve("drift"), compiled.plan()).booted();
    h.write("proc/sys/kernel/timer_migration", "1\n");
    Map<String, String> s = samples(compiled.runbook(h, "metrics").out());
    assertThat(s).containsEntry("rtc_check_failures{bundle=\"eci-reference\",check=\"tuning.value\"}", "1")
        .containsEntry("rtc_running_as_planned{bundle=\"eci-reference\"}", "1");
    h.write("proc/cmdline", "BOOT_IMAGE=/boot/vmlinuz-6.1.0-28-amd64 root=/dev/sda1 ro quiet\n");
    s = samples(compiled.runbook(h, "metrics").out());
    assertThat(s).containsEntry("rtc_running_as_planned{bundle=\"eci-reference\"}", "0");
    assertThat(Integer.parseInt(s.get("rtc_check_failures{bundle=\"eci-reference\",check=\"kernel.cmdline\"}"))).isPositive();
  }

  @Test
  void theTextfileIsWrittenWholeIntoTheCollectorsFolder() throws IOException {
    FakeHost h = FakeHost.of(tmp.resolve("textfile"), compiled.plan()).booted();
    Path dir = Files.createDirectories(tmp.resolve("node-exporter"));
    Tool.Run r = compiled.runbook(h, "metrics", "--textfile", dir.toString());
    assertThat(r.exit()).as(r.all()).isZero();
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly("rtc_eci-reference.prom");
    }
    promtoolAccepts(Files.readString(dir.resolve("rtc_eci-reference.prom")));
    Tool.Run missing = compiled.runbook(h, "metrics", "--textfile", tmp.resolve("nowhere").toString());
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.all()).contains("is not a folder (node_exporter's --collector.textfile.directory)");
    assertThat(compiled.runbook(h, "metrics", "--json").exit()).isEqualTo(2);
  }

  /**
   * The rules load (promtool check rules), and every alert fires on its synthetic series, with its labels and its
   * annotations as Prometheus renders them, and only then: a quiet host's series fire none.
   */
  @Test
  void everyAlertFiresOnItsSeriesAndAQuietHostFiresNone() throws IOException {
    Path rules = compiled.dir().resolve("monitoring/rtc-eci-reference.rules.yml");
    Tool.Run check = Tool.require("promtool").run(tmp, "check", "rules", rules.toString());
    assertThat(check.exit()).as(check.all()).isZero();
    assertThat(check.out()).contains("SUCCESS: 9 rules found");

    String b = "bundle=\"eci-reference\",instance=\"h1\"";
    String vm = "vm=\"debian12-rt\"";
    List<Case> cases = List.of(
        new Case("RtcHostDiffersFromPlan", List.<String[]>of(new String[] {"rtc_check_failures{" + b + ",check=\"tuning.value\"}", "0 0 1x30"}),
            Map.of("severity", "critical", "bundle", "eci-reference", "instance", "h1", "check", "tuning.value"), Map.of("$value", "1")),
        new Case("RtcNotRunningAsPlanned", List.<String[]>of(new String[] {"rtc_running_as_planned{" + b + "}", "1 1 0x30"}),
            Map.of("severity", "critical", "bundle", "eci-reference", "instance", "h1"), Map.of()),
        new Case("RtcBundleChanged", List.of(new String[] {"rtc_info{" + b + ",digest=\"sha256:aa\"}", "1x10 _x20"},
            new String[] {"rtc_info{" + b + ",digest=\"sha256:bb\"}", "_x10 1x20"}),
            Map.of("severity", "info", "bundle", "eci-reference", "instance", "h1"), Map.of()),
        new Case("RtcMonitorSilent", List.<String[]>of(new String[] {"rtc_metrics_timestamp_seconds{" + b + "}", "0+60x5 300x30"}),
            Map.of("severity", "warning", "bundle", "eci-reference", "instance", "h1"), Map.of()),
        new Case("RtcInterruptsOnIsolatedCpu", List.<String[]>of(new String[] {"rtc_isolated_device_interrupts_total{" + b + ",cpu=\"5\"}",
            "0+60x40"}), Map.of("severity", "warning", "bundle", "eci-reference", "instance", "h1", "cpu", "5"),
            Map.of("$value | humanize", "1")),
        new Case("RtcSmiRate", List.<String[]>of(new String[] {"rtc_smi_total{" + b + ",cpu=\"4\"}", "0+60x40"}),
            Map.of("severity", "warning", "bundle", "eci-reference", "instance", "h1", "cpu", "4"), Map.of("$value | humanize", "1")),
        // The guest's sampler: a window over the 300 us budget; one wake-up in a hundred over 100 us for half an hour
        // (the 99.9th percentile, interpolated as Prometheus does, is 280 us); a sampler silent for over 30 minutes.
        new Case("RtcLatencyOverBudget", List.<String[]>of(new String[] {"rtc_latency_window_max_seconds{" + b + "," + vm + "}", "0.00002x20 0.0005x20"}),
            Map.of("severity", "critical", "bundle", "eci-reference", "instance", "h1", "vm", "debian12-rt"),
            Map.of("$value | humanizeDuration", "500us")),
        new Case("RtcLatencyBudgetBurn", List.of(bucket(b, vm, "0.00005", "0+900x40"), bucket(b, vm, "0.0001", "0+990x40"),
            bucket(b, vm, "0.0003", "0+1000x40"), bucket(b, vm, "+Inf", "0+1000x40")),
            Map.of("severity", "warning", "bundle", "eci-reference", "instance", "h1", "vm", "debian12-rt"),
            Map.of("$value | humanizeDuration", "280us")),
        new Case("RtcLatencySamplerSilent", List.<String[]>of(new String[] {"rtc_latency_sampled_timestamp_seconds{" + b + "," + vm + "}", "-600x40"}),
            Map.of("severity", "warning", "bundle", "eci-reference", "instance", "h1", "vm", "debian12-rt"), Map.of()),
        // A host as planned, its monitor writing every minute, its guest sampled well within the budget: no alert.
        new Case("none", List.of(new String[] {"rtc_check_failures{" + b + ",check=\"tuning.value\"}", "0x40"},
            new String[] {"rtc_running_as_planned{" + b + "}", "1x40"}, new String[] {"rtc_info{" + b + ",digest=\"sha256:aa\"}", "1x40"},
            new String[] {"rtc_metrics_timestamp_seconds{" + b + "}", "0+60x40"},
            new String[] {"rtc_isolated_device_interrupts_total{" + b + ",cpu=\"5\"}", "0+0x40"},
            new String[] {"rtc_smi_total{" + b + ",cpu=\"4\"}", "7+0x40"},
            new String[] {"rtc_check_failures{" + b + ",check=\"kernel.realtime\"," + vm + "}", "0x40"},
            new String[] {"rtc_latency_window_max_seconds{" + b + "," + vm + "}", "0.00002x40"}, bucket(b, vm, "0.0001", "0+1000x40"),
            bucket(b, vm, "+Inf", "0+1000x40"), new String[] {"rtc_latency_sampled_timestamp_seconds{" + b + "," + vm + "}", "0+60x40"}),
            Map.of(), Map.of()));

    JsonNode parsed = YAML.readTree(rules.toFile());
    Map<String, JsonNode> byName = new LinkedHashMap<>();
    parsed.at("/groups/0/rules").forEach(r -> byName.put(r.path("alert").asText(), r));
    assertThat(byName.keySet()).as("a case for every alert").containsExactlyInAnyOrderElementsOf(
        cases.stream().map(Case::alert).filter(a -> !a.equals("none")).toList());

    JsonNodeFactory n = JsonNodeFactory.instance;
    ObjectNode test = n.objectNode();
    test.putArray("rule_files").add(rules.toString());
    test.put("evaluation_interval", "1m");
    ArrayNode tests = test.putArray("tests");
    for (Case c : cases) {
      ObjectNode t = tests.addObject();
      t.put("interval", "1m");
      ArrayNode in = t.putArray("input_series");
      c.series().forEach(s -> in.addObject().put("series", s[0]).put("values", s[1]));
      ArrayNode checks = t.putArray("alert_rule_test");
      // Every alert at 32 minutes: this one fires, with its labels and annotations; no other does.
      for (String alert : byName.keySet()) {
        ObjectNode a = checks.addObject();
        a.put("eval_time", "32m");
        a.put("alertname", alert);
        ArrayNode exp = a.putArray("exp_alerts");
        if (alert.equals(c.alert())) {
          ObjectNode e = exp.addObject();
          ObjectNode labels = e.putObject("exp_labels");
          c.labels().forEach(labels::put);
          ObjectNode ann = e.putObject("exp_annotations");
          byName.get(alert).path("annotations").fields().forEachRemaining(f -> ann.put(f.getKey(), render(f.getValue().asText(), c)));
        }
      }
    }
    Path testFile = tmp.resolve("rules-test.yml");
    YAML.writeValue(testFile.toFile(), test);
    Tool.Run run = Tool.require("promtool").run(tmp, "test", "rules", testFile.toString());
    assertThat(run.exit()).as("promtool test rules:%n%s%n%s", run.all(), Files.readString(testFile)).isZero();
    assertThat(run.out()).contains("SUCCESS");
  }

  static String[] bucket(String labels, String vm, String le, String values) {
    return new String[] {"rtc_latency_seconds_bucket{" + labels + "," + vm + ",le=\"" + le + "\"}", values};
  }

  /** An alert's synthetic series, and the labels and template values it fires with. */
  record Case(String alert, List<String[]> series, Map<String, String> labels, Map<String, String> values) {}

  /** An annotation as Prometheus renders it for the case: its labels and value put in. */
  static String render(String template, Case c) {
    Map<String, String> labels = c.labels();
    Map<String, String> values = c.values();
    Matcher m = Pattern.compile("\\{\\{ ([^}]*) \\}\\}").matcher(template);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String expr = m.group(1);
      String v = expr.startsWith("$labels.") ? labels.get(expr.substring(8)) : values.get(expr);
      assertThat(v).as("the test knows %s", expr).isNotNull();
      m.appendReplacement(out, Matcher.quoteReplacement(v));
    }
    m.appendTail(out);
    return out.toString();
  }
}
