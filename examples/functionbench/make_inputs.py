# Writes the FunctionBench workloads' input objects for one size, deterministically (fixed seeds), in the input
# store's layout: DIR/functionbench/<key> with keys inputs/<size>/<workload group>/<name>, the keys the events in
# kiln-cli's Workloads.java name. Names carry the parameters the checks need (rows, frames, sizes).
#   usage: /usr/bin/python3 make_inputs.py test|small|large DIR
# Needs numpy, Pillow, OpenCV, scikit-learn and PyTorch (Debian's python3-* packages) and ffmpeg; an input whose
# tools are missing is skipped with a message. Objects that exist are kept (idempotent), so a rerun makes only what
# is missing; each object is written to a temporary name, then renamed.
import csv
import io
import json
import os
import random
import shutil
import string
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
BUCKET = "functionbench"
SEED = 42

SIZES = {
    "test": {"json_entries": 100, "image": (320, 180), "video": (320, 180, 10, 1), "faces": (320, 180, 10, 1),
             "reviews": 200, "cnn": {"input": 64, "channels": [8, 16, 32], "classes": 10},
             "rnn": {"hidden": 64, "layers": 1}, "texts": (4, 10), "blob_mib": 1},
    "small": {"json_entries": 10000, "image": (1280, 720), "video": (640, 360, 10, 3), "faces": (640, 360, 10, 3),
              "reviews": 2000, "cnn": {"input": 224, "channels": [16, 32, 64, 128], "classes": 1000},
              "rnn": {"hidden": 256, "layers": 1}, "texts": (8, 250), "blob_mib": 16},
    "large": {"json_entries": 100000, "image": None, "video": (1280, 720, 10, 10), "faces": (1280, 720, 10, 10),
              "reviews": 50000, "cnn": {"input": 224, "channels": [32, 64, 128, 256, 512], "classes": 1000},
              "rnn": {"hidden": 512, "layers": 2}, "texts": (16, 2500), "blob_mib": 64},
}
ORIGINAL_IMAGE = (4742, 2667)  # data/image.jpg, FunctionBench's sample; the large size uses it unchanged

def mentions(text_index, language_index):
    """How often language j is mentioned in each block of text i; kiln-cli's check computes the same."""
    return 1 + (7 * text_index + 13 * language_index) % 11


# rnn_serving: the languages and letters of PyTorch's char-RNN tutorial
RNN_LANGUAGES = ["Arabic", "Chinese", "Czech", "Dutch", "English", "French", "German", "Greek", "Irish", "Italian",
                 "Japanese", "Korean", "Polish", "Portuguese", "Russian", "Scottish", "Spanish", "Vietnamese"]
RNN_LETTERS = string.ascii_letters + " .,;'"


def keys(size):
    """Every input object's key at this size, by what it is."""
    s = SIZES[size]
    base = "inputs/%s/" % size
    width, height = s["image"] or ORIGINAL_IMAGE
    cnn = s["cnn"]
    count, reps = s["texts"]
    return {
        "json": base + "json_serdes/doc-%d.json" % s["json_entries"],
        "image": base + "image/image-%dx%d.jpg" % (width, height),
        "video": base + "video/testsrc-%dx%d-%dfps-%ds.mp4" % s["video"],
        "faces": base + "faces/faces-%dx%d-%dfps-%ds.mp4" % s["faces"],
        "cascade": base + "faces/haarcascade_frontalface_default.xml",
        "reviews": base + "reviews/reviews-%d.csv" % s["reviews"],
        "lr_model": base + "reviews/lr-model-%d.pkl" % s["reviews"],
        "cnn_model": base + "cnn/cnn-%dpx-%dconv-%dclasses.pt" % (cnn["input"], len(cnn["channels"]), cnn["classes"]),
        "rnn_model": base + "rnn/rnn-gru-%dh-%dl.pt" % (s["rnn"]["hidden"], s["rnn"]["layers"]),
        "texts": [base + "mapreduce/text-%d-x%d.txt" % (i, reps) for i in range(count)],
        "blob": base + "storage/blob-%dMiB.bin" % s["blob_mib"],
    }


class Store:
    def __init__(self, directory):
        self.root = os.path.join(directory, BUCKET)
        self.made = []

    def path(self, key):
        return os.path.join(self.root, key)

    def read(self, key):
        with open(self.path(key), "rb") as f:
            return f.read()

    def has(self, key):
        return os.path.exists(self.path(key))

    def write(self, key, produce):
        """Calls produce(temporary path) to make the object unless it exists."""
        if self.has(key):
            return
        target = self.path(key)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".making-",
                                             suffix=os.path.splitext(key)[1])
        os.close(handle)
        try:
            produce(temporary)
            os.chmod(temporary, 0o644)  # mkstemp makes it 0600
            os.replace(temporary, target)
        finally:
            if os.path.exists(temporary):
                os.remove(temporary)
        self.made.append("%s (%d bytes)" % (key, os.path.getsize(target)))

    def write_bytes(self, key, data_of):
        def produce(path):
            with open(path, "wb") as f:
                f.write(data_of())
        self.write(key, produce)


