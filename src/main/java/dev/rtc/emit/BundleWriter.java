package dev.rtc.emit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
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

  private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-r--r--");
  private static final Set<PosixFilePermission> EXEC = PosixFilePermissions.fromString("rwxr-xr-x");
  private static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwxr-xr-x");
  private static final FileAttribute<Set<PosixFilePermission>> DIR_MODE = PosixFilePermissions.asFileAttribute(DIR);
  private static final Set<StandardOpenOption> CREATE_NEW = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);

  private BundleWriter() {}

  /** The output folder exists and holds something rtc did not write. */
  public static final class ForeignFolderException extends IOException {
    public ForeignFolderException(String message) {
      super(message);
    }
  }

  public static void write(Bundle bundle, Path out, boolean force) throws IOException {
    Staged staged = stage(bundle, out, force, true, true);
    try {
      staged.swap();
      sync(staged.parent());
    } finally {
      staged.discard();
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

    /** Thread-safe. Throws when the target is refused (foreign folder) or the disk fails. */
    public Staged stage(Bundle bundle, Path out) throws IOException {
      Path target = out.toAbsolutePath().normalize();
      Set<Path> stale = leftovers.computeIfAbsent(target.getParent(), Fleet::scan);
      return BundleWriter.stage(bundle, out, force, false, stale.contains(target));
    }

    private static Set<Path> scan(Path parent) {
      Set<Path> found = new java.util.HashSet<>();
      if (Files.isDirectory(parent)) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(parent, ".*.rtc-*")) {
          ds.forEach(p -> found.add(parent.resolve(p.getFileName().toString().replaceFirst("^\\.(.*)\\.rtc-(new|old)-.*$", "$1"))));
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
        Set<Path> parents = new java.util.TreeSet<>();
        for (int i = 0; i < staged.size(); i++) {
          try {
            staged.get(i).swap();
            parents.add(staged.get(i).parent());
          } catch (IOException e) {
            result.set(i, e);
          }
        }
        for (Path p : parents) {
          sync(p);
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

  /** Makes every staged tree durable before any of them is renamed into place. */
  private static void barrier(List<Staged> staged) throws IOException {
    if (syncFileSystem(staged.get(0).parent())) {
      return;
    }
    for (Staged st : staged) {
      try (var walk = Files.walk(st.fresh)) {
        for (Path p : walk.toList()) {
          sync(p);
        }
      }
    }
  }

  /** {@code sync --file-system DIR} (syncfs(2)): one call flushes everything written on that file system. */
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
    boolean swapped;

    Staged(Path target, Path fresh, String suffix) {
      this.target = target;
      this.fresh = fresh;
      this.suffix = suffix;
    }

    Path parent() {
      return target.getParent();
    }

    /** Old bundle aside, new one in, what was not rtc's carried over, old one deleted: two renames, never a mix. */
    void swap() throws IOException {
      if (Files.exists(target)) {
        Path old = parent().resolve("." + target.getFileName() + ".rtc-old-" + suffix);
        Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        Files.move(fresh, target, StandardCopyOption.ATOMIC_MOVE);
        swapped = true;
        carryOver(old, target);
        deleteTree(old);
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
          deleteTree(fresh);
        }
      } catch (IOException e) {
        // Left for the next run's recover(), which deletes stale .rtc-new-* folders.
      }
    }
  }

  private static final java.util.concurrent.atomic.AtomicLong SEQUENCE = new java.util.concurrent.atomic.AtomicLong();

  private static Staged stage(Bundle bundle, Path out, boolean force, boolean syncFiles, boolean scanForLeftovers) throws IOException {
    Path target = out.toAbsolutePath().normalize();
    BasicFileAttributes existing = attributesOrNull(target);
    if (existing != null && !existing.isDirectory()) {
      throw new ForeignFolderException(out + " exists and is not a folder");
    }
    if (existing != null && !force && !isEmpty(target) && !Files.exists(target.resolve(MARKER))) {
      throw new ForeignFolderException(out + " exists and was not written by rtc (no " + MARKER
          + "); refusing to replace it. Choose another folder, or pass --force to replace it");
    }
    Path parent = target.getParent();
    if (!Files.isDirectory(parent)) { // a fleet stages thousands of bundles in one existing parent
      Files.createDirectories(parent);
    }
    if (scanForLeftovers) {
      recover(target);
    }
    // Unique among concurrent rtc processes (pid) and within one (sequence); never in the bundle.
    String suffix = ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet();
    Path fresh = parent.resolve("." + target.getFileName() + ".rtc-new-" + suffix);
    Staged staged = new Staged(target, fresh, suffix);
    try {
      writeTree(bundle, fresh, syncFiles);
    } catch (IOException | RuntimeException e) {
      staged.discard();
      throw e;
    }
    return staged;
  }

  /**
   * Mends what a run killed mid-write left behind. A {@code .NAME.rtc-new-*} folder is a partial
   * new bundle: deleted. A {@code .NAME.rtc-old-*} folder is a whole old bundle, left between the
   * two renames of the swap: moved back when NAME is missing, else deleted.
   */
  private static void recover(Path target) throws IOException {
    String prefix = "." + target.getFileName();
    try (DirectoryStream<Path> siblings = Files.newDirectoryStream(target.getParent(), prefix + ".rtc-*")) {
      for (Path p : siblings) {
        String name = p.getFileName().toString();
        if (name.startsWith(prefix + ".rtc-old-") && !Files.exists(target) && Files.exists(p.resolve(MARKER))) {
          Files.move(p, target, StandardCopyOption.ATOMIC_MOVE);
        } else if (name.startsWith(prefix + ".rtc-old-")) {
          carryOver(p, target); // a swap cut short after its renames: what was not rtc's goes on
          deleteTree(p);
        } else if (name.startsWith(prefix + ".rtc-new-")) {
          deleteTree(p);
        }
      }
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
    Set<String> owned = new java.util.HashSet<>(Set.of("SHA256SUMS", MARKER));
    for (String line : Files.readAllLines(sums, java.nio.charset.StandardCharsets.UTF_8)) {
      int sep = line.indexOf("  ");
      if (sep > 0) {
        owned.add(line.substring(sep + 2));
      }
    }
    return owned;
  }

  /**
   * Moves every file of the old bundle folder that rtc did not write into the new one, at the same
   * place (beside it, with {@code .kept}, if the new bundle has a file there). A move per file: a
   * crash between two leaves the rest in the old folder, which the next run's recovery carries.
   */
  private static void carryOver(Path old, Path target) throws IOException {
    Set<String> owned = owned(old);
    if (!Files.exists(old.resolve(MARKER))) {
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
    try (var walk = Files.walk(old)) {
      for (Path p : walk.filter(Files::isRegularFile).toList()) {
        if (!owned.contains(old.relativize(p).toString().replace('\\', '/'))) {
          foreign.add(p);
        }
      }
    }
    for (Path p : foreign) {
      Path dest = target.resolve(old.relativize(p).toString());
      for (int n = 1; Files.exists(dest, java.nio.file.LinkOption.NOFOLLOW_LINKS); n++) {
        dest = target.resolve(old.relativize(p) + ".kept" + (n == 1 ? "" : "-" + n));
      }
      Files.createDirectories(dest.getParent());
      Files.move(p, dest, StandardCopyOption.ATOMIC_MOVE);
    }
  }

  private static void writeTree(Bundle bundle, Path root, boolean syncFiles) throws IOException {
    Files.createDirectory(root, DIR_MODE);
    // Files and folders are created with their modes, which the umask (or a default ACL) may
    // narrow; one look at the first folder says whether it narrowed anything rtc sets (0644 and
    // 0755 keep all their bits under the same mask as 0755), and only then is every mode set
    // again explicitly. Two dozen chmod calls a bundle, in a fleet of thousands, otherwise.
    boolean exact = Files.getPosixFilePermissions(root).equals(DIR);
    if (!exact) {
      Files.setPosixFilePermissions(root, DIR);
    }
    Set<Path> made = new java.util.HashSet<>();
    made.add(root);
    for (Bundle.Artifact a : bundle.files().values()) {
      Path file = root.resolve(a.path());
      mkdirs(file.getParent(), made, exact);
      writeFile(file, a.bytes(), a.executable() ? EXEC : FILE, syncFiles, exact);
    }
    writeFile(root.resolve(MARKER), "rtc bundle\n".getBytes(java.nio.charset.StandardCharsets.UTF_8), FILE, syncFiles, exact);
    if (syncFiles) {
      syncDirs(root);
    }
  }

  /** Creates the folders up to {@code dir} that are not in {@code made} (the ones this bundle has). */
  private static void mkdirs(Path dir, Set<Path> made, boolean exact) throws IOException {
    if (made.contains(dir)) {
      return;
    }
    mkdirs(dir.getParent(), made, exact);
    Files.createDirectory(dir, DIR_MODE);
    if (!exact) {
      Files.setPosixFilePermissions(dir, DIR);
    }
    made.add(dir);
  }

  private static void writeFile(Path file, byte[] bytes, Set<PosixFilePermission> mode, boolean sync, boolean exact)
      throws IOException {
    try (FileChannel ch = FileChannel.open(file, CREATE_NEW, PosixFilePermissions.asFileAttribute(mode))) {
      ByteBuffer buf = ByteBuffer.wrap(bytes);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      if (sync) {
        ch.force(true);
      }
    }
    if (!exact) {
      Files.setPosixFilePermissions(file, mode);
    }
  }

  private static void syncDirs(Path root) throws IOException {
    try (var walk = Files.walk(root)) {
      for (Path p : walk.filter(Files::isDirectory).toList()) {
        sync(p);
      }
    }
  }

  private static void sync(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  /** One stat (following links, as Files.exists does), or null when nothing is there. */
  private static BasicFileAttributes attributesOrNull(Path p) throws IOException {
    try {
      return Files.readAttributes(p, BasicFileAttributes.class);
    } catch (java.nio.file.NoSuchFileException e) {
      return null;
    }
  }

  private static boolean isEmpty(Path dir) throws IOException {
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
      return !s.iterator().hasNext();
    }
  }

  private static void deleteTree(Path root) throws IOException {
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
        Files.delete(dir);
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
