package dev.rtc.manifest.rules;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rtc.manifest.Binder;
import dev.rtc.manifest.Manifest;
import dev.rtc.manifest.ManifestLoader;
import dev.rtc.manifest.SchemaCheck;
import dev.rtc.manifest.diagnostics.Diagnostic;
import dev.rtc.manifest.diagnostics.Diagnostics;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The binder's and the rules' errors for a manifest that failed the schema, so that one pass shows
 * every independent error: a user who fixes four schema errors should not then meet three rule
 * errors that were there all along.
 *
 * <p>The rules need well-typed input, so they run on what the schema found well-formed, and only
 * where the parts that failed cannot change their verdict:
 *
 * <ul>
 *   <li>an unknown key is removed: rtc never reads it, so the rest is checked exactly as it will
 *       be once the key is fixed or deleted;
 *   <li>a VM with any other fault is left out, and the benchmark too when it names that VM (a VM
 *       is checked on its own and against the host, not against other VMs, except for names);
 *   <li>a faulty benchmark or site section is left out, and a faulty name or apiVersion, which no
 *       rule reads, stands in as a valid one;
 *   <li>a fault in the host (its topology is what every rule checks against) stops it: no rule
 *       runs on a host that is not what the user meant.
 * </ul>
 *
 * Only errors are kept: a warning about a manifest with parts left out (a mirror that only the
 * left-out VM would use) may not hold once they are back.
 */
public final class PartialRules {

  private static final Pattern VM = Pattern.compile("^/vms/(\\d+)(/.*)?$");

  private PartialRules() {}

  public static void check(ManifestLoader.Loaded loaded, SchemaCheck.Findings findings, SchemaCheck schema, Diagnostics d) {
    JsonNode original = loaded.tree();
    if (!original.isObject() || !original.path("vms").isArray()) {
      return;
    }
    ObjectNode tree = (ObjectNode) original.deepCopy();
    Set<Integer> leftOut = new TreeSet<>();
    for (String p : findings.broken()) {
      Matcher vm = VM.matcher(p);
      if (vm.matches()) {
        leftOut.add(Integer.parseInt(vm.group(1)));
      } else if (p.equals("/benchmark") || p.startsWith("/benchmark/")) {
        tree.remove("benchmark");
      } else if (p.equals("/site") || p.startsWith("/site/")) {
        tree.remove("site");
      } else if (p.equals("/name")) {
        tree.put("name", "manifest");
      } else if (p.equals("/apiVersion")) {
        tree.put("apiVersion", "rtc/v1");
      } else {
        return; // the host, the list of VMs itself, or the whole file: nothing to check against
      }
    }
    for (String key : findings.unknownKeys()) {
      int cut = key.lastIndexOf('/');
      JsonNode parent = tree.at(key.substring(0, cut));
      if (parent instanceof ObjectNode o) {
        o.remove(key.substring(cut + 1).replace("~1", "/").replace("~0", "~"));
      }
    }
    JsonNode bench = tree.path("benchmark");
    for (int i : leftOut) {
      if (bench.path("vm").asText().equals(tree.path("vms").path(i).path("name").asText(null))) {
        tree.remove("benchmark");
      }
    }
    // What is left must pass the schema now, or the rules would read what the binder cannot bind.
    ObjectNode checked = tree.deepCopy();
    ArrayNode vms = (ArrayNode) checked.get("vms");
    for (int i : new TreeSet<>(leftOut).descendingSet()) {
      vms.remove(i);
    }
    Diagnostics scratch = d.scratch();
    if (vms.isEmpty() || schema.check(checked, scratch).any()) {
      return;
    }
    ManifestLoader.Loaded partial = new ManifestLoader.Loaded(loaded.source(), tree, loaded.sourceMap());
    Manifest manifest = Binder.bindExcept(partial, leftOut, scratch);
    if (!scratch.hasErrors()) {
      Rules.check(manifest, scratch);
    }
    scratch.all().stream().filter(Diagnostic::isError).forEach(d::add);
  }
}
