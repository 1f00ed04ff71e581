package dev.rtc.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The schema is the manifest's reference for editors (yaml-language-server shows descriptions on
 * hover) and for rtc-manifest(5): every property says what it is, on itself or on the definition
 * it refers to.
 */
class SchemaDocsTest {

  static JsonNode schema() throws IOException {
    return new ObjectMapper().readTree(Path.of("schemas/manifest.schema.json").toFile());
  }

  /** Every property position, as a dotted path, whose schema has no description (its own, or its $ref's). */
  static List<String> undocumented(JsonNode root) {
    List<String> out = new ArrayList<>();
    walk(root, root, "", out);
    root.get("definitions").fields().forEachRemaining(e -> walk(root, e.getValue(), "#" + e.getKey(), out));
    return out;
  }

  private static void walk(JsonNode root, JsonNode node, String path, List<String> out) {
    if (node.has("$ref") && !node.has("properties")) {
      return; // the definition is walked on its own
    }
    node.path("properties").fields().forEachRemaining(e -> {
      String p = path + "." + e.getKey();
      if (!documented(root, e.getValue())) {
        out.add(p);
      }
      walk(root, e.getValue(), p, out);
      if (e.getValue().path("items").isObject()) {
        walk(root, e.getValue().get("items"), p + "[]", out);
      }
    });
    for (String k : List.of("oneOf", "anyOf", "allOf")) {
      node.path(k).forEach(alt -> walk(root, alt, path, out));
    }
  }

  private static boolean documented(JsonNode root, JsonNode node) {
    if (node.hasNonNull("description") && !node.get("description").asText().isBlank()) {
      return true;
    }
    if (node.has("$ref")) {
      String ref = node.get("$ref").asText();
      return documented(root, root.at(ref.substring(1)));
    }
    return false;
  }

  @Test
  void everyPropertyIsDocumented() throws IOException {
    assertThat(undocumented(schema())).as("properties without a description").isEmpty();
  }

  /** The walk sees what it must: a property left undescribed is found, at its path. */
  @Test
  void anUndocumentedPropertyIsFound() throws IOException {
    JsonNode s = schema();
    ((com.fasterxml.jackson.databind.node.ObjectNode) s.at("/definitions/vm/properties/vcpus")).remove("description");
    assertThat(undocumented(s)).containsExactly("#vm.vcpus");
  }
}
