package dev.rtc.bundle;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What in a folder is rtc's: the files its SHA256SUMS lists and the marker. The bundles a fleet's
 * folder holds, and pruning one (rtc's files go, evidence and notes stay).
 */
public final class BundleFolders {

  private BundleFolders() {}

  /**
   * The bundle folders directly in {@code dir} (those with the marker) whose name is not in
   * {@code wanted}: in a fleet's output folder, the bundles of manifests that are gone.
   */
  public static List<Path> bundlesExcept(Path dir, Set<String> wanted) throws IOException {
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        String name = p.getFileName().toString();
        if (!name.startsWith(".") && !wanted.contains(name) && Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)
            && Files.isRegularFile(p.resolve(BundleWriter.MARKER))) {
          out.add(p);
        }
      }
    }
    out.sort(null);
    return out;
  }

  /**
   * Removes a bundle rtc wrote, under its lock: the files its SHA256SUMS lists and the marker,
   * then the folders they leave empty. Whatever else is in it (results, notes) stays, and so does
   * the folder that holds them, no longer a bundle (rtc will not replace it unless forced):
   * evidence is never deleted.
   *
   * @return what was kept, relative to the folder; empty when the folder is gone
   */
  public static List<String> prune(Path bundle) throws IOException {
    Path target = BundleWriter.target(bundle);
    try (OutputLock lock = OutputLock.acquire(target)) {
      Set<String> owned = owned(target);
      List<String> kept = new ArrayList<>();
      try (var walk = Files.walk(target)) {
        for (Path p : walk.filter(f -> !Files.isDirectory(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)).sorted().toList()) {
          String rel = target.relativize(p).toString().replace('\\', '/');
          if (owned.contains(rel) && !rel.equals(BundleWriter.MARKER) && Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.delete(p);
          } else if (!rel.equals(BundleWriter.MARKER)) {
            kept.add(rel);
          }
        }
      }
      Files.deleteIfExists(target.resolve(BundleWriter.MARKER));
      try (var walk = Files.walk(target)) {
        for (Path d : walk.filter(Files::isDirectory).sorted(java.util.Comparator.reverseOrder()).toList()) {
          if (Disk.isEmpty(d)) {
            Files.delete(d);
          }
        }
      }
      Disk.sync(target.getParent());
      return kept;
    }
  }

  /**
   * The files of a bundle folder that rtc wrote: those its SHA256SUMS lists, SHA256SUMS itself
   * and the marker. Empty when the folder has no SHA256SUMS.
   */
  public static Set<String> owned(Path dir) throws IOException {
    Path sums = dir.resolve("SHA256SUMS");
    if (!Files.isRegularFile(sums)) {
      return Set.of();
    }
    Set<String> owned = new java.util.HashSet<>(Set.of("SHA256SUMS", BundleWriter.MARKER));
    String text;
    try {
      text = dev.rtc.io.InputFiles.readText(sums, 4 << 20);
    } catch (dev.rtc.io.InputFiles.RefusedException e) {
      return Set.of(); // not a SHA256SUMS rtc wrote: nothing in the folder is provably rtc's
    }
    for (String line : text.split("\n")) {
      int sep = line.indexOf("  ");
      if (sep > 0) {
        owned.add(line.substring(sep + 2));
      }
    }
    return owned;
  }
}
