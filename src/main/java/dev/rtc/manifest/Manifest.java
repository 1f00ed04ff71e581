package dev.rtc.manifest;

import dev.rtc.topology.ByteSize;
import dev.rtc.topology.CpuSet;
import dev.rtc.topology.PciAddress;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What the user wrote, bound and typed, with nothing decided yet. The plan's records (package
 * {@code dev.rtc.plan}) hold what the solver decided; the two are kept apart on purpose.
 *
 * @param sha256 of the manifest's bytes, for provenance headers
 */
public record Manifest(String file, String sha256, String name, Host host, List<Vm> vms, Optional<Benchmark> benchmark, Site site) {

  public Manifest {
    vms = List.copyOf(vms);
  }

  /** The same manifest with another host (the solver's what-if questions). */
  public Manifest withHost(Host h) {
    return new Manifest(file, sha256, name, h, vms, benchmark, site);
  }

  public Optional<Vm> vm(String name) {
    return vms.stream().filter(v -> v.name().equals(name)).findFirst();
  }

  /**
   * An operating system rtc plans for, with what a guest of it starts from when the manifest says
   * nothing else: its vendor's cloud image (as the site names it under /var/lib/libvirt/images/base/)
   * and that image's default login user.
   */
  public enum Os {
    DEBIAN11("debian11", "debian-11-generic-amd64.qcow2", "debian",
        "https://cloud.debian.org/images/cloud/bullseye/latest/debian-11-generic-amd64.qcow2 (SHA512SUMS beside it)"),
    DEBIAN12("debian12", "debian-12-generic-amd64.qcow2", "debian",
        "https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-generic-amd64.qcow2 (SHA512SUMS beside it)"),
    UBUNTU2204("ubuntu2204", "ubuntu-22.04-server-cloudimg-amd64.img", "ubuntu",
        "https://cloud-images.ubuntu.com/releases/22.04/release/ubuntu-22.04-server-cloudimg-amd64.img (SHA256SUMS beside it)"),
    UBUNTU2404("ubuntu2404", "ubuntu-24.04-server-cloudimg-amd64.img", "ubuntu",
        "https://cloud-images.ubuntu.com/releases/24.04/release/ubuntu-24.04-server-cloudimg-amd64.img (SHA256SUMS beside it)"),
    RHEL9("rhel9", "rhel-9.4-x86_64-kvm.qcow2", "cloud-user",
        "Red Hat's customer portal, with a subscription: Downloads, Red Hat Enterprise Linux 9.4 for x86_64, KVM Guest Image");

    private final String id;
    private final String cloudImage;
    private final String cloudUser;
    private final String imageSource;

    Os(String id, String cloudImage, String cloudUser, String imageSource) {
      this.id = id;
      this.cloudImage = cloudImage;
      this.cloudUser = cloudUser;
      this.imageSource = imageSource;
    }

    /** Where the vendor publishes {@link #cloudImage()}, for the site to fetch it (or carry it to an offline host). */
    public String imageSource() {
      return imageSource;
    }

    public String id() {
      return id;
    }

    /** The vendor's cloud image, by the file name it is downloaded as. */
    public String cloudImage() {
      return cloudImage;
    }

    /** The cloud image's default user: a guest's login when the manifest names none. */
    public String cloudUser() {
      return cloudUser;
    }

    /** debian, ubuntu or rhel: what a package name or an image is made for. */
    public String family() {
      return id.replaceAll("[0-9]+$", "");
    }

    public static Os of(String id) {
      for (Os o : values()) {
        if (o.id.equals(id)) {
          return o;
        }
      }
      throw new IllegalArgumentException(id);
    }
  }

  /** @param cacheOverShareable the host's default group sits over the L3 ways shared with I/O (host.cacheAt: shareable) */
  /** @param emulatorPool isolated CPUs per node for the emulator threads of VMs with {@code emulator: shared}; 0 when not given */
  public record Host(Os os, Topology topology, CpuSet housekeeping, Optional<ByteSize> cache, List<String> extraKernelArgs,
      boolean cacheOverShareable, CacheOwner cacheOwner, int emulatorPool, KernelChoice kernel, List<HostDevice> devices, Power power,
      Optional<Platform> platform) {
    public Host {
      extraKernelArgs = List.copyOf(extraKernelArgs);
      devices = List.copyOf(devices);
    }

    /** The same host keeping {@code size} of cache instead. */
    public Host withCache(ByteSize size) {
      return new Host(os, topology, housekeeping, Optional.of(size), extraKernelArgs, cacheOverShareable, cacheOwner, emulatorPool, kernel,
          devices, power, platform);
    }
  }

