package io.sluice.benchmarks.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * Benchmarks measure the policy host through what it supports: its API and the diagnostics entry
 * ({@code io.sluice.policy.host.diagnostics}). Reaching into its internals would pin them, and a
 * benchmark that compiles only against one version of the internals is a benchmark nobody can rerun.
 */
@AnalyzeClasses(packages = "io.sluice.benchmarks", importOptions = ImportOption.DoNotIncludeTests.class)
class BenchmarksArchitectureTest {

    @ArchTest
    static final ArchRule noHostInternals = noClasses()
            .should()
            .dependOnClassesThat()
            .resideInAPackage("io.sluice.policy.host.internal..")
            .as("benchmarks use io.sluice.policy.host and io.sluice.policy.host.diagnostics, never io.sluice.policy.host.internal");
}
