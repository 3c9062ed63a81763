"""Reads of the orders app, for pages, the API and other apps (after-sales, reviews, analytics).

Shopper reads take the user and answer OrderNotFound for anyone else's order (no probing by number);
shop reads take the shop id and never return another shop's order.

    my_orders(user, *, status=None) -> QuerySet[Order]
    my_order(user, number) -> Order                          OrderNotFound (404) if not theirs
    my_group(user, number) -> OrderGroup                     OrderGroupNotFound (404)
    my_status_counts(user) -> {status: count}
    shop_orders(*, shop_ids, status=None, since=None, until=None, q="", has_exception=None) -> QuerySet
    shop_order(shop_id, number) -> Order                     OrderNotFound for another shop's order
    shop_status_counts(shop_ids) -> {status: count}
    timeline(order) -> list[OrderEvent]
    order_by_number(number) -> Order | None                  (services of other apps; no access check)
    order_line(order, line_id) -> OrderLine                  OrderNotFound for a line of another order
    purchased_lines(user, *, product_id=None, statuses=(completed,)) -> QuerySet[OrderLine]
    has_bought(user, product_id) -> bool                     a completed order holds the product
    order_metrics(*, shop_ids, since, until) -> OrderMetrics  the analytics first cut
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from shopops.core.money import ZERO
from shopops.orders.errors import OrderGroupNotFound, OrderNotFound
from shopops.orders.models import Order, OrderEvent, OrderGroup, OrderLine, OrderRefund, OrderStatus

MAX_ANALYTICS_DAYS = 366


def _with_details(qs: QuerySet[Order]) -> QuerySet[Order]:
    return qs.select_related("shop", "group", "user").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("id"))
    )


# --- shopper ---------------------------------------------------------------------------------------------


def my_orders(user: Any, *, status: str | None = None) -> QuerySet[Order]:
    qs = Order.objects.filter(user_id=user.pk)
    if status:
        qs = qs.filter(status=status)
    return _with_details(qs).order_by("-created_at", "-id")


def my_order(user: Any, number: str) -> Order:
    order = _with_details(Order.objects.filter(user_id=getattr(user, "pk", None), number=number)).first()
    if order is None:
        raise OrderNotFound(number=number)
    return order


def my_group(user: Any, number: str) -> OrderGroup:
    group = OrderGroup.objects.filter(user_id=getattr(user, "pk", None), number=number).first()
    if group is None:
        raise OrderGroupNotFound(number=number)
    return group


def group_orders(group: OrderGroup) -> list[Order]:
    return list(_with_details(Order.objects.filter(group=group)).order_by("shop_id", "id"))


def my_status_counts(user: Any) -> dict[str, int]:
    rows = Order.objects.filter(user_id=user.pk).values("status").annotate(n=Count("id"))
    counts = dict.fromkeys(OrderStatus.values, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def local_day_bounds(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """[since 00:00, the day after until 00:00) in the site's time zone, for date filters."""
    tz = timezone.get_current_timezone()
    start = datetime.combine(since, datetime.min.time(), tzinfo=tz) if since else None
    end = datetime.combine(until + timedelta(days=1), datetime.min.time(), tzinfo=tz) if until else None
    return start, end


# --- shop ------------------------------------------------------------------------------------------------


def shop_orders(
    *,
    shop_ids: Iterable[int] | None,
    status: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    q: str = "",
    has_exception: bool | None = None,
) -> QuerySet[Order]:
    """Orders of `shop_ids` (None: every shop, for platform staff), newest first, filtered."""
    qs = Order.objects.all()
    if shop_ids is not None:
        qs = qs.filter(shop_id__in=list(shop_ids))
    if status:
        qs = qs.filter(status=status)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    q = (q or "").strip()
    if q:
        # Order numbers and waybill numbers are what operators paste; both are exact-prefix searches.
        qs = qs.filter(Q(number__startswith=q) | Q(waybill_no__startswith=q) | Q(group__number=q))
    if has_exception is not None:
        qs = qs.filter(has_exception=has_exception)
    return _with_details(qs).order_by("-created_at", "-id")


def shop_order(shop_id: int, number: str) -> Order:
    order = _with_details(Order.objects.filter(shop_id=shop_id, number=number)).first()
    if order is None:
        raise OrderNotFound(number=number)
    return order


def shop_status_counts(shop_ids: Iterable[int] | None) -> dict[str, int]:
    qs = Order.objects.all()
    if shop_ids is not None:
        qs = qs.filter(shop_id__in=list(shop_ids))
    counts = dict.fromkeys(OrderStatus.values, 0)
    counts.update({row["status"]: row["n"] for row in qs.values("status").annotate(n=Count("id"))})
    counts["exception"] = qs.filter(has_exception=True).count()
    return counts


# --- shared ----------------------------------------------------------------------------------------------


def timeline(order: Order) -> list[OrderEvent]:
    return list(OrderEvent.objects.filter(order=order).select_related("actor").order_by("created_at", "id"))


def refunds_of(order: Order) -> list[OrderRefund]:
    return list(OrderRefund.objects.filter(order=order).order_by("created_at", "id"))


def order_by_number(number: str) -> Order | None:
    return _with_details(Order.objects.filter(number=number)).first()


def order_line(order: Order, line_id: int) -> OrderLine:
    line = OrderLine.objects.filter(order=order, pk=line_id).first()
    if line is None:
        raise OrderNotFound("订单商品不存在 / Order line not found", order_no=order.number, line_id=line_id)
    return line


