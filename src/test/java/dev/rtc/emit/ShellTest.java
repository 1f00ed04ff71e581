package dev.rtc.emit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ShellTest {

  /**
   * The rule as a regex: words of these characters need no quotes in sh or bash, except a name, a
   * minus and a digit ({@code rt-1}), which shellcheck takes for arithmetic in an assignment.
   */
  private static final Pattern SAFE = Pattern.compile("(?![A-Za-z_][A-Za-z0-9_]*-[0-9])[A-Za-z0-9_./:=@%+-]+");

  @Test
  void aWordIsLeftBareExactlyWhenEveryCharacterIsOneThatNeedsNoQuoting() {
    String alphabet = "aZz09_./:=@%+-' \"$`\\!*?[]{}()<>|&;#~^,\t\néß→\u0000\u00a0０";
    Random r = new Random(7);
    for (int i = 0; i < 20000; i++) {
      StringBuilder sb = new StringBuilder();
      for (int n = r.nextInt(6); n > 0; n--) {
        sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
      }
      String s = sb.toString();
      assertThat(Shell.isSafe(s)).as("'%s'", s).isEqualTo(SAFE.matcher(s).matches());
    }
  }

  @Test
  void anythingElseIsSingleQuotedWithItsQuotesClosedAndReopened() {
    assertThat(Shell.quote("isolcpus=managed_irq,domain,4-63")).isEqualTo("'isolcpus=managed_irq,domain,4-63'");
    assertThat(Shell.quote("4-63")).isEqualTo("4-63");
    assertThat(Shell.quote("rt-1")).isEqualTo("'rt-1'");
    assertThat(Shell.quote("debian12-rt")).isEqualTo("debian12-rt");
    assertThat(Shell.quote("")).isEqualTo("''");
    assertThat(Shell.quote("it's")).isEqualTo("'it'\\''s'");
  }
}
