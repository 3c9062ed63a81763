"""Operator console (django-unfold) for users, addresses, SMS codes, real-name records and tokens.

PII never appears raw: phone numbers and ID numbers are shown masked, ciphertext and digests are
hidden, SMS codes are never shown (only a hash exists). Platform staff holding "pii.realname" can
reveal a real-name record through an explicit, reasoned and audited action.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import action, display
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from shopops.accounts import services, tokens
from shopops.accounts.models import (
    Address,
    RealNameVerification,
    RefreshToken,
    SmsCode,
    User,
    phone_digest,
)
from shopops.accounts.validators import looks_like_phone, normalise_phone
from shopops.core.errors import PermissionDenied as DomainPermissionDenied
from shopops.core.masking import mask_middle
from shopops.shops.selectors import has_platform_perm


class ReadOnlyAdminMixin:
    """Records written only by the application: viewable, never edited or created by hand."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class PhoneSearchMixin:
    """Typing a mobile number in the search box finds it through its digest (the column is encrypted)."""

    phone_digest_lookup = "phone_digest"

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        term = search_term.strip()
        if looks_like_phone(term):
            return queryset.filter(**{self.phone_digest_lookup: phone_digest(normalise_phone(term))}), False
        return super().get_search_results(request, queryset, search_term)


# --- Users -------------------------------------------------------------------------------------------


class ShopOpsUserChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = ("username", "display_name", "email", "is_active", "is_staff", "is_superuser")


class ShopOpsUserCreationForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")


