package dev.kiln.net;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A typed model of one nftables table, rendered as an {@code nft -f -} script that recreates the table in one
 * transaction: {@code table T} (creates it if missing), {@code delete table T}, then the full definition. Applying
 * it twice gives the same ruleset, and nothing ever sees a half-built table.
 */
record NftRuleset(Family family, String table, List<Chain> chains) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,63}");
    private static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9_.-]{1,15}");

    NftRuleset {
        Objects.requireNonNull(family, "family");
        requireName(table);
        chains = List.copyOf(chains);
    }

    enum Family { IP, INET, BRIDGE;
        String keyword() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    enum ChainType { FILTER, NAT;
        String keyword() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    enum Hook { PREROUTING, INPUT, FORWARD, OUTPUT, POSTROUTING;
        String keyword() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    enum Policy { ACCEPT, DROP;
        String keyword() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The statement that ends a rule. */
    enum Statement { ACCEPT, DROP, MASQUERADE;
        String keyword() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** One match expression of a rule. */
    sealed interface Match {
        String render();

        record SourceIn(Ipv4Cidr subnet) implements Match {
            @Override
            public String render() {
                return "ip saddr " + subnet.network();
            }
        }

        /** {@code ip daddr [!=] NET}: the destination is (or, negated, is not) inside the network. */
        record DestinationIn(Ipv4Cidr network, boolean negated) implements Match {
            public DestinationIn {
                Objects.requireNonNull(network, "network");
            }

            @Override
            public String render() {
                return "ip daddr " + (negated ? "!= " : "") + network.network();
            }
        }

        record InInterface(String name, boolean negated) implements Match {
            public InInterface {
                requireIfname(name);
            }

            @Override
            public String render() {
                return "iifname " + (negated ? "!= " : "") + '"' + name + '"';
            }
        }

        /** {@code iifname "prefix*"}: any input interface whose name starts with the prefix. */
        record InInterfacePrefix(String prefix) implements Match {
            public InInterfacePrefix {
                requireIfname(prefix);
            }

            @Override
            public String render() {
                return "iifname \"" + prefix + "*\"";
            }
        }

        /** TCP to one of these destination ports. */
        record TcpDestinationPorts(List<Integer> ports) implements Match {
            public TcpDestinationPorts {
                ports = List.copyOf(ports);
                if (ports.isEmpty() || ports.stream().anyMatch(p -> p < 1 || p > 65535)) {
                    throw new IllegalArgumentException("bad port list " + ports);
                }
            }

            @Override
            public String render() {
                return "ip protocol tcp tcp dport { " + ports.stream().map(String::valueOf)
                        .collect(Collectors.joining(", ")) + " }";
            }
        }

        record OutInterface(String name, boolean negated) implements Match {
            public OutInterface {
                requireIfname(name);
            }

            @Override
            public String render() {
                return "oifname " + (negated ? "!= " : "") + '"' + name + '"';
            }
        }
    }

    record Rule(List<Match> matches, Statement statement) {
        Rule {
            matches = List.copyOf(matches);
            Objects.requireNonNull(statement, "statement");
        }

        String render() {
            var words = new ArrayList<String>();
            matches.forEach(match -> words.add(match.render()));
            words.add(statement.keyword());
            return String.join(" ", words);
        }
    }

    /** A base chain attached to a netfilter hook. {@code priority} is a number or a standard name. */
    record Chain(String name, ChainType type, Hook hook, String priority, Policy policy, List<Rule> rules) {
        Chain {
            requireName(name);
            if (!priority.matches("-?[0-9]{1,5}|filter|srcnat|dstnat|mangle|raw|security")) {
                throw new IllegalArgumentException("bad nft priority " + priority);
            }
            rules = List.copyOf(rules);
        }

        static Chain base(String name, ChainType type, Hook hook, String priority, Policy policy) {
            return new Chain(name, type, hook, priority, policy, List.of());
        }

        Chain rule(Statement statement, Match... matches) {
            var all = new ArrayList<>(rules);
            all.add(new Rule(List.of(matches), statement));
            return new Chain(name, type, hook, priority, policy, all);
        }
    }

    static NftRuleset of(Family family, String table, Chain... chains) {
        return new NftRuleset(family, table, List.of(chains));
    }

    /** {@code family name}, e.g. {@code ip kiln}. */
    String qualifiedTable() {
        return family.keyword() + " " + table;
    }

    /** The script for {@code nft -f -} that atomically replaces the table with this definition. */
    String render() {
        var text = new StringBuilder();
        text.append("table ").append(qualifiedTable()).append('\n');
        text.append("delete table ").append(qualifiedTable()).append('\n');
        text.append("table ").append(qualifiedTable()).append(" {\n");
        for (Chain chain : chains) {
            text.append("  chain ").append(chain.name()).append(" {\n");
            text.append("    type ").append(chain.type().keyword()).append(" hook ").append(chain.hook().keyword())
                    .append(" priority ").append(chain.priority()).append("; policy ")
                    .append(chain.policy().keyword()).append(";\n");
            text.append(chain.rules().stream().map(rule -> "    " + rule.render() + "\n")
                    .collect(Collectors.joining()));
            text.append("  }\n");
        }
        return text.append("}\n").toString();
    }

    private static void requireName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("bad nft name " + name);
        }
    }

    private static void requireIfname(String name) {
        if (name == null || !IFNAME.matcher(name).matches()) {
            throw new IllegalArgumentException("bad interface name " + name);
        }
    }
}
