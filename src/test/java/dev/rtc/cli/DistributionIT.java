package dev.rtc.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.emit.Tool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution mvn package makes (target/rtc-VERSION.tar.gz), unpacked somewhere else and
 * linked into PATH as an installer would: rtc runs from any folder, makes its class-data archive
 * in the user's cache on first run, inits and compiles a manifest, and brings its man pages, its
 * completion script, the schema and the examples.
 */
class DistributionIT {

  static final Path ROOT = Path.of("").toAbsolutePath();

  private static <T> java.util.stream.Collector<T, ?, T> onlyOne() {
    return java.util.stream.Collectors.collectingAndThen(java.util.stream.Collectors.toList(), l -> {
      assertThat(l).as("one class-data archive").hasSize(1);
      return l.get(0);
    });
  }

  @Test
  void theTarballInstallsAndRunsFromALink(@TempDir Path dir) throws IOException {
    Path tarball;
    try (Stream<Path> s = Files.list(ROOT.resolve("target"))) {
      tarball = s.filter(p -> p.getFileName().toString().matches("rtc-.*\\.tar\\.gz")).findFirst().orElseThrow();
    }
    Path opt = Files.createDirectories(dir.resolve("opt"));
    Tool.Run untar = Tool.require("tar").run(opt, Map.of(), "xzf", tarball.toString());
    assertThat(untar.exit()).as(untar.all()).isZero();
    Path home;
    try (Stream<Path> s = Files.list(opt)) {
      home = s.findFirst().orElseThrow();
    }
    assertThat(home.resolve("bin/rtc")).isExecutable();
    assertThat(home.resolve("share/man/man1/rtc.1")).exists();
    assertThat(home.resolve("share/man/man5/rtc-manifest.5")).exists();
    assertThat(home.resolve("share/rtc/schemas/manifest.schema.json")).exists();
    assertThat(home.resolve("share/doc/rtc/runbook-checks.md")).exists();
    assertThat(home.resolve("share/doc/rtc/monitoring.md")).exists();
    assertThat(home.resolve("share/doc/rtc/spike-causes.md")).exists();
    // The Ansible collection, versioned with rtc.
    Path galaxy = home.resolve("share/rtc/ansible/ansible_collections/rtc/fleet/galaxy.yml");
    assertThat(Files.readString(galaxy)).contains("\nversion: " + dev.rtc.io.Version.get() + "\n");
    assertThat(home.resolve("share/rtc/ansible/ansible_collections/rtc/fleet/plugins/modules/runbook.py")).exists();
    assertThat(home.resolve("share/rtc/ansible/ansible_collections/rtc/fleet/playbooks/apply.yml")).exists();
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path rtc = Files.createSymbolicLink(bin.resolve("rtc"), home.resolve("bin/rtc"));
    Path user = Files.createDirectories(dir.resolve("home"));
    Path work = Files.createDirectories(dir.resolve("site"));
    Map<String, String> env = Map.of("HOME", user.toString(), "PATH", bin + ":" + System.getenv("PATH"));
    Tool launcher = new Tool(rtc.toString());

    Tool.Run version = launcher.run(work, env, "--version");
    assertThat(version.exit()).as(version.all()).isZero();
    assertThat(version.out()).startsWith("rtc ");
    assertThat(user.resolve(".cache/rtc")).as("the instant answers neither make nor use the class-data archive").doesNotExist();
    Tool.Run init = launcher.run(work, env, "init", ROOT.resolve("src/test/resources/probe/xeon-2s-smt.facts").toString(), "-o", "m.yaml");
    assertThat(init.exit()).as(init.all()).isZero();
    assertThat(init.err()).as("a pipeline's stderr carries only rtc's own words").doesNotContain("start-up cache");
    // On a terminal, the slow first run says what it is doing (script(1) gives it one).
    Path tty = Files.createDirectories(dir.resolve("home-tty"));
    Tool.Run first = Tool.require("script").run(work, Map.of("HOME", tty.toString(), "PATH", bin + ":" + System.getenv("PATH")), "-qec",
        rtc + " validate m.yaml", "/dev/null");
    assertThat(first.exit()).as(first.all()).isZero();
    assertThat(first.out()).contains("rtc: first run with this install and Java: making a start-up cache in " + tty.resolve(".cache/rtc"))
        .contains("m.yaml is valid");
    Path archive;
    try (Stream<Path> s = Files.list(user.resolve(".cache/rtc"))) {
      archive = s.filter(p -> p.toString().endsWith(".jsa")).collect(onlyOne());
    }
    // The archive is used from then on (-Xlog:cds would say if the JDK refused it), and made again
    // when the jar is replaced in place, even by an older one (a tarball keeps its files' times).
    java.nio.file.attribute.FileTime made = Files.getLastModifiedTime(archive);
    assertThat(launcher.run(work, env, "validate", "m.yaml").exit()).isZero();
    assertThat(Files.getLastModifiedTime(archive)).as("the archive reused").isEqualTo(made);
    Path jar = home.resolve("lib/rtc.jar");
    Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() - 86_400_000L));
    assertThat(launcher.run(work, env, "validate", "m.yaml").exit()).isZero();
    assertThat(Files.getLastModifiedTime(archive)).as("the archive made again for the replaced jar").isNotEqualTo(made);
    Tool.Run compile = launcher.run(work, env, "compile", "m.yaml", "-o", "out");
    assertThat(compile.exit()).as(compile.all()).isZero();
    Tool.Run example = launcher.run(work, env, "validate", home.resolve("share/rtc/examples/xeon-devices.yaml").toString());
    assertThat(example.exit()).as(example.all()).isZero();

    Tool.Run man = Tool.require("groff").run(work, Map.of(), "-man", "-Tutf8", "-ww", "-z", home.resolve("share/man/man5/rtc-manifest.5").toString());
    assertThat(man.exit()).as(man.all()).isZero();
    String completion = home.resolve("share/bash-completion/completions/rtc").toString();
    Tool.Run words = Tool.require("bash").run(work, Map.of(), "-c", "source " + completion + " && COMP_WORDS=(rtc in) COMP_CWORD=1 "
        + "COMP_LINE='rtc in' COMP_POINT=6 && _complete_rtc rtc in rtc && printf '%s\\n' \"${COMPREPLY[@]}\"");
    assertThat(words.out().lines()).contains("init");
  }
}
