# FunctionBench pyaes: AES-128 in CTR mode in pure Python (the pyaes package): encrypt, then decrypt, a random
# ASCII message num_of_iterations times; only the loop is timed. The message comes from a fixed seed; the result
# holds the first bytes of the message and its ciphertext, so that a check can redo AES-CTR on them.
import random
import string
import time

import pyaes

KEY = bytes.fromhex("a1f6258c877d5fcd8964484538bfc92c")  # FunctionBench's key
SHOWN = 64


def message(length, seed):
    rnd = random.Random(seed)
    letters = string.ascii_lowercase + string.digits
    return "".join(rnd.choice(letters) for _ in range(length))


def lambda_handler(event, context):
    length = int(event["length_of_message"])
    iterations = int(event["num_of_iterations"])
    text = message(length, int(event.get("seed", 42)))
    start = time.perf_counter()
    for _ in range(iterations):
        ciphertext = pyaes.AESModeOfOperationCTR(KEY).encrypt(text)
        plaintext = pyaes.AESModeOfOperationCTR(KEY).decrypt(ciphertext)
    latency = time.perf_counter() - start
    return {"latency_s": latency, "length_of_message": length, "num_of_iterations": iterations,
            "decrypted_matches": plaintext.decode("ascii") == text, "ciphertext_bytes": len(ciphertext),
            "message_head": text[:SHOWN], "ciphertext_head_hex": ciphertext[:SHOWN].hex()}
