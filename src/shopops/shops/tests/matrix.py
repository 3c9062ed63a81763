"""The permission matrix: which role may call which API endpoint, checked against the role table.

How it works (test_permission_matrix.py runs it):

1. Every operation of the ninja API (shopops.api.api) must declare who may call it, with a decorator
   from shopops.shops.access (@shop_permission, @platform_permission, @signed_in, @public) or, for
   modules that must not import shops (core), an entry in PUBLIC / SIGNED_IN below. An undeclared
   endpoint fails the test.
2. Every endpoint that requires a permission must have a *case* here: a function that, given the
   test World, returns the Call to make (method, concrete path, body). A missing case fails.
3. For each case, each role in MATRIX_ROLES calls it (each call inside a savepoint that is rolled
   back, so one role's success does not change the next role's starting point; see run_roles).
   The expected answer comes from the role table (shopops.shops.permissions.DEFAULT_ROLES):
     - shop permission:     role holds it -> success;  shop member without it -> 403;
                            not a member of the shop (the shopper) -> 404
     - platform permission: role holds it -> success;  anyone else -> 403
     - signed_in:           everyone -> success
   platform_admin acts with every permission everywhere.

ADDING YOUR APP'S ENDPOINTS: create `shopops/<app>/tests/matrix_cases.py` and register a case per
endpoint; this module imports every installed app's matrix_cases automatically:

    from shopops.shops.tests.matrix import Call, World, case

    @case("POST", "/inventory/shops/{shop_id}/warehouses")
    def create_warehouse(w: World) -> Call:
        return Call("POST", f"/inventory/shops/{w.shop.id}/warehouses", {"name": "上海仓"}, ok=201)

The route is the ninja route below /api/v1 with converters dropped ("{int:shop_id}" -> "{shop_id}").
Build the path on `w.shop` and create any object the path names (a warehouse, an order...) in
`w.object_shop`: the IDOR test (test_idor.py) re-runs every case with `w.shop` = another merchant's
shop (every role must get 404), and with `w.object_shop` = another shop while the path keeps the
caller's own shop (any endpoint whose path names an object must answer 404). A builder runs inside
a savepoint and may create what it needs freshly each time: once for each role expected to succeed
(with `w.caller` set to that role's user), and once for all the roles expected to be refused, which
the access check turns away before the view runs.

SPEED: the world (shops, a user per role, their signed-in test clients) is built once per test
module (`matrix_world` fixture, shops/tests/conftest.py) inside a transaction rolled back at the
end; each test, each build and each call sits in a savepoint of its own. What remains per call is
the builder and the request, so keep builders lean: make read-only data many cases share (a category
tree, a warehouse) once per world with @world_setup, and look it up in the builder.

    @world_setup
    def taxonomy(w: World) -> None:
        make_taxonomy()          # cases then find it by slug
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import importlib.util
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.db import transaction
from django.test import Client

from shopops.shops.access import declared_access, declared_permissions
from shopops.shops.models import Membership, Shop, ShopStatus
from shopops.shops.permissions import (
    ANALYST,
    CUSTOMER_SERVICE,
    DEFAULT_ROLES,
    MARKETING,
    MERCHANT_STAFF,
    PLATFORM_ADMIN,
    SHOP_OWNER,
    SHOPPER,
    WAREHOUSE,
)
from shopops.shops.tests.factories import SESSION_BACKEND, ShopFactory, add_member, make_member, make_user

MATRIX_ROLES: list[str] = [
    SHOPPER,
    SHOP_OWNER,
    MERCHANT_STAFF,
    CUSTOMER_SERVICE,
    WAREHOUSE,
    MARKETING,
    ANALYST,
    PLATFORM_ADMIN,
]
ROLE_TABLE: dict[str, frozenset[str]] = {code: frozenset(perms) for code, _, _, _, perms in DEFAULT_ROLES}
SHOP_ROLES = {code for code, _, _, scope, _ in DEFAULT_ROLES if scope == "shop"}
SUCCESS = {200, 201, 204}

# Endpoints in modules that may not import shopops.shops (core uses no app), declared here instead.
# Key: "METHOD /route"; value: why it is safe.
PUBLIC: dict[str, str] = {
    "GET /health": "Liveness probe for load balancers; reveals nothing but up/down.",
    "GET /ping": "Benchmark baseline; constant answer.",
}
SIGNED_IN: dict[str, str] = {}


@dataclass(frozen=True)
class Call:
    method: str
    path: str  # below /api/v1, concrete ids filled in
    json: Any = None
    query: dict[str, Any] | None = None
    ok: int = 200  # the success status this endpoint answers
    # Rarely needed: per-role expected status overriding the role table (say why in the case).
    expect: dict[str, int] | None = None


@dataclass
class World:
    """Two shops and one user per role. Shop roles are members of shop A; the shopper of none."""

    shop_a: Shop
    shop_b: Shop
    users: dict[str, Any]
    owner_b: Any
    # The shop a case puts in its path, and the shop it creates the path's objects in.
    shop: Shop = field(init=False)
    object_shop: Shop = field(init=False)
    # The user about to make the call (set before each builder runs), for self-service cases.
    caller: Any = field(init=False, default=None)
    # Signed-in clients by role, shared by every view of this world (see targeting()).
    clients: dict[str, Client] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.shop = self.shop_a
        self.object_shop = self.shop_a

    def client_for(self, role: str) -> Client:
        """A test client signed in as the role's user; made once per world, outside any savepoint."""
        if role not in self.clients:
            client = Client()
            client.force_login(self.users[role], backend=SESSION_BACKEND)
            self.clients[role] = client
        return self.clients[role]

    def sign_in_everyone(self) -> World:
        for role in MATRIX_ROLES:
            self.client_for(role)
        return self

    def targeting(self, shop: Shop, object_shop: Shop | None = None) -> World:
        clone = replace(self)
        clone.clients = self.clients  # replace() would start an empty dict: keep the signed-in clients
        clone.shop = shop
        clone.object_shop = object_shop or shop
        return clone

    def fresh(self) -> World:
        """The same world with its shops and users re-read from the database.

        A world shared by many tests hands each test its own model instances, so a case that
        changes an attribute in memory (then has the change rolled back in the database) cannot
        leave a stale object for the next test. Two queries.
        """
        from django.contrib.auth import get_user_model

        shops = Shop.objects.in_bulk([self.shop_a.pk, self.shop_b.pk])
        user_ids = {user.pk for user in self.users.values()} | {self.owner_b.pk}
        users = get_user_model().objects.in_bulk(user_ids)
        clone = World(
            shop_a=shops[self.shop_a.pk],
            shop_b=shops[self.shop_b.pk],
            users={role: users[user.pk] for role, user in self.users.items()},
            owner_b=users[self.owner_b.pk],
        )
        clone.clients = self.clients
        return clone

    def member(self, role: str) -> Membership:
        return Membership.objects.get(user=self.users[role], shop=self.shop_a)

    def new_user(self, **kwargs: Any):
        return make_user(**kwargs)

    def new_member(self, shop: Shop, *roles: str) -> Membership:
        return make_member(shop, *roles)

    def new_shop(self, status: str = ShopStatus.ACTIVE) -> Shop:
        return ShopFactory(status=status)


