package dev.rtc.emit;

import dev.rtc.Slow;
import dev.rtc.bundle.BundleWriter;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.Compiler;
import dev.rtc.plan.Plan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runbook refuses before it changes anything, a dry run runs nothing (the guest step too), a
 * rerun changes nothing already as planned, rollback switches off what rtc installed and keeps its
 * undo list until each item is undone, and no secret outlives a failed step. Each test runs the
 * real runbook (bash) against a fake host.
 */
@Slow
class RunbookHardeningTest {

  /** Commands that only read: a refused step, a dry run and a rerun that changes nothing may run them. */
  static final List<String> READS = RunbookTest.READS;

  @TempDir static Path tmp;
  static Map<String, Bundled> bundles = new java.util.HashMap<>();

  record Bundled(Path dir, Plan plan) {}

  @BeforeAll
  static void compile() throws IOException {
    for (String example : List.of("eci-reference", "rhel9-reference", "hybrid-client")) {
      Compiler.Result r = new Compiler().compile(Path.of("examples", example + ".yaml"));
      Path dir = tmp.resolve("bundle-" + example);
      BundleWriter.write(r.bundle(), dir, false);
      bundles.put(example, new Bundled(dir, r.plan()));
    }
    // The reference host with 1 GiB hugepages for its real-time VM: Debian 12's kernel takes them per node on the command line.
    String text = Files.readString(Path.of("examples/eci-reference.yaml"))
        .replace("    cache: 8 MiB                  # exclusive", "    hugepages: 1G\n    cache: 8 MiB                  # exclusive");
    Compiler.Result r = new Compiler().compile(new dev.rtc.manifest.ManifestLoader.Source("eci-hugepages.yaml",
        text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    Path dir = tmp.resolve("bundle-eci-hugepages");
    BundleWriter.write(r.bundle(), dir, false);
    bundles.put("eci-hugepages", new Bundled(dir, r.plan()));
  }

  /** The manifest's host before rtc; a RHEL host as kernel-rt's package leaves /boot (grubby sets the default from it). */
  private static FakeHost host(String example, String name) {
    FakeHost h = FakeHost.of(tmp.resolve("host-" + name), bundles.get(example).plan());
    if (example.startsWith("rhel")) {
      String stock = "/boot/vmlinuz-5.14.0-427.13.1.el9_4.x86_64";
      h.write("boot/vmlinuz-5.14.0-427.13.1.el9_4.x86_64+rt", "").write("boot/config-5.14.0-427.13.1.el9_4.x86_64+rt", "CONFIG_PREEMPT_RT=y\n")
          .write("fake/grubby/info", "index=0\nkernel=\"" + stock + "+rt\"\nargs=\"ro quiet\"\nindex=1\nkernel=\"" + stock
              + "\"\nargs=\"ro quiet isolcpus=2\"\n").write("fake/grubby/default", stock + "\n");
    }
    return h;
  }

  private static Tool.Run run(String example, FakeHost h, String... args) {
    String[] all = new String[args.length + 1];
    all[0] = "./runbook.sh";
    System.arraycopy(args, 0, all, 1, args.length);
    return Tool.require("bash").run(bundles.get(example).dir(), h.env(), all);
  }

  private static List<String> changes(FakeHost h) {
    return h.calls().stream().filter(c -> READS.stream().noneMatch(c::startsWith)).toList();
  }

  /** The host's files outside the runbook's own state folder (its log and records). */
  private static Map<String, String> hostFiles(FakeHost h) {
    Map<String, String> files = new java.util.TreeMap<>(h.files());
    files.keySet().removeIf(f -> f.startsWith("var/lib/rtc/") || f.equals("calls.log"));
    return files;
  }

  // ---- --dry-run covers every step -----------------------------------------------------------

  @Test
  void aDryRunOfGuestRunsNothingInTheGuest() {
    FakeHost h = host("eci-reference", "dry-guest").booted().vmsRunning();
    Tool.Run r = run("eci-reference", h, "--dry-run", "guest", "debian12-rt", "touch", "/etc/x y");
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.out()).contains("(dry run: nothing is written or changed)").contains("would run in debian12-rt: touch /etc/x\\ y");
    assertThat(h.calls()).as("no guest-agent call at all").noneMatch(c -> c.startsWith("virsh qemu-agent-command"));
  }

  /** runbook.sh copied without the steps it sources: it says what is missing and changes nothing. */
  @Test
  void aRunbookWithoutItsStepsSaysSoAndChangesNothing() throws IOException {
    FakeHost h = host("eci-reference", "no-steps");
    Path alone = Files.createDirectories(tmp.resolve("runbook-alone"));
    Files.copy(bundles.get("eci-reference").dir().resolve("runbook.sh"), alone.resolve("runbook.sh"));
    Tool.Run r = Tool.require("bash").run(alone, h.env(), "./runbook.sh", "host");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).isEqualTo("runbook.sh: " + alone.toAbsolutePath() + "/runbook-steps.sh is missing: copy the whole bundle folder, "
        + "not runbook.sh alone\n");
    assertThat(h.calls()).as("nothing ran").isEmpty();
  }

