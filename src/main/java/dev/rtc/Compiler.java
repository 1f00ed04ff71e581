package dev.rtc;

import dev.rtc.emit.Bundle;
import dev.rtc.emit.Emitters;
import dev.rtc.manifest.Binder;
import dev.rtc.manifest.Manifest;
import dev.rtc.manifest.ManifestLoader;
import dev.rtc.manifest.SchemaCheck;
import dev.rtc.manifest.diagnostics.Code;
import dev.rtc.manifest.diagnostics.Diagnostic;
import dev.rtc.manifest.diagnostics.Diagnostics;
import dev.rtc.manifest.diagnostics.ManifestException;
import dev.rtc.manifest.rules.PartialRules;
import dev.rtc.manifest.rules.Rules;
import dev.rtc.plan.Plan;
import dev.rtc.plan.Planner;
import java.nio.file.Path;
import java.util.List;

/**
 * The pipeline, stage by stage: load → schema → bind → rules → plan → emit. Each stage consumes
 * the previous stage's value. Errors stop the pipeline at the end of the stage that found them
 * (a {@link dev.rtc.manifest.diagnostics.ManifestException} carrying every diagnostic so far); warnings ride
 * along in the result. One exception: when the schema finds errors, the binder and the rules
 * still run on the parts its errors cannot sway ({@link PartialRules}), so one pass shows them all. Nothing here touches the disk except reading the manifest.
 *
 * <p>One Compiler serves any number of threads: the schema is its only state, and everit's Schema
 * objects are immutable and thread-safe (its maintainer, everit-org/json-schema#20 and #326);
 * every stage builds its own values, and a JAXB marshaller is made per domain.
 */
public final class Compiler {

  /**
   * The schema, loaded once per process on its own thread: on a cold start loading it is mostly
   * class loading and everit's set-up (about 100 ms of CPU), which {@link #prepare} lets overlap
   * with picocli's start and the manifest's parsing. Every Compiler shares it.
   */
  private static final java.util.concurrent.FutureTask<SchemaCheck> SCHEMA = new java.util.concurrent.FutureTask<>(SchemaCheck::load);

  private static final java.util.concurrent.atomic.AtomicBoolean STARTED = new java.util.concurrent.atomic.AtomicBoolean();

  /** Starts loading the schema in the background, if nothing has yet; cheap to call again. */
  public static void prepare() {
    if (STARTED.compareAndSet(false, true)) {
      Thread t = new Thread(SCHEMA, "rtc-schema");
      t.setDaemon(true);
      t.start();
    }
  }

  public Compiler() {
    prepare();
  }

  private SchemaCheck schema() {
    try {
      return SCHEMA.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    }
  }

  /** What a successful compile produced. */
  public record Result(Plan plan, Bundle bundle, List<Diagnostic> warnings) {}

  public Result compile(Path manifest) {
    return compile(ManifestLoader.read(manifest));
  }

  public Result compile(ManifestLoader.Source source) {
    Validated v = validate(source);
    Bundle bundle = Emitters.emit(v.plan());
    return new Result(v.plan(), bundle, v.diagnostics().all());
  }

  /** The pipeline up to a plan, without emitting: for {@code rtc validate} and {@code rtc explain}. */
  public Validated validate(ManifestLoader.Source source) {
    ManifestLoader.Loaded loaded = ManifestLoader.parse(source);
    Diagnostics d = new Diagnostics(source.displayName(), loaded.sourceMap());
    SchemaCheck.Findings faults = schema().check(loaded.tree(), d);
    if (faults.any()) {
      PartialRules.check(loaded, faults, schema(), d); // the rules' errors too, where the faults cannot sway them
    }
    d.orThrow();
    Manifest manifest = Binder.bind(loaded, d);
    d.orThrow();
    Rules.check(manifest, d);
    if (d.hasErrors() && Rules.PLAN_SEES_PAST.containsAll(d.errorCodes())) {
      planBeside(manifest, d);
    }
    d.orThrow();
    Plan plan = Planner.plan(manifest, d);
    return new Validated(plan, d);
  }

  /**
   * The manifest has errors the planner does not read (a password, a URL, a kernel argument, an
   * image name): plan anyway, so a refusal of the same manifest shows now, beside them, not after
   * they are fixed. The planner's own refusals join the rule errors; should it fail on a manifest
   * it was never meant to see, the rule errors stand alone.
   */
  private static void planBeside(Manifest manifest, Diagnostics d) {
    Diagnostics planner = d.scratch();
    try {
      Planner.plan(manifest, planner);
    } catch (ManifestException refused) {
      // its errors are in `planner`, added below
    } catch (RuntimeException | StackOverflowError e) {
      return;
    }
    d.addAll(planner, Code.PLANNER);
  }

  public record Validated(Plan plan, Diagnostics diagnostics) {}
}
