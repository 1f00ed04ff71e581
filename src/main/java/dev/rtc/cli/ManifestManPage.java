package dev.rtc.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rtc.io.Version;
import dev.rtc.manifest.SchemaCheck;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * rtc-manifest(5): the manifest's reference, written from the JSON Schema rtc validates with, so
 * the page, the editor's hover text and rtc's checks never disagree. Every key in document order,
 * with its type, allowed values, range, default and example, and its description. Written at
 * package time next to rtc(1), with no date in it.
 */
public final class ManifestManPage {

  private ManifestManPage() {}

  public static String render() {
    JsonNode schema;
    try {
      schema = new ObjectMapper().readTree(SchemaCheck.schemaText());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    StringBuilder t = new StringBuilder();
    t.append(".TH RTC\\-MANIFEST 5 \"\" \"rtc ").append(ManPage.esc(Version.get())).append("\" \"File Formats\"\n");
    t.append(".SH NAME\nrtc\\-manifest \\- the deployment manifest rtc compiles\n");
    t.append(".SH DESCRIPTION\n")
        .append("A manifest is one YAML document (apiVersion: rtc/v1) that says a real-time KVM host: its OS, CPU, NUMA and cache ")
        .append("topology (\\fBrtc probe\\fR writes it), the CPUs kept for housekeeping, its real-time and stressor VMs, and the ")
        .append("benchmark that proves the host. \\fBrtc compile\\fR turns it into a bundle; \\fBrtc validate\\fR checks it.\n.PP\n")
        .append("Editors check and complete it from the same JSON Schema this page is written from: write it beside the ")
        .append("manifest with \\fBrtc schema > manifest.schema.json\\fR and point the manifest at it with a first line\n.PP\n.RS\n.nf\n")
        .append("# yaml\\-language\\-server: $schema=./manifest.schema.json\n.fi\n.RE\n.PP\n")
        .append("Sizes take binary units (60 MiB, 28160K, 8 GiB); CPU lists are Linux cpulists (0\\-3,8\\-11 or 0\\-62:2). ")
        .append("Keys not listed here are refused (RTC010).\n");
    t.append(".SH KEYS\n");
    keys(schema, schema, "", t, new HashSet<>());
    t.append(".SH EXAMPLES\n")
        .append("share/rtc/examples/ of an installed rtc (examples/ in its sources): the guide's reference host, RHEL 9, a 2\\-socket SMT Xeon with CDP, a hybrid ")
        .append("client part, a Xeon with sub\\-NUMA clustering, an Atom with L2 CAT, and a Xeon whose real-time VMs get a NIC and ")
        .append("an SR\\-IOV virtual function.\n");
    t.append(".SH SEE ALSO\n.BR rtc (1)\n");
    return t.toString();
  }

  /** Each property of {@code node}, then its children, depth first in the schema's order. */
  private static void keys(JsonNode root, JsonNode node, String path, StringBuilder t, Set<String> seen) {
    JsonNode n = resolve(root, node);
    List<JsonNode> alternatives = new ArrayList<>();
    alternatives.add(n);
    for (String k : List.of("oneOf", "anyOf")) {
      n.path(k).forEach(alt -> alternatives.add(resolve(root, alt)));
    }
    for (JsonNode alt : alternatives) {
      alt.path("properties").fields().forEachRemaining(e -> {
        String p = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
        if (!seen.add(p)) {
          return;
        }
        JsonNode prop = e.getValue();
        JsonNode target = resolve(root, prop);
        t.append(".TP\n\\fB").append(ManPage.esc(p)).append("\\fR").append(required(alt, e.getKey()) ? " (required)" : "").append('\n');
        t.append(ManPage.esc(description(root, prop))).append('\n');
        String facts = facts(root, prop, target);
        if (!facts.isEmpty()) {
          t.append(".br\n").append(ManPage.esc(facts)).append('\n');
        }
        keys(root, prop, p, t, seen);
        JsonNode items = target.path("items");
        if (items.isObject()) {
          keys(root, items, p + "[]", t, seen);
        }
      });
    }
  }

  private static boolean required(JsonNode object, String key) {
    for (JsonNode r : object.path("required")) {
      if (r.asText().equals(key)) {
        return true;
      }
    }
    return false;
  }

  private static JsonNode resolve(JsonNode root, JsonNode node) {
    return node.has("$ref") ? resolve(root, root.at(node.get("$ref").asText().substring(1))) : node;
  }

  /** The property's own description, else its definition's. */
  private static String description(JsonNode root, JsonNode prop) {
    if (prop.hasNonNull("description")) {
      return prop.get("description").asText();
    }
    return prop.has("$ref") ? description(root, root.at(prop.get("$ref").asText().substring(1))) : "";
  }

  /** Type, allowed values, range, default and example, in one line. */
  private static String facts(JsonNode root, JsonNode prop, JsonNode target) {
    List<String> f = new ArrayList<>();
    String type = target.path("type").isTextual() ? target.get("type").asText() : "";
    if (target.has("enum")) {
      List<String> values = new ArrayList<>();
      target.get("enum").forEach(v -> values.add(v.asText()));
      f.add("one of: " + String.join(", ", values));
    } else if (target.has("const")) {
      f.add("always " + target.get("const").asText());
    } else if (type.equals("array")) {
      f.add("a list" + range(target, "minItems", "maxItems", " items"));
    } else if (type.equals("object")) {
      f.add("a mapping");
    } else if (!type.isEmpty()) {
      f.add((type.equals("integer") ? "a whole number" : type.equals("boolean") ? "true or false" : "a " + type)
          + range(target, "minimum", "maximum", ""));
    } else if (target.has("oneOf")) {
      f.add("one of the forms below");
    }
    JsonNode def = prop.has("default") ? prop.get("default") : target.get("default");
    if (def != null) {
      f.add("default: " + def.asText());
    }
    JsonNode ex = prop.has("examples") ? prop.get("examples") : target.get("examples");
    if (ex != null && ex.size() > 0) {
      List<String> xs = new ArrayList<>();
      ex.forEach(x -> xs.add(x.asText()));
      f.add("e.g. " + String.join(", ", xs));
    }
    return String.join("; ", f);
  }

  private static String range(JsonNode n, String min, String max, String unit) {
    if (n.has(min) && n.has(max)) {
      return ", " + n.get(min).asText() + " to " + n.get(max).asText() + unit;
    }
    if (n.has(min)) {
      return ", at least " + n.get(min).asText() + unit;
    }
    return n.has(max) ? ", at most " + n.get(max).asText() + unit : "";
  }
}
