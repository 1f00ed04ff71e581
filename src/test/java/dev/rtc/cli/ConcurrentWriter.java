package dev.rtc.cli;

import dev.rtc.Compiler;
import dev.rtc.bundle.BundleComparison;
import dev.rtc.emit.Bundle;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One of two rtc processes that write the same output folder at the same moment, round after
 * round, for {@link ConcurrentWritersTest}. Both meet at a file barrier before each round, run
 * {@code rtc compile} in-process, and meet again; then process 0 checks what is on disk against
 * what the manifests compile to, and both meet a third time before the next round.
 *
 * <p>Arguments: SYNC_DIR ID(0|1) ROUNDS OUT MANIFEST... ({@code -o OUT} is added; several
 * manifests make a fleet). Writes {@code results-ID} (round, exit code, first line of stderr) and,
 * from process 0, {@code verify} (round, "ok" or what was wrong).
 */
public final class ConcurrentWriter {

  private ConcurrentWriter() {}

  public static void main(String[] a) throws Exception {
    Path sync = Path.of(a[0]);
    int id = Integer.parseInt(a[1]);
    int rounds = Integer.parseInt(a[2]);
    Path out = Path.of(a[3]);
    List<String> manifests = Arrays.asList(a).subList(4, a.length);
    List<String> args = new ArrayList<>(List.of("compile"));
    args.addAll(manifests);
    args.addAll(List.of("-o", out.toString(), "-j", "1"));
    Map<Path, Bundle> expected = new LinkedHashMap<>();
    if (id == 0) {
      Compiler c = new Compiler();
      for (String m : manifests) {
        Compiler.Result r = c.compile(Path.of(m));
        expected.put(manifests.size() == 1 ? out : out.resolve(r.plan().name()), r.bundle());
      }
    }
    try (PrintWriter results = new PrintWriter(Files.newBufferedWriter(sync.resolve("results-" + id)));
        PrintWriter verify = id == 0 ? new PrintWriter(Files.newBufferedWriter(sync.resolve("verify"))) : null) {
      for (int r = 0; r < rounds; r++) {
        meet(sync, "go-" + r, id);
        StringWriter err = new StringWriter();
        int code = Main.run(args.toArray(String[]::new), new PrintWriter(new StringWriter()), new PrintWriter(err, true));
        results.println(r + " " + code + " " + String.join("|", err.toString().lines().toList()).replace(' ', '_'));
        results.flush();
        meet(sync, "done-" + r, id);
        if (verify != null) {
          verify.println(r + " " + check(expected, out));
          verify.flush();
        }
        meet(sync, "checked-" + r, id);
      }
    }
  }

  /** "ok", or what is wrong on disk: a missing or broken bundle, or leftovers beside it. */
  static String check(Map<Path, Bundle> expected, Path out) throws IOException {
    List<String> wrong = new ArrayList<>();
    for (Map.Entry<Path, Bundle> e : expected.entrySet()) {
      Path dir = e.getKey();
      if (!Files.isRegularFile(dir.resolve(".rtc-bundle"))) {
        wrong.add(dir.getFileName() + ":no-marker");
      }
      List<BundleComparison.Difference> diffs = BundleComparison.compare(e.getValue(), dir);
      if (!diffs.isEmpty()) {
        wrong.add(dir.getFileName() + ":" + diffs.size() + "-files-differ(" + diffs.get(0).path() + "," + diffs.get(0).kind() + ")");
      }
    }
    Path parent = expected.size() == 1 ? out.toAbsolutePath().getParent() : out;
    try (Stream<Path> s = Files.list(parent)) {
      s.map(p -> p.getFileName().toString()).filter(n -> n.contains(".rtc-") && !n.endsWith(".rtc-lock"))
          .forEach(n -> wrong.add("leftover:" + n));
    }
    return wrong.isEmpty() ? "ok" : String.join(";", wrong);
  }

  /** Both processes reach {@code name} before either goes on. */
  static void meet(Path sync, String name, int id) throws IOException, InterruptedException {
    Files.createFile(sync.resolve(name + "-" + id));
    Path peer = sync.resolve(name + "-" + (1 - id));
    long deadline = System.nanoTime() + 120_000_000_000L;
    while (!Files.exists(peer)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the other writer never reached " + name);
      }
      Thread.sleep(0, 200_000);
    }
  }
}
