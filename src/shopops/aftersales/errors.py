"""Domain errors of the after-sales app (mapped to the API error shape by core.errors)."""

from __future__ import annotations

from shopops.core.errors import Conflict, IllegalTransition, InvalidInput, NotFound, PermissionDenied

__all__ = [
    "AfterSalesInProgress",
    "AfterSalesNotFound",
    "AmountExceedsPaidShare",
    "IllegalTransition",
    "NotYourAction",
    "OrderNotEligible",
    "QuantityExceeded",
    "ReasonRequired",
    "ReplacementNotAvailable",
    "ReplacementNotForKind",
    "ReplacementOtherProduct",
    "ReplacementPriceDiffers",
    "ReplacementSkuNotFound",
    "WaybillRequired",
    "WindowClosed",
]


class AfterSalesNotFound(NotFound):
    code = "aftersales_not_found"
    message = "售后单不存在 / After-sales request not found"


class OrderNotEligible(Conflict):
    code = "order_not_eligible"
    message = (
        "订单尚未送达或已取消，不能申请售后 / "
        "The order is not delivered (or was cancelled): no after-sales yet"
    )


class WindowClosed(Conflict):
    code = "aftersales_window_closed"
    message = "已超过售后期限 / The after-sales window for this order has closed"


class AfterSalesInProgress(Conflict):
    code = "aftersales_in_progress"
    message = "该商品已有进行中的售后 / This item already has an after-sales request in progress"


class QuantityExceeded(InvalidInput):
    code = "aftersales_quantity_exceeded"
    message = "申请数量超过可售后数量 / More units than this item has left for after-sales"


class AmountExceedsPaidShare(InvalidInput):
    code = "refund_exceeds_paid_share"
    message = "退款金额超过该商品的实付金额 / The refund is more than this item's paid share"


class ReasonRequired(InvalidInput):
    code = "reason_required"
    message = "请填写原因 / A reason is required"


class WaybillRequired(InvalidInput):
    code = "waybill_required"
    message = "请填写快递公司和运单号 / A carrier and a waybill number are required"


class NotYourAction(PermissionDenied):
    code = "permission_denied"
    message = "无权对该售后单执行此操作 / You may not do this to this after-sales request"


# --- exchanging for another SKU of the same product (see services.create_request) ----------------------


class ReplacementNotForKind(InvalidInput):
    code = "replacement_not_for_kind"
    message = "只有换货申请可以选择换货规格 / Only an exchange takes a replacement SKU"


class ReplacementSkuNotFound(InvalidInput):
    code = "replacement_sku_not_found"
    message = "换货规格不存在或已下架 / The replacement SKU does not exist or is not on sale"


class ReplacementOtherProduct(InvalidInput):
    code = "replacement_other_product"
    message = "只能换同一商品的其他规格 / The replacement must be another SKU of the same product"


class ReplacementPriceDiffers(InvalidInput):
    """This version has no top-up or part refund: an exchange is for a SKU at the price paid."""

    code = "replacement_price_differs"
    message = (
        "换货规格价格与原商品不同，暂不支持补差价换货 / "
        "The replacement SKU costs a different price; exchanges with a price difference are not supported"
    )


class ReplacementNotAvailable(Conflict):
    code = "replacement_not_available"
    message = "换货规格库存不足 / Not enough stock of the replacement SKU"
