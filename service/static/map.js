// ChainScout: the global recruitment map (全球招商地图), drawn as SVG from two GeoJSON files.
//
// The basemap (China's boundary as Chinese standard maps draw it, the world's countries, the
// maritime boundary line and the labels) comes from the service and the recruitment map
// (firms, countries, flows, parks) from the same code as the API; nothing is loaded from
// another host. Views that show the whole of China carry the South China Sea (南海诸岛) as an
// inset in the lower right corner, as standard maps do; firms of one place are drawn as one
// mark with their count, which opens to their list; a preset zooms to the Greater Bay Area,
// where each park is its own marker with its name. Projection: Equal Earth (Šavrič, Patterson & Jenny, 2018), an
// equal-area pseudocylindrical projection that looks like Robinson's, centred on Greenwich,
// so lines the service cut at the antimeridian end at the map's left and right edges.
"use strict";
(function () {
  var SVG_NS = "http://www.w3.org/2000/svg";
  var WIDTH = 1000, HEIGHT = 500, PAD = 10;
  var MIN_ZOOM = 1, MAX_ZOOM = 160, BUTTON_STEP = 1.6, DRAG_THRESHOLD = 4;
  var FIT_MAX_ZOOM = 3.5, FIT_MARGIN = 40;  // the first view: the firms and the destination
  var FIRM_RADIUS = [3, 7.5];  // on screen, for the lowest and the highest value
  var KEY_PAN = 60;  // viewBox units an arrow key pans
  // Firm colours from low to high score (amber, orange, red, dark red), each drawn with a
  // dark outline, so that even the lightest reads on the pale land, sea and China.
  var RAMP = [[0, [254, 178, 76]], [0.35, [253, 120, 50]], [0.7, [218, 30, 38]],
              [1, [128, 0, 38]]];
  // Where labels and the inset show: rank-2 labels from ZOOMED_LABELS, park names from
  // PARK_LABELS; the inset while the view holds the whole of China (CHINA_BOX).
  var ZOOMED_LABELS = 2.5, PARK_LABELS = 12, MAX_GROW = 1.5;
  // Where a park's name may sit, tried in turn (local units: right, left, above, below).
  var LABEL_SPOTS = [[7, 3.5, "start"], [-7, 3.5, "end"], [0, -8, "middle"], [0, 15, "middle"]];
  var CHINA_BOX = [73.5, 18, 135, 53.5];  // lon/lat: the mainland, Hainan and Taiwan
  var SOUTH_CHINA_SEA = [105.5, 2.5, 123.5, 24.5];  // the inset (南海诸岛)
  var PRESETS = {china: [73, 3, 136, 54], gba: [112.6, 21.9, 114.6, 23.5]};
  // A park's whole name on the map, in lines of at most this many characters (never cut).
  var PARK_LINE_LENGTH = {zh: 8, en: 20}, PARK_LINE_EM = 1.15, CROWDED = 0.1;
  var REGIONS_OF_CHINA = {HK: true, MO: true, TW: true};  // drawn inside China's polygon
  var PLACE_DECIMALS = 2;  // firms within 0.01 degrees (about 1 km) share one mark
  var CANDIDATE_CLASSES = [1, 2, 5, 10];  // lower bounds of the classes cand-1 .. cand-4
  var STAR = "M0,-6.5L1.53,-2.1L6.18,-2.01L2.47,0.8L3.82,5.26L0,2.6L-3.82,5.26L-2.47,0.8" +
             "L-6.18,-2.01L-1.53,-2.1Z";

  // --- the projection ------------------------------------------------------------------
  var A1 = 1.340264, A2 = -0.081106, A3 = 0.000893, A4 = 0.003796, M = Math.sqrt(3) / 2;
  var RAD = Math.PI / 180;

  function equalEarth(lon, lat) {
    var t = Math.asin(M * Math.sin(lat * RAD)), t2 = t * t, t6 = t2 * t2 * t2;
    return [lon * RAD * Math.cos(t) / (M * (A1 + 3 * A2 * t2 + t6 * (7 * A3 + 9 * A4 * t2))),
            t * (A1 + A2 * t2 + t6 * (A3 + A4 * t2))];
  }

  var X_MAX = equalEarth(180, 0)[0], Y_MAX = equalEarth(0, 90)[1];
  var SCALE = Math.min((WIDTH - 2 * PAD) / (2 * X_MAX), (HEIGHT - 2 * PAD) / (2 * Y_MAX));

  function project(lon, lat) {
    var p = equalEarth(Math.max(-180, Math.min(180, lon)), Math.max(-90, Math.min(90, lat)));
    return [WIDTH / 2 + SCALE * p[0], HEIGHT / 2 - SCALE * p[1]];
  }

  function pointText(lon, lat) {
    var p = project(lon, lat);
    return p[0].toFixed(2) + "," + p[1].toFixed(2);
  }

  // --- geometry to SVG path data -------------------------------------------------------
  function ringPath(ring) {
    var out = "";
    for (var i = 0; i < ring.length; i++) {
      out += (i ? "L" : "M") + pointText(ring[i][0], ring[i][1]);
    }
    return out + "Z";
  }

  function polygonsOf(geometry) {
    if (!geometry) { return []; }
    if (geometry.type === "Polygon") { return [geometry.coordinates]; }
    if (geometry.type === "MultiPolygon") { return geometry.coordinates; }
    return [];
  }

  function areaPath(geometry) {
    return polygonsOf(geometry).map(function (rings) {
      return rings.map(ringPath).join("");
    }).join("");
  }

  // A line; a new subpath wherever it jumps more than half the world in longitude, so that
  // a great circle cut at the antimeridian stays two pieces (and any uncut one is cut too).
  function linePath(geometry) {
    if (!geometry) { return ""; }
    var parts = geometry.type === "LineString" ? [geometry.coordinates]
      : geometry.type === "MultiLineString" ? geometry.coordinates : [];
    var out = "";
    parts.forEach(function (part) {
      for (var i = 0; i < part.length; i++) {
        var jump = i > 0 && Math.abs(part[i][0] - part[i - 1][0]) > 180;
        out += (i === 0 || jump ? "M" : "L") + pointText(part[i][0], part[i][1]);
      }
    });
    return out;
  }

  // The projected box [left, top, right, bottom] of a lon/lat box.
  function projectedBox(box) {
    var xs = [], ys = [];
    [box[0], (box[0] + box[2]) / 2, box[2]].forEach(function (lon) {
      [box[1], box[3]].forEach(function (lat) {
        var p = project(lon, lat);
        xs.push(p[0]);
        ys.push(p[1]);
      });
    });
    return [Math.min.apply(null, xs), Math.min.apply(null, ys),
            Math.max.apply(null, xs), Math.max.apply(null, ys)];
  }

  function lonLatBounds(geometry) {
    var b = [Infinity, Infinity, -Infinity, -Infinity];
    polygonsOf(geometry).forEach(function (rings) {
      rings[0].forEach(function (c) {
        b[0] = Math.min(b[0], c[0]); b[1] = Math.min(b[1], c[1]);
        b[2] = Math.max(b[2], c[0]); b[3] = Math.max(b[3], c[1]);
      });
    });
    return b;
  }

  function overlaps(a, b) {
    return a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];
  }

  function meridian(lon, from, to, step) {
    var points = [];
    for (var lat = from; from < to ? lat <= to : lat >= to; lat += step) {
      points.push([lon, lat]);
    }
    return points;
  }

  function parallel(lat, step) {
    var points = [];
    for (var lon = -180; lon <= 180; lon += step) { points.push([lon, lat]); }
    return points;
  }

  // --- small helpers -------------------------------------------------------------------
  function svg(name, attributes, parent) {
    var node = document.createElementNS(SVG_NS, name);
    Object.keys(attributes || {}).forEach(function (key) {
      node.setAttribute(key, attributes[key]);
    });
    if (parent) { parent.appendChild(node); }
    return node;
  }

  function clear(node) {
    while (node.firstChild) { node.removeChild(node.firstChild); }
  }

  // Keep the world covering the frame: no panning past its edges.
  function clamp(view) {
    view.x = Math.min(0, Math.max(WIDTH - WIDTH * view.k, view.x));
    view.y = Math.min(0, Math.max(HEIGHT - HEIGHT * view.k, view.y));
    return view;
  }

  function colour(share) {
    share = Math.max(0, Math.min(1, share));
    for (var i = 1; i < RAMP.length; i++) {
      if (share <= RAMP[i][0]) {
        var a = RAMP[i - 1], b = RAMP[i], f = (share - a[0]) / (b[0] - a[0]);
        return "rgb(" + [0, 1, 2].map(function (c) {
          return Math.round(a[1][c] + f * (b[1][c] - a[1][c]));
        }).join(",") + ")";
      }
    }
    return "rgb(" + RAMP[RAMP.length - 1][1].join(",") + ")";
  }

  function candidateClass(count) {
    var band = 0;
    CANDIDATE_CLASSES.forEach(function (lower, i) { if (count >= lower) { band = i + 1; } });
    return "cand-" + band;
  }

  function formatNumber(value, digits) {
    return typeof value === "number" && isFinite(value) ? value.toFixed(digits) : "–";
  }

  function isNumber(value) {
    return typeof value === "number" && isFinite(value);
  }

  // What a firm is coloured, sized and ordered by: its expected value (likelihood x impact,
  // what the lists rank by), else the ranker's score; null for a role without rankings.
  function firmFigure(p) {
    return isNumber(p.value) ? p.value : (isNumber(p.score) ? p.score : null);
  }

  // A line "label: value" when the map carries the value: a role that may not read rankings
  // gets no ranks, values or scores, and sees no line for them.
  function figureLine(label, value, digits) {
    return isNumber(value) ? [label + ": " + value.toFixed(digits)] : [];
  }

  // Lines of about `most` characters that hold the whole of `text`: Chinese broken between
  // characters into lines of even length, other text between words (a longer word whole).
  function wrapName(text, most) {
    text = (text || "").trim();
    if (text.length <= most) { return [text]; }
    if (/[\u2e80-\u9fff]/.test(text) && !/\s/.test(text)) {
      var size = Math.ceil(text.length / Math.ceil(text.length / most)), parts = [];
      for (var i = 0; i < text.length; i += size) { parts.push(text.slice(i, i + size)); }
      return parts;
    }
    var lines = [];
    text.split(/\s+/).forEach(function (word) {
      var last = lines.length - 1;
      if (last >= 0 && (lines[last] + " " + word).length <= most) {
        lines[last] += " " + word;
      } else {
        lines.push(word);
      }
    });
    return lines;
  }

  // A wrapped label at a spot of LABEL_SPOTS: beside the mark its lines centre on it, above it
  // they end at it, below it they start at it.
  function placeLabel(label, spot) {
    var lines = label.querySelectorAll("tspan"), n = lines.length;
    var lift = spot[1] < 0 ? n - 1 : (spot[1] > 10 ? 0 : (n - 1) / 2);
    label.setAttribute("x", spot[0]);
    label.setAttribute("y", spot[1]);
    label.setAttribute("text-anchor", spot[2]);
    for (var i = 0; i < n; i++) {
      lines[i].setAttribute("x", spot[0]);
      lines[i].setAttribute("dy", (i ? PARK_LINE_EM : -lift * PARK_LINE_EM).toFixed(3) + "em");
    }
  }

  function shorten(text, most) {
    return text && text.length > most ? text.slice(0, most - 1) + "…" : (text || "");
  }

  // --- the map -------------------------------------------------------------------------
  function RecruitmentMap(root) {
    this.root = root;
    this.strings = JSON.parse(root.dataset.strings || "{}");
    this.lang = root.dataset.lang || "zh";
    this.firmUrl = root.dataset.firmUrl || "/firms/";
    this.svg = root.querySelector("#map-svg");
    this.viewport = root.querySelector("#map-viewport");
    this.layers = {};
    ["sphere", "graticule", "countries", "maritime", "labels", "flows", "parks", "region",
     "firms"].forEach(
      function (name) { this.layers[name] = root.querySelector("#map-" + name); }, this);
    this.tooltip = root.querySelector("#map-tooltip");
    this.status = root.querySelector("#map-status");
    this.form = document.getElementById("map-filters");
    this.inset = root.querySelector("#map-inset");
    this.list = root.querySelector("#map-list");
    this.countryNames = JSON.parse(root.dataset.countryNames || "{}");
    this.cityNames = JSON.parse(root.dataset.cityNames || "{}");  // "CC|City": the page's name
    this.tips = new WeakMap();
    this.countryPaths = {};
    this.flowsByFirm = {};
    this.view = {k: 1, x: 0, y: 0};
    this.home = {k: 1, x: 0, y: 0};
    this.request = null;
    this.drawFrame();
    this.drawRegion();
    this.buildLegend();
    this.bindZoom();
    this.bindPointer();
    this.bindForm();
    this.bindList();
    this.basemap = this.fetchGeojson(root.dataset.basemapUrl).then(this.drawBasemap.bind(this));
    this.load();
  }

  RecruitmentMap.prototype.t = function (key) {
    return this.strings[key] || key;
  };

  RecruitmentMap.prototype.setStatus = function (text, kind, link) {
    var status = this.status;
    clear(status);
    status.className = "map-status" + (kind ? " " + kind : "");
    status.hidden = !text;
    status.setAttribute("role", kind === "error" ? "alert" : "status");
    if (text) { status.appendChild(document.createTextNode(text)); }
    if (link) {
      var anchor = document.createElement("a");
      anchor.href = link.href;
      anchor.textContent = link.text;
      status.appendChild(document.createTextNode(" "));
      status.appendChild(anchor);
    }
  };

  // The ocean, its outline and a 30° graticule.
  RecruitmentMap.prototype.drawFrame = function () {
    var outline = meridian(-180, -90, 90, 2).concat(meridian(180, 90, -90, -2));
    svg("path", {d: ringPath(outline), class: "sphere"}, this.layers.sphere);
    var lines = [];
    for (var lon = -150; lon <= 150; lon += 30) { lines.push(meridian(lon, -90, 90, 2)); }
    for (var lat = -60; lat <= 60; lat += 30) { lines.push(parallel(lat, 2)); }
    svg("path", {d: linePath({type: "MultiLineString", coordinates: lines}),
                 class: "graticule"}, this.layers.graticule);
  };

  RecruitmentMap.prototype.drawRegion = function () {
    var lat = parseFloat(this.root.dataset.regionLat), lon = parseFloat(this.root.dataset.regionLon);
    if (!isFinite(lat) || !isFinite(lon)) { return; }
    var p = project(lon, lat), name = this.root.dataset.regionName || "";
    var group = svg("g", {class: "region", "data-x": p[0], "data-y": p[1]}, this.layers.region);
    svg("path", {d: STAR, class: "region-mark"}, group);
    var label = svg("text", {x: 9, y: 4, class: "region-label"}, group);
    label.textContent = name;
    this.regionPoint = p;
  };

  RecruitmentMap.prototype.buildLegend = function () {
    var gradient = document.getElementById("map-score-gradient");
    if (!gradient) { return; }
    for (var i = 0; i <= 10; i++) {
      svg("stop", {offset: (i * 10) + "%", "stop-color": colour(i / 10)}, gradient);
    }
    var dots = this.root.querySelectorAll(".legend-dot");
    for (var j = 0; j < dots.length; j++) {
      dots[j].setAttribute("fill", colour(j / Math.max(1, dots.length - 1)));
    }
  };

  RecruitmentMap.prototype.name = function (p) {
    return this.lang === "zh" ? (p.name_zh || p.name_en) : (p.name_en || p.name_zh);
  };

  RecruitmentMap.prototype.countryName = function (code) {
    return this.countryNames[code] || code || "";
  };

  // The basemap's layers: countries (China tinted), the maritime boundary line, the labels;
  // then the South China Sea inset.
  RecruitmentMap.prototype.drawBasemap = function (basemap) {
    var self = this, paths = this.countryPaths, tips = this.tips;
    var countries = document.createDocumentFragment(), labels = document.createDocumentFragment();
    var features = basemap.document.features;
    features.forEach(function (feature) {
      var p = feature.properties;
      if (p.layer === "maritime") {
        svg("path", {d: linePath(feature.geometry), class: "maritime"}, self.layers.maritime);
      } else if (p.layer === "labels") {
        var c = feature.geometry.coordinates, xy = project(c[0], c[1]);
        var group = svg("g", {class: "label " + p.kind + " rank-" + p.rank,
                              "data-x": xy[0], "data-y": xy[1]}, labels);
        if (p.kind === "city") { svg("circle", {r: 1.8, class: "city-dot"}, group); }
        var text = svg("text", {x: p.kind === "city" ? 3.5 : 0, y: 3,
                                "text-anchor": p.kind === "city" ? "start" : "middle"}, group);
        text.textContent = self.name(p);
      } else {
        var china = p.kind === "china";
        var path = svg("path", {d: areaPath(feature.geometry), "data-id": String(feature.id),
                                class: china ? "country china" : "country cand-0"});
        countries.appendChild(path);
        paths[feature.id] = path;
        tips.set(path, {title: self.name(p), lines: []});
      }
    });
    this.layers.countries.appendChild(countries);
    this.layers.labels.appendChild(labels);
    this.drawInset(features);
    return paths;
  };

  // The South China Sea (南海诸岛) in its own frame: the countries it touches and the line.
  RecruitmentMap.prototype.drawInset = function (features) {
    if (!this.inset) { return; }
    var box = projectedBox(SOUTH_CHINA_SEA), group = this.inset.querySelector("g");
    this.inset.setAttribute("viewBox", [box[0], box[1], box[2] - box[0], box[3] - box[1]]
      .map(function (v) { return v.toFixed(2); }).join(" "));
    svg("rect", {x: box[0], y: box[1], width: box[2] - box[0], height: box[3] - box[1],
                 class: "inset-sea"}, group);
    features.forEach(function (feature) {
      var p = feature.properties;
      if (p.layer === "maritime") {
        svg("path", {d: linePath(feature.geometry), class: "maritime"}, group);
      } else if (p.layer === "countries" &&
                 overlaps(lonLatBounds(feature.geometry), SOUTH_CHINA_SEA)) {
        svg("path", {d: areaPath(feature.geometry),
                     class: p.kind === "china" ? "country china" : "country cand-0"}, group);
      }
    });
    // the line above the land it passes near
    var lines = group.querySelectorAll(".maritime");
    for (var i = 0; i < lines.length; i++) { group.appendChild(lines[i]); }
  };

  // --- data ----------------------------------------------------------------------------
  RecruitmentMap.prototype.fetchGeojson = function (url, signal) {
    var self = this;
    return fetch(url, {credentials: "same-origin", signal: signal,
                       headers: {Accept: "application/geo+json, application/json"}})
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (response.redirected || type.indexOf("text/html") === 0) {
          var error = new Error(self.t("map_session_expired"));
          error.login = true;
          throw error;
        }
        return response.json().then(function (body) {
          if (!response.ok) {
            var message = body && body.error ? body.error.message : response.statusText;
            throw new Error(self.t("map_failed") + ": " + message);
          }
          return {document: body, modelVersion: response.headers.get("X-Model-Version"),
                  dataVersion: response.headers.get("X-Data-Version")};
        });
      });
  };

  RecruitmentMap.prototype.query = function () {
    var form = this.form, params = new URLSearchParams();
    params.set("weak_link", form.elements.weak_link.value);
    var k = parseInt(form.elements.k.value, 10);
    if (isFinite(k)) {
      k = Math.max(1, Math.min(parseInt(form.elements.k.max, 10) || k, k));
      form.elements.k.value = k;
      params.set("k", String(k));
    }
    if (form.elements.country.value) { params.set("country", form.elements.country.value); }
    if (form.elements.size.value) { params.set("size", form.elements.size.value); }
    if (form.elements.stage.value) { params.set("stage", form.elements.stage.value); }
    params.set("parks", form.elements.parks.checked ? "true" : "false");
    params.set("exclude_contacted", form.elements.exclude_contacted.checked ? "true" : "false");
    return params;
  };

  RecruitmentMap.prototype.load = function () {
    var self = this, params = this.query();
    if (this.request) { this.request.abort(); }
    var request = this.request = new AbortController();
    this.root.dataset.state = "loading";
    this.setStatus(this.t("map_loading"), "loading");
    var url = this.root.dataset.geojsonUrl + "?" + params.toString();
    Promise.all([this.basemap, this.fetchGeojson(url, request.signal)]).then(function (got) {
      if (request.signal.aborted) { return; }
      self.draw(got[1]);
      var page = window.location.pathname + "?" + params.toString();
      window.history.replaceState(null, "", page);
      self.keepLanguageLinks(params);
    }).catch(function (error) {
      if (request.signal.aborted || error.name === "AbortError") { return; }
      self.root.dataset.state = "error";
      self.setStatus(error.message, "error", error.login ? {
        href: (self.root.dataset.loginUrl || "/login") + "?next=" + encodeURIComponent(window.location.pathname +
                                                  window.location.search),
        text: self.t("login")} : null);
    });
  };

  RecruitmentMap.prototype.draw = function (answer) {
    var layers = {firms: [], countries: [], flows: [], parks: []};
    answer.document.features.forEach(function (feature) {
      var name = feature.properties.layer;
      if (layers[name]) { layers[name].push(feature); }
    });
    this.drawCountries(layers.countries);
    this.drawFlows(layers.flows);
    this.drawParks(layers.parks);
    this.drawFirms(layers.firms);
    this.home = this.fit(layers.firms);
    this.view = {k: this.home.k, x: this.home.x, y: this.home.y};
    this.applyView();
    document.getElementById("map-firm-count").textContent = String(layers.firms.length);
    if (answer.modelVersion) {
      document.getElementById("map-model-version").textContent =
        answer.modelVersion === "prior" ? this.t("model_prior") : answer.modelVersion;
    }
    if (answer.dataVersion) {
      document.getElementById("map-data-version").textContent = answer.dataVersion;
    }
    var paths = this.countryPaths, unplaced = {};
    layers.firms.forEach(function (f) {
      var code = f.properties.country;
      if (code && !paths[code] && !REGIONS_OF_CHINA[code]) { unplaced[code] = true; }
    });
    var codes = Object.keys(unplaced).sort();
    document.getElementById("map-note").textContent = codes.length
      ? " · " + this.t("map_unplaced") + " (" + codes.map(this.countryName, this).join(", ") +
        ")" : "";
    this.setStatus(layers.firms.length ? "" : this.t("map_no_firms"), "empty");
    this.root.dataset.state = "ready";
  };

  RecruitmentMap.prototype.drawCountries = function (features) {
    var self = this;
    Object.keys(this.countryPaths).forEach(function (id) {
      var path = self.countryPaths[id];
      if (!path.classList.contains("china")) { path.setAttribute("class", "country cand-0"); }
      self.tips.get(path).lines = [];
    });
    features.forEach(function (feature) {
      var path = self.countryPaths[feature.id], p = feature.properties;
      if (!path || !p.candidates) { return; }
      if (!path.classList.contains("china")) {
        path.setAttribute("class", "country " + candidateClass(p.candidates));
      }
      self.tips.get(path).lines = [self.t("map_tip_candidates") + ": " + p.candidates]
        .concat(figureLine(self.t("map_tip_best"), p.best_score, 3));
    });
  };

  RecruitmentMap.prototype.drawFlows = function (features) {
    var self = this, layer = this.layers.flows;
    clear(layer);
    this.flowsByFirm = {};
    features.forEach(function (feature) {
      var p = feature.properties;
      var path = svg("path", {d: linePath(feature.geometry), class: "flow",
                              "data-firm-id": p.firm_id, "data-park-id": p.park_id}, layer);
      (self.flowsByFirm[p.firm_id] = self.flowsByFirm[p.firm_id] || []).push(path);
      var firm = self.lang === "zh" ? (p.name_zh || p.name) : (p.name || p.name_zh);
      var park = self.lang === "zh" ? (p.park_name_zh || p.park_name_en)
        : (p.park_name_en || p.park_name_zh);
      self.tips.set(path, {title: (firm || p.firm_id) + " → " + (park || p.park_id), lines: [
        self.t("map_tip_distance") + ": " +
          (typeof p.distance_km === "number" ? Math.round(p.distance_km).toLocaleString() : "–") +
          " " + self.t("map_km")].concat(figureLine(self.t("map_tip_match"), p.score, 3))});
    });
  };

  RecruitmentMap.prototype.drawParks = function (features) {
    var self = this, layer = this.layers.parks;
    clear(layer);
    features.forEach(function (feature) {
      if (!feature.geometry || feature.geometry.type !== "Point") { return; }
      var c = feature.geometry.coordinates, p = project(c[0], c[1]), props = feature.properties;
      var group = svg("g", {class: "park", "data-park-id": props.park_id,
                            "data-x": p[0], "data-y": p[1]}, layer);
      svg("rect", {x: -3.2, y: -3.2, width: 6.4, height: 6.4, class: "park-mark",
                   transform: "rotate(45)"}, group);
      var name = self.lang === "zh" ? (props.name_zh || props.name_en)
        : (props.name_en || props.name_zh);
      var label = svg("text", {class: "park-label", "data-name": name || props.park_id},
                      group);
      wrapName(name || props.park_id, PARK_LINE_LENGTH[self.lang] || PARK_LINE_LENGTH.en)
        .forEach(function (line) { svg("tspan", {}, label).textContent = line; });
      placeLabel(label, LABEL_SPOTS[0]);
      var lines = [];
      if (props.max_new_firms !== null && props.max_new_firms !== undefined) {
        lines.push(self.t("map_tip_capacity") + ": " + props.max_new_firms);
      }
      self.tips.set(group, {title: name || props.park_id, lines: lines});
    });
  };

  // Firms as circles coloured and sized by expected value. Firms of one place (within 0.01 degrees)
  // share one mark with their count, which opens to their list; their own circles stay in
  // the layer, hidden, for the keyboard and for the list's order.
  RecruitmentMap.prototype.drawFirms = function (features) {
    var self = this, layer = this.layers.firms;
    clear(layer);
    this.closeList();
    var scores = features.map(function (f) { return firmFigure(f.properties); })
      .filter(isNumber);
    var low = scores.length ? Math.min.apply(null, scores) : 0;
    var high = scores.length ? Math.max.apply(null, scores) : 1;
    document.getElementById("map-score-min").textContent = scores.length ? low.toFixed(3) : "";
    document.getElementById("map-score-max").textContent = scores.length ? high.toFixed(3) : "";
    var legend = document.getElementById("map-score-legend");
    if (legend) { legend.hidden = !scores.length && features.length > 0; }
    var share = function (p) {
      if (!scores.length) { return 0.5; }  // no scores (a role without rankings): one middle tone
      var figure = firmFigure(p);
      return high > low && figure !== null ? (figure - low) / (high - low) : 1;
    };
    var ordered = features.filter(function (f) {
      return f.geometry && f.geometry.type === "Point";
    }).sort(function (a, b) {
      return (firmFigure(a.properties) || 0) - (firmFigure(b.properties) || 0);
    });
    var places = {}, order = [];
    ordered.forEach(function (feature) {
      var c = feature.geometry.coordinates;
      var key = c[0].toFixed(PLACE_DECIMALS) + "," + c[1].toFixed(PLACE_DECIMALS);
      if (!places[key]) { places[key] = []; order.push(key); }
      places[key].push(feature);
    });
    var fragment = document.createDocumentFragment(), clusters = [];
    order.forEach(function (key) {
      var members = places[key];
      var parent = fragment;
      if (members.length > 1) {
        parent = svg("g", {class: "cluster-members"});
        clusters.push({members: members, hidden: parent});
      }
      members.forEach(function (feature) { self.drawFirm(feature, share(feature.properties), parent); });
      if (members.length > 1) { fragment.appendChild(parent); }
    });
    // clusters above single firms, the best-scored on top
    clusters.sort(function (a, b) {
      return (firmFigure(a.members[a.members.length - 1].properties) || 0) -
        (firmFigure(b.members[b.members.length - 1].properties) || 0);
    }).forEach(function (cluster) { fragment.appendChild(self.drawCluster(cluster.members, share)); });
    layer.appendChild(fragment);
  };

  // A firm's portrait, told where it was opened from: the weak link and this map's address,
  // for its breadcrumbs and its outcome form.
  RecruitmentMap.prototype.portraitUrl = function (p) {
    var query = new URLSearchParams();
    if (p.node_id) { query.set("link", p.node_id); }
    query.set("back", window.location.pathname + window.location.search);
    return this.firmUrl + encodeURIComponent(p.firm_id) + "?" + query.toString();
  };

  RecruitmentMap.prototype.firmName = function (p) {
    return (this.lang === "zh" ? (p.name_zh || p.name) : (p.name || p.name_zh)) || p.firm_id;
  };

  RecruitmentMap.prototype.placeText = function (p) {
    var city = p.city && (this.cityNames[p.country + "|" + p.city] || p.city);
    return [city, this.countryName(p.country)].filter(Boolean).join(this.lang === "zh" ? "，" : ", ");
  };

  RecruitmentMap.prototype.drawFirm = function (feature, share, parent) {
    var self = this, p = feature.properties, c = feature.geometry.coordinates;
    var xy = project(c[0], c[1]), name = this.firmName(p);
    var link = svg("a", {href: this.portraitUrl(p),
                         class: "firm-link", "aria-label": name}, parent);
    var circle = svg("circle", {cx: xy[0].toFixed(2), cy: xy[1].toFixed(2),
                                fill: colour(share), class: "firm", "data-firm-id": p.firm_id,
                                "data-size": FIRM_RADIUS[0] + (FIRM_RADIUS[1] - FIRM_RADIUS[0]) * share},
                     link);
    var lines = [this.placeText(p)];
    if (firmFigure(p) !== null) {
      lines.push(this.t("map_tip_rank") + " " + (isNumber(p.rank) ? p.rank : "–") + " · " +
        this.figureText(p) +
        (isNumber(p.p_success) ? " · " + this.t("map_tip_p_success") + " " +
          (100 * p.p_success).toFixed(0) + "%" : ""));
    }
    var reason = this.lang === "zh" ? p.reason_zh : p.reason_en;
    if (reason) { lines.push(shorten(reason, 140)); }
    if (p.is_synthetic) { lines.push("(" + self.t("map_tip_synthetic") + ")"); }
    this.tips.set(link, {title: name, lines: lines, hint: this.t("map_tip_open"),
                         firm: p.firm_id, anchor: circle});
  };

  // "期望价值 0.123" (or, for a map without values, "得分 4.215").
  RecruitmentMap.prototype.figureText = function (p) {
    return isNumber(p.value) ? this.t("map_tip_value") + " " + formatNumber(p.value, 3)
      : this.t("map_tip_score") + " " + formatNumber(p.score, 3);
  };

  // One mark for the firms of a place: the best value's colour, a radius growing with the
  // count, the count on it; a click (or Enter) opens the list.
  RecruitmentMap.prototype.drawCluster = function (members, share) {
    var self = this, best = members[members.length - 1], c = best.geometry.coordinates;
    var xy = project(c[0], c[1]), place = this.placeText(best.properties);
    var group = svg("g", {class: "cluster", tabindex: "0", role: "button",
                          "data-x": xy[0], "data-y": xy[1], "data-count": members.length,
                          "aria-label": place + ": " + members.length + " " +
                            this.t("map_cluster_firms")});
    svg("circle", {r: (7 + 2.2 * Math.sqrt(members.length)).toFixed(2), class: "cluster-mark",
                   fill: colour(share(best.properties))}, group);
    var count = svg("text", {y: 3.8, "text-anchor": "middle", class: "cluster-count"}, group);
    count.textContent = String(members.length);
    var open = function (event) {
      event.preventDefault();
      event.stopPropagation();
      self.openList(place, members.slice().reverse());
    };
    group.addEventListener("click", function (event) { if (!self.dragged) { open(event); } });
    group.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { open(event); }
    });
    this.tips.set(group, {title: place, lines: [members.length + " " + this.t("map_cluster_firms") +
      (isNumber(best.properties.value) ? " · " + this.t("map_tip_best") + " " +
        formatNumber(best.properties.value, 3)
        : (firmFigure(best.properties) !== null ? " · " + this.figureText(best.properties) : ""))],
                          hint: this.t("map_cluster_open")});
    return group;
  };

  // --- the list of a place's firms ------------------------------------------------------
  RecruitmentMap.prototype.openList = function (place, members) {
    var self = this, list = this.list;
    if (!list) { return; }
    this.hideTip();
    list.querySelector(".map-list-title").textContent = place + " · " + members.length + " " +
      this.t("map_cluster_firms");
    var items = list.querySelector("ol");
    clear(items);
    members.forEach(function (feature) {
      var p = feature.properties, item = document.createElement("li");
      var anchor = document.createElement("a");
      anchor.href = self.portraitUrl(p);
      anchor.textContent = self.firmName(p);
      anchor.dataset.firmId = p.firm_id;
      item.appendChild(anchor);
      if (firmFigure(p) !== null) {
        var score = document.createElement("span");
        score.className = "map-list-score";
        score.textContent = self.figureText(p) + (isNumber(p.p_success) ? " · " +
          self.t("map_tip_p_success") + " " + (100 * p.p_success).toFixed(0) + "%" : "");
        item.appendChild(score);
      }
      items.appendChild(item);
    });
    list.hidden = false;
    this.root.dataset.list = "open";
    var first = items.querySelector("a");
    if (first) { first.focus(); }
  };

  RecruitmentMap.prototype.closeList = function () {
    if (this.list) { this.list.hidden = true; }
    delete this.root.dataset.list;
  };

  RecruitmentMap.prototype.bindList = function () {
    var self = this;
    if (!this.list) { return; }
    this.list.querySelector(".map-list-close").addEventListener("click", function () {
      self.closeList();
    });
    this.list.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { self.closeList(); }
    });
  };

  // --- zoom and pan --------------------------------------------------------------------
  RecruitmentMap.prototype.applyView = function () {
    var v = this.view, k = v.k;
    this.viewport.setAttribute("transform", "translate(" + v.x.toFixed(2) + " " +
                               v.y.toFixed(2) + ") scale(" + k.toFixed(4) + ")");
    this.root.dataset.zoom = k.toFixed(3);
    // Marks keep their size on screen (growing a little as one zooms in, at most MAX_GROW).
    var grow = Math.min(Math.pow(k, 0.25), MAX_GROW) / k;
    var circles = this.layers.firms.querySelectorAll("circle.firm");
    for (var i = 0; i < circles.length; i++) {
      circles[i].setAttribute("r", (parseFloat(circles[i].dataset.size) * grow).toFixed(3));
    }
    var marks = this.root.querySelectorAll("#map-parks .park, #map-region .region, " +
                                           "#map-labels .label, #map-firms .cluster");
    var fixed = (1 / k).toFixed(5);  // labels keep their size on screen
    for (var j = 0; j < marks.length; j++) {
      var label = marks[j].classList.contains("label");
      marks[j].setAttribute("transform", "translate(" + marks[j].dataset.x + " " +
                            marks[j].dataset.y + ") scale(" + (label ? fixed : grow.toFixed(4)) +
                            ")");
    }
    this.root.classList.toggle("zoomed", k >= ZOOMED_LABELS);
    this.root.classList.toggle("park-names", k >= PARK_LABELS);
    if (k >= PARK_LABELS) { this.placeParkLabels(); }
    this.showInset();
    this.hideTip();
  };

  // Park names placed one by one where they overlap no mark, place name or park name placed
  // before (the first spot of LABEL_SPOTS that is free, else the one that overlaps least). A
  // name that would still cover more than CROWDED of itself is left out until the map is
  // zoomed in further, as Chinese web maps do; its park's tooltip names it whole meanwhile.
  RecruitmentMap.prototype.placeParkLabels = function () {
    var labels = Array.prototype.slice.call(this.layers.parks.querySelectorAll(".park-label"));
    var placed = labels.map(function (label) {
      return label.parentNode.querySelector(".park-mark").getBoundingClientRect();
    });
    // the cities and countries named on the map stay readable too
    Array.prototype.forEach.call(this.layers.labels.querySelectorAll(".label"), function (name) {
      if (getComputedStyle(name).display !== "none") { placed.push(name.getBoundingClientRect()); }
    });
    var overlap = function (a, b) {
      return Math.max(0, Math.min(a.right, b.right) - Math.max(a.left, b.left)) *
        Math.max(0, Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top));
    };
    labels.forEach(function (label) {
      var best = null;
      label.classList.remove("crowded");  // measured as shown
      LABEL_SPOTS.forEach(function (spot) {
        if (best && best.cost === 0) { return; }
        placeLabel(label, spot);
        var box = label.getBoundingClientRect(), cost = 0;
        placed.forEach(function (other) { cost += overlap(box, other); });
        if (!best || cost < best.cost) { best = {spot: spot, cost: cost, box: box}; }
      });
      placeLabel(label, best.spot);
      var crowded = best.cost > CROWDED * best.box.width * best.box.height;
      label.classList.toggle("crowded", crowded);
      if (!crowded) { placed.push(best.box); }
    });
  };

  // The inset shows while the view holds the whole of China, as standard maps have it.
  RecruitmentMap.prototype.showInset = function () {
    if (!this.inset) { return; }
    var v = this.view, box = projectedBox(CHINA_BOX);
    var left = -v.x / v.k, top = -v.y / v.k;
    var right = left + WIDTH / v.k, bottom = top + HEIGHT / v.k;
    var whole = box[0] >= left && box[2] <= right && box[1] >= top && box[3] <= bottom;
    this.inset.parentNode.hidden = !whole;
    this.root.dataset.inset = whole ? "shown" : "hidden";
  };

  // The view that shows a lon/lat box, as large as the frame allows.
  RecruitmentMap.prototype.viewOf = function (box) {
    var p = projectedBox(box);
    var k = Math.min(MAX_ZOOM, WIDTH / Math.max(1e-6, p[2] - p[0]),
                     HEIGHT / Math.max(1e-6, p[3] - p[1]));
    k = Math.max(MIN_ZOOM, k);
    return clamp({k: k, x: WIDTH / 2 - k * (p[0] + p[2]) / 2,
                  y: HEIGHT / 2 - k * (p[1] + p[3]) / 2});
  };

  // The view that shows every firm and the destination, zoomed in at most FIT_MAX_ZOOM.
  RecruitmentMap.prototype.fit = function (firms) {
    var points = firms.filter(function (f) { return f.geometry && f.geometry.type === "Point"; })
      .map(function (f) { return project(f.geometry.coordinates[0], f.geometry.coordinates[1]); });
    if (this.regionPoint) { points.push(this.regionPoint); }
    if (points.length < 2) { return {k: 1, x: 0, y: 0}; }
    var xs = points.map(function (p) { return p[0]; }), ys = points.map(function (p) { return p[1]; });
    var left = Math.min.apply(null, xs), right = Math.max.apply(null, xs);
    var top = Math.min.apply(null, ys), bottom = Math.max.apply(null, ys);
    var k = Math.min(FIT_MAX_ZOOM, (WIDTH - 2 * FIT_MARGIN) / Math.max(1, right - left),
                     (HEIGHT - 2 * FIT_MARGIN) / Math.max(1, bottom - top));
    k = Math.max(MIN_ZOOM, k);
    return clamp({k: k, x: WIDTH / 2 - k * (left + right) / 2,
                  y: HEIGHT / 2 - k * (top + bottom) / 2});
  };

  RecruitmentMap.prototype.zoomAt = function (factor, x, y) {
    var v = this.view, k = Math.max(MIN_ZOOM, Math.min(MAX_ZOOM, v.k * factor));
    v.x = x - (x - v.x) * (k / v.k);
    v.y = y - (y - v.y) * (k / v.k);
    v.k = k;
    clamp(this.view);
    this.applyView();
  };

  RecruitmentMap.prototype.toViewBox = function (clientX, clientY) {
    var matrix = this.svg.getScreenCTM();
    var point = this.svg.createSVGPoint();
    point.x = clientX;
    point.y = clientY;
    var p = point.matrixTransform(matrix.inverse());
    return [p.x, p.y];
  };

  RecruitmentMap.prototype.bindZoom = function () {
    var self = this;
    document.getElementById("map-zoom-in").addEventListener("click", function () {
      self.zoomAt(BUTTON_STEP, WIDTH / 2, HEIGHT / 2);
    });
    document.getElementById("map-zoom-out").addEventListener("click", function () {
      self.zoomAt(1 / BUTTON_STEP, WIDTH / 2, HEIGHT / 2);
    });
    document.getElementById("map-zoom-reset").addEventListener("click", function () {
      self.view = {k: self.home.k, x: self.home.x, y: self.home.y};
      self.applyView();
    });
    var presets = this.root.querySelectorAll("[data-preset]");
    for (var i = 0; i < presets.length; i++) {
      presets[i].addEventListener("click", function (event) {
        var name = event.currentTarget.dataset.preset;
        self.view = name === "world" ? {k: 1, x: 0, y: 0} : self.viewOf(PRESETS[name]);
        self.root.dataset.preset = name;
        self.applyView();
      });
    }
    // Keys, on the focused map: + and - zoom, 0 goes back to the first view, arrows pan.
    this.svg.addEventListener("keydown", function (event) {
      var pan = {ArrowLeft: [1, 0], ArrowRight: [-1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1]};
      if (event.key === "+" || event.key === "=") {
        self.zoomAt(BUTTON_STEP, WIDTH / 2, HEIGHT / 2);
      } else if (event.key === "-" || event.key === "_") {
        self.zoomAt(1 / BUTTON_STEP, WIDTH / 2, HEIGHT / 2);
      } else if (event.key === "0") {
        self.view = {k: self.home.k, x: self.home.x, y: self.home.y};
        self.applyView();
      } else if (pan[event.key]) {
        self.view.x += pan[event.key][0] * KEY_PAN;
        self.view.y += pan[event.key][1] * KEY_PAN;
        clamp(self.view);
        self.applyView();
      } else {
        return;
      }
      event.preventDefault();
    });
    this.svg.addEventListener("wheel", function (event) {
      event.preventDefault();
      var lines = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? 400 : 1;
      var p = self.toViewBox(event.clientX, event.clientY);
      self.zoomAt(Math.exp(-event.deltaY * lines * 0.002), p[0], p[1]);
    }, {passive: false});
  };

  RecruitmentMap.prototype.bindPointer = function () {
    var self = this, drag = null, dragged = false;
    this.svg.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) { return; }
      drag = {id: event.pointerId, x: event.clientX, y: event.clientY,
              vx: self.view.x, vy: self.view.y, moving: false};
      dragged = false;
    });
    this.svg.addEventListener("pointermove", function (event) {
      if (drag && drag.id === event.pointerId) {
        var dx = event.clientX - drag.x, dy = event.clientY - drag.y;
        if (!drag.moving && Math.hypot(dx, dy) > DRAG_THRESHOLD) {
          drag.moving = true;
          self.svg.setPointerCapture(event.pointerId);
          self.svg.classList.add("dragging");
        }
        if (drag.moving) {
          var unit = self.svg.getScreenCTM().a;  // screen pixels per viewBox unit
          self.view.x = drag.vx + dx / unit;
          self.view.y = drag.vy + dy / unit;
          clamp(self.view);
          self.applyView();
          return;
        }
      }
      self.hover(event);
    });
    var end = function (event) {
      if (!drag || drag.id !== event.pointerId) { return; }
      dragged = drag.moving;
      if (drag.moving && self.svg.hasPointerCapture(event.pointerId)) {
        self.svg.releasePointerCapture(event.pointerId);
      }
      self.svg.classList.remove("dragging");
      drag = null;
    };
    this.svg.addEventListener("pointerup", end);
    this.svg.addEventListener("pointercancel", end);
    // A drag that ends on a firm is a pan, not a visit to its portrait.
    this.svg.addEventListener("pointerdown", function () { self.dragged = false; });
    this.svg.addEventListener("pointerup", function () { self.dragged = dragged; });
    this.svg.addEventListener("click", function (event) {
      if (dragged) {
        event.preventDefault();
        event.stopPropagation();
        dragged = false;
      }
    }, true);
    this.svg.addEventListener("pointerleave", function () { self.hideTip(); });
    this.svg.addEventListener("dragstart", function (event) { event.preventDefault(); });
    this.layers.firms.addEventListener("focusin", function (event) {
      var link = event.target.closest("a");
      var tip = link && self.tips.get(link);
      if (!tip) { return; }
      var box = tip.anchor.getBoundingClientRect();
      self.showTip(tip, link, box.left + box.width / 2, box.top + box.height / 2);
    });
    this.layers.firms.addEventListener("focusout", function () { self.hideTip(); });
  };

  // --- the tooltip ---------------------------------------------------------------------
  RecruitmentMap.prototype.hover = function (event) {
    var node = event.target, tip = null;
    while (node && node !== this.svg && !(tip = this.tips.get(node))) { node = node.parentNode; }
    if (!tip) { this.hideTip(); return; }
    this.showTip(tip, node, event.clientX, event.clientY);
  };

  RecruitmentMap.prototype.showTip = function (tip, node, clientX, clientY) {
    var box = this.tooltip;
    if (this.tipNode !== node) {
      this.hideTip();
      this.tipNode = node;
      clear(box);
      var title = document.createElement("strong");
      title.textContent = tip.title;
      box.appendChild(title);
      tip.lines.forEach(function (line) {
        if (!line) { return; }
        var row = document.createElement("div");
        row.textContent = line;
        box.appendChild(row);
      });
      if (tip.hint) {
        var hint = document.createElement("div");
        hint.className = "hint";
        hint.textContent = tip.hint;
        box.appendChild(hint);
      }
      box.hidden = false;
      if (tip.firm) {
        (this.flowsByFirm[tip.firm] || []).forEach(function (flow) {
          flow.classList.add("active");
        });
        node.classList.add("active");
      } else if (node.classList) {
        node.classList.add("hovered");
      }
    }
    // CSSOM, not a style attribute: the page's CSP allows no inline style.
    var frame = this.root.getBoundingClientRect();
    var x = clientX - frame.left + 14, y = clientY - frame.top + 14;
    if (x + box.offsetWidth > frame.width - 8) { x = clientX - frame.left - box.offsetWidth - 14; }
    if (y + box.offsetHeight > frame.height - 8) { y = clientY - frame.top - box.offsetHeight - 14; }
    box.style.left = Math.max(4, x) + "px";
    box.style.top = Math.max(4, y) + "px";
  };

  RecruitmentMap.prototype.hideTip = function () {
    this.tooltip.hidden = true;
    var active = this.root.querySelectorAll(".active, .hovered");
    for (var i = 0; i < active.length; i++) {
      active[i].classList.remove("active");
      active[i].classList.remove("hovered");
    }
    this.tipNode = null;
  };

  // --- the filters ---------------------------------------------------------------------
  // The header's language links keep the filters in use.
  RecruitmentMap.prototype.keepLanguageLinks = function (params) {
    var links = document.querySelectorAll(".langs a[href]");
    for (var i = 0; i < links.length; i++) {
      var url = new URL(links[i].href, window.location.href), lang = url.searchParams.get("lang");
      if (!lang) { continue; }
      var next = new URLSearchParams(params);
      next.set("lang", lang);
      links[i].href = window.location.pathname + "?" + next.toString();
    }
  };

  RecruitmentMap.prototype.bindForm = function () {
    var self = this, form = this.form;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      self.load();
    });
    form.addEventListener("change", function () { self.load(); });
  };

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("map-root");
    if (root) { root.recruitmentMap = new RecruitmentMap(root); }
  });
}());
