package dev.rtc.emit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.rtc.Slow;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundle's Grafana dashboard: a dashboard Grafana imports (its shape checked as Grafana reads
 * it: unique ids, the 24-column grid without overlaps, a data source input), every query one that
 * Prometheus parses (promtool, as recording rules), and every metric it reads one that the runbook
 * or the guest's sampler really writes.
 */
@Slow
class DashboardTest {

  @TempDir static Path tmp;
  static CompiledBundle compiled;
  static JsonNode dashboard;

  @BeforeAll
  static void compile() throws IOException {
    compiled = CompiledBundle.of(Path.of("examples/eci-reference.yaml"), tmp.resolve("out"));
    dashboard = new ObjectMapper().readTree(compiled.dir().resolve("monitoring/rtc-eci-reference.dashboard.json").toFile());
  }

  static List<JsonNode> panels() {
    List<JsonNode> p = new ArrayList<>();
    dashboard.path("panels").forEach(p::add);
    return p;
  }

  static List<String> exprs() {
    List<String> e = new ArrayList<>();
    panels().forEach(p -> p.path("targets").forEach(t -> e.add(t.path("expr").asText())));
    return e;
  }

  @Test
  void itHasTheShapeGrafanaImports() {
    assertThat(dashboard.path("uid").asText()).hasSizeLessThanOrEqualTo(40).startsWith("rtc-");
    assertThat(dashboard.path("schemaVersion").asInt()).isGreaterThanOrEqualTo(36);
    assertThat(dashboard.at("/__inputs/0/name").asText()).isEqualTo("DS_PROMETHEUS");
    assertThat(dashboard.at("/__inputs/0/pluginId").asText()).isEqualTo("prometheus");
    Set<Integer> ids = new HashSet<>();
    List<int[]> cells = new ArrayList<>();
    for (JsonNode p : panels()) {
      assertThat(ids.add(p.path("id").asInt())).as("panel id %s is unique", p.path("id")).isTrue();
      JsonNode g = p.path("gridPos");
      int x = g.path("x").asInt();
      int y = g.path("y").asInt();
      int w = g.path("w").asInt();
      int h = g.path("h").asInt();
      assertThat(x + w).as("%s fits the 24 columns", p.path("title")).isLessThanOrEqualTo(24);
      assertThat(w).isPositive();
      assertThat(h).isPositive();
      for (int[] c : cells) {
        boolean overlaps = x < c[0] + c[2] && c[0] < x + w && y < c[1] + c[3] && c[1] < y + h;
        assertThat(overlaps).as("%s overlaps another panel", p.path("title")).isFalse();
      }
      cells.add(new int[] {x, y, w, h});
      if (p.path("type").asText().equals("row")) {
        continue;
      }
      assertThat(p.at("/datasource/uid").asText()).isEqualTo("${DS_PROMETHEUS}");
      assertThat(p.path("targets")).as("%s has a query", p.path("title")).isNotEmpty();
      Set<String> refs = new HashSet<>();
      p.path("targets").forEach(t -> assertThat(refs.add(t.path("refId").asText())).isTrue());
      assertThat(p.path("description").asText()).as("%s says what it shows", p.path("title")).isNotBlank();
    }
    assertThat(panels()).extracting(p -> p.path("type").asText()).contains("stat", "timeseries", "heatmap", "table", "row");
  }

  @Test
  void theLatencyPanelsDrawThePlansThresholds() {
    JsonNode worst = panels().stream().filter(p -> p.path("title").asText().startsWith("Worst latency")).findFirst().orElseThrow();
    JsonNode steps = worst.at("/fieldConfig/defaults/thresholds/steps");
    assertThat(steps.get(1).path("value").asDouble()).isEqualTo(100e-6); // great: 100 us
    assertThat(steps.get(2).path("value").asDouble()).isEqualTo(300e-6); // good: 300 us
    assertThat(worst.at("/fieldConfig/defaults/custom/scaleDistribution/type").asText()).isEqualTo("log");
    assertThat(worst.at("/fieldConfig/defaults/unit").asText()).isEqualTo("s");
  }

  /** Every query parses as PromQL (Grafana's variables given values), and is held to this bundle. */
  @Test
  void everyQueryIsPromqlPrometheusParses() throws IOException {
    JsonNodeFactory n = JsonNodeFactory.instance;
    ObjectNode rules = n.objectNode();
    ArrayNode list = rules.putArray("groups").addObject().put("name", "dashboard").putArray("rules");
    List<String> exprs = exprs();
    assertThat(exprs).hasSizeGreaterThan(10);
    for (int i = 0; i < exprs.size(); i++) {
      assertThat(exprs.get(i)).contains("bundle=\"eci-reference\"");
      list.addObject().put("record", "rtc_dashboard_query_" + i)
          .put("expr", exprs.get(i).replace("$instance", ".*").replace("$__interval", "5m"));
    }
    Path f = tmp.resolve("dashboard-queries.yml");
    new YAMLMapper().writeValue(f.toFile(), rules);
    Tool.Run check = Tool.require("promtool").run(tmp, "check", "rules", f.toString());
    assertThat(check.exit()).as("promtool check rules:%n%s", check.all()).isZero();
    assertThat(check.out()).contains("SUCCESS: " + exprs.size() + " rules found");
    // A deliberately broken query is refused, so the check above can fail.
    new YAMLMapper().writeValue(f.toFile(), n.objectNode().set("groups", n.arrayNode().add(n.objectNode().put("name", "x")
        .set("rules", n.arrayNode().add(n.objectNode().put("record", "x").put("expr", "rate(rtc_smi_total[5m]"))))));
    assertThat(Tool.require("promtool").run(tmp, "check", "rules", f.toString()).exit()).isNotZero();
  }

  /** The metrics the dashboard and the rules read are those the runbook and the guest's sampler write. */
  @Test
  void everyMetricItReadsIsOneRtcWrites() throws IOException {
    Set<String> written = new TreeSet<>();
    Pattern type = Pattern.compile("# TYPE (rtc_[a-z_]+) ");
    String sources = Files.readString(compiled.dir().resolve("runbook-steps.sh"))
        + Files.readString(compiled.dir().resolve("vms/debian12-rt/monitor/rtc-monitor.sh"));
    Matcher m = type.matcher(sources);
    while (m.find()) {
      written.add(m.group(1));
    }
    // The runbook writes some TYPE lines through printf with the name in the format.
    Matcher p = Pattern.compile("TYPE (rtc_[a-z_]+) (gauge|counter|histogram)").matcher(sources);
    while (p.find()) {
      written.add(p.group(1));
    }
    assertThat(written).contains("rtc_latency_seconds", "rtc_check_failures", "rtc_info");
    Set<String> read = new TreeSet<>();
    String rules = Files.readString(compiled.dir().resolve("monitoring/rtc-eci-reference.rules.yml"));
    for (String text : List.of(String.join("\n", exprs()), rules)) {
      Matcher r = Pattern.compile("\\b(rtc_[a-z_]+)\\{").matcher(text);
      while (r.find()) {
        read.add(r.group(1).replaceAll("_bucket$", ""));
      }
    }
    assertThat(read).isNotEmpty();
    assertThat(written).containsAll(read);
  }
}
