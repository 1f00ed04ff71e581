package dev.rtc.emit;

import java.util.List;

/** The one shell-quoting function: every user string that reaches a script goes through it. */
public final class Shell {

  private Shell() {}

  /** A POSIX-sh word that expands to exactly {@code s}: bare when safe, else single-quoted. */
  public static String quote(String s) {
    if (isSafe(s)) {
      return s;
    }
    return "'" + s.replace("'", "'\\''") + "'";
  }

  /**
   * Whether {@code s} is a non-empty word made only of {@code A-Za-z0-9_./:=@%+-}, which means the
   * same quoted or not, in sh and bash. A loop, not a regex: the templates quote every value they
   * interpolate, hundreds a bundle.
   */
  static boolean isSafe(String s) {
    if (s.isEmpty() || looksLikeArithmetic(s)) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '_' || c == '.' || c == '/' || c == ':' || c == '=' || c == '@' || c == '%' || c == '+' || c == '-';
      if (!safe) {
        return false;
      }
    }
    return true;
  }

  /**
   * {@code rt-1}, {@code vm-2}: a name, a minus and a digit. As a bare assignment ({@code BUNDLE=rt-1})
   * shellcheck takes it for arithmetic on the script's variable {@code rt} (SC2100); quoted, it reads
   * as the string it is.
   */
  private static boolean looksLikeArithmetic(String s) {
    int i = 0;
    while (i < s.length() && (Character.isLetter(s.charAt(i)) && s.charAt(i) < 128 || s.charAt(i) == '_'
        || i > 0 && s.charAt(i) >= '0' && s.charAt(i) <= '9')) {
      i++;
    }
    return i > 0 && i + 1 < s.length() && s.charAt(i) == '-' && s.charAt(i + 1) >= '0' && s.charAt(i + 1) <= '9';
  }

  /** Several words, each quoted, space-separated: a ready-made argument list. */
  public static String words(List<String> words) {
    return String.join(" ", words.stream().map(Shell::quote).toList());
  }
}
