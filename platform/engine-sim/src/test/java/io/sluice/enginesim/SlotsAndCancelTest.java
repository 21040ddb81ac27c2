package io.sluice.enginesim;

import static io.sluice.enginesim.SimHttp.await;
import static io.sluice.enginesim.SimHttp.get;
import static io.sluice.enginesim.SimHttp.json;
import static io.sluice.enginesim.SimHttp.open;
import static io.sluice.enginesim.SimHttp.post;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("POOL-5 slots, deferred queue and cancel")
class SlotsAndCancelTest {

    /** Slow enough that a long generation is still running while the test looks at it. */
    private static final double SLOW_TPS = 20;

    private static final String LONG_STREAM = "{\"prompt\":\"p\",\"n_predict\":100000,\"stream\":true,\"seed\":1}";

    private static JsonNode stats(EngineSimulator sim) {
        return json(get(sim, "/sim/stats"));
    }

    @Test
    @DisplayName("POOL-5 client disconnect mid-stream stops the generation and frees the slot")
    void disconnectFreesSlot() throws IOException {
        try (EngineSimulator sim = EngineSimulator.start(
                InstanceSpec.of(EngineKind.LLAMACPP).withSlots(1).withTokensPerSecond(SLOW_TPS))) {
            SimHttp.Stream stream = open(sim, "/completion", LONG_STREAM);
            assertThat(stream.next().get("stop").asBoolean()).isFalse();
            assertThat(stream.next().get("stop").asBoolean()).isFalse();

            JsonNode slots = json(get(sim, "/slots"));
            assertThat(slots.get(0).get("is_processing").asBoolean()).isTrue();
            assertThat(slots.get(0).get("next_token").get("n_decoded").asInt()).isGreaterThanOrEqualTo(2);
            assertThat(stats(sim).get("active").asInt()).isEqualTo(1);

            stream.close();

            await("slot freed after disconnect", () -> sim.stats().active() == 0);
            assertThat(sim.stats().aborted()).isEqualTo(1);
            assertThat(sim.stats().completed()).isZero();
            assertThat(json(get(sim, "/slots")).get(0).get("is_processing").asBoolean()).isFalse();
            long tokensAtStop = sim.stats().tokensGenerated();
            // The generation really stopped: no token is produced for the gone client any more.
            HttpResponse<String> next = post(sim, "/completion", "{\"prompt\":\"q\",\"n_predict\":2}");
            assertThat(next.statusCode()).isEqualTo(200);
            assertThat(sim.stats().tokensGenerated()).isEqualTo(tokensAtStop + 2);
        }
    }

    @Test
    @DisplayName("POOL-5 at most `slots` generations run; the others wait as deferred and start when a slot frees")
    void concurrencyBoundedBySlots() throws IOException {
        try (EngineSimulator sim = EngineSimulator.start(
                InstanceSpec.of(EngineKind.LLAMACPP).withSlots(2).withTokensPerSecond(SLOW_TPS))) {
            List<SimHttp.Stream> streams = new ArrayList<>();
            try {
                streams.add(open(sim, "/completion", LONG_STREAM));
                streams.add(open(sim, "/completion", LONG_STREAM));
                streams.get(0).next();
                streams.get(1).next();
                CompletableFuture<SimHttp.Stream> third =
                        CompletableFuture.supplyAsync(() -> open(sim, "/completion", LONG_STREAM));

                await("third request deferred", () -> sim.stats().queued() == 1);
                assertThat(sim.stats().active()).isEqualTo(2);
                assertThat(get(sim, "/metrics").body())
                        .contains("llamacpp:requests_deferred 1")
                        .contains("llamacpp:requests_processing 2");
                JsonNode slots = json(get(sim, "/slots"));
                assertThat(slots.findValues("is_processing")).allMatch(JsonNode::asBoolean);
                assertThat(third).isNotDone();

                streams.get(0).close();

                SimHttp.Stream s3 = third.join();
                streams.add(s3);
                assertThat(s3.response.statusCode()).isEqualTo(200);
                JsonNode first = s3.next();
                assertThat(first.get("id_slot").asInt()).isZero();
                assertThat(sim.stats().queued()).isZero();
                assertThat(sim.stats().active()).isEqualTo(2);
            } finally {
                for (SimHttp.Stream s : streams) {
                    s.close();
                }
            }
            await("all slots free", () -> sim.stats().active() == 0);
        }
    }

