package dev.rtc.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.manifest.diagnostics.Code;
import dev.rtc.manifest.diagnostics.Diagnostic;
import dev.rtc.manifest.diagnostics.Printable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the diagnostics of the bad corpus say, beyond their codes and lines (which
 * {@link BadCorpusTest} holds): the words a user reads, where the audit of issue 15 found them
 * wrong, contradictory, leaking Java, or echoing what a terminal should not see.
 */
class MessagesTest {

  static List<Diagnostic> of(String corpusFile) throws IOException {
    Path f = BadCorpusTest.CORPUS.resolve(corpusFile);
    return BadCorpusTest.diagnose(corpusFile, Files.readAllBytes(f));
  }

  static String rendered(List<Diagnostic> ds) {
    return String.join("\n", ds.stream().map(Diagnostic::render).toList());
  }

  @Test
  void anOctalLookingIntegerSaysHowYamlReadsItAndWhatToWrite() throws IOException {
    List<Diagnostic> ds = of("int-octal.yaml");
    assertThat(ds).singleElement().satisfies(d -> {
      assertThat(d.message()).contains("'017'").contains("octal (15)");
      assertThat(d.hint()).isEqualTo("write 17 (or 15, if octal was meant)");
      assertThat(d.location().line()).isPositive();
    });
    assertThat(of("int-hex.yaml")).singleElement().satisfies(d -> assertThat(d.hint()).isEqualTo("write 99"));
    assertThat(of("int-digit-groups.yaml")).singleElement().satisfies(d -> assertThat(d.hint()).isEqualTo("write 16"));
  }

  /** Capitals say the rule and the value to write; a bare size says its unit, not "quote it" (whose result is the next error). */
  @Test
  void capitalsAndABareSizeSayTheRuleAndAHintThatWorks() throws IOException {
    List<Diagnostic> ds = of("upper-case-and-bare-size.yaml");
    assertThat(ds).anySatisfy(d -> {
      assertThat(d.path()).isEqualTo("vms[0].devices[0].mac");
      assertThat(d.message()).isEqualTo("'52:54:00:0A:00:01' has upper-case letters; this value is written in lower case");
      assertThat(d.hint()).isEqualTo("write \"52:54:00:0a:00:01\"");
    });
    assertThat(ds).anySatisfy(d -> {
      assertThat(d.path()).isEqualTo("vms[0].name");
      assertThat(d.hint()).isEqualTo("write \"rt\"");
    });
    assertThat(ds).anySatisfy(d -> {
      assertThat(d.path()).isEqualTo("host.cache");
      assertThat(d.hint()).startsWith("a size needs its unit: write e.g. \"5 MiB\"").doesNotContain("quote it");
    });
  }

  @Test
  void infinityAndNanAreNamedNotReportedAsYamlSyntax() throws IOException {
    for (String f : List.of("float-inf.yaml", "float-nan.yaml")) {
      assertThat(of(f)).singleElement().satisfies(d -> {
        assertThat(d.message()).doesNotContain("YAML syntax").containsAnyOf("infinity", "not-a-number");
        assertThat(d.hint()).doesNotContain("indentation");
      });
    }
  }

  @Test
  void aHugeNumberIsLocatedAndSaysNothingOfJackson() throws IOException {
    assertThat(of("number-65-digits.yaml")).singleElement().satisfies(d -> {
      assertThat(d.location().line()).as(d.render()).isEqualTo(26);
      assertThat(d.message()).doesNotContain("StreamReadConstraints").doesNotContain("getMax").contains("64 digits");
    });
  }

  @Test
  void aFloatWhereAWholeNumberGoesIsNotCalledANumberThatIsNotANumber() throws IOException {
    assertThat(of("int-as-float.yaml")).singleElement().satisfies(d -> {
      assertThat(d.message()).isEqualTo("must be a whole number, not 16.0");
      assertThat(d.hint()).isEqualTo("write 16");
    });
  }

  @Test
  void aOneOfValueIsJudgedByTheFormItWasWrittenIn() throws IOException {
    assertThat(of("emulator-count-zero.yaml")).singleElement().satisfies(d -> {
      assertThat(d.path()).isEqualTo("vms[0].emulator.cpus");
      assertThat(d.message()).isEqualTo("0 is out of range: must be at least 1");
    });
    assertThat(of("placement-node-quoted.yaml")).singleElement().satisfies(d -> {
      assertThat(d.path()).isEqualTo("vms[0].placement.numaNode");
      assertThat(d.message()).isEqualTo("must be a whole number, not the string \"0\"");
    });
    String mixed = rendered(of("emulator-mixed-forms.yaml"));
    assertThat(mixed).contains("{cpus: 4, pin: \"40-43\"} is none of the forms allowed here: a mapping with cpus, a mapping with pin or shared")
        .contains("one form at a time").doesNotContain("unknown key");
    assertThat(rendered(of("emulator-typo-shared.yaml"))).contains("'sharde' is none of the forms allowed here");
  }

  @Test
  void echoedValuesCarryNoControlOrBidiCharacters() throws IOException {
    List<Diagnostic> ds = of("echo-control-characters.yaml");
    String all = rendered(ds);
    assertThat(all).contains("\\u202E");
    assertThat(all.chars().filter(c -> c < 0x20 && c != '\n' || c >= 0x7f && c <= 0x9f || c >= 0x202a && c <= 0x202e || c == 0x2066))
        .as(all).isEmpty();
    assertThat(Printable.escape("a\u001b[31mb\u0085c\u2067d\ufeff")).isEqualTo("a\\u001B[31mb\\u0085c\\u2067d\\uFEFF");
    assertThat(Printable.escape("plain µs — ok")).isEqualTo("plain µs — ok");
  }

  @Test
  void aWeakOrTruncatedHashIsRefusedWithoutEchoingIt() throws IOException {
    for (String f : List.of("password-hash-empty-parts.yaml", "password-hash-short.yaml")) {
      assertThat(of(f)).singleElement().satisfies(d -> {
        assertThat(d.code()).isEqualTo(Code.RTC016);
        assertThat(d.render()).doesNotContain("banana").doesNotContain("$$$");
      });
    }
  }

  @Test
  void anEnormousValueIsMeasuredNotEchoed() throws IOException {
    assertThat(of("image-name-huge.yaml")).singleElement().satisfies(d -> {
      assertThat(d.message()).isEqualTo("is 8000 characters long; at most 4096 are allowed here");
      assertThat(d.render().length()).isLessThan(300);
    });
    assertThat(of("image-name-part-too-long.yaml")).singleElement().satisfies(d ->
        assertThat(d.render()).contains("(311 characters)").hasSizeLessThan(600));
  }

  @Test
  void schemaAndRuleErrorsComeInOnePass() throws IOException {
    List<Diagnostic> ds = of("all-errors-at-once.yaml");
    assertThat(ds).extracting(Diagnostic::code).containsExactlyInAnyOrder(Code.RTC013, Code.RTC012, Code.RTC044, Code.RTC044,
        Code.RTC010, Code.RTC010);
    assertThat(of("all-errors-host-fault-stops-rules.yaml")).extracting(Diagnostic::code).containsExactly(Code.RTC013);
  }
}
