"""Users, verification codes, real-name records, API refresh tokens and addresses.

Phone numbers and ID numbers are PII: stored encrypted (EncryptedTextField) with a keyed digest
beside them for lookups and uniqueness, and shown masked.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from shopops.core import crypto
from shopops.core.fields import EncryptedTextField
from shopops.core.masking import mask_id_number, mask_name, mask_phone

MAX_ADDRESSES_PER_USER = 20


def phone_digest(phone: str) -> str:
    return crypto.digest(phone, purpose="phone")


def id_number_digest(id_number: str) -> str:
    return crypto.digest(id_number.upper(), purpose="id-number")


class ShopOpsUserManager(UserManager):
    def get_by_phone(self, phone: str) -> User:
        return self.get(phone_digest=phone_digest(phone))


class User(AbstractUser):
    """A person: shopper by default, merchant staff or platform admin through shop memberships."""

    email = models.EmailField(_("邮箱"), blank=True, default="")
    email_verified_at = models.DateTimeField(_("邮箱验证时间"), null=True, blank=True)
    phone = EncryptedTextField(_("手机号"), blank=True, default="")
    phone_digest = models.CharField(max_length=64, blank=True, default="", editable=False, db_index=True)
    phone_verified_at = models.DateTimeField(_("手机验证时间"), null=True, blank=True)
    display_name = models.CharField(_("昵称"), max_length=64, blank=True, default="")
    real_name_verified_at = models.DateTimeField(_("实名认证时间"), null=True, blank=True)
    # Bumped on password change or "log out everywhere": every JWT carrying an older value is refused.
    token_version = models.PositiveIntegerField(default=0, editable=False)

    objects = ShopOpsUserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.UniqueConstraint(
                fields=["phone_digest"], condition=~Q(phone_digest=""), name="uniq_user_phone"
            ),
            # An address belongs to the account that proved it: only verified addresses are unique.
            # Unverified claims may share an address (nobody can squat one by never verifying it);
            # the first verification wins and releases the others (services.verify_email).
            models.UniqueConstraint(
                models.functions.Lower("email"),
                condition=~Q(email="") & Q(email_verified_at__isnull=False),
                name="uniq_user_verified_email_ci",
            ),
            # "Alice" and "alice" are the same login name.
            models.UniqueConstraint(models.functions.Lower("username"), name="uniq_user_username_ci"),
        ]
        indexes = [
            # Lookups by address (sign-in, password reset, releasing claims); emails are stored lower-case.
            models.Index(fields=["email"], name="user_email_idx", condition=~Q(email="")),
        ]

    def save(self, *args, **kwargs) -> None:
        self.phone_digest = phone_digest(self.phone) if self.phone else ""
        if self.email:
            self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def label(self) -> str:
        return self.display_name or self.username

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        # Django invalidates web sessions whose stored hash no longer matches. Mixing token_version
        # into it means "log out everywhere" (a version bump) ends web sessions as well as JWTs.
        key_salt = "shopops.accounts.User.session_auth_hash"
        return salted_hmac(
            key_salt, f"{self.password}:{self.token_version}", secret=secret, algorithm="sha256"
        ).hexdigest()


class SmsPurpose(models.TextChoices):
    REGISTER = "register", _("注册")
    LOGIN = "login", _("登录")
    RESET_PASSWORD = "reset_password", _("重置密码")
    BIND_PHONE = "bind_phone", _("绑定手机")
    # Sent to the account's current number to prove the owner before the number is changed.
    CHANGE_PHONE = "change_phone", _("更换手机")


class SmsCode(models.Model):
    """One issued SMS code. Only a keyed, salted hash of the code is stored, never the code."""

    phone_digest = models.CharField(max_length=64, db_index=True)
    # Masked form (138****5678) so support staff can recognise a record without seeing the number.
    phone_masked = models.CharField(_("手机号"), max_length=16, blank=True, default="")
    purpose = models.CharField(_("用途"), max_length=20, choices=SmsPurpose.choices)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(_("发送时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("过期时间"))
    wrong_attempts = models.PositiveSmallIntegerField(_("错误次数"), default=0)
    consumed_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    # Set when a newer code for the same phone and purpose is issued: only the newest code counts.
    superseded_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    provider = models.CharField(max_length=80, blank=True, default="")
    provider_message_id = models.CharField(max_length=120, blank=True, default="")

    class Meta:
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["phone_digest", "purpose", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.phone_masked} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def state(self) -> str:
        """used / superseded / exhausted / expired / active, for the console."""
        if self.consumed_at:
            return "used"
        if self.superseded_at:
            return "superseded"
        if self.wrong_attempts >= settings.SMS_MAX_WRONG_TRIES:
            return "exhausted"
        if self.expires_at <= timezone.now():
            return "expired"
        return "active"


class RealNameStatus(models.TextChoices):
    VERIFIED = "verified", _("已认证")
    REJECTED = "rejected", _("未通过")


class RealNameVerification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="real_name_checks"
    )
    name = EncryptedTextField(_("姓名"))
    id_number = EncryptedTextField(_("身份证号"))
    id_number_digest = models.CharField(max_length=64, db_index=True, editable=False)
    status = models.CharField(_("状态"), max_length=16, choices=RealNameStatus.choices)
    provider = models.CharField(max_length=80)
    provider_reference = models.CharField(max_length=120, blank=True)
    failure_reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("实名认证")
        verbose_name_plural = _("实名认证")
        ordering = ["-created_at"]
        constraints = [
            # One ID number verifies at most one account, and an account is verified at most once;
            # the database enforces both so two racing submissions cannot slip through.
            models.UniqueConstraint(
                fields=["id_number_digest"],
                condition=Q(status="verified"),
                name="uniq_verified_id_number",
            ),
            models.UniqueConstraint(
                fields=["user"], condition=Q(status="verified"), name="one_verified_real_name_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.masked_id_number}"

    def save(self, *args, **kwargs) -> None:
        self.id_number_digest = id_number_digest(self.id_number)
        super().save(*args, **kwargs)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)


class RefreshToken(models.Model):
    """A JWT refresh token's server-side record: rotation, reuse detection and revocation."""

    jti = models.CharField(max_length=64, unique=True)
    family = models.CharField(max_length=64, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="refresh_tokens"
    )
    created_at = models.DateTimeField(_("签发时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("过期时间"))
    used_at = models.DateTimeField(_("轮换时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("刷新令牌")
        verbose_name_plural = _("刷新令牌")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"refresh {self.jti[:8]}"

    @property
    def is_active(self) -> bool:
        return self.used_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class Address(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="addresses")
    receiver_name = models.CharField(_("收货人"), max_length=40)
    receiver_phone = EncryptedTextField(_("手机号"))
    province = models.CharField(_("省"), max_length=32)
    city = models.CharField(_("市"), max_length=32)
    district = models.CharField(_("区/县"), max_length=32)
    region_code = models.CharField(_("行政区划代码"), max_length=6, blank=True)
    street = models.CharField(_("街道"), max_length=64, blank=True)
    detail = EncryptedTextField(_("详细地址"))
    postcode = models.CharField(_("邮编"), max_length=6, blank=True)
    is_default = models.BooleanField(_("默认地址"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("收货地址")
        verbose_name_plural = _("收货地址")
        ordering = ["-is_default", "-updated_at"]
        indexes = [models.Index(fields=["user", "-created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(is_default=True), name="one_default_address_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.receiver_name} {self.full_region}"

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.receiver_phone)

    @property
    def full_region(self) -> str:
        return " ".join(part for part in (self.province, self.city, self.district, self.street) if part)
