"""One contract, every VectorIndex implementation (the Chroma server variant runs in integration tests)."""

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from retrieval.vector import ChromaVectorIndex, InMemoryVectorIndex, VectorIndex, matches


def _vec(*xs: float) -> np.ndarray:
    v = np.zeros(8, dtype=np.float32)
    v[: len(xs)] = xs
    return v / np.linalg.norm(v)


@pytest.fixture(params=["memory", "chroma-embedded"])
def make_index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], VectorIndex]]:
    if request.param == "memory":
        yield InMemoryVectorIndex
    else:
        pytest.importorskip("chromadb")
        counter = iter(range(1000))
        yield lambda: ChromaVectorIndex(f"col{next(counter)}", path=tmp_path / "chroma")


def run_contract(index: VectorIndex) -> None:
    assert isinstance(index, VectorIndex)
    assert index.count() == 0 and index.query(_vec(1), 3) == []
    index.upsert(
        ["a", "b", "c"],
        np.stack([_vec(1, 0), _vec(0, 1), _vec(1, 1)]),
        ["doc a", "doc b", "doc c"],
        [
            {"path": "x.md", "tier:gold": True, "tiers_all": False, "n": 1},
            {"path": "y.md", "tiers_all": True, "n": 2},
            {"path": "x.md", "tiers_all": False, "n": 3},
        ],
    )
    assert index.count() == 3
    hits = index.query(_vec(1, 0), 3)
    assert [h[0] for h in hits] == ["a", "c", "b"]
    assert hits[0][1] == pytest.approx(1.0, abs=1e-4)  # cosine similarity
    assert hits[1][1] == pytest.approx(float(np.sqrt(0.5)), abs=1e-4)
    assert [h[0] for h in index.query(_vec(1, 0), 3, where={"path": "y.md"})] == ["b"]
    assert {h[0] for h in index.query(_vec(1, 0), 3, where={"path": {"$in": ["x.md"]}})} == {"a", "c"}
    either = {"$or": [{"tiers_all": True}, {"tier:gold": True}]}
    assert {h[0] for h in index.query(_vec(0, 1), 3, where=either)} == {"a", "b"}
    both = {"$and": [{"path": "x.md"}, {"n": {"$ne": 1}}]}
    assert [h[0] for h in index.query(_vec(1, 0), 3, where=both)] == ["c"]

    got = index.get(ids=["c", "missing", "a"], include_embeddings=True)
    assert sorted(got.ids) == ["a", "c"]
    assert got.embeddings is not None and len(got.embeddings) == 2
    i = got.ids.index("c")
    assert got.documents[i] == "doc c" and got.metadatas[i]["n"] == 3
    assert np.allclose(got.embeddings[i], _vec(1, 1), atol=1e-5)
    assert sorted(index.get(where={"path": "x.md"}).ids) == ["a", "c"]
    assert index.get().embeddings is None

    # upsert replaces
    index.upsert(["a"], np.stack([_vec(0, 0, 1)]), ["doc a2"], [{"path": "z.md"}])
    assert index.count() == 3
    assert index.get(ids=["a"]).documents == ["doc a2"]
    assert index.query(_vec(0, 0, 1), 1)[0][0] == "a"

    index.delete(["a", "b", "not-there"])
    assert index.count() == 1 and index.get().ids == ["c"]
    with pytest.raises(ValueError):
        index.upsert(["d"], np.stack([_vec(1), _vec(1)]), ["d"], [{"path": "d"}])


def test_vector_index_contract(make_index: Callable[[], VectorIndex]) -> None:
    run_contract(make_index())


def test_chroma_persists_across_clients(tmp_path: Path) -> None:
    pytest.importorskip("chromadb")
    a = ChromaVectorIndex("persist", path=tmp_path)
    a.upsert(["x"], np.stack([_vec(1)]), ["t"], [{"path": "a.md"}])
    b = ChromaVectorIndex("persist", path=tmp_path)
    assert b.get().ids == ["x"]


def test_where_evaluator_rejects_unknown_operators() -> None:
    assert matches({"a": 1}, {"a": {"$in": [1, 2]}})
    assert not matches({}, {"a": {"$nin": [1]}})
    with pytest.raises(ValueError):
        matches({"a": 1}, {"a": {"$gt": 0}})
