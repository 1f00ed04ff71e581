package dev.rtc.emit;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real consumer of an artifact (virsh, cloud-init, shellcheck, ...), run as a process. A missing
 * tool skips the test on a developer's machine and fails it under {@code CI=true}, where
 * {@code .ci/run} has installed every tool.
 */
public record Tool(String name) {

  /** What a finished process said. */
  public record Run(int exit, String out, String err) {
    public String all() {
      return out + err;
    }
  }

  public static Tool require(String name) {
    if (find(name) == null) {
      String why = name + " is not installed (.ci/run installs it)";
      if ("true".equals(System.getenv("CI"))) {
        fail("CI=true and " + why);
      }
      Assumptions.abort(why);
    }
    return new Tool(name);
  }

  static Path find(String name) {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      Path p = Path.of(dir, name);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  public Run run(Path cwd, String... args) {
    return run(cwd, Map.of(), args);
  }

  public Run run(Path cwd, Map<String, String> env, String... args) {
    return run(java.time.Duration.ofSeconds(120), cwd, env, args);
  }

  /** The same, for a command allowed to take {@code limit} (a guest's first boot under emulation). */
  public Run run(java.time.Duration limit, Path cwd, Map<String, String> env, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(name);
    cmd.addAll(List.of(args));
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile());
      pb.environment().put("LC_ALL", "C.UTF-8");
      pb.environment().putAll(env);
      Path out = Files.createTempFile("rtc-tool", ".out");
      Path err = Files.createTempFile("rtc-tool", ".err");
      pb.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
      Process p = pb.start();
      if (!p.waitFor(limit.toSeconds(), TimeUnit.SECONDS)) {
        p.destroyForcibly();
        fail(String.join(" ", cmd) + " did not finish in " + limit.toSeconds() + " s; it said: " + Files.readString(out) + Files.readString(err));
      }
      Run r = new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
      Files.delete(out);
      Files.delete(err);
      return r;
    } catch (IOException e) {
      throw new AssertionError("could not run " + cmd, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
