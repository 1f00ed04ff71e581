package dev.rtc.init;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.cli.Main;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * rtc init on recorded hosts: a manifest with a working schema modeline, one real-time and one
 * stressor VM sized to the host, every choice in a comment, that compiles as written; on a host
 * too small for a real-time VM, rtc's own reason and exit 1; never over an existing file.
 */
class InitTest {

  static final Path FACTS = Path.of("src/test/resources/probe");
  static final String HASH = "$6$banana123$wQ1IqKwmt6fbNfzB31o0JC1PTG/TdbxTMkB5gx0RyzujPINAifkV1shcE7HW7d.jnVTs5QyuFZBid8NmYf2oq.";

  record Run(int exit, String out, String err) {}

  static Run rtc(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
    return new Run(code, out.toString(), err.toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"xeon-2s-smt.facts", "core-ultra-hybrid.facts", "atom-l2cat.facts", "xeon-devices.facts",
      "raptor-lake-no-cpu-atom.facts", "xeon-2s-smt.lscpu.json", "xeon-2s-interleaved.facts"})
  void aStarterManifestThatCompilesAsWritten(String facts, @TempDir Path dir) throws IOException {
    Path manifest = dir.resolve("manifest.yaml");
    Run init = rtc("init", FACTS.resolve(facts).toString(), "-o", manifest.toString(), "--name", "line-7", "--password-hash", HASH);
    assertThat(init.exit()).as(init.err()).isZero();
    assertThat(init.err()).contains("compiles as written");
    String y = Files.readString(manifest);
    assertThat(y).startsWith("# yaml-language-server: $schema=./manifest.schema.json\n").contains("name: line-7\n")
        .contains("  # housekeeping: the first core of each socket").contains("role: realtime").contains("benchmark:\n")
        .contains("  power: lowest-latency\n");
    // The power choice is one word to change, and the manifest still compiles with the other.
    String balanced = y.replace("  power: lowest-latency\n", "  power: balanced\n");
    Path other = Files.writeString(dir.resolve("balanced.yaml"), balanced);
    assertThat(rtc("compile", other.toString(), "-o", dir.resolve("balanced").toString()).exit()).isZero();
    // The schema the modeline names is written beside it, and is rtc's.
    assertThat(Files.readString(dir.resolve("manifest.schema.json"))).isEqualTo(rtc("schema").out());
    Run compile = rtc("compile", manifest.toString(), "-o", dir.resolve("out").toString());
    assertThat(compile.exit()).as(compile.err() + compile.out()).isZero();
    // The same source, the same manifest.
    assertThat(rtc("init", FACTS.resolve(facts).toString(), "--name", "line-7", "--password-hash", HASH).out()).isEqualTo(y);
  }

  @Test
  void sizedToTheHost() throws IOException {
    String xeon = rtc("init", FACTS.resolve("xeon-2s-smt.facts").toString(), "--password-hash", HASH).out();
    assertThat(xeon).contains("  housekeeping: \"0,16,32,48\"\n").contains("    vcpus: 4\n").contains("role: stressor");
    // The cache split leaves no way unused: of 11 ways of 3 MiB, the host and stressor keep 5, the real-time VM gets the 6 others.
    assertThat(xeon).contains("  cache: 15 MiB\n").contains("    cache: 18 MiB ").contains("keep 5 ways of every cache instance (3 MiB each); "
        + "the other 6 are the real-time VM's alone");
    // Sizes and CPU lists in the forms a person writes, which the manifest reads back.
    for (String facts : List.of("xeon-2s-smt", "core-ultra-hybrid", "atom-l2cat", "xeon-devices", "raptor-lake-no-cpu-atom",
        "xeon-2s-interleaved")) {
      String m = rtc("init", FACTS.resolve(facts + ".facts").toString(), "--password-hash", HASH).out();
      Matcher cpus = Pattern.compile("cpus: \"([^\"]*)\"").matcher(m);
      while (cpus.find()) {
        assertThat(cpus.group(1)).as(facts).isEqualTo(dev.rtc.topology.CpuSet.parse(cpus.group(1)).describe());
      }
      assertThat(m).as(facts).doesNotContainPattern("cache: \\d+ KiB");
    }
    // CPUs numbered across the sockets: every set in the stride form, the real-time VM on one socket's even CPUs.
    String interleaved = rtc("init", FACTS.resolve("xeon-2s-interleaved.facts").toString(), "--password-hash", HASH).out();
    assertThat(interleaved).contains("      - {id: 0, cpus: \"0-62:2\", memory: 257736 MiB}\n").contains("  housekeeping: \"0,1\"\n")
        .contains("  cache: 28 MiB\n").contains("    cache: 32 MiB ").doesNotContain("0,2,4,6");
    String hybrid = rtc("init", FACTS.resolve("core-ultra-hybrid.facts").toString(), "--password-hash", HASH).out();
    assertThat(hybrid).contains("each on a whole core of the P-cores").contains("interference: accepted");
    String atom = rtc("init", FACTS.resolve("atom-l2cat.facts").toString(), "--password-hash", HASH).out();
    assertThat(atom).contains("cacheOwner: resctrl");
  }

