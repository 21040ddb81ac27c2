package io.sluice.enginesim;

import static io.sluice.enginesim.SimHttp.await;
import static io.sluice.enginesim.SimHttp.delete;
import static io.sluice.enginesim.SimHttp.get;
import static io.sluice.enginesim.SimHttp.json;
import static io.sluice.enginesim.SimHttp.open;
import static io.sluice.enginesim.SimHttp.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("POOL-5 fault injection")
class FaultInjectionTest {
    /**
     * A llama.cpp stream whose first pieces are ASCII, so one token is one frame: a piece with non-ASCII text is
     * held back into the next frame, as the real server does for an incomplete UTF-8 character.
     */
    private static final String ASCII_STREAM = "{\"prompt\":\"hi\",\"n_predict\":50,\"stream\":true}";


    private static EngineSimulator llama(double tps) {
        return EngineSimulator.start(InstanceSpec.of(EngineKind.LLAMACPP).withSlots(2).withTokensPerSecond(tps));
    }

    @Test
    @DisplayName("POOL-5 crash_mid_stream: N token frames, then the connection drops without a final frame")
    void crashMidStream() throws IOException {
        for (double tps : new double[] {0, 50}) {
            try (EngineSimulator sim = llama(tps)) {
                assertThat(post(sim, "/sim/faults", "{\"mode\":\"crash_mid_stream\",\"after_tokens\":3}").statusCode())
                        .isEqualTo(200);

                RawHttp.Result r = RawHttp.post(sim, "/completion", ASCII_STREAM);

                assertThat(r.head()).startsWith("HTTP/1.1 200");
                assertThat(r.complete()).as("chunked terminator must be missing").isFalse();
                List<String> events = SimHttp.events(r.body());
                assertThat(events).hasSize(3);
                assertThat(events).allMatch(e -> !json(e).get("stop").asBoolean());
                await("slot freed after crash", () -> sim.stats().active() == 0);
                assertThat(sim.stats().faulted()).isEqualTo(1);
                assertThat(sim.stats().completed()).isZero();
                // count defaulted to 1: the next request is healthy and complete.
                RawHttp.Result next = RawHttp.post(sim, "/completion", "{\"prompt\":\"hi\",\"n_predict\":3,\"stream\":true}");
                assertThat(next.complete()).isTrue();
                assertThat(SimHttp.events(next.body())).hasSize(4);
            }
        }
    }

    @Test
    @DisplayName("POOL-5 crash_mid_stream seen through java.net.http: the stream read fails")
    void crashSeenByJdkClient() throws IOException {
        try (EngineSimulator sim = llama(50)) {
            sim.armFault(Fault.of(Fault.Mode.CRASH_MID_STREAM).withAfterTokens(2));
            SimHttp.Stream s = open(sim, "/completion", ASCII_STREAM);

            assertThatThrownBy(() -> {
                        while (s.next() != null) {
                            // drain until the connection drops
                        }
                    })
                    .isInstanceOf(IOException.class);
            s.close();
        }
    }

    @Test
    @DisplayName("POOL-5 crash_mid_stream on a non-streaming request closes the connection with no response")
    void crashNonStreaming() {
        try (EngineSimulator sim = llama(0)) {
            sim.armFault(Fault.of(Fault.Mode.CRASH_MID_STREAM).withAfterTokens(2));

            assertThatThrownBy(() -> post(sim, "/completion", "{\"prompt\":\"x\",\"n_predict\":10}"))
                    .isInstanceOf(UncheckedIOException.class);
        }
    }

