package dev.rtc.cli;

import dev.rtc.Slow;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Same manifest, same bytes: rtc runs in fresh JVMs under different time zones, locales, default
 * charsets and umasks, from a different working folder, and every bundle must be identical,
 * byte for byte and mode for mode.
 */
@Slow
class DeterminismTest {

  @TempDir Path tmp;

  record Setting(String name, Map<String, String> env, String fileEncoding, String umask) {}

  @Test
  void theBundleIsTheSameUnderEveryLocaleTimeZoneCharsetAndUmask() throws Exception {
    Path manifest = Path.of("examples/eci-reference.yaml").toAbsolutePath();
    List<Setting> settings = List.of(
        new Setting("baseline", Map.of("TZ", "UTC", "LANG", "C.UTF-8", "LC_ALL", "C.UTF-8"), "UTF-8", "022"),
        new Setting("tokyo-japanese", Map.of("TZ", "Asia/Tokyo", "LANG", "ja_JP.UTF-8", "LC_ALL", "ja_JP.UTF-8"), "UTF-8", "022"),
        new Setting("turkish-latin1", Map.of("TZ", "Europe/Istanbul", "LANG", "tr_TR.ISO-8859-9", "LC_ALL", "tr_TR.ISO-8859-9"), "ISO-8859-9", "077"),
        new Setting("german-ascii", Map.of("TZ", "America/St_Johns", "LANG", "de_DE", "LC_ALL", "de_DE"), "US-ASCII", "002"),
        new Setting("posix-umask0", Map.of("TZ", "Pacific/Chatham", "LANG", "POSIX", "LC_ALL", "POSIX"), "ANSI_X3.4-1968", "000"));
    Map<String, String> reference = null;
    for (Setting s : settings) {
      Path cwd = Files.createDirectories(tmp.resolve("cwd-" + s.name()));
      Path out = tmp.resolve("out-" + s.name());
      List<String> cmd = new ArrayList<>(List.of("sh", "-c", "umask " + s.umask() + " && exec \"$@\"", "sh",
          Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Dfile.encoding=" + s.fileEncoding(), "-Duser.language=" + s.env().get("LANG").substring(0, Math.min(2, s.env().get("LANG").length())),
          "-cp", System.getProperty("java.class.path"), Main.class.getName(), "compile", manifest.toString(), "-o", out.toString()));
      ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true);
      pb.environment().putAll(s.env());
      Path log = tmp.resolve(s.name() + ".log");
      pb.redirectOutput(log.toFile());
      Process p = pb.start();
      assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as("%s: %s", s.name(), Files.readString(log)).isZero();
      Map<String, String> bundle = fingerprint(out);
      if (reference == null) {
        reference = bundle;
        assertThat(bundle).hasSizeGreaterThan(10);
      } else {
        assertThat(bundle).as("bundle under %s", s.name()).isEqualTo(reference);
      }
    }
  }

  /** Path → mode and SHA-256 of every file and folder. */
  static Map<String, String> fingerprint(Path dir) throws IOException, java.security.NoSuchAlgorithmException {
    Map<String, String> out = new TreeMap<>();
    var sha = java.security.MessageDigest.getInstance("SHA-256");
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.toList()) {
        String mode = java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
        String rel = dir.relativize(p).toString().replace(File.separatorChar, '/');
        out.put(rel.isEmpty() ? "." : rel, mode + (Files.isRegularFile(p) ? " " + HexFormat.of().formatHex(sha.digest(Files.readAllBytes(p))) : ""));
      }
    }
    return out;
  }
}
