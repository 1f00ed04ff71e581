package dev.rtc.manifest;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.everit.json.schema.ObjectSchema;
import org.everit.json.schema.Schema;
import org.everit.json.schema.ValidationException;
import org.everit.json.schema.loader.SchemaLoader;
import org.json.JSONArray;
import org.json.JSONObject;
import org.json.JSONTokener;

/**
 * Checks a manifest tree against {@code schemas/manifest.schema.json} and turns every violation
 * everit finds into a located diagnostic with a message in manifest terms.
 */
public final class SchemaCheck {

  public static final String SCHEMA_RESOURCE = "/schemas/manifest.schema.json";

  private static final Pattern EXTRANEOUS = Pattern.compile("extraneous key \\[(.*)] is not permitted");
  private static final Pattern REQUIRED = Pattern.compile("required key \\[(.*)] not found");
  private static final Pattern TYPE = Pattern.compile("expected type: (\\w+), found: (\\w+)");

  private final Schema schema;

  private SchemaCheck(Schema schema) {
    this.schema = schema;
  }

  /** Loads the schema shipped in the jar. */
  public static SchemaCheck load() {
    try (InputStream in = SchemaCheck.class.getResourceAsStream(SCHEMA_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(SCHEMA_RESOURCE + " missing from the classpath");
      }
      JSONObject raw = new JSONObject(new JSONTokener(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
      return new SchemaCheck(SchemaLoader.builder().draftV7Support().schemaJson(raw).build().load().build());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static String schemaText() {
    try (InputStream in = SchemaCheck.class.getResourceAsStream(SCHEMA_RESOURCE)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public void check(JsonNode tree, Diagnostics d) {
    if (!tree.isObject()) {
      d.error(Code.RTC012, "", "the manifest must be a mapping of keys (apiVersion, name, host, vms, …), not "
          + kind(tree), "start from examples/eci-reference.yaml");
      return;
    }
    Set<String> controlled = new java.util.HashSet<>();
    controlCharacters(tree, "", d, controlled);
    try {
      schema.validate(toJson(tree));
    } catch (ValidationException e) {
      List<ValidationException> leaves = new ArrayList<>();
      collect(e, leaves);
      leaves.sort(Comparator.comparing(ValidationException::getPointerToViolation));
      Set<String> suggested = suggestedKeys(leaves);
      for (ValidationException leaf : leaves) {
        Matcher m = REQUIRED.matcher(leaf.getErrorMessage());
        if (m.matches() && suggested.contains(Pointers.child(pointerOf(leaf), m.group(1)))) {
          continue; // "unknown key 'vcpu' (did you mean 'vcpus'?)" already says it; one finding, not two
        }
        if (controlled.contains(pointerOf(leaf))) {
          continue; // the control character is the finding; its pattern failure would only repeat it
        }
        report(leaf, tree, d);
      }
    }
  }

  /**
   * No manifest value has a reason to hold a control character, and a newline is how injection
   * starts (a second ssh key, a second shell line). The schema's patterns cannot say it: everit
   * runs them with java.util.regex, whose {@code $} also matches before a final newline.
   */
  private static void controlCharacters(JsonNode n, String pointer, Diagnostics d, Set<String> found) {
    if (n.isTextual()) {
      String s = n.asText();
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c < 0x20 || c == 0x7f || c == 0x85 || c == 0x2028 || c == 0x2029) {
          d.error(Code.RTC013, pointer, "contains a control character (" + String.format("U+%04X", (int) c)
              + (c == '\n' ? ", a newline" : c == '\t' ? ", a tab" : "") + " at position " + (i + 1) + ")",
              "values are single lines of printable text; remove it");
          found.add(pointer);
          return;
        }
      }
    } else if (n.isObject()) {
      n.fields().forEachRemaining(e -> controlCharacters(e.getValue(), Pointers.child(pointer, e.getKey()), d, found));
    } else if (n.isArray()) {
      for (int i = 0; i < n.size(); i++) {
        controlCharacters(n.get(i), pointer + "/" + i, d, found);
      }
    }
  }

  /** The keys that some unknown key's "did you mean" points at, as pointers. */
  private static Set<String> suggestedKeys(List<ValidationException> leaves) {
    Set<String> out = new java.util.HashSet<>();
    for (ValidationException v : leaves) {
      Matcher m = EXTRANEOUS.matcher(v.getErrorMessage());
      if (m.matches() && v.getViolatedSchema() instanceof ObjectSchema os) {
        String guess = Suggest.closest(m.group(1), os.getPropertySchemas().keySet());
        if (guess != null) {
          out.add(Pointers.child(pointerOf(v), guess));
        }
      }
    }
    return out;
  }

  private static String pointerOf(ValidationException v) {
    return v.getPointerToViolation().replaceFirst("^#", "");
  }

  /** everit nests "N schema violations found"; the leaves are the real findings. */
  private static void collect(ValidationException e, List<ValidationException> out) {
    if (e.getCausingExceptions().isEmpty()) {
      out.add(e);
    } else {
      for (ValidationException c : e.getCausingExceptions()) {
        collect(c, out);
      }
    }
  }

  private void report(ValidationException v, JsonNode tree, Diagnostics d) {
    String pointer = pointerOf(v);
    String msg = v.getErrorMessage();
    String keyword = v.getKeyword() == null ? "" : v.getKeyword();
    JsonNode node = tree.at(pointer);
    Matcher m;
    if ((m = EXTRANEOUS.matcher(msg)).matches()) {
      String key = m.group(1);
      String child = Pointers.child(pointer, key);
      Set<String> known = v.getViolatedSchema() instanceof ObjectSchema os ? os.getPropertySchemas().keySet() : Set.of();
      String guess = Suggest.closest(key, known);
      d.errorAtKey(Code.RTC010, child, "unknown key '" + key + "'",
          guess != null ? "did you mean '" + guess + "'?" : "known keys here: " + String.join(", ", known.stream().sorted().toList()));
    } else if ((m = REQUIRED.matcher(msg)).matches()) {
      d.error(Code.RTC011, pointer, "required key '" + m.group(1) + "' is missing", requiredHint(m.group(1)));
    } else if ((m = TYPE.matcher(msg)).matches()) {
      // A block list or mapping starts on the line below its key; the key is where to look.
      d.add(Severity.ERROR, Code.RTC012, pointer, node != null && node.isContainerNode(), "must be " + article(m.group(1)) + ", not " + kind(node), typeHint(m.group(1), node));
    } else if (keyword.equals("enum") || keyword.equals("const")) {
      d.error(Code.RTC013, pointer, shown(node) + " is not allowed; " + allowed(v), "");
    } else if (pointer.endsWith("/passwordHash") && (keyword.equals("pattern") || keyword.equals("minLength"))) {
      // Never echo the value: it may be the real password, and diagnostics end up in CI logs.
      d.error(Code.RTC016, pointer, "this is not a SHA-512 ($6$), SHA-256 ($5$), yescrypt ($y$) or bcrypt ($2b$) password "
          + "hash; rtc writes only hashes into user-data, never a password", "make one with: mkpasswd -m sha-512 (or openssl passwd -6), "
          + "and paste it in double quotes");
    } else if (keyword.equals("pattern")) {
      d.error(Code.RTC013, pointer, shown(node) + " is not valid here", patternHint(v));
    } else if (keyword.equals("minimum") || keyword.equals("maximum")
        || keyword.equals("exclusiveMinimum") || keyword.equals("exclusiveMaximum")) {
      d.error(Code.RTC014, pointer, shown(node) + " is out of range: " + msg.replace("is not", "must be").replaceFirst("^\\S+ must be", "must be"), rangeHint(pointer));
    } else if (keyword.equals("minItems") || keyword.equals("maxItems")) {
      d.error(Code.RTC015, pointer, msg, "");
    } else if (keyword.equals("minLength") || keyword.equals("maxLength")) {
      d.error(Code.RTC013, pointer, msg, "");
    } else {
      d.error(Code.RTC013, pointer, msg, "");
    }
  }

  private static String requiredHint(String key) {
    return switch (key) {
      case "apiVersion" -> "add 'apiVersion: rtc/v1' as the first line";
      case "passwordHash" -> "create one with: mkpasswd -m sha-512";
      case "housekeeping" -> "list the CPUs the host keeps for itself, e.g. housekeeping: \"0-3\"";
      default -> "see schemas/manifest.schema.json or examples/eci-reference.yaml";
    };
  }

  private static String typeHint(String expected, JsonNode node) {
    if (expected.equals("String") && node.isNumber()) {
      return "quote it, e.g. \"" + node.asText() + "\" (YAML reads unquoted digits as a number)";
    }
    if (expected.equals("Integer") && node.isTextual()) {
      return "write a plain number without quotes or units";
    }
    return "";
  }

  private static String patternHint(ValidationException v) {
    Object desc = v.getViolatedSchema() == null ? null : v.getViolatedSchema().getDescription();
    return desc != null ? desc.toString() : "";
  }

  private static String rangeHint(String pointer) {
    if (pointer.endsWith("/threadsPerCore")) {
      return "1 (SMT off, as the guide's BIOS table asks) or 2 (SMT on, with topology.siblings)";
    }
    return "";
  }

  private static String allowed(ValidationException v) {
    if (v.getViolatedSchema() instanceof org.everit.json.schema.EnumSchema es) {
      return "use one of: " + String.join(", ", es.getPossibleValuesAsList().stream().map(Object::toString).sorted().toList());
    }
    if (v.getViolatedSchema() instanceof org.everit.json.schema.ConstSchema cs) {
      return "it must be " + cs.getPermittedValue();
    }
    return v.getErrorMessage();
  }

  private static String article(String everitType) {
    return switch (everitType) {
      case "String" -> "a string";
      case "Integer", "Number" -> "a number";
      case "JSONObject" -> "a mapping (key: value lines)";
      case "JSONArray" -> "a list";
      case "Boolean" -> "true or false";
      default -> everitType;
    };
  }

  static String kind(JsonNode n) {
    if (n == null || n.isMissingNode() || n.isNull()) {
      return "empty";
    }
    if (n.isTextual()) {
      return "the string \"" + n.asText() + "\"";
    }
    if (n.isNumber()) {
      return "the number " + n.asText();
    }
    if (n.isBoolean()) {
      return n.asText();
    }
    return n.isArray() ? "a list" : "a mapping";
  }

  private static String shown(JsonNode n) {
    if (n == null || n.isMissingNode()) {
      return "this value";
    }
    return n.isTextual() ? "'" + n.asText() + "'" : n.toString();
  }

  /** Jackson tree → org.json, the model everit validates. */
  static Object toJson(JsonNode n) {
    if (n.isObject()) {
      JSONObject o = new JSONObject();
      n.fields().forEachRemaining(e -> o.put(e.getKey(), toJson(e.getValue())));
      return o;
    }
    if (n.isArray()) {
      JSONArray a = new JSONArray();
      n.forEach(c -> a.put(toJson(c)));
      return a;
    }
    if (n.isIntegralNumber()) {
      return n.canConvertToLong() ? (Object) n.longValue() : n.bigIntegerValue();
    }
    if (n.isNumber()) {
      BigDecimal dec = n.decimalValue();
      return dec;
    }
    if (n.isBoolean()) {
      return n.booleanValue();
    }
    if (n.isNull()) {
      return JSONObject.NULL;
    }
    return n.asText();
  }
}
