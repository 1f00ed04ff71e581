package dev.rtc.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.emit.Folders;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exit-code contract where the audit found it broken: usage mistakes named as such, I/O
 * failures as 4 with a sentence (no Java class names), Errors as 3, and {@code -o} paths that are
 * the root or a symbolic link.
 */
class ExitCodesTest {

  @TempDir Path tmp;

  static final String EXAMPLE = CliTest.EXAMPLE.toString();

  @Test
  void aMisspeltOptionIsNamedWithWhatWasMeantNotAsAMissingOne() {
    CliTest.Outcome o = CliTest.rtc("compile", EXAMPLE, "--ouput", tmp.resolve("x").toString());
    assertThat(o.exit()).isEqualTo(Main.USAGE);
    assertThat(o.err()).isEqualTo("rtc compile: unknown option '--ouput'; did you mean --output?\nRun 'rtc compile --help' for usage.\n");
    CliTest.Outcome j = CliTest.rtc("compile", EXAMPLE, "-o", tmp.toString(), "--jbos=2");
    assertThat(j.err()).startsWith("rtc compile: unknown option '--jbos'; did you mean --jobs?");
    CliTest.Outcome cmd = CliTest.rtc("compil", EXAMPLE);
    assertThat(cmd.exit()).isEqualTo(Main.USAGE);
    assertThat(cmd.err()).isEqualTo("rtc: unknown command 'compil'; did you mean 'compile'?\nRun 'rtc --help' for usage.\n");
    // With an option after it, the command is still the mistake (picocli tripped on '-o' first: "did you mean -V?").
    CliTest.Outcome withOption = CliTest.rtc("compil", EXAMPLE, "-o", tmp.resolve("x").toString());
    assertThat(withOption.exit()).isEqualTo(Main.USAGE);
    assertThat(withOption.err()).isEqualTo(cmd.err());
    assertThat(CliTest.rtc("frobnicate").err()).isEqualTo("rtc: unknown command 'frobnicate'\nRun 'rtc --help' for usage.\n");
  }

  /** rtc validate takes several manifests, as compile does: each is judged and named, the exit code is the worst. */
  @Test
  void validateTakesSeveralManifests() {
    CliTest.Outcome both = CliTest.rtc("validate", EXAMPLE, "examples/atom-l2cat.yaml");
    assertThat(both.exit()).as(both.err()).isEqualTo(Main.OK);
    assertThat(both.out()).contains("rtc: " + EXAMPLE + " is valid", "rtc: examples/atom-l2cat.yaml is valid");
    CliTest.Outcome one = CliTest.rtc("validate", tmp.resolve("nope.yaml").toString(), EXAMPLE);
    assertThat(one.exit()).isEqualTo(Main.MANIFEST_ERRORS);
    assertThat(one.err()).contains("nope.yaml: error[RTC001]: no such file").doesNotContain("unmatched argument");
    assertThat(one.out()).contains("rtc: " + EXAMPLE + " is valid");
  }

  @Test
  void valuesOfOptionsAreNotTakenForUnknownOptions() {
    assertThat(UsageErrors.unknownOptions(Main.commandLine(new String[] {"compile"}).getSubcommands().get("compile").getCommandSpec(),
        new String[] {"compile", "-o", "-weird-dir", "-j4", "--output=x", "m.yaml", "--", "--not-an-option"})).isEmpty();
  }

  @Test
  void theRootOfTheFileSystemIsNoBundleFolder() {
    for (String[] args : new String[][] {{"compile", EXAMPLE, "-o", "/"}, {"compile", EXAMPLE, "-o", "/", "--force"},
        {"compile", EXAMPLE, "-o", "/", "--check"}}) {
      CliTest.Outcome o = CliTest.rtc(args);
      assertThat(o.exit()).as(o.err()).isEqualTo(Main.USAGE);
      assertThat(o.err()).contains("is the root of the file system").doesNotContain("Exception");
    }
  }

