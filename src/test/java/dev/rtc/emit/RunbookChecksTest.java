package dev.rtc.emit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rtc.Compiler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The runbook's checks as data: the catalogue of IDs (RunbookCheck), its page
 * (docs/runbook-checks.md) and the steps that report them are one list; every row rtc emits is
 * one the engine can read and compare (CheckEngineTest runs the engine itself).
 */
class RunbookChecksTest {

  static final Path DOC = Path.of("docs/runbook-checks.md");
  /** An ID the steps report a function's check with, or show an identity row under. */
  static final Pattern REPORTED = Pattern.compile("\\b(?:check_ok|check_bad|table_row|applying|finding) ([a-z0-9-]+\\.[a-z0-9.-]+)\\b");
  static final Set<String> READS = Set.of("os-release", "siblings");
  static final Set<String> READ_PREFIXES = Set.of("flag:", "dir:", "schemata:", "percpu:", "/");
  static final Set<String> COMPARES = Set.of("equal", "equal-or-absent", "selected", "selected-or-absent", "mask", "hex", "cpus", "at-least", "os", "schemata");

  static Set<String> catalogue() {
    return Arrays.stream(RunbookCheck.values()).map(RunbookCheck::id).collect(Collectors.toCollection(TreeSet::new));
  }

  @Test
  void thePageListsTheCatalogueAndNothingElse() throws IOException {
    Set<String> documented = new TreeSet<>();
    Matcher m = Pattern.compile("(?m)^\\| `([a-z0-9.-]+)` \\|").matcher(Files.readString(DOC));
    while (m.find()) {
      assertThat(documented.add(m.group(1))).as("%s documented once", m.group(1)).isTrue();
    }
    assertThat(documented).isEqualTo(catalogue());
  }

  @Test
  void everyIdTheStepsReportIsInTheCatalogueAndEveryIdIsUsed() throws IOException {
    String steps = new String(Emitters.runbookSteps(), java.nio.charset.StandardCharsets.UTF_8);
    Set<String> reported = new TreeSet<>();
    Matcher m = REPORTED.matcher(steps);
    while (m.find()) {
      reported.add(m.group(1));
    }
    assertThat(reported).as("IDs the steps report").isNotEmpty().isSubsetOf(catalogue());
    String rows = Files.readString(Path.of("src/main/java/dev/rtc/emit/RunbookChecks.java"));
    for (RunbookCheck c : RunbookCheck.values()) {
      assertThat(reported.contains(c.id()) || rows.contains("RunbookCheck." + c.name())).as("%s is reported somewhere", c.id()).isTrue();
    }
  }

  /** Every example's rows: seven fields, a known ID, something the engine can read, a comparison it knows. */
  @Test
  void everyRowOfEveryExampleIsOneTheEngineReads() throws IOException {
    Set<String> ids = catalogue();
    int n = 0;
    try (Stream<Path> s = Files.list(Path.of("examples"))) {
      for (Path example : s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        var plan = new Compiler().compile(example).plan();
        Set<String> scopes = new TreeSet<>(List.of("host"));
        plan.vms().forEach(v -> scopes.add(v.name()));
        for (String row : RunbookChecks.rows(plan)) {
          String[] f = row.split("\\|", -1);
          assertThat(f).as(row).hasSize(7);
          assertThat(scopes).as(row).contains(f[0]);
          assertThat(ids).as(row).contains(f[1]);
          assertThat(READS.contains(f[2]) || READ_PREFIXES.stream().anyMatch(f[2]::startsWith)).as("read: " + row).isTrue();
          assertThat(COMPARES).as(row).contains(f[3]);
          assertThat(f[4]).as("planned: " + row).isNotEmpty();
          n++;
        }
      }
    }
    assertThat(n).isGreaterThan(100);
  }

  @Test
  void aFieldHoldingTheSeparatorIsABugNotARow() {
    assertThatThrownBy(() -> new RunbookChecks.Row("host", RunbookCheck.TUNING_VALUE, "/proc/x", "equal", "a|b", "x", ""))
        .isInstanceOf(IllegalStateException.class);
  }
}
