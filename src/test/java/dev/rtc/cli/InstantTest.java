package dev.rtc.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.io.Version;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** The instant answers are picocli's own words: only these questions take the short path, and they say the same. */
class InstantTest {

  static String live(String... args) {
    StringWriter out = new StringWriter();
    assertThat(Main.run(args, new PrintWriter(out, true), new PrintWriter(new StringWriter(), true))).isZero();
    return out.toString();
  }

  @Test
  void versionIsPicocllisVersion() {
    assertThat(Instant.answer(new String[] {"--version"})).hasValue(live("--version"));
    assertThat(Instant.answer(new String[] {"-V"})).hasValue("rtc " + Version.get() + "\n");
  }

  @Test
  void helpAndCompletionAreWhatPicocliPrints() {
    assertThat(Instant.help()).isEqualTo(live("--help")).startsWith("Usage: rtc [-hV] [COMMAND]").contains("  init ");
    assertThat(Instant.completion()).isEqualTo(live("completion")).contains("_complete_rtc");
  }

  @Test
  void anythingElseTakesTheLongWay() {
    assertThat(Instant.answer(new String[] {})).isEmpty();
    assertThat(Instant.answer(new String[] {"compile"})).isEmpty();
    assertThat(Instant.answer(new String[] {"--help", "compile"})).isEmpty();
    assertThat(Instant.answer(new String[] {"compile", "--help"})).isEmpty();
  }
}
