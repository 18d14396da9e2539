"""The circuit breaker: a marketplace whose checks are mostly blocked or unreachable in a run is
degraded, so none of its verdicts may mark listings removed. Pure bookkeeping, no I/O."""

from dataclasses import dataclass

FAILING = frozenset({"blocked", "unreachable"})


@dataclass
class Counts:
    """Checks of one marketplace so far, and how many of them failed."""

    total: int = 0
    failing: int = 0


class Breaker:
    """Counts per marketplace; trips when at least `minimum` checks were made and more than
    `share` of them were blocked or unreachable. Not thread-safe: feed it from one thread."""

    def __init__(self, minimum: int = 20, share: float = 0.5):
        self.minimum = minimum
        self.share = share
        self.counts: dict[str, Counts] = {}

    def record(self, marketplace: str, verdict: str | None) -> None:
        """Count one check's verdict (None, a paused listing, counts for nothing)."""
        if verdict is not None:
            self.add_counts(marketplace, 1, int(verdict in FAILING))

    def add_counts(self, marketplace: str, total: int, failing: int) -> None:
        """Add checks counted elsewhere (e.g. other workers' checks read from a database)."""
        counts = self.counts.setdefault(marketplace, Counts())
        counts.total += total
        counts.failing += failing

    def tripped(self, marketplace: str) -> bool:
        """Whether the marketplace's checks should be paused for the rest of the run."""
        counts = self.counts.get(marketplace)
        return (counts is not None and counts.total >= self.minimum
                and counts.failing > self.share * counts.total)

    def paused(self, marketplace: str) -> bool:
        """`tripped`, under the name engine.check_many's `paused` argument expects."""
        return self.tripped(marketplace)
