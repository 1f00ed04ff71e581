package dev.rtc.emit;

import dev.rtc.Slow;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.Compiler;
import dev.rtc.manifest.ManifestLoader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ubuntu Pro on an image whose cloud-init predates 24.1 (which reads no {@code ubuntu_pro} key):
 * the real-time guest's runcmd attaches with the vendor-data's token itself. Run here with sh and
 * python3 against a fake {@code pro} and {@code cloud-init} that keep Pro's state; the guest's
 * own tools are not on this machine.
 */
@Slow
class ProAttachTest {

  @TempDir Path tmp;

  static final String VENDOR_DATA = "#cloud-config\n{\"ubuntu_pro\": {\"token\": \"C1NWcZTHLteJXGVMM6YhvHDpGrhyy7\", \"enable\": [\"realtime-kernel\"]}}\n";

  @Test
  void aProGuestsRuncmdAttachesWhereCloudInitDidNot() throws IOException {
    String userData = userData();
    assertThat(userData).contains(CloudInitEmitter.PRO_ATTACH.substring(0, 40)).doesNotContain("C1NW");
    Path bin = fakes(false);
    Tool.Run r = run(bin);
    assertThat(r.exit()).as(r.all()).isZero();
    String log = Files.readString(tmp.resolve("pro.log"));
    assertThat(log).contains("status --format json", "attach --no-auto-enable --attach-config", "enable --assume-yes realtime-kernel");
    assertThat(Files.readString(tmp.resolve("attach-config"))).as("what pro attach read")
        .isEqualTo("{\"token\": \"C1NWcZTHLteJXGVMM6YhvHDpGrhyy7\", \"enable_services\": []}\n");
    assertThat(log).as("the token never on a command line").doesNotContain("C1NW");
    try (var left = Files.list(tmp.resolve("tmp"))) {
      assertThat(left).as("the token's file is gone").isEmpty();
    }
  }

  @Test
  void whereCloudInitAttachedItChangesNothing() throws IOException {
    Path bin = fakes(true);
    Tool.Run r = run(bin);
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(Files.readString(tmp.resolve("pro.log")).strip()).isEqualTo("status --format json");
  }

  @Test
  void aRefusedTokenFailsTheCommandAndEnablesNothing() throws IOException {
    Path bin = fakes(false);
    Files.writeString(tmp.resolve("refuse"), "");
    Tool.Run r = run(bin);
    assertThat(r.exit()).isNotZero();
    assertThat(Files.readString(tmp.resolve("pro.log"))).doesNotContain("enable --assume-yes");
    try (var left = Files.list(tmp.resolve("tmp"))) {
      assertThat(left).isEmpty();
    }
  }

  private Tool.Run run(Path bin) throws IOException {
    Files.createDirectories(tmp.resolve("tmp"));
    return Tool.require("sh").run(tmp, Map.of("PATH", bin + ":/usr/bin:/bin", "TMPDIR", tmp.resolve("tmp").toString()),
        "-c", CloudInitEmitter.PRO_ATTACH);
  }

  /** pro and cloud-init as the guest has them: pro keeps attached in a file, logs its arguments, copies its attach config. */
  private Path fakes(boolean attached) throws IOException {
    Path bin = Files.createDirectories(tmp.resolve("bin"));
    Path state = tmp.resolve("attached");
    if (attached) {
      Files.writeString(state, "");
    }
    script(bin.resolve("pro"), "echo \"$*\" >>" + tmp.resolve("pro.log") + "\n"
        + "case $1 in\n"
        + "  status) if [ -e " + state + " ]; then echo '{\"attached\": true}'; else echo '{\"_doc\": \"x\", \"attached\": false}'; fi ;;\n"
        + "  attach) [ -e " + tmp.resolve("refuse") + " ] && exit 1; cp \"$4\" " + tmp.resolve("attach-config") + "; : >" + state + " ;;\n"
        + "  enable) [ -e " + state + " ] ;;\n"
        + "esac\n");
    script(bin.resolve("cloud-init"), "[ \"$1 $2\" = 'query vendordata' ] || exit 2\nprintf '%s' '" + VENDOR_DATA + "'\n");
    return bin;
  }

  private static void script(Path p, String body) throws IOException {
    Files.writeString(p, "#!/bin/sh\n" + body, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  /** An Ubuntu 22.04 real-time guest with the distro's (Pro) real-time kernel. */
  private static String userData() {
    String m = "apiVersion: rtc/v1\nname: pro\nhost:\n  os: ubuntu2204\n  topology:\n    threadsPerCore: 1\n"
        + "    sockets: [{id: 0, cpus: \"0-7\"}]\n    numaNodes: [{id: 0, cpus: \"0-7\"}]\n  housekeeping: \"0-1\"\nvms:\n"
        + "  - {name: rt, role: realtime, vcpus: 2, memory: 2 GiB, disk: {size: 10 GiB},"
        + " guest: {passwordHash: \"$6$banana123$wQ1IqKwmt6fbNfzB31o0JC1PTG/TdbxTMkB5gx0RyzujPINAifkV1shcE7HW7d.jnVTs5QyuFZBid8NmYf2oq.\"}}\n";
    Compiler.Result r = new Compiler().compile(new ManifestLoader.Source("pro.yaml", m.getBytes(StandardCharsets.UTF_8)));
    return r.bundle().files().get("vms/rt/user-data").text();
  }
}