  @Test
  void aHostTooSmallGetsTheReason(@TempDir Path dir) throws IOException {
    Path manifest = dir.resolve("m.yaml");
    Run r = rtc("init", FACTS.resolve("kvm-epyc-2vcpu.facts").toString(), "-o", manifest.toString(), "--password-hash", HASH);
    assertThat(r.exit()).isEqualTo(1);
    // Plainly: the file it wrote, that it does not compile, the host in a few words, and diagnostics that name that file.
    assertThat(r.err()).contains("rtc init: wrote " + manifest + ", but it does not compile: this host cannot hold it as written "
        + "(1 socket, 2 cores, 2 CPUs; no cache allocation: no CAT, or resctrl not mounted (a VM, or a part without it)):")
        .contains("this host is too small for a real-time VM").contains("  " + manifest + ":").doesNotContain("manifest.yaml:")
        .contains("rtc validate " + manifest + " says when it does");
    assertThat(manifest).exists();
    // Again: refused before any work, so no second password is made or printed.
    Run again = rtc("init", FACTS.resolve("kvm-epyc-2vcpu.facts").toString(), "-o", manifest.toString());
    assertThat(again.exit()).isEqualTo(2);
    assertThat(again.err()).contains(manifest + " exists; rtc init writes only new files (an earlier rtc init's?").doesNotContain("password");
  }

  @Test
  void neverOverAnExistingFileAndANewPasswordOnlyAsItsHash(@TempDir Path dir) throws IOException {
    Path manifest = Files.writeString(dir.resolve("m.yaml"), "mine\n");
    Run r = rtc("init", FACTS.resolve("xeon-2s-smt.facts").toString(), "-o", manifest.toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("exists; rtc init writes only new files");
    assertThat(Files.readString(manifest)).isEqualTo("mine\n");
    Path written = dir.resolve("new.yaml");
    assertThat(rtc("init", FACTS.resolve("xeon-2s-smt.facts").toString(), "-o", written.toString()).exit()).isZero();
    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(written)))
        .as("the manifest holds the password hash").isEqualTo("rw-------");
    Run fresh = rtc("init", FACTS.resolve("xeon-2s-smt.facts").toString());
    Matcher pw = Pattern.compile("gets the password (\\S+) ").matcher(fresh.err());
    assertThat(pw.find()).as(fresh.err()).isTrue();
    Matcher hash = Pattern.compile("passwordHash: \"(\\$6\\$([./0-9A-Za-z]{16})\\$[./0-9A-Za-z]{86})\"").matcher(fresh.out());
    assertThat(hash.find()).as(fresh.out()).isTrue();
    assertThat(Sha512Crypt.hash(pw.group(1), hash.group(2))).isEqualTo(hash.group(1));
    assertThat(fresh.out()).doesNotContain(pw.group(1));
    assertThat(fresh.out()).as("the guest OS it chose, written").contains("    guest:\n      os: ");
  }

  @Test
  void theOsComesFromOsRelease(@TempDir Path dir) throws IOException {
    Path facts = Files.writeString(dir.resolve("facts.txt"), "/etc/os-release:PRETTY_NAME=\"Ubuntu 24.04.1 LTS\"\n/etc/os-release:ID=ubuntu\n"
        + "/etc/os-release:VERSION_ID=\"24.04\"\n" + Files.readString(FACTS.resolve("xeon-2s-smt.facts")));
    String y = rtc("init", facts.toString(), "--password-hash", HASH).out();
    assertThat(y).contains("  os: ubuntu2404                     # from /etc/os-release\n").contains("user: ubuntu")
        .contains("ubuntu-24.04-server-cloudimg-amd64.img");
    assertThat(rtc("init", FACTS.resolve("xeon-2s-smt.facts").toString(), "--name", "Bad_Name").err()).contains("is not a DNS label");
  }
}
