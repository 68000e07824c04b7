package dev.kiln.cli.bench;

import static dev.kiln.cli.bench.Workloads.LANGUAGES;
import static dev.kiln.cli.bench.Workloads.NEGATIVE;
import static dev.kiln.cli.bench.Workloads.POSITIVE;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The checks of the FunctionBench workloads' outputs ({@link Workloads.Check}s), one per workload whose check is more
 * than a few lines, and the helpers all checks share.
 *
 * <p>They are in Java, not in the handlers, because a handler cannot grade itself: a handler that computes a wrong
 * result would check it with the same wrong code and pass. Each check recomputes what the output must be from the event
 * alone (the input key names carry the rows, frames, pixel sizes and bytes that {@code make_inputs.py} wrote) or from
 * an independent implementation (pyaes's ciphertext from the JDK's AES), and reports the problems it finds, none when
 * the output is right.
 */
final class WorkloadChecks {
    /** The AES-128 key of FunctionBench's pyaes function (its handler holds the same). */
    private static final byte[] PYAES_KEY = HexFormat.of().parseHex("a1f6258c877d5fcd8964484538bfc92c");
    private static final List<String> IMAGE_OPERATIONS = List.of("flip-left-right", "flip-top-bottom", "rotate-90",
            "rotate-180", "rotate-270", "filter-blur", "filter-contour", "filter-sharpen", "gray-scale", "thumbnail");
    private static final Pattern PIXELS = Pattern.compile("(\\d+)x(\\d+)");
    private static final Pattern VIDEO = Pattern.compile("(\\d+)x(\\d+)-(\\d+)fps-(\\d+)s\\.");
    private static final Pattern TEXT = Pattern.compile("text-(\\d+)-x(\\d+)\\.txt$");

    private WorkloadChecks() {
    }

    static List<String> pyaes(JsonNode e, JsonNode r) {
        List<String> p = common(r);
        int length = e.path("length_of_message").asInt();
        equal(p, "length_of_message", r.path("length_of_message").asLong(), length);
        equal(p, "num_of_iterations", r.path("num_of_iterations").asLong(), e.path("num_of_iterations").asLong());
        equal(p, "ciphertext_bytes", r.path("ciphertext_bytes").asLong(), length);
        if (!r.path("decrypted_matches").asBoolean()) {
            p.add("decrypting did not give the message back");
        }
        String head = r.path("message_head").asText();
        equal(p, "message_head's length", head.length(), Math.min(64, length));
        String expected = aesCtr(head.getBytes(StandardCharsets.US_ASCII));
        if (!r.path("ciphertext_head_hex").asText().equals(expected)) {
            p.add("the ciphertext begins " + r.path("ciphertext_head_hex").asText() + ", not " + expected
                    + " (AES-128-CTR of the message, counter from 1)");
        }
        return p;
    }

