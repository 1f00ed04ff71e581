package dev.rtc.report;

import dev.rtc.Slow;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rtc.emit.ReportEmitter;
import dev.rtc.emit.Tool;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * cyclictest's outputs, stored from real runs (rt-tests 2.4, Debian 12) and produced live, read
 * and judged: every form, the overflow case, cut-short and garbled files.
 */
@Slow
class CyclictestReportTest {

  static final Path STORED = Path.of("src/test/resources/cyclictest");
  static final LatencyReport.Criteria CRITERIA = new LatencyReport.Criteria(100, 300, Optional.of(2), Optional.empty());

  @TempDir Path tmp;

  static LatencyRun text(String name) throws Exception {
    return CyclictestParser.parseText(name, Files.readString(STORED.resolve(name)));
  }

  static LatencyRun json(String name) throws Exception {
    return CyclictestParser.parseJson(name, Files.readAllBytes(STORED.resolve(name)));
  }

  @Test
  void theHistogramAndItsJsonTwinAgreeSampleForSample() throws Exception {
    LatencyRun t = text("histogram-2threads.txt");
    LatencyRun j = json("histogram-2threads.json");
    assertThat(t.threads()).hasSize(2);
    assertThat(t.histogramBuckets()).isEqualTo(400);
    assertThat(j.histogramBuckets()).isEqualTo(400);
    assertThat(j.cmdline()).hasValueSatisfying(c -> assertThat(c).contains("-h 400"));
    for (int i = 0; i < 2; i++) {
      LatencyRun.Thread a = t.threads().get(i);
      LatencyRun.Thread b = j.threads().get(i);
      assertThat(a.samples()).isEqualTo(b.samples()).isEqualTo(3000);
      assertThat(a.histogram()).isEqualTo(b.histogram());
      assertThat(a.max()).isEqualTo(b.max());
      assertThat(a.overflows()).isZero();
    }
  }

  @Test
  void overflowsAreCountedFromTheTrailerAndFromJsonAndFailTheRun() throws Exception {
    LatencyRun t = text("overflow-2threads.txt");
    LatencyRun j = json("overflow-2threads.json");
    assertThat(t.threads()).extracting(LatencyRun.Thread::overflows).containsExactly(552L, 420L);
    assertThat(j.threads()).extracting(LatencyRun.Thread::overflows).containsExactly(552L, 420L);
    assertThat(t.threads()).extracting(LatencyRun.Thread::samples).containsExactly(3000L, 3000L);
    LatencyReport r = LatencyReport.judge(t, CRITERIA);
    assertThat(r.verdict()).isEqualTo(LatencyReport.Verdict.FAIL);
    assertThat(r.reasons()).anySatisfy(x -> assertThat(x).contains("thread 0: 552 of 3000 samples (18.40%) were above the histogram's 20 µs range"));
    assertThat(r.threads().get(0).p99()).contains(new LatencyReport.Percentile(20, true));
  }

  /** Rows as wide as a file within rtc report's bound allows: read by splitting, never a regex that recurses per column. */
  @Test
  void aHistogramOfThirtyThousandThreadsIsReadWithoutOverflowingTheStack() throws Exception {
    int n = 30_000;
    String ones = String.join(" ", java.util.Collections.nCopies(n, "1"));
    String text = "# Histogram\n000000 " + ones + "\n000001 " + String.join(" ", java.util.Collections.nCopies(n, "0")) + "\n# Total: "
        + String.join(" ", java.util.Collections.nCopies(n, "000000001")) + "\n# Max Latencies: "
        + String.join(" ", java.util.Collections.nCopies(n, "00000")) + "\n";
    LatencyRun run = CyclictestParser.parseText("wide.txt", text);
    assertThat(run.threads()).hasSize(n);
    assertThat(run.threads().get(n - 1).samples()).isEqualTo(1);
  }

  @Test
  void summaryLinesGiveMinAvgMaxButNoPercentiles() throws Exception {
    LatencyRun s = text("summary-2threads.txt");
    assertThat(s.hasHistogram()).isFalse();
    assertThat(s.threads()).extracting(LatencyRun.Thread::max).containsExactly(260L, 90L);
    assertThat(s.threads().get(1).intervalUs()).contains(1001);
    LatencyReport r = LatencyReport.judge(s, CRITERIA);
    assertThat(r.verdict()).isEqualTo(LatencyReport.Verdict.GOOD);
    assertThat(r.overall().p99()).isEmpty();
    assertThat(ReportEmitter.render(r).get("report.md")).contains("Percentiles need cyclictest's histogram");
  }

  @Test
  void cutShortAndGarbledOutputIsRefusedNamingTheLine() {
    record Bad(String file, String where, String what) {}
    for (Bad b : List.of(new Bad("truncated-histogram.txt", "truncated-histogram.txt:150:", "cut short"),
        new Bad("truncated-summary.txt", "truncated-summary.txt:3:", "a summary line cut short or garbled"),
        new Bad("corrupt-histogram.txt", "corrupt-histogram.txt:60:", "not a histogram row"))) {
      var e = catchThrowableOfType(CyclictestParser.BadOutputException.class, () -> text(b.file()));
      assertThat(e).as(b.file()).isNotNull();
      assertThat(e.getMessage()).startsWith(b.where()).contains(b.what());
    }
    var cutJson = catchThrowableOfType(CyclictestParser.BadOutputException.class, () -> CyclictestParser.parseJson("c.json",
        "{\"thread\": {\"0\": {\"cycles\": 3".getBytes(StandardCharsets.UTF_8)));
    assertThat(cutJson.getMessage()).startsWith("c.json:1: not JSON (cut short?)");
  }

