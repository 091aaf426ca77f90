import threading
import time
from pathlib import Path

from retrieval import watch
from retrieval.embedder import HashingEmbedder
from retrieval.index import PlaybookIndex
from retrieval.vector import InMemoryVectorIndex


def _wait_for(cond, timeout: float = 20.0) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return False


def test_watcher_follows_edits_and_stops(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# Alpha\n\nfirst text\n")
    idx = PlaybookIndex(tmp_path, InMemoryVectorIndex(), HashingEmbedder())
    stop = threading.Event()
    t = threading.Thread(target=watch, args=(idx, stop), daemon=True)
    t.start()
    try:
        assert _wait_for(lambda: {d.path for d in idx.documents()} == {"a.md"})
        (tmp_path / "b.md").write_text("# Beta\n\nzebra crossing\n")
        assert _wait_for(lambda: {d.path for d in idx.documents()} == {"a.md", "b.md"})
        (tmp_path / "a.md").unlink()
        assert _wait_for(lambda: {d.path for d in idx.documents()} == {"b.md"})
    finally:
        stop.set()
        t.join(timeout=10)
    assert not t.is_alive()
