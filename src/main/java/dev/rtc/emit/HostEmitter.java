package dev.rtc.emit;

import dev.rtc.plan.Distro;
import dev.rtc.plan.Plan;
import dev.rtc.plan.Plan.VmPlan;
import java.util.ArrayList;
import java.util.List;

/**
 * The host's files, one {@link Emitter} each: the GRUB drop-in, the TuneD profile, libvirt's
 * default network, resctrl's schemata and groups with their boot unit, and the boot units for
 * hugepages, SR-IOV and the VMs' start order.
 */
final class HostEmitter {

  private HostEmitter() {}

  static List<Bundle.Artifact> grub(Plan plan, String header) {
    Distro distro = Distro.of(plan.os());
    if (distro.grubby()) {
      return List.of(); // grubby writes BLS entries; there is no drop-in
    }
    return List.of(Emitters.text("host/grub/99-rtc.cfg", Emitters.grubDropIn(header, "host " + plan.name(), plan.host().cmdline(), distro,
        plan.host().kernel())));
  }

  static List<Bundle.Artifact> tuned(Plan plan, String header) {
    return List.of(Emitters.text("host/tuned/" + plan.host().tuning().profile() + "/tuned.conf",
        Emitters.tunedProfile(header, "the host " + plan.name(), plan.host().tuning())));
  }

  static List<Bundle.Artifact> networks(Plan plan, String header) {
    return List.of(Emitters.text("host/libvirt/networks/default.xml", DomainXmlEmitter.network(Network.defaultNat(), header)));
  }

  static List<Bundle.Artifact> resctrl(Plan plan, String header) {
    if (plan.cache().isEmpty()) {
      return List.of();
    }
    Plan.CachePlan cache = plan.cache().get();
    List<Bundle.Artifact> files = new ArrayList<>();
    files.add(Emitters.text("host/resctrl/schemata", cache.schemataLine() + "\n")); // written verbatim to resctrl: no comment lines
    List<String> groups = new ArrayList<>();
    if (cache.rtcOwned()) {
      for (VmPlan vm : plan.vms()) {
        if (vm.resctrl().isEmpty()) {
          continue;
        }
        String group = Plan.rtcGroup(vm.name());
        groups.add(group);
        files.add(Emitters.text("host/resctrl/" + group + "/cpus_list", plan.rtHostCpus(vm) + "\n"));
        files.add(Emitters.text("host/resctrl/" + group + "/schemata", groupSchemata(plan, vm) + "\n"));
      }
    }
    String summary = "host keeps L" + cache.level() + " " + cache.hostMasks().values().iterator().next().describe()
        + (groups.isEmpty() ? "" : ", " + groups.size() + " real-time group" + (groups.size() == 1 ? "" : "s"));
    TemplateModels.ResctrlUnit unit = resctrlUnit(header, plan.name(), summary, groups, cache);
    files.add(Emitters.text("host/systemd/rtc-resctrl.service", Templates.renderUtf8("rtc-resctrl.service.ftl", unit)));
    return files;
  }

  static List<Bundle.Artifact> hugepages(Plan plan, String header) {
    if (plan.host().hugepagesByUnit().isEmpty()) {
      return List.of();
    }
    List<TemplateModels.Pool> pools = new ArrayList<>();
    plan.host().hugepagesByUnit().forEach((size, nodes) -> nodes.forEach((node, pages) -> pools.add(new TemplateModels.Pool(node, pages,
        new dev.rtc.topology.ByteSize(size).exact(),
        "/sys/devices/system/node/node" + node + "/hugepages/hugepages-" + (size / 1024) + "kB/nr_hugepages"))));
    return List.of(Emitters.text("host/systemd/rtc-hugepages.service", Templates.renderUtf8("rtc-hugepages.service.ftl",
        new TemplateModels.HugepagesUnit(header, plan.name(), plan.host().kernel().series() + ", " + plan.os().id(), pools))));
  }

  static List<Bundle.Artifact> sriov(Plan plan, String header) {
    List<TemplateModels.Pf> pfs = sriovFunctions(plan);
    if (pfs.isEmpty()) {
      return List.of();
    }
    return List.of(Emitters.text("host/systemd/rtc-sriov.service", Templates.renderUtf8("rtc-sriov.service.ftl",
        new TemplateModels.SriovUnit(header, plan.name(), pfs))));
  }

  static List<Bundle.Artifact> vmsUnit(Plan plan, String header) {
    return List.of(Emitters.text("host/systemd/rtc-vms.service", Templates.renderUtf8("rtc-vms.service.ftl",
        new TemplateModels.VmsUnit(header, plan.name(), plan.vms().stream().map(VmPlan::name).toList(), !plan.virtualFunctions().isEmpty()))));
  }

  /** The group's schemata: the cache line, then the MB line when the VM asks for bandwidth. */
  public static String groupSchemata(Plan plan, VmPlan vm) {
    Plan.Resctrl group = vm.resctrl().orElseThrow();
    String line = plan.cache().orElseThrow().groupLine(group);
    if (!group.bandwidth().isEmpty()) {
      StringBuilder mb = new StringBuilder("MB:");
      group.bandwidth().forEach(bw -> mb.append(mb.length() > 3 ? ";" : "").append(bw.node()).append('=').append(bw.percent()));
      line += "\n" + mb;
    }
    return line;
  }

  /** The physical functions whose VFs rtc-sriov.service makes: address, count, and the sysfs file it writes. */
  static List<TemplateModels.Pf> sriovFunctions(Plan plan) {
    List<TemplateModels.Pf> out = new ArrayList<>();
    plan.virtualFunctions().forEach((a, n) -> out.add(new TemplateModels.Pf(a.toString(), n, "/sys/bus/pci/devices/" + a + "/sriov_numvfs")));
    return out;
  }

  /**
   * How rtc-resctrl.service mounts resctrl: with {@code -o cdp} (L3) or {@code -o cdpl2} (L2) when
   * the plan has code and data masks, without when it has one mask per group, and refusing a mount
   * that does not match, since every line it writes would fail.
   */
  private static TemplateModels.ResctrlUnit resctrlUnit(String header, String bundle, String summary, List<String> groups,
      Plan.CachePlan cache) {
    String option = cache.level() == 2 ? "cdpl2" : "cdp";
    String has = "grep -Eq \"^resctrl /sys/fs/resctrl resctrl ([^ ]*,)?" + option + "(,| )\" /proc/mounts";
    return new TemplateModels.ResctrlUnit(header, bundle, summary, groups, cache.cdp() ? has : "! " + has,
        cache.cdp() ? "-o " + option + " " : "", cache.cdp() ? "without " + option : "with " + option,
        cache.cdp() ? "-o " + option + ", code/data prioritization: CODE and DATA lines" : "without " + option + ": one line per resource");
  }
}
