/**
 * {@code rtc report}: cyclictest's output parsed, and the one judge of a run (GREAT, GOOD, FAIL or NO
 * VERDICT) against the plan's thresholds, with the evidence it read; the runbook's own judge agrees on
 * a shared corpus.
 */
package dev.rtc.report;
