package dev.rtc.plan;

import dev.rtc.manifest.Manifest.Emulator;
import dev.rtc.manifest.Manifest.Placement;
import dev.rtc.manifest.Manifest.Vm;
import dev.rtc.manifest.Topology.CoreType;
import dev.rtc.manifest.Topology.NumaNode;
import dev.rtc.manifest.diagnostics.Code;
import dev.rtc.manifest.diagnostics.Diagnostics;
import dev.rtc.plan.Plan.Decision;
import dev.rtc.topology.CpuSet;
import java.util.List;
import java.util.Optional;

/**
 * Explicit pins from the manifest, checked and reserved before anything is placed, so automatic
 * placement never takes them: isolated CPUs, on one NUMA node and one core type, not given twice,
 * and with SMT a real-time VM's on whole cores (its siblings idle) or, with siblings: pair, both
 * threads of each core.
 */
final class PinReservation {

  private PinReservation() {}

  /** The VM's owner name in the ledger: real-time VMs' marked, for interference. */
  static String who(Vm vm) {
    return (vm.isRealtime() ? CpuLedger.REALTIME : "") + vm.name() + " vCPUs";
  }

  /** The owner name of a real-time VM's idle SMT siblings: marked real-time too, since nothing else may run there. */
  static String idle(Vm vm) {
    return (vm.isRealtime() ? CpuLedger.REALTIME : "") + vm.name() + " idle siblings";
  }

  /** Reserves explicit vCPU and emulator pins; the VM's node and core type when its vCPUs are pinned and valid. */
  static Optional<CpuLedger.Pool> reserve(CpuLedger l, Vm vm, Diagnostics d, List<Decision> decisions) {
    Optional<Integer> node = Optional.empty();
    CoreType type = CoreType.P;
    if (vm.placement() instanceof Placement.Pinned p && !p.cpus().isEmpty()) {
      String at = vm.pointer() + "/placement/pin";
      node = check(l, vm, p.cpus(), at, "vCPUs", d);
      type = l.topology.coreType(p.cpus().toList().get(0));
      List<CoreType> types = p.cpus().stream().mapToObj(l.topology::coreType).distinct().toList();
      if (types.size() > 1) {
        d.error(Code.RTC041, at, vm.name() + "'s vCPUs " + p.cpus().describe() + " mix core types (" + String.join(", ",
            types.stream().map(CoreType::noun).toList()) + "); its vCPUs would run at different speeds",
            "pin a VM's vCPUs to CPUs of one core type");
        node = Optional.empty();
      }
      l.claim(p.cpus(), who(vm));
      boolean whole = VcpuPicker.wholeCores(l, vm, type);
      if (whole && vm.siblingPairs()) {
        for (int cpu : p.cpus()) {
          int sib = l.topology.sibling(cpu);
          if (!p.cpus().contains(sib)) {
            d.error(Code.RTC041, at, "CPU " + cpu + "'s SMT sibling " + sib + " is not pinned to " + vm.name() + ", which takes "
                + "whole cores in pairs (siblings: pair)", "pin both threads of each core: add " + sib + ", or drop " + cpu);
            node = Optional.empty();
            break;
          }
        }
      } else if (whole) {
        CpuSet idle = CpuSet.of(p.cpus().stream().map(l.topology::sibling).boxed().toList());
        for (int cpu : p.cpus()) {
          int sib = l.topology.sibling(cpu);
          String other = l.owner(sib);
          if (p.cpus().contains(sib) || !l.isolated.contains(sib) || (other != null && !other.equals(who(vm)))) {
            d.error(Code.RTC041, at, "CPU " + cpu + "'s SMT sibling " + sib + (p.cpus().contains(sib) ? " is pinned to " + vm.name()
                + " too" : !l.isolated.contains(sib) ? " is a housekeeping CPU" : " is given to " + display(other))
                + "; a real-time vCPU needs its core to itself", "pin one thread per core, and leave the siblings isolated and free");
            node = Optional.empty();
            break;
          }
        }
        l.claim(idle, idle(vm));
      }
      CoreType t = type;
      node.ifPresent(n -> decisions.add(new Decision(vm.name(), "vCPUs 0-" + (vm.vcpus() - 1) + " → CPUs " + p.cpus(),
          "pinned in the manifest; isolated " + (l.topology.hybrid() ? t.noun() + "s" : "CPUs") + " of NUMA node " + n)));
    }
    if (vm.emulator() instanceof Emulator.Pinned e && !e.cpus().isEmpty()) {
      check(l, vm, e.cpus(), vm.pointer() + "/emulator/pin", "emulator threads", d);
      l.claim(e.cpus(), vm.name() + " emulator");
    }
    CoreType t = type;
    return node.map(n -> new CpuLedger.Pool(n, t));
  }

  /** An owner as the user reads it: without the ledger's real-time mark. */
  static String display(String owner) {
    return owner.startsWith(CpuLedger.REALTIME) ? owner.substring(CpuLedger.REALTIME.length()) : owner;
  }

  private static Optional<Integer> check(CpuLedger l, Vm vm, CpuSet cpus, String at, String what, Diagnostics d) {
    boolean ok = true;
    CpuSet notIsolated = cpus.minus(l.isolated);
    if (!notIsolated.isEmpty()) {
      d.error(Code.RTC041, at, "CPUs " + notIsolated.describe() + " for " + vm.name() + "'s " + what + " are not isolated"
          + (l.housekeeping.intersects(notIsolated) ? " (housekeeping: " + l.housekeeping.describe() + ")" : " (not CPUs of this host)"),
          "choose from the isolated CPUs " + l.isolated.describe());
      ok = false;
    }
    for (int cpu : cpus) {
      String other = l.owner(cpu);
      if (other != null) {
        d.error(Code.RTC041, at, "CPU " + cpu + " for " + vm.name() + "'s " + what + " is already given to " + display(other),
            "an isolated CPU runs one thing; choose another CPU");
        ok = false;
        break;
      }
    }
    List<Integer> nodes = l.topology.numaNodes().stream().filter(n -> n.cpus().intersects(cpus)).map(NumaNode::id).toList();
    if (nodes.size() > 1) {
      d.error(Code.RTC041, at, vm.name() + "'s " + what + " " + cpus.describe() + " span NUMA nodes " + nodes,
          "keep a VM on one NUMA node so its memory stays local");
      ok = false;
    }
    return ok && nodes.size() == 1 ? Optional.of(nodes.get(0)) : Optional.empty();
  }
}
