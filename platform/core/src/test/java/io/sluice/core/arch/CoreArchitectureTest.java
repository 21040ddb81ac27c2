package io.sluice.core.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/** Keeps the domain plain Java, testable without a container (STYLE habit 1). */
@AnalyzeClasses(packages = "io.sluice.core", importOptions = ImportOption.DoNotIncludeTests.class)
class CoreArchitectureTest {

    @ArchTest
    static final ArchRule coreHasNoFrameworks = noClasses()
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage("io.quarkus..", "jakarta.ws.rs..", "jakarta.persistence..", "org.hibernate..",
                    "io.smallrye..", "io.vertx..", "jakarta.enterprise..", "jakarta.inject..")
            .as("platform/core stays free of Quarkus, JAX-RS, Hibernate, CDI and Vert.x");
}
