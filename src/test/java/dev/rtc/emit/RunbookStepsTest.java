package dev.rtc.emit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * runbook.sh.ftl includes templates/runbook-steps.sh without parsing it (parse=false), so that a
 * compile does not scan 75 KB of plain bash for FreeMarker. Anything FreeMarker-like in the steps
 * would reach the bundle as it stands: a value that was never filled in, or a quoting that never
 * happened. This holds the steps to plain bash, and the values block to where the values are.
 */
class RunbookStepsTest {

  static final Path STEPS = Path.of("templates/runbook-steps.sh");
  static final Path TEMPLATE = Path.of("templates/runbook.sh.ftl");

  /**
   * What FreeMarker reads in a shell template: [=x] interpolations (the shell templates' syntax,
   * which leaves bash's own ${x} alone) and angle-bracket tags. Bash's [@] is not a tag here.
   */
  static final Pattern FREEMARKER = Pattern.compile("\\[=|<#|</#|<@|</@");

  @Test
  void theStepsHoldNoFreeMarker() throws Exception {
    List<String> lines = Files.readAllLines(STEPS);
    assertThat(lines).hasSizeGreaterThan(1000);
    for (int i = 0; i < lines.size(); i++) {
      Matcher m = FREEMARKER.matcher(lines.get(i));
      assertThat(m.find()).as("runbook-steps.sh:%d is included unparsed; move the value into runbook.sh.ftl's values block: %s",
          i + 1, lines.get(i)).isFalse();
    }
  }

  @Test
  void theTemplateIncludesThemUnparsedAfterItsValues() throws Exception {
    String template = Files.readString(TEMPLATE);
    assertThat(template).endsWith("<#include \"runbook-steps.sh\" parse=false>\n");
    assertThat(template.lines().count()).as("the values block alone").isLessThan(200);
  }

  @Test
  void theRenderedRunbookCarriesTheStepsByteForByte() throws Exception {
    String steps = Files.readString(STEPS);
    String runbook = Files.readString(Path.of("golden/eci-reference/runbook.sh"));
    assertThat(runbook).endsWith(steps);
    assertThat(runbook).startsWith("#!/bin/bash\n").contains("BUNDLE=eci-reference\n");
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
