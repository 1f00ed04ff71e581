package dev.rtc.manifest.rules;

import dev.rtc.manifest.Manifest.DeviceRequest;
import dev.rtc.manifest.Manifest.HostDevice;
import dev.rtc.manifest.Manifest.Placement;
import dev.rtc.manifest.Manifest.Vm;
import dev.rtc.manifest.Manifest;
import dev.rtc.manifest.Topology;
import dev.rtc.manifest.diagnostics.Code;
import dev.rtc.manifest.diagnostics.Diagnostics;
import dev.rtc.manifest.diagnostics.Pointers;
import dev.rtc.topology.CpuSet;
import dev.rtc.topology.PciAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The devices VMs are given, checked against host.devices and resolved: each request names one
 * known device (or one existing virtual function of one), each device goes to one VM, an IOMMU
 * group goes whole to one VM (VFIO cannot split it), and a real-time VM's devices sit on the NUMA
 * node of its CPUs. {@link #resolve} gives the planner what the checks passed.
 */
public final class DeviceRules {

  /**
   * A device as a VM gets it: the host device, or virtual function {@code vf} of it at {@code address}.
   *
   * @param mac the VF's fixed MAC, when the manifest gives one
   */
  public record Assigned(HostDevice device, OptionalInt vf, PciAddress address, Optional<String> mac, OptionalInt vlan, DeviceRequest request) {

    public boolean isVf() {
      return vf.isPresent();
    }

    /** "0000:3b:00.0 (enp59s0)", or "VF 2 of 0000:5e:00.0 (ens1f0) at 0000:5e:10.4". */
    public String said() {
      return vf.isPresent() ? "VF " + vf.getAsInt() + " of " + device.said() + " at " + address : device.said();
    }
  }

  private final Manifest m;
  private final Diagnostics d;

  private DeviceRules(Manifest m, Diagnostics d) {
    this.m = m;
    this.d = d;
  }

  /** Checks every rule, reporting each fault. */
  static void check(Manifest m, Diagnostics d) {
    new DeviceRules(m, d).run();
  }

  /** What each VM is given, by VM name in manifest order; requests that do not resolve are left out (Rules said why). */
  public static Map<String, List<Assigned>> resolve(Manifest m) {
    return new DeviceRules(m, null).assign(false);
  }

  private void run() {
    hostDevices();
    Map<String, List<Assigned>> given = assign(true);
    iommuGroups(given);
    nodes(given);
  }

  private void error(Code code, String at, String message, String hint) {
    if (d != null) {
      d.error(code, at, message, hint);
    }
  }

  private void hostDevices() {
    Map<PciAddress, HostDevice> seen = new HashMap<>();
    Map<String, HostDevice> names = new HashMap<>();
    for (HostDevice h : m.host().devices()) {
      HostDevice before = seen.putIfAbsent(h.address(), h);
      if (before != null) {
        error(Code.RTC035, h.pointer() + "/address", "device " + h.address() + " is listed twice (first at "
            + Pointers.display(before.pointer()) + ")", "list each device once");
      }
      h.iface().ifPresent(i -> {
        HostDevice other = names.putIfAbsent(i, h);
        if (other != null) {
          error(Code.RTC035, h.pointer() + "/interface", "interface " + i + " is given to " + h.address() + " and " + other.address(),
              "an interface name belongs to one device: compare with ls -l /sys/class/net");
        }
      });
      if (m.host().topology().numaNodes().stream().noneMatch(n -> n.id() == h.node())) {
        error(Code.RTC035, h.pointer() + "/node", "device " + h.address() + " is on NUMA node " + h.node() + ", which the topology does not have",
            "write the device's numa_node (/sys/bus/pci/devices/" + h.address() + "/numa_node)");
      }
    }
  }

  /** Resolves each request; with {@code report}, says why one does not, and refuses a device given twice. */
  private Map<String, List<Assigned>> assign(boolean report) {
    Map<String, List<Assigned>> out = new LinkedHashMap<>();
    Map<PciAddress, String> takenBy = new HashMap<>(); // whole devices and VFs, by address: who has it, where
    Map<String, String> macs = new HashMap<>();
    for (Vm vm : m.vms()) {
      List<Assigned> mine = new ArrayList<>();
      for (DeviceRequest r : vm.devices()) {
        Optional<Assigned> a = resolve(r, report);
        if (a.isEmpty()) {
          continue;
        }
        String where = vm.name() + " (" + Pointers.display(r.pointer()) + ")";
        String before = takenBy.putIfAbsent(a.get().address(), where);
        if (before != null) {
          if (report) {
            error(Code.RTC049, r.pointer(), a.get().said() + " is given twice: to " + before + " already",
                "give each device to one VM; SR-IOV devices can give each VM a virtual function instead ({pf: ..., vf: N})");
          }
          continue;
        }
        if (a.get().isVf() && a.get().mac().isPresent()) {
          String other = macs.putIfAbsent(a.get().mac().get(), where);
          if (other != null && report) {
            error(Code.RTC049, r.pointer() + "/mac", "MAC " + a.get().mac().get() + " is given to " + other + " already",
                "give each virtual function its own MAC, or leave mac out for a name-based one");
          }
        }
        mine.add(a.get());
      }
      out.put(vm.name(), mine);
    }
    if (report) {
      wholeAndVfs(out);
    }
    return out;
  }

  private Optional<Assigned> resolve(DeviceRequest r, boolean report) {
    int forms = (r.pci().isPresent() ? 1 : 0) + (r.iface().isPresent() ? 1 : 0) + (r.pf().isPresent() ? 1 : 0);
    if (forms != 1) {
      if (report) {
        error(Code.RTC049, r.pointer(), forms == 0 ? "a device entry names no device" : "a device entry names " + forms + " devices",
            "write one of {pci: 0000:3b:00.0}, {interface: enp59s0} or {pf: ens1f0, vf: 0}");
      }
      return Optional.empty();
    }
    if (!r.isVf() && (r.vf().isPresent() || r.mac().isPresent() || r.vlan().isPresent())) {
      if (report) {
        String key = r.vf().isPresent() ? "vf" : r.mac().isPresent() ? "mac" : "vlan";
        error(Code.RTC049, r.pointer() + "/" + key, key + " is for a virtual function ({pf: ..., vf: N}); a whole device gets none",
            "remove " + key + ", or give a virtual function of an SR-IOV device with pf and vf");
      }
      return Optional.empty();
    }
    if (r.isVf() && r.vf().isEmpty()) {
      if (report) {
        error(Code.RTC049, r.pointer(), "pf " + r.pf().get() + " without vf: which virtual function?", "add vf: 0 (virtfn0), or the index you want");
      }
      return Optional.empty();
    }
    String name = r.pci().map(PciAddress::toString).or(() -> r.iface()).orElseGet(() -> r.pf().get());
    String at = r.pointer() + (r.pci().isPresent() ? "/pci" : r.iface().isPresent() ? "/interface" : "/pf");
    Optional<HostDevice> h = find(name);
    if (h.isEmpty()) {
      if (report) {
        List<String> known = m.host().devices().stream().map(HostDevice::said).limit(4).toList();
        error(Code.RTC049, at, name + " is not among host.devices" + (known.isEmpty() ? " (the host lists none)" : " (" + String.join(", ", known)
            + (m.host().devices().size() > 4 ? ", ..." : "") + ")"), "add the device to host.devices: rtc probe lists the host's network and "
            + "SR-IOV devices with their addresses, ids, nodes and IOMMU groups");
      }
      return Optional.empty();
    }
    HostDevice dev = h.get();
    if (!r.isVf()) {
      return Optional.of(new Assigned(dev, OptionalInt.empty(), dev.address(), Optional.empty(), OptionalInt.empty(), r));
    }
    int vf = r.vf().getAsInt();
    if (dev.sriov().isEmpty()) {
      if (report) {
        error(Code.RTC049, at, dev.said() + " has no SR-IOV (host.devices gives it no sriov)", "give the device whole ({pci: "
            + dev.address() + "}), or a virtual function of an SR-IOV device; if it has SR-IOV, add sriov: {totalVfs, offset, stride} "
            + "from /sys/bus/pci/devices/" + dev.address() + "/sriov_*");
      }
      return Optional.empty();
    }
    Manifest.Sriov s = dev.sriov().get();
    if (vf >= s.totalVfs()) {
      if (report) {
        error(Code.RTC049, r.pointer() + "/vf", dev.said() + " has " + s.totalVfs() + " virtual function" + (s.totalVfs() == 1 ? "" : "s")
            + " (sriov_totalvfs), so VF " + vf + " does not exist", "use a vf from 0 to " + (s.totalVfs() - 1));
      }
      return Optional.empty();
    }
    PciAddress address;
    try {
      address = dev.address().virtualFunction(s.offset(), s.stride(), vf);
    } catch (IllegalArgumentException e) {
      if (report) {
        error(Code.RTC049, r.pointer() + "/vf", e.getMessage() + " (sriov offset " + s.offset() + ", stride " + s.stride() + ")",
            "check sriov.offset and sriov.stride against /sys/bus/pci/devices/" + dev.address());
      }
      return Optional.empty();
    }
    return Optional.of(new Assigned(dev, OptionalInt.of(vf), address, r.mac(), r.vlan(), r));
  }

  private Optional<HostDevice> find(String name) {
    if (PciAddress.looksLike(name)) {
      PciAddress a = PciAddress.parse(name);
      return m.host().devices().stream().filter(h -> h.address().equals(a)).findFirst();
    }
    return m.host().devices().stream().filter(h -> h.iface().equals(Optional.of(name))).findFirst();
  }

  /** A physical function given whole takes its VFs with it: it cannot also be split into VFs for others. */
  private void wholeAndVfs(Map<String, List<Assigned>> given) {
    Map<PciAddress, String> whole = new HashMap<>();
    given.forEach((vm, as) -> as.stream().filter(a -> !a.isVf()).forEach(a -> whole.put(a.address(), vm)));
    given.forEach((vm, as) -> as.stream().filter(Assigned::isVf).forEach(a -> {
      String owner = whole.get(a.device().address());
      if (owner != null) {
        error(Code.RTC049, a.request().pointer(), a.said() + " belongs to " + a.device().said() + ", which " + owner
            + " is given whole", "give " + owner + " a virtual function too, or pass the device whole to one VM only");
      }
    }));
  }

  /**
   * VFIO hands a VM a whole IOMMU group: every device of the group must go to that VM (or be a PCI
   * bridge, which host.devices does not list), else the VM does not start ("group is not viable").
   */
  private void iommuGroups(Map<String, List<Assigned>> given) {
    Map<Integer, TreeSet<PciAddress>> members = new TreeMap<>();
    for (HostDevice h : m.host().devices()) {
      h.iommuGroup().ifPresent(g -> members.computeIfAbsent(g, k -> new TreeSet<>()).add(h.address()));
    }
    Map<PciAddress, String> owner = new HashMap<>();
    given.forEach((vm, as) -> as.stream().filter(a -> !a.isVf()).forEach(a -> owner.put(a.address(), vm)));
    given.forEach((vm, as) -> {
      for (Assigned a : as) {
        if (a.isVf() || a.device().iommuGroup().isEmpty()) {
          continue; // a VF's group is made when the VF is; check-host reads it after the reboot
        }
        int g = a.device().iommuGroup().getAsInt();
        List<String> apart = new ArrayList<>();
        for (PciAddress other : members.get(g)) {
          if (!other.equals(a.address()) && !vm.equals(owner.get(other))) {
            apart.add(other + (owner.containsKey(other) ? " (given to " + owner.get(other) + ")" : " (left with the host)"));
          }
        }
        if (!apart.isEmpty()) {
          error(Code.RTC049, a.request().pointer(), a.said() + " is in IOMMU group " + g + " with " + String.join(", ", apart)
              + ": VFIO gives a VM a whole group, so the VM would not start", "give every device of group " + g + " to " + vm
              + ", or move the card to a slot whose root port isolates it (ACS), which gives it a group of its own");
        }
      }
    });
  }

  /** A real-time VM runs on the node of its devices: all on one node, and its explicit placement there. */
  private void nodes(Map<String, List<Assigned>> given) {
    for (Vm vm : m.vms()) {
      List<Assigned> as = given.getOrDefault(vm.name(), List.of());
      if (!vm.isRealtime() || as.isEmpty()) {
        continue;
      }
      Map<Integer, List<String>> byNode = new TreeMap<>();
      as.forEach(a -> byNode.computeIfAbsent(a.device().node(), k -> new ArrayList<>()).add(a.said()));
      if (byNode.size() > 1) {
        Assigned last = as.get(as.size() - 1);
        error(Code.RTC067, last.request().pointer(), vm.name() + "'s devices sit on NUMA nodes " + String.join(" and ", byNode.entrySet()
            .stream().map(e -> e.getKey() + " (" + String.join(", ", e.getValue()) + ")").toList()) + ", and a real-time VM runs on one node",
            "give " + vm.name() + " devices of one node (an SR-IOV device on each node can give it a VF there)");
        continue;
      }
      int node = byNode.keySet().iterator().next();
      Assigned first = as.get(0);
      if (vm.placement() instanceof Placement.OnNode on && on.node() != node) {
        error(Code.RTC067, vm.pointer() + "/placement/numaNode", vm.name() + " is placed on NUMA node " + on.node() + ", but its device "
            + first.said() + " is on node " + node + ": its DMA and interrupts would cross the interconnect on every packet",
            "place it on node " + node + " (numaNode: " + node + "), or leave placement to the solver, which follows the device");
      } else if (vm.placement() instanceof Placement.Pinned p && !p.cpus().isEmpty()) {
        CpuSet nodeCpus = m.host().topology().numaNodes().stream().filter(n -> n.id() == node).findFirst().map(Topology.NumaNode::cpus)
            .orElse(CpuSet.empty());
        CpuSet off = p.cpus().minus(nodeCpus);
        if (!off.isEmpty()) {
          error(Code.RTC067, vm.pointer() + "/placement/pin", vm.name() + " is pinned to CPUs " + off.describe() + " outside NUMA node " + node
              + ", where its device " + first.said() + " is: its DMA and interrupts would cross the interconnect",
              "pin it to isolated CPUs of node " + node + " (" + nodeCpus.minus(m.host().housekeeping()).describe()
                  + "), or leave placement to the solver");
        }
      }
    }
  }
}
