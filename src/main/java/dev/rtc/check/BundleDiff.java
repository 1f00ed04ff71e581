package dev.rtc.check;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rtc.emit.Bundle;
import dev.rtc.emit.BundleWriter;
import dev.rtc.io.InputFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * What changes for the host between two bundles, in the terms of what it costs on the host:
 * kernel arguments (a reboot), the resctrl default group (the unit, no reboot), each VM's pins,
 * masks and definition (a VM restart), and files that changed only in comments. Reads the
 * bundles' plan.json and files; the plan's field names are its contract.
 */
public final class BundleDiff {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** One side: a bundle's files, path → bytes (the marker left out). */
  public record Side(String label, Map<String, byte[]> files) {
    public static Side of(String label, Bundle bundle) {
      Map<String, byte[]> f = new TreeMap<>();
      bundle.files().values().forEach(a -> f.put(a.path(), a.bytes()));
      return new Side(label, f);
    }

    /**
     * The bundle in {@code dir}: the files its SHA256SUMS lists (what else is there, results and
     * notes, is not the bundle's), or without SHA256SUMS every file but results/.
     */
    public static Side read(Path dir) {
      Map<String, byte[]> f = new TreeMap<>();
      Path real;
      try {
        real = dir.toRealPath(); // a link to a bundle: the walk starts inside it
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      try (Stream<Path> s = Files.walk(real)) {
        java.util.Set<String> owned = BundleWriter.owned(real);
        for (Path p : s.filter(Files::isRegularFile).toList()) {
          String rel = real.relativize(p).toString().replace('\\', '/');
          boolean bundles = owned.isEmpty() ? !rel.startsWith("results/") : owned.contains(rel);
          if (!rel.equals(BundleWriter.MARKER) && bundles) {
            try {
              f.put(rel, InputFiles.read(p, BundleComparison.FILE_LIMIT));
            } catch (InputFiles.RefusedException e) {
              throw new IllegalArgumentException(p + " " + e.getMessage() + "; is " + dir + " an rtc bundle?");
            }
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return new Side(dir.toString(), f);
    }

    JsonNode plan() {
      byte[] b = files.get("plan.json");
      if (b == null) {
        throw new IllegalArgumentException(label + " has no plan.json; is it an rtc bundle?");
      }
      try {
        return JSON.readTree(b);
      } catch (IOException e) {
        throw new IllegalArgumentException(label + "/plan.json is not JSON: " + e.getMessage());
      }
    }
  }

  /** The summary: each section a list of lines; empty sections mean no change of that kind. */
  public record Report(List<String> reboot, List<String> resctrl, Map<String, List<String>> vms, List<String> cosmetic,
      List<String> content) {
    /** Something to do on the host: a reboot, the unit, a VM, or a file whose content changed. */
    public boolean actionNeeded() {
      return !reboot.isEmpty() || !resctrl.isEmpty() || !vms.isEmpty() || !content.isEmpty();
    }

    public boolean same() {
      return reboot.isEmpty() && resctrl.isEmpty() && vms.isEmpty() && cosmetic.isEmpty() && content.isEmpty();
    }

    /**
     * The consequences first, as a reviewer asks them: does the host reboot, which VMs must be shut
     * down and started again (a changed definition or cache group takes effect only at a fresh
     * start, not at a guest reboot), which are new or go, and which boot unit restarts.
     */
    public String headline() {
      if (same()) {
        return "No changes: the bundles are identical.\n";
      }
      if (!actionNeeded()) {
        return "Nothing to do on the host: only comments and provenance headers changed.\n";
      }
      List<String> fresh = new ArrayList<>();
      List<String> gone = new ArrayList<>();
      List<String> restart = new ArrayList<>();
      vms.forEach((vm, lines) -> {
        if (lines.stream().anyMatch(l -> l.startsWith("new VM"))) {
          fresh.add(vm);
        } else if (lines.stream().anyMatch(l -> l.startsWith("removed"))) {
          gone.add(vm);
        } else if (lines.stream().anyMatch(l -> !l.startsWith("user-data changed") && !l.startsWith("guest kernel argument"))) {
          restart.add(vm);
        }
      });
      StringBuilder sb = new StringBuilder();
      sb.append("Host reboot: ").append(reboot.isEmpty() ? "no" : "yes (the kernel command line changes)").append('\n');
      sb.append("VMs to shut down and start again: ").append(restart.isEmpty() ? "none" : String.join(", ", restart)
          + " (virsh shutdown, then virsh start: a guest reboot keeps the old definition and cache group)").append('\n');
      if (!fresh.isEmpty()) {
        sb.append("New VMs: ").append(String.join(", ", fresh)).append('\n');
      }
      if (!gone.isEmpty()) {
        sb.append("VMs to remove: ").append(String.join(", ", gone)).append('\n');
      }
      if (!resctrl.isEmpty()) {
        sb.append("Boot unit to restart: rtc-resctrl (no reboot)\n");
      }
      return sb.toString();
    }

    public String render() {
      if (same() || !actionNeeded()) {
        StringBuilder sb = new StringBuilder(headline());
        section(sb, "Files that changed only in comments or the provenance header (nothing to do)", cosmetic);
        return sb.toString();
      }
      StringBuilder sb = new StringBuilder(headline()).append('\n');
      section(sb, "Host kernel command line (needs update-grub and a reboot)", reboot);
      section(sb, "Host resctrl groups (runbook.sh host, then systemctl restart rtc-resctrl; no reboot)", resctrl);
      vms.forEach((vm, lines) -> section(sb, "VM " + vm, lines));
      section(sb, "Other files whose content changed", content);
      section(sb, "Files that changed only in comments or the provenance header (nothing to do)", cosmetic);
      return sb.toString();
    }

    private static void section(StringBuilder sb, String title, List<String> lines) {
      if (!lines.isEmpty()) {
        sb.append(title).append(":\n");
        lines.forEach(l -> sb.append("  ").append(l).append('\n'));
      }
    }
  }

  /** Generated pictures: summarised, never diffed line by line. */
  public static final java.util.Set<String> PICTURES = java.util.Set.of("plan.html");

  private BundleDiff() {}

  public static Report diff(Side before, Side after) {
    JsonNode a = before.plan();
    JsonNode b = after.plan();
    List<String> reboot = new ArrayList<>();
    args(a.at("/host/kernelArgs"), b.at("/host/kernelArgs"), reboot);
    List<String> resctrl = new ArrayList<>();
    change("default group", level(a).path("defaultGroupSchemata"), level(b).path("defaultGroupSchemata"), resctrl);
    change("VM groups made by", level(a).path("vmGroupsMadeBy"), level(b).path("vmGroupsMadeBy"), resctrl);

    Map<String, List<String>> vms = new LinkedHashMap<>();
    Map<String, JsonNode> va = byName(a.get("vms"));
    Map<String, JsonNode> vb = byName(b.get("vms"));
    TreeSet<String> names = new TreeSet<>(va.keySet());
    names.addAll(vb.keySet());
    for (String vm : names) {
      List<String> lines = new ArrayList<>();
      JsonNode x = va.get(vm);
      JsonNode y = vb.get(vm);
      String dir = "vms/" + vm + "/";
      if (x == null) {
        lines.add("new VM (" + y.path("role").asText() + "): define and start it (runbook.sh images vms)");
      } else if (y == null) {
        lines.add("removed: virsh destroy " + vm + " && virsh undefine " + vm);
      } else {
        change("NUMA node", x.get("numaNode"), y.get("numaNode"), lines);
        change("vCPU pins", x.get("vcpuPins"), y.get("vcpuPins"), lines);
        change("emulator CPUs", x.get("emulatorCpus"), y.get("emulatorCpus"), lines);
        String cache = x.at("/resctrl/l2").isMissingNode() && y.at("/resctrl/l2").isMissingNode() ? "L3 cache" : "L2 cache";
        // rtc's own groups change with the boot unit, not with the VM: they go with the default group.
        boolean rtcGroups = level(b).path("vmGroupsMadeBy").asText().equals("rtc");
        List<String> groupLines = new ArrayList<>();
        change(cache, caches(levelOf(x.path("resctrl"))), caches(levelOf(y.path("resctrl"))), rtcGroups ? groupLines : lines);
        change("CPUs", x.at("/resctrl/cpus"), y.at("/resctrl/cpus"), groupLines);
        groupLines.forEach(l -> resctrl.add("group " + dev.rtc.plan.Plan.rtcGroup(vm) + " " + l));
        change("memory bandwidth", x.at("/resctrl/memoryBandwidth"), y.at("/resctrl/memoryBandwidth"), lines);
        List<String> guest = new ArrayList<>();
        args(x.get("guestKernelArgs"), y.get("guestKernelArgs"), guest);
        guest.forEach(g -> lines.add("guest kernel argument " + g + " (the guest reboots once when cloud-init applies it)"));
        boolean domain = !Arrays.equals(before.files().get(dir + "domain.xml"), after.files().get(dir + "domain.xml"));
        boolean seed = !Arrays.equals(before.files().get(dir + "user-data"), after.files().get(dir + "user-data"));
        if (domain && !onlyComments(before.files().get(dir + "domain.xml"), after.files().get(dir + "domain.xml"))) {
          lines.add("domain.xml changed: virsh define vms/" + vm + "/domain.xml, then shut the VM down and start it");
        }
        if (seed && !onlyComments(before.files().get(dir + "user-data"), after.files().get(dir + "user-data"))) {
          lines.add("user-data changed: a new instance-id, so cloud-init applies it again at the next boot");
        }
      }
      if (!lines.isEmpty()) {
        vms.put(vm, lines);
      }
    }

    List<String> cosmetic = new ArrayList<>();
    List<String> content = new ArrayList<>();
    TreeSet<String> paths = new TreeSet<>(before.files().keySet());
    paths.addAll(after.files().keySet());
    for (String p : paths) {
      byte[] x = before.files().get(p);
      byte[] y = after.files().get(p);
      if (!Arrays.equals(x, y)) {
        (onlyComments(x, y) ? cosmetic : content).add(p + (x == null ? " (new)" : y == null ? " (removed)"
            : PICTURES.contains(p) ? " (a picture of the plan, drawn again; what it shows is listed above)" : ""));
      }
    }
    // SHA256SUMS changes with any file; when all the others changed only in comments, so did it.
    if (content.equals(List.of("SHA256SUMS"))) {
      content.clear();
      cosmetic.add("SHA256SUMS");
      cosmetic.sort(null);
    }
    return new Report(reboot, resctrl, vms, cosmetic, content);
  }

  /** The plan's cache level with CAT: its l3 object, or l2 on parts with only L2 CAT (missing when neither). */
  private static JsonNode level(JsonNode plan) {
    return plan.has("l3") ? plan.get("l3") : plan.path("l2");
  }

  /** A VM group's allocations, whichever level they are at. */
  private static JsonNode levelOf(JsonNode resctrl) {
    return resctrl.has("l3") ? resctrl.get("l3") : resctrl.path("l2");
  }

  /** Kernel arguments by key: added, removed, changed value. */
  private static void args(JsonNode a, JsonNode b, List<String> out) {
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

  private static Map<String, String> argMap(JsonNode list) {
    Map<String, String> m = new LinkedHashMap<>();
    if (list != null && list.isArray()) {
      list.forEach(n -> m.put(n.asText().split("=", 2)[0], n.asText()));
    }
    return m;
  }

  private static void change(String what, JsonNode a, JsonNode b, List<String> out) {
    String x = a == null || a.isMissingNode() ? "none" : a.toString();
    String y = b == null || b.isMissingNode() ? "none" : b.toString();
    if (!x.equals(y)) {
      out.add(what + ": " + x.replace("\"", "") + " -> " + y.replace("\"", ""));
    }
  }

  /** "id 0: 2 ways, mask 000c" per cache instance, as text. */
  private static JsonNode caches(JsonNode l3) {
    if (l3 == null || !l3.isArray()) {
      return l3;
    }
    List<String> parts = new ArrayList<>();
    l3.forEach(c -> parts.add("id " + c.path("cacheId").asText() + ": " + c.path("ways").asText() + " ways, mask " + c.path("mask").asText()));
    return JSON.getNodeFactory().textNode(String.join("; ", parts));
  }

  private static Map<String, JsonNode> byName(JsonNode vms) {
    Map<String, JsonNode> m = new LinkedHashMap<>();
    if (vms != null) {
      vms.forEach(v -> m.put(v.path("name").asText(), v));
    }
    return m;
  }

  /** Equal once comment lines (#, XML comments, the provenance header) are set aside. */
  static boolean onlyComments(byte[] a, byte[] b) {
    if (a == null || b == null) {
      return false;
    }
    return strip(a).equals(strip(b));
  }

  private static List<String> strip(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8).lines()
        .filter(l -> !l.stripLeading().startsWith("#") || l.startsWith("#!") || l.startsWith("#cloud-config"))
        .filter(l -> !(l.stripLeading().startsWith("<!--") && l.stripTrailing().endsWith("-->")))
        .filter(l -> !BundleComparison.isProvenance(l))
        .toList();
  }
}