def purchased_lines(
    user: Any, *, product_id: int | None = None, statuses: Iterable[str] = (OrderStatus.COMPLETED,)
) -> QuerySet[OrderLine]:
    qs = OrderLine.objects.filter(order__user_id=user.pk, order__status__in=list(statuses))
    if product_id is not None:
        qs = qs.filter(product_id=product_id)
    return qs.select_related("order").order_by("-order__created_at", "id")


def has_bought(user: Any, product_id: int) -> bool:
    return purchased_lines(user, product_id=product_id).exists()


# --- analytics (first cut) -------------------------------------------------------------------------------


@dataclass
class MetricRow:
    """Figures for one bucket (a day or a shop). Orders are counted by the day they were placed."""

    key: Any
    label: str = ""
    placed: int = 0
    paid: int = 0
    gmv: Decimal = ZERO
    refunded: Decimal = ZERO
    refunded_orders: int = 0

    @property
    def average_order_value(self) -> Decimal:
        return (self.gmv / self.paid).quantize(Decimal("0.01")) if self.paid else ZERO

    @property
    def conversion(self) -> float:
        """Paid orders / placed orders."""
        return round(self.paid / self.placed, 4) if self.placed else 0.0

    @property
    def refund_rate(self) -> float:
        """Money refunded / GMV."""
        return round(float(self.refunded / self.gmv), 4) if self.gmv else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": str(self.key),
            "label": self.label,
            "placed": self.placed,
            "paid": self.paid,
            "gmv": self.gmv,
            "average_order_value": self.average_order_value,
            "conversion": self.conversion,
            "refunded": self.refunded,
            "refunded_orders": self.refunded_orders,
            "refund_rate": self.refund_rate,
        }


@dataclass
class OrderMetrics:
    since: date
    until: date  # exclusive
    total: MetricRow
    by_day: list[MetricRow] = field(default_factory=list)
    by_shop: list[MetricRow] = field(default_factory=list)


def _aggregates() -> dict[str, Any]:
    money = DecimalField(max_digits=16, decimal_places=2)
    paid = Q(paid_at__isnull=False)
    return {
        "placed": Count("id"),
        "paid": Count("id", filter=paid),
        "gmv": Coalesce(Sum("total", filter=paid), Value(ZERO), output_field=money),
        "refunded": Coalesce(Sum("refunded_amount"), Value(ZERO), output_field=money),
        "refunded_orders": Count("id", filter=Q(refunded_amount__gt=0)),
    }


def _row(key: Any, values: dict[str, Any], label: str = "") -> MetricRow:
    return MetricRow(
        key=key,
        label=label,
        placed=values["placed"],
        paid=values["paid"],
        gmv=values["gmv"],
        refunded=values["refunded"],
        refunded_orders=values["refunded_orders"],
    )


def analytics_range(since: date | None, until: date | None, *, default_days: int = 30) -> tuple[date, date]:
    """[since, until) in local dates; `until` is inclusive on input (the last day shown)."""
    today = timezone.localdate()
    last = until or today
    first = since or (last - timedelta(days=default_days - 1))
    if first > last:
        first, last = last, first
    if (last - first).days >= MAX_ANALYTICS_DAYS:
        first = last - timedelta(days=MAX_ANALYTICS_DAYS - 1)
    return first, last + timedelta(days=1)


def order_metrics(
    *, shop_ids: Iterable[int] | None, since: date | None = None, until: date | None = None
) -> OrderMetrics:
    """Order count, GMV, AOV, payment conversion and refund rate, in total, per day and per shop.

    Definitions: placed = orders created in the range; paid = those of them that were paid; GMV =
    their paid totals (goods after discounts plus shipping); AOV = GMV / paid; conversion =
    paid / placed; refund rate = refunded money / GMV. `shop_ids` None means every shop.
    """
    from shopops.shops.models import Shop

    first, end = analytics_range(since, until)
    tz = timezone.get_current_timezone()
    start_dt = datetime.combine(first, datetime.min.time(), tzinfo=tz)
    end_dt = datetime.combine(end, datetime.min.time(), tzinfo=tz)
    qs = Order.objects.filter(created_at__gte=start_dt, created_at__lt=end_dt)
    if shop_ids is not None:
        qs = qs.filter(shop_id__in=list(shop_ids))
    aggregates = _aggregates()
    total = _row("total", qs.aggregate(**aggregates))
    per_day = {
        row["day"]: row
        for row in qs.annotate(day=TruncDate("created_at", tzinfo=tz)).values("day").annotate(**aggregates)
    }
    empty = {"placed": 0, "paid": 0, "gmv": ZERO, "refunded": ZERO, "refunded_orders": 0}
    by_day = []
    day = first
    while day < end:
        by_day.append(_row(day, per_day.get(day, empty), day.isoformat()))
        day += timedelta(days=1)
    shop_rows = list(qs.values("shop_id").annotate(**aggregates).order_by("-gmv", "shop_id"))
    names = dict(Shop.objects.filter(id__in=[r["shop_id"] for r in shop_rows]).values_list("id", "name"))
    by_shop = [_row(r["shop_id"], r, names.get(r["shop_id"], "")) for r in shop_rows]
    return OrderMetrics(since=first, until=end, total=total, by_day=by_day, by_shop=by_shop)
