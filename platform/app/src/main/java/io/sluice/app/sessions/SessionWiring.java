package io.sluice.app.sessions;

import io.quarkus.runtime.StartupEvent;
import io.sluice.core.scheduling.TaskScheduler;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/** Hands placement the in-memory session affinity (SES-3) once the scheduler exists. */
@ApplicationScoped
public class SessionWiring {

    void start(@Observes @Priority(90) StartupEvent ev, TaskScheduler scheduler, SessionAffinity affinity) {
        scheduler.planner().useAffinity(spec -> affinity.lastReplica(spec.sessionId()));
    }
}
