package dev.rtc.probe;

import dev.rtc.topology.PciAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The host's PCI devices a VM may be given, for host.devices: network controllers (class 02) and
 * SR-IOV physical functions, read from /sys/bus/pci/devices (a root or a facts file) or from what
 * {@code lspci -Dnn -vmm -k} prints. Virtual functions are left out: rtc names them by their
 * physical function and index, and makes them at boot.
 */
public final class PciDevices {

  private PciDevices() {}

  /**
   * One device as host.devices says it.
   *
   * @param sriov totalVfs, offset and stride, when the device is an SR-IOV physical function
   */
  public record PciInfo(PciAddress address, String id, String pciClass, Optional<String> driver, int node, OptionalInt iommuGroup,
      Optional<String> iface, Optional<int[]> sriov) {}

  private static final String DEVICES = "/sys/bus/pci/devices";
  private static final Pattern HEX4 = Pattern.compile("0x([0-9a-fA-F]{4})");
  private static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,14}");
  private static final Pattern DRIVER = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  /** From sysfs: each function's vendor, device, class, numa_node, driver and iommu_group links, net/ and sriov_* files. */
  static List<PciInfo> fromSysfs(HostFiles files, List<String> notes) {
    List<PciInfo> out = new ArrayList<>();
    boolean anyGroup = false;
    for (String name : files.list(DEVICES)) {
      if (!PciAddress.looksLike(name)) {
        continue;
      }
      String dir = DEVICES + "/" + name;
      String pciClass = files.read(dir + "/class").map(String::strip).orElse("");
      Optional<Integer> total = files.read(dir + "/sriov_totalvfs").map(String::strip).flatMap(PciDevices::integer).filter(n -> n > 0);
      if (!(pciClass.startsWith("0x02") || total.isPresent()) || files.link(dir + "/physfn").isPresent()) {
        continue; // not a network controller nor an SR-IOV function; or a VF itself
      }
      Optional<String> vendor = files.read(dir + "/vendor").map(String::strip).flatMap(PciDevices::hex4);
      Optional<String> device = files.read(dir + "/device").map(String::strip).flatMap(PciDevices::hex4);
      if (vendor.isEmpty() || device.isEmpty()) {
        notes.add("PCI device " + name + " has no readable vendor/device ids and is left out");
        continue;
      }
      int node = files.read(dir + "/numa_node").map(String::strip).flatMap(PciDevices::integer).orElse(-1);
      if (node < 0) {
        notes.add("PCI device " + name + " reports no NUMA node (numa_node -1: a one-node host, or firmware that does not say); node 0 is written");
        node = 0;
      }
      OptionalInt group = files.link(dir + "/iommu_group").flatMap(PciDevices::integer).map(OptionalInt::of).orElse(OptionalInt.empty());
      anyGroup |= group.isPresent();
      Optional<String> driver = files.link(dir + "/driver").filter(d -> DRIVER.matcher(d).matches());
      List<String> nets = files.list(dir + "/net").stream().filter(n -> IFNAME.matcher(n).matches()).toList();
      Optional<int[]> sriov = Optional.empty();
      if (total.isPresent()) {
        Optional<Integer> offset = files.read(dir + "/sriov_offset").map(String::strip).flatMap(PciDevices::integer);
        Optional<Integer> stride = files.read(dir + "/sriov_stride").map(String::strip).flatMap(PciDevices::integer);
        if (offset.isPresent() && stride.isPresent()) {
          sriov = Optional.of(new int[] {total.get(), offset.get(), stride.get()});
        } else {
          notes.add("PCI device " + name + " has SR-IOV but no sriov_offset/sriov_stride (its driver is not bound?): its VFs cannot be given");
        }
      }
      out.add(new PciInfo(PciAddress.parse(name), vendor.get() + ":" + device.get(), pciClass, driver, node, group,
          nets.isEmpty() ? Optional.empty() : Optional.of(nets.get(0)), sriov));
    }
    if (!out.isEmpty() && !anyGroup) {
      notes.add("no IOMMU groups: the IOMMU is off (intel_iommu=on comes with rtc's kernel arguments); check-host reads them after the reboot");
    }
    out.sort((a, b) -> a.address().compareTo(b.address()));
    return out;
  }

  /** Whether {@code text} is what lspci -vmm prints: records of "Key:\tvalue" lines, each starting with Slot. */
  static boolean isLspci(String text) {
    return text.stripLeading().startsWith("Slot:");
  }

  private static final Pattern BRACKETED = Pattern.compile(".*\\[([0-9a-fA-F]{4})]\\s*$");

  /** From lspci -Dnn -vmm -k: network controllers; lspci gives no interface names or SR-IOV geometry. */
  static List<PciInfo> fromLspci(String name, String text, List<String> notes) throws Probe.ProbeException {
    List<PciInfo> out = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    java.util.Map<String, String> rec = new java.util.HashMap<>();
    int start = 1;
    for (int i = 0; i <= lines.length; i++) {
      String l = i < lines.length ? lines[i].stripTrailing() : "";
      if (l.isEmpty()) {
        if (!rec.isEmpty()) {
          record(name, start, rec, notes).ifPresent(out::add);
          rec.clear();
        }
        start = i + 2;
        continue;
      }
      int tab = l.indexOf(':');
      if (tab <= 0) {
        throw new Probe.ProbeException(name + ":" + (i + 1) + ": '" + oneLine(l) + "' is not a 'Key:<tab>value' line of lspci -vmm; "
            + "send what lspci -Dnn -vmm -k prints, whole");
      }
      rec.put(l.substring(0, tab).strip(), l.substring(tab + 1).strip());
    }
    notes.add("lspci gives no interface names and no SR-IOV geometry: add interface: (ls /sys/bus/pci/devices/ADDRESS/net) and "
        + "sriov: {totalVfs, offset, stride} (/sys/bus/pci/devices/ADDRESS/sriov_*) by hand, or better send the runbook's facts file");
    out.sort((a, b) -> a.address().compareTo(b.address()));
    return out;
  }

  private static Optional<PciInfo> record(String name, int line, java.util.Map<String, String> rec, List<String> notes)
      throws Probe.ProbeException {
    String slot = rec.get("Slot");
    if (slot == null || !PciAddress.looksLike(slot)) {
      throw new Probe.ProbeException(name + ":" + line + ": a record without a PCI address in Slot (" + (slot == null ? "none" : "'"
          + oneLine(slot) + "'") + "); run lspci with -D, as lspci -Dnn -vmm -k");
    }
    Optional<String> cls = bracketed(rec.get("Class"));
    Optional<String> vendor = bracketed(rec.get("Vendor"));
    Optional<String> device = bracketed(rec.get("Device"));
    if (cls.isEmpty() || vendor.isEmpty() || device.isEmpty()) {
      throw new Probe.ProbeException(name + ":" + line + ": " + slot + " has no numeric class, vendor or device ([8086]); run lspci "
          + "with -nn, as lspci -Dnn -vmm -k");
    }
    if (!cls.get().startsWith("02")) {
      return Optional.empty();
    }
    int node = Optional.ofNullable(rec.get("NUMANode")).flatMap(PciDevices::integer).orElse(0);
    if (!rec.containsKey("NUMANode")) {
      notes.add(slot + ": lspci shows no NUMANode (a one-node host, or an older lspci); node 0 is written");
    }
    return Optional.of(new PciInfo(PciAddress.parse(slot), vendor.get().toLowerCase(Locale.ROOT) + ":" + device.get().toLowerCase(Locale.ROOT),
        "0x" + cls.get() + "00", Optional.ofNullable(rec.get("Driver")).filter(d -> DRIVER.matcher(d).matches()), node,
        Optional.ofNullable(rec.get("IOMMUGroup")).flatMap(PciDevices::integer).map(OptionalInt::of).orElse(OptionalInt.empty()),
        Optional.empty(), Optional.empty()));
  }

  /** host.devices, indented to sit under host:. */
  public static String yaml(List<PciInfo> devices) {
    StringBuilder y = new StringBuilder("  devices:\n");
    for (PciInfo d : devices) {
      y.append("    - {address: \"").append(d.address()).append("\", id: \"").append(d.id()).append('"');
      d.driver().ifPresent(v -> y.append(", driver: ").append(v));
      y.append(", node: ").append(d.node());
      d.iommuGroup().ifPresent(g -> y.append(", iommuGroup: ").append(g));
      d.iface().ifPresent(i -> y.append(", interface: ").append(i));
      d.sriov().ifPresent(s -> y.append(", sriov: {totalVfs: ").append(s[0]).append(", offset: ").append(s[1]).append(", stride: ")
          .append(s[2]).append('}'));
      y.append("}\n");
    }
    return y.toString();
  }

  private static Optional<String> bracketed(String value) {
    if (value == null) {
      return Optional.empty();
    }
    Matcher m = BRACKETED.matcher(value);
    return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
  }

  private static Optional<String> hex4(String s) {
    Matcher m = HEX4.matcher(s);
    return m.matches() ? Optional.of(m.group(1).toLowerCase(Locale.ROOT)) : Optional.empty();
  }

  private static Optional<Integer> integer(String s) {
    try {
      return Optional.of(Integer.parseInt(s.strip()));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static String oneLine(String s) {
    return s.replaceAll("\\p{Cntrl}", "?");
  }
}
