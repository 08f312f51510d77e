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
  function update() {
    var idx = 0;
    for (var i = 0; i < inputs.length; i++) {
      var k = parseInt(inputs[i].value, 10);
      idx = idx * data.sizes[i] + k;
      root.querySelector("output[data-param='" + i + "']").textContent = data.labels[i][k];
      inputs[i].setAttribute("aria-valuetext", data.labels[i][k]);
    }
    img.src = "data:image/png;base64," + data.frames[idx];
    img.alt = data.alts[idx];
    root.dataset.frame = String(idx);
  }
  for (var j = 0; j < inputs.length; j++) { inputs[j].addEventListener("input", update); }
  update();
};
