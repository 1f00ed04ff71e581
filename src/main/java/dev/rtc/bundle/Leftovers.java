package dev.rtc.bundle;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.Optional;

/**
 * What becomes of the old bundle, and of what a killed run left beside the folder: the old bundle
 * retired (what was not rtc's carried into the new one, the rest deleted), and the hidden
 * siblings {@code .NAME.rtc-new-*}, {@code -old-}, {@code -del-} mended by the next run. Staging
 * folders are named after their writer (pid and start time), so a live one is never touched.
 */
final class Leftovers {

  private Leftovers() {}

  static final java.util.concurrent.atomic.AtomicLong SEQUENCE = new java.util.concurrent.atomic.AtomicLong();

  /** What names a leftover sibling of bundle folder NAME: {@code .NAME.rtc-new-SUFFIX}, {@code -old-} or {@code -del-}. */
  static final java.util.regex.Pattern LEFTOVER = java.util.regex.Pattern.compile("^\\.(.*)\\.rtc-(new|old|del)-(.*)$");

  /**
   * This process, as a staging folder's name says it: pid and start time (ms since the epoch),
   * so that a later run can tell whether the writer of a {@code .rtc-new-*} folder still lives,
   * even when its pid has since been given to another process.
   */
  static final String SELF = ProcessHandle.current().pid() + "-" + startMillis(ProcessHandle.current());

  static long startMillis(ProcessHandle p) {
    return p.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(0L);
  }

  /**
   * Whether the process that named a staging folder with {@code suffix} ({@code PID-START-SEQ}, or
   * {@code PID-SEQ} from earlier rtc) may still be writing it. Unreadable suffixes count as
   * alive: a folder rtc cannot prove dead is left alone.
   */
  static boolean writerAlive(String suffix) {
    String[] parts = suffix.split("-");
    long pid;
    try {
      pid = Long.parseLong(parts[0]);
    } catch (NumberFormatException e) {
      return true;
    }
    Optional<ProcessHandle> p = ProcessHandle.of(pid);
    if (p.isEmpty() || !p.get().isAlive()) {
      return false;
    }
    if (parts.length < 3) {
      return true;
    }
    long start = startMillis(p.get());
    return start == 0 || parts[1].equals("0") || parts[1].equals(Long.toString(start));
  }

  /**
   * Mends what a run killed mid-write left behind; the caller holds the folder's lock, so no swap
   * is under way. A {@code .NAME.rtc-old-*} folder is a whole old bundle, left between the two
   * renames of a swap (or after them, when deleting it failed): moved back when NAME is missing,
   * else what in it was not rtc's is carried over and it is deleted. A {@code .NAME.rtc-del-*}
   * folder is what is left of an old bundle once that was carried over: deleted. A {@code .NAME.rtc-new-*}
   * folder is a partial new bundle: deleted when its writer is provably dead, else left alone
   * (it is another rtc's, staging now, which will swap it in under the lock or delete it).
   */
  static void recover(Path target) throws IOException {
    String prefix = "." + target.getFileName();
    try (DirectoryStream<Path> siblings = Files.newDirectoryStream(target.getParent(), prefix + ".rtc-*")) {
      for (Path p : siblings) {
        String name = p.getFileName().toString();
        if (name.startsWith(prefix + ".rtc-old-") && !Files.exists(target) && Files.exists(p.resolve(BundleWriter.MARKER))) {
          Files.move(p, target, StandardCopyOption.ATOMIC_MOVE);
        } else if (name.startsWith(prefix + ".rtc-old-")) {
          retire(p, target); // a swap cut short after its renames: what was not rtc's goes on
        } else if (name.startsWith(prefix + ".rtc-del-")) {
          Disk.deleteTree(p); // an old bundle whose other files were carried over: the rest was rtc's
        } else if (name.startsWith(prefix + ".rtc-new-") && !writerAlive(name.substring((prefix + ".rtc-new-").length()))) {
          Disk.deleteTree(p);
        }
      }
    }
  }

