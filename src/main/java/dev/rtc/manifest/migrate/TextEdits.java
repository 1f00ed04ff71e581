package dev.rtc.manifest.migrate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rtc.manifest.ManifestLoader;
import dev.rtc.manifest.diagnostics.ManifestException;
import dev.rtc.manifest.diagnostics.SourceLocation;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Edits of a manifest's text at the positions its loader recorded: a key renamed, a scalar
 * replaced, an entry moved into another mapping. Everything else, comments, blank lines, order,
 * quoting, flow or block style, stays byte for byte. {@link Migration} uses it, and checks the
 * outcome by parsing it again; what these edits cannot do safely they refuse.
 */
final class TextEdits {

  private record Edit(int start, int end, String text) {}

  private final String text;
  private final ManifestLoader.Loaded loaded;
  private final int[] lineStarts;
  private final List<Edit> edits = new ArrayList<>();

  TextEdits(String text, ManifestLoader.Loaded loaded) {
    this.text = text;
    this.loaded = loaded;
    List<Integer> starts = new ArrayList<>(List.of(0));
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) == '\n') {
        starts.add(i + 1);
      }
    }
    lineStarts = starts.stream().mapToInt(Integer::intValue).toArray();
  }

  void renameKey(String pointer, String to) {
    int start = offset(loaded.sourceMap().locateKey("", pointer));
    edits.add(new Edit(start, scalarEnd(start, false), to));
  }

  void replaceScalar(String pointer, JsonNode value) {
    int start = offset(loaded.sourceMap().locate("", pointer));
    char c = text.charAt(start);
    if (c == '{' || c == '[' || c == '|' || c == '>') {
      throw new Migration.MigrationException(pointer + " is not a single-line value; rewrite it by hand");
    }
    edits.add(new Edit(start, scalarEnd(start, inFlow(start)), scalar(value, c == '"' || c == '\'')));
  }

  /** Moves the entry at {@code pointer} (key and value) to the end of the mapping at {@code into}. */
  void move(String pointer, String into) {
    int keyStart = offset(loaded.sourceMap().locateKey("", pointer));
    int valueStart = offset(loaded.sourceMap().locate("", pointer));
    int lineStart = lineStart(keyStart);
    boolean block = text.substring(lineStart, keyStart).isBlank();
    boolean multiLine = lineOf(valueStart) != lineOf(keyStart);
    String entry;
    if (block) {
      int end = multiLine ? blockEnd(lineOf(keyStart), keyStart - lineStart, false) : lineEnd(keyStart);
      entry = text.substring(keyStart, end);
      edits.add(new Edit(lineStart, Math.min(text.length(), end + 1), ""));
    } else {
      int end = valueEnd(valueStart);
      entry = text.substring(keyStart, end);
      int after = skipSpaces(end);
      if (after < text.length() && text.charAt(after) == ',') {
        edits.add(new Edit(keyStart, skipSpaces(after + 1), ""));
      } else {
        int before = keyStart;
        while (before > 0 && text.charAt(before - 1) == ' ') {
          before--;
        }
        edits.add(new Edit(before > 0 && text.charAt(before - 1) == ',' ? before - 1 : keyStart, end, ""));
      }
    }
    int target = offset(loaded.sourceMap().locate("", into));
    if (text.charAt(target) == '{') {
      if (entry.contains("\n")) {
        throw new Migration.MigrationException(pointer + " spans lines and " + into + " is a flow mapping; move it by hand");
      }
      String one = stripComment(entry);
      int close = matching(target);
      int last = close;
      while (last > target + 1 && text.charAt(last - 1) == ' ') {
        last--;
      }
      edits.add(new Edit(last, last, (text.charAt(last - 1) == '{' ? "" : ", ") + one));
    } else {
      int indent = target - lineStart(target);
      int oldIndent = keyStart - lineStart;
      int insertAt = blockEnd(lineOf(target), indent, true);
      String moved = entry.lines().map(l -> l.length() >= oldIndent && l.substring(0, Math.min(oldIndent, l.length())).isBlank()
          ? l.substring(Math.min(oldIndent, l.length())) : l.strip()).reduce((a, b) -> a + "\n" + " ".repeat(indent) + b).orElse("");
      if (moved.contains("\n") && !block) {
        throw new Migration.MigrationException(pointer + " cannot move into a block mapping from a flow one; move it by hand");
      }
      edits.add(new Edit(insertAt, insertAt, "\n" + " ".repeat(indent) + (block ? moved.stripLeading() : moved)));
    }
  }

  /**
   * The text with every edit made; edits may not overlap. A comment after an edited value keeps
   * its column (a longer value takes spaces from before it, down to one), so aligned comments stay
   * aligned.
   */
  String apply() {
    List<Edit> all = new ArrayList<>(edits);
    all.addAll(realignComments());
    all.sort(Comparator.comparingInt(Edit::start).thenComparingInt(Edit::end));
    for (int i = 1; i < all.size(); i++) {
      if (all.get(i).start() < all.get(i - 1).end()) {
        throw new Migration.MigrationException("two changes touch the same text (line " + (lineOf(all.get(i).start()) + 1)
            + "); apply them by hand");
      }
    }
    StringBuilder out = new StringBuilder(text);
    for (int i = all.size() - 1; i >= 0; i--) {
      Edit e = all.get(i);
      out.replace(e.start(), e.end(), e.text());
    }
    return out.toString();
  }

  /** For each line whose edits change its length before a comment: the spaces before the comment, resized. */
  private List<Edit> realignComments() {
    java.util.Map<Integer, Integer> delta = new java.util.TreeMap<>();
    for (Edit e : edits) {
      int line = lineOf(e.start());
      boolean oneLine = e.end() <= lineEnd(e.start()) && !e.text().contains("\n");
      int hash = commentStart(line);
      if (oneLine && hash >= 0 && e.end() <= hash) {
        delta.merge(line, e.text().length() - (e.end() - e.start()), Integer::sum);
      }
    }
    List<Edit> out = new ArrayList<>();
    delta.forEach((line, d) -> {
      int hash = commentStart(line);
      int ws = hash;
      while (ws > lineStarts[line] && text.charAt(ws - 1) == ' ') {
        ws--;
      }
      int finalWs = ws;
      boolean touched = edits.stream().anyMatch(e -> e.start() < hash && e.end() > finalWs);
      if (d != 0 && !touched) {
        out.add(new Edit(ws, hash, " ".repeat(Math.max(1, hash - ws - d))));
      }
    });
    return out;
  }

  /** Where the comment of {@code line} starts ('#' after a space, outside quotes), or -1. */
  private int commentStart(int line) {
    int end = lineEnd(lineStarts[line]);
    char quote = 0;
    for (int i = lineStarts[line]; i < end; i++) {
      char c = text.charAt(i);
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else if (c == '\\' && quote == '"') {
          i++;
        }
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '#' && (i == lineStarts[line] || text.charAt(i - 1) == ' ')) {
        return i;
      }
    }
    return -1;
  }

  // --- positions ---

  private int offset(SourceLocation at) {
    if (at.line() < 1) {
      throw new Migration.MigrationException("no position for a value to change");
    }
    int start = lineStarts[at.line() - 1];
    return text.offsetByCodePoints(start, at.column() - 1);
  }

  private int lineOf(int offset) {
    int lo = 0;
    int hi = lineStarts.length - 1;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (lineStarts[mid] <= offset) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }

  private int lineStart(int offset) {
    return lineStarts[lineOf(offset)];
  }

  private int lineEnd(int offset) {
    int nl = text.indexOf('\n', offset);
    return nl < 0 ? text.length() : nl;
  }

  /**
   * The end (before the newline) of what starts on {@code line} at {@code indent}: with
   * {@code siblings}, a whole block mapping (every following line indented at least as deep);
   * without, one entry of it (lines indented deeper, and a block sequence at the key's own indent,
   * which YAML allows). Comments and blank lines between count with it, not after it.
   */
  private int blockEnd(int line, int indent, boolean siblings) {
    int last = line;
    for (int l = line + 1; l < lineStarts.length; l++) {
      String s = text.substring(lineStarts[l], lineEnd(lineStarts[l]));
      String body = s.strip();
      if (body.isEmpty() || body.startsWith("#")) {
        continue;
      }
      int ind = s.length() - s.stripLeading().length();
      boolean in = siblings ? ind >= indent : ind > indent || (ind == indent && body.startsWith("- "));
      if (!in) {
        break;
      }
      last = l;
    }
    return lineEnd(lineStarts[last]);
  }

  private boolean inFlow(int offset) {
    int depth = 0;
    for (int i = offset - 1; i >= lineStart(offset); i--) {
      char c = text.charAt(i);
      if (c == '}' || c == ']') {
        depth++;
      } else if (c == '{' || c == '[') {
        if (depth == 0) {
          return true;
        }
        depth--;
      }
    }
    return false;
  }

  /** The end of the scalar (or key) that starts at {@code start}: a quoted one at its closing quote, a plain one before ': ', ' #', a line end, or a flow indicator. */
  private int scalarEnd(int start, boolean flow) {
    char q = text.charAt(start);
    if (q == '"' || q == '\'') {
      for (int i = start + 1; i < text.length(); i++) {
        char c = text.charAt(i);
        if (q == '"' && c == '\\') {
          i++;
        } else if (c == q) {
          if (q == '\'' && i + 1 < text.length() && text.charAt(i + 1) == '\'') {
            i++;
          } else {
            return i + 1;
          }
        }
      }
      return text.length();
    }
    int i = start;
    while (i < text.length()) {
      char c = text.charAt(i);
      if (c == '\n' || (c == '#' && text.charAt(i - 1) == ' ') || (c == ':' && (i + 1 == text.length() || " \n".indexOf(text.charAt(i + 1)) >= 0))
          || (flow && ",}]".indexOf(c) >= 0)) {
        break;
      }
      i++;
    }
    while (i > start && text.charAt(i - 1) == ' ') {
      i--;
    }
    return i;
  }

  /** The end of a flow value: a scalar, or a bracketed flow collection. */
  private int valueEnd(int start) {
    char c = text.charAt(start);
    return c == '{' || c == '[' ? matching(start) + 1 : scalarEnd(start, true);
  }

  private int matching(int open) {
    int depth = 0;
    for (int i = open; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '"' || c == '\'') {
        i = scalarEnd(i, true) - 1;
      } else if (c == '{' || c == '[') {
        depth++;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) {
          return i;
        }
      }
    }
    throw new Migration.MigrationException("an unclosed flow collection at line " + (lineOf(open) + 1));
  }

  private int skipSpaces(int i) {
    while (i < text.length() && text.charAt(i) == ' ') {
      i++;
    }
    return i;
  }

  private static String stripComment(String entry) {
    int hash = entry.indexOf(" #");
    return (hash < 0 ? entry : entry.substring(0, hash)).strip();
  }

  /** A YAML scalar for {@code v}: plain where YAML reads it back as the same string (and the original was not quoted), else double-quoted. */
  static String scalar(JsonNode v, boolean quoted) {
    if (!v.isTextual()) {
      return v.asText();
    }
    String s = v.asText();
    if (!quoted && !s.isEmpty() && s.equals(s.strip()) && s.chars().noneMatch(c -> c < 0x20 || "#,[]{}&*!|>'\"%@`".indexOf(c) >= 0)
        && !s.contains(": ") && !s.endsWith(":") && readsBackAs(s)) {
      return s;
    }
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  /** Whether YAML reads {@code plain}, written unquoted as a value, as the string itself (not a number, boolean or null). */
  private static boolean readsBackAs(String plain) {
    try {
      JsonNode n = ManifestLoader.parse(new ManifestLoader.Source("scalar", ("v: " + plain + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8)))
          .tree().get("v");
      return n != null && n.isTextual() && n.asText().equals(plain);
    } catch (ManifestException e) {
      return false;
    }
  }
}
