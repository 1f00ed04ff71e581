package dev.rtc.emit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.Compiler;
import dev.rtc.Slow;
import dev.rtc.bundle.BundleWriter;
import dev.rtc.manifest.ManifestLoader;
import dev.rtc.manifest.diagnostics.Diagnostic;
import dev.rtc.manifest.diagnostics.ManifestException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every plan, not only the examples: generated hosts (RandomPlansTest's: SMT, hybrid, L2 clusters,
 * several nodes and sockets, whole devices), each given an OS and a kernel choice, CAT or none, CDP,
 * MBA, SR-IOV virtual functions with odd but valid MACs and VLANs, bridge and macvtap networks, and
 * odd but valid names. Every artifact of each bundle that compiles goes to its real consumer (until
 * N bundles; manifests refused for capacity are skipped): shellcheck and bash -n (runbook,
 * stressor), shellcheck -s sh and dash -n (GRUB drop-ins), virt-xml-validate and virsh define
 * --validate (domains), cloud-init schema (user-data), systemd-analyze verify (units), TuneD's
 * loader (profiles). {@link Consumers} says how the slow ones are batched without judging less.
 * A sample runs in the suite; {@code -Dsweep.manifests=2000 -Dsweep.seed=S} is the larger run.
 * Prints how many bundles, refusals, files and runbook shapes, and fails on any consumer's
 * refusal, with its seed and manifest.
 */
