package dev.kiln.api.agent;

/** Where a container is in its life. */
public enum ContainerState {
    /** Its bundle exists; runc has not started it yet. */
    CREATED,
    /** Its process runs. */
    RUNNING,
    /** Its process exited and the restart policy will start it again shortly. */
    RESTARTING,
    /** Its process exited (see exit code and oomKilled) and will not be restarted. */
    EXITED,
    /** It could not be started at all (see error), e.g. its entrypoint does not exist. */
    FAILED
}