@admin.register(User)
class UserAdmin(PhoneSearchMixin, BaseUserAdmin, ModelAdmin):
    form = ShopOpsUserChangeForm
    add_form = ShopOpsUserCreationForm
    change_password_form = AdminPasswordChangeForm
    list_display = (
        "username",
        "display_name",
        "phone_display",
        "email",
        "email_verified",
        "real_name_verified",
        "is_active",
        "is_staff",
        "date_joined",
    )
    list_filter = (
        "is_active",
        "is_staff",
        ("email_verified_at", admin.EmptyFieldListFilter),
        ("real_name_verified_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("username", "email", "display_name")
    ordering = ("-date_joined",)
    readonly_fields = (
        "phone_display",
        "phone_verified_at",
        "email_verified_at",
        "real_name_verified_at",
        "last_login",
        "date_joined",
    )
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("资料"), {"fields": ("display_name", "email", "email_verified_at")}),
        (_("手机与实名"), {"fields": ("phone_display", "phone_verified_at", "real_name_verified_at")}),
        (_("权限"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("时间"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "email", "password1", "password2")}),
    )
    actions = ["log_out_everywhere", "unlock_logins", "deactivate"]

    def save_model(self, request: HttpRequest, obj: User, form, change: bool) -> None:
        if change and "email" in form.changed_data:
            obj.email_verified_at = None  # a new address is unproven until its link is clicked
        super().save_model(request, obj, form, change)
        if change and {"is_active", "password"} & set(form.changed_data) and not obj.is_active:
            tokens.revoke_all_tokens(obj)

    @display(description=_("手机号"))
    def phone_display(self, obj: User) -> str:
        return obj.masked_phone or "-"

    @display(description=_("邮箱已验证"), boolean=True)
    def email_verified(self, obj: User) -> bool:
        return obj.email_verified_at is not None

    @display(description=_("已实名"), boolean=True)
    def real_name_verified(self, obj: User) -> bool:
        return obj.real_name_verified_at is not None

    @action(description=_("强制退出所有设备 / Sign out everywhere"), permissions=["change"])
    def log_out_everywhere(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            services.log_out_everywhere(user=user)
        messages.success(request, _("已使所选用户的全部登录失效 / Selected users were signed out everywhere"))

    @action(description=_("解除登录锁定 / Lift login lockout"), permissions=["change"])
    def unlock_logins(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        from axes.utils import reset as axes_reset

        for user in queryset:
            axes_reset(username=user.get_username())
        messages.success(request, _("已解除所选用户的登录锁定 / Login lockouts lifted"))

    @action(description=_("停用账号 / Deactivate"), permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset.filter(is_active=True):
            User.objects.filter(pk=user.pk).update(is_active=False)
            tokens.revoke_all_tokens(user)
        messages.success(request, _("已停用所选账号 / Selected accounts were deactivated"))


# --- Addresses ---------------------------------------------------------------------------------------


@admin.register(Address)
class AddressAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ("user", "receiver_name", "phone_display", "full_region", "is_default", "updated_at")
    list_filter = ("is_default", "province")
    search_fields = ("user__username", "receiver_name", "province", "city", "district")
    list_select_related = ("user",)
    fields = (
        "user",
        "receiver_name",
        "phone_display",
        "province",
        "city",
        "district",
        "region_code",
        "street",
        "detail_display",
        "postcode",
        "is_default",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    @display(description=_("手机号"))
    def phone_display(self, obj: Address) -> str:
        return obj.masked_phone

    @display(description=_("详细地址"))
    def detail_display(self, obj: Address) -> str:
        return mask_middle(obj.detail, 2, 0)


# --- SMS codes ---------------------------------------------------------------------------------------


@admin.register(SmsCode)
class SmsCodeAdmin(PhoneSearchMixin, ReadOnlyAdminMixin, ModelAdmin):
    list_display = (
        "phone_masked",
        "purpose",
        "state_display",
        "created_at",
        "expires_at",
        "wrong_attempts",
        "consumed_at",
        "ip_address",
        "provider",
    )
    list_filter = ("purpose", "provider")
    date_hierarchy = "created_at"
    fields = (
        "phone_masked",
        "purpose",
        "state_display",
        "created_at",
        "expires_at",
        "wrong_attempts",
        "consumed_at",
        "superseded_at",
        "ip_address",
        "provider",
        "provider_message_id",
    )
    readonly_fields = fields

    @display(
        description=_("状态"),
        label={"active": "success", "used": "info", "expired": "warning", "exhausted": "danger"},
    )
    def state_display(self, obj: SmsCode) -> str:
        return obj.state


# --- Real-name verification --------------------------------------------------------------------------


@admin.register(RealNameVerification)
class RealNameVerificationAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ("user", "masked_name", "masked_id_number", "status", "provider", "created_at")
    list_filter = ("status", "provider")
    search_fields = ("user__username",)
    list_select_related = ("user",)
    fields = (
        "user",
        "masked_name",
        "masked_id_number",
        "status",
        "provider",
        "provider_reference",
        "failure_reason",
        "created_at",
    )
    readonly_fields = fields
    actions_detail = ["reveal"]

    @display(description=_("姓名"))
    def masked_name(self, obj: RealNameVerification) -> str:
        return obj.masked_name

    @display(description=_("身份证号"))
    def masked_id_number(self, obj: RealNameVerification) -> str:
        return obj.masked_id_number

    def has_reveal_permission(self, request: HttpRequest, object_id: str | int | None = None) -> bool:
        return has_platform_perm(request.user, "pii.realname")

    @action(
        description=_("查看完整信息（审计）/ Reveal (audited)"), url_path="reveal", permissions=["reveal"]
    )
    def reveal(self, request: HttpRequest, object_id: str) -> HttpResponse:
        record = get_object_or_404(RealNameVerification, pk=object_id)
        context = {
            **self.admin_site.each_context(request),
            "title": _("查看实名信息"),
            "record": record,
            "revealed": None,
            "error": "",
            "back_url": reverse("admin:accounts_realnameverification_change", args=[record.pk]),
        }
        if request.method == "POST":
            reason = request.POST.get("reason", "").strip()
            if not reason:
                context["error"] = "请填写查看原因 / A reason is required"
            else:
                try:
                    context["revealed"] = services.reveal_real_name(
                        viewer=request.user, verification=record, request=request, reason=reason
                    )
                except DomainPermissionDenied:
                    context["error"] = "没有权限 / You do not have permission"
        response = TemplateResponse(request, "accounts/admin/reveal_real_name.html", context)
        # The revealed page must not linger in shared caches or the browser's back-forward cache.
        response["Cache-Control"] = "no-store"
        return response


# --- Refresh tokens ----------------------------------------------------------------------------------


@admin.register(RefreshToken)
class RefreshTokenAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = (
        "user",
        "short_family",
        "created_at",
        "expires_at",
        "used_at",
        "revoked_at",
        "ip_address",
        "user_agent",
    )
    list_filter = (("revoked_at", admin.EmptyFieldListFilter), ("used_at", admin.EmptyFieldListFilter))
    search_fields = ("user__username", "family")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    exclude = ("jti",)
    readonly_fields = (
        "user",
        "family",
        "created_at",
        "expires_at",
        "used_at",
        "revoked_at",
        "ip_address",
        "user_agent",
    )
    actions = ["revoke_families"]

    @display(description=_("设备族"))
    def short_family(self, obj: RefreshToken) -> str:
        return obj.family[:12]

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return has_platform_perm(request.user, "platform.users")

    @action(description=_("吊销所选令牌所在的设备 / Revoke these devices"), permissions=["revoke"])
    def revoke_families(self, request: HttpRequest, queryset: QuerySet[RefreshToken]) -> None:
        pairs = set(queryset.values_list("user_id", "family"))
        for user_id, family in pairs:
            tokens.revoke_family(user=User(pk=user_id), family=family)
        messages.success(request, _("已吊销 %(n)d 个设备 / Devices revoked") % {"n": len(pairs)})
