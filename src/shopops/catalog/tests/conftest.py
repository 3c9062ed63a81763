from __future__ import annotations

import pytest

from shopops.catalog.tests.factories import make_taxonomy
from shopops.shops.tests.factories import ShopFactory, make_member


@pytest.fixture
def tax(db):
    return make_taxonomy()


@pytest.fixture
def shop(db):
    return ShopFactory()


@pytest.fixture
def other_shop(db):
    return ShopFactory()


@pytest.fixture
def merchant(shop):
    """A member of `shop` with catalog.manage (merchant_staff role)."""
    return make_member(shop, "merchant_staff").user


@pytest.fixture
def viewer(shop):
    """A member of `shop` with catalog.view but not catalog.manage (customer_service role)."""
    return make_member(shop, "customer_service").user


@pytest.fixture
def platform_admin(db):
    return make_member(None, "platform_admin").user
