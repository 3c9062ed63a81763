/* ShopOps storefront behaviour. Plain JavaScript, no build step; every page also works without it. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  /* ---------- Tabs: switch panels in place; the links still work as ?tab=... without JS ---------- */
  function initTabs(root) {
    root.querySelectorAll("[data-tabs]").forEach(function (list) {
      if (list.dataset.ready) return;
      list.dataset.ready = "1";
      list.addEventListener("click", function (event) {
        var tab = event.target.closest("[data-tab]");
        if (!tab) return;
        event.preventDefault();
        list.querySelectorAll("[data-tab]").forEach(function (other) {
          var selected = other === tab;
          other.setAttribute("aria-selected", selected ? "true" : "false");
          var panel = document.getElementById(other.getAttribute("aria-controls"));
          if (panel) panel.hidden = !selected;
        });
        var url = new URL(window.location.href);
        url.searchParams.set("tab", tab.dataset.tab);
        window.history.replaceState(null, "", url);
        var panel = document.getElementById(tab.getAttribute("aria-controls"));
        var first = panel && panel.querySelector("input:not([type=hidden])");
        if (first) first.focus();
      });
    });
  }

  /* ---------- SMS send-code button: 60 s countdown ---------- */
  function startCountdown(button, seconds) {
    if (!button) return;
    var label = button.dataset.smsLabel || button.textContent;
    var waitLabel = button.dataset.smsWaitLabel || "%s s";
    var remaining = Math.max(1, parseInt(seconds, 10) || 60);
    clearInterval(button._smsTimer);
    button.disabled = true;
    button.setAttribute("aria-disabled", "true");
    var tick = function () {
      if (remaining <= 0) {
        clearInterval(button._smsTimer);
        button.disabled = false;
        button.removeAttribute("aria-disabled");
        button.textContent = label;
        return;
      }
      button.textContent = waitLabel.replace("%s", remaining);
      remaining -= 1;
    };
    tick();
    button._smsTimer = setInterval(tick, 1000);
  }

  // Registration shows steps: once a code is on its way, "verify phone" is done.
  function markCodeSent(button) {
    var panel = button && button.closest(".tab-panel");
    var steps = panel && panel.querySelectorAll(".steps li");
    if (!steps || steps.length < 2) return;
    steps[0].classList.add("done");
    steps[0].removeAttribute("aria-current");
    steps[1].setAttribute("aria-current", "step");
  }

  function initSmsButtons(root) {
    root.querySelectorAll("[data-sms-button][data-sms-wait]").forEach(function (button) {
      if (button.dataset.ready) return;
      button.dataset.ready = "1";
      startCountdown(button, button.dataset.smsWait);
      markCodeSent(button);
    });
  }

  // The send-code endpoint answers with HX-Trigger: {"sms-countdown": {"seconds": N}} on the button.
  document.addEventListener("sms-countdown", function (event) {
    var button = event.target.closest ? event.target.closest("[data-sms-button]") : null;
    startCountdown(button, event.detail && event.detail.seconds);
    markCodeSent(button);
  });

  // Show the reason when the server refuses (bad phone 422, cooldown 429): htmx ignores 4xx by default.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (event.detail.requestConfig && event.detail.requestConfig.elt &&
        event.detail.requestConfig.elt.hasAttribute("data-sms-button") && status >= 400 && status < 500) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  /* ---------- Confirmations for destructive forms. Capture phase: runs before htmx sees the submit. ---------- */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  /* ---------- Show / hide password ---------- */
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-password-toggle]");
    if (!toggle) return;
    var input = toggle.parentElement.querySelector("input");
    if (!input) return;
    input.type = input.type === "password" ? "text" : "password";
    toggle.setAttribute("aria-pressed", input.type === "text" ? "true" : "false");
  });

  /* ---------- Close the account menu when clicking elsewhere ---------- */
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.account-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });

  /* ---------- Province / city / district cascade (GB/T 2260 data, vendored JSON) ---------- */
  var regionsPromise = null;
  function loadRegions(url) {
    if (!regionsPromise) {
      regionsPromise = fetch(url, { credentials: "same-origin" }).then(function (response) {
        if (!response.ok) throw new Error("regions " + response.status);
        return response.json();
      }).then(function (data) { return data.regions; });
    }
    return regionsPromise;
  }

  function fillSelect(select, items, selected) {
    var placeholder = select.querySelector("option[value='']");
    var placeholderText = placeholder ? placeholder.textContent : "";
    select.innerHTML = "";
    var blank = document.createElement("option");
    blank.value = "";
    blank.textContent = placeholderText;
    select.appendChild(blank);
    items.forEach(function (item) {
      var option = document.createElement("option");
      option.value = item[1];
      option.textContent = item[1];
      option.dataset.code = item[0];
      if (item[1] === selected) option.selected = true;
      select.appendChild(option);
    });
    select.disabled = items.length === 0;
  }

  function childrenOf(items, name) {
    for (var i = 0; i < items.length; i += 1) {
      if (items[i][1] === name) return items[i][2] || [];
    }
    return [];
  }

  function initRegionForms(root) {
    root.querySelectorAll("form[data-region-form]").forEach(function (form) {
      if (form.dataset.ready) return;
      form.dataset.ready = "1";
      var province = form.querySelector("[data-region-level=province]");
      var city = form.querySelector("[data-region-level=city]");
      var district = form.querySelector("[data-region-level=district]");
      var code = form.querySelector("[data-region-code]");
      if (!province || !city || !district) return;

      loadRegions(form.dataset.regionsUrl).then(function (tree) {
        var updateCode = function () {
          var option = district.options[district.selectedIndex];
          if (code) code.value = option && option.dataset.code ? option.dataset.code : "";
        };
        var refreshDistricts = function (selected) {
          fillSelect(district, childrenOf(childrenOf(tree, province.value), city.value), selected);
          updateCode();
        };
        var refreshCities = function (selectedCity, selectedDistrict) {
          var cities = childrenOf(tree, province.value);
          fillSelect(city, cities, selectedCity);
          // Municipalities have a single "city": choose it so the shopper goes straight to districts.
          if (cities.length === 1 && !city.value) city.value = cities[0][1];
          refreshDistricts(selectedDistrict);
        };
        fillSelect(province, tree, province.value);
        refreshCities(city.value, district.value);
        province.addEventListener("change", function () { refreshCities("", ""); });
        city.addEventListener("change", function () { refreshDistricts(""); });
        district.addEventListener("change", updateCode);
      }).catch(function () {
        /* Without the data the server-rendered options still work (choose, submit, choose again). */
      });
    });
  }

  function init(root) {
    initTabs(root);
    initSmsButtons(root);
    initRegionForms(root);
  }

  ready(function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.target); });
})();
