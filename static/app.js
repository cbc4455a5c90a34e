/* Fanfare progressive enhancement. Every page works without this file:
   - [data-copy] buttons copy text and say so (they ship `hidden`, or as the
     submit button of a form that works without JS; the text they copy is always
     visible and selectable next to them);
   - forms (or submit buttons) with [data-confirm] ask before submitting;
   - success/info flashes ([data-autodismiss]) fade after a while; all flashes get
     a dismiss button.
   Loaded with `defer` from /static; no inline script anywhere (CSP). */
(function () {
  "use strict";

  var FLASH_MS = 6000;
  var FEEDBACK_MS = 2000;
  var live;

  /* One polite live region, so screen readers hear "Copied". */
  function announce(text) {
    if (!live) {
      live = document.createElement("span");
      live.className = "visually-hidden";
      live.setAttribute("role", "status");
      document.body.appendChild(live);
    }
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 50);
  }

  /* Clipboard API where allowed; the facebook.com iframe may deny it, so fall
     back to a selected textarea and execCommand. */
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return legacyCopy(text); });
    }
    return legacyCopy(text);
  }

  function legacyCopy(text) {
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "visually-hidden";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(area);
      if (ok) { resolve(); } else { reject(new Error("copy refused")); }
    });
  }

  function feedback(button, text) {
    if (!button.hasAttribute("data-label")) {
      button.setAttribute("data-label", button.textContent);
    }
    button.textContent = text;
    button.setAttribute("data-copied", "");
    announce(text);
    window.clearTimeout(button._fanfareTimer);
    button._fanfareTimer = window.setTimeout(function () {
      button.textContent = button.getAttribute("data-label");
      button.removeAttribute("data-copied");
    }, FEEDBACK_MS);
  }

  /* Matches under root, and root itself (htmx:load hands us the swapped element). */
  function all(root, selector) {
    var found = Array.prototype.slice.call(root.querySelectorAll(selector));
    if (root.matches && root.matches(selector)) { found.unshift(root); }
    return found;
  }

  /* A copy button inside a [data-share-form] (the invite link) also tells the
     server, which counts the share for reach; without JS the form itself posts. */
  function recordShare(button) {
    var form = button.closest("form[data-share-form]");
    if (!form || !window.fetch) { return; }
    window.fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      headers: { "Accept": "application/json" },
      credentials: "same-origin"
    }).catch(function () { /* reach counting is best effort */ });
  }

  /* The first focus in the entry form tells the server the fan started it
     (timeline and funnel "form start"); without JS the entry itself counts. */
  document.addEventListener("focusin", function (event) {
    var form = event.target.closest && event.target.closest("form[data-form-start]");
    if (!form || form.hasAttribute("data-form-started") || !window.fetch) { return; }
    form.setAttribute("data-form-started", "");
    var body = new URLSearchParams();
    body.append("csrf_token", (form.elements.csrf_token || {}).value || "");
    window.fetch(form.getAttribute("data-form-start"), {
      method: "POST",
      body: body,
      headers: { "Accept": "application/json" },
      credentials: "same-origin"
    }).catch(function () { /* best effort, like share counting */ });
  });

  function enhanceCopyButtons(root) {
    all(root, "[data-copy][hidden]").forEach(function (b) { b.hidden = false; });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) { return; }
    event.preventDefault();
    copyText(button.getAttribute("data-copy")).then(
      function () { feedback(button, "Copied!"); recordShare(button); },
      function () {
        /* Copy refused: select the visible text so Ctrl+C / long-press works. */
        var target = document.getElementById(button.getAttribute("aria-controls") || "");
        if (target && target.select) { target.focus(); target.select(); }
        feedback(button, "Press Ctrl+C");
      }
    );
  });

  /* Capture phase, so a cancelled submit never reaches htmx's own listener. */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var message = (submitter && submitter.getAttribute("data-confirm")) ||
      form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  function dismiss(flash) {
    flash.classList.add("is-leaving");
    var reduce = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    window.setTimeout(function () { flash.remove(); }, reduce ? 0 : 300);
  }

  function enhanceFlashes(root) {
    all(root, ".flash:not([data-enhanced])").forEach(function (flash) {
      flash.setAttribute("data-enhanced", "");
      var close = document.createElement("button");
      close.type = "button";
      close.className = "flash-close";
      close.setAttribute("aria-label", "Dismiss message");
      close.textContent = "×";
      close.addEventListener("click", function () { dismiss(flash); });
      flash.appendChild(close);
      if (flash.hasAttribute("data-autodismiss")) {
        var wait = function () {
          /* Never pull a message away from someone reading or focusing it. */
          if (flash.matches(":hover, :focus-within")) {
            window.setTimeout(wait, FLASH_MS / 2);
          } else {
            dismiss(flash);
          }
        };
        window.setTimeout(wait, FLASH_MS);
      }
    });
  }

  function enhance(root) {
    enhanceCopyButtons(root);
    enhanceFlashes(root);
  }

  enhance(document);

  /* Phones: the nav is a sideways strip; bring the current section into view. */
  all(document, ".sidebar a[aria-current='page'], .tabs a[aria-current]").forEach(function (current) {
    var strip = current.closest("ul") || current.parentElement;
    if (!strip || strip.scrollWidth <= strip.clientWidth) { return; }
    strip.scrollLeft = Math.max(0, current.offsetLeft - strip.offsetLeft - 16);
  });

  /* Content swapped in by htmx gets the same treatment. */
  document.addEventListener("htmx:load", function (event) { enhance(event.target); });
})();
