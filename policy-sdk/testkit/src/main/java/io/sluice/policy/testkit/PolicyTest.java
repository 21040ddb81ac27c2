package io.sluice.policy.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs a test class against one policy module: test methods (and lifecycle methods) may declare a
 * {@link PolicyUnderTest} parameter. The module is compiled once per class with the platform's limits.
 *
 * <pre>{@code
 * @PolicyTest(wasm = "build/model-allowlist.wasm")
 * class ModelAllowlistTest {
 *     @Test
 *     void deniesUnlistedModel(PolicyUnderTest policy) {
 *         assertThat(policy.admit(AdmitInputBuilder.forTenant("acme").model("mixtral").build()))
 *             .isDeniedWith("not on the allow-list");
 *     }
 * }
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@ExtendWith(PolicyFixtureExtension.class)
public @interface PolicyTest {
    /**
     * The module: a file path (relative to the working directory, usually the project root), or a class
     * path resource when prefixed with {@code classpath:}.
     */
    String wasm();

    /** Call time limit in milliseconds; 0 keeps the platform's (10 ms). Raise it only for slow CI machines. */
    long callTimeoutMs() default 0;
}
