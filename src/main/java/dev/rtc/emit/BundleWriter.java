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
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;

/**
 * The only code that writes a bundle to disk. The new bundle is written in full to a hidden
 * sibling folder and synced, then swapped in by rename: {@code out/} holds the old bundle or the
 * new one, never a mix, and nothing at all is touched when compiling failed (this is never
 * called then).
 */
public final class BundleWriter {

  /** Present in every folder rtc wrote; rtc replaces only such folders (or empty ones) unless forced. */
  public static final String MARKER = ".rtc-bundle";

  private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-r--r--");
  private static final Set<PosixFilePermission> EXEC = PosixFilePermissions.fromString("rwxr-xr-x");
  private static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwxr-xr-x");

  private BundleWriter() {}

  /** The output folder exists and holds something rtc did not write. */
  public static final class ForeignFolderException extends IOException {
    public ForeignFolderException(String message) {
      super(message);
    }
  }

  public static void write(Bundle bundle, Path out, boolean force) throws IOException {
    Path target = out.toAbsolutePath().normalize();
    if (Files.exists(target) && !Files.isDirectory(target)) {
      throw new ForeignFolderException(out + " exists and is not a folder");
    }
    if (Files.isDirectory(target) && !force && !isEmpty(target) && !Files.exists(target.resolve(MARKER))) {
      throw new ForeignFolderException(out + " exists and was not written by rtc (no " + MARKER
          + "); refusing to replace it. Choose another folder, or pass --force to replace it");
    }
    Path parent = target.getParent();
    Files.createDirectories(parent);
    recover(target);
    String suffix = HexFormat.of().formatHex(new SecureRandom().generateSeed(4));
    Path fresh = parent.resolve("." + target.getFileName() + ".rtc-new-" + suffix);
    try {
      writeTree(bundle, fresh);
      if (Files.exists(target)) {
        Path old = parent.resolve("." + target.getFileName() + ".rtc-old-" + suffix);
        Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        Files.move(fresh, target, StandardCopyOption.ATOMIC_MOVE);
        deleteTree(old);
      } else {
        Files.move(fresh, target, StandardCopyOption.ATOMIC_MOVE);
      }
      sync(parent);
    } finally {
      if (Files.exists(fresh)) {
        deleteTree(fresh);
      }
    }
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
        } else if (name.startsWith(prefix + ".rtc-new-") || name.startsWith(prefix + ".rtc-old-")) {
          deleteTree(p);
        }
      }
    }
  }

  private static void writeTree(Bundle bundle, Path root) throws IOException {
    Files.createDirectory(root);
    Files.setPosixFilePermissions(root, DIR);
    for (Bundle.Artifact a : bundle.files().values()) {
      Path file = root.resolve(a.path());
      mkdirs(root, file.getParent());
      writeFile(file, a.bytes(), a.executable() ? EXEC : FILE);
    }
    writeFile(root.resolve(MARKER), "rtc bundle\n".getBytes(java.nio.charset.StandardCharsets.UTF_8), FILE);
    syncDirs(root);
  }

  /** Creates directories with fixed permissions, whatever the umask. */
  private static void mkdirs(Path root, Path dir) throws IOException {
    if (dir.equals(root) || Files.isDirectory(dir)) {
      return;
    }
    mkdirs(root, dir.getParent());
    Files.createDirectory(dir);
    Files.setPosixFilePermissions(dir, DIR);
  }

  private static void writeFile(Path file, byte[] bytes, Set<PosixFilePermission> mode) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer buf = ByteBuffer.wrap(bytes);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    }
    Files.setPosixFilePermissions(file, mode);
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
