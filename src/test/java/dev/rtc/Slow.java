package dev.rtc;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * A test that runs a real consumer (shellcheck, virsh, cloud-init, TuneD, ...), another JVM, a
 * fake host's bash, or thousands of cases: the whole suite runs it; the quick loop
 * ({@code mvn -B test -DexcludedGroups=slow}) leaves it out.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag("slow")
public @interface Slow {}
