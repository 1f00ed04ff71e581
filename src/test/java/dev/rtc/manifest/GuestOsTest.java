package dev.rtc.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.Compiler;
import dev.rtc.manifest.diagnostics.Code;
import dev.rtc.manifest.diagnostics.ManifestException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** A guest's image and user follow its OS where the manifest leaves them out: a host moved to another OS takes its guests along. */
class GuestOsTest {

  @Test
  void guestsWithoutImageOrUserTakeTheirOsOwn() throws IOException {
    String smt = Files.readString(Path.of("examples/xeon-smt.yaml")).replace("baseImage: debian-12-generic-amd64.qcow2, ", "")
        .replace("guest: {user: debian, ", "guest: {");
    for (Manifest.Os os : new Manifest.Os[] {Manifest.Os.DEBIAN12, Manifest.Os.UBUNTU2404, Manifest.Os.RHEL9}) {
      String text = smt.replace("  os: debian12", "  os: " + os.id());
      Compiler.Result r = new Compiler().compile(new ManifestLoader.Source("m.yaml", text.getBytes(StandardCharsets.UTF_8)));
      for (Manifest.Vm vm : r.plan().manifest().vms()) {
        assertThat(vm.guest().os()).isEqualTo(os);
        assertThat(vm.disk().baseImage()).as("%s image", os).isEqualTo(os.cloudImage());
        assertThat(vm.guest().user()).isEqualTo(os.cloudUser());
      }
      assertThat(r.bundle().get("vms/rt/user-data").text()).contains("name: " + os.cloudUser());
      assertThat(r.bundle().get("plan.json").text()).contains("/var/lib/libvirt/images/base/" + os.cloudImage());
    }
    assertThat(Manifest.Os.UBUNTU2404.cloudImage()).isEqualTo("ubuntu-24.04-server-cloudimg-amd64.img");
  }

  /** The examples' own images are of their guests' OS: no refusal where the name agrees, or says nothing. */
  @Test
  void anImageNamedForItsOwnOsOrForNoneIsTaken() throws IOException {
    String smt = Files.readString(Path.of("examples/xeon-smt.yaml"));
    for (String image : new String[] {"debian-12-generic-amd64.qcow2", "bookworm-custom.qcow2", "plant-golden-2026.qcow2", "debian12.qcow2"}) {
      String text = smt.replace("baseImage: debian-12-generic-amd64.qcow2", "baseImage: " + image);
      new Compiler().compile(new ManifestLoader.Source("m.yaml", text.getBytes(StandardCharsets.UTF_8)));
    }
    for (String image : new String[] {"debian-11-generic-amd64.qcow2", "ubuntu-24.04-server-cloudimg-amd64.img", "rhel-9.4-x86_64-kvm.qcow2",
        "Rocky-9-GenericCloud.qcow2"}) {
      String text = smt.replace("baseImage: debian-12-generic-amd64.qcow2", "baseImage: " + image);
      try {
        new Compiler().compile(new ManifestLoader.Source("m.yaml", text.getBytes(StandardCharsets.UTF_8)));
        throw new AssertionError(image + " was taken for a debian12 guest");
      } catch (ManifestException e) {
        assertThat(e.diagnostics()).as(image).anyMatch(d -> d.code() == Code.RTC048 && d.message().contains(image));
      }
    }
  }
}
