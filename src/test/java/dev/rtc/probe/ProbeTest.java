package dev.rtc.probe;

import dev.rtc.Slow;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.Compiler;
import dev.rtc.cli.Main;
import dev.rtc.manifest.Topology.CoreType;
import dev.rtc.manifest.Topology;
import dev.rtc.manifest.ManifestLoader;
import dev.rtc.plan.Plan;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rtc probe} on recorded hosts: the block it writes must bind to exactly the host the facts
 * describe, and plan the same as the hand-written example of that host.
 */
@Slow
class ProbeTest {

  static final Path FACTS = Path.of("src/test/resources/probe");
  static final String HASH = "$6$banana123$wQ1IqKwmt6fbNfzB31o0JC1PTG/TdbxTMkB5gx0RyzujPINAifkV1shcE7HW7d.jnVTs5QyuFZBid8NmYf2oq.";

  static String probe(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(prepend("probe", args), new PrintWriter(out), new PrintWriter(err));
    assertThat(code).as(err.toString()).isZero();
    assertThat(err.toString()).isEmpty();
    return out.toString();
  }

  /** What rtc probe says when it refuses the input (exit 2). */
  static String probeFails(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(prepend("probe", args), new PrintWriter(out), new PrintWriter(err));
    assertThat(code).as(out.toString()).isEqualTo(2);
    assertThat(out.toString()).isEmpty();
    return err.toString();
  }

  static String[] prepend(String first, String[] rest) {
    String[] all = new String[rest.length + 1];
    all[0] = first;
    System.arraycopy(rest, 0, all, 1, rest.length);
    return all;
  }

  /** The example manifest with its topology block replaced by {@code block} (indented for host:). */
  static String withTopology(String example, String block) throws IOException {
    String text = Files.readString(Path.of("examples/" + example + ".yaml"));
    Matcher m = Pattern.compile("(?ms)^  topology:[^\n]*\n(?:    .*?\n)+(?=  \\S)").matcher(text);
    assertThat(m.find()).isTrue();
    return text.substring(0, m.start()) + block + text.substring(m.end());
  }

  static Plan plan(String text) {
    return new Compiler().validate(new ManifestLoader.Source("m.yaml", text.getBytes(StandardCharsets.UTF_8))).plan();
  }

  /** What the solver decided, without the manifest's own bytes: pins, emulator sets, masks, kernel arguments. */
  static String decided(Plan p) {
    StringBuilder sb = new StringBuilder(p.host().cmdline().toString()).append('\n');
    p.vms().forEach(v -> sb.append(v.name()).append(' ').append(v.vcpuPins()).append(' ').append(v.emulatorCpus()).append(' ')
        .append(v.resctrl()).append('\n'));
    p.cache().ifPresent(c -> sb.append(c.hostMasks()).append(c.owners()));
    return sb.toString();
  }

  @Test
  void xeonFactsGiveTheCompactFormAndTheExamplesPlan() throws IOException {
    String block = probe(FACTS.resolve("xeon-2s-smt.facts").toString());
    assertThat(block).contains("    threadsPerCore: 2\n    siblings: {offset: 32}\n")
        .contains("      - {id: 1, cpus: \"16-31,48-63\", memory: 95132 MiB}\n")
        .contains("      cat: {cbmMask: \"7ff\", minCbmBits: 1, closids: 16}\n")
        .contains("    mba: {granularity: 10, min: 10, closids: 8}\n")
        .doesNotContain("cpus:\n");
    Plan probed = plan(withTopology("xeon-smt", block));
    Plan written = plan(Files.readString(Path.of("examples/xeon-smt.yaml")));
    assertThat(decided(probed)).isEqualTo(decided(written));

    // The table form of the same host binds to the same topology and the same plan.
    String table = probe("--table", FACTS.resolve("xeon-2s-smt.facts").toString());
    assertThat(table).contains("      - [0, 0, 0, 0, 0, 0, P]\n      - [1, 1, 0, 0, 1, 0, P]\n")
        .contains("      - [32, 0, 0, 0, 0, 0, P]\n").doesNotContain("siblings");
    Plan fromTable = plan(withTopology("xeon-smt", table));
    assertThat(decided(fromTable)).isEqualTo(decided(written));
    Topology a = probed.manifest().host().topology();
    Topology b = fromTable.manifest().host().topology();
    assertThat(b.siblings()).isEqualTo(a.siblings()).hasSize(64).containsEntry(5, 37).containsEntry(37, 5);
    assertThat(b.sockets()).isEqualTo(a.sockets());
    assertThat(b.l3().orElseThrow().instances()).isEqualTo(a.l3().orElseThrow().instances());
  }