def build_world() -> World:
    from shopops.shops.services import sync_permissions

    sync_permissions()  # idempotent; a transactional test's flush may have emptied the role table
    shop_a = ShopFactory(name="甲店 Shop A")
    shop_b = ShopFactory(name="乙店 Shop B")
    users: dict[str, Any] = {SHOPPER: make_user("shopper")}
    users[SHOP_OWNER] = shop_a.owner
    for role in MATRIX_ROLES:
        if role in (SHOPPER, SHOP_OWNER):
            continue
        user = make_user(role)
        add_member(None if role == PLATFORM_ADMIN else shop_a, user, role)
        users[role] = user
    return World(shop_a=shop_a, shop_b=shop_b, users=users, owner_b=shop_b.owner)


@contextlib.contextmanager
def shared_world() -> Iterator[World]:
    """One world for a whole test module, every role signed in once, all of it undone at the end.

    Everything is written inside one transaction that is rolled back when the module is done; each
    test still runs in its own savepoint (pytest-django's django_db), and each call in another
    (see run_roles), so nothing one case writes reaches the next. Use it through the module-scoped
    `matrix_world` fixture (shops/tests/conftest.py), only in modules without transactional tests.
    """
    with transaction.atomic():
        world = build_world().sign_in_everyone()
        for setup in discover_world_setups():
            setup(world)
        try:
            yield world
        finally:
            transaction.set_rollback(True)


