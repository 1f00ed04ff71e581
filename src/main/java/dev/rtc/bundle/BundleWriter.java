package dev.rtc.bundle;

import dev.rtc.emit.Bundle;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The only code that writes a bundle to disk. The new bundle is written in full to a hidden
 * sibling folder and synced, then swapped in by rename: {@code out/} holds the old bundle or the
 * new one, never a mix, and nothing at all is touched when compiling failed (this is never
 * called then).
 *
 * <p>rtc owns only the files it wrote, those its SHA256SUMS lists. Anything else in the folder
 * (an older runbook's results/, a technician's notes, a report tarball) is carried into the new
 * bundle after the swap, file by file, and never deleted: by the swap, and by the recovery of a
 * swap a crash interrupted.
 */
public final class BundleWriter {

  /** Present in every folder rtc wrote; rtc replaces only such folders (or empty ones) unless forced. */
  public static final String MARKER = ".rtc-bundle";

  private BundleWriter() {}

  /** The output folder exists and holds something rtc did not write. */
  public static final class ForeignFolderException extends IOException {
    public ForeignFolderException(String message) {
      super(message);
    }
  }

  /**
   * Writes one bundle to {@code out}, holding the folder's lock from the first look at it to the
   * last rename: a second rtc writing the same folder meanwhile is refused, never interleaved.
   */
  public static void write(Bundle bundle, Path out, boolean force) throws IOException {
    Path target = target(out);
    Files.createDirectories(target.getParent()); // where the lock file goes
    try (OutputLock lock = OutputLock.acquire(target)) {
      refuseForeign(target, out, force);
      // A large bundle (a host of hundreds of VMs) is made durable by one file-system barrier, as a
      // fleet is, instead of an fsync per file: 1,165 fsyncs were most of its time on a disk.
      boolean large = bundle.files().size() > BARRIER_FILES;
      Staged staged = StagedTree.stage(bundle, target, !large, true);
      try {
        if (large) {
          barrier(List.of(staged));
        }
        staged.swap(out, force);
        Disk.sync(staged.parent());
      } finally {
        staged.discard();
      }
    }
  }

  /**
   * Where {@code out} really is: absolute, and if it is a symbolic link, the folder it points to
   * (the link is kept: a technician who links {@code out} to a disk with room meant the bundle to
   * land there). A link to nothing yet points to where the bundle will be made.
   */
  static Path target(Path out) throws IOException {
    Path target = out.toAbsolutePath().normalize();
    for (int hops = 0; Files.isSymbolicLink(target); hops++) {
      if (hops == 40) {
        throw new ForeignFolderException(out + " is a loop of symbolic links");
      }
      target = target.getParent().resolve(Files.readSymbolicLink(target)).normalize();
    }
    if (target.getParent() == null) {
      throw new ForeignFolderException(out + " is the root of the file system; a bundle needs a folder of its own, such as out/");
    }
    return target;
  }

  /** Refuses a target that is a file, or a folder rtc did not write (unless forced). */
  private static void refuseForeign(Path target, Path out, boolean force) throws IOException {
    BasicFileAttributes existing = Disk.attributesOrNull(target);
    if (existing != null && !existing.isDirectory()) {
      throw new ForeignFolderException(out + " exists and is not a folder");
    }
    if (existing != null && !force && !Disk.isEmpty(target) && !Files.exists(target.resolve(MARKER))) {
      throw new ForeignFolderException(out + " exists and was not written by rtc (no " + MARKER
          + "); refusing to replace it. Choose another folder, or pass --force to replace it");
    }
  }

  /**
   * Writes a fleet's bundles with the same guarantee as {@link #write}, but one durability
   * barrier for all of them instead of an fsync per file: each bundle is staged (written in full
   * beside its target, invisible) by whichever thread compiled it, as soon as it is compiled, so
   * no bundle stays in memory; {@link #commit} then syncs the file system once
   * ({@code sync --file-system}, or an fsync per file when that command is missing or fails)
   * and swaps each bundle in by rename. On a disk where an fsync costs a millisecond, that is
   * the difference between seconds and minutes.
   */
  public static final class Fleet {
    private final boolean force;
    /** Per parent folder, the targets a killed run left hidden siblings for: one listing per parent. */
    private final Map<Path, Set<Path>> leftovers = new ConcurrentHashMap<>();

    public Fleet(boolean force) {
      this.force = force;
    }

    /**
     * Thread-safe. Throws when the target is refused (foreign folder), another rtc is mending
     * leftovers beside it, or the disk fails. Only the mending takes the folder's lock: the staged
     * copy has a name no other writer uses, and the lock is taken again for the swap.
     */
    public Staged stage(Bundle bundle, Path out) throws IOException {
      Path target = target(out);
      try {
        refuseForeign(target, out, force);
      } catch (ForeignFolderException | java.nio.file.NoSuchFileException e) {
        // Looked at without the lock: another rtc may be between the two renames of a swap of this
        // very folder (gone a moment, or without its marker). Look again under the lock: then it
        // is either refused as busy, or seen whole.
        try (OutputLock lock = OutputLock.acquire(target)) {
          refuseForeign(target, out, force);
        }
      }
      Set<Path> stale = leftovers.computeIfAbsent(target.getParent(), Fleet::scan);
      if (stale.contains(target)) {
        try (OutputLock lock = OutputLock.acquire(target)) {
          Leftovers.recover(target);
        }
      }
      Staged staged = StagedTree.stage(bundle, target, false, false);
      staged.out = out;
      return staged;
    }