  /**
   * The guide's host numbers its CPUs across the sockets (socket 0 has the even ones), as many
   * 2-socket BIOSes do: probe says each set in the kernel's stride form, and the probed topology
   * plans exactly what the hand-written example (the guide's own choices) plans.
   */
  @Test
  void interleavedNumberingGivesTheStrideFormAndTheGuidesPlan() throws IOException {
    String block = probe(FACTS.resolve("xeon-2s-interleaved.facts").toString());
    assertThat(block).contains("      - {id: 0, cpus: \"0-62:2\"}\n      - {id: 1, cpus: \"1-63:2\"}\n")
        .contains("      - {id: 1, cpus: \"1-63:2\", memory: 257736 MiB}\n")
        .contains("        - {id: 0, cpus: \"0-62:2\"}\n")
        .contains("      cat: {cbmMask: \"7fff\", minCbmBits: 1, closids: 16}\n")
        .doesNotContain("0,2,4").doesNotContain("cpus:\n");
    Plan probed = plan(withTopology("eci-reference", block));
    Plan written = plan(Files.readString(Path.of("examples/eci-reference.yaml")));
    assertThat(decided(probed)).isEqualTo(decided(written));
    assertThat(probed.vms().get(0).vcpuPins()).as("the guide's own pins").containsExactly(4, 6, 8, 10, 12, 14, 16, 18);
  }

  @Test
  void hybridFactsGiveTheTableWithCoreTypesAndNoL3ForLowPowerCores() throws IOException {
    String block = probe(FACTS.resolve("core-ultra-hybrid.facts").toString());
    assertThat(block).contains("22 CPUs (12 P, 8 E, 2 LP-E), SMT on").contains("      - [20, 20, 0, 0, 16, null, LP-E]\n")
        .doesNotContain("threadsPerCore");
    String manifest = "apiVersion: rtc/v1\nname: hybrid\nhost:\n  os: debian12\n" + block
        + "  housekeeping: \"0-1,20-21\"\nvms:\n  - name: rt\n    role: realtime\n    vcpus: 2\n    memory: 2 GiB\n"
        + "    disk: {baseImage: debian-12-generic-amd64.qcow2, size: 10 GiB}\n    guest: {user: debian, passwordHash: \"" + HASH + "\"}\n";
    Topology t = plan(manifest).manifest().host().topology();
    assertThat(t.hybrid()).isTrue();
    assertThat(t.cpusOfType(CoreType.P).toString()).isEqualTo("0-11");
    assertThat(t.cpusOfType(CoreType.E).toString()).isEqualTo("12-19");
    assertThat(t.cpusOfType(CoreType.LPE).toString()).isEqualTo("20,21");
    assertThat(t.siblings()).hasSize(12).containsEntry(0, 1).containsEntry(11, 10);
    assertThat(t.sibling(12)).isEqualTo(12);
    assertThat(t.l3().orElseThrow().instances()).singleElement().satisfies(i -> assertThat(i.cpus().toString()).isEqualTo("0-19"));
    assertThat(t.l2().orElseThrow().instances()).extracting(i -> i.id() + "=" + i.cpus())
        .containsExactly("0=0,1", "1=2,3", "2=4,5", "3=6,7", "4=8,9", "5=10,11", "8=12-15", "9=16-19", "16=20,21");
    assertThat(t.l3Of(20)).isEmpty();
  }

