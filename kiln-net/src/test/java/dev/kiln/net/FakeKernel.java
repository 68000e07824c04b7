package dev.kiln.net;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * An in-memory stand-in for the kernel's links, addresses and VXLAN forwarding tables, answering the {@code ip}
 * and {@code bridge} commands kiln-net runs the way iproute2 6.x does (JSON shapes and error messages copied from
 * real runs). It records every command; a command it does not model fails the test, so a new command is never
 * silently accepted. For logic tests: the real kernel is exercised by the tests that say so.
 */
final class FakeKernel implements CommandRunner {
    /** A link; {@code vxlan} holds id, local, port, lower device, learning and gbp for kind vxlan. */
    static final class FakeLink {
        final String name;
        final String kind;
        String alias;
        String master;
        boolean up;
        int mtu = 1500;
        int vni;
        String local;
        int port;
        String lower;
        boolean learning = true;
        boolean gbp;
        final List<String[]> fdb = new ArrayList<>();

        FakeLink(String name, String kind) {
            this.name = name;
            this.kind = kind;
        }
    }

    private final ObjectMapper json = new ObjectMapper();
    final Map<String, FakeLink> links = new LinkedHashMap<>();
    final List<Links.Address> addresses = new ArrayList<>();
    final List<List<String>> executed = new ArrayList<>();
    private Predicate<List<String>> failNext;

    HostEnvironment environment() {
        return new HostEnvironment(this, Path.of("/dev/net/tun"), Path.of("/proc/sys"));
    }

    FakeLink addLink(String name, String kind) {
        var link = new FakeLink(name, kind);
        links.put(name, link);
        return link;
    }

    void addAddress(String link, String cidr) {
        addresses.add(new Links.Address(link, Ipv4Cidr.parse(cidr)));
    }

    /** A MAC the device learned behind a remote host, as the kernel adds it when frames arrive. */
    void learn(String device, String mac, String dst) {
        links.get(device).fdb.add(new String[] {mac, dst});
    }

    void failNext(Predicate<List<String>> which) {
        failNext = which;
    }

    /** The commands that change something (everything but {@code show} and version probes). */
    List<List<String>> mutations() {
        return executed.stream().filter(argv -> !argv.contains("show") && !argv.contains("-V")).toList();
    }

