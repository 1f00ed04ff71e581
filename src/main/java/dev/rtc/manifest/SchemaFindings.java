package dev.rtc.manifest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rtc.manifest.diagnostics.Code;
import dev.rtc.manifest.diagnostics.Diagnostics;
import dev.rtc.manifest.diagnostics.Pointers;
import dev.rtc.manifest.diagnostics.Severity;
import dev.rtc.manifest.diagnostics.Suggest;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.everit.json.schema.ArraySchema;
import org.everit.json.schema.ObjectSchema;
import org.everit.json.schema.Schema;
import org.everit.json.schema.ValidationException;
import org.json.JSONArray;
import org.json.JSONObject;

/**
 * What the schema found, in rtc's words: each of everit's leaf findings becomes one located
 * diagnostic, its wording built from the violated schema and the value (the key that is unknown or
 * missing, the type wanted, the bound, the allowed values), never from everit's English; a bad
 * cpulist or size is explained by rtc's own parser.
 */
final class SchemaFindings {

  /** The patterns of definitions/cpulist and definitions/size, whose failures rtc's parsers explain. */
  private final java.util.Map<String, String> patterns;

  SchemaFindings(java.util.Map<String, String> patterns) {
    this.patterns = patterns;
  }

  /**
   * One finding of the schema: everit's leaf, and for an unknown or a missing key, which key. The
   * key is read from the schema and the value (everit says it only in its English message, once
   * per key, in an order of its own).
   */
  record Leaf(ValidationException v, String key) {
    String pointer() {
      return pointerOf(v);
    }

    String keyword() {
      return v.getKeyword() == null ? "" : v.getKeyword();
    }

    boolean unknownKey() {
      return key != null && keyword().equals("additionalProperties");
    }

    boolean missingKey() {
      return key != null && keyword().equals("required");
    }
  }

