/* The sandbox page: polls GET /ui/state (long-poll), posts to /ui/send|click|submit|close|home. */
(function () {
  "use strict";
  var M = window.Mrkdwn;
  var B = window.Blocks;

  var params = new URLSearchParams(location.search);
  var ui = {
    me: params.get("user") || localStorage.getItem("rapport.sandbox.user") || "",
    channel: params.get("channel") || localStorage.getItem("rapport.sandbox.channel") || "",
    tab: "messages",
    thread: null,
    state: null,
    version: -1,
    poll: null,
    modalKey: "",
    homeKey: "",
    seenNotice: Date.now() / 1000,
  };

  function $(id) {
    return document.getElementById(id);
  }

  function api(path, body) {
    return fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    })
      .then(function (r) {
        return r.json().then(function (data) {
          if (!r.ok || data.ok === false) toast((data && data.error) || "HTTP " + r.status, true);
          else if (data.status !== undefined && (data.status < 200 || data.status >= 300))
            toast("The bot answered " + (data.status || "nothing (is it running?)"), true);
          return data;
        });
      })
      .catch(function (e) {
        toast(String(e), true);
      });
  }

  function toast(msg, isError) {
    var t = document.createElement("div");
    t.className = "toast" + (isError ? " error" : "");
    t.textContent = msg;
    $("toasts").appendChild(t);
    setTimeout(function () {
      t.remove();
    }, 6000);
  }

  // --- lookups ------------------------------------------------------------------
  function userById(id) {
    var users = (ui.state && ui.state.users) || [];
    for (var i = 0; i < users.length; i++) if (users[i].id === id) return users[i];
    return null;
  }
  var lookup = {
    user: function (id) {
      var u = userById(id);
      return u ? u.name : null;
    },
    channel: function (id) {
      var c = channelById(id);
      return c ? c.name : null;
    },
    subteam: function (id) {
      var groups = (ui.state && ui.state.usergroups) || [];
      for (var i = 0; i < groups.length; i++) if (groups[i].id === id) return groups[i].handle;
      return null;
    },
    emoji: null, // set once GET /ui/emoji (Slack's shortcode table) has loaded
  };
  function channelById(id) {
    var chans = (ui.state && ui.state.channels) || [];
    for (var i = 0; i < chans.length; i++) if (chans[i].id === id) return chans[i];
    return null;
  }

  // --- polling ------------------------------------------------------------------------
  function poll() {
    if (ui.poll) ui.poll.abort();
    var ctrl = new AbortController();
    ui.poll = ctrl;
    var url = "/ui/state?user=" + encodeURIComponent(ui.me) + "&since=" + ui.version + "&wait=20";
    fetch(url, { signal: ctrl.signal })
      .then(function (r) {
        return r.json();
      })
      .then(function (state) {
        if (ui.poll !== ctrl) return;
        apply(state);
        setTimeout(poll, 0);
      })
      .catch(function (e) {
        if (e && e.name === "AbortError") return;
        setTimeout(poll, 1000);
      });
  }

  function refresh() {
    ui.version = -1;
    ui.modalKey = "";
    ui.homeKey = "";
    poll();
  }

  function apply(state) {
    ui.state = state;
    ui.version = state.version;
    if (state.me && state.me !== ui.me) ui.me = state.me;
    if (!channelById(ui.channel) && state.channels.length) {
      var firstChannel = state.channels.filter(function (c) {
        return !c.is_im;
      })[0];
      ui.channel = (firstChannel || state.channels[0]).id;
    }
    renderAll();
    (state.notices || []).forEach(function (n) {
      if (n.at > ui.seenNotice) {
        ui.seenNotice = n.at;
        toast("Bot answered " + (n.status || "nothing") + " to " + n.kind + (n.text ? ": " + n.text.slice(0, 120) : ""), true);
      }
    });
  }

  // --- rendering ------------------------------------------------------------------------
  function renderAll() {
    renderTop();
    renderSidebar();
    renderMain();
    renderThread();
    renderModal();
  }

  function renderTop() {
    var st = ui.state;
    $("team-name").textContent = st.team.name;
    var sel = $("user-select");
    var humans = st.users.filter(function (u) {
      return !u.is_bot;
    });
    var key = humans
      .map(function (u) {
        return u.id;
      })
      .join(",");
    if (sel.dataset.key !== key) {
      sel.innerHTML = "";
      humans.forEach(function (u) {
        var o = document.createElement("option");
        o.value = u.id;
        o.textContent =
          (u.real_name || u.name) + " (@" + u.name + ")" + (u.team ? " · " + u.team + ", another organisation" : "") +
          (u.tz ? " · " + u.tz : "");
        sel.appendChild(o);
      });
      sel.dataset.key = key;
    }
    sel.value = ui.me;
    var status = $("bot-status");
    status.textContent = st.bot.connected ? "@" + st.bot.name + " connected" : "no bot URL";
    status.className = "status" + (st.bot.connected ? "" : " off");
  }

  function renderSidebar() {
    var st = ui.state;
    var list = $("channel-list");
    var apps = $("app-list");
    list.innerHTML = "";
    apps.innerHTML = "";
    st.channels.forEach(function (c) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.className = "channel-link" + (c.id === ui.channel ? " active" : "");
      a.dataset.id = c.id;
      a.textContent = c.is_im ? c.name : (c.is_private ? "🔒 " : "# ") + c.name + (c.is_ext_shared ? " ⇄" : "");
      if (c.is_ext_shared) a.title = "Shared with another organisation (Slack Connect)";
      a.addEventListener("click", function () {
        selectChannel(c.id);
      });
      li.appendChild(a);
      (c.is_im ? apps : list).appendChild(li);
    });
  }

  function selectChannel(id) {
    ui.channel = id;
    ui.thread = null;
    localStorage.setItem("rapport.sandbox.channel", id);
    var c = channelById(id);
    if (c && c.is_im) {
      ui.tab = "home";
      api("/ui/home", { user: ui.me });
    } else {
      ui.tab = "messages";
    }
    renderAll();
  }

  function topLevel(messages) {
    return messages.filter(function (m) {
      return !m.thread_ts || m.thread_ts === m.ts;
    });
  }

  function fmtTime(ts) {
    var d = new Date(parseFloat(ts) * 1000);
    return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function messageNode(m, inThread) {
    var row = document.createElement("div");
    row.className = "message" + (m.ephemeral ? " ephemeral" : "");
    row.dataset.ts = m.ts;
    row.dataset.channel = m.channel;
    var isBot = !!m.bot_id;
    var user = userById(m.user) || { name: m.username || (isBot ? ui.state.bot.name : m.user || "?") };
    var av = document.createElement("div");
    av.className = "avatar" + (isBot ? " bot" : "");
    av.textContent = (user.real_name || user.name || "?").charAt(0).toUpperCase();
    row.appendChild(av);
    var main = document.createElement("div");
    main.className = "msg-main";
    var head = document.createElement("div");
    head.className = "msg-head";
    head.innerHTML =
      '<span class="name">' +
      M.esc(isBot ? ui.state.bot.name : user.real_name || user.name) +
      "</span>" +
      (isBot ? '<span class="app-tag">APP</span>' : "") +
      '<span class="time">' +
      M.esc(fmtTime(m.ts)) +
      "</span>" +
      (m.edited ? '<span class="edited">(edited)</span>' : "");
    main.appendChild(head);
    if (m.ephemeral) {
      var note = document.createElement("div");
      note.className = "ephemeral-note";
      note.textContent = "Only visible to you";
      main.appendChild(note);
    }
    var body = document.createElement("div");
    body.className = "msg-text";
    if (m.blocks && m.blocks.length && !(m.blocks.length === 1 && m.blocks[0].type === "rich_text" && m.text)) {
      body.appendChild(
        B.render(m.blocks, {
          lookup: lookup,
          users: ui.state.users,
          onAction: function (a) {
            api("/ui/click", {
              user: ui.me,
              channel: m.channel,
              message_ts: m.ts,
              action_id: a.action_id,
              block_id: a.block_id,
              value: a.value,
            });
          },
        })
      );
    } else {
      body.innerHTML = M.mrkdwn(m.text, lookup);
    }
    main.appendChild(body);
    (m.attachments || []).forEach(function (att) {
      var a = document.createElement("div");
      a.className = "attachment";
      if (att.color) a.style.borderLeftColor = att.color.charAt(0) === "#" ? att.color : "#" + att.color;
      if (att.blocks) a.appendChild(B.render(att.blocks, { lookup: lookup, users: ui.state.users }));
      else a.innerHTML = M.mrkdwn((att.pretext ? att.pretext + "\n" : "") + (att.text || att.fallback || ""), lookup);
      main.appendChild(a);
    });
    (m.files || []).forEach(function (f) {
      var fl = document.createElement("div");
      fl.className = "file";
      fl.textContent = "📄 " + (f.title || f.name);
      main.appendChild(fl);
    });
    if (m.reactions && m.reactions.length) {
      var rx = document.createElement("div");
      rx.className = "reactions";
      m.reactions.forEach(function (r) {
        var s = document.createElement("span");
        s.className = "reaction";
        s.innerHTML = M.plain(":" + r.name + ": ", lookup) + r.count;
        rx.appendChild(s);
      });
      main.appendChild(rx);
    }
    if (!inThread && m.reply_count) {
      var rl = document.createElement("button");
      rl.type = "button";
      rl.className = "replies-link";
      rl.textContent = m.reply_count + (m.reply_count === 1 ? " reply" : " replies");
      rl.addEventListener("click", function () {
        openThread(m.ts);
      });
      main.appendChild(rl);
    }
    row.appendChild(main);
    if (!m.ephemeral) {
      var acts = document.createElement("div");
      acts.className = "msg-actions";
      // Quick reactions (as Slack's hover bar offers) and the message shortcuts ("More actions")
      [["ticket", "🎫"], ["white_check_mark", "✅"], ["rotating_light", "🚨"]].forEach(function (r) {
        var b = document.createElement("button");
        b.type = "button";
        b.className = "btn react";
        b.title = "React with :" + r[0] + ":";
        b.textContent = r[1];
        b.addEventListener("click", function () {
          api("/ui/react", { user: ui.me, channel: m.channel, ts: m.ts, name: r[0] });
        });
        acts.appendChild(b);
      });
      [["customer_context", "Customer context"], ["ask_about_message", "Ask Rapport"]].forEach(function (sc) {
        var b = document.createElement("button");
        b.type = "button";
        b.className = "btn shortcut";
        b.textContent = sc[1];
        b.addEventListener("click", function () {
          api("/ui/shortcut", { user: ui.me, channel: m.channel, ts: m.ts, callback_id: sc[0] });
        });
        acts.appendChild(b);
      });
      if (!inThread) {
        var rb = document.createElement("button");
        rb.type = "button";
        rb.className = "btn reply-in-thread";
        rb.textContent = "Reply in thread";
        rb.addEventListener("click", function () {
          openThread(m.ts);
        });
        acts.appendChild(rb);
      }
      row.appendChild(acts);
    }
    return row;
  }

  function nearBottom(el) {
    return el.scrollHeight - el.scrollTop - el.clientHeight < 80;
  }

  function renderMessagesInto(container, list, inThread) {
    var stick = nearBottom(container) || !container.dataset.rendered;
    container.innerHTML = "";
    if (!list.length) {
      var e = document.createElement("div");
      e.className = "empty";
      e.textContent = inThread ? "No replies yet." : "No messages yet. Say something!";
      container.appendChild(e);
    }
    list.forEach(function (m, i) {
      container.appendChild(messageNode(m, inThread));
      if (inThread && i === 0 && list.length > 1) {
        var sep = document.createElement("div");
        sep.className = "thread-sep";
        sep.textContent = list.length - 1 + (list.length === 2 ? " reply" : " replies");
        container.appendChild(sep);
      }
    });
    container.dataset.rendered = "1";
    if (stick) container.scrollTop = container.scrollHeight;
  }

  function renderMain() {
    var st = ui.state;
    var c = channelById(ui.channel);
    $("channel-title").textContent = c ? (c.is_im ? c.name : "#" + c.name) : "";
    $("channel-topic").textContent = c && c.topic ? c.topic : "";
    var isApp = !!(c && c.is_im);
    $("tabs").hidden = !isApp;
    document.querySelectorAll(".tab").forEach(function (t) {
      t.classList.toggle("active", t.dataset.tab === ui.tab);
    });
    var showHome = isApp && ui.tab === "home";
    $("home").hidden = !showHome;
    $("messages").hidden = showHome;
    $("composer-form").hidden = showHome;
    $("composer").placeholder = c
      ? "Message " + (c.is_im ? c.name : "#" + c.name) + (c.is_im ? "" : " — @" + st.bot.name + " to ask") + ", or /rapport help"
      : "";
    if (showHome) {
      renderHome();
      return;
    }
    renderMessagesInto($("messages"), topLevel((c && st.messages[c.id]) || []), false);
  }

  function renderHome() {
    var home = ui.state.home;
    var key = home ? home.id + ":" + home.hash : "none";
    if (key === ui.homeKey) return;
    ui.homeKey = key;
    var box = $("home");
    box.innerHTML = "";
    if (!home) {
      box.innerHTML = '<div class="empty">The app has not published a Home tab for you yet.</div>';
      return;
    }
    box.appendChild(
      B.render(home.blocks, {
        lookup: lookup,
        users: ui.state.users,
        onAction: function (a) {
          api("/ui/click", { user: ui.me, view_id: home.id, action_id: a.action_id, block_id: a.block_id, value: a.value });
        },
      })
    );
  }

  function openThread(ts) {
    ui.thread = { channel: ui.channel, ts: ts };
    renderThread();
    $("thread-composer").focus();
  }

  function renderThread() {
    var pane = $("thread");
    if (!ui.thread || ui.thread.channel !== ui.channel) {
      pane.hidden = true;
      return;
    }
    pane.hidden = false;
    var c = channelById(ui.thread.channel);
    $("thread-channel").textContent = c ? (c.is_im ? c.name : "#" + c.name) : "";
    var all = ui.state.messages[ui.thread.channel] || [];
    var ts = ui.thread.ts;
    var list = all.filter(function (m) {
      return m.ts === ts || m.thread_ts === ts;
    });
    renderMessagesInto($("thread-messages"), list, true);
  }

  function renderModal() {
    var modal = ui.state.modal;
    var backdrop = $("modal-backdrop");
    if (!modal) {
      backdrop.hidden = true;
      ui.modalKey = "";
      return;
    }
    var key = modal.id + ":" + modal.hash + ":" + JSON.stringify(modal.errors || {});
    if (key === ui.modalKey) return;
    var keepValues = ui.modalKey.split(":")[0] === modal.id ? B.collect($("modal")) : null;
    ui.modalKey = key;
    backdrop.hidden = false;
    var box = $("modal");
    box.innerHTML = "";
    var head = document.createElement("div");
    head.className = "modal-head";
    head.innerHTML = "<span>" + M.esc((modal.title && modal.title.text) || "") + "</span>";
    var x = document.createElement("button");
    x.type = "button";
    x.className = "link";
    x.innerHTML = "&times;";
    x.setAttribute("aria-label", "Close");
    x.addEventListener("click", function () {
      api("/ui/close", { user: ui.me, view_id: modal.id });
    });
    head.appendChild(x);
    box.appendChild(head);
    var body = document.createElement("div");
    body.className = "modal-body";
    body.appendChild(
      B.render(modal.blocks, {
        lookup: lookup,
        users: ui.state.users,
        errors: modal.errors,
        onAction: function (a) {
          api("/ui/click", {
            user: ui.me,
            view_id: modal.id,
            action_id: a.action_id,
            block_id: a.block_id,
            value: a.value,
            values: B.collect(body),
          });
        },
      })
    );
    if (keepValues) {
      Object.keys(keepValues).forEach(function (bid) {
        Object.keys(keepValues[bid]).forEach(function (aid) {
          var node = body.querySelector('[data-block-id="' + CSS.escape(bid) + '"][data-action-id="' + CSS.escape(aid) + '"]');
          var v = keepValues[bid][aid];
          if (node && v != null && !node.classList.contains("choices")) node.value = v;
        });
      });
    }
    box.appendChild(body);
    var foot = document.createElement("div");
    foot.className = "modal-foot";
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn";
    close.textContent = (modal.close && modal.close.text) || "Cancel";
    close.addEventListener("click", function () {
      api("/ui/close", { user: ui.me, view_id: modal.id });
    });
    foot.appendChild(close);
    if (modal.submit) {
      var submit = document.createElement("button");
      submit.type = "button";
      submit.className = "btn primary modal-submit";
      submit.textContent = modal.submit.text || "Submit";
      submit.addEventListener("click", function () {
        api("/ui/submit", { user: ui.me, view_id: modal.id, values: B.collect(body) });
      });
      foot.appendChild(submit);
    }
    box.appendChild(foot);
  }

  // --- composing ----------------------------------------------------------------------------
  function send(textarea, threadTs) {
    var text = textarea.value.trim();
    if (!text || !ui.channel) return;
    textarea.value = "";
    var channel = threadTs && ui.thread ? ui.thread.channel : ui.channel;
    // Sent as typed: the double turns @name / @handle / @here into Slack's <@U..> tokens, as Slack's client does.
    api("/ui/send", { user: ui.me, channel: channel, text: text, thread_ts: threadTs || null });
  }

  function bindComposer(formId, areaId, threadTs) {
    var area = $(areaId);
    $(formId).addEventListener("submit", function (e) {
      e.preventDefault();
      send(area, threadTs());
    });
    area.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey) {
        e.preventDefault();
        send(area, threadTs());
      }
    });
  }

  bindComposer("composer-form", "composer", function () {
    return null;
  });
  bindComposer("thread-form", "thread-composer", function () {
    return ui.thread && ui.thread.ts;
  });
  $("thread-close").addEventListener("click", function () {
    ui.thread = null;
    renderThread();
  });
  $("user-select").addEventListener("change", function (e) {
    ui.me = e.target.value;
    localStorage.setItem("rapport.sandbox.user", ui.me);
    ui.thread = null;
    refresh();
  });
  document.querySelectorAll(".tab").forEach(function (t) {
    t.addEventListener("click", function () {
      ui.tab = t.dataset.tab;
      if (ui.tab === "home") {
        ui.homeKey = "";
        api("/ui/home", { user: ui.me });
      }
      renderAll();
    });
  });

  fetch("/ui/emoji")
    .then(function (r) {
      return r.json();
    })
    .then(function (table) {
      lookup.emoji = M.emojiLookup(table);
    })
    .catch(function () {
      toast("Emoji table unavailable: shortcodes show as text", true);
    })
    .then(poll);
})();
