package dev.rtc.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * rtc report over the daily histograms runbook.sh report fetched from the guests' samplers: each
 * day's worst latency and percentiles, the worst day first, the days over the budget, and a chart
 * of the days on a log scale; beside a run's report, or alone after handover when no benchmark ran.
 */
class LongTermReportTest {

  static final Path GREAT_RUN = Path.of("src/test/resources/verdicts/great");
  /** The plan the verdict corpus's runs were made for (its golden bundle's plan.json). */
  static final Path PLAN = Path.of("golden/eci-reference/plan.json");

  @TempDir Path tmp;

  static CliTest.Outcome rtc(String... args) {
    return CliTest.rtc(args);
  }

  /** A day in the sampler's format: 720,000 samples, the given worst one. */
  static String day(long worstUs) {
    return "# rtc latency day: vm=rt bundle=x; per-microsecond counts of the sampler's windows (UTC), then its totals\n"
        + "windows 144\nmax " + worstUs + "\noverflows 0\n10 700000\n20 19000\n" + worstUs + " 1000\n";
  }

  /** A host's evidence after handover: plan.json and the guests' days, no benchmark run. */
  Path handover() throws IOException {
    Path run = tmp.resolve("host-20261207T000000Z");
    Files.createDirectories(run.resolve("results"));
    Files.copy(PLAN, run.resolve("plan.json"));
    Path days = Files.createDirectories(run.resolve("results/monitor/rt/days"));
    Files.writeString(days.resolve("2026-11-01.hist"), day(40));
    Files.writeString(days.resolve("2026-11-02.hist"), day(350));
    Files.writeString(days.resolve("2026-11-03.hist"), day(120));
    return run;
  }

  @Test
  void theDaysSinceHandoverWorstFirstWithTheBudgetsAndAChart() throws Exception {
    Path run = handover();
    JsonNode plan = new ObjectMapper().readTree(run.resolve("plan.json").toFile());
    long great = plan.at("/benchmark/verdictUs/great").asLong();
    long good = plan.at("/benchmark/verdictUs/good").asLong();
    assertThat(great).isLessThan(120);
    assertThat(good).isBetween(121L, 349L);
    CliTest.Outcome o = rtc("report", run.toString());
    assertThat(o.exit()).as(o.err()).isZero();
    assertThat(o.out()).contains("since handover: rt, 3 days (2026-11-01 to 2026-11-03), the worst 2026-11-02: 350 µs; days over the "
        + good + " µs budget: 1").contains("rtc: wrote longterm.md, longterm.json and longterm.html to " + run.resolve("results"));
    assertThat(run.resolve("results/report.md")).as("no run, so no run report").doesNotExist();

    JsonNode j = new ObjectMapper().readTree(run.resolve("results/longterm.json").toFile());
    assertThat(j.at("/vms/0/worstFirst").toString()).isEqualTo("[\"2026-11-02\",\"2026-11-03\",\"2026-11-01\"]");
    JsonNode first = j.at("/vms/0/days/0");
    assertThat(first.path("date").asText()).isEqualTo("2026-11-01");
    assertThat(first.path("samples").asLong()).isEqualTo(720_000);
    // 99%: the 712,800th sample, among the 20 us; 99.9%: the 719,280th, past them, so the worst.
    assertThat(first.path("p99Us").asLong()).isEqualTo(20);
    assertThat(first.path("p999Us").asLong()).isEqualTo(40);
    assertThat(j.at("/vms/0/days/1/class").asText()).isEqualTo("fail");
    assertThat(j.at("/vms/0/days/2/class").asText()).isEqualTo("good");
    assertThat(first.path("class").asText()).isEqualTo("great");

    String md = Files.readString(run.resolve("results/longterm.md"));
    assertThat(md.indexOf("| 2026-11-02 (over budget) | 350 |")).isPositive().isLessThan(md.indexOf("| 2026-11-03 | 120 |"));
    assertThat(md.indexOf("| 2026-11-03 | 120 |")).isLessThan(md.indexOf("| 2026-11-01 | 40 |"));

    // The chart is well-formed SVG with a bar per day, the worst one red, and both threshold lines.
    String html = Files.readString(run.resolve("results/longterm.html"));
    String svg = html.substring(html.indexOf("<svg"), html.indexOf("</svg>") + 6);
    var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(new java.io.ByteArrayInputStream(svg.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    var rects = doc.getElementsByTagName("rect");
    assertThat(rects.getLength()).isEqualTo(3);
    assertThat(rects.item(1).getAttributes().getNamedItem("class").getNodeValue()).isEqualTo("bar fail");
    double h350 = Double.parseDouble(rects.item(1).getAttributes().getNamedItem("height").getNodeValue());
    double h40 = Double.parseDouble(rects.item(0).getAttributes().getNamedItem("height").getNodeValue());
    assertThat(h350).as("log scale: 350 us is not 9 times as tall as 40 us").isGreaterThan(h40).isLessThan(h40 * 2);
    assertThat(html).contains("great &lt; " + great + " µs", "good &lt; " + good + " µs");
  }

  @Test
  void besideARunsReportAndAgainTheSameBytes() throws IOException {
    Path run = tmp.resolve("run");
    copy(GREAT_RUN, run);
    Files.copy(PLAN, run.resolve("plan.json"));
    Path days = Files.createDirectories(run.resolve("results/monitor/rt/days"));
    Files.writeString(days.resolve("2026-11-01.hist"), day(40));
    CliTest.Outcome o = rtc("report", run.toString());
    assertThat(o.exit()).as(o.out() + o.err()).isZero();
    assertThat(o.out()).contains("RESULT: GREAT").contains("since handover: rt, 1 day");
    assertThat(run.resolve("results/report.md")).exists();
    String first = Files.readString(run.resolve("results/longterm.html"));
    assertThat(rtc("report", run.toString()).exit()).isZero();
    assertThat(Files.readString(run.resolve("results/longterm.html"))).isEqualTo(first);
  }

  @Test
  void aDayFileThatIsNotTheSamplersIsRefusedWithWhereAndWhat() throws IOException {
    Path run = handover();
    Files.writeString(run.resolve("results/monitor/rt/days/2026-11-04.hist"), "windows 3\nmax 9\noverflows 0\n12 lots\n");
    CliTest.Outcome o = rtc("report", run.toString());
    assertThat(o.exit()).isEqualTo(Main.USAGE);
    assertThat(o.err()).contains("2026-11-04.hist:4: '12 lots' is not 'KEY COUNT'");
    assertThat(run.resolve("results/longterm.md")).doesNotExist();
  }

  static void copy(Path from, Path to) throws IOException {
    try (var s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t);
        }
      }
    }
  }
}
