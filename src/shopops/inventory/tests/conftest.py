from __future__ import annotations

import pytest

from shopops.inventory.tests.factories import make_shop, make_sku, make_warehouse


@pytest.fixture
def shop(db):
    return make_shop()


@pytest.fixture
def other_shop(db):
    return make_shop()


@pytest.fixture
def warehouse(shop):
    return make_warehouse(shop, code="sh", name="上海仓")


@pytest.fixture
def second_warehouse(shop):
    return make_warehouse(shop, code="gz", name="广州仓")


@pytest.fixture
def sku(shop):
    return make_sku(shop)
