package dev.rtc.emit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.rtc.manifest.Manifest.Guest;
import dev.rtc.plan.Distro;
import dev.rtc.plan.Plan.VmPlan;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code vms/<vm>/user-data} and {@code meta-data} for cloud-init's NoCloud data source. The
 * documents are data trees written by a YAML emitter, so user strings (user names, hashes, keys)
 * cannot change the document's structure whatever they contain.
 */
final class CloudInitEmitter {

  static final String GUEST_DROPIN = "/etc/default/grub.d/99-rtc.cfg";
  static final String STRESS_SCRIPT = "/usr/local/sbin/rtc-stress";

  private static final JsonNodeFactory N = JsonNodeFactory.instance;
  private static final YAMLFactory YAML = YAMLFactory.builder()
      .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
      .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
      .enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE)
      .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
      .disable(YAMLGenerator.Feature.SPLIT_LINES) // a long runcmd line stays one line, as a reviewer reads it
      .build();

  private CloudInitEmitter() {}

  /**
   * @param guestDropIn the guest's GRUB drop-in (real-time VMs), or null
   * @param stressScript the workload script (stressors), or null
   */
  static String userData(VmPlan vm, String header, String guestDropIn, String stressScript) {
    Guest g = vm.vm().guest();
    Distro distro = Distro.of(g.os());
    ObjectNode doc = N.objectNode();
    doc.put("hostname", vm.name());
    ObjectNode user = doc.putArray("users").addObject();
    user.put("name", g.user());
    user.put("passwd", g.passwordHash());
    user.put("lock_passwd", false);
    user.put("sudo", "ALL=(ALL) NOPASSWD:ALL");
    user.putArray("groups").add(distro.adminGroup());
    user.put("shell", "/bin/bash");
    if (!g.sshAuthorizedKeys().isEmpty()) {
      ArrayNode keys = user.putArray("ssh_authorized_keys");
      g.sshAuthorizedKeys().forEach(keys::add);
    }
    doc.put("package_update", true);
    ArrayNode packages = doc.putArray("packages");
    List<String> pk = new ArrayList<>(List.of("qemu-guest-agent", "stress-ng"));
    if (vm.isRealtime()) {
      pk.add("rt-tests");
      distro.rtKernelPackage().ifPresent(pk::add);
    } else {
      pk.addAll(distro.buildPackages());
    }
    pk.forEach(packages::add);
    if (guestDropIn != null || stressScript != null) { // cloud-init's schema refuses an empty write_files
      ArrayNode files = doc.putArray("write_files");
      if (guestDropIn != null) {
        file(files, GUEST_DROPIN, "0644", guestDropIn);
      }
      if (stressScript != null) {
        file(files, STRESS_SCRIPT, "0755", stressScript);
      }
    }
    ArrayNode run = doc.putArray("runcmd");
    command(run, "systemctl", "enable", "--now", "qemu-guest-agent");
    if (vm.isRealtime()) {
      if (distro.grubby()) {
        // BLS boot entries: grubby writes the arguments into every installed kernel's entry.
        command(run, "grubby", "--update-kernel=ALL", "--args=" + vm.guestCmdline().map(Object::toString).orElse(""));
      } else {
        command(run, distro.grubUpdate().toArray(String[]::new));
      }
      ObjectNode power = doc.putObject("power_state");
      power.put("mode", "reboot");
      power.put("delay", "now");
      power.put("message", "rtc: rebooting into the real-time kernel command line");
      power.put("condition", true);
    }
    return "#cloud-config\n# " + header + "\n" + write(doc);
  }

  static String metaData(VmPlan vm, String header, String userData) {
    ObjectNode doc = N.objectNode();
    // A new instance-id whenever user-data changes, so cloud-init applies a changed bundle again;
    // but not for the provenance header alone (a comment edited in the manifest), which would
    // re-run cloud-init in the guest for nothing.
    doc.put("instance-id", "iid-" + vm.name() + "-" + Checksums.hex(userData.replace(header, "").getBytes(StandardCharsets.UTF_8)).substring(0, 12));
    doc.put("local-hostname", vm.name());
    return "# " + header + "\n" + write(doc);
  }

  private static void file(ArrayNode files, String path, String mode, String content) {
    ObjectNode f = files.addObject();
    f.put("path", path);
    f.put("owner", "root:root");
    f.put("permissions", mode);
    f.put("content", content);
  }

  // A runcmd entry as one shell line (cloud-init runs strings with sh): quoted by the one shell
  // quoting function, and far easier to read in a review than a nested YAML list.
  private static void command(ArrayNode run, String... argv) {
    run.add(Shell.words(List.of(argv)));
  }

  private static String write(ObjectNode doc) {
    TextWriter out = new TextWriter();
    try (var g = YAML.createGenerator(out)) {
      TreeWriter.write(doc, g);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out.toString();
  }
}
