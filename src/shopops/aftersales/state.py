"""The after-sales state machine: ONE transition table and ONE function that changes state.

    transition(request, action, actor, note="", *, data=None) -> AfterSalesRequest

In one transaction `transition` locks the request row, looks the move up in TRANSITIONS (current
status, action, kind of request), decides who is acting (the shopper who owns the request, staff
holding `aftersales.manage` in its shop, or the system when actor is None), runs the action's side
effect (restock, refund, replacement) and appends an AfterSalesEvent for the timeline.

A move the table does not list raises IllegalTransition (409, code "illegal_transition") and
changes nothing; an actor the rule does not admit gets NotYourAction (403).

    requested --approve--> approved --(refund only) refund--> refunding --succeeded--> refunded --> closed
        |                     \\--(return / exchange) ship_back--> returning --inspect_pass--> received
        |--reject--> rejected                                         \\--inspect_fail--> inspection_failed
        \\--cancel--> cancelled     received --refund--> refunding      received --ship_replacement-->
                                                                         replacement_shipped --close--> closed
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.utils import timezone

from shopops.aftersales.errors import NotYourAction
from shopops.aftersales.models import (
    GOODS_BACK_KINDS,
    REFUND_KINDS,
    ActorRole,
    AfterSalesEvent,
    AfterSalesKind,
    AfterSalesRequest,
    AfterSalesStatus,
)
from shopops.core.errors import IllegalTransition

S = AfterSalesStatus
K = AfterSalesKind
SHOPPER, STAFF, SYSTEM = ActorRole.SHOPPER, ActorRole.STAFF, ActorRole.SYSTEM
MANAGE_PERMISSION = "aftersales.manage"
ALL_KINDS = frozenset(K.values)


class Action(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    CANCEL = "cancel"
    SHIP_BACK = "ship_back"
    INSPECT_PASS = "inspect_pass"
    INSPECT_FAIL = "inspect_fail"
    REFUND = "refund"
    REFUND_SUCCEEDED = "refund_succeeded"
    REFUND_FAILED = "refund_failed"
    SHIP_REPLACEMENT = "ship_replacement"
    CLOSE = "close"


ACTION_LABELS: dict[str, str] = {
    "submit": "提交售后申请 / Request submitted",
    Action.APPROVE: "客服同意 / Approved",
    Action.REJECT: "客服拒绝 / Rejected",
    Action.CANCEL: "买家撤销 / Cancelled by the shopper",
    Action.SHIP_BACK: "买家寄回商品 / Shipped back",
    Action.INSPECT_PASS: "商家收货，验货通过 / Received, inspection passed",
    Action.INSPECT_FAIL: "商家收货，验货未通过 / Received, inspection failed",
    Action.REFUND: "发起退款 / Refund requested",
    Action.REFUND_SUCCEEDED: "退款成功 / Refund paid",
    Action.REFUND_FAILED: "退款失败 / Refund failed",
    Action.SHIP_REPLACEMENT: "换货商品已发出 / Replacement shipped",
    Action.CLOSE: "售后完成 / Closed",
}


def label_for(action: str) -> str:
    """The timeline label in the active language ("中文 / English" pairs are split for display)."""
    from django.utils.translation import get_language

    label = ACTION_LABELS.get(action, action)
    if " / " not in label:
        return label
    chinese, english = label.split(" / ", 1)
    return english if (get_language() or "").startswith("en") else chinese


@dataclass(frozen=True)
class Rule:
    to: str
    roles: frozenset[str]
    kinds: frozenset[str] = ALL_KINDS


def _rule(to: str, roles: tuple[str, ...], kinds: tuple[str, ...] | frozenset[str] = ALL_KINDS) -> Rule:
    return Rule(to, frozenset(roles), frozenset(kinds))


# The transition table: (current status, action) -> new status, who may do it, for which kinds.
TRANSITIONS: dict[tuple[str, str], Rule] = {
    (S.REQUESTED, Action.APPROVE): _rule(S.APPROVED, (STAFF,)),
    (S.REQUESTED, Action.REJECT): _rule(S.REJECTED, (STAFF,)),
    (S.REQUESTED, Action.CANCEL): _rule(S.CANCELLED, (SHOPPER,)),
    (S.APPROVED, Action.SHIP_BACK): _rule(S.RETURNING, (SHOPPER,), GOODS_BACK_KINDS),
    (S.APPROVED, Action.REFUND): _rule(S.REFUNDING, (STAFF,), (K.REFUND_ONLY,)),
    (S.RETURNING, Action.INSPECT_PASS): _rule(S.RECEIVED, (STAFF,), GOODS_BACK_KINDS),
    (S.RETURNING, Action.INSPECT_FAIL): _rule(S.INSPECTION_FAILED, (STAFF,), GOODS_BACK_KINDS),
    (S.RECEIVED, Action.REFUND): _rule(S.REFUNDING, (STAFF,), (K.RETURN_REFUND,)),
    (S.RECEIVED, Action.SHIP_REPLACEMENT): _rule(S.REPLACEMENT_SHIPPED, (STAFF,), (K.EXCHANGE,)),
    (S.REFUNDING, Action.REFUND_SUCCEEDED): _rule(S.REFUNDED, (SYSTEM,), REFUND_KINDS),
    (S.REFUNDING, Action.REFUND_FAILED): _rule(S.REFUND_FAILED, (SYSTEM,), REFUND_KINDS),
    (S.REFUND_FAILED, Action.REFUND): _rule(S.REFUNDING, (STAFF,), REFUND_KINDS),
    (S.REFUNDED, Action.CLOSE): _rule(S.CLOSED, (STAFF, SYSTEM), REFUND_KINDS),
    (S.REPLACEMENT_SHIPPED, Action.CLOSE): _rule(S.CLOSED, (SHOPPER, STAFF, SYSTEM), (K.EXCHANGE,)),
    (S.INSPECTION_FAILED, Action.CLOSE): _rule(S.CLOSED, (STAFF, SYSTEM), GOODS_BACK_KINDS),
}


def rule_for(status: str, action: str, kind: str) -> Rule | None:
    rule = TRANSITIONS.get((status, action))
    return rule if rule is not None and kind in rule.kinds else None


def allowed_actions(request: AfterSalesRequest, role: str | None = None) -> list[str]:
    """Actions the table allows for this request now (for `role` when given), in table order."""
    return [
        action
        for (status, action), rule in TRANSITIONS.items()
        if status == request.status and request.kind in rule.kinds and (role is None or role in rule.roles)
    ]


# --- the one function ------------------------------------------------------------------------------


Effect = Callable[..., dict | None]


def transition(
    request: AfterSalesRequest, action: str, actor: Any, note: str = "", *, data: dict | None = None
) -> AfterSalesRequest:
    """Apply `action` as `actor` (None: the system). Returns the updated, locked-then-saved request."""
    data = dict(data or {})
    note = (note or "").strip()[:255]
    with transaction.atomic():
        locked = AfterSalesRequest.objects.select_for_update().get(pk=request.pk)
        rule = rule_for(locked.status, action, locked.kind)
        if rule is None:
            raise IllegalTransition(
                number=locked.number,
                status=locked.status,
                action=action,
                allowed=allowed_actions(locked),
            )
        role = role_of(actor, locked, rule)
        before = locked.status
        effect = EFFECTS.get(action)
        event_data = effect(locked, actor=actor, role=role, note=note, data=data) if effect else None
        locked.status = rule.to
        if role == STAFF:
            locked.handled_by = actor
        if rule.to in (S.CLOSED, S.REJECTED, S.CANCELLED):
            locked.closed_at = timezone.now()
        locked.save()
        event = AfterSalesEvent.objects.create(
            request=locked,
            action=action,
            from_status=before,
            to_status=locked.status,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            actor_role=role,
            note=note,
            data=event_data or {},
        )
        _announce(locked, event)
    request.__dict__.update(locked.__dict__)
    return locked


def _announce(request: AfterSalesRequest, event: AfterSalesEvent) -> None:
    """aftersales.signals.request_changed once the move has committed; a failing receiver is logged
    and never undoes or fails the move."""
    from shopops.aftersales.signals import request_changed

    transaction.on_commit(
        lambda: request_changed.send_robust(AfterSalesRequest, request=request, event=event), robust=True
    )


def role_of(actor: Any, request: AfterSalesRequest, rule: Rule) -> str:
    if actor is None:
        if SYSTEM in rule.roles:
            return SYSTEM
        raise NotYourAction(number=request.number)
    if actor.pk == request.user_id and SHOPPER in rule.roles:
        return SHOPPER
    from shopops.shops.selectors import has_shop_perm

    if STAFF in rule.roles and has_shop_perm(actor, request.shop_id, MANAGE_PERMISSION):
        return STAFF
    raise NotYourAction(number=request.number, allowed_roles=sorted(rule.roles))


def register_effect(action: str) -> Callable[[Effect], Effect]:
    """Services register the side effect of an action here (keeps this module free of app imports)."""

    def decorator(func: Effect) -> Effect:
        EFFECTS[action] = func
        return func

    return decorator


EFFECTS: dict[str, Effect] = {}
