package io.sluice.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.benchmarks.load.BenchArgs.BadArguments;
import io.sluice.benchmarks.load.BenchArgs.Scenario;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchArgsTest {
    private static BenchArgs parse(String... argv) {
        return BenchArgs.parse(List.of(argv));
    }

    @Test
    void streamsDefaultsToTheSmallSideBySideLoad() {
        BenchArgs a = parse("streams", "--root", "/repo");
        assertThat(a.scenario()).isEqualTo(Scenario.STREAMS);
        assertThat(a.clients()).isEqualTo(50);
        assertThat(a.tokensPerSecond()).isEqualTo(50);
        assertThat(a.maxTokens()).isEqualTo(16);
        assertThat(a.durationSeconds()).isEqualTo(60);
        assertThat(a.target()).isNull();
        assertThat(a.resultsDir()).isEqualTo(Path.of("/repo/docs/benchmarks/results/hot-path"));
        assertThat(a.doc()).isEqualTo(Path.of("/repo/docs/benchmarks/hot-path.md"));
    }

    @Test
    void streamsDriveTheTaskApiUnlessAskedForTheFacade() {
        assertThat(parse("streams").api()).isEqualTo(BenchArgs.Api.TASKS);
        assertThat(parse("streams", "--api", "both").api()).isEqualTo(BenchArgs.Api.BOTH);
        assertThat(parse("streams", "--api=openai").api()).isEqualTo(BenchArgs.Api.OPENAI);
        assertThatThrownBy(() -> parse("streams", "--api", "grpc")).isInstanceOf(BadArguments.class).hasMessageContaining("--api");
        assertThatThrownBy(() -> parse("admissions", "--api", "both")).isInstanceOf(BadArguments.class);
    }

    @Test
    void relaySideOnlyOnStreamsOfTheStackTheDriverStarts() {
        assertThat(parse("streams").relay()).isFalse();
        assertThat(parse("streams", "--relay", "yes").relay()).isTrue();
        assertThatThrownBy(() -> parse("streams", "--relay", "maybe")).isInstanceOf(BadArguments.class).hasMessageContaining("--relay");
        assertThatThrownBy(() -> parse("admissions", "--relay", "yes")).isInstanceOf(BadArguments.class);
        assertThatThrownBy(() -> parse("streams", "--relay", "yes", "--target", "http://127.0.0.1:8080", "--token", "t"))
                .isInstanceOf(BadArguments.class)
                .hasMessageContaining("--target");
    }

    @Test
    void sessionTurnsStayWithinASessionsDefaultTurnLimit() {
        assertThat(parse("streams").sessionTurns()).isEqualTo(1);
        assertThat(parse("streams", "--session-turns", "8").sessionTurns()).isEqualTo(8);
        assertThatThrownBy(() -> parse("streams", "--session-turns", "9")).isInstanceOf(BadArguments.class).hasMessageContaining("up to 8");
        assertThatThrownBy(() -> parse("admissions", "--session-turns", "2")).isInstanceOf(BadArguments.class);
    }

    @Test
    void admissionsSubmitOneTokenTasks() {
        BenchArgs a = parse("admissions", "--clients=200", "--duration", "20");
        assertThat(a.clients()).isEqualTo(200);
        assertThat(a.durationSeconds()).isEqualTo(20);
        assertThat(a.maxTokens()).isEqualTo(1);
    }

    @Test
    void acceptsARunningLoopbackStack() {
        BenchArgs a = parse("streams", "--target", "http://127.0.0.1:8080", "--token", "abc", "--engine-url",
                "http://localhost:9000", "--app-pid", "42");
        assertThat(a.target()).isEqualTo(URI.create("http://127.0.0.1:8080"));
        assertThat(a.engineUrl()).isEqualTo(URI.create("http://localhost:9000"));
        assertThat(a.appPid()).isEqualTo(42);
    }

    @Test
    void refusesNumbersThatAreNotPositiveIntegers() {
        assertThatThrownBy(() -> parse("streams", "--clients", "many"))
                .isInstanceOf(BadArguments.class)
                .hasMessage("--clients must be a positive integer, got 'many'");
        assertThatThrownBy(() -> parse("streams", "--duration", "0"))
                .hasMessage("--duration must be a positive integer up to 86400, got 0");
        assertThatThrownBy(() -> parse("streams", "--tokens-per-s", "-3")).hasMessageContaining("got -3");
    }

    @Test
    void refusesUnknownScenariosAndOptionsAndSaysWhatIsValid() {
        assertThatThrownBy(() -> parse("stream")).hasMessage("unknown scenario 'stream': expected streams, admissions or report");
        assertThatThrownBy(() -> parse("admissions", "--max-tokens", "4"))
                .hasMessageStartingWith("unknown option '--max-tokens'; this scenario takes [");
        assertThatThrownBy(() -> parse("report", "--clients", "4")).hasMessageStartingWith("unknown option '--clients'");
        assertThatThrownBy(() -> BenchArgs.parse(List.of())).hasMessageStartingWith("missing scenario");
    }

    @Test
    void refusesMissingRepeatedAndStrayValues() {
        assertThatThrownBy(() -> parse("streams", "--clients")).hasMessage("--clients needs a value");
        assertThatThrownBy(() -> parse("streams", "--clients", "1", "--clients", "2")).hasMessage("--clients given twice");
    }

    @Test
    void sendsLoadOnlyToLoopback() {
        assertThatThrownBy(() -> parse("streams", "--target", "http://10.0.0.5:8080", "--token", "t"))
                .hasMessage("--target must point at loopback (127.0.0.1, localhost, ::1), got host '10.0.0.5'");
        assertThatThrownBy(() -> parse("streams", "--target", "https://127.0.0.1", "--token", "t"))
                .hasMessageStartingWith("--target must be an http:// URL");
    }

    @Test
    void aRunningStackNeedsATokenAndStackOptionsNeedATarget() {
        assertThatThrownBy(() -> parse("streams", "--target", "http://127.0.0.1:8080")).hasMessageStartingWith("--target needs a tenant token");
        assertThatThrownBy(() -> parse("streams", "--app-pid", "5")).hasMessageContaining("give --target too");
        assertThatThrownBy(() -> parse("streams", "--target", "http://127.0.0.1:1", "--token", "t", "--token-url", "http://127.0.0.1:2/token"))
                .hasMessage("give either --token or --token-url, not both");
    }

    @Test
    void theDisplayedCommandLeavesOutTheTokenAndTheRoot() {
        BenchArgs a = parse("streams", "--clients", "5", "--target", "http://127.0.0.1:8080", "--token", "secret", "--root", "/x");
        assertThat(a.displayCommand()).isEqualTo("bin/sluice bench streams --clients 5 --target http://127.0.0.1:8080");
    }
}
