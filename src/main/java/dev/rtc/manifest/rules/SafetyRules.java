package dev.rtc.manifest.rules;

import dev.rtc.manifest.Manifest;
import dev.rtc.manifest.diagnostics.Code;
import dev.rtc.manifest.diagnostics.Diagnostics;
import java.util.List;
import java.util.Map;

/**
 * Values the schema admits and rtc can compile, but that take away a safeguard of the host: a
 * kernel argument that boots a shell instead of systemd or switches off mandatory access control,
 * and a base image outside libvirt's images folder (a VM reads its backing file whole, so
 * {@code /etc/shadow} or {@code /dev/sda} as a base image hands the host's secrets or disk to the
 * guest). Warnings, not errors: a lab may mean them; {@code --warnings-as-errors} makes them fatal.
 */
final class SafetyRules {

  /** Where libvirt keeps images (and its SELinux/AppArmor labels expect them). */
  static final String IMAGES = "/var/lib/libvirt/images/";

  /** Arguments by key (or whole word), and what each takes away. */
  private static final Map<String, String> UNSAFE = Map.ofEntries(
      Map.entry("init", "boots this program instead of systemd: no services, no libvirt, and a root shell on the console if it is one"),
      Map.entry("rdinit", "runs this program from the initramfs instead of its init: the boot never reaches the real system"),
      Map.entry("single", "boots into single-user (rescue) mode: no network, no libvirt, a root shell on the console"),
      Map.entry("S", "boots into single-user (rescue) mode: no network, no libvirt, a root shell on the console"),
      Map.entry("1", "boots into runlevel 1 (rescue mode): no network, no libvirt"),
      Map.entry("emergency", "boots into emergency mode: nothing but a root shell on the console"),
      Map.entry("rescue", "boots into rescue mode: no network, no libvirt, a root shell on the console"),
      Map.entry("rd.break", "stops the boot in the initramfs with a root shell"),
      Map.entry("rd.shell", "gives a root shell in the initramfs when the boot fails"),
      Map.entry("systemd.unit", "boots into another target than the default one"),
      Map.entry("systemd.debug_shell", "opens a root shell on tty9 without a password"),
      Map.entry("selinux", "can switch SELinux off, and with it the confinement of every QEMU process"),
      Map.entry("enforcing", "can put SELinux in permissive mode, and with it QEMU's confinement"),
      Map.entry("apparmor", "can switch AppArmor off, and with it libvirt's confinement of QEMU"),
      Map.entry("security", "chooses (or switches off) the kernel's security module"),
      Map.entry("lockdown", "changes the kernel's lockdown (what root may do to the running kernel)"),
      Map.entry("module.sig_enforce", "changes whether unsigned kernel modules may load"));

  /** Arguments that limit C-states or the clock for the whole host, and what each does. */
  private static final Map<String, String> WHOLE_HOST_POWER = Map.of(
      "intel_idle.max_cstate", "limits intel_idle's C-states",
      "processor.max_cstate", "limits ACPI C-states",
      "idle", "changes how every CPU idles",
      "cpuidle.off", "switches cpuidle off",
      "intel_pstate", "changes the P-state driver");

  private SafetyRules() {}

  static void check(Manifest m, Diagnostics d) {
    List<String> extra = m.host().extraKernelArgs();
    for (int i = 0; i < extra.size(); i++) {
      String arg = extra.get(i);
      String key = arg.split("=", 2)[0];
      String why = UNSAFE.get(key);
      if (why != null && !safeValue(key, arg)) {
        d.warning(Code.RTC036, "/host/kernel/extraArgs/" + i, "'" + arg + "' " + why,
            "remove it from the plant's command line; for a one-time rescue, edit the entry in GRUB's menu at boot instead");
      }
    }
    if (m.host().power() == Manifest.Power.BALANCED) {
      for (int i = 0; i < extra.size(); i++) {
        String arg = extra.get(i);
        String why = WHOLE_HOST_POWER.get(arg.split("=", 2)[0]);
        if (why != null) {
          d.warning(Code.RTC038, "/host/kernel/extraArgs/" + i, "'" + arg + "' " + why + " on every CPU, which host.power: balanced "
              + "leaves to TuneD, per CPU: the housekeeping CPUs would not save the power balanced is for",
              "remove it, or say host.power: lowest-latency, which sets the same limits itself");
        }
      }
    }
    for (Manifest.Vm vm : m.vms()) {
      String image = vm.disk().baseImage();
      if (image.startsWith("/") && !image.startsWith(IMAGES)) {
        d.warning(Code.RTC037, vm.pointer() + "/disk/baseImage", image + " is outside " + IMAGES + ": the VM reads its base "
            + "image whole as its disk, so a host file here (a secret, a device) is handed to the guest, and libvirt's "
            + "confinement (SELinux, AppArmor) may refuse it", "put the image in /var/lib/libvirt/images/base/ and give its file name");
      }
    }
  }

  /** Values of a listed key that keep the safeguard (systemd.unit=multi-user.target, selinux=1, …). */
  private static boolean safeValue(String key, String arg) {
    String value = arg.contains("=") ? arg.substring(arg.indexOf('=') + 1) : "";
    return switch (key) {
      case "systemd.unit" -> value.equals("multi-user.target") || value.equals("graphical.target");
      case "selinux", "enforcing", "apparmor", "module.sig_enforce" -> value.equals("1");
      case "lockdown" -> value.equals("integrity") || value.equals("confidentiality");
      case "security" -> value.equals("selinux") || value.equals("apparmor");
      case "systemd.debug_shell" -> value.equals("0");
      default -> false;
    };
  }
}
