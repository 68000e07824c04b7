package dev.kiln.agent;

import dev.kiln.api.agent.AgentErrorCode;
import dev.kiln.api.agent.PodNetworkRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The pod network calls' commands and bookkeeping, with a recording shell (the real commands run in VM tests). */
class PodNetworksTest {
    @TempDir
    Path dir;

    private final List<String> scripts = new ArrayList<>();
    private int failing = -1;

    /** A shell that records each script; "netns add" makes the namespace file, "netns del" removes it. */
    private PodNetworks networks() {
        Path netns = dir.resolve("netns");
        return new PodNetworks("/opt/kiln/bin/ip", dir.resolve("pods"), netns, command -> {
            String script = command.get(2);
            scripts.add(script);
            try {
                if (scripts.size() - 1 == failing) {
                    return new RootfsProvider.Command(2, "RTNETLINK answers: File exists");
                }
                var add = java.util.regex.Pattern.compile("netns add ([a-z0-9.-]+)").matcher(script);
                if (add.find()) {
                    Files.createDirectories(netns);
                    Files.writeString(netns.resolve(add.group(1)), "");
                }
                var del = java.util.regex.Pattern.compile("netns del (\\S+)").matcher(script);
                if (del.find()) {
                    Files.deleteIfExists(netns.resolve(del.group(1)));
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return new RootfsProvider.Command(0, "");
        });
    }

    @Test
    void createMakesTheNamespaceAnIpvlanLinkAndTheRouteInTwoBatches() {
        PodNetworks pods = networks();
        pods.create("web-1", new PodNetworkRequest("10.90.1.9/16", "10.90.1.1"));
        assertThat(scripts).hasSize(1);
        String link = PodNetworks.linkName("web-1");
        assertThat(link).matches("kp[0-9a-f]{8}").hasSizeLessThanOrEqualTo(15);
        assertThat(scripts.getFirst()).isEqualTo(
                "printf '%s\\n' 'netns add web-1' 'link add link eth0 name " + link + " type ipvlan mode l2'"
                        + " 'link set " + link + " netns web-1' | /opt/kiln/bin/ip -batch - && "
                        + "printf '%s\\n' 'link set " + link + " name eth0' 'addr add 10.90.1.9/16 dev eth0'"
                        + " 'link set lo up' 'link set eth0 up' 'route add default via 10.90.1.1'"
                        + " | /opt/kiln/bin/ip -n web-1 -batch -");
        pods.requireExists("web-1");
    }

    @Test
    void theSameRequestAgainChangesNothingAndAnotherAddressIsAConflict() {
        PodNetworks pods = networks();
        pods.create("web-1", new PodNetworkRequest("10.90.1.9/16", "10.90.1.1"));
        pods.create("web-1", new PodNetworkRequest("10.90.1.9/16", "10.90.1.1"));
        assertThat(scripts).hasSize(1);
        assertThatThrownBy(() -> pods.create("web-1", new PodNetworkRequest("10.90.1.10/16", "10.90.1.1")))
                .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.code()).isEqualTo(AgentErrorCode.CONFLICT))
                .hasMessageContaining("already has a network with 10.90.1.9/16");
    }

    @Test
    void aFailedCreateIsUndoneAndReported() {
        failing = 0;
        PodNetworks pods = networks();
        assertThatThrownBy(() -> pods.create("web-1", new PodNetworkRequest("10.90.1.9/16", "10.90.1.1")))
                .isInstanceOfSatisfying(AgentException.class,
                        e -> assertThat(e.code()).isEqualTo(AgentErrorCode.RUNTIME_ERROR))
                .hasMessageContaining("cannot make the network of pod web-1").hasMessageContaining("File exists");
        assertThat(scripts).hasSize(2);
        assertThat(scripts.get(1)).contains("netns del web-1", "link del " + PodNetworks.linkName("web-1"));
        assertThat(dir.resolve("pods/web-1")).doesNotExist();
    }

    @Test
    void removeIsIdempotentAndAContainerCannotJoinAMissingNetwork() {
        PodNetworks pods = networks();
        pods.create("web-1", new PodNetworkRequest("10.90.1.9/16", "10.90.1.1"));
        pods.remove("web-1");
        pods.remove("web-1");
        assertThat(dir.resolve("pods/web-1")).doesNotExist();
        assertThatThrownBy(() -> pods.requireExists("web-1"))
                .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.code()).isEqualTo(AgentErrorCode.NOT_FOUND))
                .hasMessageContaining("PUT /v1/pods/web-1/network");
    }

    @Test
    void aNamespaceLeftByAnUnfinishedCreateIsMadeAfresh() throws Exception {
        PodNetworks pods = networks();
        Files.createDirectories(dir.resolve("netns"));
        Files.writeString(dir.resolve("netns/web-1"), "");
        pods.create("web-1", new PodNetworkRequest("10.90.1.9/16", "10.90.1.1"));
        assertThat(scripts).hasSize(2);
        assertThat(scripts.get(0)).contains("netns del web-1");
        assertThat(scripts.get(1)).contains("netns add web-1");
    }

    @Test
    void podNamesAreDnsLabelsAndTheRoutesParse() {
        assertThatThrownBy(() -> PodNetworks.requireName("../x")).hasMessageContaining("invalid pod name");
        assertThatThrownBy(() -> PodNetworks.requireName("Web")).hasMessageContaining("invalid pod name");
        assertThatThrownBy(() -> new PodNetworkRequest("10.90.1.9", "10.90.1.1")).hasMessageContaining("a.b.c.d/prefix");
        assertThat(ApiCall.parse("PUT", "/v1/pods/web-1/network", Map.of())).isEqualTo(new ApiCall.PodNetworkPut("web-1"));
        assertThat(ApiCall.parse("DELETE", "/v1/pods/web-1/network", Map.of()))
                .isEqualTo(new ApiCall.PodNetworkDelete("web-1"));
        assertThatThrownBy(() -> ApiCall.parse("GET", "/v1/pods/web-1/network", Map.of()))
                .hasMessageContaining("not allowed");
        assertThatThrownBy(() -> ApiCall.parse("PUT", "/v1/pods/Bad_Name/network", Map.of()))
                .hasMessageContaining("invalid pod name");
    }
}
