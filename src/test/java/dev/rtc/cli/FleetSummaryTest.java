package dev.rtc.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet ends with one line that says what became of every manifest, by name: written (or up to
 * date, out of date with --check) and with errors. A bad manifest's count of errors names it, so it
 * does not read as the whole fleet's failure. Without a terminal (as here, and in a pipeline) no
 * progress is printed.
 */
class FleetSummaryTest {

  @TempDir Path tmp;

  @Test
  void aFleetEndsWithWhatBecameOfEachManifestByName() throws IOException {
    Path hosts = Files.createDirectories(tmp.resolve("hosts"));
    Path out = tmp.resolve("out");
    Files.copy(CliTest.EXAMPLE, hosts.resolve("line-1.yaml"));
    Files.copy(Path.of("examples/xeon-smt.yaml"), hosts.resolve("line-2.yaml"));
    Path bad = Files.writeString(hosts.resolve("line-9.yaml"), Files.readString(CliTest.EXAMPLE)
        .replace("name: eci-reference", "name: line-9").replace("    vcpus: 8 ", "    vcpus: 80 "));

    CliTest.Outcome o = CliTest.rtc("compile", hosts.toString(), "-o", out.toString());
    assertThat(o.exit()).isEqualTo(Main.MANIFEST_ERRORS);
    assertThat(o.err()).contains("1 error in " + bad + "; nothing was written for it").doesNotContain("compiled 1 of");
    assertThat(o.out()).endsWith("rtc: 3 manifests: 2 written to " + out + ": eci-reference, xeon-smt; 1 with errors (nothing written for it): "
        + bad + "\n");

    Files.writeString(hosts.resolve("line-2.yaml"), "# edited: every artifact's provenance header changes\n" + Files.readString(hosts.resolve("line-2.yaml")));
    CliTest.Outcome check = CliTest.rtc("compile", hosts.toString(), "-o", out.toString(), "--check");
    assertThat(check.out()).endsWith("rtc: 3 manifests: 1 up to date; 1 out of date: xeon-smt; 1 with errors: " + bad + "\n");

    // Compiled again: the changed one written, the other left as it was (its files keep their times), each by name.
    Path kept = out.resolve("eci-reference/runbook.sh");
    java.nio.file.attribute.FileTime before = Files.getLastModifiedTime(kept);
    CliTest.Outcome again = CliTest.rtc("compile", hosts.toString(), "-o", out.toString());
    assertThat(again.out()).endsWith("rtc: 3 manifests: 1 written to " + out + ": xeon-smt; 1 unchanged: eci-reference; 1 with errors "
        + "(nothing written for it): " + bad + "\n").doesNotContain("wrote 29 files to " + out.resolve("eci-reference"));
    assertThat(Files.getLastModifiedTime(kept)).isEqualTo(before);
    // A bundle set aside by a run that was killed (its writer long dead) beside an unchanged one: written, and mended.
    Path leftover = Files.createDirectories(out.resolve(".eci-reference.rtc-old-999999-1-1"));
    Files.writeString(leftover.resolve("README.md"), "an older bundle\n");
    assertThat(CliTest.rtc("compile", hosts.toString(), "-o", out.toString()).out()).contains("1 written to " + out + ": eci-reference");
    assertThat(leftover).doesNotExist();
    // A bundle whose user-data others can read (a git checkout makes it 0644) is written again, back to 0600.
    Path userData = out.resolve("eci-reference/vms/debian12-rt/user-data");
    Files.setPosixFilePermissions(userData, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    assertThat(CliTest.rtc("compile", hosts.toString(), "-o", out.toString()).out())
        .contains("1 written to " + out + ": eci-reference; 1 unchanged: xeon-smt");
    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(userData))).isEqualTo("rw-------");

    // One manifest, compiled twice: the second time nothing is written, and it says so.
    Path single = tmp.resolve("single");
    assertThat(CliTest.rtc("compile", CliTest.EXAMPLE.toString(), "-o", single.toString()).out()).contains("wrote ");
    CliTest.Outcome same = CliTest.rtc("compile", CliTest.EXAMPLE.toString(), "-o", single.toString());
    assertThat(same.exit()).isZero();
    assertThat(same.out()).contains("rtc: " + single + " already holds this bundle (").contains(" files): nothing written");

    // One manifest is not a fleet: no closing line, and the error count is as it always was.
    CliTest.Outcome one = CliTest.rtc("compile", bad.toString(), "-o", tmp.resolve("one").toString());
    assertThat(one.err()).contains("1 error; nothing was written").doesNotContain(" in " + bad);
    assertThat(one.out()).doesNotContain("manifests:");
  }
}
