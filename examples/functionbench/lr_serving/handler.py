# FunctionBench lr_serving (ml_lr_prediction): load the TF-IDF vectorizer and logistic regression that model_training
# pickled under model_key, then predict the score of the review text x (a string, or a list of them); loading and
# predicting are timed, the download is not. make_inputs.py stores a model trained on each size's dataset, so this
# does not depend on model_training having run.
import pickle
import re
import time

import sklearn.feature_extraction.text  # noqa: F401  (imported here, so that unpickling the model does not time it)
import sklearn.linear_model  # noqa: F401

import kiln_store

CLEANUP = re.compile("[^a-z]+")


def cleanup(sentence):
    return CLEANUP.sub(" ", sentence.lower()).strip()


def lambda_handler(event, context):
    data = kiln_store.get(event["model_key"])
    texts = event["x"] if isinstance(event["x"], list) else [event["x"]]
    start = time.perf_counter()
    trained = pickle.loads(data)
    features = trained["vectorizer"].transform([cleanup(t) for t in texts])
    model = trained["model"]
    predicted = model.predict(features)
    probabilities = model.predict_proba(features)
    latency = time.perf_counter() - start
    return {"latency_s": latency, "predictions": [int(p) for p in predicted],
            "probabilities": [[float(p) for p in row] for row in probabilities],
            "classes": [int(c) for c in model.classes_]}