    private static Set<Path> scan(Path parent) {
      Set<Path> found = new java.util.HashSet<>();
      if (Files.isDirectory(parent)) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(parent, ".*.rtc-*")) {
          for (Path p : ds) {
            java.util.regex.Matcher m = Leftovers.LEFTOVER.matcher(p.getFileName().toString());
            if (m.matches()) {
              found.add(parent.resolve(m.group(1)));
            }
          }
        } catch (IOException e) {
          // Stale folders are only tidied; a listing that fails leaves them for the next run.
        }
      }
      return found;
    }

    /**
     * Makes every staged bundle durable, then swaps each in.
     *
     * @return per staged bundle, in order: null when it is in place, else what stopped it (the
     *     old bundle, if any, is then still there)
     */
    public List<IOException> commit(List<Staged> staged) {
      List<IOException> result = new ArrayList<>(java.util.Collections.nCopies(staged.size(), null));
      try {
        if (!staged.isEmpty()) {
          barrier(staged);
        }
        // Each swap under its own folder's lock, on several threads: a swap that replaces a bundle
        // also deletes the old one, file by file, which for a fleet's thousand bundles was a fifth
        // of the run's CPU, on one thread after all the others had finished.
        Path[] swappedIn = new Path[staged.size()];
        java.util.stream.IntStream.range(0, staged.size()).parallel().forEach(i -> {
          Staged st = staged.get(i);
          try (OutputLock lock = OutputLock.acquire(st.target)) {
            st.swap(st.out, force);
            swappedIn[i] = st.parent();
          } catch (IOException e) {
            result.set(i, e);
          }
        });
        Set<Path> parents = new java.util.TreeSet<>();
        for (Path p : swappedIn) {
          if (p != null) {
            parents.add(p);
          }
        }
        for (Path p : parents) {
          Disk.sync(p);
        }
      } catch (IOException e) {
        for (int i = 0; i < staged.size(); i++) {
          if (!staged.get(i).swapped && result.get(i) == null) {
            result.set(i, e);
          }
        }
      } finally {
        staged.forEach(Staged::discard);
      }
      return result;
    }
  }

  /**
   * Above this many files, one bundle is synced by a file-system barrier ({@code sync --file-system},
   * a process to start) rather than file by file: below it, the fsyncs cost less than the process.
   */
  static final int BARRIER_FILES = 64;

  /** Makes every staged tree durable before any of them is renamed into place. */
  private static void barrier(List<Staged> staged) throws IOException {
    if (syncFileSystem(staged.get(0).parent())) {
      return;
    }
    for (Staged st : staged) {
      try (var walk = Files.walk(st.fresh)) {
        for (Path p : walk.toList()) {
          Disk.sync(p);
        }
      }
    }
  }

  /** {@code sync --file-system StagedTree.DIR} (syncfs(2)): one call flushes everything written on that file system. */
  private static boolean syncFileSystem(Path dir) {
    try {
      Process p = new ProcessBuilder("sync", "--file-system", dir.toString()).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      return p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** A bundle written in full beside its target, not yet in place; {@link #discard()} if it is not wanted. */
  public static final class Staged {
    final Path target;
    final Path fresh;
    final String suffix;
    /** The folder as the user named it, for messages. */
    Path out;
    boolean swapped;

    Staged(Path target, Path fresh, String suffix) {
      this.target = target;
      this.fresh = fresh;
      this.suffix = suffix;
      this.out = target;
    }

    Path parent() {
      return target.getParent();
    }

    /**
     * Old bundle aside, new one in, what was not rtc's carried over, old one deleted: two renames,
     * never a mix. The caller holds the folder's lock; the folder is looked at again here, because
     * in a fleet it may have changed since the bundle was staged.
     */
    void swap(Path out, boolean force) throws IOException {
      refuseForeign(target, out, force);
      if (!Files.isDirectory(fresh)) {
        throw new IOException(out + ": the new bundle staged at " + fresh + " is gone (deleted by another program?); nothing was changed");
      }
      if (Files.exists(target)) {
        Path old = parent().resolve("." + target.getFileName() + ".rtc-old-" + suffix);
        Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        try {
          Files.move(fresh, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
          Files.move(old, target, StandardCopyOption.ATOMIC_MOVE); // the old bundle back: nothing changed
          throw e;
        }
        swapped = true;
        Leftovers.retire(old, target);
      } else {
        Files.move(fresh, target, StandardCopyOption.ATOMIC_MOVE);
        swapped = true;
      }
    }

    public void discard() {
      if (swapped) {
        return; // it is the bundle now
      }
      try {
        if (Files.exists(fresh)) {
          Disk.deleteTree(fresh);
        }
      } catch (IOException e) {
        // Left for a later run's Leftovers.recover(), which deletes .rtc-new-* folders whose writer is dead.
      }
    }
  }

}
