package dev.rtc.emit;

import java.util.List;
import java.util.regex.Pattern;

/** The one shell-quoting function: every user string that reaches a script goes through it. */
public final class Shell {

  /** Words made only of these characters mean the same quoted or not, in sh and bash. */
  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_./:=@%+-]+");

  private Shell() {}

  /** A POSIX-sh word that expands to exactly {@code s}: bare when safe, else single-quoted. */
  public static String quote(String s) {
    if (!s.isEmpty() && SAFE.matcher(s).matches()) {
      return s;
    }
    return "'" + s.replace("'", "'\\''") + "'";
  }

  /** Several words, each quoted, space-separated: a ready-made argument list. */
  public static String words(List<String> words) {
    return String.join(" ", words.stream().map(Shell::quote).toList());
  }
}
