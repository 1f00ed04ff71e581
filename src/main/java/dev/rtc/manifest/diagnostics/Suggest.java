package dev.rtc.manifest.diagnostics;

import java.util.Collection;
import java.util.Locale;

/** "Did you mean" for misspelled keys: the closest known key within a small edit distance. */
public final class Suggest {

  private Suggest() {}

  public static String closest(String typed, Collection<String> known) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String k : known.stream().sorted().toList()) {
      int dist = distance(typed.toLowerCase(Locale.ROOT), k.toLowerCase(Locale.ROOT));
      if (dist < bestDistance) {
        best = k;
        bestDistance = dist;
      }
    }
    int allowed = Math.max(2, typed.length() / 3);
    if (bestDistance <= allowed) {
      return best;
    }
    // "password" for "passwordHash", "cache" for "cacheMiB": a known key that starts with what was typed.
    String lower = typed.toLowerCase(Locale.ROOT);
    return typed.length() >= 4
        ? known.stream().sorted().filter(k -> k.toLowerCase(Locale.ROOT).startsWith(lower)).findFirst().orElse(null)
        : null;
  }

  /** Optimal string alignment distance (Levenshtein plus adjacent swaps: "cpsu" → "cpus" is 1). */
  static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }
}