  @Test
  void missingThreadsAndShortRunsFailWithAPlainReason() throws Exception {
    LatencyReport r = LatencyReport.judge(text("histogram-2threads.txt"),
        new LatencyReport.Criteria(1000, 3000, Optional.of(4), Optional.of(86_400_000L)));
    assertThat(r.verdict()).isEqualTo(LatencyReport.Verdict.FAIL);
    assertThat(r.reasons()).anySatisfy(x -> assertThat(x).contains("the plan runs 4 measuring threads, the output has 2"))
        .anySatisfy(x -> assertThat(x).contains("thread 0: 3000 samples where the planned duration and interval give about 86400000"));
  }

  /** Percentiles by nearest rank, checked against sorting every sample of random histograms. */
  @Test
  void percentilesMatchABruteForceSortOfTheSamples() {
    Random random = new Random(7);
    for (int round = 0; round < 200; round++) {
      int buckets = 50 + random.nextInt(200);
      SortedMap<Integer, Long> hist = new TreeMap<>();
      List<Integer> all = new ArrayList<>();
      int n = 1 + random.nextInt(3000);
      int overflow = random.nextInt(4) == 0 ? random.nextInt(30) : 0;
      for (int i = 0; i < n; i++) {
        int v = (int) Math.min(buckets - 1, Math.abs(random.nextGaussian() * buckets / 4));
        hist.merge(v, 1L, Long::sum);
        all.add(v);
      }
      for (int i = 0; i < overflow; i++) {
        all.add(buckets + 1000);
      }
      all.sort(null);
      long samples = all.size();
      LatencyRun run = new LatencyRun("r", List.of(), buckets, Optional.empty());
      for (double q : new double[] {0.5, 0.99, 0.999, 0.9999}) {
        int expected = all.get((int) Math.ceil(q * samples) - 1);
        LatencyReport.Percentile p = LatencyReport.percentile(hist, samples, q, run).orElseThrow();
        if (expected >= buckets) {
          assertThat(p).isEqualTo(new LatencyReport.Percentile(buckets, true));
        } else {
          assertThat(p).as("q=%s round %d", q, round).isEqualTo(new LatencyReport.Percentile(expected, false));
        }
      }
    }
  }

  @Test
  void theReportFilesHaveTheirShapesAndTheHtmlIsSelfContained() throws Exception {
    LatencyReport r = LatencyReport.judge(text("histogram-2threads.txt"), CRITERIA);
    Map<String, String> files = ReportEmitter.render(r);
    assertThat(files.keySet()).containsExactly("report.md", "report.html", "report.json");
    JsonNode j = new ObjectMapper().readTree(files.get("report.json"));
    assertThat(j.get("verdict").asText()).isEqualTo("good");
    assertThat(j.get("threads")).hasSize(2);
    assertThat(j.at("/overall/samples").asLong()).isEqualTo(6000);
    assertThat(j.at("/overall/maxUs").asLong()).isEqualTo(272);
    assertThat(j.at("/threads/0/p99Us").asLong()).isEqualTo(r.threads().get(0).p99().orElseThrow().us());
    String html = files.get("report.html");
    assertThat(html).contains("<svg").contains("class=\"great\"").contains("class=\"good\"").contains("GOOD")
        .doesNotContainPattern("(src|href)=\"https?:").doesNotContain("<script", "<link").containsOnlyOnce("<html");
    assertThat(html.split("<svg", -1)).hasSize(3); // one chart per thread
    Tool.Run lint = Tool.require("xmllint").run(tmp, Map.of(), "--html", "--noout", write("report.html", html).toString());
    assertThat(lint.exit()).as(lint.all()).isZero();
  }

  /** The real cyclictest, a few seconds, with the runbook's options plus -h and --json: the parse must add up. */
  @Test
  void aLiveCyclictestRunRoundTrips() throws Exception {
    Tool cyclictest = Tool.require("cyclictest");
    Path json = tmp.resolve("live.json");
    Tool.Run run = cyclictest.run(tmp, Map.of(), "-t", "2", "-p", "99", "-i", "1000", "-m", "-q", "-D", "3", "-h", "1000",
        "--json=" + json);
    if (run.exit() != 0 && run.err().contains("Unable to change scheduling policy") && !"true".equals(System.getenv("CI"))) {
      org.junit.jupiter.api.Assumptions.abort("cyclictest needs root for SCHED_FIFO (CI runs as root)");
    }
    assertThat(run.exit()).as(run.all()).isZero();
    LatencyRun t = CyclictestParser.parseText("live.txt", run.out());
    LatencyRun j = CyclictestParser.parseJson("live.json", Files.readAllBytes(json));
    assertThat(t.threads()).hasSize(2);
    assertThat(j.threads()).hasSize(2);
    for (int i = 0; i < 2; i++) {
      LatencyRun.Thread a = t.threads().get(i);
      // 3 s at 1000 µs: about 3000 wake-ups (cyclictest's JSON may count one more than the trailer).
      assertThat(a.samples()).isBetween(2500L, 3100L);
      assertThat(j.threads().get(i).samples()).isBetween(a.samples(), a.samples() + 1);
      long binned = a.histogram().values().stream().mapToLong(Long::longValue).sum();
      assertThat(binned + a.overflows()).isEqualTo(a.samples());
      assertThat(a.min()).isLessThanOrEqualTo(a.max());
    }
    LatencyReport r = LatencyReport.judge(t, new LatencyReport.Criteria(100, 300, Optional.of(2), Optional.of(3000L)));
    assertThat(r.overall().samples()).isEqualTo(t.threads().get(0).samples() + t.threads().get(1).samples());
    assertThat(r.verdict()).isNotNull();
  }

  private Path write(String name, String text) throws IOException {
    return Files.writeString(tmp.resolve(name), text);
  }
}
