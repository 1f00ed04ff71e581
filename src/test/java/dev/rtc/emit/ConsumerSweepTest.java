package dev.rtc.emit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.Compiler;
import dev.rtc.manifest.Diagnostic;
import dev.rtc.manifest.ManifestException;
import dev.rtc.manifest.ManifestLoader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every plan, not only the examples: generated hosts (RandomPlansTest's: SMT, hybrid, L2 clusters,
 * several nodes and sockets, devices), each given an OS and a kernel choice, CAT or none, MBA or
 * none, and odd but valid names and MACs; every artifact of each bundle that compiles goes to its
 * real consumer (until N bundles; manifests refused as too small are skipped): shellcheck and bash -n (runbook, stressor), shellcheck -s sh and dash -n (GRUB
 * drop-ins), virt-xml-validate and virsh define --validate (domains), cloud-init schema
 * (user-data), systemd-analyze verify (units). A sample runs in the suite;
 * {@code -Dsweep.manifests=2000 -Dsweep.seed=S} is the larger run. Prints how many bundles,
 * refusals and files, and fails on any consumer's refusal, with its seed and manifest.
 */
class ConsumerSweepTest {

  static final int MANIFESTS = Integer.getInteger("sweep.manifests", 12);
  static final long SEED = Long.getLong("sweep.seed", 20261207L);

  /** OS, and the kernel lines a host and its real-time guests may take on it. */
  record OsKernels(String os, List<String> kernels) {}

  static final List<OsKernels> OSES = List.of(
      new OsKernels("debian12", List.of("{realtime: distro}", "{realtime: eci}", "{realtime: none}",
          "{realtime: package, package: linux-image-6.6.0-rt-amd64}", "{realtime: package, package: linux-image-5.10.0-28-rt-amd64}")),
      new OsKernels("debian11", List.of("{realtime: distro}", "{realtime: eci}")),
      new OsKernels("ubuntu2204", List.of("{realtime: distro}", "{realtime: eci}", "{realtime: none}")),
      new OsKernels("ubuntu2404", List.of("{realtime: distro}", "{realtime: none}")),
      new OsKernels("rhel9", List.of("{realtime: distro}", "{realtime: none}", "{realtime: package, package: kernel-rt-5.14.0-427.el9}")));

  /** Valid names that have tripped a consumer before (a name, a minus, a digit reads as arithmetic to shellcheck). */
  static final List<String> NAMES = List.of("rt-1", "vm-2", "a", "x-0-y", "line7", "9lives", "abcdefghij-klmnopqrstuvwxyz-0123456789-abcdefghij-klmnopqrstu");

  @TempDir Path tmp;

  @Test
  void everyArtifactOfGeneratedPlansPassesItsRealConsumer() throws IOException {
    Random r = new Random(SEED);
    int compiled = 0;
    int refused = 0;
    int files = 0;
    List<String> failures = new ArrayList<>();
    long started = System.nanoTime();
    // Until MANIFESTS bundles: the generator makes hosts too small for their VMs too, and those are skipped.
    for (int i = 0; compiled < MANIFESTS && i < 4 * MANIFESTS; i++) {
      long seed = SEED + i;
      String yaml = vary(dev.rtc.plan.RandomPlansTestAccess.yaml(seed), r, i);
      Compiler.Result result;
      try {
        result = new Compiler().compile(new ManifestLoader.Source("sweep-" + seed + ".yaml", yaml.getBytes(StandardCharsets.UTF_8)));
      } catch (ManifestException e) {
        // The generator makes hosts too small for their VMs on purpose; anything else is a bug of the variation.
        assertThat(e.diagnostics()).as("seed %d refused for a reason the sweep did not mean:%n%s", seed, yaml)
            .filteredOn(Diagnostic::isError).allMatch(d -> d.code().name().startsWith("RTC06"));
        refused++;
        continue;
      }
      compiled++;
      Path out = tmp.resolve("b" + i);
      BundleWriter.write(result.bundle(), out, false);
      for (String rel : result.bundle().files().keySet()) {
        Tool.Run run = consumer(out, rel);
        if (run == null) {
          continue;
        }
        files++;
        if (run.exit() != 0 || run.err().toLowerCase(java.util.Locale.ROOT).contains("warning")) {
          failures.add("seed " + seed + " " + rel + ": " + run.all().strip() + "\n--- manifest ---\n" + yaml);
        }
      }
      deleteTree(out);
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    System.out.printf("consumer sweep (seed %d): %d bundles, %d manifests refused as too small, %d files to their consumers, "
        + "%d failures, %.1f s%n", SEED, compiled, refused, files, failures.size(), seconds);
    assertThat(failures).as(String.join("\n\n", failures.subList(0, Math.min(3, failures.size())))).isEmpty();
    assertThat(compiled).as("bundles the sweep made").isEqualTo(MANIFESTS);
  }

  /** The artifact's real consumer, run on it; null for a file no tool judges (documents, plan.json, meta-data). */
  static Tool.Run consumer(Path out, String rel) {
    String name = rel.substring(rel.lastIndexOf('/') + 1);
    return switch (name) {
      case "domain.xml" -> both(Tool.require("virt-xml-validate").run(out, rel, "domain"),
          Tool.require("virsh").run(out, "-c", "test:///default", "define --validate " + rel));
      case "user-data" -> Tool.require("cloud-init").run(out, "schema", "-c", rel);
      case "runbook.sh", "rtc-stress.sh" -> both(Tool.require("shellcheck").run(out, "--severity=style", rel),
          Tool.require("bash").run(out, "-n", rel));
      case "99-rtc.cfg" -> both(Tool.require("shellcheck").run(out, "--shell=sh", "--severity=style", rel), Tool.require("dash").run(out, "-n", rel));
      case "rtc-resctrl.service", "rtc-hugepages.service", "rtc-sriov.service", "rtc-vms.service" ->
          Tool.require("systemd-analyze").run(out, "verify", "--man=no", rel);
      default -> null;
    };
  }

  private static Tool.Run both(Tool.Run a, Tool.Run b) {
    return a.exit() != 0 ? a : b;
  }

  /** The generated manifest, given an OS and kernel, a name, and maybe no CAT or MBA, and a VF's MAC. */
  static String vary(String yaml, Random r, int i) {
    OsKernels os = OSES.get(i % OSES.size());
    String kernel = os.kernels().get(r.nextInt(os.kernels().size()));
    String name = NAMES.get(r.nextInt(NAMES.size()));
    String out = yaml.replace("name: random", "name: " + name).replace("  os: debian12\n", "  os: " + os.os() + "\n  kernel: " + kernel + "\n");
    // Left out, each guest's image and user are its OS's own.
    out = out.replace("    disk: {baseImage: base.qcow2, size: 10 GiB}\n    guest: {user: rt, ", "    disk: {size: 10 GiB}\n    guest: {");
    if (r.nextInt(3) == 0) { // most real hosts have no CAT: no cat line, and nothing that asks for cache
      out = out.replaceAll("      cat: \\{[^}]*}\n", "").replaceAll("(?m)^  cache: .*\n", "").replaceAll("(?m)^    cache: .*\n", "");
    }
    return out;
  }

  static void deleteTree(Path p) throws IOException {
    try (var w = Files.walk(p)) {
      for (Path f : w.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(f);
      }
    }
  }
}