  /**
   * A Raptor Lake on a kernel without /sys/devices/cpu_atom: the core types come from L2 sharing
   * (an L2 per P-core, one per cluster of four E-cores), said in a note, and each type gets its own
   * L2 size. Typed all P, a VM placed from it mixed P- and E-cores; now none does.
   */
  @Test
  void coreTypesAreInferredFromL2SharingWhenTheKernelDoesNotSayThem() throws IOException {
    String block = probe(FACTS.resolve("raptor-lake-no-cpu-atom.facts").toString());
    assertThat(block).contains("24 CPUs (16 P, 8 E), SMT on")
        .contains("so they were inferred from L2 sharing: CPUs 0-15 have an L2 per core (P-cores), CPUs 16-23 share an L2 per "
            + "cluster of up to 4 cores (E-cores)")
        .contains("      - [15, 14, 0, 0, 7, 0, P]\n      - [16, 16, 0, 0, 8, 0, E]\n")
        .contains("    l2:\n      size: 2 MiB\n      coreTypes: {E: {size: 4 MiB}}")
        .doesNotContain("differ in size");
    String manifest = "apiVersion: rtc/v1\nname: raptor\nhost:\n  os: debian12\n" + block
        + "  housekeeping: \"0-1\"\nvms:\n" + vm("rt", "realtime", 6) + vm("load", "stressor", 12);
    Plan p = plan(manifest);
    Topology t = p.manifest().host().topology();
    assertThat(t.cpusOfType(CoreType.E).toString()).isEqualTo("16-23");
    assertThat(t.l2().orElseThrow().sizeOf(CoreType.E).exact()).isEqualTo("4 MiB");
    assertThat(t.l2().orElseThrow().sizeOf(CoreType.P).exact()).isEqualTo("2 MiB");
    for (var v : p.vms()) {
      assertThat(v.vcpuPins().stream().map(t::coreType).distinct()).as(v.name() + " " + v.vcpuPins()).hasSize(1);
    }
    // lscpu -p of the same host says no types either; the same inference, from its L2 column.
    StringBuilder table = new StringBuilder("# CPU,Core,Socket,Node,,L1d,L1i,L2,L3\n");
    t.allCpus().forEach(cpu -> table.append(cpu).append(',').append(cpu < 16 ? cpu / 2 : cpu - 8).append(",0,0,,").append(cpu)
        .append(',').append(cpu).append(',').append(cpu < 16 ? cpu / 2 : 8 + (cpu - 16) / 4).append(",0\n"));
    Path lscpu = Files.writeString(Files.createTempDirectory("rpl").resolve("rpl.lscpu"), table);
    assertThat(probe(lscpu.toString())).contains("lscpu -p does not say core types, so they were inferred from L2 sharing: CPUs 0-15")
        .contains("      - [16, 8, 0, 0, 8, 0, E]\n");
  }

  /** One kind of L2 alone (every Atom core in a module, every Xeon core on its own) is one core type: nothing inferred. */
  @Test
  void oneKindOfL2IsOneCoreType() {
    assertThat(probe(FACTS.resolve("atom-l2cat.facts").toString())).doesNotContain("inferred").doesNotContain(", E]");
    assertThat(probe(FACTS.resolve("xeon-2s-smt.facts").toString())).doesNotContain("inferred");
  }

  static String vm(String name, String role, int vcpus) {
    return "  - name: " + name + "\n    role: " + role + "\n    vcpus: " + vcpus + "\n    memory: 2 GiB\n"
        + "    disk: {baseImage: debian-12-generic-amd64.qcow2, size: 10 GiB}\n    guest: {user: debian, passwordHash: \"" + HASH + "\"}\n";
  }

  /** A host mounted with -o cdp shows L3CODE and L3DATA, each with half the CLOS. */
  @Test
  void cdpFactsGiveCdpAndTheHardwaresClos(@TempDir Path dir) throws IOException {
    String facts = Files.readString(FACTS.resolve("xeon-2s-smt.facts"));
    StringBuilder cdp = new StringBuilder();
    for (String line : facts.split("\n")) {
      if (line.startsWith("/sys/fs/resctrl/info/L3/")) {
        String l = line.replace("num_closids:16", "num_closids:8");
        cdp.append(l.replace("/info/L3/", "/info/L3CODE/")).append('\n').append(l.replace("/info/L3/", "/info/L3DATA/")).append('\n');
      } else {
        cdp.append(line).append('\n');
      }
    }
    Path f = dir.resolve("cdp.facts");
    Files.writeString(f, cdp.toString());
    assertThat(probe(f.toString())).contains("      cat: {cbmMask: \"7ff\", minCbmBits: 1, closids: 16, cdp: true}\n");
  }

