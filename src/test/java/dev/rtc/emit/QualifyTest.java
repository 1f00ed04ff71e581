package dev.rtc.emit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rtc.Compiler;
import dev.rtc.Slow;
import dev.rtc.bundle.BundleWriter;
import dev.rtc.plan.Plan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * runbook.sh qualify on fake hosts: the record says what the platform showed (the fake hwlatdetect
 * and rtla print the real tools' output; what a window does to C-states, clock and SMI counter is
 * staged), it is kept and never overwritten, and bench gives no verdict without a passed record of
 * this bundle on the running kernel.
 */
@Slow
class QualifyTest {

  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path tmp;
  static CompiledBundle compiled;
  static Path bundle;
  static Plan plan;

  @BeforeAll
  static void compile() throws IOException {
    compiled = CompiledBundle.of(Path.of("examples/eci-reference.yaml"), tmp.resolve("out"));
    plan = compiled.plan();
    bundle = compiled.dir();
  }

  private static Tool.Run run(FakeHost h, String... args) {
    return compiled.runbook(h, args);
  }

  private static FakeHost booted(String name) {
    return FakeHost.of(tmp.resolve(name), plan).booted().vmsRunning();
  }

  /** The records under /var/lib/rtc/<bundle>/qualify, by name. */
  private static Map<String, JsonNode> records(FakeHost h) throws IOException {
    Path dir = h.root.resolve("var/lib/rtc/eci-reference/qualify");
    try (Stream<Path> s = Files.list(dir)) {
      Map<String, JsonNode> m = new java.util.TreeMap<>();
      for (Path p : s.filter(p -> p.toString().endsWith(".json")).toList()) {
        m.put(p.getFileName().toString(), JSON.readTree(p.toFile()));
      }
      return m;
    }
  }

  private static Map<String, String> findings(JsonNode record) {
    Map<String, String> m = new java.util.TreeMap<>();
    record.path("findings").forEach(f -> m.put(f.path("id").asText(), f.path("status").asText()));
    return m;
  }

  private static JsonNode latest(FakeHost h) throws IOException {
    String id = h.read("var/lib/rtc/eci-reference/qualify/latest").trim();
    return JSON.readTree(h.root.resolve("var/lib/rtc/eci-reference/qualify/" + id + ".json").toFile());
  }

