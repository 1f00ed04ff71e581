package dev.rtc.cli;

import dev.rtc.Slow;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.emit.Tool;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** rtc(1) renders cleanly with groff and covers every command and option; the completion script works in bash. */
@Slow
class ManPageAndCompletionTest {

  @TempDir Path tmp;

  @Test
  void theManPageRendersWithoutWarningsAndNamesEveryCommandAndOption() throws IOException {
    Path page = tmp.resolve("rtc.1");
    ManPage.main(new String[] {page.toString()});
    Tool.Run r = Tool.require("groff").run(tmp, Map.of(), "-man", "-Tutf8", "-ww", "-z", page.toString());
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.err()).as("groff warnings").isEmpty();
    Tool.Run text = Tool.require("groff").run(tmp, Map.of(), "-man", "-Tascii", "-P-c", page.toString());
    String shown = text.out().replaceAll(".\u0008", "").replaceAll("-\\n\\s+", "-").replaceAll("\\s+", " ");
    CommandLine cli = Main.commandLine();
    cli.getSubcommands().forEach((name, sub) -> {
      if (!name.equals("help")) {
        assertThat(shown).contains("rtc " + name);
        sub.getCommandSpec().options().forEach(o -> assertThat(shown).as("rtc %s %s", name, o.longestName()).contains(o.longestName()));
      }
    });
    assertThat(shown).contains("EXIT STATUS").doesNotContain("${");
    assertThat(ManPage.render()).isEqualTo(ManPage.render()).doesNotContain("2026");
    // Every exit code Main knows, and SEE ALSO as words, not "rtc-manifest(5):everykeyofthemanifest.".
    for (int code : new int[] {Main.OK, Main.MANIFEST_ERRORS, Main.USAGE, Main.INTERNAL, Main.IO}) {
      assertThat(shown).containsPattern("EXIT STATUS.* " + code + " [A-Z]");
    }
    assertThat(shown).contains("SEE ALSO rtc-manifest(5), every key of the manifest.");
    // An installed rtc has no examples/ or golden/ folder: the page names the installed paths.
    assertThat(shown).doesNotContain("examples/eci-reference").doesNotContain("golden/").contains("PREFIX/share/doc/rtc/diagnostics.md");
  }

  /** Every command's help names only what an installed rtc has, and a command that can fail to write says exit code 4. */
  @Test
  void theHelpWorksFromAnInstalledRtc() {
    CommandLine cli = Main.commandLine();
    cli.getSubcommands().forEach((name, sub) -> {
      String help = sub.getUsageMessage();
      assertThat(help).as("rtc %s --help", name).doesNotContain("examples/").doesNotContain("golden/");
    });
    assertThat(cli.getSubcommands().get("compile").getUsageMessage().replaceAll("\\s+", " ")).contains("4 a file could not be read or written");
    assertThat(cli.getUsageMessage()).contains("share/rtc/examples/ of an installed rtc");
  }

  /** The hints of an empty manifest and of a missing key send an installed user to what an installed rtc has. */
  @Test
  void hintsNameWhatAnInstalledRtcHas() throws IOException {
    for (String text : List.of("# nothing yet\n", "apiVersion: rtc/v1\nname: x\n")) {
      Path m = Files.writeString(tmp.resolve("m-" + text.length() + ".yaml"), text);
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      assertThat(Main.run(new String[] {"validate", m.toString()}, new PrintWriter(out), new PrintWriter(err))).isEqualTo(Main.MANIFEST_ERRORS);
      assertThat(err.toString()).contains("hint: ").doesNotContain("examples/").doesNotContain("schemas/")
          .containsPattern("rtc init writes one for a host|man rtc-manifest says what 'host' takes");
    }
  }

  /** rtc-manifest(5) is written beside rtc(1) from the schema: every key, with its description, and groff has nothing to say. */
  @Test
  void theManifestReferenceRendersAndHasEveryKey() throws IOException {
    ManPage.main(new String[] {tmp.resolve("rtc.1").toString()});
    Path page = tmp.resolve("rtc-manifest.5");
    assertThat(page).exists();
    Tool.Run r = Tool.require("groff").run(tmp, Map.of(), "-man", "-Tutf8", "-ww", "-z", page.toString());
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.err()).as("groff warnings").isEmpty();
    Tool.Run text = Tool.require("groff").run(tmp, Map.of(), "-man", "-Tutf8", "-P-c", page.toString());
    String shown = text.out().replaceAll(".\u0008", "");
    for (String key : List.of("apiVersion", "host.topology.l2.coreTypes.E.size", "host.devices[].sriov.totalVfs", "vms[].devices[].vf",
        "vms[].networks[].macvtap", "vms[].guest.kernel.realtime", "benchmark.cyclictest.distanceUs", "host.topology.mba.closids")) {
      assertThat(shown).as(key).contains(key);
    }
    assertThat(shown).contains("Max latency (µs) below which the result is GREAT.").contains("one of: realtime, stressor")
        .contains("default: low").contains("e.g. 8 GiB, 60 MiB, 28160K");
    assertThat(ManifestManPage.render()).isEqualTo(ManifestManPage.render()).doesNotContain("2026");
  }

  @Test
  void theCompletionScriptCompletesCommandsAndOptionsInBash() throws IOException {
    StringWriter out = new StringWriter();
    assertThat(Main.run(new String[] {"completion"}, new PrintWriter(out, true), new PrintWriter(new StringWriter(), true))).isZero();
    Path script = Files.writeString(tmp.resolve("rtc-completion.bash"), out.toString());
    Tool bash = Tool.require("bash");
    Tool.Run cmds = bash.run(tmp, Map.of(), "-c", "source " + script + " && COMP_WORDS=(rtc ex) COMP_CWORD=1 COMP_LINE='rtc ex' "
        + "COMP_POINT=6 && _complete_rtc rtc ex rtc && printf '%s\\n' \"${COMPREPLY[@]}\"");
    assertThat(cmds.exit()).as(cmds.all()).isZero();
    assertThat(cmds.out().lines()).contains("explain");
    Tool.Run opts = bash.run(tmp, Map.of(), "-c", "source " + script + " && COMP_WORDS=(rtc compile --ch) COMP_CWORD=2 "
        + "COMP_LINE='rtc compile --ch' COMP_POINT=16 && _complete_rtc rtc --ch compile && printf '%s\\n' \"${COMPREPLY[@]}\"");
    assertThat(opts.out().lines()).contains("--check");
  }
}
