package io.sluice.devstack;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Stopping the processes a launcher started (dev stack, load driver). */
public final class ChildProcesses {
    private ChildProcesses() {}

    /**
     * Stops {@code started} newest first, each gracefully and then forcibly after 20 s: the platform, started last,
     * ends its in-flight streams while the engines it talks to still answer.
     */
    public static void stopNewestFirst(List<Process> started) {
        List<Process> reversed = new ArrayList<>(started);
        Collections.reverse(reversed);
        for (Process p : reversed) {
            p.destroy();
            try {
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
    }
}
