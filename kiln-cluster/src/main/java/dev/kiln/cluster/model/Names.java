package dev.kiln.cluster.model;

import java.util.regex.Pattern;

/** The naming rules of resources, labels and environment variables (Kubernetes' rules, slightly simplified). */
public final class Names {
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern LABEL_NAME = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    /** Says what a valid resource name looks like, for messages. */
    public static final String DNS_LABEL_RULE = "lowercase letters, digits and '-', 1 to 63 characters, starting and"
            + " ending with a letter or digit";
    /** Says what a valid label key looks like, for messages. */
    public static final String LABEL_KEY_RULE = "an optional DNS prefix and '/', then 1 to 63 letters, digits, '-',"
            + " '_' or '.', starting and ending with a letter or digit";
    /** Says what a valid label value looks like, for messages. */
    public static final String LABEL_VALUE_RULE = "empty, or 1 to 63 letters, digits, '-', '_' or '.', starting and"
            + " ending with a letter or digit";

    private Names() {
    }

    /** A DNS-1123 label: a resource or container name such as {@code web-1}. */
    public static boolean isDnsLabel(String name) {
        return name.length() <= 63 && DNS_LABEL.matcher(name).matches();
    }

    /** A label (or annotation) key such as {@code app} or {@code kiln.dev/pool}. */
    public static boolean isLabelKey(String key) {
        int slash = key.indexOf('/');
        String name = slash < 0 ? key : key.substring(slash + 1);
        if (slash >= 0) {
            String prefix = key.substring(0, slash);
            if (prefix.isEmpty() || prefix.length() > 253 || !DNS_SUBDOMAIN.matcher(prefix).matches()) {
                return false;
            }
        }
        return name.length() <= 63 && LABEL_NAME.matcher(name).matches();
    }

    /** A label value: empty or up to 63 characters such as {@code v1.2_beta}. */
    public static boolean isLabelValue(String value) {
        return value.isEmpty() || (value.length() <= 63 && LABEL_NAME.matcher(value).matches());
    }

    /** An environment variable name such as {@code JAVA_OPTS}. */
    public static boolean isEnvName(String name) {
        return ENV_NAME.matcher(name).matches();
    }
}
