"""Domain errors of the payments app (mapped to the API error shape by core.errors)."""

from __future__ import annotations

from shopops.core.errors import Conflict, DomainError, InvalidInput, NotFound


class PaymentNotFound(NotFound):
    code = "payment_not_found"
    message = "支付单不存在 / Payment not found"


class UnknownChannel(InvalidInput):
    code = "unknown_channel"
    message = "不支持的支付渠道 / Unsupported payment channel"


class InvalidAmount(InvalidInput):
    code = "invalid_amount"
    message = "金额无效 / Invalid amount"


class AlreadyPaid(Conflict):
    code = "already_paid"
    message = "该订单已支付 / This has already been paid"


class PaymentNotRefundable(Conflict):
    code = "payment_not_refundable"
    message = "支付单未支付成功，不能退款 / Only a paid payment can be refunded"


class RefundExceedsPaid(InvalidInput):
    code = "refund_exceeds_paid"
    message = "退款总额不能超过实付金额 / Total refunds cannot exceed the amount paid"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    message = "幂等键已用于另一笔不同的退款 / This idempotency key was used for a different refund"


class NothingToResolve(Conflict):
    code = "nothing_to_resolve"
    message = "该支付单没有待处理的关闭后到账 / This payment has no late payment to resolve"


class GatewayUnavailable(DomainError):
    """The provider could not be reached or answered nonsense: safe to retry later."""

    code = "gateway_unavailable"
    status = 503
    message = "支付渠道暂时不可用，请稍后再试 / The payment provider is unavailable, try again later"


class GatewayRejected(DomainError):
    """The provider answered, and said no (a business error such as a bad parameter)."""

    code = "gateway_rejected"
    status = 502
    message = "支付渠道拒绝了请求 / The payment provider refused the request"


class ReconciliationRangeInvalid(InvalidInput):
    code = "invalid_range"
    message = (
        "对账时间范围无效（开始须早于结束，最长 31 天）/ Invalid range (start before end, at most 31 days)"
    )


class PayableNotFound(NotFound):
    code = "payable_not_found"
    message = "没有可支付的订单 / Nothing to pay for this reference"
