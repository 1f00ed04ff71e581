package dev.rtc.emit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rtc.Slow;
import dev.rtc.plan.Plan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * runbook.sh --json, as a fleet engine reads it, on fake hosts: every line of standard output is
 * one JSON record with a catalogue ID; each step ends with its own record (changed, reboot
 * required, exit); a second run changes nothing; a dry run is a check mode; a refusal and a failed
 * check are records too, with the documented exit code.
 */
@Slow
class RunbookJsonTest {

  static final ObjectMapper JSON = new ObjectMapper();
  static final Set<String> TYPES = Set.of("check", "change", "state", "note", "step");

  @TempDir static Path tmp;
  static CompiledBundle compiled;
  static Plan plan;

  @BeforeAll
  static void compile() throws IOException {
    compiled = CompiledBundle.of(Path.of("examples/eci-reference.yaml"), tmp.resolve("out"));
    plan = compiled.plan();
  }

  private static Tool.Run run(FakeHost h, String... args) {
    return compiled.runbook(h, args);
  }

  /** Every line of standard output, parsed: a record of a known type, and (but a step's) a catalogue ID. */
  static List<JsonNode> records(Tool.Run r) throws IOException {
    Set<String> ids = RunbookChecksTest.catalogue();
    List<JsonNode> out = new ArrayList<>();
    for (String line : r.out().lines().toList()) {
      JsonNode n = JSON.readTree(line);
      assertThat(TYPES).as(line).contains(n.path("type").asText());
      if (!n.path("type").asText().equals("step")) {
        String id = n.path("id").asText();
        assertThat(ids.contains(id) || id.equals(n.path("step").asText())).as("a catalogue ID (or the step's name): " + line).isTrue();
        assertThat(n.path("changed").isBoolean()).as(line).isTrue();
      }
      out.add(n);
    }
    assertThat(out).as(r.all()).isNotEmpty();
    return out;
  }

  static JsonNode step(List<JsonNode> records, String step) {
    return records.stream().filter(n -> n.path("type").asText().equals("step") && n.path("step").asText().equals(step)).findFirst()
        .orElseThrow(() -> new AssertionError("no step record for " + step + " in " + records));
  }

  @Test
  void theHostStepSaysWhatItChangedAndWhetherToRebootAndASecondRunChangesNothing() throws IOException {
    FakeHost h = FakeHost.of(tmp.resolve("apply"), plan);
    Tool.Run first = run(h, "host", "--json");
    assertThat(first.exit()).as(first.all()).isZero();
    assertThat(first.err()).as("what a person reads").contains("== host: done. Reboot now");
    List<JsonNode> r1 = records(first);
    assertThat(r1).anyMatch(n -> n.path("id").asText().equals("host.tuning") && n.path("message").asText().equals("tuned-adm profile rtc-eci-reference")
        && n.path("changed").asBoolean());
    assertThat(r1).anyMatch(n -> n.path("id").asText().equals("host.cmdline") && n.path("message").asText().equals("update-grub"));
    assertThat(r1).as("the identity table, row by row").anyMatch(n -> n.path("id").asText().equals("topology.cpus")
        && n.path("status").asText().equals("ok"));
    JsonNode s1 = step(r1, "host");
    assertThat(s1.path("status").asText()).isEqualTo("finished");
    assertThat(s1.path("exit").asInt()).isZero();
    assertThat(s1.path("changed").asBoolean()).isTrue();
    assertThat(s1.path("reboot_required").asBoolean()).isTrue();
    assertThat(r1.get(r1.size() - 1)).as("the step's record comes last").isEqualTo(s1);

    Tool.Run second = run(h, "host", "--json");
    List<JsonNode> r2 = records(second);
    assertThat(r2).as("a second run changes nothing").noneMatch(n -> n.path("changed").asBoolean());
    assertThat(r2).as("and says so, subject by subject").anyMatch(n -> n.path("type").asText().equals("state")
        && n.path("id").asText().equals("host.tuning") && n.path("message").asText().contains("active and unchanged"));
    assertThat(step(r2, "host").path("reboot_required").asBoolean()).as("not rebooted since the first run").isTrue();

    h.booted();
    List<JsonNode> r3 = records(run(h, "host", "--json"));
    JsonNode s3 = step(r3, "host");
    assertThat(s3.path("changed").asBoolean()).isFalse();
    assertThat(s3.path("reboot_required").asBoolean()).as("the planned kernel and command line run").isFalse();
  }

  /** images and vms converge as the host step does: the first run changes, the second reports every subject unchanged. */
  @Test
  void theVmStepsChangeOnceAndThenReportNoChange() throws IOException {
    FakeHost h = FakeHost.of(tmp.resolve("vm-steps"), plan);
    for (String step : List.of("images", "vms")) {
      List<JsonNode> first = records(run(h, step, "--json"));
      assertThat(step(first, step).path("changed").asBoolean()).as(step + " first").isTrue();
      assertThat(first).as(step).anyMatch(n -> n.path("type").asText().equals("change") && n.path("scope").asText().equals("debian12-rt"));
      Tool.Run again = run(h, step, "--json");
      assertThat(again.exit()).as(again.all()).isZero();
      List<JsonNode> second = records(again);
      assertThat(second).as(step + ": a second run changes nothing").noneMatch(n -> n.path("changed").asBoolean());
      assertThat(second).as(step).anyMatch(n -> n.path("type").asText().equals("state"));
    }
  }

