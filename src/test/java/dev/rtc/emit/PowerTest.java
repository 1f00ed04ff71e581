package dev.rtc.emit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rtc.Slow;
import dev.rtc.plan.Plan;
import dev.rtc.plan.PowerPlan;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * host.power: balanced on fake hosts: check-host reads each held CPU's resume-latency limit back and
 * names the CPU that lost it, and qualify judges idle states on the real-time VMs' CPUs only, by
 * their wake-up latency, while the other isolated CPUs may sleep deep as planned. (TunedProfileTest
 * holds the profile itself to TuneD's loader and device matcher.)
 */
@Slow
class PowerTest {

  @TempDir static Path tmp;
  static CompiledBundle compiled;
  static Plan plan;

  @BeforeAll
  static void compile() throws IOException {
    compiled = CompiledBundle.of(Path.of("examples/hybrid-client.yaml"), tmp.resolve("out"));
    plan = compiled.plan();
    assertThat(plan.host().power().balanced()).as("the example says power: balanced").isTrue();
  }

  private static FakeHost booted(String name) {
    return FakeHost.of(tmp.resolve(name), plan).booted().vmsRunning();
  }

  private static int firstHeld() {
    return plan.host().power().held().first();
  }

  /** The first of the two isolated CPUs whose idle states the fake board has, that balanced lets sleep. */
  private static int firstFreeIsolated() {
    return plan.host().isolated().stream().limit(2).filter(c -> !plan.host().power().held().contains(c)).findFirst().getAsInt();
  }

  private static JsonNode cstates(FakeHost h) throws IOException {
    String id = h.read("var/lib/rtc/" + plan.name() + "/qualify/latest").trim();
    JsonNode rec = new ObjectMapper().readTree(h.root.resolve("var/lib/rtc/" + plan.name() + "/qualify/" + id + ".json").toFile());
    for (JsonNode f : rec.path("findings")) {
      if (f.path("id").asText().equals("qualify.cstates")) {
        return f;
      }
    }
    throw new AssertionError("no qualify.cstates in " + rec);
  }

  @Test
  void checkHostReadsEachHeldCpusLimitAndNamesTheOneThatLostIt() {
    FakeHost ok = booted("held");
    Tool.Run r = compiled.runbook(ok, "check-host");
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.out()).contains("CPUs " + plan.host().power().held() + " wake within " + PowerPlan.HELD_RESUME_LATENCY_US + " µs");

    FakeHost lost = booted("lost");
    int cpu = plan.host().power().held().stream().skip(1).findFirst().getAsInt();
    lost.write("sys/devices/system/cpu/cpu" + cpu + "/power/pm_qos_resume_latency_us", "0\n"); // TuneD stopped, or another profile
    Tool.Run bad = compiled.runbook(lost, "check-host");
    assertThat(bad.exit()).isNotZero();
    assertThat(bad.all()).contains("cpu" + cpu + "=0").contains("cpu" + firstHeld() + "=" + PowerPlan.HELD_RESUME_LATENCY_US);
  }

  @Test
  void aFreeIsolatedCpuMaySleepDeepAndAHeldOneMayNot() throws IOException {
    FakeHost free = booted("free-sleeps");
    free.write("fake/during/sys/devices/system/cpu/cpu" + firstFreeIsolated() + "/cpuidle/state2/usage", "260\n");
    Tool.Run r = compiled.runbook(free, "qualify");
    JsonNode f = cstates(free);
    assertThat(f.path("status").asText()).as(r.all()).isEqualTo("passed");
    assertThat(f.path("message").asText()).contains("no real-time VM's CPU (" + plan.host().power().held() + ")")
        .contains("host.power: balanced");

    FakeHost held = booted("held-sleeps");
    held.write("fake/during/sys/devices/system/cpu/cpu" + firstHeld() + "/cpuidle/state2/usage", "260\n");
    Tool.Run bad = compiled.runbook(held, "qualify");
    JsonNode g = cstates(held);
    assertThat(g.path("status").asText()).as(bad.all()).isEqualTo("failed");
    assertThat(g.path("value").asText()).isEqualTo("CPU " + firstHeld() + " C6 (wakes in 170 us) 60 times");
    assertThat(g.path("message").asText()).contains("pm_qos_resume_latency_us " + PowerPlan.HELD_RESUME_LATENCY_US)
        .contains("tuned-adm verify");
    assertThat(bad.out()).contains("qualify: FAILED");
  }
}
