package dev.rtc.manifest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rtc.manifest.Manifest.Benchmark;
import dev.rtc.manifest.Manifest.Cyclictest;
import dev.rtc.manifest.Manifest.Disk;
import dev.rtc.manifest.Manifest.Emulator;
import dev.rtc.manifest.Manifest.Guest;
import dev.rtc.manifest.Manifest.Host;
import dev.rtc.manifest.Manifest.Os;
import dev.rtc.manifest.Manifest.Placement;
import dev.rtc.manifest.Manifest.Role;
import dev.rtc.manifest.Manifest.Vm;
import dev.rtc.manifest.Manifest.Workload;
import dev.rtc.manifest.diagnostics.Code;
import dev.rtc.manifest.diagnostics.Diagnostics;
import dev.rtc.manifest.diagnostics.Pointers;
import dev.rtc.topology.ByteSize;
import dev.rtc.topology.CpuSet;
import dev.rtc.topology.HttpUrl;
import dev.rtc.topology.MacAddress;
import dev.rtc.topology.PciAddress;
import dev.rtc.topology.WayMask;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Turns a schema-checked tree into the {@link Manifest} records. Types and required keys are
 * already guaranteed by the schema; what is checked here is the syntax of values that have their
 * own grammar (cpulists, sizes, masks), each reported at its position.
 */
public final class Binder {

  private final Diagnostics d;

  private Binder(Diagnostics d) {
    this.d = d;
  }

  public static Manifest bind(ManifestLoader.Loaded loaded, Diagnostics d) {
    return new Binder(d).manifest(loaded, java.util.Set.of());
  }

  /**
   * Binds all but the VMs at the indices in {@code skip} (which failed the schema): for checking
   * the rest while those errors stand. The VMs bound keep their own index in their pointer.
   */
  public static Manifest bindExcept(ManifestLoader.Loaded loaded, java.util.Set<Integer> skip, Diagnostics d) {
    return new Binder(d).manifest(loaded, skip);
  }

  private Manifest manifest(ManifestLoader.Loaded loaded, java.util.Set<Integer> skip) {
    JsonNode root = loaded.tree();
    Host host = host(root.get("host"), "/host");
    List<Vm> vms = new ArrayList<>();
    JsonNode vmNodes = root.get("vms");
    for (int i = 0; i < vmNodes.size(); i++) {
      if (!skip.contains(i)) {
        vms.add(vm(vmNodes.get(i), "/vms/" + i, host.os()));
      }
    }
    Optional<Benchmark> bench = Optional.ofNullable(root.get("benchmark")).map(b -> benchmark(b, "/benchmark"));
    return new Manifest(loaded.source().displayName(), loaded.source().sha256(), root.get("name").asText(), host, vms, bench,
        site(root.get("site")));
  }

  private Manifest.Site site(JsonNode n) {
    if (n == null) {
      return Manifest.Site.none();
    }
    JsonNode m = n.path("mirrors");
    return new Manifest.Site(url(n, "proxy", "/site"), url(m, "debian", "/site/mirrors"), url(m, "debianSecurity", "/site/mirrors"),
        url(m, "ubuntu", "/site/mirrors"), url(m, "eci", "/site/mirrors"), url(m, "rhel", "/site/mirrors"));
  }

  /** A URL read whole by the one URL parser, or a located error (and no value). */
  private Optional<String> url(JsonNode parent, String key, String at) {
    if (!parent.has(key)) {
      return Optional.empty();
    }
    try {
      HttpUrl.parse(parent.get(key).asText());
      return Optional.of(parent.get(key).asText());
    } catch (HttpUrl.SyntaxException e) {
      d.error(Code.RTC022, Pointers.child(at, key), e.getMessage(), "write http://host[:port]/path, e.g. http://mirror.plant.example:3142/debian");
      return Optional.empty();
    }
  }

  /** A VF's fixed MAC, which libvirt will take (unicast, not all zero), or a located error. */
  private Optional<String> mac(JsonNode parent, String at) {
    if (!parent.has("mac")) {
      return Optional.empty();
    }
    try {
      return Optional.of(MacAddress.parse(parent.get("mac").asText()).text());
    } catch (MacAddress.SyntaxException e) {
      d.error(Code.RTC023, at + "/mac", e.getMessage(), "use a locally administered unicast MAC, e.g. 52:54:00:0a:00:01 "
          + "(first byte even), or leave mac out for a name-based one");
      return Optional.empty();
    }
  }

  static Optional<String> text(JsonNode parent, String key) {
    return parent.has(key) ? Optional.of(parent.get(key).asText()) : Optional.empty();
  }

  /** host.kernel or guest.kernel; absent means the default ({@code distro}). */
  private static Manifest.KernelChoice kernel(JsonNode n, String at) {
    if (n == null || !n.has("realtime") && !n.has("package")) {
      return new Manifest.KernelChoice(Manifest.Realtime.DISTRO, n == null ? Optional.empty() : text(n, "package"), false, at);
    }
    // package alone implies realtime: package; Rules say when the two disagree.
    Manifest.Realtime r = n.has("realtime") ? Manifest.Realtime.of(n.get("realtime").asText()) : Manifest.Realtime.PACKAGE;
    return new Manifest.KernelChoice(r, text(n, "package"), true, at);
  }

