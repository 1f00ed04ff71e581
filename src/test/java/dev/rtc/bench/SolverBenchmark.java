package dev.rtc.bench;

import dev.rtc.Compiler;
import dev.rtc.manifest.Binder;
import dev.rtc.manifest.Manifest;
import dev.rtc.manifest.ManifestLoader;
import dev.rtc.manifest.diagnostics.Diagnostics;
import dev.rtc.manifest.diagnostics.ManifestException;
import dev.rtc.plan.Planner;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Placement time over growing hosts, up to 8 sockets x 1024 CPUs x 256 VMs, in a warm JVM: the
 * median of the solver alone (Planner.plan on a manifest bound once) and of whole validate()
 * calls (load, schema, rules, plan), for a deployment that fits and for one that does not, whose
 * refusal is explained with tried hints. Targets: placed in 10 ms, explained in 50 ms, at the
 * largest size. Prints a table; not a test.
 * Run: bench/solver.sh
 */
public final class SolverBenchmark {

  private SolverBenchmark() {}

  public static void main(String[] args) {
    Compiler compiler = new Compiler();
    System.out.println("| sockets | CPUs | VMs | placed (plan only): median ms | validate, feasible: median ms "
        + "| infeasible explained (plan only): median ms | validate, infeasible: median ms |");
    System.out.println("|---:|---:|---:|---:|---:|---:|---:|");
    int[][] sizes = {{1, 16, 2}, {2, 64, 8}, {2, 128, 32}, {4, 256, 64}, {8, 512, 128}, {8, 1024, 256}};
    for (int[] s : sizes) {
      String fits = manifest(s[0], s[1], s[2], false);
      String overflows = manifest(s[0], s[1], s[2], true);
      double ok = median(compiler, fits, true);
      double bad = median(compiler, overflows, false);
      double placeOk = medianPlan(fits, true);
      double placeBad = medianPlan(overflows, false);
      System.out.printf(Locale.ROOT, "| %d | %d | %d | %.2f | %.1f | %.2f | %.1f |%n", s[0], s[1], s[2], placeOk, ok, placeBad, bad);
      System.out.flush();
    }
  }

  private static double median(Compiler c, String yaml, boolean mustFit) {
    byte[] bytes = yaml.getBytes(StandardCharsets.UTF_8);
    double[] t = new double[15];
    for (int warm = 0; warm < 5; warm++) {
      run(c, bytes, mustFit);
    }
    for (int i = 0; i < t.length; i++) {
      long start = System.nanoTime();
      run(c, bytes, mustFit);
      t[i] = (System.nanoTime() - start) / 1e6;
    }
    java.util.Arrays.sort(t);
    return t[t.length / 2];
  }

  /** The solver alone (placement, cache, kernel arguments), on a manifest loaded, checked and bound once. */
  private static double medianPlan(String yaml, boolean mustFit) {
    var source = new ManifestLoader.Source("bench.yaml", yaml.getBytes(StandardCharsets.UTF_8));
    var loaded = ManifestLoader.parse(source);
    Manifest m = Binder.bind(loaded, new Diagnostics("bench.yaml", loaded.sourceMap()));
    double[] t = new double[15];
    for (int i = -5; i < t.length; i++) {
      long start = System.nanoTime();
      try {
        Planner.plan(m, new Diagnostics("bench.yaml", loaded.sourceMap()));
        if (!mustFit) {
          throw new IllegalStateException("the infeasible case fitted");
        }
      } catch (ManifestException e) {
        if (mustFit) {
          throw new IllegalStateException(e.diagnostics().toString());
        }
      }
      if (i >= 0) {
        t[i] = (System.nanoTime() - start) / 1e6;
      }
    }
    java.util.Arrays.sort(t);
    return t[t.length / 2];
  }

  private static void run(Compiler c, byte[] bytes, boolean mustFit) {
    try {
      c.validate(new ManifestLoader.Source("bench.yaml", bytes));
      if (!mustFit) {
        throw new IllegalStateException("the infeasible case fitted");
      }
    } catch (ManifestException e) {
      if (mustFit) {
        throw new IllegalStateException(e.diagnostics().toString());
      }
    }
  }

  /** CPUs split evenly over sockets (one NUMA node and one L3 per socket); VMs of 3 vCPUs, every other one real-time with cache. */
  public static String manifest(int sockets, int cpus, int vms, boolean overflow) {
    int per = cpus / sockets;
    StringBuilder y = new StringBuilder("apiVersion: rtc/v1\nname: bench\nhost:\n  os: debian12\n  topology:\n    threadsPerCore: 1\n    sockets:\n");
    for (int s = 0; s < sockets; s++) {
      y.append("      - {id: ").append(s).append(", cpus: \"").append(s * per).append('-').append((s + 1) * per - 1).append("\"}\n");
    }
    y.append("    numaNodes:\n");
    for (int s = 0; s < sockets; s++) {
      y.append("      - {id: ").append(s).append(", cpus: \"").append(s * per).append('-').append((s + 1) * per - 1).append("\"}\n");
    }
    y.append("    l3:\n      size: 60 MiB\n      instances:\n");
    for (int s = 0; s < sockets; s++) {
      y.append("        - {id: ").append(s).append(", cpus: \"").append(s * per).append('-').append((s + 1) * per - 1).append("\"}\n");
    }
    y.append("      cat: {cbmMask: \"fffff\", minCbmBits: 1, closids: 256}\n");
    StringBuilder hk = new StringBuilder();
    for (int s = 0; s < sockets; s++) {
      hk.append(hk.length() == 0 ? "" : ",").append(s * per);
    }
    y.append("  housekeeping: \"").append(hk).append("\"\n  cache: 3 MiB\nvms:\n");
    int rtWithCache = 0;
    for (int i = 0; i < vms; i++) {
      boolean rt = i % 2 == 0;
      int vcpus = overflow && i == vms - 1 ? per : 3;
      y.append("  - name: vm").append(i).append("\n    role: ").append(rt ? "realtime" : "stressor").append("\n    vcpus: ").append(vcpus)
          .append("\n    memory: 1 GiB\n");
      if (rt && rtWithCache < sockets * 4) {
        y.append("    cache: 3 MiB\n");
        rtWithCache++;
      }
      if (!rt) {
        y.append("    workload: stress-ng\n");
      }
      y.append("    disk: {baseImage: b.qcow2, size: 10 GiB}\n    guest: {user: rt, passwordHash: \"$6$banana123$wQ1IqKwmt6fbNfzB31o0JC1PTG/TdbxTMkB5gx0RyzujPINAifkV1shcE7HW7d.jnVTs5QyuFZBid8NmYf2oq.\"}\n");
    }
    return y.toString();
  }
}
