"""Admin (django-unfold) for reviews: read-only, scoped to the staff's shops. Replies and moderation
happen in the reviews console (/console/reviews/) through the services, so summaries stay exact."""

from __future__ import annotations

from django.contrib import admin

from shopops.reviews.models import Review
from shopops.shops.admin_base import ShopScopedAdmin


@admin.register(Review)
class ReviewAdmin(ShopScopedAdmin):
    shop_field = "shop"
    view_permission = "reviews.moderate"
    manage_permission = ""
    allow_add = False
    allow_delete = False
    list_display = ("id", "product", "shop", "rating", "status", "is_anonymous", "replied_at", "created_at")
    list_filter = ("status", "rating", "created_at")
    search_fields = ("text", "product__title", "order__number")
    list_select_related = ("product", "shop")
    readonly_fields = [f.name for f in Review._meta.fields]
