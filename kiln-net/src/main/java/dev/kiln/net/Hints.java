package dev.kiln.net;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Turns a failed command into advice for an operator. Pure functions of the command and its stderr. */
final class Hints {
    private Hints() {
    }

    static String installHint(String path) {
        String program = Path.of(path).getFileName().toString();
        return switch (program) {
            case "ip", "tc", "bridge" -> "install iproute2 (apt-get install iproute2) and make sure '" + program
                    + "' is on the PATH";
            case "nft" -> "install nftables (apt-get install nftables) and make sure 'nft' is on the PATH";
            default -> "install '" + path + "' and make sure it is on the PATH";
        };
    }

    static String forFailure(List<String> argv, String stderr) {
        String err = stderr.toLowerCase(Locale.ROOT);
        if (err.contains("operation not permitted") || err.contains("permission denied")) {
            return "kiln-net needs root or CAP_NET_ADMIN; run the daemon as root";
        }
        if (err.contains("failed to load tc action module") || err.contains("unknown qdisc")
                || err.contains("unknown filter") || err.contains("specified qdisc kind is unknown")) {
            return "this kernel lacks a traffic-control module; check /proc/config.gz for CONFIG_NET_SCH_*, "
                    + "CONFIG_NET_CLS_*, CONFIG_NET_ACT_* or modprobe the module";
        }
        if (err.contains("unknown device type")) {
            return "this kernel lacks the link type; modprobe it (e.g. modprobe ifb, modprobe bridge)";
        }
        if (err.contains("file exists")) {
            return "the object already exists; another process may be configuring the same device";
        }
        if (err.contains("cannot find device") || err.contains("does not exist")) {
            return "the device disappeared while kiln was configuring it; retry";
        }
        if (err.contains("no such file or directory") && !argv.isEmpty() && argv.getFirst().equals("nft")) {
            return "the nftables table or chain does not exist (or the kernel lacks nf_tables); check 'nft list ruleset'";
        }
        if (err.contains("device or resource busy")) {
            return "the device is in use (e.g. a VMM still holds the tap); stop the vm first";
        }
        return "run the command by hand to see the full error; check dmesg";
    }
}
