package dev.rtc.emit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * templates/runbook/ holds the runbook's steps by subject; their concatenation ships as it is, as
 * runbook-steps.sh beside runbook.sh, which sources it; it is never parsed as a template. Anything FreeMarker-like in the steps would reach the bundle as it stands:
 * a value that was never filled in, or a quoting that never happened. This holds the steps to plain
 * bash, and the plan's values to runbook.sh.
 */
class RunbookStepsTest {

  static final Path PARTS = Path.of("templates/runbook");
  static final Path TEMPLATE = Path.of("templates/runbook.sh.ftl");

  /**
   * What FreeMarker reads in a shell template: [=x] interpolations (the shell templates' syntax,
   * which leaves bash's own ${x} alone) and angle-bracket tags. Bash's [@] is not a tag here.
   */
  static final Pattern FREEMARKER = Pattern.compile("\\[=|<#|</#|<@|</@");

  @Test
  void theStepsHoldNoFreeMarker() throws Exception {
    int total = 0;
    for (String part : Emitters.RUNBOOK_PARTS) {
      List<String> lines = Files.readAllLines(PARTS.resolve(part));
      total += lines.size();
      for (int i = 0; i < lines.size(); i++) {
        Matcher m = FREEMARKER.matcher(lines.get(i));
        assertThat(m.find()).as("runbook/%s:%d ships as it is; move the value into runbook.sh.ftl's values block: %s",
            part, i + 1, lines.get(i)).isFalse();
      }
    }
    assertThat(total).isGreaterThan(1000);
  }

  /** The parts are the folder's files, each by subject and under 400 lines, and nothing else. */
  @Test
  void thePartsAreTheFolderByName() throws Exception {
    try (var files = Files.list(PARTS)) {
      assertThat(files.map(p -> p.getFileName().toString()).sorted().toList()).isEqualTo(Emitters.RUNBOOK_PARTS);
    }
    for (String part : Emitters.RUNBOOK_PARTS) {
      assertThat(Files.readAllLines(PARTS.resolve(part))).as(part).hasSizeLessThanOrEqualTo(400);
    }
  }

  @Test
  void theTemplateSourcesThemAfterItsValues() throws Exception {
    String template = Files.readString(TEMPLATE);
    assertThat(template).doesNotContain("<#include").endsWith("# shellcheck source=runbook-steps.sh\n. \"$RUNBOOK_STEPS\"\n");
    assertThat(template.lines().count()).as("the values block alone").isLessThan(200);
  }

  @Test
  void everyBundleCarriesTheStepsByteForByte() throws Exception {
    byte[] steps = Emitters.runbookSteps();
    for (String example : List.of("eci-reference", "atom-l2cat", "rhel9-reference")) {
      Bundle b = new dev.rtc.Compiler().compile(Path.of("examples/" + example + ".yaml")).bundle();
      assertThat(b.get(Emitters.RUNBOOK_STEPS).bytes()).as(example).isEqualTo(steps);
      assertThat(b.get(Emitters.RUNBOOK_STEPS).executable()).as("sourced, not run").isFalse();
      assertThat(b.get("runbook.sh").text()).startsWith("#!/bin/bash\n").contains("BUNDLE=" + example + "\n")
          .doesNotContain("step_preflight");
    }
  }

  @Test
  void thePatternFindsWhatItGuardsAgainst() {
    for (String bad : List.of("echo [=bundle]", "<#if x>", "</#if>", "<@m/>", "<#-- note -->")) {
      assertThat(FREEMARKER.matcher(bad).find()).as(bad).isTrue();
    }
    for (String bash : List.of("echo \"${BUNDLE}\"", "[[ -n $x ]]", "a=([0]=x)", "printf '%s' \"${!EXPECTED_NODE_CPUS[@]}\"")) {
      assertThat(FREEMARKER.matcher(bash).find()).as(bash).isFalse();
    }
  }
}
