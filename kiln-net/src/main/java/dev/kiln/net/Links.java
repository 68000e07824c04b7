package dev.kiln.net;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/** Network links through {@code ip}: list them from {@code ip -j -d link show}, create, label, delete. */
final class Links {
    /** A link as {@code ip -j -d link show} reports it. */
    record Link(String name, String kind, Optional<String> master, Optional<String> alias, Set<String> flags,
                String mac) {
        Link {
            flags = Set.copyOf(flags);
        }

        boolean isUp() {
            return flags.contains("UP");
        }

        Optional<LinkLabel> label() {
            return alias.flatMap(LinkLabel::parse);
        }

        boolean hasLabel(LinkLabel label) {
            return label().filter(label::equals).isPresent();
        }
    }

    /** An IPv4 address configured on a link. */
    record Address(String link, Ipv4Cidr cidr) {
    }

    private final Commands commands;

    Links(Commands commands) {
        this.commands = commands;
    }

    /**
     * Forgets what the host's neighbour (ARP) table knows of {@code address} on {@code bridge}. A released address
     * goes to the next VM with another MAC; a stale entry would send the host's first packets to the old MAC until
     * the kernel re-probes (seen as up to a second of lost SYNs).
     */
    void forgetNeighbour(String bridge, String address) {
        commands.probe("ip", "neigh", "flush", "to", address, "dev", bridge);
    }

    List<Link> list() {
        var links = new ArrayList<Link>();
        for (JsonNode node : commands.checkJson("ip", "-j", "-d", "link", "show")) {
            links.add(toLink(node));
        }
        return links;
    }

    Optional<Link> find(String name) {
        return details(name).map(Links::toLink);
    }

    /** The link's full {@code ip -j -d link show} object (with {@code linkinfo.info_data}); empty when gone. */
    Optional<JsonNode> details(String name) {
        var result = commands.probe("ip", "-j", "-d", "link", "show", "dev", name);
        if (!result.ok()) {
            if (isMissing(result.stderr())) {
                return Optional.empty();
            }
            Commands.checked(result);
        }
        JsonNode nodes = commands.parse(result.argv(), result.stdout());
        return nodes.isEmpty() ? Optional.empty() : Optional.of(nodes.get(0));
    }

    void createBridge(String name, MacAddress mac) {
        commands.check("ip", "link", "add", "name", name, "address", mac.value(), "type", "bridge", "stp_state", "0");
    }

    void createTap(String name) {
        commands.check("ip", "tuntap", "add", "dev", name, "mode", "tap");
    }

    void createIfb(String name) {
        commands.check("ip", "link", "add", "name", name, "type", "ifb");
    }

    void label(String name, LinkLabel label) {
        commands.check("ip", "link", "set", "dev", name, "alias", label.alias());
    }

    void setMaster(String name, String master) {
        commands.check("ip", "link", "set", "dev", name, "master", master);
    }

    void setUp(String name) {
        commands.check("ip", "link", "set", "dev", name, "up");
    }

    /** Deletes the link; returns false (and does not throw) when it was already gone. */
    boolean delete(String name) {
        var result = commands.probe("ip", "link", "del", "dev", name);
        if (result.ok()) {
            return true;
        }
        if (isMissing(result.stderr())) {
            return false;
        }
        Commands.checked(result);
        return false;
    }

    List<Address> addresses() {
        var addresses = new ArrayList<Address>();
        for (JsonNode link : commands.checkJson("ip", "-j", "-4", "addr", "show")) {
            for (JsonNode info : link.path("addr_info")) {
                if ("inet".equals(info.path("family").asText())) {
                    addresses.add(new Address(link.path("ifname").asText(),
                            new Ipv4Cidr(info.path("local").asText(), info.path("prefixlen").asInt())));
                }
            }
        }
        return addresses;
    }

    void addAddress(String link, Ipv4Cidr cidr) {
        commands.check("ip", "addr", "add", cidr.toString(), "brd", "+", "dev", link);
    }

    void deleteAddress(String link, Ipv4Cidr cidr) {
        commands.check("ip", "addr", "del", cidr.toString(), "dev", link);
    }

    static Link toLink(JsonNode node) {
        Set<String> flags = new HashSet<>();
        node.path("flags").forEach(flag -> flags.add(flag.asText()));
        return new Link(node.path("ifname").asText(),
                node.path("linkinfo").path("info_kind").asText(""),
                text(node, "master"),
                text(node, "ifalias"),
                flags,
                node.path("address").asText(""));
    }

    private static Optional<String> text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() || value.asText().isEmpty() ? Optional.empty()
                : Optional.of(value.asText());
    }

    private static boolean isMissing(String stderr) {
        String err = stderr.toLowerCase(Locale.ROOT);
        return err.contains("does not exist") || err.contains("cannot find device");
    }
}
