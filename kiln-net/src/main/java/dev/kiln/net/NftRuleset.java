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
record NftRuleset(Family family, String table, List<NamedSet> sets, List<Chain> chains) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,63}");
    private static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9_.-]{1,15}");
    private static final Pattern FIXED = Pattern.compile("[A-Za-z0-9_.:/@!=\"*, <>{}-]+");

    NftRuleset {
        Objects.requireNonNull(family, "family");
        requireName(table);
        sets = List.copyOf(sets);
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
    sealed interface Statement {
        Statement ACCEPT = new Verdict("accept");
        Statement DROP = new Verdict("drop");
        Statement MASQUERADE = new Verdict("masquerade");

        String keyword();

        /** A plain verdict or terminal statement. */
        record Verdict(String keyword) implements Statement {
        }

        /** {@code jump CHAIN}: continue in a regular chain of the same table, come back if it does not decide. */
        record Jump(String chain) implements Statement {
            public Jump {
                requireName(chain);
            }

            @Override
            public String keyword() {
                return "jump " + chain;
            }
        }

        /**
         * A non-terminal statement written by kiln from its own constants (never from user input), e.g.
         * {@code meta mark set iifname map @tenant_of}.
         */
        record Fixed(String text) implements Statement {
            public Fixed {
                requireFixed(text);
            }

            @Override
            public String keyword() {
                return text;
            }
        }
    }

    /**
     * A named set or map of the table, e.g. {@code guest_mac} of type {@code ifname . ether_addr}. Its elements are
     * rendered with the table (so a re-created table keeps what was in it) and changed one by one with
     * {@code nft add element} / {@code nft delete element}.
     *
     * @param type     the nft key type, e.g. {@code ifname . ipv4_addr}
     * @param mapsTo   the value type for a map ({@code mark}), empty for a plain set
     * @param elements rendered elements, e.g. {@code "ktap-1a2b3c4d" . 10.77.0.2}
     */
    record NamedSet(String name, String type, String mapsTo, List<String> elements) {
        NamedSet {
            requireName(name);
            requireFixed(type);
            if (!mapsTo.isEmpty()) {
                requireFixed(mapsTo);
            }
            elements = List.copyOf(elements);
            elements.forEach(NftRuleset::requireFixed);
        }

        String render() {
            var text = new StringBuilder();
            text.append("  ").append(mapsTo.isEmpty() ? "set " : "map ").append(name).append(" {\n");
            text.append("    type ").append(type).append(mapsTo.isEmpty() ? "" : " : " + mapsTo).append("\n");
            if (!elements.isEmpty()) {
                text.append("    elements = { ").append(String.join(", ", elements)).append(" }\n");
            }
            return text.append("  }\n").toString();
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

        /**
         * An expression kiln writes from its own constants and validated values (set names, a gateway address),
         * never from user input; e.g. {@code iifname . ether saddr != @guest_mac}.
         */
        record Fixed(String text) implements Match {
            public Fixed {
                requireFixed(text);
            }

            @Override
            public String render() {
                return text;
            }
        }

        /** {@code oifname "prefix*"}: any output interface whose name starts with the prefix. */
        record OutInterfacePrefix(String prefix) implements Match {
            public OutInterfacePrefix {
                requireIfname(prefix);
            }

            @Override
            public String render() {
                return "oifname \"" + prefix + "*\"";
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

    /**
     * A base chain attached to a netfilter hook ({@code hook} set; {@code priority} is a number or a standard name),
     * or a regular chain that rules reach by {@link Statement.Jump} ({@code hook} null, no type, priority or
     * policy).
     */
    record Chain(String name, ChainType type, Hook hook, String priority, Policy policy, List<Rule> rules) {
        Chain {
            requireName(name);
            if (hook != null && !priority.matches("-?[0-9]{1,5}|filter|srcnat|dstnat|mangle|raw|security")) {
                throw new IllegalArgumentException("bad nft priority " + priority);
            }
            rules = List.copyOf(rules);
        }

        static Chain base(String name, ChainType type, Hook hook, String priority, Policy policy) {
            return new Chain(name, type, Objects.requireNonNull(hook, "hook"), priority, policy, List.of());
        }

        static Chain regular(String name) {
            return new Chain(name, ChainType.FILTER, null, "", Policy.ACCEPT, List.of());
        }

        boolean isBase() {
            return hook != null;
        }

        /** The hook's keyword, or {@code ""} for a regular chain (as {@code nft -j} lists it). */
        String hookKeyword() {
            return hook == null ? "" : hook.keyword();
        }

        Chain rule(Statement statement, Match... matches) {
            var all = new ArrayList<>(rules);
            all.add(new Rule(List.of(matches), statement));
            return new Chain(name, type, hook, priority, policy, all);
        }
    }

    static NftRuleset of(Family family, String table, Chain... chains) {
        return new NftRuleset(family, table, List.of(), List.of(chains));
    }

    /** The same table with these named sets (rendered before the chains that use them). */
    NftRuleset withSets(List<NamedSet> more) {
        var all = new ArrayList<>(sets);
        all.addAll(more);
        return new NftRuleset(family, table, all, chains);
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
        sets.forEach(set -> text.append(set.render()));
        for (Chain chain : chains) {
            text.append("  chain ").append(chain.name()).append(" {\n");
            if (chain.isBase()) {
                text.append("    type ").append(chain.type().keyword()).append(" hook ")
                        .append(chain.hook().keyword()).append(" priority ").append(chain.priority())
                        .append("; policy ").append(chain.policy().keyword()).append(";\n");
            }
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

    /** Fixed text stays one expression: no newline, ';' or '#' (it is kiln's own text, never user input). */
    private static void requireFixed(String text) {
        if (text == null || text.isBlank() || !FIXED.matcher(text).matches()) {
            throw new IllegalArgumentException("bad nft expression " + text);
        }
    }

    private static void requireIfname(String name) {
        if (name == null || !IFNAME.matcher(name).matches()) {
            throw new IllegalArgumentException("bad interface name " + name);
        }
    }
}
