package io.sluice.enginesim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("POOL-5 command-line instance specs")
class InstanceSpecTest {

    @Test
    @DisplayName("POOL-5 every key of --instance is parsed")
    void parsesAllKeys() {
        String digest = "ab".repeat(32);
        InstanceSpec s = InstanceSpec.parse("engine=llamacpp,port=0,model=dev-tiny,slots=4,tokens_per_s=200,"
                + "engine_version=b4300,ctx=8192,digest=" + digest + ",load_ms=1500,queue_timeout_ms=900,max_queue=7,"
                + "fault=hang,fault_after_tokens=3,fault_count=-1,host=127.0.0.2");

        assertThat(s.engine()).isEqualTo(EngineKind.LLAMACPP);
        assertThat(s.port()).isZero();
        assertThat(s.model()).isEqualTo("dev-tiny");
        assertThat(s.slots()).isEqualTo(4);
        assertThat(s.tokensPerSecond()).isEqualTo(200.0);
        assertThat(s.engineVersion()).isEqualTo("b4300");
        assertThat(s.ctx()).isEqualTo(8192);
        assertThat(s.digest()).isEqualTo(digest);
        assertThat(s.loadMs()).isEqualTo(1500);
        assertThat(s.queueTimeoutMs()).isEqualTo(900);
        assertThat(s.maxQueue()).isEqualTo(7);
        assertThat(s.fault()).isEqualTo(new Fault(Fault.Mode.HANG, 3, -1, 500, 0));
        assertThat(s.host()).isEqualTo("127.0.0.2");
    }

    @Test
    @DisplayName("POOL-5 defaults: loopback, per-engine version, digest = sha256(model)")
    void defaults() {
        for (EngineKind k : EngineKind.values()) {
            InstanceSpec s = InstanceSpec.parse("engine=" + k.id() + ",model=m1");
            assertThat(s.host()).isEqualTo("127.0.0.1");
            assertThat(s.engineVersion()).isEqualTo(k.defaultVersion());
            assertThat(s.digest()).isEqualTo(InstanceSpec.sha256Hex("m1"));
            assertThat(s.fault()).isEqualTo(Fault.NONE);
        }
        assertThat(EngineKind.LLAMACPP.defaultVersion()).isEqualTo("b4242");
        assertThat(EngineKind.VLLM.defaultVersion()).isEqualTo("0.6.3");
        assertThat(EngineKind.TGI.defaultVersion()).isEqualTo("2.4.0");
        assertThat(EngineKind.TRITON.defaultVersion()).isEqualTo("2.51.0");
    }

    @Test
    @DisplayName("POOL-5 bad specs are refused with the offending key named")
    void rejectsBadSpecs() {
        assertThatThrownBy(() -> InstanceSpec.parse("port=0")).hasMessageContaining("engine=");
        assertThatThrownBy(() -> InstanceSpec.parse("engine=ollama")).hasMessageContaining("ollama");
        assertThatThrownBy(() -> InstanceSpec.parse("engine=vllm,speed=3")).hasMessageContaining("speed");
        assertThatThrownBy(() -> InstanceSpec.parse("engine=vllm,slots=x")).hasMessageContaining("slots");
        assertThatThrownBy(() -> InstanceSpec.parse("engine=vllm,slots=0")).hasMessageContaining("slots");
        assertThatThrownBy(() -> InstanceSpec.parse("engine=vllm,digest=abc")).hasMessageContaining("digest");
        assertThatThrownBy(() -> InstanceSpec.parse("engine=vllm,fault=melt")).hasMessageContaining("melt");
    }

    @Test
    @DisplayName("POOL-5 --host applies to instances that name no host; --instance=SPEC form works")
    void mainOptions() {
        EngineSimMain.Options o = EngineSimMain.Options.parse(new String[] {
            "--host", "127.0.0.3", "--instance", "engine=tgi", "--instance=engine=vllm,host=127.0.0.4",
            "--ports-file", "/tmp/p.json", "--exit-on-stdin-eof"
        });

        assertThat(o.instances).hasSize(2);
        assertThat(o.instances.get(0).host()).isEqualTo("127.0.0.3");
        assertThat(o.instances.get(1).host()).isEqualTo("127.0.0.4");
        assertThat(o.portsFile).hasToString("/tmp/p.json");
        assertThat(o.exitOnStdinEof).isTrue();
        assertThatThrownBy(() -> EngineSimMain.Options.parse(new String[] {})).hasMessageContaining("--instance");
        assertThatThrownBy(() -> EngineSimMain.Options.parse(new String[] {"--bogus"})).hasMessageContaining("--bogus");
    }
}
