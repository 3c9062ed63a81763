"""Reading an uploaded file from a request: multipart (`file` field) or JSON with base64 content.

Browsers and curl send multipart; scripts and the JSON-only API clients can send
{"file_name": "a.csv", "content_base64": "...", ...}. Django caps non-multipart bodies at
DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB by default), so big files must go as multipart.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.http import HttpRequest

from shopops.core.errors import InvalidInput


def file_from_request(request: HttpRequest) -> tuple[UploadedFile, dict[str, Any]]:
    content_type = request.content_type or ""
    if content_type.startswith("multipart/"):
        upload = request.FILES.get("file")
        if upload is None:
            raise _missing()
        return upload, {key: request.POST.get(key) for key in request.POST}
    try:
        data = json.loads(request.body or b"{}")
    except RequestDataTooBig:
        raise InvalidInput(
            "JSON 请求体过大，请用 multipart 上传 / Body too large for JSON: upload as multipart",
            code="body_too_large",
        ) from None
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(
            "请求体不是有效的 JSON / The body is not valid JSON", code="invalid_json"
        ) from None
    if not isinstance(data, dict) or not data.get("content_base64"):
        raise _missing()
    try:
        content = base64.b64decode(str(data["content_base64"]), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(
            "content_base64 不是有效的 Base64 / content_base64 is not valid Base64", code="invalid_base64"
        ) from None
    name = str(data.get("file_name") or "upload")[:200]
    fields = {k: v for k, v in data.items() if k not in ("content_base64", "file_name")}
    return SimpleUploadedFile(name, content), fields


def optional_int(value: Any, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidInput(code="invalid_field", field=field, value=value) from None


def _missing() -> InvalidInput:
    return InvalidInput(
        "请上传文件（multipart 字段 file，或 JSON 的 content_base64）/ "
        'Upload a file (multipart field "file" or JSON content_base64)',
        code="file_required",
    )