  /**
   * A PCI device of the host that VMs may be given (host.devices), as /sys/bus/pci/devices says it.
   *
   * @param id vendor:device, lower-case hex
   * @param driver the host driver bound to it when probed, given back on rollback
   * @param iommuGroup empty when the IOMMU was off when the host was probed
   * @param iface the host's interface name, for network devices
   */
  public record HostDevice(PciAddress address, String id, Optional<String> driver, int node, OptionalInt iommuGroup, Optional<String> iface,
      Optional<Sriov> sriov, String pointer) {

    /** How the user reads it: the address, and the interface name where it has one. */
    public String said() {
      return address + iface.map(i -> " (" + i + ")").orElse("");
    }
  }

  /** A physical function's SR-IOV capability: sriov_totalvfs, sriov_offset, sriov_stride. */
  public record Sriov(int totalVfs, int offset, int stride) {}

  /**
   * One entry of vms[].devices: a whole device ({@code pci} or {@code iface}) or virtual function
   * {@code vf} of {@code pf} (an address or interface name), with an optional fixed MAC and VLAN.
   */
  public record DeviceRequest(Optional<PciAddress> pci, Optional<String> iface, Optional<String> pf, OptionalInt vf, Optional<String> mac,
      OptionalInt vlan, String pointer) {

    public boolean isVf() {
      return pf.isPresent();
    }
  }

  /** How a VM's virtio NIC reaches a network: a libvirt network, a host bridge, or macvtap on a host interface. */
  public enum NetKind {
    NETWORK, BRIDGE, MACVTAP;

    public String id() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** One entry of vms[].networks (or the NAT default when the VM gives none). */
  public record NetworkAttachment(NetKind kind, String name, String pointer) {}

  /** Which PREEMPT_RT kernel a host or a real-time guest gets (host.kernel.realtime, guest.kernel.realtime). */
  public enum Realtime {
    DISTRO("distro"), ECI("eci"), PACKAGE("package"), NONE("none");

    private final String id;

    Realtime(String id) {
      this.id = id;
    }

    public String id() {
      return id;
    }

    public static Realtime of(String id) {
      for (Realtime r : values()) {
        if (r.id.equals(id)) {
          return r;
        }
      }
      throw new IllegalArgumentException(id);
    }
  }

  /**
   * What the manifest says about a kernel.
   *
   * @param pkg the package of {@code realtime: package}
   * @param given the manifest chose it; otherwise it is the default ({@code distro} for the host and
   *     real-time guests, the image's own kernel for stressors)
   * @param pointer JSON pointer of the {@code kernel} object, for diagnostics
   */
  public record KernelChoice(Realtime realtime, Optional<String> pkg, boolean given, String pointer) {}

  /** Who creates the real-time VMs' resctrl groups: libvirt from {@code <cachetune>}, or rtc's boot unit. */
  public enum CacheOwner {
    LIBVIRT, RESCTRL
  }

  /**
   * host.power: what the host trades for latency. LOWEST_LATENCY holds every CPU out of deep
   * C-states and at a fixed clock, from the kernel command line (the guide's way); BALANCED holds
   * only the CPUs of the real-time VMs so, per CPU, and lets the others sleep and clock down.
   */
  public enum Power {
    LOWEST_LATENCY("lowest-latency"), BALANCED("balanced");

    private final String id;

    Power(String id) {
      this.id = id;
    }

    public String id() {
      return id;
    }

    public static Power of(String id) {
      return java.util.Arrays.stream(values()).filter(p -> p.id.equals(id)).findFirst().orElse(LOWEST_LATENCY);
    }
  }

  /** host.platform: the class of machine, where rtc's guess from the topology is wrong (it picks the BIOS checklist). */
  public enum Platform {
    SERVER, CLIENT, EMBEDDED;

    public String id() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static Optional<Platform> of(String id) {
      return java.util.Arrays.stream(values()).filter(p -> p.id().equals(id)).findFirst();
    }
  }

  public enum Role {
    REALTIME, STRESSOR;

    public String id() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public enum Workload {
    KERNEL_BUILD("kernel-build"), STRESS_NG("stress-ng");

    private final String id;

    Workload(String id) {
      this.id = id;
    }

    public String id() {
      return id;
    }
  }

  /** Where the user wants a VM's vCPUs: anywhere, on a node, or on exact CPUs. */
  public sealed interface Placement {
    record Auto() implements Placement {}

    record OnNode(int node) implements Placement {}

    record Pinned(CpuSet cpus) implements Placement {}
  }

