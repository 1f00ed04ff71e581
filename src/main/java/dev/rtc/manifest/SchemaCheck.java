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
import org.everit.json.schema.CombinedSchema;
import org.everit.json.schema.ObjectSchema;
import org.everit.json.schema.Schema;
import org.everit.json.schema.ValidationException;
import org.everit.json.schema.loader.SchemaLoader;
import org.everit.json.schema.regexp.RE2JRegexpFactory;
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
  /** The patterns of definitions/cpulist and definitions/size, whose failures rtc's parsers explain. */
  private final java.util.Map<String, String> patterns;

  private SchemaCheck(Schema schema, java.util.Map<String, String> patterns) {
    this.schema = schema;
    this.patterns = patterns;
  }

  /**
   * Loads the schema shipped in the jar. Its patterns run on RE2/J: java.util.regex recurses once
   * per repetition of a group, and a legal cpulist of 1,001 items overflowed its stack.
   */
  public static SchemaCheck load() {
    try (InputStream in = SchemaCheck.class.getResourceAsStream(SCHEMA_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(SCHEMA_RESOURCE + " missing from the classpath");
      }
      JSONObject raw = new JSONObject(new JSONTokener(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
      JSONObject defs = raw.getJSONObject("definitions");
      return new SchemaCheck(SchemaLoader.builder().draftV7Support().regexpFactory(new RE2JRegexpFactory()).schemaJson(raw).build().load().build(),
          java.util.Map.of("cpulist", defs.getJSONObject("cpulist").getString("pattern"), "size", defs.getJSONObject("size").getString("pattern")));
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

  /**
   * Where the schema found fault, as pointers: for {@link PartialRules}, which checks the rest.
   *
   * @param unknownKeys keys the schema does not know (removing them changes nothing rtc reads)
   * @param broken values that are wrong, and objects that miss a required key
   */
  public record Findings(Set<String> unknownKeys, Set<String> broken) {
    public boolean any() {
      return !unknownKeys.isEmpty() || !broken.isEmpty();
    }
  }

  public Findings check(JsonNode tree, Diagnostics d) {
    Findings found = new Findings(new java.util.TreeSet<>(), new java.util.TreeSet<>());
    if (!tree.isObject()) {
      d.error(Code.RTC012, "", "the manifest must be a mapping of keys (apiVersion, name, host, vms, …), not "
          + kind(tree), "start from examples/eci-reference.yaml");
      found.broken().add("");
      return found;
    }
    Set<String> controlled = new java.util.HashSet<>();
    controlCharacters(tree, "", d, controlled);
    found.broken().addAll(controlled);
    try {
      schema.validate(toJson(tree));
    } catch (ValidationException e) {
      List<ValidationException> leaves = new ArrayList<>();
      collect(e, tree, leaves, d, found.broken());
      leaves.sort(Comparator.comparing(ValidationException::getPointerToViolation));
      Set<String> suggested = suggestedKeys(leaves);
      Set<String> tooLong = new java.util.HashSet<>();
      leaves.stream().filter(l -> "maxLength".equals(l.getKeyword())).forEach(l -> tooLong.add(pointerOf(l)));
      for (ValidationException leaf : leaves) {
        Matcher x = EXTRANEOUS.matcher(leaf.getErrorMessage());
        if (x.matches()) {
          // A misspelling of a key that is absent is that key missing: its object is broken, not
          // merely carrying a key rtc would ignore.
          String meant = leaf.getViolatedSchema() instanceof ObjectSchema os ? Suggest.closest(x.group(1), os.getPropertySchemas().keySet()) : null;
          if (meant != null && !tree.at(pointerOf(leaf)).has(meant)) {
            found.broken().add(pointerOf(leaf));
          } else {
            found.unknownKeys().add(Pointers.child(pointerOf(leaf), x.group(1)));
          }
        } else {
          found.broken().add(pointerOf(leaf));
        }
        Matcher m = REQUIRED.matcher(leaf.getErrorMessage());
        if (m.matches() && suggested.contains(Pointers.child(pointerOf(leaf), m.group(1)))) {
          continue; // "unknown key 'vcpu' (did you mean 'vcpus'?)" already says it; one finding, not two
        }
        if (controlled.contains(pointerOf(leaf))) {
          continue; // the control character is the finding; its pattern failure would only repeat it
        }
        if ("pattern".equals(leaf.getKeyword()) && tooLong.contains(pointerOf(leaf))) {
          continue; // the length is the finding; 8000 characters do not need their syntax told too
        }
        report(leaf, tree, d);
      }
    }
    return found;
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

  /**
   * everit nests "N schema violations found"; the leaves are the real findings. A value that
   * matches none of the forms a oneOf allows fails each form in its own way, and all those
   * failures together contradict each other ({@code emulator: {cpus: 0}} is "out of range" in the
   * cpus form and "unknown key 'cpus'" in the pin form): the form the value was evidently written
   * in, the one that knows its keys, is the one whose findings are told. When no form knows them,
   * one finding lists the forms.
   */
  private static void collect(ValidationException e, JsonNode tree, List<ValidationException> out, Diagnostics d, Set<String> broken) {
    if (e.getCausingExceptions().isEmpty()) {
      out.add(e);
      return;
    }
    if (e.getViolatedSchema() instanceof CombinedSchema cs && "oneOf".equals(e.getKeyword())) {
      JsonNode node = tree.at(pointerOf(e));
      ValidationException meant = intended(cs, node, pointerOf(e));
      if (meant != null) {
        collect(meant, tree, out, d, broken);
      } else {
        broken.add(pointerOf(e));
        d.add(Severity.ERROR, Code.RTC012, pointerOf(e), node.isContainerNode(), shown(node) + " is none of the forms allowed here: "
            + forms(cs) + (node.isObject() && node.size() > 1 ? " (one form at a time)" : ""),
            cs.getDescription() == null ? "" : cs.getDescription());
      }
      return;
    }
    for (ValidationException c : e.getCausingExceptions()) {
      collect(c, tree, out, d, broken);
    }
  }

  /**
   * The failure of the oneOf form {@code node} was written in: the mapping form that knows more of
   * its keys than any other. None when no form knows them, or two know as many (the value mixes
   * forms): then the forms are listed instead. That form is validated again on its own, for its
   * findings alone (everit's failures of a oneOf do not say which form each belongs to); the
   * pointers of those findings are made whole again by prefixing {@code at}.
   */
  private static ValidationException intended(CombinedSchema cs, JsonNode node, String at) {
    if (!node.isObject()) {
      return null;
    }
    Schema best = null;
    int bestScore = 0;
    boolean tie = false;
    for (Schema form : cs.getSubschemas()) {
      if (form instanceof ObjectSchema os) {
        int known = 0;
        for (var it = node.fieldNames(); it.hasNext(); ) {
          known += os.getPropertySchemas().containsKey(it.next()) ? 1 : 0;
        }
        if (known > bestScore) {
          best = form;
          bestScore = known;
          tie = false;
        } else if (known == bestScore && known > 0) {
          tie = true;
        }
      }
    }
    if (best == null || tie) {
      return null;
    }
    try {
      best.validate(toJson(node));
      return null; // cannot be: no form matched
    } catch (ValidationException v) {
      return relocated(v, at);
    }
  }

  /** {@code v} as if found at {@code at} in the whole tree rather than at the root of the value validated alone. */
  private static ValidationException relocated(ValidationException v, String at) {
    String[] segments = at.split("/", -1);
    for (int i = segments.length - 1; i >= 1; i--) {
      v = v.prepend(segments[i].replace("~1", "/").replace("~0", "~"));
    }
    return v;
  }

  /** The forms of a oneOf, in words: "a mapping with cpus", "a mapping with pin", "shared". */
  private static String forms(CombinedSchema cs) {
    List<String> out = new ArrayList<>();
    for (Schema s : cs.getSubschemas()) {
      if (s instanceof ObjectSchema os) {
        out.add("a mapping with " + String.join(" and ", os.getRequiredProperties()));
      } else if (s instanceof org.everit.json.schema.EnumSchema es) {
        es.getPossibleValuesAsList().stream().map(Object::toString).sorted().forEach(out::add);
      } else {
        out.add(String.valueOf(s));
      }
    }
    return out.size() == 1 ? out.get(0) : String.join(", ", out.subList(0, out.size() - 1)) + " or " + out.get(out.size() - 1);
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
      String found = m.group(1).equals("Integer") && node != null && node.isNumber() ? node.asText() : kind(node);
      d.add(Severity.ERROR, Code.RTC012, pointer, node != null && node.isContainerNode(), "must be " + article(m.group(1)) + ", not " + found,
          typeHint(m.group(1), node));
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
    } else if (keyword.equals("pattern")) {
      d.error(Code.RTC013, pointer, shown(node) + " is not valid here", patternHint(v));
    } else if (keyword.equals("minimum") || keyword.equals("maximum")
        || keyword.equals("exclusiveMinimum") || keyword.equals("exclusiveMaximum")) {
      d.error(Code.RTC014, pointer, shown(node) + " is out of range: " + range(v), rangeHint(pointer));
    } else if (keyword.equals("minItems") || keyword.equals("maxItems")) {
      d.error(Code.RTC015, pointer, msg, "");
    } else if (keyword.equals("maxLength") && v.getViolatedSchema() instanceof org.everit.json.schema.StringSchema ss && node != null) {
      d.error(Code.RTC013, pointer, "is " + node.asText().codePointCount(0, node.asText().length()) + " characters long; at most "
          + ss.getMaxLength() + " are allowed here", "is this the right value? a paste that went wrong?");
    } else if (keyword.equals("minLength") || keyword.equals("maxLength")) {
      d.error(Code.RTC013, pointer, msg, "");
    } else {
      d.error(Code.RTC013, pointer, msg, "");
    }
  }

  /** everit's "0 is not greater or equal to 1", as the rule: "must be at least 1". */
  private static String range(ValidationException v) {
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

  private static String requiredHint(String key) {
    return switch (key) {
      case "apiVersion" -> "add 'apiVersion: rtc/v1' as the first line";
      case "passwordHash" -> "create one with: mkpasswd -m sha-512";
      case "housekeeping" -> "list the CPUs the host keeps for itself, e.g. housekeeping: \"0-3\"";
      default -> "see schemas/manifest.schema.json or examples/eci-reference.yaml";
    };
  }

  private static String typeHint(String expected, JsonNode node) {
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
  private static String parserSays(JsonNode node, String what, java.util.function.Consumer<String> parse) {
    try {
      parse.accept(node.asText());
      return shown(node) + " is not " + what;
    } catch (IllegalArgumentException e) { // CpuSet's and ByteSize's SyntaxException
      return e.getMessage();
    }
  }

  /** Whether the schema {@code v} failed is the pattern of definitions/{@code name}: compared by the pattern itself. */
  private boolean definition(ValidationException v, String name) {
    return v.getViolatedSchema() instanceof org.everit.json.schema.StringSchema ss && ss.getPattern() != null
        && ss.getPattern().toString().equals(patterns.get(name));
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

  private static String shown(JsonNode n) {
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
  private static String flow(JsonNode n) {
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
