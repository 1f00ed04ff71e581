package dev.rtc.emit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.Slow;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real-time guest's latency sampler (vms/VM/monitor/rtc-monitor.sh), run for real with the
 * real cyclictest on this machine, and the host's runbook.sh metrics that exports what it wrote.
 *
 * <p>Adapted to this machine, and only that: the script's isolated vCPUs become CPU 1 (this
 * machine may have 2 CPUs, the guest has 8) and its state folder a temporary one. Everything else
 * (cyclictest's command, SCHED_FIFO 1, the window, the histogram, the files) is the bundle's.
 */
@Slow
class LatencySamplerTest {

  @TempDir static Path tmp;
  static CompiledBundle compiled;
  static Path sampler;

  @BeforeAll
  static void compile() throws IOException {
    compiled = CompiledBundle.of(Path.of("examples/xeon-devices.yaml"), tmp.resolve("out"));
    String script = Files.readString(compiled.dir().resolve("vms/debian12-ethercat/monitor/rtc-monitor.sh"));
    assertThat(script).containsPattern("(?m)^CPUS=").containsPattern("(?m)^PRIORITY=1$").contains("cyclictest -q -m -p \"$PRIORITY\"");
    sampler = Files.writeString(tmp.resolve("rtc-monitor"), script.replaceAll("(?m)^CPUS=.*$", "CPUS=1")
        .replaceAll("(?m)^THREADS=.*$", "THREADS=1").replaceAll("(?m)^MAIN_CPU=.*$", "MAIN_CPU=0"));
  }

  static Tool.Run sample(Path dir) {
    Tool.Run r = Tool.require("bash").run(tmp, Map.of("RTC_MONITOR_DIR", dir.toString()), sampler.toString());
    assertThat(r.exit()).as(r.all()).isZero();
    return r;
  }

  static long value(Map<String, String> samples, String key) {
    assertThat(samples).containsKey(key);
    return (long) Double.parseDouble(samples.get(key));
  }

  @Test
  void eachWindowAddsToAHistogramPrometheusReadsWhoseCountersOnlyGrow() throws IOException {
    Tool.require("cyclictest");
    Path dir = tmp.resolve("monitor");
    sample(dir);
    String first = Files.readString(dir.resolve("latency.prom"));
    MonitoringTest.promtoolAccepts(first);
    sample(dir);
    String second = Files.readString(dir.resolve("latency.prom"));
    MonitoringTest.promtoolAccepts(second);
    Map<String, String> a = MonitoringTest.samples(first);
    Map<String, String> b = MonitoringTest.samples(second);
    String l = "bundle=\"xeon-devices\",vm=\"debian12-ethercat\"";
    // 5 s at 1 ms: about 5,000 samples a window.
    assertThat(value(a, "rtc_latency_seconds_count{" + l + "}")).isBetween(4000L, 5100L);
    assertThat(value(b, "rtc_latency_seconds_count{" + l + "}")).isGreaterThan(value(a, "rtc_latency_seconds_count{" + l + "}") + 4000);
    assertThat(value(b, "rtc_latency_windows_total{" + l + ",outcome=\"measured\"}")).isEqualTo(2);
    for (String key : a.keySet()) {
      if (key.contains("_total") || key.contains("_bucket") || key.contains("_count") || key.contains("_sum")) {
        assertThat(Double.parseDouble(b.get(key))).as("%s only grows", key).isGreaterThanOrEqualTo(Double.parseDouble(a.get(key)));
      }
    }
    // Buckets are cumulative, and +Inf is the count.
    List<Long> buckets = b.entrySet().stream().filter(e -> e.getKey().startsWith("rtc_latency_seconds_bucket"))
        .map(e -> (long) Double.parseDouble(e.getValue())).toList();
    assertThat(buckets).isSorted();
    assertThat(buckets.get(buckets.size() - 1)).isEqualTo(value(b, "rtc_latency_seconds_count{" + l + "}"));
    // The day's histogram holds both windows, sample for sample.
    try (var days = Files.list(dir.resolve("days"))) {
      Path day = days.findFirst().orElseThrow();
      assertThat(day.getFileName().toString()).matches("\\d{4}-\\d{2}-\\d{2}\\.hist");
      List<String> lines = Files.readAllLines(day);
      assertThat(lines).contains("windows 2");
      long perUs = lines.stream().filter(x -> x.matches("\\d+ \\d+")).mapToLong(x -> Long.parseLong(x.split(" ")[1])).sum();
      long over = lines.stream().filter(x -> x.startsWith("overflows ")).mapToLong(x -> Long.parseLong(x.substring(10))).sum();
      assertThat(perUs + over).isEqualTo(value(b, "rtc_latency_seconds_count{" + l + "}"));
    }
  }

  @Test
  void itSkipsItsWindowWhileAnotherMeasureRuns() throws Exception {
    Tool.require("cyclictest");
    Path dir = tmp.resolve("skip");
    Process bench = new ProcessBuilder("cyclictest", "-q", "-D", "20", "-i", "10000").redirectErrorStream(true)
        .redirectOutput(tmp.resolve("bench.out").toFile()).start();
    try {
      Thread.sleep(500);
      sample(dir);
    } finally {
      bench.destroy();
      bench.waitFor(10, TimeUnit.SECONDS);
    }
    Map<String, String> s = MonitoringTest.samples(Files.readString(dir.resolve("latency.prom")));
    String l = "bundle=\"xeon-devices\",vm=\"debian12-ethercat\"";
    assertThat(s).containsEntry("rtc_latency_windows_total{" + l + ",outcome=\"skipped\"}", "1")
        .containsEntry("rtc_latency_windows_total{" + l + ",outcome=\"measured\"}", "0")
        .containsEntry("rtc_latency_seconds_count{" + l + "}", "0");
  }

  /**
   * runbook.sh metrics on the host fetches each real-time guest's file through its agent, adds the
   * bundle's digest, and writes each family once however many guests have it.
   */
  @Test
  void theHostExportsEveryGuestsSamplesOnceWithTheBundlesDigest() throws IOException {
    Tool.require("cyclictest");
    Path dir = tmp.resolve("export");
    sample(dir);
    String prom = Files.readString(dir.resolve("latency.prom"));
    FakeHost h = FakeHost.of(tmp.resolve("host"), compiled.plan()).booted().vmsRunning();
    h.write("fake/virsh/domains/debian12-ethercat/latency.prom", prom);
    h.write("fake/virsh/domains/debian12-opcua/latency.prom", prom.replace("vm=\"debian12-ethercat\"", "vm=\"debian12-opcua\"")
        // A line that is not the sampler's, or not this guest's, does not pass.
        + "rtc_info{bundle=\"xeon-devices\",digest=\"forged\"} 1\nrtc_latency_window_max_seconds{bundle=\"xeon-devices\",vm=\"other\"} 9\n");
    Tool.Run r = compiled.runbook(h, "metrics");
    assertThat(r.exit()).as(r.all()).isZero();
    MonitoringTest.promtoolAccepts(r.out());
    assertThat(r.out().lines().filter(x -> x.equals("# TYPE rtc_latency_seconds histogram"))).hasSize(1);
    assertThat(r.out()).doesNotContain("forged").doesNotContain("vm=\"other\"");
    Map<String, String> s = MonitoringTest.samples(r.out());
    String digest = s.keySet().stream().filter(k -> k.startsWith("rtc_info{")).findFirst().orElseThrow().replaceAll(".*digest=\"([^\"]*)\".*", "$1");
    assertThat(digest).startsWith("sha256:");
    for (String vm : List.of("debian12-ethercat", "debian12-opcua")) {
      assertThat(s).containsKey("rtc_latency_seconds_count{digest=\"" + digest + "\",bundle=\"xeon-devices\",vm=\"" + vm + "\"}");
      assertThat(s).containsEntry("rtc_check_failures{bundle=\"xeon-devices\",check=\"kernel.realtime\",vm=\"" + vm + "\"}", "0");
    }
    // A guest whose agent is silent: its checks say so, and its samples are simply absent.
    h.delete("fake/virsh/domains/debian12-opcua/agent");
    Map<String, String> silent = MonitoringTest.samples(compiled.runbook(h, "metrics").out());
    assertThat(silent).containsEntry("rtc_check_failures{bundle=\"xeon-devices\",check=\"guest.agent\",vm=\"debian12-opcua\"}", "1");
    assertThat(silent.keySet()).noneMatch(k -> k.startsWith("rtc_latency") && k.contains("debian12-opcua"));
  }
}
