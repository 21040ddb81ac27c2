package io.sluice.policy.host.internal.call;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Thread factories of the host: daemons, so that a host nobody closed never keeps the JVM alive. */
final class HostThreads {
    private HostThreads() {}

    static ThreadFactory daemons(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
