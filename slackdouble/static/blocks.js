/* Block Kit -> DOM. Exposed as window.Blocks.
   render(blocks, ctx) where ctx = {lookup, users, onAction({action_id, block_id, value}), errors, form}
   Supported: section (text, fields, accessory), header, context, divider, actions, image, input,
   rich_text (as text). Elements: button, static_select, overflow, datepicker, users_select,
   plain_text_input, checkboxes, radio_buttons, number_input, image. */
(function () {
  "use strict";
  var M = window.Mrkdwn;

  function el(tag, cls, html) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (html != null) e.innerHTML = html;
    return e;
  }

  function text(obj, ctx) {
    if (!obj) return "";
    if (typeof obj === "string") return M.mrkdwn(obj, ctx.lookup);
    if (obj.type === "plain_text") return M.plain(obj.text, ctx.lookup, obj.emoji);
    return M.mrkdwn(obj.text, ctx.lookup);
  }

  // A plain_text label (button, option, header): emoji shortcodes render unless "emoji": false.
  function label(obj, ctx) {
    return M.plain(plainOf(obj), ctx.lookup, obj && obj.emoji);
  }

  function plainOf(obj) {
    return obj ? (typeof obj === "string" ? obj : obj.text || "") : "";
  }

  function optionsOf(element) {
    var out = (element.options || []).slice();
    (element.option_groups || []).forEach(function (g) {
      out = out.concat(g.options || []);
    });
    return out;
  }

  function fire(ctx, blockId, element, value) {
    if (ctx.onAction) ctx.onAction({ action_id: element.action_id, block_id: blockId, value: value, element: element });
  }

  function button(element, blockId, ctx) {
    var cls = "btn" + (element.style ? " " + element.style : "");
    var b = el("button", cls, label(element.text, ctx));
    b.type = "button";
    b.dataset.actionId = element.action_id || "";
    b.dataset.blockId = blockId || "";
    if (element.value != null) b.dataset.value = element.value;
    b.addEventListener("click", function () {
      if (element.confirm) {
        var c = element.confirm;
        var msg = plainOf(c.title) + "\n\n" + plainOf(c.text);
        if (!window.confirm(msg)) return;
      }
      if (element.url) window.open(element.url, "_blank", "noopener");
      fire(ctx, blockId, element, element.value == null ? null : element.value);
    });
    return b;
  }

  function select(element, blockId, ctx, isInput) {
    var s = el("select", "select");
    s.dataset.actionId = element.action_id || "";
    s.dataset.blockId = blockId || "";
    s.dataset.type = element.type;
    var ph = el("option", null, element.placeholder ? label(element.placeholder, ctx) : element.type === "overflow" ? "⋯" : "Select…");
    ph.value = "";
    s.appendChild(ph);
    var opts;
    if (element.type === "users_select" || element.type === "multi_users_select") {
      opts = (ctx.users || []).map(function (u) {
        return { text: { type: "plain_text", text: u.real_name || u.name }, value: u.id };
      });
    } else {
      opts = optionsOf(element);
    }
    opts.forEach(function (o) {
      var op = el("option", null, label(o.text, ctx));
      op.value = o.value;
      s.appendChild(op);
    });
    var initial = element.initial_option ? element.initial_option.value : element.initial_user;
    if (initial) s.value = initial;
    if (!isInput) {
      s.addEventListener("change", function () {
        if (s.value) fire(ctx, blockId, element, s.value);
      });
    }
    return s;
  }

  function datepicker(element, blockId, ctx, isInput) {
    var i = el("input", "input");
    i.type = element.type === "timepicker" ? "time" : "date";
    i.dataset.actionId = element.action_id || "";
    i.dataset.blockId = blockId || "";
    i.dataset.type = element.type;
    if (element.initial_date) i.value = element.initial_date;
    if (element.initial_time) i.value = element.initial_time;
    if (!isInput) {
      i.addEventListener("change", function () {
        fire(ctx, blockId, element, i.value);
      });
    }
    return i;
  }

  function choices(element, blockId, ctx) {
    var box = el("div", "choices");
    box.dataset.actionId = element.action_id || "";
    box.dataset.blockId = blockId || "";
    box.dataset.type = element.type;
    var kind = element.type === "checkboxes" ? "checkbox" : "radio";
    var initial = (element.initial_options || (element.initial_option ? [element.initial_option] : [])).map(
      function (o) {
        return o.value;
      }
    );
    optionsOf(element).forEach(function (o) {
      var lab = el("label", "choice");
      var i = document.createElement("input");
      i.type = kind;
      i.name = (blockId || "") + "/" + (element.action_id || "");
      i.value = o.value;
      i.checked = initial.indexOf(o.value) >= 0;
      lab.appendChild(i);
      lab.appendChild(el("span", null, label(o.text, ctx)));
      box.appendChild(lab);
    });
    return box;
  }

  function textInput(element, blockId) {
    var i;
    if (element.multiline) {
      i = el("textarea", "input");
      i.rows = 3;
    } else {
      i = el("input", "input");
      i.type = element.type === "number_input" ? "number" : element.type === "email_text_input" ? "email" : "text";
    }
    i.dataset.actionId = element.action_id || "";
    i.dataset.blockId = blockId || "";
    i.dataset.type = element.type;
    if (element.placeholder) i.placeholder = plainOf(element.placeholder);
    if (element.initial_value != null) i.value = element.initial_value;
    if (element.max_length) i.maxLength = element.max_length;
    return i;
  }

  function image(element) {
    var img = el("img", "img");
    img.src = element.image_url || "";
    img.alt = element.alt_text || "";
    img.referrerPolicy = "no-referrer";
    return img;
  }

  function element(elm, blockId, ctx, isInput) {
    switch (elm.type) {
      case "button":
        return button(elm, blockId, ctx);
      case "static_select":
      case "external_select":
      case "users_select":
      case "conversations_select":
      case "channels_select":
      case "overflow":
        return select(elm, blockId, ctx, isInput);
      case "datepicker":
      case "timepicker":
        return datepicker(elm, blockId, ctx, isInput);
      case "checkboxes":
      case "radio_buttons":
        return choices(elm, blockId, ctx);
      case "plain_text_input":
      case "number_input":
      case "email_text_input":
      case "url_text_input":
        return textInput(elm, blockId);
      case "image":
        return image(elm);
      default:
        return el("span", "unsupported", "[" + M.esc(elm.type) + "]");
    }
  }

  function richTextToString(block) {
    var out = [];
    (function walk(node) {
      if (!node) return;
      if (node.type === "text") out.push(node.text || "");
      else if (node.type === "user") out.push("<@" + node.user_id + ">");
      else if (node.type === "link") out.push("<" + node.url + (node.text ? "|" + node.text : "") + ">");
      else if (node.type === "emoji") out.push(":" + node.name + ":");
      (node.elements || []).forEach(walk);
    })(block);
    return out.join("");
  }

  function renderBlock(b, ctx) {
    var blockId = b.block_id || "";
    var wrap = el("div", "block block-" + b.type);
    wrap.dataset.blockId = blockId;
    switch (b.type) {
      case "section": {
        var body = el("div", "section-body");
        if (b.text) body.appendChild(el("div", "section-text", text(b.text, ctx)));
        if (b.fields && b.fields.length) {
          var grid = el("div", "fields");
          b.fields.forEach(function (f) {
            grid.appendChild(el("div", "field", text(f, ctx)));
          });
          body.appendChild(grid);
        }
        wrap.appendChild(body);
        if (b.accessory) {
          var acc = el("div", "accessory");
          acc.appendChild(element(b.accessory, blockId, ctx, false));
          wrap.appendChild(acc);
        }
        break;
      }
      case "header":
        wrap.appendChild(el("h3", "header", label(b.text, ctx)));
        break;
      case "context":
        (b.elements || []).forEach(function (e) {
          if (e.type === "image") wrap.appendChild(image(e));
          else wrap.appendChild(el("span", "context-item", text(e, ctx)));
        });
        break;
      case "divider":
        wrap.appendChild(el("hr"));
        break;
      case "actions":
        (b.elements || []).forEach(function (e) {
          wrap.appendChild(element(e, blockId, ctx, false));
        });
        break;
      case "image":
        if (b.title) wrap.appendChild(el("div", "image-title", text(b.title, ctx)));
        wrap.appendChild(image(b));
        break;
      case "input": {
        var lab = el("label", "input-label", label(b.label, ctx));
        if (b.optional) lab.appendChild(el("span", "optional", " (optional)"));
        wrap.appendChild(lab);
        if (b.element) wrap.appendChild(element(b.element, blockId, ctx, true));
        if (b.hint) wrap.appendChild(el("div", "hint", label(b.hint, ctx)));
        break;
      }
      case "rich_text":
        wrap.appendChild(el("div", "section-text", M.mrkdwn(richTextToString(b), ctx.lookup)));
        break;
      default:
        wrap.appendChild(el("div", "unsupported", "[unsupported block: " + M.esc(b.type) + "]"));
    }
    if (ctx.errors && blockId && ctx.errors[blockId]) {
      wrap.classList.add("has-error");
      wrap.appendChild(el("div", "error", M.esc(ctx.errors[blockId])));
    }
    return wrap;
  }

  function render(blocks, ctx) {
    var frag = document.createDocumentFragment();
    (blocks || []).forEach(function (b) {
      frag.appendChild(renderBlock(b, ctx || {}));
    });
    return frag;
  }

  /* Values of the input elements under `root`: {block_id: {action_id: value}}. */
  function collect(root) {
    var values = {};
    root.querySelectorAll("[data-action-id][data-type]").forEach(function (node) {
      var bid = node.dataset.blockId;
      var aid = node.dataset.actionId;
      if (!bid || !aid) return;
      var v;
      if (node.classList.contains("choices")) {
        var checked = Array.prototype.map.call(node.querySelectorAll("input:checked"), function (i) {
          return i.value;
        });
        v = node.dataset.type === "checkboxes" ? checked : checked[0] || null;
      } else {
        v = node.value === "" ? null : node.value;
      }
      values[bid] = values[bid] || {};
      values[bid][aid] = v;
    });
    return values;
  }

  window.Blocks = { render: render, collect: collect, text: text };
})();
