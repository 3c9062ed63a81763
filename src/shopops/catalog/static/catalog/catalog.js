/* Product page: the SKU selector. Picks one value per axis, shows the matching SKU's price and stock,
   greys out values that no in-stock SKU offers with the current picks. Works from the JSON the page
   embeds (#sku-data); without JavaScript the page still shows the price range. */
(function () {
  "use strict";

  function yuan(value) {
    var n = Number(value);
    return "¥" + n.toLocaleString("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }

  function init() {
    var form = document.querySelector("[data-selector]");
    var dataNode = document.getElementById("sku-data");
    if (!form || !dataNode) return;
    var data = JSON.parse(dataNode.textContent);
    var i18nNode = document.getElementById("sku-i18n");
    var t = Object.assign(
      { choose: "请选择", sep: "、", in_stock: "有货", in_stock_n: "有货（库存 {n} 件）", out: "暂时缺货", unavailable: "该组合暂不销售" },
      i18nNode ? JSON.parse(i18nNode.textContent) : {}
    );
    var axes = data.axes.map(function (a) { return a.code; });
    var picked = {};
    var priceEl = document.getElementById("sku-price");
    var marketEl = document.getElementById("sku-market-price");
    var stockEl = document.getElementById("sku-availability");
    var labelEl = document.getElementById("sku-label");
    var idInput = document.getElementById("sku-id");
    var addButton = document.getElementById("add-to-cart");
    var qty = document.getElementById("qty");
    var mainImage = document.getElementById("main-image");

    function inStock(sku) { return sku.available === null || sku.available > 0; }

    function matches(sku, choice) {
      return axes.every(function (code) {
        return choice[code] === undefined || String(sku.options[code]) === String(choice[code]);
      });
    }

    function current() {
      if (axes.some(function (code) { return picked[code] === undefined; })) return null;
      return data.skus.find(function (sku) { return matches(sku, picked); }) || null;
    }

    function refreshOptions() {
      form.querySelectorAll(".option").forEach(function (button) {
        var axis = button.dataset.axis;
        var trial = Object.assign({}, picked);
        trial[axis] = button.dataset.value;
        var candidates = data.skus.filter(function (sku) { return matches(sku, trial); });
        var exists = candidates.length > 0;
        var available = candidates.some(inStock);
        button.disabled = !exists;
        button.classList.toggle("is-unavailable", exists && !available);
        button.setAttribute("aria-pressed", String(picked[axis] === button.dataset.value));
      });
    }

    function show() {
      var sku = current();
      if (!sku) {
        var missing = data.axes.filter(function (a) { return picked[a.code] === undefined; }).map(function (a) { return a.name; });
        stockEl.textContent = missing.length ? t.choose + missing.join(t.sep) : t.unavailable;
        stockEl.className = "availability";
        labelEl.textContent = "";
        idInput.value = "";
        if (addButton) addButton.disabled = true;
        return;
      }
      priceEl.textContent = yuan(sku.price);
      if (marketEl) marketEl.textContent = sku.market_price ? yuan(sku.market_price) : "";
      labelEl.textContent = sku.label;
      idInput.value = sku.id;
      var ok = inStock(sku);
      stockEl.textContent = sku.available === null ? t.in_stock : ok ? t.in_stock_n.replace("{n}", sku.available) : t.out;
      stockEl.className = "availability " + (ok ? "ok" : "out");
      if (qty && sku.available) qty.max = Math.min(99, sku.available);
      if (addButton) addButton.disabled = !ok;
      form.dispatchEvent(new CustomEvent("sku:selected", { bubbles: true, detail: sku }));
    }

    form.addEventListener("click", function (event) {
      var button = event.target.closest(".option");
      if (!button || button.disabled) return;
      var axis = button.dataset.axis;
      picked[axis] = picked[axis] === button.dataset.value ? undefined : button.dataset.value;
      if (button.dataset.image && mainImage && picked[axis] !== undefined) mainImage.src = button.dataset.image;
      refreshOptions();
      show();
    });

    document.querySelectorAll(".thumb").forEach(function (thumb) {
      thumb.addEventListener("click", function () { if (mainImage) mainImage.src = thumb.dataset.src; });
    });

    // Preselect values that have only one choice (e.g. a single size).
    data.axes.forEach(function (axis) {
      var values = {};
      data.skus.forEach(function (sku) { values[sku.options[axis.code]] = true; });
      var keys = Object.keys(values);
      if (keys.length === 1) picked[axis.code] = keys[0];
    });
    refreshOptions();
    if (axes.length) show();
  }

  if (document.readyState !== "loading") init();
  else document.addEventListener("DOMContentLoaded", init);
})();
