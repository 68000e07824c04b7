package dev.kiln.net;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What a vm's guest may reach, enforced on the host's bridge and forward path (see {@link GuestGuard}).
 *
 * @param tenant the guest's tenant: guests of the same tenant reach each other on the bridge, guests of different
 *               tenants do not; a DNS-label-like name ({@value #DEFAULT_TENANT} unless set)
 * @param egress whether the guest may reach anything outside the bridge (the internet, the host's other networks)
 */
public record GuestPolicy(String tenant, Egress egress) {
    public static final String DEFAULT_TENANT = "default";
    private static final Pattern TENANT = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    public GuestPolicy {
        requireTenant(tenant);
        Objects.requireNonNull(egress, "egress");
    }

    /** Traffic from the guest to anything that is not on the bridge. */
    public enum Egress { ALLOW, DENY;

        /**
         * {@code allow} or {@code deny} (any case).
         *
         * @throws NetException {@link NetError#INVALID_ARGUMENT} for anything else
         */
        public static Egress parse(String text) {
            for (Egress egress : values()) {
                if (egress.name().equalsIgnoreCase(Objects.requireNonNull(text, "egress"))) {
                    return egress;
                }
            }
            throw new NetException(NetError.INVALID_ARGUMENT, "invalid egress policy '" + text + "'",
                    "use allow or deny");
        }

        public String keyword() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Tenant {@value #DEFAULT_TENANT}, egress allowed: what every vm had before tenants existed. */
    public static GuestPolicy defaults() {
        return new GuestPolicy(DEFAULT_TENANT, Egress.ALLOW);
    }

    /**
     * The tenant's tag on a cluster's overlay (1..65535; VXLAN's group policy header carries it between hosts).
     * Two tenant names may share one: a cluster must not run both (see {@code TenantTags} in kiln-host).
     */
    public static int overlayTag(String tenant) {
        return (int) GuestGuard.tenantTag(tenant);
    }

    /**
     * Throws {@link NetError#INVALID_ARGUMENT} unless {@code tenant} is 1..63 lower-case letters, digits and '-',
     * starting and ending with a letter or digit.
     */
    public static String requireTenant(String tenant) {
        if (tenant == null || !TENANT.matcher(tenant).matches()) {
            throw new NetException(NetError.INVALID_ARGUMENT, "invalid tenant '" + tenant + "'",
                    "use 1..63 lower-case letters, digits and '-', starting and ending with a letter or digit");
        }
        return tenant;
    }
}
