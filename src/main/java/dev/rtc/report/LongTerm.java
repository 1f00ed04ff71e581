package dev.rtc.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The latency of the real-time guests since handover: the daily histograms their sampler keeps
 * (vms/VM/monitor/rtc-monitor.sh writes {@code days/YYYY-MM-DD.hist}; {@code runbook.sh report}
 * fetches them into {@code results/monitor/VM/days/}), read back per VM and day, worst day first
 * as OSADL's long-term records show their systems.
 */
public record LongTerm(List<Vm> vms) {

  /** A day's file may not be larger than this: a year of per-µs counts is far smaller. */
  static final long DAY_LIMIT = 1 << 20;

  public record Vm(String name, List<Day> days) {
    /** The days, the longest latency first (then the latest first). */
    public List<Day> worstFirst() {
      return days.stream().sorted(Comparator.comparingLong(Day::max).reversed().thenComparing(Day::date, Comparator.reverseOrder())).toList();
    }
  }

  /**
   * One UTC day of a VM's sampling windows.
   *
   * @param histogram samples per whole µs of latency (cyclictest's buckets)
   * @param overflows samples past the histogram's end
   */
  public record Day(LocalDate date, long windows, long max, long overflows, SortedMap<Integer, Long> histogram) {
    public Day {
      histogram = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(histogram));
    }

    public long samples() {
      return histogram.values().stream().mapToLong(Long::longValue).sum() + overflows;
    }

    /** The latency at or below which a share q of the day's samples lay; empty when it falls among the overflows. */
    public Optional<Long> percentile(double q) {
      long n = samples();
      if (n == 0) {
        return Optional.empty();
      }
      long rank = (long) Math.ceil(q * n);
      long seen = 0;
      for (var e : histogram.entrySet()) {
        seen += e.getValue();
        if (seen >= rank) {
          return Optional.of((long) e.getKey());
        }
      }
      return Optional.empty();
    }
  }

  /** A day's file that is not the sampler's format: where, and what. */
  public static final class BadDayException extends Exception {
    BadDayException(Path file, int line, String what) {
      super(file + (line > 0 ? ":" + line : "") + ": " + what);
    }
  }

  /** Every VM folder of {@code monitor} (results/monitor), its days in date order. */
  public static LongTerm read(Path monitor) throws IOException, BadDayException {
    List<Vm> vms = new ArrayList<>();
    List<Path> folders;
    try (Stream<Path> s = Files.list(monitor)) {
      folders = s.filter(Files::isDirectory).sorted().toList();
    }
    for (Path vm : folders) {
      Path daysDir = vm.resolve("days");
      if (!Files.isDirectory(daysDir)) {
        continue;
      }
      List<Path> files;
      try (Stream<Path> s = Files.list(daysDir)) {
        files = s.filter(f -> f.getFileName().toString().endsWith(".hist")).sorted().toList();
      }
      List<Day> days = new ArrayList<>();
      for (Path f : files) {
        days.add(day(f));
      }
      if (!days.isEmpty()) {
        vms.add(new Vm(vm.getFileName().toString(), List.copyOf(days)));
      }
    }
    return new LongTerm(List.copyOf(vms));
  }

  static Day day(Path f) throws IOException, BadDayException {
    String name = f.getFileName().toString();
    LocalDate date;
    try {
      date = LocalDate.parse(name.substring(0, name.length() - ".hist".length()));
    } catch (DateTimeParseException e) {
      throw new BadDayException(f, 0, "the name is not a day (YYYY-MM-DD.hist)");
    }
    if (Files.size(f) > DAY_LIMIT) {
      throw new BadDayException(f, 0, "larger than " + DAY_LIMIT + " bytes; a sampler's day is far smaller");
    }
    long windows = -1;
    long max = -1;
    long overflows = -1;
    SortedMap<Integer, Long> hist = new TreeMap<>();
    List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      String l = lines.get(i).strip();
      if (l.isEmpty() || l.startsWith("#")) {
        continue;
      }
      String[] w = l.split(" ");
      if (w.length != 2 || !w[1].matches("[0-9]{1,18}")) {
        throw new BadDayException(f, i + 1, "'" + l + "' is not 'KEY COUNT'");
      }
      long v = Long.parseLong(w[1]);
      switch (w[0]) {
        case "windows" -> windows = v;
        case "max" -> max = v;
        case "overflows" -> overflows = v;
        default -> {
          if (!w[0].matches("[0-9]{1,7}")) {
            throw new BadDayException(f, i + 1, "'" + w[0] + "' is neither a latency in µs nor windows, max or overflows");
          }
          hist.merge(Integer.parseInt(w[0]), v, Long::sum);
        }
      }
    }
    if (windows < 0 || max < 0 || overflows < 0) {
      throw new BadDayException(f, 0, "it lacks its windows, max or overflows line");
    }
    return new Day(date, windows, max, overflows, hist);
  }
}
