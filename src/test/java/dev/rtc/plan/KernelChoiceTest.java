package dev.rtc.plan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.Compiler;
import dev.rtc.Slow;
import dev.rtc.emit.Tool;
import dev.rtc.manifest.Manifest.Os;
import dev.rtc.manifest.Manifest.Realtime;
import dev.rtc.manifest.ManifestLoader;
import dev.rtc.manifest.diagnostics.Code;
import dev.rtc.manifest.diagnostics.Diagnostic;
import dev.rtc.manifest.diagnostics.ManifestException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kernel choice on every OS the guide supports, for the host and a real-time guest: a
 * real-time kernel from the right place, or a located error, never a silent omission. Each
 * guest's user-data, with a site's proxy and mirrors too, is checked by cloud-init's schema.
 */
@Slow
class KernelChoiceTest {

  @TempDir static Path tmp;

  static final String HASH = "$6$banana123$wQ1IqKwmt6fbNfzB31o0JC1PTG/TdbxTMkB5gx0RyzujPINAifkV1shcE7HW7d.jnVTs5QyuFZBid8NmYf2oq.";

  static Stream<Arguments> choices() {
    List<Arguments> a = new ArrayList<>();
    for (Os os : Os.values()) {
      for (Realtime r : Realtime.values()) {
        a.add(Arguments.of(os, r));
      }
    }
    return a.stream();
  }

  static String manifest(Os os, Realtime r, boolean site) {
    String kernel = "{realtime: " + r.id() + (r == Realtime.PACKAGE ? ", package: linux-image-6.6.0-rt-amd64" : "") + "}";
    String mirrors = switch (os) {
      case DEBIAN11, DEBIAN12 -> "debian: http://mirror.plant.example/debian, debianSecurity: http://mirror.plant.example/debian-security";
      case UBUNTU2204, UBUNTU2404 -> "ubuntu: http://mirror.plant.example/ubuntu";
      case RHEL9 -> "rhel: http://mirror.plant.example/rhel9";
    };
    if (r == Realtime.ECI) {
      mirrors += ", eci: http://mirror.plant.example/eci";
    }
    return "apiVersion: rtc/v1\nname: k\nhost:\n  os: " + os.id() + "\n  topology:\n    threadsPerCore: 1\n"
        + "    sockets: [{id: 0, cpus: \"0-7\"}]\n    numaNodes: [{id: 0, cpus: \"0-7\"}]\n  housekeeping: \"0-1\"\n"
        + "  kernel: " + kernel + "\nvms:\n  - name: rt\n    role: realtime\n    vcpus: 4\n    memory: 4 GiB\n"
        + "    disk: {baseImage: img.qcow2, size: 10 GiB}\n    guest: {user: admin, passwordHash: \"" + HASH + "\", kernel: " + kernel + "}\n"
        + (site ? "site:\n  proxy: http://proxy.plant.example:3128\n  mirrors: {" + mirrors + "}\n" : "");
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("choices")
  void everyChoiceGivesARealTimeKernelOrALocatedError(Os os, Realtime r) throws IOException {
    for (boolean site : List.of(false, true)) {
      String text = manifest(os, r, site);
      Compiler.Result result;
      try {
        result = new Compiler().compile(new ManifestLoader.Source("k.yaml", text.getBytes(StandardCharsets.UTF_8)));
      } catch (ManifestException e) {
        assertThat(os == Os.RHEL9 && r == Realtime.ECI).as("%s %s refused: %s", os, r, e.diagnostics()).isTrue();
        assertThat(e.diagnostics()).filteredOn(Diagnostic::isError).extracting(Diagnostic::code).containsOnly(Code.RTC046);
        assertThat(e.diagnostics()).filteredOn(Diagnostic::isError).extracting(Diagnostic::path)
            .containsExactlyInAnyOrder("host.kernel.realtime", "vms[0].guest.kernel.realtime");
        assertThat(e.diagnostics()).allSatisfy(d -> assertThat(d.location().line()).isPositive());
        continue;
      }
      assertThat(os == Os.RHEL9 && r == Realtime.ECI).as("ECI on RHEL must be refused").isFalse();
      assertThat(result.warnings()).extracting(Diagnostic::code).as("the stock kernel is said, for the host and the guest")
          .isEqualTo(r == Realtime.NONE ? List.of(Code.RTC047, Code.RTC047) : List.of());
      Plan plan = result.plan();
      for (KernelPlan k : List.of(plan.host().kernel(), plan.vms().get(0).kernel().orElseThrow())) {
        assertThat(k.isRealtime()).isEqualTo(r != Realtime.NONE);
        List<String> expected = switch (r) {
          case NONE -> List.of();
          case PACKAGE -> List.of("linux-image-6.6.0-rt-amd64");
          case ECI -> k == plan.host().kernel() ? List.of("linux-intel-rt", "eci-customizations")
              : List.of("linux-intel-rt", "eci-customizations", "rt-tests-scripts");
          case DISTRO -> switch (os) {
            case DEBIAN11, DEBIAN12 -> List.of("linux-image-rt-amd64");
            case UBUNTU2204, UBUNTU2404 -> List.of();
            // The host's KVM modules for kernel-rt are a package of their own; a guest runs no VMs.
            case RHEL9 -> k == plan.host().kernel() ? List.of("kernel-rt", "kernel-rt-kvm") : List.of("kernel-rt");
          };
        };
        assertThat(k.packages()).as("%s %s", os, r).isEqualTo(expected);
        assertThat(k.ubuntuPro()).isEqualTo(r == Realtime.DISTRO && os.id().startsWith("ubuntu"));
        k.repo().ifPresent(repo -> assertThat(repo.uri()).isEqualTo((site ? "http://mirror.plant.example/eci/" : "https://eci.intel.com/repos/")
            + Distro.of(os).codename()));
      }
      String userData = result.bundle().files().get("vms/rt/user-data").text();
      Path f = Files.writeString(tmp.resolve(os.id() + "-" + r.id() + "-" + site + ".yaml"), userData);
      Tool.Run schema = Tool.require("cloud-init").run(tmp, "schema", "-c", f.toString());
      assertThat(schema.exit()).as("cloud-init schema, %s %s site=%s: %s", os, r, site, schema.all()).isZero();
      if (r != Realtime.NONE && !plan.vms().get(0).kernel().orElseThrow().ubuntuPro()) {
        plan.vms().get(0).kernel().orElseThrow().packages().forEach(p -> assertThat(userData).as("%s %s installs %s", os, r, p).contains(p));
      }
      if (site) {
        assertThat(userData).contains("http://proxy.plant.example:3128").contains("mirror.plant.example");
      }
      // The Pro token is read on the host into vendor-data: user-data has no key that could carry it
      // (its runcmd may name the key "token" it reads from that vendor-data, never a value).
      List<String> keys = new ArrayList<>();
      collectKeys(new com.fasterxml.jackson.dataformat.yaml.YAMLMapper().readTree(userData), keys);
      assertThat(keys).as("%s %s: user-data's keys", os, r).noneMatch(k -> k.toLowerCase(java.util.Locale.ROOT).contains("token")
          || k.startsWith("ubuntu_pro") || k.startsWith("ubuntu_advantage"));
    }
  }

  private static void collectKeys(com.fasterxml.jackson.databind.JsonNode n, List<String> keys) {
    if (n.isObject()) {
      n.fields().forEachRemaining(e -> {
        keys.add(e.getKey());
        collectKeys(e.getValue(), keys);
      });
    } else if (n.isArray()) {
      n.elements().forEachRemaining(e -> collectKeys(e, keys));
    }
  }
}