  @Test
  void anOutputThatIsASymbolicLinkIsFollowedAndKept() throws IOException {
    Path real = tmp.resolve("disk/line-7");
    Files.createDirectories(real.getParent());
    Path link = Files.createSymbolicLink(tmp.resolve("out"), Path.of("disk/line-7")); // relative, dangling at first
    assertThat(CliTest.rtc("compile", EXAMPLE, "-o", link.toString()).exit()).isZero();
    assertThat(Files.isSymbolicLink(link)).as("the link stays a link").isTrue();
    assertThat(real.resolve(".rtc-bundle")).exists();
    Files.writeString(real.resolve("notes.txt"), "kept");
    assertThat(CliTest.rtc("compile", EXAMPLE, "-o", link.toString()).exit()).isZero();
    assertThat(Files.isSymbolicLink(link)).isTrue();
    assertThat(real.resolve("notes.txt")).hasContent("kept");
    assertThat(CliTest.rtc("compile", EXAMPLE, "-o", link.toString(), "--check").exit()).isZero();
  }

  @Test
  void anotherWriterOnTheFolderIsAnIoFailureSaidPlainly() throws IOException {
    Path out = tmp.resolve("out");
    assertThat(CliTest.rtc("compile", EXAMPLE, "-o", out.toString()).exit()).isZero();
    var before = Folders.snapshot(out);
    // A changed manifest (a comment: every file's header), so that there is something to write.
    Path changed = Files.writeString(tmp.resolve("changed.yaml"), Files.readString(Path.of(EXAMPLE)) + "# changed\n");
    try (FileChannel ch = FileChannel.open(tmp.resolve(".out.rtc-lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock held = ch.lock()) {
      CliTest.Outcome o = CliTest.rtc("compile", changed.toString(), "-o", out.toString());
      assertThat(o.exit()).isEqualTo(Main.IO);
      assertThat(o.err()).contains("cannot write " + out + ": another rtc").contains("is writing this folder right now")
          .contains("nothing was changed there").doesNotContain("Exception");
    }
    assertThat(Folders.snapshot(out)).isEqualTo(before);
  }

  @Test
  void aDiskFailureIsExit4WithTheFileAndNoJavaNames() {
    CliTest.Outcome o = CliTest.rtc("compile", EXAMPLE, "-o", "/proc/rtc-no-such/out");
    assertThat(o.exit()).as(o.err()).isEqualTo(Main.IO);
    assertThat(o.err()).contains("rtc: cannot write /proc/rtc-no-such/out: /proc/rtc-no-such:").doesNotContain("Exception")
        .doesNotContain("java.");
    CliTest.Outcome r = CliTest.rtc("report", "src/test/resources/cyclictest/histogram-2threads.txt", "--great", "100", "--good", "300",
        "-o", "/proc/rtc-no-such/report");
    assertThat(r.exit()).as(r.err()).isEqualTo(Main.IO);
    assertThat(r.err()).startsWith("rtc: /proc/rtc-no-such").doesNotContain("Exception");
  }

  @Test
  void aJavaErrorIsTheInternalErrorCode() {
    StringWriter err = new StringWriter();
    int code = Main.guarded(() -> {
      throw new NoClassDefFoundError("dev/rtc/emit/Emitters");
    }, new PrintWriter(err, true));
    assertThat(code).isEqualTo(Main.INTERNAL);
    assertThat(err.toString()).contains("Was rtc's jar replaced while it ran? Run the command again.");
    StringWriter oom = new StringWriter();
    assertThat(Main.guarded(() -> {
      throw new OutOfMemoryError("Java heap space");
    }, new PrintWriter(oom, true))).isEqualTo(Main.INTERNAL);
    assertThat(oom.toString()).contains("out of memory");
  }

  @Test
  void theHelpDocumentsExit4() {
    assertThat(CliTest.rtc("--help").out()).contains("4 a file could not be read or written");
  }
}
