# FunctionBench model_training (ml_lr_prediction's training half): clean the Text column of a review dataset (CSV with
# Text and Score columns), TF-IDF vectorize it (min_df tuned to the number of rows unless the event gives one) and fit
# a logistic regression on Score; cleaning, vectorizing and fitting are timed. The fitted vectorizer and model are
# pickled together ({"vectorizer", "model"}, what lr_serving loads) under model_key. The original used pandas; the
# csv module reads the two columns as well.
import csv
import io
import pickle
import re
import time

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

import kiln_store

CLEANUP = re.compile("[^a-z]+")


def cleanup(sentence):
    return CLEANUP.sub(" ", sentence.lower()).strip()


def min_df_for(rows):
    """FunctionBench's min_df=100 suited its 100 MB datasets; smaller ones keep the words of at least 1 row in 500
    (and of 2 rows at least: words seen once only slow the fit, they teach the model nothing it can use again)."""
    return max(2, rows // 500)


def read_reviews(data):
    texts, scores = [], []
    for row in csv.DictReader(io.StringIO(data.decode("utf-8"))):
        texts.append(row["Text"])
        scores.append(int(row["Score"]))
    return texts, scores


def train(texts, scores, min_df):
    """The fitted vectorizer and model, and the training features."""
    cleaned = [cleanup(t) for t in texts]
    vectorizer = TfidfVectorizer(min_df=min_df).fit(cleaned)
    features = vectorizer.transform(cleaned)
    model = LogisticRegression(max_iter=1000)
    model.fit(features, scores)
    return vectorizer, model, features


def saved(vectorizer, model):
    """What lr_serving loads. Without the vectorizer's stop_words_ (the words min_df dropped, kept only for
    introspection, as scikit-learn's documentation says): smaller, and the same bytes on every run."""
    vectorizer.stop_words_ = None
    return pickle.dumps({"vectorizer": vectorizer, "model": model})


def lambda_handler(event, context):
    texts, scores = read_reviews(kiln_store.get(event["dataset_key"]))
    min_df = int(event.get("min_df", min_df_for(len(texts))))
    start = time.perf_counter()
    vectorizer, model, features = train(texts, scores, min_df)
    latency = time.perf_counter() - start
    accuracy = float(model.score(features, scores))
    kiln_store.put(event["model_key"], saved(vectorizer, model))
    return {"latency_s": latency, "rows": len(texts), "min_df": min_df, "vocabulary": len(vectorizer.vocabulary_),
            "classes": [int(c) for c in model.classes_], "accuracy": accuracy, "model_key": event["model_key"]}