    @Override
    public synchronized CommandResult run(List<String> argv, String stdin) {
        executed.add(argv);
        if (failNext != null && failNext.test(argv)) {
            failNext = null;
            return new CommandResult(argv, 2, "", "RTNETLINK answers: Operation not permitted (injected)");
        }
        String line = String.join(" ", argv);
        if (line.equals("ip -V") || line.equals("bridge -V")) {
            return ok(argv, argv.getFirst() + " utility, iproute2-6.1.0");
        }
        if (line.startsWith("ip -j -d link show")) {
            var out = json.createArrayNode();
            if (argv.size() == 7) {
                FakeLink link = links.get(argv.get(6));
                if (link == null) {
                    return new CommandResult(argv, 1, "", "Device \"" + argv.get(6) + "\" does not exist.");
                }
                out.add(toJson(link));
            } else {
                links.values().forEach(link -> out.add(toJson(link)));
            }
            return ok(argv, out.toString());
        }
        if (line.equals("ip -j -4 addr show")) {
            var out = json.createArrayNode();
            for (FakeLink link : links.values()) {
                ObjectNode node = out.addObject().put("ifname", link.name);
                ArrayNode infos = node.putArray("addr_info");
                addresses.stream().filter(a -> a.link().equals(link.name)).forEach(a -> infos.addObject()
                        .put("family", "inet").put("local", a.cidr().address()).put("prefixlen",
                                a.cidr().prefixLength()));
            }
            return ok(argv, out.toString());
        }
        if (line.startsWith("ip link add ") && argv.contains("vxlan")) {
            return addVxlan(argv);
        }
        if (line.startsWith("ip link add name ") && argv.contains("bridge")) {
            if (links.containsKey(argv.get(4))) {
                return exists(argv);
            }
            addLink(argv.get(4), "bridge");
            return ok(argv, "");
        }
        if (line.startsWith("ip link set dev ")) {
            FakeLink link = links.get(argv.get(4));
            if (link == null) {
                return missing(argv, argv.get(4));
            }
            switch (argv.get(5)) {
                case "alias" -> link.alias = argv.get(6);
                case "master" -> link.master = argv.get(6);
                case "up" -> link.up = true;
                default -> throw new AssertionError("FakeKernel does not model: " + line);
            }
            return ok(argv, "");
        }
        if (line.startsWith("ip link del dev ")) {
            if (links.remove(argv.get(4)) == null) {
                return missing(argv, argv.get(4));
            }
            addresses.removeIf(address -> address.link().equals(argv.get(4)));
            return ok(argv, "");
        }
        if (line.startsWith("ip addr add ") || line.startsWith("ip addr del ")) {
            var address = new Links.Address(argv.getLast(), Ipv4Cidr.parse(argv.get(3)));
            if (argv.get(2).equals("add")) {
                addresses.add(address);
            } else {
                addresses.remove(address);
            }
            return ok(argv, "");
        }
        if (line.startsWith("bridge -j fdb show dev ")) {
            FakeLink link = links.get(argv.get(5));
            if (link == null) {
                return missing(argv, argv.get(5));
            }
            var out = json.createArrayNode();
            if (link.master != null) {
                out.addObject().put("mac", "66:9b:11:4a:23:56").put("master", link.master).put("state",
                        "permanent").putArray("flags");
            }
            for (String[] entry : link.fdb) {
                ObjectNode node = out.addObject().put("mac", entry[0]).put("dst", entry[1]);
                node.putArray("flags").add("self");
                node.put("state", entry[0].equals(VxlanOverlay.ANY_MAC) ? "permanent" : "");
            }
            return ok(argv, out.toString());
        }
        if (line.startsWith("bridge fdb append ") || line.startsWith("bridge fdb del ")) {
            FakeLink link = links.get(argv.get(5));
            if (link == null) {
                return missing(argv, argv.get(5));
            }
            String mac = argv.get(3);
            String dst = argv.get(7);
            boolean present = link.fdb.stream().anyMatch(e -> e[0].equals(mac) && e[1].equals(dst));
            if (argv.get(2).equals("append") && !present) {
                link.fdb.add(new String[] {mac, dst});
            } else if (argv.get(2).equals("del")) {
                if (!present && !mac.equals(VxlanOverlay.ANY_MAC)) {
                    return new CommandResult(argv, 2, "", "RTNETLINK answers: No such file or directory");
                }
                link.fdb.removeIf(e -> e[0].equals(mac) && e[1].equals(dst));
            }
            return ok(argv, "");
        }
        throw new AssertionError("FakeKernel does not model: " + line);
    }

    private CommandResult addVxlan(List<String> argv) {
        String name = argv.get(3);
        if (links.containsKey(name)) {
            return exists(argv);
        }
        FakeLink link = new FakeLink(name, "vxlan");
        link.vni = Integer.parseInt(value(argv, "id").orElseThrow());
        link.local = value(argv, "local").orElseThrow();
        link.port = Integer.parseInt(value(argv, "dstport").orElseThrow());
        link.lower = value(argv, "dev").orElse(null);
        link.gbp = argv.contains("gbp");
        link.mtu = link.lower == null ? 1500 : links.get(link.lower).mtu - 50;
        links.put(name, link);
        return ok(argv, "");
    }

    private ObjectNode toJson(FakeLink link) {
        ObjectNode node = json.createObjectNode().put("ifname", link.name).put("mtu", link.mtu)
                .put("address", "66:9b:11:4a:23:56");
        ArrayNode flags = node.putArray("flags").add("BROADCAST").add("MULTICAST");
        if (link.up) {
            flags.add("UP").add("LOWER_UP");
        }
        if (link.master != null) {
            node.put("master", link.master);
        }
        if (link.alias != null) {
            node.put("ifalias", link.alias);
        }
        ObjectNode info = node.putObject("linkinfo").put("info_kind", link.kind);
        if (link.kind.equals("vxlan")) {
            ObjectNode data = info.putObject("info_data").put("id", link.vni).put("local", link.local);
            if (link.lower != null) {
                data.put("link", link.lower);
            }
            data.put("port", link.port).put("learning", link.learning).put("gbp", link.gbp).put("ttl", 0);
        }
        return node;
    }

    private static Optional<String> value(List<String> argv, String key) {
        int at = argv.indexOf(key);
        return at < 0 ? Optional.empty() : Optional.of(argv.get(at + 1));
    }

    private static CommandResult ok(List<String> argv, String stdout) {
        return new CommandResult(argv, 0, stdout, "");
    }

    private static CommandResult exists(List<String> argv) {
        return new CommandResult(argv, 2, "", "RTNETLINK answers: File exists");
    }

    private static CommandResult missing(List<String> argv, String name) {
        return new CommandResult(argv, 1, "", "Cannot find device \"" + name + "\"");
    }
}
