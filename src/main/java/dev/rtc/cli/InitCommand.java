package dev.rtc.cli;

import dev.rtc.init.Init;
import dev.rtc.io.IoErrors;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "init", mixinStandardHelpOptions = true,
    description = {"Writes a first manifest for a host: its topology as rtc probe reads it, the first core of each socket for"
        + " housekeeping, one real-time VM and one stressor sized to the host, a cache split where it has CAT, and a benchmark;"
        + " every choice explained in a comment. It is compiled before it is written: where the host cannot hold a real-time VM,"
        + " rtc's reason is printed (and the exit is 1).",
        "SOURCE is what rtc probe reads: a root directory (default /), a facts file from ./runbook.sh facts, or lscpu's output."},
    footer = {"", "Examples:", "  rtc init -o manifest.yaml                  # this host", "  rtc init facts.txt -o line-7.yaml --name line-7",
        "  rtc schema > manifest.schema.json          # for the editor, as the manifest's first line says", "",
        "Exit codes: 0 written, and it compiles; 1 written, but the host cannot hold it (the reason is printed);",
        "2 usage (a bad source or name, or -o names a file that exists); 4 the source could not be read or the manifest written."})
final class InitCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(index = "0", arity = "0..1", paramLabel = "SOURCE", description = "A root directory, a facts file or lscpu's output (default: /).")
  Path source = Path.of("/");

  @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write the manifest to FILE (never over an existing one) instead of standard output.")
  Path output;

  @Option(names = "--name", paramLabel = "NAME", description = "The bundle's name, a DNS label (default: ${DEFAULT-VALUE}).")
  String name = "my-host";

  @Option(names = "--password-hash", paramLabel = "HASH", description = "The guests' user's password hash ($6$..., from mkpasswd -m sha-512);"
      + " without it, rtc init makes a new password, prints it once, and writes only its hash.")
  String passwordHash;

  @Override
  public Integer call() {
    var err = spec.commandLine().getErr();
    if (output != null && Files.exists(output, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      // Before any work (and before a new password is made and printed): rtc init never writes over a file.
      err.println("rtc init: " + output + " exists; rtc init writes only new files (an earlier rtc init's? edit it, give another -o,"
          + " or move it away)");
      return Main.USAGE;
    }
    Init.Outcome o;
    try {
      o = Init.run(source, name, passwordHash, output == null ? "<standard output>" : output.toString());
    } catch (Init.RefusedException e) {
      err.println("rtc init: " + e.getMessage());
      return Main.USAGE;
    } catch (IOException e) {
      err.println("rtc init: cannot read " + source + ": " + IoErrors.describe(e));
      return Main.IO;
    }
    if (output == null) {
      spec.commandLine().getOut().print(o.yaml());
      spec.commandLine().getOut().flush();
    } else {
      try {
        writeOwnerOnly(output, o.yaml());
      } catch (FileAlreadyExistsException e) {
        err.println("rtc init: " + output + " exists; rtc init writes only new files (give another -o, or move it away)");
        return Main.USAGE;
      } catch (IOException e) {
        err.println("rtc init: cannot write " + output + ": " + IoErrors.describe(e));
        return Main.IO;
      }
      // The schema the manifest's first line points at, beside it, so the editor checks it at once; one already there stays.
      Path schema = output.toAbsolutePath().resolveSibling("manifest.schema.json");
      try {
        Files.writeString(schema, dev.rtc.manifest.SchemaCheck.schemaText(), StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE);
        err.println("rtc init: wrote " + schema + ", the schema its first line names, for the editor");
      } catch (FileAlreadyExistsException e) {
        // The user's own copy (perhaps of another rtc): left as it is.
      } catch (IOException e) {
        err.println("rtc init: could not write " + schema + " (" + IoErrors.describe(e) + "); rtc schema > manifest.schema.json makes it");
      }
    }
    o.password().ifPresent(p -> err.println("rtc init: the guests' user gets the password " + p + " (only its hash is in the manifest;"
        + " keep it now, it is written nowhere)"));
    if (!o.problems().isEmpty()) {
      err.println("rtc init: " + (output == null ? "the manifest above" : "wrote " + output + ", but it") + " does not compile: this host"
          + " cannot hold it as written" + o.host().map(h -> " (" + h + ")").orElse("") + ":");
      o.problems().forEach(d -> err.println("  " + d.render()));
      err.println("rtc init: edit it for a larger host, or compile it where it fits" + (output == null ? "" : ": rtc validate " + output
          + " says when it does"));
      err.flush();
      return Main.MANIFEST_ERRORS;
    }
    err.println("rtc init: " + (output == null ? "the manifest" : output) + " compiles as written: rtc compile "
        + (output == null ? "MANIFEST" : output) + " -o out/");
    err.flush();
    return Main.OK;
  }

  /**
   * A new file only its owner can read: the manifest holds the guests' password hash. Created with
   * mode 0600 (the umask can only narrow it), so it is never readable by others, not for a moment.
   */
  private static void writeOwnerOnly(Path file, String text) throws IOException {
    var ownerOnly = java.nio.file.attribute.PosixFilePermissions.fromString("rw-------");
    try (var ch = Files.newByteChannel(file, java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
        java.nio.file.attribute.PosixFilePermissions.asFileAttribute(ownerOnly))) {
      java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
    }
  }
}
