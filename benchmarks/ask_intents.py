"""Question understanding on held-out paraphrases: does Ask read what a question asks (a record field, a policy
computation, the card, or a how-to for the playbooks)?

The held-out set (bot/ask/data/intents_heldout.jsonl) holds paraphrases never used as examples in
bot/ask/data/intents.yaml, and questions of the playbook benchmarks (labelled by hand). ``{c}`` is filled with
demo-style customer names, masked the way Ask masks a linked customer.

    python benchmarks/ask_intents.py            # accuracy, per-intent recall, confusions, time per question
    python benchmarks/ask_intents.py --errors   # and every miss
    python benchmarks/ask_intents.py --set fresh  # only the paraphrases written after the examples were settled
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.ask.intents import HOWTO, IntentModel  # noqa: E402
from retrieval.embedder import SentenceTransformerEmbedder  # noqa: E402

HELDOUT = REPO / "bot" / "ask" / "data" / "intents_heldout.jsonl"
NAMES = ["Northwave Foods", "Glacierwood Dental", "Sterlingcrest Energy", "Apexdale Robotics", "Orionpath Systems"]


def load(path: Path, which: str) -> list[tuple[str, str, str]]:
    """(question, the customer mention or "", the intent) of one set: ``dev`` (its misses were looked at while
    the examples and patterns were written) or ``fresh`` (written afterwards, measured as it came)."""
    rows = []
    for i, line in enumerate(path.read_text().splitlines()):
        if not line.strip():
            continue
        row = json.loads(line)
        if which != "all" and row.get("set", "dev") != which:
            continue
        name = row.get("customer") or NAMES[i % len(NAMES)]
        named = "{c}" in row["question"] or bool(row.get("customer"))
        rows.append((row["question"].replace("{c}", name), name if named else "", row["intent"]))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--errors", action="store_true")
    ap.add_argument("--set", choices=("dev", "fresh", "all"), default="all")
    args = ap.parse_args()
    rows = load(HELDOUT, args.set)
    t = time.perf_counter()
    model = IntentModel(SentenceTransformerEmbedder())
    print(f"examples embedded: {len(model.labels)} in {time.perf_counter() - t:.1f}s (model load included)")
    right = 0
    by: Counter[str] = Counter()
    hit: Counter[str] = Counter()
    confusions: Counter[tuple[str, str]] = Counter()
    misses = []
    times = []
    for question, mention, want in rows:
        t = time.perf_counter()
        asked = model.read(question, mention.lower())
        times.append(time.perf_counter() - t)
        got = [i.name for i in asked.intents]
        ok = want in got if want != HOWTO else asked.howto
        by[want] += 1
        if ok:
            right += 1
            hit[want] += 1
        else:
            confusions[(want, got[0])] += 1
            misses.append(
                (
                    question,
                    want,
                    got,
                    [(r.clause, r.intent.name, round(r.score, 3), round(r.howto_score, 3)) for r in asked.readings],
                )
            )
    n = len(rows)
    customer = [r for r in rows if r[2] != HOWTO]
    c_right = sum(hit[k] for k in by if k != HOWTO)
    print(f"held-out accuracy: {right}/{n} = {right / n:.1%}")
    print(f"  customer/policy intents: {c_right}/{len(customer)} = {c_right / len(customer):.1%}")
    print(f"  how-to kept for the playbooks: {hit[HOWTO]}/{by[HOWTO]} = {hit[HOWTO] / by[HOWTO]:.1%}")
    for k in sorted(by):
        print(f"    {k:32s} {hit[k]}/{by[k]}")
    print("confusions (wanted -> read):", ", ".join(f"{a}->{b} x{c}" for (a, b), c in confusions.most_common(12)))
    s = sorted(times)
    print(f"reading time per question: p50 {s[len(s) // 2] * 1000:.1f} ms, p95 {s[int(len(s) * 0.95)] * 1000:.1f} ms")
    if args.errors:
        for m in misses:
            print(" MISS", m)


if __name__ == "__main__":
    main()
