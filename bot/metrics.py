"""A small Prometheus text-format registry (counters, gauges, histograms); thread-safe, no dependencies."""

from __future__ import annotations

import functools
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

Labels = tuple[tuple[str, str], ...]
# A gauge callback returns one value, or one value per label set (e.g. outbox rows by state).
GaugeValue = float | Mapping[Labels, float]
F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _fmt(labels: Labels, extra: tuple[tuple[str, str], ...] = ()) -> str:
    items = labels + extra
    if not items:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in items) + "}"


def _escape(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Registry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[str, dict[Labels, float]] = defaultdict(dict)
        self._hist: dict[str, dict[Labels, list[float]]] = defaultdict(dict)
        self._help: dict[str, tuple[str, str]] = {}
        self._gauges: dict[str, Callable[[], GaugeValue]] = {}

    def inc(self, name: str, help_: str = "", value: float = 1.0, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            self._help.setdefault(name, ("counter", help_))
            self._counters[name][key] = self._counters[name].get(key, 0.0) + value

    def observe(self, name: str, seconds: float, help_: str = "", **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            self._help.setdefault(name, ("histogram", help_))
            h = self._hist[name].setdefault(key, [0.0] * (len(DEFAULT_BUCKETS) + 2))
            for i, b in enumerate(DEFAULT_BUCKETS):
                if seconds <= b:
                    h[i] += 1
            h[-2] += 1  # count
            h[-1] += seconds  # sum

    def gauge(self, name: str, fn: Callable[[], GaugeValue], help_: str = "") -> None:
        with self._lock:
            self._help[name] = ("gauge", help_)
            self._gauges[name] = fn

    def counter_value(self, name: str, **labels: str) -> float:
        return self._counters.get(name, {}).get(tuple(sorted(labels.items())), 0.0)

    def timed(self, name: str, help_: str = "", **labels: str) -> Callable[[F], F]:
        """Decorator: observe the wall time of each call (also when it raises) into histogram ``name``."""

        def wrap(fn: F) -> F:
            @functools.wraps(fn)
            def inner(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return fn(*args, **kwargs)
                finally:
                    self.observe(name, time.perf_counter() - started, help_, **labels)

            return inner  # type: ignore[return-value]

        return wrap

    def render(self) -> str:
        lines: list[str] = []
        with self._lock:
            for name, series in sorted(self._counters.items()):
                kind, help_ = self._help[name]
                lines += [f"# HELP {name} {help_}", f"# TYPE {name} {kind}"]
                lines += [f"{name}{_fmt(k)} {v:g}" for k, v in sorted(series.items())]
            for name, hseries in sorted(self._hist.items()):
                _, help_ = self._help[name]
                lines += [f"# HELP {name} {help_}", f"# TYPE {name} histogram"]
                for k, h in sorted(hseries.items()):
                    for i, b in enumerate(DEFAULT_BUCKETS):
                        lines.append(f"{name}_bucket{_fmt(k, (('le', f'{b:g}'),))} {h[i]:g}")
                    lines.append(f"{name}_bucket{_fmt(k, (('le', '+Inf'),))} {h[-2]:g}")
                    lines.append(f"{name}_count{_fmt(k)} {h[-2]:g}")
                    lines.append(f"{name}_sum{_fmt(k)} {h[-1]:.6f}")
            gauges = dict(self._gauges)
        for name, fn in sorted(gauges.items()):
            try:
                value = fn()
            except Exception:  # a gauge whose source is down is left out, not a failed scrape
                continue
            _, help_ = self._help[name]
            lines += [f"# HELP {name} {help_}", f"# TYPE {name} gauge"]
            if isinstance(value, Mapping):
                lines += [f"{name}{_fmt(k)} {v:g}" for k, v in sorted(value.items())]
            else:
                lines.append(f"{name} {value:g}")
        return "\n".join(lines) + "\n"
