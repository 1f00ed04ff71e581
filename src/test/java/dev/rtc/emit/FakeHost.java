package dev.rtc.emit;

import dev.rtc.manifest.Manifest;
import dev.rtc.manifest.Topology;
import dev.rtc.manifest.Topology.NumaNode;
import dev.rtc.plan.Plan;
import dev.rtc.plan.Plan.VmPlan;
import dev.rtc.plan.TuningPlan;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A fake host for runbook tests: a folder that stands for / (the runbook reads and writes under
 * {@code RTC_ROOT}), holding the files the manifest's host would show, and a {@code bin/} of fake
 * commands (src/test/resources/fakehost/fake) that log every call and keep their state under
 * {@code fake/}. {@link #calls()} says what the runbook ran; {@link #files()} what it left.
 */
public final class FakeHost {

  /** Commands that change a host, or talk to libvirt, the package manager or the boot loader. */
  static final List<String> COMMANDS = List.of("virsh", "systemctl", "tuned-adm", "update-grub", "grub2-mkconfig", "grubby", "apt-get",
      "dnf", "subscription-manager", "pro", "dpkg-statoverride", "curl", "qemu-img", "cloud-localds", "genisoimage", "mount", "umount", "lscpu",
      "dpkg-query", "rpm", "hwlatdetect", "rtla");

  public final Path root;
  private final Plan plan;

  private FakeHost(Path root, Plan plan) {
    this.root = root;
    this.plan = plan;
  }

  /** The manifest's host as it is before rtc: stock kernel, resctrl mounted, nothing of rtc's. */
  public static FakeHost of(Path root, Plan plan) {
    FakeHost h = new FakeHost(root, plan);
    Topology t = plan.manifest().host().topology();
    h.write("etc/os-release", osRelease(plan.manifest().host().os()));
    h.write("etc/default/grub", "GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\nGRUB_CMDLINE_LINUX=\"\"\n");
    List<String> flags = new ArrayList<>(List.of("fpu", "vme", "vmx", "tsc"));
    plan.cache().ifPresent(c -> {
      flags.add(c.level() == 2 ? "cat_l2" : "cat_l3");
      if (c.cdp()) {
        flags.add(c.level() == 2 ? "cdp_l2" : "cdp_l3");
      }
    });
    if (t.mba().isPresent()) {
      flags.add("mba");
    }
    h.write("proc/cpuinfo", "processor\t: 0\nflags\t\t: " + String.join(" ", flags) + "\n");
    h.write("dev/kvm", "");
    h.write("sys/module/kvm/parameters/halt_poll_ns", "0\n");
    h.write("sys/module/kvm_intel/parameters/ple_gap", "0\n");
    h.write("sys/devices/system/cpu/online", t.allCpus() + "\n");
    for (NumaNode n : t.numaNodes()) {
      h.write("sys/devices/system/node/node" + n.id() + "/cpulist", n.cpus() + "\n");
    }
    h.write("sys/devices/system/cpu/cpu0/topology/thread_siblings_list", t.smt() ? "0," + t.sibling(0) + "\n" : "0\n");
    t.l3().ifPresent(l3 -> h.write("sys/devices/system/cpu/cpu0/cache/index3/size", l3.size().bytes() / 1024 + "K\n"));
    t.l2().ifPresent(l2 -> h.write("sys/devices/system/cpu/cpu0/cache/index2/size", l2.size().bytes() / 1024 + "K\n"));
    if (t.hybrid()) {
      h.write("sys/devices/cpu_core/cpus", t.cpusOfType(Topology.CoreType.P) + "\n");
      h.write("sys/devices/cpu_atom/cpus", t.cpusOfType(Topology.CoreType.E).union(t.cpusOfType(Topology.CoreType.LPE)) + "\n");
    }
    plan.cache().ifPresent(c -> {
      String info = "sys/fs/resctrl/info/" + c.resources().get(0) + "/";
      h.write(info + "cbm_mask", Integer.toHexString(c.cbmMask().bits()) + "\n");
      h.write(info + "min_cbm_bits", c.minCbmBits() + "\n");
      h.write(info + "num_closids", (c.cdp() ? c.closids() / 2 : c.closids()) + "\n");
      h.write(info + "shareable_bits", "0\n");
      h.write("sys/fs/resctrl/schemata", String.join("\n", c.schemataLines(fullMasks(c))) + "\n");
    });
    t.mba().ifPresent(mb -> mb.closids().ifPresent(n -> h.write("sys/fs/resctrl/info/MB/num_closids", n + "\n")));
    for (Manifest.HostDevice d : plan.manifest().host().devices()) {
      h.pciDevice(d.address().toString(), d.id(), d.node(), "0x020000", d.driver().orElse(null));
      d.sriov().ifPresent(sr -> {
        h.write(pci(d.address().toString()) + "sriov_totalvfs", sr.totalVfs() + "\n");
        h.write(pci(d.address().toString()) + "sriov_numvfs", "0\n");
      });
    }
    h.write("proc/cmdline", "BOOT_IMAGE=/boot/vmlinuz-6.1.0-28-amd64 root=/dev/sda1 ro quiet\n");
    h.write("proc/sys/kernel/osrelease", "6.1.0-28-amd64\n");
    h.write("proc/sys/kernel/version", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)\n");
    h.write("fake/tuned/active", "balanced\n");
    for (String base : plan.vms().stream().map(v -> dev.rtc.plan.Supplies.imagePath(v.vm().disk().baseImage())).distinct().toList()) {
      h.write(base.substring(1), "a cloud image\n");
    }
    if (dev.rtc.plan.Supplies.of(plan).rhelActivationKey()) {
      h.write("etc/rtc/rhel-activation-key", "org=1234567\nkey=rtc-plant-7\n"); // what the technician puts there
    }
    if (dev.rtc.plan.Supplies.of(plan).ubuntuProToken()) {
      h.write("etc/rtc/ubuntu-pro-token", "C1a2b3c4d5e6f7g8h9\n"); // what the technician puts there
    }
    h.platform();
    h.write("fake/virsh/networks/default/active", "yes\n");
    h.write("fake/virsh/networks/default/autostart", "yes\n");
    try {
      Path fake = Files.createDirectories(root.resolve("bin")).resolve("fake");
      try (var in = FakeHost.class.getResourceAsStream("/fakehost/fake")) {
        Files.write(fake, in.readAllBytes());
      }
      fake.toFile().setExecutable(true);
      for (String c : COMMANDS) {
        Files.createSymbolicLink(root.resolve("bin").resolve(c), fake.getFileName());
      }
      // Real outputs of the measuring tools, which the fake replays (fakehost/README.md).
      Path fixtures = Files.createDirectories(root.resolve("fake/fixtures"));
      for (String f : List.of("hwlatdetect.txt", "osnoise-top.txt")) {
        try (var in = FakeHost.class.getResourceAsStream("/fakehost/" + f)) {
          Files.write(fixtures.resolve(f), in.readAllBytes());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return h;
  }

  private static java.util.SortedMap<Integer, dev.rtc.topology.WayMask> fullMasks(Plan.CachePlan c) {
    java.util.SortedMap<Integer, dev.rtc.topology.WayMask> m = new TreeMap<>();
    c.hostMasks().keySet().forEach(id -> m.put(id, c.cbmMask()));
    return m;
  }

  private static String osRelease(Manifest.Os os) {
    return switch (os) {
      case DEBIAN11 -> "ID=debian\nVERSION_ID=\"11\"\nVERSION_CODENAME=bullseye\n";
      case DEBIAN12 -> "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n";
      case UBUNTU2204 -> "ID=ubuntu\nVERSION_ID=\"22.04\"\nVERSION_CODENAME=jammy\n";
      case UBUNTU2404 -> "ID=ubuntu\nVERSION_ID=\"24.04\"\nVERSION_CODENAME=noble\n";
      case RHEL9 -> "ID=\"rhel\"\nVERSION_ID=\"9.4\"\n";
    };
  }

  /**
   * What qualify reads of the board: DMI, the SMI counter (the msr driver's file, on the first
   * housekeeping and the first isolated CPU), and on the first
   * two isolated CPUs their idle states (POLL, C1, C6, with their wake-up latencies) and clock.
   */
  private void platform() {
    write("sys/class/dmi/id/sys_vendor", "Intel Corporation\n");
    write("sys/class/dmi/id/product_name", "Fake Board\n");
    write("sys/class/dmi/id/board_name", "FB-1\n");
    write("sys/class/dmi/id/bios_vendor", "Intel Corp.\n");
    write("sys/class/dmi/id/bios_version", "FB1.86B.0042\n");
    write("sys/class/dmi/id/bios_date", "01/02/2025\n");
    List<Integer> cpus = plan.host().isolated().stream().limit(2).boxed().toList();
    msr(cpus.get(0), 7);
    msr(plan.host().housekeeping().first(), 7); // an SMI stops every CPU: each counts it
    for (int cpu : cpus) {
      String d = "sys/devices/system/cpu/cpu" + cpu + "/";
      String[] names = {"POLL", "C1", "C6"};
      int[] wake = {0, 2, 170}; // intel_idle's exit latencies (us), Skylake-SP's C1 and a server C6
      for (int i = 0; i < names.length; i++) {
        write(d + "cpuidle/state" + i + "/name", names[i] + "\n");
        write(d + "cpuidle/state" + i + "/usage", (100 * i) + "\n");
        write(d + "cpuidle/state" + i + "/latency", wake[i] + "\n");
      }
      write(d + "cpufreq/scaling_cur_freq", "2100000\n");
    }
  }

  /** The SMI counter of a CPU (MSR 0x34) as the msr driver shows it: 8 bytes at offset 0x34. */
  public void msr(int cpu, int smis) {
    byte[] b = new byte[64];
    java.nio.ByteBuffer.wrap(b, 0x34, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(smis);
    try {
      Path f = root.resolve("dev/cpu/" + cpu + "/msr");
      Files.createDirectories(f.getParent());
      Files.write(f, b);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The host as the host step and a reboot leave it: the planned real-time kernel running, rtc's
   * arguments on the command line, the cache groups, TuneD's profile active and its values live.
   */
  public FakeHost booted() {
    Manifest.Os os = plan.manifest().host().os();
    String release = switch (plan.host().kernel().realtime()) {
      case ECI -> "6.6.23-rt28-intel-ese-standard-lts-rt";
      case DISTRO -> os == Manifest.Os.RHEL9 ? "5.14.0-427.13.1.el9_4.x86_64+rt" : os.id().startsWith("ubuntu") ? "5.15.0-1032-realtime"
          : "6.1.0-28-rt-amd64";
      case PACKAGE -> "6.6.0-rt-amd64";
      case NONE -> "6.1.0-28-amd64";
    };
    boolean rt = plan.host().kernel().isRealtime();
    write("proc/sys/kernel/osrelease", release + "\n");
    write("proc/sys/kernel/version", rt ? "#1 SMP PREEMPT_RT Debian\n" : "#1 SMP PREEMPT_DYNAMIC Debian\n");
    if (rt) {
      write("sys/kernel/realtime", "1\n");
      // A PREEMPT_RT kernel's tracers (Debian's linux-image-rt-amd64 has these), for qualify.
      write("sys/kernel/tracing/available_tracers", "timerlat osnoise hwlat function nop\n");
    }
    write("proc/cmdline", "BOOT_IMAGE=/boot/vmlinuz-" + release + " root=/dev/sda1 ro quiet " + plan.host().cmdline() + "\n");
    plan.cache().ifPresent(c -> write("sys/fs/resctrl/schemata", String.join("\n", c.schemataLines(c.hostMasks())) + "\n"));
    plan.host().hugepages().forEach((size, nodes) -> nodes.forEach((node, pages) -> write(
        "sys/devices/system/node/node" + node + "/hugepages/hugepages-" + (size / 1024) + "kB/nr_hugepages", pages + "\n")));
    TuningPlan tuning = plan.host().tuning();
    write("fake/tuned/active", tuning.profile() + "\n");
    // TuneD's cpu plugin: every CPU's resume-latency limit, the held CPUs' under host.power: balanced, 0 (none) elsewhere.
    plan.topology().allCpus().stream().forEach(cpu -> write("sys/devices/system/cpu/cpu" + cpu + "/power/pm_qos_resume_latency_us",
        (plan.host().power().balanced() && plan.host().power().held().contains(cpu) ? dev.rtc.plan.PowerPlan.HELD_RESUME_LATENCY_US : 0)
            + "\n"));
    tuning.checks(true).stream().filter(c -> !c.path().startsWith("percpu:")).forEach(c -> write(c.path().substring(1), switch (c.kind()) {
      case "selected", "selected-or-absent" -> "always madvise [" + c.expected() + "]\n";
      case "mask" -> "00000000," + "0".repeat(Math.max(0, 8 - c.expected().length())) + c.expected() + "\n";
      default -> c.expected() + "\n";
    }));
    if (tuning.stalld()) {
      write("fake/systemctl/stalld.active", "active\n");
    }
    // systemd starts at boot what is enabled (rtc-metrics.timer among them).
    Path units = root.resolve("fake/systemctl");
    if (Files.isDirectory(units)) {
      try (var s = Files.list(units)) {
        for (Path f : s.filter(p -> p.toString().endsWith(".enabled")).toList()) {
          if (Files.readString(f).strip().equals("enabled")) {
            String unit = f.getFileName().toString().replaceFirst("\\.enabled$", "");
            write("fake/systemctl/" + unit + ".active", "active\n");
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    // The IOMMU on (intel_iommu=on), each listed device in its group; the VFs rtc-sriov.service made, each in a group of its own.
    if (plan.host().cmdline().toString().contains("intel_iommu=on")) {
      plan.manifest().host().devices().forEach(d -> d.iommuGroup().ifPresent(g -> group(d.address().toString(), g)));
      int vfGroup = 900;
      for (var pf : plan.virtualFunctions().entrySet()) {
        String a = pf.getKey().toString();
        Manifest.HostDevice d = plan.manifest().host().devices().stream().filter(x -> x.address().toString().equals(a)).findFirst().orElseThrow();
        int count = pf.getValue();
        write(pci(a) + "sriov_numvfs", count + "\n");
        for (int i = 0; i < count; i++) {
          String vf = d.address().virtualFunction(d.sriov().get().offset(), d.sriov().get().stride(), i).toString();
          pciDevice(vf, d.id().substring(0, 5) + "1520", d.node(), "0x020000", "igbvf");
          link(pci(a) + "virtfn" + i, "../" + vf);
          group(vf, vfGroup++);
        }
      }
    }
    return this;
  }

  /**
   * Every VM defined by rtc and running as planned, its agent answering; real-time guests report
   * their planned kernel, command line and tuning; stressors load their vCPUs fully.
   */
  public FakeHost vmsRunning() {
    List<String> interrupts = new ArrayList<>();
    for (VmPlan vm : plan.vms()) {
      String d = "fake/virsh/domains/" + vm.name() + "/";
      write(d + "state", "running\n");
      write(d + "metadata", "<rtc:bundle xmlns:rtc=\"https://rtc.dev/xmlns/libvirt/1\" name=\"" + plan.name() + "\" vm=\"" + vm.name() + "\"/>\n");
      write(d + "pins", String.join("\n", vm.vcpuPins().stream().map(String::valueOf).toList()) + "\n");
      write(d + "emulator", vm.emulatorCpus().toString());
      write(d + "vcpus", vm.vm().vcpus() + "\n");
      write(d + "agent", "");
      write(d + "started", String.valueOf(System.currentTimeMillis() / 1000 - 3600) + "\n");
      write(d + "load", vm.isRealtime() ? "5\n" : "100\n");
      if (vm.isRealtime()) {
        write(d + "facts", guestFacts(vm));
      }
      StringBuilder ids = new StringBuilder("0x1af4:0x1041\n"); // virtio-net, as every guest has
      StringBuilder macs = new StringBuilder(vm.nics().stream().map(n -> n.mac() + "\n").reduce("", String::concat));
      for (Plan.Passed p : vm.devices()) {
        String a = p.device().address().toString();
        bind(a, "vfio-pci");
        int irq = 150 + interrupts.size();
        interrupts.add(" " + irq + ":          0          0  IR-PCI-MSIX-" + a + "    0-edge      vfio-msix[0](" + a + ")");
        write("proc/irq/" + irq + "/smp_affinity_list", plan.host().housekeeping() + "\n");
        if (p.isVf()) {
          macs.append(p.mac().orElseThrow()).append('\n');
        } else {
          ids.append("0x").append(p.device().device().id().replace(":", ":0x")).append('\n');
        }
      }
      write(d + "pci-ids", ids.toString());
      write(d + "macs", macs.toString());
      vm.resctrl().filter(r -> !r.caches().isEmpty()).filter(r -> !plan.cache().orElseThrow().rtcOwned()).ifPresent(r -> write(
          "sys/fs/resctrl/qemu-1-" + vm.name() + "-vcpus_" + r.vcpus() + "/schemata",
          String.join("\n", plan.cache().orElseThrow().schemataLines(plan.cache().get().groupMasks(r))) + "\n"));
    }
    if (!interrupts.isEmpty()) {
      write("proc/interrupts", "            CPU0       CPU1\n" + String.join("\n", interrupts) + "\n");
    }
    return this;
  }

  static String pci(String address) {
    return "sys/bus/pci/devices/" + address + "/";
  }

  /** A PCI function as sysfs shows it: ids, node, class, and its driver as a link to the driver's folder. */
  public FakeHost pciDevice(String address, String id, int node, String pciClass, String driver) {
    write(pci(address) + "vendor", "0x" + id.substring(0, 4) + "\n");
    write(pci(address) + "device", "0x" + id.substring(5) + "\n");
    write(pci(address) + "numa_node", node + "\n");
    write(pci(address) + "class", pciClass + "\n");
    if (driver != null) {
      bind(address, driver);
    }
    return this;
  }

  /** Binds the device to {@code driver} (its driver link), as the kernel shows it. */
  public FakeHost bind(String address, String driver) {
    link(pci(address) + "driver", "../../../bus/pci/drivers/" + driver);
    return this;
  }

  /** The device in IOMMU group {@code group}: its iommu_group link and the group's devices/ entry. */
  public FakeHost group(String address, int group) {
    link(pci(address) + "iommu_group", "../../../../kernel/iommu_groups/" + group);
    link("sys/kernel/iommu_groups/" + group + "/devices/" + address, "../../../../devices/pci0000:00/" + address);
    return this;
  }

  private void link(String rel, String target) {
    try {
      Path p = root.resolve(rel);
      Files.createDirectories(p.getParent());
      Files.deleteIfExists(p);
      Files.createSymbolicLink(p, Path.of(target));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** What collect_facts prints in a real-time guest that is as planned. */
  String guestFacts(VmPlan vm) {
    StringBuilder f = new StringBuilder();
    boolean rt = vm.kernel().orElseThrow().isRealtime();
    f.append("osrelease=").append(rt ? guestRelease(vm) : "6.1.0-28-amd64").append('\n');
    f.append("version=#1 SMP ").append(rt ? "PREEMPT_RT" : "PREEMPT_DYNAMIC").append(" Debian\n");
    f.append("realtime=").append(rt ? "1" : "absent").append('\n');
    f.append("cmdline=BOOT_IMAGE=/boot/vmlinuz ro ").append(vm.guestCmdline().orElseThrow()).append(" quiet\n");
    TuningPlan t = vm.tuning().orElseThrow();
    f.append("tuned.active=").append(t.profile()).append('\n');
    f.append("tuned.verify=ok\n");
    f.append("stalld=").append(t.stalld() ? "active" : "inactive").append('\n');
    for (TuningPlan.Check c : t.checks(false)) {
      f.append("file:").append(c.path()).append('=').append(switch (c.kind()) {
        case "selected", "selected-or-absent" -> "always madvise [" + c.expected() + "]";
        case "mask" -> "0000000" + c.expected();
        default -> c.expected();
      }).append('\n');
    }
    return f.toString();
  }

  private static String guestRelease(VmPlan vm) {
    return switch (vm.kernel().orElseThrow().realtime()) {
      case ECI -> "6.6.23-rt28-intel-ese-standard-lts-rt";
      case DISTRO -> switch (vm.vm().guest().os()) {
        case RHEL9 -> "5.14.0-427.13.1.el9_4.x86_64+rt";
        case UBUNTU2204, UBUNTU2404 -> "5.15.0-1032-realtime";
        default -> "6.1.0-28-rt-amd64";
      };
      default -> "6.6.0-rt-amd64";
    };
  }

  public FakeHost write(String rel, String content) {
    try {
      Path p = root.resolve(rel);
      Files.createDirectories(p.getParent());
      Files.writeString(p, content);
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public FakeHost delete(String rel) {
    try {
      Files.delete(root.resolve(rel));
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String read(String rel) {
    try {
      return Files.readString(root.resolve(rel));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public boolean exists(String rel) {
    return Files.exists(root.resolve(rel));
  }

  /** The environment that makes the runbook use this host. */
  public Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    env.put("RTC_ROOT", root.toString());
    env.put("PATH", root.resolve("bin") + ":" + System.getenv("PATH"));
    env.put("RTC_LOAD_SAMPLE_SECONDS", "1");
    return env;
  }

  /** Every command the runbook ran through the fake commands, in order; empty if none. */
  public List<String> calls() {
    try {
      Path log = root.resolve("calls.log");
      return Files.exists(log) ? Files.readAllLines(log) : List.of();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public void clearCalls() {
    try {
      Files.deleteIfExists(root.resolve("calls.log"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every file of the host (its fake commands' state too) with its content, for before/after comparisons. */
  public Map<String, String> files() {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        String rel = root.relativize(p).toString();
        if (!rel.equals("calls.log") && !rel.startsWith("bin/")) {
          files.put(rel, Files.readString(p));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return files;
  }
}
