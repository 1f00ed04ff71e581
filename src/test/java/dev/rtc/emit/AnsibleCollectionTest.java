package dev.rtc.emit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.io.Version;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The rtc.fleet collection and the runbook it drives agree: the collection is versioned with rtc,
 * its module offers exactly the runbook's steps, and the role runs only steps the runbook has
 * (AnsibleFleetTest runs them all against fake hosts).
 */
class AnsibleCollectionTest {

  static final Path FLEET = Path.of("src/main/ansible/ansible_collections/rtc/fleet");

  /** The steps runbook.sh's main accepts (its case of steps). */
  static List<String> runbookSteps() {
    String steps = new String(Emitters.runbookSteps(), java.nio.charset.StandardCharsets.UTF_8);
    Matcher m = Pattern.compile("(?m)^\\s+(preflight \\| host \\|[^)]*)\\) STEPS\\+=").matcher(steps);
    assertThat(m.find()).as("runbook.sh's list of steps").isTrue();
    return Arrays.stream(m.group(1).split("\\|")).map(String::strip).filter(s -> !s.equals("all")).sorted().toList();
  }

  @Test
  void theCollectionIsVersionedWithRtc() throws IOException {
    assertThat(Files.readString(FLEET.resolve("galaxy.yml"))).contains("\nnamespace: rtc\n", "\nname: fleet\n", "\nversion: " + Version.get() + "\n");
  }

  @Test
  void theModuleOffersExactlyTheRunbooksSteps() throws IOException {
    String module = Files.readString(FLEET.resolve("plugins/modules/runbook.py"));
    Matcher doc = Pattern.compile("choices: \\[(preflight[^\\]]*)]").matcher(module);
    assertThat(doc.find()).isTrue();
    assertThat(Arrays.stream(doc.group(1).split(",")).map(String::strip).sorted().toList()).isEqualTo(runbookSteps());
    Matcher spec = Pattern.compile("choices=\\[(\"preflight\"[^\\]]*)]", Pattern.DOTALL).matcher(module);
    assertThat(spec.find()).isTrue();
    assertThat(Arrays.stream(spec.group(1).split(",")).map(s -> s.strip().replace("\"", "")).sorted().toList()).isEqualTo(runbookSteps());
  }

  @Test
  void theRoleRunsOnlyStepsTheRunbookHas() throws IOException {
    String defaults = Files.readString(FLEET.resolve("roles/host/defaults/main.yml"));
    Matcher m = Pattern.compile("(?m)^rtc_steps: \\[([^\\]]*)]").matcher(defaults);
    assertThat(m.find()).isTrue();
    assertThat(runbookSteps()).containsAll(Arrays.stream(m.group(1).split(",")).map(String::strip).toList());
  }
}
