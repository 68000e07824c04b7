package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.cluster.model.Host;
import dev.kiln.cluster.model.HostSpec;
import dev.kiln.cluster.model.Kind;
import dev.kiln.cluster.model.ObjectMeta;
import dev.kiln.cluster.model.Resource;
import dev.kiln.cluster.model.Resources;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FormattingTest {
    static final String VM = """
            {"id": "3f9a1c2b7d40", "name": "web1", "driver": "qemu", "accelerator": "tcg",
             "phase": "running", "ready": true, "cause": null, "vcpus": 1, "memory": "256M", "hugePages": false,
             "ip": "10.77.0.2", "gateway": "10.77.0.1", "mac": "06:3f:9a:1c:2b:7d", "tap": "ktap-3f9a1c2b", "bridge": "kiln0",
             "tenant": "team-a", "egress": "deny", "guestIsolation": true,
             "pid": 12345, "createdAt": "2026-11-23T03:00:00Z", "readyAt": "2026-11-23T03:00:05Z", "bootMillis": 4310,
             "disks": [{"id": "vdb", "path": "/data/a.img", "readOnly": true}],
             "netRate": {"rx": {"bandwidth": {"size": 1048576, "oneTimeBurst": 0, "refillTime": 1000}, "ops": null}, "tx": null},
             "diskRate": null,
             "files": {"dir": "/var/lib/kiln/vms/3f9a1c2b7d40", "console": "/c/console.log", "qmpSocket": "/c/qmp.sock", "vmmLog": "/c/vmm.log"},
             "futureField": 7}
            """;

    @Test
    void tableAlignsColumnsWithoutTrailingSpaces() {
        String t = new Table("NAME", "IP", "AGE").row("web1", "10.77.0.2", "5s").row("a-much-longer-name", "-", "3d").render();
        assertThat(t).isEqualTo("""
                NAME                 IP          AGE
                web1                 10.77.0.2   5s
                a-much-longer-name   -           3d
                """);
    }

    @Test
    void wideHostsShowEachHostsApiPortSubnetAndClusterCidr() {
        Instant now = Instant.parse("2026-11-23T03:00:00Z");
        List<Resource> hosts = List.of(
                Host.of(ObjectMeta.named("h1"), new HostSpec("172.30.0.11", Resources.ZERO, "10.90.1.0/24",
                        "10.90.0.0/16", 7070)),
                Host.of(ObjectMeta.named("solo"), new HostSpec("172.30.0.12", Resources.ZERO)));
        List<String> lines = ClusterTables.render(Kind.HOST, hosts, true, Map.of(), now).lines().toList();
        assertThat(lines.get(0)).contains("ADDRESS       API    SUBNET         CLUSTER CIDR   HEARTBEAT");
        assertThat(lines.get(1)).contains("172.30.0.11   7070   10.90.1.0/24   10.90.0.0/16");
        assertThat(lines.get(2)).contains("172.30.0.12   -      <none>         <none>");
    }

    @Test
    void tableRejectsARowOfTheWrongWidth() {
        assertThatThrownBy(() -> new Table("A", "B").row("x")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void lsTable() throws Exception {
        JsonNode vm = new ObjectMapper().readTree(VM);
        String t = VmViews.table(List.of(vm), Instant.parse("2026-11-23T03:05:00Z"));
        assertThat(t.lines().toList()).containsExactly(
                "NAME   ID             PHASE     IP          VCPUS   MEMORY   DRIVER   AGE",
                "web1   3f9a1c2b7d40   running   10.77.0.2   1       256M     qemu     5m");
    }

    @Test
    void inspectShowsEveryField() throws Exception {
        JsonNode vm = new ObjectMapper().readTree(VM);
        String text = VmViews.inspect(vm, Instant.parse("2026-11-23T03:05:00Z"));
        assertThat(text).contains("Name:         web1", "Phase:        running (ready)", "Cause:        -",
                "Accelerator:  tcg", "PID:          12345", "Boot time:    4.3 s", "  MAC:        06:3f:9a:1c:2b:7d",
                "  Tap:        ktap-3f9a1c2b", "  Bridge:     kiln0", "/data/a.img", "read-only",
                "  Net rx:     bandwidth 1M every 1.0 s", "  Net tx:     none", "  Disk:       none",
                "  console:    /c/console.log", "  qmpSocket:  /c/qmp.sock", "futureField:  7",
                "Created:      2026-11-23T03:00:00Z (5m ago)", "Huge pages:   no", "  Tenant:     team-a",
                "  Egress:     deny", "  Isolation:  on");
        assertThat(text).doesNotContain("tenant:", "guestIsolation:", "hugePages:");
    }

    @Test
    void inspectSaysWhenTheHostDoesNotEnforceThePolicyAndWhatAnOlderDaemonDidNotSay() throws Exception {
        String off = VmViews.inspect(new ObjectMapper().readTree(VM.replace("\"guestIsolation\": true",
                "\"guestIsolation\": false").replace("\"hugePages\": false", "\"hugePages\": true")), Instant.EPOCH);
        assertThat(off).contains("  Isolation:  off (the daemon runs with --no-guest-isolation", "Huge pages:   yes");
        String older = VmViews.inspect(new ObjectMapper().readTree(VM.replace("\"guestIsolation\": true,", "")
                .replace("\"hugePages\": false,", "").replace("\"tenant\": \"team-a\", \"egress\": \"deny\",", "")),
                Instant.EPOCH);
        assertThat(older).contains("  Isolation:  -", "Huge pages:   -", "  Tenant:     -", "  Egress:     -");
    }

    @Test
    void summaryNamesIpAndBootTime() throws Exception {
        assertThat(VmViews.summary(new ObjectMapper().readTree(VM)))
                .isEqualTo("web1 is running at 10.77.0.2 (booted in 4.3 s, id 3f9a1c2b7d40, qemu/tcg)");
    }

    @Test
    void durations() {
        assertThat(Durations.parse("10s")).isEqualTo(Duration.ofSeconds(10));
        assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parse("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(Durations.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
        assertThatThrownBy(() -> Durations.parse("10")).isInstanceOf(CliException.class);
        assertThat(Durations.toApi(Duration.ofSeconds(120))).isEqualTo("120s");
        assertThat(Durations.toApi(Duration.ofMillis(1500))).isEqualTo("1500ms");
        assertThat(Durations.human(Duration.ofMillis(850))).isEqualTo("850 ms");
        assertThat(Durations.human(Duration.ofMillis(4310))).isEqualTo("4.3 s");
        assertThat(Durations.human(Duration.ofSeconds(125))).isEqualTo("2 min 5 s");
    }

    @Test
    void disksAreMadeAbsolute() {
        assertThat(DiskSpec.parse("data.img:ro", Path.of("/srv"))).isEqualTo(new DiskSpec(Path.of("/srv/data.img"), true));
        assertThat(DiskSpec.parse("/a/b.img", Path.of("/srv"))).isEqualTo(new DiskSpec(Path.of("/a/b.img"), false));
        assertThat(DiskSpec.parse("../x.img:rw", Path.of("/srv/y"))).isEqualTo(new DiskSpec(Path.of("/srv/x.img"), false));
    }

    @Test
    void execQuotesSeveralWordsButNotOne() {
        assertThat(VmExecCommand.shellLine(List.of("dmesg | tail"))).isEqualTo("dmesg | tail");
        assertThat(VmExecCommand.shellLine(List.of("echo", "a b", "it's", "-n"))).isEqualTo("echo 'a b' 'it'\\''s' -n");
    }

    @Test
    void sizes() {
        assertThat(Sizes.human(512)).isEqualTo("512 B");
        assertThat(Sizes.human(1536)).isEqualTo("1.5 KiB");
        assertThat(Sizes.human(256L << 20)).isEqualTo("256.0 MiB");
    }
}
