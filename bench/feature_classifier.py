"""Train the classifier whose features FID and precision/recall compare
(`zoo.evaluation.features`) and ship it with its card.

    nice -n 10 flock -x /tmp/zoo-cpu.lock python -m bench.feature_classifier

Trains `feature_classifier()` on the 60,000 grey Fashion-MNIST training
images (in [0, 1], as a model's samples are: Bernoulli means), Adam 1e-3,
batch 128, seed 0, `--epochs` epochs; writes
saved_models/feature_classifier/classifier.keras and model_card.json (test
accuracy on the 10,000 test images, the features' FID of the test images
against the training images, the command, the machine).
"""

import argparse
import json
import os
import sys
import time

import numpy as np

from bench import common
from zoo import datasets
from zoo.evaluation import features
from zoo.evaluation import fid
from zoo.evaluation import training
from zoo.training import atomic


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    data = datasets.fashion_mnist()
    x_train, y_train = data.split("train")
    x_test, y_test = data.split("test")
    classifier = features.feature_classifier()
    start = time.perf_counter()
    training.train_classifier(classifier, x_train, y_train,
                              epochs=args.epochs, batch_size=128,
                              seed=args.seed)
    seconds = time.perf_counter() - start
    path = features.CLASSIFIER_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    # Shipped uncompiled: the weights alone, without Adam's two moments of
    # each (a third of the file's size).
    shipped = features.feature_classifier()
    shipped.set_weights(classifier.get_weights())
    shipped.save(path)
    test_features = features.classifier_features(x_test, classifier)
    train_features = features.classifier_features(x_train, classifier)
    card = common.stamped("feature_classifier", {
        "purpose": "features for FID and precision/recall of zoo models; "
                   "comparable between zoo models only, not with "
                   "Inception FIDs",
        "data": "Fashion-MNIST, 60,000 grey training images in [0, 1]",
        "architecture": "zoo.evaluation.features.feature_classifier()",
        "feature_layer": features.FEATURE_LAYER,
        "feature_dim": int(test_features.shape[1]),
        "epochs": args.epochs, "batch_size": 128, "learning_rate": 1e-3,
        "seed": args.seed,
        "training_seconds": round(seconds, 1),
        "test_accuracy": training.accuracy(classifier, x_test, y_test),
        "fid_test_vs_train": fid.frechet_distance(
            test_features, train_features),
        "size_bytes": os.path.getsize(path),
        "command": " ".join(["python -m bench.feature_classifier",
                             *(sys.argv[1:] if argv is None else argv)]),
    })
    atomic.write_json(path.parent / "model_card.json", card)
    print(json.dumps(card, indent=2))


if __name__ == "__main__":
    main()
