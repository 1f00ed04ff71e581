package dev.rtc.manifest.diagnostics;

import java.util.HashMap;
import java.util.Map;

/**
 * Where each node of the manifest tree came from, by JSON pointer. Kept beside the tree (rather
 * than in it) so the schema validator and the binder can both use plain Jackson nodes.
 */
public final class SourceMap {

  private final Map<String, int[]> values = new HashMap<>();
  private final Map<String, int[]> keys = new HashMap<>();

  public void value(String pointer, int line, int column) {
    values.put(pointer, new int[] {line, column});
  }

  public void key(String pointer, int line, int column) {
    keys.put(pointer, new int[] {line, column});
  }

  /** The position of the value at {@code pointer}, or of its nearest ancestor that has one. */
  public SourceLocation locate(String file, String pointer) {
    String p = pointer == null ? "" : pointer;
    while (true) {
      int[] at = values.get(p);
      if (at != null) {
        return new SourceLocation(file, at[0], at[1]);
      }
      if (p.isEmpty()) {
        return SourceLocation.file(file);
      }
      p = p.substring(0, p.lastIndexOf('/'));
    }
  }

  /** The position of the key that names {@code pointer}, e.g. for "unknown key" errors. */
  public SourceLocation locateKey(String file, String pointer) {
    int[] at = keys.get(pointer);
    return at != null ? new SourceLocation(file, at[0], at[1]) : locate(file, pointer);
  }
}
