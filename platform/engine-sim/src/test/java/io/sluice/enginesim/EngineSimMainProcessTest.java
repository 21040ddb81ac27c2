package io.sluice.enginesim;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("POOL-5 simulator as a separate process (java -cp)")
class EngineSimMainProcessTest {

    @Test
    @DisplayName("POOL-5 child process prints ready lines, writes the ports file, serves, and stops on SIGTERM")
    void runsAsChildProcess(@TempDir Path dir) throws Exception {
        ChildProcessSupport.runAndCheck(
                List.of(ChildProcessSupport.javaBin(), "-cp", System.getProperty("java.class.path"),
                        EngineSimMain.class.getName()),
                dir);
    }
}
