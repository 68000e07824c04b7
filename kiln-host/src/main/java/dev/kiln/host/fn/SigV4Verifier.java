package dev.kiln.host.fn;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Checks a request's Signature Version 4 against kiln's {@link LambdaCredentials}, and refuses it as Lambda does:
 * 403 with {@code MissingAuthenticationTokenException} (no Authorization header), {@code IncompleteSignatureException}
 * (a malformed one, or {@code host} or {@code x-amz-date} not signed), {@code UnrecognizedClientException} (an
 * unknown access key id, or a session token, which kiln does not issue), {@code InvalidSignatureException} (a
 * signature that does not match, a scope for another service, a time more than {@link #SKEW} away). Any region is
 * accepted (the key is derived with the region the client names).
 */
public final class SigV4Verifier {
    /** How far a request's time may be from the server's, either way. */
    public static final Duration SKEW = Duration.ofMinutes(15);
    static final String SERVICE = "lambda";

    private final Supplier<LambdaCredentials> credentials;

    /** @param credentials the accepted access key (asked on every request, so that a change takes effect at once) */
    public SigV4Verifier(Supplier<LambdaCredentials> credentials) {
        this.credentials = credentials;
    }

    /** What the Authorization header says, before any check of the signature. */
    record Authorization(String accessKeyId, SigV4.Scope scope, List<String> signedHeaders, String signature) {
    }

    /**
     * Parses the request's Authorization header and checks what needs no body: the key, the scope, the signed
     * headers, the time. Run before the body is read, so that a stranger's request is refused without reading it.
     */
    Authorization precheck(SigV4.Request r, Instant now) {
        List<String> auth = r.header("authorization");
        if (auth.isEmpty()) {
            throw denied("MissingAuthenticationTokenException", "Missing Authentication Token: kiln's Lambda API "
                    + "needs requests signed with Signature Version 4 (AWS SDKs and the AWS CLI do it; the access key is "
                    + "shown by 'kiln fn credentials')");
        }
        Authorization a = parse(auth.getFirst());
        if (!credentials.get().isKey(a.accessKeyId())) {
            throw denied("UnrecognizedClientException", "The security token included in the request is invalid: "
                    + "access key " + a.accessKeyId() + " is not this cluster's (see 'kiln fn credentials')");
        }
        if (!r.header("x-amz-security-token").isEmpty()) {
            throw denied("UnrecognizedClientException", "The security token included in the request is invalid: "
                    + "kiln issues no session tokens; use the access key of 'kiln fn credentials' without one");
        }
        if (!a.scope().service().equals(SERVICE)) {
            throw denied("InvalidSignatureException", "Credential should be scoped to correct service: 'lambda', not '"
                    + a.scope().service() + "'.");
        }
        for (String required : List.of("host", "x-amz-date")) {
            if (!a.signedHeaders().contains(required)) {
                throw denied("IncompleteSignatureException", "the " + required + " header must be among the signed "
                        + "headers (SignedHeaders=" + String.join(";", a.signedHeaders()) + ")");
            }
        }
        List<String> dates = r.header("x-amz-date");
        if (dates.size() != 1) {
            throw denied("IncompleteSignatureException", "the request needs one X-Amz-Date header (yyyyMMddTHHmmssZ)");
        }
        String amzDate = dates.getFirst().strip();
        Instant at;
        try {
            at = Instant.from(SigV4.AMZ_DATE.parse(amzDate));
        } catch (DateTimeParseException e) {
            throw denied("IncompleteSignatureException", "X-Amz-Date '" + amzDate + "' is not of the form "
                    + "yyyyMMddTHHmmssZ (such as 20260101T120000Z)");
        }
        if (!amzDate.startsWith(a.scope().date())) {
            throw denied("InvalidSignatureException", "the credential's date " + a.scope().date()
                    + " is not the date of X-Amz-Date " + amzDate);
        }
        if (at.isBefore(now.minus(SKEW))) {
            throw denied("InvalidSignatureException", "Signature expired: " + amzDate + " is now earlier than "
                    + SigV4.AMZ_DATE.format(now.minus(SKEW)) + " (" + SigV4.AMZ_DATE.format(now)
                    + " - 15 min.); check the client's clock");
        }
        if (at.isAfter(now.plus(SKEW))) {
            throw denied("InvalidSignatureException", "Signature not yet current: " + amzDate + " is still later "
                    + "than " + SigV4.AMZ_DATE.format(now.plus(SKEW)) + " (" + SigV4.AMZ_DATE.format(now)
                    + " + 15 min.); check the client's clock");
        }
        for (String name : a.signedHeaders()) {
            if (r.header(name).isEmpty()) {
                throw denied("IncompleteSignatureException", "the signed header " + name + " is not in the request");
            }
        }
        return a;
    }

    /**
     * Verifies {@code r} completely (its body included).
     *
     * @throws LambdaException 403 with Lambda's error type when it is not signed with kiln's access key
     */
    public void verify(SigV4.Request r, Instant now) {
        Authorization a = precheck(r, now);
        String amzDate = r.header("x-amz-date").getFirst().strip();
        String expected = SigV4.signature(credentials.get().secretAccessKey(), a.scope(),
                SigV4.stringToSign(amzDate, a.scope(), SigV4.canonicalRequest(r, a.signedHeaders())));
        if (!MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                a.signature().getBytes(StandardCharsets.US_ASCII))) {
            throw denied("InvalidSignatureException", "The request signature we calculated does not match the "
                    + "signature you provided. Check your AWS Secret Access Key and signing method "
                    + "('kiln fn credentials' shows the key).");
        }
    }

    /** {@code AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, SignedHeaders=a;b, Signature=hex}. */
    static Authorization parse(String header) {
        String h = header.strip();
        if (!h.startsWith(SigV4.ALGORITHM + " ")) {
            String scheme = h.contains(" ") ? h.substring(0, h.indexOf(' ')) : h;
            throw denied("IncompleteSignatureException", "Authorization header scheme '" + scheme + "' is not "
                    + SigV4.ALGORITHM + " (kiln's Lambda API takes Signature Version 4, or kiln's bearer token)");
        }
        Map<String, String> parts = new LinkedHashMap<>();
        for (String part : h.substring(SigV4.ALGORITHM.length()).split(",")) {
            String p = part.strip();
            int eq = p.indexOf('=');
            if (eq > 0) {
                parts.put(p.substring(0, eq).strip(), p.substring(eq + 1).strip());
            }
        }
        for (String key : List.of("Credential", "SignedHeaders", "Signature")) {
            if (!parts.containsKey(key) || parts.get(key).isEmpty()) {
                throw denied("IncompleteSignatureException", "Authorization header requires '" + key
                        + "' parameter. Authorization=" + SigV4.ALGORITHM + " Credential=..., SignedHeaders=..., "
                        + "Signature=...");
            }
        }
        String[] credential = parts.get("Credential").split("/");
        if (credential.length != 5 || !credential[4].equals("aws4_request") || credential[1].length() != 8) {
            throw denied("IncompleteSignatureException", "Credential '" + parts.get("Credential") + "' is not "
                    + "ACCESS_KEY_ID/yyyyMMdd/REGION/lambda/aws4_request");
        }
        List<String> signed = new ArrayList<>(Arrays.asList(parts.get("SignedHeaders").split(";")));
        if (signed.stream().anyMatch(s -> s.isEmpty() || !s.equals(s.toLowerCase(java.util.Locale.ROOT)))) {
            throw denied("IncompleteSignatureException", "SignedHeaders '" + parts.get("SignedHeaders")
                    + "' must be lower-case header names separated by ;");
        }
        return new Authorization(credential[0], new SigV4.Scope(credential[1], credential[2], credential[3]),
                List.copyOf(signed), parts.get("Signature").toLowerCase(java.util.Locale.ROOT));
    }

    private static LambdaException denied(String type, String message) {
        return new LambdaException(403, type, message);
    }
}
