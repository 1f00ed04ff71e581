package dev.rtc.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rtc.emit.Bundle;
import dev.rtc.bundle.BundleWriter;
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
        java.util.Set<String> owned = BundleFolders.owned(real);
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

  /**
   * The summary: each section a list of lines; empty sections mean no change of that kind.
   *
   * @param reinstall host facts that take another operating system
   * @param reboot why the host reboots (kernel, command line, boot-time files)
   * @param runtime what runbook.sh host applies on the running host (TuneD, resctrl groups, units)
   * @param vms each VM's changes, by name
   * @param vmCost what each VM with changes takes: the dearest of its consequences
   */
  public record Report(List<String> reinstall, List<String> reboot, List<String> runtime, Map<String, List<String>> vms,
      Map<String, Consequences.Cost> vmCost, List<String> cosmetic, List<String> content) {
    /** Something to do on the host: a reinstall, a reboot, a runtime change or a VM. */
    public boolean actionNeeded() {
      return !reinstall.isEmpty() || !reboot.isEmpty() || !runtime.isEmpty() || !vms.isEmpty();
    }

    public boolean same() {
      return !actionNeeded() && cosmetic.isEmpty() && content.isEmpty();
    }

    /**
     * The consequences first, as a reviewer asks them: is the host reinstalled or rebooted, and
     * why; what is applied on the running host; which VMs must be shut down and started again (a
     * changed definition, seed or cache group takes effect only at a fresh start, not at a guest
     * reboot), rebuilt on a new base image, added or removed.
     */
    public String headline() {
      if (same()) {
        return "No changes: the bundles are identical.\n";
      }
      if (!actionNeeded()) {
        return content.isEmpty() ? "Nothing to do on the host: only comments and provenance headers changed.\n"
            : "Nothing to do on the host: only the bundle's documents and the runbook's own steps changed (they take effect "
                + "when a step is run again).\n";
      }
      StringBuilder sb = new StringBuilder();
      if (!reinstall.isEmpty()) {
        sb.append("Host reinstall: yes (").append(String.join("; ", reinstall))
            .append(": a reinstall, not an update; then the bundle from ./runbook.sh preflight)\n");
      }
      List<String> why = reasons(reboot);
      sb.append("Host reboot: ").append(why.isEmpty() && reinstall.isEmpty() ? "no" : "yes (" + String.join("; ",
          why.isEmpty() ? List.of("with the reinstall") : why) + ")").append('\n');
      if (!runtime.isEmpty()) {
        sb.append("Applied on the running host, no reboot: ").append(String.join("; ", reasons(runtime))).append(" (./runbook.sh host)\n");
      }
      List<String> restart = names(Consequences.Cost.VM_RESTART);
      sb.append("VMs to shut down and start again: ").append(restart.isEmpty() ? "none" : String.join(", ", restart)
          + " (virsh shutdown, then virsh start: a guest reboot keeps the old definition and cache group)").append('\n');
      List<String> rebuild = names(Consequences.Cost.VM_REBUILD);
      if (!rebuild.isEmpty()) {
        sb.append("VMs to rebuild on a new base image: ").append(String.join(", ", rebuild))
            .append(" (./runbook.sh --replace-disks images vms: the old disk is moved aside, its data kept there)\n");
      }
      List<String> fresh = vms.entrySet().stream().filter(e -> e.getValue().stream().anyMatch(l -> l.startsWith("new VM")))
          .map(Map.Entry::getKey).toList();
      List<String> gone = vms.entrySet().stream().filter(e -> e.getValue().stream().anyMatch(l -> l.startsWith("removed")))
          .map(Map.Entry::getKey).toList();
      if (!fresh.isEmpty()) {
        sb.append("New VMs: ").append(String.join(", ", fresh)).append('\n');
      }
      if (!gone.isEmpty()) {
        sb.append("VMs to remove: ").append(String.join(", ", gone)).append('\n');
      }
      return sb.toString();
    }

    /** A section's reasons, without the detail lines under them. */
    private static List<String> reasons(List<String> lines) {
      return lines.stream().filter(l -> !l.startsWith("  ")).toList();
    }

    /** The VMs whose changes cost {@code cost}, not counting new and removed ones. */
    private List<String> names(Consequences.Cost cost) {
      return vmCost.entrySet().stream().filter(e -> e.getValue() == cost)
          .filter(e -> vms.get(e.getKey()).stream().noneMatch(l -> l.startsWith("new VM") || l.startsWith("removed")))
          .map(Map.Entry::getKey).toList();
    }

    public String render() {
      if (!actionNeeded()) {
        StringBuilder sb = new StringBuilder(headline());
        section(sb, "Files that changed (nothing to do on the host)", content);
        section(sb, "Files that changed only in comments or the provenance header (nothing to do)", cosmetic);
        return sb.toString();
      }
      StringBuilder sb = new StringBuilder(headline()).append('\n');
      section(sb, "Host operating system (a reinstall)", reinstall);
      section(sb, "Host reboot (./runbook.sh host, reboot, then ./runbook.sh all)", reboot);
      section(sb, "Applied on the running host (./runbook.sh host; no reboot)", runtime);
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
    List<String> reinstall = new ArrayList<>();
    PlanFacts.known("host OS", a.at("/host/os"), b.at("/host/os"), reinstall);
    List<String> reboot = new ArrayList<>();
    PlanFacts.kernel("host kernel", a.at("/host/kernel"), b.at("/host/kernel"), reboot);
    List<String> cmdline = new ArrayList<>();
    PlanFacts.args(a.at("/host/kernelArgs"), b.at("/host/kernelArgs"), cmdline);
    // The power choice: why C-state and P-state arguments come or go (a reboot), or only TuneD changes.
    List<String> mode = new ArrayList<>();
    PlanFacts.known("host.power", a.at("/host/power/mode"), b.at("/host/power/mode"), mode);
    if (!cmdline.isEmpty()) {
      reboot.add("the kernel command line changes");
      mode.forEach(l -> reboot.add("  " + l));
      cmdline.forEach(l -> reboot.add("  " + l));
    }
    List<String> runtime = new ArrayList<>();
    if (!Objects.equals(a.at("/host/tuning"), b.at("/host/tuning"))) {
      runtime.add("TuneD profile " + b.at("/host/tuning/tunedProfile").asText("") + " (applied at once)");
    }
    if (cmdline.isEmpty()) {
      runtime.addAll(mode);
    }
    PlanFacts.known("CPUs held awake (TuneD)", a.at("/host/power/held"), b.at("/host/power/held"), runtime);
    List<String> resctrl = new ArrayList<>();
    PlanFacts.change("default group", PlanFacts.level(a).path("defaultGroupSchemata"), PlanFacts.level(b).path("defaultGroupSchemata"), resctrl);
    PlanFacts.change("VM groups made by", PlanFacts.level(a).path("vmGroupsMadeBy"), PlanFacts.level(b).path("vmGroupsMadeBy"), resctrl);

    Map<String, List<String>> vms = new LinkedHashMap<>();
    Map<String, Consequences.Cost> vmCost = new TreeMap<>();
    Map<String, JsonNode> va = PlanFacts.byName(a.get("vms"));
    Map<String, JsonNode> vb = PlanFacts.byName(b.get("vms"));
    TreeSet<String> names = new TreeSet<>(va.keySet());
    names.addAll(vb.keySet());
    for (String vm : names) {
      List<String> lines = new ArrayList<>();
      JsonNode x = va.get(vm);
      JsonNode y = vb.get(vm);
      Consequences.Cost cost = Consequences.Cost.VM_RESTART;
      if (x == null) {
        lines.add("new VM (" + y.path("role").asText() + "): define and start it (runbook.sh images vms)");
      } else if (y == null) {
        lines.add("removed: virsh destroy " + vm + " && virsh undefine " + vm);
      } else {
        List<String> rebuild = new ArrayList<>();
        PlanFacts.known("guest OS", x.path("os"), y.path("os"), rebuild);
        PlanFacts.known("base image", x.at("/disk/baseImage"), y.at("/disk/baseImage"), rebuild);
        if (!rebuild.isEmpty()) {
          cost = Consequences.Cost.VM_REBUILD;
          rebuild.forEach(l -> lines.add(l + " (a new disk: ./runbook.sh --replace-disks images)"));
        }
        PlanFacts.known("disk bytes", x.at("/disk/bytes"), y.at("/disk/bytes"), lines);
        PlanFacts.known("memory bytes", x.path("memoryBytes"), y.path("memoryBytes"), lines);
        PlanFacts.change("NUMA node", x.get("numaNode"), y.get("numaNode"), lines);
        PlanFacts.change("vCPU pins", x.get("vcpuPins"), y.get("vcpuPins"), lines);
        PlanFacts.change("emulator CPUs", x.get("emulatorCpus"), y.get("emulatorCpus"), lines);
        String cache = x.at("/resctrl/l2").isMissingNode() && y.at("/resctrl/l2").isMissingNode() ? "L3 cache" : "L2 cache";
        // rtc's own groups change with the boot unit, not with the VM: they go with the default group.
        boolean rtcGroups = PlanFacts.level(b).path("vmGroupsMadeBy").asText().equals("rtc");
        List<String> groupLines = new ArrayList<>();
        PlanFacts.change(cache, PlanFacts.caches(PlanFacts.levelOf(x.path("resctrl"))), PlanFacts.caches(PlanFacts.levelOf(y.path("resctrl"))), rtcGroups ? groupLines : lines);
        PlanFacts.change("CPUs", x.at("/resctrl/cpus"), y.at("/resctrl/cpus"), groupLines);
        groupLines.forEach(l -> resctrl.add("group " + dev.rtc.plan.Plan.rtcGroup(vm) + " " + l));
        PlanFacts.change("memory bandwidth", x.at("/resctrl/memoryBandwidth"), y.at("/resctrl/memoryBandwidth"), lines);
        PlanFacts.kernel("guest kernel", x.get("kernel"), y.get("kernel"), lines);
        List<String> guest = new ArrayList<>();
        PlanFacts.args(x.get("guestKernelArgs"), y.get("guestKernelArgs"), guest);
        guest.forEach(g -> lines.add("guest kernel argument " + g + " (the guest reboots once more when cloud-init applies it)"));
        if (!Objects.equals(x.get("tuning"), y.get("tuning"))) {
          lines.add("guest TuneD profile (in its seed)");
        }
        PlanFacts.change("NICs", x.get("nics"), y.get("nics"), lines);
        PlanFacts.change("devices", x.get("devices"), y.get("devices"), lines);
      }
      vms.put(vm, lines);
      vmCost.put(vm, cost);
    }
    if (!resctrl.isEmpty()) {
      runtime.add("rtc-resctrl (systemctl restart rtc-resctrl)");
      resctrl.forEach(l -> runtime.add("  " + l));
    }

    boolean kernelOrArgs = !reboot.isEmpty();
    boolean tuning = !Objects.equals(a.at("/host/tuning"), b.at("/host/tuning"));
    boolean groups = !resctrl.isEmpty();
    List<String> cosmetic = new ArrayList<>();
    List<String> content = new ArrayList<>();
    TreeSet<String> paths = new TreeSet<>(before.files().keySet());
    paths.addAll(after.files().keySet());
    for (String p : paths) {
      byte[] x = before.files().get(p);
      byte[] y = after.files().get(p);
      if (Arrays.equals(x, y)) {
        continue;
      }
      String shown = p + (x == null ? " (new)" : y == null ? " (removed)"
          : PICTURES.contains(p) ? " (a picture of the plan, drawn again; what it shows is listed above)" : "");
      if (onlyComments(x, y)) {
        cosmetic.add(shown);
        continue;
      }
      // Each changed file costs what the table says of its kind, beside the plan's facts above.
      Consequences.Rule rule = Consequences.ruleFor(p).orElse(Consequences.UNKNOWN);
      if (explained(p, kernelOrArgs, tuning, groups)) {
        continue; // the plan's facts above say what this file's change is, and what it costs
      }
      java.util.Optional<String> vm = Consequences.vmOf(p);
      switch (rule.cost()) {
        case NOTHING -> content.add(shown);
        case RUNTIME -> addOnce(runtime, shown + ": " + rule.why());
        case HOST_REBOOT, REINSTALL -> addOnce(reboot, shown + ": " + rule.why());
        case VM_RESTART, VM_REBUILD -> {
          String v = vm.orElse("?");
          List<String> lines = vms.computeIfAbsent(v, k -> new ArrayList<>());
          if (lines.stream().noneMatch(l -> l.startsWith("new VM") || l.startsWith("removed"))) {
            lines.add(p.substring(("vms/" + v + "/").length()) + " changed: " + rule.why());
          }
          vmCost.merge(v, rule.cost(), (o, n) -> o.compareTo(n) >= 0 ? o : n);
        }
      }
    }
    vms.values().removeIf(List::isEmpty);
    vmCost.keySet().retainAll(vms.keySet());
    // SHA256SUMS changes with any file; when all the others changed only in comments, so did it.
    if (content.equals(List.of("SHA256SUMS")) && reboot.isEmpty() && runtime.isEmpty() && vms.isEmpty()) {
      content.clear();
      cosmetic.add("SHA256SUMS");
      cosmetic.sort(null);
    }
    return new Report(reinstall, reboot, runtime, vms, vmCost, cosmetic, content);
  }

  /** A host file whose change the plan's facts already give: the GRUB drop-in (kernel, arguments), TuneD, resctrl. */
  private static boolean explained(String path, boolean kernelOrArgs, boolean tuning, boolean resctrl) {
    return kernelOrArgs && path.startsWith("host/grub/") || tuning && path.startsWith("host/tuned/")
        || resctrl && (path.startsWith("host/resctrl/") || path.equals("host/systemd/rtc-resctrl.service"));
  }

  private static void addOnce(List<String> lines, String line) {
    if (!lines.contains(line)) {
      lines.add(line);
    }
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
