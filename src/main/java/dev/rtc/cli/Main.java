package dev.rtc.cli;

import dev.rtc.Version;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code rtc}: the entry point. Exit codes: 0 ok, 1 manifest errors, 2 usage errors, 3 internal error. */
@Command(name = "rtc", mixinStandardHelpOptions = true, versionProvider = Main.VersionProvider.class,
    description = "Compiles a real-time KVM host deployment manifest into ready-to-apply artifacts.",
    subcommands = {CompileCommand.class, ValidateCommand.class, ExplainCommand.class, DiffCommand.class, ReportCommand.class,
        ProbeCommand.class, SchemaCommand.class, MigrateCommand.class, CompletionCommand.class, CommandLine.HelpCommand.class},
    footer = {"", "Exit codes: 0 ok, 1 the manifest has errors, 2 usage error, 3 internal error (a bug in rtc)."})
public final class Main implements Runnable {

  public static final int OK = 0;
  public static final int MANIFEST_ERRORS = 1;
  public static final int USAGE = 2;
  public static final int INTERNAL = 3;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "name a command, e.g. rtc compile manifest.yaml -o out/");
  }

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs rtc with the given streams; tests call this instead of {@link #main}. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cli = new CommandLine(new Main());
    cli.setOut(out);
    cli.setErr(err);
    cli.setExitCodeExceptionMapper(e -> e instanceof CommandLine.ParameterException ? USAGE : INTERNAL);
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
      err.println("rtc: internal error (a bug in rtc, not in your manifest). Please report it with the manifest and this trace:");
      e.printStackTrace(err);
      return INTERNAL;
    });
    return cli.execute(args);
  }

  static final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"rtc " + Version.get()};
    }
  }
}