# --- The case registry ------------------------------------------------------------------------------

CaseBuilder = Callable[[World], Call]
CASES: dict[str, CaseBuilder] = {}


def route_key(method: str, route: str) -> str:
    route = "/" + re.sub(r"{\w+:(\w+)}", r"{\1}", route).strip("/")
    return f"{method.upper()} {route}"


def case(method: str, route: str) -> Callable[[CaseBuilder], CaseBuilder]:
    key = route_key(method, route)

    def register(builder: CaseBuilder) -> CaseBuilder:
        if key in CASES and CASES[key] is not builder:
            raise ValueError(f"two matrix cases for {key}")
        CASES[key] = builder
        return builder

    return register


# Read-only data many cases of an app need (a category tree, a warehouse): made once per shared world
# instead of once per call. Register with @world_setup in the app's matrix_cases; cases then look it
# up (a query by a fixed slug, say). Writes a case makes to it are rolled back like any other.
WorldSetup = Callable[[World], None]
WORLD_SETUPS: dict[str, WorldSetup] = {}


def world_setup(func: WorldSetup) -> WorldSetup:
    """Run `func(world)` once when a shared world is built, before any case (see WORLD_SETUPS)."""
    WORLD_SETUPS[f"{func.__module__}.{func.__qualname__}"] = func
    return func


def discover_world_setups() -> list[WorldSetup]:
    discover_cases()
    return list(WORLD_SETUPS.values())


def discover_cases() -> dict[str, CaseBuilder]:
    """Import `<app>.tests.matrix_cases` for every installed shopops app (each registers its cases)."""
    for app in settings.INSTALLED_APPS:
        if not app.startswith("shopops."):
            continue
        module = f"{app}.tests.matrix_cases"
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if found:
            importlib.import_module(module)
    return CASES


# --- Reading the API --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    key: str  # "PUT /shops/{shop_id}/settlement"
    method: str
    route: str
    view: Callable
    policy: str | None  # shop / platform / signed_in / public, or None when undeclared
    permission: str | None
    has_auth: bool
    permissions: tuple[str, ...] = ()  # every code that admits a caller (several for "any of")

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.route)

    @property
    def shop_arg(self) -> str:
        """The path parameter carrying the shop id (@shop_permission's shop_arg)."""
        return getattr(self.view, "shop_arg", "shop_id")

    @property
    def object_params(self) -> list[str]:
        """Path parameters naming objects inside the shop (the IDOR test swaps their shop)."""
        return [p for p in self.path_params if p != self.shop_arg]


def iter_endpoints() -> Iterator[Endpoint]:
    """Every operation of the project's API, with its declared access.

    Reads ninja's bound routers (django-ninja 1.x); if a ninja upgrade moves them, this fails loudly
    rather than letting the matrix check nothing.
    """
    import shopops.urls  # noqa: F401 - building the URLconf binds the routers
    from shopops.api import api

    bound = api._get_bound_routers()
    assert bound, "no routers found on shopops.api.api"
    for router in bound:
        for path, path_view in router.path_operations.items():
            route = "/" + "/".join(p.strip("/") for p in (router.prefix, path) if p.strip("/"))
            for operation in path_view.operations:
                for method in operation.methods:
                    key = route_key(method, route)
                    policy, perm = declared_access(operation.view_func)
                    if policy is None and key in PUBLIC:
                        policy = "public"
                    elif policy is None and key in SIGNED_IN:
                        policy = "signed_in"
                    yield Endpoint(
                        key=key,
                        method=method.upper(),
                        route=route_key(method, route).split(" ", 1)[1],
                        view=operation.view_func,
                        policy=policy,
                        permission=perm,
                        has_auth=bool(operation.auth_callbacks),
                        permissions=declared_permissions(operation.view_func),
                    )