  // ---- ownership and topology before the first change ----------------------------------------

  @Test
  void aForeignGrubDropInStopsTheHostStepBeforeItsFirstChange() {
    FakeHost h = host("eci-reference", "foreign-dropin").write("etc/default/grub.d/99-rtc.cfg", "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet splash\"\n");
    Map<String, String> before = hostFiles(h);
    Tool.Run r = run("eci-reference", h, "host");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.all()).contains("/etc/default/grub.d/99-rtc.cfg exists and rtc did not write it").contains("nothing was changed");
    assertThat(changes(h)).as("no repository, no package, no TuneD switch").isEmpty();
    assertThat(hostFiles(h)).isEqualTo(before);
  }

  @Test
  void aForeignDomainNamedLikeTheSecondVmStopsVmsBeforeTheFirstIsDefined() {
    FakeHost h = host("eci-reference", "foreign-second").booted();
    h.write("fake/virsh/domains/debian12-stress/state", "running\n");
    h.clearCalls();
    Tool.Run r = run("eci-reference", h, "vms");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.all()).contains("a domain named debian12-stress exists and rtc did not define it").contains("nothing was changed");
    assertThat(changes(h)).as("no network, no define, no start").isEmpty();
    assertThat(h.exists("fake/virsh/domains/debian12-rt")).isFalse();
  }

  @Test
  void imagesRefusesForTheSecondVmBeforeTheFirstVmsDiskIsMade() {
    FakeHost h = host("eci-reference", "images-second").booted();
    // The stressor's disk exists, made from another base image.
    h.write("var/lib/libvirt/images/rtc/debian12-stress.qcow2", "");
    h.write("fake/qemu-img/debian12-stress.qcow2.json", "{\"virtual-size\": 21474836480, \"backing-filename\": \"/srv/other.qcow2\"}\n");
    h.clearCalls();
    Map<String, String> before = hostFiles(h);
    Tool.Run r = run("eci-reference", h, "images");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.all()).contains("debian12-stress: ").contains("was made from /srv/other.qcow2").contains("nothing was changed");
    assertThat(changes(h)).as("no disk or seed made for debian12-rt").isEmpty();
    assertThat(hostFiles(h)).isEqualTo(before);
  }

  /** A fresh host (resctrl not mounted): the cache's ways are read before the host step, not after its reboot. */
  @Test
  void aFreshHostWithOtherCacheWaysIsRefusedBeforeTheHostStep() throws IOException {
    // sysfs's associativity agrees with the plan's 15 ways: no mount, the step goes on.
    FakeHost same = fresh("ways-same").write("sys/devices/system/cpu/cpu0/cache/index3/ways_of_associativity", "15\n");
    Tool.Run ok = run("eci-reference", same, "preflight");
    assertThat(ok.exit()).as(ok.all()).isZero();
    assertThat(ok.out()).containsPattern("L3 ways \\(associativity\\) +15 +15 +ok");
    assertThat(run("eci-reference", same, "host").exit()).isZero();
    assertThat(same.calls()).noneMatch(c -> c.startsWith("mount"));

    // 20 ways, and resctrl (mounted a moment) says 20 bits: refused, nothing changed, resctrl unmounted again.
    FakeHost other = fresh("ways-other").write("sys/devices/system/cpu/cpu0/cache/index3/ways_of_associativity", "20\n")
        .write("fake/resctrl/info/L3/cbm_mask", "fffff\n");
    Map<String, String> before = hostFiles(other);
    Tool.Run refused = run("eci-reference", other, "host");
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.out()).containsPattern("resctrl L3 cbm_mask \\(mounted a moment\\) +7fff +fffff +MISMATCH");
    assertThat(changes(other)).containsExactly("mount -t resctrl resctrl " + other.root.resolve("sys/fs/resctrl"),
        "umount " + other.root.resolve("sys/fs/resctrl"));
    assertThat(hostFiles(other)).isEqualTo(before);
    assertThat(run("eci-reference", other, "--dry-run", "preflight").out()).contains("unsure: a real run mounts resctrl");

    // Associativity 20, but CAT's mask is 15 bits (they may differ): the mounted resctrl decides.
    FakeHost masked = fresh("ways-masked").write("sys/devices/system/cpu/cpu0/cache/index3/ways_of_associativity", "20\n")
        .write("fake/resctrl/info/L3/cbm_mask", "7fff\n");
    Tool.Run passes = run("eci-reference", masked, "host");
    assertThat(passes.exit()).as(passes.all()).isZero();
    assertThat(masked.exists("sys/fs/resctrl")).as("unmounted again").isFalse();
  }

  private static FakeHost fresh(String name) throws IOException {
    FakeHost h = host("eci-reference", name);
    try (Stream<Path> s = Files.walk(h.root.resolve("sys/fs/resctrl"))) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    return h;
  }

  // ---- a rerun changes nothing already as planned --------------------------------------------

  @Test
  void aSecondHostAndVmsRunChangesNothing() {
    for (String example : List.of("eci-reference", "rhel9-reference", "hybrid-client")) {
      FakeHost h = host(example, "rerun-" + example);
      Tool.Run first = run(example, h, "host");
      assertThat(first.exit()).as(first.all()).isZero();
      assertThat(changes(h)).as(example).anyMatch(c -> c.startsWith("tuned-adm profile"));
      h.clearCalls();
      Map<String, String> before = hostFiles(h);
      Tool.Run again = run(example, h, "host");
      assertThat(again.exit()).as(again.all()).isZero();
      assertThat(changes(h)).as("%s: a second host step changed %s", example, changes(h)).isEmpty();
      assertThat(hostFiles(h)).isEqualTo(before);
      assertThat(again.out()).contains("TuneD profile").contains("is active and unchanged");

      h.booted();
      assertThat(run(example, h, "images", "vms").exit()).isZero();
      h.clearCalls();
      Tool.Run vms = run(example, h, "vms");
      assertThat(vms.exit()).as(vms.all()).isZero();
      assertThat(changes(h)).as("%s: a second vms step changed %s", example, changes(h)).isEmpty();
      assertThat(vms.out()).contains("is defined as planned");
    }
  }

  @Test
  void aChangedTunedProfileIsAppliedAgainAndOnlyThen() {
    FakeHost h = host("eci-reference", "tuned-changed");
    assertThat(run("eci-reference", h, "host").exit()).isZero();
    h.write("etc/tuned/rtc-eci-reference/tuned.conf", "[main]\nsummary=edited by hand\n");
    h.clearCalls();
    assertThat(run("eci-reference", h, "host").exit()).isZero();
    assertThat(changes(h)).contains("tuned-adm profile rtc-eci-reference").noneMatch(c -> c.startsWith("apt-get"));
  }

  // ---- KVM in the running kernel --------------------------------------------------------------

  /** RHEL's kernel-rt keeps its KVM modules in kernel-rt-kvm: the host step installs it, and check-host proves KVM. */
  @Test
  void checkHostFailsAHostWhoseRunningKernelHasNoKvm() {
    FakeHost rhel = host("rhel9-reference", "kvm-rhel");
    assertThat(run("rhel9-reference", rhel, "host").exit()).isZero();
    assertThat(rhel.calls()).anyMatch(c -> c.startsWith("dnf install -y") && c.contains(" kernel-rt kernel-rt-kvm "));
    rhel.booted().delete("dev/kvm");
    Tool.Run r = run("rhel9-reference", rhel, "check-host");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.all()).contains("KVM is missing from the running kernel (/dev/kvm): RHEL's kernel-rt needs kernel-rt-kvm");

    FakeHost debian = host("eci-reference", "kvm-debian").booted();
    assertThat(run("eci-reference", debian, "check-host").out()).contains("ok: KVM: /dev/kvm and its modules in the running kernel");
    debian.delete("sys/module/kvm_intel/parameters/ple_gap").delete("sys/module/kvm_intel/parameters");
    debian.delete("sys/module/kvm_intel");
    Tool.Run d = run("eci-reference", debian, "check-host");
    assertThat(d.exit()).isEqualTo(1);
    assertThat(d.all()).contains("KVM is missing from the running kernel (kvm_intel (or kvm_amd)): modprobe kvm_intel");
  }

  /** The per-node command-line form reserves the pages too: check-host reads each node's back, as it does for the boot unit's. */
  @Test
  void checkHostFailsAHostWithoutItsReservedHugepages() {
    assertThat(bundles.get("eci-hugepages").plan().host().cmdline().toString()).contains("hugepages=0:8");
    FakeHost h = host("eci-hugepages", "hugepages").booted();
    String nr = "sys/devices/system/node/node0/hugepages/hugepages-1048576kB/nr_hugepages";
    assertThat(h.read(nr)).isEqualTo("8\n");
    assertThat(run("eci-hugepages", h, "check-host").out()).contains("ok: host: 8 hugepages of 1 GiB on node 0");
    h.write(nr, "0\n");
    Tool.Run r = run("eci-hugepages", h, "check-host");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.all()).contains("host: 8 hugepages of 1 GiB on node 0: /sys/devices/system/node/node0/hugepages/hugepages-1048576kB/nr_hugepages is '0', planned at least '8' (");
  }

  /** The drop-in replaces the administrator's values of rtc's keys: preflight says each, with its file, before the host step. */
  @Test
  void preflightNamesEveryAdminValueTheDropInReplaces() {
    FakeHost h = host("eci-reference", "admin-values");
    h.write("etc/default/grub", "GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet tsc=nowatchdog\"\nGRUB_CMDLINE_LINUX=\"\"\n");
    h.write("etc/default/grub.d/50-vendor.cfg", "GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT mce=bootlog efi=runtime\"\n");
    Tool.Run r = run("eci-reference", h, "preflight");
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.out()).contains("note: rtc's GRUB drop-in replaces tsc=nowatchdog (in /etc/default/grub) with tsc=reliable")
        .contains("note: rtc's GRUB drop-in replaces mce=bootlog (in /etc/default/grub.d/50-vendor.cfg) with mce=ignore_ce")
        .doesNotContain("replaces efi=runtime").doesNotContain("replaces quiet");
  }

  /** A duplicate argument in a guest names the guest's file that sets it too, read through its agent. */
  @Test
  void aGuestsDuplicateArgumentNamesItsSource() {
    FakeHost h = host("eci-reference", "guest-dup").booted().vmsRunning();
    String facts = h.read("fake/virsh/domains/debian12-rt/facts");
    h.write("fake/virsh/domains/debian12-rt/facts", facts.replace(" quiet\n", " quiet nohz_full=1\n")
        + "src:/etc/default/grub.d/50-cloudimg-settings.cfg=GRUB_CMDLINE_LINUX_DEFAULT=\"console=ttyS0 nohz_full=1\" \n"
        + "src:/etc/default/grub=GRUB_DEFAULT=0 GRUB_CMDLINE_LINUX=\"\" \n");
    Tool.Run r = run("eci-reference", h, "verify");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.all()).contains("debian12-rt: nohz_full is on the command line 2 times (nohz_full=1-7 nohz_full=1); rtc's is nohz_full=1-7; "
        + "also set in the guest: /etc/default/grub.d/50-cloudimg-settings.cfg").doesNotContain("in the guest: /etc/default/grub ");
  }

  /** A sysctl.d value wins over TuneD (it reapplies sysctl.d after the profile): check-host names the file to change. */
  @Test
  void aSysctlOverrideIsNamedWithItsFile() {
    FakeHost h = host("eci-reference", "sysctl").booted();
    h.write("etc/sysctl.d/99-vendor.conf", "# the vendor's tuning\nkernel.timer_migration = 1\nvm.swappiness=10\n");
    h.write("proc/sys/kernel/timer_migration", "1\n");
    Tool.Run r = run("eci-reference", h, "check-host");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.all()).contains("host: timer migration off: /proc/sys/kernel/timer_migration is '1', planned '0' (set by "
        + "/etc/sysctl.d/99-vendor.conf, which TuneD applies again after its profile: change it there)");
    h.write("etc/sysctl.d/99-vendor.conf", "vm.swappiness=10\n");
    assertThat(run("eci-reference", h, "check-host").all()).contains("planned '0'").doesNotContain("set by");
  }

  // ---- rollback ------------------------------------------------------------------------------

  @Test
  void rollbackAfterEciLeavesEcisGrubScriptOff() {
    FakeHost h = host("eci-reference", "rollback-eci");
    assertThat(run("eci-reference", h, "host").exit()).isZero();
    assertThat(h.calls()).contains("dpkg-statoverride --update --add root root 0644 /etc/grub.d/09_eci");
    h.clearCalls();
    Tool.Run r = run("eci-reference", h, "rollback");
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(h.calls()).noneMatch(c -> c.startsWith("dpkg-statoverride --remove")).contains("update-grub");
    assertThat(r.out()).contains("/etc/grub.d/09_eci stays off").contains("packages stay installed");
  }

  @Test
  void aUnitSystemctlCouldNotDisableIsDisabledByTheNextRollback() {
    FakeHost h = host("eci-reference", "rollback-disable");
    assertThat(run("eci-reference", h, "host").exit()).isZero();
    h.write("fake/fail/systemctl-disable", "1\n");
    Tool.Run r = run("eci-reference", h, "rollback");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.all()).contains("could not undo:", "systemctl disable rtc-resctrl.service");
    assertThat(h.exists("etc/systemd/system/rtc-resctrl.service")).as("kept until it is disabled").isTrue();

    h.delete("fake/fail/systemctl-disable");
    h.clearCalls();
    Tool.Run again = run("eci-reference", h, "rollback");
    assertThat(again.exit()).as(again.all()).isZero();
    assertThat(h.calls()).contains("systemctl disable rtc-resctrl.service");
    assertThat(h.exists("etc/systemd/system/rtc-resctrl.service")).isFalse();
    assertThat(h.read("fake/systemctl/rtc-resctrl.service.enabled")).isEqualTo("disabled\n");
  }

  @Test
  void rhelRollbackDisablesTheRepositoriesRtcEnabledAndNoOther() {
    FakeHost h = host("rhel9-reference", "rollback-rhel").write("fake/repos-enabled", "rhel-9-for-x86_64-nfv-rpms\n");
    assertThat(run("rhel9-reference", h, "host").exit()).isZero();
    assertThat(h.calls()).contains("subscription-manager repos --enable=rhel-9-for-x86_64-rt-rpms");
    h.clearCalls();
    Tool.Run r = run("rhel9-reference", h, "rollback");
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(h.calls()).contains("subscription-manager repos --disable=rhel-9-for-x86_64-rt-rpms");
    assertThat(h.read("fake/repos-enabled")).as("the repository enabled before rtc stays").isEqualTo("rhel-9-for-x86_64-nfv-rpms\n");
  }

  // ---- RHEL guests: registered with the host's activation key ---------------------------------

  @Test
  void realTimeRhelGuestsRegisterWithTheHostsActivationKey() throws IOException {
    FakeHost h = host("rhel9-reference", "rhel-key").booted();
    Tool.Run r = run("rhel9-reference", h, "images");
    assertThat(r.exit()).as(r.all()).isZero();
    String vendor = h.read("fake/seeds/vendor-data-rhel9-rt");
    assertThat(vendor).startsWith("#cloud-config\n");
    var doc = new com.fasterxml.jackson.databind.ObjectMapper().readTree(vendor.substring(vendor.indexOf('\n') + 1));
    assertThat(doc.at("/rh_subscription/org").asLong()).isEqualTo(1234567L);
    assertThat(doc.at("/rh_subscription/activation-key").asText()).isEqualTo("rtc-plant-7");
    assertThat(doc.at("/rh_subscription/enable-repo").toString()).isEqualTo("[\"rhel-9-for-x86_64-rt-rpms\",\"rhel-9-for-x86_64-nfv-rpms\"]");
    assertThat(h.exists("fake/seeds/vendor-data-rhel9-stress")).as("a stressor installs no real-time kernel").isFalse();
    Tool.Run schema = Tool.require("cloud-init").run(h.root, "schema", "-c", "fake/seeds/vendor-data-rhel9-rt");
    assertThat(schema.exit()).as(schema.all()).isZero();
    try (Stream<Path> s = Files.walk(h.root.resolve("var/lib/rtc"))) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        assertThat(Files.readString(p)).as("%s holds the key", p).doesNotContain("rtc-plant-7");
      }
    }

    FakeHost none = host("rhel9-reference", "rhel-no-key").booted().delete("etc/rtc/rhel-activation-key");
    assertThat(run("rhel9-reference", none, "preflight").all()).contains("register with an activation key: put org=");
    Map<String, String> before = hostFiles(none);
    Tool.Run refused = run("rhel9-reference", none, "images");
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.all()).contains("rhel9-rt: a real-time RHEL guest registers with an activation key").contains("nothing was changed");
    assertThat(hostFiles(none)).isEqualTo(before);
  }

  // ---- secrets -------------------------------------------------------------------------------

  @Test
  void theUbuntuProTokenIsGoneAfterAFailedSeedBuild() throws IOException {
    FakeHost h = host("hybrid-client", "pro-seed").booted();
    h.write("fake/fail/cloud-localds", "1\n");
    Tool.Run r = run("hybrid-client", h, "images");
    assertThat(r.exit()).as(r.all()).isNotZero();
    String token = h.read("etc/rtc/ubuntu-pro-token").strip();
    try (Stream<Path> s = Files.walk(h.root.resolve("var/lib/rtc"))) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        assertThat(Files.readString(p)).as("%s holds the token", p).doesNotContain(token);
      }
    }
  }
}
