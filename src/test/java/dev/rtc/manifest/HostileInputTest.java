package dev.rtc.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.rtc.Slow;
import dev.rtc.manifest.diagnostics.Code;
import dev.rtc.manifest.diagnostics.Diagnostic;
import dev.rtc.manifest.diagnostics.ManifestException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inputs built to exhaust a parser: each is refused by a structural limit (size, depth, aliases,
 * cpulist bounds) before it can cost memory or time. The limits are what the test checks; the
 * printed times are for the record, not asserted.
 */
@Slow
class HostileInputTest {

  @TempDir Path tmp;

  static List<Diagnostic> refuse(Runnable r) {
    ManifestException e = catchThrowableOfType(ManifestException.class, r::run);
    assertThat(e).as("must be refused").isNotNull();
    return e.diagnostics();
  }

  @Test
  void aFiftyMegabyteFileIsRefusedBeforeItIsRead() throws IOException {
    Path big = tmp.resolve("big.yaml");
    try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
      f.setLength(50L << 20); // sparse: if rtc read it, the test would still be fast, so check the reason
    }
    long t = System.nanoTime();
    List<Diagnostic> d = refuse(() -> ManifestLoader.read(big));
    System.out.printf("hostile: 50 MiB file refused in %.1f ms%n", (System.nanoTime() - t) / 1e6);
    assertThat(d).singleElement().satisfies(x -> {
      assertThat(x.code()).isEqualTo(Code.RTC005);
      assertThat(x.message()).contains("52428800 bytes").contains("rtc reads at most 1 MiB");
    });
  }

  @Test
  void deepNestingJustUnderTheSizeLimitIsRefusedByDepth() {
    String deep = "apiVersion: rtc/v1\nx: " + "[".repeat(ManifestLoader.MAX_BYTES / 2) + "\n";
    long t = System.nanoTime();
    List<Diagnostic> d = refuse(() -> ManifestLoader.parse(new ManifestLoader.Source("deep.yaml", deep.getBytes(StandardCharsets.UTF_8))));
    System.out.printf("hostile: %d-deep nesting refused in %.1f ms%n", ManifestLoader.MAX_BYTES / 2, (System.nanoTime() - t) / 1e6);
    assertThat(d).extracting(Diagnostic::code).containsAnyOf(Code.RTC005, Code.RTC002);
    assertThat(d).hasSize(1);
  }

  @Test
  void aBillionLaughsIsRefusedAtItsFirstAnchor() {
    StringBuilder bomb = new StringBuilder("apiVersion: rtc/v1\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for (char c = 'b'; c <= 'z'; c++) {
      bomb.append(c).append(": &").append(c).append(" [").append(("*" + (char) (c - 1) + ", ").repeat(9)).append("x]\n");
    }
    long t = System.nanoTime();
    List<Diagnostic> d = refuse(() -> ManifestLoader.parse(new ManifestLoader.Source("bomb.yaml", bomb.toString().getBytes(StandardCharsets.UTF_8))));
    System.out.printf("hostile: alias bomb (9^25 nodes if expanded) refused in %.1f ms%n", (System.nanoTime() - t) / 1e6);
    assertThat(d).singleElement().satisfies(x -> {
      assertThat(x.code()).isEqualTo(Code.RTC003);
      assertThat(x.location().line()).isEqualTo(2);
    });
  }

  @Test
  void aHugeCpuRangeIsRefusedWithoutAllocatingIt() {
    Runtime rt = Runtime.getRuntime();
    long before = rt.totalMemory() - rt.freeMemory();
    var e = catchThrowableOfType(dev.rtc.topology.CpuSet.SyntaxException.class, () -> dev.rtc.topology.CpuSet.parse("0-4294967295"));
    assertThat(e).isNotNull();
    assertThat(e.getMessage()).contains("8191");
    long grown = (rt.totalMemory() - rt.freeMemory()) - before;
    assertThat(grown).as("bytes allocated refusing 0-4294967295").isLessThan(64L << 20);
  }

  @Test
  void aMillionShortLinesOfGarbageGiveOneLocatedError() {
    String garbage = "apiVersion: rtc/v1\n" + "- : : ]\n".repeat(100_000);
    List<Diagnostic> d = refuse(() -> ManifestLoader.parse(new ManifestLoader.Source("garbage.yaml", garbage.getBytes(StandardCharsets.UTF_8))));
    assertThat(d).singleElement().satisfies(x -> {
      assertThat(x.code()).isEqualTo(Code.RTC002);
      assertThat(x.location().line()).isBetween(1, 3);
    });
  }
}
