package dev.kiln.cli;

import java.nio.file.Path;

/**
 * A fake daemon process for {@link DaemonLauncherTest}: prints a few log lines, serves {@code GET /v1/health} on
 * the socket given as its argument, and exits after {@code POST /v1/shutdown}.
 */
public final class FakeDaemonMain {
    private FakeDaemonMain() {
    }

    public static void main(String[] args) throws Exception {
        System.out.println("fake daemon: building the guest image");
        System.out.println("fake daemon: listening on " + args[0]);
        System.out.flush();
        try (FakeDaemon daemon = new FakeDaemon(Path.of(args[0]))) {
            daemon.answer("GET /v1/health", FakeDaemon.Answer.json(200,
                    "{\"status\":\"ok\",\"pid\":" + ProcessHandle.current().pid() + "}"));
            daemon.answer("POST /v1/shutdown", FakeDaemon.Answer.json(200, "{}"));
            while (daemon.seen.stream().noneMatch(s -> s.path().equals("/v1/shutdown"))) {
                Thread.sleep(50);
            }
            Thread.sleep(200); // let the answer go out
        }
        System.exit(0);
    }
}
