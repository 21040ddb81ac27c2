package io.sluice.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ProcessProbeTest {
    @Test
    void cpuTicksAreUserPlusSystemEvenWhenTheCommandNameHasSpacesAndParentheses() {
        String stat = "4242 (java (app) x) S 1 4242 4242 0 -1 4194560 12345 0 3 0 1500 250 0 0 20 0 45 0 987 123456 789";
        assertThat(ProcessProbe.cpuTicks(stat)).isEqualTo(1750);
    }

    @Test
    void readsThreadsAndResidentSizeFromProcStatus() {
        String status = "Name:\tjava\nState:\tS (sleeping)\nVmRSS:\t  2831156 kB\nThreads:\t45\n";
        assertThat(ProcessProbe.statusValue(status, "Threads")).isEqualTo(45);
        assertThat(ProcessProbe.statusValue(status, "VmRSS")).isEqualTo(2831156);
        assertThatThrownBy(() -> ProcessProbe.statusValue(status, "VmHWM")).hasMessageContaining("no VmHWM");
    }

    @Test
    void readsTheHeapInUseOfG1() {
        String heapInfo = "4242:\n garbage-first heap   total 262144K, used 232448K [0x00000000c0000000, 0x0000000100000000)\n"
                + "  region size 1024K, 3 young (3072K), 0 survivors (0K)\n"
                + " Metaspace       used 81234K, committed 82000K, reserved 1114112K\n";
        assertThat(ProcessProbe.heapUsedKiB(heapInfo)).isEqualTo(232448);
    }

    @Test
    void addsTheGenerationsOfParallelAndSerial() {
        String parallel = "1:\n PSYoungGen      total 76288K, used 1310K [0x1, 0x2)\n  eden space 65536K, 2% used\n"
                + " ParOldGen       total 175104K, used 20000K [0x3, 0x4)\n Metaspace       used 500K\n";
        assertThat(ProcessProbe.heapUsedKiB(parallel)).isEqualTo(21310);
        String serial = " def new generation   total 4928K, used 100K [0x1)\n tenured generation   total 10944K, used 900K [0x2)\n";
        assertThat(ProcessProbe.heapUsedKiB(serial)).isEqualTo(1000);
        assertThatThrownBy(() -> ProcessProbe.heapUsedKiB("1:\nsomething else\n")).hasMessageStartingWith("unrecognised GC.heap_info");
    }

    @Test
    void readsTheJitCompileTimeFromJstat() {
        String out = "Compiled Failed Invalid   Time   FailedType FailedMethod\n    4858      0       0    16.01          0             \n";
        assertThat(ProcessProbe.jitSeconds(out)).isEqualTo(16.01);
        assertThatThrownBy(() -> ProcessProbe.jitSeconds("nothing")).hasMessageStartingWith("unrecognised jstat");
    }
}