  void report(Leaf leaf, JsonNode tree, Diagnostics d) {
    ValidationException v = leaf.v();
    String pointer = leaf.pointer();
    String msg = v.getErrorMessage();
    String keyword = leaf.keyword();
    JsonNode node = tree.at(pointer);
    if (leaf.unknownKey()) {
      String key = leaf.key();
      Set<String> known = known(v);
      String guess = Suggest.closest(key, known);
      d.errorAtKey(Code.RTC010, Pointers.child(pointer, key), "unknown key '" + key + "'",
          guess != null ? "did you mean '" + guess + "'?" : "known keys here: " + String.join(", ", known.stream().sorted().toList()));
    } else if (leaf.missingKey()) {
      d.error(Code.RTC011, pointer, "required key '" + leaf.key() + "' is missing", requiredHint(leaf.key()));
    } else if (keyword.equals("type")) {
      // A block list or mapping starts on the line below its key; the key is where to look.
      String expected = expectedType(v.getViolatedSchema());
      String found = expected.equals("Integer") && node != null && node.isNumber() ? node.asText() : kind(node);
      // A size given as a bare number: quoting it would only lead to the next error (no unit).
      String hint = expected.equals("String") && node != null && node.isNumber() && definition(v, "size")
          ? "a size needs its unit: write e.g. \"" + node.asText() + " MiB\" (B, KiB, MiB, GiB, TiB)" : typeHint(expected, node);
      d.add(Severity.ERROR, Code.RTC012, pointer, node != null && node.isContainerNode(), "must be " + article(expected) + ", not " + found,
          hint);
    } else if (keyword.equals("enum") || keyword.equals("const")) {
      d.error(Code.RTC013, pointer, shown(node) + " is not allowed; " + allowed(v), "");
    } else if (pointer.endsWith("/passwordHash") && (keyword.equals("pattern") || keyword.equals("minLength"))) {
      // Never echo the value: it may be the real password, and diagnostics end up in CI logs.
      d.error(Code.RTC016, pointer, "this is not a whole SHA-512 ($6$), SHA-256 ($5$), yescrypt ($y$) or bcrypt ($2b$) password "
          + "hash (cut short, empty salt or hash, or not a hash at all); rtc writes only hashes into user-data, never a password", "make one with: mkpasswd -m sha-512 (or openssl passwd -6), "
          + "and paste it in double quotes");
    } else if (keyword.equals("pattern") && node != null && node.isTextual() && definition(v, "cpulist")) {
      // The pattern lets an editor mark a bad cpulist; rtc's own parser says what is wrong with it.
      d.error(Code.RTC020, pointer, parserSays(node, "a cpulist", dev.rtc.topology.CpuSet::parse),
          "write CPUs as a Linux cpulist, e.g. \"0-3\", \"4-63\", \"0-62:2\" (even CPUs)");
    } else if (keyword.equals("pattern") && node != null && node.isTextual() && definition(v, "size")) {
      d.error(Code.RTC021, pointer, parserSays(node, "a size", dev.rtc.topology.ByteSize::parse), "e.g. 60 MiB, 28160K, 8 GiB");
    } else if (keyword.equals("pattern") && node != null && node.isTextual() && fitsInLowerCase(v, node.asText())) {
      // A MAC, a PCI address or a name with capitals: the rule, not just "not valid".
      d.error(Code.RTC013, pointer, shown(node) + " has upper-case letters; this value is written in lower case",
          "write \"" + node.asText().toLowerCase(java.util.Locale.ROOT) + "\"");
    } else if (keyword.equals("pattern")) {
      d.error(Code.RTC013, pointer, shown(node) + " is not valid here", patternHint(v));
    } else if (keyword.equals("minimum") || keyword.equals("maximum")
        || keyword.equals("exclusiveMinimum") || keyword.equals("exclusiveMaximum")) {
      d.error(Code.RTC014, pointer, shown(node) + " is out of range: " + range(v), rangeHint(pointer));
    } else if ((keyword.equals("minItems") || keyword.equals("maxItems")) && v.getViolatedSchema() instanceof ArraySchema as && node.isArray()) {
      boolean few = keyword.equals("minItems");
      String has = node.isEmpty() ? "is empty" : "has " + node.size() + (node.size() == 1 ? " item" : " items");
      d.error(Code.RTC015, pointer, has + (few ? "; it needs at least " + as.getMinItems() : "; at most " + as.getMaxItems() + " are allowed here"),
          "");
    } else if (keyword.equals("maxLength") && v.getViolatedSchema() instanceof org.everit.json.schema.StringSchema ss && node != null) {
      d.error(Code.RTC013, pointer, "is " + node.asText().codePointCount(0, node.asText().length()) + " characters long; at most "
          + ss.getMaxLength() + " are allowed here", "is this the right value? a paste that went wrong?");
    } else if (keyword.equals("minLength") && v.getViolatedSchema() instanceof org.everit.json.schema.StringSchema ss && node != null) {
      d.error(Code.RTC013, pointer, node.asText().isEmpty() ? "is empty" : "is " + node.asText().codePointCount(0, node.asText().length())
          + " characters long; at least " + ss.getMinLength() + " are needed here", "");
    } else if (keyword.equals("minProperties") && v.getViolatedSchema() instanceof ObjectSchema os && node != null) {
      d.error(Code.RTC013, pointer, node.isEmpty() ? "is empty" : "has " + node.size() + " keys", "give at least " + os.getMinProperties()
          + (os.getMinProperties() == 1 ? " key" : " keys") + " of: " + String.join(", ", os.getPropertySchemas().keySet().stream().sorted().toList()));
    } else {
      // A keyword the schema does not use today: everit's own words, rather than none.
      d.error(Code.RTC013, pointer, msg, "");
    }
  }