  /** Where the emulator threads go: the node's housekeeping CPUs, N dedicated CPUs, exact CPUs, or the node's shared pool. */
  public sealed interface Emulator {
    record Housekeeping() implements Emulator {}

    record Shared() implements Emulator {}

    record Dedicated(int count) implements Emulator {}

    record Pinned(CpuSet cpus) implements Emulator {}
  }

  /**
   * @param siblingPairs with SMT, the VM gets both threads of each core as vCPUs 2k and 2k+1
   *     (vm.siblings: pair) instead of a whole core per vCPU with the sibling idle
   * @param interferenceAccepted a stressor whose sharing with real-time VMs the manifest accepts
   *     (interference: accepted): said in the plan, not warned about
   * @param pointer JSON pointer of this VM in the manifest, for diagnostics
   */
  public record Vm(String name, Role role, int vcpus, ByteSize memory, Placement placement, Emulator emulator,
      Optional<ByteSize> cache, OptionalInt memoryBandwidth, Optional<Workload> workload, Disk disk, Guest guest,
      Optional<ByteSize> hugepages, boolean siblingPairs, boolean interferenceAccepted, List<DeviceRequest> devices,
      List<NetworkAttachment> networks, String pointer) {

    public Vm {
      devices = List.copyOf(devices);
      networks = List.copyOf(networks);
    }

    /** The same VM with another number of vCPUs, or another emulator: for trying a refusal's hints. */
    public Vm withVcpus(int n) {
      return new Vm(name, role, n, memory, placement, emulator, cache, memoryBandwidth, workload, disk, guest, hugepages, siblingPairs,
          interferenceAccepted, devices, networks, pointer);
    }

    public Vm withEmulator(Emulator e) {
      return new Vm(name, role, vcpus, memory, placement, e, cache, memoryBandwidth, workload, disk, guest, hugepages, siblingPairs,
          interferenceAccepted, devices, networks, pointer);
    }

    public Vm withCache(ByteSize c) {
      return new Vm(name, role, vcpus, memory, placement, emulator, Optional.of(c), memoryBandwidth, workload, disk, guest, hugepages,
          siblingPairs, interferenceAccepted, devices, networks, pointer);
    }

    public Vm withMemory(ByteSize m) {
      return new Vm(name, role, vcpus, m, placement, emulator, cache, memoryBandwidth, workload, disk, guest, hugepages, siblingPairs,
          interferenceAccepted, devices, networks, pointer);
    }

    public Vm withPlacement(Placement p) {
      return new Vm(name, role, vcpus, memory, p, emulator, cache, memoryBandwidth, workload, disk, guest, hugepages, siblingPairs,
          interferenceAccepted, devices, networks, pointer);
    }

    public boolean isRealtime() {
      return role == Role.REALTIME;
    }

    /**
     * The guest's own housekeeping vCPUs: vCPU 0 (the guide's split), or with siblings: pair the
     * whole first core, vCPUs 0 and 1, so no real-time vCPU shares a core with it.
     */
    public CpuSet guestHousekeepingVcpus() {
      return siblingPairs ? CpuSet.range(0, 1) : CpuSet.of(0);
    }

    /** The vCPUs that run real-time work: every vCPU after the guest's housekeeping ones; none for a stressor. */
    public CpuSet realtimeVcpus() {
      return isRealtime() ? CpuSet.range(guestHousekeepingVcpus().size(), vcpus - 1) : CpuSet.empty();
    }
  }

  /** @param sha256 the base image's checksum, when the manifest gives it */
  public record Disk(String baseImage, ByteSize size, Optional<String> sha256) {}

  public record Guest(Os os, String user, String passwordHash, List<String> sshAuthorizedKeys, KernelChoice kernel) {
    public Guest {
      sshAuthorizedKeys = List.copyOf(sshAuthorizedKeys);
    }
  }

  /**
   * What the plant's network offers (site): a proxy and package mirrors for the guests, and the
   * ECI repository's mirror for the host too. Empty when the manifest says nothing: the public
   * archives, directly.
   */
  public record Site(Optional<String> proxy, Optional<String> debian, Optional<String> debianSecurity, Optional<String> ubuntu,
      Optional<String> eci, Optional<String> rhel) {

    public static Site none() {
      return new Site(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    }
  }

  public record Benchmark(String vm, Cyclictest cyclictest, String duration, int greatUs, int goodUs, String pointer) {}

  public record Cyclictest(int threads, int priority, int intervalUs, int distanceUs, OptionalInt mainAffinity, CpuSet affinity) {}
}
