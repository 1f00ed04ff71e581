package dev.rtc.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.rtc.emit.Bundle;
import dev.rtc.emit.Checksums;
import dev.rtc.emit.Folders;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bundle on disk is the old one or the new one, never a mix, whatever fails or is killed. */
class BundleWriterTest {

  @TempDir Path tmp;

  static Bundle bundle(String version) {
    Bundle b = new Bundle();
    b.add("plan.md", "plan " + version + "\n");
    b.addExecutable("runbook.sh", "#!/bin/bash\necho " + version + "\n");
    b.add("vms/a/domain.xml", "<domain>" + version + "</domain>\n");
    return b;
  }

  /**
   * A bundle of more files than BARRIER_FILES (a host of hundreds of VMs) takes the file-system
   * barrier instead of an fsync per file: written whole, in place of the old one, nothing left
   * beside it, and a failure halfway still leaves the old one as it was.
   */
  @Test
  void aLargeBundleIsWrittenWholeBehindOneBarrier() throws IOException {
    Path out = tmp.resolve("large");
    BundleWriter.write(bundle("old"), out, false);
    Bundle large = bundle("new");
    for (int i = 0; i <= BundleWriter.BARRIER_FILES; i++) {
      large.add("vms/vm" + i + "/domain.xml", "<domain>" + i + "</domain>\n");
    }
    assertThat(large.files().size()).isGreaterThan(BundleWriter.BARRIER_FILES);
    BundleWriter.write(large, out, false);
    Map<String, String> written = Folders.snapshot(out);
    assertThat(written).containsEntry("plan.md", "plan new\n").containsEntry("vms/vm64/domain.xml", "<domain>64</domain>\n")
        .doesNotContainKey("vms/a/domain.xml.rtc");
    assertThat(written.keySet().stream().filter(k -> k.startsWith("vms/vm"))).hasSize(BundleWriter.BARRIER_FILES + 1);
    Bundle broken = bundle("newer");
    for (int i = 0; i <= BundleWriter.BARRIER_FILES; i++) {
      broken.add("vms/vm" + i + "/domain.xml", "<domain>" + i + "</domain>\n");
    }
    broken.add("x", "a file\n");
    broken.add("x/y", "cannot live under a file\n");
    assertThat(catchThrowable(() -> BundleWriter.write(broken, out, false))).isInstanceOf(IOException.class);
    assertThat(Folders.snapshot(out)).isEqualTo(written);
    try (var s = Files.list(tmp)) {
      assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.contains("rtc-new") || n.contains("rtc-old")))
          .as("no staged or old tree left beside it").isEmpty();
    }
  }

  @Test
  void aWriteThatFailsHalfwayLeavesTheOldBundleAsItWas() throws IOException {
    Path out = tmp.resolve("out");
    BundleWriter.write(bundle("old"), out, false);
    Map<String, String> before = Folders.snapshot(out);

    Bundle broken = bundle("new");
    broken.add("x", "a file\n");
    broken.add("x/y", "cannot live under a file\n"); // the write fails when it reaches this one
    Throwable t = catchThrowable(() -> BundleWriter.write(broken, out, false));
    assertThat(t).isInstanceOf(IOException.class);

    assertThat(Folders.snapshot(out)).isEqualTo(before);
    assertThat(siblings()).as("no hidden folders left behind").containsExactly("out");
  }

  @Test
  void aRunKilledBetweenTheTwoRenamesIsMendedByTheNextRun() throws IOException {
    Path out = tmp.resolve("out");
    BundleWriter.write(bundle("old"), out, false);
    // What a kill between "out → .out.rtc-old-*" and ".out.rtc-new-* → out" leaves: no out/ at all.
    Files.move(out, tmp.resolve(".out.rtc-old-dead"));
    Files.createDirectories(tmp.resolve(".out.rtc-new-4194999-1/vms"));
    Files.writeString(tmp.resolve(".out.rtc-new-4194999-1/plan.md"), "half");

    BundleWriter.write(bundle("new"), out, false);
    assertThat(out.resolve("plan.md")).content().isEqualTo("plan new\n");
    assertThat(siblings()).containsExactly("out");
  }

  static Bundle withSums(Bundle b) {
    b.add("SHA256SUMS", Checksums.of(b));
    return b;
  }

  /** A runbook's results, a technician's notes: files rtc did not write outlive every recompile, byte for byte. */
  @Test
  void filesRtcDidNotWriteSurviveARecompile() throws IOException {
    Path out = tmp.resolve("out");
    BundleWriter.write(withSums(bundle("old")), out, false);
    Files.createDirectories(out.resolve("results"));
    Files.writeString(out.resolve("results/cyclictest.txt"), "# Histogram of a 24-hour run\n");
    Files.writeString(out.resolve("vms/a/notes.txt"), "rack 4, left\n");
    Files.writeString(out.resolve("results-out.tar.gz"), "tarball");

    Bundle next = withSums(bundle("new"));
    assertThat(dev.rtc.bundle.BundleComparison.compare(next, out)).as("rtc's files differ, the others are not differences")
        .extracting(dev.rtc.bundle.BundleComparison.Difference::path).doesNotContain("results/cyclictest.txt", "vms/a/notes.txt");
    assertThat(dev.rtc.bundle.BundleComparison.foreign(out)).containsExactlyInAnyOrder("results/cyclictest.txt", "vms/a/notes.txt",
        "results-out.tar.gz");
    BundleWriter.write(next, out, false);
    assertThat(out.resolve("plan.md")).content().isEqualTo("plan new\n");
    assertThat(out.resolve("results/cyclictest.txt")).content().isEqualTo("# Histogram of a 24-hour run\n");
    assertThat(out.resolve("vms/a/notes.txt")).content().isEqualTo("rack 4, left\n");
    assertThat(out.resolve("results-out.tar.gz")).content().isEqualTo("tarball");
    assertThat(dev.rtc.bundle.BundleComparison.compare(next, out)).as("--check: up to date, results or not").isEmpty();
    assertThat(siblings()).containsExactly("out");

    // A file of the user's where the new bundle puts one of its own: both are kept.
    Files.writeString(out.resolve("notes.md"), "mine\n");
    Bundle withNotes = bundle("newer");
    withNotes.add("notes.md", "rtc's\n");
    BundleWriter.write(withSums(withNotes), out, false);
    assertThat(out.resolve("notes.md")).content().isEqualTo("rtc's\n");
    assertThat(out.resolve("notes.md.kept")).content().isEqualTo("mine\n");
  }

  /**
   * Killed while deleting the old bundle, once what was not rtc's had been carried over: the
   * folder is .NAME.rtc-del-* by then, and what is left of it is rtc's, however much of it (its
   * marker and SHA256SUMS included) the kill had already deleted. The next run deletes it; it
   * does not take rtc's old files for the user's and carry them into the new bundle as .kept.
   */
  @Test
  void aKillWhileDeletingTheOldBundleLeavesNothingKept() throws IOException {
    Path out = tmp.resolve("out");
    BundleWriter.write(withSums(bundle("new")), out, false);
    Path doomed = tmp.resolve(".out.rtc-del-dead");
    BundleWriter.write(withSums(bundle("old")), doomed, true);
    Files.delete(doomed.resolve(".rtc-bundle"));
    Files.delete(doomed.resolve("SHA256SUMS"));
    BundleWriter.write(withSums(bundle("newer")), out, false);
    try (java.util.stream.Stream<Path> s = Files.walk(out)) {
      assertThat(s.map(Path::toString).filter(n -> n.contains(".kept"))).isEmpty();
    }
    assertThat(siblings()).containsExactly("out");

    // And a swap that carries the user's files retires the old bundle the same way, leaving nothing beside.
    Files.writeString(out.resolve("notes.md"), "mine\n");
    BundleWriter.write(withSums(bundle("newest")), out, false);
    assertThat(out.resolve("notes.md")).content().isEqualTo("mine\n");
    assertThat(siblings()).containsExactly("out");
  }

  /** Killed after the swap's renames, before the old folder's other files were carried: the next run carries them. */
  @Test
  void filesNotCarriedBeforeAKillAreCarriedByTheNextRun() throws IOException {
    Path out = tmp.resolve("out");
    BundleWriter.write(withSums(bundle("old")), out, false);
    Files.createDirectories(out.resolve("results"));
    Files.writeString(out.resolve("results/cyclictest.txt"), "evidence\n");
    Files.move(out, tmp.resolve(".out.rtc-old-dead"));
    BundleWriter.write(withSums(bundle("new")), out, false); // out/ missing: the old folder comes back first
    assertThat(out.resolve("results/cyclictest.txt")).content().isEqualTo("evidence\n");

    // Now the state between the second rename and the carry: a new out/, and the old folder beside it.
    Path old = tmp.resolve(".out.rtc-old-dead2");
    BundleWriter.write(withSums(bundle("old")), old, true);
    Files.createDirectories(old.resolve("results"));
    Files.writeString(old.resolve("results/report.json"), "{}\n");
    BundleWriter.write(withSums(bundle("newer")), out, false);
    assertThat(out.resolve("results/report.json")).content().isEqualTo("{}\n");
    assertThat(out.resolve("results/cyclictest.txt")).content().isEqualTo("evidence\n");
    assertThat(siblings()).containsExactly("out");
  }

  @Test
  void modesAreFixedWhateverTheUmaskAndTheMarkerIsWritten() throws IOException {
    Path out = tmp.resolve("out");
    BundleWriter.write(bundle("v"), out, false);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("runbook.sh")))).isEqualTo("rwxr-xr-x");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("plan.md")))).isEqualTo("rw-r--r--");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("vms")))).isEqualTo("rwxr-xr-x");
    assertThat(out.resolve(BundleWriter.MARKER)).exists();
  }

  @Test
  void anEmptyFolderIsTakenAndAFileIsRefused() throws IOException {
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    BundleWriter.write(bundle("v"), empty, false);
    assertThat(empty.resolve("plan.md")).exists();
    Path file = Files.writeString(tmp.resolve("file"), "x");
    assertThat(catchThrowable(() -> BundleWriter.write(bundle("v"), file, true))).isInstanceOf(BundleWriter.ForeignFolderException.class);
    assertThat(file).content().isEqualTo("x");
  }

  @Test
  void aFleetStagesInvisiblyAndCommitsAllAtOnce() throws IOException {
    Path a = tmp.resolve("a");
    Path b = tmp.resolve("b");
    Path c = tmp.resolve("c");
    BundleWriter.write(bundle("old"), a, false);
    Files.createDirectories(tmp.resolve(".b.rtc-new-4194999-1")); // a killed run's leftover
    Path foreign = Files.createDirectories(tmp.resolve("d"));
    Files.writeString(foreign.resolve("keep"), "mine");

    BundleWriter.Fleet fleet = new BundleWriter.Fleet(false);
    BundleWriter.Staged sa = fleet.stage(bundle("a"), a);
    BundleWriter.Staged sb = fleet.stage(bundle("b"), b);
    BundleWriter.Staged sc = fleet.stage(bundle("c"), c);
    assertThat(catchThrowable(() -> fleet.stage(bundle("d"), foreign))).isInstanceOf(BundleWriter.ForeignFolderException.class);
    assertThat(a.resolve("plan.md")).as("staged is invisible").content().isEqualTo("plan old\n");
    assertThat(b).doesNotExist();

    sc.discard();
    java.util.List<IOException> result = fleet.commit(java.util.List.of(sa, sb));
    assertThat(result).containsExactly(null, null);
    assertThat(a.resolve("plan.md")).content().isEqualTo("plan a\n");
    assertThat(b.resolve("plan.md")).content().isEqualTo("plan b\n");
    assertThat(c).doesNotExist();
    assertThat(foreign.resolve("keep")).content().isEqualTo("mine");
    assertThat(siblings()).containsExactly("a", "b", "d");
  }

  @Test
  void aLiveWritersStagingFolderIsNeverTidiedAway() throws IOException {
    Path out = tmp.resolve("out");
    ProcessHandle self = ProcessHandle.current();
    long start = self.info().startInstant().orElseThrow().toEpochMilli();
    Path live = Files.createDirectories(tmp.resolve(".out.rtc-new-" + self.pid() + "-" + start + "-999"));
    Path reused = Files.createDirectories(tmp.resolve(".out.rtc-new-" + self.pid() + "-" + (start - 5000) + "-1"));
    Path gone = Files.createDirectories(tmp.resolve(".out.rtc-new-4194999-1-1"));
    BundleWriter.write(bundle("v"), out, false);
    assertThat(live).as("this process is alive and may be staging it").exists();
    assertThat(reused).as("the pid lives, but it is another process (another start time)").doesNotExist();
    assertThat(gone).as("no such process").doesNotExist();
    assertThat(Leftovers.writerAlive("not-a-pid")).as("what cannot be proven dead is alive").isTrue();
  }

  @Test
  void theFolderLockRefusesASecondWriterAndLeavesNoLitter() throws IOException {
    Path out = tmp.resolve("out").toAbsolutePath();
    try (OutputLock held = OutputLock.acquire(out)) {
      assertThat(catchThrowable(() -> OutputLock.acquire(out))).isInstanceOf(OutputLock.BusyException.class)
          .hasMessageContaining("another rtc (this process, pid " + ProcessHandle.current().pid() + ")");
      assertThat(catchThrowable(() -> BundleWriter.write(bundle("v"), out, false))).isInstanceOf(OutputLock.BusyException.class);
      assertThat(out).doesNotExist();
    }
    // The lock file stays, and holds no lock once its holder is gone (or killed): the next writer takes it.
    assertThat(tmp.resolve(".out.rtc-lock")).exists();
    Files.writeString(tmp.resolve(".out.rtc-lock"), "12345\n");
    BundleWriter.write(bundle("v"), out, false);
    assertThat(siblings()).containsExactly("out");
    assertThat(tmp.resolve(".out.rtc-lock")).hasContent(ProcessHandle.current().pid() + "\n");
  }

  @Test
  void aStagedBundleThatVanishedLeavesTheOldOneInPlace() throws IOException {
    Path out = tmp.resolve("out");
    BundleWriter.write(bundle("old"), out, false);
    BundleWriter.Fleet fleet = new BundleWriter.Fleet(false);
    BundleWriter.Staged st = fleet.stage(bundle("new"), out);
    try (Stream<Path> s = Files.list(tmp)) {
      for (Path p : s.filter(p -> p.getFileName().toString().startsWith(".out.rtc-new-")).toList()) {
        Folders.deleteTree(p); // what another program (or an rtc in another pid namespace) might do
      }
    }
    java.util.List<IOException> result = fleet.commit(java.util.List.of(st));
    assertThat(result.get(0)).hasMessageContaining("is gone");
    assertThat(out.resolve("plan.md")).content().isEqualTo("plan old\n");
    assertThat(siblings()).containsExactly("out");
  }

  @Test
  void pruningRemovesWhatRtcWroteAndKeepsTheRest() throws IOException {
    Path gone = tmp.resolve("gone");
    BundleWriter.write(withSums(bundle("v")), gone, false);
    assertThat(BundleFolders.prune(gone)).isEmpty();
    assertThat(gone).doesNotExist();

    Path kept = tmp.resolve("kept");
    BundleWriter.write(withSums(bundle("v")), kept, false);
    Files.createDirectories(kept.resolve("results"));
    Files.writeString(kept.resolve("results/cyclictest.txt"), "evidence");
    assertThat(BundleFolders.prune(kept)).containsExactly("results/cyclictest.txt");
    assertThat(kept.resolve("results/cyclictest.txt")).hasContent("evidence");
    assertThat(kept.resolve("plan.md")).doesNotExist();
    assertThat(kept.resolve("vms")).as("folders left empty go too").doesNotExist();
    assertThat(kept.resolve(".rtc-bundle")).as("what is left is no bundle any more").doesNotExist();
    assertThat(BundleFolders.bundlesExcept(tmp, java.util.Set.of())).isEmpty();
  }

  private Stream<String> siblingStream() throws IOException {
    return Files.list(tmp).map(p -> p.getFileName().toString()).filter(n -> !n.endsWith(".rtc-lock")).sorted(); // locks stay
  }

  private java.util.List<String> siblings() throws IOException {
    try (Stream<String> s = siblingStream()) {
      return s.filter(n -> !n.equals("file") && !n.equals("empty")).toList();
    }
  }

}
