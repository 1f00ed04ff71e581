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
import java.util.Optional;
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
  private static final Set<PosixFilePermission> SECRET = PosixFilePermissions.fromString("rw-------");
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
      Staged staged = stage(bundle, target, !large, true);
      try {
        if (large) {
          barrier(List.of(staged));
        }
        staged.swap(out, force);
        sync(staged.parent());
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
    BasicFileAttributes existing = attributesOrNull(target);
    if (existing != null && !existing.isDirectory()) {
      throw new ForeignFolderException(out + " exists and is not a folder");
    }
    if (existing != null && !force && !isEmpty(target) && !Files.exists(target.resolve(MARKER))) {
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
      refuseForeign(target, out, force);
      Set<Path> stale = leftovers.computeIfAbsent(target.getParent(), Fleet::scan);
      if (stale.contains(target)) {
        try (OutputLock lock = OutputLock.acquire(target)) {
          recover(target);
        }
      }
      Staged staged = BundleWriter.stage(bundle, target, false, false);
      staged.out = out;
      return staged;
    }

    private static Set<Path> scan(Path parent) {
      Set<Path> found = new java.util.HashSet<>();
      if (Files.isDirectory(parent)) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(parent, ".*.rtc-*")) {
          for (Path p : ds) {
            java.util.regex.Matcher m = LEFTOVER.matcher(p.getFileName().toString());
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
        retire(old, target);
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
        // Left for a later run's recover(), which deletes .rtc-new-* folders whose writer is dead.
      }
    }
  }

  private static final java.util.concurrent.atomic.AtomicLong SEQUENCE = new java.util.concurrent.atomic.AtomicLong();

  /** What names a leftover sibling of bundle folder NAME: {@code .NAME.rtc-new-SUFFIX}, {@code -old-} or {@code -del-}. */
  private static final java.util.regex.Pattern LEFTOVER = java.util.regex.Pattern.compile("^\\.(.*)\\.rtc-(new|old|del)-(.*)$");

  /**
   * This process, as a staging folder's name says it: pid and start time (ms since the epoch),
   * so that a later run can tell whether the writer of a {@code .rtc-new-*} folder still lives,
   * even when its pid has since been given to another process.
   */
  private static final String SELF = ProcessHandle.current().pid() + "-" + startMillis(ProcessHandle.current());

  private static long startMillis(ProcessHandle p) {
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

  private static Staged stage(Bundle bundle, Path target, boolean syncFiles, boolean scanForLeftovers) throws IOException {
    Path parent = target.getParent();
    if (!Files.isDirectory(parent)) { // a fleet stages thousands of bundles in one existing parent
      Files.createDirectories(parent);
    }
    if (scanForLeftovers) {
      recover(target);
    }
    // Unique among concurrent rtc processes (pid, start) and within one (sequence); never in the bundle.
    String suffix = SELF + "-" + SEQUENCE.incrementAndGet();
    Path fresh = parent.resolve("." + target.getFileName() + ".rtc-new-" + suffix);
    Staged staged = new Staged(target, fresh, suffix);
    try {
      writeTree(bundle, fresh, syncFiles);
    } catch (IOException | RuntimeException | Error e) {
      staged.discard();
      throw e;
    }
    return staged;
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
  private static void recover(Path target) throws IOException {
    String prefix = "." + target.getFileName();
    try (DirectoryStream<Path> siblings = Files.newDirectoryStream(target.getParent(), prefix + ".rtc-*")) {
      for (Path p : siblings) {
        String name = p.getFileName().toString();
        if (name.startsWith(prefix + ".rtc-old-") && !Files.exists(target) && Files.exists(p.resolve(MARKER))) {
          Files.move(p, target, StandardCopyOption.ATOMIC_MOVE);
        } else if (name.startsWith(prefix + ".rtc-old-")) {
          retire(p, target); // a swap cut short after its renames: what was not rtc's goes on
        } else if (name.startsWith(prefix + ".rtc-del-")) {
          deleteTree(p); // an old bundle whose other files were carried over: the rest was rtc's
        } else if (name.startsWith(prefix + ".rtc-new-") && !writerAlive(name.substring((prefix + ".rtc-new-").length()))) {
          deleteTree(p);
        }
      }
    }
  }

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
            && Files.isRegularFile(p.resolve(MARKER))) {
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
    Path target = target(bundle);
    try (OutputLock lock = OutputLock.acquire(target)) {
      Set<String> owned = owned(target);
      List<String> kept = new ArrayList<>();
      try (var walk = Files.walk(target)) {
        for (Path p : walk.filter(f -> !Files.isDirectory(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)).sorted().toList()) {
          String rel = target.relativize(p).toString().replace('\\', '/');
          if (owned.contains(rel) && !rel.equals(MARKER) && Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.delete(p);
          } else if (!rel.equals(MARKER)) {
            kept.add(rel);
          }
        }
      }
      Files.deleteIfExists(target.resolve(MARKER));
      try (var walk = Files.walk(target)) {
        for (Path d : walk.filter(Files::isDirectory).sorted(java.util.Comparator.reverseOrder()).toList()) {
          if (isEmpty(d)) {
            Files.delete(d);
          }
        }
      }
      sync(target.getParent());
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
    Set<String> owned = new java.util.HashSet<>(Set.of("SHA256SUMS", MARKER));
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

  /**
   * Carries over what in the old bundle folder was not rtc's, then deletes the rest. Between the
   * two the folder is renamed .NAME.rtc-del-*: deleting it file by file, a kill could leave its
   * marker or SHA256SUMS gone and rtc's own files still there, which the next run's recovery would
   * otherwise take for the user's and carry into the new bundle as .kept files. Moved files are
   * made durable before the rename, so a power loss cannot return one to a folder marked for
   * deletion.
   */
  private static void retire(Path old, Path target) throws IOException {
    Tree tree = Tree.of(old);
    Set<Path> touched = carryOver(old, target, tree.files());
    for (Path dir : touched) {
      sync(dir);
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
        deleteTree(gone); // something the listing did not have: the slow way
      }
    }
  }

  /** What is under a folder: its files (links and others too, not followed), and its folders, each after what it holds, itself last. */
  private record Tree(List<Path> files, List<Path> folders) {
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
  private static Set<Path> carryOver(Path old, Path target, List<Path> files) throws IOException {
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
      writeFile(file, a.bytes(), switch (a.mode()) {
        case FILE -> FILE;
        case EXECUTABLE -> EXEC;
        case SECRET -> SECRET;
      }, syncFiles, exact);
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
