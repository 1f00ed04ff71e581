package dev.rtc.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
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
 * The fleet's crash guarantee, tested with a real kill: a fleet compile that replaces 40 bundles
 * is killed (SIGKILL) at moments spread over its run, from JVM start-up through staging and the
 * one file-system barrier, and once the instant its first bundle is swapped in (among the renames). After every kill, each bundle is wholly the old one or
 * wholly the new one: its SHA256SUMS is one of the two, every file it lists has that content,
 * and nothing else is in the folder. The next run, not killed, brings every bundle to new and
 * leaves no staging folder behind. (A power loss is the barrier's part: every staged file is
 * durable before the first rename, BundleWriterTest.)
 */
class FleetKillIT {

  static final Path ROOT = Path.of("").toAbsolutePath();
  static final Path JAR = ROOT.resolve("target/rtc.jar");
  static final int BUNDLES = 40;

  @Test
  void aKilledFleetLeavesEachBundleOldOrNew(@TempDir Path dir) throws Exception {
    assertThat(JAR).as("packaged before this runs").exists();
    String reference = Files.readString(ROOT.resolve("examples/eci-reference.yaml"));
    Path oldHosts = Files.createDirectories(dir.resolve("old"));
    Path newHosts = Files.createDirectories(dir.resolve("new"));
    for (int i = 0; i < BUNDLES; i++) {
      String named = reference.replace("name: eci-reference", "name: line-" + i);
      Files.writeString(oldHosts.resolve("line-" + i + ".yaml"), named);
      // Another stress workload: the domain, the user-data and the plan differ, and every file's header.
      Files.writeString(newHosts.resolve("line-" + i + ".yaml"), named.replace("workload: kernel-build", "workload: stress-ng"));
    }
    assertThat(Files.readString(newHosts.resolve("line-0.yaml"))).contains("workload: stress-ng");
    Path oldOut = dir.resolve("old-out");
    Path newOut = dir.resolve("new-out");
    assertThat(rtc(oldHosts, oldOut).waitFor()).isZero();
    assertThat(rtc(newHosts, newOut).waitFor()).isZero();
    Path out = dir.resolve("out");
    copyTree(oldOut, out);
    long full = timed(newHosts, out); // a run that replaces the old bundles, as the killed ones do
    deleteTree(out);

    int sawOld = 0;
    int sawNew = 0;
    String newSums = Files.readString(newOut.resolve("line-0/SHA256SUMS"));
    for (int trial = 0; trial < 8; trial++) {
      copyTree(oldOut, out);
      Process p = rtc(newHosts, out);
      if (trial < 6) {
        // At 5%, 20%, ... 80% of a whole run: start-up, reading, staging, the barrier.
        p.waitFor(full * (5 + trial * 15) / 100, TimeUnit.MILLISECONDS);
      } else if (trial == 6) {
        // The moment the first bundle is swapped in: the kill lands among the renames.
        while (p.isAlive() && !newSums.equals(readOrEmpty(out.resolve("line-0/SHA256SUMS")))) {
          Thread.onSpinWait();
        }
      } else {
        p.waitFor(); // and a run that finished: every bundle new
      }
      if (p.isAlive()) {
        p.destroyForcibly(); // SIGKILL: no shutdown hooks, no finally blocks
      }
      p.waitFor();
      for (int i = 0; i < BUNDLES; i++) {
        String state = state(out.resolve("line-" + i), oldOut.resolve("line-" + i), newOut.resolve("line-" + i));
        sawOld += state.equals("old") ? 1 : 0;
        sawNew += state.equals("new") ? 1 : 0;
      }
      // The next run mends whatever the kill left and brings everything to new.
      assertThat(rtc(newHosts, out).waitFor()).isZero();
      for (int i = 0; i < BUNDLES; i++) {
        assertThat(state(out.resolve("line-" + i), oldOut.resolve("line-" + i), newOut.resolve("line-" + i))).isEqualTo("new");
      }
      try (Stream<Path> s = Files.list(out)) {
        // Lock files stay by design (OutputLock says why); staged and set-aside bundles must not.
        assertThat(s.map(p2 -> p2.getFileName().toString()).filter(n -> n.matches(".*\\.rtc-(new|old|del)-.*")))
            .as("staging left after a whole run").isEmpty();
      }
      deleteTree(out);
    }
    // The kills landed both before and after bundles were swapped: the test saw both states.
    assertThat(sawOld).isPositive();
    assertThat(sawNew).isPositive();
  }

