package dev.rtc.manifest.rules;

import dev.rtc.manifest.Manifest.Benchmark;
import dev.rtc.manifest.Manifest.Placement;
import dev.rtc.manifest.Manifest.Vm;
import dev.rtc.manifest.Manifest;
import dev.rtc.manifest.Topology.Socket;
import dev.rtc.manifest.Topology;
import dev.rtc.manifest.diagnostics.Code;
import dev.rtc.manifest.diagnostics.Diagnostics;
import dev.rtc.manifest.diagnostics.Pointers;
import dev.rtc.manifest.diagnostics.Words;
import dev.rtc.topology.ByteSize;
import dev.rtc.topology.CpuSet;
import java.util.HashMap;
import java.util.Map;

/**
 * The rules a schema cannot say: how the sets in a manifest relate to each other. Every rule
 * reports into {@link Diagnostics} and carries on, so the user sees all of them at once. This class
 * runs them all and holds the housekeeping, VM and benchmark rules; the others live by subject:
 * {@link TopologyRules}, {@link DeviceRules}, {@link KernelRules}, {@link SafetyRules},
 * {@link GuestRules}. Rules that need the solver's choices live in the planner.
 */
public final class Rules {

  private final Manifest m;
  private final Diagnostics d;

  private Rules(Manifest m, Diagnostics d) {
    this.m = m;
    this.d = d;
  }

  /**
   * Errors of parts the planner does not read: with only these, a manifest is still planned, so a
   * refusal shows beside them ("every error at once"), not after they are fixed.
   */
  public static final java.util.Set<Code> PLAN_SEES_PAST = java.util.EnumSet.of(Code.RTC016, Code.RTC022, Code.RTC023,
      Code.RTC036, Code.RTC037, Code.RTC048, Code.RTC050);

  public static void check(Manifest m, Diagnostics d) {
    Rules r = new Rules(m, d);
    TopologyRules.check(m, d);
    r.housekeeping();
    r.vms();
    DeviceRules.check(m, d);
    TopologyRules.cacheOwner(m, d);
    KernelRules.check(m, d);
    SafetyRules.check(m, d);
    GuestRules.check(m, d);
    m.benchmark().ifPresent(r::benchmark);
  }

  private void housekeeping() {
    Topology t = m.host().topology();
    CpuSet all = t.allCpus();
    CpuSet hk = m.host().housekeeping();
    String at = "/host/housekeeping";
    if (hk.isEmpty()) {
      d.error(Code.RTC032, at, "no housekeeping CPUs", "keep at least CPU 0 for the host, e.g. housekeeping: \"0-3\"");
      return;
    }
    if (!all.containsAll(hk)) {
      d.error(Code.RTC032, at, "CPUs " + hk.minus(all).describe() + " are not CPUs of this host (" + all.describe() + ")", "housekeeping CPUs are host CPUs");
    }
    if (all.contains(0) && !hk.contains(0)) {
      d.error(Code.RTC032, at, "CPU 0 would be isolated; the kernel keeps work on CPU 0 that isolation cannot move",
          "add CPU 0 to housekeeping (the guide: 'Do not isolate CPU 0')");
    }
    if (all.minus(hk).isEmpty()) {
      d.error(Code.RTC033, at, "every CPU is a housekeeping CPU, so nothing is isolated for the VMs",
          "keep a few CPUs for the host, e.g. housekeeping: \"0-3\"");
    }
    if (t.smt() && all.containsAll(hk) && d.errorCount() == 0) { // with bad siblings it would only cascade
      CpuSet split = CpuSet.of(hk.stream().filter(c -> !hk.contains(t.sibling(c))).map(t::sibling).boxed().toList());
      if (!split.isEmpty()) {
        d.warning(Code.RTC032, at, "isolated CPUs " + split.describe() + " share a core with housekeeping CPUs, so the host's work "
            + "runs beside whatever gets them", "keep siblings together: add " + split.describe() + " to housekeeping");
      }
    }
    for (Socket s : t.sockets()) {
      if (!s.cpus().isEmpty() && !s.cpus().intersects(hk)) {
        d.warning(Code.RTC032, at, "socket " + s.id() + " (" + s.cpus().describe() + ") has no housekeeping CPU; its interrupts and "
            + "kernel threads must cross the socket", "keep one CPU of each socket for housekeeping (the guide's advice)");
      }
    }
  }

