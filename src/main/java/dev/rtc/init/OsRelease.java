package dev.rtc.init;

import dev.rtc.manifest.Manifest.Os;
import dev.rtc.probe.HostFiles;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The host's OS as host.os names it, from /etc/os-release (ID and VERSION_ID); empty for one rtc does not know. */
final class OsRelease {

  private static final Pattern LINE = Pattern.compile("(?m)^(ID|VERSION_ID)=\"?([^\"\\n]*)\"?\\s*$");

  private OsRelease() {}

  static Optional<Os> of(HostFiles files) {
    Optional<String> text = files.read("/etc/os-release");
    if (text.isEmpty()) {
      return Optional.empty();
    }
    String id = "";
    String version = "";
    Matcher m = LINE.matcher(text.get());
    while (m.find()) {
      if (m.group(1).equals("ID")) {
        id = m.group(2);
      } else {
        version = m.group(2);
      }
    }
    return switch (id) {
      case "debian" -> version.equals("11") ? Optional.of(Os.DEBIAN11) : version.equals("12") ? Optional.of(Os.DEBIAN12) : Optional.empty();
      case "ubuntu" -> version.equals("22.04") ? Optional.of(Os.UBUNTU2204) : version.equals("24.04") ? Optional.of(Os.UBUNTU2404)
          : Optional.empty();
      case "rhel" -> version.startsWith("9") ? Optional.of(Os.RHEL9) : Optional.empty();
      default -> Optional.empty();
    };
  }
}
