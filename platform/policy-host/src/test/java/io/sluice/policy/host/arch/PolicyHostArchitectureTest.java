package io.sluice.policy.host.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/** The policy host stays plain Java, usable by the platform, the test kit and functions alike (POL-2, POL-7). */
@AnalyzeClasses(packages = "io.sluice.policy.host", importOptions = ImportOption.DoNotIncludeTests.class)
class PolicyHostArchitectureTest {

    @ArchTest
    static final ArchRule noFrameworks = noClasses()
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage("io.quarkus..", "jakarta.ws.rs..", "jakarta.persistence..", "org.hibernate..", "io.vertx..",
                    "jakarta.enterprise..", "jakarta.inject..", "io.micrometer..")
            .as("platform/policy-host stays free of Quarkus, JAX-RS, Hibernate, CDI, Vert.x and Micrometer");

}
