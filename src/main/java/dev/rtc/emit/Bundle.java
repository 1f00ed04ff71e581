package dev.rtc.emit;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The compiled bundle in memory: relative path → artifact. Paths are claimed once (two emitters
 * writing one path is a bug, caught here), and iteration is in path order so that every listing
 * and checksum file is stable.
 */
public final class Bundle {

  /** A file's mode in the bundle: what anyone may read, what runs, and what only its owner may read. */
  public enum Mode {
    FILE("rw-r--r--", "0644"), EXECUTABLE("rwxr-xr-x", "0755"),
    /** Files that hold a password hash or a credential (cloud-init's user-data): the owner's alone. */
    SECRET("rw-------", "0600");

    private final String permissions;
    private final String octal;

    Mode(String permissions, String octal) {
      this.permissions = permissions;
      this.octal = octal;
    }

    /** As {@code PosixFilePermissions.fromString} takes it. */
    public String permissions() {
      return permissions;
    }

    public String octal() {
      return octal;
    }
  }

  /** One file of the bundle, with its mode. */
  public record Artifact(String path, byte[] bytes, Mode mode) {
    public Artifact(String path, byte[] bytes, boolean executable) {
      this(path, bytes, executable ? Mode.EXECUTABLE : Mode.FILE);
    }

    public boolean executable() {
      return mode == Mode.EXECUTABLE;
    }

    public String text() {
      return new String(bytes, StandardCharsets.UTF_8);
    }
  }

  private final SortedMap<String, Artifact> files = new TreeMap<>();

  public void add(String path, String text) {
    add(new Artifact(path, text.getBytes(StandardCharsets.UTF_8), false));
  }

  public void addExecutable(String path, String text) {
    add(new Artifact(path, text.getBytes(StandardCharsets.UTF_8), true));
  }

  /** A file already encoded as UTF-8 (the emitters' {@link TextWriter#utf8()}). */
  void add(String path, byte[] utf8) {
    add(new Artifact(path, utf8, false));
  }

  void addExecutable(String path, byte[] utf8) {
    add(new Artifact(path, utf8, true));
  }

  public void add(Artifact a) {
    if (a.path().startsWith("/") || a.path().contains("..") || a.path().contains("\\")) {
      throw new IllegalArgumentException("bundle paths are relative and plain: " + a.path());
    }
    if (files.putIfAbsent(a.path(), a) != null) {
      throw new IllegalStateException("two artifacts claim " + a.path());
    }
  }

  public Map<String, Artifact> files() {
    return Collections.unmodifiableMap(new LinkedHashMap<>(files));
  }

  public Artifact get(String path) {
    return files.get(path);
  }
}
