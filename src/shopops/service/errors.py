"""Domain errors of the customer-service app."""

from __future__ import annotations

from shopops.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Throttled


class TicketNotFound(NotFound):
    code = "ticket_not_found"
    message = "工单不存在 / Ticket not found"


class TicketClosed(Conflict):
    code = "ticket_closed"
    message = "工单已关闭 / The ticket is closed"


class InvalidAssignee(InvalidInput):
    code = "invalid_assignee"
    message = "只能指派给本店有客服权限的员工 / Assign to a member of this shop who handles tickets"


class ShopRequired(InvalidInput):
    code = "shop_required"
    message = "请选择要咨询的店铺或订单 / Choose the shop or the order this is about"


class TooManyOpenTickets(Throttled):
    code = "too_many_open_tickets"
    message = "未关闭的工单过多，请先处理已有工单 / Too many open tickets; continue an existing one"


class NotYourTicket(PermissionDenied):
    code = "permission_denied"
    message = "无权处理该工单 / You may not act on this ticket"
