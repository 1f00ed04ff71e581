package dev.rtc.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.manifest.diagnostics.Code;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docs/diagnostics.md and the code list agree, and every corpus file it cites produces its code. */
class DiagnosticsDocTest {

  static final Path DOC = Path.of("docs/diagnostics.md");

  @Test
  void everyCodeHasASectionWithItsSummaryABadAndAFixedExample() throws IOException {
    String doc = Files.readString(DOC);
    for (Code c : Code.values()) {
      String heading = "### " + c.name() + ": " + c.summary() + "\n";
      assertThat(doc).as("docs/diagnostics.md section for %s", c).contains(heading);
      String section = section(doc, c);
      assertThat(section).as("%s section", c).contains("Bad:").contains("Fixed:");
    }
    Matcher m = Pattern.compile("### (RTC\\d{3}):").matcher(doc);
    while (m.find()) {
      assertThat(Code.valueOf(m.group(1))).as("documented code exists").isNotNull();
    }
  }

  @Test
  void theCorpusFilesEachSectionCitesExpectItsCode() throws IOException {
    String doc = Files.readString(DOC);
    for (Code c : Code.values()) {
      Matcher files = Pattern.compile("`([a-z0-9-]+\\.yaml)`").matcher(section(doc, c));
      while (files.find()) {
        Path f = BadCorpusTest.CORPUS.resolve(files.group(1));
        assertThat(f).as("%s cites %s", c, f).exists();
        assertThat(BadCorpusTest.expected(f, Files.readAllBytes(f))).as("%s expects %s", f, c)
            .anySatisfy(x -> assertThat(x.code()).isEqualTo(c));
      }
    }
  }

  @Test
  void theJsonShapeDocumentedIsTheOnePrinted() throws IOException {
    String doc = Files.readString(DOC);
    for (String field : new String[] {"\"version\": 1", "\"manifest\"", "\"ok\"", "\"errors\"", "\"warnings\"", "\"output\"",
        "\"severity\"", "\"code\"", "\"summary\"", "\"file\"", "\"line\"", "\"column\"", "\"path\"", "\"message\"", "\"hint\""}) {
      assertThat(doc).contains(field);
    }
  }

  private static String section(String doc, Code c) {
    int start = doc.indexOf("### " + c.name() + ":");
    int end = doc.indexOf("\n### ", start + 1);
    return doc.substring(start, end < 0 ? doc.length() : end);
  }
}
