"""Catalog API (/api/v1/catalog).

- Public reads (no sign-in): the category tree, attributes, brands, product listing, search with
  facets, and on-sale product detail. Listing/search/detail answers are cached in Redis as JSON
  bytes (versioned keys, see catalog/cache.py) and returned without re-serialising.
- Platform (`platform.catalog`, platform admins and catalogue staff): the category tree, attributes,
  values, brands.
  Categories are platform-wide like Taobao's: shops list products in them, they do not own them.
- Shop-scoped (`catalog.view` / `catalog.manage` in the shop in the path): products, SKUs, images,
  listing actions, import and export. Another shop's product id answers 404.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from ninja import Router, Status
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import paginate
from pydantic import ValidationError as PydanticValidationError

from shopops.accounts.auth import api_auth
from shopops.catalog import cache, presenters, search, selectors, services, uploads
from shopops.catalog.errors import ImportRowsInvalid
from shopops.catalog.models import Attribute, AttributeGroup, Brand, ImportJob, ImportMode
from shopops.catalog.schemas import (
    AttributeGroupIn,
    AttributeGroupOut,
    AttributeIn,
    AttributeOut,
    AttributePatch,
    AttributeValueIn,
    AttributeValueOut,
    AttributeValuePatch,
    AxesIn,
    BrandIn,
    BrandOut,
    BrandPatch,
    CategoryAttributeLinkIn,
    CategoryDetailOut,
    CategoryIn,
    CategoryMoveIn,
    CategoryNode,
    CategoryOut,
    CategoryPatch,
    ImageOrderIn,
    ImageOut,
    ImagePatch,
    ImportJobOut,
    ListingQuery,
    MergeIn,
    ProductIn,
    ProductListOut,
    ProductOut,
    ProductPatch,
    ReadinessOut,
    ScheduleIn,
    SearchOut,
    SearchQuery,
    SkuIn,
    SkuOut,
    SkuPatch,
    UnpublishIn,
)
from shopops.core.errors import InvalidInput, NotFound
from shopops.core.pagination import PageNumberPagination
from shopops.shops.access import platform_permission, public, shop_permission

router = Router(tags=["catalog"])

# Platform staff who manage the shared taxonomy. platform_admin holds it; if a dedicated
# "platform.catalog" permission is added to shops.permissions, change it here only.
# The shared taxonomy is a platform job of its own (类目运营), apart from reviewing shops.
TAXONOMY_PERMISSION = "platform.catalog"
PUBLIC_NOTE = "Shopper-facing catalog data: only active categories and on-sale products of active shops."


def _json(payload: Any, status: int = 200) -> HttpResponse:
    body = payload if isinstance(payload, bytes) else _dumps(payload)
    return HttpResponse(body, status=status, content_type="application/json")


def _dumps(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode()


# --- public reads ---------------------------------------------------------------------------------


@router.get("/categories", response=list[CategoryNode], auth=None, summary="The category tree")
@public(PUBLIC_NOTE)
def category_tree(request: HttpRequest):
    return _json(cache.listing("tree", {}, lambda: _dumps(selectors.category_tree())))


@router.get(
    "/categories/{int:category_id}",
    response=CategoryDetailOut,
    auth=None,
    summary="A category with its attributes",
)
@public(PUBLIC_NOTE)
def category_detail(request: HttpRequest, category_id: int):
    category = selectors.get_category(category_id)
    if not category.is_active:
        raise NotFound(code="category_not_found", id=category_id)
    return {
        "category": category,
        "breadcrumbs": selectors.category_breadcrumbs(category),
        "children": list(type(category).objects.get_children(category).filter(is_active=True)),
        "attributes": selectors.effective_category_attributes(category),
    }


@router.get("/attribute-groups", response=list[AttributeGroupOut], auth=None, summary="Attribute groups")
@public(PUBLIC_NOTE)
def list_attribute_groups(request: HttpRequest):
    return AttributeGroup.objects.all()


@router.get(
    "/attributes", response=list[AttributeOut], auth=None, summary="Attributes and their managed values"
)
@public(PUBLIC_NOTE)
def list_attributes(request: HttpRequest):
    return Attribute.objects.prefetch_related("values").order_by("position", "id")


@router.get("/brands", response=list[BrandOut], auth=None, summary="Active brands")
@public(PUBLIC_NOTE)
def list_brands(request: HttpRequest):
    return Brand.objects.filter(is_active=True)


def _search_params(query: ListingQuery, *, q: str = "", facets: bool = False) -> search.SearchParams:
    return search.SearchParams(
        q=q,
        category_id=query.category,
        brand_ids=query.brand,
        value_ids=query.value,
        price_min=query.price_min,
        price_max=query.price_max,
        shop_id=query.shop,
        sort=query.sort,
        page=query.page,
        page_size=query.page_size,
        with_facets=facets,
    )


# The two busiest public endpoints look the answer up in the cache BEFORE validating the query
# string (ninja's parameter resolution costs about as much as the cached answer itself): the key
# is the known parameters as sent. Only on a miss is the query validated by the schema (a bad one
# answers 422 in the error shape and is never cached) and the search run.


def _query_parameters(schema: type[ListingQuery]) -> dict[str, Any]:
    properties = schema.model_json_schema()["properties"]
    return {
        "parameters": [
            {
                "in": "query",
                "name": name,
                "required": False,
                "schema": spec,
                "description": spec.get("description", ""),
            }
            for name, spec in properties.items()
        ]
    }


_FIELD_NAMES: dict[type, frozenset[str]] = {}


def _raw_key(request: HttpRequest, schema: type[ListingQuery]) -> dict[str, list[str]]:
    names = _FIELD_NAMES.get(schema)
    if names is None:
        names = _FIELD_NAMES[schema] = frozenset(schema.model_fields)
    return {name: request.GET.getlist(name) for name in sorted(request.GET) if name in names}


# (kind, raw query string) -> cache key digest. The digest is a pure function of the query string,
# so remembering it skips parsing the query string and hashing the parameters on every cached hit.
# Bounded: cleared when full (distinct query strings are cheap to send).
_DIGESTS: dict[tuple[str, str], str] = {}
_MAX_DIGESTS = 20_000


def _digest(request: HttpRequest, kind: str, schema: type[ListingQuery]) -> str:
    memo_key = (kind, request.META.get("QUERY_STRING", ""))
    digest = _DIGESTS.get(memo_key)
    if digest is None:
        digest = cache.params_digest(kind, _raw_key(request, schema))
        if len(_DIGESTS) >= _MAX_DIGESTS:
            _DIGESTS.clear()
        _DIGESTS[memo_key] = digest
    return digest


def _validated(request: HttpRequest, schema: type[ListingQuery]) -> Any:
    data: dict[str, Any] = {}
    for name, field in schema.model_fields.items():
        if name not in request.GET:
            continue
        is_list = getattr(field.annotation, "__origin__", None) is list
        data[name] = request.GET.getlist(name) if is_list else request.GET.get(name)
    try:
        return schema.model_validate(data)
    except PydanticValidationError as exc:
        errors = [{**e, "loc": ("query", *e["loc"])} for e in exc.errors(include_url=False)]
        raise NinjaValidationError(errors) from None


@router.get(
    "/products",
    response=SearchOut,
    auth=None,
    summary="On-sale products (browse, cached)",
    openapi_extra=_query_parameters(ListingQuery),
)
@public(PUBLIC_NOTE)
def list_products(request: HttpRequest):
    def build() -> bytes:
        query = _validated(request, ListingQuery)
        return _dumps(search.search(_search_params(query)))

    return _json(cache.listing_by_digest(_digest(request, "list", ListingQuery), build))


@router.get(
    "/search",
    response=SearchOut,
    auth=None,
    summary="Full-text search with facets (cached)",
    openapi_extra=_query_parameters(SearchQuery),
)
@public(PUBLIC_NOTE)
def search_products(request: HttpRequest):
    def build() -> bytes:
        query = _validated(request, SearchQuery)
        return _dumps(search.search(_search_params(query, q=query.q, facets=query.facets)))

    return _json(cache.listing_by_digest(_digest(request, "search", SearchQuery), build))


@router.get(
    "/products/{int:product_id}", auth=None, summary="An on-sale product with SKUs and live availability"
)
@public(PUBLIC_NOTE)
def product_detail(request: HttpRequest, product_id: int):
    return _json(presenters.with_availability(presenters.public_product_detail(product_id)))


# --- platform: categories -------------------------------------------------------------------------


@router.post(
    "/categories", response={201: CategoryOut}, auth=api_auth, summary="Create a category (max 3 levels)"
)
@platform_permission(TAXONOMY_PERMISSION)
def create_category(request: HttpRequest, payload: CategoryIn):
    return Status(201, services.create_category(actor=request.auth, **payload.dict()))


@router.patch("/categories/{int:category_id}", response=CategoryOut, auth=api_auth, summary="Edit a category")
@platform_permission(TAXONOMY_PERMISSION)
def update_category(request: HttpRequest, category_id: int, payload: CategoryPatch):
    return services.update_category(
        actor=request.auth, category_id=category_id, **payload.dict(exclude_unset=True, exclude_none=True)
    )


@router.post(
    "/categories/{int:category_id}/move",
    response=CategoryOut,
    auth=api_auth,
    summary="Move a subtree (with products)",
)
@platform_permission(TAXONOMY_PERMISSION)
def move_category(request: HttpRequest, category_id: int, payload: CategoryMoveIn):
    return services.move_category(
        actor=request.auth, category_id=category_id, parent_id=payload.parent_id, position=payload.position
    )


@router.delete(
    "/categories/{int:category_id}", response={204: None}, auth=api_auth, summary="Delete an empty category"
)
@platform_permission(TAXONOMY_PERMISSION)
def delete_category(request: HttpRequest, category_id: int):
    services.delete_category(actor=request.auth, category_id=category_id)
    return Status(204, None)


@router.post(
    "/categories/{int:category_id}/attributes",
    response={201: CategoryDetailOut},
    auth=api_auth,
    summary="Offer an attribute on a category (and its subtree)",
)
@platform_permission(TAXONOMY_PERMISSION)
def link_attribute(request: HttpRequest, category_id: int, payload: CategoryAttributeLinkIn):
    services.link_attribute(actor=request.auth, category_id=category_id, **payload.dict())
    category = selectors.get_category(category_id)
    return Status(
        201,
        {
            "category": category,
            "breadcrumbs": selectors.category_breadcrumbs(category),
            "children": list(type(category).objects.get_children(category)),
            "attributes": selectors.effective_category_attributes(category),
        },
    )


@router.delete(
    "/categories/{int:category_id}/attributes/{int:attribute_id}",
    response={204: None},
    auth=api_auth,
    summary="Stop offering an attribute on a category",
)
@platform_permission(TAXONOMY_PERMISSION)
def unlink_attribute(request: HttpRequest, category_id: int, attribute_id: int):
    services.unlink_attribute(actor=request.auth, category_id=category_id, attribute_id=attribute_id)
    return Status(204, None)


# --- platform: attributes, values, brands ---------------------------------------------------------


@router.post(
    "/attribute-groups", response={201: AttributeGroupOut}, auth=api_auth, summary="Create an attribute group"
)
@platform_permission(TAXONOMY_PERMISSION)
def create_attribute_group(request: HttpRequest, payload: AttributeGroupIn):
    return Status(201, services.create_attribute_group(actor=request.auth, **payload.dict()))


@router.post("/attributes", response={201: AttributeOut}, auth=api_auth, summary="Create a typed attribute")
@platform_permission(TAXONOMY_PERMISSION)
def create_attribute(request: HttpRequest, payload: AttributeIn):
    return Status(201, services.create_attribute(actor=request.auth, **payload.dict()))


@router.patch(
    "/attributes/{int:attribute_id}", response=AttributeOut, auth=api_auth, summary="Edit an attribute"
)
@platform_permission(TAXONOMY_PERMISSION)
def update_attribute(request: HttpRequest, attribute_id: int, payload: AttributePatch):
    return services.update_attribute(
        actor=request.auth, attribute_id=attribute_id, **payload.dict(exclude_unset=True)
    )


@router.delete(
    "/attributes/{int:attribute_id}",
    response={204: None},
    auth=api_auth,
    summary="Delete an unused attribute",
)
@platform_permission(TAXONOMY_PERMISSION)
def delete_attribute(request: HttpRequest, attribute_id: int):
    services.delete_attribute(actor=request.auth, attribute_id=attribute_id)
    return Status(204, None)


@router.post(
    "/attributes/{int:attribute_id}/values",
    response={201: AttributeValueOut},
    auth=api_auth,
    summary="Add a managed value (unique after normalisation, aliases included)",
)
@platform_permission(TAXONOMY_PERMISSION)
def add_attribute_value(request: HttpRequest, attribute_id: int, payload: AttributeValueIn):
    return Status(
        201, services.add_attribute_value(actor=request.auth, attribute_id=attribute_id, **payload.dict())
    )


@router.patch(
    "/attribute-values/{int:value_id}",
    response=AttributeValueOut,
    auth=api_auth,
    summary="Edit a managed value",
)
@platform_permission(TAXONOMY_PERMISSION)
def update_attribute_value(request: HttpRequest, value_id: int, payload: AttributeValuePatch):
    return services.update_attribute_value(
        actor=request.auth, value_id=value_id, **payload.dict(exclude_unset=True)
    )


@router.delete(
    "/attribute-values/{int:value_id}", response={204: None}, auth=api_auth, summary="Delete an unused value"
)
@platform_permission(TAXONOMY_PERMISSION)
def delete_attribute_value(request: HttpRequest, value_id: int):
    services.delete_attribute_value(actor=request.auth, value_id=value_id)
    return Status(204, None)


@router.post(
    "/attribute-values/{int:value_id}/merge",
    response=AttributeValueOut,
    auth=api_auth,
    summary="Merge a duplicate value into another (e.g. 红 into 红色)",
)
@platform_permission(TAXONOMY_PERMISSION)
def merge_attribute_value(request: HttpRequest, value_id: int, payload: MergeIn):
    return services.merge_attribute_values(actor=request.auth, source_id=value_id, target_id=payload.into)


@router.post("/brands", response={201: BrandOut}, auth=api_auth, summary="Add a brand")
@platform_permission(TAXONOMY_PERMISSION)
def create_brand(request: HttpRequest, payload: BrandIn):
    return Status(201, services.create_brand(actor=request.auth, **payload.dict()))


@router.patch("/brands/{int:brand_id}", response=BrandOut, auth=api_auth, summary="Edit a brand")
@platform_permission(TAXONOMY_PERMISSION)
def update_brand(request: HttpRequest, brand_id: int, payload: BrandPatch):
    return services.update_brand(actor=request.auth, brand_id=brand_id, **payload.dict(exclude_unset=True))


@router.delete(
    "/brands/{int:brand_id}", response={204: None}, auth=api_auth, summary="Delete a brand without products"
)
@platform_permission(TAXONOMY_PERMISSION)
def delete_brand(request: HttpRequest, brand_id: int):
    services.delete_brand(actor=request.auth, brand_id=brand_id)
    return Status(204, None)


# --- shop: products -------------------------------------------------------------------------------


def _product_out(shop_id: int, product_id: int):
    return selectors.product_for_shop(shop_id, product_id)


@router.get(
    "/shops/{int:shop_id}/products",
    response=list[ProductListOut],
    auth=api_auth,
    summary="The shop's products",
)
@paginate(PageNumberPagination)
@shop_permission("catalog.view")
def list_shop_products(
    request: HttpRequest, shop_id: int, status: str | None = None, q: str = "", category_id: int | None = None
):
    return selectors.products_for_shop(shop_id, status=status, q=q.strip()[:64], category_id=category_id)


@router.post(
    "/shops/{int:shop_id}/products",
    response={201: ProductOut},
    auth=api_auth,
    summary="Create a draft product",
)
@shop_permission("catalog.manage")
def create_product(request: HttpRequest, shop_id: int, payload: ProductIn):
    data = payload.dict()
    data["skus"] = [s.dict() for s in payload.skus]
    product = services.create_product(shop_id=shop_id, actor=request.auth, **data)
    return Status(201, _product_out(shop_id, product.id))


@router.get(
    "/shops/{int:shop_id}/products/{int:product_id}", response=ProductOut, auth=api_auth, summary="A product"
)
@shop_permission("catalog.view")
def get_product(request: HttpRequest, shop_id: int, product_id: int):
    return _product_out(shop_id, product_id)


@router.patch(
    "/shops/{int:shop_id}/products/{int:product_id}",
    response=ProductOut,
    auth=api_auth,
    summary="Edit a product",
)
@shop_permission("catalog.manage")
def update_product(request: HttpRequest, shop_id: int, product_id: int, payload: ProductPatch):
    services.update_product(
        shop_id=shop_id, product_id=product_id, actor=request.auth, **payload.dict(exclude_unset=True)
    )
    return _product_out(shop_id, product_id)


@router.delete(
    "/shops/{int:shop_id}/products/{int:product_id}",
    response={204: None},
    auth=api_auth,
    summary="Delete a product",
)
@shop_permission("catalog.manage")
def delete_product(request: HttpRequest, shop_id: int, product_id: int):
    services.delete_product(shop_id=shop_id, product_id=product_id, actor=request.auth)
    return Status(204, None)


@router.put(
    "/shops/{int:shop_id}/products/{int:product_id}/axes",
    response=ProductOut,
    auth=api_auth,
    summary="Set the variant axes (before any SKU exists)",
)
@shop_permission("catalog.manage")
def set_axes(request: HttpRequest, shop_id: int, product_id: int, payload: AxesIn):
    services.set_variant_axes(shop_id=shop_id, product_id=product_id, actor=request.auth, axes=payload.axes)
    return _product_out(shop_id, product_id)


@router.get(
    "/shops/{int:shop_id}/products/{int:product_id}/readiness",
    response=ReadinessOut,
    auth=api_auth,
    summary="What still blocks putting the product on sale",
)
@shop_permission("catalog.view")
def readiness(request: HttpRequest, shop_id: int, product_id: int):
    problems = services.readiness_problems(_product_out(shop_id, product_id))
    return {"ready": not problems, "problems": problems}


@router.post(
    "/shops/{int:shop_id}/products/{int:product_id}/publish",
    response=ProductOut,
    auth=api_auth,
    summary="Put on sale (needs a price, an image and an active SKU)",
)
@shop_permission("catalog.manage")
def publish(request: HttpRequest, shop_id: int, product_id: int):
    services.publish(shop_id=shop_id, product_id=product_id, actor=request.auth)
    return _product_out(shop_id, product_id)


@router.post(
    "/shops/{int:shop_id}/products/{int:product_id}/unpublish",
    response=ProductOut,
    auth=api_auth,
    summary="Take off sale",
)
@shop_permission("catalog.manage")
def unpublish(request: HttpRequest, shop_id: int, product_id: int, payload: UnpublishIn):
    services.unpublish(shop_id=shop_id, product_id=product_id, actor=request.auth, reason=payload.reason)
    return _product_out(shop_id, product_id)


@router.put(
    "/shops/{int:shop_id}/products/{int:product_id}/schedule",
    response=ProductOut,
    auth=api_auth,
    summary="Schedule on/off-sale times (null clears)",
)
@shop_permission("catalog.manage")
def schedule(request: HttpRequest, shop_id: int, product_id: int, payload: ScheduleIn):
    services.schedule_listing(
        shop_id=shop_id,
        product_id=product_id,
        actor=request.auth,
        on_sale_at=payload.on_sale_at,
        off_sale_at=payload.off_sale_at,
    )
    return _product_out(shop_id, product_id)


# --- shop: SKUs -----------------------------------------------------------------------------------


@router.post(
    "/shops/{int:shop_id}/products/{int:product_id}/skus",
    response={201: SkuOut},
    auth=api_auth,
    summary="Add a SKU",
)
@shop_permission("catalog.manage")
def add_sku(request: HttpRequest, shop_id: int, product_id: int, payload: SkuIn):
    sku = services.add_sku(shop_id=shop_id, product_id=product_id, actor=request.auth, **payload.dict())
    return Status(201, selectors.sku_for_shop(shop_id, sku.id))


@router.patch("/shops/{int:shop_id}/skus/{int:sku_id}", response=SkuOut, auth=api_auth, summary="Edit a SKU")
@shop_permission("catalog.manage")
def update_sku(request: HttpRequest, shop_id: int, sku_id: int, payload: SkuPatch):
    services.update_sku(
        shop_id=shop_id, sku_id=sku_id, actor=request.auth, **payload.dict(exclude_unset=True)
    )
    return selectors.sku_for_shop(shop_id, sku_id)


@router.delete(
    "/shops/{int:shop_id}/skus/{int:sku_id}",
    response={204: None},
    auth=api_auth,
    summary="Delete a SKU without history",
)
@shop_permission("catalog.manage")
def delete_sku(request: HttpRequest, shop_id: int, sku_id: int):
    services.delete_sku(shop_id=shop_id, sku_id=sku_id, actor=request.auth)
    return Status(204, None)


# --- shop: images ---------------------------------------------------------------------------------


def _upload_body(kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI request body: multipart with `file`, or JSON with the file base64-encoded."""
    json_props = {
        "file_name": {"type": "string"},
        "content_base64": {"type": "string", "format": "byte"},
        **fields,
    }
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {"file": {"type": "string", "format": "binary"}, **fields},
                    }
                },
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["file_name", "content_base64"],
                        "properties": json_props,
                        "description": f"The {kind} base64-encoded (bodies above 2.5 MB: use multipart)",
                    }
                },
            },
        }
    }


