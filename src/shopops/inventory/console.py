"""Inventory console pages (/console/inventory/), rendered inside the django-unfold admin layout.

Every page names its shop in the URL and checks the caller's role there with the same rule as the
API: not a member -> 404 (another merchant's shop looks like no shop), member without the
permission -> 403. Reading needs inventory.view; every form needs inventory.manage and calls one
service, whose refusal is shown as a message with nothing changed (POST, then redirect).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from shopops.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from shopops.inventory import catalog_reads, replenishment, selectors, services
from shopops.inventory.models import (
    AlertStatus,
    LedgerReason,
    PurchaseOrderStatus,
    ReservationStatus,
    Stock,
)
from shopops.shops import selectors as shop_selectors
from shopops.shops.access import ensure_shop_perm
from shopops.shops.models import Shop

VIEW = "inventory.view"
MANAGE = "inventory.manage"
PAGE_SIZE = 50

TABS = [
    ("stock", _("库存总览"), "inventory_console:stock"),
    ("ledger", _("库存流水"), "inventory_console:ledger"),
    ("alerts", _("低库存提醒"), "inventory_console:alerts"),
    ("replenishment", _("补货建议"), "inventory_console:replenishment"),
    ("purchase_orders", _("采购单"), "inventory_console:purchase_orders"),
]


# --- access and layout ------------------------------------------------------------------------------


def console_page(perm: str = VIEW) -> Callable:
    """Sign-in, then the shop permission rule; POST always needs inventory.manage."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, shop_id: int, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("admin:login"))
            needed = MANAGE if request.method == "POST" else perm
            try:
                ensure_shop_perm(request.user, shop_id, needed)
            except NotFound as exc:
                raise Http404("shop") from exc
            except PermissionDenied as exc:
                raise DjangoPermissionDenied(needed) from exc
            shop = Shop.objects.get(pk=shop_id)
            return view(request, shop, *args, **kwargs)

        return wrapper

    return decorator


def _render(
    request: HttpRequest, template: str, shop: Shop, tab: str, title: str, **context: Any
) -> HttpResponse:
    tabs = [{"key": key, "label": label, "url": reverse(name, args=[shop.id])} for key, label, name in TABS]
    return render(
        request,
        f"inventory/console/{template}",
        {
            **admin.site.each_context(request),
            "title": title,
            "shop": shop,
            "tabs": tabs,
            "active_tab": tab,
            "can_manage": shop_selectors.has_shop_perm(request.user, shop.id, MANAGE),
            **context,
        },
    )


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _run(request: HttpRequest, fn: Callable[[], Any], success: str) -> Any:
    """Call a service; a refusal becomes an error message (the service changed nothing)."""
    try:
        result = fn()
    except DomainError as exc:
        messages.error(request, _describe(exc))
        return None
    messages.success(request, success)
    return result


def _describe(exc: DomainError) -> str:
    details = {k: v for k, v in (exc.details or {}).items() if k not in ("fields",)}
    fields = (exc.details or {}).get("fields") or {}
    extra = "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in fields.items())
    shown = ", ".join(f"{k}={v}" for k, v in details.items() if not isinstance(v, list | dict))
    return " — ".join(part for part in (str(exc.message), extra, shown) if part)


# --- index ------------------------------------------------------------------------------------------


