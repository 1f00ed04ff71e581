package dev.rtc.plan;

import dev.rtc.manifest.Manifest.Os;
import java.util.List;
import java.util.Optional;

/**
 * What differs between the distributions the guide supports, in one table, so that no emitter
 * branches on an OS name.
 *
 * @param codename what /etc/os-release calls the release (VERSION_CODENAME); the ECI repository
 *     is per codename, and preflight compares it with the host's
 * @param apt the package manager is apt (Debian, Ubuntu); otherwise dnf (RHEL)
 * @param grubUpdate command that regenerates grub.cfg after a drop-in changes
 * @param grubby kernel arguments go into the boot entries with {@code grubby} (RHEL's Boot Loader
 *     Specification entries, which a /etc/default/grub.d drop-in does not reach), not a drop-in
 * @param buildPackages what the kernel-build stressor needs besides the kernel source
 * @param linuxSource the package with the kernel's source tarball, for the kernel-build stressor
 *     (none on RHEL)
 * @param virtHostPackages what the host needs to run the bundle's VMs: QEMU, libvirt, qemu-img,
 *     a NoCloud seed builder, jq (the guest-agent calls) and curl (the ECI key)
 * @param tunedPackages TuneD with the realtime-virtual-host and -guest profiles, and tuna (which
 *     the realtime profile's verify runs): host first, then guest
 * @param stalld the distribution ships stalld, which keeps kernel threads from starving under
 *     real-time tasks once RT throttling is off (Debian 12 does not)
 * @param stockKernel the release's own kernel series, for kernel-version facts of a stock kernel
 * @param extraRepos repositories to enable besides the base ones (RHEL's real-time and NFV
 *     repositories: kernel-rt, and the realtime-virtual-* TuneD profiles); a site mirror replaces them
 */
public record Distro(Os os, String codename, boolean apt, String qemuEmulator, List<String> grubUpdate, boolean grubby,
    String adminGroup, List<String> buildPackages, Optional<String> linuxSource, List<String> virtHostPackages,
    List<String> hostTunedPackages, List<String> guestTunedPackages, boolean stalld, KernelVersion stockKernel, List<String> extraRepos) {

  private static final List<String> APT_BUILD = List.of("build-essential", "bc", "bison", "flex", "libelf-dev", "libssl-dev", "xz-utils");
  private static final List<String> APT_VIRT = List.of("qemu-system-x86", "libvirt-daemon-system", "libvirt-clients", "qemu-utils",
      "cloud-image-utils", "jq", "curl");
  private static final List<String> APT_TUNED = List.of("tuned", "tuna");

  public static Distro of(Os os) {
    return switch (os) {
      // Kernel series: Debian 11 ships 5.10, Debian 12 6.1, Ubuntu 22.04 5.15, Ubuntu 24.04 6.8, RHEL 9 5.14.
      case DEBIAN11 -> debian(os, "bullseye", new KernelVersion(5, 10));
      case DEBIAN12 -> debian(os, "bookworm", new KernelVersion(6, 1));
      case UBUNTU2204 -> ubuntu(os, "jammy", new KernelVersion(5, 15));
      case UBUNTU2404 -> ubuntu(os, "noble", new KernelVersion(6, 8));
      case RHEL9 -> new Distro(os, "", false, "/usr/libexec/qemu-kvm", List.of("grub2-mkconfig", "-o", "/boot/grub2/grub.cfg"), true, "wheel",
          List.of("gcc", "make", "bc", "bison", "flex", "elfutils-libelf-devel", "openssl-devel", "xz"), Optional.empty(),
          List.of("qemu-kvm", "libvirt", "libvirt-client", "qemu-img", "genisoimage", "jq", "curl"),
          List.of("tuned", "tuna", "tuned-profiles-realtime", "tuned-profiles-nfv-host"),
          List.of("tuned", "tuna", "tuned-profiles-realtime", "tuned-profiles-nfv-guest"), true, new KernelVersion(5, 14),
          KernelPlan.RHEL_REPOS);
    };
  }

  private static Distro debian(Os os, String codename, KernelVersion kernel) {
    return new Distro(os, codename, true, "/usr/bin/qemu-system-x86_64", List.of("update-grub"), false, "sudo", APT_BUILD,
        Optional.of("linux-source"), APT_VIRT, APT_TUNED, APT_TUNED, false, kernel, List.of());
  }

  private static Distro ubuntu(Os os, String codename, KernelVersion kernel) {
    // stalld is in Ubuntu's universe component, which Ubuntu's cloud and server images enable.
    return new Distro(os, codename, true, "/usr/bin/qemu-system-x86_64", List.of("update-grub"), false, "sudo", APT_BUILD,
        Optional.of("linux-source"), APT_VIRT, APT_TUNED, APT_TUNED, true, kernel, List.of());
  }

  /**
   * What the qualify step and the benchmark measure with: rt-tests (hwlatdetect, cyclictest)
   * everywhere, and rtla (osnoise on the host, timerlat in a real-time guest) where the distribution
   * packages it (Debian 12's rtla, RHEL 9.2's AppStream; not Debian 11 or Ubuntu, where qualify and
   * the autopsy say they could not measure).
   */
  public List<String> qualifyPackages() {
    return os == Os.DEBIAN12 || os == Os.RHEL9 ? List.of("rt-tests", "rtla") : List.of("rt-tests");
  }

  /**
   * node_exporter's textfile collector folder as the distribution's package sets it: Debian's and
   * Ubuntu's prometheus-node-exporter read /var/lib/prometheus/node-exporter; EPEL's
   * golang-github-prometheus-node-exporter, /var/lib/node_exporter/textfile_collector.
   */
  public String textfileDir() {
    return apt ? "/var/lib/prometheus/node-exporter" : "/var/lib/node_exporter/textfile_collector";
  }

  /** The command that installs packages, without their names: apt-get or dnf, unattended. */
  public List<String> install() {
    return apt ? List.of("apt-get", "install", "-y", "--no-install-recommends") : List.of("dnf", "install", "-y");
  }

  /** The tuning packages of a host or a guest. */
  public List<String> tunedPackages(boolean host) {
    return host ? hostTunedPackages : guestTunedPackages;
  }
}
