package dev.kiln.host;

import dev.kiln.vmm.ProcStat;
import dev.kiln.vmm.qemu.QemuCommandLine;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Finds VMM processes labelled as kiln's whose VM this agent does not own, and kills them. */
final class OrphanProcesses {
    private static final Logger LOG = LoggerFactory.getLogger(OrphanProcesses.class);
    private final String vmsDir;

    OrphanProcesses(java.nio.file.Path stateDir) {
        this.vmsDir = stateDir.toAbsolutePath().resolve("vms").toString();
    }

    int killUnowned(Set<String> ownedIds) {
        int killed = 0;
        for (ProcessHandle p : ProcessHandle.allProcesses().toList()) {
            String cmd = ProcStat.cmdline(p.pid()).orElse("");
            int at = cmd.indexOf("-name " + QemuCommandLine.LABEL_PREFIX);
            if (at < 0 || !cmd.contains("qemu-system")) continue;
            String rest = cmd.substring(at + ("-name " + QemuCommandLine.LABEL_PREFIX).length());
            String id = rest.split("\\s", 2)[0];
            if (!ownedIds.contains(id) && belongsHere(cmd, id)) {
                LOG.warn("killing orphan VMM pid {} (VM {} has no record)", p.pid(), id);
                p.destroyForcibly();
                killed++;
            }
        }
        return killed;
    }

    /** Only processes whose QMP socket lies under this agent's state directory are ours to sweep. */
    private boolean belongsHere(String cmd, String id) {
        return cmd.contains(vmsDir + "/" + id + "/");
    }
}
