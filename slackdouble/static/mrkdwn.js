/* Slack mrkdwn -> HTML: *bold*, _italic_, ~strike~, `code`, ```pre```, > quote,
   <url|text>, <@U..> mentions, <#C..|name>, <!here>, newlines. Exposed as window.Mrkdwn. */
(function () {
  "use strict";

  function esc(s) {
    return String(s)
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/'/g, "&#39;");
  }

  // Slack escapes &, <, > in message text; undo that before escaping for HTML.
  function unent(s) {
    return String(s).replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  }

  function safeUrl(url) {
    return /^(https?:|mailto:)/i.test(url) ? url : null;
  }

  function token(t, lookup) {
    var bar = t.indexOf("|");
    var target = bar >= 0 ? t.slice(0, bar) : t;
    var label = bar >= 0 ? t.slice(bar + 1) : "";
    if (target[0] === "@") {
      var id = target.slice(1);
      var name = label || (lookup.user && lookup.user(id)) || id;
      return '<span class="mention" data-user="' + esc(id) + '">@' + esc(name) + "</span>";
    }
    if (target[0] === "#") {
      var cid = target.slice(1);
      var cname = label || (lookup.channel && lookup.channel(cid)) || cid;
      return '<span class="mention channel">#' + esc(cname) + "</span>";
    }
    if (target[0] === "!") {
      var special = target.slice(1).split("^")[0];
      return '<span class="mention">@' + esc(label || special) + "</span>";
    }
    var url = safeUrl(unent(target));
    if (!url) return esc("<" + unent(t) + ">"); // not a link Slack would make: show it as typed
    return '<a href="' + esc(url) + '" target="_blank" rel="noopener noreferrer">' + esc(unent(label || target)) + "</a>";
  }

  function mrkdwn(src, lookup) {
    lookup = lookup || {};
    var slots = [];
    function hold(html) {
      slots.push(html);
      return "\u0000" + (slots.length - 1) + "\u0000";
    }
    var s = String(src == null ? "" : src);
    s = s.replace(/```([\s\S]*?)```/g, function (_, c) {
      return hold("<pre>" + esc(unent(c.replace(/^\n/, ""))) + "</pre>");
    });
    s = s.replace(/`([^`\n]+)`/g, function (_, c) {
      return hold("<code>" + esc(unent(c)) + "</code>");
    });
    s = s.replace(/<([^<>\s][^<>]*)>/g, function (_, t) {
      return hold(token(t, lookup));
    });
    s = esc(unent(s));
    s = s.replace(/(^|[^\w*])\*(?!\s)([^*\n]+?)\*(?!\w)/g, "$1<b>$2</b>");
    s = s.replace(/(^|[^\w_])_(?!\s)([^_\n]+?)_(?!\w)/g, "$1<i>$2</i>");
    s = s.replace(/(^|[^\w~])~(?!\s)([^~\n]+?)~(?!\w)/g, "$1<s>$2</s>");
    s = s.replace(/^&gt; ?(.*)$/gm, "<blockquote>$1</blockquote>");
    s = s.replace(/<\/blockquote>\n/g, "</blockquote>");
    s = s.replace(/\n/g, "<br>");
    s = s.replace(/\u0000(\d+)\u0000/g, function (_, i) {
      return slots[+i];
    });
    return s;
  }

  function plain(src) {
    return esc(src == null ? "" : src).replace(/\n/g, "<br>");
  }

  window.Mrkdwn = { mrkdwn: mrkdwn, plain: plain, esc: esc };
})();
