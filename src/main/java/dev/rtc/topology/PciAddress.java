package dev.rtc.topology;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PCI function's address, domain:bus:slot.function, written as lspci -D and sysfs write it
 * ({@code 0000:3b:00.0}). Ordered as the kernel lists devices.
 */
public record PciAddress(int domain, int bus, int slot, int function) implements Comparable<PciAddress> {

  private static final Pattern FORM = Pattern.compile("(?:([0-9a-fA-F]{4}):)?([0-9a-fA-F]{2}):([01][0-9a-fA-F])\\.([0-7])");

  public PciAddress {
    if (domain < 0 || domain > 0xffff || bus < 0 || bus > 0xff || slot < 0 || slot > 0x1f || function < 0 || function > 7) {
      throw new IllegalArgumentException("not a PCI address: " + domain + ":" + bus + ":" + slot + "." + function);
    }
  }

  /** {@code 0000:3b:00.0}, or {@code 3b:00.0} for domain 0. */
  public static PciAddress parse(String text) {
    Matcher m = FORM.matcher(text.strip());
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + text + "' is not a PCI address (domain:bus:slot.function, as 0000:3b:00.0)");
    }
    return new PciAddress(m.group(1) == null ? 0 : Integer.parseInt(m.group(1), 16), Integer.parseInt(m.group(2), 16),
        Integer.parseInt(m.group(3), 16), Integer.parseInt(m.group(4)));
  }

  public static boolean looksLike(String text) {
    return FORM.matcher(text.strip()).matches();
  }

  /** The routing id the SR-IOV capability counts in: bus, slot and function as one number. */
  public int routingId() {
    return bus << 8 | slot << 3 | function;
  }

  /**
   * The address of virtual function {@code index} of this physical function, by the SR-IOV rule
   * (PCIe base spec 9.3.3.9-10): routing id + First VF Offset + index × VF Stride, on the same domain.
   */
  public PciAddress virtualFunction(int offset, int stride, int index) {
    int rid = routingId() + offset + index * stride;
    if (rid > 0xffff) {
      throw new IllegalArgumentException("VF " + index + " of " + this + " lies beyond bus ff");
    }
    return new PciAddress(domain, rid >> 8, (rid >> 3) & 0x1f, rid & 7);
  }

  /** libvirt's node device name: {@code pci_0000_3b_00_0}. */
  public String nodeDevice() {
    return String.format(Locale.ROOT, "pci_%04x_%02x_%02x_%x", domain, bus, slot, function);
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "%04x:%02x:%02x.%x", domain, bus, slot, function);
  }

  @Override
  public int compareTo(PciAddress o) {
    return domain != o.domain ? Integer.compare(domain, o.domain) : Integer.compare(routingId(), o.routingId());
  }
}