  private void vms() {
    Topology t = m.host().topology();
    Map<String, String> names = new HashMap<>();
    for (int i = 0; i < m.vms().size(); i++) {
      Vm vm = m.vms().get(i);
      String at = vm.pointer();
      String before = names.put(vm.name(), at);
      if (before != null) {
        d.error(Code.RTC040, at + "/name", "VM name '" + vm.name() + "' is already used by " + Pointers.display(before),
            "VM names name libvirt domains, folders and hosts: make each one unique");
      }
      if (vm.placement() instanceof Placement.OnNode on && t.numaNodes().stream().noneMatch(n -> n.id() == on.node())) {
        d.error(Code.RTC041, at + "/placement/numaNode", "there is no NUMA node " + on.node(), "nodes of this host: "
            + t.numaNodes().stream().map(n -> String.valueOf(n.id())).toList());
      }
      if (vm.placement() instanceof Placement.Pinned pin && pin.cpus().size() != vm.vcpus() && !pin.cpus().isEmpty()) {
        d.error(Code.RTC041, at + "/placement/pin", Words.count(pin.cpus().size(), "CPU") + " (" + pin.cpus().describe() + ") for " + Words.count(vm.vcpus(), "vCPU"),
            "give exactly one host CPU per vCPU");
      }
      if (vm.isRealtime() && vm.vcpus() < 2) {
        d.error(Code.RTC042, at + "/vcpus", "a real-time VM with 1 vCPU has no vCPU for its own housekeeping, so its kernel "
            + "work would preempt the real-time task", "give it at least 2 vCPUs: vCPU 0 for housekeeping, the rest real-time");
      }
      if (!vm.isRealtime()) {
        vm.cache().ifPresent(c -> d.error(Code.RTC044, at + "/cache", "a stressor VM gets no cache of its own; it shares the "
            + "host's ways, which is the interference the benchmark measures", "remove cache from this VM"));
        if (vm.memoryBandwidth().isPresent()) {
          d.error(Code.RTC044, at + "/memoryBandwidth", "memoryBandwidth is for real-time VMs", "remove it from this stressor");
        }
      } else if (vm.workload().isPresent()) {
        d.error(Code.RTC044, at + "/workload", "a real-time VM runs the benchmark, not a stress workload",
            "move workload to a stressor VM");
      }
      if (vm.isRealtime() && vm.interferenceAccepted()) {
        d.error(Code.RTC044, at + "/interference", "interference: accepted is said of a stressor, about what it shares with the "
            + "real-time VMs", "remove it from this real-time VM");
      }
      if (vm.emulator() instanceof Manifest.Emulator.Shared && m.host().emulatorPool() == 0) {
        d.error(Code.RTC044, at + "/emulator", "emulator: shared uses the node's shared pool, and host.emulatorPool is not set",
            "set host.emulatorPool to the isolated CPUs per node the pool gets, e.g. emulatorPool: 2");
      }
      if (vm.siblingPairs()) {
        if (!vm.isRealtime()) {
          d.error(Code.RTC044, at + "/siblings", "siblings: pair is for real-time VMs; a stressor's vCPUs take threads as they come",
              "remove siblings from this VM");
        } else if (!t.smt()) {
          d.error(Code.RTC041, at + "/siblings", "siblings: pair needs SMT, and this host has one thread per core",
              "remove siblings, or describe the host's SMT siblings in the topology");
        } else if (vm.vcpus() % 2 != 0) {
          d.error(Code.RTC041, at + "/vcpus", Words.count(vm.vcpus(), "vCPU") + " cannot be paired on cores of 2 threads",
              "use " + (vm.vcpus() + 1) + " or " + (vm.vcpus() - 1) + " vCPUs");
        } else if (vm.vcpus() < 4) {
          d.error(Code.RTC042, at + "/vcpus", "with siblings: pair, vCPUs 0 and 1 (one core) keep the guest's housekeeping, so "
              + Words.count(vm.vcpus(), "vCPU") + (vm.vcpus() == 1 ? " leaves" : " leave") + " none for real-time work", "give it at least 4 vCPUs");
        }
      }
      vmResources(vm, t);
    }
  }

