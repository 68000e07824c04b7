package dev.kiln.cluster.control;

/** The labels kiln's controllers put on what they create, and read back to know what they own. */
public final class Labels {
    /** On a Node: the NodePool that made it. */
    public static final String POOL = "kiln.dev/pool";
    /** On a Pod: the Deployment that made it. */
    public static final String DEPLOYMENT = "kiln.dev/deployment";
    /** On a Pod made by a Deployment: a hash of the pod template it was made from (rolling updates). */
    public static final String TEMPLATE_HASH = "kiln.dev/template-hash";
    /** On a Node: the Host it runs on (for host selectors and display). */
    public static final String HOST = "kiln.dev/host";

    private Labels() {
    }
}
