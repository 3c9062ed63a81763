"""Console page of the cart app (/console/cart/): each shop's shipping fee rule.

Shown to staff holding `shop.view`; changed by those holding `logistics.manage` (the logistics app
takes the page over when it replaces the simple rule).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from shopops.cart import services
from shopops.cart.shipping import rules_for
from shopops.core.errors import DomainError
from shopops.shops import selectors as shop_selectors


def shipping_rules(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    visible = shop_selectors.shops_visible_to(user).order_by("id")
    if not visible.exists():
        raise PermissionDenied
    if request.method == "POST":
        try:
            shop_id = int(request.POST.get("shop", ""))
        except ValueError as exc:
            raise Http404 from exc
        if not shop_selectors.is_shop_member(user, shop_id):
            raise Http404
        if not shop_selectors.has_shop_perm(user, shop_id, "logistics.manage"):
            raise PermissionDenied
        try:
            services.set_shipping_rule(
                shop_id=shop_id,
                standard_fee=request.POST.get("standard_fee"),
                free_over=request.POST.get("free_over"),
                express_fee=request.POST.get("express_fee"),
                actor=user,
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("运费规则已保存"))
        return redirect("cart_console:shipping")
    shops = list(visible[:200])
    rules = rules_for(s.id for s in shops)
    rows = [
        {
            "shop": shop,
            "rule": rules[shop.id],
            "can_manage": shop_selectors.has_shop_perm(user, shop.id, "logistics.manage"),
        }
        for shop in shops
    ]
    context = {**admin.site.each_context(request), "title": _("运费规则"), "rows": rows}
    return render(request, "cart/console/shipping_rules.html", context)