  @Test
  void aQuietPlatformOnThePlannedKernelPassesAndItsRecordSaysWhatItSaw() throws IOException {
    FakeHost h = booted("quiet");
    Tool.Run r = run(h, "qualify");
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.out()).contains("qualify: PASSED");
    JsonNode rec = latest(h);
    assertThat(rec.path("status").asText()).isEqualTo("passed");
    assertThat(rec.path("planned").asBoolean()).isTrue();
    assertThat(rec.path("noiseLimitUs").asInt()).as("a quarter of the great threshold (100 us)").isEqualTo(25);
    assertThat(rec.path("isolated").asText()).isEqualTo(plan.host().isolated().toString());
    assertThat(rec.path("bundleDigest").asText()).isEqualTo("sha256:" + Checksums.hex(Files.readAllBytes(bundle.resolve("SHA256SUMS"))));
    assertThat(rec.path("kernel").asText()).isEqualTo("6.6.23-rt28-intel-ese-standard-lts-rt");
    assertThat(rec.at("/platform/product").asText()).isEqualTo("Fake Board");
    assertThat(rec.at("/platform/bios_version").asText()).isEqualTo("FB1.86B.0042");
    assertThat(findings(rec)).containsEntry("qualify.planned", "passed").containsEntry("qualify.hwlat", "passed")
        .containsEntry("qualify.osnoise", "passed").containsEntry("qualify.smi", "passed").containsEntry("qualify.cstates", "passed")
        .containsEntry("qualify.frequency", "passed").containsEntry("qualify.rdt", "passed");
    String hwlat = value(rec, "qualify.hwlat");
    assertThat(hwlat).as("hwlatdetect's worst gap, from its own output").isEqualTo("3");
    assertThat(value(rec, "qualify.osnoise")).isEqualTo("4");
    assertThat(h.calls()).anyMatch(c -> c.startsWith("hwlatdetect --duration=60s --threshold=1us --cpu-list=" + plan.host().isolated()))
        .anyMatch(c -> c.startsWith("rtla osnoise top -c " + plan.host().isolated() + " -d 60s -q"));
    // The raw outputs stay beside the record.
    String id = h.read("var/lib/rtc/eci-reference/qualify/latest").trim();
    assertThat(h.read("var/lib/rtc/eci-reference/qualify/" + id + "/hwlat.txt")).contains("Max Latency: 3us");
    assertThat(h.read("var/lib/rtc/eci-reference/qualify/" + id + "/osnoise.txt")).contains("Max Single");
  }

  private static String value(JsonNode rec, String id) {
    for (JsonNode f : rec.path("findings")) {
      if (f.path("id").asText().equals(id)) {
        return f.path("value").asText();
      }
    }
    throw new AssertionError("no finding " + id + " in " + rec);
  }

  @Test
  void eachKindOfPlatformTroubleFailsTheRecordWithItsFindingAndItsRemedy() throws IOException {
    record Trouble(String name, String finding, String says, java.util.function.Consumer<FakeHost> stage) {}
    int first = plan.host().isolated().stream().findFirst().getAsInt();
    List<Trouble> troubles = List.of(
        new Trouble("smi-storm", "qualify.hwlat", "the firmware takes the CPU", h -> h.write("fake/hwlat-max", "87\n")),
        new Trouble("irq-on-isolated", "qualify.osnoise", "interrupts or threads still run on the isolated CPUs",
            h -> h.write("fake/osnoise-max", "40\n")),
        new Trouble("c6", "qualify.cstates", "disable C6/C1E",
            h -> h.write("fake/during/sys/devices/system/cpu/cpu" + first + "/cpuidle/state2/usage", "260\n")),
        new Trouble("turbo", "qualify.frequency", "turbo or speed stepping",
            h -> h.write("fake/during/sys/devices/system/cpu/cpu" + first + "/cpufreq/scaling_cur_freq", "3900000\n")),
        new Trouble("ddio", "qualify.rdt", "a real-time VM's ways are also I/O's or another agent's",
            h -> h.write("sys/fs/resctrl/info/L3/shareable_bits", "c\n")));
    for (Trouble t : troubles) {
      FakeHost h = booted(t.name());
      t.stage().accept(h);
      Tool.Run r = run(h, "qualify");
      assertThat(r.exit()).as(t.name() + ": " + r.all()).isEqualTo(1);
      assertThat(r.out()).as(t.name()).contains("qualify: FAILED").contains(t.says());
      JsonNode rec = latest(h);
      assertThat(rec.path("status").asText()).as(t.name()).isEqualTo("failed");
      assertThat(findings(rec).entrySet().stream().filter(e -> e.getValue().equals("failed")).map(Map.Entry::getKey)
          .collect(Collectors.toList())).as(t.name() + ": the one finding that failed").containsExactly(t.finding());
    }
  }

  @Test
  void smisDuringTheWindowsAreCountedFromTheMsr() throws IOException {
    FakeHost h = booted("smi");
    int first = plan.host().isolated().stream().findFirst().getAsInt();
    // The fake hwlatdetect stages the counter the window leaves behind: 7 before, 19 after.
    byte[] after = new byte[64];
    java.nio.ByteBuffer.wrap(after, 0x34, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(19);
    Path f = h.root.resolve("fake/during/dev/cpu/" + first + "/msr");
    Files.createDirectories(f.getParent());
    Files.write(f, after);
    Tool.Run r = run(h, "qualify");
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.out()).contains("SMIs: 12 on CPU " + first);
    assertThat(value(latest(h), "qualify.smi")).isEqualTo("12");
  }

  @Test
  void beforeTheHostStepTheRecordIsIncompleteAndSaysWhy() throws IOException {
    FakeHost h = FakeHost.of(tmp.resolve("fresh"), plan);
    Tool.Run r = run(h, "qualify");
    assertThat(r.exit()).as("incomplete is no failure of the platform: " + r.all()).isZero();
    assertThat(r.out()).contains("qualify: INCOMPLETE").contains("the planned kernel and command line do not run yet")
        .contains("this kernel has no hwlat tracer");
    JsonNode rec = latest(h);
    assertThat(rec.path("status").asText()).isEqualTo("incomplete");
    assertThat(findings(rec)).containsEntry("qualify.hwlat", "not-measured").containsEntry("qualify.osnoise", "not-measured");
    assertThat(h.calls()).noneMatch(c -> c.startsWith("hwlatdetect")).noneMatch(c -> c.startsWith("rtla"));
  }

  @Test
  void everyRunIsARecordOfItsOwnAndNoneIsOverwritten() throws IOException {
    FakeHost h = booted("twice");
    assertThat(run(h, "qualify").exit()).isZero();
    Map<String, JsonNode> one = records(h);
    String firstText = Files.readString(h.root.resolve("var/lib/rtc/eci-reference/qualify/" + one.keySet().iterator().next()));
    h.write("fake/hwlat-max", "90\n");
    assertThat(run(h, "qualify").exit()).isEqualTo(1);
    Map<String, JsonNode> two = records(h);
    assertThat(two).hasSize(2).containsKeys(one.keySet().toArray(String[]::new));
    assertThat(Files.readString(h.root.resolve("var/lib/rtc/eci-reference/qualify/" + one.keySet().iterator().next())))
        .as("the first record, untouched").isEqualTo(firstText);
    assertThat(latest(h).path("status").asText()).as("latest is the second").isEqualTo("failed");
  }

  /** Most real hosts have no CAT: the plan allocates no cache, and qualify says so instead of failing or skipping it. */
  @Test
  void aPlanWithoutCacheAllocationQualifiesWithoutResctrl() throws IOException {
    String manifest = Files.readString(Path.of("examples/eci-reference.yaml")).lines()
        .filter(l -> !l.contains("cat: {cbmMask") && !l.strip().startsWith("cache: 8 MiB")).collect(Collectors.joining("\n")) + "\n";
    Path file = Files.writeString(tmp.resolve("no-cat.yaml"), manifest);
    Compiler.Result r = new Compiler().compile(file);
    assertThat(r.plan().cache()).as("no cache allocation in this plan").isEmpty();
    Path out = tmp.resolve("no-cat-out");
    BundleWriter.write(r.bundle(), out, false);
    FakeHost h = FakeHost.of(tmp.resolve("no-cat"), r.plan()).booted().vmsRunning();
    assertThat(h.exists("sys/fs/resctrl")).isFalse();
    Tool.Run q = Tool.require("bash").run(out, h.env(), "./runbook.sh", "qualify", "--json");
    assertThat(q.exit()).as(q.all()).isZero();
    List<JsonNode> records = RunbookJsonTest.records(q);
    assertThat(records).anyMatch(n -> n.path("id").asText().equals("qualify.rdt") && n.path("status").asText().equals("ok")
        && n.path("message").asText().startsWith("cache allocation: the plan allocates none"));
    assertThat(records).anyMatch(n -> n.path("type").asText().equals("change") && n.path("id").asText().equals("qualify.record"));
    assertThat(RunbookJsonTest.step(records, "qualify").path("exit").asInt()).isZero();
    assertThat(records.stream().filter(n -> n.path("type").asText().equals("check")).map(n -> n.path("id").asText()).distinct())
        .contains("qualify.planned", "qualify.rdt", "qualify.hwlat", "qualify.osnoise", "qualify.smi", "qualify.cstates", "qualify.frequency");
  }

  @Test
  void aDryRunMeasuresNothingAndWritesNothing() {
    FakeHost h = booted("dry");
    Tool.Run r = run(h, "--dry-run", "qualify");
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.out()).contains("would measure: hwlatdetect and rtla osnoise");
    assertThat(h.calls()).noneMatch(c -> c.startsWith("hwlatdetect")).noneMatch(c -> c.startsWith("rtla"));
    assertThat(Files.exists(h.root.resolve("var/lib/rtc/eci-reference"))).isFalse();
  }

  @Test
  void benchGivesNoVerdictWithoutAPassedRecordOfThisBundleOnTheRunningKernel() throws IOException {
    FakeHost h = booted("bench");
    h.write("fake/virsh/domains/debian12-rt/cyclictest.txt", Files.readString(Path.of("src/test/resources/cyclictest/histogram-4threads-great.txt")));
    h.write("fake/virsh/domains/debian12-rt/bench-exit", "0\n");
    Tool.Run never = run(h, "--duration", "3s", "bench");
    assertThat(never.exit()).as(never.all()).isEqualTo(3);
    assertThat(never.out()).contains("RESULT: NO VERDICT - this host has not been qualified: run ./runbook.sh qualify");
    assertThat(h.calls()).noneMatch(c -> c.contains("cyclictest"));

    h.write("fake/hwlat-max", "60\n");
    assertThat(run(h, "qualify").exit()).isEqualTo(1);
    Tool.Run failed = run(h, "--duration", "3s", "bench");
    assertThat(failed.exit()).isEqualTo(3);
    assertThat(failed.out()).contains("RESULT: NO VERDICT - the last qualification").contains("failed: qualify.hwlat: hardware latency: 60 us");

    h.write("fake/hwlat-max", "2\n");
    assertThat(run(h, "qualify").exit()).isZero();
    // A kernel booted since the record: the record is of another kernel.
    String cmdline = h.read("proc/cmdline");
    h.write("proc/cmdline", cmdline.strip() + " debug\n");
    Tool.Run moved = run(h, "--duration", "3s", "bench");
    assertThat(moved.exit()).isEqualTo(3);
    assertThat(moved.out()).contains("was on another kernel or command line than the running one");
    h.write("proc/cmdline", cmdline);

    Tool.Run judged = run(h, "--duration", "3s", "bench");
    assertThat(judged.exit()).as(judged.all()).isZero();
    assertThat(judged.out()).contains("the platform qualified").contains("RESULT: GREAT");
    String id = h.read("var/lib/rtc/eci-reference/runs/current").trim();
    JsonNode carried = JSON.readTree(h.root.resolve("var/lib/rtc/eci-reference/runs/" + id + "/results/host/qualify.json").toFile());
    assertThat(carried.path("status").asText()).as("the record the verdict rests on travels with the run").isEqualTo("passed");
    // A run folder whose record is taken away is judged NO VERDICT again, by the runbook's judge.
    Path run = h.root.resolve("var/lib/rtc/eci-reference/runs/" + id);
    Files.delete(run.resolve("results/host/qualify.json"));
    Tool.Run rejudged = run(h, "judge", run.toString());
    assertThat(rejudged.exit()).isEqualTo(3);
    assertThat(rejudged.out()).contains("RESULT: NO VERDICT - the run has no qualification record");
  }

  @Test
  void aRecordOfAnotherBundleDoesNotQualifyThisOne() throws IOException {
    FakeHost h = booted("other");
    assertThat(run(h, "qualify").exit()).isZero();
    Path rec = h.root.resolve("var/lib/rtc/eci-reference/qualify/" + h.read("var/lib/rtc/eci-reference/qualify/latest").trim() + ".json");
    Files.writeString(rec, Files.readString(rec).replaceFirst("\"bundleDigest\": \"sha256:[0-9a-f]+\"", "\"bundleDigest\": \"sha256:00\""));
    h.write("fake/virsh/domains/debian12-rt/cyclictest.txt", "x");
    Tool.Run r = run(h, "--duration", "3s", "bench");
    assertThat(r.exit()).isEqualTo(3);
    assertThat(r.out()).contains("was of another bundle (its digest differs)");
  }
}
