package dev.rtc.emit;

import dev.rtc.Slow;
import dev.rtc.bundle.BundleWriter;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.Compiler;
import dev.rtc.manifest.ManifestLoader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runbook on the other platforms, against fake hosts: RHEL's boot entries (grubby) given back
 * their values, Ubuntu Pro's token kept out of the bundle, base images checked by their checksum.
 */
@Slow
class RunbookPlatformsTest {

  @TempDir Path tmp;

  record Compiled(Path bundle, FakeHost host) {}

  private int n;

  Compiled compile(String example, String edit, String replacement) throws IOException {
    String text = Files.readString(Path.of("examples/" + example + ".yaml"));
    if (edit != null) {
      assertThat(text).contains(edit);
      text = text.replace(edit, replacement);
    }
    Compiler.Result r = new Compiler().compile(new ManifestLoader.Source(example + ".yaml", text.getBytes(StandardCharsets.UTF_8)));
    Path bundle = tmp.resolve("bundle-" + example + "-" + ++n);
    BundleWriter.write(r.bundle(), bundle, false);
    return new Compiled(bundle, FakeHost.of(tmp.resolve("host-" + example + "-" + n), r.plan()));
  }

  static Tool.Run run(Compiled c, String... args) {
    String[] all = new String[args.length + 1];
    all[0] = "./runbook.sh";
    System.arraycopy(args, 0, all, 1, args.length);
    return Tool.require("bash").run(c.bundle(), c.host().env(), all);
  }

  /** RHEL: grubby sets the arguments in every boot entry; rollback gives each entry back the values it had, and the default kernel. */
  @Test
  void rhelRollbackGivesEveryBootEntryBackItsEarlierValues() throws IOException {
    Compiled c = compile("rhel9-reference", null, null);
    FakeHost h = c.host();
    String stock = "/boot/vmlinuz-5.14.0-427.13.1.el9_4.x86_64";
    String older = "/boot/vmlinuz-5.14.0-362.8.1.el9_3.x86_64";
    h.write("fake/grubby/info", "index=0\nkernel=\"" + stock + "\"\nargs=\"ro crashkernel=1G-4G:192M rhgb quiet isolcpus=2\"\nroot=\"/dev/vda1\"\n"
        + "index=1\nkernel=\"" + older + "\"\nargs=\"ro crashkernel=1G-4G:192M rhgb quiet\"\nroot=\"/dev/vda1\"\n");
    h.write("fake/grubby/default", stock + "\n");
    h.write("etc/default/grub", "GRUB_CMDLINE_LINUX=\"crashkernel=1G-4G:192M rhgb quiet\"\n");
    h.write("etc/kernel/cmdline", "root=/dev/vda1 ro crashkernel=1G-4G:192M rhgb quiet isolcpus=2\n");
    // The real-time kernel the host step installs (dnf is a fake): its config says PREEMPT_RT.
    h.write("boot/vmlinuz-5.14.0-427.13.1.el9_4.x86_64+rt", "kernel");
    h.write("boot/config-5.14.0-427.13.1.el9_4.x86_64+rt", "CONFIG_PREEMPT_RT=y\n");
    Tool.Run host = run(c, "host");
    assertThat(host.exit()).as(host.all()).isZero();
    assertThat(h.calls()).contains("subscription-manager repos --enable=rhel-9-for-x86_64-rt-rpms --enable=rhel-9-for-x86_64-nfv-rpms",
        "grubby --set-default=/boot/vmlinuz-5.14.0-427.13.1.el9_4.x86_64+rt")
        .anyMatch(l -> l.startsWith("dnf install -y qemu-kvm") && l.contains("kernel-rt") && l.contains("tuned-profiles-nfv-host"))
        .anyMatch(l -> l.startsWith("grubby --update-kernel=ALL --args=isolcpus=managed_irq,domain,4-63 "));
    assertThat(h.read("var/lib/rtc/rhel9-reference/backup/grubby-default")).isEqualTo(stock + "\n");
    // What grubby does to the files the backups keep.
    h.write("etc/default/grub", "GRUB_CMDLINE_LINUX=\"crashkernel=1G-4G:192M rhgb quiet isolcpus=managed_irq,domain,4-63\"\n");
    h.write("etc/kernel/cmdline", "root=/dev/vda1 ro isolcpus=managed_irq,domain,4-63\n");
    h.clearCalls();

    Tool.Run r = run(c, "rollback");
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(h.calls()).anyMatch(l -> l.startsWith("grubby --update-kernel=ALL --remove-args=isolcpus nohz nohz_full"))
        .contains("grubby --update-kernel=" + stock + " --args=isolcpus=2", "grubby --set-default=" + stock)
        .noneMatch(l -> l.startsWith("grubby --update-kernel=" + older + " --args"));
    assertThat(h.read("etc/default/grub")).isEqualTo("GRUB_CMDLINE_LINUX=\"crashkernel=1G-4G:192M rhgb quiet\"\n");
    assertThat(h.read("etc/kernel/cmdline")).isEqualTo("root=/dev/vda1 ro crashkernel=1G-4G:192M rhgb quiet isolcpus=2\n");
  }