  /**
   * "old" or "new": the bundle is wholly one of them (fails otherwise). A kill in the microseconds
   * between a swap's two renames (the old bundle moved aside, the new one not yet in) leaves no
   * folder at the bundle's name but the old bundle whole beside it, as .NAME.rtc-old-*, and the
   * new one staged whole: "aside", which the next run mends.
   */
  private static String state(Path bundle, Path old, Path fresh) throws Exception {
    if (!Files.exists(bundle)) {
      List<Path> aside;
      try (Stream<Path> s = Files.list(bundle.getParent())) {
        aside = s.filter(p -> p.getFileName().toString().startsWith("." + bundle.getFileName() + ".rtc-old-")).toList();
      }
      assertThat(aside).as(bundle + " is gone and no old bundle is beside it").hasSize(1);
      assertThat(state(aside.get(0), old, fresh)).isEqualTo("old");
      return "aside";
    }
    String sums = Files.readString(bundle.resolve("SHA256SUMS"));
    String which = sums.equals(Files.readString(old.resolve("SHA256SUMS"))) ? "old"
        : sums.equals(Files.readString(fresh.resolve("SHA256SUMS"))) ? "new" : null;
    assertThat(which).as(bundle + "'s SHA256SUMS is neither the old nor the new one").isNotNull();
    Map<String, String> listed = new TreeMap<>();
    for (String line : sums.split("\n")) {
      listed.put(line.substring(66), line.substring(0, 64));
    }
    Map<String, String> found = new TreeMap<>();
    try (Stream<Path> s = Files.walk(bundle)) {
      for (Path f : s.filter(Files::isRegularFile).toList()) {
        String rel = bundle.relativize(f).toString();
        if (!rel.equals("SHA256SUMS") && !rel.equals(".rtc-bundle")) {
          found.put(rel, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f))));
        }
      }
    }
    assertThat(found).as(bundle + " holds exactly the files of its SHA256SUMS (" + which + ")").isEqualTo(listed);
    return which;
  }

  private static String readOrEmpty(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return ""; // not there yet, or moved aside this instant
    }
  }

  private static Process rtc(Path hosts, Path out) throws IOException {
    return new ProcessBuilder("java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", JAR.toString(), "compile", hosts.toString(),
        "-o", out.toString()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
  }

  /** Milliseconds of one whole run of rtc compile {@code hosts} -o {@code out}. */
  private static long timed(Path hosts, Path out) throws Exception {
    long start = System.nanoTime();
    assertThat(rtc(hosts, out).waitFor()).isZero();
    return Math.max(200, (System.nanoTime() - start) / 1_000_000);
  }

  private static void copyTree(Path from, Path to) throws IOException {
    List<Path> all;
    try (Stream<Path> s = Files.walk(from)) {
      all = new ArrayList<>(s.toList());
    }
    for (Path p : all) {
      Path t = to.resolve(from.relativize(p).toString());
      if (Files.isDirectory(p)) {
        Files.createDirectories(t);
      } else {
        Files.copy(p, t);
        if (Files.isExecutable(p)) {
          t.toFile().setExecutable(true, false);
        }
      }
    }
    assertThat(Files.readString(to.resolve("line-0/SHA256SUMS"), StandardCharsets.UTF_8)).isNotEmpty();
  }

  private static void deleteTree(Path p) throws IOException {
    try (Stream<Path> s = Files.walk(p)) {
      for (Path f : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(f);
      }
    }
  }
}