  /** core_id repeats across the dies of one package on some parts: cores come from thread_siblings_list. */
  @Test
  void coresComeFromThreadSiblingsNotCoreId(@TempDir Path dir) throws IOException {
    String facts = Files.readString(FACTS.resolve("xeon-2s-smt.facts")).replaceAll("topology/core_id:\\d+", "topology/core_id:0");
    Path f = dir.resolve("dies.facts");
    Files.writeString(f, facts);
    assertThat(probe(f.toString())).contains("    threadsPerCore: 2\n    siblings: {offset: 32}\n");
  }

  /** Kernels before 4.11 have no cache/indexN/id: CPUs that share a cache get one id, numbered in CPU order, and a note says so. */
  @Test
  void cachesWithoutIdsAreNumberedAndSaidSo(@TempDir Path dir) throws IOException {
    String facts = Files.readString(FACTS.resolve("xeon-2s-smt.facts")).lines().filter(l -> !l.matches(".*/cache/index\\d+/id:.*"))
        .collect(java.util.stream.Collectors.joining("\n"));
    Path f = dir.resolve("old-kernel.facts");
    Files.writeString(f, facts + "\n");
    String block = probe(f.toString());
    assertThat(block).contains("this kernel shows no cache ids").contains("        - {id: 0, cpus: \"0-15,32-47\"}\n")
        .contains("        - {id: 1, cpus: \"16-31,48-63\"}\n");
  }

  @Test
  void atomFactsGiveL2InstancesAndL2Cat() {
    String block = probe(FACTS.resolve("atom-l2cat.facts").toString());
    assertThat(block).contains("    l2:\n      size: 4608 KiB\n      instances:\n        - {id: 0, cpus: \"0-3\"}\n"
        + "        - {id: 1, cpus: \"4-7\"}\n      cat: {cbmMask: \"3ffff\", minCbmBits: 1, closids: 8}\n").doesNotContain("l3:");
  }

  /** Lays a facts file out as files under {@code root}, as a copied /sys would be. */
  static void layOut(Path facts, Path root) throws IOException {
    Map<String, String> files = new java.util.TreeMap<>();
    for (String line : Files.readString(facts).split("\n")) {
      int c = HostFiles.separator(line);
      files.merge(line.substring(0, c), line.substring(c + 1), (x, y) -> x + "\n" + y);
    }
    for (var e : files.entrySet()) {
      Path p = root.resolve(e.getKey().substring(1));
      Files.createDirectories(p.getParent());
      if (e.getKey().matches(".*/(driver|iommu_group|physfn)")) {
        Files.createSymbolicLink(p, Path.of("../../somewhere/" + e.getValue())); // sysfs links; the facts keep their last part
      } else {
        Files.writeString(p, e.getValue() + "\n");
      }
    }
  }

  @Test
  void aRealRecordingAndARootDirectoryReadTheSame(@TempDir Path root) throws IOException {
    layOut(FACTS.resolve("kvm-epyc-2vcpu.facts"), root);
    String fromFacts = probe(FACTS.resolve("kvm-epyc-2vcpu.facts").toString());
    String fromRoot = probe(root.toString());
    assertThat(fromRoot.lines().skip(1).toList()).isEqualTo(fromFacts.lines().skip(1).toList());
    assertThat(fromFacts).contains("threadsPerCore: 1").contains("size: 32 MiB").contains("no /sys/fs/resctrl/info");
  }

