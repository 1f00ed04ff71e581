package dev.rtc.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rtc.manifest.migrate.Migration;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Keeps old manifests working: every key path the manifest language of {@link Migration#CURRENT}
 * has ({@code src/test/resources/schema-keys-rtc-v1.txt}, {@code *} for list items) must still be
 * in the schema, unless a migration step from that version rewrites manifests that use it. A
 * rename or move without a step fails here; so does a new key not yet listed (regenerate with
 * {@code mvn -B test -Dtest=SchemaKeysTest -Dgolden.update=true} and review the diff: additions
 * only, or a step in {@link Migration#STEPS}).
 */
class SchemaKeysTest {

  static final Path LIST = Path.of("src/test/resources/schema-keys-" + Migration.CURRENT.replace('/', '-') + ".txt");

  @Test
  void noKeyOfTheCurrentVersionDisappearsWithoutAMigrationStep() throws IOException {
    JsonNode schema = new ObjectMapper().readTree(Path.of("schemas/manifest.schema.json").toFile());
    assertThat(schema.at("/properties/apiVersion/const").asText()).as("the schema's version is the one rtc migrates to")
        .isEqualTo(Migration.CURRENT);
    Set<String> now = new TreeSet<>();
    walk(schema, schema, "", now, 0);
    if (Boolean.getBoolean("golden.update")) {
      Files.writeString(LIST, String.join("\n", now) + "\n");
    }
    List<String> listed = Files.readAllLines(LIST);
    boolean migrated = Migration.STEPS.stream().anyMatch(s -> s.from().equals(Migration.CURRENT));
    List<String> gone = new ArrayList<>(listed);
    gone.removeAll(now);
    assertThat(gone).as("keys of %s that the schema no longer has; a rename or move needs a new apiVersion and its step in "
        + "Migration.STEPS", Migration.CURRENT).satisfiesAnyOf(g -> assertThat(g).isEmpty(), g -> assertThat(migrated).isTrue());
    List<String> added = new ArrayList<>(now);
    added.removeAll(listed);
    assertThat(added).as("keys not yet in %s: regenerate it (see this test's doc)", LIST).isEmpty();
  }

  /** Every property path under {@code node}, through $ref, items, oneOf and anyOf. */
  static void walk(JsonNode root, JsonNode node, String at, Set<String> out, int depth) {
    if (depth > 40) {
      return;
    }
    if (node.has("$ref")) {
      walk(root, root.at(node.get("$ref").asText().substring(1)), at, out, depth + 1);
    }
    node.path("properties").fields().forEachRemaining(e -> {
      out.add(at + "/" + e.getKey());
      walk(root, e.getValue(), at + "/" + e.getKey(), out, depth + 1);
    });
    if (node.has("items")) {
      walk(root, node.get("items"), at + "/*", out, depth + 1);
    }
    for (String combinator : List.of("oneOf", "anyOf", "allOf")) {
      node.path(combinator).forEach(alt -> walk(root, alt, at, out, depth + 1));
    }
  }
}
