# FunctionBench rnn_serving (rnn_generate_character_level, after PyTorch's char-RNN name-generation tutorial): for
# each start letter, generate a name of the given language one character at a time with a small recurrent network
# (a GRU fed the language and the previous letter), greedily, up to 20 characters or the end-of-name output. The
# model object (make_inputs.py writes it from a fixed torch seed) is torch.save({"config": {"letters", "languages",
# "hidden", "layers"}, "state_dict"}); loading it and generating are timed, the download is not.
import io
import time

import torch
from torch import nn

import kiln_store

MAX_LENGTH = 20


class NameGenerator(nn.Module):
    def __init__(self, letters, languages, hidden, layers):
        super().__init__()
        self.gru = nn.GRU(languages + letters, hidden, layers, batch_first=True)
        self.out = nn.Linear(hidden, letters + 1)  # the last output ends the name

    def forward(self, language, letter, state):
        output, state = self.gru(torch.cat([language, letter], dim=1).unsqueeze(1), state)
        return self.out(output[:, 0]), state


def build(config):
    return NameGenerator(len(config["letters"]), len(config["languages"]), config["hidden"], config["layers"])


def one_hot(index, size):
    vector = torch.zeros(1, size)
    vector[0, index] = 1.0
    return vector


def generate(model, config, language, start_letter):
    letters = config["letters"]
    category = one_hot(config["languages"].index(language), len(config["languages"]))
    name, letter, state = start_letter, letters.index(start_letter), None
    with torch.no_grad():
        while len(name) < MAX_LENGTH:
            output, state = model(category, one_hot(letter, len(letters)), state)
            letter = int(output.argmax(dim=1))
            if letter == len(letters):
                break
            name += letters[letter]
    return name


def lambda_handler(event, context):
    data = kiln_store.get(event["model_key"])
    language, start_letters = event["language"], event["start_letters"]
    start = time.perf_counter()
    saved = torch.load(io.BytesIO(data), map_location="cpu")
    config = saved["config"]
    if language not in config["languages"]:
        raise ValueError("the model knows no language %r, only %s" % (language, config["languages"]))
    model = build(config)
    model.load_state_dict(saved["state_dict"])
    model.eval()
    loaded = time.perf_counter()
    names = [generate(model, config, language, letter) for letter in start_letters]
    latency = time.perf_counter() - start
    return {"latency_s": latency, "load_s": loaded - start, "generate_s": latency - (loaded - start),
            "language": language, "start_letters": start_letters, "names": names}
