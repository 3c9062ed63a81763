/* Order analytics charts (ECharts, vendored by the console app). Data comes from a json_script tag. */
(function () {
  "use strict";
  function init() {
    var source = document.getElementById("orders-chart-data");
    if (!source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    var dark = document.documentElement.classList.contains("dark");
    var trend = document.getElementById("orders-trend");
    if (trend) {
      var chart = window.echarts.init(trend, dark ? "dark" : null);
      chart.setOption({
        tooltip: { trigger: "axis" },
        legend: { top: 0, left: "center", data: [trend.dataset.gmv, trend.dataset.placed, trend.dataset.paid] },
        grid: { left: 48, right: 48, top: 48, bottom: 28, containLabel: false },
        xAxis: { type: "category", data: data.days },
        yAxis: [
          { type: "value", name: "¥" },
          { type: "value", name: trend.dataset.unit, minInterval: 1 }
        ],
        series: [
          { name: trend.dataset.gmv, type: "bar", data: data.gmv.map(Number), itemStyle: { color: "#e11d48" } },
          { name: trend.dataset.placed, type: "line", yAxisIndex: 1, data: data.placed },
          { name: trend.dataset.paid, type: "line", yAxisIndex: 1, data: data.paid }
        ]
      });
      window.addEventListener("resize", function () { chart.resize(); });
    }
    var byShop = document.getElementById("orders-by-shop");
    if (byShop && data.shops.length) {
      var shopChart = window.echarts.init(byShop, dark ? "dark" : null);
      shopChart.setOption({
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        grid: { left: 100, right: 24, top: 16, bottom: 24 },
        xAxis: { type: "value", name: "¥" },
        yAxis: { type: "category", data: data.shops.slice().reverse() },
        series: [{ type: "bar", barMaxWidth: 32, data: data.shop_gmv.map(Number).reverse(), itemStyle: { color: "#f97316" } }]
      });
      window.addEventListener("resize", function () { shopChart.resize(); });
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
