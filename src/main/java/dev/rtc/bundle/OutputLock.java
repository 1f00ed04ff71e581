package dev.rtc.bundle;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Who may change one bundle folder now: an exclusive lock on {@code .NAME.rtc-lock} beside it,
 * held by one rtc (process or thread) while it checks, recovers and swaps that folder. Another rtc
 * that wants the same folder meanwhile is refused at once with {@link BusyException}; it does not
 * wait, because two compiles racing for one folder is a mistake in the pipeline to report, and
 * waiting would hide it.
 *
 * <p>The lock is a POSIX record lock (what {@link FileChannel#tryLock()} takes on Linux): the
 * kernel drops it when its process dies, so a kill -9 never leaves a folder locked. The lock file
 * itself stays (empty but for the last holder's pid): a lock file cannot be deleted safely, since
 * a process that opened it just before would lock the deleted file while a third creates and locks
 * a new one, and telling the two apart would mean opening the path again, which (POSIX locks are
 * per process and file) drops the lock the opener holds. The holder never opens the file twice.
 */
final class OutputLock implements AutoCloseable {

  private final FileChannel channel;
  private final FileLock lock;

  private OutputLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** Another rtc holds the folder's lock. */
  static final class BusyException extends IOException {
    BusyException(String message) {
      super(message);
    }
  }

  static Path lockFile(Path target) {
    return target.getParent().resolve("." + target.getFileName() + ".rtc-lock");
  }

  /** Locks {@code target} (an absolute, normalised path) or throws {@link BusyException} naming who holds it. */
  static OutputLock acquire(Path target) throws IOException {
    Path file = lockFile(target);
    FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = ch.tryLock();
    } catch (OverlappingFileLockException e) {
      // Another thread of this process holds it. Not a word read from the file: opening it again
      // and closing it would drop that thread's lock.
      ch.close();
      throw new BusyException("another rtc (this process, pid " + ProcessHandle.current().pid() + ") is writing this folder right now;"
          + " run again when it has finished, and let one job at a time write one folder");
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
    if (lock == null) {
      ch.close(); // this process held no lock on it: closing drops nothing
      String holder = holder(file);
      throw new BusyException("another rtc" + (holder.isEmpty() ? "" : " (pid " + holder + ")")
          + " is writing this folder right now; run again when it has finished, and let one job at a time write one folder");
    }
    try {
      byte[] pid = (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8);
      ch.truncate(0);
      ch.write(ByteBuffer.wrap(pid), 0);
    } catch (IOException e) {
      // Only the busy message of another rtc reads it; the lock holds without it.
    }
    return new OutputLock(ch, lock);
  }

  /** The pid the holder wrote, or "" when it cannot be read. */
  private static String holder(Path file) {
    try {
      byte[] b = Files.readAllBytes(file); // a few bytes, written by rtc
      String s = new String(b, StandardCharsets.UTF_8).strip();
      return b.length > 32 || !s.matches("\\d+") ? "" : s;
    } catch (IOException e) {
      return "";
    }
  }

  @Override
  public void close() throws IOException {
    try {
      lock.release();
    } finally {
      channel.close();
    }
  }
}