  /** Ubuntu Pro: the token is read on the host and goes into the guest's seed as vendor-data, which cloud-init accepts; never into the bundle. */
  @Test
  void ubuntuProsTokenReachesTheGuestSeedAndNeverTheBundle() throws IOException {
    Compiled c = compile("hybrid-client", null, null);
    FakeHost h = c.host();
    String token = h.read("etc/rtc/ubuntu-pro-token").trim();
    Tool.Run r = run(c, "images");
    assertThat(r.exit()).as(r.all()).isZero();
    Path vendor = h.root.resolve("fake/seeds/vendor-data-rt");
    assertThat(vendor).exists();
    assertThat(Files.readString(vendor)).startsWith("#cloud-config\n").contains("\"ubuntu_pro\"").doesNotContain("ubuntu_advantage").contains("\"" + token + "\"")
        .contains("\"realtime-kernel\"");
    Tool.Run schema = Tool.require("cloud-init").run(tmp, "schema", "-c", vendor.toString());
    assertThat(schema.exit()).as(schema.all()).isZero();
    assertThat(h.root.resolve("fake/seeds/vendor-data-stress")).as("the stressor keeps its image's kernel").doesNotExist();
    try (Stream<Path> files = Files.walk(c.bundle())) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        assertThat(Files.readString(f)).as("%s", f).doesNotContain(token);
      }
    }
    // No token on the host: preflight and the host step say where it goes.
    h.delete("etc/rtc/ubuntu-pro-token");
    assertThat(run(c, "preflight").all()).contains("Ubuntu's real-time kernel comes with Ubuntu Pro: put your token in /etc/rtc/ubuntu-pro-token");
    Tool.Run host = run(c, "host");
    assertThat(host.exit()).isEqualTo(1);
    assertThat(host.all()).contains("needs this host attached: put your token in /etc/rtc/ubuntu-pro-token");
  }

  @Test
  void preflightChecksABaseImageAgainstTheManifestsChecksum() throws IOException {
    String good = "0".repeat(64);
    Compiled c = compile("eci-reference", "disk: {baseImage: debian-12-generic-amd64.qcow2, size: 10 GiB}",
        "disk: {baseImage: debian-12-generic-amd64.qcow2, size: 10 GiB, sha256: \"" + good + "\"}");
    Tool.Run r = run(c, "preflight");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.all()).contains("base image /var/lib/libvirt/images/base/debian-12-generic-amd64.qcow2 has another sha256 than the manifest's "
        + good + ": download it again");
    String real = Tool.require("sha256sum").run(tmp, c.host().root.resolve("var/lib/libvirt/images/base/debian-12-generic-amd64.qcow2")
        .toString()).out().split(" ")[0];
    Compiled ok = compile("eci-reference", "disk: {baseImage: debian-12-generic-amd64.qcow2, size: 10 GiB}",
        "disk: {baseImage: debian-12-generic-amd64.qcow2, size: 10 GiB, sha256: \"" + real + "\"}");
    Tool.Run passes = run(ok, "preflight");
    assertThat(passes.exit()).as(passes.all()).isZero();
    assertThat(passes.out()).contains("base image /var/lib/libvirt/images/base/debian-12-generic-amd64.qcow2 (sha256 as planned)");
  }
}
