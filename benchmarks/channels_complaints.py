"""Complaint detection on customer-channel messages: precision and recall on a labelled set.

The classifier (``bot.channels.complaints``) is a logistic regression on all-MiniLM-L6-v2 embeddings of the
exemplars in ``bot/channels/data/complaint_exemplars.jsonl``. The threshold in ``channels.yaml``
(``customer_channels.complaints.threshold``) was chosen by 10-fold cross-validation on those exemplars only;
this script shows that choice, then measures the configured threshold on ``benchmarks/data/
complaints_labelled.jsonl`` (a separate set: complaints and strong dissatisfaction vs. everyday customer
messages, outage reports stated plainly, questions mentioning refunds or cancelling, thanks), which the
classifier never saw. Target: precision >= 0.9 at recall >= 0.7.

    .venv/bin/python benchmarks/channels_complaints.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.channels.complaints import C, ComplaintModel, load_exemplars  # noqa: E402
from bot.offline import offline_env  # noqa: E402
from bot.policies import load_policies  # noqa: E402
from retrieval.embedder import SentenceTransformerEmbedder  # noqa: E402

LABELLED = REPO / "benchmarks" / "data" / "complaints_labelled.jsonl"


def scores(pred: np.ndarray, truth: np.ndarray) -> tuple[float, float, int, int, int]:
    tp = int((pred & truth).sum())
    fp = int((pred & ~truth).sum())
    fn = int((~pred & truth).sum())
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, tp, fp, fn


def main() -> int:
    offline_env()
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    threshold = load_policies(REPO / "playbooks" / "policies").channels.customer_channels.complaints.threshold
    exemplars = load_exemplars()
    rows = [json.loads(line) for line in LABELLED.read_text().splitlines() if line.strip()]
    embedder = SentenceTransformerEmbedder()
    started = time.perf_counter()
    x = embedder.embed_documents([e.text for e in exemplars])
    y = np.array([e.complaint for e in exemplars])
    load_s = time.perf_counter() - started
    print(f"exemplars: {int(y.sum())} complaints, {int((~y).sum())} other (model load + embedding {load_s:.1f} s)")

    folds = StratifiedKFold(n_splits=10, shuffle=True, random_state=7)
    cv = cross_val_predict(LogisticRegression(C=C, max_iter=2000), x, y, cv=folds, method="predict_proba")[:, 1]
    print("10-fold cross-validation on the exemplars (how the threshold was chosen):")
    for t in (0.5, 0.55, 0.6, 0.65, 0.7):
        p, r, *_ = scores(cv >= t, y)
        mark = "  <- configured" if abs(t - threshold) < 1e-9 else ""
        print(f"  threshold {t:.2f}: precision {p:.3f} recall {r:.3f}{mark}")

    model = ComplaintModel(embedder, exemplars)
    texts = [r["text"] for r in rows]
    truth = np.array([r["label"] == "complaint" for r in rows])
    started = time.perf_counter()
    probs = np.array([model.probability(t) for t in texts])
    per_message_ms = (time.perf_counter() - started) / len(texts) * 1000
    p, r, tp, fp, fn = scores(probs >= threshold, truth)
    print(
        f"labelled set: {int(truth.sum())} complaints, {int((~truth).sum())} other; "
        f"classifying one message takes {per_message_ms:.1f} ms"
    )
    print(f"at the configured threshold {threshold:.2f}: precision {p:.3f}, recall {r:.3f} (tp {tp}, fp {fp}, fn {fn})")
    for t in (0.5, 0.6, 0.7, 0.8):
        pt, rt, *_ = scores(probs >= t, truth)
        print(f"  threshold {t:.2f}: precision {pt:.3f} recall {rt:.3f}")
    wrong = [
        (float(pr), txt, lab) for pr, txt, lab in zip(probs, texts, truth, strict=True) if (pr >= threshold) != lab
    ]
    for pr, txt, lab in sorted(wrong, reverse=True)[:10]:
        print(f"  {'missed' if lab else 'false alarm'} p={pr:.2f}: {txt}")
    ok = p >= 0.9 and r >= 0.7
    print(f"target precision >= 0.9 at recall >= 0.7: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
