package dev.rtc.manifest.rules;

import dev.rtc.manifest.Manifest.Vm;
import dev.rtc.manifest.Manifest;
import dev.rtc.manifest.diagnostics.Code;
import dev.rtc.manifest.diagnostics.Diagnostics;

/**
 * Where the kernels and packages come from: a kernel choice each OS can give (ECI only on Debian
 * and Ubuntu; a package named with realtime: package), and no site mirror left unused.
 */
final class KernelRules {

  private final Manifest m;
  private final Diagnostics d;

  private KernelRules(Manifest m, Diagnostics d) {
    this.m = m;
    this.d = d;
  }

  static void check(Manifest m, Diagnostics d) {
    KernelRules r = new KernelRules(m, d);
    r.kernels();
    r.site();
    r.power();
  }

  /**
   * host.power: balanced is TuneD's per-CPU pm_qos_resume_latency_us, which TuneD has since 2.20
   * (January 2023). Debian 11 and Ubuntu 22.04 ship 2.15: it would skip the option, and the
   * real-time VMs' CPUs, no longer held by the command line, would sleep deep.
   */
  private void power() {
    Manifest.Os os = m.host().os();
    if (m.host().power() == Manifest.Power.BALANCED && (os == Manifest.Os.DEBIAN11 || os == Manifest.Os.UBUNTU2204)) {
      d.error(Code.RTC048, "/host/power", "balanced holds the real-time VMs' CPUs awake with TuneD's per-CPU "
          + "pm_qos_resume_latency_us, which TuneD has since 2.20; " + os.id() + " ships TuneD 2.15, which would skip it and leave "
          + "them free to sleep in deep C-states", "say power: lowest-latency on " + os.id() + ", or move the host to debian12, "
          + "ubuntu2404 or rhel9 (9.2 or later)");
    }
  }

  /**
   * Each kernel choice must be able to give a real-time kernel on its OS; a stock kernel is allowed
   * but said, because nothing built on it is real-time.
   */
  private void kernels() {
    kernel(m.host().kernel(), m.host().os(), "the host");
    for (Vm vm : m.vms()) {
      Manifest.KernelChoice k = vm.guest().kernel();
      if (!vm.isRealtime()) {
        if (k.given()) {
          d.error(Code.RTC044, k.pointer(), "a stressor keeps its image's kernel; only real-time VMs get a real-time kernel",
              "remove guest.kernel from " + vm.name());
        }
        if (vm.workload().orElse(Manifest.Workload.KERNEL_BUILD) == Manifest.Workload.KERNEL_BUILD && vm.guest().os() == Manifest.Os.RHEL9) {
          d.error(Code.RTC048, vm.pointer() + (vm.workload().isPresent() ? "/workload" : ""), "the kernel-build load compiles the "
              + "kernel source from the distribution's linux-source package, and RHEL has none", "use workload: stress-ng for "
              + vm.name());
        }
        continue;
      }
      kernel(k, vm.guest().os(), "real-time VM " + vm.name());
    }
  }

  private void kernel(Manifest.KernelChoice k, Manifest.Os os, String who) {
    String at = k.pointer();
    if (k.realtime() == Manifest.Realtime.ECI && os == Manifest.Os.RHEL9) {
      d.error(Code.RTC046, at + "/realtime", "Intel ECI publishes its real-time kernel for Debian and Ubuntu (an APT "
          + "repository); there is none for " + os.id() + ", so " + who + " would get no real-time kernel",
          "use realtime: distro (kernel-rt from RHEL's real-time repository), or realtime: package");
    }
    if (k.realtime() == Manifest.Realtime.PACKAGE && k.pkg().isEmpty()) {
      d.error(Code.RTC046, at + "/realtime", "realtime: package names no package, so " + who + " would get no real-time kernel",
          "add package: with the kernel package's name, e.g. package: linux-image-6.6.0-rt-amd64");
    }
    if (k.pkg().isPresent() && k.realtime() != Manifest.Realtime.PACKAGE) {
      d.error(Code.RTC046, at + "/package", "package is read only with realtime: package, and this says realtime: "
          + k.realtime().id(), "remove package, or write realtime: package");
    }
    if (k.realtime() == Manifest.Realtime.NONE) {
      d.warning(Code.RTC047, at + "/realtime", who + " keeps its stock kernel, which is not PREEMPT_RT: it is isolated and "
          + "pinned, not real-time, and the benchmark will report its numbers without a verdict",
          "use realtime: distro" + (os == Manifest.Os.RHEL9 ? "" : " or eci") + " for a real-time kernel");
    }
  }

  /** Mirrors for archives no guest or host uses are most likely a mistake in the key. */
  private void site() {
    Manifest.Site s = m.site();
    java.util.Set<Manifest.Os> guests = java.util.EnumSet.noneOf(Manifest.Os.class);
    m.vms().forEach(v -> guests.add(v.guest().os()));
    boolean debian = guests.contains(Manifest.Os.DEBIAN11) || guests.contains(Manifest.Os.DEBIAN12);
    boolean ubuntu = guests.contains(Manifest.Os.UBUNTU2204) || guests.contains(Manifest.Os.UBUNTU2404);
    boolean eci = m.host().kernel().realtime() == Manifest.Realtime.ECI
        || m.vms().stream().anyMatch(v -> v.isRealtime() && v.guest().kernel().realtime() == Manifest.Realtime.ECI);
    unused(s.debian(), "debian", debian, "no guest runs Debian");
    unused(s.debianSecurity(), "debianSecurity", debian, "no guest runs Debian");
    unused(s.ubuntu(), "ubuntu", ubuntu, "no guest runs Ubuntu");
    unused(s.eci(), "eci", eci, "neither the host nor a real-time VM uses realtime: eci");
    unused(s.rhel(), "rhel", guests.contains(Manifest.Os.RHEL9), "no guest runs RHEL");
  }

  private void unused(java.util.Optional<String> mirror, String key, boolean used, String why) {
    if (mirror.isPresent() && !used) {
      d.warning(Code.RTC048, "/site/mirrors/" + key, "this mirror is never used: " + why, "remove it, or check the OS of the VMs");
    }
  }
}
