package io.sluice.app;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The app's feature packages depend on each other one way only, and the task path stays free of the ORM (ADR 0008).
 */
@AnalyzeClasses(packages = "io.sluice.app", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    @ArchTest
    static final ArchRule featurePackagesHaveNoCycles = slices().matching("io.sluice.app.(*)..")
            .should().beFreeOfCycles()
            .as("the app's feature packages (tasks, scheduling, policy, cluster, ...) form no dependency cycle");

    @ArchTest
    static final ArchRule policiesDecideOnTheirInputs = noClasses().that().resideInAPackage("io.sluice.app.policy..")
            .should().dependOnClassesThat().resideInAnyPackage("io.sluice.app.scheduling..", "io.sluice.app.tasks..")
            .as("tenant policy hooks decide on the admission snapshot they are given and never call back into scheduling");

    @ArchTest
    static final ArchRule schedulingDoesNotReachIntoTasks = noClasses().that().resideInAPackage("io.sluice.app.scheduling..")
            .should().dependOnClassesThat().resideInAPackage("io.sluice.app.tasks..")
            .as("scheduling never depends on the tasks feature or its store (the journal reaches it as a core OutcomeStore)");

    @ArchTest
    static final ArchRule taskPathHasNoOrm = noClasses().that()
            .resideInAnyPackage("io.sluice.app.tasks..", "io.sluice.app.scheduling..", "io.sluice.app.cluster..")
            .should().dependOnClassesThat().resideInAnyPackage("org.hibernate..", "io.quarkus.hibernate..", "jakarta.persistence..")
            .as("the per-task path uses the reactive PostgreSQL client, never Hibernate");

    @ArchTest
    static final ArchRule policyHostThroughItsApi = noClasses().should().dependOnClassesThat()
            .resideInAnyPackage("io.sluice.policy.host.internal..", "io.sluice.policy.host.diagnostics..")
            .as("the app uses the policy host through its API only, never its internals or diagnostics");
}
