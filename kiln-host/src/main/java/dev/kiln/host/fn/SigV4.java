package dev.kiln.host.fn;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * AWS Signature Version 4 (the {@code AWS4-HMAC-SHA256} algorithm, as AWS's "Signature Version 4 signing process"
 * specifies it): the canonical request, the string to sign, the signing key and the signature. Pure functions; the
 * verifier ({@link SigV4Verifier}) and the signer ({@link #sign}) share them.
 */
public final class SigV4 {
    public static final String ALGORITHM = "AWS4-HMAC-SHA256";
    /** {@code X-Amz-Date}'s form. */
    static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);
    private static final HexFormat HEX = HexFormat.of();

    private SigV4() {
    }

    /**
     * A request as signed: method, the path and query exactly as sent (still percent-encoded), headers by lower-case
     * name (each with its values in order), and the body.
     */
    public record Request(String method, String rawPath, String rawQuery, SortedMap<String, List<String>> headers,
                          byte[] body) {
        public Request {
            TreeMap<String, List<String>> lower = new TreeMap<>();
            headers.forEach((k, v) -> lower.computeIfAbsent(k.toLowerCase(Locale.ROOT), x -> new ArrayList<>())
                    .addAll(v));
            headers = lower;
            rawPath = rawPath.isEmpty() ? "/" : rawPath;
        }

        List<String> header(String name) {
            return headers.getOrDefault(name.toLowerCase(Locale.ROOT), List.of());
        }
    }

    /** The credential scope's parts: {@code date/region/service/aws4_request}. */
    public record Scope(String date, String region, String service) {
        String text() {
            return date + "/" + region + "/" + service + "/aws4_request";
        }
    }

    /** The canonical request of {@code r} with the given signed headers (lower-case, in order). */
    static String canonicalRequest(Request r, List<String> signedHeaders) {
        StringBuilder out = new StringBuilder();
        out.append(r.method()).append('\n');
        out.append(canonicalUri(r.rawPath())).append('\n');
        out.append(canonicalQuery(r.rawQuery())).append('\n');
        for (String name : signedHeaders) {
            List<String> values = r.header(name).stream().map(SigV4::trimAll).toList();
            out.append(name).append(':').append(String.join(",", values)).append('\n');
        }
        out.append('\n').append(String.join(";", signedHeaders)).append('\n');
        out.append(HEX.formatHex(sha256(r.body())));
        return out.toString();
    }

    /** The string to sign: the algorithm, the time, the scope and the canonical request's hash. */
    static String stringToSign(String amzDate, Scope scope, String canonicalRequest) {
        return ALGORITHM + "\n" + amzDate + "\n" + scope.text() + "\n"
                + HEX.formatHex(sha256(canonicalRequest.getBytes(StandardCharsets.UTF_8)));
    }

    /** The signature (hex) of {@code stringToSign} with the key derived from {@code secret} for {@code scope}. */
    static String signature(String secret, Scope scope, String stringToSign) {
        byte[] key = hmac(("AWS4" + secret).getBytes(StandardCharsets.UTF_8), scope.date());
        key = hmac(key, scope.region());
        key = hmac(key, scope.service());
        key = hmac(key, "aws4_request");
        return HEX.formatHex(hmac(key, stringToSign));
    }

    /**
     * The headers that sign {@code r} (which must already hold {@code host}): {@code X-Amz-Date} and
     * {@code Authorization}, every header of {@code r} signed.
     */
    public static Map<String, String> sign(Request r, String accessKeyId, String secret, String region,
                                           String service, Instant now) {
        String amzDate = AMZ_DATE.format(now);
        TreeMap<String, List<String>> headers = new TreeMap<>(r.headers());
        headers.put("x-amz-date", List.of(amzDate));
        Request signed = new Request(r.method(), r.rawPath(), r.rawQuery(), headers, r.body());
        List<String> names = List.copyOf(signed.headers().keySet());
        Scope scope = new Scope(amzDate.substring(0, 8), region, service);
        String sig = signature(secret, scope, stringToSign(amzDate, scope, canonicalRequest(signed, names)));
        return Map.of("X-Amz-Date", amzDate, "Authorization", ALGORITHM + " Credential=" + accessKeyId + "/"
                + scope.text() + ", SignedHeaders=" + String.join(";", names) + ", Signature=" + sig);
    }

    /** Each path segment percent-encoded again (the path arrives encoded once; AWS encodes it twice, but for S3). */
    static String canonicalUri(String rawPath) {
        return String.join("/", java.util.Arrays.stream(rawPath.split("/", -1)).map(SigV4::encode).toList());
    }

    /** Parameters decoded, encoded again as AWS does, sorted by name then value, joined with &. */
    static String canonicalQuery(String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return "";
        }
        List<String[]> pairs = new ArrayList<>();
        for (String part : rawQuery.split("&")) {
            if (part.isEmpty()) {
                continue;
            }
            int eq = part.indexOf('=');
            String name = decode(eq < 0 ? part : part.substring(0, eq));
            String value = eq < 0 ? "" : decode(part.substring(eq + 1));
            pairs.add(new String[] {encode(name), encode(value)});
        }
        pairs.sort((a, b) -> a[0].equals(b[0]) ? a[1].compareTo(b[1]) : a[0].compareTo(b[0]));
        return String.join("&", pairs.stream().map(p -> p[0] + "=" + p[1]).toList());
    }

    /** RFC 3986 percent-encoding of everything but the unreserved characters (A-Z a-z 0-9 - _ . ~), in UTF-8. */
    static String encode(String s) {
        StringBuilder out = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
                    || c == '.' || c == '~') {
                out.append(c);
            } else {
                out.append('%').append(HEX.withUpperCase().toHexDigits(b));
            }
        }
        return out.toString();
    }

    private static String decode(String s) {
        return java.net.URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** Leading and trailing white space removed, inner runs of spaces made one. */
    private static String trimAll(String value) {
        return value.strip().replaceAll(" +", " ");
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
    }
}
