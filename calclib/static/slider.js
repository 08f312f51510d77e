/* The static-book version of calclib.sliders.slider: range inputs choose a pre-rendered
   frame; the frame's alt text and the values (an aria-live output) follow the inputs.
   Defined once per page; each slider then calls clSlider(its element id). */
window.clSlider = window.clSlider || function (id) {
  var root = document.getElementById(id);
  if (!root || root.dataset.ready) { return; }
  root.dataset.ready = "1";
  var data = JSON.parse(root.querySelector("script[type='application/json']").textContent);
  var img = root.querySelector("img.cl-slider-frame");
  var inputs = root.querySelectorAll("input[type=range]");
  // A frame is inline base64 (a notebook) or the URL of a file (the book, where
  // _ext/slider_frames.py moved the frames out of the page; base64 has no ".").
  function src(f) { return f.indexOf(".") >= 0 ? f : "data:image/png;base64," + f; }
  var fetched = false;
  function fetchAll() {  // the book: a slider's frames load once a reader touches it
    if (fetched) { return; }
    fetched = true;
    for (var f = 0; f < data.frames.length; f++) { new Image().src = src(data.frames[f]); }
  }
  root.addEventListener("pointerdown", fetchAll);
  root.addEventListener("focusin", fetchAll);
  function update() {
    var idx = 0;
    for (var i = 0; i < inputs.length; i++) {
      var k = parseInt(inputs[i].value, 10);
      idx = idx * data.sizes[i] + k;
      root.querySelector("output[data-param='" + i + "']").textContent = data.labels[i][k];
      inputs[i].setAttribute("aria-valuetext", data.labels[i][k]);
    }
    var next = src(data.frames[idx]);
    if (img.getAttribute("src") !== next) { img.src = next; }
    img.alt = data.alts[idx];
    root.dataset.frame = String(idx);
  }
  for (var j = 0; j < inputs.length; j++) { inputs[j].addEventListener("input", update); }
  update();
};
