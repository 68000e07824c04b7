package dev.kiln.net;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The label kiln puts in a link's alias ({@code ip link set dev X alias ...}) so that sweeps find kiln's links and
 * never touch anyone else's. Bridges carry {@code kiln:bridge}; a vm's tap and ifb carry
 * {@code kiln:vm=<id>,bridge=<bridge>} (the bridge scopes the link to one kiln network on the host); the VXLAN
 * overlay device of a bridge ({@code kvx<vni>}) carries {@code kiln:overlay,bridge=<bridge>}.
 */
sealed interface LinkLabel {
    String PREFIX = "kiln:";
    Pattern VM_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    Pattern VM_ALIAS = Pattern.compile("kiln:vm=([A-Za-z0-9][A-Za-z0-9._-]{0,63}),bridge=([A-Za-z0-9_.-]{1,15})");
    Pattern OVERLAY_ALIAS = Pattern.compile("kiln:overlay,bridge=([A-Za-z0-9_.-]{1,15})");

    String alias();

    record Bridge() implements LinkLabel {
        @Override
        public String alias() {
            return "kiln:bridge";
        }
    }

    record Vm(String vmId, String bridge) implements LinkLabel {
        @Override
        public String alias() {
            return "kiln:vm=" + vmId + ",bridge=" + bridge;
        }
    }

    /** The VXLAN device that carries the bridge's cluster network to other hosts (see {@link VxlanOverlay}). */
    record Overlay(String bridge) implements LinkLabel {
        @Override
        public String alias() {
            return "kiln:overlay,bridge=" + bridge;
        }
    }

    static Optional<LinkLabel> parse(String alias) {
        if (alias.equals("kiln:bridge")) {
            return Optional.of(new Bridge());
        }
        var overlay = OVERLAY_ALIAS.matcher(alias);
        if (overlay.matches()) {
            return Optional.of(new Overlay(overlay.group(1)));
        }
        var matcher = VM_ALIAS.matcher(alias);
        return matcher.matches() ? Optional.of(new Vm(matcher.group(1), matcher.group(2))) : Optional.empty();
    }

    /** Throws {@link NetError#INVALID_ARGUMENT} unless {@code vmId} is 1..64 of letters, digits, '.', '_', '-'. */
    static String requireVmId(String vmId) {
        if (vmId == null || !VM_ID.matcher(vmId).matches()) {
            throw new NetException(NetError.INVALID_ARGUMENT, "invalid vm id '" + vmId + "'",
                    "use 1..64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        return vmId;
    }

    /** The name prefix of every kiln tap. */
    static final String TAP_PREFIX = "ktap-";

    /** The name prefix of kiln's VXLAN overlay devices ({@code kvx<vni>}). */
    static final String OVERLAY_PREFIX = "kvx";

    /** The tap of a vm: {@code ktap-} and 8 hex digits of SHA-256 over bridge and vm id (13 characters). */
    static String tapName(String bridge, String vmId) {
        return TAP_PREFIX + shortHash(bridge, vmId);
    }

    /** The ifb that carries a vm's transmit shaping: {@code kifb-} and the same 8 hex digits as its tap. */
    static String ifbName(String bridge, String vmId) {
        return "kifb-" + shortHash(bridge, vmId);
    }

    private static String shortHash(String bridge, String vmId) {
        return java.util.HexFormat.of().formatHex(MacAddress.sha256(bridge + "/" + vmId), 0, 4);
    }
}
