/**
 * The semantic rules, by subject: the topology, devices, kernels and packages, guests, safety.
 * {@link Rules} runs them over a bound manifest; {@link PartialRules} runs them over the parts a
 * schema error leaves readable, so one error never hides another.
 */
package dev.rtc.manifest.rules;
