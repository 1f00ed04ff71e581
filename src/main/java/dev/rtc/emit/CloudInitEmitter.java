package dev.rtc.emit;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rtc.manifest.Manifest;
import dev.rtc.manifest.Manifest.Guest;
import dev.rtc.plan.Distro;
import dev.rtc.plan.KernelPlan;
import dev.rtc.plan.Plan.VmPlan;
import dev.rtc.plan.TuningPlan;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code vms/<vm>/user-data} and {@code meta-data} for cloud-init's NoCloud data source. The
 * documents are data trees written by a YAML emitter, so user strings (user names, hashes, keys,
 * URLs) cannot change the document's structure whatever they contain.
 *
 * <p>What runs when, in cloud-init's stages: {@code bootcmd} (init stage: fetches the ECI key),
 * {@code write_files} (init: the GRUB drop-in, the TuneD profile, the APT source and pin), the
 * {@code apt}/{@code yum_repos} configuration (config stage), {@code packages} (final stage), then
 * {@code runcmd} (final, in order) and the reboot into the real-time kernel.
 */
final class CloudInitEmitter {

  static final String GUEST_DROPIN = "/etc/default/grub.d/99-rtc.cfg";
  static final String STRESS_SCRIPT = "/usr/local/sbin/rtc-stress";

  private static final JsonNodeFactory N = JsonNodeFactory.instance;

  private CloudInitEmitter() {}

  /** The guest's own files, made by other emitters and installed by write_files. */
  record GuestFiles(String grubDropIn, String stressScript, String tunedProfile, MonitoringEmitter.GuestMonitor monitor) {}