    @Test
    @DisplayName("POOL-5 the wait for a slot is bounded: queue_timeout_ms then an engine-shaped 503")
    void queueWaitIsBounded() throws IOException {
        try (EngineSimulator sim = EngineSimulator.start(InstanceSpec.of(EngineKind.LLAMACPP).withSlots(1)
                .withTokensPerSecond(SLOW_TPS).withQueueTimeoutMs(200))) {
            try (SimHttp.Stream busy = open(sim, "/completion", LONG_STREAM)) {
                busy.next();

                HttpResponse<String> r = post(sim, "/completion", "{\"prompt\":\"x\",\"n_predict\":1}");

                assertThat(r.statusCode()).isEqualTo(503);
                assertThat(json(r).get("error").get("type").asText()).isEqualTo("unavailable_error");
                assertThat(sim.stats().rejected()).isEqualTo(1);
            }
        }
    }

    @Test
    @DisplayName("POOL-5 TGI answers 429 overloaded when the queue is full")
    void tgiOverloaded() throws IOException {
        try (EngineSimulator sim = EngineSimulator.start(InstanceSpec.of(EngineKind.TGI).withSlots(1)
                .withTokensPerSecond(SLOW_TPS).withMaxQueue(0))) {
            try (SimHttp.Stream busy = open(sim, "/generate_stream",
                    "{\"inputs\":\"x\",\"parameters\":{\"max_new_tokens\":1000}}")) {
                busy.next();

                HttpResponse<String> r = post(sim, "/generate", "{\"inputs\":\"y\",\"parameters\":{\"max_new_tokens\":1}}");

                assertThat(r.statusCode()).isEqualTo(429);
                assertThat(json(r).get("error_type").asText()).isEqualTo("overloaded");
            }
        }
    }

    @Test
    @DisplayName("POOL-5 llama.cpp id_slot pins a request to that slot")
    void idSlotPinsSlot() {
        try (EngineSimulator sim = EngineSimulator.start(InstanceSpec.of(EngineKind.LLAMACPP).withSlots(3)
                .withTokensPerSecond(0))) {
            JsonNode body = json(post(sim, "/completion", "{\"prompt\":\"x\",\"n_predict\":2,\"id_slot\":2}"));

            assertThat(body.get("id_slot").asInt()).isEqualTo(2);
        }
    }

    @Test
    @DisplayName("POOL-5 vLLM and Triton streams also stop and free the slot on disconnect")
    void disconnectOtherEngines() throws IOException {
        for (EngineKind kind : List.of(EngineKind.VLLM, EngineKind.TRITON, EngineKind.TGI)) {
            try (EngineSimulator sim = EngineSimulator.start(
                    InstanceSpec.of(kind).withSlots(1).withTokensPerSecond(SLOW_TPS))) {
                String[] req = switch (kind) {
                    case VLLM -> new String[] {"/v1/completions",
                            "{\"model\":\"dev-tiny\",\"prompt\":\"p\",\"max_tokens\":4000,\"stream\":true}"};
                    case TGI -> new String[] {"/generate_stream",
                            "{\"inputs\":\"p\",\"parameters\":{\"max_new_tokens\":4000}}"};
                    default -> new String[] {"/v2/models/dev-tiny/generate_stream",
                            "{\"text_input\":\"p\",\"parameters\":{\"max_tokens\":4000}}"};
                };
                SimHttp.Stream s = open(sim, req[0], req[1]);
                s.next();
                assertThat(sim.stats().active()).as(kind.id()).isEqualTo(1);

                s.close();

                await(kind.id() + " slot freed", () -> sim.stats().active() == 0);
                assertThat(sim.stats().aborted()).as(kind.id()).isEqualTo(1);
            }
        }
    }
}
