package dev.rtc.manifest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rtc.manifest.diagnostics.Code;
import dev.rtc.manifest.diagnostics.Diagnostics;
import dev.rtc.manifest.diagnostics.Pointers;
import dev.rtc.manifest.diagnostics.Severity;
import dev.rtc.manifest.diagnostics.Suggest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
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

  private final Schema schema;
  private final SchemaFindings findings;

  private SchemaCheck(Schema schema, java.util.Map<String, String> patterns) {
    this.schema = schema;
    this.findings = new SchemaFindings(patterns);
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
   * Where the schema found fault, as pointers: for {@link dev.rtc.manifest.rules.PartialRules}, which checks the rest.
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
          + SchemaFindings.kind(tree), "rtc init writes one for a host; man rtc-manifest lists every key");
      found.broken().add("");
      return found;
    }
    Set<String> controlled = new java.util.HashSet<>();
    controlCharacters(tree, "", d, controlled);
    found.broken().addAll(controlled);
    try {
      schema.validate(toJson(tree));
    } catch (ValidationException e) {
      List<ValidationException> raw = new ArrayList<>();
      collect(e, tree, raw, d, found.broken());
      raw.sort(Comparator.comparing(ValidationException::getPointerToViolation));
      List<SchemaFindings.Leaf> leaves = SchemaFindings.leaves(raw, tree);
      Set<String> suggested = SchemaFindings.suggestedKeys(leaves);
      Set<String> tooLong = new java.util.HashSet<>();
      leaves.stream().filter(l -> l.keyword().equals("maxLength")).forEach(l -> tooLong.add(l.pointer()));
      for (SchemaFindings.Leaf leaf : leaves) {
        if (leaf.unknownKey()) {
          // A misspelling of a key that is absent is that key missing: its object is broken, not
          // merely carrying a key rtc would ignore.
          String meant = Suggest.closest(leaf.key(), SchemaFindings.known(leaf.v()));
          if (meant != null && !tree.at(leaf.pointer()).has(meant)) {
            found.broken().add(leaf.pointer());
          } else {
            found.unknownKeys().add(Pointers.child(leaf.pointer(), leaf.key()));
          }
        } else {
          found.broken().add(leaf.pointer());
        }
        if (leaf.missingKey() && suggested.contains(Pointers.child(leaf.pointer(), leaf.key()))) {
          continue; // "unknown key 'vcpu' (did you mean 'vcpus'?)" already says it; one finding, not two
        }
        if (controlled.contains(leaf.pointer())) {
          continue; // the control character is the finding; its pattern failure would only repeat it
        }
        if (leaf.keyword().equals("pattern") && tooLong.contains(leaf.pointer())) {
          continue; // the length is the finding; 8000 characters do not need their syntax told too
        }
        findings.report(leaf, tree, d);
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

  /**
   * everit nests "N schema violations found"; the leaves are the real findings. A value that
   * matches none of the forms a oneOf allows fails each form in its own way, and all those
   * failures together contradict each other ({@code emulator: {cpus: 0}} is "out of range" in the
   * cpus form and "unknown key 'cpus'" in the pin form): the form the value was evidently written
   * in, the one that knows its keys, is the one whose findings are told. When no form knows them,
   * one finding lists the forms.
   */
  /**
   * What the schema states for editors and other validators, and rtc's own rules state for people
   * with the fix (RTC042: a real-time VM's 2 vCPUs; RTC044: no cache or siblings on a stressor;
   * RTC049: one form per device or network entry, vf with pf): those findings of the schema's are left to the
   * rules, which run when the schema finds nothing else.
   */
  private static final java.util.regex.Pattern RULE_POINTERS =
      java.util.regex.Pattern.compile("^/vms/\\d+(/(devices|networks)/\\d+|/cache|/siblings|/vcpus)$");

  private static boolean rulesSayIt(ValidationException e, JsonNode tree) {
    String pointer = SchemaFindings.pointerOf(e);
    String keyword = e.getKeyword() == null ? "" : e.getKeyword();
    if (!RULE_POINTERS.matcher(pointer).matches()) {
      return false;
    }
    if (pointer.endsWith("/vcpus")) {
      // The real-time minimum of 2 (RTC042 says why); the schema's own range (1 to 1024) stays the schema's.
      return keyword.equals("minimum") && e.getViolatedSchema() instanceof org.everit.json.schema.NumberSchema ns
          && ns.getMinimum() != null && ns.getMinimum().intValue() == 2;
    }
    if (pointer.endsWith("/cache") || pointer.endsWith("/siblings")) {
      return keyword.equals("not");
    }
    // A device's or network's entry: one form at a time, vf with pf (an entry that is no mapping is the schema's to say).
    return keyword.equals("dependencies") || keyword.equals("oneOf") && tree.at(pointer).isObject();
  }

  private static void collect(ValidationException e, JsonNode tree, List<ValidationException> out, Diagnostics d, Set<String> broken) {
    if (rulesSayIt(e, tree)) {
      return;
    }
    if (e.getCausingExceptions().isEmpty()) {
      out.add(e);
      return;
    }
    if (e.getViolatedSchema() instanceof CombinedSchema cs && "oneOf".equals(e.getKeyword())) {
      JsonNode node = tree.at(SchemaFindings.pointerOf(e));
      ValidationException meant = intended(cs, node, SchemaFindings.pointerOf(e));
      if (meant != null) {
        collect(meant, tree, out, d, broken);
      } else {
        broken.add(SchemaFindings.pointerOf(e));
        d.add(Severity.ERROR, Code.RTC012, SchemaFindings.pointerOf(e), node.isContainerNode(), SchemaFindings.shown(node) + " is none of the forms allowed here: "
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
