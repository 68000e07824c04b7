package dev.kiln.host;

/** A host port forward of a container: {@code HOSTPORT:CONTAINERPORT}. */
public record PortMapping(int hostPort, int containerPort) {
    public PortMapping {
        if (hostPort < 1 || hostPort > 65535 || containerPort < 1 || containerPort > 65535) {
            throw new HostException(HostError.INVALID_SPEC, "port " + hostPort + ":" + containerPort + " is out of range",
                    "ports are 1..65535");
        }
    }

    /** Parses {@code 8080:80} (a bare {@code 80} means {@code 80:80}). */
    public static PortMapping parse(String text) {
        String[] parts = text.trim().split(":", -1);
        try {
            if (parts.length == 1) {
                int p = Integer.parseInt(parts[0]);
                return new PortMapping(p, p);
            }
            if (parts.length == 2) {
                return new PortMapping(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
            }
        } catch (NumberFormatException e) {
            // falls through to the error below
        }
        throw new HostException(HostError.INVALID_SPEC, "bad port forward '" + text + "'",
                "write HOSTPORT:CONTAINERPORT, e.g. -p 8080:80");
    }

    @Override
    public String toString() {
        return hostPort + ":" + containerPort;
    }
}
