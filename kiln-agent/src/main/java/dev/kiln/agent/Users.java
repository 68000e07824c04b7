package dev.kiln.agent;

import dev.kiln.api.agent.AgentErrorCode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The users and groups of an image (its /etc/passwd and /etc/group), to resolve a container's USER. */
record Users(List<Entry> users, List<Group> groups) {
    record Entry(String name, long uid, long gid, String home) {
    }

    record Group(String name, long gid, List<String> members) {
    }

    /** A resolved user: numeric ids, supplementary groups, and the home directory (for HOME). */
    record Resolved(long uid, long gid, List<Long> additionalGids, String home) {
    }

    static Users none() {
        return new Users(List.of(), List.of());
    }

    /** Reads /etc/passwd and /etc/group of a root directory, resolving links inside it; absent files are empty. */
    static Users read(Path rootfs) {
        return parse(readInside(rootfs, "/etc/passwd"), readInside(rootfs, "/etc/group"));
    }

    private static String readInside(Path rootfs, String path) {
        try {
            Path file = RootPath.resolve(rootfs, path, true);
            if (!Files.isRegularFile(file) || Files.size(file) > (4 << 20)) {
                return "";
            }
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    static Users parse(String passwd, String group) {
        List<Entry> users = new ArrayList<>();
        for (String line : passwd.split("\n")) {
            String[] f = line.split(":", -1);
            if (f.length >= 7 && !line.startsWith("#")) {
                number(f[2]).ifPresent(uid -> number(f[3]).ifPresent(gid ->
                        users.add(new Entry(f[0], uid, gid, f[5]))));
            }
        }
        List<Group> groups = new ArrayList<>();
        for (String line : group.split("\n")) {
            String[] f = line.split(":", -1);
            if (f.length >= 4 && !line.startsWith("#")) {
                List<String> members = f[3].isBlank() ? List.of() : List.of(f[3].trim().split(","));
                number(f[2]).ifPresent(gid -> groups.add(new Group(f[0], gid, members)));
            }
        }
        return new Users(List.copyOf(users), List.copyOf(groups));
    }

    /** Resolves {@code user[:group]} (names or numbers); empty text means root. */
    Resolved resolve(String spec) {
        String userPart = spec.isBlank() ? "0" : spec;
        Optional<String> groupPart = Optional.empty();
        int colon = userPart.indexOf(':');
        if (colon >= 0) {
            groupPart = Optional.of(userPart.substring(colon + 1));
            userPart = userPart.substring(0, colon);
        }
        String u = userPart;
        Optional<Long> numericUid = number(u);
        Optional<Entry> entry = numericUid.isPresent()
                ? users.stream().filter(e -> e.uid() == numericUid.get()).findFirst()
                : users.stream().filter(e -> e.name().equals(u)).findFirst();
        if (numericUid.isEmpty() && entry.isEmpty()) {
            throw new AgentException(AgentErrorCode.BAD_REQUEST, "user '" + u + "' is not in the image's /etc/passwd",
                    "use a numeric uid[:gid] or a user the image defines");
        }
        long uid = numericUid.orElseGet(() -> entry.get().uid());
        long gid;
        if (groupPart.isPresent()) {
            String g = groupPart.get();
            gid = number(g).orElseGet(() -> groups.stream().filter(x -> x.name().equals(g)).findFirst()
                    .map(Group::gid)
                    .orElseThrow(() -> new AgentException(AgentErrorCode.BAD_REQUEST,
                            "group '" + g + "' is not in the image's /etc/group",
                            "use a numeric gid or a group the image defines")));
        } else {
            gid = entry.map(Entry::gid).orElse(0L);
        }
        List<Long> extra = entry.map(e -> groups.stream()
                        .filter(x -> x.members().contains(e.name()) && x.gid() != gid)
                        .map(Group::gid).distinct().toList())
                .orElse(List.of());
        String home = entry.map(Entry::home).filter(h -> h.startsWith("/")).orElse("/");
        return new Resolved(uid, gid, extra, home);
    }

    private static Optional<Long> number(String text) {
        try {
            long n = Long.parseLong(text.trim());
            return n >= 0 && n <= 0xFFFFFFFEL ? Optional.of(n) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
