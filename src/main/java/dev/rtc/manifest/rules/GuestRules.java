package dev.rtc.manifest.rules;

import dev.rtc.manifest.Manifest;
import dev.rtc.manifest.diagnostics.Code;
import dev.rtc.manifest.diagnostics.Diagnostics;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A guest's image must be of its OS: cloud-init installs the guest OS's packages into it (apt or
 * dnf names, an Ubuntu Pro token), so a Debian image under a RHEL guest fails only on site, at the
 * technician's wait or verify. The image's file name is read for the OS and release it names
 * (vendors' cloud images all say it); a name that says none is the site's own image, and trusted.
 */
final class GuestRules {

  /** Words in an image's file name, and the OS family and (where the word says it) the release it means. */
  private record Word(String word, String family, Manifest.Os release) {}

  private static final List<Word> WORDS = List.of(
      new Word("bullseye", "debian", Manifest.Os.DEBIAN11), new Word("debian-11", "debian", Manifest.Os.DEBIAN11),
      new Word("debian11", "debian", Manifest.Os.DEBIAN11), new Word("bookworm", "debian", Manifest.Os.DEBIAN12),
      new Word("debian-12", "debian", Manifest.Os.DEBIAN12), new Word("debian12", "debian", Manifest.Os.DEBIAN12),
      new Word("debian", "debian", null),
      new Word("jammy", "ubuntu", Manifest.Os.UBUNTU2204), new Word("22.04", "ubuntu", Manifest.Os.UBUNTU2204),
      new Word("noble", "ubuntu", Manifest.Os.UBUNTU2404), new Word("24.04", "ubuntu", Manifest.Os.UBUNTU2404),
      new Word("ubuntu", "ubuntu", null), new Word("focal", "ubuntu", null),
      new Word("rhel-9", "rhel", Manifest.Os.RHEL9), new Word("rhel9", "rhel", Manifest.Os.RHEL9), new Word("rhel", "rhel", null),
      new Word("centos", "rhel", null), new Word("rocky", "rhel", null), new Word("alma", "rhel", null));

  private GuestRules() {}

  static void check(Manifest m, Diagnostics d) {
    for (Manifest.Vm vm : m.vms()) {
      reachable(m, vm, d);
      Manifest.Os os = vm.guest().os();
      String image = vm.disk().baseImage();
      said(image).ifPresent(w -> {
        boolean otherFamily = !w.family().equals(os.family());
        boolean otherRelease = w.release() != null && w.release() != os;
        if (otherFamily || otherRelease) {
          d.error(Code.RTC048, vm.pointer() + "/disk/baseImage", image + " is a " + (w.release() != null ? w.release().id() : w.family())
              + " image (its name says '" + w.word() + "'), and " + vm.name() + "'s guest OS is " + os.id()
              + (vm.guest().os() == m.host().os() ? " (the host's)" : "") + ": cloud-init would install " + os.family()
              + " packages into it", "leave baseImage out for " + os.id() + "'s own (" + os.cloudImage() + "), or set guest.os to the image's OS");
        }
      });
    }
  }

  /**
   * Every first boot fetches packages (apt or dnf updates its lists; qemu-guest-agent, which the
   * runbook talks through; a real-time kernel): a VM with no NIC at all cannot, and fails its first
   * boot on site. A device given whole or as a VF is a NIC the guest may reach the network by.
   */
  private static void reachable(Manifest m, Manifest.Vm vm, Diagnostics d) {
    if (!vm.networks().isEmpty() || !vm.devices().isEmpty()) {
      return;
    }
    boolean rhel = vm.guest().os().family().equals("rhel");
    String from = rhel ? (m.site().rhel().isPresent() ? "the site's RHEL mirror (site.mirrors.rhel)"
        : "Red Hat's CDN, registered with the activation key the runbook reads on the host, or a site mirror (site.mirrors.rhel)")
        : "the " + vm.guest().os().family() + " archive or the site's mirror";
    d.error(Code.RTC049, vm.pointer() + "/networks", vm.name() + " has no network interface (networks: [] and no device), but its first "
        + "boot installs its packages (qemu-guest-agent, which the runbook talks through" + (vm.isRealtime() ? ", the real-time kernel" : "")
        + ") from " + from + ", which it could not reach", "leave networks out for libvirt's NAT network 'default', or give it one "
            + "(network, bridge or macvtap) that reaches " + (rhel ? "Red Hat or the mirror" : "the archive or the mirror"));
  }

  /** The first OS word the image's file name holds, as a word of its own (bounded by '-', '_', '.' or the ends). */
  private static Optional<Word> said(String image) {
    String name = image.substring(image.lastIndexOf('/') + 1).toLowerCase(Locale.ROOT);
    for (Word w : WORDS) {
      for (int i = name.indexOf(w.word()); i >= 0; i = name.indexOf(w.word(), i + 1)) {
        int end = i + w.word().length();
        boolean start = i == 0 || !Character.isLetterOrDigit(name.charAt(i - 1));
        boolean stop = end == name.length() || !Character.isLetter(name.charAt(end));
        if (start && stop) {
          return Optional.of(w);
        }
      }
    }
    return Optional.empty();
  }
}