  static String userData(VmPlan vm, Manifest.Site site, String header, GuestFiles files) {
    Guest g = vm.guest();
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
    KernelPlan kernel = vm.kernel().orElse(null);
    TuningPlan tuning = vm.tuning().orElse(null);
    KernelPlan.AptRepo repo = kernel == null ? null : kernel.repo().orElse(null);

    if (repo != null) {
      // Before write_files and the package install: the key the repository's list names with signed-by.
      ArrayNode boot = doc.putArray("bootcmd");
      boot.add(Shell.words(List.of("cloud-init-per", "once", "rtc-" + repo.name() + "-key", "sh", "-c",
          fetch(repo.keyUrl(), repo.keyring(), site.proxy().orElse(null)))));
    }
    packageSources(doc, distro, site);

    doc.put("package_update", true);
    List<String> pk = new ArrayList<>(dev.rtc.plan.Supplies.guestPackages(vm));
    List<String> later = new ArrayList<>();
    if (vm.isRealtime() && !distro.apt() && site.rhel().isEmpty()) {
      // RHEL: kernel-rt and the real-time TuneD profiles come from repositories that runcmd enables
      // first, after the packages module has run.
      later.addAll(pk.subList(1, pk.size()));
      pk = new ArrayList<>(pk.subList(0, 1));
    }
    ArrayNode packages = doc.putArray("packages");
    pk.forEach(packages::add);

    ArrayNode write = N.arrayNode();
    if (files.grubDropIn() != null) {
      file(write, GUEST_DROPIN, "0644", files.grubDropIn());
    }
    if (files.tunedProfile() != null) {
      file(write, "/etc/tuned/" + tuning.profile() + "/tuned.conf", "0644", files.tunedProfile());
    }
    if (files.stressScript() != null) {
      file(write, STRESS_SCRIPT, "0755", files.stressScript());
    }
    if (files.monitor() != null) {
      file(write, MonitoringEmitter.GUEST_SCRIPT, "0755", files.monitor().script());
      file(write, "/etc/systemd/system/rtc-monitor.service", "0644", files.monitor().service());
      file(write, "/etc/systemd/system/rtc-monitor.timer", "0644", files.monitor().timer());
    }
    if (repo != null) {
      file(write, repo.sourcesFile(), "0644", repo.sourcesLine() + "\n");
      file(write, repo.preferencesFile(), "0644", repo.preferences());
    }
    if (!distro.apt()) {
      // RHEL's agent allows a fixed list of commands, without guest-exec, which the runbook needs.
      file(write, "/etc/sysconfig/qemu-ga", "0644", QEMU_GA_SYSCONFIG);
      site.proxy().ifPresent(p -> appendFile(write, "/etc/dnf/dnf.conf", "proxy=" + p + "\n"));
    }
    if (!write.isEmpty()) { // cloud-init's schema refuses an empty write_files
      doc.set("write_files", write);
    }

    ArrayNode run = doc.putArray("runcmd");
    command(run, "systemctl", distro.apt() ? "start" : "restart", "qemu-guest-agent");
    if (vm.isRealtime()) {
      if (kernel.ubuntuPro()) {
        command(run, "sh", "-c", PRO_ATTACH);
      }
      if (!later.isEmpty()) {
        if (!distro.extraRepos().isEmpty()) {
          List<String> enable = new ArrayList<>(List.of("subscription-manager", "repos"));
          distro.extraRepos().forEach(r -> enable.add("--enable=" + r));
          command(run, enable.toArray(String[]::new));
        }
        List<String> install = new ArrayList<>(distro.install());
        install.addAll(later);
        command(run, install.toArray(String[]::new));
      }
      if (kernel.realtime() == Manifest.Realtime.ECI) {
        // eci-customizations' /etc/grub.d/09_eci adds its own isolcpus, nohz_full, rcu_nocbs and
        // more; rtc owns the command line, so the script stays installed but is not run.
        command(run, "sh", "-c", ECI_GRUB_OFF);
      }
      command(run, "systemctl", "enable", "--now", "tuned");
      command(run, "tuned-adm", "profile", tuning.profile());
      if (tuning.stalld()) {
        command(run, "systemctl", "enable", "--now", "stalld");
      }
      if (files.monitor() != null) {
        // Enabled, not started: the sampler's first window comes after the reboot into the real-time kernel.
        command(run, "systemctl", "enable", "rtc-monitor.timer");
      }
      if (distro.grubby()) {
        // BLS boot entries: grubby writes the arguments into every installed kernel's entry, and
        // the newest PREEMPT_RT kernel becomes the default.
        command(run, "grubby", "--update-kernel=ALL", "--args=" + vm.guestCmdline().map(Object::toString).orElse(""));
        if (kernel.isRealtime()) {
          command(run, "sh", "-c", RHEL_RT_DEFAULT);
        }
      } else {
        command(run, distro.grubUpdate().toArray(String[]::new));
      }
      ObjectNode power = doc.putObject("power_state");
      power.put("mode", "reboot");
      power.put("delay", "now");
      power.put("message", "rtc: rebooting into the real-time kernel and its command line");
      power.put("condition", true);
    }
    return "#cloud-config\n# " + header + "\n" + write(doc);
  }

  /** The allow-list RHEL's agent gets: its health checks, and guest-exec for the runbook. */
  static final String QEMU_GA_SYSCONFIG = "# Written by rtc: runbook.sh runs its checks and the benchmark through guest-exec.\n"
      + "FILTER_RPC_ARGS=\"--allow-rpcs=guest-sync-delimited,guest-sync,guest-ping,guest-get-time,guest-info,guest-shutdown,"
      + "guest-get-osinfo,guest-get-vcpus,guest-network-get-interfaces,guest-exec,guest-exec-status\"\n"
      + "FSFREEZE_HOOK_PATHNAME=/etc/qemu-ga/fsfreeze-hook\n";

  /** Makes ECI's GRUB script not executable, with a stat override dpkg keeps across upgrades. */
  static final String ECI_GRUB_OFF = "f=/etc/grub.d/09_eci; dpkg-statoverride --list \"$f\" >/dev/null"
      + " || dpkg-statoverride --update --add root root 0644 \"$f\"";

  /** The newest kernel whose config has CONFIG_PREEMPT_RT=y becomes grubby's default. */
  static final String RHEL_RT_DEFAULT = "v=$(for c in /boot/config-*; do grep -qx CONFIG_PREEMPT_RT=y \"$c\" && echo \"${c#/boot/config-}\";"
      + " done | sort -V | tail -n 1); [ -n \"$v\" ] && grubby --set-default=\"/boot/vmlinuz-$v\"";