  private void vmResources(Vm vm, Topology t) {
    String at = vm.pointer();
    vm.hugepages().ifPresent(page -> {
      if (vm.memory().bytes() % page.bytes() != 0) {
        long up = (vm.memory().bytes() / page.bytes() + 1) * page.bytes();
        d.error(Code.RTC045, at + "/memory", vm.memory().exact() + " is not a whole number of " + page.exact() + " hugepages",
            "use " + new ByteSize(up).exact() + " or " + new ByteSize(up - page.bytes()).exact());
      }
    });
    if (vm.cache().isPresent()) {
      if (t.catLevel().isEmpty()) {
        d.error(Code.RTC043, at + "/cache", "this host has no Cache Allocation Technology (neither topology.l3.cat nor topology.l2.cat is given)",
            "remove cache, or add topology.l3.cat from /sys/fs/resctrl/info/L3 (l2.cat from info/L2 on parts with only L2 CAT)");
      } else if (m.host().cache().isEmpty()) { // without CAT, the error above is the whole story
        d.error(Code.RTC043, at + "/cache", "host.cache is not set; the host's default group owns every way until rtc "
            + "shrinks it, so libvirt would find no free way for this VM", "set host.cache, e.g. cache: 8 MiB");
      }
    }
    vm.memoryBandwidth().ifPresent(bw -> {
      if (t.mba().isEmpty()) {
        d.error(Code.RTC043, at + "/memoryBandwidth", "this host has no Memory Bandwidth Allocation (topology.mba is not given)",
            "remove memoryBandwidth, or add topology.mba from /sys/fs/resctrl/info/MB");
      } else {
        Topology.Mba mba = t.mba().get();
        if (bw % mba.granularity() != 0 || bw < mba.min()) {
          int up = Math.max(mba.min(), (bw + mba.granularity() - 1) / mba.granularity() * mba.granularity());
          d.error(Code.RTC043, at + "/memoryBandwidth", bw + "% is not a multiple of the bandwidth granularity "
              + mba.granularity() + "% at least " + mba.min() + "%; libvirt refuses it at start",
              "use " + Math.min(100, up) + "");
        }
      }
    });
  }

  private void benchmark(Benchmark b) {
    String at = b.pointer();
    var vm = m.vm(b.vm());
    if (vm.isEmpty()) {
      d.error(Code.RTC050, at + "/vm", "no VM named '" + b.vm() + "'", "name one of: "
          + String.join(", ", m.vms().stream().map(Vm::name).toList()));
      return;
    }
    if (!vm.get().isRealtime()) {
      d.error(Code.RTC050, at + "/vm", "'" + b.vm() + "' is a stressor; cyclictest measures a real-time VM", "name the real-time VM");
      return;
    }
    int n = vm.get().vcpus();
    if (n < 2) {
      return; // RTC042 already refuses the VM; every vCPU check here would only repeat it
    }
    CpuSet rt = vm.get().realtimeVcpus();
    var ct = b.cyclictest();
    if (!rt.containsAll(ct.affinity()) || ct.affinity().isEmpty()) {
      d.error(Code.RTC050, at + "/cyclictest/affinity", "guest CPUs " + ct.affinity() + " are not all real-time vCPUs of "
          + b.vm() + " (" + rt + ")", "measure on the isolated vCPUs " + rt + "; " + (vm.get().siblingPairs() ? "vCPUs 0 and 1 are" : "vCPU 0 is")
              + " the guest's housekeeping CPU" + (vm.get().siblingPairs() ? "s" : ""));
    }
    if (ct.threads() != ct.affinity().size() && !ct.affinity().isEmpty()) {
      d.error(Code.RTC050, at + "/cyclictest/threads", ct.threads() + " threads on " + ct.affinity().size() + " CPUs ("
          + ct.affinity() + ")", "use one thread per CPU: threads: " + ct.affinity().size());
    }
    ct.mainAffinity().ifPresent(cpu -> {
      if (cpu >= n) {
        d.error(Code.RTC050, at + "/cyclictest/mainAffinity", "vCPU " + cpu + " does not exist; " + b.vm() + " has vCPUs 0-" + (n - 1), "");
      } else if (ct.affinity().contains(cpu)) {
        d.error(Code.RTC050, at + "/cyclictest/mainAffinity", "the main thread on vCPU " + cpu + " would disturb a measuring thread",
            "put it on a vCPU outside affinity " + ct.affinity());
      }
    });
    if (b.greatUs() >= b.goodUs()) {
      d.error(Code.RTC050, at + "/verdictUs", "great (" + b.greatUs() + " µs) must be below good (" + b.goodUs() + " µs)", "");
    }
  }
}
