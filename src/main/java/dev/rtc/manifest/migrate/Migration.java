package dev.rtc.manifest.migrate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rtc.manifest.ManifestLoader;
import dev.rtc.manifest.diagnostics.ManifestException;
import dev.rtc.manifest.diagnostics.Pointers;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * How a manifest written for an older manifest version ({@code apiVersion}) becomes one for the
 * current version: a list of {@link Step}s, each made of {@link Change}s (a key renamed, its value
 * rewritten, a key moved). The rule that keeps old manifests working: a change of the manifest
 * language that renames or moves a key bumps {@code apiVersion} and adds its step here, and
 * {@code SchemaKeysTest} fails any change that drops a key without one.
 *
 * <p>A step is applied twice, from one description: to the parsed tree (what the new manifest
 * must mean) and to the text, as edits at the positions the loader recorded, so that the user's
 * comments, order, quoting and layout survive. The rewritten text is then parsed again and must
 * give exactly the rewritten tree; if it does not (a layout the text edits cannot handle), the
 * migration refuses rather than write a manifest that means something else.
 */
public final class Migration {

  /** The manifest version this rtc reads. */
  public static final String CURRENT = "rtc/v1";

  /** The steps of this rtc, oldest first. rtc/v1 is the first manifest version, so there are none yet. */
  public static final List<Step> STEPS = List.of();

  /**
   * One change to the manifest language, at every node that {@code pattern} matches (a JSON
   * pointer in which {@code *} stands for any array index or key).
   */
  public sealed interface Change {
    String pattern();

    /** The key at {@code pattern} gets the name {@code to}; {@code value}, if given, rewrites its (scalar) value. */
    record Rename(String pattern, String to, Function<JsonNode, JsonNode> value) implements Change {}

    /** The key at {@code pattern} moves into the existing mapping at {@code into} (a pointer relative to the root, {@code *} as in the pattern). */
    record Move(String pattern, String into) implements Change {}
  }

  /** From one manifest version to the next. */
  public record Step(String from, String to, String what, List<Change> changes) {}

  /** What migrating gave: the new text, the new version, and a line for each step taken. */
  public record Result(String text, String version, List<String> steps) {
    public boolean changed(String before) {
      return !text.equals(before);
    }
  }

  /** Thrown when a manifest cannot be migrated: an unknown version, or a layout the text edits cannot keep. */
  public static final class MigrationException extends RuntimeException {
    public MigrationException(String message) {
      super(message);
    }
  }

  private final List<Step> steps;

  public Migration(List<Step> steps) {
    this.steps = List.copyOf(steps);
  }

  /** The steps this rtc knows. */
  public static Migration standard() {
    return new Migration(STEPS);
  }

  /** The version the steps end at: {@link #CURRENT} for the standard migration. */
  public String current() {
    return steps.isEmpty() ? CURRENT : steps.get(steps.size() - 1).to();
  }

  /** Applies every step from the manifest's version on. Throws {@link ManifestException} for YAML it cannot read. */
  public Result migrate(ManifestLoader.Source source) {
    String text = ManifestLoader.decodeOrThrow(source);
    ManifestLoader.Loaded loaded = ManifestLoader.parse(source);
    String version = loaded.tree().path("apiVersion").asText("");
    List<String> taken = new ArrayList<>();
    for (Step s : steps) {
      if (!s.from().equals(version)) {
        continue;
      }
      text = apply(s, loaded, text);
      version = s.to();
      taken.add(s.from() + " -> " + s.to() + ": " + s.what());
      loaded = ManifestLoader.parse(new ManifestLoader.Source(source.displayName(), text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
    if (!version.equals(current())) {
      throw new MigrationException("apiVersion " + (version.isEmpty() ? "is missing" : "'" + version + "' is not one this rtc knows")
          + "; this rtc reads " + current() + (steps.isEmpty() ? "" : " and migrates from " + steps.get(0).from()));
    }
    return new Result(text, version, taken);
  }

  private static String apply(Step step, ManifestLoader.Loaded loaded, String text) {
    ObjectNode expected = (ObjectNode) loaded.tree().deepCopy();
    TextEdits edits = new TextEdits(text, loaded);
    for (Change c : step.changes()) {
      for (String at : matches(loaded.tree(), c.pattern())) {
        String parent = at.substring(0, at.lastIndexOf('/'));
        String key = Pointers.unescape(at.substring(at.lastIndexOf('/') + 1));
        JsonNode value = loaded.tree().at(at);
        if (c instanceof Change.Rename r) {
          JsonNode newValue = r.value() == null ? value : r.value().apply(value);
          ((ObjectNode) expected.at(parent)).remove(key);
          ((ObjectNode) expected.at(parent)).set(r.to(), newValue);
          edits.renameKey(at, r.to());
          if (r.value() != null) {
            edits.replaceScalar(at, newValue);
          }
        } else if (c instanceof Change.Move m) {
          String into = resolve(m.into(), at);
          if (!(expected.at(into) instanceof ObjectNode target) || target.has(key)) {
            throw new MigrationException(at + " cannot move to " + into + ": " + (expected.at(into).isMissingNode()
                ? "there is no such mapping" : "it has " + key + " already") + "; move it by hand");
          }
          ((ObjectNode) expected.at(parent)).remove(key);
          target.set(key, value);
          edits.move(at, into);
        }
      }
    }
    expected.put("apiVersion", step.to());
    edits.replaceScalar("/apiVersion", expected.get("apiVersion"));
    String result = edits.apply();
    JsonNode reparsed = ManifestLoader.parse(new ManifestLoader.Source("migrated", result.getBytes(java.nio.charset.StandardCharsets.UTF_8))).tree();
    if (!reparsed.equals(expected)) {
      throw new MigrationException("the rewritten manifest would not mean what " + step.to() + " says it should "
          + "(a layout rtc cannot edit in place); apply these changes by hand: " + step.what());
    }
    return result;
  }

  /** The pointers in {@code tree} that {@code pattern} matches, in document order. */
  static List<String> matches(JsonNode tree, String pattern) {
    List<String> out = new ArrayList<>();
    match(tree, "", pattern.substring(1).split("/"), 0, out);
    return out;
  }

  private static void match(JsonNode node, String at, String[] parts, int i, List<String> out) {
    if (i == parts.length) {
      out.add(at);
      return;
    }
    if (parts[i].equals("*")) {
      if (node.isArray()) {
        for (int k = 0; k < node.size(); k++) {
          match(node.get(k), at + "/" + k, parts, i + 1, out);
        }
      } else if (node.isObject()) {
        node.fieldNames().forEachRemaining(f -> match(node.get(f), Pointers.child(at, f), parts, i + 1, out));
      }
    } else if (node.has(Pointers.unescape(parts[i]))) {
      match(node.get(Pointers.unescape(parts[i])), at + "/" + parts[i], parts, i + 1, out);
    }
  }

  /** {@code into} with each {@code *} replaced by the segment {@code at} has in that place. */
  private static String resolve(String into, String at) {
    String[] a = at.split("/", -1);
    String[] t = into.split("/", -1);
    for (int i = 0; i < t.length; i++) {
      if (t[i].equals("*") && i < a.length) {
        t[i] = a[i];
      }
    }
    return String.join("/", t);
  }
}