  /**
   * Ubuntu Pro for an image whose cloud-init is older than 24.1: those read no {@code ubuntu_pro}
   * key (the one 24.1 and newer read without a deprecation warning), so the vendor-data the
   * runbook wrote attaches nothing. When Pro is not attached by now, this attaches with the token
   * of that same vendor-data (cloud-init keeps it root-only; the token never enters user-data or
   * a command line) and enables the real-time kernel, before GRUB's menu is made. A no-op where
   * cloud-init attached.
   */
  static final String PRO_ATTACH = "pro status --format json 2>/dev/null | grep -q '\"attached\": *true' && exit 0;"
      + " f=$(mktemp) || exit 1;"
      + " cloud-init query vendordata | python3 -c 'import json, sys; t = sys.stdin.read();"
      + " print(json.dumps({\"token\": json.loads(t[t.index(\"{\"):])[\"ubuntu_pro\"][\"token\"], \"enable_services\": []}))' >\"$f\""
      + " && pro attach --no-auto-enable --attach-config \"$f\"; r=$?; rm -f \"$f\";"
      + " [ \"$r\" = 0 ] && pro enable --assume-yes realtime-kernel";

  /** A shell command that downloads {@code url} to {@code to} once, with curl or wget, through the proxy if any. */
  private static String fetch(String url, String to, String proxy) {
    String env = proxy == null ? "" : "https_proxy=" + Shell.quote(proxy) + " http_proxy=" + Shell.quote(proxy) + " ";
    return "[ -s " + Shell.quote(to) + " ] || " + env + "curl -fsSL --retry 5 -o " + Shell.quote(to) + " " + Shell.quote(url)
        + " || " + env + "wget -q -O " + Shell.quote(to) + " " + Shell.quote(url);
  }

  /** The site's proxy and mirrors, in the package manager's own configuration. */
  private static void packageSources(ObjectNode doc, Distro distro, Manifest.Site site) {
    if (distro.apt()) {
      boolean debian = distro.os() == Manifest.Os.DEBIAN11 || distro.os() == Manifest.Os.DEBIAN12;
      var primary = debian ? site.debian() : site.ubuntu();
      var security = debian ? site.debianSecurity() : site.ubuntu();
      if (primary.isEmpty() && security.isEmpty() && site.proxy().isEmpty()) {
        return;
      }
      ObjectNode apt = doc.putObject("apt");
      site.proxy().ifPresent(p -> {
        apt.put("http_proxy", p);
        apt.put("https_proxy", p);
      });
      if (primary.isPresent() || security.isPresent()) {
        apt.put("preserve_sources_list", false); // the mirrors replace the image's own sources
        primary.ifPresent(uri -> mirror(apt.putArray("primary"), uri));
        security.ifPresent(uri -> mirror(apt.putArray("security"), uri));
      }
    } else if (site.rhel().isPresent()) {
      String base = site.rhel().get().replaceAll("/+$", "");
      ObjectNode repos = doc.putObject("yum_repos");
      for (String r : List.of("BaseOS", "AppStream", "RT", "NFV")) {
        ObjectNode repo = repos.putObject("rtc-" + r.toLowerCase(java.util.Locale.ROOT));
        repo.put("name", "rtc site mirror: " + r);
        repo.put("baseurl", base + "/" + r);
        repo.put("enabled", true);
        repo.put("gpgcheck", true);
        repo.put("gpgkey", "file:///etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release");
        site.proxy().ifPresent(p -> repo.put("proxy", p));
      }
    }
  }

  private static void mirror(ArrayNode list, String uri) {
    ObjectNode m = list.addObject();
    m.putArray("arches").add("default");
    m.put("uri", uri);
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

  private static void appendFile(ArrayNode files, String path, String content) {
    ObjectNode f = files.addObject();
    f.put("path", path);
    f.put("content", content);
    f.put("append", true);
  }

  // A runcmd entry as one shell line (cloud-init runs strings with sh): quoted by the one shell
  // quoting function, and far easier to read in a review than a nested YAML list.
  private static void command(ArrayNode run, String... argv) {
    run.add(Shell.words(List.of(argv)));
  }

  private static String write(ObjectNode doc) {
    return TreeWriter.yaml(doc);
  }
}