  /**
   * Carries over what in the old bundle folder was not rtc's, then deletes the rest. Between the
   * two the folder is renamed .NAME.rtc-del-*: deleting it file by file, a kill could leave its
   * marker or SHA256SUMS gone and rtc's own files still there, which the next run's recovery would
   * otherwise take for the user's and carry into the new bundle as .kept files. Moved files are
   * made durable before the rename, so a power loss cannot return one to a folder marked for
   * deletion.
   */
  static void retire(Path old, Path target) throws IOException {
    Tree tree = Tree.of(old);
    Set<Path> touched = carryOver(old, target, tree.files());
    for (Path dir : touched) {
      Disk.sync(dir);
    }
    String prefix = "." + target.getFileName() + ".rtc-old-";
    Path doomed = old.resolveSibling("." + target.getFileName() + ".rtc-del-" + old.getFileName().toString().substring(prefix.length()));
    Files.move(old, doomed, StandardCopyOption.ATOMIC_MOVE);
    // The listing made for the carry, read again under the new name: no second walk of the folder.
    for (Path p : tree.files()) {
      Files.deleteIfExists(doomed.resolve(old.relativize(p).toString())); // rtc's, or carried over already
    }
    for (Path d : tree.folders()) {
      Path gone = doomed.resolve(old.relativize(d).toString());
      try {
        Files.delete(gone);
      } catch (java.nio.file.DirectoryNotEmptyException e) {
        Disk.deleteTree(gone); // something the listing did not have: the slow way
      }
    }
  }

  /** What is under a folder: its files (links and others too, not followed), and its folders, each after what it holds, itself last. */
  record Tree(List<Path> files, List<Path> folders) {
    static Tree of(Path root) throws IOException {
      Tree t = new Tree(new ArrayList<>(), new ArrayList<>());
      Files.walkFileTree(root, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
          t.files().add(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
          if (exc != null) {
            throw exc;
          }
          t.folders().add(dir);
          return FileVisitResult.CONTINUE;
        }
      });
      return t;
    }
  }

  /**
   * Moves every file of the old bundle folder that rtc did not write into the new one, at the same
   * place (beside it, with {@code .kept}, if the new bundle has a file there). A move per file: a
   * crash between two leaves the rest in the old folder, which the next run's recovery carries.
   *
   * @return the folders a file left or entered (to be synced), empty when nothing was moved
   */
  static Set<Path> carryOver(Path old, Path target, List<Path> files) throws IOException {
    Set<String> owned = BundleFolders.owned(old);
    if (!Files.exists(old.resolve(BundleWriter.MARKER))) {
      owned = Set.of(); // a folder rtc did not write (--force): all of it is kept
    } else if (owned.isEmpty()) { // an old bundle without SHA256SUMS: count the files the new one has as rtc's
      owned = new java.util.HashSet<>();
      try (var walk = Files.walk(target)) {
        for (Path p : walk.filter(Files::isRegularFile).toList()) {
          owned.add(target.relativize(p).toString().replace('\\', '/'));
        }
      }
    }
    List<Path> foreign = new ArrayList<>();
    for (Path p : files) {
      if (!owned.contains(old.relativize(p).toString().replace('\\', '/'))) {
        foreign.add(p); // a link is moved as the link it is
      }
    }
    Set<Path> touched = new java.util.TreeSet<>();
    for (Path p : foreign) {
      Path dest = target.resolve(old.relativize(p).toString());
      for (int n = 1; Files.exists(dest, java.nio.file.LinkOption.NOFOLLOW_LINKS); n++) {
        dest = target.resolve(old.relativize(p) + ".kept" + (n == 1 ? "" : "-" + n));
      }
      Files.createDirectories(dest.getParent());
      Files.move(p, dest, StandardCopyOption.ATOMIC_MOVE);
      touched.add(p.getParent());
      for (Path d = dest.getParent(); d.startsWith(target); d = d.getParent()) {
        touched.add(d); // folders made for it too
      }
    }
    return touched;
  }
}
