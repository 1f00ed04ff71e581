package dev.rtc.plan;

import dev.rtc.manifest.Manifest;
import dev.rtc.manifest.Manifest.Os;
import dev.rtc.manifest.Manifest.Realtime;
import dev.rtc.topology.HttpUrl;
import java.util.List;
import java.util.Optional;

/**
 * The real-time kernel a host or a real-time guest gets, resolved for its OS: where it comes from,
 * which packages, and how to recognise it once it runs.
 *
 * @param name what plan.md and the runbook call it, e.g. "Intel ECI's linux-intel-rt"
 * @param packages what the package manager installs (empty with Ubuntu Pro, which installs it)
 * @param repo the APT repository the packages come from, when it is not the distribution's
 * @param ubuntuPro the kernel comes from Ubuntu Pro's realtime-kernel service; the token is read on
 *     the host at run time, never from the manifest or the bundle
 * @param release a shell glob the running kernel's {@code uname -r} matches; empty: any release
 * @param series the kernel series this choice gives, for facts about command-line syntax
 */
public record KernelPlan(Realtime realtime, String name, List<String> packages, Optional<AptRepo> repo, boolean ubuntuPro,
    String release, KernelVersion series) {

  public KernelPlan {
    packages = List.copyOf(packages);
  }

  /** Whether this kernel is meant to be PREEMPT_RT (every choice but none). */
  public boolean isRealtime() {
    return realtime != Realtime.NONE;
  }

  /** RHEL's real-time and NFV repositories: kernel-rt, and the realtime-virtual-* TuneD profiles. */
  public static final List<String> RHEL_REPOS = List.of("rhel-9-for-x86_64-rt-rpms", "rhel-9-for-x86_64-nfv-rpms");

  /**
   * @param guest a real-time guest: ECI adds rt-tests-scripts (the guide's benchmark scripts)
   */
  static KernelPlan of(Os os, Manifest.KernelChoice choice, Manifest.Site site, boolean guest) {
    Distro d = Distro.of(os);
    return switch (choice.realtime()) {
      case NONE -> new KernelPlan(Realtime.NONE, "the stock kernel of " + os.id() + " (not real-time)", List.of(), Optional.empty(),
          false, "", d.stockKernel());
      // A named package is whatever kernel its name says, not the distribution's: linux-image-5.10.0-rt-amd64
      // on Debian 12 is 5.10, which reads hugepages=0:8 as no pages at all.
      case PACKAGE -> new KernelPlan(Realtime.PACKAGE, "the package " + choice.pkg().orElseThrow(), List.of(choice.pkg().get()),
          Optional.empty(), false, "", KernelVersion.ofPackage(choice.pkg().get()));
      case ECI -> {
        List<String> pk = guest ? List.of("linux-intel-rt", "eci-customizations", "rt-tests-scripts") : List.of("linux-intel-rt", "eci-customizations");
        // Which series ECI serves per codename changes with its releases; the facts assume no newer
        // kernel than the distribution's own, which is never wrong about the syntax it parses.
        yield new KernelPlan(Realtime.ECI, "Intel ECI's linux-intel-rt", pk, Optional.of(AptRepo.eci(d.codename(), site.eci())),
            false, "*intel*", d.stockKernel());
      }
      case DISTRO -> switch (os) {
        case DEBIAN11, DEBIAN12 -> new KernelPlan(Realtime.DISTRO, "Debian's linux-image-rt-amd64", List.of("linux-image-rt-amd64"),
            Optional.empty(), false, "*-rt-amd64", d.stockKernel());
        case UBUNTU2204, UBUNTU2404 -> new KernelPlan(Realtime.DISTRO, "Ubuntu Pro's real-time kernel", List.of(), Optional.empty(),
            true, "*-realtime", d.stockKernel());
        // kernel-rt's release carries "rt": 5.14.0-427.13.1.el9_4.x86_64+rt. RHEL 9 ships the real-time
        // kernel's KVM modules in a package of their own (kernel.spec's mod-kvm.list): a host without
        // kernel-rt-kvm boots kernel-rt with no /dev/kvm, and no VM starts.
        case RHEL9 -> new KernelPlan(Realtime.DISTRO, "RHEL's kernel-rt", guest ? List.of("kernel-rt") : List.of("kernel-rt", "kernel-rt-kvm"),
            Optional.empty(), false, "*rt*", d.stockKernel());
      };
    };
  }

  /**
   * An APT repository rtc adds: its list file, its key (a keyring file named with signed-by, so the
   * key vouches for this repository only), and a pin.
   *
   * @param uri the archive root, e.g. https://eci.intel.com/repos/bookworm
   * @param keyUrl where the runbook (host) or cloud-init (guest) fetches the key
   * @param origin the host name apt matches for the pin (an origin pin covers every repository
   *     served from that host)
   */
  public record AptRepo(String name, String uri, String suite, String component, String keyUrl, String keyring, String origin,
      int pinPriority) {

    static final String ECI = "https://eci.intel.com/repos";

    /** The guide's repository, keyring and pin, or the same from a mirror of it (site.mirrors.eci). */
    static AptRepo eci(String codename, Optional<String> mirror) {
      String base = mirror.map(m -> m.replaceAll("/+$", "")).orElse(ECI);
      return new AptRepo("eci", base + "/" + codename, "isar", "main", base + "/gpg-keys/GPG-PUB-KEY-INTEL-ECI.gpg",
          "/usr/share/keyrings/eci-archive-keyring.gpg", HttpUrl.parse(base).host(), 1000);
    }

    public String sourcesFile() {
      return "/etc/apt/sources.list.d/rtc-" + name + ".list";
    }

    public String sourcesLine() {
      return "deb [signed-by=" + keyring + "] " + uri + " " + suite + " " + component;
    }

    public String preferencesFile() {
      return "/etc/apt/preferences.d/rtc-" + name;
    }

    /** The guide's pin: everything from the repository's host above the distribution's archives. */
    public String preferences() {
      return "Package: *\nPin: origin " + origin + "\nPin-Priority: " + pinPriority + "\n";
    }
  }
}
