"""Shops (merchants), roles as named permission sets, and memberships that grant them per shop."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shopops.core.fields import EncryptedTextField
from shopops.core.masking import mask_middle


class ShopStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    ACTIVE = "active", _("营业中")
    SUSPENDED = "suspended", _("已暂停")


class Shop(models.Model):
    name = models.CharField(_("店铺名称"), max_length=80, unique=True)
    slug = models.SlugField(_("标识"), max_length=80, unique=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=ShopStatus.choices, default=ShopStatus.PENDING
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("店主"), on_delete=models.PROTECT, related_name="owned_shops"
    )
    description = models.TextField(_("简介"), blank=True)
    contact_name = models.CharField(_("联系人"), max_length=40)
    contact_phone = EncryptedTextField(_("联系电话"))
    contact_email = models.EmailField(_("联系邮箱"), blank=True)
    # Settlement (结算) details: where the platform pays the merchant's takings.
    settlement_account_name = models.CharField(_("结算户名"), max_length=80, blank=True)
    settlement_bank = models.CharField(_("开户银行"), max_length=80, blank=True)
    settlement_account_number = EncryptedTextField(_("结算账号"), blank=True, default="")
    settlement_cycle_days = models.PositiveSmallIntegerField(_("结算周期（天）"), default=7)
    aftersales_window_days = models.PositiveSmallIntegerField(_("售后期（天）"), default=7)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("店铺")
        verbose_name_plural = _("店铺")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_settlement_account(self) -> str:
        return mask_middle(self.settlement_account_number, 4, 4)

    @property
    def is_active(self) -> bool:
        return self.status == ShopStatus.ACTIVE


class RoleScope(models.TextChoices):
    SHOP = "shop", _("店铺")
    PLATFORM = "platform", _("平台")


class PermissionDef(models.Model):
    """A permission code known to the platform (synchronised from shops.permissions)."""

    code = models.CharField(max_length=64, unique=True)
    description = models.CharField(max_length=120)
    scope = models.CharField(max_length=16, choices=RoleScope.choices)

    class Meta:
        verbose_name = _("权限")
        verbose_name_plural = _("权限")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} ({self.description})"


class Role(models.Model):
    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=40)
    name_en = models.CharField(_("英文名称"), max_length=40, blank=True)
    scope = models.CharField(_("范围"), max_length=16, choices=RoleScope.choices, default=RoleScope.SHOP)
    permissions = models.JSONField(_("权限"), default=list, blank=True)
    is_system = models.BooleanField(_("系统角色"), default=False)

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = _("角色")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class MembershipStatus(models.TextChoices):
    ACTIVE = "active", _("在职")
    DISABLED = "disabled", _("已停用")


class Membership(models.Model):
    """A user's roles in one shop, or on the platform when shop is NULL."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    shop = models.ForeignKey(
        Shop, null=True, blank=True, on_delete=models.CASCADE, related_name="memberships"
    )
    roles = models.ManyToManyField(Role, related_name="memberships")
    status = models.CharField(
        max_length=16, choices=MembershipStatus.choices, default=MembershipStatus.ACTIVE
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("成员")
        verbose_name_plural = _("成员")
        constraints = [
            models.UniqueConstraint(fields=["user", "shop"], name="one_membership_per_shop"),
            models.UniqueConstraint(
                fields=["user"], condition=Q(shop__isnull=True), name="one_platform_membership"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.shop or 'platform'}"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("待接受")
    ACCEPTED = "accepted", _("已接受")
    REVOKED = "revoked", _("已撤销")


class Invitation(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(blank=True)
    phone_digest = models.CharField(max_length=64, blank=True)
    roles = models.ManyToManyField(Role, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        max_length=16, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    expires_at = models.DateTimeField()
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("员工邀请")
        verbose_name_plural = _("员工邀请")

    def __str__(self) -> str:
        return f"{self.shop} invitation ({self.get_status_display()})"