    @Test
    @DisplayName("POOL-5 hang: N frames, then silence with the connection open and the slot held until the client leaves")
    void hang() throws Exception {
        try (EngineSimulator sim = llama(0)) {
            sim.armFault(Fault.of(Fault.Mode.HANG).withAfterTokens(2));
            SimHttp.Stream s = open(sim, "/completion", ASCII_STREAM);
            s.next();
            s.next();

            CompletableFuture<String> more = CompletableFuture.supplyAsync(() -> {
                try {
                    return s.nextRaw();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            assertThatThrownBy(() -> more.get(300, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
            assertThat(sim.stats().active()).isEqualTo(1);
            assertThat(json(get(sim, "/slots")).get(0).get("is_processing").asBoolean()).isTrue();

            s.close();

            await("hung slot freed after the client left", () -> sim.stats().active() == 0);
            assertThat(sim.stats().aborted()).isEqualTo(1);
            assertThat(sim.stats().faulted()).isEqualTo(1);
        }
    }

    @Test
    @DisplayName("POOL-5 http_5xx: the next `count` requests get that status with the engine's error body")
    void http5xxPerEngine() {
        for (EngineKind kind : EngineKind.values()) {
            try (EngineSimulator sim = EngineSimulator.start(InstanceSpec.of(kind).withTokensPerSecond(0))) {
                post(sim, "/sim/faults", "{\"mode\":\"http_5xx\",\"status\":503,\"count\":2}");
                String[] req = switch (kind) {
                    case LLAMACPP -> new String[] {"/completion", "{\"prompt\":\"x\",\"n_predict\":2}"};
                    case VLLM -> new String[] {"/v1/completions", "{\"model\":\"dev-tiny\",\"prompt\":\"x\",\"max_tokens\":2}"};
                    case TGI -> new String[] {"/generate", "{\"inputs\":\"x\",\"parameters\":{\"max_new_tokens\":2}}"};
                    case TRITON -> new String[] {"/v2/models/dev-tiny/generate", "{\"text_input\":\"x\",\"max_tokens\":2}"};
                };

                HttpResponse<String> first = post(sim, req[0], req[1]);
                HttpResponse<String> second = post(sim, req[0], req[1]);
                HttpResponse<String> third = post(sim, req[0], req[1]);

                assertThat(first.statusCode()).as(kind.id()).isEqualTo(503);
                assertThat(second.statusCode()).as(kind.id()).isEqualTo(503);
                assertThat(third.statusCode()).as(kind.id()).isEqualTo(200);
                JsonNode err = json(first);
                switch (kind) {
                    case LLAMACPP -> assertThat(err.get("error").get("code").asInt()).isEqualTo(503);
                    case VLLM -> assertThat(err.get("object").asText()).isEqualTo("error");
                    case TGI -> assertThat(err.get("error_type").asText()).isEqualTo("generation");
                    case TRITON -> assertThat(err.get("error").isTextual()).isTrue();
                }
                assertThat(sim.stats().faulted()).isEqualTo(2);
            }
        }
    }

    @Test
    @DisplayName("POOL-5 count -1 keeps the fault armed until DELETE /sim/faults")
    void untilCleared() {
        try (EngineSimulator sim = llama(0)) {
            post(sim, "/sim/faults", "{\"mode\":\"http_5xx\",\"status\":500,\"count\":-1}");
            for (int i = 0; i < 3; i++) {
                assertThat(post(sim, "/completion", "{\"prompt\":\"x\",\"n_predict\":1}").statusCode()).isEqualTo(500);
            }
            assertThat(json(get(sim, "/sim/faults")).get("generation").get("mode").asText()).isEqualTo("http_5xx");

            assertThat(delete(sim, "/sim/faults").statusCode()).isEqualTo(200);

            assertThat(post(sim, "/completion", "{\"prompt\":\"x\",\"n_predict\":1}").statusCode()).isEqualTo(200);
        }
    }

    @Test
    @DisplayName("POOL-5 garbage: after N good frames the stream carries a frame that is not JSON")
    void garbage() {
        for (EngineKind kind : EngineKind.values()) {
            try (EngineSimulator sim = EngineSimulator.start(InstanceSpec.of(kind).withTokensPerSecond(0))) {
                sim.armFault(Fault.of(Fault.Mode.GARBAGE).withAfterTokens(1));
                String[] req = switch (kind) {
                    case LLAMACPP -> new String[] {"/completion", "{\"prompt\":\"hi\",\"n_predict\":5,\"stream\":true}"};
                    case VLLM -> new String[] {"/v1/completions",
                            "{\"model\":\"dev-tiny\",\"prompt\":\"x\",\"max_tokens\":5,\"stream\":true}"};
                    case TGI -> new String[] {"/generate_stream", "{\"inputs\":\"x\",\"parameters\":{\"max_new_tokens\":5}}"};
                    case TRITON -> new String[] {"/v2/models/dev-tiny/generate_stream",
                            "{\"text_input\":\"x\",\"max_tokens\":5}"};
                };

                List<String> events = SimHttp.events(post(sim, req[0], req[1]).body());

                assertThat(events).as(kind.id()).hasSize(2);
                json(events.get(0));
                assertThatThrownBy(() -> json(events.get(1))).as(kind.id()).isInstanceOf(UncheckedIOException.class);
                assertThat(sim.stats().active()).isZero();
            }
        }
    }

    @Test
    @DisplayName("POOL-5 garbage on a non-streaming request answers 200 with a body that is not JSON")
    void garbageNonStreaming() {
        try (EngineSimulator sim = llama(0)) {
            sim.armFault(Fault.of(Fault.Mode.GARBAGE));

            HttpResponse<String> r = post(sim, "/completion", "{\"prompt\":\"x\",\"n_predict\":5}");

            assertThat(r.statusCode()).isEqualTo(200);
            assertThatThrownBy(() -> json(r)).isInstanceOf(UncheckedIOException.class);
        }
    }

    @Test
    @DisplayName("POOL-5 slow_start: health reports loading for delay_ms; clearing restores it")
    void slowStart() {
        try (EngineSimulator sim = llama(0)) {
            assertThat(get(sim, "/health").statusCode()).isEqualTo(200);

            post(sim, "/sim/faults", "{\"mode\":\"slow_start\",\"delay_ms\":60000}");

            HttpResponse<String> h = get(sim, "/health");
            assertThat(h.statusCode()).isEqualTo(503);
            assertThat(json(h).get("error").get("message").asText()).isEqualTo("Loading model");
            delete(sim, "/sim/faults");
            assertThat(get(sim, "/health").statusCode()).isEqualTo(200);
        }
    }

    @Test
    @DisplayName("POOL-5 refuse_load on llama.cpp, vLLM and TGI: health fails and generation is refused until cleared")
    void refuseLoadNonTriton() {
        for (EngineKind kind : List.of(EngineKind.LLAMACPP, EngineKind.VLLM, EngineKind.TGI)) {
            try (EngineSimulator sim = EngineSimulator.start(InstanceSpec.of(kind).withTokensPerSecond(0))) {
                sim.armFault(Fault.of(Fault.Mode.REFUSE_LOAD));

                assertThat(get(sim, "/health").statusCode()).as(kind.id()).isEqualTo(503);
                String[] req = switch (kind) {
                    case LLAMACPP -> new String[] {"/completion", "{\"prompt\":\"x\",\"n_predict\":1}"};
                    case VLLM -> new String[] {"/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":1}"};
                    default -> new String[] {"/generate", "{\"inputs\":\"x\",\"parameters\":{\"max_new_tokens\":1}}"};
                };
                assertThat(post(sim, req[0], req[1]).statusCode()).as(kind.id()).isEqualTo(503);

                sim.clearFaults();

                assertThat(get(sim, "/health").statusCode()).as(kind.id()).isEqualTo(200);
                assertThat(post(sim, req[0], req[1]).statusCode()).as(kind.id()).isEqualTo(200);
            }
        }
    }

    @Test
    @DisplayName("POOL-5 faults preset in the --instance spec apply from the first request")
    void presetFromSpec() {
        try (EngineSimulator sim = EngineSimulator.start(InstanceSpec.parse(
                "engine=vllm,tokens_per_s=0,fault=http_5xx,fault_status=502,fault_count=1"))) {
            assertThat(post(sim, "/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":1}").statusCode()).isEqualTo(502);
            assertThat(post(sim, "/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":1}").statusCode()).isEqualTo(200);
        }
    }

    @Test
    @DisplayName("POOL-5 a malformed fault is refused with 400 and arms nothing")
    void badFaultRefused() {
        try (EngineSimulator sim = llama(0)) {
            assertThat(post(sim, "/sim/faults", "{\"mode\":\"explode\"}").statusCode()).isEqualTo(400);
            assertThat(post(sim, "/sim/faults", "{\"mode\":\"hang\",\"after\":3}").statusCode()).isEqualTo(400);
            assertThat(post(sim, "/sim/faults", "{\"mode\":\"http_5xx\",\"status\":200}").statusCode()).isEqualTo(400);
            assertThat(post(sim, "/sim/faults", "not json").statusCode()).isEqualTo(400);

            assertThat(post(sim, "/completion", "{\"prompt\":\"x\",\"n_predict\":1}").statusCode()).isEqualTo(200);
        }
    }
}
