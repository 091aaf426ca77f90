import pytest

from retrieval import fusion


def test_rrf_rewards_agreement() -> None:
    s = fusion.rrf([["a", "b", "c"], ["b", "a", "d"]], k=60)
    assert s["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert s["a"] == pytest.approx(s["b"])
    assert s["a"] > s["c"] > 0 and s["d"] == pytest.approx(1 / 63)


def test_rrf_weights_break_ties_towards_heavier_ranking() -> None:
    s = fusion.rrf([["a", "b"], ["b", "a"]], weights=[2.0, 1.0], k=10)
    assert s["a"] > s["b"]
    with pytest.raises(ValueError):
        fusion.rrf([["a"]], weights=[1.0, 2.0])


def test_term_overlap() -> None:
    assert fusion.term_overlap(["refund", "policy"], ["refund", "credit"]) == 0.5
    assert fusion.term_overlap([], ["x"]) == 0.0


def test_minmax() -> None:
    assert fusion.minmax({"a": 2.0, "b": 4.0}) == {"a": 0.0, "b": 1.0}
    assert fusion.minmax({"a": 3.0}) == {"a": 1.0}


def test_zscores_standardise_over_the_given_pool() -> None:
    z = fusion.zscores({"a": 3.0, "b": 1.0, "c": 2.0})
    assert z["c"] == pytest.approx(0.0) and z["a"] == pytest.approx(-z["b"]) and z["a"] > 0
    # stats from a pool: a key outside it is scored in the pool's units, not re-centred
    z = fusion.zscores({"a": 3.0, "b": 1.0, "x": 5.0}, stats_keys=["a", "b"])
    assert z["a"] == pytest.approx(1.0) and z["b"] == pytest.approx(-1.0) and z["x"] == pytest.approx(3.0)
    assert fusion.zscores({"a": 1.0, "b": 1.0}) == {"a": 0.0, "b": 0.0}
    assert fusion.zscores({}) == {}


def test_convex_keeps_the_margin_rrf_throws_away() -> None:
    # dense barely separates a and b; BM25 strongly prefers b: the fused order follows the larger margin
    dense = fusion.zscores({"a": 0.61, "b": 0.60, "c": 0.20})
    lexical = fusion.zscores({"a": 1.0, "b": 9.0, "c": 0.5})
    s = fusion.convex([dense, lexical], [0.5, 0.5])
    assert s["b"] > s["a"] > s["c"]
    r = fusion.rrf([["a", "b", "c"], ["b", "a", "c"]])
    assert r["a"] == pytest.approx(r["b"])  # RRF: a tie, whatever the margins
    with pytest.raises(ValueError):
        fusion.convex([dense], [0.5, 0.5])
