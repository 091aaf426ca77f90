"""Prometheus metrics on ``prometheus_client``: counters, histograms and database-backed gauges by name.

A thin facade so callers name a metric where they record it (``inc``/``observe``/``gauge``) instead of
declaring every metric up front: the first call creates the ``prometheus_client`` object with the label
names it was given. Each :class:`Registry` owns its own ``CollectorRegistry``, so tests and several
in-process servers never share series. Names are unchanged from the hand-written registry this replaced,
so dashboards keep working; only number formatting follows the client (``2.0`` where it printed ``2``).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

Labels = tuple[tuple[str, str], ...]
# A gauge callback returns one value, or one value per label set (e.g. outbox rows by state).
GaugeValue = float | Mapping[Labels, float]
F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

log = logging.getLogger(__name__)


class _CallbackGauge(Collector):
    """A gauge read when scraped (from the shared database): every replica reports the cluster-wide value."""

    def __init__(self, name: str, fn: Callable[[], GaugeValue], help_: str) -> None:
        self.name, self.fn, self.help = name, fn, help_

    def collect(self) -> Iterator[Metric]:
        try:
            value = self.fn()
        except Exception as exc:  # a gauge whose source is down is left out, not a failed scrape
            log.debug("gauge %s skipped: %s", self.name, type(exc).__name__)
            return
        if not isinstance(value, Mapping):
            yield GaugeMetricFamily(self.name, self.help, value=float(value))
            return
        names = [k for k, _ in next(iter(value), ())]
        family = GaugeMetricFamily(self.name, self.help, labels=names)
        for labels, v in sorted(value.items()):
            family.add_metric([val for _, val in labels], float(v))
        yield family

    def describe(self) -> list[Metric]:
        return []  # not collected at registration: the database may not be up yet


class Registry:
    def __init__(self) -> None:
        disable_created_metrics()  # process-wide: ``*_created`` timestamps are noise on every scrape
        self.registry = CollectorRegistry(auto_describe=False)
        self._lock = threading.Lock()
        self._counters: dict[str, Counter] = {}
        self._hists: dict[str, Histogram] = {}

    def _counter(self, name: str, help_: str, labelnames: tuple[str, ...]) -> Counter:
        with self._lock:
            c = self._counters.get(name)
            if c is None:
                c = Counter(name, help_, labelnames, registry=self.registry)
                self._counters[name] = c
            return c

    def _histogram(self, name: str, help_: str, labelnames: tuple[str, ...]) -> Histogram:
        with self._lock:
            h = self._hists.get(name)
            if h is None:
                h = Histogram(name, help_, labelnames, buckets=DEFAULT_BUCKETS, registry=self.registry)
                self._hists[name] = h
            return h

    def inc(self, name: str, help_: str = "", value: float = 1.0, **labels: str) -> None:
        counter = self._counter(name, help_, tuple(sorted(labels)))
        (counter.labels(**labels) if labels else counter).inc(value)

    def observe(self, name: str, seconds: float, help_: str = "", **labels: str) -> None:
        hist = self._histogram(name, help_, tuple(sorted(labels)))
        (hist.labels(**labels) if labels else hist).observe(seconds)

    def gauge(self, name: str, fn: Callable[[], GaugeValue], help_: str = "") -> None:
        self.registry.register(_CallbackGauge(name, fn, help_))

    def counter_value(self, name: str, **labels: str) -> float:
        sample = name if name.endswith("_total") else f"{name}_total"
        return self.registry.get_sample_value(sample, labels) or 0.0

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
        return generate_latest(self.registry).decode()