def index(request: HttpRequest) -> HttpResponse:
    """Pick a shop (straight through when the caller works in just one)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    ids = shop_selectors.shop_ids_with_perm(request.user, VIEW)
    shops = Shop.objects.order_by("id") if ids is None else Shop.objects.filter(id__in=ids).order_by("id")
    shops = list(shops[:200])
    if len(shops) == 1:
        return redirect("inventory_console:stock", shops[0].id)
    if not shops:
        raise DjangoPermissionDenied(VIEW)
    context = {**admin.site.each_context(request), "title": _("库存管理"), "shops": shops}
    return render(request, "inventory/console/index.html", context)


# --- stock by warehouse -----------------------------------------------------------------------------


@console_page()
def stock(request: HttpRequest, shop: Shop) -> HttpResponse:
    warehouses = list(selectors.warehouses(shop_id=shop.id))
    warehouse_id = _int(request.GET.get("warehouse"))
    search = (request.GET.get("q") or "").strip()[:64]
    low_only = request.GET.get("low") == "1"
    sku_ids = selectors.stock_matrix_sku_ids(
        shop_id=shop.id, warehouse_id=warehouse_id, search=search or None, low_only=low_only
    )
    page = Paginator(sku_ids, PAGE_SIZE).get_page(request.GET.get("page"))
    ids = list(page.object_list)
    cells: dict[tuple[int, int], Stock] = {
        (row.sku_id, row.warehouse_id): row for row in Stock.objects.filter(shop=shop, sku_id__in=ids)
    }
    labels = catalog_reads.sku_labels(ids)
    levels = selectors.effective_thresholds(shop_id=shop.id, sku_ids=ids)
    low = selectors.low_stock_sku_ids(shop_id=shop.id)
    rows = []
    for sku_id in ids:
        per_warehouse = [cells.get((sku_id, w.id)) for w in warehouses]
        available = sum(
            c.available for c, w in zip(per_warehouse, warehouses, strict=True) if c and w.is_active
        )
        rows.append(
            {
                "sku_id": sku_id,
                "label": labels.get(sku_id),
                "cells": per_warehouse,
                "available": available,
                "threshold": levels.get(sku_id, 0),
                "low": sku_id in low,
            }
        )
    return _render(
        request,
        "stock.html",
        shop,
        "stock",
        str(_("库存总览")),
        warehouses=warehouses,
        rows=rows,
        page=page,
        totals=selectors.stock_totals(shop_id=shop.id),
        open_alerts=len(low),
        filters={"warehouse": warehouse_id, "q": search, "low": low_only},
    )


# --- one SKU: adjust, transfer, count, threshold ------------------------------------------------------


class AdjustForm(forms.Form):
    warehouse = forms.TypedChoiceField(label=_("仓库"), coerce=int)
    delta = forms.IntegerField(label=_("调整数量（负数为减少）"))
    reason = forms.CharField(label=_("原因"), max_length=255)


class TransferForm(forms.Form):
    source = forms.TypedChoiceField(label=_("调出仓"), coerce=int)
    target = forms.TypedChoiceField(label=_("调入仓"), coerce=int)
    quantity = forms.IntegerField(label=_("数量"))
    note = forms.CharField(label=_("备注"), max_length=255, required=False)


class CountForm(forms.Form):
    warehouse = forms.TypedChoiceField(label=_("仓库"), coerce=int)
    counted = forms.IntegerField(label=_("实盘数量"))
    expected = forms.IntegerField(label=_("盘点时在库（可选）"), required=False)
    reason = forms.CharField(label=_("盘点原因"), max_length=255)


class ThresholdForm(forms.Form):
    threshold = forms.IntegerField(label=_("低库存阈值（0 不提醒）"))


def _warehouse_choices(warehouses: list) -> list[tuple[int, str]]:
    return [(w.id, f"{w.name}{'' if w.is_active else ' (停用)'}") for w in warehouses]


@console_page()
@require_http_methods(["GET", "POST"])
def sku_detail(request: HttpRequest, shop: Shop, sku_id: int) -> HttpResponse:
    label = catalog_reads.sku_labels(catalog_reads.skus_of_shop(shop.id, [sku_id])).get(sku_id)
    if label is None:
        raise Http404("sku")
    warehouses = list(selectors.warehouses(shop_id=shop.id))
    choices = _warehouse_choices(warehouses)
    forms_by_action = {
        "adjust": AdjustForm(request.POST if request.POST.get("action") == "adjust" else None),
        "transfer": TransferForm(request.POST if request.POST.get("action") == "transfer" else None),
        "count": CountForm(request.POST if request.POST.get("action") == "count" else None),
        "threshold": ThresholdForm(request.POST if request.POST.get("action") == "threshold" else None),
    }
    for name in ("adjust", "count"):
        forms_by_action[name].fields["warehouse"].choices = choices
    forms_by_action["transfer"].fields["source"].choices = choices
    forms_by_action["transfer"].fields["target"].choices = choices

    if request.method == "POST":
        action = request.POST.get("action")
        form = forms_by_action.get(action)
        if form is None:
            messages.error(request, _("未知操作 / Unknown action"))
        elif not form.is_valid():
            messages.error(request, _("请检查输入 / Please check the form"))
            return _sku_page(request, shop, sku_id, label, warehouses, forms_by_action)
        else:
            _sku_action(request, shop, sku_id, action, form.cleaned_data)
        return redirect("inventory_console:sku", shop.id, sku_id)
    return _sku_page(request, shop, sku_id, label, warehouses, forms_by_action)


def _sku_action(request: HttpRequest, shop: Shop, sku_id: int, action: str, data: dict) -> None:
    actor = request.user
    if action == "adjust":
        _run(
            request,
            lambda: services.adjust_stock(
                shop_id=shop.id,
                warehouse_id=data["warehouse"],
                sku_id=sku_id,
                delta=data["delta"],
                reason=data["reason"],
                actor=actor,
            ),
            str(_("库存已调整")),
        )
    elif action == "transfer":
        _run(
            request,
            lambda: services.transfer_stock(
                shop_id=shop.id,
                from_warehouse_id=data["source"],
                to_warehouse_id=data["target"],
                lines=[services.SkuQuantity(sku_id, data["quantity"])],
                note=data.get("note") or "",
                actor=actor,
            ),
            str(_("调拨完成")),
        )
    elif action == "count":
        _run(
            request,
            lambda: services.record_stocktake(
                shop_id=shop.id,
                warehouse_id=data["warehouse"],
                reason=data["reason"],
                lines=[services.CountLine(sku_id, data["counted"], data.get("expected"))],
                actor=actor,
            ),
            str(_("盘点已记录")),
        )
    elif action == "threshold":
        _run(
            request,
            lambda: services.set_sku_threshold(
                shop_id=shop.id, sku_id=sku_id, threshold=data["threshold"], actor=actor
            ),
            str(_("阈值已保存")),
        )


def _sku_page(request, shop, sku_id, label, warehouses, forms_by_action) -> HttpResponse:
    rows = {row.warehouse_id: row for row in selectors.stock_by_warehouse(shop_id=shop.id, sku_id=sku_id)}
    return _render(
        request,
        "sku.html",
        shop,
        "stock",
        f"{label.code} · {label.display}",
        label=label,
        stock_rows=[(w, rows.get(w.id)) for w in warehouses],
        available=selectors.available_by_sku([sku_id])[sku_id],
        threshold=selectors.effective_thresholds(shop_id=shop.id, sku_ids=[sku_id]).get(sku_id, 0),
        alert=selectors.open_alerts(shop_id=shop.id).filter(sku_id=sku_id).first(),
        ledger=selectors.ledger_entries(shop_id=shop.id, sku_id=sku_id).select_related("warehouse")[:30],
        reservations=selectors.reservations(shop_id=shop.id, status=ReservationStatus.ACTIVE).filter(
            sku_id=sku_id
        )[:30],
        forms=forms_by_action,
    )


# --- ledger -----------------------------------------------------------------------------------------


def _date(value: str | None, *, end: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        return None
    moment = datetime.combine(day, time.max if end else time.min)
    return timezone.make_aware(moment)


def _day(value: str | None):
    moment = _date(value)
    return moment.date() if moment else None


@console_page()
def ledger(request: HttpRequest, shop: Shop) -> HttpResponse:
    params = request.GET
    reason = params.get("reason") if params.get("reason") in LedgerReason.values else None
    entries = selectors.ledger_entries(
        shop_id=shop.id,
        warehouse_id=_int(params.get("warehouse")),
        reason=reason,
        reference=(params.get("reference") or "").strip()[:64] or None,
        since=_date(params.get("since")),
        until=_date(params.get("until"), end=True),
    ).select_related("sku")
    search = (params.get("q") or "").strip()[:64]
    if search:
        entries = entries.filter(sku_id__in=catalog_reads.search_sku_ids(shop.id, search))
    page = Paginator(entries, PAGE_SIZE).get_page(params.get("page"))
    return _render(
        request,
        "ledger.html",
        shop,
        "ledger",
        str(_("库存流水")),
        page=page,
        warehouses=selectors.warehouses(shop_id=shop.id),
        reasons=LedgerReason.choices,
        filters={
            "warehouse": _int(params.get("warehouse")),
            "reason": reason or "",
            "reference": params.get("reference", ""),
            "q": search,
            "since": params.get("since", ""),
            "until": params.get("until", ""),
        },
    )


# --- alerts -----------------------------------------------------------------------------------------


@console_page()
def alerts(request: HttpRequest, shop: Shop) -> HttpResponse:
    status = AlertStatus.RESOLVED if request.GET.get("status") == "resolved" else AlertStatus.OPEN
    page = Paginator(selectors.alerts(shop_id=shop.id, status=status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    ids = [alert.sku_id for alert in page.object_list]
    labels = catalog_reads.sku_labels(ids)
    available = selectors.available_by_sku(ids)
    rows = [(alert, labels.get(alert.sku_id), available.get(alert.sku_id, 0)) for alert in page.object_list]
    return _render(
        request,
        "alerts.html",
        shop,
        "alerts",
        str(_("低库存提醒")),
        page=page,
        rows=rows,
        status=status,
        open_count=selectors.open_alerts(shop_id=shop.id).count(),
    )


# --- replenishment ----------------------------------------------------------------------------------


@console_page()
@require_http_methods(["GET", "POST"])
def replenishment_page(request: HttpRequest, shop: Shop) -> HttpResponse:
    if request.method == "POST":
        single = _int(request.POST.get("sku"))
        sku_ids = [single] if single else [i for i in map(_int, request.POST.getlist("sku_ids")) if i]
        orders = _run(
            request,
            lambda: services.draft_purchase_orders_from_suggestions(
                shop_id=shop.id,
                sku_ids=sku_ids,
                supplier_id=_int(request.POST.get("supplier")),
                warehouse_id=_int(request.POST.get("warehouse")),
                actor=request.user,
            ),
            str(_("已生成采购单草稿")),
        )
        if orders and len(orders) == 1:
            return redirect("inventory_console:purchase_order", shop.id, orders[0].id)
        if orders:
            return redirect("inventory_console:purchase_orders", shop.id)
        return redirect("inventory_console:replenishment", shop.id)
    config = selectors.settings_for(shop.id)
    return _render(
        request,
        "replenishment.html",
        shop,
        "replenishment",
        str(_("补货建议")),
        suggestions=replenishment.suggestions(shop_id=shop.id),
        suppliers=selectors.suppliers(shop_id=shop.id, active_only=True),
        warehouses=selectors.warehouses(shop_id=shop.id, active_only=True),
        config=config,
    )


# --- purchase orders --------------------------------------------------------------------------------


def _parse_lines(shop: Shop, text: str) -> list[services.OrderLineInput]:
    """Lines typed or pasted as "SKU编码 数量 [单价]", one per line (commas or tabs work too)."""
    parsed: list[tuple[int, str, int | None, Decimal | None]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        parts = raw.replace(",", " ").replace("，", " ").replace("\t", " ").split()
        if not parts:
            continue
        if len(parts) not in (2, 3):
            raise InvalidInput(
                f"第 {number} 行格式应为「SKU编码 数量 [单价]」 / Line {number}: expected CODE QTY [COST]",
                code="bad_line",
            )
        quantity = _int(parts[1])
        try:
            cost = Decimal(parts[2]) if len(parts) == 3 else None
        except InvalidOperation as exc:
            raise InvalidInput(f"第 {number} 行单价无效 / Line {number}: bad cost", code="bad_line") from exc
        parsed.append((number, parts[0], quantity, cost))
    ids = catalog_reads.sku_ids_by_code(shop.id, [code for _, code, _, _ in parsed])
    unknown = [f"{number}:{code}" for number, code, _, _ in parsed if code not in ids]
    if unknown:
        raise InvalidInput("SKU 编码不存在 / Unknown SKU codes", code="unknown_sku", lines=unknown)
    return [
        services.OrderLineInput(ids[code], quantity if quantity is not None else 0, cost)
        for _, code, quantity, cost in parsed
    ]


@console_page()
@require_http_methods(["GET", "POST"])
def purchase_orders(request: HttpRequest, shop: Shop) -> HttpResponse:
    if request.method == "POST":

        def create():
            return services.create_purchase_order(
                shop_id=shop.id,
                supplier_id=_int(request.POST.get("supplier")) or 0,
                warehouse_id=_int(request.POST.get("warehouse")) or 0,
                lines=_parse_lines(shop, request.POST.get("lines", "")),
                expected_at=_day(request.POST.get("expected_at")),
                note=request.POST.get("note", ""),
                actor=request.user,
            )

        po = _run(request, create, str(_("采购单草稿已创建")))
        if po is not None:
            return redirect("inventory_console:purchase_order", shop.id, po.id)
        return redirect("inventory_console:purchase_orders", shop.id)
    status = request.GET.get("status") if request.GET.get("status") in PurchaseOrderStatus.values else None
    page = Paginator(selectors.purchase_orders(shop_id=shop.id, status=status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return _render(
        request,
        "purchase_orders.html",
        shop,
        "purchase_orders",
        str(_("采购单")),
        page=page,
        status=status or "",
        statuses=PurchaseOrderStatus.choices,
        suppliers=selectors.suppliers(shop_id=shop.id, active_only=True),
        warehouses=selectors.warehouses(shop_id=shop.id, active_only=True),
    )


@console_page()
@require_http_methods(["GET", "POST"])
def purchase_order(request: HttpRequest, shop: Shop, po_id: int) -> HttpResponse:
    po = selectors.get_purchase_order(shop_id=shop.id, po_id=po_id) if _po_exists(shop, po_id) else None
    if po is None:
        raise Http404("purchase order")
    if request.method == "POST":
        action = request.POST.get("action")
        actor = request.user
        reason = request.POST.get("reason", "")
        if action == "receive":
            lines = [
                services.SkuQuantity(line.sku_id, _int(request.POST.get(f"qty_{line.sku_id}")) or 0)
                for line in po.lines.all()
            ]
            _run(
                request,
                lambda: services.receive_purchase_order(
                    shop_id=shop.id,
                    po_id=po.id,
                    lines=lines,
                    warehouse_id=_int(request.POST.get("warehouse")),
                    note=request.POST.get("note", ""),
                    actor=actor,
                ),
                str(_("收货已入库")),
            )
        elif action == "send":
            _run(
                request,
                lambda: services.send_purchase_order(shop_id=shop.id, po_id=po.id, actor=actor),
                str(_("已发送")),
            )
        elif action == "cancel":
            _run(
                request,
                lambda: services.cancel_purchase_order(
                    shop_id=shop.id, po_id=po.id, reason=reason, actor=actor
                ),
                str(_("已取消")),
            )
        elif action == "close":
            _run(
                request,
                lambda: services.close_purchase_order(
                    shop_id=shop.id, po_id=po.id, reason=reason, actor=actor
                ),
                str(_("已结案")),
            )
        else:
            messages.error(request, _("未知操作 / Unknown action"))
        return redirect("inventory_console:purchase_order", shop.id, po.id)
    lines = list(po.lines.all())
    labels = catalog_reads.sku_labels(line.sku_id for line in lines)
    return _render(
        request,
        "purchase_order.html",
        shop,
        "purchase_orders",
        f"{_('采购单')} {po.number}",
        po=po,
        lines=[(line, labels.get(line.sku_id)) for line in lines],
        total=sum((line.line_total for line in lines), Decimal("0.00")),
        allowed=services.po_actions_allowed(po.status),
        receipts=po.receipts.select_related("received_by", "warehouse").prefetch_related(
            "lines__po_line__sku"
        ),
        warehouses=selectors.warehouses(shop_id=shop.id, active_only=True),
    )


def _po_exists(shop: Shop, po_id: int) -> bool:
    return selectors.purchase_orders(shop_id=shop.id).filter(id=po_id).exists()
