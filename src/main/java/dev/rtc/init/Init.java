package dev.rtc.init;

import dev.rtc.io.InputFiles;
import dev.rtc.manifest.diagnostics.Diagnostic;
import dev.rtc.probe.HostFiles;
import dev.rtc.probe.Probe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/** rtc init: probe a source, then write a starter manifest for it (see {@link StarterManifest}). */
public final class Init {

  /** A source or option rtc init cannot use, said in words. */
  public static final class RefusedException extends Exception {
    RefusedException(String message) {
      super(message);
    }
  }

  /**
   * @param password the new password rtc init made, when it was not given a hash
   * @param problems rtc's errors for the manifest; empty when it compiles
   */
  /** @param host the host in a few words (its size, whether it has CAT), for a person told that it cannot hold the manifest */
  public record Outcome(String yaml, Optional<String> password, List<Diagnostic> problems, Optional<String> host) {}

  private static final Pattern NAME = Pattern.compile("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$");
  private static final Pattern HASH = Pattern.compile("^\\$(6|5|y|2b)\\$[^\\s\"]{8,}$");
  private static final int FACTS_LIMIT = 16 << 20;

  private Init() {}

  public static Outcome run(Path source, String name, String passwordHash) throws RefusedException, IOException {
    return run(source, name, passwordHash, "manifest.yaml");
  }

  /** @param file the name the manifest will have, which its diagnostics name (the -o file, or standard output) */
  public static Outcome run(Path source, String name, String passwordHash, String file) throws RefusedException, IOException {
    if (!NAME.matcher(name).matches()) {
      throw new RefusedException("--name '" + name.replaceAll("\\p{Cntrl}", "?") + "' is not a DNS label (lower-case letters, digits"
          + " and '-', 1 to 63, not starting or ending with '-')");
    }
    if (passwordHash != null && !HASH.matcher(passwordHash).matches()) {
      throw new RefusedException("--password-hash is not a crypt hash ($6$..., $5$..., $y$..., $2b$...); make one with mkpasswd -m sha-512");
    }
    Probe.Host host;
    HostFiles files;
    try {
      if (Files.isDirectory(source)) {
        files = HostFiles.root(source);
        host = Probe.read(files);
      } else {
        String text = InputFiles.readText(source, FACTS_LIMIT);
        files = HostFiles.dump(source.toString(), text);
        host = Probe.read(source.toString(), text);
      }
    } catch (InputFiles.RefusedException e) {
      throw new RefusedException(source + " " + e.getMessage() + "; give a root folder, a facts file from ./runbook.sh facts, or lscpu's output");
    } catch (Probe.ProbeException e) {
      throw new RefusedException(e.getMessage());
    }
    Optional<String> password = Optional.empty();
    String hash = passwordHash;
    if (hash == null) {
      SecureRandom random = new SecureRandom();
      password = Optional.of(Sha512Crypt.password(random, 16));
      hash = Sha512Crypt.hash(password.get(), Sha512Crypt.salt(random));
    }
    StarterManifest.Result r = StarterManifest.of(host, source.toString(), OsRelease.of(files), name, hash, password.isPresent(), file);
    return new Outcome(r.yaml(), password, r.problems(), Optional.of(r.host()));
  }
}
