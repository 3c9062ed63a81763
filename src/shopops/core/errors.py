"""Domain errors and the single place that turns any failure into the API error shape.

Every API failure answers `{"code": ..., "message": ..., "details": {...}}` with a 4xx status.
Services raise a `DomainError` subclass; nothing catches one to turn it into a string.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)


class DomainError(Exception):
    """Base for failures a client can act on. Subclasses set code, status and a bilingual message."""

    code = "error"
    status = 400
    message = "请求无法处理 / The request could not be processed"

    def __init__(self, message: str | None = None, *, code: str | None = None, **details: Any) -> None:
        self.message = message or self.message
        if code:
            self.code = code
        self.details = details
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": str(self.message), "details": _jsonable(self.details)}


class BadRequest(DomainError):
    code = "bad_request"
    status = 400


class InvalidInput(DomainError):
    """Input that passed the schema but breaks a business rule (422, like schema failures)."""

    code = "invalid"
    status = 422
    message = "输入无效 / Invalid input"


class NotAuthenticated(DomainError):
    code = "not_authenticated"
    status = 401
    message = "请先登录 / Authentication required"


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403
    message = "没有权限 / You do not have permission to do this"


class NotFound(DomainError):
    code = "not_found"
    status = 404
    message = "未找到 / Not found"


class Conflict(DomainError):
    code = "conflict"
    status = 409
    message = "与当前状态冲突 / Conflicts with the current state"


class IllegalTransition(Conflict):
    code = "illegal_transition"
    message = "当前状态不允许此操作 / This action is not allowed in the current state"


class Throttled(DomainError):
    code = "throttled"
    status = 429
    message = "请求过于频繁，请稍后再试 / Too many requests, try again later"

    def __init__(self, message: str | None = None, *, retry_after: int | None = None, **details: Any) -> None:
        if retry_after is not None:
            details["retry_after"] = retry_after
        self.retry_after = retry_after
        super().__init__(message, **details)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"code": code, "message": str(message), "details": _jsonable(details or {})}


def error_response(
    code: str, message: str, status: int, details: dict[str, Any] | None = None
) -> JsonResponse:
    return JsonResponse(
        error_body(code, message, details), status=status, json_dumps_params={"ensure_ascii": False}
    )


def validation_details(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """Turn pydantic/ninja errors into {"fields": {"body.phone": ["..."]}} keyed by the failing field."""
    fields: dict[str, list[str]] = {}
    for err in errors:
        loc = [str(part) for part in err.get("loc", []) if part not in ("payload",)]
        key = ".".join(loc) or "__all__"
        fields.setdefault(key, []).append(str(err.get("msg", "invalid")))
    return {"fields": fields}


def django_validation_details(exc: DjangoValidationError) -> dict[str, Any]:
    if hasattr(exc, "error_dict"):
        return {
            "fields": {
                field: [str(m) for e in errs for m in e.messages] for field, errs in exc.error_dict.items()
            }
        }
    return {"fields": {"__all__": [str(m) for m in exc.messages]}}


def response_for_exception(exc: Exception) -> HttpResponse | None:
    """Map a known exception to the error shape; None for anything unexpected (a real 500)."""
    if isinstance(exc, Throttled):
        response = error_response(exc.code, exc.message, exc.status, exc.details)
        if exc.retry_after:
            response["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, DomainError):
        return error_response(exc.code, exc.message, exc.status, exc.details)
    if isinstance(exc, DjangoValidationError):
        return error_response("invalid", "输入无效 / Invalid input", 422, django_validation_details(exc))
    if isinstance(exc, Http404):
        return error_response(NotFound.code, NotFound.message, 404)
    if isinstance(exc, DjangoPermissionDenied):
        return error_response(PermissionDenied.code, PermissionDenied.message, 403)
    return None


def api_404(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return error_response("not_found", "未找到 / Not found", 404, {"path": request.path})
