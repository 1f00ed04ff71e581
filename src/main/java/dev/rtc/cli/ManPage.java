package dev.rtc.cli;

import dev.rtc.io.Version;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * rtc(1), written from the same picocli model as {@code --help}, so the two never disagree.
 * Run at package time ({@code target/man/rtc.1}); no date in it, so the build stays byte-stable.
 */
public final class ManPage {

  private ManPage() {}

  public static void main(String[] args) throws IOException {
    Path out = Path.of(args.length > 0 ? args[0] : "target/man/rtc.1");
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, render(), StandardCharsets.UTF_8);
    // rtc-manifest(5), the manifest's reference from the schema, beside it.
    Files.writeString(out.toAbsolutePath().getParent().resolve("rtc-manifest.5"), ManifestManPage.render(), StandardCharsets.UTF_8);
    // The bash completion script, for the distribution's share/bash-completion/completions/rtc.
    Files.writeString(out.toAbsolutePath().getParent().resolve("rtc-completion.bash"), Instant.completion(), StandardCharsets.UTF_8);
    // The instant answers, into the classes the jar is made from (prepare-package runs before it).
    if (args.length > 1) {
      Path classes = Path.of(args[1]);
      Files.writeString(classes.resolve(Instant.HELP.substring(1)), Instant.help(), StandardCharsets.UTF_8);
      Files.writeString(classes.resolve(Instant.COMPLETION.substring(1)), Instant.completion(), StandardCharsets.UTF_8);
    }
  }

  public static String render() {
    CommandLine cli = Main.commandLine();
    CommandSpec root = cli.getCommandSpec();
    StringBuilder t = new StringBuilder();
    t.append(".TH RTC 1 \"\" \"rtc ").append(esc(Version.get())).append("\" \"User Commands\"\n");
    t.append(".SH NAME\nrtc \\- ").append(esc(String.join(" ", root.usageMessage().description()))).append('\n');
    t.append(".SH SYNOPSIS\n.B rtc\n.I COMMAND\n[\\fIOPTIONS\\fR] [\\fIARGUMENTS\\fR]\n");
    t.append(".SH DESCRIPTION\n")
        .append("rtc reads one YAML deployment manifest for a real-time KVM host, validates it, solves CPU pinning and cache-way ")
        .append("masks as the kernel and libvirt will accept them, and writes a bundle of artifacts: GRUB drop-ins, resctrl ")
        .append("schemata and its systemd unit, libvirt domain XML, cloud-init seeds, a runbook and a plan.\n");
    t.append(".SH COMMANDS\n");
    for (var e : cli.getSubcommands().entrySet()) {
      if (e.getKey().equals("help")) {
        continue;
      }
      CommandSpec spec = e.getValue().getCommandSpec();
      t.append(".SS \"rtc ").append(esc(e.getKey())).append("\"\n");
      for (String d : spec.usageMessage().description()) {
        t.append(esc(d)).append("\n.PP\n");
      }
      for (PositionalParamSpec p : spec.positionalParameters()) {
        t.append(".TP\n\\fI").append(esc(p.paramLabel())).append("\\fR\n").append(esc(String.join(" ", p.description()))).append('\n');
      }
      for (OptionSpec o : spec.options()) {
        t.append(".TP\n");
        List<String> names = List.of(o.names());
        for (int i = 0; i < names.size(); i++) {
          t.append(i > 0 ? ", " : "").append("\\fB").append(esc(names.get(i))).append("\\fR");
        }
        if (o.arity().max() > 0) {
          t.append("=\\fI").append(esc(o.paramLabel())).append("\\fR");
        }
        t.append('\n').append(esc(String.join(" ", o.description()).replace("${DEFAULT-VALUE}", String.valueOf(o.defaultValue()))
            .replace("${COMPLETION-CANDIDATES}", o.completionCandidates() == null ? "" : String.join(", ", o.completionCandidates())))).append('\n');
      }
      String[] footer = spec.usageMessage().footer();
      if (footer.length > 0) {
        t.append(".PP\n.nf\n");
        for (String f : footer) {
          t.append(f.isEmpty() ? "" : esc(f)).append('\n');
        }
        t.append(".fi\n");
      }
    }
    t.append(".SH EXIT STATUS\n.TP\n0\nSuccess.\n.TP\n1\nThe manifest has errors; nothing was written.\n")
        .append(".TP\n2\nUsage error, or the output folder was not written by rtc (see \\fB\\-\\-force\\fR).\n")
        .append(".TP\n3\nInternal error: a bug in rtc; the only case with a stack trace.\n")
        .append(".TP\n4\nA file could not be read or written (disk full, permission denied, another rtc writing the same folder); "
            + "nothing was left half\\-written.\n");
    t.append(".SH SEE ALSO\n.BR rtc\\-manifest (5),\nevery key of the manifest.\n");
    // Where an installed rtc keeps them (the tarball's layout), and where they are in rtc's sources.
    t.append(".SH FILES\n.TP\n\\fIPREFIX\\fR/share/doc/rtc/diagnostics.md\nEvery diagnostic code, with a bad and a fixed example "
            + "(docs/diagnostics.md in the sources).\n")
        .append(".TP\n\\fIPREFIX\\fR/share/doc/rtc/runbook\\-checks.md\nEvery check, change and exit code of the bundle's runbook.sh.\n")
        .append(".TP\n\\fIPREFIX\\fR/share/doc/rtc/monitoring.md\nWatching a host after handover: metrics, alerts, dashboard.\n")
        .append(".TP\n\\fIPREFIX\\fR/share/rtc/examples/\nExample manifests: the guide's reference host, RHEL 9, Xeons, a hybrid client, "
            + "an Atom.\n")
        .append(".TP\n\\fIPREFIX\\fR/share/rtc/schemas/manifest.schema.json\nThe manifest's JSON Schema (also \\fBrtc schema\\fR).\n");
    return t.toString();
  }

  /** troff escaping: backslashes, hyphens in words, characters beyond ASCII, and a leading dot or quote. */
  static String esc(String s) {
    String r = s.replace("\\", "\\e").replace("-", "\\-");
    StringBuilder b = new StringBuilder(r.length());
    r.codePoints().forEach(c -> b.append(c < 128 ? Character.toString(c) : String.format(java.util.Locale.ROOT, "\\[u%04X]", c)));
    r = b.toString(); // groff reads its input as Latin-1: everything else as a named Unicode glyph (µ, →, ×)
    return r.startsWith(".") || r.startsWith("'") ? "\\&" + r : r;
  }
}
