package io.sluice.core.scheduling;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/** The task observers of one scheduler; one failing observer never stalls scheduling. Thread-safe. */
final class Observers {
    private static final Logger LOG = Logger.getLogger(Observers.class);
    private final List<TaskObserver> list = new CopyOnWriteArrayList<>();

    void add(TaskObserver o) {
        list.add(o);
    }

    void each(Consumer<TaskObserver> call) {
        for (TaskObserver o : list) {
            try {
                call.accept(o);
            } catch (RuntimeException e) {
                LOG.errorf(e, "task observer %s failed", o.getClass().getName());
            }
        }
    }
}
