package io.sluice.policy.host.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/** The policy host stays plain Java, usable by the platform, the test kit and functions alike (POL-2, POL-7). */
@AnalyzeClasses(packages = "io.sluice.policy.host", importOptions = ImportOption.DoNotIncludeTests.class)
class PolicyHostArchitectureTest {
    private static final String API = "io.sluice.policy.host";
    private static final String INTERNAL = "io.sluice.policy.host.internal..";
    private static final String DIAGNOSTICS = "io.sluice.policy.host.diagnostics..";

    @ArchTest
    static final ArchRule noFrameworks = noClasses()
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage("io.quarkus..", "jakarta.ws.rs..", "jakarta.persistence..", "org.hibernate..", "io.vertx..",
                    "jakarta.enterprise..", "jakarta.inject..", "io.micrometer..")
            .as("platform/policy-host stays free of Quarkus, JAX-RS, Hibernate, CDI, Vert.x and Micrometer");

    /*
     * The API's types are values and contracts; only the facade reaches behind the boundary. Internals may
     * use API types, so any API type other than PolicyHost that used an internal class would close a cycle
     * across the boundary (as PolicyFixture <-> FixtureJson once did).
     */
    @ArchTest
    static final ArchRule onlyTheFacadeReachesInternals = noClasses()
            .that()
            .resideInAPackage(API)
            .and()
            .doNotHaveFullyQualifiedName(API + ".PolicyHost")
            .should()
            .dependOnClassesThat()
            .resideInAPackage(INTERNAL)
            .as("in the API package only PolicyHost uses io.sluice.policy.host.internal (no cycle across the API boundary)");

    @ArchTest
    static final ArchRule internalsDoNotCallBackIntoTheFacade = noClasses()
            .that()
            .resideInAPackage(INTERNAL)
            .should()
            .dependOnClassesThat()
            .haveFullyQualifiedName(API + ".PolicyHost")
            .orShould()
            .dependOnClassesThat()
            .resideInAPackage(DIAGNOSTICS)
            .as("io.sluice.policy.host.internal depends on neither PolicyHost nor the diagnostics entry");

    @ArchTest
    static final ArchRule diagnosticsStayOutOfTheApi = noClasses()
            .that()
            .resideInAPackage(API)
            .should()
            .dependOnClassesThat()
            .resideInAPackage(DIAGNOSTICS)
            .as("the API package does not depend on the diagnostics entry");

    /*
     * Inside, one package per job: abi (ABI JSON in and out), wasm (modules, instances, host functions),
     * call (running a call under the limits), wired by the classes directly in internal. The parts do not
     * know the wiring, ABI I/O and the sandbox know nothing of each other, and only call uses both.
     */
    private static final String WIRING = "io.sluice.policy.host.internal";

    @ArchTest
    static final ArchRule internalPartsAreFreeOfCycles = slices()
            .matching("io.sluice.policy.host.internal.(*)..")
            .should()
            .beFreeOfCycles();

    @ArchTest
    static final ArchRule partsDoNotKnowTheWiring = noClasses()
            .that()
            .resideInAnyPackage("io.sluice.policy.host.internal.abi..", "io.sluice.policy.host.internal.wasm..",
                    "io.sluice.policy.host.internal.call..")
            .should()
            .dependOnClassesThat()
            .resideInAPackage(WIRING)
            .as("internal.abi, internal.wasm and internal.call do not depend on the wiring in internal");

    @ArchTest
    static final ArchRule abiIsPureInputOutput = noClasses()
            .that()
            .resideInAPackage("io.sluice.policy.host.internal.abi..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage("io.sluice.policy.host.internal.wasm..", "io.sluice.policy.host.internal.call..",
                    "com.dylibso..", "org.extism..")
            .as("internal.abi reads and writes ABI JSON only: no runtime, no sandbox, no call machinery");

    @ArchTest
    static final ArchRule sandboxDoesNotKnowCallsOrJson = noClasses()
            .that()
            .resideInAPackage("io.sluice.policy.host.internal.wasm..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage("io.sluice.policy.host.internal.call..", "io.sluice.policy.host.internal.abi..")
            .as("internal.wasm (modules, instances, host functions) knows neither the call limits nor ABI JSON");
}