    /** AES-128 in CTR mode as pyaes does it by default: a 16-byte big-endian counter from 1. */
    private static String aesCtr(byte[] message) {
        byte[] counter = new byte[16];
        counter[15] = 1;
        try {
            Cipher cipher = Cipher.getInstance("AES/CTR/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(PYAES_KEY, "AES"), new IvParameterSpec(counter));
            return HexFormat.of().formatHex(cipher.doFinal(message));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no AES/CTR", e);
        }
    }

    static List<String> chameleon(JsonNode e, JsonNode r) {
        List<String> p = common(r);
        long rows = e.path("num_of_rows").asLong();
        long cols = e.path("num_of_cols").asLong();
        equal(p, "rows", r.path("rows").asLong(), rows);
        equal(p, "cells", r.path("cells").asLong(), rows * cols);
        equal(p, "spans", r.path("spans").asLong(), rows * cols);
        equal(p, "cell_sum", r.path("cell_sum").asLong(), rows * cols * (cols + 1) / 2);
        return p;
    }

    static List<String> imageProcessing(JsonNode e, JsonNode r) {
        List<String> p = common(r);
        Optional<Matcher> m = matchIn(p, e, "key", PIXELS);
        if (m.isEmpty()) {
            return p;
        }
        long w = parse(m.get(), 1);
        long h = parse(m.get(), 2);
        equal(p, "width", r.path("width").asLong(), w);
        equal(p, "height", r.path("height").asLong(), h);
        List<String> names = new ArrayList<>();
        for (JsonNode out : r.path("outputs")) {
            String name = out.path("name").asText();
            names.add(name);
            boolean turned = name.equals("rotate-90") || name.equals("rotate-270");
            long ow = out.path("width").asLong();
            long oh = out.path("height").asLong();
            if (name.equals("thumbnail")) {
                if (Math.max(ow, oh) != Math.min(128, Math.max(w, h)) || Math.abs(ow * h - oh * w) > Math.max(w, h)) {
                    p.add("the thumbnail is " + ow + "x" + oh + ", not within 128x128 in the input's proportions");
                }
            } else {
                equal(p, name + "'s width", ow, turned ? h : w);
                equal(p, name + "'s height", oh, turned ? w : h);
            }
            if (name.equals("gray-scale") && !out.path("mode").asText().equals("L")) {
                p.add("the gray-scale image's mode is " + out.path("mode").asText() + ", not L");
            }
            if (out.path("bytes").asLong() <= 0 || !out.path("key").asText().startsWith("outputs/image_processing/")) {
                p.add(name + " was not saved to outputs/image_processing/: " + out);
            }
        }
        if (!names.equals(IMAGE_OPERATIONS)) {
            p.add("the outputs are " + names + ", not " + IMAGE_OPERATIONS);
        }
        return p;
    }

    /** Checks the frames and sizes common to video_processing and face_detection; the key names the video. */
    static List<String> video(JsonNode e, JsonNode r) {
        List<String> p = common(r);
        matchIn(p, e, "key", VIDEO).ifPresent(m -> {
            long frames = parse(m, 3) * parse(m, 4);
            equal(p, "frames", r.path("frames").asLong(), frames);
            equal(p, "output_frames", r.path("output_frames").asLong(), frames);
            equal(p, "width", r.path("width").asLong(), parse(m, 1));
            equal(p, "height", r.path("height").asLong(), parse(m, 2));
            if (r.has("output_width")) {
                equal(p, "output_width", r.path("output_width").asLong(), parse(m, 1));
                equal(p, "output_height", r.path("output_height").asLong(), parse(m, 2));
            }
        });
        close(p, "output_fps", r.path("output_fps").asDouble(), 20, 1e-6);
        if (r.path("output_bytes").asLong() <= 0 || !r.path("output_key").asText().startsWith("outputs/")) {
            p.add("no output video was stored");
        }
        return p;
    }

    /** make_inputs.py's face videos show one drawn face in every frame: the cascade must find it in nearly all. */
    static List<String> faceDetection(JsonNode e, JsonNode r) {
        List<String> p = video(e, r);
        long frames = r.path("frames").asLong();
        if (r.path("frames_with_faces").asLong() < frames * 9 / 10 || r.path("faces").asLong() > 3 * frames) {
            p.add(r.path("faces").asLong() + " faces in " + r.path("frames_with_faces").asLong() + " of " + frames
                    + " frames, not one face in at least 90% of them");
        }
        return p;
    }

    static List<String> modelTraining(JsonNode e, JsonNode r) {
        List<String> p = common(r);
        matchIn(p, e, "dataset_key", Pattern.compile("reviews-(\\d+)\\.csv$"))
                .ifPresent(m -> equal(p, "rows", r.path("rows").asLong(), parse(m, 1)));
        scores(p, r.path("classes"));
        if (!(r.path("accuracy").asDouble() >= 0.8)) {
            p.add("the accuracy on the training set is " + r.path("accuracy").asDouble() + ", not at least 0.8");
        }
        if (r.path("vocabulary").asLong() <= 0 || !r.path("model_key").asText().equals(e.path("model_key").asText())) {
            p.add("no vocabulary, or the model was not stored under " + e.path("model_key").asText());
        }
        return p;
    }

    static List<String> lrServing(JsonNode e, JsonNode r) {
        List<String> p = common(r);
        scores(p, r.path("classes"));
        JsonNode predicted = r.path("predictions");
        if (predicted.size() != e.path("x").size()) {
            p.add(predicted.size() + " predictions for " + e.path("x").size() + " texts");
            return p;
        }
        for (int i = 0; i < predicted.size(); i++) {
            String text = e.path("x").get(i).asText();
            int score = predicted.get(i).asInt();
            if (text.equals(POSITIVE) && score < 4 || text.equals(NEGATIVE) && score > 2) {
                p.add("the score of \"" + text + "\" is predicted as " + score);
            }
            double sum = 0;
            for (JsonNode probability : r.path("probabilities").path(i)) {
                sum += probability.asDouble();
            }
            close(p, "the probabilities' sum for text " + i, sum, 1, 1e-6);
        }
        return p;
    }

    private static void scores(List<String> p, JsonNode classes) {
        if (!classes.toString().equals("[1,2,3,4,5]")) {
            p.add("the classes are " + classes + ", not the scores 1 to 5");
        }
    }

    static List<String> cnnServing(JsonNode e, JsonNode r) {
        List<String> p = common(r);
        matchIn(p, e, "model_key", Pattern.compile("cnn-(\\d+)px-\\d+conv-(\\d+)classes\\.pt$")).ifPresent(m -> {
            equal(p, "input", r.path("input").asLong(), parse(m, 1));
            equal(p, "classes", r.path("classes").asLong(), parse(m, 2));
        });
        matchIn(p, e, "key", PIXELS).ifPresent(m -> {
            equal(p, "image_width", r.path("image_width").asLong(), parse(m, 1));
            equal(p, "image_height", r.path("image_height").asLong(), parse(m, 2));
        });
        long classes = r.path("classes").asLong();
        JsonNode top = r.path("top5");
        equal(p, "top5's size", top.size(), Math.min(5, classes));
        double previous = 1;
        for (JsonNode entry : top) {
            double probability = entry.path("probability").asDouble(-1);
            long index = entry.path("index").asLong(-1);
            if (probability > previous || probability < 0 || index < 0 || index >= classes) {
                p.add("top5 is not classes in descending order of probability: " + top);
                break;
            }
            previous = probability;
        }
        if (top.size() > 0) {
            equal(p, "class_index", r.path("class_index").asLong(), top.get(0).path("index").asLong());
        }
        close(p, "probability_sum", r.path("probability_sum").asDouble(), 1, 1e-4);
        return p;
    }

    static List<String> rnnServing(JsonNode e, JsonNode r) {
        List<String> p = common(r);
        String letters = e.path("start_letters").asText();
        JsonNode names = r.path("names");
        equal(p, "the number of names", names.size(), letters.length());
        for (int i = 0; i < Math.min(names.size(), letters.length()); i++) {
            String name = names.get(i).asText();
            if (name.isEmpty() || name.length() > 20 || name.charAt(0) != letters.charAt(i)) {
                p.add("name " + i + " is \"" + name + "\": not 1 to 20 characters from " + letters.charAt(i));
            }
        }
        if (!r.path("language").asText().equals(e.path("language").asText())) {
            p.add("the language is " + r.path("language") + ", not " + e.path("language"));
        }
        return p;
    }

    /** Text i of make_inputs.py mentions language j 1 + (7i + 13j) mod 11 times in each of its blocks. */
    static List<String> mapreduce(JsonNode e, JsonNode r) {
        List<String> p = common(r);
        long[] expected = new long[LANGUAGES.size()];
        for (JsonNode key : e.path("keys")) {
            Matcher m = TEXT.matcher(key.asText());
            if (!m.find()) {
                p.add("the key " + key + " names no text of make_inputs.py (text-<i>-x<blocks>.txt)");
                return p;
            }
            long i = parse(m, 1);
            for (int j = 0; j < expected.length; j++) {
                expected[j] += (1 + (7 * i + 13L * j) % 11) * parse(m, 2);
            }
        }
        for (int j = 0; j < expected.length; j++) {
            equal(p, "the count of " + LANGUAGES.get(j), r.path("counts").path(LANGUAGES.get(j)).asLong(-1),
                    expected[j]);
        }
        equal(p, "counts' size", r.path("counts").size(), LANGUAGES.size());
        equal(p, "keys", r.path("keys").asLong(), e.path("keys").size());
        equal(p, "mappers", r.path("mappers").asLong(), Math.min(e.path("mappers").asLong(), e.path("keys").size()));
        equal(p, "mapper_latency_s' size", r.path("mapper_latency_s").size(), r.path("mappers").asLong());
        return p;
    }

    static List<String> iperf3(JsonNode e, JsonNode r) {
        List<String> p = common(r);
        if (r.path("reverse").asBoolean() != e.path("reverse").asBoolean()) {
            p.add("iperf3 ran with reverse " + r.path("reverse") + ", not " + e.path("reverse"));
        }
        double seconds = e.path("seconds").asDouble();
        if (Math.abs(r.path("seconds").asDouble() - seconds) > 0.1 * seconds + 0.5) {
            p.add("iperf3 measured " + r.path("seconds").asDouble() + " s, not " + seconds);
        }
        for (String field : List.of("sent_bits_per_second", "received_bits_per_second", "sent_bytes",
                "received_bytes")) {
            if (!(r.path(field).asDouble() > 0)) {
                p.add(field + " is not above 0");
            }
        }
        return p;
    }

    static List<String> storage(JsonNode e, JsonNode r) {
        List<String> p = common(r);
        matchIn(p, e, "key", Pattern.compile("blob-(\\d+)MiB\\.bin$")).ifPresent(m -> {
            equal(p, "bytes_downloaded", r.path("bytes_downloaded").asLong(), parse(m, 1) << 20);
            equal(p, "bytes_uploaded", r.path("bytes_uploaded").asLong(), parse(m, 1) << 20);
        });
        if (!r.path("upload_matches").asBoolean()) {
            p.add("the uploaded object differs from the downloaded one");
        }
        if (!(r.path("download_s").asDouble() > 0 && r.path("upload_s").asDouble() > 0)) {
            p.add("download_s or upload_s is not above 0");
        }
        close(p, "latency_s", r.path("latency_s").asDouble(),
                r.path("download_s").asDouble() + r.path("upload_s").asDouble(), 1e-6);
        return p;
    }

    static List<String> diskIo(JsonNode e, JsonNode r) {
        List<String> p = common(r);
        long size = (e.path("file_size").asLong() << 20) / e.path("byte_size").asLong() * e.path("byte_size").asLong();
        equal(p, "written", r.path("written").asLong(), size);
        equal(p, "read", r.path("read").asLong(), size);
        return p;
    }

    /** The match of the pattern in the event's field (an input key), or a problem when there is none. */
    static Optional<Matcher> matchIn(List<String> p, JsonNode event, String field, Pattern pattern) {
        Matcher m = pattern.matcher(event.path(field).asText());
        if (m.find()) {
            return Optional.of(m);
        }
        p.add("the event's " + field + " " + event.path(field) + " is no name make_inputs.py gives (" + pattern + ")");
        return Optional.empty();
    }

    static long parse(Matcher m, int group) {
        return Long.parseLong(m.group(group));
    }

    static List<String> common(JsonNode r) {
        List<String> p = new ArrayList<>();
        if (!(r.path("latency_s").asDouble(-1) > 0)) {
            p.add("latency_s is missing or not above 0");
        }
        return p;
    }

    static void equal(List<String> p, String field, long actual, long expected) {
        if (actual != expected) {
            p.add(field + " is " + actual + ", not " + expected);
        }
    }

    static void close(List<String> p, String field, double actual, double expected, double relative) {
        if (!(Math.abs(actual - expected) <= relative * Math.max(1, Math.abs(expected)))) {
            p.add(field + " is " + actual + ", not " + expected);
        }
    }
}