def json_document(entries):
    rnd = random.Random(SEED)
    return json.dumps([{"id": i, "name": "user%d" % rnd.randrange(10 ** 6), "score": rnd.random(),
                        "tags": [rnd.choice("abcdefgh") for _ in range(5)]} for i in range(entries)]).encode()


def image(store, key, size):
    from PIL import Image
    source = os.path.join(DATA, "image.jpg")
    if size is None:
        store.write(key, lambda path: shutil.copyfile(source, path))
        return
    with Image.open(source) as original:
        store.write(key, lambda path: original.convert("RGB").resize(size, Image.LANCZOS).save(
            path, "JPEG", quality=90))


def ffmpeg(arguments, path):
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y"] + arguments +
                   ["-c:v", "mpeg4", "-q:v", "4", "-pix_fmt", "yuv420p", "-threads", "1", "-fflags", "+bitexact",
                    "-flags:v", "+bitexact", "-f", "mp4", path], check=True)


def testsrc(width, height, fps, seconds):
    return ["-f", "lavfi", "-i", "testsrc=size=%dx%d:rate=%d:duration=%d" % (width, height, fps, seconds)]


def face(side):
    """A drawn frontal face (grayscale, side x side) that OpenCV's frontal-face Haar cascade detects: a dark head
    outline, light skin, dark brows and eyes, a lighter nose, a dark mouth, blurred a little like a photograph."""
    import cv2
    import numpy as np
    s = side
    img = np.full((s, s), 90, np.uint8)
    c = s // 2
    cv2.ellipse(img, (c, int(c * 0.95)), (int(s * 0.36), int(s * 0.48)), 0, 0, 360, 40, -1)
    cv2.ellipse(img, (c, int(c * 1.08)), (int(s * 0.32), int(s * 0.42)), 0, 0, 360, 190, -1)
    eye_y, eye_x = int(s * 0.45), int(s * 0.14)
    for side_sign in (-1, 1):
        cv2.ellipse(img, (c + side_sign * eye_x, eye_y - int(s * 0.07)), (int(s * 0.09), int(s * 0.02)), 0, 0, 360,
                    60, -1)
        cv2.ellipse(img, (c + side_sign * eye_x, eye_y), (int(s * 0.07), int(s * 0.035)), 0, 0, 360, 50, -1)
    cv2.ellipse(img, (c, int(s * 0.62)), (int(s * 0.04), int(s * 0.03)), 0, 0, 360, 130, -1)
    cv2.ellipse(img, (c, int(s * 0.76)), (int(s * 0.11), int(s * 0.03)), 0, 0, 360, 80, -1)
    return cv2.cvtColor(cv2.GaussianBlur(img, (0, 0), s * 0.015), cv2.COLOR_GRAY2BGR)


def face_video(path, width, height, fps, seconds):
    """ffmpeg's testsrc with a drawn face (half the height) gliding from left to right over it."""
    import cv2
    side = height // 2
    with tempfile.TemporaryDirectory() as work:
        face_path = os.path.join(work, "face.png")
        cv2.imwrite(face_path, face(side))
        ffmpeg(testsrc(width, height, fps, seconds) + ["-i", face_path, "-filter_complex",
                                                       "[0][1]overlay=x='(W-w)*t/%d':y=(H-h)/2" % seconds], path)


