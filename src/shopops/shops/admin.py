"""Admin for shops, roles, staff, invitations, the permission catalogue and the audit log.

Every change goes through shops.services (so it is permission-checked and audited): the forms call
the service in clean(), which turns a refusal into a form error, and save_model only reloads.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import action, display
from unfold.widgets import UnfoldAdminCheckboxSelectMultipleWidget

from shopops.core.admin import AuditLogAdminMixin
from shopops.core.errors import DomainError
from shopops.core.masking import mask_email
from shopops.core.models import AuditLog
from shopops.shops import selectors, services
from shopops.shops.admin_base import PlatformOnlyAdmin, ShopScopedAdmin
from shopops.shops.models import (
    Invitation,
    InvitationStatus,
    Membership,
    MembershipStatus,
    PermissionDef,
    Role,
    RoleScope,
    Shop,
)


def _apply_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Put a service's refusal on the form: on the named fields where there are any, else on top."""
    fields = (exc.details or {}).get("fields") or {}
    placed = False
    for name, errors in fields.items():
        if name in form.fields:
            for error in errors:
                form.add_error(name, error)
            placed = True
    if not placed:
        form.add_error(None, str(exc.message))


class ServiceForm(forms.ModelForm):
    """A ModelForm whose admin sets `request` on it (see ServiceBackedAdmin.get_form)."""

    request: HttpRequest | None = None

    @property
    def actor(self) -> Any:
        return self.request.user if self.request is not None else None


class ServiceBackedAdmin:
    """Mixin: hand the request to the form, and let the form's services do the saving."""

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request = request  # modelform_factory builds a fresh class per call: safe per request
        return form

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if obj.pk:
            obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


def _run_actions(modeladmin: ModelAdmin, request: HttpRequest, queryset: QuerySet, fn, done: str) -> None:
    ok = 0
    for obj in queryset:
        try:
            fn(obj)
            ok += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"{obj}: {exc.message}", level=messages.ERROR)
    if ok:
        modeladmin.message_user(request, f"{done}: {ok}", level=messages.SUCCESS)


# --- Shops ------------------------------------------------------------------------------------------