  private Host host(JsonNode n, String at) {
    List<String> extra = new ArrayList<>();
    JsonNode kernel = n.get("kernel");
    if (kernel != null && kernel.has("extraArgs")) {
      kernel.get("extraArgs").forEach(a -> extra.add(a.asText()));
    }
    return new Host(Os.of(n.get("os").asText()), new TopologyBinder(this, d).topology(n.get("topology"), at + "/topology"),
        cpus(n, "housekeeping", at), size(n, "cache", at), extra, n.path("cacheAt").asText("low").equals("shareable"),
        n.path("cacheOwner").asText("libvirt").equals("resctrl") ? Manifest.CacheOwner.RESCTRL : Manifest.CacheOwner.LIBVIRT,
        n.path("emulatorPool").asInt(0), kernel(kernel, at + "/kernel"), hostDevices(n.path("devices"), at + "/devices"),
        Manifest.Power.of(n.path("power").asText("lowest-latency")), Manifest.Platform.of(n.path("platform").asText("")));
  }

  private List<Manifest.HostDevice> hostDevices(JsonNode list, String at) {
    List<Manifest.HostDevice> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      JsonNode d = list.get(i);
      String p = at + "/" + i;
      JsonNode sr = d.get("sriov");
      out.add(new Manifest.HostDevice(PciAddress.parse(d.get("address").asText()), d.get("id").asText(), text(d, "driver"),
          d.get("node").asInt(), d.has("iommuGroup") ? OptionalInt.of(d.get("iommuGroup").asInt()) : OptionalInt.empty(), text(d, "interface"),
          sr == null ? Optional.empty() : Optional.of(new Manifest.Sriov(sr.get("totalVfs").asInt(), sr.get("offset").asInt(),
              sr.get("stride").asInt())), p));
    }
    return out;
  }

  private List<Manifest.DeviceRequest> vmDevices(JsonNode list, String at) {
    List<Manifest.DeviceRequest> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      JsonNode d = list.get(i);
      out.add(new Manifest.DeviceRequest(text(d, "pci").map(PciAddress::parse), text(d, "interface"), text(d, "pf"),
          d.has("vf") ? OptionalInt.of(d.get("vf").asInt()) : OptionalInt.empty(), mac(d, at + "/" + i),
          d.has("vlan") ? OptionalInt.of(d.get("vlan").asInt()) : OptionalInt.empty(), at + "/" + i));
    }
    return out;
  }

  /** The VM's networks; without the key, one NIC on libvirt's NAT network 'default', as before networks could be given. */
  private List<Manifest.NetworkAttachment> vmNetworks(JsonNode n, String at) {
    if (!n.has("networks")) {
      return List.of(new Manifest.NetworkAttachment(Manifest.NetKind.NETWORK, "default", at));
    }
    List<Manifest.NetworkAttachment> out = new ArrayList<>();
    JsonNode list = n.get("networks");
    for (int i = 0; i < list.size(); i++) {
      JsonNode w = list.get(i);
      String p = at + "/networks/" + i;
      Manifest.NetKind kind = w.has("bridge") ? Manifest.NetKind.BRIDGE : w.has("macvtap") ? Manifest.NetKind.MACVTAP : Manifest.NetKind.NETWORK;
      Optional<String> name = text(w, kind.id());
      if (name.isEmpty() || w.size() != 1) {
        d.error(Code.RTC049, p, "a network entry names one of network, bridge or macvtap" + (w.size() > 1 ? ", not " + w.size() : ""),
            "write one entry per network: {network: default}, {bridge: br0} or {macvtap: enp2s0}");
        continue;
      }
      out.add(new Manifest.NetworkAttachment(kind, name.get(), p));
    }
    return out;
  }

  private Vm vm(JsonNode n, String at, Os hostOs) {
    Placement placement = new Placement.Auto();
    JsonNode p = n.get("placement");
    if (p != null && p.has("numaNode")) {
      placement = new Placement.OnNode(p.get("numaNode").asInt());
    } else if (p != null && p.has("pin")) {
      placement = new Placement.Pinned(cpus(p, "pin", at + "/placement"));
    }
    Emulator emulator = new Emulator.Housekeeping();
    JsonNode e = n.get("emulator");
    if (e != null && e.isTextual()) {
      emulator = new Emulator.Shared(); // the schema allows only "shared"
    } else if (e != null && e.has("cpus")) {
      emulator = new Emulator.Dedicated(e.get("cpus").asInt());
    } else if (e != null && e.has("pin")) {
      emulator = new Emulator.Pinned(cpus(e, "pin", at + "/emulator"));
    }
    OptionalInt bandwidth = n.has("memoryBandwidth") ? OptionalInt.of(n.get("memoryBandwidth").asInt()) : OptionalInt.empty();
    Optional<Workload> workload = Optional.ofNullable(n.get("workload"))
        .map(w -> w.asText().equals("stress-ng") ? Workload.STRESS_NG : Workload.KERNEL_BUILD);
    JsonNode disk = n.get("disk");
    JsonNode g = n.get("guest");
    List<String> keys = new ArrayList<>();
    if (g.has("sshAuthorizedKeys")) {
      g.get("sshAuthorizedKeys").forEach(k -> keys.add(k.asText()));
    }
    Os guestOs = g.has("os") ? Os.of(g.get("os").asText()) : hostOs;
    // Left out, the image and the user are the guest OS's own: a host moved to another OS takes its guests along.
    Guest guest = new Guest(guestOs, g.has("user") ? g.get("user").asText() : guestOs.cloudUser(),
        g.get("passwordHash").asText(), keys, kernel(g.get("kernel"), at + "/guest/kernel"));
    return new Vm(n.get("name").asText(), n.get("role").asText().equals("realtime") ? Role.REALTIME : Role.STRESSOR,
        n.get("vcpus").asInt(), atLeast(n, "memory", at, MIN_MEMORY, "a guest that boots a cloud image and runs cloud-init"),
        placement, emulator, size(n, "cache", at), bandwidth, workload,
        new Disk(disk.has("baseImage") ? disk.get("baseImage").asText() : guestOs.cloudImage(), atLeast(disk, "size", at + "/disk", MIN_DISK,
            "the disk of a cloud image (Debian's and Ubuntu's are 2 to 3.5 GiB, and qemu-img does not shrink them)"), text(disk, "sha256")),
        guest,
        Optional.ofNullable(n.get("hugepages")).map(h -> ByteSize.parse(h.asText())), n.path("siblings").asText("idle").equals("pair"),
        n.path("interference").asText("").equals("accepted"), vmDevices(n.path("devices"), at + "/devices"), vmNetworks(n, at), at);
  }

  private Benchmark benchmark(JsonNode n, String at) {
    JsonNode c = n.get("cyclictest");
    String cat = at + "/cyclictest";
    Cyclictest ct = new Cyclictest(c.get("threads").asInt(), c.get("priority").asInt(), c.get("intervalUs").asInt(),
        c.has("distanceUs") ? c.get("distanceUs").asInt() : 0,
        c.has("mainAffinity") ? OptionalInt.of(c.get("mainAffinity").asInt()) : OptionalInt.empty(),
        cpus(c, "affinity", cat));
    JsonNode v = n.get("verdictUs");
    return new Benchmark(n.get("vm").asText(), ct, n.get("duration").asText(), v.get("great").asInt(), v.get("good").asInt(), at);
  }

  CpuSet cpus(JsonNode parent, String key, String at) {
    JsonNode n = parent.get(key);
    String p = Pointers.child(at, key);
    try {
      return CpuSet.parse(n.asText());
    } catch (CpuSet.SyntaxException e) {
      d.error(Code.RTC020, p, e.getMessage(), "write CPUs as a Linux cpulist, e.g. \"0-3\", \"4-63\", \"0-62:2\" (even CPUs)");
      return CpuSet.empty();
    }
  }

  /** Less than a Debian cloud image needs to boot and run cloud-init (it is killed by the OOM killer on first boot). */
  public static final ByteSize MIN_MEMORY = ByteSize.ofMiB(256);
  /** The smallest cloud image rtc's runbook could resize to: Debian's genericcloud is 2 GiB; less is always too small. */
  static final ByteSize MIN_DISK = ByteSize.ofMiB(1024);

  /**
   * A size that must not be 0: 0 compiles, and then fails on the host (virsh refuses memory 0,
   * qemu-img a disk of 0 bytes). Below {@code least} it is an error too: no VM rtc makes can use it.
   */
  ByteSize atLeast(JsonNode parent, String key, String at, ByteSize least, String what) {
    Optional<ByteSize> size = size(parent, key, at);
    if (size.isPresent() && size.get().compareTo(least) < 0) {
      d.error(Code.RTC021, Pointers.child(at, key), parent.get(key).asText().strip() + (size.get().bytes() == 0 ? " is nothing" : " is too small")
          + "; " + what + " needs at least " + least, "e.g. " + (least.equals(MIN_DISK) ? "20 GiB" : "4 GiB"));
    }
    return size.orElse(new ByteSize(0));
  }

  Optional<ByteSize> size(JsonNode parent, String key, String at) {
    JsonNode n = parent.get(key);
    if (n == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(ByteSize.parse(n.asText()));
    } catch (ByteSize.SyntaxException e) {
      d.error(Code.RTC021, Pointers.child(at, key), e.getMessage(), "e.g. 60 MiB, 28160K, 8 GiB");
      return Optional.empty();
    }
  }

  WayMask mask(JsonNode parent, String key, String at) {
    return WayMask.parseHex(parent.get(key).asText()); // the schema's pattern guarantees hex of ≤ 32 bits
  }
}
