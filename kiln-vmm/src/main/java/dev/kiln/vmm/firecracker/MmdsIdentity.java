package dev.kiln.vmm.firecracker;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.vmm.GuestIdentity;
import dev.kiln.vmm.VmSpec;

/**
 * The MMDS data store kiln gives a Firecracker guest: the wire contract between the driver and the guest agent, which
 * reads it with MMDS version 2 ({@code PUT /latest/api/token} with a TTL header, then {@code GET /kiln} with the
 * token, at {@code 169.254.169.254} over the first NIC).
 *
 * <pre>
 * {"kiln":   {"id": "...", "name": "...", "ip": "a.b.c.d/p", "gateway": "a.b.c.d", "hostname": "...", "token": "..."},
 *  "latest": {"meta-data": {"instance-id": "...", "hostname": "...", "local-ipv4": "a.b.c.d"}}}
 * </pre>
 * Fields the spec has no value for are left out. {@code latest/meta-data} is the EC2-style subset that stock tools
 * (cloud-init's EC2 source) understand; the token is only under {@code kiln}.
 */
public final class MmdsIdentity {
    public static final String KILN = "kiln";
    public static final String ID = "id";
    public static final String NAME = "name";
    public static final String IP = "ip";
    public static final String GATEWAY = "gateway";
    public static final String HOSTNAME = "hostname";
    public static final String TOKEN = "token";

    private static final ObjectMapper JSON = new ObjectMapper();

    private MmdsIdentity() {}

    public static ObjectNode of(VmSpec spec) {
        GuestIdentity who = spec.identity();
        String hostname = who.hostname().orElse(spec.id().value());
        ObjectNode root = JSON.createObjectNode();
        ObjectNode kiln = root.putObject(KILN);
        kiln.put(ID, spec.id().value());
        kiln.put(NAME, spec.name());
        who.address().ifPresent(a -> kiln.put(IP, a));
        who.gateway().ifPresent(g -> kiln.put(GATEWAY, g));
        kiln.put(HOSTNAME, hostname);
        who.agentToken().ifPresent(t -> kiln.put(TOKEN, t));
        ObjectNode meta = root.putObject("latest").putObject("meta-data");
        meta.put("instance-id", spec.id().value());
        meta.put("hostname", hostname);
        who.ip().ifPresent(ip -> meta.put("local-ipv4", ip));
        return root;
    }
}
