package dev.rtc.emit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.Compiler;
import dev.rtc.Slow;
import dev.rtc.bundle.BundleWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rtc.fleet collection, run by Debian's ansible-core against a fleet of three hosts compiled
 * by rtc: two fake host roots through a local connection, and one over real SSH to an sshd this
 * test starts on the loopback address. Reboots are fakes that make a fake host look booted into
 * its plan (the reboot module over SSH, the role's local command otherwise); nothing reboots this
 * machine. In order: the playbooks pass a syntax check and ansible-lint; a canary host that is not
 * its manifest's stops the rollout before any other host changes; check mode changes nothing;
 * the rollout applies every host; a second run changes nothing; verify passes; rollback restores
 * each host.
 */
@Slow
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AnsibleFleetTest {

  static final Path COLLECTIONS = Path.of("src/main/ansible").toAbsolutePath();
  static final Path FLEET = COLLECTIONS.resolve("ansible_collections/rtc/fleet");
  static final List<String> NAMES = List.of("alpha", "bravo", "charlie");
  static final Pattern RECAP = Pattern.compile("(?m)^(\\S+)\\s+: ok=(\\d+)\\s+changed=(\\d+)\\s+unreachable=(\\d+)\\s+failed=(\\d+)");

  @TempDir static Path tmp;
  static Map<String, FakeHost> hosts = new LinkedHashMap<>();
  static Path inventory;
  static Process sshd;

  @BeforeAll
  static void fleet() throws Exception {
    Tool.require("ansible-playbook");
    Tool.require("sshd");
    Tool.require("ssh-keygen");
    Path out = Files.createDirectories(tmp.resolve("out"));
    String reference = Files.readString(Path.of("examples/eci-reference.yaml"));
    inventory = Files.createDirectories(tmp.resolve("inventory"));
    Files.writeString(inventory.resolve("fleet.rtc.yml"), "plugin: rtc.fleet.bundles\npath: ../out\n");
    Files.createDirectories(inventory.resolve("host_vars"));
    int port = freePort();
    startSshd(port);
    for (String name : NAMES) {
      Path manifest = Files.createDirectories(tmp.resolve("hosts")).resolve(name + ".yaml");
      Files.writeString(manifest, reference.replace("name: eci-reference", "name: " + name));
      Compiler.Result r = new Compiler().compile(manifest);
      BundleWriter.write(r.bundle(), out.resolve(name), false);
      FakeHost h = FakeHost.of(tmp.resolve("root-" + name), r.plan());
      hosts.put(name, h);
      // What the host looks like after its reboot: the same host, booted into the plan, copied over it.
      Path booted = tmp.resolve("booted-" + name);
      FakeHost.of(booted, r.plan()).booted();
      Path reboot = tmp.resolve("reboot-" + name + ".sh");
      Files.writeString(reboot, "#!/bin/sh\nset -e\ncp -a '" + booted + "/proc' '" + booted + "/sys' '" + h.root + "/'\n"
          + "mkdir -p '" + h.root + "/fake/tuned'\ncp '" + booted + "/fake/tuned/active' '" + h.root + "/fake/tuned/active'\n"
          + "cat /proc/sys/kernel/random/uuid > '" + h.root + "/boot_id'\n" + started(h.root));
      Files.setPosixFilePermissions(reboot, PosixFilePermissions.fromString("rwxr-xr-x"));
      Files.writeString(h.root.resolve("boot_id"), "first\n");
      StringBuilder vars = new StringBuilder();
      vars.append("rtc_bundle_dest: ").append(h.root.resolve("opt/rtc/" + name)).append('\n');
      vars.append("rtc_steps: [check-host]\n");
      vars.append("rtc_evidence_dir: ").append(tmp.resolve("evidence")).append('\n');
      vars.append("ansible_python_interpreter: /usr/bin/python3\n");
      vars.append("rtc_runbook_env:\n");
      h.env().forEach((k, v) -> vars.append("  ").append(k).append(": '").append(v).append("'\n"));
      if (name.equals("charlie")) {
        // Over real SSH, to the sshd on the loopback address; the reboot module reboots with the fake.
        vars.append("ansible_host: 127.0.0.1\nansible_port: ").append(port).append('\n');
        vars.append("ansible_user: ").append(System.getProperty("user.name")).append('\n');
        vars.append("ansible_ssh_private_key_file: ").append(tmp.resolve("ssh/id")).append('\n');
        vars.append("rtc_reboot_command: ").append(reboot).append('\n');
        vars.append("rtc_boot_time_command: cat ").append(h.root.resolve("boot_id")).append('\n');
      } else {
        vars.append("ansible_connection: local\n");
        vars.append("rtc_local_reboot_command: ").append(reboot).append('\n');
      }
      Files.writeString(inventory.resolve("host_vars/" + name + ".yml"), vars.toString());
    }
  }

  /**
   * The whole rollout on one more host, delta, in a fleet of its own: every step of the role's
   * default rtc_steps (images, vms, wait, verify, stress, an asynchronous bench of 3 s, report), its
   * verdict GREAT from a real cyclictest histogram, and its evidence fetched. Its fake reboot brings
   * the host up with its VMs running, as libvirt and rtc-vms.service would.
   */
  @Test
  @Order(7)
  void theWholeRolloutRunsEveryStepBenchmarksAndFetchesTheEvidence() throws Exception {
    Path fleet = Files.createDirectories(tmp.resolve("full"));
    Path manifest = Files.createDirectories(fleet.resolve("hosts")).resolve("delta.yaml");
    Files.writeString(manifest, Files.readString(Path.of("examples/eci-reference.yaml")).replace("name: eci-reference", "name: delta"));
    Compiler.Result r = new Compiler().compile(manifest);
    BundleWriter.write(r.bundle(), fleet.resolve("out/delta"), false);
    FakeHost h = FakeHost.of(fleet.resolve("root"), r.plan());
    Path booted = fleet.resolve("booted");
    FakeHost up = FakeHost.of(booted, r.plan()).booted().vmsRunning();
    up.write("fake/virsh/domains/debian12-rt/cyclictest.txt", Files.readString(Path.of("src/test/resources/cyclictest/histogram-4threads-great.txt")));
    up.write("fake/virsh/domains/debian12-rt/bench-exit", "0\n");
    Path reboot = fleet.resolve("reboot.sh");
    Files.writeString(reboot, "#!/bin/sh\nset -e\ncp -a '" + booted + "/proc' '" + booted + "/sys' '" + h.root + "/'\n"
        + "mkdir -p '" + h.root + "/fake/tuned' '" + h.root + "/fake/virsh'\ncp '" + booted + "/fake/tuned/active' '" + h.root + "/fake/tuned/active'\n"
        + "cp -a '" + booted + "/fake/virsh/domains' '" + h.root + "/fake/virsh/'\n" + started(h.root));
    Files.setPosixFilePermissions(reboot, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path inv = Files.createDirectories(fleet.resolve("inventory"));
    Files.writeString(inv.resolve("fleet.rtc.yml"), "plugin: rtc.fleet.bundles\npath: ../out\n");
    StringBuilder vars = new StringBuilder("ansible_connection: local\nansible_python_interpreter: /usr/bin/python3\n");
    vars.append("rtc_bundle_dest: ").append(h.root.resolve("opt/rtc/delta")).append('\n');
    vars.append("rtc_evidence_dir: ").append(fleet.resolve("evidence")).append('\n');
    vars.append("rtc_local_reboot_command: ").append(reboot).append('\n');
    vars.append("rtc_bench_args: [--duration, 3s]\n");
    vars.append("rtc_runbook_env:\n");
    h.env().forEach((k, v) -> vars.append("  ").append(k).append(": '").append(v).append("'\n"));
    Files.createDirectories(inv.resolve("host_vars"));
    Files.writeString(inv.resolve("host_vars/delta.yml"), vars.toString());

    Tool.Run run = Tool.require("ansible-playbook").run(Duration.ofMinutes(10), tmp, env(), "-i", inv.resolve("fleet.rtc.yml").toString(),
        "rtc.fleet.apply");
    assertThat(run.exit()).as(run.all()).isZero();
    assertThat(run.out()).contains("Run the benchmark in the background, and wait for its verdict");
    String id = h.read("var/lib/rtc/delta/runs/current").trim();
    assertThat(h.read("var/lib/rtc/delta/runs/" + id + "/results/verdict.txt")).startsWith("RESULT: GREAT");
    assertThat(h.calls()).anyMatch(c -> c.startsWith("qemu-img create")).anyMatch(c -> c.startsWith("virsh define"));
    assertThat(listing(fleet.resolve("evidence/delta"))).contains("rtc-delta-" + id + ".tar.gz");
  }

  @AfterAll
  static void stopSshd() {
    if (sshd != null) {
      sshd.destroy();
    }
  }

  @Test
  @Order(1)
  void thePlaybooksPassTheirChecks() {
    for (String playbook : List.of("apply", "verify", "rollback", "report")) {
      Tool.Run r = ansible("--syntax-check", "rtc.fleet." + playbook);
      assertThat(r.exit()).as(playbook + ": " + r.all()).isZero();
    }
    Tool.Run lint = Tool.require("ansible-lint").run(Duration.ofMinutes(5), FLEET, env(), "--offline", "-p", "playbooks", "roles");
    assertThat(lint.exit()).as(lint.all()).isZero();
    Tool.Run inventoryList = Tool.require("ansible-inventory").run(Duration.ofMinutes(2), tmp, env(), "-i",
        inventory.resolve("fleet.rtc.yml").toString(), "--list");
    assertThat(inventoryList.exit()).as(inventoryList.all()).isZero();
    assertThat(inventoryList.out()).contains("\"rtc\"", "\"rtc_debian12\"", "\"rtc_kernel_eci\"", "\"rtc_cat\"", "\"alpha\"", "\"bravo\"", "\"charlie\"", "rtc_bundle_dir");
  }

  @Test
  @Order(2)
  void aCanaryThatIsNotItsManifestsHostStopsTheRolloutBeforeAnyOtherHostChanges() {
    FakeHost canary = hosts.get("alpha");
    canary.write("sys/devices/system/cpu/online", "0-15\n");
    Tool.Run r;
    try {
      r = ansible("rtc.fleet.apply");
    } finally {
      canary.write("sys/devices/system/cpu/online", "0-63\n");
    }
    assertThat(r.exit()).as(r.all()).isNotZero();
    assertThat(r.all()).contains("this host differs from the manifest", "online CPUs: planned 0-63, found 0-15");
    Map<String, int[]> recap = recap(r.out());
    assertThat(recap.get("alpha")[3]).as("the canary failed").isEqualTo(1);
    assertThat(recap).as("no other host was touched").doesNotContainKeys("bravo", "charlie");
    for (String other : List.of("bravo", "charlie")) {
      assertThat(hosts.get(other).calls()).as(other).isEmpty();
      assertThat(hosts.get(other).exists("opt/rtc/" + other)).as(other + ": its bundle was not even copied").isFalse();
      assertThat(hosts.get(other).exists("var/lib/rtc")).isFalse();
    }
    assertThat(canary.exists("var/lib/rtc")).as("the canary refused before its first change").isFalse();
  }

  @Test
  @Order(3)
  void checkModeChangesNothing() {
    Tool.Run r = ansible("--check", "rtc.fleet.apply");
    assertThat(r.exit()).as(r.all()).isZero();
    for (Map.Entry<String, FakeHost> e : hosts.entrySet()) {
      FakeHost h = e.getValue();
      assertThat(h.calls()).as(e.getKey()).allMatch(c -> RunbookTest.READS.stream().anyMatch(c::startsWith));
      assertThat(h.exists("var/lib/rtc")).as(e.getKey() + ": " + listing(h.root.resolve("var/lib/rtc")) + "\n" + r.out()).isFalse();
      if (!e.getKey().equals("alpha")) { // the canary's bundle was copied before its preflight refused
        assertThat(h.exists("opt/rtc/" + e.getKey())).as(e.getKey()).isFalse();
      }
    }
    assertThat(recap(r.out()).get("bravo")[1]).as("it says what would change").isPositive();
  }

  @Test
  @Order(4)
  void theRolloutAppliesEveryHostRebootsItAndASecondRunChangesNothing() {
    Tool.Run r = ansible("rtc.fleet.apply");
    assertThat(r.exit()).as(r.all()).isZero();
    Map<String, int[]> recap = recap(r.out());
    for (String name : NAMES) {
      FakeHost h = hosts.get(name);
      assertThat(recap.get(name)[1]).as(name + " changed\n" + r.out()).isPositive();
      assertThat(h.calls()).as(name).contains("update-grub", "tuned-adm profile rtc-" + name);
      assertThat(h.exists("etc/default/grub.d/99-rtc.cfg")).isTrue();
      assertThat(h.read("boot_id")).as(name + " rebooted").isNotEqualTo("first\n");
      // check-host ran after the reboot, and passed (the module fails the play on a failed check).
      assertThat(recap.get(name)[3]).as(name + " failed nothing").isZero();
    }
    Tool.Run again = ansible("rtc.fleet.apply");
    assertThat(again.exit()).as(again.all()).isZero();
    recap(again.out()).forEach((host, n) -> assertThat(n[1]).as(host + ": a second run changes nothing\n" + again.out()).isZero());
    Tool.Run verify = ansible("rtc.fleet.verify");
    assertThat(verify.exit()).as(verify.all()).isZero();
  }

  @Test
  @Order(5)
  void theReportPlaybookFetchesEachHostsEvidence() throws IOException {
    Tool.Run r = ansible("rtc.fleet.report");
    assertThat(r.exit()).as(r.all()).isZero();
    for (String name : NAMES) {
      Path fetched = tmp.resolve("evidence").resolve(name);
      assertThat(listing(fetched)).as(name + "\n" + r.out()).containsPattern("rtc-" + name + "-host-[0-9TZ]+\\.tar\\.gz");
      try (var files = Files.list(fetched)) {
        Path tarball = files.findFirst().orElseThrow();
        Tool.Run list = Tool.require("tar").run(tmp, Map.of(), "tzf", tarball.toString());
        assertThat(list.out()).as("the evidence, with its checksums").contains("/SHA256SUMS", "/results/host/cmdline.txt", "/plan.json");
      }
    }
  }

  @Test
  @Order(6)
  void rollbackThroughThePlaybookRestoresEachHost() {
    Tool.Run r = ansible("rtc.fleet.rollback");
    assertThat(r.exit()).as(r.all()).isZero();
    for (String name : NAMES) {
      FakeHost h = hosts.get(name);
      assertThat(h.exists("etc/default/grub.d/99-rtc.cfg")).as(name + ": rtc's drop-in is gone").isFalse();
      assertThat(h.exists("etc/tuned/rtc-" + name + "/tuned.conf")).isFalse();
      assertThat(h.calls()).as(name).contains("tuned-adm profile balanced");
      assertThat(h.read("var/lib/rtc/" + name + "/runbook.log")).contains("rollback: done");
    }
  }

  // ---- running Ansible ----------------------------------------------------------------------

  static Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    env.put("ANSIBLE_COLLECTIONS_PATH", COLLECTIONS.toString());
    env.put("ANSIBLE_HOST_KEY_CHECKING", "False");
    env.put("ANSIBLE_NOCOLOR", "1");
    env.put("ANSIBLE_FORCE_COLOR", "0");
    env.put("ANSIBLE_RETRY_FILES_ENABLED", "False");
    env.put("ANSIBLE_LOCAL_TEMP", tmp.resolve("ansible-local").toString());
    env.put("ANSIBLE_REMOTE_TEMP", tmp.resolve("ansible-remote").toString());
    env.put("ANSIBLE_HOME", tmp.resolve("ansible-home").toString());
    env.put("ANSIBLE_SSH_ARGS", "-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o IdentitiesOnly=yes");
    env.put("HOME", tmp.toString());
    // Where the async bench's job status is kept: one place for the wrapper and async_status alike
    // (with HOME moved here for the test, ~/.ansible_async would not be).
    env.put("ANSIBLE_ASYNC_DIR", tmp.resolve("ansible-async").toString());
    return env;
  }

  static Tool.Run ansible(String... args) {
    List<String> all = new ArrayList<>(List.of("-i", inventory.resolve("fleet.rtc.yml").toString()));
    all.addAll(List.of(args));
    return Tool.require("ansible-playbook").run(Duration.ofMinutes(10), tmp, env(), all.toArray(String[]::new));
  }

  /** PLAY RECAP, per host: ok, changed, unreachable, failed (index 0 to 3), summed over the plays. */
  static Map<String, int[]> recap(String out) {
    Map<String, int[]> hosts = new LinkedHashMap<>();
    Matcher m = RECAP.matcher(out);
    while (m.find()) {
      int[] n = hosts.computeIfAbsent(m.group(1), k -> new int[4]);
      for (int i = 0; i < 4; i++) {
        n[i] += Integer.parseInt(m.group(i + 2));
      }
    }
    assertThat(hosts).as("PLAY RECAP in:\n" + out).isNotEmpty();
    return hosts;
  }

  static String listing(Path dir) {
    try (var s = Files.walk(dir)) {
      return s.map(Path::toString).collect(java.util.stream.Collectors.joining("\n"));
    } catch (IOException e) {
      return "(none)";
    }
  }

  static int freePort() throws IOException {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** An sshd on 127.0.0.1 that lets this user in with a key made here, and nothing else. */
  static void startSshd(int port) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("ssh"));
    Tool keygen = Tool.require("ssh-keygen");
    assertThat(keygen.run(dir, "-q", "-t", "ed25519", "-N", "", "-f", dir.resolve("host").toString()).exit()).isZero();
    assertThat(keygen.run(dir, "-q", "-t", "ed25519", "-N", "", "-f", dir.resolve("id").toString()).exit()).isZero();
    Files.copy(dir.resolve("id.pub"), dir.resolve("authorized_keys"));
    Files.createDirectories(Path.of("/run/sshd"));
    Files.writeString(dir.resolve("sshd_config"), "ListenAddress 127.0.0.1\nPort " + port + "\nHostKey " + dir.resolve("host")
        + "\nAuthorizedKeysFile " + dir.resolve("authorized_keys") + "\nPidFile " + dir.resolve("sshd.pid")
        + "\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nPermitRootLogin prohibit-password\n"
        + "Subsystem sftp internal-sftp\n");
    sshd = new ProcessBuilder("/usr/sbin/sshd", "-D", "-e", "-f", dir.resolve("sshd_config").toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("sshd.log").toFile()).start();
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      try (java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
        return;
      } catch (IOException notYet) {
        Thread.sleep(100);
      }
    }
    throw new AssertionError("sshd did not start: " + Files.readString(dir.resolve("sshd.log")));
  }

  /** The fake reboot's last lines: systemd starts at boot what is enabled (rtc-metrics.timer among them). */
  static String started(Path root) {
    return "for f in '" + root + "'/fake/systemctl/*.enabled; do\n  [ -e \"$f\" ] || continue\n"
        + "  if grep -qx enabled \"$f\"; then echo active >\"${f%.enabled}.active\"; fi\ndone\n";
  }
}
