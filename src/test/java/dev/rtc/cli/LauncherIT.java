package dev.rtc.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.emit.Tool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command, {@code ./rtc compile examples/eci-reference.yaml -o out/}, through
 * the launcher on the packaged jar (this runs after {@code package}): it makes its class-data
 * archive, writes the golden bundle, and the archive really holds what a compile loads, picocli's
 * Java 5 classes included (the reason it is a static archive).
 */
class LauncherIT {

  static final Path ROOT = Path.of("").toAbsolutePath();
  static final Path JAR = ROOT.resolve("target/rtc.jar");
  static final Path ARCHIVE = ROOT.resolve("target/rtc.jsa");

  @Test
  void theReadmeCommandWritesTheGoldenBundleWithItsClassDataArchive(@TempDir Path dir) throws IOException {
    assertThat(JAR).as("packaged before this runs").exists();
    Files.deleteIfExists(ARCHIVE);
    Path out = dir.resolve("out");
    Tool.Run run = new Tool(ROOT.resolve("rtc").toString()).run(ROOT, "compile", "examples/eci-reference.yaml", "-o", out.toString());
    assertThat(run.exit()).as(run.all()).isZero();
    assertThat(run.err()).as("the launcher says nothing when the jar is built").isEmpty();
    Map<String, String> golden = files(dev.rtc.emit.Folders.goldenBundle("eci-reference", dir.resolve("golden")));
    assertThat(run.out()).contains("wrote " + golden.size() + " files to " + out);
    assertThat(ARCHIVE).exists();
    Map<String, String> written = files(out);
    assertThat(written.remove(".rtc-bundle")).as("rtc's marker, not part of the golden bundle").isNotNull();
    assertThat(written).isEqualTo(golden);

    // -Xshare:on fails instead of running without the archive; the class log says where each class came from.
    Tool.Run shared = new Tool("java").run(ROOT, "-Xshare:on", "-XX:SharedArchiveFile=" + ARCHIVE, "-XX:TieredStopAtLevel=1",
        "-XX:+UseSerialGC", "-Xlog:class+load", "-jar", JAR.toString(), "compile", "examples/eci-reference.yaml", "-o", dir.resolve("again").toString());
    assertThat(shared.exit()).as(shared.err()).isZero();
    assertThat(shared.out()).contains("picocli.CommandLine source: shared objects file")
        .contains("dev.rtc.Compiler source: shared objects file")
        .contains("org.everit.json.schema.loader.SchemaLoader source: shared objects file");
    long fromJar = shared.out().lines().filter(l -> l.contains("source: file:")).count();
    assertThat(fromJar).as("classes read from the jar instead of the archive").isLessThan(20);
  }

  /**
   * First contact: rtc linked into a folder on PATH and run from anywhere (the launcher finds its
   * jar through the link), rtc init writes a manifest for a recorded host, and rtc compiles it.
   */
  @Test
  void aSymlinkedRtcInitsAndCompilesFromAnyFolder(@TempDir Path dir) throws IOException {
    assertThat(JAR).as("packaged before this runs").exists();
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path rtc = Files.createSymbolicLink(bin.resolve("rtc"), ROOT.resolve("rtc"));
    Path work = Files.createDirectories(dir.resolve("site"));
    Tool launcher = new Tool(rtc.toString());
    Tool.Run init = launcher.run(work, Map.of("PATH", bin + ":" + System.getenv("PATH")), "init",
        ROOT.resolve("src/test/resources/probe/xeon-2s-smt.facts").toString(), "-o", "manifest.yaml", "--name", "line-7");
    assertThat(init.exit()).as(init.all()).isZero();
    assertThat(init.err()).contains("gets the password").contains("compiles as written").doesNotContain("building");
    Tool.Run schema = launcher.run(work, Map.of(), "schema");
    Files.writeString(work.resolve("manifest.schema.json"), schema.out());
    Tool.Run compile = launcher.run(work, Map.of(), "compile", "manifest.yaml", "-o", "out");
    assertThat(compile.exit()).as(compile.all()).isZero();
    assertThat(work.resolve("out/runbook.sh")).exists();
  }

  /** The packaged jar answers --help, --version and completion from the texts written into it, which are picocli's own. */
  @Test
  void theInstantAnswersInTheJarAreWhatPicocliPrints(@TempDir Path dir) {
    Tool rtc = new Tool(ROOT.resolve("rtc").toString());
    assertThat(rtc.run(dir, "--help").out()).isEqualTo(Instant.help());
    assertThat(rtc.run(dir, "completion").out()).isEqualTo(Instant.completion());
    assertThat(rtc.run(dir, "--version").out()).isEqualTo("rtc " + dev.rtc.io.Version.get() + "\n");
  }

  /** Every file under {@code dir}, by relative path, with its bytes as text. */
  static Map<String, String> files(Path dir) throws IOException {
    Map<String, String> all = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.filter(Files::isRegularFile).toList()) {
        all.put(dir.relativize(p).toString(), Files.readString(p));
      }
    }
    return all;
  }
}
