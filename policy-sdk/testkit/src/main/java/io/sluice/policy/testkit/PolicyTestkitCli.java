package io.sluice.policy.testkit;

import io.sluice.policy.host.FixtureResult;
import io.sluice.policy.host.PolicyFixture;
import io.sluice.policy.host.PolicyHost;
import io.sluice.policy.host.PolicyLimits;
import io.sluice.policy.host.PolicyModule;
import io.sluice.policy.host.PolicyTelemetry;
import io.sluice.policy.host.PolicyValidationException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Command line: runs a policy module against fixture files with the platform's host and limits.
 *
 * <pre>
 * java -jar sluice-policy-testkit.jar --wasm policy.wasm --fixtures fixtures/ [--tenant acme] [--json]
 *                                     [--call-timeout-ms 10]
 * </pre>
 *
 * Exit status: 0 every fixture passed, 1 a fixture failed, 2 the module was refused at upload
 * validation, 64 bad arguments.
 */
public final class PolicyTestkitCli {
    static final int OK = 0;
    static final int FIXTURE_FAILED = 1;
    static final int REFUSED = 2;
    static final int USAGE = 64;

    private static final String USAGE_TEXT = "usage: java -jar sluice-policy-testkit.jar --wasm <file.wasm> --fixtures <dir>"
            + " [--tenant <id>] [--json] [--call-timeout-ms <ms>]";

    private PolicyTestkitCli() {}

    public static void main(String[] args) {
        // The schema validator logs through SLF4J; the CLI has no backend and wants no warning about it.
        if (System.getProperty("slf4j.provider") == null) {
            System.setProperty("slf4j.provider", "org.slf4j.helpers.NOP_FallbackServiceProvider");
        }
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the CLI; returns the exit status instead of exiting (tests call this). */
    static int run(String[] args, PrintStream out, PrintStream err) {
        Path wasm = null;
        Path fixturesDir = null;
        String tenant = null;
        boolean json = false;
        PolicyLimits.Builder limits = PolicyLimits.builder();
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--wasm" -> wasm = Path.of(value(args, ++i));
                    case "--fixtures" -> fixturesDir = Path.of(value(args, ++i));
                    case "--tenant" -> tenant = value(args, ++i);
                    case "--json" -> json = true;
                    case "--call-timeout-ms" -> limits.callTimeout(Duration.ofMillis(Long.parseLong(value(args, ++i))));
                    case "-h", "--help" -> {
                        out.println(USAGE_TEXT);
                        return OK;
                    }
                    default -> throw new IllegalArgumentException("unknown argument " + args[i]);
                }
            }
            if (wasm == null || fixturesDir == null) {
                throw new IllegalArgumentException("--wasm and --fixtures are required");
            }
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            err.println(USAGE_TEXT);
            return USAGE;
        }

        byte[] bytes;
        List<PolicyFixture> fixtures = new ArrayList<>();
        try {
            bytes = Files.readAllBytes(wasm);
            for (PolicyFixture f : PolicyFixture.loadDirectory(fixturesDir)) {
                fixtures.add(tenant == null ? f : f.withTenant(tenant));
            }
        } catch (IOException | IllegalArgumentException e) {
            err.println("cannot read input: " + e.getMessage());
            return USAGE;
        }

        try (PolicyHost host = PolicyHost.create(limits.build(), PolicyTelemetry.NONE)) {
            PolicyModule module;
            try {
                module = host.compile(bytes);
            } catch (PolicyValidationException e) {
                Report.refused(out, json, wasm, e);
                return REFUSED;
            }
            // The platform runs tenant fixtures at upload; doing the same here also warms the freshly
            // compiled code, so the measured pass below sees the latency traffic would see.
            String uploadCheck;
            try {
                host.compile(bytes, fixtures);
                uploadCheck = "ok";
            } catch (PolicyValidationException e) {
                uploadCheck = e.reason().name().toLowerCase(Locale.ROOT) + ": " + e.getMessage();
            }
            // One unmeasured pass creates this tenant's instance, which the first call of a tenant pays
            // for on the platform too (instantiation is outside the call time limit).
            for (PolicyFixture f : fixtures) {
                try {
                    host.runFixture(module, f);
                } catch (IllegalArgumentException invalid) {
                    // reported by the measured pass
                }
            }
            List<FixtureResult> results = new ArrayList<>();
            for (PolicyFixture f : fixtures) {
                try {
                    results.add(host.runFixture(module, f));
                } catch (IllegalArgumentException e) {
                    results.add(null);
                    Report.invalidFixture(err, f, e);
                }
            }
            return Report.print(out, json, wasm, module, uploadCheck, fixtures, results);
        }
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException(args[i - 1] + " needs a value");
        }
        return args[i];
    }
}