@router.post(
    "/shops/{int:shop_id}/products/{int:product_id}/images",
    response={201: ImageOut},
    auth=api_auth,
    summary="Upload an image (JPEG/PNG/WebP/GIF, at most 5 MB; a thumbnail is made)",
    openapi_extra=_upload_body("image", {"alt": {"type": "string"}, "value_id": {"type": "integer"}}),
)
@shop_permission("catalog.manage")
def upload_image(request: HttpRequest, shop_id: int, product_id: int):
    upload, fields = uploads.file_from_request(request)
    image = services.add_product_image(
        shop_id=shop_id,
        product_id=product_id,
        actor=request.auth,
        upload=upload,
        alt=str(fields.get("alt") or ""),
        value_id=uploads.optional_int(fields.get("value_id"), "value_id"),
    )
    return Status(201, image)


@router.put(
    "/shops/{int:shop_id}/products/{int:product_id}/images/order",
    response=list[ImageOut],
    auth=api_auth,
    summary="Reorder the images (the first is the main image)",
)
@shop_permission("catalog.manage")
def reorder_images(request: HttpRequest, shop_id: int, product_id: int, payload: ImageOrderIn):
    return services.reorder_images(
        shop_id=shop_id, product_id=product_id, actor=request.auth, image_ids=payload.image_ids
    )


