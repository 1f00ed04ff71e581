package dev.rtc.plan;

import dev.rtc.manifest.Manifest.Vm;
import dev.rtc.manifest.Manifest;
import dev.rtc.manifest.Topology;
import dev.rtc.manifest.diagnostics.Code;
import dev.rtc.manifest.diagnostics.Diagnostics;
import dev.rtc.manifest.rules.DeviceRules;
import dev.rtc.plan.Plan.Decision;
import dev.rtc.plan.Plan.HostPlan;
import dev.rtc.plan.Plan.VmPlan;
import dev.rtc.topology.CpuSet;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The solver: a checked manifest in, a complete {@link Plan} out (or errors in the diagnostics). */
public final class Planner {

  private Planner() {}

  /** The VM's NICs, each with a name-based MAC: the first one's is the VM's own, as before networks could be given. */
  private static List<Plan.Nic> nics(Manifest m, Vm vm) {
    List<Plan.Nic> out = new ArrayList<>();
    for (int i = 0; i < vm.networks().size(); i++) {
      out.add(new Plan.Nic(vm.networks().get(i), Identity.mac(m.name(), i == 0 ? vm.name() : vm.name() + "/nic" + i)));
    }
    return out;
  }

  /** The devices given to the VM; a virtual function gets the manifest's MAC or a name-based one. */
  private static List<Plan.Passed> passed(Manifest m, Vm vm, List<DeviceRules.Assigned> given) {
    return (given == null ? List.<DeviceRules.Assigned>of() : given).stream().map(a -> new Plan.Passed(a, a.isVf()
        ? Optional.of(a.mac().orElseGet(() -> Identity.mac(m.name(), vm.name() + "/vf/" + a.address()))) : Optional.empty())).toList();
  }

  /** host.power, and the CPUs balanced holds: the isolated ones a real-time VM's vCPUs and own emulator threads run on. */
  private static PowerPlan power(Manifest m, CpuSet isolated, List<CpuPlanner.Placed> placed) {
    CpuSet held = CpuSet.of();
    for (CpuPlanner.Placed p : placed) {
      if (p.vm().isRealtime()) {
        held = held.union(CpuSet.of(p.pins())).union(p.emulator().intersect(isolated));
      }
    }
    return new PowerPlan(m.host().power(), m.host().topology().allCpus(), held);
  }

