package dev.rtc.plan;

import dev.rtc.manifest.Manifest;
import dev.rtc.plan.Plan.VmPlan;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the site must provide for the bundle to run, in one list: the base images (with their
 * checksums where the manifest gives them), the packages of the host and of each guest, the
 * repositories they come from, the libvirt networks, and whether Ubuntu Pro's token is needed.
 * The README shows it to the technician, plan.json to machines, and the runbook and cloud-init
 * install exactly these packages.
 *
 * @param repositories the repositories beyond the distributions' own, in words
 * @param rhelActivationKey real-time RHEL guests register with an activation key the technician
 *     puts on the host (/etc/rtc/rhel-activation-key), there being no site mirror of RHEL
 */
public record Supplies(List<Image> images, List<String> hostPackages, Map<String, List<String>> guestPackages,
    List<String> repositories, List<String> networks, boolean ubuntuProToken, boolean rhelActivationKey) {

  public Supplies {
    images = List.copyOf(images);
    hostPackages = List.copyOf(hostPackages);
    guestPackages = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(guestPackages));
    repositories = List.copyOf(repositories);
    networks = List.copyOf(networks);
  }

  /** A base image, where the runbook expects it, and the VMs built on it. */
  public record Image(String path, Optional<String> sha256, List<String> vms) {
    public Image {
      vms = List.copyOf(vms);
    }
  }

  /**
   * Where a base image comes from: its vendor's address when the file is a vendor's cloud image by
   * name, else the site's own (rtc cannot know where the site made it).
   */
  public static String origin(String path) {
    String file = path.substring(path.lastIndexOf('/') + 1);
    return java.util.Arrays.stream(Manifest.Os.values()).filter(o -> o.cloudImage().equals(file)).map(Manifest.Os::imageSource)
        .findFirst().orElse("the site's own image: rtc does not know where it was made");
  }

  /** Where a base image named in the manifest lives on the host. */
  public static String imagePath(String baseImage) {
    return baseImage.startsWith("/") ? baseImage : "/var/lib/libvirt/images/base/" + baseImage;
  }

  public static Supplies of(Plan plan) {
    Manifest m = plan.manifest();
    Map<String, Image> images = new LinkedHashMap<>();
    Map<String, List<String>> guests = new LinkedHashMap<>();
    List<String> repos = new ArrayList<>();
    boolean pro = plan.host().kernel().ubuntuPro();
    for (VmPlan vm : plan.vms()) {
      Manifest.Disk disk = vm.vm().disk();
      String path = imagePath(disk.baseImage());
      Image before = images.get(path);
      List<String> vms = new ArrayList<>(before == null ? List.of() : before.vms());
      vms.add(vm.name());
      images.put(path, new Image(path, disk.sha256().or(() -> before == null ? Optional.empty() : before.sha256()), vms));
      guests.put(vm.name(), guestPackages(vm));
      pro |= vm.kernel().map(KernelPlan::ubuntuPro).orElse(false);
      vm.kernel().flatMap(KernelPlan::repo).ifPresent(r -> addOnce(repos, repoWords(r)));
    }
    plan.host().kernel().repo().ifPresent(r -> addOnce(repos, repoWords(r)));
    // RHEL's real-time and NFV repositories: through the subscription (the host's; the guests' too
    // unless the site mirrors them).
    Distro host = Distro.of(m.host().os());
    boolean guestsSubscribed = plan.vms().stream().anyMatch(v -> v.isRealtime() && !Distro.of(v.vm().guest().os()).extraRepos().isEmpty())
        && m.site().rhel().isEmpty();
    List<String> rhel = !host.extraRepos().isEmpty() ? host.extraRepos() : guestsSubscribed ? KernelPlan.RHEL_REPOS : List.of();
    if (!rhel.isEmpty()) {
      String whose = !host.extraRepos().isEmpty() && guestsSubscribed ? "the host's and the guests' subscriptions"
          : !host.extraRepos().isEmpty() ? "the host's subscription" : "the guests' subscriptions";
      addOnce(repos, "RHEL's " + String.join(" and ", rhel) + " (" + whose + ")");
    }
    m.site().rhel().filter(u -> plan.vms().stream().anyMatch(v -> v.isRealtime() && v.vm().guest().os() == Manifest.Os.RHEL9))
        .ifPresent(u -> addOnce(repos, "the site's RHEL mirror " + u + " (BaseOS, AppStream, RT and NFV under it) for the guests"));
    if (pro) {
      addOnce(repos, "Ubuntu Pro's realtime-kernel service (a token on the host, in /etc/rtc/ubuntu-pro-token)");
    }
    return new Supplies(List.copyOf(images.values()), hostPackages(plan), guests, repos, List.of("default"), pro, guestsSubscribed);
  }

  /** The host step installs these: QEMU and libvirt, the kernel, TuneD, qualify's tools (and stalld where there is one). */
  static List<String> hostPackages(Plan plan) {
    Distro d = Distro.of(plan.manifest().host().os());
    List<String> p = new ArrayList<>(d.virtHostPackages());
    p.addAll(plan.host().kernel().packages());
    p.addAll(d.tunedPackages(true));
    p.addAll(d.qualifyPackages());
    if (plan.host().tuning().stalld()) {
      p.add("stalld");
    }
    return p.stream().distinct().toList();
  }

  /**
   * cloud-init installs these in a guest: its agent, and for a real-time VM cyclictest (and rtla
   * for the autopsy's timerlat, where the distribution has it), its kernel and TuneD; for a stressor its workload (stress-ng, or the kernel's source and a compiler).
   */
  public static List<String> guestPackages(VmPlan vm) {
    Distro d = Distro.of(vm.vm().guest().os());
    List<String> p = new ArrayList<>(List.of("qemu-guest-agent"));
    if (vm.isRealtime()) {
      p.addAll(d.qualifyPackages());
      p.addAll(vm.kernel().orElseThrow().packages());
      p.addAll(d.tunedPackages(false));
      if (vm.tuning().orElseThrow().stalld()) {
        p.add("stalld");
      }
    } else {
      p.add("stress-ng");
      if (vm.vm().workload().orElse(Manifest.Workload.KERNEL_BUILD) == Manifest.Workload.KERNEL_BUILD) {
        p.addAll(d.buildPackages());
        d.linuxSource().ifPresent(p::add);
      }
    }
    return p.stream().distinct().toList();
  }

  private static String repoWords(KernelPlan.AptRepo r) {
    return r.uri() + " " + r.suite() + " " + r.component() + " (key " + r.keyUrl() + ")";
  }

  private static void addOnce(List<String> list, String s) {
    if (!list.contains(s)) {
      list.add(s);
    }
  }
}
