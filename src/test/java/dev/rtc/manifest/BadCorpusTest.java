package dev.rtc.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.Compiler;
import dev.rtc.manifest.diagnostics.Code;
import dev.rtc.manifest.diagnostics.Diagnostic;
import dev.rtc.manifest.diagnostics.ManifestException;
import dev.rtc.manifest.diagnostics.Severity;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The bad-input corpus: every file under {@code src/test/resources/bad/} says, in comments on the
 * offending lines, which diagnostics it must get ({@code # expect: RTC021}, or
 * {@code # expect-warning: RTC063}; several codes comma-separated). A missing diagnostic, an
 * unexpected one, or one on another line fails. Files that cannot carry a comment (empty,
 * not UTF-8) have a sidecar {@code NAME.expect} with lines {@code LINE CODE [warning]}.
 */
class BadCorpusTest {

  static final Path CORPUS = Path.of("src/test/resources/bad");
  static final Pattern EXPECT = Pattern.compile("#\\s*expect(-warning)?:\\s*(RTC\\d{3}(?:\\s*,\\s*RTC\\d{3})*)");
  static final Compiler COMPILER = new Compiler();

  /** One expected or actual finding, as the corpus compares them. */
  record Finding(int line, Code code, Severity severity) implements Comparable<Finding> {
    @Override
    public int compareTo(Finding o) {
      return line != o.line ? Integer.compare(line, o.line) : code.compareTo(o.code);
    }

    @Override
    public String toString() {
      return "line " + line + " " + code + (severity == Severity.WARNING ? " (warning)" : "");
    }
  }

  static List<Path> files() throws IOException {
    try (Stream<Path> s = Files.list(CORPUS)) {
      return s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
  }

  @TestFactory
  Stream<DynamicTest> everyBadManifestGetsExactlyItsDiagnostics() throws IOException {
    return files().stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> check(f)));
  }

  static void check(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    List<Finding> expected = expected(file, bytes);
    assertThat(expected).as("%s declares no '# expect:' comment or .expect sidecar", file).isNotEmpty();
    List<Diagnostic> actual = diagnose(file.getFileName().toString(), bytes);
    List<Finding> got = actual.stream().map(d -> new Finding(d.location().line(), d.code(), d.severity())).sorted().toList();
    assertThat(got).as("%s%nrtc said:%n%s", file, render(actual)).containsExactlyElementsOf(expected.stream().sorted().toList());
    for (Diagnostic d : actual) {
      assertThat(d.message()).as("%s: message of %s", file, d.code()).isNotBlank().doesNotContain("Exception").doesNotContain("null");
    }
  }

  /** Runs the whole pipeline, emit included, so no stage can crash on bad input unseen. */
  static List<Diagnostic> diagnose(String name, byte[] bytes) {
    try {
      return COMPILER.compile(new ManifestLoader.Source(name, bytes)).warnings();
    } catch (ManifestException e) {
      return e.diagnostics();
    }
  }

  static List<Finding> expected(Path file, byte[] bytes) throws IOException {
    List<Finding> out = new ArrayList<>();
    Path sidecar = Path.of(file + ".expect");
    if (Files.exists(sidecar)) {
      for (String line : Files.readAllLines(sidecar)) {
        String[] f = line.trim().split("\\s+");
        if (f.length >= 2 && !line.startsWith("#")) {
          out.add(new Finding(Integer.parseInt(f[0]), Code.valueOf(f[1]), f.length > 2 && f[2].equals("warning") ? Severity.WARNING : Severity.ERROR));
        }
      }
      return out;
    }
    String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      Matcher m = EXPECT.matcher(lines[i]);
      while (m.find()) {
        for (String code : m.group(2).split("\\s*,\\s*")) {
          out.add(new Finding(i + 1, Code.valueOf(code.trim()), m.group(1) != null ? Severity.WARNING : Severity.ERROR));
        }
      }
    }
    return out;
  }

  static String render(List<Diagnostic> ds) {
    StringBuilder sb = new StringBuilder();
    ds.forEach(d -> sb.append("  ").append(d.render()).append('\n'));
    return sb.toString();
  }

  @Test
  void theCorpusIsLargeAndCoversEveryCode() throws IOException {
    List<Path> files = files();
    assertThat(files).hasSizeGreaterThanOrEqualTo(120);
    Set<Code> covered = EnumSet.noneOf(Code.class);
    for (Path f : files) {
      expected(f, Files.readAllBytes(f)).forEach(x -> covered.add(x.code()));
    }
    // RTC001 (unreadable path) and RTC005's size limit cannot live in a corpus file; SpecialInputsTest has them.
    Set<Code> elsewhere = EnumSet.of(Code.RTC001);
    assertThat(EnumSet.complementOf(EnumSet.copyOf(covered))).as("codes no corpus file expects")
        .isSubsetOf(elsewhere);
  }
}