class ShopAdminForm(ServiceForm):
    new_settlement_account_number = forms.CharField(
        label=_("新结算账号"),
        required=False,
        max_length=40,
        help_text=_("留空则不修改；保存后只显示脱敏账号 / Leave blank to keep the current account"),
    )

    class Meta:
        model = Shop
        fields = [
            "name",
            "description",
            "contact_name",
            "contact_phone",
            "contact_email",
            "aftersales_window_days",
            "settlement_account_name",
            "settlement_bank",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors or self.instance.pk is None:
            return data
        profile = {name: data[name] for name in services.PROFILE_FIELDS if name in self.changed_data}
        settlement_changed = bool(
            {"settlement_account_name", "settlement_bank", "new_settlement_account_number"}
            & set(self.changed_data)
        )
        try:
            if profile:
                services.update_shop_profile(
                    actor=self.actor, shop_id=self.instance.pk, request=self.request, **profile
                )
            if settlement_changed:
                services.update_settlement(
                    actor=self.actor,
                    shop_id=self.instance.pk,
                    account_name=data.get("settlement_account_name", ""),
                    bank=data.get("settlement_bank", ""),
                    account_number=data.get("new_settlement_account_number")
                    or self.instance.settlement_account_number,
                    request=self.request,
                )
        except DomainError as exc:
            _apply_domain_error(self, exc)
        return data


@admin.register(Shop)
class ShopAdmin(ServiceBackedAdmin, ShopScopedAdmin):
    form = ShopAdminForm
    shop_field = "id"
    view_permission = "shop.view"
    manage_permission = "shop.manage"
    allow_add = False  # shops are applied for (API / storefront), then approved
    allow_delete = False  # shops are suspended, never deleted: orders and settlements refer to them
    list_display = ("name", "slug", "status_badge", "owner", "contact_name", "created_at")
    list_filter = ("status",)
    search_fields = ("name", "slug", "owner__username")
    readonly_fields = ("slug", "status", "owner", "masked_account", "settlement_cycle_days", "created_at")
    fieldsets = (
        (None, {"fields": ("name", "slug", "status", "owner", "description", "created_at")}),
        (_("联系方式"), {"fields": ("contact_name", "contact_phone", "contact_email")}),
        (
            _("结算"),
            {
                "fields": (
                    "settlement_account_name",
                    "settlement_bank",
                    "masked_account",
                    "new_settlement_account_number",
                    "settlement_cycle_days",
                )
            },
        ),
        (_("售后"), {"fields": ("aftersales_window_days",)}),
    )
    actions = ("approve", "suspend", "reactivate")

    @display(description=_("状态"), label={"pending": "warning", "active": "success", "suspended": "danger"})
    def status_badge(self, obj: Shop) -> str:
        return obj.status

    @display(description=_("结算账号"))
    def masked_account(self, obj: Shop) -> str:
        return obj.masked_settlement_account or "-"

    def has_platform_shops_permission(self, request: HttpRequest) -> bool:
        return selectors.has_platform_perm(request.user, "platform.shops")

    @action(description=_("审核通过"), permissions=["platform_shops"])
    def approve(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run_actions(
            self,
            request,
            queryset,
            lambda shop: services.approve_shop(actor=request.user, shop_id=shop.pk, request=request),
            str(_("已通过")),
        )

    @action(description=_("暂停营业"), permissions=["platform_shops"])
    def suspend(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run_actions(
            self,
            request,
            queryset,
            lambda shop: services.suspend_shop(
                actor=request.user,
                shop_id=shop.pk,
                reason="平台后台暂停 / Suspended in the admin",
                request=request,
            ),
            str(_("已暂停")),
        )

    @action(description=_("恢复营业"), permissions=["platform_shops"])
    def reactivate(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run_actions(
            self,
            request,
            queryset,
            lambda shop: services.reactivate_shop(actor=request.user, shop_id=shop.pk, request=request),
            str(_("已恢复")),
        )


# --- Roles and the permission catalogue -------------------------------------------------------------


def _permission_choices() -> list[tuple[str, str]]:
    return [(p.code, f"{p.code} · {p.description}") for p in PermissionDef.objects.order_by("scope", "code")]


class RoleAdminForm(ServiceForm):
    permissions = forms.MultipleChoiceField(
        label=_("权限"),
        required=False,
        choices=_permission_choices,
        widget=UnfoldAdminCheckboxSelectMultipleWidget,
        help_text=_("店铺角色只能包含店铺范围的权限 / Shop roles may hold only shop-scoped permissions"),
    )

    class Meta:
        model = Role
        fields = ["code", "name", "name_en", "scope", "permissions"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        try:
            if self.instance.pk is None:
                self.instance = services.create_role(
                    actor=self.actor,
                    code=data["code"],
                    name=data["name"],
                    name_en=data.get("name_en", ""),
                    scope=data["scope"],
                    permissions=data.get("permissions", []),
                    request=self.request,
                )
                return data
            if "permissions" in self.changed_data:
                services.update_role_permissions(
                    actor=self.actor,
                    role_code=self.instance.code,
                    permissions=data.get("permissions", []),
                    request=self.request,
                )
            if {"name", "name_en"} & set(self.changed_data):
                services.rename_role(
                    actor=self.actor,
                    role_code=self.instance.code,
                    name=data["name"],
                    name_en=data.get("name_en", ""),
                    request=self.request,
                )
        except DomainError as exc:
            _apply_domain_error(self, exc)
        return data


@admin.register(Role)
class RoleAdmin(ServiceBackedAdmin, PlatformOnlyAdmin):
    form = RoleAdminForm
    platform_permission = "platform.roles"
    list_display = ("code", "name", "name_en", "scope", "permission_count", "is_system")
    list_filter = ("scope", "is_system")
    search_fields = ("code", "name", "name_en")

    def get_readonly_fields(self, request: HttpRequest, obj: Role | None = None) -> tuple[str, ...]:
        return ("code", "scope", "is_system") if obj is not None else ("is_system",)

    @display(description=_("权限数"))
    def permission_count(self, obj: Role) -> int:
        return len(obj.permissions or [])

    def has_delete_permission(self, request: HttpRequest, obj: Role | None = None) -> bool:
        if obj is not None and (obj.is_system or obj.memberships.exists()):
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request: HttpRequest, obj: Role) -> None:
        services.delete_role(actor=request.user, role_code=obj.code, request=request)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for role in queryset:
            try:
                services.delete_role(actor=request.user, role_code=role.code, request=request)
            except DomainError as exc:
                self.message_user(request, f"{role}: {exc.message}", level=messages.ERROR)


@admin.register(PermissionDef)
class PermissionDefAdmin(PlatformOnlyAdmin):
    """The catalogue is defined in code (shops/permissions.py) and synchronised after migrate."""

    platform_permission = "platform.roles"
    read_only = True
    list_display = ("code", "description", "scope")
    list_filter = ("scope",)
    search_fields = ("code", "description")


# --- Staff ------------------------------------------------------------------------------------------


class MembershipAdminForm(ServiceForm):
    class Meta:
        model = Membership
        fields = ["roles", "status"]
        widgets = {"roles": UnfoldAdminCheckboxSelectMultipleWidget}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scope = RoleScope.SHOP if self.instance.shop_id else RoleScope.PLATFORM
        queryset = Role.objects.filter(scope=scope).exclude(code="shopper")
        self.fields["roles"].queryset = queryset

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors or self.instance.pk is None:
            return data
        membership = self.instance
        codes = sorted(r.code for r in data.get("roles") or [])
        try:
            if membership.shop_id is None:
                if "roles" in self.changed_data or "status" in self.changed_data:
                    wanted = codes if data.get("status") == MembershipStatus.ACTIVE else []
                    services.grant_platform_role(
                        actor=self.actor, user_id=membership.user_id, role_codes=wanted, request=self.request
                    )
                return data
            common = {"actor": self.actor, "shop_id": membership.shop_id, "membership_id": membership.pk}
            if "status" in self.changed_data and data["status"] == MembershipStatus.DISABLED:
                services.disable_member(**common, request=self.request)
            if "roles" in self.changed_data:
                services.assign_roles(**common, role_codes=codes, request=self.request)
            if "status" in self.changed_data and data["status"] == MembershipStatus.ACTIVE:
                services.enable_member(**common, request=self.request)
        except DomainError as exc:
            _apply_domain_error(self, exc)
        return data


@admin.register(Membership)
class MembershipAdmin(ServiceBackedAdmin, ShopScopedAdmin):
    form = MembershipAdminForm
    shop_field = "shop"
    view_permission = "staff.view"
    manage_permission = "staff.manage"
    platform_permission = "platform.roles"
    allow_add = False  # staff join through invitations
    allow_delete = False  # disable instead: the audit trail keeps pointing at the membership
    list_display = ("user", "shop", "role_list", "status", "created_at")
    list_filter = ("status", "roles")
    search_fields = ("user__username", "user__display_name", "shop__name")
    list_select_related = ("user", "shop")
    readonly_fields = ("user", "shop", "invited_by", "created_at")
    fields = ("user", "shop", "roles", "status", "invited_by", "created_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("roles")

    @display(description=_("角色"))
    def role_list(self, obj: Membership) -> str:
        return "、".join(role.name for role in obj.roles.all())


@admin.register(Invitation)
class InvitationAdmin(ShopScopedAdmin):
    shop_field = "shop"
    view_permission = "staff.view"
    manage_permission = "staff.manage"
    allow_add = False  # invitations are issued from the console / API, which shows the link once
    allow_delete = False
    list_display = ("shop", "contact", "role_list", "status", "expires_at", "invited_by", "created_at")
    list_filter = ("status",)
    search_fields = ("shop__name", "email")
    list_select_related = ("shop", "invited_by")
    exclude = ("token_hash", "phone_digest", "email")
    readonly_fields = ("shop", "contact", "roles", "status", "invited_by", "accepted_by", "expires_at")
    actions = ("revoke",)

    def has_change_permission(self, request: HttpRequest, obj: Invitation | None = None) -> bool:
        return False  # read-only register; revoking is the one change, as an action

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request, self.manage_permission, None)

    @display(description=_("被邀请人"))
    def contact(self, obj: Invitation) -> str:
        return mask_email(obj.email) if obj.email else str(_("手机号邀请"))

    @display(description=_("角色"))
    def role_list(self, obj: Invitation) -> str:
        return "、".join(role.name for role in obj.roles.all())

    @action(description=_("撤销邀请"), permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run_actions(
            self,
            request,
            queryset.filter(status=InvitationStatus.PENDING),
            lambda inv: services.revoke_invitation(
                actor=request.user, shop_id=inv.shop_id, invitation_id=inv.pk, request=request
            ),
            str(_("已撤销")),
        )


# --- Audit log --------------------------------------------------------------------------------------


@admin.register(AuditLog)
class AuditLogAdmin(AuditLogAdminMixin, ShopScopedAdmin):
    """Platform auditors (platform.audit) read every row; a shop's audit.view holders its own rows."""

    shop_field = "shop_id"
    view_permission = "audit.view"
    manage_permission = ""
    platform_permission = "platform.audit"
