package dev.kiln.vmm;

/** The one place that says which command is legal in which phase. */
public final class Lifecycle {
    private Lifecycle() {}

    public static boolean allows(VmPhase phase, VmCommand command) {
        return switch (phase) {
            case VmPhase.Starting s -> command == VmCommand.KILL || command == VmCommand.STOP;
            case VmPhase.Running r -> command != VmCommand.RESUME;
            case VmPhase.Paused p -> command != VmCommand.PAUSE;
            case VmPhase.Stopping s -> command == VmCommand.KILL || command == VmCommand.STOP;
            case VmPhase.Stopped s -> false;
            case VmPhase.Failed f -> false;
        };
    }

    /** Throws INVALID_PHASE with a message that names the phase and the command. */
    public static void check(VmId id, VmPhase phase, VmCommand command) {
        if (!allows(phase, command)) {
            String hint = switch (command) {
                case RESUME -> "only a paused VM can be resumed";
                case PAUSE -> "only a running VM can be paused";
                default -> phase.isTerminal() ? "the VM has ended; remove it with 'kiln vm rm'" : "wait until it is running";
            };
            throw new VmmException(VmmError.INVALID_PHASE,
                    "cannot " + command.name().toLowerCase() + " VM " + id + ": it is " + phase.label(), hint);
        }
    }
}
