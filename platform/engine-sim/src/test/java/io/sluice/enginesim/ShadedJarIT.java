package io.sluice.enginesim;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("POOL-5 runnable fat jar (java -jar)")
class ShadedJarIT {

    @Test
    @DisplayName("POOL-5 java -jar sluice-engine-sim.jar starts instances, writes the ports file and stops on SIGTERM")
    void runsFromShadedJar(@TempDir Path dir) throws Exception {
        Path jar = Path.of(System.getProperty("engine-sim.jar", "target/sluice-engine-sim.jar"));
        assertThat(Files.isRegularFile(jar)).as("shaded jar built by `package`: " + jar).isTrue();

        ChildProcessSupport.runAndCheck(
                List.of(ChildProcessSupport.javaBin(), "-jar", jar.toString()), dir);
    }
}
