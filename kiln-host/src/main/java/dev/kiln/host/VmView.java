package dev.kiln.host;

import dev.kiln.net.GuestPolicy;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A VM as the API shows it (docs/API.md).
 *
 * @param hugePages      the guest's memory is on the host's huge pages
 * @param tenant         the guest's tenant on the bridge (from its lease; empty until it has one)
 * @param egress         {@code allow} or {@code deny}: whether the guest may reach anything off the bridge (from its
 *                       lease; empty until it has one)
 * @param guestIsolation whether this host enforces the tenant and egress policy at all (off with the daemon's
 *                       {@code --no-guest-isolation})
 */
public record VmView(
        String id,
        String name,
        String driver,
        String accelerator,
        String phase,
        boolean ready,
        Optional<String> cause,
        int vcpus,
        String memory,
        boolean hugePages,
        String ip,
        String gateway,
        String mac,
        String tap,
        String bridge,
        Optional<String> tenant,
        Optional<String> egress,
        boolean guestIsolation,
        Optional<Long> pid,
        Instant createdAt,
        Optional<Instant> readyAt,
        Optional<Long> bootMillis,
        Optional<BootPhases> bootPhases,
        List<DiskView> disks,
        Optional<NetRate> netRate,
        Optional<RateLimiterJson> diskRate,
        Files files) {

    public record DiskView(String id, String path, boolean readOnly) {}

    public record Files(String dir, String console, String qmpSocket, String vmmLog) {}

    static VmView of(VmRecord r, String phase, Optional<GuestPolicy> policy, boolean guestIsolation) {
        List<DiskView> disks = new java.util.ArrayList<>();
        for (int i = 0; i < r.disks().size(); i++) {
            DiskRequest d = r.disks().get(i);
            disks.add(new DiskView("vd" + (char) ('b' + i), d.path(), d.readOnly()));
        }
        String dir = r.handle().map(h -> h.runDir().toString()).orElse("");
        boolean ended = phase.equals("stopped") || phase.equals("failed");
        return new VmView(r.id(), r.name(), r.driver(), r.handle().map(h -> h.accelerator()).orElse(""), phase,
                r.readyAt().isPresent() && !ended && !phase.equals("booting"),
                ended ? r.cause() : Optional.empty(), r.vcpus(), r.memory(), r.hugePages(), r.ip(), r.gateway(), r.mac(),
                r.tap(), r.bridge(), policy.map(GuestPolicy::tenant), policy.map(p -> p.egress().keyword()), guestIsolation,
                r.handle().map(h -> h.pid()).filter(p -> p > 0), r.createdAt(), r.readyAt(), r.bootMillis(), r.bootPhases(), disks,
                r.netRate(), r.diskRate(),
                new Files(dir, dir.isEmpty() ? "" : dir + "/console.log", dir.isEmpty() ? "" : dir + "/qmp.sock",
                        dir.isEmpty() ? "" : dir + "/vmm.log"));
    }
}
