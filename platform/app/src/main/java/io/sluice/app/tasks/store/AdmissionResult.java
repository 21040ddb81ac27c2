package io.sluice.app.tasks.store;

import io.sluice.app.sessions.SessionFigures;
import io.sluice.core.error.SluiceError;

/** How the durable write of one admission ended. */
public sealed interface AdmissionResult {
    /**
     * The task is recorded and its session turn counted.
     *
     * @param session the session's budgets left and its last replica after this admission; null when unknown
     */
    record Recorded(SessionFigures session) implements AdmissionResult {
        public Recorded() {
            this(null);
        }
    }


    /** A task with that id was already recorded (a re-post, possibly racing on another instance). */
    record AlreadyRecorded(StoredTask existing) implements AdmissionResult {}

    /** The session refused the task (other tenant's, deleted, expired, out of turns); nothing was written. */
    record SessionRefused(SluiceError error) implements AdmissionResult {}
}
