package dev.rtc.emit;

import java.io.Writer;

/**
 * A {@link Writer} into a {@link StringBuilder}, for the emitters' in-memory artifacts.
 * {@link java.io.StringWriter} appends to a synchronized {@link StringBuffer}, which takes a lock
 * for every one of the thousands of small writes a template or a marshaller makes; each artifact
 * here is written by one thread, so the lock only costs.
 */
final class TextWriter extends Writer {

  private final StringBuilder text = new StringBuilder(4096);

  @Override
  public void write(int c) {
    text.append((char) c);
  }

  @Override
  public void write(char[] chars, int offset, int length) {
    text.append(chars, offset, length);
  }

  @Override
  public void write(String s) {
    text.append(s);
  }

  @Override
  public void write(String s, int offset, int length) {
    text.append(s, offset, offset + length);
  }

  @Override
  public TextWriter append(CharSequence s) {
    text.append(s);
    return this;
  }

  @Override
  public TextWriter append(char c) {
    text.append(c);
    return this;
  }

  @Override
  public void flush() {}

  @Override
  public void close() {}

  @Override
  public String toString() {
    return text.toString();
  }
}
