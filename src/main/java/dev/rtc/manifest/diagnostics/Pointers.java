package dev.rtc.manifest.diagnostics;

/** JSON pointers (RFC 6901), the one way rtc names a place in the manifest tree. */
public final class Pointers {

  private Pointers() {}

  /** A pointer segment as the key it names: {@code ~1} is '/', {@code ~0} is '~'. */
  public static String unescape(String segment) {
    return segment.replace("~1", "/").replace("~0", "~");
  }

  public static String child(String pointer, String key) {
    return pointer + "/" + key.replace("~", "~0").replace("/", "~1");
  }

  public static String child(String pointer, int index) {
    return pointer + "/" + index;
  }

  /** {@code /vms/0/vcpus} → {@code vms[0].vcpus}: the form users read in messages. */
  public static String display(String pointer) {
    if (pointer == null || pointer.isEmpty()) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    for (String raw : pointer.substring(1).split("/", -1)) {
      String token = raw.replace("~1", "/").replace("~0", "~");
      if (!token.isEmpty() && token.chars().allMatch(Character::isDigit)) {
        sb.append('[').append(token).append(']');
      } else {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(token);
      }
    }
    return sb.toString();
  }
}
