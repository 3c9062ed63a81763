"""Failures of shop, staff and role operations. The API maps each to {code, message, details}."""

from __future__ import annotations

from shopops.core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied


class ShopNameTaken(Conflict):
    code = "shop_name_taken"
    message = "店铺名称已被使用 / This shop name is already taken"


class ApplicationPending(Conflict):
    code = "application_pending"
    message = "您已有一个待审核的开店申请 / You already have a shop application awaiting review"


class ShopSuspended(Conflict):
    """The shop is suspended: staff keep read access, but the shop cannot change or grow."""

    code = "shop_suspended"
    message = "店铺已被暂停，无法执行此操作 / The shop is suspended; this action is not allowed"


class LastOwner(Conflict):
    code = "last_owner"
    message = "店铺至少需要保留一位在职店主 / A shop must keep at least one active owner"


class LastPlatformAdmin(Conflict):
    code = "last_platform_admin"
    message = (
        "平台至少需要保留一位可管理角色的管理员 / "
        "The platform must keep at least one user who can manage roles"
    )


class CannotDisableSelf(Conflict):
    code = "cannot_disable_self"
    message = "不能停用自己的账号 / You cannot disable your own membership"


class AlreadyMember(Conflict):
    code = "already_member"
    message = "该用户已是店铺员工 / This person is already a member of the shop"


class RoleNotAssignable(InvalidInput):
    code = "role_not_assignable"
    message = "角色不存在或不能在此分配 / The role does not exist or cannot be assigned here"


class UnknownPermission(InvalidInput):
    code = "unknown_permission"
    message = "权限代码无效或不适用于该角色 / Unknown permission code, or not allowed for this role"


class RoleNotEditable(Conflict):
    code = "role_not_editable"
    message = "该角色不能修改 / This role cannot be changed"


class GrantExceedsOwnPermissions(PermissionDenied):
    """Nobody hands out (or manages someone holding) permissions they do not hold themselves."""

    code = "grant_exceeds_own_permissions"
    message = "不能授予或管理超出自身权限的角色 / You cannot grant or manage permissions you do not hold"


class InvitationNotFound(NotFound):
    code = "invitation_not_found"
    message = "邀请链接无效 / This invitation link is not valid"


class InvitationUsed(Conflict):
    code = "invitation_used"
    message = "邀请已被使用 / This invitation has already been used"


class InvitationRevoked(Conflict):
    code = "invitation_revoked"
    message = "邀请已被撤销 / This invitation has been revoked"


class InvitationExpired(DomainError):
    code = "invitation_expired"
    status = 410
    message = "邀请已过期，请联系店铺重新邀请 / This invitation has expired; ask the shop to invite you again"


class InvitationWrongUser(PermissionDenied):
    code = "invitation_wrong_user"
    message = "此邀请不是发给当前账号的 / This invitation was sent to someone else"


class ContactNotVerified(PermissionDenied):
    code = "contact_not_verified"
    message = (
        "请先验证邀请所用的邮箱或手机号 / Verify the email address or phone number the invitation was sent to"
    )
