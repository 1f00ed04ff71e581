package dev.rtc.emit;

import dev.rtc.plan.Plan;
import java.util.List;

/**
 * One kind of artifact: the bundle files it makes of a plan. A pure function of the plan and the
 * provenance header, safe on any thread; {@link Emitters} runs every kind and collects the bundle.
 * A new kind of artifact is a new Emitter in Emitters' list.
 */
@FunctionalInterface
interface Emitter {

  List<Bundle.Artifact> emit(Plan plan, String header);
}
