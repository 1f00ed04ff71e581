package dev.rtc.cli;

import dev.rtc.Slow;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two rtc processes compiling into the same {@code -o} at the same moment, 100 rounds for one
 * bundle and 100 for a fleet. Before the folder lock, 12 to 15 of 40 rounds broke the bundle (a
 * file or the marker gone), fleet bundles vanished, and some rounds ended in exit 3. Now, in every
 * round: each process exits 0 (it wrote) or 4 (the other held a folder, and it said so), for one
 * bundle at least one wrote, every bundle on disk is whole and exactly what its manifest compiles
 * to, and nothing is left beside them but the folder locks.
 */
@Slow
class ConcurrentWritersTest {

  static final int ROUNDS = Integer.getInteger("concurrent.rounds", 100);

  @TempDir Path tmp;

  @Test
  void oneBundleWrittenByTwoProcessesAtOnceIsAlwaysWhole() throws Exception {
    race("single", List.of(CliTest.EXAMPLE.toString()));
  }

  @Test
  void aFleetWrittenByTwoProcessesAtOnceLosesNoBundle() throws Exception {
    List<String> fleet = new ArrayList<>();
    try (Stream<Path> s = Files.list(Path.of("examples"))) {
      s.filter(p -> p.toString().endsWith(".yaml")).sorted().limit(4).forEach(p -> fleet.add(p.toAbsolutePath().toString()));
    }
    race("fleet", fleet);
  }

  private void race(String label, List<String> manifests) throws Exception {
    Path sync = Files.createDirectories(tmp.resolve("sync"));
    Path out = tmp.resolve("out");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<Process> writers = new ArrayList<>();
    long started = System.nanoTime();
    for (int id = 0; id < 2; id++) {
      List<String> cmd = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp",
          System.getProperty("java.class.path"), ConcurrentWriter.class.getName(), sync.toString(), Integer.toString(id),
          Integer.toString(ROUNDS), out.toString()));
      cmd.addAll(manifests);
      writers.add(new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("writer-" + id + ".log").toFile()).start());
    }
    for (int id = 0; id < 2; id++) {
      assertThat(writers.get(id).waitFor(20, TimeUnit.MINUTES)).isTrue();
      assertThat(writers.get(id).exitValue()).as(Files.readString(tmp.resolve("writer-" + id + ".log"))).isZero();
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    List<String> a = Files.readAllLines(sync.resolve("results-0"));
    List<String> b = Files.readAllLines(sync.resolve("results-1"));
    List<String> verify = Files.readAllLines(sync.resolve("verify"));
    assertThat(a).hasSize(ROUNDS);
    assertThat(b).hasSize(ROUNDS);
    assertThat(verify).hasSize(ROUNDS);
    List<String> lines = new java.util.ArrayList<>(a);
    lines.addAll(b);
    long refused = lines.stream().filter(l -> code(l) == Main.IO).count();
    long internal = lines.stream().filter(l -> code(l) == Main.INTERNAL).count();
    long broken = verify.stream().filter(l -> !l.endsWith(" ok")).count();
    System.out.printf("concurrent %s: %d rounds of 2 writers (%d manifest%s) in %.1f s; %d writes refused as busy (exit 4), "
        + "%d exit 3, %d rounds with a broken or missing bundle%n", label, ROUNDS, manifests.size(), manifests.size() == 1 ? "" : "s",
        seconds, refused, internal, broken);
    for (int r = 0; r < ROUNDS; r++) {
      int ca = code(a.get(r));
      int cb = code(b.get(r));
      assertThat(List.of(ca, cb)).as("round %d: %s | %s", r, a.get(r), b.get(r)).allMatch(c -> c == Main.OK || c == Main.IO);
      if (manifests.size() == 1) {
        // One folder: whoever was refused, the other wrote it. (In a fleet each may lose a different
        // bundle to the other; that every bundle is whole after the round is what counts there.)
        assertThat(List.of(ca, cb)).as("round %d: one of them wrote the bundle", r).contains(Main.OK);
      }
      for (String line : List.of(a.get(r), b.get(r))) {
        if (code(line) == Main.IO) {
          assertThat(line).as("round %d", r).contains("another_rtc");
        }
      }
    }
    assertThat(verify).as("what was on disk after each round").allMatch(l -> l.endsWith(" ok"));
  }

  private static int code(String resultLine) {
    return Integer.parseInt(resultLine.split(" ")[1]);
  }
}
