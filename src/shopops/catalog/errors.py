"""Catalog domain errors: each a code a client can switch on and a bilingual message."""

from __future__ import annotations

from shopops.core.errors import Conflict, InvalidInput, NotFound


class CategoryTooDeep(InvalidInput):
    code = "category_too_deep"
    message = "类目最多三级 / Categories can be nested at most 3 levels deep"


class CategoryMoveInvalid(InvalidInput):
    code = "category_move_invalid"
    message = "不能把类目移动到它自己或其子类目下 / A category cannot move under itself or its descendants"


class CategoryNotLeaf(InvalidInput):
    code = "category_not_leaf"
    message = "商品只能发布在末级类目 / Products can only be listed in a leaf category"


class CategoryInUse(Conflict):
    code = "category_in_use"
    message = "类目下还有商品或子类目，无法删除 / The category still has products or subcategories"


class SlugTaken(Conflict):
    code = "slug_taken"
    message = "标识已被使用 / This slug is already used"


class AttributeInUse(Conflict):
    code = "attribute_in_use"
    message = "属性或属性值正在被商品使用 / The attribute or value is used by products"


class DuplicateAttributeValue(Conflict):
    code = "duplicate_attribute_value"
    message = "属性值已存在（含别名） / This value (or an alias of it) already exists"


class UnknownAttributeValue(InvalidInput):
    code = "unknown_attribute_value"
    message = "属性值不存在，请从属性库中选择 / Unknown attribute value: pick one from the managed list"


class AttributeNotInCategory(InvalidInput):
    code = "attribute_not_in_category"
    message = "该类目没有此属性 / This attribute is not offered in the product's category"


class InvalidAttributeInput(InvalidInput):
    code = "invalid_attribute"
    message = "属性值格式不正确 / The attribute value does not fit the attribute's type"


class DuplicateBrand(Conflict):
    code = "duplicate_brand"
    message = "品牌已存在 / This brand already exists"


class BrandInUse(Conflict):
    code = "brand_in_use"
    message = "品牌下还有商品，请改为停用 / The brand still has products: deactivate it instead"


class UnknownBrand(InvalidInput):
    code = "unknown_brand"
    message = "品牌不存在或已停用 / Unknown or inactive brand"


class InvalidPrice(InvalidInput):
    code = "invalid_price"
    message = "价格无效：须为不小于 0 的金额 / Invalid price: must be an amount of 0 or more"


class DuplicateSkuCode(Conflict):
    code = "duplicate_sku_code"
    message = "SKU 编码在本店已存在 / This SKU code is already used in the shop"


class DuplicateSpuCode(Conflict):
    code = "duplicate_spu_code"
    message = "商品编码在本店已存在 / This product code is already used in the shop"


class InvalidVariants(InvalidInput):
    code = "invalid_variants"
    message = "规格组合无效 / Invalid variant combination"


class SkuInUse(Conflict):
    code = "sku_in_use"
    message = "SKU 已有库存或订单记录，只能停用 / The SKU has stock or orders: deactivate it instead"


class ProductNotFound(NotFound):
    code = "product_not_found"
    message = "商品不存在 / Product not found"


class NotReadyForSale(InvalidInput):
    code = "not_ready_for_sale"
    message = "商品不满足上架条件 / The product cannot go on sale yet"


class ImageTooLarge(InvalidInput):
    code = "image_too_large"
    message = "图片不能超过 5 MB / Images must be 5 MB or smaller"


class NotAnImage(InvalidInput):
    code = "not_an_image"
    message = "文件不是支持的图片（JPEG、PNG、WebP、GIF） / Not a supported image (JPEG, PNG, WebP, GIF)"


class TooManyImages(InvalidInput):
    code = "too_many_images"
    message = "商品图片已达上限 / The product has the maximum number of images"


class ImportFileInvalid(InvalidInput):
    code = "import_file_invalid"
    message = "导入文件无法读取 / The import file cannot be read"


class ImportRowsInvalid(InvalidInput):
    code = "import_rows_invalid"
    message = "导入文件有错误行，未导入任何数据 / Some rows are invalid: nothing was imported"
