"""Payments in the operations console (django-unfold), for platform staff only.

Money records are never edited by hand: every change goes through services (admin actions), and
notifications are shown raw and read-only. Reconciliation runs are started from "add" (the form
asks for the period) and computed by the Celery task.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline

from shopops.core.errors import DomainError
from shopops.payments import selectors, services
from shopops.payments.access import reconcile_permission
from shopops.payments.gateways import enabled_channels
from shopops.payments.models import (
    Payment,
    PaymentNotification,
    PaymentStatus,
    ReconciliationItem,
    ReconciliationRun,
    Refund,
    RefundStatus,
    SandboxNotification,
    SandboxTrade,
)
from shopops.shops.admin_base import PlatformOnlyAdmin


class PaymentsAdmin(PlatformOnlyAdmin):
    platform_permission = reconcile_permission()
    read_only = True


def _run_each(modeladmin: ModelAdmin, request: HttpRequest, queryset: QuerySet, fn: Any, done: str) -> None:
    ok = 0
    for obj in queryset:
        try:
            fn(obj)
            ok += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"{obj}: {exc.message}", level=messages.ERROR)
    if ok:
        modeladmin.message_user(request, f"{done}: {ok}", level=messages.SUCCESS)


class RefundInline(TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    fields = ("refund_no", "amount", "status", "reason", "gateway_refund_id", "created_at", "succeeded_at")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class NotificationInline(TabularInline):
    model = PaymentNotification
    extra = 0
    can_delete = False
    fields = ("received_at", "kind", "signature_valid", "result", "error_code")
    readonly_fields = fields
    show_change_link = True
    ordering = ("-received_at",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(PaymentsAdmin):
    list_display = (
        "payment_no",
        "reference",
        "payer",
        "amount",
        "channel",
        "status",
        "needs_attention",
        "attention_reason",
        "paid_at",
        "created_at",
    )
    list_filter = ("status", "channel", "needs_attention", "attention_reason", "created_at")
    search_fields = ("payment_no", "reference", "gateway_trade_id", "payer__username")
    list_select_related = ("payer",)
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Payment._meta.fields]
    inlines = (RefundInline, NotificationInline)
    actions = (
        "sync_with_gateway",
        "close_selected",
        "accept_late_payment",
        "refund_late_payment",
        "mark_resolved",
    )

    @admin.action(description=_("与支付渠道同步状态"))
    def sync_with_gateway(self, request: HttpRequest, queryset: QuerySet[Payment]) -> None:
        _run_each(self, request, queryset, lambda p: services.sync_payment_status(payment=p), "已同步")

    @admin.action(description=_("关闭支付单（渠道同时关闭）"))
    def close_selected(self, request: HttpRequest, queryset: QuerySet[Payment]) -> None:
        _run_each(
            self,
            request,
            queryset,
            lambda p: services.close_payment(payment=p, reason="closed by staff", actor=request.user),
            "已关闭",
        )

    @admin.action(description=_("关闭后到账：确认收款（订单已恢复）"))
    def accept_late_payment(self, request: HttpRequest, queryset: QuerySet[Payment]) -> None:
        _run_each(
            self,
            request,
            queryset.filter(status=PaymentStatus.SUCCEEDED_AFTER_CLOSE),
            lambda p: services.resolve_late_payment(payment=p, action="accept", actor=request.user),
            "已确认收款",
        )

    @admin.action(description=_("关闭后到账：全额原路退款"))
    def refund_late_payment(self, request: HttpRequest, queryset: QuerySet[Payment]) -> None:
        _run_each(
            self,
            request,
            queryset.filter(status=PaymentStatus.SUCCEEDED_AFTER_CLOSE),
            lambda p: services.resolve_late_payment(payment=p, action="refund", actor=request.user),
            "已发起退款",
        )

    @admin.action(description=_("标记差异已处理"))
    def mark_resolved(self, request: HttpRequest, queryset: QuerySet[Payment]) -> None:
        _run_each(
            self,
            request,
            queryset.filter(needs_attention=True),
            lambda p: services.resolve_attention(payment=p, actor=request.user),
            "已标记处理",
        )


@admin.register(Refund)
class RefundAdmin(PaymentsAdmin):
    list_display = ("refund_no", "payment", "amount", "status", "attempts", "last_error", "created_at")
    list_filter = ("status", "created_at")
    search_fields = ("refund_no", "payment__payment_no", "payment__reference", "gateway_refund_id")
    list_select_related = ("payment",)
    readonly_fields = [f.name for f in Refund._meta.fields]
    actions = ("resubmit", "sync_with_gateway")

    @admin.action(description=_("重新提交到支付渠道"))
    def resubmit(self, request: HttpRequest, queryset: QuerySet[Refund]) -> None:
        _run_each(
            self,
            request,
            queryset.filter(status=RefundStatus.REQUESTED),
            lambda r: services.submit_refund(refund_id=r.pk),
            "已提交",
        )

    @admin.action(description=_("查询渠道退款结果"))
    def sync_with_gateway(self, request: HttpRequest, queryset: QuerySet[Refund]) -> None:
        _run_each(
            self,
            request,
            queryset.filter(status=RefundStatus.PROCESSING).select_related("payment"),
            lambda r: services.sync_refund_status(refund=r),
            "已同步",
        )


@admin.register(PaymentNotification)
class PaymentNotificationAdmin(PaymentsAdmin):
    list_display = ("received_at", "channel", "kind", "payment_no", "signature_valid", "result", "error_code")
    list_filter = ("channel", "result", "signature_valid", "kind", "received_at")
    search_fields = ("payment_no", "event_id", "body_sha256")
    date_hierarchy = "received_at"
    readonly_fields = [f.name for f in PaymentNotification._meta.fields]


class ReconciliationItemInline(TabularInline):
    model = ReconciliationItem
    extra = 0
    can_delete = False
    fields = (
        "payment",
        "kind",
        "recorded_status",
        "recorded_amount",
        "recorded_refunded",
        "gateway_state",
        "gateway_amount",
        "gateway_refunded",
        "detail",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReconciliationForm(forms.ModelForm):
    channel = forms.ChoiceField(label=_("渠道"), required=False)

    class Meta:
        model = ReconciliationRun
        fields = ("period_start", "period_end", "channel")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "channel" not in self.fields:
            return  # an existing run: shown read-only
        self.fields["channel"].choices = [("", _("全部渠道"))] + [(c, c) for c in enabled_channels()]
        start, end = selectors.yesterday_range()
        self.fields["period_start"].initial = start
        self.fields["period_end"].initial = end

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and (start >= end or end - start > timedelta(days=services.MAX_RECONCILIATION_DAYS)):
            raise forms.ValidationError(_("开始时间须早于结束时间，且范围不超过 31 天"))
        return data


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(PaymentsAdmin):
    read_only = False
    form = ReconciliationForm
    list_display = (
        "__str__",
        "channel",
        "status",
        "checked_count",
        "matched_count",
        "mismatches",
        "recorded_total",
        "gateway_total",
        "created_at",
    )
    list_filter = ("status", "channel")
    inlines = (ReconciliationItemInline,)

    @admin.display(description=_("差异笔数"))
    def mismatches(self, obj: ReconciliationRun) -> str:
        if obj.mismatch_count:
            return format_html('<strong style="color:#dc2626">{}</strong>', obj.mismatch_count)
        return "0"

    def get_readonly_fields(self, request: HttpRequest, obj: ReconciliationRun | None = None) -> list[str]:
        if obj is None:
            return []
        return [f.name for f in ReconciliationRun._meta.fields]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and self._platform(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ReconciliationRun, form: Any, change: bool) -> None:
        # "Add" starts a run through the service (validation, audit, Celery task after commit).
        started = services.start_reconciliation(
            start=obj.period_start, end=obj.period_end, channel=obj.channel or "", actor=request.user
        )
        obj.pk = started.pk
        obj.refresh_from_db()


@admin.register(SandboxTrade)
class SandboxTradeAdmin(PaymentsAdmin):
    list_display = ("out_trade_no", "trade_no", "amount", "status", "method", "refunded_amount", "created_at")
    list_filter = ("status",)
    search_fields = ("out_trade_no", "trade_no")
    readonly_fields = [f.name for f in SandboxTrade._meta.fields]


@admin.register(SandboxNotification)
class SandboxNotificationAdmin(PaymentsAdmin):
    list_display = ("created_at", "trade", "event", "status", "attempts", "last_response", "delivered_at")
    list_filter = ("status", "event")
    readonly_fields = [f.name for f in SandboxNotification._meta.fields]
    actions = ("resend",)

    @admin.action(description=_("重新发送通知"))
    def resend(self, request: HttpRequest, queryset: QuerySet[SandboxNotification]) -> None:
        from shopops.payments.tasks import deliver_sandbox_notification

        for notification in queryset.exclude(status="delivered"):
            deliver_sandbox_notification.delay(notification.pk)
        self.message_user(request, "已重新发送 / Resent", level=messages.SUCCESS)
