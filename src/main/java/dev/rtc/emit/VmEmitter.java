package dev.rtc.emit;

import dev.rtc.plan.Distro;
import dev.rtc.plan.Plan;
import dev.rtc.plan.Plan.VmPlan;
import java.util.List;

/**
 * Each VM's files, {@code vms/<vm>/...}: its GRUB drop-in, TuneD profile or stress script, the
 * cloud-init user-data and meta-data that carry them, and its libvirt domain XML.
 */
final class VmEmitter {

  private VmEmitter() {}

  /** Every VM's files; on several threads when asked (the bundle sorts them, so the bytes are the same). */
  static List<Bundle.Artifact> all(Plan plan, String header, boolean parallel) {
    return (parallel ? plan.vms().parallelStream() : plan.vms().stream()).map(vm -> vmFiles(plan, vm, header)).toList().stream()
        .flatMap(List::stream).toList();
  }

  /** One VM's files, {@code vms/<vm>/...}: a pure function of the plan, safe on any thread. */
  private static List<Bundle.Artifact> vmFiles(Plan plan, VmPlan vm, String header) {
    List<Bundle.Artifact> files = new java.util.ArrayList<>();
    String dir = "vms/" + vm.name() + "/";
    Distro guestDistro = Distro.of(vm.os());
    String dropIn = guestDistro.grubby() ? null
        : vm.guestCmdline().map(c -> Emitters.grubDropIn(header, "guest " + vm.name(), c, guestDistro, vm.kernel().orElseThrow())).orElse(null);
    String stress = vm.isRealtime() ? null : Templates.render("rtc-stress.sh.ftl", new TemplateModels.StressScript(header, vm.name(), vm.workload().map(w -> w.id()).orElse("kernel-build")));
    String tuned = vm.tuning().map(t -> Emitters.tunedProfile(header, "the real-time VM " + vm.name(), t)).orElse(null);
    MonitoringEmitter.GuestMonitor monitor = vm.isRealtime() ? MonitoringEmitter.guest(plan, vm, header) : null;
    if (monitor != null) {
      files.add(new Bundle.Artifact(dir + "monitor/rtc-monitor.sh", monitor.script().getBytes(java.nio.charset.StandardCharsets.UTF_8), true));
      files.add(Emitters.text(dir + "monitor/rtc-monitor.service", monitor.service()));
      files.add(Emitters.text(dir + "monitor/rtc-monitor.timer", monitor.timer()));
    }
    if (dropIn != null) {
      files.add(Emitters.text(dir + "grub/99-rtc.cfg", dropIn));
    }
    if (tuned != null) {
      files.add(Emitters.text(dir + "tuned/" + vm.tuning().get().profile() + "/tuned.conf", tuned));
    }
    if (stress != null) {
      files.add(new Bundle.Artifact(dir + "rtc-stress.sh", stress.getBytes(java.nio.charset.StandardCharsets.UTF_8), true));
    }
    String userData = CloudInitEmitter.userData(vm, plan.site(), header, new CloudInitEmitter.GuestFiles(dropIn, stress, tuned, monitor));
    // The password hash and any proxy credentials: the owner's alone, whatever the umask.
    files.add(new Bundle.Artifact(dir + "user-data", userData.getBytes(java.nio.charset.StandardCharsets.UTF_8), Bundle.Mode.SECRET));
    files.add(Emitters.text(dir + "meta-data", CloudInitEmitter.metaData(vm, header, userData)));
    files.add(Emitters.text(dir + "domain.xml", DomainXmlEmitter.emit(plan, vm, header)));
    return files;
  }

}
