package dev.rtc.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Every cause's code is documented in docs/spike-causes.md, and the page names no code the classifier lacks. */
class SpikeCauseTest {

  @Test
  void theCatalogueAndItsPageAgree() throws IOException {
    String page = Files.readString(Path.of("docs/spike-causes.md"));
    java.util.Set<String> documented = new java.util.TreeSet<>();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("^\\| `(spike\\.[a-z-]+)` \\|", java.util.regex.Pattern.MULTILINE).matcher(page);
    while (m.find()) {
      documented.add(m.group(1));
    }
    java.util.Set<String> codes = new java.util.TreeSet<>();
    for (SpikeCause c : SpikeCause.values()) {
      codes.add(c.code());
      assertThat(c.remedy()).as(c.code()).isNotBlank();
    }
    assertThat(documented).isEqualTo(codes);
  }
}
