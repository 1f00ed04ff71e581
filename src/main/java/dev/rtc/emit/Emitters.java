package dev.rtc.emit;

import dev.rtc.plan.Plan;

/** Runs every emitter over a plan. */
public final class Emitters {

  private Emitters() {}

  public static Bundle emit(Plan plan) {
    Bundle b = new Bundle();
    return b;
  }
}