  public static Plan plan(Manifest m, Diagnostics d) {
    List<Decision> decisions = new ArrayList<>();
    CpuSet hk = m.host().housekeeping();
    CpuSet isolated = m.host().topology().allCpus().minus(hk);
    decisions.add(new Decision("host", "housekeeping CPUs " + hk + ", isolated CPUs " + isolated,
        "from host.housekeeping; every other CPU is isolated for the VMs"));

    // Real-time VMs start (and so choose CPUs and cache) first; the manifest order breaks ties.
    List<Vm> order = m.vms().stream().sorted(Comparator.comparing((Vm v) -> !v.isRealtime())).toList();
    // The CPU search plans every candidate's cache too (on scratch diagnostics), so it passes over a
    // placement whose L3 instances cannot give the real-time VMs their ways.
    Diagnostics cpuDiagnostics = d.scratch();
    Map<String, List<DeviceRules.Assigned>> devices = DeviceRules.resolve(m);
    Map<String, CpuPlanner.DeviceNode> deviceNodes = new java.util.HashMap<>();
    devices.forEach((vm, as) -> as.stream().findFirst().ifPresent(a -> deviceNodes.put(vm, new CpuPlanner.DeviceNode(a.device().node(),
        a.said()))));
    List<CpuPlanner.Placed> placed = new CpuPlanner(m.host().topology(), hk, cpuDiagnostics, decisions).withCache(m.host().cache())
        .withEmulatorPool(m.host().emulatorPool()).withDeviceNodes(deviceNodes)
        .place(order, candidate -> CachePlanner.plans(m, d.scratch(), candidate));
    d.addAll(cpuDiagnostics);
    CachePlanner.Result cache = cpuDiagnostics.hasErrors() ? null : new CachePlanner(m, d, decisions).plan(placed);
    // Before the refusals end the stage: an extra argument that fights rtc's own shows beside them.
    boolean iommu = devices.values().stream().anyMatch(as -> !as.isEmpty());
    checkExtraArgs(m.host().extraKernelArgs(), KernelArgs.host(isolated, hk, new java.util.TreeMap<>(), true, iommu, m.host().power(),
        List.of()), d);
    d.orThrow();

    // Hugepages: each VM's memory in pages of its size, on the node its memory is bound to.
    java.util.SortedMap<Long, java.util.SortedMap<Integer, Long>> hugepages = new java.util.TreeMap<>();
    for (CpuPlanner.Placed p : placed) {
      p.vm().hugepages().ifPresent(page -> {
        long pages = p.vm().memory().bytes() / page.bytes();
        hugepages.computeIfAbsent(page.bytes(), k -> new java.util.TreeMap<>()).merge(p.node(), pages, Long::sum);
        decisions.add(new Decision(p.vm().name(), pages + " hugepages of " + page.exact() + " on NUMA node " + p.node(),
            p.vm().memory().exact() + " in " + page.exact() + " pages, reserved at boot on the node its memory is bound to"));
      });
    }
    Distro hostDistro = Distro.of(m.host().os());
    KernelPlan hostKernel = KernelPlan.of(m.host().os(), m.host().kernel(), m.site(), false);
    decisions.add(new Decision("host", "kernel: " + hostKernel.name(), kernelWhy(m.host().kernel(), hostKernel)));
    // The node form of hugepages= (hugepages=0:8) is parsed only by newer kernels; older ones, and
    // hosts where it cannot say it, get the pages from rtc-hugepages.service early at boot.
    java.util.SortedMap<Long, java.util.SortedMap<Integer, Long>> allHugepages = new java.util.TreeMap<>(hugepages);
    java.util.SortedMap<Long, java.util.SortedMap<Integer, Long>> byUnit = new java.util.TreeMap<>();
    boolean perNode = hostKernel.series().atLeast(KernelVersion.HUGEPAGES_PER_NODE);
    if (!hugepages.isEmpty() && !perNode && m.host().topology().numaNodes().size() > 1) {
      byUnit.putAll(hugepages);
      hugepages.clear();
      decisions.add(new Decision("host", "hugepages reserved per NUMA node by rtc-hugepages.service, early at boot",
          "the host's kernel (" + (hostKernel.series().known() ? hostKernel.series() + ", " + m.host().os().id()
              : hostKernel.name() + ", whose version its name does not give") + ") is not known to parse the per-node form hugepages=N:COUNT, "
              + "which Linux parses since " + KernelVersion.HUGEPAGES_PER_NODE + "; a total would be spread over every node"));
    }
    PowerPlan power = power(m, isolated, placed);
    decisions.add(new Decision("host", "power: " + power.summary(), power.why()));
    KernelCmdline hostCmdline = KernelArgs.host(isolated, hk, hugepages, perNode, iommu, m.host().power(), m.host().extraKernelArgs());
    devices.forEach((vm, as) -> as.forEach(a -> decisions.add(new Decision(vm, (a.isVf() ? "" : "device ") + a.said()
        + " passed through (VFIO)", "NUMA node " + a.device().node() + (a.device().iommuGroup().isPresent() && !a.isVf() ? ", IOMMU group "
            + a.device().iommuGroup().getAsInt() + " (every device of it to this VM)" : a.isVf() ? ", its own IOMMU group once created"
                : ", IOMMU group read after the reboot (the IOMMU was off when the host was probed)") + "; libvirt detaches it from "
            + a.device().driver().orElse("its host driver") + " at start and gives it back when the VM stops; its interrupts go to "
            + "the housekeeping CPUs (irqaffinity)"))));
    if (iommu) {
      decisions.add(new Decision("host", "IOMMU on (intel_iommu=on iommu=pt)", "VMs are given host devices, which VFIO can do only "
          + "through the IOMMU; passthrough mode keeps the host's own DMA untranslated"));
    }
    checkLength(hostCmdline, m.host().extraKernelArgs().isEmpty() ? "/host/housekeeping" : "/host/kernel/extraArgs", "host", d);

    TuningPlan hostTuning = TuningPlan.host(m.name(), isolated, hk, hostDistro, power);
    decisions.add(new Decision("host", "TuneD profile " + hostTuning.profile() + " on " + hostTuning.include()
        + (hostTuning.stalld() ? ", and stalld" : ""), "TuneD's own real-time KVM host tuning with rtc's isolated CPUs, not "
            + "hand-written sysctls; rtc keeps the kernel command line" + (hostDistro.stalld() ? "" : "; " + m.host().os().id()
                + " ships no stalld")));
    List<VmPlan> vms = new ArrayList<>();
    int start = 1;
    for (CpuPlanner.Placed p : placed) {
      Vm vm = p.vm();
      CpuSet rtVcpus = vm.realtimeVcpus();
      Optional<KernelCmdline> guest = Optional.empty();
      Optional<KernelPlan> guestKernel = Optional.empty();
      Optional<TuningPlan> guestTuning = Optional.empty();
      if (vm.isRealtime()) {
        guestKernel = Optional.of(KernelPlan.of(vm.guest().os(), vm.guest().kernel(), m.site(), true));
        guestTuning = Optional.of(TuningPlan.guest(vm.name(), rtVcpus, vm.guestHousekeepingVcpus(), Distro.of(vm.guest().os())));
        decisions.add(new Decision(vm.name(), "guest kernel: " + guestKernel.get().name() + ", TuneD profile "
            + guestTuning.get().profile() + " on realtime-virtual-guest", kernelWhy(vm.guest().kernel(), guestKernel.get())
                + "; installed by cloud-init at the first boot"));
        CpuSet guestHk = vm.guestHousekeepingVcpus();
        guest = Optional.of(KernelArgs.guest(rtVcpus, guestHk));
        checkLength(guest.get(), vm.pointer(), vm.name(), d);
        decisions.add(new Decision(vm.name(), "guest vCPU" + (guestHk.size() > 1 ? "s " : " ") + guestHk + " housekeeping (FIFO 1), vCPUs "
            + rtVcpus + " real-time (FIFO 10)", guestHk.size() > 1 ? "the guide's split, by whole cores: vCPUs 0 and 1 share a core "
                + "(siblings: pair), so both keep the guest's own kernel work, below the real-time vCPUs"
                : "the guide's split: the guest's own kernel work stays on vCPU 0, below the real-time vCPUs"));
      }
      List<Integer> instances = m.host().topology().l3().map(l3 -> l3.instances().stream()
          .filter(i -> i.cpus().intersects(CpuSet.of(p.pins()))).map(Topology.CacheInstance::id).sorted().toList()).orElse(List.of());
      vms.add(new VmPlan(vm, start++, p.node(), p.pins(), p.emulator(), rtVcpus,
          Optional.ofNullable(cache.groups().get(vm.name())), guest, Identity.uuid(m.name(), vm.name()),
          Identity.mac(m.name(), vm.name()), instances, guestKernel, guestTuning, nics(m, vm), passed(m, vm, devices.get(vm.name()))));
    }
    d.orThrow();
    return new Plan(m, new HostPlan(hk, isolated, hostCmdline, hostKernel, hostTuning, allHugepages, byUnit, power), vms, cache.plan(), decisions);
  }

