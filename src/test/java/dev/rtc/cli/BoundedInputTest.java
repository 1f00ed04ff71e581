package dev.rtc.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.rtc.Slow;
import dev.rtc.manifest.ManifestLoader;
import dev.rtc.manifest.diagnostics.ManifestException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files that never end, block, or are far too large: a character device ({@code /dev/zero},
 * {@code /dev/urandom}), a FIFO nobody writes, a 200 MB file. Each is refused, by every command
 * that reads a file a user names, at once and in bounded memory; before, {@code rtc validate
 * /dev/zero} grew to 4.3 GB and died, and a FIFO hung forever. The time of the refusal is taken
 * in this JVM (≤ 1 s each); the peak RSS in a JVM of its own, as the kernel counts it
 * (getrusage of the child), ≤ 256 MiB. Both are printed.
 */
@Slow
class BoundedInputTest {

  static final long MAX_RSS_KIB = 256 * 1024;

  @TempDir Path tmp;
  Path fifo;
  Path big;

  @BeforeEach
  void makeFiles() throws Exception {
    fifo = tmp.resolve("manifest.fifo");
    Process p = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
    assertThat(p.waitFor()).isZero();
    big = tmp.resolve("big.yaml");
    try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
      f.setLength(200_000_000L); // sparse: 200 MB to read, nothing on disk
    }
  }

  List<Path> hostile() {
    return List.of(Path.of("/dev/zero"), Path.of("/dev/urandom"), fifo, big);
  }

  @Test
  void everyManifestReaderRefusesThemAtOnce() {
    for (Path f : hostile()) {
      long started = System.nanoTime();
      ManifestException e = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
        try {
          ManifestLoader.read(f);
          return null;
        } catch (ManifestException x) {
          return x;
        }
      }, f + " hung");
      double ms = (System.nanoTime() - started) / 1e6;
      System.out.printf("bounded: %s refused in %.1f ms: %s%n", f.getFileName(), ms, e.diagnostics().get(0).render());
      assertThat(ms).as("%s", f).isLessThan(1000);
      assertThat(e.diagnostics()).singleElement().satisfies(d -> {
        assertThat(d.message()).containsAnyOf("character device", "FIFO", "200000000 bytes; rtc reads at most 1 MiB");
        assertThat(d.location().file()).isEqualTo(f.toString());
      });
    }
  }

  @Test
  void compileValidateExplainAndDiffEachRefuseThemWithExit1AndNoTrace() throws java.io.IOException {
    Path golden = dev.rtc.emit.Folders.goldenBundle("eci-reference", tmp.resolve("golden"));
    for (Path f : hostile()) {
      for (String[] args : List.of(new String[] {"validate", f.toString()}, new String[] {"explain", f.toString()},
          new String[] {"compile", f.toString(), "-o", tmp.resolve("out").toString()},
          new String[] {"diff", golden.toString(), f.toString()})) {
        CliTest.Outcome o = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> CliTest.rtc(args), String.join(" ", args));
        assertThat(o.exit()).as("%s: %s", String.join(" ", args), o.err()).isIn(Main.MANIFEST_ERRORS, Main.USAGE);
        assertThat(o.err()).as(String.join(" ", args)).doesNotContain("Exception").doesNotContain("\tat ")
            .containsAnyOf("character device", "FIFO", "200000000 bytes");
      }
      assertThat(tmp.resolve("out")).doesNotExist();
    }
  }

  @Test
  void aFleetRefusesTheDeviceAndCompilesTheRestLeavingNothingHalfDone() throws IOException {
    Path out = tmp.resolve("fleet");
    CliTest.Outcome o = CliTest.rtc("compile", "/dev/zero", fifo.toString(), CliTest.EXAMPLE.toString(), "-o", out.toString());
    assertThat(o.exit()).as(o.err()).isEqualTo(Main.MANIFEST_ERRORS);
    assertThat(out.resolve("eci-reference/.rtc-bundle")).exists();
    try (Stream<Path> s = Files.list(out)) {
      assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("eci-reference", ".eci-reference.rtc-lock");
    }
  }

  @Test
  void probeAndReportRefuseDevicesAndBinaryFilesInWords() throws IOException {
    Path garbage = tmp.resolve("garbage.bin");
    Files.write(garbage, new byte[] {'c', 'p', 'u', (byte) 0xff, (byte) 0xfe, 0, 1, 2});
    CliTest.Outcome probe = CliTest.rtc("probe", garbage.toString());
    assertThat(probe.exit()).isEqualTo(Main.USAGE);
    assertThat(probe.err()).contains("garbage.bin is not UTF-8 text (byte 0xff at offset 3)").doesNotContain("Input length");
    for (Path f : hostile()) {
      CliTest.Outcome p = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> CliTest.rtc("probe", f.toString()));
      assertThat(p.exit()).as(p.err()).isEqualTo(Main.USAGE);
      CliTest.Outcome r = assertTimeoutPreemptively(Duration.ofSeconds(10),
          () -> CliTest.rtc("report", f.toString(), "--great", "10", "--good", "20", "-o", tmp.resolve("r").toString()));
      assertThat(r.exit()).as(r.err()).isEqualTo(Main.USAGE);
      assertThat(p.err() + r.err()).doesNotContain("Exception");
    }
  }

  /** A JVM of its own per file, its peak RSS from getrusage(RUSAGE_CHILDREN) in a small Python wrapper. */
  @Test
  void peakMemoryOfARefusalStaysSmall() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String measure = "import resource, subprocess, sys, time\n"
        + "t = time.monotonic()\n"
        + "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)\n"
        + "print(r.returncode, round(time.monotonic() - t, 3), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n";
    for (Path f : hostile()) {
      List<String> cmd = new ArrayList<>(List.of("python3", "-c", measure, java, "-cp", System.getProperty("java.class.path"),
          Main.class.getName(), "validate", f.toString()));
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      assertThat(p.waitFor(90, TimeUnit.SECONDS)).isTrue();
      String[] got = new String(p.getInputStream().readAllBytes()).strip().split("\\s+");
      assertThat(got).as("measurement of %s", f).hasSize(3);
      long rssKib = Long.parseLong(got[2]);
      System.out.printf("bounded: rtc validate %s: exit %s, %s s wall (JVM start included), peak RSS %d MiB%n",
          f.getFileName(), got[0], got[1], rssKib / 1024);
      assertThat(Integer.parseInt(got[0])).isEqualTo(Main.MANIFEST_ERRORS);
      assertThat(rssKib).as("peak RSS of rtc validate %s, KiB", f).isLessThanOrEqualTo(MAX_RSS_KIB);
    }
  }
}
