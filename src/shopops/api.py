"""The one NinjaAPI: every app's router is mounted here, every failure leaves in the error shape."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError
from ninja.errors import Throttled as NinjaThrottled

from shopops.core.errors import (
    DomainError,
    error_response,
    response_for_exception,
    validation_details,
)

logger = logging.getLogger("shopops.api")

api = NinjaAPI(
    title="ShopOps API",
    version="1.0",
    description="ShopOps e-commerce operations platform. Errors: {code, message, details} with a 4xx status.",
    urls_namespace="api",
    docs_url="/docs",
)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return error_response(
        "validation_error", "输入校验失败 / Validation failed", 422, validation_details(exc.errors)
    )


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response("not_authenticated", "请先登录 / Authentication required", 401)


@api.exception_handler(AuthorizationError)
def on_authorization_error(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
    return error_response("permission_denied", "没有权限 / You do not have permission to do this", 403)


@api.exception_handler(NinjaThrottled)
def on_throttled(request: HttpRequest, exc: NinjaThrottled) -> HttpResponse:
    response = error_response("throttled", "请求过于频繁 / Too many requests", 429)
    if exc.wait:
        response["Retry-After"] = str(int(exc.wait))
    return response


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = {400: "bad_request", 401: "not_authenticated", 403: "permission_denied", 404: "not_found"}.get(
        exc.status_code, "error"
    )
    return error_response(code, str(exc.message), exc.status_code)


@api.exception_handler(Exception)
def on_any_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    response = response_for_exception(exc)
    if response is not None:
        return response
    # A genuine bug: log it with its traceback, answer in the error shape without leaking internals.
    logger.exception("unhandled error on %s %s", request.method, request.path)
    return error_response("internal_error", "服务器内部错误 / Internal server error", 500)


api.exception_handler(DomainError)(lambda request, exc: response_for_exception(exc))


def _mount_routers() -> None:
    from shopops.accounts.api import router as accounts_router
    from shopops.aftersales.api import router as aftersales_router
    from shopops.cart.api import router as cart_router
    from shopops.catalog.api import router as catalog_router
    from shopops.core.api import router as core_router
    from shopops.inventory.api import router as inventory_router
    from shopops.notifications.api import router as notifications_router
    from shopops.orders.api import router as orders_router
    from shopops.payments.api import router as payments_router
    from shopops.reviews.api import router as reviews_router
    from shopops.service.api import router as service_router
    from shopops.shops.api import router as shops_router

    api.add_router("/", core_router)
    api.add_router("/accounts", accounts_router)
    api.add_router("/shops", shops_router)
    api.add_router("/catalog", catalog_router)
    api.add_router("/inventory", inventory_router)
    api.add_router("/payments", payments_router)
    api.add_router("/cart", cart_router)
    api.add_router("/orders", orders_router)
    api.add_router("/aftersales", aftersales_router)
    api.add_router("/reviews", reviews_router)
    api.add_router("/service", service_router)
    api.add_router("/notifications", notifications_router)


_mount_routers()
