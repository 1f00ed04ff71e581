package dev.rtc.plan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.Compiler;
import dev.rtc.manifest.ManifestLoader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The sampler's histogram holds the verdict's thresholds as bucket bounds (so that the burn alert
 * reads them exactly, not interpolated), never past cyclictest's histogram, and its duty cycle stays
 * under 1% of a real-time vCPU's time.
 */
class MonitorPlanTest {

  static Plan plan(String text) {
    return new Compiler().compile(new ManifestLoader.Source("m.yaml", text.getBytes(StandardCharsets.UTF_8))).plan();
  }

  @Test
  void theThresholdsAreBucketBoundsAndNoBoundLiesPastTheHistogram() throws IOException {
    String ref = Files.readString(Path.of("examples/eci-reference.yaml"));
    assertThat(ref).contains("verdictUs: {great: 100, good: 300}");
    MonitorPlan m = MonitorPlan.of(plan(ref.replace("verdictUs: {great: 100, good: 300}", "verdictUs: {great: 35, good: 70}")));
    assertThat(m.greatUs()).isEqualTo(35);
    assertThat(m.goodUs()).isEqualTo(70);
    assertThat(m.bucketsUs()).contains(35L, 70L).isSorted().doesNotHaveDuplicates();
    assertThat(m.histogramUs()).isEqualTo(1000);
    assertThat(m.bucketsUs()).allMatch(b -> b <= 1000).contains(1000L);

    MonitorPlan wide = MonitorPlan.of(plan(ref.replace("verdictUs: {great: 100, good: 300}", "verdictUs: {great: 2000, good: 4000}")));
    assertThat(wide.histogramUs()).as("twice the good threshold, as bench's").isEqualTo(8000);
    assertThat(wide.bucketsUs()).contains(2000L, 4000L, 5000L).doesNotContain(10_000L);
  }

  @Test
  void withoutABenchmarkTheLadderAloneAndNoThresholds() throws IOException {
    String ref = Files.readString(Path.of("examples/eci-reference.yaml"));
    String noBench = ref.substring(0, ref.indexOf("\nbenchmark:") + 1);
    MonitorPlan m = MonitorPlan.of(plan(noBench));
    assertThat(m.goodUs()).isZero();
    assertThat(m.bucketsUs()).isEqualTo(List.of(5L, 10L, 20L, 50L, 100L, 200L, 500L, 1000L));
  }

  @Test
  void theSamplerTakesUnderOnePercentOfTheTime() {
    assertThat(MonitorPlan.dutyCyclePercent()).isLessThan(1.0);
    assertThat(MonitorPlan.PRIORITY).as("the lowest SCHED_FIFO priority").isEqualTo(1);
    assertThat((long) MonitorPlan.WINDOW_SECONDS * 1_000_000 / MonitorPlan.INTERVAL_US).as("samples a window").isEqualTo(5000);
  }
}