@router.patch(
    "/shops/{int:shop_id}/images/{int:image_id}", response=ImageOut, auth=api_auth, summary="Edit an image"
)
@shop_permission("catalog.manage")
def update_image(request: HttpRequest, shop_id: int, image_id: int, payload: ImagePatch):
    return services.update_image(
        shop_id=shop_id, image_id=image_id, actor=request.auth, **payload.dict(exclude_unset=True)
    )


@router.delete(
    "/shops/{int:shop_id}/images/{int:image_id}",
    response={204: None},
    auth=api_auth,
    summary="Delete an image",
)
@shop_permission("catalog.manage")
def delete_image(request: HttpRequest, shop_id: int, image_id: int):
    services.delete_product_image(shop_id=shop_id, image_id=image_id, actor=request.auth)
    return Status(204, None)


# --- shop: import / export ------------------------------------------------------------------------


@router.post(
    "/shops/{int:shop_id}/imports",
    response={201: ImportJobOut},
    auth=api_auth,
    summary="Import products and SKUs from CSV/XLSX (validated first; 422 with the row report if rejected)",
    openapi_extra=_upload_body(
        "CSV or XLSX file", {"mode": {"type": "string", "enum": list(ImportMode.values)}}
    ),
)
@shop_permission("catalog.manage")
def import_products(request: HttpRequest, shop_id: int):
    from shopops.catalog.services.imports import import_products as run_import

    upload, fields = uploads.file_from_request(request)
    job = run_import(
        shop_id=shop_id,
        actor=request.auth,
        content=upload.read(),
        file_name=upload.name or "",
        mode=str(fields.get("mode") or ImportMode.ALL_OR_NOTHING),
    )
    if job.status == "rejected":
        raise ImportRowsInvalid(job_id=job.id, total_rows=job.total_rows, errors=job.errors)
    return Status(201, job)


