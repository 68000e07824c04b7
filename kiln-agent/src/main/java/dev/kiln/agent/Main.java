package dev.kiln.agent;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Entry point of the guest agent. Started by the guest's init from the jlinked runtime:
 * {@code java -XX:TieredStopAtLevel=1 -Xshare:auto -jar /opt/kiln/agent/kiln-agent.jar}. Prints one line
 * {@code KILN_AGENT_READY port=<port> startup_ms=<ms>} on stdout when it listens. {@code --train} alone runs
 * {@link Training} instead: the guest image build uses it to make the agent's AOT cache.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        Clock clock = Clock.systemUTC();
        Instant jvmStart = JvmStart.instant(clock.instant());
        if (args.length == 1 && args[0].equals("--train")) {
            Training.run(clock, jvmStart);
            System.exit(0);
        }
        try {
            AgentConfig config = AgentConfig.parse(List.of(args), System.getenv());
            Agent agent = Agent.start(config, clock, jvmStart);
            Runtime.getRuntime().addShutdownHook(new Thread(agent::close, "kiln-agent-shutdown"));
            Duration startup = agent.startup();
            System.out.println("KILN_AGENT_READY port=" + agent.port() + " startup_ms=" + startup.toMillis());
            System.out.flush();
        } catch (AgentException e) {
            System.err.println("kiln-agent: " + e.getMessage());
            System.err.println("hint: " + e.hint());
            System.exit(2);
        }
    }
}