@Slow
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

  /** Valid unicast MACs at the edges: locally administered, all-but-broadcast, the lowest non-zero. */
  static final List<String> MACS = List.of("02:00:00:00:00:01", "52:54:00:ff:ff:fe", "fe:ff:ff:ff:ff:ff", "00:00:00:00:00:01", "3c:fd:fe:9e:7b:80",
      "0a:0b:0c:0d:0e:0f", "aa:aa:aa:aa:aa:aa", "f2:00:00:00:00:00");

  /** What a compiled manifest had, counted so a run says what it covered. */
  static final java.util.Map<String, java.util.function.Predicate<String>> FEATURES = java.util.Map.of(
      "no CAT", y -> !y.contains("cat: {"), "CDP", y -> y.contains("cdp: true"), "MBA", y -> y.contains("mba: {"),
      "L2", y -> y.contains("    l2:"), "hybrid", y -> y.contains("coreTypes:") || y.contains(", E]"),
      "whole device", y -> y.contains("{pci: "), "virtual function", y -> y.contains("{pf: "),
      "bridge and macvtap", y -> y.contains("{bridge: "), "SMT", y -> y.contains("threadsPerCore: 2"),
      "several nodes", y -> y.contains("{id: 1, cpus:") || y.contains("{id: 1, memory:"));

  @TempDir Path tmp;

  @Test
  void everyArtifactOfGeneratedPlansPassesItsRealConsumer() throws IOException {
    Random r = new Random(SEED);
    int compiled = 0;
    int refused = 0;
    java.util.Map<String, Integer> covered = new java.util.TreeMap<>();
    long started = System.nanoTime();
    try (Consumers consumers = new Consumers(tmp.resolve("batch"))) {
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
        FEATURES.forEach((feature, says) -> { if (says.test(yaml)) { covered.merge(feature, 1, Integer::sum); } });
        Path out = tmp.resolve("b" + i);
        BundleWriter.write(result.bundle(), out, false);
        consumers.judge("seed " + seed, yaml, out, result.bundle().files().keySet());
        deleteTree(out);
        if (compiled % 100 == 0) {
          System.out.printf("consumer sweep: %d bundles, %d refused, %d failures so far, %.0f s%n", compiled, refused,
              consumers.failures().size(), (System.nanoTime() - started) / 1e9);
        }
      }
      consumers.flush();
      double seconds = (System.nanoTime() - started) / 1e9;
      System.out.printf("consumer sweep (seed %d): %d bundles, %d manifests refused for capacity, %d files to their consumers, "
          + "%d runbook shapes checked whole, %d failures, %.1f s%n", SEED, compiled, refused, consumers.files(), consumers.shapes(),
          consumers.failures().size(), seconds);
      System.out.println("bundles with: " + covered);
      List<String> failures = consumers.failures();
      assertThat(failures).as(String.join("\n\n", failures.subList(0, Math.min(3, failures.size())))).isEmpty();
    }
    assertThat(compiled).as("bundles the sweep made").isEqualTo(MANIFESTS);
  }

  /**
   * The runbook's check by parts finds what shellcheck finds on the whole file: the two faults that
   * reached users (an unquoted name that reads as arithmetic; a variable the library reads that
   * the header of a plan without CAT never set, played here by one the header leaves out) each fail
   * it, as each failed the whole-file check.
   */
  @Test
  void theRunbookCheckByPartsFindsTheFaultsAWholeFileCheckFinds() throws IOException {
    Compiler.Result result = new Compiler().compile(ManifestLoader.read(Path.of("examples/eci-reference.yaml")));
    String runbook = result.bundle().files().get("runbook.sh").text();
    String steps = result.bundle().files().get(Emitters.RUNBOOK_STEPS).text();
    Path dir = Files.createDirectories(tmp.resolve("parts"));
    Files.writeString(dir.resolve("runbook.sh"), runbook);
    assertThat(Consumers.LIBRARY_NAMES).as("the library's variables, not words of its comments and strings")
        .contains("\nrt=1\n", "\nSTATE=1\n", "\nleast=1\n").doesNotContain("\nrtc=1\n", "\nthe=1\n");
    try (Consumers consumers = new Consumers(tmp.resolve("batch"))) {
      Tool.Run example = consumers.runbook(dir, runbook, steps);
      assertThat(example.exit()).as(example.all()).isZero();
      Tool.Run unquoted = consumers.runbook(dir, runbook.replace("BUNDLE=eci-reference\n", "BUNDLE=rt-1\n"), steps);
      assertThat(unquoted.exit()).isNotZero();
      assertThat(unquoted.all()).contains("SC2100");
      Tool.Run unset = consumers.runbook(dir, runbook.replaceFirst("(?m)^HOST_KERNEL_RT=.*\n", ""), steps);
      assertThat(unset.exit()).isNotZero();
      assertThat(unset.all()).contains("SC2153");
      assertThat(consumers.shapes()).as("the unset variable made a shape of its own").isEqualTo(2);
    }
  }

  /** The generated manifest, given an OS and kernel, a name, maybe no CAT, CDP, MBA, virtual functions and other networks. */
  static String vary(String yaml, Random r, int i) {
    OsKernels os = OSES.get(i % OSES.size());
    String kernel = os.kernels().get(r.nextInt(os.kernels().size()));
    String name = NAMES.get(r.nextInt(NAMES.size()));
    String out = yaml.replace("name: random", "name: " + name).replace("  os: debian12\n", "  os: " + os.os() + "\n  kernel: " + kernel + "\n");
    if (os.os().equals("debian11") || os.os().equals("ubuntu2204")) {
      out = out.replace("  power: balanced\n", ""); // their TuneD (2.15) has no per-CPU limit: RTC048, a refusal the sweep does not mean
    }
    // Left out, each guest's image and user are its OS's own.
    out = out.replace("    disk: {baseImage: base.qcow2, size: 10 GiB}\n    guest: {user: rt, ", "    disk: {size: 10 GiB}\n    guest: {");
    if (r.nextInt(3) == 0) { // most real hosts have no CAT: no cat line, and nothing that asks for cache
      out = out.replaceAll("      cat: \\{[^}]*}\n", "").replaceAll("(?m)^  cache: .*\n", "").replaceAll("(?m)^    cache: .*\n", "");
    } else if (r.nextInt(4) == 0) { // code/data prioritization: half the groups, CODE and DATA masks
      out = out.replaceAll("(      cat: \\{[^}]*)}\n", "$1, cdp: true}\n");
    }
    if (r.nextInt(3) == 0) { // memory bandwidth allocation, and a real-time VM's share of it
      out = out.replaceAll("(?m)^(  housekeeping: )", "    mba: {granularity: 10, min: 10}\n$1")
          .replaceAll("(    role: realtime\n)", "$1    memoryBandwidth: " + (10 + 10 * r.nextInt(10)) + "\n");
    }
    if (r.nextBoolean()) { // whole NICs become SR-IOV physical functions, and each VM gets a virtual function of its own
      int first = r.nextInt(MACS.size());
      for (int n = 0; n < 8; n++) {
        String nic = String.format("0000:%02x:00.0", 0x10 + n);
        String mac = MACS.get((first + n) % MACS.size()); // each VF its own: rtc refuses a MAC given twice (RTC049)
        out = out.replaceFirst("(    - \\{address: \"" + nic + "\", id: \")8086:125b(\", node: \\d+, iommuGroup: \\d+)}",
            "$18086:1521$2, driver: igb, interface: ens" + n + "f0, sriov: {totalVfs: 7, offset: 128, stride: 4}}");
        out = out.replace("      - {pci: \"" + nic + "\"}", "      - {pf: ens" + n + "f0, vf: " + r.nextInt(7) + ", mac: \"" + mac + "\""
            + (r.nextBoolean() ? ", vlan: " + (1 + r.nextInt(4094)) : "") + "}");
      }
    }
    if (r.nextInt(4) == 0) { // a stressor on other networks than libvirt's default
      out = out.replaceFirst("(    workload: stress-ng\n)", "$1    networks:\n      - {bridge: br-plant0}\n      - {macvtap: eno2}\n      - {network: default}\n");
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