@router.get(
    "/shops/{int:shop_id}/imports", response=list[ImportJobOut], auth=api_auth, summary="Past imports"
)
@paginate(PageNumberPagination)
@shop_permission("catalog.view")
def list_imports(request: HttpRequest, shop_id: int):
    return ImportJob.objects.filter(shop_id=shop_id)


@router.get(
    "/shops/{int:shop_id}/imports/{int:job_id}",
    response=ImportJobOut,
    auth=api_auth,
    summary="An import's report",
)
@shop_permission("catalog.view")
def get_import(request: HttpRequest, shop_id: int, job_id: int):
    job = ImportJob.objects.filter(shop_id=shop_id, id=job_id).first()
    if job is None:
        raise NotFound(code="import_not_found", id=job_id)
    return job


@router.get(
    "/shops/{int:shop_id}/export", auth=api_auth, summary="Export products and SKUs (format=csv|xlsx)"
)
@shop_permission("catalog.view")
def export_products(request: HttpRequest, shop_id: int, format: str = "csv"):
    from shopops.catalog.services.imports import export_csv, export_xlsx

    if format == "xlsx":
        response = HttpResponse(
            export_xlsx(shop_id),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="products-{shop_id}.xlsx"'
        return response
    if format != "csv":
        raise InvalidInput(code="invalid_format", format=format, allowed=["csv", "xlsx"])
    response = StreamingHttpResponse(export_csv(shop_id), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="products-{shop_id}.csv"'
    return response
