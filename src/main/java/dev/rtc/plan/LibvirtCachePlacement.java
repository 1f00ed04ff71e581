package dev.rtc.plan;

import dev.rtc.topology.WayMask;
import java.util.Optional;

/**
 * libvirt's choice of ways for a {@code <cachetune>} request, restated from
 * {@code virResctrlAllocFindUnused} (libvirt 9.0, src/util/virresctrl.c): among the maximal runs of
 * free ways, scanning from way 0 up, the first run of exactly the needed length wins at once;
 * otherwise the shortest run that is long enough, the lower one on ties; the allocation takes the
 * low end of that run.
 */
public final class LibvirtCachePlacement {

  private LibvirtCachePlacement() {}

  public static Optional<WayMask> findUnused(WayMask free, int need) {
    int bestPos = -1;
    int bestLen = 0;
    int way = 0;
    while (way < WayMask.MAX_WAYS) {
      if (!free.has(way)) {
        way++;
        continue;
      }
      int start = way;
      while (way < WayMask.MAX_WAYS && free.has(way)) {
        way++;
      }
      int len = way - start;
      if (len < need) {
        continue;
      }
      if (len == need) {
        bestPos = start;
        break;
      }
      if (bestPos < 0 || len < bestLen) {
        bestPos = start;
        bestLen = len;
      }
    }
    return bestPos < 0 ? Optional.empty() : Optional.of(WayMask.ofRun(bestPos, need));
  }

  /** The longest run of free ways, for "at most N ways fit" hints. */
  public static int longestRun(WayMask free) {
    int best = 0;
    int run = 0;
    for (int way = 0; way < WayMask.MAX_WAYS; way++) {
      run = free.has(way) ? run + 1 : 0;
      best = Math.max(best, run);
    }
    return best;
  }
}
