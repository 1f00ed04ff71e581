package dev.rtc.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.rtc.Compiler;
import dev.rtc.Slow;
import dev.rtc.manifest.diagnostics.Code;
import dev.rtc.manifest.diagnostics.Diagnostic;
import dev.rtc.manifest.diagnostics.ManifestException;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Walks {@code schemas/manifest.schema.json} and puts, at every key it describes, values at and
 * beyond each of its bounds: every integer's minimum and maximum and one past them, every string at
 * its longest and one longer (padded from the example's own value, so most stay in the pattern),
 * long lists made of a value's own items, every list at its fewest and most items and one past,
 * each enum value and one that is not, and the forms that crashed rtc before (a 1,001-item
 * cpulist, a URL with a bare {@code %}). Each result is compiled whole, emitters included: rtc must
 * compile it or refuse it with located diagnostics. Any other outcome, an internal error (exit 3),
 * fails this test with the manifest that caused it.
 */
@Slow
class SchemaBoundsTest {

  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
      .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES).enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS));
  static final JsonNodeFactory F = JsonNodeFactory.instance;
  /** Examples that between them hold every part of the manifest: devices, a per-CPU table, L2 CAT, a site. */
  static final List<String> SEEDS = List.of("eci-reference", "xeon-devices", "hybrid-client", "atom-l2cat", "rhel9-reference");

  /** A key the schema describes: where, its schema, and the definition it refers to ("" for none). */
  record Leaf(String pointer, JsonNode schema, String definition) {}

  /** A legal value of each string definition, for keys the seeds leave out (the site's URLs, a device's MAC). */
  static final Map<String, String> LEGAL = Map.ofEntries(Map.entry("url", "http://mirror.plant.example/debian"),
      Map.entry("cpulist", "0-3"), Map.entry("size", "1 GiB"), Map.entry("hexMask", "ff"), Map.entry("pciAddress", "0000:17:00.0"),
      Map.entry("ifname", "eth0"), Map.entry("sha256", "a".repeat(64)), Map.entry("packageName", "linux-image-rt-amd64"),
      Map.entry("kernelArg", "quiet"), Map.entry("dnsLabel", "vm-1"));

  @Test
  void everyValueAtAndBeyondEveryBoundIsCompiledOrRefusedWithLocatedDiagnostics() throws IOException {
    JsonNode schema = new ObjectMapper().readTree(Files.readString(Path.of("schemas/manifest.schema.json")));
    List<Leaf> leaves = new ArrayList<>();
    walk(schema, schema, "", "", new LinkedHashSet<>(), leaves);
    assertThat(leaves).as("the walk finds the manifest's keys").hasSizeGreaterThan(100);

    Map<String, JsonNode> seeds = new LinkedHashMap<>();
    for (String name : SEEDS) {
      Path p = Path.of("examples", name + ".yaml");
      if (Files.exists(p)) {
        seeds.put(name, YAML.readTree(Files.readString(p)));
      }
    }
    assertThat(seeds).hasSizeGreaterThanOrEqualTo(3);

    Compiler compiler = new Compiler();
    int tried = 0;
    int compiled = 0;
    Set<String> pointersReached = new LinkedHashSet<>();
    long started = System.nanoTime();
    for (Leaf leaf : leaves) {
      for (Map.Entry<String, JsonNode> seed : seeds.entrySet()) {
        JsonNode current = at(seed.getValue(), leaf.pointer());
        if (current == null && LEGAL.containsKey(leaf.definition())) {
          current = F.textNode(LEGAL.get(leaf.definition()));
        }
        for (JsonNode value : values(leaf.schema(), current)) {
          JsonNode manifest = seed.getValue().deepCopy();
          if (!put(manifest, leaf.pointer(), value)) {
            continue;
          }
          pointersReached.add(leaf.pointer());
          String text = YAML.writeValueAsString(manifest);
          tried++;
          try {
            compiler.compile(new ManifestLoader.Source("bounds.yaml", text.getBytes(StandardCharsets.UTF_8)));
            compiled++;
          } catch (ManifestException e) {
            for (Diagnostic d : e.diagnostics()) {
              if (d.isError() && d.code() != Code.RTC001 && d.code() != Code.RTC005) {
                assertThat(d.location().line()).as("%s = %s in %s: an error without a location: %s", leaf.pointer(), brief(value),
                    seed.getKey(), d.render()).isPositive();
              }
            }
          } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            fail("internal error at " + leaf.pointer() + " = " + brief(value) + " in " + seed.getKey() + ": " + e
                + "\n--- manifest ---\n" + text, e);
          }
        }
      }
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    System.out.printf("schema bounds: %d keys in the schema, %d reached, %d values compiled in %.1f s: %d compiled, %d refused, "
        + "0 internal errors%n", leaves.size(), pointersReached.size(), tried, seconds, compiled, tried - compiled);
    assertThat(pointersReached.size()).as("keys the seeds could carry a value to").isGreaterThan(leaves.size() * 3 / 4);
    assertThat(compiled).as("some bounds are legal and compile").isPositive();
    assertThat(tried - compiled).as("some are beyond the bounds and refused").isPositive();
  }

  /** The walk found that the schema's LPE key crashed the binder; probe writes LP-E, which the schema refused. */
  @Test
  void lowPowerECoresL2SizeIsReadInBothSpellings() throws IOException {
    String example = Files.readString(Path.of("examples/hybrid-client.yaml"));
    for (String key : List.of("LP-E", "LPE")) {
      String text = example.replace("    l2:\n      size: 2 MiB\n", "    l2:\n      size: 2 MiB\n      coreTypes: {" + key + ": {size: 2 MiB}}\n");
      assertThat(text).contains("coreTypes: {" + key);
      var result = new Compiler().compile(new ManifestLoader.Source("hybrid.yaml", text.getBytes(StandardCharsets.UTF_8)));
      assertThat(result.plan().manifest().host().topology().l2().orElseThrow().typeSizes()).containsKey(Topology.CoreType.LPE);
    }
  }

  /** Every key the schema describes, as a JSON pointer (array items as /0), with its schema ($refs followed). */
  static void walk(JsonNode root, JsonNode node, String at, String definition, Set<String> refs, List<Leaf> out) {
    if (node.has("$ref")) {
      String name = node.get("$ref").asText().replace("#/definitions/", "");
      if (refs.contains(name)) {
        return;
      }
      Set<String> inner = new LinkedHashSet<>(refs);
      inner.add(name);
      JsonNode target = root.get("definitions").get(name);
      ObjectNode merged = target.deepCopy();
      node.fields().forEachRemaining(e -> {
        if (!e.getKey().equals("$ref") && !merged.has(e.getKey())) {
          merged.set(e.getKey(), e.getValue());
        }
      });
      walk(root, merged, at, name, inner, out);
      return;
    }
    if (!at.isEmpty()) {
      out.add(new Leaf(at, node, definition));
    }
    for (String k : List.of("oneOf", "anyOf", "allOf")) {
      if (node.has(k)) {
        node.get(k).forEach(n -> walk(root, n, at, definition, refs, out));
      }
    }
    if (node.has("properties")) {
      node.get("properties").fields().forEachRemaining(e -> walk(root, e.getValue(), at + "/" + e.getKey(), "", refs, out));
    }
    JsonNode items = node.get("items");
    if (items != null && items.isObject()) {
      walk(root, items, at + "/0", "", refs, out);
    } else if (items != null && items.isArray()) {
      for (int i = 0; i < items.size(); i++) {
        walk(root, items.get(i), at + "/" + i, "", refs, out);
      }
    }
  }

  /** Values at and beyond the bounds of {@code s}, built from the seed's own value where it has one. */
  static List<JsonNode> values(JsonNode s, JsonNode current) {
    List<JsonNode> v = new ArrayList<>();
    String type = s.path("type").asText("");
    if (s.has("enum")) {
      s.get("enum").forEach(v::add);
      v.add(F.textNode("not-one-of-them"));
    }
    if (s.has("minimum") || s.has("maximum") || type.equals("integer") || type.equals("number")) {
      long min = s.path("minimum").asLong(0);
      long max = s.path("maximum").asLong(Integer.MAX_VALUE);
      for (long n : new long[] {min - 1, min, max, max + 1, Integer.MAX_VALUE, (long) Integer.MAX_VALUE + 1, Long.MIN_VALUE}) {
        v.add(F.numberNode(n));
      }
      v.add(F.numberNode(BigInteger.TEN.pow(30)));
      v.add(F.numberNode(1.5));
    }
    if (type.equals("string") || s.has("pattern") || s.has("maxLength")) {
      int max = s.path("maxLength").asInt(512);
      String seed = current != null && current.isValueNode() ? current.asText() : "a";
      if (seed.isEmpty()) {
        seed = "a";
      }
      v.add(F.textNode(pad(seed, max)));
      v.add(F.textNode(pad(seed, max + 1)));
      v.add(F.textNode(joined(seed, max)));
      v.add(F.textNode(joined(seed, max + 1)));
      v.add(F.textNode(joined("0", max)));   // 0,0,0,...: the cpulist that overflowed java.util.regex
      v.add(F.textNode(""));
      v.add(F.textNode(" "));
      v.add(F.textNode("%"));
      v.add(F.textNode(seed + "%zz"));
      v.add(F.textNode(seed + "%"));
      v.add(F.textNode(seed.replaceFirst("^(https?://[^/]*)", "$1:99999")));
      v.add(F.textNode(seed.replaceFirst("^(https?://)", "$1a..")));
      v.add(F.textNode("9".repeat(Math.min(max, 40)) + " TiB"));
      v.add(F.textNode("0-" + Integer.MAX_VALUE));
      v.add(F.textNode("ff:ff:ff:ff:ff:ff"));
      v.add(F.textNode("\u202e" + seed));
    }
    if (type.equals("array") || s.has("maxItems") || s.has("minItems")) {
      JsonNode item = current != null && current.isArray() && current.size() > 0 ? current.get(0) : F.textNode("a");
      int min = s.path("minItems").asInt(0);
      int max = s.path("maxItems").asInt(64);
      for (int n : new int[] {Math.max(0, min - 1), min, max, max + 1}) {
        ArrayNode a = F.arrayNode();
        for (int i = 0; i < n; i++) {
          a.add(item.deepCopy());
        }
        v.add(a);
      }
    }
    if (type.equals("boolean")) {
      v.add(F.booleanNode(true));
      v.add(F.booleanNode(false));
      v.add(F.textNode("yes"));
    }
    if (type.equals("object")) {
      v.add(F.objectNode());
      v.add(F.textNode("x"));
    }
    return v;
  }

  /** The seed, its last character repeated until it is {@code length} long (or cut to it). */
  static String pad(String seed, int length) {
    StringBuilder b = new StringBuilder(seed);
    char last = seed.charAt(seed.length() - 1);
    while (b.length() < length) {
      b.append(last);
    }
    return b.substring(0, length);
  }

  /** The seed repeated, comma-separated, as long as it fits in {@code length}. */
  static String joined(String seed, int length) {
    StringBuilder b = new StringBuilder(seed);
    while (b.length() + 1 + seed.length() <= length) {
      b.append(',').append(seed);
    }
    return b.toString();
  }

  static JsonNode at(JsonNode root, String pointer) {
    JsonNode n = root.at(pointer);
    return n.isMissingNode() ? null : n;
  }

  /** Sets {@code value} at {@code pointer}, making missing objects on the way; false where a list is too short. */
  static boolean put(JsonNode root, String pointer, JsonNode value) {
    String[] parts = pointer.substring(1).split("/");
    JsonNode n = root;
    for (int i = 0; i < parts.length; i++) {
      String p = parts[i];
      boolean last = i == parts.length - 1;
      if (n instanceof ArrayNode a) {
        int idx = Integer.parseInt(p);
        if (idx >= a.size()) {
          return false;
        }
        if (last) {
          a.set(idx, value);
          return true;
        }
        n = a.get(idx);
      } else if (n instanceof ObjectNode o) {
        if (last) {
          o.set(p, value);
          return true;
        }
        if (!o.has(p) || !o.get(p).isContainerNode()) {
          if (parts[i + 1].matches("\\d+")) {
            return false;
          }
          o.set(p, F.objectNode());
        }
        n = o.get(p);
      } else {
        return false;
      }
    }
    return false;
  }

  static String brief(JsonNode value) {
    String s = value.toString();
    return s.length() > 80 ? s.substring(0, 77) + "... (" + s.length() + " characters)" : s;
  }
}
