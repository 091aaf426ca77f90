"""A review as text (the terminal, a Slack code block) and as the governance-channel post.

The post goes to ``tiers.yaml`` ``segmentation.channel`` (else ``reporting.leadership_channel``): the proposed moves
are CS leadership's to sign off (tier-definitions.md), so the post says how to apply them rather than applying.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.kpi.format import text_table
from bot.notify import FileUpload, Outbound, SentRef
from bot.policies import Policies
from bot.segments.placement import DOWN, DOWN_KEPT, END_PROMISE, HELD, SET, UNPLACEABLE, UP
from bot.segments.review import Review
from bot.services import Services

ACTION_LABELS = {
    UP: "move up now",
    DOWN: "move down now (no renewal ahead)",
    DOWN_KEPT: "move down at renewal (promises kept until then)",
    SET: "placed from a tier no policy knows",
    END_PROMISE: "kept promise no longer needed",
    HELD: "held by an approved override",
    UNPLACEABLE: "cannot be placed (no value, no orders)",
}
MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # a bigger CSV stays on disk; the post says where


class SegmentError(Exception):
    pass


@dataclass(frozen=True)
class SegmentReviewPost:
    """The governance post's view: rendered to Block Kit by ``bot.slack.views.kpi``."""

    title: str
    summary: tuple[str, ...]
    moves: str  # a text table (code block)
    owners: str  # a text table, or "" when no owner's book changes
    notes: tuple[str, ...]


def owner_name(policies: Policies, owner: str) -> str:
    staff = policies.staff(owner)
    group = policies.group(owner)
    if staff is not None:
        return staff.name
    if group is not None:
        return f"@{group.handle}"
    return "no owner" if owner == "—" else f"{owner} (not in roles.yaml)"


def summary_lines(review: Review) -> list[str]:
    verb = "moved" if review.applied else "would move"
    out = [
        f"{review.customers:,} customers placed as of {review.as_of.isoformat()}: {review.moves:,} {verb} "
        f"({review.seconds:.1f} s)"
    ]
    for action in (UP, DOWN, DOWN_KEPT, SET, END_PROMISE, HELD, UNPLACEABLE):
        if review.counts[action]:
            out.append(f"{review.counts[action]:,} {ACTION_LABELS[action]}")
    flows = ", ".join(f"{a} → {b}: {n:,}" for (a, b), n in sorted(review.flows.items(), key=lambda kv: -kv[1]))
    if flows:
        out.append(f"by tier: {flows}")
    for currency, n in sorted(review.unpriced.items()):
        orders = "order" if n == 1 else "orders"
        out.append(f"{n:,} {orders} in {currency} not counted: add {currency} to exchange_rates in tiers.yaml")
    return out


MOVE_HEADER = ["customer", "owner", "from", "to", "when", "why"]


def move_rows(review: Review, policies: Policies) -> list[list[str]]:
    assert review.tiers is not None
    return [
        [
            m.name[:40],
            owner_name(policies, m.owner or "—")[:24],
            m.served,
            m.placed,
            f"at renewal {m.renewal_date}" if m.action == DOWN_KEPT else "now",
            m.why(review.tiers),
        ]
        for m in review.top
    ]


OWNER_HEADER = ["owner", "gains", "loses", "holds after", "over cap"]


def owner_rows(review: Review, policies: Policies) -> list[list[str]]:
    def tiers(d: dict[str, int]) -> str:
        return ", ".join(f"{n} {t}" for t, n in sorted(d.items())) or "-"

    return [
        [
            owner_name(policies, o.owner)[:28],
            tiers(o.gained),
            tiers(o.lost),
            tiers(o.after),
            ", ".join(f"{t} (cap {cap})" for t, cap in o.over_cap.items()) or "-",
        ]
        for o in review.owners
    ]


def text_report(review: Review, policies: Policies) -> str:
    parts = ["\n".join(summary_lines(review))]
    if review.top:
        parts.append(f"Largest moves (of {review.moves:,}):\n" + text_table(MOVE_HEADER, move_rows(review, policies)))
    if review.owners:
        parts.append("Owner impact:\n" + text_table(OWNER_HEADER, owner_rows(review, policies)))
    if review.unplaceable:
        names = ", ".join(m.name for m in review.unplaceable[:10])
        parts.append(
            f"{review.counts[UNPLACEABLE]:,} customers have no lifetime value, no ARR and no orders in 12 months, "
            f"so nothing places them; they keep their tier. Fix their record first: {names}"
        )
    unknown = [o.owner for o in review.owners if not o.known]
    if unknown:
        parts.append(f"Owners not in roles.yaml: {', '.join(unknown)} (add them, or reassign their accounts)")
    if review.csv_path is not None:
        parts.append(f"Every move: {review.csv_path}")
    return "\n\n".join(parts)


def review_channel(policies: Policies) -> str:
    channel = policies.tiers.segmentation.channel or policies.tiers.reporting.leadership_channel
    if channel is None:
        raise SegmentError("tiers.yaml names no segmentation.channel (or reporting.leadership_channel) to post to")
    return channel


def post_review(services: Services, review: Review, channel: str | None = None) -> SentRef:
    """Post the review to the governance channel; the CSV goes in its thread when the notifier can upload it."""
    policies = services.policies
    target = channel or review_channel(policies)
    what = "Tier moves applied" if review.applied else "Segmentation review: proposed tier moves"
    notes = []
    if not review.applied:
        notes.append(
            f"CS leadership signs these off; then `rapport segment --as-of {review.as_of.isoformat()} --apply` "
            "moves them (down moves keep their promises until renewal)."
        )
    if review.unplaceable:
        notes.append(f"{review.counts[UNPLACEABLE]:,} customers cannot be placed: no value on record and no orders.")
    view = SegmentReviewPost(
        f"{what} as of {review.as_of.isoformat()}",
        tuple(summary_lines(review)),
        text_table(MOVE_HEADER, move_rows(review, policies)) if review.top else "",
        text_table(OWNER_HEADER, owner_rows(review, policies)) if review.owners else "",
        tuple(notes),
    )
    text = f"{what} as of {review.as_of.isoformat()}: {review.moves:,} of {review.customers:,} customers"
    ref = services.notifier.send(Outbound(target, text, view))
    upload = getattr(services.notifier, "upload", None)
    path = review.csv_path
    if upload is not None and path is not None and path.stat().st_size <= MAX_UPLOAD_BYTES:
        upload(
            ref.channel, [FileUpload(path.name, path.read_bytes(), "Every move (CSV)", "tier moves")], thread_ts=ref.ts
        )
    return ref
