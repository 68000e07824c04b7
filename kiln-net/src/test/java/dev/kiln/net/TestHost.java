package dev.kiln.net;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Real-kernel helpers for tests: random test-only names, host inspection, and a forced cleanup that runs even
 * when the code under test is broken.
 */
final class TestHost {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

    final Commands commands = new Commands(new ProcessCommandRunner(HostEnvironment.COMMAND_TIMEOUT),
            new ObjectMapper());
    final Links links = new Links(commands);

    static String randomSuffix(int length) {
        var text = new StringBuilder();
        for (int i = 0; i < length; i++) {
            text.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        return text.toString();
    }

    /** A bridge name no one else uses: {@code kbrt<4 random>}. */
    String freshBridgeName() {
        while (true) {
            String name = "kbrt" + randomSuffix(4);
            if (links.find(name).isEmpty()) {
                return name;
            }
        }
    }

    /** A {@code 10.79.N.0/prefix} subnet that no interface on the host overlaps. */
    Ipv4Cidr freshSubnet(int prefixLength) {
        List<Links.Address> used = links.addresses();
        while (true) {
            var candidate = new Ipv4Cidr("10.79." + (1 + RANDOM.nextInt(254)) + ".0", prefixLength);
            if (used.stream().noneMatch(address -> address.cidr().network().overlaps(candidate))) {
                return candidate;
            }
        }
    }

    NetworkConfig freshConfig(Path stateDir) {
        return new NetworkConfig(freshBridgeName(), freshSubnet(24), stateDir);
    }

    /** The links whose alias is kiln's label for a vm on {@code bridge}. */
    List<Links.Link> kilnVmLinks(String bridge) {
        return links.list().stream()
                .filter(link -> link.label().filter(label -> label instanceof LinkLabel.Vm vm
                        && vm.bridge().equals(bridge)).isPresent())
                .toList();
    }

    boolean nftTableExists(String table) {
        return new Firewall(commands).exists(NftRuleset.Family.IP, table);
    }

    JsonNode qdiscs(String device) {
        return commands.checkJson("tc", "-j", "qdisc", "show", "dev", device);
    }

    Optional<JsonNode> rootQdisc(String device) {
        for (JsonNode qdisc : qdiscs(device)) {
            if (qdisc.path("root").asBoolean(false)) {
                return Optional.of(qdisc);
            }
        }
        return Optional.empty();
    }

    JsonNode ingressFilters(String device) {
        return commands.checkJson("tc", "-j", "filter", "show", "dev", device, "parent", "ffff:");
    }

    /** Deletes everything a test network may have left, whatever state the code under test is in. */
    void forceCleanup(NetworkConfig config) {
        var failures = new ArrayList<String>();
        for (Links.Link link : kilnVmLinks(config.bridgeName())) {
            try {
                links.delete(link.name());
            } catch (RuntimeException e) {
                failures.add(e.getMessage());
            }
        }
        links.find(config.bridgeName())
                .filter(link -> link.hasLabel(new LinkLabel.Bridge()))
                .ifPresent(link -> links.delete(link.name()));
        if (nftTableExists(config.nftTableName())) {
            commands.check("nft", "delete", "table", "ip", config.nftTableName());
        }
        if (new Firewall(commands).exists(NftRuleset.Family.BRIDGE, config.nftTableName())) {
            commands.check("nft", "delete", "table", "bridge", config.nftTableName());
        }
        if (!failures.isEmpty()) {
            throw new AssertionError("cleanup failed: " + failures);
        }
    }
}
