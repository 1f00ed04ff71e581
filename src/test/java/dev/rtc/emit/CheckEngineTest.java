package dev.rtc.emit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.Slow;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runbook's check engine (templates/runbook/05-checks.sh), run in bash: its comparisons say
 * what docs/runbook-checks.md says they do, and check_rows reports each row with its file, value,
 * plan and fix, on the host and from a guest's facts.
 */
@Slow
class CheckEngineTest {

  @TempDir Path tmp;

  record Case(String compare, String found, String planned, boolean matches) {}

  /** The engine's comparisons, in bash, as the page documents them: each case one way and the other. */
  @Test
  void theEngineComparesAsDocumented() throws IOException {
    List<Case> cases = List.of(
        new Case("equal", "-1", "-1", true), new Case("equal", "950000", "-1", false), new Case("equal", "absent", "2", false),
        new Case("equal-or-absent", "absent", "2", true), new Case("equal-or-absent", "1", "2", false),
        new Case("selected", "always madvise [never]", "never", true), new Case("selected", "[always] madvise never", "never", false),
        new Case("selected-or-absent", "absent", "never", true), new Case("selected-or-absent", "[always] madvise never", "never", false),
        new Case("selected", "absent", "never", false),
        new Case("mask", "00000000,0000000f", "f", true), new Case("mask", "000000ff", "f", false),
        new Case("hex", "07fff", "7fff", true), new Case("hex", "7FFF", "7fff", true), new Case("hex", "fffff", "7fff", false),
        new Case("cpus", "4-6,9", "4,5,6,9", true), new Case("cpus", "0-63", "0-31", false),
        new Case("at-least", "9", "8", true), new Case("at-least", "8", "8", true), new Case("at-least", "7", "8", false),
        new Case("at-least", "absent", "8", false),
        new Case("os", "rhel 9.4", "rhel 9", true), new Case("os", "debian 12", "debian 12", true), new Case("os", "rhel 94", "rhel 9", false),
        new Case("os", "ubuntu 24.04", "ubuntu 22.04", false),
        new Case("schemata", "L3:0=00003;1=3 MB:0=100;1=100", "L3:0=0003;1=0003", true),
        new Case("schemata", "L3CODE:0=0003;1=0003 L3DATA:0=7fff;1=7fff", "L3CODE:0=0003;1=0003 L3DATA:0=0003;1=0003", false),
        new Case("schemata", "absent", "L3:0=0003", false),
        new Case("no-such-comparison", "x", "x", false));
    StringBuilder script = new StringBuilder(steps()).append('\n');
    for (Case c : cases) {
      script.append("if check_matches ").append(Shell.quote(c.compare())).append(' ').append(Shell.quote(c.found())).append(' ')
          .append(Shell.quote(c.planned())).append("; then echo yes; else echo no; fi\n");
    }
    Tool.Run r = bash(script.toString());
    assertThat(r.exit()).as(r.all()).isZero();
    List<String> got = r.out().lines().toList();
    List<String> want = cases.stream().map(c -> c.matches() ? "yes" : "no").toList();
    for (int i = 0; i < cases.size(); i++) {
      assertThat(got.get(i)).as("%s", cases.get(i)).isEqualTo(want.get(i));
    }
  }

