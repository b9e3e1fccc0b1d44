/* The dashboard's charts: each drawn from the same rows as the table beside it
   (the JSON in #sc-insights-data). A missing value stays a gap: no line is drawn
   across a period without data, and no bar stands for it. */
(function () {
  "use strict";
  var source = document.getElementById("sc-insights-data");
  if (!source || typeof Chart === "undefined") { return; }
  var tables = JSON.parse(source.textContent);
  var colours = ["#2f6fdf", "#9aa5b8", "#d9822b", "#2e9e5b"];
  tables.forEach(function (table) {
    if (!table.chart.type || !table.rows.length) { return; }
    var canvas = document.querySelector('canvas[data-chart="' + table.key + '"]');
    if (!canvas) { return; }
    var labels = {};
    table.columns.forEach(function (column) { labels[column.key] = column; });
    var percent = table.chart.y.every(function (key) { return labels[key].kind === "percent"; });
    var score = table.chart.y.every(function (key) { return labels[key].kind === "score"; });
    new Chart(canvas, {
      type: table.chart.type,
      data: {
        labels: table.rows.map(function (row) { return String(row[table.chart.x]); }),
        datasets: table.chart.y.map(function (key, index) {
          return {
            label: labels[key].label,
            data: table.rows.map(function (row) { return row[key] === null ? null : row[key]; }),
            backgroundColor: colours[index % colours.length],
            borderColor: colours[index % colours.length],
            spanGaps: false,
            pointRadius: 3
          };
        })
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: table.chart.y.length > 1 } },
        scales: { y: { beginAtZero: true, suggestedMax: score ? 100 : (percent ? 10 : undefined),
          ticks: { callback: function (value) { return percent ? value + " %" : value; } } } }
      }
    });
    canvas.setAttribute("data-drawn", "true");
  });
})();
