package dev.kiln.image;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The Debian mirror this host's apt uses, read from {@code sources.list} (one-line style) and
 * {@code sources.list.d/*.sources} (deb822 style): the first {@code deb} source that is not a security archive.
 */
final class AptMirror {
    private AptMirror() {
    }

    static Optional<String> discover(Path etcApt) {
        List<String> found = new ArrayList<>();
        Path list = etcApt.resolve("sources.list");
        if (Files.isRegularFile(list)) {
            found.addAll(fromOneLineStyle(read(list)));
        }
        Path dir = etcApt.resolve("sources.list.d");
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
                List<Path> sorted = new ArrayList<>();
                files.forEach(sorted::add);
                sorted.sort(null);
                for (Path f : sorted) {
                    String name = f.getFileName().toString();
                    if (name.endsWith(".sources")) {
                        found.addAll(fromDeb822(read(f)));
                    } else if (name.endsWith(".list")) {
                        found.addAll(fromOneLineStyle(read(f)));
                    }
                }
            } catch (IOException e) {
                // an unreadable directory adds nothing
            }
        }
        return found.stream().filter(uri -> !uri.contains("security")).findFirst();
    }

    static List<String> fromOneLineStyle(String text) {
        List<String> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            String l = line.strip().replaceAll("\\[[^]]*]", " ").strip();
            String[] words = l.split("\\s+");
            if (words.length >= 3 && words[0].equals("deb")) {
                out.add(words[1]);
            }
        }
        return out;
    }

    static List<String> fromDeb822(String text) {
        List<String> out = new ArrayList<>();
        for (String stanza : text.split("\n\\s*\n")) {
            boolean deb = false;
            boolean enabled = true;
            List<String> uris = new ArrayList<>();
            for (String line : stanza.split("\n")) {
                if (line.startsWith("#")) {
                    continue;
                }
                int colon = line.indexOf(':');
                if (colon < 0) {
                    continue;
                }
                String key = line.substring(0, colon).strip();
                String value = line.substring(colon + 1).strip();
                switch (key) {
                    case "Types" -> deb = List.of(value.split("\\s+")).contains("deb");
                    case "URIs" -> uris.addAll(List.of(value.split("\\s+")));
                    case "Enabled" -> enabled = !value.equalsIgnoreCase("no");
                    default -> { }
                }
            }
            if (deb && enabled) {
                out.addAll(uris);
            }
        }
        return out;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }
}