  /** check_rows in lines mode: an ok line for a value as planned, a FAIL naming file, value, plan and fix. */
  @Test
  void theEngineReportsEachRowWithItsFix() throws IOException {
    Path root = tmp.resolve("root");
    Files.createDirectories(root.resolve("proc/sys/vm"));
    Files.writeString(root.resolve("proc/sys/vm/stat_interval"), "1\n");
    Files.createDirectories(root.resolve("sys/devices/system/node/node0/hugepages/hugepages-2048kB"));
    Files.writeString(root.resolve("sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages"), "512\n");
    String script = steps() + "\nROOT=" + Shell.quote(root.toString()) + "\nCHECKS=("
        + Shell.quote("host|tuning.value|/proc/sys/vm/stat_interval|equal|10|vmstat interval 10 s|") + " "
        + Shell.quote("host|memory.hugepages|/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages|at-least|512|512 hugepages|fix it") + " "
        + Shell.quote("rt|tuning.value|/proc/sys/vm/stat_interval|equal|10|in a guest|") + ")\n"
        + "check_rows lines host tuning.\ncheck_rows lines host memory.\necho \"FAILS=$FAILS\"\n"
        + "CHECK_FACTS=$'file:/proc/sys/vm/stat_interval=10' check_rows lines rt tuning.\necho \"FAILS=$FAILS\"\n"
        + "check_files rt tuning.\n";
    Tool.Run r = bash(script);
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.err()).contains("FAIL: host: vmstat interval 10 s: /proc/sys/vm/stat_interval is '1', planned '10'");
    assertThat(r.out()).contains("ok: host: 512 hugepages\nFAILS=1\n").contains("ok: rt: in a guest\nFAILS=1\n")
        .endsWith("/proc/sys/vm/stat_interval\n");
  }

  /** percpu:CPUS:FILE reads FILE of each CPU: one value when all agree, each CPU's when one differs, "absent" for a missing file. */
  @Test
  void perCpuReadsGiveOneValueOrNameEachCpu() throws IOException {
    Path root = tmp.resolve("cpus");
    for (int cpu : new int[] {2, 3, 4, 6}) {
      Path f = root.resolve("sys/devices/system/cpu/cpu" + cpu + "/power/pm_qos_resume_latency_us");
      Files.createDirectories(f.getParent());
      Files.writeString(f, (cpu == 6 ? "0" : "2") + "\n");
    }
    String script = steps() + "\nROOT=" + Shell.quote(root.toString()) + "\n"
        + "check_read percpu:2-4:power/pm_qos_resume_latency_us; echo\n"
        + "check_read percpu:2,4,6:power/pm_qos_resume_latency_us; echo\n"
        + "check_read percpu:4-5:power/pm_qos_resume_latency_us; echo\n"
        + "CHECKS=(" + Shell.quote("host|tuning.value|percpu:2,4,6:power/pm_qos_resume_latency_us|equal|2|CPUs 2,4,6 wake within 2 us|") + ")\n"
        + "check_rows lines host tuning.\n";
    Tool.Run r = bash(script);
    assertThat(r.out()).startsWith("2\ncpu2=2 cpu4=2 cpu6=0\ncpu4=2 cpu5=absent\n");
    assertThat(r.err()).contains("FAIL: host: CPUs 2,4,6 wake within 2 us").contains("'cpu2=2 cpu4=2 cpu6=0', planned '2'");
  }

  /** json_string, the records' one escaping: what it prints parses back to the text it was given. */
  @Test
  void jsonStringEscapesWhatJsonMust() throws IOException {
    List<String> texts = List.of("plain", "quote \" and back\\slash", "tab\tnew\nline\rcr", "bell\u0007 esc\u001b", "ümlaut µs →", "");
    StringBuilder script = new StringBuilder(steps()).append('\n');
    for (String t : texts) {
      script.append("json_string ").append(Shell.quote(t)).append("; echo\n");
    }
    Tool.Run r = bash(script.toString());
    assertThat(r.exit()).as(r.all()).isZero();
    List<String> lines = r.out().lines().toList();
    var json = new com.fasterxml.jackson.databind.ObjectMapper();
    for (int i = 0; i < texts.size(); i++) {
      assertThat(json.readTree(lines.get(i)).asText()).as(lines.get(i)).isEqualTo(texts.get(i));
    }
  }

  /** The steps without their last line (main "$@"), so a test can call their functions. */
  private static String steps() {
    String steps = new String(Emitters.runbookSteps(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(steps).endsWith("\nmain \"$@\"\n");
    return "BUNDLE=test\n" + steps.substring(0, steps.length() - "main \"$@\"\n".length());
  }

  private Tool.Run bash(String script) throws IOException {
    Path f = tmp.resolve("engine-" + System.nanoTime() + ".sh");
    Files.writeString(f, script);
    return Tool.require("bash").run(tmp, f.toString());
  }
}
