package dev.rtc.manifest.diagnostics;

/**
 * Text that is safe to put on a terminal or into a CI log. A diagnostic echoes what the user
 * wrote (a refused value, an unknown key, a file name), and what the user wrote may hold control
 * characters: an escape sequence that rewrites the terminal, a C1 control, or a bidirectional
 * override (U+202E) that shows a line in another order than it reads, as in "Trojan Source"
 * (CVE-2021-42574). Each such character is shown as its code instead: {@code \\u202E}.
 */
public final class Printable {

  private Printable() {}

  public static String escape(String s) {
    if (s == null) {
      return null;
    }
    StringBuilder sb = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (unsafe(c)) {
        if (sb == null) {
          sb = new StringBuilder(s.length() + 16).append(s, 0, i);
        }
        sb.append(String.format("\\u%04X", (int) c));
      } else if (sb != null) {
        sb.append(c);
      }
    }
    return sb == null ? s : sb.toString();
  }

  /** C0 and C1 controls and DEL, line and paragraph separators, and every bidirectional and invisible formatting character. */
  static boolean unsafe(char c) {
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x061c || (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e)
        || (c >= 0x2060 && c <= 0x2069) || c == 0xfeff || (c >= 0xfff9 && c <= 0xfffb);
  }
}
