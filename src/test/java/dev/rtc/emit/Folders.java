package dev.rtc.emit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Test helper: what a folder holds, to compare before and after. */
public final class Folders {

  private Folders() {}

  /** Every file under {@code dir}, relative path → content, hidden files included, " (x)" marking executables. */
  public static Map<String, String> snapshot(Path dir) throws IOException {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        files.put(dir.relativize(p) + (Files.isExecutable(p) ? " (x)" : ""), Files.readString(p));
      }
    }
    return files;
  }

  public static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
