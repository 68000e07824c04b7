package dev.kiln.agent;

import dev.kiln.api.agent.AgentErrorCode;
import dev.kiln.api.agent.AgentProtocol;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * The per-VM bearer token. Compared with {@link MessageDigest#isEqual}, whose time depends only on the length of
 * the expected token, not on where a guess differs. (No hashing: that would load the security providers at
 * start-up.) Without a token every authenticated call is refused.
 */
final class TokenCheck {
    private final Optional<byte[]> expected;

    private TokenCheck(Optional<byte[]> expected) {
        this.expected = expected;
    }

    static TokenCheck of(String token) {
        String t = token.strip();
        return new TokenCheck(t.isEmpty() ? Optional.empty() : Optional.of(bytes(t)));
    }

    /** The token in a file (the guest's init writes it from the kernel command line); absent means none. */
    static TokenCheck fromFile(Path file) {
        try {
            return of(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            System.err.println("kiln-agent: no token at " + file + " (" + e.getMessage()
                    + "); every call but /v1/health will be refused");
            return new TokenCheck(Optional.empty());
        }
    }

    boolean configured() {
        return expected.isPresent();
    }

    /** Throws UNAUTHORIZED unless {@code header} is {@code Bearer <the token>}. */
    void check(Optional<String> header) {
        if (expected.isEmpty()) {
            throw new AgentException(AgentErrorCode.UNAUTHORIZED, "the agent has no token; it refuses every call",
                    "boot the VM with kiln.token=<token> so that init writes " + AgentProtocol.TOKEN_FILE);
        }
        String value = header.orElseThrow(() -> new AgentException(AgentErrorCode.UNAUTHORIZED,
                "missing " + AgentProtocol.AUTHORIZATION_HEADER + " header"));
        if (!value.startsWith(AgentProtocol.BEARER_PREFIX)) {
            throw new AgentException(AgentErrorCode.UNAUTHORIZED, "the Authorization header is not a Bearer token");
        }
        byte[] given = bytes(value.substring(AgentProtocol.BEARER_PREFIX.length()).strip());
        if (!MessageDigest.isEqual(expected.get(), given)) {
            throw new AgentException(AgentErrorCode.UNAUTHORIZED, "wrong token");
        }
    }

    private static byte[] bytes(String token) {
        return token.getBytes(StandardCharsets.UTF_8);
    }
}
