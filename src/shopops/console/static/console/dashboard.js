/* Console dashboard charts (Apache ECharts, vendored). Data: the JSON in #dashboard-charts. */
(function () {
  "use strict";

  function isDark() { return document.documentElement.classList.contains("dark"); }

  function draw() {
    var source = document.getElementById("dashboard-charts");
    if (!source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    var text = isDark() ? "#d1d5db" : "#4b5563";
    var grid = isDark() ? "#1f2937" : "#f1f5f9";
    var charts = [];

    var signups = document.getElementById("chart-signups");
    if (signups && data.signups) {
      var line = echarts.init(signups, null, { renderer: "svg" });
      line.setOption({
        animation: false,
        grid: { left: 36, right: 16, top: 20, bottom: 28 },
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: data.signups.days, axisLabel: { color: text }, axisLine: { lineStyle: { color: grid } } },
        yAxis: { type: "value", minInterval: 1, axisLabel: { color: text }, splitLine: { lineStyle: { color: grid } } },
        series: [{
          name: data.signups.seriesName, type: "bar", data: data.signups.counts, barMaxWidth: 26,
          itemStyle: { color: "#e11d48", borderRadius: [4, 4, 0, 0] }
        }]
      });
      charts.push(line);
    }

    var status = document.getElementById("chart-shop-status");
    if (status && data.shopStatus) {
      var pie = echarts.init(status, null, { renderer: "svg" });
      var items = data.shopStatus.items.map(function (item) {
        return { name: item.name, value: item.value, itemStyle: { color: item.color } };
      });
      var total = items.reduce(function (sum, item) { return sum + item.value; }, 0);
      pie.setOption({
        animation: false,
        tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
        legend: { bottom: 0, textStyle: { color: text } },
        title: { text: String(total), left: "center", top: "38%", textStyle: { fontSize: 24, fontWeight: 700, color: isDark() ? "#f9fafb" : "#111827" } },
        series: [{
          type: "pie", radius: ["48%", "70%"], center: ["50%", "45%"], avoidLabelOverlap: true,
          label: { show: false }, data: items
        }]
      });
      charts.push(pie);
    }

    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
