"""Domain errors of the reviews app."""

from __future__ import annotations

from shopops.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied


class ReviewNotFound(NotFound):
    code = "review_not_found"
    message = "评价不存在 / Review not found"


class NotABuyer(PermissionDenied):
    code = "not_a_buyer"
    message = "只有已完成订单的买家才能评价 / Only buyers of a completed order can review it"


class AlreadyReviewed(Conflict):
    code = "already_reviewed"
    message = "该商品已评价 / This item has already been reviewed"


class FollowUpExists(Conflict):
    code = "follow_up_exists"
    message = "已追评过，每件商品只能追评一次 / A follow-up was already added; only one is allowed"


class AlreadyReplied(Conflict):
    code = "already_replied"
    message = "店铺已回复过该评价 / The shop has already replied to this review"


class ReviewWindowClosed(Conflict):
    code = "review_window_closed"
    message = "已超过评价期限 / The time to review (or follow up) has passed"


class AlreadyHidden(Conflict):
    code = "already_hidden"
    message = "评价已隐藏 / The review is already hidden"


class NotHidden(Conflict):
    code = "not_hidden"
    message = "评价未被隐藏 / The review is not hidden"


class InvalidRating(InvalidInput):
    code = "invalid_rating"
    message = "评分须为 1-5 星 / The rating must be 1 to 5 stars"


class TextRequired(InvalidInput):
    code = "text_required"
    message = "请填写内容 / Text is required"
