package dev.rtc.topology;

import java.util.Locale;

/**
 * An Ethernet MAC address a VM's NIC may carry: six bytes written {@code 52:54:00:0a:00:01}. libvirt
 * refuses a multicast one (the low bit of the first byte: {@code 01:00:5e:...}, the broadcast
 * {@code ff:ff:ff:ff:ff:ff}) and the all-zero one when it defines the domain, so they are refused
 * here, where the manifest can name the line.
 */
public record MacAddress(String text) {

  public static MacAddress parse(String text) {
    String s = text.strip();
    String[] parts = s.split(":", -1);
    if (parts.length != 6) {
      throw new SyntaxException("'" + s + "' is not a MAC address (six bytes as two hex digits each, e.g. 52:54:00:0a:00:01)");
    }
    int first = -1;
    boolean zero = true;
    for (String p : parts) {
      if (p.length() != 2 || Character.digit(p.charAt(0), 16) < 0 || Character.digit(p.charAt(1), 16) < 0) {
        throw new SyntaxException("'" + s + "' is not a MAC address (six bytes as two hex digits each, e.g. 52:54:00:0a:00:01)");
      }
      int b = Integer.parseInt(p, 16);
      first = first < 0 ? b : first;
      zero &= b == 0;
    }
    if (zero) {
      throw new SyntaxException(s + " is the all-zero MAC, which no NIC may carry");
    }
    if ((first & 1) != 0) {
      throw new SyntaxException(s + " is a " + (s.equalsIgnoreCase("ff:ff:ff:ff:ff:ff") ? "broadcast" : "multicast")
          + " address (the first byte is odd); a NIC's own MAC must be unicast, which libvirt requires");
    }
    return new MacAddress(s.toLowerCase(Locale.ROOT));
  }

  @Override
  public String toString() {
    return text;
  }

  /** A MAC that a NIC cannot carry; the message says why. */
  public static final class SyntaxException extends IllegalArgumentException {
    public SyntaxException(String message) {
      super(message);
    }
  }
}
