package dev.rtc.plan;

import dev.rtc.manifest.Code;
import dev.rtc.manifest.Diagnostics;
import dev.rtc.manifest.Manifest;
import dev.rtc.manifest.Manifest.Vm;
import dev.rtc.plan.Plan.Decision;
import dev.rtc.plan.Plan.HostPlan;
import dev.rtc.plan.Plan.VmPlan;
import dev.rtc.topology.CpuSet;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** The solver: a checked manifest in, a complete {@link Plan} out (or errors in the diagnostics). */
public final class Planner {

  private Planner() {}

  public static Plan plan(Manifest m, Diagnostics d) {
    List<Decision> decisions = new ArrayList<>();
    CpuSet hk = m.host().housekeeping();
    CpuSet isolated = m.host().topology().allCpus().minus(hk);
    decisions.add(new Decision("host", "housekeeping CPUs " + hk + ", isolated CPUs " + isolated,
        "from host.housekeeping; every other CPU is isolated for the VMs"));

    // Real-time VMs start (and so choose CPUs and cache) first; the manifest order breaks ties.
    List<Vm> order = m.vms().stream().sorted(Comparator.comparing((Vm v) -> !v.isRealtime())).toList();
    List<CpuPlanner.Placed> placed = new CpuPlanner(m.host().topology(), hk, d, decisions).place(order);
    d.orThrow();
    CachePlanner.Result cache = new CachePlanner(m, d, decisions).plan(placed);

    KernelCmdline hostCmdline = KernelArgs.host(isolated, hk, m.host().extraKernelArgs());
    checkExtraArgs(m.host().extraKernelArgs(), KernelArgs.host(isolated, hk, List.of()), d);
    checkLength(hostCmdline, m.host().extraKernelArgs().isEmpty() ? "/host/housekeeping" : "/host/kernel/extraArgs", "host", d);

    List<VmPlan> vms = new ArrayList<>();
    int start = 1;
    for (CpuPlanner.Placed p : placed) {
      Vm vm = p.vm();
      CpuSet rtVcpus = vm.isRealtime() ? CpuSet.range(1, vm.vcpus() - 1) : CpuSet.empty();
      Optional<KernelCmdline> guest = Optional.empty();
      if (vm.isRealtime()) {
        guest = Optional.of(KernelArgs.guest(rtVcpus, CpuSet.of(0)));
        checkLength(guest.get(), vm.pointer(), vm.name(), d);
        decisions.add(new Decision(vm.name(), "guest vCPU 0 housekeeping (FIFO 1), vCPUs " + rtVcpus + " real-time (FIFO 10)",
            "the guide's split: the guest's own kernel work stays on vCPU 0, below the real-time vCPUs"));
      }
      List<Integer> instances = m.host().topology().l3().map(l3 -> l3.instances().stream()
          .filter(i -> i.cpus().intersects(CpuSet.of(p.pins()))).map(Manifest.CacheInstance::id).sorted().toList()).orElse(List.of());
      vms.add(new VmPlan(vm, start++, p.node(), p.pins(), p.emulator(), rtVcpus,
          Optional.ofNullable(cache.groups().get(vm.name())), guest, Identity.uuid(m.name(), vm.name()),
          Identity.mac(m.name(), vm.name()), instances));
    }
    d.orThrow();
    return new Plan(m, new HostPlan(hk, isolated, hostCmdline), vms, cache.plan(), decisions);
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
