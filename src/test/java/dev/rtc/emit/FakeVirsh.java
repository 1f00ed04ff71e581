package dev.rtc.emit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A fake virsh for the runbook's verify step: it answers vcpupin, emulatorpin and the guest agent's
 * exec in the real virsh's formats, from files under {@code $FAKE}: {@code <vm>.pins} (one CPU per
 * line, vCPU order), {@code <vm>.emulator} (a cpulist as libvirt prints it) and {@code <vm>.cmdline}.
 */
final class FakeVirsh {

  private FakeVirsh() {}

  /** Writes the script as {@code root/bin/virsh}. */
  static void install(Path root) throws IOException {
    Path virsh = root.resolve("bin/virsh");
    Files.createDirectories(virsh.getParent());
    Files.writeString(virsh, String.join("\n", "#!/bin/bash",
        "# A fake virsh that answers in the real one's formats, from files under $FAKE.",
        "case $1 in",
        "  vcpupin) printf ' VCPU   CPU Affinity\\n----------------------\\n %s      %s\\n\\n' \"$4\" \"$(sed -n \"$(($4 + 1))p\" \"$FAKE/$2.pins\")\" ;;",
        "  emulatorpin) printf 'emulator: CPU Affinity\\n----------------------------------\\n       *: %s\\n\\n' \"$(cat \"$FAKE/$2.emulator\")\" ;;",
        "  qemu-agent-command) case $3 in",
        "      *guest-exec-status*) printf '{\"return\":{\"exited\":true,\"exitcode\":0,\"out-data\":\"%s\"}}\\n' \"$(base64 -w0 <\"$FAKE/$2.cmdline\")\" ;;",
        "      *) echo '{\"return\":{\"pid\":42}}' ;;",
        "    esac ;;",
        "  *) echo \"fake virsh: $*\" >&2; exit 1 ;;",
        "esac", ""));
    virsh.toFile().setExecutable(true);
  }
}