  /** everit's "0 is not greater or equal to 1", as the rule: "must be at least 1". */
  static String range(ValidationException v) {
    if (v.getViolatedSchema() instanceof org.everit.json.schema.NumberSchema ns) {
      Number limit;
      switch (v.getKeyword()) {
        case "minimum" -> limit = ns.getMinimum();
        case "maximum" -> limit = ns.getMaximum();
        case "exclusiveMinimum" -> limit = ns.getExclusiveMinimumLimit() != null ? ns.getExclusiveMinimumLimit() : ns.getMinimum();
        default -> limit = ns.getExclusiveMaximumLimit() != null ? ns.getExclusiveMaximumLimit() : ns.getMaximum();
      }
      if (limit != null) {
        return switch (v.getKeyword()) {
          case "minimum" -> "must be at least " + limit;
          case "maximum" -> "must be at most " + limit;
          case "exclusiveMinimum" -> "must be more than " + limit;
          default -> "must be less than " + limit;
        };
      }
    }
    return v.getErrorMessage();
  }

  static String requiredHint(String key) {
    return switch (key) {
      case "apiVersion" -> "add 'apiVersion: rtc/v1' as the first line";
      case "passwordHash" -> "create one with: mkpasswd -m sha-512";
      case "housekeeping" -> "list the CPUs the host keeps for itself, e.g. housekeeping: \"0-3\"";
      default -> "man rtc-manifest says what '" + key + "' takes (rtc schema prints the JSON Schema)";
    };
  }

  static String typeHint(String expected, JsonNode node) {
    if (expected.equals("Integer") && node != null && node.isNumber()) {
      return node.decimalValue().stripTrailingZeros().scale() <= 0 ? "write " + node.decimalValue().toBigInteger() : "";
    }
    if (expected.equals("String") && node.isNumber()) {
      return "quote it, e.g. \"" + node.asText() + "\" (YAML reads unquoted digits as a number)";
    }
    if (expected.equals("Integer") && node.isTextual()) {
      return "write a plain number without quotes or units";
    }
    return "";
  }

  /** What rtc's own parser says is wrong with a value the schema's pattern refused (its syntax error), or plainly that it is not {@code what}. */
  static String parserSays(JsonNode node, String what, java.util.function.Consumer<String> parse) {
    try {
      parse.accept(node.asText());
      return shown(node) + " is not " + what;
    } catch (IllegalArgumentException e) { // CpuSet's and ByteSize's SyntaxException
      return e.getMessage();
    }
  }

  /** Whether the value would match the pattern it failed if it were in lower case. */
  static boolean fitsInLowerCase(ValidationException v, String value) {
    String lower = value.toLowerCase(java.util.Locale.ROOT);
    // The schema's pattern run on RE2/J (linear time), as the validation ran it: never java.util.regex,
    // which recurses once per item of a long list.
    return !lower.equals(value) && v.getViolatedSchema() instanceof org.everit.json.schema.StringSchema ss && ss.getPattern() != null
        && com.google.re2j.Pattern.compile(ss.getPattern().pattern()).matcher(lower).find();
  }

  /** Whether the schema {@code v} failed is the pattern of definitions/{@code name}: compared by the pattern itself. */
  private boolean definition(ValidationException v, String name) {
    return v.getViolatedSchema() instanceof org.everit.json.schema.StringSchema ss && ss.getPattern() != null
        && ss.getPattern().toString().equals(patterns.get(name));
  }

  static String patternHint(ValidationException v) {
    Object desc = v.getViolatedSchema() == null ? null : v.getViolatedSchema().getDescription();
    return desc != null ? desc.toString() : "";
  }

  static String rangeHint(String pointer) {
    if (pointer.endsWith("/threadsPerCore")) {
      return "1 (SMT off, as the guide's BIOS table asks) or 2 (SMT on, with topology.siblings)";
    }
    return "";
  }

  static String allowed(ValidationException v) {
    if (v.getViolatedSchema() instanceof org.everit.json.schema.EnumSchema es) {
      return "use one of: " + String.join(", ", es.getPossibleValuesAsList().stream().map(Object::toString).sorted().toList());
    }
    if (v.getViolatedSchema() instanceof org.everit.json.schema.ConstSchema cs) {
      return "it must be " + cs.getPermittedValue();
    }
    return v.getErrorMessage();
  }

