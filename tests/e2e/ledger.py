"""What was sent and what each device saw, counted the Jepsen way (lost, duplicated,
unexpected), with emergency re-alerts told apart from transport duplicates."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from tests.e2e.watcher import Watcher


@dataclass
class Ledger:
    """Requests as the senders saw them. A text is unique per request; a group send puts the
    same text in the queue of every member (one message, one umid, per user)."""

    attempted: int = 0
    accepted: dict[str, set[int]] = field(default_factory=dict)  # text -> recipient users
    indeterminate: dict[str, set[int]] = field(default_factory=dict)  # no answer: unknown
    transport_errors: list[str] = field(default_factory=list)  # why each had no answer
    refused: list[str] = field(default_factory=list)
    receipts: dict[str, set[int]] = field(default_factory=dict)  # receipt -> recipient users

    def expected_for(self, user: int) -> set[str]:
        return {t for t, users in self.accepted.items() if user in users}

    @property
    def messages(self) -> int:
        """Accepted messages: one per recipient user of each accepted request."""
        return sum(len(u) for u in self.accepted.values())


@dataclass(frozen=True)
class DeviceCount:
    name: str
    expected: int
    unique: int  # distinct texts downloaded that were expected
    lost: int  # expected, never downloaded
    unexpected: int  # downloaded, never accepted (a recovered indeterminate is not counted)
    duplicated: int  # one accepted message downloaded under two umids, or a non-emergency
    #                  umid under two delivery ids: the device would alert twice
    redownloads: int  # the same delivery id downloaded again (a transport duplicate)
    realerts: int  # new delivery ids of emergency messages after the first one
    nudges: int


def count(ledger: Ledger, watcher: Watcher) -> DeviceCount:
    expected = ledger.expected_for(watcher.user_index)
    seen = watcher.texts()
    umids_by_text: dict[str, set[int]] = defaultdict(set)
    ids_by_umid: dict[int, set[int]] = defaultdict(set)
    emergency: set[int] = set()
    for s in watcher.seen:
        umids_by_text[s.text].add(s.umid)
        ids_by_umid[s.umid].add(s.delivery_id)
        if s.priority == 2:
            emergency.add(s.umid)
    per_delivery = Counter(s.delivery_id for s in watcher.seen)
    twice = sum(len(u) - 1 for u in umids_by_text.values())
    twice += sum(len(ids) - 1 for umid, ids in ids_by_umid.items() if umid not in emergency)
    recovered = {t for t, users in ledger.indeterminate.items() if watcher.user_index in users}
    return DeviceCount(
        name=watcher.name, expected=len(expected), unique=len(seen & expected),
        lost=len(expected - seen), unexpected=len(seen - expected - recovered),
        duplicated=twice, redownloads=sum(n - 1 for n in per_delivery.values()),
        realerts=sum(len(ids_by_umid[u]) - 1 for u in emergency), nudges=watcher.nudges,
    )


def summary(ledger: Ledger, counts: list[DeviceCount], faults: list[str],
            realerts_expected: int, extra: dict[str, object]) -> str:
    """The report printed at the end of the run."""
    total = lambda attr: sum(getattr(c, attr) for c in counts)  # noqa: E731
    lines = [
        "=== scale-out proof ===",
        f"requests attempted      {ledger.attempted}",
        f"requests accepted (200) {len(ledger.accepted)}"
        f"  -> messages {ledger.messages} (one per recipient user)",
        f"refused / indeterminate {len(ledger.refused)} / {len(ledger.indeterminate)}",
        f"devices                 {len(counts)}",
        f"device deliveries due   {total('expected')}",
        f"unique received         {total('unique')}",
        f"LOST                    {total('lost')}",
        f"unexpected              {total('unexpected')}",
        f"duplicated (app level)  {total('duplicated')}",
        f"re-downloads (transport){total('redownloads'):>6}",
        f"re-alerts expected/seen {realerts_expected}/{total('realerts')}",
        f"'!' nudges received     {total('nudges')}",
        *(f"{k:<24}{v}" for k, v in extra.items()),
        "faults: " + "; ".join(faults),
        "per device (expected unique lost dup redl realerts nudges):",
        *(f"  {c.name:<28} {c.expected:>5} {c.unique:>5} {c.lost:>3} {c.duplicated:>3} "
          f"{c.redownloads:>4} {c.realerts:>4} {c.nudges:>5}" for c in counts),
    ]
    return "\n".join(lines)