  /** The runbook's facts step on a host (a fake root) records what probe needs: the same block as the original facts. */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"core-ultra-hybrid.facts", "xeon-devices.facts"})
  void theRunbooksFactsStepRecordsWhatProbeReads(String fixture, @TempDir Path dir) throws Exception {
    Path root = dir.resolve("root");
    layOut(FACTS.resolve(fixture), root);
    Path out = dir.resolve("out");
    assertThat(Main.run(new String[] {"compile", "examples/xeon-smt.yaml", "-o", out.toString()}, new PrintWriter(new StringWriter()),
        new PrintWriter(new StringWriter()))).isZero();
    dev.rtc.emit.Tool.Run facts = dev.rtc.emit.Tool.require("bash").run(out, Map.of("RTC_ROOT", root.toString()), "./runbook.sh", "facts");
    assertThat(facts.exit()).as(facts.all()).isZero();
    // The facts go to standard output (./runbook.sh facts > facts.txt): the step writes nothing on the host.
    Path recorded = Files.writeString(dir.resolve("facts.txt"), facts.out());
    assertThat(Files.exists(out.resolve("results"))).isFalse();
    assertThat(probe(recorded.toString()).lines().skip(1).toList())
        .isEqualTo(probe(FACTS.resolve(fixture).toString()).lines().skip(1).toList());
    // And a root directory reads the same as the facts: links and all.
    assertThat(probe(root.toString()).lines().skip(1).toList()).isEqualTo(probe(FACTS.resolve(fixture).toString()).lines().skip(1).toList());
  }

  /**
   * Network and SR-IOV devices become host.devices: address, ids, driver, node, IOMMU group,
   * interface and SR-IOV geometry; a VF, an NVMe disk and a bridge are left out. The example
   * xeon-devices carries exactly this block, and plans the same from the probed one.
   */
  @Test
  void pciDevicesBecomeHostDevicesAndTheExamplePlansTheSame() throws IOException {
    String block = probe(FACTS.resolve("xeon-devices.facts").toString());
    String example = Files.readString(Path.of("examples/xeon-devices.yaml"));
    List<String> rows = block.lines().filter(l -> l.startsWith("    - {address:")).toList();
    assertThat(rows).hasSize(5).allMatch(example::contains);
    assertThat(block).doesNotContain("0000:af:10.0").doesNotContain("0000:5e:00.0").doesNotContain("0000:00:1c.0")
        .contains("  devices:\n    - {address: \"0000:17:00.0\", id: \"8086:125b\", driver: igc, node: 0, iommuGroup: 30, interface: enp23s0}\n");
    String probed = withTopology("xeon-devices", block.replaceAll("(?m)^  devices:\n(    - .*\n)+", ""));
    assertThat(decided(plan(probed))).isEqualTo(decided(plan(example)));
  }

  /** lspci -Dnn -vmm -k gives host.devices alone, with what it cannot tell said; a record it cannot read is refused at its line. */
  @Test
  void lspciGivesTheDevicesAndSaysWhatItLacks(@TempDir Path dir) throws IOException {
    String lspci = """
        Slot:	0000:00:1c.0
        Class:	PCI bridge [0604]
        Vendor:	Intel Corporation [8086]
        Device:	PCH PCI Express Root Port [a33c]
        Driver:	pcieport
        NUMANode:	0
        IOMMUGroup:	8

        Slot:	0000:17:00.0
        Class:	Ethernet controller [0200]
        Vendor:	Intel Corporation [8086]
        Device:	Ethernet Controller I226-LM [125b]
        SVendor:	Intel Corporation [8086]
        SDevice:	Device [0000]
        Rev:	04
        Driver:	igc
        Module:	igc
        NUMANode:	0
        IOMMUGroup:	30

        Slot:	0000:af:00.0
        Class:	Ethernet controller [0200]
        Vendor:	Intel Corporation [8086]
        Device:	I350 Gigabit Network Connection [1521]
        Driver:	igb
        NUMANode:	1
        IOMMUGroup:	112
        """;
    Path f = Files.writeString(dir.resolve("lspci.txt"), lspci);
    assertThat(probe(f.toString())).contains("2 network devices")
        .contains("lspci gives no interface names and no SR-IOV geometry")
        .contains("  devices:\n    - {address: \"0000:17:00.0\", id: \"8086:125b\", driver: igc, node: 0, iommuGroup: 30}\n"
            + "    - {address: \"0000:af:00.0\", id: \"8086:1521\", driver: igb, node: 1, iommuGroup: 112}\n");
    // A slot that is no address, and a record without -nn's numeric ids: refused at the record's line, with the command to run.
    Path slot = Files.writeString(dir.resolve("slot.txt"), lspci.replace("Slot:\t0000:17:00.0", "Slot:\tethernet0"));
    assertThat(probeFails(slot.toString())).contains("slot.txt:9: a record without a PCI address in Slot ('ethernet0'); run lspci "
        + "with -D, as lspci -Dnn -vmm -k");
    Path names = Files.writeString(dir.resolve("names.txt"), lspci.replace(" [125b]", ""));
    assertThat(probeFails(names.toString())).contains("names.txt:9: 0000:17:00.0 has no numeric class, vendor or device ([8086])");
  }

  /**
   * The whole loop on recorded hosts: facts → rtc probe → the example manifest (whose topology is
   * probe's) → bundle → the runbook's preflight against the same host passes, and tells a host whose
   * P/E split differs apart.
   */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource({"core-ultra-hybrid.facts, hybrid-client, sys/devices/cpu_core/cpus, 0-9, P-core CPUs",
      "atom-l2cat.facts, atom-l2cat, sys/devices/system/cpu/cpu0/cache/index2/size, 2048K, L2 size per instance",
      "xeon-2s-interleaved.facts, eci-reference, sys/devices/system/node/node0/cpulist, 0-31, NUMA node 0 CPUs"})
  void preflightPassesOnTheProbedHost(String facts, String example, String breakFile, String breakWith, String row, @TempDir Path dir)
      throws Exception {
    dev.rtc.emit.Tool bash = dev.rtc.emit.Tool.require("bash");
    dev.rtc.emit.Tool.require("jq");
    Path out = dir.resolve("out");
    assertThat(Main.run(new String[] {"compile", "examples/" + example + ".yaml", "-o", out.toString()}, new PrintWriter(new StringWriter()),
        new PrintWriter(new StringWriter()))).isZero();
    // A fake host of the example's OS, images and commands, whose topology files are the recorded facts.
    Path root = dir.resolve("root");
    dev.rtc.emit.FakeHost host = dev.rtc.emit.FakeHost.of(root, new dev.rtc.Compiler().compile(Path.of("examples/" + example + ".yaml")).plan());
    layOut(FACTS.resolve(facts), root);
    Path cpu0 = root.resolve("sys/devices/system/cpu/cpu0/topology/thread_siblings_list");
    Files.writeString(cpu0, facts.startsWith("core-ultra") ? "0-1\n" : "0\n");
    Map<String, String> env = host.env();
    dev.rtc.emit.Tool.Run ok = bash.run(out, env, "./runbook.sh", "preflight");
    assertThat(ok.exit()).as(ok.out() + ok.err()).isZero();
    assertThat(ok.out()).contains("host matches the manifest").doesNotContain("MISMATCH");

    Files.writeString(root.resolve(breakFile), breakWith + "\n");
    dev.rtc.emit.Tool.Run bad = bash.run(out, env, "./runbook.sh", "preflight");
    assertThat(bad.exit()).isEqualTo(1);
    assertThat(bad.out()).containsPattern(java.util.regex.Pattern.quote(row) + " .*MISMATCH");
  }

  /** lscpu -p, as util-linux 2.38 prints it (recorded here) and as older ones do (cache ids joined by ':'). */
  @Test
  void lscpuOutputGivesCpusCoresNodesAndSaysWhatItLacks(@TempDir Path dir) throws IOException {
    String recorded = probe(FACTS.resolve("kvm-epyc-2vcpu.lscpu").toString());
    assertThat(recorded).contains("threadsPerCore: 1").contains("- {id: 0, cpus: \"0,1\"}").contains("lscpu -p gives no cache sizes")
        .doesNotContain("l3:");
    // An SMT host in the old format: CPU n and n+4 share a core, two nodes, L3 per socket.
    StringBuilder old = new StringBuilder("# The following is the parsable format, which can be fed to other\n"
        + "# programs. Each different item in every column has an unique ID\n# starting from zero.\n# CPU,Core,Socket,Node,,L1d:L1i:L2:L3\n");
    for (int cpu = 0; cpu < 8; cpu++) {
      int core = cpu % 4;
      int socket = core / 2;
      old.append(cpu).append(',').append(core).append(',').append(socket).append(',').append(socket).append(",,")
          .append(core).append(':').append(core).append(':').append(core).append(':').append(socket).append('\n');
    }
    Path f = dir.resolve("lscpu-old.txt");
    Files.writeString(f, old.toString());
    assertThat(probe(f.toString())).contains("    threadsPerCore: 2\n    siblings: {offset: 4}\n")
        .contains("      - {id: 1, cpus: \"2,3,6,7\"}\n");
    assertThat(probe("--table", f.toString())).contains("      - [6, 2, 1, 1, 2, 1, P]\n");
  }

  /** The topology lines of a probed block: no comments, and without what only the facts file knows (memory, CAT, MBA). */
  static String sharedLines(String block) {
    return block.lines().filter(l -> !l.strip().startsWith("#") && !l.contains("cat: {") && !l.contains("mba: {"))
        .map(l -> l.replaceAll(", memory: [^}]+", "")).collect(java.util.stream.Collectors.joining("\n"));
  }

  /** lscpu's JSON, recorded on this machine and generated for the Xeon: the same topology as the facts give, and a note for what lscpu lacks. */
  @Test
  void lscpuJsonGivesTheSameTopologyAsTheFacts() {
    for (String host : List.of("kvm-epyc-2vcpu", "xeon-2s-smt")) {
      String fromJson = probe(FACTS.resolve(host + ".lscpu.json").toString());
      String fromFacts = probe(FACTS.resolve(host + ".facts").toString());
      assertThat(sharedLines(fromJson)).as(host).isEqualTo(sharedLines(fromFacts)).contains("l3:\n      size: ");
      assertThat(fromJson).contains("lscpu gives no node memory and no core types");
      assertThat(probe("--table", FACTS.resolve(host + ".lscpu.json").toString())).contains("      - [1, 1, 0, 0, 1, 0, P]\n");
    }
    assertThat(probe(FACTS.resolve("kvm-epyc-2vcpu.lscpu.json").toString())).contains("this host has no Cache Allocation Technology");
    assertThat(probe(FACTS.resolve("xeon-2s-smt.lscpu.json").toString())).contains("the CPU has cat_l3, cdp_l3, mba, but lscpu does not give CAT's parameters")
        .doesNotContain("      cat: {");
  }

  /**
   * Older and newer lscpu: numbers as strings, the summary nested under "children" (util-linux
   * 2.39 and later), no node column (nodes from the summary), no cache list (sizes from the
   * summary, rounded and said so), an offline CPU.
   */
  @Test
  void lscpuJsonFromOtherVersionsFillsGapsFromTheSummary(@TempDir Path dir) throws IOException {
    StringBuilder json = new StringBuilder("{\"cpus\": [");
    for (int cpu = 0; cpu < 8; cpu++) {
      int core = cpu % 4;
      json.append(cpu == 0 ? "" : ",").append("{\"cpu\": \"").append(cpu).append("\", \"core\": \"").append(core).append("\", \"socket\": \"")
          .append(core / 2).append("\", \"l1d:l1i:l2:l3\": \"").append(core).append(':').append(core).append(':').append(core).append(':')
          .append(core / 2).append("\", \"online\": \"").append(cpu == 7 ? "no" : "yes").append("\"}");
    }
    json.append("]}\n{\"lscpu\": [{\"field\": \"Architecture:\", \"data\": \"x86_64\", \"children\": [{\"field\": \"Flags:\", \"data\": \"fpu sse\"}]},")
        .append("{\"field\": \"Caches (sum of all):\", \"data\": null, \"children\": [{\"field\": \"L3 cache:\", \"data\": \"2.5 MiB (2 instances)\"}]},")
        .append("{\"field\": \"NUMA:\", \"data\": null, \"children\": [{\"field\": \"NUMA node0 CPU(s):\", \"data\": \"0,1,4,5\"},")
        .append("{\"field\": \"NUMA node1 CPU(s):\", \"data\": \"2,3,6,7\"}]}]}\n");
    Path f = dir.resolve("lscpu.json");
    Files.writeString(f, json.toString());
    assertThat(probe(f.toString())).contains("CPUs 7 are offline and left out")
        .contains("the L3 size is lscpu's total over 2 instances ('2.5 MiB (2 instances)'), which it rounds")
        .contains("lscpu printed a cache size with a fraction").contains("this host has no Cache Allocation Technology")
        .contains("      - [6, 2, 1, 1, 2, 1, P]\n").doesNotContain("- [7,").contains("size: 1280 KiB");
  }

  /**
   * Malformed lscpu -p, as it arrives by mail: a row cut short, two hosts' outputs pasted into one
   * file, one pasted twice. Each is refused at its line, never read as nulls or as more CPUs; a
   * summary pasted before the table is left out, and said.
   */
  @Test
  void malformedLscpuTablesAreRefusedAtTheirLine(@TempDir Path dir) throws IOException {
    String recorded = Files.readString(FACTS.resolve("kvm-epyc-2vcpu.lscpu"));
    Map<String, String> bad = Map.of(
        "truncated", recorded.replace("1,1,0,0,,1,1,1,0", "1,1,0,0,,1"),
        "two-blocks", recorded + recorded.replace("1,1,0,0,,1,1,1,0\n", "1,1,0,0,,1,1,1,0\n2,2,0,0,,2,2,2,0\n"),
        "rows-twice", recorded + "0,0,0,0,,0,0,0,0\n1,1,0,0,,1,1,1,0\n");
    Map<String, String> said = Map.of(
        "truncated", ":6: '1,1,0,0,,1' has 6 of the header's 9 columns (CPU,Core,Socket,Node,,L1d,L1i,L2,L3): cut short",
        "two-blocks", ":10: a second '# CPU,...' header (the first is on line 4): two lscpu -p outputs pasted",
        "rows-twice", ":7: CPU 0 again (first on line 5)");
    for (var e : bad.entrySet()) {
      Path f = dir.resolve(e.getKey() + ".lscpu");
      Files.writeString(f, e.getValue());
      StringWriter err = new StringWriter();
      int code = Main.run(new String[] {"probe", f.toString()}, new PrintWriter(new StringWriter()), new PrintWriter(err));
      assertThat(code).as(e.getKey()).isEqualTo(Main.USAGE);
      assertThat(err.toString()).as(e.getKey()).contains(f + said.get(e.getKey())).doesNotContain("Exception");
    }
    Path summary = dir.resolve("summary-first.lscpu");
    Files.writeString(summary, "Architecture:            x86_64\nCPU(s):                  2\n" + recorded);
    assertThat(probe(summary.toString())).contains("- {id: 0, cpus: \"0,1\"}")
        .contains("2 lines before lscpu -p's header (line 6) are not part of its table and were left out");
  }

  @Test
  void lscpuJsonWithoutTheCpuTableIsRefusedWithTheCommandsToRun(@TempDir Path dir) throws IOException {
    Path summaryOnly = dir.resolve("summary.json");
    Files.writeString(summaryOnly, "{\"lscpu\": [{\"field\": \"CPU(s):\", \"data\": \"2\"}]}\n");
    Path broken = dir.resolve("broken.json");
    Files.writeString(broken, "{\"cpus\": [{\"cpu\": 0,\n");
    for (Path f : List.of(summaryOnly, broken)) {
      StringWriter err = new StringWriter();
      int code = Main.run(new String[] {"probe", f.toString()}, new PrintWriter(new StringWriter()), new PrintWriter(err));
      assertThat(code).as(f.toString()).isEqualTo(Main.USAGE);
      assertThat(err.toString()).contains(f.toString()).contains(Probe.LSCPU_COMMAND).doesNotContain("Exception").doesNotContain("\tat ");
    }
  }

  @Test
  void factsWithoutTheCpuListAreRefusedWithTheCommandToCollectThem(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("facts.txt");
    Files.writeString(f, "grep: /sys/fs/resctrl/info: No such file or directory\n");
    StringWriter err = new StringWriter();
    int code = Main.run(new String[] {"probe", f.toString()}, new PrintWriter(new StringWriter()), new PrintWriter(err));
    assertThat(code).isEqualTo(Main.USAGE);
    assertThat(err.toString()).contains("/sys/devices/system/cpu/online is missing").contains("grep -rH .").doesNotContain("Exception");
  }

  @Test
  void siblingRulesAreFoundOnlyWhenEveryCoreFollowsOne() {
    assertThat(TopologyYaml.siblingOffset(List.of(List.of(0, 1), List.of(2, 3)))).hasValue(0);
    assertThat(TopologyYaml.siblingOffset(List.of(List.of(0, 4), List.of(1, 5)))).hasValue(4);
    assertThat(TopologyYaml.siblingOffset(List.of(List.of(0, 1), List.of(2, 6)))).isEmpty();
    assertThat(TopologyYaml.siblingOffset(List.of(List.of(0, 1), List.of(2)))).isEmpty();
    assertThat(TopologyYaml.siblingOffset(List.of(List.of(1, 2), List.of(3, 4)))).isEmpty(); // odd-even pairs: neither rule
  }
}