def expected_status(endpoint: Endpoint, role: str, call: Call) -> int:
    if call.expect and role in call.expect:
        return call.expect[role]
    perms = ROLE_TABLE[role]
    admitted = bool(set(endpoint.permissions or (endpoint.permission,)) & perms)
    if endpoint.policy in ("signed_in", "public"):
        return call.ok
    if endpoint.policy == "platform":
        return call.ok if admitted else 403
    # shop permission, for a path on the caller's shop A
    if role == PLATFORM_ADMIN:
        return call.ok
    if role not in SHOP_ROLES:
        return 404
    return call.ok if admitted else 403


# --- Calling an endpoint as every role ---------------------------------------------------------------

# expect(role, call) -> the status `role` must get for `call`.
Expectation = Callable[[str, Call], int]


@dataclass(frozen=True)
class Outcome:
    role: str
    call: Call
    expected: int
    response: Any

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def ok(self) -> bool:
        return self.status == self.expected


@contextlib.contextmanager
def rolled_back() -> Iterator[None]:
    """Run the block in a savepoint that is always rolled back: whatever it writes is undone."""
    savepoint = transaction.savepoint()
    try:
        yield
    finally:
        transaction.savepoint_rollback(savepoint)


def build_call(world: World, endpoint: Endpoint, role: str) -> Call:
    world.caller = world.users[role]
    call: Call = CASES[endpoint.key](world)
    assert call.method.upper() == endpoint.method, f"{endpoint.key}: case builds a {call.method}"
    return call


def send(world: World, role: str, call: Call):
    """Make the call with the role's signed-in client, leaving the client's cookies as they were.

    A response may set or delete cookies (a new session after a password change, a sign-out); the
    database side of that is rolled back with the savepoint, so the cookie jar must be too.
    """
    from shopops.shops.tests.factories import ApiCaller

    client = world.client_for(role)
    cookies = client.cookies
    client.cookies = copy.copy(cookies)
    try:
        return ApiCaller(client).call(call.method, call.path, call.json, call.query)
    finally:
        client.cookies = cookies


def run_roles(
    world: World, endpoint: Endpoint, expect: Expectation, roles: list[str] | None = None
) -> list[Outcome]:
    """Call `endpoint` as each role and pair every answer with the status `expect` gives for it.

    Every call runs in its own rolled-back savepoint, so no role sees another's writes. Roles that
    are expected to be refused (403/404: the access check answers before the view changes anything)
    share one build of the case; every role expected to succeed gets its own fresh build, as the
    view runs and may leave traces outside the database (cache keys, throttles) tied to the objects
    it touched. Builders are the costly part of the matrix (products, orders), and most roles are
    refused by most endpoints: this cuts the builds from one per role to about three per endpoint.
    A role named in the case's `expect` override always gets its own build.
    """
    roles = list(roles or MATRIX_ROLES)
    outcomes: dict[str, Outcome] = {}
    table_only = Call(endpoint.method, endpoint.route)
    probe = next((r for r in roles if expect(r, table_only) not in SUCCESS), None)
    if probe is not None:
        with rolled_back():
            shared = build_call(world, endpoint, probe)
            for role in roles:
                overridden = bool(shared.expect and role in shared.expect)
                expected = expect(role, shared)
                if overridden or expected in SUCCESS:
                    continue
                with rolled_back():
                    outcomes[role] = Outcome(role, shared, expected, send(world, role, shared))
    for role in roles:
        if role in outcomes:
            continue
        with rolled_back():
            call = build_call(world, endpoint, role)
            outcomes[role] = Outcome(role, call, expect(role, call), send(world, role, call))
    return [outcomes[role] for role in roles]


def describe(endpoint: Endpoint, outcomes: list[Outcome]) -> str:
    rows = [f"  {o.role:18} expected {o.expected}  got {o.status}" for o in outcomes]
    wrong = [f"{o.role}: {o.response.content[:300]!r}" for o in outcomes if not o.ok]
    return f"{endpoint.key} ({endpoint.permission})\n" + "\n".join(rows + wrong)
