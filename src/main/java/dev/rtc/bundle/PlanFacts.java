package dev.rtc.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The facts of two plans (plan.json) compared one by one, in words for rtc diff's report: kernels
 * by name and packages, kernel arguments by key, cache ways per instance, VMs by name.
 */
final class PlanFacts {

  private PlanFacts() {}

  /** A kernel (plan.json's kernel object) by its name; a change of packages or repository under the same name too. */
  static void kernel(String what, JsonNode a, JsonNode b, List<String> out) {
    if (Objects.equals(a, b)) {
      return;
    }
    String x = a == null || a.isMissingNode() ? "none" : a.path("name").asText();
    String y = b == null || b.isMissingNode() ? "none" : b.path("name").asText();
    out.add(what + ": " + (x.equals(y) ? x + ", from other packages or another repository" : x + " -> " + y));
  }

  /** The plan's cache level with CAT: its l3 object, or l2 on parts with only L2 CAT (missing when neither). */
  static JsonNode level(JsonNode plan) {
    return plan.has("l3") ? plan.get("l3") : plan.path("l2");
  }

  /** A VM group's allocations, whichever level they are at. */
  static JsonNode levelOf(JsonNode resctrl) {
    return resctrl.has("l3") ? resctrl.get("l3") : resctrl.path("l2");
  }

  /** Kernel arguments by key: added, removed, changed value. */
  static void args(JsonNode a, JsonNode b, List<String> out) {
    Map<String, String> x = argMap(a);
    Map<String, String> y = argMap(b);
    TreeSet<String> keys = new TreeSet<>(x.keySet());
    keys.addAll(y.keySet());
    for (String k : keys) {
      if (!x.containsKey(k)) {
        out.add("+ " + y.get(k));
      } else if (!y.containsKey(k)) {
        out.add("- " + x.get(k));
      } else if (!x.get(k).equals(y.get(k))) {
        out.add(x.get(k) + " -> " + y.get(k));
      }
    }
    if (out.isEmpty() && !Objects.equals(a, b) && a != null && b != null && !a.isMissingNode()) {
      out.add("the same arguments in another order: " + b);
    }
  }

  static Map<String, String> argMap(JsonNode list) {
    Map<String, String> m = new LinkedHashMap<>();
    if (list != null && list.isArray()) {
      list.forEach(n -> m.put(n.asText().split("=", 2)[0], n.asText()));
    }
    return m;
  }

  /** A fact the plans of earlier rtc versions did not carry (host and guest OS, disk, memory): a change only when both say it. */
  static void known(String what, JsonNode a, JsonNode b, List<String> out) {
    if (!a.isMissingNode() && !b.isMissingNode()) {
      change(what, a, b, out);
    }
  }

  static void change(String what, JsonNode a, JsonNode b, List<String> out) {
    String x = a == null || a.isMissingNode() ? "none" : a.toString();
    String y = b == null || b.isMissingNode() ? "none" : b.toString();
    if (!x.equals(y)) {
      out.add(what + ": " + x.replace("\"", "") + " -> " + y.replace("\"", ""));
    }
  }

  /** "id 0: 2 ways, mask 000c" per cache instance, as text. */
  static JsonNode caches(JsonNode l3) {
    if (l3 == null || !l3.isArray()) {
      return l3;
    }
    List<String> parts = new ArrayList<>();
    l3.forEach(c -> parts.add("id " + c.path("cacheId").asText() + ": " + c.path("ways").asText() + " ways, mask " + c.path("mask").asText()));
    return com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.textNode(String.join("; ", parts));
  }

  static Map<String, JsonNode> byName(JsonNode vms) {
    Map<String, JsonNode> m = new LinkedHashMap<>();
    if (vms != null) {
      vms.forEach(v -> m.put(v.path("name").asText(), v));
    }
    return m;
  }
}
