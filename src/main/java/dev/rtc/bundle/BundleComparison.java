package dev.rtc.bundle;

import com.github.difflib.DiffUtils;
import com.github.difflib.UnifiedDiffUtils;
import dev.rtc.emit.Bundle;
import dev.rtc.bundle.BundleWriter;
import dev.rtc.io.InputFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * An in-memory bundle against a folder on disk, file by file: the path that {@code compile --check}
 * and the golden test share. Reads only; a difference is a value with a unified diff.
 */
public final class BundleComparison {

  /**
   * One file that differs.
   *
   * @param provenanceOnly a changed file whose only changed lines are its provenance header (the
   *     manifest's checksum, which every file carries, so any edit of the manifest, a comment too,
   *     changes that line in all of them)
   */
  public record Difference(String path, Kind kind, String diff, boolean provenanceOnly) {
    public enum Kind { CHANGED, MISSING, EXTRA, MODE }

    /** A short line, then the unified diff for changed files. */
    public String render() {
      return switch (kind) {
        case CHANGED -> diff;
        case MISSING -> "missing on disk: " + path + "\n";
        case EXTRA -> "not in the compiled bundle: " + path + "\n";
        case MODE -> "executable bit differs: " + path + " (" + diff + ")\n";
      };
    }
  }

  private BundleComparison() {}

  /**
   * Empty when {@code dir} holds exactly {@code bundle}: same files, same bytes, same executable
   * bits. Files rtc did not write (not in the folder's SHA256SUMS: results a runbook left, notes)
   * are not differences; a compile keeps them.
   */
  public static List<Difference> compare(Bundle bundle, Path dir) {
    Map<String, Path> onDisk = files(dir);
    foreign(dir).stream().filter(f -> !bundle.files().containsKey(f)).forEach(onDisk::remove);
    List<Difference> out = new ArrayList<>();
    for (Bundle.Artifact a : bundle.files().values()) {
      Path p = onDisk.remove(a.path());
      if (p == null) {
        out.add(new Difference(a.path(), Difference.Kind.MISSING, "", false));
        continue;
      }
      byte[] disk = read(p);
      if (disk == null) {
        out.add(new Difference(a.path(), Difference.Kind.CHANGED, "on disk: " + a.path() + " is not a file rtc could have written"
            + " (larger than " + (FILE_LIMIT >> 20) + " MiB, or not a regular file)\n", false));
      } else if (!Arrays.equals(disk, a.bytes())) {
        String before = new String(disk, StandardCharsets.UTF_8);
        out.add(new Difference(a.path(), Difference.Kind.CHANGED, unified(a.path(), before, a.text()),
            withoutProvenance(before).equals(withoutProvenance(a.text()))));
      } else if (Files.isExecutable(p) != a.executable()) {
        // The executable bit only: it is the one mode bit git keeps, and a bundle checked out of a
        // repository must compare equal. (rtc writes user-data 0600; a checkout makes it 0644.)
        out.add(new Difference(a.path(), Difference.Kind.MODE, "on disk " + (Files.isExecutable(p) ? "0755" : "0644")
            + ", compiled " + (a.executable() ? "0755" : "0644"), false));
      }
    }
    onDisk.keySet().forEach(extra -> out.add(new Difference(extra, Difference.Kind.EXTRA, "", false)));
    out.sort(java.util.Comparator.comparing(Difference::path));
    return out;
  }

  /** The files in {@code dir} that rtc did not write there (not in its SHA256SUMS): a compile keeps them. */
  public static List<String> foreign(Path dir) {
    try {
      java.util.Set<String> owned = BundleFolders.owned(dir);
      if (owned.isEmpty()) {
        return List.of();
      }
      return files(dir).keySet().stream().filter(f -> !owned.contains(f)).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code --- a/PATH} (on disk) / {@code +++ b/PATH} (compiled), three lines of context. */
  public static String unified(String path, String onDisk, String compiled) {
    List<String> a = lines(onDisk);
    List<String> b = lines(compiled);
    List<String> diff = UnifiedDiffUtils.generateUnifiedDiff("a/" + path, "b/" + path, a, DiffUtils.diff(a, b), 3);
    return String.join("\n", diff) + "\n";
  }

  /** The lines of a file without its provenance header (or plan.json's manifestSha256). */
  private static List<String> withoutProvenance(String text) {
    return lines(text).stream().filter(l -> !isProvenance(l)).toList();
  }

  /** A file's provenance header line, or plan.json's manifestSha256: what a manifest's checksum changes. */
  static boolean isProvenance(String line) {
    return line.contains("manifest sha256 ") || line.contains("\"manifestSha256\"");
  }

  private static List<String> lines(String s) {
    return List.of(s.split("\n", -1));
  }

  private static Map<String, Path> files(Path linkOrDir) {
    Map<String, Path> out = new TreeMap<>();
    if (!Files.isDirectory(linkOrDir)) {
      return out;
    }
    Path dir;
    try {
      dir = linkOrDir.toRealPath(); // -o may be a link to the bundle; the walk starts inside it
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try (Stream<Path> s = Files.walk(dir)) {
      s.filter(Files::isRegularFile).forEach(p -> out.put(dir.relativize(p).toString().replace('\\', '/'), p));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    out.remove(BundleWriter.MARKER);
    return out;
  }

  /** The largest file a bundle holds is its runbook, about 100 KiB; anything far larger is not rtc's. */
  public static final int FILE_LIMIT = 16 << 20;

  /** The file's bytes, or null when it is not a regular file of at most {@link #FILE_LIMIT} bytes. */
  private static byte[] read(Path p) {
    try {
      return InputFiles.read(p, FILE_LIMIT);
    } catch (InputFiles.RefusedException e) {
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
