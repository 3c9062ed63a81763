"""Read-only figures for the operator console's dashboard.

Platform operators see the whole platform; merchant staff who can reach the admin see only the
shops they belong to (shops.selectors decides which). Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from shopops.core.models import AuditLog
from shopops.shops.models import Membership, MembershipStatus, ShopStatus
from shopops.shops.selectors import is_platform_admin, shops_visible_to

TREND_DAYS = 14
RECENT_AUDIT_EVENTS = 8


@dataclass(frozen=True)
class DailyCount:
    day: date
    count: int


def shop_counts_by_status(user) -> dict[str, int]:
    """{"pending": n, "active": n, "suspended": n, "total": n} over the shops the user may see."""
    rows = shops_visible_to(user).values("status").annotate(n=Count("id"))
    counts = {status.value: 0 for status in ShopStatus}
    for row in rows:
        counts[row["status"]] = row["n"]
    counts["total"] = sum(counts[s.value] for s in ShopStatus)
    return counts


def user_counts(now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    users = get_user_model().objects
    return users.aggregate(
        total=Count("id"),
        active=Count("id", filter=Q(is_active=True)),
        new_7d=Count("id", filter=Q(date_joined__gte=now - timedelta(days=7))),
        staff=Count("id", filter=Q(is_staff=True, is_active=True)),
    )


def merchant_staff_count() -> int:
    """People holding an active role in at least one shop."""
    return (
        Membership.objects.filter(status=MembershipStatus.ACTIVE, shop__isnull=False)
        .values("user_id")
        .distinct()
        .count()
    )


def daily_signups(days: int = TREND_DAYS, now: datetime | None = None) -> list[DailyCount]:
    """New accounts per local calendar day, oldest first, with zero-days filled in."""
    today = timezone.localdate(now or timezone.now())
    first = today - timedelta(days=days - 1)
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    rows = (
        get_user_model()
        .objects.filter(date_joined__gte=start)
        .annotate(day=TruncDate("date_joined", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(n=Count("id"))
    )
    by_day = {row["day"]: row["n"] for row in rows}
    return [
        DailyCount(day=first + timedelta(days=i), count=by_day.get(first + timedelta(days=i), 0))
        for i in range(days)
    ]


def recent_audit_events(user, limit: int = RECENT_AUDIT_EVENTS) -> list[AuditLog]:
    events = AuditLog.objects.select_related("actor").order_by("-created_at", "-id")
    if not is_platform_admin(user):
        visible = list(shops_visible_to(user).values_list("id", flat=True))
        events = events.filter(shop_id__in=visible)
    return list(events[:limit])


def audit_events_today(user, now: datetime | None = None) -> int:
    today = timezone.localdate(now or timezone.now())
    start = timezone.make_aware(datetime.combine(today, datetime.min.time()))
    events = AuditLog.objects.filter(created_at__gte=start)
    if not is_platform_admin(user):
        events = events.filter(shop_id__in=shops_visible_to(user).values("id"))
    return events.count()
