package dev.rtc.emit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** TextWriter's bytes must be exactly what the same text, as one String, encodes to. */
class TextWriterTest {

  /** Text rich in what an encoder can get wrong: every UTF-8 length, pairs, lone halves. */
  private static String randomText(Random r, int length) {
    char[] pool = {'a', ' ', '\n', '<', '\u00e9', '\u00ff', '\u0100', '\u2192', '\u2026', '\uffff', '\ud83d', '\ude00', '\udbff', '\udfff'};
    StringBuilder sb = new StringBuilder();
    while (sb.length() < length) {
      if (r.nextInt(6) == 0) {
        sb.appendCodePoint(0x10000 + r.nextInt(0x100000)); // a whole pair
      } else {
        sb.append(pool[r.nextInt(pool.length)]);
      }
    }
    return sb.toString();
  }

  @Test
  void bytesEqualTheWholeStringsBytesHoweverTheTextIsSplitIntoWrites() {
    Random r = new Random(42);
    for (int round = 0; round < 3000; round++) {
      String text = randomText(r, r.nextInt(200));
      TextWriter w = new TextWriter();
      int i = 0;
      while (i < text.length()) {
        int n = Math.min(text.length() - i, r.nextInt(50));
        switch (r.nextInt(4)) {
          case 0 -> w.write(text.toCharArray(), i, n);
          case 1 -> w.write(text, i, n);
          case 2 -> w.write(text.substring(i, i + n));
          default -> {
            for (int k = i; k < i + n; k++) {
              w.write(text.charAt(k));
            }
          }
        }
        i += n;
      }
      byte[] expected = text.getBytes(StandardCharsets.UTF_8);
      assertThat(w.utf8()).as("round %d: %s", round, text).isEqualTo(expected);
      assertThat(w.toString()).isEqualTo(new String(expected, StandardCharsets.UTF_8));
    }
  }

  @Test
  void longWritesTakeTheWholeStringPathAndGrowTheBuffer() {
    String block = "echo 'x → y'\n".repeat(2000) + "\ud83d\ude00";
    TextWriter w = new TextWriter();
    w.write(block);
    w.write(block.toCharArray(), 0, block.length());
    assertThat(w.utf8()).isEqualTo((block + block).getBytes(StandardCharsets.UTF_8));
  }
}
