// The dashboard's chain graph: hovering or focusing a node shows its weak-link diagnosis in
// the side panel and lights its edges; leaving it shows the selected node again. Clicking a
// downstream node keeps it in the panel; an upstream or midstream node is a link that selects
// it for the firm list. Without this file the panel shows the selected node and every node's
// <title> lists its diagnosis.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  const graph = document.getElementById("chain-graph");
  const panel = document.getElementById("node-panel");
  if (!graph || !panel) { return; }
  const nodes = Array.from(graph.querySelectorAll(".chain-node"));
  const edges = Array.from(graph.querySelectorAll(".chain-edge"));
  let pinned = graph.querySelector(".chain-node.selected") || nodes[0] || null;

  function slot(root, name, value) {
    root.querySelectorAll('[data-slot="' + name + '"]').forEach(function (el) {
      el.textContent = value;
    });
  }

  function show(node) {
    if (!node) { return; }
    const data = node.dataset;
    ["name", "stage", "segment", "rank", "score", "explanation"].forEach(function (name) {
      slot(panel, name, data[name] || "");
    });
    slot(panel, "other-name", data.otherName || "");
    panel.className = panel.className.replace(/\bband-\d\b/, "band-" + data.band);
    const missing = (data.missing || "").split(" ");
    const absent = (data.absent || "").split(" ");
    panel.querySelectorAll("[data-component]").forEach(function (row) {
      const key = row.dataset.component;
      const value = node.getAttribute("data-c-" + key) || "–";
      slot(row, "value", value);
      if (node.hasAttribute("data-d-" + key)) { slot(row, "detail", node.getAttribute("data-d-" + key)); }
      const meter = row.querySelector("meter");
      if (meter) { meter.value = parseFloat(value) || 0; }
      row.classList.toggle("missing", missing.indexOf(key) >= 0);
    });
    panel.querySelectorAll("[data-input]").forEach(function (item) {
      const given = absent.indexOf(item.dataset.input) < 0;
      item.className = given ? "given" : "missing";
      slot(item, "status", given ? panel.dataset.given : panel.dataset.missing);
    });
    const select = document.getElementById("panel-select");
    if (select) {
      select.hidden = !data.href;
      if (data.href) { select.href = data.href; }
    }
  }

  function light(node) {
    const id = node ? node.dataset.node : null;
    const near = new Set();
    graph.classList.toggle("focusing", Boolean(node));
    edges.forEach(function (edge) {
      const into = edge.dataset.to === id;
      const out = edge.dataset.from === id;
      edge.classList.toggle("in", into);
      edge.classList.toggle("out", out);
      if (into) { near.add(edge.dataset.from); }
      if (out) { near.add(edge.dataset.to); }
    });
    nodes.forEach(function (other) {
      other.classList.toggle("near", near.has(other.dataset.node));
      other.classList.toggle("current", other === node);
    });
  }

  function enter(node) { show(node); light(node); }
  function leave() { show(pinned); light(null); }

  nodes.forEach(function (node) {
    node.addEventListener("mouseenter", function () { enter(node); });
    node.addEventListener("mouseleave", leave);
    node.addEventListener("focusin", function () { enter(node); });
    node.addEventListener("focusout", leave);
    if (!node.classList.contains("recruitable")) {
      const pin = function () { pinned = node; enter(node); };
      node.addEventListener("click", pin);
      node.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); pin(); }
      });
    }
  });
});
