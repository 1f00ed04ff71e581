package dev.rtc.bundle;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.List;
import java.util.Optional;

/**
 * What a change costs on the plant, and the one table that says it for every file of a bundle.
 * {@link BundleDiff} looks up each changed file here, and reads the plan's facts (host OS, kernel,
 * kernel arguments, tuning, cache groups, each VM's definition, OS and disk) beside it; the
 * dearest consequence of all decides the headline. A bundle file no rule names fails
 * {@code ConsequencesTest}, so a new artifact cannot ship without saying what changing it takes.
 */
public final class Consequences {

  /** From free to dear; a change costs the dearest of its consequences. */
  public enum Cost {
    /** Documents, checksums, the runbook itself: nothing on the host until a step is run again. */
    NOTHING,
    /** Applied on the running host by {@code runbook.sh host} (TuneD, resctrl groups, boot units): no reboot. */
    RUNTIME,
    /** A VM shut down and started again (a guest reboot keeps the old definition, seed and cache group). */
    VM_RESTART,
    /** A VM's disk made anew on another base image: {@code runbook.sh --replace-disks images}. */
    VM_REBUILD,
    /** {@code runbook.sh host}, a reboot, then {@code runbook.sh all}. */
    HOST_REBOOT,
    /** Another operating system: installed, not updated. */
    REINSTALL
  }

  /** A kind of bundle file: where it is ({@code *} one name, {@code **} any depth), what changing it costs, and why. */
  public record Rule(String glob, Cost cost, String why) {
    boolean matches(String path) {
      PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + glob);
      return m.matches(Path.of(path));
    }
  }

  /** Every file a bundle can hold. Order matters only where globs overlap: the first match wins. */
  public static final List<Rule> ARTIFACTS = List.of(
      new Rule("README.md", Cost.NOTHING, "the technician's instructions"),
      new Rule("monitoring/*.rules.yml", Cost.NOTHING, "Prometheus's alerting rules: they change when Prometheus loads them again"),
      new Rule("monitoring/*.dashboard.json", Cost.NOTHING, "the Grafana dashboard: it changes when it is imported again"),
      new Rule("SHA256SUMS", Cost.NOTHING, "the bundle's checksums"),
      new Rule("plan.{md,json,html}", Cost.NOTHING, "the plan, for people and programs (its facts are judged one by one)"),
      new Rule("runbook.sh", Cost.NOTHING, "the runbook itself: its new steps take effect when they are run again"),
      new Rule("runbook-steps.sh", Cost.NOTHING, "the runbook's steps (a new rtc version): they take effect when they are run again"),
      new Rule("host/grub/*", Cost.HOST_REBOOT, "the host's kernel command line and default kernel (update-grub, then a reboot)"),
      new Rule("host/tuned/**", Cost.RUNTIME, "the host's TuneD profile, which runbook.sh host applies at once"),
      new Rule("host/resctrl/**", Cost.RUNTIME, "the resctrl groups, which systemctl restart rtc-resctrl writes again"),
      new Rule("host/systemd/rtc-resctrl.service", Cost.RUNTIME, "the unit that writes the resctrl groups (systemctl restart rtc-resctrl)"),
      new Rule("host/systemd/rtc-vms.service", Cost.RUNTIME, "the unit that starts the VMs at boot, in plan order"),
      new Rule("host/systemd/rtc-metrics.{service,timer}", Cost.RUNTIME, "the metrics timer, which runbook.sh host installs and starts"),
      new Rule("host/systemd/rtc-hugepages.service", Cost.HOST_REBOOT,
          "hugepages reserved at boot, before memory fragments (a reservation on a running host may fall short)"),
      new Rule("host/systemd/rtc-sriov.service", Cost.HOST_REBOOT, "the virtual functions, made at boot before libvirt starts"),
      new Rule("host/libvirt/networks/*", Cost.RUNTIME,
          "a libvirt network, defined by runbook.sh vms when it is missing (one already defined is changed by hand: virsh net-define)"),
      new Rule("vms/*/domain.xml", Cost.VM_RESTART, "the VM's definition: virsh define, then a fresh start"),
      new Rule("vms/*/{user-data,meta-data}", Cost.VM_RESTART,
          "the VM's cloud-init seed, made again by runbook.sh images and read at the VM's next fresh start"),
      new Rule("vms/*/grub/*", Cost.VM_RESTART, "the guest's kernel arguments, in its seed (the guest reboots once more to apply them)"),
      new Rule("vms/*/tuned/**", Cost.VM_RESTART, "the guest's TuneD profile, in its seed"),
      new Rule("vms/*/rtc-stress.sh", Cost.VM_RESTART, "the stressor's workload, in its seed"),
      new Rule("vms/*/monitor/*", Cost.VM_RESTART, "the real-time guest's latency sampler, in its seed"));

  /** What stands for a file no rule names: the dearest that a file of the host can cost, until a rule says otherwise. */
  static final Rule UNKNOWN = new Rule("**", Cost.HOST_REBOOT, "a file whose consequence rtc does not know: treated as a reboot");

  private Consequences() {}

  /** The rule for a bundle path; empty for a path no rule names (a bug: ConsequencesTest finds it). */
  public static Optional<Rule> ruleFor(String path) {
    return ARTIFACTS.stream().filter(r -> r.matches(path)).findFirst();
  }

  /** The VM a path under vms/ belongs to. */
  static Optional<String> vmOf(String path) {
    if (!path.startsWith("vms/")) {
      return Optional.empty();
    }
    int slash = path.indexOf('/', 4);
    return slash < 0 ? Optional.empty() : Optional.of(path.substring(4, slash));
  }
}