  private static String kernelWhy(Manifest.KernelChoice choice, KernelPlan k) {
    String from = choice.given() ? "the manifest chose realtime: " + choice.realtime().id() : "the default, realtime: distro";
    return switch (k.realtime()) {
      case NONE -> from + ": the stock kernel stays, so nothing here is real-time and the benchmark gives no verdict";
      case ECI -> from + ", the guide's kernel, from " + k.repo().orElseThrow().uri() + " with its key in "
          + k.repo().get().keyring() + " and the repository pinned to " + k.repo().get().pinPriority();
      case PACKAGE -> from;
      case DISTRO -> from + (k.ubuntuPro() ? "; Ubuntu's real-time kernel comes with Ubuntu Pro, whose token the runbook reads "
          + "on the host (never from the manifest or the bundle)" : "");
    };
  }

  /** An extra argument may add to the line, never fight rtc's own: the kernel takes the last one. */
  private static void checkExtraArgs(List<String> extra, KernelCmdline own, Diagnostics d) {
    for (int i = 0; i < extra.size(); i++) {
      String key = extra.get(i).split("=", 2)[0];
      if (own.keys().contains(key)) {
        d.error(Code.RTC034, "/host/kernel/extraArgs/" + i, "'" + key + "' is one of the arguments rtc sets from the plan ("
            + own.args().stream().filter(a -> a.key().equals(key)).findFirst().orElseThrow() + ")",
            "remove it; change housekeeping or the topology instead, and rtc derives it");
      }
    }
  }

  private static void checkLength(KernelCmdline c, String pointer, String who, Diagnostics d) {
    if (c.length() > KernelArgs.MAX_CMDLINE) {
      d.error(Code.RTC064, pointer, "the " + who + " kernel arguments rtc adds are " + c.length()
          + " characters; Linux on x86 takes at most " + KernelArgs.MAX_CMDLINE, "shorten extraArgs or simplify the CPU sets");
    }
  }
}
