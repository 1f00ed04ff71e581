package dev.rtc.plan;

import dev.rtc.manifest.Manifest.Os;
import java.util.List;
import java.util.Optional;

/**
 * What differs between the distributions the guide supports, in one table, so that no emitter
 * branches on an OS name.
 *
 * @param grubUpdate command that regenerates grub.cfg after a drop-in changes
 * @param grubby kernel arguments go into the boot entries with {@code grubby} (RHEL's Boot Loader
 *     Specification entries, which a /etc/default/grub.d drop-in does not reach), not a drop-in
 * @param rtKernelPackage the distribution's own PREEMPT_RT kernel, when it ships one
 */
public record Distro(Os os, String qemuEmulator, List<String> grubUpdate, boolean grubby, String adminGroup,
    Optional<String> rtKernelPackage, List<String> buildPackages) {

  public static Distro of(Os os) {
    return switch (os) {
      case DEBIAN11, DEBIAN12 -> new Distro(os, "/usr/bin/qemu-system-x86_64", List.of("update-grub"), false, "sudo",
          Optional.of("linux-image-rt-amd64"), List.of("build-essential", "bc", "bison", "flex", "libelf-dev", "libssl-dev", "wget", "xz-utils"));
      case UBUNTU2204, UBUNTU2404 -> new Distro(os, "/usr/bin/qemu-system-x86_64", List.of("update-grub"), false, "sudo",
          Optional.empty(), List.of("build-essential", "bc", "bison", "flex", "libelf-dev", "libssl-dev", "wget", "xz-utils"));
      case RHEL9 -> new Distro(os, "/usr/libexec/qemu-kvm", List.of("grub2-mkconfig", "-o", "/boot/grub2/grub.cfg"), true, "wheel",
          Optional.of("kernel-rt"), List.of("gcc", "make", "bc", "bison", "flex", "elfutils-libelf-devel", "openssl-devel", "wget", "xz"));
    };
  }
}
