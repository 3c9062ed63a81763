"""Domain errors of the orders app (mapped to the API error shape by core.errors)."""

from __future__ import annotations

from shopops.core.errors import Conflict, IllegalTransition, InvalidInput, NotFound, PermissionDenied

__all__ = [
    "IdempotencyKeyReused",
    "IllegalTransition",
    "InvalidIdempotencyKey",
    "NotYourAction",
    "OrderGroupNotFound",
    "OrderNotFound",
    "OutOfStock",
    "PaymentArrivedMeanwhile",
    "RefundExceedsPaid",
    "ShippingInfoRequired",
]


class OrderNotFound(NotFound):
    code = "order_not_found"
    message = "订单不存在 / Order not found"


class OrderGroupNotFound(NotFound):
    code = "order_group_not_found"
    message = "支付单不存在 / Order payment not found"


class InvalidIdempotencyKey(InvalidInput):
    code = "invalid_idempotency_key"
    message = (
        "幂等键无效（1-64 位字母、数字、-、_、:、.）/ Invalid Idempotency-Key (1-64 letters, digits, - _ : .)"
    )


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    message = (
        "该幂等键已用于另一笔不同的下单请求 / This Idempotency-Key was used for a different order request"
    )


class OutOfStock(Conflict):
    code = "out_of_stock"
    message = "部分商品库存不足，订单未创建 / Some items are out of stock; no order was placed"


class NotYourAction(PermissionDenied):
    code = "permission_denied"
    message = "无权对该订单执行此操作 / You may not do this to this order"


class ShippingInfoRequired(InvalidInput):
    code = "shipping_info_required"
    message = "发货需填写快递公司和运单号 / Shipping needs a carrier and a waybill number"


class PaymentArrivedMeanwhile(Conflict):
    code = "order_paid_meanwhile"
    message = "订单刚刚已付款，请刷新后再操作 / The order was just paid; refresh and try again"


class RefundExceedsPaid(InvalidInput):
    code = "refund_exceeds_paid"
    message = "退款金额超过订单可退金额 / The refund is more than what can still be refunded on this order"


class NotPayable(Conflict):
    code = "order_not_payable"
    message = (
        "订单已支付、已取消或已关闭，不能支付 / The order is paid, cancelled or closed and cannot be paid"
    )