  @Test
  void aDryRunIsACheckModeThatChangesNothing() throws IOException {
    FakeHost h = FakeHost.of(tmp.resolve("check-mode"), plan);
    Tool.Run pre = run(h, "--dry-run", "preflight", "--json");
    assertThat(h.exists("var/lib/rtc")).as("preflight --dry-run: " + pre.all()).isFalse();
    Tool.Run dry = run(h, "--dry-run", "host", "--json");
    assertThat(dry.exit()).as(dry.all()).isZero();
    List<JsonNode> r = records(dry);
    assertThat(r).filteredOn(n -> n.path("type").asText().equals("change")).isNotEmpty()
        .allMatch(n -> n.path("status").asText().equals("would-change") && n.path("changed").asBoolean());
    JsonNode s = step(r, "host");
    assertThat(s.path("dry_run").asBoolean()).isTrue();
    assertThat(s.path("changed").asBoolean()).as("it would change").isTrue();
    assertThat(h.calls()).allMatch(c -> RunbookTest.READS.stream().anyMatch(c::startsWith));
    assertThat(h.exists("var/lib/rtc")).isFalse();
  }

  @Test
  void aRefusalAndAFailedCheckAreRecordsWithTheirExitCode() throws IOException {
    FakeHost other = FakeHost.of(tmp.resolve("other"), plan);
    other.write("sys/devices/system/cpu/online", "0-15\n");
    Tool.Run refused = run(other, "host", "--json");
    assertThat(refused.exit()).isEqualTo(1);
    List<JsonNode> r = records(refused);
    assertThat(r).anyMatch(n -> n.path("id").asText().equals("topology.cpus") && n.path("status").asText().equals("failed")
        && n.path("message").asText().contains("planned 0-63, found 0-15"));
    JsonNode s = step(r, "host");
    assertThat(s.path("status").asText()).isEqualTo("failed");
    assertThat(s.path("exit").asInt()).isEqualTo(1);
    assertThat(s.path("changed").asBoolean()).isFalse();
    assertThat(s.path("message").asText()).contains("this is not the host the manifest describes");

    FakeHost booted = FakeHost.of(tmp.resolve("proved"), plan).booted();
    List<JsonNode> ok = records(run(booted, "check-host", "--json"));
    assertThat(ok).filteredOn(n -> n.path("type").asText().equals("check")).isNotEmpty()
        .allMatch(n -> n.path("status").asText().equals("ok"));
    assertThat(step(ok, "check-host").path("exit").asInt()).isZero();
    booted.write("proc/sys/kernel/timer_migration", "1\n");
    Tool.Run bad = run(booted, "check-host", "--json");
    assertThat(bad.exit()).isEqualTo(1);
    List<JsonNode> b = records(bad);
    assertThat(b).anyMatch(n -> n.path("id").asText().equals("tuning.value") && n.path("status").asText().equals("failed")
        && n.path("message").asText().contains("/proc/sys/kernel/timer_migration is '1', planned '0'"));
    assertThat(step(b, "check-host").path("status").asText()).isEqualTo("failed");
  }

  /** bench's step record carries the verdict as a word, and its exit code; a system not as planned is NO VERDICT (exit 3). */
  @Test
  void benchsStepRecordCarriesTheVerdict() throws IOException {
    FakeHost h = FakeHost.of(tmp.resolve("bench"), plan).booted().vmsRunning();
    h.write("fake/virsh/domains/debian12-rt/cyclictest.txt", Files.readString(Path.of("src/test/resources/cyclictest/histogram-4threads-great.txt")));
    h.write("fake/virsh/domains/debian12-rt/bench-exit", "0\n");
    assertThat(run(h, "qualify").exit()).isZero();
    Tool.Run great = run(h, "--duration", "3s", "bench", "--json");
    assertThat(great.exit()).as(great.all()).isZero();
    JsonNode s = step(records(great), "bench");
    assertThat(s.path("verdict").asText()).isEqualTo("GREAT");
    assertThat(s.path("exit").asInt()).isZero();

    FakeHost broken = FakeHost.of(tmp.resolve("bench-broken"), plan).booted().vmsRunning();
    broken.write("proc/sys/kernel/timer_migration", "1\n");
    Tool.Run none = run(broken, "--duration", "3s", "bench", "--json");
    assertThat(none.exit()).isEqualTo(3);
    JsonNode n = step(records(none), "bench");
    assertThat(n.path("verdict").asText()).isEqualTo("NO VERDICT");
    assertThat(n.path("exit").asInt()).isEqualTo(3);
    assertThat(n.path("status").asText()).isEqualTo("finished");
    assertThat(step(records(run(broken, "check-host", "--json")), "check-host").path("verdict").isNull()).isTrue();
  }

  @Test
  void jsonIsForTheStepsOnly() {
    FakeHost h = FakeHost.of(tmp.resolve("usage"), plan);
    assertThat(run(h, "facts", "--json").exit()).isEqualTo(2);
    assertThat(run(h, "--json", "facts").exit()).isEqualTo(2);
  }
}
