package dev.rtc.report;

import dev.rtc.Slow;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.Compiler;
import dev.rtc.cli.Main;
import dev.rtc.bundle.BundleWriter;
import dev.rtc.emit.Tool;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One verdict, two judges: every run of the corpus ({@code src/test/resources/verdicts/}) is judged
 * by {@code rtc report} and by the runbook's {@code judge}, and both must give the case's verdict
 * and exit code (0 GREAT or GOOD, 1 FAIL, 3 NO VERDICT): a plan or a run that is not on a
 * PREEMPT_RT kernel, or whose stressors gave no load, is NO VERDICT in both.
 */
@Slow
class VerdictCorpusTest {

  static final Path CORPUS = Path.of("src/test/resources/verdicts");

  @TempDir Path tmp;

  record Verdict(String word, int exit) {}

  @Test
  void rtcReportAndTheRunbookGiveEveryCaseItsVerdict() throws IOException {
    Map<String, Path> bundles = new HashMap<>();
    List<String> cases = new ArrayList<>();
    try (Stream<Path> s = Files.list(CORPUS)) {
      for (Path dir : s.filter(Files::isDirectory).sorted().toList()) {
        Properties c = new Properties();
        try (var in = Files.newBufferedReader(dir.resolve("case"))) {
          c.load(in);
        }
        String[] expect = c.getProperty("expect").split(" ");
        Verdict expected = new Verdict(expect[0].replace('_', ' '), Integer.parseInt(expect[1]));
        Path bundle = bundles.computeIfAbsent(c.getProperty("manifest"), this::bundle);
        Path run = copyRun(dir, bundle);

        Verdict java = rtcReport(run);
        Verdict bash = runbook(bundle, run);
        assertThat(java).as("rtc report on %s", dir.getFileName()).isEqualTo(expected);
        assertThat(bash).as("runbook.sh judge on %s", dir.getFileName()).isEqualTo(expected);
        cases.add(dir.getFileName() + ": " + expected.word());
      }
    }
    assertThat(cases).as("the corpus has every verdict").anyMatch(c -> c.endsWith("GREAT")).anyMatch(c -> c.endsWith("GOOD"))
        .anyMatch(c -> c.endsWith("FAIL")).anyMatch(c -> c.endsWith("NO VERDICT"));
    System.out.println("verdict corpus: " + cases.size() + " runs, both judges agree: " + String.join("; ", cases));
  }

  private Path bundle(String manifest) {
    try {
      Compiler.Result r = new Compiler().compile(Path.of(manifest));
      Path dir = tmp.resolve("bundle-" + Path.of(manifest).getFileName());
      BundleWriter.write(r.bundle(), dir, false);
      return dir;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The case as the runbook leaves a run: the bundle's plan.json beside its meta and results. */
  private Path copyRun(Path dir, Path bundle) throws IOException {
    Path run = tmp.resolve("runs").resolve(dir.getFileName());
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.toList()) {
        Path to = run.resolve(dir.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(to);
        } else {
          Files.copy(p, to, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    Files.copy(bundle.resolve("plan.json"), run.resolve("plan.json"), StandardCopyOption.REPLACE_EXISTING);
    return run;
  }

  private static Verdict rtcReport(Path run) {
    StringWriter out = new StringWriter();
    int exit = Main.run(new String[] {"report", run.toString(), "-o", run.resolve("report").toString()}, new PrintWriter(out),
        new PrintWriter(new StringWriter()));
    return new Verdict(word(out.toString()), exit);
  }

  private static Verdict runbook(Path bundle, Path run) {
    Tool.Run r = Tool.require("bash").run(bundle, Map.of("RTC_ROOT", bundle.resolve("no-host").toString()), "./runbook.sh", "judge",
        run.toString());
    return new Verdict(word(r.out()), r.exit());
  }

  /** The verdict word of the output's RESULT line. */
  private static String word(String out) {
    for (String line : out.split("\n")) {
      if (line.startsWith("RESULT: ")) {
        String rest = line.substring(8);
        for (String w : List.of("GREAT", "GOOD", "FAIL", "NO VERDICT")) {
          if (rest.startsWith(w)) {
            return w;
          }
        }
      }
    }
    return "no RESULT line in: " + out;
  }
}
