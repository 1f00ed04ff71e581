package dev.rtc.bundle;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import dev.rtc.emit.Bundle;

/**
 * Writes a bundle's tree into a new folder, each file and folder created with its mode (0644,
 * 0755, 0600 for secrets), synced file by file or left for one barrier: the staging half of
 * {@link BundleWriter}'s swap.
 */
final class StagedTree {

  private StagedTree() {}

  static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-r--r--");

  static final Set<PosixFilePermission> EXEC = PosixFilePermissions.fromString("rwxr-xr-x");

  static final Set<PosixFilePermission> SECRET = PosixFilePermissions.fromString("rw-------");

  static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwxr-xr-x");

  static final FileAttribute<Set<PosixFilePermission>> DIR_MODE = PosixFilePermissions.asFileAttribute(DIR);

  static final Set<StandardOpenOption> CREATE_NEW = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);

  static BundleWriter.Staged stage(Bundle bundle, Path target, boolean syncFiles, boolean scanForLeftovers) throws IOException {
    Path parent = target.getParent();
    if (!Files.isDirectory(parent)) { // a fleet stages thousands of bundles in one existing parent
      Files.createDirectories(parent);
    }
    if (scanForLeftovers) {
      Leftovers.recover(target);
    }
    // Unique among concurrent rtc processes (pid, start) and within one (sequence); never in the bundle.
    String suffix = Leftovers.SELF + "-" + Leftovers.SEQUENCE.incrementAndGet();
    Path fresh = parent.resolve("." + target.getFileName() + ".rtc-new-" + suffix);
    BundleWriter.Staged staged = new BundleWriter.Staged(target, fresh, suffix);
    try {
      writeTree(bundle, fresh, syncFiles);
    } catch (IOException | RuntimeException | Error e) {
      staged.discard();
      throw e;
    }
    return staged;
  }

  static void writeTree(Bundle bundle, Path root, boolean syncFiles) throws IOException {
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
    writeFile(root.resolve(BundleWriter.MARKER), "rtc bundle\n".getBytes(java.nio.charset.StandardCharsets.UTF_8), FILE, syncFiles, exact);
    if (syncFiles) {
      Disk.syncDirs(root);
    }
  }

  /** Creates the folders up to {@code dir} that are not in {@code made} (the ones this bundle has). */
  static void mkdirs(Path dir, Set<Path> made, boolean exact) throws IOException {
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

  static void writeFile(Path file, byte[] bytes, Set<PosixFilePermission> mode, boolean sync, boolean exact)
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
}
