// The hosted capture page's steps: consent and ID type, ID number, selfie with liveness frames,
// document front and back, then one submission. Served by openkyc itself (no third party); talks
// to this origin only, with the X-OpenKYC-Capture header the server requires of the page.
"use strict";

(function () {
  const root = document.getElementById("capture");
  if (!root) return;
  const base = root.dataset.base;
  const slug = root.dataset.slug;
  const FRAMES = Number(root.dataset.frames) || 8;
  const INTERVAL = Number(root.dataset.interval) || 350;
  const HEADERS = { "X-OpenKYC-Capture": "1" };
  // Pictures are sent as JPEG at most this long side: enough for the face matcher and the MRZ,
  // small enough for a phone on a slow network.
  const SELFIE_SIDE = 1280;
  const FRAME_SIDE = 640;
  const DOCUMENT_SIDE = 1800;

  const state = {
    steps: [],
    idType: null,
    fields: {},
    selfie: null,
    liveness: [],
    front: null,
    back: null,
    side: "front",
    stream: null,
    attempts: { selfie: 0, document: 0 },
  };

  const $ = (id) => document.getElementById(id);
  const errorBox = $("error");

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = !message;
    if (message) errorBox.scrollIntoView({ block: "nearest" });
  }

  async function call(path, body) {
    const options = { method: "POST", headers: { ...HEADERS }, credentials: "same-origin", body };
    if (!(body instanceof FormData)) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(base + path, options);
    } catch (error) {
      throw new Error("No connection to the server. Check your network and try again.");
    }
    let answer = {};
    try {
      answer = await response.json();
    } catch (error) {
      answer = {};
    }
    if (!response.ok) {
      const failure = new Error(answer.error || "Something went wrong. Try again.");
      failure.status = response.status;
      throw failure;
    }
    return answer;
  }

  // A stopped stream leaves its last frame in the <video> (videoWidth stays set): detach it, so
  // that "the camera runs" means a live stream, on a retake too.
  function stopCamera() {
    if (state.stream) {
      state.stream.getTracks().forEach((track) => track.stop());
      state.stream = null;
    }
    document.querySelectorAll("video").forEach((video) => {
      video.srcObject = null;
    });
  }

  function show(step) {
    stopCamera();
    showError("");
    document.querySelectorAll(".step").forEach((section) => {
      section.hidden = section.id !== "step-" + step;
    });
    const heading = document.querySelector("#step-" + step + " h1");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
    if (step === "selfie") enterSelfie();
    if (step === "document") enterDocument(true);
  }

  function next(after) {
    const index = state.steps.indexOf(after);
    const following = state.steps[index + 1];
    if (following) show(following);
    else send();
  }

  // --- consent and ID type ---------------------------------------------------------------------

  $("consent-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = document.querySelector("input[name=choice]:checked");
    if (!chosen) return showError("Choose the ID you will use.");
    if (!$("consent").checked) return showError("Tick the box to agree before you start.");
    $("start").disabled = true;
    try {
      const answer = await call("/" + slug + "/start", { consent: true, choice: Number(chosen.value) });
      state.steps = answer.steps;
      state.idType = answer.id_type;
      document.querySelectorAll(".id-name").forEach((node) => (node.textContent = answer.id_type.name));
      if (answer.id_type.test_number) {
        $("test-number").hidden = false;
        $("test-number").querySelector("code").textContent = answer.id_type.test_number;
      }
      show(state.steps[0]);
    } catch (error) {
      showError(error.message);
    } finally {
      $("start").disabled = false;
    }
  });

  // --- ID number --------------------------------------------------------------------------------

  $("number-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const number = $("id_number").value.trim();
    if (!number) return showError("Enter your ID number.");
    state.fields = {
      id_number: number,
      first_name: $("first_name").value.trim(),
      last_name: $("last_name").value.trim(),
      dob: $("dob").value,
    };
    next("id_number");
  });

  // --- camera -----------------------------------------------------------------------------------

  async function startCamera(facing, video, fallback) {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      if (fallback) fallback.hidden = false;
      video.parentElement.hidden = true;
      return false;
    }
    try {
      state.stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: facing, width: { ideal: 1280 }, height: { ideal: 720 } },
        audio: false,
      });
      video.srcObject = state.stream;
      await video.play();
      video.parentElement.hidden = false;
      return true;
    } catch (error) {
      if (fallback) fallback.hidden = false;
      video.parentElement.hidden = true;
      return false;
    }
  }

  function grab(video, longSide, quality) {
    const width = video.videoWidth;
    const height = video.videoHeight;
    const scale = Math.min(1, longSide / Math.max(width, height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
  }

  const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  async function checked(kind, blob, problemsList) {
    problemsList.textContent = "";
    const form = new FormData();
    form.append("kind", kind);
    form.append("image", blob, kind + ".jpg");
    const answer = await call("/session/check", form);
    for (const problem of answer.problems) {
      const item = document.createElement("li");
      item.textContent = problem.message;
      problemsList.appendChild(item);
    }
    if (answer.ok) {
      const item = document.createElement("li");
      item.className = "ok";
      item.textContent = "Looks good.";
      problemsList.appendChild(item);
    }
    return answer.ok;
  }

  function preview(image, blob) {
    if (image.src) URL.revokeObjectURL(image.src);
    image.src = URL.createObjectURL(blob);
    image.hidden = false;
  }

  // After a second picture with problems the visitor may go on: the check is advice, the
  // verification itself decides.
  function offer(kind, ok) {
    state.attempts[kind] += 1;
    const go = $(kind + "-next");
    go.hidden = !(ok || state.attempts[kind] >= 2);
    go.textContent = ok ? "Continue" : "Use this picture anyway";
    $(kind + "-retake").hidden = false;
    $(kind + "-shoot").hidden = true;
  }

  // --- selfie -----------------------------------------------------------------------------------

  function enterSelfie() {
    startCamera("user", $("selfie-video"), $("selfie-fallback")).then((started) => {
      $("selfie-shoot").hidden = !started;
      if (!started) $("selfie-prompt").textContent = "Face the camera in good light, with nobody else in the picture.";
    });
  }

  $("selfie-shoot").addEventListener("click", async () => {
    const video = $("selfie-video");
    if (!state.stream || !video.videoWidth) return showError("The camera is not ready yet.");
    $("selfie-shoot").disabled = true;
    const prompt = $("selfie-prompt");
    try {
      const frames = [];
      for (let index = 0; index < FRAMES; index += 1) {
        prompt.textContent = index < FRAMES / 2 ? "Look straight at the camera…" : "Now smile!";
        frames.push(await grab(video, FRAME_SIDE, 0.85));
        await pause(INTERVAL);
      }
      const selfie = await grab(video, SELFIE_SIDE, 0.92);
      prompt.textContent = "Checking your selfie…";
      stopCamera();
      video.parentElement.hidden = true;
      preview($("selfie-preview"), selfie);
      state.selfie = selfie;
      state.liveness = frames;
      const ok = await checked("selfie", selfie, $("selfie-problems"));
      prompt.textContent = ok ? "Your selfie looks good." : "Let's try that again.";
      offer("selfie", ok);
    } catch (error) {
      showError(error.message);
    } finally {
      $("selfie-shoot").disabled = false;
    }
  });

  $("selfie-file").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    stopCamera();
    $("selfie-video").parentElement.hidden = true;
    try {
      preview($("selfie-preview"), file);
      state.selfie = file;
      state.liveness = [];
      const ok = await checked("selfie", file, $("selfie-problems"));
      $("selfie-prompt").textContent = ok ? "Your selfie looks good." : "Let's try that again.";
      offer("selfie", ok);
    } catch (error) {
      showError(error.message);
    }
  });

  $("selfie-retake").addEventListener("click", () => {
    $("selfie-preview").hidden = true;
    $("selfie-problems").textContent = "";
    $("selfie-retake").hidden = true;
    $("selfie-next").hidden = true;
    $("selfie-shoot").hidden = true; // shown once the camera runs (enterSelfie)
    $("selfie-prompt").textContent = "Put your face in the oval, in good light.";
    enterSelfie();
  });

  $("selfie-next").addEventListener("click", () => next("selfie"));

  // --- document ---------------------------------------------------------------------------------

  // A new side starts its attempts afresh; a retake of the same side does not.
  function enterDocument(newSide) {
    if (newSide) state.attempts.document = 0;
    $("side-name").textContent = state.side === "front" ? "Front" : "Back";
    $("document-skip-back").hidden = state.side !== "back";
    $("document-preview").hidden = true;
    $("document-problems").textContent = "";
    $("document-retake").hidden = true;
    $("document-next").hidden = true;
    $("document-shoot").hidden = true; // shown once the camera runs
    $("document-file").value = "";
    startCamera("environment", $("document-video"), null).then((started) => {
      $("document-shoot").hidden = !started;
      $("document-video").parentElement.hidden = !started;
      if (!started) $("document-prompt").textContent = "Upload a clear photo of the document.";
    });
  }

  async function useDocument(blob) {
    preview($("document-preview"), blob);
    if (state.side === "front") state.front = blob;
    else state.back = blob;
    const ok = await checked("document", blob, $("document-problems"));
    offer("document", ok);
  }

  $("document-shoot").addEventListener("click", async () => {
    const video = $("document-video");
    if (!state.stream || !video.videoWidth) return showError("The camera is not ready yet.");
    try {
      const picture = await grab(video, DOCUMENT_SIDE, 0.92);
      stopCamera();
      video.parentElement.hidden = true;
      await useDocument(picture);
    } catch (error) {
      showError(error.message);
    }
  });

  $("document-file").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    stopCamera();
    $("document-video").parentElement.hidden = true;
    try {
      await useDocument(file);
    } catch (error) {
      showError(error.message);
    }
  });

  $("document-retake").addEventListener("click", () => enterDocument(false));

  $("document-next").addEventListener("click", () => {
    if (state.side === "front" && state.idType.has_back) {
      state.side = "back";
      enterDocument(true);
      return;
    }
    next("document");
  });

  $("document-skip-back").addEventListener("click", () => {
    state.back = null;
    next("document");
  });

  // --- submission -------------------------------------------------------------------------------

  async function send() {
    show("sending");
    $("send-again").hidden = true;
    const form = new FormData();
    if (state.selfie) form.append("selfie", state.selfie, "selfie.jpg");
    state.liveness.forEach((frame, index) => form.append("liveness", frame, "liveness-" + index + ".jpg"));
    if (state.front) form.append("id_front", state.front, "id_front.jpg");
    if (state.back) form.append("id_back", state.back, "id_back.jpg");
    for (const [name, value] of Object.entries(state.fields)) form.append(name, value);
    try {
      const answer = await call("/session/submit", form);
      window.location.assign(answer.next);
    } catch (error) {
      showError(error.message);
      // A refused submission (a picture the job cannot use, a rate limit) may be sent again; a
      // finished or expired visit cannot.
      $("send-again").hidden = error.status === 403 || error.status === 409 || error.status === 410;
    }
  }

  $("send-again").addEventListener("click", () => send());
})();
