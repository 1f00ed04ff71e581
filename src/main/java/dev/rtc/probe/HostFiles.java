package dev.rtc.probe;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The few host files {@code rtc probe} reads, from one of two places: a file system root ({@code /}
 * on the host itself, or a copied tree), or the facts file a technician sends back, which is what
 * {@code grep -rH . <files>} prints ({@code path:line}, one line per line of each file).
 */
public abstract sealed class HostFiles {

  /** What the runbook's facts step runs (in bash); {@link #dump} reads what it prints. */
  public static final String FACTS_COMMAND = "grep -rH . /etc/os-release /sys/devices/system/cpu/{online,offline}"
      + " /sys/devices/system/cpu/cpu[0-9]*/topology/{core_id,physical_package_id,thread_siblings_list}"
      + " /sys/devices/system/cpu/cpu[0-9]*/cache/index[0-9]*/{level,type,id,size,shared_cpu_list}"
      + " /sys/devices/system/node/node[0-9]*/{cpulist,meminfo} /sys/devices/cpu_{core,atom}/cpus"
      + " /sys/fs/resctrl/info /sys/bus/pci/devices/*/{vendor,device,class,numa_node,sriov_totalvfs,sriov_offset,sriov_stride}"
      + " /sys/bus/pci/devices/*/net/*/ifindex; for d in /sys/bus/pci/devices/*; do for l in driver iommu_group physfn; do"
      + " [ -L $d/$l ] && t=$(readlink $d/$l) && echo $d/$l:${t##*/}; done; done";

  /** The file's content without its final newline, or empty when the host has no such file. */
  public abstract Optional<String> read(String path);

  /**
   * The last part of a symbolic link's target ({@code driver} → {@code igc}, {@code iommu_group} →
   * {@code 30}), as the facts file records it; empty when there is no such link.
   */
  public abstract Optional<String> link(String path);

  /** Names directly under {@code dir} (an absolute host path), sorted; empty when there is none. */
  public abstract List<String> list(String dir);

  /** Where the files come from, for messages. */
  public abstract String describe();

  public static HostFiles root(Path root) {
    return new Root(root);
  }

  /** Reads a facts file: {@code /abs/path:content line} per line; lines of one file join with {@code \n}. */
  public static HostFiles dump(String name, String text) {
    Map<String, StringBuilder> files = new TreeMap<>();
    for (String line : text.split("\n", -1)) {
      int colon = separator(line);
      if (colon <= 0 || line.charAt(0) != '/') {
        continue; // grep's own complaints, blank lines
      }
      StringBuilder sb = files.computeIfAbsent(line.substring(0, colon), k -> new StringBuilder());
      sb.append(sb.length() > 0 ? "\n" : "").append(line.substring(colon + 1));
    }
    Map<String, String> out = new TreeMap<>();
    files.forEach((k, v) -> out.put(k, v.toString()));
    return new Dump(name, out);
  }

  private static final Pattern PCI_SEGMENT = Pattern.compile("[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\\.[0-7]");

  /**
   * Where grep's {@code path:content} splits: the first ':' that is not inside a path segment that
   * is a PCI address ({@code /sys/bus/pci/devices/0000:17:00.0/vendor:0x8086}); -1 for none.
   */
  static int separator(String line) {
    for (int i = line.indexOf(':'); i >= 0; i = line.indexOf(':', i + 1)) {
      int start = line.lastIndexOf('/', i) + 1;
      int end = line.indexOf('/', i);
      if (end < 0 || !PCI_SEGMENT.matcher(line.substring(start, end)).matches()) {
        return i;
      }
    }
    return -1;
  }

  static final class Root extends HostFiles {
    private final Path root;

    Root(Path root) {
      this.root = root;
    }

    private Path at(String path) {
      return root.resolve(path.substring(1));
    }

    @Override
    public Optional<String> read(String path) {
      Path p = at(path);
      if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
        return Optional.empty();
      }
      try {
        String s = dev.rtc.io.InputFiles.readText(p, 1 << 20); // sysfs files are a page; a copied root may hold anything
        return Optional.of(s.endsWith("\n") ? s.substring(0, s.length() - 1) : s);
      } catch (IOException e) {
        return Optional.empty(); // some sysfs files refuse reads (write-only, no such device)
      }
    }

    @Override
    public Optional<String> link(String path) {
      Path p = at(path);
      try {
        if (Files.isSymbolicLink(p)) {
          Path target = Files.readSymbolicLink(p).getFileName();
          return target == null ? Optional.empty() : Optional.of(target.toString());
        }
      } catch (IOException e) {
        return Optional.empty();
      }
      return read(path).map(String::strip); // a copied tree may hold the link's name as a file, as the facts file does
    }

    @Override
    public List<String> list(String dir) {
      Path p = at(dir);
      if (!Files.isDirectory(p)) {
        return List.of();
      }
      try (Stream<Path> s = Files.list(p)) {
        return s.map(c -> c.getFileName().toString()).sorted().toList();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public String describe() {
      return root.toString();
    }
  }

  static final class Dump extends HostFiles {
    private static final Pattern SLASH = Pattern.compile("/");
    private final String name;
    private final Map<String, String> files;

    Dump(String name, Map<String, String> files) {
      this.name = name;
      this.files = files;
    }

    @Override
    public Optional<String> read(String path) {
      return Optional.ofNullable(files.get(path));
    }

    @Override
    public Optional<String> link(String path) {
      return read(path).map(String::strip);
    }

    @Override
    public List<String> list(String dir) {
      String prefix = dir.endsWith("/") ? dir : dir + "/";
      List<String> names = new ArrayList<>();
      for (String f : ((TreeMap<String, String>) files).tailMap(prefix).keySet()) {
        if (!f.startsWith(prefix)) {
          break;
        }
        String child = SLASH.split(f.substring(prefix.length()), 2)[0];
        if (names.isEmpty() || !names.get(names.size() - 1).equals(child)) {
          names.add(child);
        }
      }
      return names;
    }

    @Override
    public String describe() {
      return name;
    }
  }
}
