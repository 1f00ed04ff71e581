package dev.rtc.manifest.migrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.rtc.Compiler;
import dev.rtc.manifest.ManifestLoader;
import dev.rtc.manifest.migrate.Migration;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The migration machinery, on a fixture written for a manifest version before rtc/v1 (sizes as
 * bare numbers in keys named for their unit; the benchmark's duration inside cyclictest). The
 * steps here are the test's own: rtc/v1 is the first real version, and the first real step will
 * come with the first change that renames or moves a key ({@code SchemaKeysTest} insists).
 */
class MigrationTest {

  static final Path FIXTURE = Path.of("src/test/resources/migrate/rtc-v0.yaml");
  static final Path EXPECTED = Path.of("src/test/resources/migrate/rtc-v0.migrated.yaml");

  static JsonNode mib(JsonNode n) {
    return TextNode.valueOf(n.asLong() % 1024 == 0 && n.asLong() >= 1024 ? n.asLong() / 1024 + " GiB" : n.asLong() + " MiB");
  }

  static final Migration V0 = new Migration(List.of(new Migration.Step("rtc/v0", "rtc/v1",
      "sizes are strings with their unit (cacheMiB: 8 is cache: 8 MiB); the benchmark's duration moves out of cyclictest",
      List.of(new Migration.Change.Rename("/host/cacheMiB", "cache", MigrationTest::mib),
          new Migration.Change.Rename("/host/topology/l3/sizeMiB", "size", MigrationTest::mib),
          new Migration.Change.Rename("/vms/*/memoryMiB", "memory", MigrationTest::mib),
          new Migration.Change.Rename("/vms/*/cacheMiB", "cache", MigrationTest::mib),
          new Migration.Change.Rename("/vms/*/disk/sizeGiB", "size", n -> TextNode.valueOf(n.asLong() + " GiB")),
          new Migration.Change.Move("/benchmark/cyclictest/duration", "/benchmark")))));

  static ManifestLoader.Source source(String name, String text) {
    return new ManifestLoader.Source(name, text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void anOlderManifestIsRewrittenKeepingEveryCommentAndLine() throws IOException {
    String before = Files.readString(FIXTURE);
    Migration.Result r = V0.migrate(source("rtc-v0.yaml", before));
    assertThat(r.version()).isEqualTo("rtc/v1");
    assertThat(r.steps()).singleElement().asString().startsWith("rtc/v0 -> rtc/v1: sizes are strings");
    if (Boolean.getBoolean("golden.update")) {
      Files.writeString(EXPECTED, r.text());
    }
    assertThat(r.text()).isEqualTo(Files.readString(EXPECTED));
    assertThat(comments(r.text())).as("every comment survives").isEqualTo(comments(before));
    // What it means is the example's meaning: the migrated fixture plans like eci-reference.yaml, memory aside.
    Compiler.Result compiled = new Compiler().compile(source("migrated.yaml", r.text()));
    assertThat(compiled.warnings()).isEmpty();
    assertThat(compiled.plan().vms()).hasSize(2);
  }

  @Test
  void aCurrentManifestIsLeftAlone() throws IOException {
    String text = Files.readString(Path.of("examples/eci-reference.yaml"));
    Migration.Result r = V0.migrate(source("eci.yaml", text));
    assertThat(r.changed(text)).isFalse();
    assertThat(Migration.standard().migrate(source("eci.yaml", text)).changed(text)).isFalse();
  }

  @Test
  void anUnknownVersionIsRefusedNamingTheKnownOnes() {
    Throwable t = catchThrowable(() -> V0.migrate(source("x.yaml", "apiVersion: rtc/v9\nname: x\n")));
    assertThat(t).isInstanceOf(Migration.MigrationException.class).hasMessage(
        "apiVersion 'rtc/v9' is not one this rtc knows; this rtc reads rtc/v1 and migrates from rtc/v0");
  }

  @Test
  void aLayoutTheEditsCannotKeepIsRefusedNotMangled() throws IOException {
    String folded = Files.readString(FIXTURE).replace("    memoryMiB: 8192\n", "    memoryMiB: >-\n      8192\n");
    assertThat(catchThrowable(() -> V0.migrate(source("folded.yaml", folded)))).isInstanceOf(Migration.MigrationException.class)
        .hasMessage("/vms/0/memoryMiB is not a single-line value; rewrite it by hand");
  }

  @Test
  void anEditWhoseTextWouldMeanSomethingElseIsCaughtByTheReparse() throws IOException {
    Migration wrong = new Migration(List.of(new Migration.Step("rtc/v0", "rtc/v1", "a step whose value cannot be one scalar",
        List.of(new Migration.Change.Rename("/host/cacheMiB", "cache", n -> com.fasterxml.jackson.databind.node.JsonNodeFactory.instance
            .objectNode().put("size", n.asLong()))))));
    assertThat(catchThrowable(() -> wrong.migrate(source("v0.yaml", Files.readString(FIXTURE)))))
        .isInstanceOf(Migration.MigrationException.class).hasMessageContaining("would not mean what rtc/v1 says it should");
  }

  @Test
  void patternsMatchEveryVmAndOnlyWhatExists() {
    JsonNode tree = ManifestLoader.parse(source("t.yaml", "vms:\n  - {memoryMiB: 1}\n  - {name: b}\n  - {memoryMiB: 3}\n")).tree();
    assertThat(Migration.matches(tree, "/vms/*/memoryMiB")).containsExactly("/vms/0/memoryMiB", "/vms/2/memoryMiB");
  }

  static List<String> comments(String text) {
    return text.lines().filter(l -> l.contains("#")).map(l -> l.substring(l.indexOf('#'))).toList();
  }
}