  /** The JSON type a schema that refused a value's type wants, as everit names the types. */
  static String expectedType(org.everit.json.schema.Schema schema) {
    if (schema instanceof org.everit.json.schema.StringSchema) {
      return "String";
    }
    if (schema instanceof org.everit.json.schema.NumberSchema ns) {
      return ns.requiresInteger() ? "Integer" : "Number";
    }
    if (schema instanceof ObjectSchema) {
      return "JSONObject";
    }
    if (schema instanceof ArraySchema) {
      return "JSONArray";
    }
    if (schema instanceof org.everit.json.schema.BooleanSchema) {
      return "Boolean";
    }
    return "another type";
  }

  static String article(String everitType) {
    return switch (everitType) {
      case "String" -> "a string";
      case "Integer" -> "a whole number";
      case "Number" -> "a number";
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

  static String shown(JsonNode n) {
    if (n == null || n.isMissingNode()) {
      return "this value";
    }
    if (n.isTextual()) {
      String t = n.asText();
      return t.length() > 80 ? "'" + t.substring(0, 60) + "...' (" + t.length() + " characters)" : "'" + t + "'";
    }
    String flow = flow(n);
    return flow.length() > 60 ? flow.substring(0, 57) + "..." : flow;
  }

  /** A value as YAML's flow style writes it, {cpus: 0} or [1, 2]: how the user wrote it, more or less, not JSON. */
  static String flow(JsonNode n) {
    if (n.isObject()) {
      List<String> parts = new ArrayList<>();
      n.fields().forEachRemaining(e -> parts.add(e.getKey() + ": " + flow(e.getValue())));
      return "{" + String.join(", ", parts) + "}";
    }
    if (n.isArray()) {
      List<String> parts = new ArrayList<>();
      n.forEach(c -> parts.add(flow(c)));
      return "[" + String.join(", ", parts) + "]";
    }
    return n.isTextual() ? "\"" + n.asText() + "\"" : n.asText();
  }

  /** The keys that some unknown key's "did you mean" points at, as pointers. */
  static Set<String> suggestedKeys(List<Leaf> leaves) {
    Set<String> out = new java.util.HashSet<>();
    for (Leaf l : leaves) {
      String guess = l.unknownKey() ? Suggest.closest(l.key(), known(l.v())) : null;
      if (guess != null) {
        out.add(Pointers.child(l.pointer(), guess));
      }
    }
    return out;
  }

  /**
   * everit's leaves, with the key of each unknown-key and missing-key finding: every key the value
   * has and its schema does not know, every required key it lacks, each once per object, in the
   * value's (or the schema's) order.
   */
  static List<Leaf> leaves(List<ValidationException> raw, JsonNode tree) {
    List<Leaf> out = new ArrayList<>();
    Set<String> done = new java.util.HashSet<>();
    for (ValidationException v : raw) {
      String keyword = v.getKeyword() == null ? "" : v.getKeyword();
      JsonNode node = tree.at(pointerOf(v));
      boolean perKey = keyword.equals("additionalProperties") || keyword.equals("required");
      if (!perKey || !(v.getViolatedSchema() instanceof ObjectSchema os) || !node.isObject()) {
        out.add(new Leaf(v, null));
        continue;
      }
      if (!done.add(keyword + " " + pointerOf(v))) {
        continue; // the object's keys are all listed from its first finding
      }
      if (keyword.equals("required")) {
        os.getRequiredProperties().stream().filter(k -> !node.has(k)).forEach(k -> out.add(new Leaf(v, k)));
      } else {
        node.fieldNames().forEachRemaining(k -> {
          if (!os.getPropertySchemas().containsKey(k)) {
            out.add(new Leaf(v, k));
          }
        });
      }
    }
    return out;
  }

  /** The keys the object schema a finding is about knows. */
  static Set<String> known(ValidationException v) {
    return v.getViolatedSchema() instanceof ObjectSchema os ? os.getPropertySchemas().keySet() : Set.of();
  }

  static String pointerOf(ValidationException v) {
    return v.getPointerToViolation().replaceFirst("^#", "");
  }
}
