package dev.rtc.emit;

import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A {@link Writer} that encodes to UTF-8 as it is written, for the emitters' in-memory artifacts:
 * a bundle file is bytes in the end, and a template's static text arrives as {@code char[]}
 * blocks, so encoding each block once here costs one pass where a {@link StringBuilder}, its
 * String and that String's bytes cost three (and a {@link java.io.StringWriter} takes a lock for
 * every write besides). The bytes are exactly {@code toString().getBytes(UTF_8)}: a surrogate pair
 * split across two writes is joined, and a lone surrogate becomes {@code ?}, as String encodes it.
 * One thread writes each artifact; nothing here is synchronized.
 */
final class TextWriter extends Writer {

  private byte[] buf = new byte[8192];
  private int size;
  /** A high surrogate whose low half has not been written yet, or 0. */
  private char high;

  @Override
  public void write(int c) {
    reserve(4);
    put((char) c);
  }

  @Override
  public void write(char[] chars, int offset, int length) {
    reserve(3 * length + 1);
    for (int i = offset, end = offset + length; i < end; i++) {
      char c = chars[i];
      if (c < 0x80 && high == 0) {
        buf[size++] = (byte) c;
      } else {
        put(c);
      }
    }
  }

  @Override
  public void write(String s) {
    write(s, 0, s.length());
  }

  @Override
  public void write(String s, int offset, int length) {
    if (length == 0) {
      return;
    }
    if (length > 32 && high == 0 && !Character.isSurrogate(s.charAt(offset)) && !Character.isHighSurrogate(s.charAt(offset + length - 1))) {
      byte[] b = (offset == 0 && length == s.length() ? s : s.substring(offset, offset + length)).getBytes(StandardCharsets.UTF_8);
      reserve(b.length);
      System.arraycopy(b, 0, buf, size, b.length);
      size += b.length;
      return;
    }
    reserve(3 * length + 1);
    for (int i = offset, end = offset + length; i < end; i++) {
      put(s.charAt(i)); // a short string: its bytes would cost an array of their own
    }
  }

  @Override
  public TextWriter append(CharSequence s) {
    write(String.valueOf(s));
    return this;
  }

  @Override
  public TextWriter append(char c) {
    write(c);
    return this;
  }

  @Override
  public void flush() {}

  @Override
  public void close() {}

  /** What was written, as UTF-8. */
  byte[] utf8() {
    endPair();
    return Arrays.copyOf(buf, size);
  }

  @Override
  public String toString() {
    endPair();
    return new String(buf, 0, size, StandardCharsets.UTF_8);
  }

  /** Encodes one char, joining surrogate pairs; the caller has reserved 4 bytes. */
  private void put(char c) {
    if (high != 0) {
      char h = high;
      high = 0;
      if (Character.isLowSurrogate(c)) {
        int cp = Character.toCodePoint(h, c);
        buf[size++] = (byte) (0xf0 | cp >> 18);
        buf[size++] = (byte) (0x80 | cp >> 12 & 0x3f);
        buf[size++] = (byte) (0x80 | cp >> 6 & 0x3f);
        buf[size++] = (byte) (0x80 | cp & 0x3f);
        return;
      }
      buf[size++] = '?';
      reserve(3);
    }
    if (c < 0x80) {
      buf[size++] = (byte) c;
    } else if (c < 0x800) {
      buf[size++] = (byte) (0xc0 | c >> 6);
      buf[size++] = (byte) (0x80 | c & 0x3f);
    } else if (Character.isHighSurrogate(c)) {
      high = c;
    } else if (Character.isLowSurrogate(c)) {
      buf[size++] = '?';
    } else {
      buf[size++] = (byte) (0xe0 | c >> 12);
      buf[size++] = (byte) (0x80 | c >> 6 & 0x3f);
      buf[size++] = (byte) (0x80 | c & 0x3f);
    }
  }

  /** A high surrogate left at the end has no pair: String writes it as {@code ?}. */
  private void endPair() {
    if (high != 0) {
      high = 0;
      reserve(1);
      buf[size++] = '?';
    }
  }

  private void reserve(int more) {
    if (size + more > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
    }
  }
}