def pseudo_words(rnd, count):
    """count distinct made-up words (syllables of a consonant and a vowel), a stand-in for a language's vocabulary."""
    words, seen = [], set()
    while len(words) < count:
        word = "".join(rnd.choice("bcdfghjklmnprstvwz") + rnd.choice("aeiou") for _ in range(rnd.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def reviews(rows):
    """A review dataset shaped like Amazon's fine-food reviews (FunctionBench's): Id, Score (1-5, mostly 5) and Text
    columns, each text 20-120 words drawn from a 20,000-word vocabulary with Zipf's law (so the TF-IDF vocabulary
    grows with the rows, as with real text), about one word in seven from its score's sentiment words."""
    rnd = random.Random(SEED)
    sentiment = {
        1: "terrible awful disgusting worst horrible refund inedible rotten",
        2: "bland disappointing stale poor overpriced weak soggy dull",
        3: "okay average decent fine mediocre ordinary acceptable plain",
        4: "good tasty nice fresh recommend enjoyed pleasant solid",
        5: "excellent delicious perfect love amazing best wonderful fantastic",
    }
    vocabulary = pseudo_words(rnd, 20000 + 5 * 24)
    sentiment = {score: words.split() + vocabulary[20000 + 24 * (score - 1):20000 + 24 * score]
                 for score, words in sentiment.items()}
    vocabulary = vocabulary[:20000]
    cumulative, total = [], 0.0
    for rank in range(1, len(vocabulary) + 1):
        total += 1.0 / rank
        cumulative.append(total)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Id", "Score", "Text"])
    for i in range(rows):
        score = rnd.choices([1, 2, 3, 4, 5], weights=[9, 5, 8, 14, 64])[0]
        length = rnd.randint(20, 120)
        text = rnd.choices(vocabulary, cum_weights=cumulative, k=length)
        for position in range(length):
            if rnd.random() < 0.15:
                text[position] = rnd.choice(sentiment[score])
        sentences = []
        while text:
            cut = rnd.randint(5, 15)
            sentences.append(" ".join(text[:cut]).capitalize() + rnd.choice([".", ".", "!", "..."]))
            text = text[cut:]
        writer.writerow([i + 1, score, " ".join(sentences)])
    return out.getvalue().encode()


def handler(workload):
    """A workload's handler module (for its model code, so that inputs and handlers agree)."""
    import importlib.util
    if HERE not in sys.path:
        sys.path.append(HERE)  # for the handlers' import of kiln_store
    spec = importlib.util.spec_from_file_location("fb_" + workload, os.path.join(HERE, workload, "handler.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def lr_model(dataset):
    """The pre-trained model lr_serving loads, made as model_training makes one."""
    training = handler("model_training")
    texts, scores = training.read_reviews(dataset)
    vectorizer, model, _ = training.train(texts, scores, training.min_df_for(len(texts)))
    return training.saved(vectorizer, model)


def torch_model(workload, config):
    """A network's config and weights (from the fixed seed) as the workload's handler loads them."""
    import torch
    module = handler(workload)
    torch.manual_seed(SEED)
    model = module.build(config)
    out = io.BytesIO()
    torch.save({"config": config, "state_dict": model.state_dict()}, out)
    return out.getvalue()


def text(index, reps, languages):
    """reps blocks, each mentioning language j (of the list mapreduce counts) mentions(index, j) times, in varied case
    and punctuation, among neutral words, some of which contain a language's name without being one (pythonic)."""
    rnd = random.Random(SEED * 1000 + index)
    neutral = ("the of and to in we our code team build release service latency memory function cluster deploy "
               "library compiler runtime pythonic rusty scalable swiftly javanese perlite lispy cobalt rubyish "
               "go c net php sql shell").split()
    lines = []
    for _ in range(reps):
        words = [rnd.choice(neutral) for _ in range(100)]
        for j, name in enumerate(languages):
            for _ in range(mentions(index, j)):
                words.append(rnd.choice([name, name.capitalize(), name.upper()]) + rnd.choice(["", "", ",", "."]))
        rnd.shuffle(words)
        for start in range(0, len(words), 14):
            lines.append(" ".join(words[start:start + 14]))
    return ("\n".join(lines) + "\n").encode()


def step(what, make):
    """Runs one input's maker; one whose module or tool the host lacks is reported and skipped."""
    try:
        make()
    except ImportError as e:
        print("skipped %s: python3 lacks %s" % (what, e.name), file=sys.stderr)
    except FileNotFoundError as e:
        if e.filename in ("ffmpeg",):
            print("skipped %s: no %s on the host" % (what, e.filename), file=sys.stderr)
        else:
            raise


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in SIZES:
        sys.exit("usage: make_inputs.py test|small|large DIR")
    size, directory = sys.argv[1], sys.argv[2]
    s, k = SIZES[size], keys(sys.argv[1])
    store = Store(directory)
    store.write_bytes(k["json"], lambda: json_document(s["json_entries"]))
    step("the image", lambda: image(store, k["image"], s["image"]))
    step("the video", lambda: store.write(k["video"], lambda path: ffmpeg(testsrc(*s["video"]), path)))
    step("the face video", lambda: store.write(k["faces"], lambda path: face_video(path, *s["faces"])))
    store.write(k["cascade"], lambda path: shutil.copyfile(
        os.path.join(DATA, "haarcascade_frontalface_default.xml"), path))
    store.write_bytes(k["reviews"], lambda: reviews(s["reviews"]))
    step("the logistic regression", lambda: store.write_bytes(
        k["lr_model"], lambda: lr_model(store.read(k["reviews"]))))
    step("the CNN", lambda: store.write_bytes(k["cnn_model"], lambda: torch_model("cnn_serving", s["cnn"])))
    step("the RNN", lambda: store.write_bytes(k["rnn_model"], lambda: torch_model("rnn_serving", dict(
        letters=RNN_LETTERS, languages=RNN_LANGUAGES, **s["rnn"]))))
    languages = handler("mapreduce").LANGUAGES
    for i, key in enumerate(k["texts"]):
        store.write_bytes(key, lambda i=i: text(i, s["texts"][1], languages))
    store.write_bytes(k["blob"], lambda: random.Random(SEED).randbytes(s["blob_mib"] << 20))
    for line in store.made:
        print("made " + line)
    print("%s inputs in %s: %d made, the rest were there" % (size, os.path.join(directory, BUCKET), len(store.made)))


if __name__ == "__main__":
    main()
