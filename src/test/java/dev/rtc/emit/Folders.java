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

  /**
   * The whole golden bundle of {@code example}, as rtc wrote it: golden/&lt;example&gt;/ and the
   * runbook's steps, which golden/ keeps once for every bundle. Copied into {@code into}.
   */
  public static Path goldenBundle(String example, Path into) throws IOException {
    Path from = Path.of("golden", example).toAbsolutePath();
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path to = into.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(to);
        } else {
          Files.copy(p, to, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
    Files.copy(from.getParent().resolve(Emitters.RUNBOOK_STEPS), into.resolve(Emitters.RUNBOOK_STEPS));
    return into;
  }

  public static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
