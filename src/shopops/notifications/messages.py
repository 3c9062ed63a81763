"""The texts of every message, in the Chinese source language with %(name)s placeholders.

They are stored as written here and translated when shown (models.Notification.display_title), so
gettext_noop only marks them for the catalogue.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop as N_

ORDER_SHIPPED = N_("订单 %(order_no)s 已发货")
ORDER_SHIPPED_BODY = N_("%(carrier)s 运单号 %(waybill)s，请留意查收。")

AS_APPROVED = N_("售后申请 %(number)s 已通过审核")
AS_APPROVED_GOODS_BACK = N_("请将商品寄回并在售后详情中填写退货运单号。")
AS_APPROVED_REFUND = N_("我们会尽快为你退款。")
AS_REJECTED = N_("售后申请 %(number)s 未通过")
AS_REJECTED_BODY = N_("拒绝原因：%(reason)s")
AS_RECEIVED = N_("商家已收到你寄回的商品（%(number)s）")
AS_RECEIVED_BODY = N_("验货通过，我们会尽快为你处理。")
AS_INSPECTION_FAILED = N_("售后申请 %(number)s 验货未通过")
AS_INSPECTION_FAILED_BODY = N_("验货说明：%(note)s")
AS_REFUNDED = N_("售后退款已到账（%(number)s）")
AS_REFUNDED_BODY = N_("¥%(amount)s 已原路退回，售后完成。")
AS_REPLACEMENT_SHIPPED = N_("换货商品已发出（%(number)s）")
AS_REPLACEMENT_SHIPPED_BODY = N_("%(carrier)s 运单号 %(waybill)s，收到后请在售后详情中确认。")
AS_CLOSED = N_("售后申请 %(number)s 已完成")

TICKET_REPLY = N_("客服回复了你的工单 %(number)s")
TICKET_RESOLVED = N_("工单 %(number)s 已解决")
TICKET_RESOLVED_BODY = N_("如果问题仍未解决，直接回复工单即可重新打开。")
TICKET_CLOSED = N_("工单 %(number)s 已关闭")
